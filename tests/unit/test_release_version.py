"""One version: sentry_puppet.__version__, the module's metadata.json and the top entry of
CHANGELOG.md agree; the changelog keeps its form; the docs do not repeat the version."""
import json
import pathlib
import re

import sentry_puppet

REPO = pathlib.Path(__file__).resolve().parent.parent.parent
CHANGELOG = (REPO / "CHANGELOG.md").read_text("utf-8")
ENTRY = re.compile(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", re.M)
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")


def module_version():
    return json.loads((REPO / "puppet-module" / "metadata.json").read_text("utf-8"))["version"]


def test_tool_module_and_changelog_have_one_version():
    entries = ENTRY.findall(CHANGELOG)
    assert entries, "CHANGELOG.md has no `## [X.Y.Z] - YYYY-MM-DD` entry"
    top = entries[0][0]
    assert (sentry_puppet.__version__, module_version()) == (top, top), (
        "versions disagree: sentry_puppet/__init__.py %s, puppet-module/metadata.json %s, "
        "CHANGELOG.md's top entry %s" % (sentry_puppet.__version__, module_version(), top))


def test_changelog_keeps_a_changelog_form():
    assert CHANGELOG.startswith("# Changelog\n")
    entries = ENTRY.findall(CHANGELOG)
    versions = [version for version, _ in entries]
    assert all(SEMVER.match(v) for v in versions), versions
    # Newest first, each once; every release but the first has its date.
    keys = [tuple(int(n) for n in v.split(".")) for v in versions]
    assert keys == sorted(set(keys), reverse=True), versions
    assert all(date for _, date in entries[:-1]), entries
    # Each entry's heading links to its comparison or release page.
    for version in versions:
        assert re.search(r"^\[%s\]: https://\S+$" % re.escape(version), CHANGELOG, re.M), version
    top = CHANGELOG[CHANGELOG.index("## [%s]" % versions[0]):]
    top = top[:top.index("\n## [", 1)] if "\n## [" in top[1:] else top
    assert re.search(r"^### (Added|Changed|Deprecated|Removed|Fixed|Security)$", top, re.M)


def test_changelog_states_the_version_policy():
    policy = CHANGELOG[CHANGELOG.index("## Version policy"):CHANGELOG.index("\n## [")]
    for part in ("module's interface", "command line", "configuration", "facts", "Semantic"):
        assert part in policy, part


def test_docs_and_manifests_do_not_repeat_the_version():
    """The version lives in three places only; a doc naming it would go stale at the next."""
    version = re.escape(module_version())
    places = ([REPO / "README.md", REPO / "docs"] + [REPO / "puppet-module" / name for name in
              ("README.md", "REFERENCE.md", "manifests", "functions", "lib", "data")])
    offenders = []
    for place in places:
        for path in ([place] if place.is_file() else sorted(place.rglob("*"))):
            if path.is_file() and re.search(r"(?<![\d.])%s(?![\d])" % version,
                                            path.read_text("utf-8")):
                offenders.append(str(path.relative_to(REPO)))
    assert offenders == [], "these name version %s; say `<version>` instead" % module_version()

"""Links out of what the Forge tarball and PyPI show alone (the module's README and
REFERENCE.md, CHANGELOG.md, docs/pypi.md) are absolute URLs into the project's source
(metadata.json's `source`), and each names a file or folder that exists in this repository."""
import json
import pathlib
import re

REPO = pathlib.Path(__file__).resolve().parent.parent.parent
SOURCE = json.loads((REPO / "puppet-module" / "metadata.json").read_text())["source"]
PAGES = [REPO / "puppet-module" / "README.md", REPO / "puppet-module" / "REFERENCE.md",
         REPO / "CHANGELOG.md", REPO / "docs" / "pypi.md"]
LINK = re.compile(r"\]\((https?://[^)\s]+)\)|^\[[^\]]+\]: (https?://\S+)$", re.M)


def test_links_into_the_repository_resolve():
    seen = 0
    for page in PAGES:
        for match in LINK.finditer(page.read_text("utf-8")):
            url = match.group(1) or match.group(2)
            if "github.com/sentry-puppet/" not in url or "/compare/" in url or "/releases/" in url:
                continue
            assert url.startswith(SOURCE + "/"), "%s: %s is not under %s" % (page.name, url, SOURCE)
            rest = url[len(SOURCE) + 1:].split("#")[0]
            if rest == "issues":
                continue
            kind, ref, path = rest.split("/", 2)
            assert kind in ("blob", "tree") and ref == "main", url
            assert (REPO / path).exists(), "%s: %s names %s, which does not exist" % (
                page.name, url, path)
            seen += 1
    assert seen >= 5

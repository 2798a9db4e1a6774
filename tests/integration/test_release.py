"""scripts/release, run as a maintainer runs it (in a copy of this checkout): the wheel, the
sdist (with the tests and the docs) and the Forge tarball, `twine check --strict` clean and
checked as the Forge checks; the tarball carries the wheel and the fact; `puppet module
install` takes it, resolving puppetlabs-stdlib against Debian's (an empty local Forge API
stands in for the unreachable Forge). A release with disagreeing versions is refused.
About 1-2 minutes: build and twine come from pip's cache into build/release-venv."""
import email
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest

from tests.support.release import REPO, module_version

STDLIB = pathlib.Path("/usr/share/puppet/modules/stdlib")  # Debian's puppet-module-puppetlabs-stdlib
COPY_IGNORE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "__pycache__",
                                     ".pytest_cache", "*.egg-info", ".demo", ".cache", "fixtures")


def release(copy):
    return subprocess.run([str(copy / "scripts" / "release")], cwd=str(copy),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=1200)


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    copy = tmp_path_factory.mktemp("release") / "checkout"
    shutil.copytree(str(REPO), str(copy), ignore=COPY_IGNORE)
    result = release(copy)
    assert result.returncode == 0, result.stdout[-6000:]
    return copy, result.stdout


def test_three_artifacts_twine_and_forge_clean(released):
    copy, output = released
    version = module_version()
    assert sorted(p.name for p in (copy / "dist").iterdir()) == [
        "sentry_puppet-%s-py3-none-any.whl" % version, "sentry_puppet-%s.tar.gz" % version,
        "sentrypuppet-sentry-%s.tar.gz" % version]
    assert output.count("PASSED") == 2, output      # twine check --strict, wheel and sdist
    assert "sentrypuppet-sentry-%s.tar.gz: clean" % version in output


def test_pypi_metadata(released):
    copy, _ = released
    version = module_version()
    with zipfile.ZipFile(str(copy / "dist" / ("sentry_puppet-%s-py3-none-any.whl" % version))) as wheel:
        metadata = email.message_from_bytes(
            wheel.read("sentry_puppet-%s.dist-info/METADATA" % version))
    source = json.loads((REPO / "puppet-module" / "metadata.json").read_text())["source"]
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata["Requires-Python"] == ">=3.11"
    classifiers = metadata.get_all("Classifier")
    assert {"Programming Language :: Python :: 3.11", "Programming Language :: Python :: 3.13",
            "Environment :: Console"} <= set(classifiers)
    assert "Project-URL: Source, %s" % source in ["Project-URL: " + u for u in metadata.get_all("Project-URL")]
    # PyPI renders the description alone: every link in it is absolute.
    description = metadata.get_payload()
    assert description.startswith("# sentry-puppet")
    links = re.findall(r"\]\(([^)]+)\)", description)
    assert links and all(link.startswith("https://") for link in links), links


def test_sdist_carries_tests_and_docs(released):
    copy, _ = released
    version = module_version()
    with tarfile.open(str(copy / "dist" / ("sentry_puppet-%s.tar.gz" % version))) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    assert {"tests/unit/test_plan.py", "tests/conftest.py", "docs/tool.md", "CHANGELOG.md",
            "facts/sentry_apps.py", "sentry_puppet/templates/vhost.conf.j2", "LICENSE"} <= names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_module_tarball_carries_the_wheel_and_the_fact(released):
    copy, _ = released
    version = module_version()
    folder = "sentrypuppet-sentry-%s/" % version
    with tarfile.open(str(copy / "dist" / (folder[:-1] + ".tar.gz"))) as tarball:
        wheel = tarball.extractfile(folder + "files/sentry_puppet-%s-py3-none-any.whl" % version)
        assert wheel.read() == (copy / "dist" / ("sentry_puppet-%s-py3-none-any.whl" % version)).read_bytes()
        fact = tarball.extractfile(folder + "facts.d/sentry_apps.py").read()
    assert fact == (REPO / "facts" / "sentry_apps.py").read_bytes()


def test_puppet_module_install_takes_it(released, tmp_path):
    copy, _ = released
    assert STDLIB.is_dir(), "Debian's puppet-module-puppetlabs-stdlib is not installed"
    puppet = shutil.which("puppet")
    assert puppet, "puppet is not installed: run scripts/install-deps (as root)"
    (tmp_path / "modules").mkdir()
    (tmp_path / "deps").mkdir()
    (tmp_path / "deps" / "stdlib").symlink_to(STDLIB)
    tarball = copy / "dist" / ("sentrypuppet-sentry-%s.tar.gz" % module_version())
    forge = subprocess.Popen([sys.executable, "-m", "tests.support.empty_forge"], cwd=str(REPO),
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             universal_newlines=True)
    try:
        port = forge.stdout.readline().strip()
        common = ["--color=false", "--confdir", str(tmp_path / "conf"), "--vardir",
                  str(tmp_path / "var"), "--modulepath",
                  "%s:%s" % (tmp_path / "modules", tmp_path / "deps")]
        result = subprocess.run(
            [puppet, "module", "install", "--module_repository", "http://127.0.0.1:" + port,
             "--target-dir", str(tmp_path / "modules")] + common + [str(tarball)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
            timeout=300, env=dict(os.environ, HOME=str(tmp_path)))
    finally:
        forge.terminate()
        forge.wait()
    assert result.returncode == 0, result.stdout
    assert "puppetlabs-stdlib" in result.stdout, result.stdout   # resolved, not ignored
    installed = tmp_path / "modules" / "sentry"
    assert (installed / "files" / ("sentry_puppet-%s-py3-none-any.whl" % module_version())).is_file()
    assert os.access(str(installed / "facts.d" / "sentry_apps.py"), os.X_OK)


def test_release_refuses_disagreeing_versions(tmp_path):
    copy = tmp_path / "checkout"
    shutil.copytree(str(REPO), str(copy), ignore=COPY_IGNORE)
    changelog = copy / "CHANGELOG.md"
    changelog.write_text(changelog.read_text().replace("## [", "## [9.9.9] - 2030-01-01\n\n## [", 1))
    result = release(copy)
    assert result.returncode == 1, result.stdout
    assert "versions disagree" in result.stdout and "CHANGELOG.md's top entry 9.9.9" in result.stdout
    assert not (copy / "dist").exists()

"""The dependency floors in setup.cfg are true: the tool's wheel, installed with EXACTLY the
floor of each dependency (the one whose marker fits this Debian's /usr/bin/python3: 3.11 on
Debian 12, 3.13 on Debian 13) into a fresh venv, passes the unit tests, run against the
installed wheel, not the checkout. pip's cache makes it about 1.5 minutes, mostly the tests."""
import configparser
import json
import os
import pathlib
import shutil
import subprocess

from packaging.requirements import Requirement
from packaging.version import Version

from tests.support.release import REPO, build_wheel

PYTHON = "/usr/bin/python3"   # Debian's, as on a Sentry host
# What the unit tests import besides the tool's own dependencies.
TEST_TOOLS = ("pytest", "pytest-mock", "responses", "vermin", "hypothesis")


def floors(environment):
    """{name: floor version} of setup.cfg's install_requires that apply to ENVIRONMENT."""
    config = configparser.ConfigParser()
    config.read(str(REPO / "setup.cfg"))
    found = {}
    for line in config["options"]["install_requires"].strip().splitlines():
        requirement = Requirement(line)
        if requirement.marker and not requirement.marker.evaluate(environment):
            continue
        (floor,) = [s.version for s in requirement.specifier if s.operator == ">="]
        found[requirement.name] = floor
    return found


def run(command, **kwargs):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, **kwargs)
    assert result.returncode == 0, "%s\n%s" % (" ".join(command), result.stdout[-6000:])
    return result.stdout


def test_wheel_at_its_dependency_floors_passes_the_unit_tests(tmp_path):
    environment = json.loads(run([PYTHON, "-c", (
        "import json, platform, sys; print(json.dumps({'python_version': '%d.%d' % "
        "sys.version_info[:2], 'python_full_version': platform.python_version()}))")]))
    wanted = floors(environment)
    assert set(wanted) == {"requests", "jinja2", "PyYAML"}, wanted
    (tmp_path / "wheel").mkdir()
    wheel = build_wheel(tmp_path / "wheel")
    venv = tmp_path / "venv"
    run([PYTHON, "-m", "venv", str(venv)])
    pins = ["%s==%s" % item for item in sorted(wanted.items())]
    # Only wheels: a floor that needs building from source is no floor on a Sentry host.
    run([str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
         "--only-binary", ":all:", str(wheel)] + pins + list(TEST_TOOLS), timeout=600)
    installed = {name.lower(): version for name, version in (
        line.split("==") for line in run([str(venv / "bin" / "pip"), "freeze"]).splitlines()
        if "==" in line)}
    for name, floor in wanted.items():
        assert Version(installed[name.lower()]) == Version(floor), (name, installed)

    # The tests in a copy whose sentry_puppet is the installed one (the checkout's would win on
    # sys.path otherwise); what they read beside it (facts/, docs/, the module) is copied.
    site = pathlib.Path(run([str(venv / "bin" / "python"), "-c",
                             "import sentry_puppet, os; print(os.path.dirname(sentry_puppet.__file__))"],
                            cwd=str(tmp_path)).strip())
    assert str(site).startswith(str(venv)), site
    copy = tmp_path / "checkout"
    shutil.copytree(str(REPO), str(copy), symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "__pycache__", ".pytest_cache", "*.egg-info",
        "sentry_puppet", ".demo", ".cache"))
    (copy / "sentry_puppet").symlink_to(site)
    # test_fact_bytecode runs the fact's tests again in a copy: the fact uses no dependency.
    out = run([str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "-m", "not integration", "--ignore", "tests/unit/test_fact_bytecode.py",
               "tests/unit"], cwd=str(copy), timeout=900,
              env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    assert " passed" in out and " failed" not in out, out[-3000:]

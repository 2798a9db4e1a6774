"""The release artifacts as scripts/release makes them, built offline inside a test: the
tool's wheel (`pip wheel` of a copy of the checkout, with the test's Python and setuptools),
and the module's Forge tarball by scripts/forge-tarball, carrying that wheel."""
import json
import pathlib
import shutil
import subprocess
import sys
import tarfile

REPO = pathlib.Path(__file__).resolve().parent.parent.parent
FORGE_TARBALL = REPO / "scripts" / "forge-tarball"
# What the wheel is built from (setup.cfg reads docs/pypi.md and LICENSE).
PACKAGE_FILES = ("setup.cfg", "pyproject.toml", "MANIFEST.in", "README.md", "LICENSE",
                 "CHANGELOG.md", "docs/pypi.md")


def module_version():
    return json.loads((REPO / "puppet-module" / "metadata.json").read_text())["version"]


def build_wheel(where, version=None):
    """The tool's wheel, in WHERE/dist; `version` other than the checkout's: a wheel that says
    it (for upgrade tests)."""
    source = where / "src"
    shutil.copytree(str(REPO / "sentry_puppet"), str(source / "sentry_puppet"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in PACKAGE_FILES:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(str(REPO / name), str(source / name))
    if version:
        init = source / "sentry_puppet" / "__init__.py"
        init.write_text(init.read_text().replace(
            '__version__ = "', '__version__ = "%s"  # was "' % version, 1))
    dist = where / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--disable-pip-version-check", "-w", str(dist),
                    str(source)], check=True, timeout=300)
    (wheel,) = dist.glob("*.whl")
    return wheel


def build_module_tarball(where, wheel):
    """dist/<owner>-sentry-<version>.tar.gz as scripts/release builds it."""
    out = where / "forge"
    out.mkdir()
    result = subprocess.run(
        [sys.executable, str(FORGE_TARBALL), "build", str(REPO / "puppet-module"), str(out),
         "--add", str(REPO / "CHANGELOG.md"), "--add", str(REPO / "LICENSE"),
         "--add-to-files", str(wheel)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
        check=True, timeout=120)
    return pathlib.Path(result.stdout.strip())


def released_module(where):
    """The module as `puppet module install` of the tarball lays it out: WHERE/sentry."""
    tarball = build_module_tarball(where, build_wheel(where))
    with tarfile.open(str(tarball)) as archive:
        # Members as plain data (no links out, no device files), where tarfile can say so.
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        archive.extractall(str(where / "extracted"), **safe)
    (top,) = (where / "extracted").iterdir()
    top.rename(where / "sentry")
    return where / "sentry"

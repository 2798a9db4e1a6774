"""Nothing the suite does writes into facts/ or puppet-module/facts.d/: pluginsync ships every
file there to every agent, a __pycache__/ too. These machines set PYTHONDONTWRITEBYTECODE=1; a
fresh Debian does not, so the checks below turn bytecode writing on themselves."""
import os
import shutil
import subprocess
import sys

from tests.facts_support import FACT, REPO, load_fact_module

SHIPPED = {"facts": ["sentry_apps.py"], "puppet-module/facts.d": ["sentry_apps.py"]}


def listing(root):
    return {directory: sorted(os.listdir(str(root / directory))) for directory in SHIPPED}


def test_loading_the_fact_writes_no_bytecode(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    (tmp_path / "facts").mkdir()
    copy = tmp_path / "facts" / "sentry_apps.py"
    shutil.copy2(str(FACT), str(copy))
    assert load_fact_module(copy).fact_key("Foo-Bar") == "foo_bar"
    assert os.listdir(str(tmp_path / "facts")) == ["sentry_apps.py"]


def test_the_fact_tests_leave_the_shipped_directories_alone(tmp_path):
    """Runs every unit test file that uses the fact in a copy of the repository, with bytecode
    writing on, and looks at what the copy's facts/ and facts.d/ hold afterwards."""
    copy = tmp_path / "repo"
    shutil.copytree(str(REPO), str(copy), ignore=shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", ".pytest_cache", "spec", ".yardoc", ".demo", ".cache"))
    here = os.path.basename(__file__)
    users = sorted(name for name in os.listdir(str(REPO / "tests" / "unit"))
                   if name.endswith(".py") and name != here
                   and "facts_support" in (REPO / "tests" / "unit" / name).read_text("utf-8"))
    assert "test_facts.py" in users
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not integration"]
        + ["tests/unit/" + name for name in users],
        cwd=str(copy), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]
    assert os.path.isdir(str(copy / "tests" / "unit" / "__pycache__"))  # bytecode was on
    assert listing(copy) == SHIPPED


def test_the_shipped_directories_hold_only_the_fact():
    # Catches, in this very run, any test above it that wrote there (with bytecode writing on).
    assert listing(REPO) == SHIPPED


def test_only_facts_support_loads_the_fact():
    """Tests that need the fact's functions use load_fact_module (never cached); an import
    machinery of their own would write facts/__pycache__/ on a fresh Debian. The integration
    tests are too slow for the check above, so their sources are read instead."""
    loaders = ("spec_from_file_location", "SourceFileLoader", "import_module", "runpy",
               "load_source")
    allowed = {str(REPO / "tests" / "facts_support.py"), os.path.abspath(__file__)}
    offenders = []
    for top in ("tests", "bench"):
        for directory, _, files in os.walk(str(REPO / top)):
            for name in files:
                path = os.path.join(directory, name)
                if not name.endswith(".py") or path in allowed:
                    continue
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
                if "sentry_apps" in text and any(loader in text for loader in loaders):
                    offenders.append(os.path.relpath(path, str(REPO)))
    assert offenders == []

"""Running the external fact the way Facter does: a separate process, its JSON on stdout."""
import json
import os
import pathlib
import subprocess
import sys
import time
import types

REPO = pathlib.Path(__file__).resolve().parent.parent
FACT = REPO / "facts" / "sentry_apps.py"
# The Python an app server has: Debian's own, not this machine's version-manager shim.
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def load_fact_module(path=FACT):
    """The fact as a module, compiled from its source and never cached: an import would write
    facts/__pycache__/ where PYTHONDONTWRITEBYTECODE is unset, and pluginsync would ship it."""
    module = types.ModuleType("sentry_apps_fact")
    module.__file__ = str(path)
    exec(compile(pathlib.Path(path).read_text(encoding="utf-8"), str(path), "exec"),
         module.__dict__)
    return module


def write_config(path, roots=(), url=None, cache_dir=None, extra=""):
    text = "[apps]\nroots = %s\n" % " ".join(str(r) for r in roots)
    if url or cache_dir:
        text += "[dsn]\n"
        if url:
            text += "url = %s\n" % url
        if cache_dir:
            text += "cache_dir = %s\n" % cache_dir
    path.write_text(text + extra, encoding="utf-8")
    return path


class Run:
    def __init__(self, result, seconds):
        self.returncode = result.returncode
        self.stdout = result.stdout
        self.stderr = result.stderr
        self.seconds = seconds
        self.facts = json.loads(result.stdout)  # always valid JSON, whatever happened


def run_fact(config_path, *args, env=None, python=PYTHON, fact=FACT):
    environment = dict(os.environ, SENTRY_PUPPET_FACTS_CONFIG=str(config_path))
    environment.update(env or {})
    started = time.monotonic()
    result = subprocess.run([python, str(fact)] + list(args), env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, timeout=120)
    run = Run(result, time.monotonic() - started)
    assert run.returncode == 0, run.stderr
    return run


# -- the Pythons an app server may have --------------------------------------------------------
# Where this suite looks for interpreters, in this order; each found one is asked what it is.
DEBIAN_PYTHON = "/usr/bin/python3"
PYENV_DEFAULT_ROOT = os.path.expanduser("~/.pyenv")
_PROBE = ("import platform, sys; sys.stdout.write('%s %d %d %s' % ("
          "platform.python_implementation(), sys.version_info[0], sys.version_info[1],"
          " platform.python_version()))")


def pyenv_root():
    """$PYENV_ROOT, else `pyenv root`, else ~/.pyenv; None when there is no pyenv."""
    root = os.environ.get("PYENV_ROOT")
    if not root:
        try:
            root = subprocess.run(["pyenv", "root"], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, universal_newlines=True,
                                  timeout=30).stdout.strip()
        except OSError:
            root = PYENV_DEFAULT_ROOT
    return root if root and os.path.isdir(os.path.join(root, "versions")) else None


def cpythons():
    """-> [(version string, (major, minor), path)] of every CPython 3.6+ found: Debian's
    python3, then each $(pyenv root)/versions/*/bin/python, sorted by version."""
    candidates = [DEBIAN_PYTHON]
    root = pyenv_root()
    if root:
        versions = os.path.join(root, "versions")
        candidates += [os.path.join(versions, name, "bin", "python")
                       for name in sorted(os.listdir(versions))]
    found = []
    for path in candidates:
        if not os.access(path, os.X_OK):
            continue
        result = subprocess.run([path, "-c", _PROBE], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, universal_newlines=True, timeout=60)
        fields = result.stdout.split()
        if result.returncode == 0 and len(fields) == 4 and fields[0] == "CPython":
            minor = (int(fields[1]), int(fields[2]))
            if minor >= (3, 6):
                found.append((fields[3], minor, path))
    return sorted(found, key=lambda item: (item[1], item[2] != DEBIAN_PYTHON, item[2]))

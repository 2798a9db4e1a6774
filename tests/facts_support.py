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

"""The SHIPPED fact under every CPython this machine has from 3.6 up (RHEL 8's and Ubuntu 18.04's
python3 is 3.6): the same tree and cache give byte-identical facts, warnings, requests and cache
files as under Debian's own /usr/bin/python3 (3.11 on Debian 12, 3.13 on Debian 13: the release
is looked up, not named). A syntax check and vermin cannot see a method call on a str
(`str.isascii()`, 3.7) nor how 3.6 decodes file names under Facter's LC_ALL=C; running can.

The interpreters: Debian's /usr/bin/python3 and every $(pyenv root)/versions/*/bin/python that
is a CPython 3.6+ (tests/facts_support.py: cpythons). CI's machines have pyenv's 3.6.15: there
(CI=true) a missing 3.6 fails. A bare Debian 12 or 13 has no 3.6: one skip line says so, the one
accepted omission."""
import os
import shutil
import time

import pytest
import trustme

from tests.facts_support import DEBIAN_PYTHON, cpythons, pyenv_root, run_fact, write_config
from tests.integration.test_facts_https import DSN, NEW_DSN, OLD_DSN, DsnServer
from tests.support.missing import missing

PYTHONS = cpythons()
# The baseline: the Python an app server of this Debian release has, whichever version it is.
REFERENCE = next((p for p in PYTHONS if p[2] == DEBIAN_PYTHON), None)
# Facter runs external facts under LC_ALL=C; Python 3.6 has no locale coercion (PEP 538).
FACTER_ENV = {"LC_ALL": "C", "LANG": "C"}

# app -> (marker files, what the server answers, what the cache holds before the run)
APPS = {
    "Foo-Bar": (["Gemfile", "package.json"], None, ("cached", DSN)),         # a cached DSN
    "billing": (["manage.py"], (200, NEW_DSN + "\n"), None),                 # a fetched DSN
    "café": (["Shop.slnx", "package.json"], None, None),                      # a 404
    "legacy": (["pom.xml"], (500, "oops\n"), ("stale", OLD_DSN)),            # a failure
    "123": (["go.mod"], None, None),                                          # refused name
    "ahead": (["mix.exs"], (200, NEW_DSN + "\n"), ("future", DSN)),          # from the future
    "moved": (["Cargo.toml"], (302, "", ("Location", "http://127.0.0.1:9/dsn/moved")), None),
}


class Scenario:
    def __init__(self, work):
        ca = trustme.CA()
        self.ca_file, self.cert, self.key = (str(work / n) for n in ("ca.pem", "c.pem", "c.key"))
        ca.cert_pem.write_to_path(self.ca_file)
        client = ca.issue_cert("app01.example.com")
        client.cert_chain_pems[0].write_to_path(self.cert)
        client.private_key_pem.write_to_path(self.key)
        self.server = DsnServer(ca)
        self.cache = work / "cache"
        root = work / "apps"
        for name, (files, answer, _) in APPS.items():
            for marker in files:
                (root / name).mkdir(parents=True, exist_ok=True)
                (root / name / marker).write_text("")
            if answer:
                self.server.routes["/dsn/" + name] = answer
        self.config = write_config(
            work / "facts.conf", [root], url=self.server.url, cache_dir=self.cache,
            extra="ca_file = %s\ncert_file = %s\nkey_file = %s\nttl = 3600\ntimeout = 5\n"
                  "budget = 10\njobs = inf\nnegative_ttl = 1e400\n"
                  % (self.ca_file, self.cert, self.key))

    def seed(self):
        """The cache as every run finds it: fresh for Foo-Bar, a day old for legacy."""
        shutil.rmtree(str(self.cache), ignore_errors=True)
        self.cache.mkdir(mode=0o700)
        for name, (_, _, cached) in APPS.items():
            if cached:
                checked = {"cached": time.time() - 60, "stale": time.time() - 86400,
                           "future": 9999999999.0}[cached[0]]
                (self.cache / name).write_text("checked=%r\nstatus=200\ndsn=%s\n"
                                               % (checked, cached[1]))

    def run(self, python):
        self.seed()
        del self.server.requests[:]
        result = run_fact(self.config, python=python, env=FACTER_ENV)
        cache = {}
        for name in sorted(os.listdir(str(self.cache))):
            lines = (self.cache / name).read_text("utf-8").splitlines()
            cache[name] = [line for line in lines if not line.startswith("checked=")]
        return {"stdout": result.stdout, "stderr": result.stderr, "cache": cache,
                "requests": sorted(self.server.requests)}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    made = Scenario(tmp_path_factory.mktemp("pythons"))
    yield made
    made.server.stop()


@pytest.fixture(scope="module")
def reference(scenario):
    assert REFERENCE, ("no CPython 3.6+ at %s, the baseline: run scripts/install-deps (as root)"
                       % DEBIAN_PYTHON)
    outcome = scenario.run(REFERENCE[2])
    # What the baseline says is right in itself, not only what the others are compared with:
    facts = outcome["stdout"]
    assert '"deployed_apps": "Foo-Bar,ahead,billing,caf\\u00e9,legacy,moved"' in facts
    assert '"ahead_dsn": "%s"' % NEW_DSN in facts and "moved_dsn" not in facts
    assert '"foo_bar_dsn": "%s"' % DSN in facts and '"billing_dsn": "%s"' % NEW_DSN in facts
    assert '"legacy_dsn": "%s"' % OLD_DSN in facts and "caf__dsn" not in facts
    assert '"caf__lang": "dotnet"' in facts and '"legacy_lang": "java"' in facts
    assert outcome["requests"] == ["/dsn/ahead", "/dsn/billing", "/dsn/caf%C3%A9", "/dsn/legacy",
                                   "/dsn/moved"]
    assert "[dsn] jobs = 'inf' is not a number" in outcome["stderr"]
    assert "[dsn] negative_ttl = '1e400' is not a number" in outcome["stderr"]
    assert "dated in the future or not at all (checked=9999999999.0)" in outcome["stderr"]
    assert "HTTP 302 redirect to 'http://127.0.0.1:9/dsn/moved' refused" in outcome["stderr"]
    assert "failed (HTTP 500); keeping the cached DSN" in outcome["stderr"]
    assert "app '123'" in outcome["stderr"] and "digits only" in outcome["stderr"]
    assert outcome["cache"] == {"Foo-Bar": ["status=200", "dsn=" + DSN],
                                "ahead": ["status=200", "dsn=" + NEW_DSN],
                                "billing": ["status=200", "dsn=" + NEW_DSN],
                                "café": ["status=404", "dsn="],
                                "legacy": ["status=200", "dsn=" + OLD_DSN]}
    return outcome


@pytest.mark.parametrize("version, minor, python", PYTHONS,
                         ids=["%s %s" % (p[0], p[2]) for p in PYTHONS])
def test_same_facts_as_under_debian_python3(scenario, reference, version, minor, python):
    assert scenario.run(python) == reference, "the fact under %s %s" % (version, python)


def test_python_3_6_is_among_them():
    found = ["%s %s" % (p[0], p[2]) for p in PYTHONS]
    if any(p[1] == (3, 6) for p in PYTHONS):
        return
    where = ("pyenv at %s has none" % pyenv_root()) if pyenv_root() else "no pyenv"
    message = ("no Python 3.6 here (%s; found: %s): the fact under RHEL 8's python3 is not "
               "tested" % (where, ", ".join(found) or "none"))
    missing(message, ". CI's machines have $(pyenv root)/versions/3.6.15: install it")


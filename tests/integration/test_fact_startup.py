"""The SHIPPED fact started the way Facter starts it, through its own #! line, on hosts whose only
Python is not `python3` on PATH: a minimal RHEL 8 has /usr/libexec/platform-python (a 3.6) and
nothing else, where `#!/usr/bin/env python3` cannot start at all.

PATH holds no python3 (an empty directory; the header needs only sh's builtins, Facter nothing).
/usr/libexec/platform-python, when a case has one, is staged in a private mount namespace
(`unshare --mount`, root; nothing leaks to the machine): a tmpfs over /usr/libexec holding a
one-line wrapper that notes its start and execs the real CPython 3.6 (pyenv's finds its
standard library by its own prefix). /bin/sh is dash (Debian's) or, bind-mounted over it, bash
in POSIX mode (RHEL's). The facts must equal those Debian's python3 prints for the same tree."""
import functools
import json
import os
import shutil
import subprocess

import pytest

from tests.facts_support import FACT, PYTHON, REPO, cpythons, write_config
from tests.support.missing import missing

SHIPPED = REPO / "puppet-module" / "facts.d"  # what pluginsync puts into Puppet's facts.d
PLATFORM_PYTHON = "/usr/libexec/platform-python"
PYTHON36 = next((p[2] for p in cpythons() if p[1] == (3, 6)), None)
# Facter runs external facts under LC_ALL=C; Python 3.6 has no locale coercion (PEP 538).
FACTER_ENV = {"LC_ALL": "C", "LANG": "C"}

# Stage the host (in the namespace, when the case needs one), check it is what it claims, then
# run the command ("$@") with the case's PATH.
SETUP = r"""
set -e
if [ -n "$NAMESPACE" ]; then
    mount -t tmpfs -o mode=0755 tmpfs /usr/libexec
    if [ -n "$SH_IS_BASH" ]; then mount --bind /bin/bash /bin/sh; fi
    if [ -n "$PLATFORM_PYTHON" ]; then
        printf '#!/bin/sh\necho "$0 $*" >> %s; exec %s "$@"\n' "$STARTS" "$PLATFORM_PYTHON" \
            > /usr/libexec/platform-python
        chmod 755 /usr/libexec/platform-python
    fi
fi
PATH="$CASE_PATH"
if [ -z "$OWN_PYTHON3" ] && command -v python3 >/dev/null 2>&1; then
    echo "python3 still in PATH" >&2; exit 90
fi
if [ -z "$PLATFORM_PYTHON" ] && [ -e /usr/libexec/platform-python ]; then
    echo "/usr/libexec/platform-python exists" >&2; exit 91
fi
exec "$@"
"""


@functools.lru_cache()
def namespace_problem():
    """Why no private mount namespace can be made here, or None."""
    unshare = shutil.which("unshare")
    if not unshare:
        return "unshare (util-linux) is not installed"
    result = subprocess.run([unshare, "--mount", "--propagation", "private", "true"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True)
    if result.returncode:
        # Not root, or in a chroot, whose / is no mount point and cannot be made private.
        return "no private mount namespace here (%s)" % result.stdout.strip()
    return None


@pytest.fixture
def host(tmp_path):
    """A tree of apps (a non-ASCII name for 3.6 under LC_ALL=C, the Dart pub workspace holding
    a go.work) and a function running a command on the RHEL-8-like host."""
    apps = tmp_path / "apps"
    for name, markers in {"shop": ["Gemfile", "Gemfile.lock"], "café": ["manage.py"],
                          "mobile-api": ["pubspec.yaml", "pubspec.lock", "go.work"]}.items():
        (apps / name).mkdir(parents=True)
        for marker in markers:
            (apps / name / marker).write_text("")
    no_python = tmp_path / "bin-without-python3"
    no_python.mkdir()
    starts = tmp_path / "platform-python.starts"
    config = write_config(tmp_path / "facts.conf", [apps])

    def run(command, platform_python=None, own_python3=None, sh="dash"):
        """platform_python: staged as /usr/libexec/platform-python; own_python3: a directory
        with a python3, ahead in PATH."""
        namespace = bool(platform_python or sh == "bash" or os.path.lexists(PLATFORM_PYTHON))
        if namespace and namespace_problem():
            missing("%s: %s cannot be staged" % (namespace_problem(), PLATFORM_PYTHON))
        case_path = "%s:%s" % (own_python3, no_python) if own_python3 else str(no_python)
        env = dict(os.environ, CASE_PATH=case_path, STARTS=str(starts),
                   NAMESPACE="1" if namespace else "", SH_IS_BASH="1" if sh == "bash" else "",
                   OWN_PYTHON3=own_python3 or "", PLATFORM_PYTHON=platform_python or "",
                   SENTRY_PUPPET_FACTS_CONFIG=str(config), HOME=str(tmp_path), **FACTER_ENV)
        prefix = [shutil.which("unshare"), "--mount", "--propagation", "private"] if namespace \
            else []
        result = subprocess.run(prefix + ["/bin/sh", "-c", SETUP, "setup"] + command, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                universal_newlines=True, timeout=300)
        assert result.returncode not in (90, 91), result.stderr
        return result

    run.config = config
    run.starts = starts
    run.path = str(no_python)
    return run


def need_python36():
    if PYTHON36:
        return PYTHON36
    missing("no CPython 3.6 here (pyenv's versions/3.6.15): the fact under RHEL 8's "
            "platform-python is not tested")


def debian_facts(host):
    """What Debian's python3 prints for the same tree, started the usual way."""
    result = subprocess.run([PYTHON, str(FACT)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, timeout=60,
                            env=dict(os.environ, SENTRY_PUPPET_FACTS_CONFIG=str(host.config),
                                     **FACTER_ENV))
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    assert facts["deployed_apps"] == "café,mobile-api,shop"
    assert facts["mobile_api_lang"] == "dart" and facts["caf__lang"] == "python"
    return facts


def test_the_old_start_up_line_cannot_start_there(host, tmp_path):
    """What the sh header is for: `#!/usr/bin/env python3` fails without python3 on PATH,
    whatever else the host has."""
    old = tmp_path / "old_sentry_apps.py"
    old.write_text("#!/usr/bin/env python3\nprint('{}')\n")
    old.chmod(0o755)
    result = host([str(old)])
    assert result.returncode == 127 and "python3" in result.stderr


@pytest.mark.parametrize("sh", ["dash", "bash"])
@pytest.mark.parametrize("fact", [FACT, SHIPPED / FACT.name], ids=["facts", "facts.d"])
def test_only_platform_python_the_fact_starts_under_it(host, fact, sh):
    result = host([str(fact)], platform_python=need_python36(), sh=sh)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == debian_facts(host)
    # The wrapper noted its start, with the fact's own path: platform-python ran it.
    assert host.starts.read_text() == "/usr/libexec/platform-python %s\n" % fact


def test_only_platform_python_under_facter(host):
    facter = shutil.which("facter")
    assert facter, "facter is not installed: run scripts/install-deps (as root)"
    result = host([facter, "--external-dir", str(SHIPPED), "-j", "deployed_apps", "sentry_apps",
                   "mobile_api_lang"], platform_python=need_python36())
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    expected = debian_facts(host)
    assert facts == {name: expected[name]
                     for name in ("deployed_apps", "sentry_apps", "mobile_api_lang")}
    assert host.starts.read_text().startswith("/usr/libexec/platform-python ")


def test_python3_on_the_path_comes_first(host, tmp_path):
    """Where the host has both, `python3` is the one an admin chose: platform-python is
    RHEL's private interpreter."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(need_python36())
    result = host([str(FACT)], platform_python=need_python36(), own_python3=str(bin_dir))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == debian_facts(host)
    assert not host.starts.exists()


@pytest.mark.parametrize("sh", ["dash", "bash"])
def test_no_python_at_all_no_facts_exit_0_and_why(host, sh):
    result = host([str(FACT)], sh=sh)
    assert result.returncode == 0
    assert result.stdout == ""
    assert result.stderr == (
        "sentry_apps: no app facts this run: no python3 in PATH=%s and no "
        "/usr/libexec/platform-python; install python3\n" % host.path)


def test_no_python_at_all_under_facter(host):
    """Facter reports no such facts, warns with the reason, and the run goes on."""
    facter = shutil.which("facter")
    assert facter, "facter is not installed: run scripts/install-deps (as root)"
    result = host([facter, "--external-dir", str(SHIPPED), "-j", "deployed_apps", "os.family"])
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    assert facts["deployed_apps"] is None and facts["os.family"]
    assert "no python3 in PATH" in result.stderr

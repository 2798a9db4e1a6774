"""The SHIPPED fact started the way Facter starts it, through its own #! line, on hosts whose only
Python is not `python3` on PATH: a minimal RHEL 8 has /usr/libexec/platform-python (a 3.6) and
nothing else, where `#!/usr/bin/env python3` cannot start at all.

Each case runs in a private mount namespace (`unshare --mount`, root; nothing leaks to the
machine): a tmpfs over /usr/libexec, every `python3*` on the PATH hidden under an empty
non-executable file, and /usr/libexec/platform-python, when the case has one, a one-line wrapper
that notes its start and execs the real CPython 3.6 (pyenv's finds its standard library by its
own prefix). /bin/sh is dash (Debian's) or bash in POSIX mode (RHEL's). The facts must equal
those Debian's python3 prints for the same tree."""
import json
import os
import shutil
import subprocess

import pytest

from tests.facts_support import FACT, PYTHON, REPO, cpythons, write_config

SHIPPED = REPO / "puppet-module" / "facts.d"  # what pluginsync puts into Puppet's facts.d
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"  # Debian's root PATH
PYTHON36 = next((p[2] for p in cpythons() if p[1] == (3, 6)), None)
# Facter runs external facts under LC_ALL=C; Python 3.6 has no locale coercion (PEP 538).
FACTER_ENV = {"LC_ALL": "C", "LANG": "C"}

# Inside the namespace: hide python3, put $FIRST_PATH (a case's own python3) in front, then run
# the command ("$@").
SETUP = r"""
set -e
mount -t tmpfs -o mode=0755 tmpfs /usr/libexec
# RHEL's /bin/sh is bash (in POSIX mode, started as sh); Debian's is dash.
if [ -n "$SH_IS_BASH" ]; then mount --bind /bin/bash /bin/sh; fi
IFS=:
for dir in $PATH; do
    for python in "$dir"/python3*; do
        [ -f "$python" ] && [ -x "$python" ] && mount --bind "$HIDDEN" "$python"
    done
done
unset IFS
if command -v python3 >/dev/null 2>&1; then echo "python3 still in PATH" >&2; exit 90; fi
if /usr/bin/env python3 -c pass 2>/dev/null; then echo "env still finds python3" >&2; exit 91; fi
PATH="$FIRST_PATH$PATH"
if [ -n "$PLATFORM_PYTHON" ]; then
    printf '#!/bin/sh\necho "$0 $*" >> %s; exec %s "$@"\n' "$STARTS" "$PLATFORM_PYTHON" \
        > /usr/libexec/platform-python
    chmod 755 /usr/libexec/platform-python
fi
exec "$@"
"""


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
    hidden = tmp_path / "hidden"
    hidden.write_text("")
    hidden.chmod(0o644)
    starts = tmp_path / "platform-python.starts"
    config = write_config(tmp_path / "facts.conf", [apps])
    unshare = shutil.which("unshare")
    assert unshare, "unshare (util-linux) is not installed"
    if os.geteuid() != 0:
        message = "not root: `unshare --mount` cannot build the RHEL-8-like host"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)

    def run(command, platform_python=None, first_path=None, sh="dash"):
        env = dict(os.environ, PATH=PATH, HIDDEN=str(hidden), STARTS=str(starts),
                   SH_IS_BASH="1" if sh == "bash" else "",
                   FIRST_PATH=first_path + ":" if first_path else "",
                   PLATFORM_PYTHON=platform_python or "",
                   SENTRY_PUPPET_FACTS_CONFIG=str(config), HOME=str(tmp_path), **FACTER_ENV)
        result = subprocess.run(
            [unshare, "--mount", "--propagation", "private", "/bin/sh", "-c", SETUP, "setup"]
            + command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            universal_newlines=True, timeout=300)
        assert result.returncode not in (90, 91), result.stderr
        return result

    run.config = config
    run.starts = starts
    return run


def need_python36():
    if PYTHON36:
        return PYTHON36
    message = ("no CPython 3.6 here (pyenv's versions/3.6.15): the fact under RHEL 8's "
               "platform-python is not tested")
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


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
    """What the polyglot header is for: `#!/usr/bin/env python3` fails on such a host."""
    old = tmp_path / "old_sentry_apps.py"
    old.write_text("#!/usr/bin/env python3\nprint('{}')\n")
    old.chmod(0o755)
    result = host([str(old)], platform_python=need_python36())
    # 127 where python3 does not exist; here the hidden one is not executable: 126.
    assert result.returncode in (126, 127) and "python3" in result.stderr


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
    result = host([str(FACT)], platform_python=need_python36(), first_path=str(bin_dir))
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
        "/usr/libexec/platform-python; install python3\n" % PATH)


def test_no_python_at_all_under_facter(host):
    """Facter reports no such facts, warns with the reason, and the run goes on."""
    facter = shutil.which("facter")
    assert facter, "facter is not installed: run scripts/install-deps (as root)"
    result = host([facter, "--external-dir", str(SHIPPED), "-j", "deployed_apps", "os.family"])
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    assert facts["deployed_apps"] is None and facts["os.family"]
    assert "no python3 in PATH" in result.stderr

"""sentry::server's systemd units (`sync_timer`), rendered from the module's own templates by
`puppet epp render`, pass `systemd-analyze verify` offline (these machines have no systemd as
PID 1), and what the service runs is a working sync: its ExecStart (the script the module
writes), run as it stands, creates the projects PuppetDB names (the HTTPS PuppetDB stand-in and
the fake Sentry API) and keeps the lines of what it created for the next Puppet run's report,
and only those."""
import os
import pathlib
import shlex
import shutil
import subprocess

import pytest

from tests.integration.cli_env import CLI, CliEnv
from tests.support.fake_puppetdb import FakePuppetDB, exported
from tests.support.fake_sentry import FakeSentry
from tests.support.pki import TestPKI

TEMPLATES = pathlib.Path(__file__).resolve().parent.parent.parent / "puppet-module" / "templates"
UNITS = ("sentry-puppet-sync.service", "sentry-puppet-sync.timer")
TEMPLATE = {UNITS[0]: "sync.service.epp", UNITS[1]: "sync.timer.epp"}


def tool(name):
    path = shutil.which(name)
    assert path, "%s is not installed: run scripts/install-deps (as root)" % name
    return path


def epp(template, directory, values=None):
    args = ["--values", values] if values else []
    result = subprocess.run(
        [tool("puppet"), "epp", "render", str(TEMPLATES / template)] + args,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=120, env=dict(os.environ, HOME=str(directory)))
    assert result.returncode == 0, result.stderr
    return result.stdout


def render_units(directory, tool_path, config_file):
    """The script the service runs, and both units -> the units' paths. What the script
    created is kept in DIRECTORY/created."""
    script = directory / "sentry-puppet-timer-sync"
    script.write_text(epp("sync-timer.sh.epp", directory, "{tool => '%s', config_file => '%s', "
                          "created => '%s'}" % (tool_path, config_file, directory / "created")))
    script.chmod(0o755)
    (directory / UNITS[0]).write_text(epp(TEMPLATE[UNITS[0]], directory,
                                          "{script => '%s'}" % script))
    (directory / UNITS[1]).write_text(epp(TEMPLATE[UNITS[1]], directory))
    return [str(directory / unit) for unit in UNITS]


def verify(paths):
    result = subprocess.run([tool("systemd-analyze"), "verify", "--man=no"] + paths,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, timeout=120)
    return result.returncode, result.stdout.strip()


def test_the_units_pass_systemd_analyze_verify(tmp_path):
    paths = render_units(tmp_path, CLI, str(tmp_path / "config.yaml"))
    assert verify(paths) == (0, "")


def test_verify_would_catch_a_broken_unit(tmp_path):
    # The check above can fail: a missing command and a misspelt key are both reported.
    paths = render_units(tmp_path, CLI, str(tmp_path / "c.yaml"))
    (tmp_path / "sentry-puppet-timer-sync").unlink()
    code, output = verify(paths)
    assert code != 0 and "sentry-puppet-timer-sync" in output
    paths = render_units(tmp_path, CLI, str(tmp_path / "c.yaml"))
    timer = pathlib.Path(paths[1])
    timer.write_text(timer.read_text().replace("OnUnitInactiveSec", "OnUnitInactivSec"))
    assert "Unknown key 'OnUnitInactivSec'" in verify(paths)[1]


@pytest.fixture
def sentry():
    server = FakeSentry(projects=0, teams=("apps",)).start()
    yield server
    server.stop()


def test_what_the_timer_runs_syncs_the_apps_puppetdb_names(tmp_path, sentry):
    pki = TestPKI.create(str(tmp_path / "pki"))
    resources = [exported("Foo-Bar", "app01.example.com", platform="ruby"),
                 exported("shop", "app02.example.com", platform="node")]
    with FakePuppetDB(pki, resources) as pdb:
        env = CliEnv(tmp_path, sentry.url, sentry.token, backend="sentry",
                     organization=sentry.org, puppetdb={
                         "url": pdb.url, "ca_file": pki.ca_file, "cert_file": pki.client.cert,
                         "key_file": pki.client.key})
        render_units(tmp_path, CLI, str(env.config))
        [exec_start] = [line.split("=", 1)[1] for line in
                        (tmp_path / UNITS[0]).read_text().splitlines()
                        if line.startswith("ExecStart=")]

        def exec_start_runs():
            return subprocess.run(shlex.split(exec_start), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, universal_newlines=True, timeout=120,
                                  env={k: v for k, v in os.environ.items()
                                       if not k.startswith("SENTRY_PUPPET")})
        first = exec_start_runs()
        created = (tmp_path / "created").read_text()
        second = exec_start_runs()   # in sync: succeeds, keeps nothing more
    assert first.returncode == 0, first.stderr
    assert sentry.project_slugs() == ["foo-bar", "shop"]
    assert sorted(env.dsn_files()) == ["Foo-Bar", "shop"]
    assert pdb.requests == 2
    # The journal gets the sync's lines; the file the same, for Puppet's report.
    assert "+ project foo-bar" in first.stdout and created == first.stdout, (first.stdout, created)
    assert second.returncode == 0, second.stderr
    assert "+ project" not in second.stdout
    assert (tmp_path / "created").read_text() == created


def test_a_failing_sync_fails_the_service_and_keeps_nothing(tmp_path):
    """Server unreachable: the script exits non-zero (the unit fails: `systemctl --failed`)
    and the error reaches stderr (the journal)."""
    env = CliEnv(tmp_path, "http://127.0.0.1:9", "token", backend="sentry", organization="o")
    render_units(tmp_path, CLI, str(env.config))
    result = subprocess.run([str(tmp_path / "sentry-puppet-timer-sync")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True, timeout=120,
                            env={k: v for k, v in os.environ.items()
                                 if not k.startswith("SENTRY_PUPPET")})
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "sentry-puppet:" in result.stderr
    assert not (tmp_path / "created").exists()

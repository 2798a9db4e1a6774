"""sentry::bugsink's snappea unit (templates/bugsink/bugsink-snappea.service.epp), rendered by
Puppet's own EPP engine: `systemd-analyze verify` accepts it, and its command, run once the way
systemd would run it (its user, working directory, environment), digests an event that a real
Bugsink queued. These machines have no systemd as PID 1, so the unit is not started by systemd.
"""
import json
import os
import pathlib
import pwd
import shlex
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.support import bugsink
from tests.support.apache import give_to_run_user, readable_venv, shared_tmpdir
from tests.support.ports import free_port

MODULE = pathlib.Path(__file__).resolve().parent.parent.parent / "puppet-module"
TEMPLATE = MODULE / "templates" / "bugsink" / "bugsink-snappea.service.epp"
VENV = os.path.dirname(os.path.dirname(os.path.abspath(sys.executable)))
USER = "www-data"


def render_unit(directory, venv):
    values = '{venv => "%s", conf_dir => "%s", data_dir => "%s", user => "%s"}' % (
        venv, directory, directory, USER)
    return subprocess.run(["puppet", "epp", "render", "--values", values, str(TEMPLATE)],
                          check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout


def post(server, path, body):
    request = urllib.request.Request(
        "%s/api/canonical/0/%s" % (server.url, path), method="POST", data=json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + server.token, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def unit_settings(text):
    """The [Service] keys this unit uses -> {key: [values]}."""
    settings = {}
    section = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


@pytest.fixture
def queued_bugsink():
    """A real Bugsink whose events wait for the worker (TASK_ALWAYS_EAGER off), owned by the
    unit's user, served as that user."""
    directory = shared_tmpdir("sentry-puppet-snappea-")
    port = free_port()
    url = "http://127.0.0.1:%d" % port
    bugsink.write_conf(directory, url, port=port)
    with open(os.path.join(directory, "bugsink_conf.py"), "a") as handle:
        handle.write('SNAPPEA = {"TASK_ALWAYS_EAGER": False, "NUM_WORKERS": 1, "PID_FILE": None,'
                     ' "WAKEUP_CALLS_DIR": %r}\n' % os.path.join(directory, "wakeup"))
    bugsink.migrate(directory)
    token = bugsink.make_admin(directory)
    give_to_run_user(directory)
    # The unit's user must reach the venv wherever the clone lives (/root is 0700).
    venv = readable_venv(VENV, os.path.join(directory, "venv"))
    server = bugsink.Bugsink(directory, url, port, token)
    server.venv = venv
    entry = pwd.getpwnam(USER)
    log = open(os.path.join(directory, "server.log"), "ab")
    server.process = subprocess.Popen(
        ["setpriv", "--reuid=%d" % entry.pw_uid, "--regid=%d" % entry.pw_gid, "--init-groups",
         "--", os.path.join(venv, "bin", "bugsink-manage"), "runserver",
         "127.0.0.1:%d" % port, "--noreload"],
        cwd=directory, env=bugsink._env(directory), stdout=log, stderr=log,
        stdin=subprocess.DEVNULL)
    log.close()
    deadline = time.monotonic() + 60
    while not server.ready():
        assert server.process.poll() is None, "Bugsink exited; see %s/server.log" % directory
        assert time.monotonic() < deadline, "Bugsink not ready; see %s/server.log" % directory
        time.sleep(0.2)
    try:
        yield server
    finally:
        server.stop()
        subprocess.run(["rm", "-rf", directory])


def test_snappea_unit_verifies_and_its_command_digests_a_queued_event(queued_bugsink, tmp_path):
    server = queued_bugsink
    text = render_unit(server.directory, server.venv)
    unit = tmp_path / "bugsink-snappea.service"
    unit.write_text(text)
    verify = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True)
    assert verify.returncode == 0 and verify.stdout.strip() == "", verify.stdout

    team = post(server, "teams/", {"name": "apps"})
    created = post(server, "projects/", {"team": team["id"], "name": "queued"})
    dsn = server.api("projects/%s/" % created["id"])["dsn"]
    subprocess.run([sys.executable, "-c", (
        "import sentry_sdk; sentry_sdk.init(%r); sentry_sdk.capture_message('queued'); "
        "sentry_sdk.flush(20)" % dsn)], check=True, timeout=120)
    time.sleep(2)
    assert server.api("projects/%s/" % created["id"])["digested_event_count"] == 0, \
        "the event was digested without the worker: the fixture's Bugsink is eager"

    # The unit's command as systemd would run it: its user and group, working directory and
    # environment only.
    settings = unit_settings(text)
    entry = pwd.getpwnam(settings["User"][0])
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    env.update(dict(value.split("=", 1) for value in settings["Environment"]))
    log = open(str(tmp_path / "snappea.log"), "wb")
    worker = subprocess.Popen(
        ["setpriv", "--reuid=%d" % entry.pw_uid, "--regid=%d" % entry.pw_gid, "--init-groups",
         "--"] + shlex.split(settings["ExecStart"][0]),
        cwd=settings["WorkingDirectory"][0], env=env, stdout=log, stderr=log,
        stdin=subprocess.DEVNULL)
    log.close()
    try:
        deadline = time.monotonic() + 90
        while server.api("projects/%s/" % created["id"])["digested_event_count"] < 1:
            assert worker.poll() is None, "the worker exited %d:\n%s" % (
                worker.returncode, (tmp_path / "snappea.log").read_text()[-3000:])
            assert time.monotonic() < deadline, "the worker digested nothing in 90 s:\n%s" % (
                (tmp_path / "snappea.log").read_text()[-3000:])
            time.sleep(0.5)
    finally:
        worker.send_signal(signal.SIGTERM)   # the unit's KillSignal
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()

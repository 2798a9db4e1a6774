"""The Sentry host under a real systemd: a Debian root of this machine's release (or those named
in SENTRY_PUPPET_SYSTEMD_SUITES, e.g. `bookworm,trixie`), booted with
systemd-nspawn (tests/support/booted_root.py), is brought up from bare by its own
`puppet agent` against the e2e's puppetserver + PuppetDB, with the module's defaults (no
`sync_timer`, `worker` or `service_provider` override: the paths, units and services are the
module's own). It proves what the defaults promise:

- the timer, the snappea worker and Apache are active and enabled after the first run;
- the timer fires: a new app's project and DSN appear with no Sentry-host Puppet run between
  the app server's runs N and N+1 (the test shortens the timer's interval with a drop-in, so it
  waits seconds, not 5 minutes; the units are the module's), and the Sentry host's next run
  shows in its report what the timer created;
- snappea (its unit) digests an event sent through Apache;
- a failing sync (Bugsink's Apache down) fails the service: `systemctl --failed` lists it, the
  journal names the cause; the next timer run recovers by itself once Apache is back;
- after `systemctl reboot` and a new boot, Apache, the worker and the timer are back by
  themselves, projects, the event and DSNs are kept, `/dsn/` answers over mTLS, and the next
  Puppet run changes nothing.

Needs root and systemd-nspawn on the machine itself (not a chroot): otherwise one skip line,
and a failure under CI=true. The root is scripts/debian-root's (built once, cached).

Run alone: flock /tmp/sentry-e2e.lock .venv/bin/python -m pytest tests/e2e/test_systemd_host.py -s
The other release (a Debian 13 host's Puppet 8 agent against a Debian 12 machine's puppetserver,
or the other way round), as CI does not by default (its 90 minutes):
  SENTRY_PUPPET_SYSTEMD_SUITES=bookworm,trixie .venv/bin/python -m pytest tests/e2e/test_systemd_host.py
"""
import os
import subprocess
import sys
import time

import pytest
import yaml

from tests.e2e.stack import Agent, write
from tests.e2e.test_bugsink_host import (HIERA_YAML, REPO, SITE_PP, STDLIB, BugsinkApi,
                                         Stages, agent_run, fetch_dsn, hosts_line)
from tests.support import booted_root
from tests.support.missing import missing
from tests.support.ports import free_port

ENVIRONMENT = "systemd"
HOST = "sentry-systemd.example.com"
VERSION = "2.6.2"
UNITS = ("apache2.service", "bugsink-snappea.service", "sentry-puppet-sync.timer")
# A bare host runs none of the suite's other servers (they would take this machine's ports), no
# puppet agent daemon, and Apache not yet: Puppet starts and enables it.
NOT_AT_BOOT = ("apache2.service", "apache-htcacheclean.service", "puppet.service",
               "puppetserver.service", "puppetdb.service", "postgresql.service")
TIMER_DROP_IN = "[Timer]\nOnUnitInactiveSec=15s\nRandomizedDelaySec=0\n"


def native_suite():
    with open("/etc/os-release") as handle:
        fields = dict(line.rstrip("\n").split("=", 1) for line in handle if "=" in line)
    return fields["VERSION_CODENAME"].strip('"')


def booted_suites():
    named = os.environ.get("SENTRY_PUPPET_SYSTEMD_SUITES", "")
    return [suite.strip() for suite in named.split(",") if suite.strip()] or [native_suite()]


@pytest.fixture(params=booted_suites())
def booted(stack, tmp_path_factory, request):
    why = booted_root.unavailable()
    if why:
        missing("systemd leg: %s" % why, " (CI must boot it)")
    directory = tmp_path_factory.mktemp("booted")
    os.chmod(str(directory), 0o755)
    root = booted_root.BootedRoot(booted_root.template(request.param), str(directory),
                                  binds=[str(REPO)])
    try:
        yield root
    finally:
        root.remove()


def test_sentry_host_under_systemd_with_the_module_defaults(stack, booted, capsys):
    stages = Stages()
    https_port, http_port = free_port(), free_port()
    base_url = "https://%s:%d" % (HOST, https_port)
    environment = os.path.join(stack.code, "environments", ENVIRONMENT)
    modules = os.path.join(environment, "modules")
    os.makedirs(modules)
    os.symlink(str(REPO / "puppet-module"), os.path.join(modules, "sentry"))
    os.symlink(STDLIB, os.path.join(modules, "stdlib"))
    write(os.path.join(environment, "manifests", "site.pp"), SITE_PP + (
        "node '%s' {\n  include sentry::bugsink\n  include sentry::server\n}\n" % HOST))
    write(os.path.join(environment, "hiera.yaml"), HIERA_YAML)
    nodes = os.path.join(environment, "data", "nodes")
    # Only what a site must say; everything else (paths, timer, worker, services) the defaults.
    write(os.path.join(nodes, HOST + ".yaml"), yaml.safe_dump({
        "lookup_options": {"sentry::bugsink::admin_password": {"convert_to": "Sensitive"}},
        "sentry::bugsink::version": VERSION,
        "sentry::bugsink::base_url": base_url,
        "sentry::bugsink::admin_email": "ops@example.com",
        "sentry::bugsink::admin_password": "e2e-admin-password",
        "sentry::server::environment": ENVIRONMENT,   # the exports of this test's app server
        "sentry::server::backend": "bugsink",
        "sentry::server::url": base_url,
        "sentry::server::package_source": str(REPO),
        "sentry::server::vhost": {"server_name": HOST, "listen": https_port,
                                  "http_port": http_port},
        "sentry::server::ports_file": "/etc/apache2/ports.conf",
    }))

    # The root as a bare host: nothing of the suite's servers at boot, its own name, an agent
    # pointed at the e2e's puppetserver, Apache's ports on loopback and free (shared network).
    booted.disable(*NOT_AT_BOOT)
    with open(booted.path("/etc/hosts"), "a") as handle:
        handle.write("127.0.0.1 %s\n" % HOST)
    write(booted.path("/etc/puppet/puppet.conf"),
          "[main]\ncertname = %s\nserver = localhost\nserverport = %d\nenvironment = %s\n"
          "http_keepalive_timeout = 0\n" % (HOST, stack.ps_port, ENVIRONMENT))
    write(booted.path("/etc/apache2/ports.conf"),
          "Listen 127.0.0.1:%d\nListen 127.0.0.1:%d\n" % (https_port, http_port))
    write(booted.path("/etc/systemd/system/sentry-puppet-sync.timer.d/e2e-interval.conf"),
          TIMER_DROP_IN)
    mark = time.monotonic()
    booted.boot()
    stages("root booted (systemd PID 1)", time.monotonic() - mark)

    app_root = os.path.join(stack.root, "systemd-e2e", "apps")
    certname = "app01-systemd.example.com"
    agent_dir = os.path.join(stack.root, "agents", certname)
    write(os.path.join(app_root, "Foo-Bar", "Gemfile"), "")
    write(os.path.join(nodes, certname + ".yaml"), yaml.safe_dump({
        "sentry::client::environment": ENVIRONMENT,
        "sentry::client::dsn_url": base_url + "/dsn/",
        "sentry::client::app_roots": [app_root],
        "sentry::client::config_file": os.path.join(agent_dir, "facts.conf"),
        "sentry::client::cache_dir": os.path.join(agent_dir, "cache"),
        "sentry::client::negative_ttl": 1,
        "sentry::client::ca_file": os.path.join(agent_dir, "ssl", "certs", "ca.pem"),
        "sentry::client::cert_file": os.path.join(agent_dir, "ssl", "certs", certname + ".pem"),
        "sentry::client::key_file": os.path.join(agent_dir, "ssl", "private_keys",
                                                 certname + ".pem"),
    }))
    app = Agent(stack, certname, env={"SENTRY_PUPPET_FACTS_CONFIG": os.path.join(
        agent_dir, "facts.conf")}, environment=ENVIRONMENT)

    def sentry_host_run(label, expected):
        started = time.monotonic()
        result = booted.run("puppet agent --test --detailed-exitcodes --color=false",
                            check=False, timeout=1800)
        stages(label, time.monotonic() - started)
        assert result.returncode in expected, "%s: exit %d\n%s" % (
            label, result.returncode, result.stdout[-8000:])
        return result.stdout

    try:
        with hosts_line(HOST):
            _under_systemd(stack, stages, booted, app, app_root, base_url, sentry_host_run)
    finally:
        with capsys.disabled():
            print("\n== the Sentry host under systemd (%s root, wall seconds) ==" % native_suite())
            for label, seconds in stages.times:
                print("  %-56s %6.1f" % (label, seconds))
            print("  %-56s %6.1f" % ("whole case", time.monotonic() - stages.started))


def systemctl(booted, *args):
    return booted.run("systemctl " + " ".join(args), check=False).stdout.strip()


def wait_for(what, predicate, timeout):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "%s: not within %d s" % (what, timeout)
        time.sleep(1)


def _under_systemd(stack, stages, booted, app, app_root, base_url, sentry_host_run):
    dsn_dir = booted.path("/var/lib/sentry_puppet/dsn")

    # 1. The app server exports Foo-Bar; the Sentry host from bare, the module's defaults.
    agent_run(app, stages, "app01 run 1 (facts.conf)", (0, 2))
    agent_run(app, stages, "app01 run 2 (exports Foo-Bar)", (0, 2))
    stack.wait_for_exports(app.certname, 1)
    out = sentry_host_run("sentry host run 1 (from bare, under systemd)", (2,))
    assert "e2e-admin-password" not in out
    for unit in UNITS:
        assert systemctl(booted, "is-active", unit) == "active", (unit, out[-6000:])
        assert systemctl(booted, "is-enabled", unit) == "enabled", unit
    api = BugsinkApi(base_url, booted.path("/etc/bugsink/token"), app.ca_file)
    projects = api.projects()
    assert sorted(projects) == ["Foo-Bar"], projects
    assert os.path.exists(os.path.join(dsn_dir, "Foo-Bar"))
    agent_run(app, stages, "app01 run 3 (gets the Foo-Bar DSN)", (2,))
    with open(os.path.join(app_root, "Foo-Bar", "sentry.env")) as handle:
        dsn = handle.read().strip().split("=", 1)[1]

    # 2. A new app: its app server's run N exports it; the timer (no Sentry-host Puppet run)
    #    makes its project and DSN; run N+1 gets it.
    write(os.path.join(app_root, "billing", "requirements.txt"), "")
    agent_run(app, stages, "app01 run N (exports billing)", (0, 2))   # an export alone changes nothing here
    stack.wait_for_exports(app.certname, 2)
    mark = time.monotonic()
    wait_for("the timer's sync made billing's DSN",
             lambda: os.path.exists(os.path.join(dsn_dir, "billing")), 120)
    stages("timer fired: billing's project and DSN", time.monotonic() - mark)
    journal = booted.run("journalctl -u sentry-puppet-sync.service -o cat --no-pager").stdout
    assert "+ project billing" in journal, journal[-3000:]
    agent_run(app, stages, "app01 run N+1 (gets the billing DSN)", (2,))
    assert os.path.exists(os.path.join(app_root, "billing", "sentry.env"))
    # The Sentry host's next run shows what the timer created; the one after changes nothing.
    out = sentry_host_run("sentry host run 2 (shows what the timer made)", (2,))
    assert "+ project billing" in out, out[-4000:]
    sentry_host_run("sentry host run 3 (in sync)", (0,))

    # 3. snappea, as its unit, digests an event sent through Apache.
    mark = time.monotonic()
    subprocess.run([sys.executable, "-c", (
        "import sentry_sdk; sentry_sdk.init(%r, ca_certs=%r); "
        "sentry_sdk.capture_message('hello from the systemd e2e'); sentry_sdk.flush(20)"
        % (dsn, app.ca_file))], check=True, timeout=120)
    wait_for("the worker digested the event", lambda: api.events(projects["Foo-Bar"]) >= 1, 90)
    stages("event sent through Apache, digested by snappea", time.monotonic() - mark)

    # 4. A failing sync (Apache down) shows the systemd way, and recovers by itself.
    booted.run("systemctl stop apache2")
    mark = time.monotonic()
    wait_for("the failed sync in systemctl --failed", lambda: "sentry-puppet-sync.service" in
             systemctl(booted, "--failed", "--no-legend", "--plain"), 120)
    journal = booted.run("journalctl -u sentry-puppet-sync.service -o cat --no-pager -n 30").stdout
    assert "sentry-puppet:" in journal, journal   # the tool's own error line, naming the cause
    stages("failing sync visible (systemctl --failed, journal)", time.monotonic() - mark)
    booted.run("systemctl start apache2")
    mark = time.monotonic()
    wait_for("the timer's next sync recovered", lambda: systemctl(
        booted, "show", "-p", "Result", "--value", "sentry-puppet-sync.service") == "success"
        and "sentry-puppet-sync" not in systemctl(booted, "--failed", "--no-legend"), 120)
    stages("next timer run recovered", time.monotonic() - mark)

    # 5. A reboot: everything back by itself, nothing lost, the next run changes nothing.
    mark = time.monotonic()
    booted.reboot()
    stages("systemctl reboot, booted again", time.monotonic() - mark)
    for unit in UNITS:
        wait_for("%s active after the reboot" % unit,
                 lambda: systemctl(booted, "is-active", unit) == "active", 60)
    kept = api.projects()
    assert sorted(kept) == ["Foo-Bar", "billing"] and kept["Foo-Bar"] == projects["Foo-Bar"]
    assert api.events(projects["Foo-Bar"]) >= 1
    assert sorted(os.listdir(dsn_dir)) == ["Foo-Bar", "billing"]
    assert fetch_dsn(app, base_url, "Foo-Bar") == (200, dsn)
    sentry_host_run("sentry host run 4 (after the reboot: no change)", (0,))
    assert systemctl(booted, "--failed", "--no-legend", "--plain") == ""

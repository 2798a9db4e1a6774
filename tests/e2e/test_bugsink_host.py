"""The Sentry host from a bare machine by Puppet alone: `sentry::bugsink` + `sentry::server`,
data in Hiera only, on the real puppetserver + PuppetDB stack.

The Sentry host starts with no Bugsink, no venv, no token and Apache stopped. Its runs install
Bugsink 2.5.1, serve it through the system Apache (its init script: no systemd here) over HTTPS
with the agent's own certificate, create the token, create every exported app's project once
and publish the DSNs; the app servers' next runs get them; an event sent by sentry-sdk through
Apache is stored; the next run changes nothing. Then `version` goes to 2.6.2: one run upgrades
and migrates, nothing is lost, the run after changes nothing. Once on SQLite, once on the
stack's PostgreSQL (`database_url`), the two classes declared in opposite orders. The SQLite
case serves the agent's own certificate; the PostgreSQL case one from a second CA playing a
public one (`sentry::bugsink::ca_file`): the Sentry host's checks and tool trust that CA, the
app servers' facts are given it (`sentry::client::ca_file`), `/dsn/` still asks for Puppet
client certificates, and the SDK sends its event with that CA only in its process's system
store (SSL_CERT_FILE), no `ca_certs`.

Touches the system: /etc/apache2 (restored after each case), the apache2 instance the Sentry
host's run starts (stopped after by its pid file), one /etc/hosts line per case (removed).

Run alone: .venv/bin/python -m pytest tests/e2e/test_bugsink_host.py -s
"""
import contextlib
import glob
import os
import pathlib
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import pytest
import yaml

from tests.e2e.stack import Agent, peak_rss_mib, postgresql_bin, run, write
from tests.support.bugsink import api_get
from tests.support.ports import free_port

REPO = pathlib.Path(__file__).resolve().parent.parent.parent
STDLIB = "/usr/share/puppet/modules/stdlib"
ENVIRONMENT = "bugsink"
APACHE_CONF = "/etc/apache2"
APACHE_PID_FILE = "/run/apache2/apache2.pid"
OLD, NEW = "2.5.1", "2.6.2"

SITE_PP = """
node /^app\\d+-/ {
  include sentry::client
  # What an app's own manifest does: SENTRY_DSN once the DSN is known.
  $facts['sentry_apps'].each |$app, $info| {
    $dsn = sentry::dsn($app)
    if $dsn {
      file { "${info['path']}/sentry.env": content => "SENTRY_DSN=${dsn}\\n" }
    }
  }
}

# Both orders: the classes never look at each other at compile time.
node /^sentry-sqlite\\./ {
  include sentry::bugsink
  include sentry::server
}
node /^sentry-postgresql\\./ {
  include sentry::server
  include sentry::bugsink
}
"""

HIERA_YAML = """---
version: 5
defaults:
  datadir: data
  data_hash: yaml_data
hierarchy:
  - name: "per node"
    path: "nodes/%{trusted.certname}.yaml"
"""


class Stages:
    def __init__(self):
        self.times = []
        self.figures = []
        self.started = time.monotonic()

    def __call__(self, label, seconds):
        self.times.append((label, seconds))


def agent_run(agent, stages, label, expected):
    code, output, seconds = agent.run()
    stages(label, seconds)
    assert code in expected, "%s: exit %d\n%s" % (label, code, output[-8000:])
    return output


def apache_pid():
    try:
        with open(APACHE_PID_FILE) as handle:
            pid = int(handle.read().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


@pytest.fixture
def system_apache():
    """The system Apache as a bare host has it: stopped. After the case: the instance Puppet
    started is stopped (by its pid file) and /etc/apache2 is put back as it was."""
    pid = apache_pid()
    if pid:
        pytest.fail("the system Apache is running (pid %d, %s): this test brings it up from "
                    "stopped; stop it first" % (pid, APACHE_PID_FILE))
    backup = tempfile.mkdtemp(prefix="sentry-puppet-apache2-")
    shutil.copytree(APACHE_CONF, os.path.join(backup, "apache2"), symlinks=True)
    try:
        yield
    finally:
        pid = apache_pid()
        if pid:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 30
            while apache_pid() == pid and time.monotonic() < deadline:
                time.sleep(0.2)
        shutil.rmtree(APACHE_CONF)
        shutil.copytree(os.path.join(backup, "apache2"), APACHE_CONF, symlinks=True)
        shutil.rmtree(backup)


@contextlib.contextmanager
def hosts_line(name):
    """The Sentry host's certname resolves to this machine. /etc/hosts is often bind-mounted:
    rewritten in place, never renamed."""
    line = "127.0.0.1 %s\n" % name
    with open("/etc/hosts", "a") as handle:
        handle.write(line)
    try:
        yield
    finally:
        with open("/etc/hosts") as handle:
            text = handle.read()
        with open("/etc/hosts", "w") as handle:
            handle.write(text.replace(line, "", 1))


def psql(stack, *args, database="postgres"):
    return run([postgresql_bin() + "/psql", "-h", "127.0.0.1", "-p", str(stack.pg_port),
                "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-At"] + list(args))


class BugsinkApi:
    def __init__(self, base_url, token_file, ca_file):
        self.base_url = base_url
        self.token_file = token_file
        self.context = ssl.create_default_context(cafile=ca_file)

    def get(self, path):
        with open(self.token_file) as handle:
            token = handle.read().strip()
        return api_get(self.base_url, token, path, context=self.context, timeout=30)

    def projects(self):
        return {p["name"]: p["id"] for p in self.get("projects/")}

    def events(self, project_id):
        return self.get("projects/%d/" % project_id)["digested_event_count"]


def wsgi_daemon_peak_rss():
    """Peak RSS (MiB) of each mod_wsgi daemon process of the Apache the Sentry host's run
    started: its children whose title mod_wsgi set to `(wsgi:GROUP)` (cut to the length of
    the original command line)."""
    master = apache_pid()
    peaks = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        pid = int(stat.split("/")[2])
        try:
            with open(stat) as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            with open("/proc/%d/cmdline" % pid, "rb") as handle:
                title = handle.read()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == master and title.startswith(b"(wsgi:"):
            peak = peak_rss_mib(pid)
            if peak:
                peaks.append(peak)
    return peaks


def served_certificate(port):
    pem = ssl.get_server_certificate(("127.0.0.1", port))
    return ssl.PEM_cert_to_DER_cert(pem)


def read_der(path):
    with open(path) as handle:
        return ssl.PEM_cert_to_DER_cert(handle.read())


class VhostTls:
    """The vhost's certificate and what trusts it: the agent's own and the Puppet CA, or one
    from a second CA playing a public one, whose CA sits in a copy of the system store."""

    def __init__(self, cert_file, key_file, ca_file, public):
        self.cert_file, self.key_file, self.ca_file, self.public = (
            cert_file, key_file, ca_file, public)

    @classmethod
    def from_second_ca(cls, directory, host):
        os.makedirs(directory)
        path = lambda name: os.path.join(directory, name)   # noqa: E731
        run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-keyout", path("ca.key"), "-out", path("ca.pem"), "-subj", "/CN=e2e public CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("vhost.key"),
             "-out", path("vhost.csr"), "-subj", "/CN=" + host])
        write(path("vhost.ext"), "subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\n"
              "keyUsage=critical,digitalSignature,keyEncipherment\n"
              "extendedKeyUsage=serverAuth\nauthorityKeyIdentifier=keyid\n" % host)
        run(["openssl", "x509", "-req", "-in", path("vhost.csr"), "-CA", path("ca.pem"),
             "-CAkey", path("ca.key"), "-CAcreateserial", "-days", "2",
             "-extfile", path("vhost.ext"), "-out", path("vhost.pem")])
        os.chmod(path("vhost.key"), 0o600)
        # A system store with that CA in it, as a public CA is in every Debian's.
        with open("/etc/ssl/certs/ca-certificates.crt") as system, open(path("ca.pem")) as ca:
            write(path("system-store.pem"), system.read() + ca.read())
        return cls(path("vhost.pem"), path("vhost.key"), path("system-store.pem"), True)


@pytest.mark.parametrize("database,vhost_ca", [("sqlite", "puppet"), ("postgresql", "public")])
def test_sentry_host_from_bare_by_puppet_alone(stack, system_apache, database, vhost_ca, capsys):
    stages = Stages()
    root = os.path.join(stack.root, "bugsink-e2e", database)
    tag = "bugsink-" + database   # the exports this case's Sentry host reads
    environment = os.path.join(stack.code, "environments", ENVIRONMENT)
    modules = os.path.join(environment, "modules")
    if not os.path.isdir(modules):
        os.makedirs(modules)
        os.symlink(str(REPO / "puppet-module"), os.path.join(modules, "sentry"))
        os.symlink(STDLIB, os.path.join(modules, "stdlib"))
        write(os.path.join(environment, "manifests", "site.pp"), SITE_PP)
        write(os.path.join(environment, "hiera.yaml"), HIERA_YAML)

    host = "sentry-%s.example.com" % database
    https_port, http_port = free_port(), free_port()
    # Debian's ports.conf listens on 0.0.0.0:80 and :443; a test's server listens on 127.0.0.1
    # only, on free ports. The module's file_line keeps an existing `Listen` for a port.
    write(os.path.join(APACHE_CONF, "ports.conf"),
          "Listen 127.0.0.1:%d\nListen 127.0.0.1:%d\n" % (https_port, http_port))
    base_url = "https://%s:%d" % (host, https_port)
    venv = os.path.join(root, "bugsink", "venv")
    conf_dir = os.path.join(root, "bugsink", "etc")
    tool_dir = os.path.join(root, "tool")
    dsn_dir = os.path.join(root, "dsn")
    token_file = os.path.join(conf_dir, "token")
    os.makedirs(root)
    os.chmod(os.path.dirname(root), 0o755)
    tls = (VhostTls.from_second_ca(os.path.join(root, "public-ca"), host)
           if vhost_ca == "public" else None)

    def sentry_host_data(version):
        data = {
            "lookup_options": {"sentry::bugsink::admin_password": {"convert_to": "Sensitive"},
                               "sentry::bugsink::database_url": {"convert_to": "Sensitive"}},
            "sentry::bugsink::version": version,
            "sentry::bugsink::base_url": base_url,
            "sentry::bugsink::admin_email": "ops@example.com",
            "sentry::bugsink::admin_password": "e2e-admin-password",
            "sentry::bugsink::worker": False,
            "sentry::bugsink::service_provider": "debian",
            "sentry::bugsink::venv": venv,
            "sentry::bugsink::conf_dir": conf_dir,
            "sentry::bugsink::data_dir": os.path.join(root, "bugsink", "data"),
            # A tag of its own: the stack (and PuppetDB) is shared by every e2e test.
            "sentry::server::environment": tag,
            "sentry::server::sync_timer": False,          # no systemd as PID 1 here
            "sentry::server::backend": "bugsink",
            "sentry::server::url": base_url,
            "sentry::server::package_source": str(REPO),
            "sentry::server::venv": os.path.join(root, "tool-venv"),
            "sentry::server::config_dir": tool_dir,     # sentry::bugsink follows it (module data)
            "sentry::server::definitions_dir": os.path.join(tool_dir, "projects.d"),
            "sentry::server::dsn_dir": dsn_dir,
            "sentry::server::vhost": {"server_name": host, "listen": https_port,
                                      "http_port": http_port},
            "sentry::server::ports_file": "/etc/apache2/ports.conf",
        }
        if tls.public:
            data["sentry::server::vhost"].update(ssl_certificate=tls.cert_file,
                                                 ssl_certificate_key=tls.key_file)
            data["sentry::bugsink::ca_file"] = tls.ca_file
        if database == "postgresql":
            data["sentry::bugsink::database_url"] = (
                "postgresql://bugsink:e2e-db-password@127.0.0.1:%d/bugsink" % stack.pg_port)
        write(os.path.join(environment, "data", "nodes", host + ".yaml"), yaml.safe_dump(data))

    if database == "postgresql":
        psql(stack, "-c", "CREATE ROLE bugsink LOGIN PASSWORD 'e2e-db-password'",
             "-c", "CREATE DATABASE bugsink OWNER bugsink")

    def node(certname):
        facts_conf = os.path.join(stack.root, "agents", certname, "facts.conf")
        return Agent(stack, certname, env={"SENTRY_PUPPET_FACTS_CONFIG": facts_conf},
                     environment=ENVIRONMENT)

    apps = {}
    for number, names in ((1, {"Foo-Bar": ("Gemfile", "package.json"),
                                "billing": ("manage.py", "requirements.txt")}),
                          (2, {"Foo-Bar": ("Gemfile", "package.json")})):
        certname = "app%02d-%s.example.com" % (number, database)
        app_root = os.path.join(root, "apps", certname)
        for app, files in names.items():
            for name in files:
                write(os.path.join(app_root, app, name), "")
        agent_dir = os.path.join(stack.root, "agents", certname)
        write(os.path.join(environment, "data", "nodes", certname + ".yaml"), yaml.safe_dump({
            "sentry::client::environment": tag,
            "sentry::client::dsn_url": base_url + "/dsn/",
            "sentry::client::app_roots": [app_root],
            "sentry::client::config_file": os.path.join(agent_dir, "facts.conf"),
            "sentry::client::cache_dir": os.path.join(agent_dir, "cache"),
            "sentry::client::ca_file": tls.ca_file if tls else os.path.join(
                agent_dir, "ssl", "certs", "ca.pem"),
            "sentry::client::cert_file": os.path.join(agent_dir, "ssl", "certs",
                                                      certname + ".pem"),
            "sentry::client::key_file": os.path.join(agent_dir, "ssl", "private_keys",
                                                     certname + ".pem"),
        }))
        apps[certname] = (node(certname), app_root, sorted(names))
    sentry_host = node(host)
    tls = tls or VhostTls(sentry_host.cert_file, sentry_host.key_file, sentry_host.ca_file, False)
    # Check the CA's CRL at every run (Puppet's default: never), so a revocation reaches it.
    with open(os.path.join(sentry_host.conf, "puppet.conf"), "a") as handle:
        handle.write("crl_refresh_interval = 1\n")
    sentry_host_data(OLD)

    try:
        with hosts_line(host):
            _bare_to_upgraded(stack, stages, database, sentry_host, apps, base_url, https_port,
                              venv, token_file, dsn_dir, sentry_host_data, tls)
    finally:
        with capsys.disabled():
            print("\n== sentry::bugsink e2e, %s (wall seconds) ==" % database)
            for label, seconds in stages.times:
                print("  %-52s %6.1f" % (label, seconds))
            print("  %-52s %6.1f" % ("whole case", time.monotonic() - stages.started))
            for label, value in stages.figures:
                print("  %-52s %s" % (label, value))


def _bare_to_upgraded(stack, stages, database, sentry_host, apps, base_url, https_port, venv,
                      token_file, dsn_dir, sentry_host_data, tls):
    # The Sentry host is bare: no Bugsink, no venv, no token, Apache stopped, mod_ssl off.
    assert apache_pid() is None
    assert not os.path.exists(venv) and not os.path.exists(token_file)
    assert not os.path.exists("/etc/apache2/mods-enabled/ssl.load"), \
        "mod_ssl is enabled in /etc/apache2: not the bare Debian this test starts from"

    # 1. The app servers: run 1 writes facts.conf, run 2 exports their apps.
    for certname, (agent, _, names) in apps.items():
        agent_run(agent, stages, "%s run 1 (facts.conf)" % certname.split(".")[0], (0, 2))
        agent_run(agent, stages, "%s run 2 (exports)" % certname.split(".")[0], (0, 2))
        stack.wait_for_exports(certname, len(names))

    # 2. The Sentry host from bare: Bugsink, Apache, token, projects, DSNs in one run.
    out = agent_run(sentry_host, stages, "sentry host run 1 (from bare)", (2,))
    first_run = stages.times[-1][1]
    assert "e2e-admin-password" not in out and "e2e-db-password" not in out
    assert apache_pid(), "Apache is not running after the Sentry host's first run"
    assert os.stat(token_file).st_mode & 0o777 == 0o600
    with open(token_file) as handle:
        assert handle.read().strip() not in out
    # The admin password reached createsuperuser through its 0600 file: the admin logs in.
    conf_dir = os.path.dirname(token_file)
    assert os.stat(os.path.join(conf_dir, "admin_password")).st_mode & 0o777 == 0o600
    login = run([os.path.join(conf_dir, "bugsink-manage"), "shell", "-c",
                 "from django.contrib.auth import authenticate; print('login:', authenticate("
                 "username='ops@example.com', password='e2e-admin-password'))"])
    assert "login: ops@example.com" in login, login
    # Over HTTPS with the agent's own certificate, or the second CA's (then `bugsink ready`
    # and the sync trusted that CA, or this run would have failed).
    assert served_certificate(https_port) == read_der(tls.cert_file)
    api = BugsinkApi(base_url, token_file, tls.ca_file)
    projects = api.projects()
    assert sorted(projects) == ["Foo-Bar", "billing"], projects
    dsns = {}
    for app in projects:
        with open(os.path.join(dsn_dir, app)) as handle:
            dsns[app] = handle.read().strip()
        assert dsns[app].startswith("https://") and dsns[app].split("@")[1].startswith(
            base_url[len("https://"):]), dsns[app]
    if database == "postgresql":
        assert psql(stack, "-c", "SELECT count(*) FROM projects_project",
                    database="bugsink").strip() == "2"

    # 3. The app servers' next runs put the DSNs into their apps' environments.
    for certname, (agent, app_root, names) in apps.items():
        agent_run(agent, stages, "%s run 3 (gets DSNs)" % certname.split(".")[0], (2,))
        for app in names:
            with open(os.path.join(app_root, app, "sentry.env")) as handle:
                assert handle.read() == "SENTRY_DSN=%s\n" % dsns[app]

    # 4. An event sent to a DSN through Apache is stored (worker => false: digested eagerly).
    # With the second CA, the SDK is given no CA: its process's system store holds it.
    mark = time.monotonic()
    send_event(dsns["Foo-Bar"], tls)
    deadline = time.monotonic() + 60
    while api.events(projects["Foo-Bar"]) < 1:
        assert time.monotonic() < deadline, "Bugsink stored no event for Foo-Bar"
        time.sleep(0.5)
    stages("event sent through Apache and stored", time.monotonic() - mark)

    # 5. Nothing changed: the Sentry host's next run changes nothing.
    agent_run(sentry_host, stages, "sentry host run 2 (in sync)", (0,))
    in_sync = stages.times[-1][1]
    stages.figures.append(("Sentry host: first run from bare / in-sync run",
                           "%.1f s / %.1f s" % (first_run, in_sync)))
    peaks = wsgi_daemon_peak_rss()
    assert peaks, "no mod_wsgi daemon process (wsgi:sentry_puppet) found"
    stages.figures.append(("WSGI daemon peak RSS (%s), per process" % OLD,
                           ", ".join("%.0f MiB" % p for p in peaks)))

    # 6. The upgrade: one run upgrades and migrates; nothing is lost; the next changes nothing.
    sentry_host_data(NEW)
    agent_run(sentry_host, stages, "sentry host run 3 (%s -> %s)" % (OLD, NEW), (2,))
    site_packages = glob.glob(os.path.join(venv, "lib", "python3*", "site-packages"))[0]
    assert os.path.isdir(os.path.join(site_packages, "bugsink-%s.dist-info" % NEW))
    assert not os.path.exists(os.path.join(site_packages, "bugsink-%s.dist-info" % OLD))
    assert api.projects() == projects
    assert api.events(projects["Foo-Bar"]) >= 1
    for app, dsn in dsns.items():
        with open(os.path.join(dsn_dir, app)) as handle:
            assert handle.read().strip() == dsn
    agent_run(sentry_host, stages, "sentry host run 4 (in sync after upgrade)", (0,))
    # The new version serves: mod_wsgi's daemon was restarted, and it answers.
    assert api.projects() == projects
    peaks = wsgi_daemon_peak_rss()
    stages.figures.append(("WSGI daemon peak RSS (%s), per process" % NEW,
                           ", ".join("%.0f MiB" % p for p in peaks)))
    for certname, (agent, _, _) in apps.items():
        agent_run(agent, stages, "%s run 4 (no change)" % certname.split(".")[0], (0,))

    if database == "sqlite":
        _revocation_reaches_apache(stack, stages, sentry_host, apps, base_url)


def send_event(dsn, tls):
    """One sentry-sdk event: with the Puppet CA as `ca_certs` (an SDK cannot know it), or,
    for the second CA, with no CA setting and that CA in the process's system store."""
    env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")}
    if tls.public:
        env["SSL_CERT_FILE"] = tls.ca_file
        init = "sentry_sdk.init(%r)" % dsn
    else:
        init = "sentry_sdk.init(%r, ca_certs=%r)" % (dsn, tls.ca_file)
    subprocess.run([sys.executable, "-c", (
        "import sentry_sdk; %s; sentry_sdk.capture_message('hello from the bugsink e2e'); "
        "sentry_sdk.flush(20)" % init)], check=True, timeout=120, env=env)


def fetch_dsn(agent, base_url, app):
    """GET /dsn/APP with AGENT's certificate -> (status, body); raises on a refused handshake."""
    context = ssl.create_default_context(cafile=agent.ca_file)
    context.load_cert_chain(agent.cert_file, agent.key_file)
    context.post_handshake_auth = True
    request = urllib.request.Request("%s/dsn/%s" % (base_url, app))
    with urllib.request.urlopen(request, context=context, timeout=30) as response:
        return response.status, response.read().decode().strip()


def _revocation_reaches_apache(stack, stages, sentry_host, apps, base_url):
    """`puppetserver ca revoke` an app server; the Sentry host's next run sees the new CRL and
    reloads Apache; that agent's certificate is refused, the other's still served."""
    (kept, _, _), (revoked, _, _) = apps.values()
    assert fetch_dsn(revoked, base_url, "Foo-Bar")[0] == 200
    run(["puppetserver", "ca", "revoke", "--certname", revoked.certname, "--config",
         os.path.join(stack.server_conf, "puppet.conf")])
    # Apache has not re-read the CRL: the revoked agent still gets its DSN.
    assert fetch_dsn(revoked, base_url, "Foo-Bar")[0] == 200
    out = agent_run(sentry_host, stages, "sentry host run 5 (new CRL: Apache reloads)", (2,))
    assert "puppet-crl.pem" in out and "Service[apache2]" in out, out[-4000:]
    with pytest.raises((ssl.SSLError, ConnectionError, urllib.error.URLError)):
        fetch_dsn(revoked, base_url, "Foo-Bar")
    assert fetch_dsn(kept, base_url, "Foo-Bar")[0] == 200
    agent_run(sentry_host, stages, "sentry host run 6 (in sync)", (0,))

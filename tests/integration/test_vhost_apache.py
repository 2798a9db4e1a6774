"""The rendered vhost in a real Apache (mod_ssl, mod_wsgi): /dsn/ for Puppet agents only, with
curl and with the facts' own client; Bugsink under mod_wsgi behind it; `apache2 -t` for both
modes. The site is rendered by the real `sentry-puppet render-vhost` command."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import pytest
import yaml

from tests.facts_support import load_fact_module
from tests.support import bugsink
from tests.support.apache import (Apache, give_to_run_user, readable_copy, remove_tree,
                                  shared_tmpdir)
from tests.support.ports import free_port
from tests.support.pki import TestPKI

CLI = os.path.join(os.path.dirname(os.path.abspath(sys.executable)), "sentry-puppet")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV = os.path.dirname(os.path.dirname(os.path.abspath(sys.executable)))
DSN = "https://0123456789abcdef0123456789abcdef@sentry.example.com/42"


class Site:
    """A config.yaml with a `vhost` section, in a directory Apache's user can read."""

    def __init__(self, mode, proxy=None, **wsgi):
        self.root = shared_tmpdir("sentry-puppet-vhost-")
        self.pki = TestPKI.create(os.path.join(self.root, "pki"))
        os.chmod(os.path.join(self.root, "pki"), 0o755)
        self.dsn_dir = os.path.join(self.root, "dsn")
        os.makedirs(self.dsn_dir, mode=0o755)
        os.chmod(self.dsn_dir, 0o755)
        self.https_port, self.http_port = free_port(), free_port()
        self.url = "https://127.0.0.1:%d" % self.https_port
        self.site_file = os.path.join(self.root, "site.conf")
        vhost = {
            "path": self.site_file, "server_name": "localhost",
            "listen": self.https_port, "http_port": self.http_port,
            "ssl_certificate": self.pki.server.cert,
            "ssl_certificate_key": self.pki.server.key,
            "client_ca_file": self.pki.ca_file, "client_crl_file": self.pki.crl_file,
        }
        if mode == "wsgi":
            vhost["wsgi"] = wsgi
        else:
            vhost["proxy"] = proxy or "http://127.0.0.1:%d" % free_port()  # none listens
        self.config = os.path.join(self.root, "config.yaml")
        with open(self.config, "w", encoding="utf-8") as handle:
            yaml.safe_dump({"backend": "bugsink", "url": self.url, "team": "apps",
                            "dsn_dir": self.dsn_dir, "ca_file": self.pki.ca_file,
                            "definitions_dir": os.path.join(self.root, "defs"),
                            "token_file": os.path.join(self.root, "token"), "timeout": 10,
                            "vhost": vhost}, handle)

    def cli(self, *args):
        # The token comes from token_file only, never from this process's environment.
        env = {k: v for k, v in os.environ.items() if k != "SENTRY_PUPPET_TOKEN"}
        return subprocess.run([CLI, "--config", self.config] + list(args), env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=120)

    def render(self):
        result = self.cli("render-vhost")
        assert result.returncode == 0, result.stderr
        return self

    def apache(self):
        return Apache(os.path.join(self.root, "apache"), self.site_file,
                      [self.https_port, self.http_port])

    def publish(self, app, dsn=DSN):
        with open(os.path.join(self.dsn_dir, app), "w", encoding="utf-8") as handle:
            handle.write(dsn + "\n")
        os.chmod(os.path.join(self.dsn_dir, app), 0o644)


def curl(url, ca_file, pair=None, *extra):
    """-> (HTTP status or None when no HTTP answer came, body, curl's stderr)."""
    command = ["curl", "-sS", "--path-as-is", "--max-time", "20", "--cacert", ca_file,
               "-o", "-", "-w", "\n%{http_code}"] + list(extra)
    if pair is not None:
        command += ["--cert", pair.cert, "--key", pair.key]
    result = subprocess.run(command + [url], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, timeout=60)
    body, _, code = result.stdout.rpartition("\n")
    status = int(code) if result.returncode == 0 and code != "000" else None
    return status, body, result.stderr


def facts_client():
    """The facts' fetch_dsn, loaded without writing facts/__pycache__/ (pluginsync ships it)."""
    return load_fact_module().fetch_dsn


# ---------------------------------------------------------------------------------------------
# Both renderings are valid Apache configuration.

@pytest.mark.parametrize("mode", ["wsgi", "proxy"])
def test_apache_accepts_the_rendered_site(mode):
    venv = os.path.dirname(os.path.dirname(os.path.abspath(sys.executable)))
    site = Site(mode, python_home=venv, script=bugsink_wsgi_script(venv), processes=3,
                threads=5, static_dir=os.path.join(venv, "static"))
    try:
        site.render()
        with open(site.site_file, encoding="utf-8") as handle:
            text = handle.read()
        assert not re.search(r"^\s*Listen\b", text, re.M)  # ports.conf's business
        assert ("WSGIDaemonProcess" in text) == (mode == "wsgi")
        assert ("ProxyPass /" in text) == (mode == "proxy")
        result = site.apache().configtest()
        assert result.returncode == 0, result.stdout
        assert "Syntax OK" in result.stdout
    finally:
        remove_tree(site.root)


def bugsink_wsgi_script(venv):
    return os.path.join(venv, "lib", "python%d.%d" % sys.version_info[:2], "site-packages",
                        "bugsink", "wsgi.py")


# ---------------------------------------------------------------------------------------------
# /dsn/<app>: agents of the configured CA only.

@pytest.fixture(scope="module")
def dsn_site():
    site = Site("proxy").render()
    site.publish("shop")
    # Things next to and inside dsn_dir that must never be served.
    with open(os.path.join(site.root, "secret"), "w") as handle:
        handle.write("SECRET-OUTSIDE-DSN-DIR\n")
    os.chmod(os.path.join(site.root, "secret"), 0o644)
    os.symlink(os.path.join(site.root, "secret"), os.path.join(site.dsn_dir, "link"))
    site.publish(".shop.tmp1234", "https://temp@sentry.example.com/1")
    apache = site.apache().start()
    yield site
    apache.stop()
    remove_tree(site.root)


def dsn_url(site, path):
    return site.url + "/dsn/" + path


# The same checks with both clients an agent may use: curl, and the facts' own fetch_dsn.
CLIENTS = ["curl", "facts"]


def fetch(client, url, pki, pair):
    """-> (HTTP status, or None when the TLS handshake failed; the body: for the facts' client
    the DSN it accepted, or '')."""
    if client == "curl":
        status, body, _ = curl(url, pki.ca_file, pair)
        return status, body
    status, dsn, error = facts_client()(url, pki.ca_file, pair and pair.cert, pair and pair.key,
                                        10)
    assert (status is None) <= bool(error)  # no answer comes with a reason
    return status, dsn or ""


@pytest.mark.parametrize("client", CLIENTS)
def test_good_agent_gets_the_dsn(dsn_site, client):
    status, body = fetch(client, dsn_url(dsn_site, "shop"), dsn_site.pki, dsn_site.pki.client)
    assert (status, body.strip()) == (200, DSN)


def test_dsn_is_one_plain_text_line(dsn_site):
    pki = dsn_site.pki
    result = subprocess.run(["curl", "-sS", "-D", "-", "--cacert", pki.ca_file,
                             "--cert", pki.client.cert, "--key", pki.client.key,
                             dsn_url(dsn_site, "shop")],
                            stdout=subprocess.PIPE, text=True, check=True)
    head, _, body = result.stdout.partition("\n\n")  # text mode made \r\n into \n
    assert "\ncontent-type: text/plain" in head.lower()
    assert body == DSN + "\n"


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("path", ["nope", "", "link", ".shop.tmp1234", "../secret",
                                  "%2e%2e/secret", "..%2fsecret", "%2e%2e%2fsecret"])
def test_nothing_but_published_dsn_files_is_served(dsn_site, client, path):
    status, body = fetch(client, dsn_url(dsn_site, path), dsn_site.pki, dsn_site.pki.client)
    assert status is not None and status != 200
    assert "SECRET" not in body and "temp@" not in body and "shop" not in body


@pytest.mark.parametrize("client", CLIENTS)
def test_unknown_app_is_404(dsn_site, client):
    status, _ = fetch(client, dsn_url(dsn_site, "nope"), dsn_site.pki, dsn_site.pki.client)
    assert status == 404


@pytest.mark.parametrize("client", CLIENTS)
def test_directory_lists_nothing(dsn_site, client):
    status, body = fetch(client, dsn_url(dsn_site, ""), dsn_site.pki, dsn_site.pki.client)
    assert status == 404
    assert "shop" not in body and "Index of" not in body


@pytest.mark.parametrize("client", CLIENTS)
def test_no_certificate_is_refused_with_403(dsn_site, client):
    status, body = fetch(client, dsn_url(dsn_site, "shop"), dsn_site.pki, None)
    assert status == 403 and DSN not in body


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("who", ["revoked", "stranger"])
def test_revoked_or_foreign_certificate_fails_the_handshake(dsn_site, client, who):
    status, body = fetch(client, dsn_url(dsn_site, "shop"), dsn_site.pki,
                         getattr(dsn_site.pki, who))
    assert status is None and DSN not in body


@pytest.mark.parametrize("who, alert", [("revoked", "certificate revoked"),
                                        ("stranger", "unknown ca")])
def test_handshake_failure_says_why(dsn_site, who, alert):
    _, _, stderr = curl(dsn_url(dsn_site, "shop"), dsn_site.pki.ca_file,
                        getattr(dsn_site.pki, who))
    assert alert in stderr


def test_plain_http_redirects_to_https(dsn_site):
    result = subprocess.run(
        ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
         "http://127.0.0.1:%d/dsn/shop" % dsn_site.http_port],
        stdout=subprocess.PIPE, text=True, check=True)
    assert result.stdout == "301 https://localhost:%d/dsn/shop" % dsn_site.https_port


def test_proxy_mode_forwards_all_but_dsn_with_host_and_scheme(httpserver):
    site = Site("proxy", proxy=httpserver.url_for("/")).render()
    try:
        site.publish("shop")
        httpserver.expect_request("/api/0/projects/", headers={
            "Host": "127.0.0.1:%d" % site.https_port, "X-Forwarded-Proto": "https",
        }).respond_with_json([])
        with site.apache().start():
            status, body, _ = curl(site.url + "/api/0/projects/", site.pki.ca_file)
            assert (status, body) == (200, "[]")
            status, body, _ = curl(site.url + "/dsn/shop", site.pki.ca_file, site.pki.client)
            assert (status, body) == (200, DSN + "\n")
        assert [request.path for request, _ in httpserver.log] == ["/api/0/projects/"]
    finally:
        remove_tree(site.root)


# ---------------------------------------------------------------------------------------------
# Bugsink under mod_wsgi, from a readable copy of the project's virtualenv (made from
# /usr/bin/python3, as mod_wsgi needs), behind the same vhost. The copy, not .venv itself:
# Apache's user (www-data) cannot enter a clone in /root.

@pytest.fixture(scope="module")
def bugsink_site(bugsink_template):
    root = shared_tmpdir("sentry-puppet-bugsink-")
    venv = readable_copy(VENV, os.path.join(root, "venv"))
    conf_dir = os.path.join(root, "bugsink")
    static_dir = os.path.join(conf_dir, "static")
    site = Site("wsgi", python_home=venv, script=bugsink_wsgi_script(venv), python_path=conf_dir,
                static_dir=static_dir, processes=1, threads=8)
    # Bugsink's settings for this address: HTTPS base URL (its DSNs point at Apache), absolute
    # database paths, events digested inside the request (no snappea worker to run).
    bugsink.write_conf(conf_dir, site.url, port=site.https_port)
    with open(os.path.join(conf_dir, "bugsink_conf.py"), "a", encoding="utf-8") as handle:
        handle.write("STATIC_ROOT = %r\n" % static_dir)
    for name in ("db.sqlite3", "snappea.sqlite3"):
        shutil.copyfile(os.path.join(bugsink_template.directory, name),
                        os.path.join(conf_dir, name))
    bugsink.manage(conf_dir, "collectstatic", "--noinput")
    with open(os.path.join(static_dir, "only-on-disk.txt"), "w") as handle:
        handle.write("served by Apache\n")
    give_to_run_user(conf_dir)  # the WSGI daemon (www-data) writes the databases
    site.token = bugsink_template.token
    site.render()
    apache = site.apache().start()
    yield site
    apache.stop()
    remove_tree(root)
    remove_tree(site.root)


def test_sync_says_when_apache_itself_refuses_not_the_token():
    """Apache's own 403 (here: its user cannot enter the WSGI app's directory, as with a
    virtualenv in /root) is the web server's doing: the tool must not blame the token."""
    private = tempfile.mkdtemp(prefix="sentry-puppet-private-")
    with open(os.path.join(private, "wsgi.py"), "w") as handle:
        handle.write("def application(environ, start_response):\n    raise SystemExit\n")
    site = Site("wsgi", python_home=private, script=os.path.join(private, "wsgi.py"))
    try:
        site.render()
        with open(os.path.join(site.root, "token"), "w") as handle:
            handle.write("feedfacefeedfacefeedfacefeedfacefeedface\n")
        os.chmod(os.path.join(site.root, "token"), 0o600)
        os.chmod(private, 0)  # out of reach of Apache's children, whoever they run as
        apache = site.apache()
        with apache.start():
            result = site.cli("sync")
        assert result.returncode == 1 and result.stdout == ""
        url = site.url + "/api/canonical/0/teams/"
        assert ("%s answered 403 with a text/html body, not the API's JSON: the web server "
                "in front of the API (Apache" % url) in result.stderr
        assert "Read the web server's error log for this URL" in result.stderr
        assert "token lacks permission" not in result.stderr
        assert "feedface" not in result.stderr
        assert "Permission denied" in apache.logs()  # Apache's own refusal, as it says
    finally:
        os.chmod(private, 0o700)
        remove_tree(private)
        remove_tree(site.root)


def https(site, path, *extra):
    return curl(site.url + path, site.pki.ca_file, None, *extra)


def bearer(site):
    # Through a config file, not the command line: the token never appears in process arguments.
    header_file = os.path.join(site.root, "auth-header")
    fd = os.open(header_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("Authorization: Bearer %s\n" % site.token)
    return "-H", "@" + header_file


def test_apache_reads_nothing_from_the_clone_or_its_venv(bugsink_site):
    """Wherever the clone lives (/root is 0700), Apache's user reads only the copies."""
    with open(bugsink_site.site_file, encoding="utf-8") as handle:
        text = handle.read()
    homes = re.findall(r"python-home=(\S+)", text)
    paths = homes + re.findall(r"python-path=(\S+)", text) + re.findall(r'"(/[^"]*)"', text)
    assert homes and len(paths) > 5
    for path in paths:
        for outside in (REPO, VENV):
            assert not os.path.realpath(path).startswith(os.path.realpath(outside) + os.sep), path


def test_bugsink_ui_answers_over_https_through_apache(bugsink_site):
    status, body, _ = https(bugsink_site, "/accounts/login/")
    assert status == 200 and "Bugsink" in body
    status, body, _ = https(bugsink_site, "/static/only-on-disk.txt")
    assert (status, body) == (200, "served by Apache\n")


def test_api_token_reaches_bugsink_through_apache(bugsink_site):
    status, _, _ = https(bugsink_site, "/api/canonical/0/teams/")
    assert status in (401, 403)
    status, body, _ = https(bugsink_site, "/api/canonical/0/teams/", *bearer(bugsink_site))
    assert status == 200 and "results" in json.loads(body)


def test_dsn_alias_wins_over_the_wsgi_app(bugsink_site):
    bugsink_site.publish("shop")
    pki = bugsink_site.pki
    assert curl(bugsink_site.url + "/dsn/shop", pki.ca_file, pki.client)[:2] == (200, DSN + "\n")


def test_sync_through_apache_then_agent_fetches_the_dsn(bugsink_site):
    defs = os.path.join(bugsink_site.root, "defs")
    os.makedirs(defs, exist_ok=True)
    with open(os.path.join(defs, "billing-app01.yaml"), "w") as handle:
        handle.write("project: billing\nplatform: python\nsource: app01\n")
    token_file = os.path.join(bugsink_site.root, "token")
    fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(bugsink_site.token + "\n")
    result = bugsink_site.cli("sync")
    assert result.returncode == 0, result.stderr
    assert "+ project billing (python)" in result.stdout
    assert bugsink_site.token not in result.stdout + result.stderr
    with open(os.path.join(bugsink_site.dsn_dir, "billing"), encoding="utf-8") as handle:
        dsn = handle.read().strip()
    pki = bugsink_site.pki
    status, body, _ = curl(bugsink_site.url + "/dsn/billing", pki.ca_file, pki.client)
    assert (status, body) == (200, dsn + "\n")
    assert dsn.startswith("https://") and "@127.0.0.1:%d/" % bugsink_site.https_port in dsn


SEND_EVENT = """
import sys, sentry_sdk
sentry_sdk.init(dsn=sys.argv[1], ca_certs=sys.argv[2], default_integrations=False)
sentry_sdk.capture_message("hello through Apache")
sentry_sdk.flush(timeout=20)
"""


def test_event_sent_by_sentry_sdk_through_apache_is_stored(bugsink_site):
    header = bearer(bugsink_site)
    status, body, _ = https(bugsink_site, "/api/canonical/0/teams/", *header, "-X", "POST",
                            "-H", "Content-Type: application/json",
                            "--data", '{"name": "events"}')
    assert status == 201, body
    team = json.loads(body)
    status, body, _ = https(bugsink_site, "/api/canonical/0/projects/", *header, "-X", "POST",
                            "-H", "Content-Type: application/json",
                            "--data", json.dumps({"name": "sdk-events", "team": team["id"]}))
    assert status == 201, body
    project = json.loads(body)
    status, body, _ = https(bugsink_site, "/api/canonical/0/projects/%s/" % project["id"],
                            *header)
    dsn = json.loads(body)["dsn"]
    assert dsn.startswith("https://") and "@127.0.0.1:%d/" % bugsink_site.https_port in dsn
    subprocess.run([sys.executable, "-c", SEND_EVENT, dsn, bugsink_site.pki.ca_file],
                   check=True, timeout=60)
    deadline = time.monotonic() + 20
    count = 0
    while time.monotonic() < deadline and not count:
        status, body, _ = https(bugsink_site, "/api/canonical/0/projects/%s/" % project["id"],
                                *header)
        count = json.loads(body)["digested_event_count"]
        time.sleep(0.2)
    assert count == 1

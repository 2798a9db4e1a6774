"""The fact against a real HTTPS server on 127.0.0.1 that requires client certificates from a
test CA standing in for the Puppet CA; and under real Facter 4."""
import http.server
import json
import os
import shutil
import socket
import ssl
import stat
import subprocess
import threading
import time

import pytest
import trustme

from tests.facts_support import FACT, PYTHON, cpythons, load_fact_module, run_fact, write_config
from tests.support.ports import free_port

fact = load_fact_module()

# The cache path also under Python 3.6 when there is one (test_facts_pythons.py says when not).
CACHE_PYTHONS = [PYTHON] + [p[2] for p in cpythons() if p[1] == (3, 6)][:1]
cache_pythons = pytest.mark.parametrize("python", CACHE_PYTHONS,
                                        ids=["python3", "python3.6"][:len(CACHE_PYTHONS)])

DSN = "https://0123456789abcdef0123456789abcdef@sentry.example.com/7"
NEW_DSN = "https://fedcba9876543210fedcba9876543210@sentry.example.com/7"
OLD_DSN = "https://11111111111111111111111111111111@sentry.example.com/7"


class DsnServer:
    """/dsn/<app> over HTTPS, client certificate required; answers what `routes` says."""

    def __init__(self, ca, server_ca=None):
        self.routes = {}
        self.requests = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                owner.requests.append(self.path)
                status, body, *headers = owner.routes.get(self.path, (404, "not found\n"))
                data = body.encode()
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        (server_ca or ca).issue_cert("127.0.0.1").configure_cert(context)
        ca.configure_trust(context)
        context.verify_mode = ssl.CERT_REQUIRED
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.url = "https://127.0.0.1:%d/dsn/" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def pki(tmp_path):
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    client = ca.issue_cert("app01.example.com")
    cert_file, key_file = tmp_path / "client.pem", tmp_path / "client.key"
    client.cert_chain_pems[0].write_to_path(str(cert_file))
    client.private_key_pem.write_to_path(str(key_file))
    return {"ca": ca, "ca_file": ca_file, "cert_file": cert_file, "key_file": key_file}


@pytest.fixture
def server(pki):
    srv = DsnServer(pki["ca"])
    yield srv
    srv.stop()


@pytest.fixture
def apps(tmp_path):
    root = tmp_path / "apps"
    for name, marker in (("Foo-Bar", "Gemfile"), ("billing", "manage.py")):
        (root / name).mkdir(parents=True)
        (root / name / marker).write_text("")
    return root


def config_for(tmp_path, apps, pki, url, ttl=86400, timeout=2, budget=4, cert=None):
    extra = ("ca_file = %s\ncert_file = %s\nkey_file = %s\nttl = %s\ntimeout = %s\n"
             "budget = %s\n" % (pki["ca_file"], cert or pki["cert_file"], pki["key_file"], ttl,
                                timeout, budget))
    return write_config(tmp_path / "facts.conf", [apps], url=url,
                        cache_dir=tmp_path / "cache", extra=extra)


def seed_cache(tmp_path, app, dsn, age):
    fact.write_cache({"cache_dir": str(tmp_path / "cache")}, app,
                     {"dsn": dsn, "status": 200, "checked": time.time() - age})


def cached_dsn(tmp_path, app):
    entry = fact.read_cache({"cache_dir": str(tmp_path / "cache")}, app, time.time())
    return entry.get("dsn")


@cache_pythons
def test_first_run_fetches_and_caches_then_no_request(tmp_path, apps, pki, server, python):
    server.routes["/dsn/Foo-Bar"] = (200, DSN + "\n")
    config = config_for(tmp_path, apps, pki, server.url)

    first = run_fact(config, python=python)
    assert first.facts["foo_bar_dsn"] == DSN
    assert first.facts["sentry_apps"]["Foo-Bar"]["dsn"] == DSN
    assert "billing_dsn" not in first.facts  # 404: no project yet
    assert sorted(server.requests) == ["/dsn/Foo-Bar", "/dsn/billing"]
    cache = tmp_path / "cache"
    assert stat.S_IMODE(os.stat(str(cache)).st_mode) == 0o700
    for name in ("Foo-Bar", "billing"):
        assert stat.S_IMODE(os.stat(str(cache / name)).st_mode) == 0o600

    second = run_fact(config, python=python)
    assert second.facts["foo_bar_dsn"] == DSN
    assert len(server.requests) == 2  # the DSN is cached, the 404 remembered


@cache_pythons
def test_after_ttl_it_rechecks_and_a_changed_dsn_replaces_the_cache(tmp_path, apps, pki, server,
                                                                    python):
    server.routes["/dsn/Foo-Bar"] = (200, NEW_DSN + "\n")
    seed_cache(tmp_path, "Foo-Bar", DSN, age=120)
    config = config_for(tmp_path, apps, pki, server.url, ttl=60)
    run = run_fact(config, python=python)
    assert "/dsn/Foo-Bar" in server.requests
    assert run.facts["foo_bar_dsn"] == NEW_DSN
    assert cached_dsn(tmp_path, "Foo-Bar") == NEW_DSN


@cache_pythons
def test_within_ttl_the_cache_is_used_as_it_is(tmp_path, apps, pki, server, python):
    seed_cache(tmp_path, "Foo-Bar", DSN, age=10)
    seed_cache(tmp_path, "billing", DSN, age=10)
    run = run_fact(config_for(tmp_path, apps, pki, server.url, ttl=60), python=python)
    assert server.requests == [] and run.facts["billing_dsn"] == DSN


def test_explain_shows_cache_age_and_fetch_result(tmp_path, apps, pki, server):
    server.routes["/dsn/Foo-Bar"] = (200, DSN + "\n")
    run = run_fact(config_for(tmp_path, apps, pki, server.url), "--explain")
    line = [l for l in run.stderr.splitlines() if l.startswith("Foo-Bar:")][0]
    assert "HTTP 200, a DSN" in line and "no cache" in line and DSN in line


# -- faults: exit 0, valid output, the stale DSN kept, a stderr line, bounded time ----------

def fault_run(tmp_path, apps, pki, url, **kwargs):
    seed_cache(tmp_path, "Foo-Bar", OLD_DSN, age=10 ** 6)
    run = run_fact(config_for(tmp_path, apps, pki, url, **kwargs))
    assert run.facts["foo_bar_dsn"] == OLD_DSN  # stale-if-error
    assert run.facts["deployed_apps"] == "Foo-Bar,billing"
    assert "Foo-Bar" in run.stderr or "not fetched" in run.stderr
    return run


def test_connection_refused(tmp_path, apps, pki):
    run = fault_run(tmp_path, apps, pki, "https://127.0.0.1:%d/dsn/" % free_port())
    assert "refused" in run.stderr.lower() and run.seconds < 4


def test_server_that_accepts_and_never_answers_costs_the_budget(tmp_path, apps, pki):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(50)
        url = "https://127.0.0.1:%d/dsn/" % sock.getsockname()[1]
        run = fault_run(tmp_path, apps, pki, url, timeout=30, budget=2)
    assert "budget" in run.stderr
    assert run.seconds < 2 + 2  # the budget, not two 30 s timeouts


@pytest.mark.parametrize("status, body, said", [
    (500, "oops\n", "HTTP 500"),
    (200, "<html><body>Login</body></html>\n", "not a DSN"),
    (200, DSN + "\n" + DSN + "\n", "not a DSN"),
])
def test_bad_answers_keep_the_cached_dsn(tmp_path, apps, pki, server, status, body, said):
    server.routes["/dsn/Foo-Bar"] = (status, body)
    run = fault_run(tmp_path, apps, pki, server.url)
    assert said in run.stderr and run.seconds < 4


def test_server_certificate_from_another_ca(tmp_path, apps, pki):
    stranger = DsnServer(pki["ca"], server_ca=trustme.CA())
    try:
        stranger.routes["/dsn/Foo-Bar"] = (200, DSN + "\n")
        run = fault_run(tmp_path, apps, pki, stranger.url)
    finally:
        stranger.stop()
    assert "CERTIFICATE_VERIFY_FAILED" in run.stderr and run.seconds < 4


def test_no_client_certificate_available(tmp_path, apps, pki, server):
    server.routes["/dsn/Foo-Bar"] = (200, DSN + "\n")
    run = fault_run(tmp_path, apps, pki, server.url, cert=tmp_path / "missing.pem")
    assert "no client certificate" in run.stderr and server.requests == []


def test_no_ca_means_no_fetch(tmp_path, apps, pki, server):
    pki = dict(pki, ca_file=tmp_path / "no-ca.pem")
    run = fault_run(tmp_path, apps, pki, server.url)
    assert "no CA to trust" in run.stderr and server.requests == []


@cache_pythons
def test_unwritable_cache_still_gives_the_dsn(tmp_path, apps, pki, server, python):
    server.routes["/dsn/Foo-Bar"] = (200, DSN + "\n")
    (tmp_path / "afile").write_text("")
    config = write_config(tmp_path / "facts.conf", [apps], url=server.url,
                          cache_dir=tmp_path / "afile" / "cache",
                          extra="ca_file = %s\ncert_file = %s\nkey_file = %s\n"
                                % (pki["ca_file"], pki["cert_file"], pki["key_file"]))
    run = run_fact(config, python=python)
    assert run.facts["foo_bar_dsn"] == DSN
    assert "cannot write the cache file" in run.stderr


@cache_pythons
def test_corrupt_cache_is_treated_as_missing(tmp_path, apps, pki, server, python):
    server.routes["/dsn/Foo-Bar"] = (200, DSN + "\n")
    (tmp_path / "cache").mkdir(mode=0o700)
    (tmp_path / "cache" / "Foo-Bar").write_bytes(b"\x00\xffgarbage")
    run = run_fact(config_for(tmp_path, apps, pki, server.url), python=python)
    assert run.facts["foo_bar_dsn"] == DSN and "ignored" in run.stderr


# -- redirects: refused, never followed, nothing cached ----------------------------------------

@pytest.fixture
def plain_http():
    """An http:// server that would hand out a DSN in clear: it must never be asked."""
    requests = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            data = (DSN + "\n").encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d" % httpd.server_address[1], requests
    httpd.shutdown()
    httpd.server_close()


@cache_pythons
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_off_https_is_refused_and_nothing_cached(tmp_path, apps, pki, server,
                                                             plain_http, status, python):
    base, followed = plain_http
    server.routes["/dsn/Foo-Bar"] = (status, "", ("Location", base + "/dsn/Foo-Bar"))
    run = run_fact(config_for(tmp_path, apps, pki, server.url), "--explain", python=python)
    assert followed == []
    assert "foo_bar_dsn" not in run.facts and "dsn" not in run.facts["sentry_apps"]["Foo-Bar"]
    assert not (tmp_path / "cache" / "Foo-Bar").exists()
    said = [line for line in run.stderr.splitlines() if "redirect to" in line]
    assert len(said) == 2  # the warning, and the app's --explain line
    assert all("HTTP %d redirect to '%s/dsn/Foo-Bar' refused" % (status, base) in line
               for line in said)
    assert [l for l in said if l.startswith("Foo-Bar: ")], run.stderr


@cache_pythons
def test_a_redirect_to_another_https_host_is_refused_the_cached_dsn_kept(tmp_path, apps, pki,
                                                                        server, python):
    other = DsnServer(pki["ca"])  # the same CA: following would verify and succeed
    try:
        other.routes["/dsn/Foo-Bar"] = (200, NEW_DSN + "\n")
        server.routes["/dsn/Foo-Bar"] = (302, "", ("Location", other.url + "Foo-Bar"))
        seed_cache(tmp_path, "Foo-Bar", OLD_DSN, age=10 ** 6)
        before = (tmp_path / "cache" / "Foo-Bar").read_bytes()
        run = run_fact(config_for(tmp_path, apps, pki, server.url), python=python)
    finally:
        other.stop()
    assert other.requests == []
    assert run.facts["foo_bar_dsn"] == OLD_DSN  # stale-if-error, as for any failure
    assert (tmp_path / "cache" / "Foo-Bar").read_bytes() == before
    assert "HTTP 302 redirect to '%sFoo-Bar' refused" % other.url in run.stderr


# -- a cache entry from the future is stale, never trusted forever -----------------------------

@cache_pythons
@pytest.mark.parametrize("checked", ["9999999999", "1e999", "inf", "nan", "-1"])
def test_a_cache_entry_from_the_future_is_checked_again(tmp_path, apps, pki, server, checked,
                                                        python):
    server.routes["/dsn/Foo-Bar"] = (200, NEW_DSN + "\n")
    (tmp_path / "cache").mkdir(mode=0o700)
    (tmp_path / "cache" / "Foo-Bar").write_text("checked=%s\nstatus=200\ndsn=%s\n"
                                                % (checked, DSN))
    run = run_fact(config_for(tmp_path, apps, pki, server.url), "--explain", python=python)
    assert "/dsn/Foo-Bar" in server.requests
    assert run.facts["foo_bar_dsn"] == NEW_DSN
    assert cached_dsn(tmp_path, "Foo-Bar") == NEW_DSN
    assert "dated in the future or not at all (checked=%s)" % checked in run.stderr
    assert "cache dated in the future: stale" in run.stderr


def test_a_future_entry_still_serves_its_dsn_when_the_server_fails(tmp_path, apps, pki):
    (tmp_path / "cache").mkdir(mode=0o700)
    (tmp_path / "cache" / "Foo-Bar").write_text("checked=9999999999\nstatus=200\ndsn=%s\n"
                                                % OLD_DSN)
    run = run_fact(config_for(tmp_path, apps, pki, "https://127.0.0.1:%d/dsn/" % free_port()))
    assert run.facts["foo_bar_dsn"] == OLD_DSN and "refused" in run.stderr.lower()


# -- under real Facter 4 -----------------------------------------------------------------------

def test_facter_reads_the_facts_with_their_types(tmp_path, apps, pki, server):
    facter = shutil.which("facter")
    assert facter, "Debian's facter is not installed: run scripts/install-deps"
    server.routes["/dsn/Foo-Bar"] = (200, DSN + "\n")
    factdir = tmp_path / "facts.d"
    factdir.mkdir()
    shutil.copy2(str(FACT), str(factdir))
    config = config_for(tmp_path, apps, pki, server.url)
    result = subprocess.run(
        [facter, "--external-dir", str(factdir), "-j",
         "deployed_apps", "foo_bar_lang", "billing_lang", "foo_bar_dsn", "sentry_apps"],
        env=dict(os.environ, SENTRY_PUPPET_FACTS_CONFIG=str(config)),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=120)
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    assert facts["deployed_apps"] == "Foo-Bar,billing"
    assert facts["foo_bar_lang"] == "ruby" and facts["billing_lang"] == "python"
    assert facts["foo_bar_dsn"] == DSN
    assert isinstance(facts["sentry_apps"], dict)
    assert facts["sentry_apps"]["Foo-Bar"]["dsn"] == DSN
    assert facts["sentry_apps"]["billing"]["lang"] == "python"

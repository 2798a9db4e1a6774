"""The installed `sentry-puppet` reading its definitions from an HTTPS PuppetDB (the fake in
tests/support/fake_puppetdb.py: client certificate required, answer streamed in chunks) and
syncing them into the fake Sentry /api/0/. The real PuppetDB's side (its query, deactivated
nodes) is tests/e2e/test_puppetdb_source.py."""
import json

import pytest

from tests.integration.cli_env import CliEnv
from tests.support.fake_puppetdb import FakePuppetDB, exported
from tests.support.fake_sentry import FakeSentry
from tests.support.pki import TestPKI
from tests.support.ports import free_port

RESOURCES = [
    exported("Foo-Bar", "app01.example.com", platform="ruby"),
    exported("Foo-Bar", "app02.example.com", platform="ruby"),
    exported("shop", "app02.example.com", platform="node", team="payments"),
    exported("a/b", "app03.example.com"),
]


@pytest.fixture
def pki(tmp_path):
    return TestPKI.create(str(tmp_path / "pki"))


@pytest.fixture
def sentry():
    server = FakeSentry(projects=0, teams=("apps",)).start()
    yield server
    server.stop()


def site(tmp_path, pki, sentry, url, cert=None):
    return CliEnv(tmp_path, sentry.url, sentry.token, backend="sentry",
                  organization=sentry.org, puppetdb={
                      "url": url, "environment": "production", "ca_file": pki.ca_file,
                      "cert_file": (cert or pki.client).cert,
                      "key_file": (cert or pki.client).key})


def test_sync_creates_the_projects_puppetdb_names_and_names_the_bad_export(tmp_path, pki,
                                                                           sentry):
    with FakePuppetDB(pki, RESOURCES) as pdb:
        env = site(tmp_path, pki, sentry, pdb.url)
        code, out, err = env.run("sync", "--dry-run")
        assert code == 1   # the refused export is a failure; the others are planned
        assert out.splitlines()[0] == (
            "Definitions: 4 read from PuppetDB %s (exported Sentry::Source::Project tagged "
            "production, active nodes): 2 apps." % pdb.url)
        assert "+ project foo-bar (ruby) in apps" in out
        assert "from app01.example.com, app02.example.com" in out
        assert ("sentry-puppet: Sentry::Source::Project[a/b-app03.example.com] exported by "
                "app03.example.com: app name 'a/b' contains a path separator") in err
        assert sentry.project_slugs() == []

        code, out, err = env.run("sync", "--json")
        assert code == 1
        document = json.loads(out)
        assert document["definitions"] == {"origin": document["definitions"]["origin"],
                                           "count": 4}
        assert sentry.project_slugs() == ["foo-bar", "shop"]
        assert set(env.dsn_files()) == {"Foo-Bar", "shop"}
        # One streamed request per run, whatever the number of definitions.
        assert pdb.requests == 2 and len(pdb.queries) == 2

        code, out, err = env.run("validate")
        assert code == 1
        assert "2 apps from 4 definitions in PuppetDB %s" % pdb.url in out


def test_a_dead_puppetdb_stops_the_run_before_the_server(tmp_path, pki, sentry):
    url = "https://127.0.0.1:%d" % free_port()
    env = site(tmp_path, pki, sentry, url)
    code, out, err = env.run("sync")
    assert code == 1 and out == ""
    assert err.startswith("sentry-puppet: %s/pdb/query/v4/resources: PuppetDB: cannot connect"
                          % url)
    assert "nothing was changed" in err
    assert sentry.requests == []


def test_an_answer_cut_short_is_an_error_not_fewer_apps(tmp_path, pki, sentry):
    many = [exported("app%03d" % n, "app01.example.com") for n in range(600)]
    with FakePuppetDB(pki, many, cut_after=450) as pdb:
        env = site(tmp_path, pki, sentry, pdb.url)
        code, out, err = env.run("sync")
    assert code == 1
    assert "broke off or is not a JSON list of resources" in err
    assert sentry.requests == [] and env.dsn_files() == {}


def test_a_refused_certificate_is_named(tmp_path, pki, sentry):
    with FakePuppetDB(pki, RESOURCES, status=403) as pdb:
        code, out, err = site(tmp_path, pki, sentry, pdb.url).run("sync")
    assert code == 1
    assert "answered 403" in err and "certificate-allowlist" in err and pki.client.cert in err
    assert sentry.requests == []


def test_puppetdb_with_a_certificate_from_another_ca_is_refused(tmp_path, pki, sentry):
    with FakePuppetDB(pki, RESOURCES) as pdb:
        env = site(tmp_path, pki, sentry, pdb.url)
        env.config.write_text(env.config.read_text().replace(pki.ca_file, pki.stranger_ca_file))
        code, out, err = env.run("sync")
    assert code == 1
    assert "TLS with PuppetDB failed" in err and pki.stranger_ca_file in err
    assert pdb.requests == 0 and sentry.requests == []


def test_a_client_certificate_puppetdb_does_not_trust_is_refused(tmp_path, pki, sentry):
    with FakePuppetDB(pki, RESOURCES) as pdb:
        code, out, err = site(tmp_path, pki, sentry, pdb.url, cert=pki.stranger).run("sync")
    assert code == 1
    # TLS 1.3: the refusal arrives as an alert or as the connection closed, as the race goes.
    assert ("TLS with PuppetDB failed (tlsv1 alert unknown ca)" in err
            or "TLS with PuppetDB failed (EOF occurred in violation of protocol)" in err)
    assert ("PuppetDB refused this host's certificate: puppetdb.cert_file %s"
            % pki.stranger.cert) in err
    assert "nothing was changed" in err
    assert pdb.requests == 0 and sentry.requests == []

"""The installed `sentry-puppet` against servers too slow to wait for (issue 14): a request
has a total limit (`timeout`, connect to last byte), PuppetDB's answer one too (6 x timeout),
and a whole run `run_timeout`. No timing is asserted: a run that hangs hits the subprocess
bound (BOUND, far above every limit here) and fails the test."""
import pytest

from tests.integration.cli_env import CliEnv
from tests.support.fake_puppetdb import FakePuppetDB, exported
from tests.support.fake_sentry import FakeSentry
from tests.support.hostile_server import HostileServer
from tests.support.pki import TestPKI

BOUND = 120
TOKEN = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize("args", [("sync",), ("sync", "--check"), ("dsn", "shop")])
def test_a_server_sending_a_byte_a_second_ends_the_command_with_a_line(tmp_path, args):
    with HostileServer("trickle", interval=1.0) as server:
        env = CliEnv(tmp_path, server.url, TOKEN, timeout=2, run_timeout=600)
        env.define("shop.yaml", "project: shop\n")
        code, out, err = env.run(*args, timeout=BOUND)
    assert code == 1
    assert ("%s/api/canonical/0/teams/: no whole answer within 2 s (timeout in the config: "
            "connect to last byte)" % server.url) in err or "projects/" in err
    assert server.requests == 4   # the GET, and its three retries


def test_run_timeout_ends_a_run_against_a_server_that_never_answers(tmp_path):
    with HostileServer("silent") as server:
        env = CliEnv(tmp_path, server.url, TOKEN, timeout=60, run_timeout=2)
        env.define("shop.yaml", "project: shop\n")
        code, out, err = env.run("sync", "--json", timeout=BOUND)
    assert code == 1
    assert ("run_timeout of 2 s reached while waiting for %s/api/canonical/0/teams/, before "
            "anything was changed on the server; every app is left for the next run" % server.url
            ) in err
    assert '"failed": true' in out


@pytest.fixture
def pki(tmp_path):
    return TestPKI.create(str(tmp_path / "pki"))


def puppetdb_site(tmp_path, pki, sentry, pdb, **overrides):
    return CliEnv(tmp_path, sentry.url, sentry.token, backend="sentry", organization=sentry.org,
                  puppetdb={"url": pdb.url, "ca_file": pki.ca_file, "cert_file": pki.client.cert,
                            "key_file": pki.client.key}, **overrides)


@pytest.fixture
def sentry():
    server = FakeSentry(projects=0, teams=("apps",)).start()
    yield server
    server.stop()


def test_puppetdb_sending_a_byte_at_a_time_is_given_up_on(tmp_path, pki, sentry):
    with FakePuppetDB(pki, [exported("shop", "app01.example.com")] * 3, trickle=0.5) as pdb:
        env = puppetdb_site(tmp_path, pki, sentry, pdb, timeout=1)
        code, out, err = env.run("sync", timeout=BOUND)
    assert code == 1
    assert ("%s/pdb/query/v4/resources: PuppetDB's answer did not arrive whole within 6 s "
            "(6 x timeout in the config)" % pdb.url) in err
    assert pdb.requests == 1 and sentry.requests == []


def test_puppetdb_cutting_its_answer_short_is_asked_again(tmp_path, pki, sentry):
    with FakePuppetDB(pki, [exported("shop", "app01.example.com")] * 5, cut_after=2) as pdb:
        env = puppetdb_site(tmp_path, pki, sentry, pdb)
        code, out, err = env.run("sync", timeout=BOUND)
    assert code == 1 and pdb.requests == 3   # asked, and asked again twice
    assert "%s/pdb/query/v4/resources: PuppetDB's answer broke off" % pdb.url in err
    assert sentry.requests == []


def test_puppetdb_nesting_too_deeply_is_one_line(tmp_path, pki, sentry):
    with FakePuppetDB(pki, body="[" * 100000 + "]" * 100000) as pdb:
        env = puppetdb_site(tmp_path, pki, sentry, pdb)
        code, out, err = env.run("validate", timeout=BOUND)
    assert code == 1 and pdb.requests == 1
    assert "an element nested too deeply to be a resource" in err

"""The canary sweep: every command x every error path the suite can provoke, with a canary
token. Whatever goes wrong (a token a header cannot carry, a dead server, 401/403/404/429/500
and a redirect whose bodies and Location echo the Authorization header, a server sending a
byte at a time, an answer cut short or nested too deep, a PuppetDB refusing or trickling, a
real Bugsink refusing the token), the canary is never in stdout, stderr, the `--json`
document, a traceback or any file the tool writes, and every command ends: each run has its
`run_timeout`, and the subprocess a bound far above it.

Add a row to SCENARIOS for every new error path, a row to COMMANDS for every new command."""
import json
import os
import subprocess

import pytest
import yaml

from tests.integration.cli_env import CLI
from tests.support.fake_puppetdb import FakePuppetDB, exported
from tests.support.fake_sentry import FakeSentry
from tests.support.hostile_server import HostileServer
from tests.support.pki import TestPKI
from tests.support.ports import free_port

CANARY = "sntrys_canary7f3e9a1b5c2d4e6f8a0b1c3d5e7f9a2b"
SECOND_LINE = "CANARY-SECOND-LINE-4d2f"
BOUND = 120   # seconds: far above any run_timeout here; a run that hits it hangs

COMMANDS = [
    ("sync",), ("sync", "--check"), ("sync", "--dry-run"), ("sync", "--json"),
    ("render-vhost", "--dry-run"), ("render-vhost", "--json"),
    ("dsn", "shop"), ("dsn", "shop", "--json"),
    ("validate",), ("validate", "--json"),
]


class Site:
    """A config, definitions, a vhost and the token (file or environment) in a tmp dir."""

    def __init__(self, tmp_path, url, token, token_in_env=False, **overrides):
        root = tmp_path / "site"   # apart from the servers' own files (Bugsink's database)
        root.mkdir()
        self.root, self.token, self.token_in_env = root, token, token_in_env
        for name in ("defs", "files"):
            (root / name).mkdir(exist_ok=True)
        (root / "defs" / "shop.yaml").write_text("project: shop\nplatform: python\n")
        (root / "defs" / "blog.yaml").write_text("project: blog\n")
        files = {}
        for name in ("cert.pem", "key.pem", "ca.pem", "wsgi.py"):
            files[name] = root / "files" / name
            files[name].write_text("not secret\n")
        self.token_file = root / "token"
        self.token_file.write_text("" if token_in_env else token + "\n")
        self.token_file.chmod(0o600)
        settings = {
            "backend": "bugsink", "url": url, "token_file": str(self.token_file), "team": "apps",
            "definitions_dir": str(root / "defs"), "dsn_dir": str(root / "dsn"), "timeout": 1,
            "run_timeout": 3,
            "vhost": {"path": str(root / "sites" / "sentry.conf"),
                      "server_name": "sentry.example.com",
                      "ssl_certificate": str(files["cert.pem"]),
                      "ssl_certificate_key": str(files["key.pem"]),
                      "client_ca_file": str(files["ca.pem"]),
                      "wsgi": {"python_home": str(root / "files"),
                               "script": str(files["wsgi.py"])}}}
        (root / "sites").mkdir(exist_ok=True)
        settings.update(overrides)
        self.config = root / "config.yaml"
        self.config.write_text(yaml.safe_dump(settings))

    def start(self, *args):
        env = {k: v for k, v in os.environ.items() if k != "SENTRY_PUPPET_TOKEN"}
        if self.token_in_env:
            env["SENTRY_PUPPET_TOKEN"] = self.token
        return subprocess.Popen([CLI, "--config", str(self.config)] + list(args), env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def written(self):
        """Every file under the site but the token file: what the tool wrote (and read)."""
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and path != self.token_file:
                yield path, path.read_bytes()


def sweep(site, secrets, together=True):
    """Every command (`together`: all at once, as Puppet and the timer may; else one after
    the other); -> {args: (code, stdout, stderr)}."""
    seen = {}
    procs = {}
    for args in COMMANDS:
        procs[args] = site.start(*args)
        if not together:
            procs[args].wait(BOUND)
    for args, proc in procs.items():
        out, err = proc.communicate(timeout=BOUND)
        code = proc.returncode
        seen[args] = (code, out, err)
        for secret in secrets:
            assert secret not in out, (args, out)
            assert secret not in err, (args, err)
        assert "Traceback" not in err, (args, err)
        assert code in (0, 1, 2), (args, code, err)
        if "--json" in args:
            json.loads(out)   # one document, whatever happened
    for path, data in site.written():
        for secret in secrets:
            assert secret.encode() not in data, path
    return seen


def _hostile(mode, **knobs):
    def make(stack, tmp_path):
        server = stack.enter(HostileServer(mode, **knobs))
        return Site(tmp_path, server.url, CANARY)
    return make


def _dead(stack, tmp_path):
    return Site(tmp_path, "http://127.0.0.1:%d" % free_port(), CANARY)


def _token(content, in_env=False):
    def make(stack, tmp_path):
        sentry = stack.enter(FakeSentry(token=CANARY, projects=0, teams=("apps",)).start())
        return Site(tmp_path, sentry.url, content, token_in_env=in_env, backend="sentry",
                    organization=sentry.org)
    return make


def _puppetdb(**knobs):
    def make(stack, tmp_path):
        pki = TestPKI.create(str(tmp_path / "pki"))
        sentry = stack.enter(FakeSentry(token=CANARY, projects=0, teams=("apps",)).start())
        pdb = stack.enter(FakePuppetDB(pki, [exported("shop", "app01.example.com")], **knobs))
        return Site(tmp_path, sentry.url, CANARY, backend="sentry", organization=sentry.org,
                    puppetdb={"url": pdb.url, "ca_file": pki.ca_file,
                              "cert_file": pki.client.cert, "key_file": pki.client.key})
    return make


def _working(stack, tmp_path):
    sentry = stack.enter(FakeSentry(token=CANARY, projects=0, teams=("apps",)).start())
    return Site(tmp_path, sentry.url, CANARY, backend="sentry", organization=sentry.org)


SCENARIOS = {
    "working server": _working,
    "token with a second line": _token(CANARY + "\n" + SECOND_LINE),
    "token with a control character": _token(CANARY + "\x07" + SECOND_LINE),
    "token in the environment with a second line": _token(CANARY + "\n" + SECOND_LINE, True),
    "dead server": _dead,
    "401 echoing the Authorization header": _hostile("echo", status=401),
    "403 echoing the Authorization header": _hostile("echo", status=403),
    "404 echoing the Authorization header": _hostile("echo", status=404),
    "429 echoing it, Retry-After 0": _hostile("echo", status=429, retry_after="0"),
    "429 echoing it, Retry-After an hour": _hostile("echo", status=429, retry_after="3600"),
    "500 echoing the Authorization header": _hostile("echo", status=500),
    "302 to a URL holding the token as a password": _hostile("echo", status=302),
    "a byte a second": _hostile("trickle", interval=0.5),
    "headers a byte a second": _hostile("headers", interval=0.5),
    "a server that never answers": _hostile("silent"),
    "an answer cut short": _hostile("cut"),
    "JSON nested too deeply": _hostile("nested"),
    "PuppetDB answering 500": _puppetdb(status=500),
    "PuppetDB cutting its answer": _puppetdb(cut_after=0),
    "PuppetDB nesting too deeply": _puppetdb(body="[" * 100000),
    "PuppetDB a byte at a time": _puppetdb(trickle=0.5),
}


class _Stack:
    def __init__(self):
        self.exits = []

    def enter(self, thing):
        if hasattr(thing, "__enter__") and not isinstance(thing, FakeSentry):
            thing = thing.__enter__()
            self.exits.append(lambda: thing.__exit__(None, None, None))
        elif isinstance(thing, FakeSentry):
            self.exits.append(thing.stop)
        return thing

    def close(self):
        for exit in reversed(self.exits):
            exit()


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_no_command_ever_shows_the_token(scenario, tmp_path):
    stack = _Stack()
    try:
        site = SCENARIOS[scenario](stack, tmp_path)
        seen = sweep(site, [CANARY, SECOND_LINE], together=scenario != "working server")
    finally:
        stack.close()
    if scenario == "working server":
        assert seen[("sync",)][0] == 0 and seen[("dsn", "shop")][0] == 0
    elif scenario.startswith("token"):
        # Refused before anything is sent, naming where the token came from; validate too.
        for args in [("sync",), ("sync", "--json"), ("validate",)]:
            code, out, err = seen[args]
            assert code == 1 and "the API token in " in err, (args, err)
        assert json.loads(seen[("sync", "--json")][1])["failed"] is True
    elif not scenario.startswith("PuppetDB"):
        for args in [("sync",), ("sync", "--check"), ("dsn", "shop")]:
            assert seen[args][0] == 1, (args, seen[args])


def test_a_real_bugsink_refusing_the_token_never_shows_it(bugsink, tmp_path):
    site = Site(tmp_path, bugsink.url, CANARY)
    seen = sweep(site, [CANARY, bugsink.token])
    assert seen[("sync",)][0] == 1 and "answered 401" in seen[("sync",)][2]


def test_a_real_bugsink_with_its_own_token_never_shows_it(bugsink, tmp_path):
    site = Site(tmp_path, bugsink.url, bugsink.token, run_timeout=60, timeout=10)
    seen = sweep(site, [bugsink.token], together=False)
    assert seen[("sync",)][0] == 0 and seen[("dsn", "shop")][0] == 0

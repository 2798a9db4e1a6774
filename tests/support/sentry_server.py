"""A real self-hosted Sentry 21.1 (PyPI `sentry`, the last release there) for the integration
tests: Python 3.7, Debian's PostgreSQL and Redis, `sentry run web` (uWSGI), all on 127.0.0.1
and free ports, started by the test session and stopped by pid.

Its venv (about a hundred packages, minutes to install) is cached in CACHE_DIR under a name
that carries a hash of the constraints file, so a changed pin gets a new venv and a missing
cache is simply built again. The migrated database is cached beside it (a pg_dump), so a warm
start restores it instead of running Sentry's migrations. Nothing else is kept: PostgreSQL,
Redis and Sentry's config live in a fresh directory per session.

Command line (a server by hand): python -m tests.support.sentry_server DIR
prints `URL ORGANIZATION` and leaves it running; the tokens go to DIR/tokens.json (0600).
"""
import contextlib
import dataclasses
import fcntl
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

from tests.support.ports import free_port
from tests.support.postgresql import postgresql_bin

SENTRY_VERSION = "21.1.0"
HERE = os.path.dirname(os.path.abspath(__file__))
CONSTRAINTS = os.path.join(HERE, "sentry-21.1-constraints.txt")
CACHE_DIR = os.environ.get("SENTRY_PUPPET_TEST_CACHE") or os.path.join(
    os.path.expanduser("~"), ".cache", "sentry-puppet-tests")
ADMIN_EMAIL = "admin@example.com"
# The tool's token has the scopes docs/backends.md asks for, no more; the tests' own set-up
# (organizations, deleting a key) uses an admin token.
TOKENS = {
    "tool": ["org:read", "team:write", "project:write"],
    "admin": ["org:read", "org:write", "team:read", "team:write", "project:read",
              "project:write", "project:admin"],
    # May list and create teams but not projects: what a refused create looks like.
    "no_project_write": ["org:read", "team:write"],
}
AS_POSTGRES = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]

# The stand-in for xmlsec's compiled module: its wheel's libxml2 differs from lxml's, so the
# real one fails to import, and python3-saml (which Sentry's plugins require) imports it. SAML
# is never used here; the package's dist-info stays, so Sentry still sees it installed.
XMLSEC_STAND_IN = '''"""Stand-in for xmlsec (tests/support/sentry_server.py): no SAML here."""


def __getattr__(name):
    raise ImportError("xmlsec is a stand-in in this test Sentry: SAML is not available")
'''

# Run through `sentry exec`: the admin user and the API tokens, written to a 0600 file.
SETUP_SCRIPT = '''
import json, os
from sentry.models import ApiToken, User
user = User.objects.create(username=%(email)r, email=%(email)r, is_superuser=True,
                           is_staff=True, is_active=True)
user.set_unusable_password()   # API tokens only: no password anywhere
user.save()
tokens = {name: ApiToken.objects.create(user=user, scope_list=scopes).token
          for name, scopes in %(tokens)r.items()}
fd = os.open(%(out)r, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as handle:
    json.dump(tokens, handle)
'''


class SentryUnavailable(Exception):
    """No Python 3.7 here: the one reason the real-Sentry tests may skip (not under CI)."""


def find_python37():
    """A Python 3.7 that runs: pyenv's (`$(pyenv root)/versions/3.7.*`, newest patch first),
    else `python3.7` on PATH (which may be a pyenv shim with nothing behind it). None when
    there is none."""
    root = os.environ.get("PYENV_ROOT")
    if shutil.which("pyenv"):
        found = subprocess.run(["pyenv", "root"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
        root = found.stdout.strip() or root
    root = root or os.path.expanduser("~/.pyenv")

    def patch(path):
        return [int(n) for n in re.findall(r"\d+", os.path.basename(path))]

    versions = sorted(glob.glob(os.path.join(root, "versions", "3.7.*")), key=patch,
                      reverse=True)
    candidates = [os.path.join(v, "bin", "python3.7") for v in versions]
    candidates.append(shutil.which("python3.7"))
    for python in candidates:
        if python and subprocess.run(
                [python, "-c", "import sys; sys.exit(sys.version_info[:2] != (3, 7))"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
            return python
    return None


def _cache_key(python):
    digest = hashlib.sha256()
    with open(CONSTRAINTS, "rb") as handle:
        digest.update(handle.read())
    version = subprocess.run([python, "-c", "import sys; print(sys.version)"],
                             stdout=subprocess.PIPE, text=True, check=True).stdout
    digest.update(version.encode())
    return "sentry-%s-%s" % (SENTRY_VERSION, digest.hexdigest()[:12])


@contextlib.contextmanager
def _locked(path):
    """One builder at a time: eight engineers and CI share this machine and its cache."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _run(command, log, **kwargs):
    with open(log, "ab") as out:
        out.write(("\n$ %s\n" % " ".join(command)).encode())
        out.flush()
        result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, **kwargs)
    if result.returncode != 0:
        with open(log, "rb") as out:
            tail = out.read()[-3000:].decode(errors="replace")
        raise RuntimeError("%s failed (exit %d); log %s ends:\n%s"
                           % (" ".join(command[:3]), result.returncode, log, tail))


def sentry_venv(python, timings):
    """The cached venv for this constraints file and Python, built when missing."""
    venv = os.path.join(CACHE_DIR, _cache_key(python))
    complete = os.path.join(venv, ".complete")
    with _locked(venv + ".lock"):
        if os.path.exists(complete):
            return venv
        started = time.monotonic()
        shutil.rmtree(venv, ignore_errors=True)     # a build that died half-way
        os.makedirs(venv)
        log = os.path.join(venv, "install.log")
        pip = [os.path.join(venv, "bin", "python"), "-m", "pip", "install",
               "--disable-pip-version-check", "--no-input", "-c", CONSTRAINTS]
        _run([python, "-m", "venv", venv], log)
        _run(pip + ["pip", "setuptools", "wheel"], log)
        _run(pip + ["sentry==%s" % SENTRY_VERSION, "importlib-metadata<5"], log)
        site = glob.glob(os.path.join(venv, "lib", "python3.7", "site-packages"))[0]
        for compiled in glob.glob(os.path.join(site, "xmlsec.*.so")):
            os.remove(compiled)
        with open(os.path.join(site, "xmlsec.py"), "w") as handle:
            handle.write(XMLSEC_STAND_IN)
        # `sentry init`'s files, once: each session copies them (a Sentry start saved).
        _run([os.path.join(venv, "bin", "sentry"), "init", os.path.join(venv, "conf")], log,
             env=dict(os.environ, SENTRY_CONF=os.path.join(venv, "conf")))
        with open(complete, "w") as handle:
            handle.write("%.0f s\n" % (time.monotonic() - started))
        timings["venv built"] = time.monotonic() - started
    return venv


@dataclasses.dataclass
class SentryServer:
    root: str
    venv: str
    url: str = ""
    organization: str = "sentry"
    tokens: dict = dataclasses.field(default_factory=dict, repr=False)
    timings: dict = dataclasses.field(default_factory=dict)
    processes: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def start(cls, root=None):
        python = find_python37()
        if python is None:
            raise SentryUnavailable("no Python 3.7 (looked in $(pyenv root)/versions/3.7.* "
                                    "and PATH): Sentry 21.1 runs on 3.7 only")
        timings = {}
        started = time.monotonic()
        venv = sentry_venv(python, timings)
        root = root or tempfile.mkdtemp(prefix="sentry-puppet-sentry-")
        os.chmod(root, 0o755)      # PostgreSQL runs as its own user inside it
        server = cls(root, venv, timings=timings)
        try:
            server._start(started)
        except BaseException:
            server.stop()     # its directory stays: the logs say what failed
            raise
        return server

    # -- bring-up ------------------------------------------------------------------------

    def _start(self, started):
        mark = time.monotonic()
        self._postgres()
        self._redis()
        self.timings["postgresql + redis"] = time.monotonic() - mark
        mark = time.monotonic()
        self._configure()
        self._database()
        self.timings["database"] = time.monotonic() - mark
        mark = time.monotonic()
        # uWSGI loads Sentry while `sentry exec` makes the admin and its tokens.
        self._spawn("web", [self._bin("sentry"), "run", "web"], env=self._env())
        self._admin()
        self._wait(self.ready, "web", 180)
        self.timings["web ready, admin made"] = time.monotonic() - mark
        self.timings["total"] = time.monotonic() - started

    def _log(self, name):
        return os.path.join(self.root, name + ".log")

    def _spawn(self, name, command, **kwargs):
        log = open(self._log(name), "ab")
        self.processes[name] = subprocess.Popen(
            command, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
            start_new_session=True, **kwargs)
        log.close()

    def _postgres(self):
        pg = postgresql_bin()
        data = os.path.join(self.root, "pg")
        os.makedirs(data)
        shutil.chown(data, "postgres", "postgres")
        os.chmod(data, 0o700)
        _run(AS_POSTGRES + [pg + "/initdb", "-D", data, "-U", "postgres", "--auth=trust",
                            "-E", "UTF8", "--no-sync"], self._log("initdb"))
        self.pg_port = free_port()
        self._spawn("postgres", AS_POSTGRES + [
            pg + "/postgres", "-D", data, "-h", "127.0.0.1", "-p", str(self.pg_port),
            "-k", data, "-c", "fsync=off", "-c", "synchronous_commit=off",
            "-c", "full_page_writes=off"])
        self.psql = [pg + "/psql", "-h", "127.0.0.1", "-p", str(self.pg_port), "-U", "postgres",
                     "-v", "ON_ERROR_STOP=1", "-q"]
        self.pg = pg
        self._wait(lambda: subprocess.run(self.psql + ["-c", "select 1"],
                                          stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL).returncode == 0,
                   "postgres", 60)
        _run(self.psql + ["-c", "CREATE DATABASE sentry"], self._log("psql"))

    def _redis(self):
        self.redis_port = free_port()
        self._spawn("redis", ["redis-server", "--bind", "127.0.0.1", "--port",
                              str(self.redis_port), "--save", "", "--appendonly", "no",
                              "--dir", self.root])
        self._wait(lambda: _answers("127.0.0.1", self.redis_port), "redis", 30)

    def _configure(self):
        self.conf = os.path.join(self.root, "conf")
        shutil.copytree(os.path.join(self.venv, "conf"), self.conf)
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        with open(os.path.join(self.conf, "sentry.conf.py"), "a") as handle:
            handle.write(_CONF_TAIL % {"pg_port": self.pg_port, "port": self.port})
        with open(os.path.join(self.conf, "config.yml"), "w") as handle:
            yaml.safe_dump({   # the whole file, written here
                "mail.backend": "dummy",
                "system.admin-email": ADMIN_EMAIL,
                "system.url-prefix": self.url,
                "system.secret-key": os.urandom(32).hex(),
                "redis.clusters": {"default": {"hosts": {
                    0: {"host": "127.0.0.1", "port": self.redis_port}}}},
            }, handle)

    def _database(self):
        """Sentry's migrations take minutes: run them once per venv and keep a dump of the
        result beside it; later sessions restore the dump."""
        # Per PostgreSQL major version: a dump restores into its own release or a newer one.
        major = os.path.basename(os.path.dirname(self.pg))
        dump = os.path.join(self.venv, "migrated-postgresql-%s.dump" % major)
        with _locked(dump + ".lock"):
            if os.path.exists(dump):
                _run([self.pg + "/pg_restore", "-h", "127.0.0.1", "-p", str(self.pg_port),
                      "-U", "postgres", "-d", "sentry", "--no-owner", dump],
                     self._log("pg_restore"))
                self.timings["database from"] = "cached dump"
            else:
                self._sentry("upgrade", "--noinput")
                _run([self.pg + "/pg_dump", "-h", "127.0.0.1", "-p", str(self.pg_port),
                      "-U", "postgres", "-Fc", "-f", dump + ".tmp", "sentry"],
                     self._log("pg_dump"))
                os.rename(dump + ".tmp", dump)
                self.timings["database from"] = "sentry upgrade"

    def _admin(self):
        tokens_file = os.path.join(self.root, "tokens.json")
        self._sentry("exec", "-c", SETUP_SCRIPT % {
            "email": ADMIN_EMAIL, "out": tokens_file, "tokens": TOKENS})
        with open(tokens_file) as handle:
            self.tokens = json.load(handle)

    def ready(self):
        try:
            with urllib.request.urlopen(self.url + "/_health/", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    def _wait(self, ready, name, timeout):
        deadline = time.monotonic() + timeout
        while not ready():
            process = self.processes.get(name)
            if process is not None and process.poll() is not None:
                raise RuntimeError("%s exited with %d; see %s"
                                   % (name, process.returncode, self._log(name)))
            if time.monotonic() > deadline:
                raise RuntimeError("%s not ready within %d s; see %s"
                                   % (name, timeout, self._log(name)))
            time.sleep(0.3)

    def _bin(self, name):
        return os.path.join(self.venv, "bin", name)

    def _env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SENTRY_", "UWSGI_"))}
        env.update(SENTRY_CONF=self.conf, PYTHONDONTWRITEBYTECODE="1")
        return env

    def _sentry(self, *args):
        _run([self._bin("sentry")] + list(args), self._log("sentry-cli"), env=self._env(),
             cwd=self.root)

    # -- teardown ------------------------------------------------------------------------

    def stop(self):
        """By the pids this object started; uWSGI's workers are in its process group."""
        for name in ("web", "redis", "postgres"):
            process = self.processes.get(name)
            if process is None or process.poll() is not None:
                continue
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM if name != "web" else signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def remove(self):
        shutil.rmtree(self.root, ignore_errors=True)


def _answers(host, port):
    import socket
    try:
        with socket.create_connection((host, port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


_CONF_TAIL = """
# Added by tests/support/sentry_server.py
DATABASES = {"default": {"ENGINE": "sentry.db.postgres", "NAME": "sentry", "USER": "postgres",
                         "PASSWORD": "", "HOST": "127.0.0.1", "PORT": "%(pg_port)d"}}
SENTRY_SINGLE_ORGANIZATION = False     # each test gets an organization of its own
SENTRY_FEATURES["organizations:create"] = True
SENTRY_WEB_HOST = "127.0.0.1"
SENTRY_WEB_PORT = %(port)d
SENTRY_WEB_OPTIONS = {
    "workers": 2,                      # two syncs at once are one of the tests
    "threads": 2,
    "memory-report": False,
    # uWSGI's bare HTTP listener answers HTTP/1.1 without saying it closes, then closes:
    # a client reusing the connection races that close. The client copes (a test shows it);
    # here every answer says so, so the tests do not depend on the race.
    "add-header": "Connection: close",
}
SENTRY_BEACON = False
# Each test makes an organization; Sentry allows a user 5 an hour. No limits here.
SENTRY_RATELIMITER = "sentry.ratelimits.base.RateLimiter"
"""


def main(argv):
    if len(argv) != 1:
        print("usage: python -m tests.support.sentry_server DIR", file=sys.stderr)
        return 1
    os.makedirs(argv[0], exist_ok=True)
    server = SentryServer.start(os.path.abspath(argv[0]))
    print(server.url, server.organization)
    print(json.dumps(server.timings), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

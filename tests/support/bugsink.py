"""Start and stop a real Bugsink (the venv's `bugsink` package, SQLite) for tests and the demo.

Pieces are separate so other fixtures can reuse them: `write_conf` only writes the
configuration (e.g. for Bugsink under Apache/mod_wsgi), `migrate` and `make_admin` prepare
the databases, `Bugsink.start` serves it on 127.0.0.1. Command line (for scripts/demo):
    python -m tests.support.bugsink start DIR TOKEN_FILE
prints `URL PID` and leaves it running; the token goes to TOKEN_FILE (0600), never to stdout.
"""
import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

from tests.support.ports import free_port

VENV_BIN = os.path.dirname(os.path.abspath(sys.executable))
ADMIN_USER = "admin"
ADMIN_PASSWORD = "admin-password-for-tests"  # a throwaway instance on 127.0.0.1



def _tool(name):
    path = os.path.join(VENV_BIN, name)
    if not os.path.exists(path):
        raise RuntimeError("%s is missing: run scripts/install-deps (it installs bugsink into "
                           ".venv)" % path)
    return path


def write_conf(directory, base_url, host="127.0.0.1", port=8000, template="local"):
    """Write DIRECTORY/bugsink_conf.py: databases inside DIRECTORY (absolute paths), no phoning
    home (no internet), events digested inside the request (no snappea worker needed)."""
    directory = os.path.abspath(directory)
    os.makedirs(directory, exist_ok=True)
    conf = os.path.join(directory, "bugsink_conf.py")
    subprocess.run([_tool("bugsink-create-conf"), "--template=" + template, "--host=" + host,
                    "--port=%d" % port, "--output-file", conf],
                   cwd=directory, check=True, stdout=subprocess.DEVNULL)
    with open(conf, "a", encoding="utf-8") as handle:
        handle.write("\n# Added by tests/support/bugsink.py\n"
                     "DATABASES['default']['NAME'] = %r\n"
                     "DATABASES['snappea']['NAME'] = %r\n"
                     "BUGSINK['BASE_URL'] = %r\n"
                     "BUGSINK['PHONEHOME'] = False\n"
                     "BUGSINK['INGEST_STORE_BASE_DIR'] = %r\n"
                     "SNAPPEA = {'TASK_ALWAYS_EAGER': True}\n"
                     % (os.path.join(directory, "db.sqlite3"),
                        os.path.join(directory, "snappea.sqlite3"), base_url.rstrip("/"),
                        os.path.join(directory, "ingestion")))
    return conf


def _env(directory):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.abspath(directory)
    env["DJANGO_SETTINGS_MODULE"] = "bugsink_conf"
    return env


def manage(directory, *args, env=None):
    result = subprocess.run([_tool("bugsink-manage")] + list(args), cwd=directory,
                            env=dict(_env(directory), **(env or {})),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        raise RuntimeError("bugsink-manage %s failed (exit %d):\n%s"
                           % (" ".join(args), result.returncode, result.stderr[-2000:]))
    return result.stdout


def migrate(directory):
    manage(directory, "migrate", "--noinput")
    manage(directory, "migrate", "snappea", "--database=snappea", "--noinput")


def make_admin(directory):
    """Create the superuser and return a new API token (40 hex characters)."""
    manage(directory, "createsuperuser", "--noinput", env={
        "DJANGO_SUPERUSER_USERNAME": ADMIN_USER, "DJANGO_SUPERUSER_EMAIL": "admin@example.com",
        "DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD})
    return create_token(directory)


def create_token(directory):
    words = manage(directory, "create_auth_token").split()
    tokens = [w for w in words if len(w) == 40 and all(c in "0123456789abcdef" for c in w)]
    if not tokens:
        raise RuntimeError("bugsink-manage create_auth_token printed no token")
    return tokens[-1]


@dataclasses.dataclass
class Bugsink:
    directory: str
    url: str
    port: int
    token: str
    process: subprocess.Popen = None

    @classmethod
    def setup(cls, directory):
        """Configure, migrate and make an admin in DIRECTORY; not started yet."""
        port = free_port()
        url = "http://127.0.0.1:%d" % port
        write_conf(directory, url, port=port)
        migrate(directory)
        return cls(os.path.abspath(directory), url, port, make_admin(directory))

    def copy(self, directory):
        """A fresh instance with this one's databases (users, token, data) in DIRECTORY: a
        second of work instead of the migrations' ten. Copy a stopped instance only."""
        port = free_port()
        url = "http://127.0.0.1:%d" % port
        write_conf(directory, url, port=port)
        for name in ("db.sqlite3", "snappea.sqlite3"):
            shutil.copyfile(os.path.join(self.directory, name), os.path.join(directory, name))
        return Bugsink(os.path.abspath(directory), url, port, self.token)

    def start(self, timeout=60):
        log = open(os.path.join(self.directory, "server.log"), "ab")
        self.process = subprocess.Popen(
            [_tool("bugsink-manage"), "runserver", "127.0.0.1:%d" % self.port, "--noreload"],
            cwd=self.directory, env=_env(self.directory), stdout=log, stderr=log,
            stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("Bugsink exited with %d; see %s/server.log"
                                   % (self.process.returncode, self.directory))
            if self.ready():
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("Bugsink not ready on %s within %d s; see %s/server.log"
                           % (self.url, timeout, self.directory))

    def ready(self):
        try:
            with urllib.request.urlopen(self.url + "/health/ready", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def api(self, path):
        """GET /api/canonical/0/<path> with the admin token -> parsed JSON (all pages)."""
        return api_get(self.url, self.token, path)


def api_get(base_url, token, path, context=None, timeout=10):
    """GET <base_url>/api/canonical/0/<path> with a Bearer token -> parsed JSON, every page's
    `results` together for a listing."""
    import json
    url = "%s/api/canonical/0/%s" % (base_url, path.lstrip("/"))
    results = None
    while url:
        request = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
        with urllib.request.urlopen(request, context=context, timeout=timeout) as response:
            body = json.load(response)
        if not (isinstance(body, dict) and "results" in body):
            return body
        results = (results or []) + body["results"]
        url = body.get("next")
    return results


def main(argv):
    if len(argv) != 3 or argv[0] != "start":
        print("usage: python -m tests.support.bugsink start DIR TOKEN_FILE", file=sys.stderr)
        return 1
    server = Bugsink.setup(argv[1]).start()
    fd = os.open(argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(server.token + "\n")
    print(server.url, server.process.pid)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

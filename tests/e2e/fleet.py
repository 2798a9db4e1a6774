"""A synthetic fleet of app servers put into the real PuppetDB, fast: each host's catalog (5
exported `sentry::source::project`, as sentry::source::export makes them) goes in through
PuppetDB's command API (`replace_catalog` v9, what puppetserver sends after a compile), posted
in batches by a bounded pool of keep-alive connections, then waited for until PuppetDB has
stored them all. Used by bench/fleet.py (thousands of hosts) and its e2e smoke test.

Host h is `web%05d.example.com`; its k-th app is `<PREFIXES[k]><h // 3>`, so hosts 3i, 3i+1 and
3i+2 run the same 5 apps: 5 definitions per host, one distinct app per 3 definitions (50,000
definitions give 16,670 apps), and host h's apps do not depend on the fleet's size (a bigger
fleet is the smaller one plus more hosts)."""
import concurrent.futures
import http.client
import json
import threading
import time
import urllib.parse

from tests.e2e import exports

PREFIXES = ("shop", "billing", "search", "api", "worker")
PLATFORMS = ("python", "ruby", "node", "java", "go")
TEAMS = ("apps", "payments", "search", "mobile", "ops")
HOSTS_PER_APP = 3
BATCH = 500          # catalogs built and posted per round: memory stays flat at any fleet size


def certname(host):
    return "web%05d.example.com" % host


def apps(host):
    """-> [(app, platform, team)] the host runs: one per prefix."""
    group = host // HOSTS_PER_APP
    return [("%s%05d" % (prefix, group), PLATFORMS[(group + k) % len(PLATFORMS)],
             TEAMS[(group + k) % len(TEAMS)]) for k, prefix in enumerate(PREFIXES)]


def distinct_apps(hosts):
    return len(PREFIXES) * -(-hosts // HOSTS_PER_APP)


def host_catalog(host, environment):
    name = certname(host)
    return exports.catalog(name, [exports.export(app, name, environment, platform=platform,
                                                 team=team)
                                  for app, platform, team in apps(host)], environment)


class CommandPoster:
    """POSTs commands to PuppetDB's /pdb/cmd/v1 from `workers` threads, one keep-alive
    connection each."""

    def __init__(self, port, workers):
        self.port = port
        self.workers = workers
        self._local = threading.local()
        self._connections = []
        self._lock = threading.Lock()

    def _connection(self, fresh=False):
        conn = getattr(self._local, "conn", None)
        if conn is None or fresh:
            if conn is not None:
                conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def post(self, command):
        name, body = command
        path = "/pdb/cmd/v1?" + urllib.parse.urlencode({
            "command": "replace_catalog", "version": 9, "certname": name,
            "producer-timestamp": exports.now()})
        for attempt in (1, 2):   # a keep-alive connection PuppetDB closed: once more, afresh
            conn = self._connection(fresh=attempt == 2)
            try:
                conn.request("POST", path, body, {"Content-Type": "application/json"})
                response = conn.getresponse()
                answer = response.read()
                break
            except (http.client.HTTPException, OSError):
                if attempt == 2:
                    raise
        if response.status != 200:
            raise RuntimeError("PuppetDB refused the replace_catalog command of %s: %d %s"
                               % (name, response.status, answer[:300]))

    def post_all(self, commands):
        with concurrent.futures.ThreadPoolExecutor(self.workers) as pool:
            for _ in pool.map(self.post, commands):
                pass

    def close(self):
        for conn in self._connections:
            conn.close()


def inject(stack, first, last, environment="production", workers=8):
    """Hosts first .. last-1 replace their catalogs in PuppetDB; -> seconds spent posting.
    PuppetDB has queued the commands, not stored them: see wait_stored."""
    poster = CommandPoster(stack.pdb_port, workers)
    started = time.monotonic()
    try:
        for start in range(first, last, BATCH):
            batch = [(certname(h), json.dumps(host_catalog(h, environment)).encode())
                     for h in range(start, min(start + BATCH, last))]
            poster.post_all(batch)
    finally:
        poster.close()
    return time.monotonic() - started


def wait_stored(stack, definitions, environment="production", timeout=None):
    """Wait until PuppetDB holds `definitions` exported resources tagged `environment` (its
    command queue drained); -> seconds waited. The timeout grows with the fleet."""
    if timeout is None:
        timeout = 120 + definitions * 0.05
    started = time.monotonic()
    exports.wait_for(lambda: exports.exported_count(stack, environment) >= definitions,
                     "%d exported definitions tagged %s" % (definitions, environment), timeout)
    return time.monotonic() - started

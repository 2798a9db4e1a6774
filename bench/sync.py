"""Benchmark `sentry-puppet sync` against the fake Sentry /api/0/ server, in one run:

  1. in-sync: 1,000 projects on the server, every DSN file present (goal: <= 15 requests, < 2 s)
  2. cold: 1,000 projects to create in 5 new teams (goal: <= 2 requests per project + teams)
  3. baseline: one `sentry-puppet sync` process per app, the article's one-exec-per-project
     shape, measured on a sample of apps and extrapolated to all of them (goal: the batch
     run is >= 20x faster)
  4. peak RSS of an in-sync run with 10,000 definitions (goal: < 150 MB)

Every figure comes from the installed command run as a child process; request counts are
the server's own. Usage: .venv/bin/python bench/sync.py [--apps 1000] [--sample 50]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.support.fake_sentry import FakeSentry  # noqa: E402

CLI = os.path.join(os.path.dirname(os.path.abspath(sys.executable)), "sentry-puppet")
TEAMS = ("apps", "payments", "search", "mobile", "ops")


def app_name(n):
    return "app%05d" % n


class Site:
    """A config, a definitions dir and a DSN dir in a temporary directory."""

    def __init__(self, root, fake, apps, with_dsn_files):
        self.root = root
        self.defs = os.path.join(root, "defs")
        self.dsn_dir = os.path.join(root, "dsn")
        os.makedirs(self.defs)
        os.makedirs(self.dsn_dir)
        os.chmod(self.dsn_dir, 0o755)
        token = os.path.join(root, "token")
        with open(os.open(token, os.O_WRONLY | os.O_CREAT, 0o600), "w") as handle:
            handle.write(fake.token)
        self.config = os.path.join(root, "config.yaml")
        with open(self.config, "w") as handle:
            handle.write("backend: sentry\nurl: %s\norganization: %s\nteam: apps\n"
                         "token_file: %s\ndefinitions_dir: %s\ndsn_dir: %s\n"
                         % (fake.url, fake.org, token, self.defs, self.dsn_dir))
        for n in apps:
            self.define(n)
            if with_dsn_files:
                with open(os.path.join(self.dsn_dir, app_name(n)), "w") as handle:
                    handle.write(fake.keys[app_name(n)][0]["dsn"]["public"] + "\n")

    def define(self, n):
        with open(os.path.join(self.defs, "%s-app01.yaml" % app_name(n)), "w") as handle:
            handle.write("project: %s\nplatform: python\nteam: %s\n"
                         % (app_name(n), TEAMS[n % len(TEAMS)]))


def run_sync(site, *args):
    """-> (wall seconds, peak RSS in MB) of one `sentry-puppet sync` child process."""
    env = {k: v for k, v in os.environ.items() if k != "SENTRY_PUPPET_TOKEN"}
    start = time.perf_counter()
    proc = subprocess.Popen([CLI, "--config", site.config, "sync"] + list(args), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # wait4 gives this child's own rusage (RUSAGE_CHILDREN would mix all children).
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode()
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit("sync failed (exit %d):\n%s" % (proc.returncode, err[-2000:]))
    return wall, usage.ru_maxrss / 1024.0


def fake_with(projects, teams=TEAMS):
    fake = FakeSentry(projects=0, teams=teams)
    for n in range(projects):
        fake.add_project(app_name(n), teams[n % len(teams)] if teams else "apps")
    return fake.start()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--apps", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=50)
    parser.add_argument("--rss-apps", type=int, default=10000)
    args = parser.parse_args()
    apps, sample = range(args.apps), range(args.sample)
    tmp = tempfile.mkdtemp(prefix="bench-sync-")
    print("sentry-puppet sync against the fake Sentry /api/0/ (%s), %d apps; python %s"
          % (CLI, args.apps, sys.version.split()[0]))

    # 1. in sync
    with fake_with(args.apps) as fake:
        site = Site(os.path.join(tmp, "insync"), fake, apps, with_dsn_files=True)
        before = len(fake.requests)
        wall_insync, _ = run_sync(site)
        req_insync = len(fake.requests) - before
        # Baseline in sync: one process per app, each with its one definition.
        walls = []
        for n in sample:
            one = Site(os.path.join(tmp, "insync-one-%d" % n), fake, [n], with_dsn_files=True)
            walls.append(run_sync(one)[0])
        base_insync = sum(walls) / len(walls) * args.apps
        req_base_insync = (len(fake.requests) - before - req_insync) / len(walls)
    print("\n1. in-sync batch run: %d requests, %.2f s (goals: <= 15 requests, < 2 s)"
          % (req_insync, wall_insync))
    print("   baseline, one process per app: %.2f s each (mean of %d, %d requests each) "
          "-> %.0f s for %d apps (extrapolated); batch is %.0fx faster"
          % (base_insync / args.apps, len(walls), req_base_insync, base_insync, args.apps,
             base_insync / wall_insync))

    # 2. cold: every project and team to create
    with fake_with(0, teams=()) as fake:
        site = Site(os.path.join(tmp, "cold"), fake, apps, with_dsn_files=False)
        wall_cold, _ = run_sync(site)
        created = len(fake.projects)
        creates = fake.count("POST", "/projects/")
        key_reads = fake.count("GET", "/keys/")
        team_creates = fake.count("POST", path="/api/0/organizations/%s/teams/" % fake.org)
        listings = len(fake.requests) - creates - key_reads - team_creates
    print("\n2. cold batch run: %d projects in %d new teams, %.2f s, %d requests: "
          "%.2f per project (%d creates + %d key reads) + %d team creates + %d listings "
          "(goal: <= 2 per project + teams)"
          % (created, team_creates, wall_cold, len(fake.requests),
             (creates + key_reads) / created, creates, key_reads, team_creates, listings))

    # 3. baseline cold: one process per app, each creating its project
    with fake_with(0, teams=()) as fake:
        walls = []
        for n in sample:
            one = Site(os.path.join(tmp, "cold-one-%d" % n), fake, [n], with_dsn_files=False)
            walls.append(run_sync(one)[0])
        base_cold = sum(walls) / len(walls) * args.apps
        req_base_cold = len(fake.requests) / len(walls)
    print("\n3. baseline, one `sentry-puppet sync` process per app (the article's shape), "
          "cold: %.2f s each (mean of %d, %.1f requests each) -> %.0f s for %d apps "
          "(extrapolated from the sample)" % (base_cold / args.apps, len(walls),
                                              req_base_cold, base_cold, args.apps))
    print("   batch cold run %.2f s: %.0fx faster (goal: >= 20x)"
          % (wall_cold, base_cold / wall_cold))

    # 4. memory: 10,000 definitions in sync
    with fake_with(args.rss_apps) as fake:
        site = Site(os.path.join(tmp, "rss"), fake, range(args.rss_apps), with_dsn_files=True)
        before = len(fake.requests)
        wall_rss, rss = run_sync(site)
        req_rss = len(fake.requests) - before
    print("\n4. in-sync run with %d definitions: peak RSS %.1f MB (goal: < 150 MB), "
          "%d requests, %.2f s" % (args.rss_apps, rss, req_rss, wall_rss))

    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()

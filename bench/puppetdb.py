"""Benchmark the PuppetDB definitions source at fleet scale, in one run:

  1. `sentry-puppet validate` reading N definitions (default 50,000: 10,000 app servers x 5
     apps, about 17,000 distinct apps) from an HTTPS PuppetDB that streams its answer
     (tests/support/fake_puppetdb.py: client certificate required, chunked JSON);
  2. baseline: the same definitions as N files in `definitions_dir` (today's collection);
  3. the first `sentry-puppet sync` of those N definitions from PuppetDB into the fake Sentry
     /api/0/ (every project and team to create), then the in-sync run after it.

Goals (issue 10): peak RSS < 150 MB; few PuppetDB requests; at most 2 requests per new
project plus the listings. Figures come from the installed command run as a child process
(its own peak RSS by wait4); request counts are the servers' own.

Usage: .venv/bin/python bench/puppetdb.py [--hosts 10000] [--apps-per-host 5] [--distinct 17000]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.support.fake_puppetdb import FakePuppetDB, exported  # noqa: E402
from tests.support.fake_sentry import FakeSentry  # noqa: E402
from tests.support.pki import TestPKI  # noqa: E402

CLI = os.path.join(os.path.dirname(os.path.abspath(sys.executable)), "sentry-puppet")
TEAMS = ("apps", "payments", "search", "mobile", "ops")
PLATFORMS = ("python", "ruby", "node", "java", "go")


def fleet(hosts, per_host, distinct):
    """Yield (app, certname, platform, team): host h runs apps h*per_host .. +per_host-1
    (mod `distinct`), so each app runs on about hosts*per_host/distinct hosts."""
    for h in range(hosts):
        certname = "app%05d.example.com" % h
        for k in range(per_host):
            n = (h * per_host + k) % distinct
            yield "app%05d" % n, certname, PLATFORMS[n % len(PLATFORMS)], TEAMS[n % len(TEAMS)]


def run(config, *args):
    """-> (wall seconds, peak RSS MB, exit code, stderr) of one child `sentry-puppet`."""
    env = {k: v for k, v in os.environ.items() if k != "SENTRY_PUPPET_TOKEN"}
    start = time.perf_counter()
    proc = subprocess.Popen([CLI, "--config", config] + list(args), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read().decode()   # read before wait4: a full pipe would block it
    _, status, usage = os.wait4(proc.pid, 0)
    proc.stderr.close()
    return (time.perf_counter() - start, usage.ru_maxrss / 1024.0,
            os.waitstatus_to_exitcode(status), err)


def checked(label, result, codes=(0,)):
    wall, rss, code, err = result
    if code not in codes:
        raise SystemExit("%s: exit %d\n%s" % (label, code, err[-3000:]))
    return wall, rss


def write_config(path, sentry, token, **extra):
    settings = {"backend": "sentry", "url": sentry.url, "organization": sentry.org,
                "team": "apps", "token_file": token, "timeout": 30,
                "dsn_dir": os.path.join(os.path.dirname(path), "dsn")}
    settings.update(extra)
    with open(path, "w") as handle:
        yaml.safe_dump(settings, handle)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hosts", type=int, default=10000)
    parser.add_argument("--apps-per-host", type=int, default=5)
    parser.add_argument("--distinct", type=int, default=17000)
    args = parser.parse_args()
    total = args.hosts * args.apps_per_host
    distinct = min(args.distinct, total)
    tmp = tempfile.mkdtemp(prefix="bench-puppetdb-")
    pki = TestPKI.create(os.path.join(tmp, "pki"))

    def resources():
        for app, certname, platform, team in fleet(args.hosts, args.apps_per_host, distinct):
            yield exported(app, certname, platform=platform, team=team)

    sentry = FakeSentry(projects=0, teams=()).start()
    token = os.path.join(tmp, "token")
    with open(os.open(token, os.O_WRONLY | os.O_CREAT, 0o600), "w") as handle:
        handle.write(sentry.token)
    print("sentry-puppet (%s), %d definitions: %d app servers x %d apps, %d distinct apps; "
          "python %s" % (CLI, total, args.hosts, args.apps_per_host, distinct,
                         sys.version.split()[0]))
    try:
        with FakePuppetDB(pki, resources) as pdb:
            pdb_settings = {"url": pdb.url, "environment": "production",
                            "ca_file": pki.ca_file, "cert_file": pki.client.cert,
                            "key_file": pki.client.key}
            os.makedirs(os.path.join(tmp, "pdb"))
            config = write_config(os.path.join(tmp, "pdb", "config.yaml"), sentry, token,
                                  puppetdb=pdb_settings)
            # 1. validate from PuppetDB
            wall, rss = checked("validate (PuppetDB)", run(config, "validate"))
            print("\n1. validate, definitions from PuppetDB: %.2f s, peak RSS %.1f MB, "
                  "%d PuppetDB request(s) (goal: RSS < 150 MB, few requests)"
                  % (wall, rss, pdb.requests))

            # 2. baseline: the same definitions as files
            defs = os.path.join(tmp, "files", "projects.d")
            os.makedirs(defs)
            mark = time.perf_counter()
            for app, certname, platform, team in fleet(args.hosts, args.apps_per_host,
                                                       distinct):
                with open(os.path.join(defs, "%s-%s.yaml" % (app, certname)), "w") as handle:
                    handle.write("project: %s\nplatform: %s\nteam: %s\nsource: %s\n"
                                 % (app, platform, team, certname))
            written = time.perf_counter() - mark
            files_config = write_config(os.path.join(tmp, "files", "config.yaml"), sentry,
                                        token, definitions_dir=defs)
            base_wall, base_rss = checked("validate (files)", run(files_config, "validate"))
            print("2. baseline, the same definitions as %d files (written in %.1f s): "
                  "%.2f s, peak RSS %.1f MB; PuppetDB/files: %.2fx time, %.2fx RSS"
                  % (total, written, base_wall, base_rss, wall / base_wall, rss / base_rss))

            # 3. first sync from PuppetDB, every project to create; then in sync
            before = pdb.requests
            wall, rss = checked("first sync", run(config, "sync", "--jobs", "8"))
            creates = sentry.count("POST", "/projects/")
            key_reads = sentry.count("GET", "/keys/")
            team_creates = sentry.count("POST", path="/api/0/organizations/%s/teams/"
                                        % sentry.org)
            listings = len(sentry.requests) - creates - key_reads - team_creates
            print("3. first sync from PuppetDB: %d projects in %d new teams, %.1f s, peak RSS "
                  "%.1f MB, %d PuppetDB request(s); %d server requests: %.2f per new project "
                  "(%d creates + %d key reads) + %d team creates + %d listings "
                  "(goals: RSS < 150 MB, <= 2 per new project + listings)"
                  % (len(sentry.projects), team_creates, wall, rss, pdb.requests - before,
                     len(sentry.requests), (creates + key_reads) / max(creates, 1), creates,
                     key_reads, team_creates, listings))
            before, server_before = pdb.requests, len(sentry.requests)
            wall, rss = checked("in-sync sync", run(config, "sync"))
            print("   in-sync run after it: %.1f s, peak RSS %.1f MB, %d PuppetDB request(s), "
                  "%d server requests" % (wall, rss, pdb.requests - before,
                                          len(sentry.requests) - server_before))
    finally:
        sentry.stop()
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()

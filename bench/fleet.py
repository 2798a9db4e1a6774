"""The Sentry host's Puppet run against the size of the fleet, on the real stack
(tests/e2e/stack.py: puppetserver, PuppetDB, PostgreSQL), in one run:

For each fleet size (synthetic app servers exporting 5 `sentry::source::project` each, put into
PuppetDB with its `replace catalog` command), the Sentry host (`sentry::server`, backend
`sentry` against the fake /api/0/) converges once, then its in-sync run is measured: catalog
resources, config retrieval (compile + transfer), apply and whole run, from the agent's own
`last_run_summary.yaml`. Two ways to get the definitions:

  puppetdb  the tool reads PuppetDB itself; the catalog collects nothing (the default)
  files     the catalog collects every export into a file (`definitions_from => 'files'`):
            the baseline, measured up to --files-max-hosts (beyond, a run takes many minutes)

and the tool's own in-sync `sync` (what the systemd timer runs), wall time and peak RSS.

Usage: .venv/bin/python bench/fleet.py [--hosts 2,200,2000,10000] [--files-max-hosts 2000]
                                       [--runs 3]
"""
import argparse
import concurrent.futures
import os
import pathlib
import shutil
import subprocess
import sys
import time

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e import exports  # noqa: E402
from tests.e2e.stack import Agent, Stack, write  # noqa: E402
from tests.support.fake_sentry import FakeSentry  # noqa: E402

STDLIB = "/usr/share/puppet/modules/stdlib"
APPS_PER_HOST = 5
DISTINCT = 17000 / 50000   # distinct apps per definition, as issue 10's 50,000 -> 17,000

SITE_PP = """
node 'sentry.example.com' {{
  $node_dir = '{root}/agents/sentry.example.com'
  class {{ 'sentry::server':
    backend          => 'sentry',
    url              => '{sentry_url}',
    organization     => '{org}',
    token            => Sensitive('{token}'),
    package_source   => '{repo}',
    venv             => '{root}/sentry-host/venv',
    config_dir       => '{root}/sentry-host/etc',
    definitions_dir  => '{root}/sentry-host/etc/projects.d',
    dsn_dir          => '{root}/sentry-host/dsn',
    sync_timer       => false,
    definitions_from => '{mode}',
    puppetdb         => {{
      'ca_file'   => "${{node_dir}}/ssl/certs/ca.pem",
      'cert_file' => "${{node_dir}}/ssl/certs/sentry.example.com.pem",
      'key_file'  => "${{node_dir}}/ssl/private_keys/sentry.example.com.pem",
    }},
  }}
}}
"""


def host_resources(h, distinct):
    certname = "app%05d.example.com" % h
    return certname, [exports.export("app%05d" % ((h * APPS_PER_HOST + k) % distinct), certname)
                      for k in range(APPS_PER_HOST)]


def inject(stack, first, last, distinct):
    """Hosts first..last-1 through the command API, 8 in flight; -> seconds until stored."""
    mark = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda h: exports.replace_catalog(stack, *host_resources(h, distinct)),
                      range(first, last)))
    want = last * APPS_PER_HOST
    # PuppetDB refuses a bad command only in its log: a count that never comes says so.
    exports.wait_for(lambda: exports.exported_count(stack) >= want,
                     "%d exports stored (see puppetdb.log)" % want, timeout=300 + last // 5)
    return time.monotonic() - mark


def summary(agent):
    path = os.path.join(agent.dir, "public", "last_run_summary.yaml")  # publicdir, Puppet 6+
    with open(path) as handle:
        data = yaml.safe_load(handle)
    times = data.get("time", {})
    return {"resources": data.get("resources", {}).get("total"),
            "config_retrieval": times.get("config_retrieval"),
            "catalog_application": times.get("catalog_application")}


def agent_run(agent, label, codes=(0, 2)):
    code, output, wall = agent.run()
    if code not in codes:
        raise SystemExit("%s: exit %d\n%s" % (label, code, output[-5000:]))
    return code, wall


def tool_sync(root):
    tool = os.path.join(root, "sentry-host", "venv", "bin", "sentry-puppet")
    start = time.perf_counter()
    proc = subprocess.Popen([tool, "--config", os.path.join(root, "sentry-host", "etc",
                                                             "config.yaml"), "sync"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("tool sync failed:\n%s" % err[-3000:])
    return time.perf_counter() - start, usage.ru_maxrss / 1024.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hosts", default="2,200,2000,10000")
    parser.add_argument("--files-max-hosts", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3,
                        help="in-sync runs per point; the median is shown (the box is shared)")
    args = parser.parse_args()
    sizes = sorted(int(n) for n in args.hosts.split(","))
    stack = Stack()
    sentry = FakeSentry(projects=0, teams=()).start()
    rows = []
    try:
        stack.start()
        print("stack up: %s" % ", ".join("%s %.0f s" % kv for kv in stack.timings.items()),
              flush=True)
        modules = os.path.join(stack.environment, "modules")
        os.symlink(str(ROOT / "puppet-module"), os.path.join(modules, "sentry"))
        os.symlink(STDLIB, os.path.join(modules, "stdlib"))
        site_pp = os.path.join(stack.environment, "manifests", "site.pp")
        sentry_host = Agent(stack, "sentry.example.com")
        injected = 0
        for hosts in sizes:
            # At least APPS_PER_HOST: a host's 5 consecutive apps (mod distinct) stay distinct.
            distinct = max(APPS_PER_HOST, int(hosts * APPS_PER_HOST * DISTINCT))
            stored = inject(stack, injected, hosts, distinct)
            injected = hosts
            print("\n%d app servers, %d definitions (%d distinct apps): stored in %.0f s"
                  % (hosts, hosts * APPS_PER_HOST, distinct, stored), flush=True)
            for mode in ("puppetdb", "files"):
                if mode == "files" and hosts > args.files_max_hosts:
                    continue
                write(site_pp, SITE_PP.format(root=stack.root, sentry_url=sentry.url,
                                              org=sentry.org, token=sentry.token, repo=ROOT,
                                              mode=mode))
                _, converge = agent_run(sentry_host, "converge %s" % mode)
                runs = []
                for _ in range(args.runs):
                    code, wall = agent_run(sentry_host, "in-sync %s" % mode)
                    runs.append(dict(summary(sentry_host), wall=wall, exit=code))
                row = sorted(runs, key=lambda r: r["wall"])[len(runs) // 2]
                row.update(hosts=hosts, mode=mode, converge=converge,
                           walls=", ".join("%.1f" % r["wall"] for r in runs))
                if mode == "puppetdb":
                    row["tool_wall"], row["tool_rss"] = tool_sync(stack.root)
                rows.append(row)
                print("  %-8s converge %6.1f s; in-sync run (median of %s s): exit %d, %6d "
                      "resources, config retrieval %6.1f s, catalog application %6.1f s, whole "
                      "%6.1f s%s"
                      % (mode, converge, row["walls"], row["exit"], row["resources"] or 0,
                         row["config_retrieval"], row["catalog_application"] or 0, row["wall"],
                         "; tool sync %.1f s, %.0f MB" % (row["tool_wall"], row["tool_rss"])
                         if mode == "puppetdb" else ""), flush=True)
        base = [r for r in rows if r["mode"] == "puppetdb" and r["hosts"] == sizes[0]][0]
        print("\nin-sync Sentry host run, PuppetDB source, against %d definitions:"
              % (sizes[0] * APPS_PER_HOST))
        for r in rows:
            print("  %6d definitions %-8s whole %6.1f s (%.2fx), %6d resources"
                  % (r["hosts"] * APPS_PER_HOST, r["mode"], r["wall"], r["wall"] / base["wall"],
                     r["resources"] or 0))
        print("peak RSS: %s" % ", ".join("%s %.0f MiB" % (k, v or 0)
                                         for k, v in stack.peak_memory().items()))
    finally:
        sentry.stop()
        stack.stop()
        shutil.rmtree(stack.root, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Benchmark the Sentry host's Puppet run at fleet scale, on the real stack, in one run.

Stands up PostgreSQL + PuppetDB + puppetserver (tests/e2e/stack.py, puppetserver's heap a
flag), puts N synthetic app servers' catalogs into PuppetDB through its command API (5
exported `sentry::source::project` each, every app on 3 hosts: 10,000 hosts = 50,000
definitions, 16,670 apps; tests/e2e/fleet.py), and for each N measures:

  * the first `sentry-puppet sync` of all of them (read from PuppetDB) into an empty fake
    Sentry /api/0/: wall, requests per new project, peak RSS (goal: <= 2 per new project
    plus the listings, RSS < 150 MB);
  * the Sentry host's real `puppet agent --test` with `sentry::server`, once it is in sync:
    compile time (puppetserver's log), apply time, the whole run, the catalog's resource
    count; then the tool's own in-sync `sync` with the config Puppet wrote (wall, requests,
    peak RSS). NEW: `definitions_from => 'puppetdb'` (the tool reads PuppetDB; the catalog
    holds nothing per definition), timer off (the Puppet run checks with `sync --check`).
    TIMER (--timer): the same with `sync_timer` on, as the module's defaults have it: the
    Sentry host is a Debian root booted with systemd (tests/support/booted_root.py, on this
    machine's network), where the timer syncs and the Puppet run only checks the timer's
    state; its "tool sync" is the timer's own sync (`systemctl start` of its service).
    BASELINE (up to --baseline-max hosts): `definitions_from => 'files'`, today's collection
    of one file resource per definition into `definitions_dir`.

2 hosts (10 definitions) are always measured first: the reference for "within 1.5x".
Goals (issue 10), at 10,000 hosts: the in-sync agent run < 30 s and within 1.5x of the
10-definition run; the same catalog resource count; puppetserver's -Xmx768m suffices.

The server is the fake Sentry /api/0/ (tests/support/fake_sentry.py), not Bugsink: it counts
requests itself, 17,000 projects are made in seconds, and Sentry's API is the one whose
listings carry the DSNs (a sync in step reads listings only).

Usage: .venv/bin/python bench/fleet.py [--hosts 200,2000,10000] [--baseline-max 2000]
                                       [--heap 768m] [--runs 1] [--timer] [--keep]
Needs root (PostgreSQL runs as `postgres`, as in the e2e tests) and about 3 GiB of memory.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.e2e import fleet  # noqa: E402
from tests.e2e.stack import Agent, Stack, write  # noqa: E402
from tests.support import booted_root  # noqa: E402
from tests.support.fake_sentry import FakeSentry  # noqa: E402

STDLIB = "/usr/share/puppet/modules/stdlib"
SENTRY_HOST = "sentry.example.com"
TIMER_HOST = "sentry-timer.example.com"   # the booted root's agent
REFERENCE_HOSTS = 2          # 10 definitions
ENVIRONMENT = "production"
APPLIED = re.compile(r"Applied catalog in ([0-9.]+) seconds")

SITE_PP = """
node '{host}' {{
  class {{ 'sentry::server':
    backend          => 'sentry',
    url              => '{url}',
    organization     => '{org}',
    token            => Sensitive('{token}'),
    package_source   => '{repo}',
    venv             => '{root}/sentry-host/venv',
    config_dir       => '{root}/sentry-host/etc',
    definitions_dir  => '{root}/sentry-host/etc/projects.d',
    dsn_dir          => '{root}/sentry-host/dsn',
    definitions_from => '{mode}',
    sync_timer       => false,   # no systemd here; the Puppet run syncs
    puppetdb         => {{
      'ca_file'   => '{ssl}/certs/ca.pem',
      'cert_file' => '{ssl}/certs/{host}.pem',
      'key_file'  => '{ssl}/private_keys/{host}.pem',
    }},
  }}
}}
node '{timer_host}' {{
  class {{ 'sentry::server':
    backend          => 'sentry',
    url              => '{url}',
    organization     => '{org}',
    token            => Sensitive('{token}'),
    package_source   => '{repo}',
    # the module's defaults otherwise: sync_timer on, paths, the agent's own certificate
  }}
}}
node default {{ }}
"""


class FleetStack(Stack):
    """The e2e stack with the JVM heaps chosen here: puppetserver's is what is measured."""

    def __init__(self, puppetserver_heap, puppetdb_heap):
        super().__init__()
        self.heaps = {"puppetserver": puppetserver_heap, "puppetdb": puppetdb_heap}

    def _spawn(self, name, command):
        if name in self.heaps:
            flags = [arg for arg in command if arg.startswith(("-Xmx", "-Xms"))]
            if not any(arg.startswith("-Xmx") for arg in flags):
                raise RuntimeError("tests/e2e/stack.py no longer starts %s with -Xmx: update "
                                   "FleetStack._spawn" % name)
            heap = self.heaps[name]
            command = [("%s%s" % (arg[:4], heap) if arg in flags else arg) for arg in command]
        super()._spawn(name, command)


def measured(command, env=None):
    """A child whose own peak RSS we want: -> (code, stdout, stderr, wall, MB). Output to
    files (not pipes), so wait4 is what reaps it."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.monotonic()
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return proc.returncode, out.read(), err.read(), wall, usage.ru_maxrss / 1024.0


class SentryHost:
    """sentry.example.com: its agent, its site.pp, and its measured runs."""

    def __init__(self, stack, booted=None):
        self.stack = stack
        self.agent = Agent(stack, SENTRY_HOST)
        self.booted = booted   # the Sentry host with the timer, when measured
        self.root = os.path.join(stack.root, "bench")
        self.tool = os.path.join(self.root, "sentry-host", "venv", "bin", "sentry-puppet")
        self.config = os.path.join(self.root, "sentry-host", "etc", "config.yaml")
        self.server_log = os.path.join(stack.root, "puppetserver", "puppetserver.log")
        modules = os.path.join(stack.environment, "modules")
        os.symlink(os.path.join(ROOT, "puppet-module"), os.path.join(modules, "sentry"))
        os.symlink(STDLIB, os.path.join(modules, "stdlib"))

    def configure(self, sentry, mode):
        write(os.path.join(self.stack.environment, "manifests", "site.pp"), SITE_PP.format(
            host=SENTRY_HOST, url=sentry.url, org=sentry.org, token=sentry.token, repo=ROOT,
            root=self.root, mode=mode, ssl=self.agent.ssldir, timer_host=TIMER_HOST))

    def run(self, label, expected, booted=False):
        """One `puppet agent --test` (in the booted root with BOOTED);
        -> {wall, compile, apply, resources}."""
        log_offset = os.path.getsize(self.server_log)
        certname = TIMER_HOST if booted else SENTRY_HOST
        if booted:
            started = time.monotonic()
            result = self.booted.run("puppet agent --test --detailed-exitcodes --color=false",
                                     check=False, timeout=3600)
            code, out, err, wall = (result.returncode, result.stdout, "",
                                    time.monotonic() - started)
            catalog = self.booted.path("%s/catalog/%s.json" % (self.client_datadir, certname))
            summary = self.booted.path(self.lastrunfile)
        else:
            code, out, err, wall, _ = measured(
                ["puppet", "agent", "--test", "--detailed-exitcodes", "--color=false",
                 "--confdir", self.agent.conf, "--vardir", os.path.join(self.agent.dir, "var")],
                env=self.agent.env)
            catalog = os.path.join(self.agent.dir, "var", "client_data", "catalog",
                                   certname + ".json")
            summary = os.path.join(self.agent.dir, "public", "last_run_summary.yaml")
        if code not in expected:
            raise SystemExit("%s: puppet agent exited %d (expected %s)\n%s\n%s"
                             % (label, code, expected, out[-5000:], err[-2000:]))
        with open(self.server_log, encoding="utf-8", errors="replace") as log:
            log.seek(log_offset)
            compiled = re.findall(r"Compiled catalog for %s in environment \S+ in ([0-9.]+) "
                                  r"seconds" % re.escape(certname), log.read())
        applied = APPLIED.findall(out)
        with open(catalog, encoding="utf-8") as handle:
            resources = len(json.load(handle)["resources"])
        # The agent's own split of the run: facts (Facter, the same at any fleet size) and the
        # exec resources (the check that decides whether to sync).
        with open(summary, encoding="utf-8") as handle:
            spent = yaml.safe_load(handle)["time"]
        return {"wall": wall, "compile": float(compiled[-1]) if compiled else None,
                "apply": float(applied[-1]) if applied else None, "resources": resources,
                "facts": spent.get("fact_generation"), "exec": spent.get("exec")}

    def tool_sync(self, sentry, config=None):
        """The tool's own `sync`, as the exec runs it; -> {wall, requests, rss}."""
        before = len(sentry.requests)
        env = {k: v for k, v in os.environ.items() if k != "SENTRY_PUPPET_TOKEN"}
        code, out, err, wall, rss = measured([self.tool, "--config", config or self.config,
                                              "sync"], env=env)
        if code != 0:
            raise SystemExit("sentry-puppet sync exited %d\n%s" % (code, err[-3000:]))
        return {"wall": wall, "requests": len(sentry.requests) - before, "rss": rss,
                "summary": out.strip().splitlines()[-1] if out.strip() else ""}


def first_sync(host, hosts, tmp):
    """The first sync of every definition from the real PuppetDB into an empty fake /api/0/
    (the tool Puppet installed, the agent's certificate); -> (figures, the populated fake)."""
    sentry = FakeSentry(projects=0, teams=("apps",)).start()
    site = os.path.join(tmp, "first-sync-%d" % hosts)
    token = os.path.join(site, "token")
    write(token, sentry.token, mode=0o600)
    config = os.path.join(site, "config.yaml")
    ssl = host.agent
    write(config, json.dumps({   # JSON is YAML
        "backend": "sentry", "url": sentry.url, "organization": sentry.org, "team": "apps",
        "token_file": token, "dsn_dir": os.path.join(site, "dsn"), "timeout": 60,
        "puppetdb": {"url": "https://localhost:%d" % host.stack.pdb_ssl_port,
                     "environment": ENVIRONMENT, "ca_file": ssl.ca_file,
                     "cert_file": ssl.cert_file, "key_file": ssl.key_file}}))
    figures = host.tool_sync(sentry, config)
    creates = sentry.count("POST", "/projects/")
    key_reads = sentry.count("GET", "/keys/")
    teams = sentry.count("POST", path="/api/0/organizations/%s/teams/" % sentry.org)
    figures.update(projects=len(sentry.projects), creates=creates, key_reads=key_reads,
                   team_creates=teams,
                   listings=figures["requests"] - creates - key_reads - teams)
    if figures["projects"] != fleet.distinct_apps(hosts):
        raise SystemExit("first sync of %d hosts made %d projects, not %d: %s"
                         % (hosts, figures["projects"], fleet.distinct_apps(hosts),
                            figures["summary"]))
    return figures, sentry


def in_sync_runs(host, sentry, mode, runs):
    """Converge in `mode`, then measure `runs` in-sync agent runs (the median) and the tool."""
    host.configure(sentry, "puppetdb" if mode == "timer" else mode)
    booted = mode == "timer"
    host.run("%s: converging run" % mode, (0, 2), booted)
    if booted:
        # The timer's own sync against this size's server, then the run that shows what it
        # wrote (new DSN files) and empties the file it kept: in sync from then on.
        before = len(sentry.requests)
        started = time.monotonic()
        host.booted.run("systemctl start sentry-puppet-sync.service", timeout=3600)
        timer_sync = {"wall": time.monotonic() - started,
                      "requests": len(sentry.requests) - before, "rss": None}
        host.run("%s: run after the timer's sync" % mode, (0, 2), booted)
    samples = sorted((host.run("%s: in-sync run" % mode, (0,), booted) for _ in range(runs)),
                     key=lambda r: r["wall"])
    figures = samples[len(samples) // 2]
    figures["tool"] = timer_sync if booted else host.tool_sync(sentry)
    return figures


def boot_sentry_host(stack, directory):
    """The timer's Sentry host: a booted Debian root whose agent is TIMER_HOST, on this
    machine's network; the repository bound at its path (package_source)."""
    why = booted_root.unavailable()
    if why:
        raise SystemExit("--timer: %s" % why)
    root = booted_root.BootedRoot(booted_root.template("bookworm"), directory, binds=[ROOT])
    # A bare host runs none of the suite's servers (they would take this machine's ports).
    root.disable("apache2.service", "apache-htcacheclean.service", "puppet.service",
                 "puppetserver.service", "puppetdb.service", "postgresql.service")
    write(root.path("/etc/puppet/puppet.conf"),
          "[main]\ncertname = %s\nserver = localhost\nserverport = %d\n"
          "http_keepalive_timeout = 0\nreport = false\n" % (TIMER_HOST, stack.ps_port))
    root.boot()
    return root


def ratio(a, b):
    return "%.2fx" % (a / b) if a is not None and b else "-"


def number(value, form="%.1f"):
    return "-" if value is None else form % value


def report(results, first_syncs, injections, args, stack, uptimes):
    print("\n== Sentry host, in-sync run (puppetserver -Xmx%s, PuppetDB -Xmx%s, median of %d) =="
          % (args.heap, args.puppetdb_heap, args.runs))
    head = ("mode", "hosts", "defs", "catalog res", "compile s", "apply s", "(exec s)",
            "(facts s)", "agent run s", "tool sync s", "tool reqs", "tool RSS MB",
            "run vs baseline", "timer on vs off", "run vs 10 defs")
    rows = [head]
    order = {"puppetdb": 0, "timer": 1, "files": 2}
    for (mode, hosts), r in sorted(results.items(), key=lambda item: (order[item[0][0]],
                                                                      item[0][1])):
        base = results.get(("files", hosts))
        off = results.get(("puppetdb", hosts))
        ref = results.get((mode, REFERENCE_HOSTS))
        rows.append(({"puppetdb": "new, timer off", "timer": "new, timer on",
                      "files": "baseline"}[mode], "{:,}".format(hosts),
                     "{:,}".format(hosts * len(fleet.PREFIXES)), "{:,}".format(r["resources"]),
                     number(r["compile"]), number(r["apply"]), number(r["exec"]),
                     number(r["facts"]), number(r["wall"]),
                     number(r["tool"]["wall"]), str(r["tool"]["requests"]),
                     number(r["tool"]["rss"], "%.0f"),
                     ratio(r["wall"], base["wall"]) if mode == "puppetdb" and base else "-",
                     ratio(r["wall"], off["wall"]) if mode == "timer" and off else "-",
                     ratio(r["wall"], ref["wall"]) if ref else "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    for row in rows:
        print("  " + "  ".join(cell.rjust(width) for cell, width in zip(row, widths)))
    print("  (exec s): within apply, the exec resources: the check that finds nothing to do "
          "(`sync --check` with the timer off;\n  the timer's state and a file test with it "
          "on). (facts s): Facter, the same at any fleet size: on a loaded\n  machine most of "
          "the noise. Both from the agent's last_run_summary.yaml. Timer on: the Sentry host "
          "is a booted\n  Debian root (systemd PID 1) on this machine; its tool sync is the "
          "timer's own sync (`systemctl start`).")

    print("\n== first sync of every definition from PuppetDB into an empty fake /api/0/ ==")
    for hosts, f in sorted(first_syncs.items()):
        print("  %6s hosts: %6s projects in %.1f s, peak RSS %.0f MB; %d requests = %d creates "
              "+ %d key reads + %d team creates + %d listings: %.2f per new project + listings"
              % ("{:,}".format(hosts), "{:,}".format(f["projects"]), f["wall"], f["rss"],
                 f["requests"], f["creates"], f["key_reads"], f["team_creates"], f["listings"],
                 (f["creates"] + f["key_reads"]) / max(f["creates"], 1)))

    print("\n== injection through PuppetDB's command API ==")
    for hosts, (posted, stored, catalogs) in sorted(injections.items()):
        print("  up to %6s hosts: %5d catalogs posted in %.1f s, all stored %.1f s later"
              % ("{:,}".format(hosts), catalogs, posted, stored))
    print("\n== peak RSS (MiB) ==")
    for name, mib in stack.peak_memory().items():
        print("  %-13s %6.0f" % (name, mib or 0))
    print("  puppetserver -Xmx%s: %s" % (args.heap, out_of_memory(stack) or
                                          "no OutOfMemoryError in its logs"))
    print("\n== machine load (uptime) ==")
    for label, line in uptimes:
        print("  %-12s %s" % (label, line))


def out_of_memory(stack):
    """The first OutOfMemoryError line in puppetserver's log or console output, or None."""
    for name in ("puppetserver/puppetserver.log", "puppetserver.out"):
        try:
            with open(os.path.join(stack.root, name), encoding="utf-8",
                      errors="replace") as log:
                for line in log:
                    if "OutOfMemoryError" in line:
                        return "%s: %s" % (name, line.strip()[:200])
        except FileNotFoundError:
            continue
    return None


def uptime():
    with open("/proc/loadavg") as handle:
        return "load average %s" % " ".join(handle.read().split()[:3])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hosts", default="200,2000,10000",
                        help="fleet sizes, comma-separated (2 hosts = 10 definitions are always "
                             "measured first, as the reference)")
    parser.add_argument("--baseline-max", type=int, default=2000,
                        help="largest fleet also measured with today's collection")
    parser.add_argument("--heap", default="768m", help="puppetserver's -Xms/-Xmx")
    parser.add_argument("--puppetdb-heap", default="512m", help="PuppetDB's -Xmx")
    parser.add_argument("--runs", type=int, default=1,
                        help="in-sync agent runs per point (the median is reported)")
    parser.add_argument("--workers", type=int, default=8,
                        help="commands posted to PuppetDB at once")
    parser.add_argument("--workdir", default="/var/tmp",
                        help="where the stack's directory is made (default /var/tmp)")
    parser.add_argument("--timer", action="store_true",
                        help="also measure with sync_timer on: the Sentry host in a Debian root "
                             "booted with systemd (systemd-nspawn; scripts/debian-root's root)")
    parser.add_argument("--keep", action="store_true", help="keep the stack's directory")
    args = parser.parse_args()
    try:
        sizes = sorted({int(n) for n in args.hosts.split(",")} | {REFERENCE_HOSTS})
    except ValueError:
        parser.error("--hosts: comma-separated numbers of hosts, like 200,2000")
    if os.geteuid() != 0:
        raise SystemExit("bench/fleet.py runs PostgreSQL as `postgres`: run it as root")

    uptimes = [("start", uptime())]
    # Not /tmp: a sweep of leftover /tmp/sentry-puppet-e2e-* stacks took one bench run's away.
    parent = tempfile.mkdtemp(prefix="sentry-puppet-fleet-", dir=args.workdir)
    os.chmod(parent, 0o755)   # PostgreSQL and PuppetDB run as their own users
    tempfile.tempdir = parent  # where Stack makes its directory
    stack = FleetStack(args.heap, args.puppetdb_heap)
    sentries = []
    booted = None
    results, first_syncs, injections = {}, {}, {}
    print("fleet bench: %s hosts; stack in %s" % (",".join(map(str, sizes)), stack.root))
    try:
        stack.start()
        print("stack ready: %s" % ", ".join("%s %.0f s" % t for t in stack.timings.items()))
        if args.timer:
            booted = boot_sentry_host(stack, os.path.join(parent, "booted"))
            print("booted root ready (systemd PID 1); %s" % uptime())
        host = SentryHost(stack, booted)
        if booted:
            host.client_datadir, host.lastrunfile = booted.run(
                "puppet config print client_datadir; puppet config print lastrunfile"
            ).stdout.split()
        tmp = os.path.join(stack.root, "bench")
        injected = 0
        for hosts in sizes:
            posted = fleet.inject(stack, injected, hosts, ENVIRONMENT, args.workers)
            stored = fleet.wait_stored(stack, hosts * len(fleet.PREFIXES), ENVIRONMENT)
            injections[hosts] = (posted, stored, hosts - injected)
            injected = hosts
            print("%d hosts: %d definitions in PuppetDB (posted %.1f s, stored %.1f s later); %s"
                  % (hosts, hosts * len(fleet.PREFIXES), posted, stored, uptime()))
            if hosts == REFERENCE_HOSTS:
                # The agent's certificate (for the tool's PuppetDB reads) and the tool's venv.
                sentries.append(FakeSentry().start())
                host.configure(sentries[-1], "puppetdb")
                host.run("first run (certificate, tool install)", (0, 2))
            first_syncs[hosts], sentry = first_sync(host, hosts, tmp)
            sentries.append(sentry)
            print("  first sync: %s" % first_syncs[hosts]["summary"])
            for mode in ("puppetdb", "timer", "files"):
                if mode == "files" and hosts > args.baseline_max or mode == "timer" and not booted:
                    continue
                results[(mode, hosts)] = in_sync_runs(host, sentry, mode, args.runs)
                r = results[(mode, hosts)]
                print("  %-8s in-sync run %.1f s (compile %s, apply %s), %d resources; tool "
                      "sync %.1f s, %d requests; %s" % (
                          mode, r["wall"], number(r["compile"]), number(r["apply"]),
                          r["resources"], r["tool"]["wall"], r["tool"]["requests"], uptime()))
            uptimes.append(("%d hosts" % hosts, uptime()))
        report(results, first_syncs, injections, args, stack, uptimes)
    finally:
        for sentry in sentries:
            sentry.stop()
        if booted:
            booted.poweroff()
        stack.stop()
        if args.keep:
            print("stack files kept in %s" % parent)
        else:
            shutil.rmtree(parent, ignore_errors=True)


if __name__ == "__main__":
    main()

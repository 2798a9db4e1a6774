"""What the fact costs a Puppet run, with 200 apps, against baselines measured in the same run.

  warm cache       the fact vs `/usr/bin/python3 -c pass` (goal: at most 2x) and `-S -c pass`
  through Facter   `facter --external-dir facts <our facts>` vs `facter --external-dir <empty>
                   os.family` (goal: at most 15% more)
  cold             200 DSN fetches from a local HTTPS server (goal: under 2 s)
  dead server      accepts and never answers: total time (goal: the budget plus at most 1 s)

Run: .venv/bin/python bench/facts.py
"""
import os
import pathlib
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from tests.facts_support import FACT  # noqa: E402
from tests.integration.test_facts_https import DSN, DsnServer  # noqa: E402

import trustme  # noqa: E402

APPS = 200
# The app server's python3 is Debian's, not this machine's version-manager shim.
ENV = dict(os.environ, PATH="/usr/bin:/bin:" + os.environ.get("PATH", ""))


def medians(commands, rounds):
    """{label: (command, env)} -> {label: median wall seconds}. The commands take turns, so a
    passing load on this shared machine weighs on all of them alike."""
    times = {label: [] for label in commands}
    for _ in range(rounds):
        for label, (command, env) in commands.items():
            started = time.perf_counter()
            subprocess.run(command, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True)
            times[label].append(time.perf_counter() - started)
    return {label: statistics.median(values) for label, values in times.items()}


def make_tree(work):
    root = work / "apps"
    for i in range(APPS):
        app = root / ("app%03d" % i)
        app.mkdir(parents=True)
        (app / ("Gemfile" if i % 2 else "package.json")).write_text("")
    return root


def write_conf(work, root, url, pki, budget=10, timeout=3):
    conf = work / ("facts-%s.conf" % budget)
    conf.write_text(
        "[apps]\nroots = %s\n[dsn]\nurl = %s\ncache_dir = %s\nca_file = %s\ncert_file = %s\n"
        "key_file = %s\nbudget = %s\ntimeout = %s\njobs = 16\n"
        % (root, url, work / "cache", pki["ca_file"], pki["cert_file"], pki["key_file"],
           budget, timeout))
    return conf


def main():
    work = pathlib.Path(tempfile.mkdtemp(prefix="bench-facts-"))
    try:
        ca = trustme.CA()
        pki = {"ca_file": work / "ca.pem", "cert_file": work / "c.pem", "key_file": work / "c.key"}
        ca.cert_pem.write_to_path(str(pki["ca_file"]))
        client = ca.issue_cert("app01.example.com")
        client.cert_chain_pems[0].write_to_path(str(pki["cert_file"]))
        client.private_key_pem.write_to_path(str(pki["key_file"]))
        root = make_tree(work)
        server = DsnServer(ca)
        for i in range(APPS):
            server.routes["/dsn/app%03d" % i] = (200, DSN + "\n")
        conf = write_conf(work, root, server.url, pki)
        env = dict(ENV, SENTRY_PUPPET_FACTS_CONFIG=str(conf))
        fact = ["/usr/bin/python3", str(FACT)]

        started = time.perf_counter()
        subprocess.run(fact, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True)
        cold = time.perf_counter() - started
        assert len(server.requests) == APPS, len(server.requests)
        server.stop()

        warm, floor, floor_s = (medians({
            "fact": (fact, env),
            "floor": (["/usr/bin/python3", "-c", "pass"], ENV),
            "floor -S": (["/usr/bin/python3", "-S", "-c", "pass"], ENV),
        }, rounds=41)[label] for label in ("fact", "floor", "floor -S"))

        print("apps: %d" % APPS)
        print("cold, %d fetches from a local HTTPS server: %.3f s (goal < 2 s)" % (APPS, cold))
        print("warm cache: %.1f ms; python3 -c pass %.1f ms (%.2fx, goal <= 2x); "
              "python3 -S -c pass %.1f ms (%.2fx)"
              % (warm * 1e3, floor * 1e3, warm / floor, floor_s * 1e3, warm / floor_s))

        facter = shutil.which("facter")
        if facter:
            factdir, empty, trivial = work / "facts.d", work / "empty", work / "trivial"
            for directory in (factdir, empty, trivial):
                directory.mkdir()
            shutil.copy2(str(FACT), str(factdir))
            # What Facter charges for any executable external fact, whatever it does.
            echo = trivial / "echo.sh"
            echo.write_text('#!/bin/sh\necho \'{"deployed_apps": ""}\'\n')
            echo.chmod(0o755)
            runs = medians({
                "ours": ([facter, "--external-dir", str(factdir), "deployed_apps",
                          "sentry_apps"], env),
                "base": ([facter, "--external-dir", str(empty), "os.family"], env),
                "echo": ([facter, "--external-dir", str(trivial), "deployed_apps"], env),
            }, rounds=15)
            ours, base, echo_fact = runs["ours"], runs["base"], runs["echo"]
            print("through Facter: ours %.0f ms vs os.family alone %.0f ms (+%.0f%%, goal <= "
                  "+15%%); a one-line `echo` external fact: %.0f ms (+%.0f%%)"
                  % (ours * 1e3, base * 1e3, (ours / base - 1) * 100, echo_fact * 1e3,
                     (echo_fact / base - 1) * 100))
        else:
            print("through Facter: facter not installed (scripts/install-deps installs it)")

        with socket.socket() as dead:
            dead.bind(("127.0.0.1", 0))
            dead.listen(APPS)
            url = "https://127.0.0.1:%d/dsn/" % dead.getsockname()[1]
            budget = 5
            shutil.rmtree(str(work / "cache"))
            dead_env = dict(ENV, SENTRY_PUPPET_FACTS_CONFIG=str(
                write_conf(work, root, url, pki, budget=budget, timeout=3)))
            started = time.perf_counter()
            subprocess.run(fact, env=dead_env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True)
            took = time.perf_counter() - started
        print("dead server (accepts, never answers), %d apps, budget %d s, 3 s per request: "
              "%.2f s (goal <= budget + 1 s; %d sequential timeouts would be %d s)"
              % (APPS, budget, took, APPS, APPS * 3))
    finally:
        shutil.rmtree(str(work), ignore_errors=True)


if __name__ == "__main__":
    main()

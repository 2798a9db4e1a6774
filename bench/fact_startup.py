"""What the fact's start-up header costs: the shipped file started through its `#!/bin/sh` line
(which execs python3, else /usr/libexec/platform-python) against the same file with the old
`#!/usr/bin/env python3` line, measured in the same run, directly and through Facter; 200 apps,
no DSN URL (a warm run's work). PATH starts at /usr/bin: Debian's python3, not a version
manager's shim (FIELD-NOTES.md).

Run: .venv/bin/python bench/fact_startup.py
"""
import os
import pathlib
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from bench.facts import make_tree  # noqa: E402
from tests.facts_support import FACT  # noqa: E402

ENV = dict(os.environ, PATH="/usr/bin:/bin:" + os.environ.get("PATH", ""))


def medians(commands, rounds):
    """{label: (command, env)} -> {label: (median wall seconds, median CPU seconds)}. The
    commands take turns; CPU time (user + system of the child and what it execs) is what a
    passing load on this shared machine distorts least."""
    times = {label: ([], []) for label in commands}
    for _ in range(rounds):
        for label, (command, env) in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            subprocess.run(command, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True)
            wall = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            times[label][0].append(wall)
            times[label][1].append(after.ru_utime - before.ru_utime
                                   + after.ru_stime - before.ru_stime)
    return {label: (statistics.median(wall), statistics.median(cpu))
            for label, (wall, cpu) in times.items()}


def compare(title, new, old, extra=""):
    print("%s: #!/bin/sh header %.1f ms vs #!/usr/bin/env python3 %.1f ms wall (%+.1f ms, "
          "%.3fx); CPU %.1f ms vs %.1f ms (%+.1f ms, %.3fx)%s"
          % (title, new[0] * 1e3, old[0] * 1e3, (new[0] - old[0]) * 1e3, new[0] / old[0],
             new[1] * 1e3, old[1] * 1e3, (new[1] - old[1]) * 1e3, new[1] / old[1], extra))


def old_header_copy(directory):
    """The same fact body behind the start-up line it had before the sh header."""
    text = FACT.read_text("utf-8")
    body = text[text.index('"""Facter external fact'):]
    directory.mkdir()
    old = directory / FACT.name
    old.write_text("#!/usr/bin/env python3\n" + body, "utf-8")
    old.chmod(0o755)
    return old


def main():
    work = pathlib.Path(tempfile.mkdtemp(prefix="bench-fact-startup-"))
    try:
        conf = work / "facts.conf"
        conf.write_text("[apps]\nroots = %s\n" % make_tree(work))
        env = dict(ENV, SENTRY_PUPPET_FACTS_CONFIG=str(conf))
        new_dir = work / "new"
        new_dir.mkdir()
        new = new_dir / FACT.name
        shutil.copy2(str(FACT), str(new))
        old = old_header_copy(work / "old")

        runs = medians({
            "old": ([str(old)], env),
            "new": ([str(new)], env),
            "python3 file": (["/usr/bin/python3", str(new)], env),
            "floor": (["/usr/bin/python3", "-c", "pass"], ENV),
        }, rounds=61)
        compare("direct, 200 apps", runs["new"], runs["old"],
                "; /usr/bin/python3 on the file %.1f ms wall; python3 -c pass %.1f ms"
                % (runs["python3 file"][0] * 1e3, runs["floor"][0] * 1e3))

        facter = shutil.which("facter")
        if not facter:
            print("through Facter: facter not installed (scripts/install-deps installs it)")
            return
        names = ["deployed_apps", "sentry_apps"]
        through = medians({
            "old": ([facter, "--external-dir", str(old.parent)] + names, env),
            "new": ([facter, "--external-dir", str(new_dir)] + names, env),
        }, rounds=15)
        compare("through Facter", through["new"], through["old"])
    finally:
        shutil.rmtree(str(work), ignore_errors=True)


if __name__ == "__main__":
    main()

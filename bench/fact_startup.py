"""What the fact's start-up header costs: the shipped file started through its `#!/bin/sh` line
(which execs python3, else /usr/libexec/platform-python) against the same file with the old
`#!/usr/bin/env python3` line, measured in the same run, directly and through Facter; 200 apps,
no DSN URL (a warm run's work). PATH starts at /usr/bin: Debian's python3, not a version
manager's shim (FIELD-NOTES.md).

Run: .venv/bin/python bench/fact_startup.py
"""
import os
import pathlib
import shutil
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from bench.facts import make_tree, medians  # noqa: E402
from tests.facts_support import FACT  # noqa: E402

ENV = dict(os.environ, PATH="/usr/bin:/bin:" + os.environ.get("PATH", ""))


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
        print("direct, 200 apps: #!/bin/sh header %.1f ms vs #!/usr/bin/env python3 %.1f ms "
              "(%+.1f ms, %.3fx); /usr/bin/python3 on the file %.1f ms; python3 -c pass %.1f ms"
              % (runs["new"] * 1e3, runs["old"] * 1e3, (runs["new"] - runs["old"]) * 1e3,
                 runs["new"] / runs["old"], runs["python3 file"] * 1e3, runs["floor"] * 1e3))

        facter = shutil.which("facter")
        if not facter:
            print("through Facter: facter not installed (scripts/install-deps installs it)")
            return
        names = ["deployed_apps", "sentry_apps"]
        through = medians({
            "old": ([facter, "--external-dir", str(old.parent)] + names, env),
            "new": ([facter, "--external-dir", str(new_dir)] + names, env),
        }, rounds=15)
        print("through Facter: #!/bin/sh header %.0f ms vs #!/usr/bin/env python3 %.0f ms "
              "(%+.0f ms, %.3fx)" % (through["new"] * 1e3, through["old"] * 1e3,
                                     (through["new"] - through["old"]) * 1e3,
                                     through["new"] / through["old"]))
    finally:
        shutil.rmtree(str(work), ignore_errors=True)


if __name__ == "__main__":
    main()

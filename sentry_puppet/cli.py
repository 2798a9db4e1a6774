"""Command line: argument parsing, exit codes, human/JSON output; nothing else."""
import sys


def main(argv=None):
    print("sentry-puppet: not built yet", file=sys.stderr)
    return 1

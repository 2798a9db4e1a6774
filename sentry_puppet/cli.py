"""Command line: argument parsing, exit codes, human/JSON output; nothing else."""
import argparse
import contextlib
import functools
import json
import os
import sys

from sentry_puppet import __version__
from sentry_puppet.backends import make_backend
from sentry_puppet.backends.base import BackendError
from sentry_puppet.config import ConfigError, TokenError, load_config
from sentry_puppet.deadline import Deadline, RunTimeout
from sentry_puppet.fsutil import LockError
from sentry_puppet.report import app_line, plural, sync_document, sync_errors, sync_text
from sentry_puppet.definitions import SourceError
from sentry_puppet.sources import read_definitions

DEFAULT_CONFIG = "/etc/sentry_puppet/config.yaml"
PROG = "sentry-puppet"

# Errors an operator can act on: one clear line, no traceback.
EXPECTED_ERRORS = (ConfigError, BackendError, LockError, SourceError, RunTimeout, OSError)


def exit_code(changed, failed, detailed_exitcodes):
    """Puppet agent's convention: 1 failed, 2 changed (only when asked), else 0."""
    if failed:
        return 1
    if changed and detailed_exitcodes:
        return 2
    return 0


def add_change_options(parser):
    """The options of every command that changes something (sync, render-vhost)."""
    parser.add_argument("--dry-run", action="store_true",
                        help="change nothing; say what would change")
    parser.add_argument("--detailed-exitcodes", action="store_true",
                        help="exit 2 when something changed or would change")
    parser.add_argument("--check", action="store_true",
                        help="same as --dry-run --detailed-exitcodes")


class _Parser(argparse.ArgumentParser):
    # argparse exits 2 on a usage error, which Puppet's exec reads as "changed": use 1.
    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(1, "%s: %s\n" % (PROG, message))


def build_parser():
    # The global options are also accepted after the command (`sync --json`).
    common = _Parser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS,
                        help="config file (default: $SENTRY_PUPPET_CONFIG or %s)" % DEFAULT_CONFIG)
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="say more")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print one JSON result document on stdout")
    parser = _Parser(
        prog=PROG, parents=[common],
        description="Provision Sentry/Bugsink projects for Puppet-exported app definitions "
                    "and publish their DSNs.")
    parser.add_argument("--version", action="version", version="%s %s" % (PROG, __version__))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    subparser = functools.partial(commands.add_parser, parents=[common])

    sync = subparser(
        "sync", help="create missing teams/projects for every definition; write DSN files")
    add_change_options(sync)
    sync.add_argument("--jobs", type=_positive_int, default=4,
                      help="project creations in parallel (default 4)")
    sync.add_argument("--refresh-dsn", action="store_true",
                      help="re-read every project's DSN, not only the missing ones")
    sync.set_defaults(func=cmd_sync)

    # render-vhost (VHOST's part): the command lives in vhost.py; this only wires it in.
    render_vhost = subparser(
        "render-vhost", help="render the Apache vhost from the config (writes vhost.path)")
    add_change_options(render_vhost)
    render_vhost.set_defaults(func=cmd_render_vhost)

    dsn = subparser("dsn", help="print APP's DSN")
    dsn.add_argument("app")
    dsn.set_defaults(func=cmd_dsn)

    validate = subparser(
        "validate", help="check the config and every definition file; name each bad one")
    validate.set_defaults(func=cmd_validate)
    return parser


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError("must be a whole number of at least 1, not %r" % text)
    return value


def main(argv=None):
    args = build_parser().parse_args(argv)
    # Defaults here, not in argparse: the options are shared by the parser and its commands.
    if not hasattr(args, "config"):
        args.config = os.environ.get("SENTRY_PUPPET_CONFIG") or DEFAULT_CONFIG
    args.verbose = getattr(args, "verbose", False)
    args.json = getattr(args, "json", False)
    if getattr(args, "check", False):
        args.dry_run = args.detailed_exitcodes = True
    try:
        return args.func(args)
    except EXPECTED_ERRORS as exc:
        error(exc)
        if args.json:  # a reader of stdout still gets its one document
            print(json.dumps({"failed": True, "error": str(exc)}))
        return 1
    except KeyboardInterrupt:
        error("interrupted")
        return 1


def error(message):
    print("%s: %s" % (PROG, message), file=sys.stderr)


def warn(message):
    print("%s: warning: %s" % (PROG, message), file=sys.stderr)


def _load(args, need_token):
    config = load_config(args.config, need_token=need_token)
    for message in config.warnings:
        warn(message)
    return config


def cmd_sync(args):
    from sentry_puppet.apply import sync

    config = _load(args, need_token=True)
    deadline = Deadline(config.run_timeout)
    progress = None
    if not args.json and sys.stderr.isatty():
        progress = _show_progress
    with _backend(config, deadline) as backend:
        result = sync(config, backend, jobs=args.jobs, dry_run=args.dry_run,
                      refresh_dsn=args.refresh_dsn, progress=progress, deadline=deadline)
    if progress:
        sys.stderr.write("\r\033[K")
    if args.json:
        print(json.dumps(sync_document(result), indent=2))
    else:
        print(sync_text(result, args.verbose))
    for message in result.warnings:
        warn(message)
    for message in sync_errors(result):
        error(message)
    return exit_code(result.changed, result.failed, args.detailed_exitcodes)


@contextlib.contextmanager
def _backend(config, deadline):
    """The server's API for one command, closed whatever happens."""
    backend = make_backend(config, deadline)
    try:
        yield backend
    finally:
        backend.close()


def _show_progress(done, total):
    sys.stderr.write("\r%d/%d projects" % (done, total))
    sys.stderr.flush()


def cmd_dsn(args):
    from sentry_puppet.apply import server_dsn
    from sentry_puppet.dsns import dsn_problem
    from sentry_puppet.names import name_problem
    from sentry_puppet.publish import read_dsn

    problem = name_problem(args.app)
    if problem:  # also keeps `dsn ../x` from reading outside dsn_dir
        raise ConfigError("app name %r %s" % (args.app, problem))
    config = _load(args, need_token=False)
    dsn = read_dsn(config.dsn_dir, args.app)
    if dsn is not None:
        problem = dsn_problem(dsn)
        if problem:   # written by hand, or by a version that did not check
            raise ConfigError("%s/%s holds a DSN that %s; run `sentry-puppet sync "
                              "--refresh-dsn` to write it again"
                              % (config.dsn_dir, args.app, problem))
    else:
        config = config.with_token()
        with _backend(config, Deadline(config.run_timeout)) as backend:
            dsn = server_dsn(config, backend, args.app)
    if args.json:
        print(json.dumps({"app": args.app, "dsn": dsn}))
    else:
        print(dsn)
    return 0


def cmd_render_vhost(args):
    from sentry_puppet.vhost import describe, render_vhost

    config = _load(args, need_token=False)
    result = render_vhost(config, dry_run=args.dry_run)
    for message in result.warnings:
        warn(message)
    if args.json:
        print(json.dumps({"path": result.path, "changed": result.changed,
                          "written": result.written, "dry_run": args.dry_run,
                          "diff": result.diff, "warnings": list(result.warnings)}, indent=2))
    else:
        if args.dry_run:
            sys.stdout.write(result.diff)
        print(describe(result, args.dry_run))
    return exit_code(result.changed, False, args.detailed_exitcodes)


def cmd_validate(args):
    config = _load(args, need_token=False)
    problems, warnings = [], []
    # The token is not needed to validate, but a sync would need it: say so now. A missing
    # one may be on its way; one that is there but cannot be sent is a problem.
    try:
        warnings += config.with_token().warnings
    except TokenError as exc:
        problems.append(str(exc))
    except ConfigError as exc:
        warnings.append("%s (sync and dsn will fail)" % exc)
    if config.backend == "bugsink" and config.settings.rate_limit:
        warnings.append("%s: rate_limit is ignored with the bugsink backend (Bugsink has no "
                        "per-key rate limit; its quotas are site-wide settings)" % config.path)
    definitions = read_definitions(config, Deadline(config.run_timeout))
    warnings += definitions.warnings
    problems += definitions.problems
    if config.vhost is not None:  # render-vhost's settings, checked without writing
        from sentry_puppet.vhost import VhostError, check_settings, render
        from sentry_puppet.vhost import warnings as vhost_warnings
        try:
            render(config)
            warnings += vhost_warnings(config, check_settings(config))
        except VhostError as exc:
            problems.append(str(exc))
    for message in warnings:
        warn(message)
    for problem in problems:
        error(problem)
    if args.json:
        print(json.dumps({
            "config": config.path,
            "definitions": {"origin": definitions.origin, "count": definitions.file_count},
            "apps": sorted(app.name for app in definitions.apps),
            "problems": problems,
            "warnings": warnings,
        }, indent=2))
    else:
        if args.verbose:
            for app in sorted(definitions.apps, key=lambda a: a.slug):
                print("  " + app_line(app))
        print("%s: %s from %s in %s; %s."
              % (config.path, plural(len(definitions.apps), "app"),
                 plural(definitions.file_count, "definition"), definitions.origin,
                 plural(len(problems), "problem")))
    return 1 if problems else 0

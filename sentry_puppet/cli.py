"""Command line: argument parsing, exit codes, human/JSON output; nothing else."""
import argparse
import functools
import json
import os
import sys

from sentry_puppet import __version__
from sentry_puppet.backends import BackendError, make_backend
from sentry_puppet.config import ConfigError, load_config
from sentry_puppet.fsutil import LockError
from sentry_puppet.sources import SourceError, read_definitions

DEFAULT_CONFIG = "/etc/sentry_puppet/config.yaml"
PROG = "sentry-puppet"

# Errors an operator can act on: one clear line, no traceback.
EXPECTED_ERRORS = (ConfigError, BackendError, LockError, SourceError, OSError)


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
    progress = None
    if not args.json and sys.stderr.isatty():
        progress = _show_progress
    result = sync(config, jobs=args.jobs, dry_run=args.dry_run,
                  refresh_dsn=args.refresh_dsn, progress=progress)
    if progress:
        sys.stderr.write("\r\033[K")
    if args.json:
        print(json.dumps(sync_document(result), indent=2))
    else:
        print_sync(result, args.verbose)
    for message in result.warnings:
        warn(message)
    for message in result.problems:
        error(message)
    for slug, message in sorted(result.team_errors.items()):
        error("team %s: %s" % (slug, message))
    for r in result.apps:
        if r.error:
            error("app %s: %s" % (r.app.name, r.error))
    return exit_code(result.changed, result.failed, args.detailed_exitcodes)


def _show_progress(done, total):
    sys.stderr.write("\r%d/%d projects" % (done, total))
    sys.stderr.flush()


def _sources(app):
    shown = ", ".join(app.sources[:3])
    if len(app.sources) > 3:
        shown += " and %d more" % (len(app.sources) - 3)
    return shown


def _n(count, noun):
    return "%d %s%s" % (count, noun, "" if count == 1 else "s")


def describe_origin(origin, count, apps):
    return "Definitions: %s read from %s: %s." % (count, origin, _n(apps, "app"))


def print_sync(result, verbose):
    if result.dry_run or verbose:
        print(describe_origin(result.origin, result.definition_count, len(result.apps)))
    for slug in result.teams:
        print("+ team %s" % slug)
    rows = []
    for r in result.apps:
        head = "%s (%s) in %s" % (r.app.slug, r.app.platform, r.app.team)
        if r.action == "create":
            line = "+ project %s" % head
        elif r.action == "adopt":
            line = "~ project %s exists: DSN file to write" % head
        elif r.dsn_written:
            line = "~ project %s: DSN file updated" % head
        elif verbose:
            line = "= project %s" % head
        else:
            continue
        if r.error:
            line = "!" + line[1:] + "  FAILED"
        rows.append((line, _sources(r.app)))
    width = max([len(line) for line, _ in rows] or [0])
    for line, sources in rows:
        print("%s  from %s" % (line.ljust(width), sources))
    unchanged = sum(1 for r in result.apps if r.action == "unchanged" and not r.dsn_written)
    if unchanged and not verbose:
        print("= %s unchanged" % _n(unchanged, "project"))
    for name in result.orphans:
        print("? %s: DSN file of an app no definition names any more (left in place)" % name)
    for message in result.problems:
        print("! %s" % message)
    summary = summary_counts(result)
    if result.dry_run:
        print("Plan: %s and %s to create, %d to adopt, %d unchanged, %d failed. "
              "Nothing was changed (--dry-run)."
              % (_n(len(result.teams), "team"), _n(summary["created"], "project"),
                 summary["adopted"], summary["unchanged"], summary["failed"]))
    else:
        print("Sync: %s created; projects: %d created, %d adopted, %d unchanged, %d failed; "
              "%s written; %s."
              % (_n(len(result.teams), "team"), summary["created"], summary["adopted"],
                 summary["unchanged"], summary["failed"],
                 _n(summary["dsn_files_written"], "DSN file"), _n(result.requests, "request")))


def summary_counts(result):
    return {
        "created": result.count("create"),
        "adopted": result.count("adopt"),
        "unchanged": result.count("unchanged"),
        "failed": (sum(1 for r in result.apps if r.error) + len(result.problems)
                   + len(result.team_errors)),
        "dsn_files_written": sum(1 for r in result.apps if r.dsn_written),
    }


def sync_document(result):
    return {
        "dry_run": result.dry_run,
        "changed": result.changed,
        "failed": result.failed,
        "teams": result.teams,   # created, or to create with dry_run
        "team_errors": result.team_errors,
        "projects": [{
            "app": r.app.name, "slug": r.app.slug, "platform": r.app.platform,
            "team": r.app.team, "sources": list(r.app.sources), "action": r.action,
            "dsn_file_written": r.dsn_written, "error": r.error,
        } for r in result.apps],
        "orphans": result.orphans,
        "problems": result.problems,
        "warnings": result.warnings,
        "summary": summary_counts(result),
        "requests": result.requests,
        "definitions": {"origin": result.origin, "count": result.definition_count},
    }


def cmd_dsn(args):
    from sentry_puppet.definitions import name_problem
    from sentry_puppet.publish import read_dsn

    problem = name_problem(args.app)
    if problem:  # also keeps `dsn ../x` from reading outside dsn_dir
        raise ConfigError("app name %r %s" % (args.app, problem))
    config = _load(args, need_token=False)
    dsn = read_dsn(config.dsn_dir, args.app)
    if dsn is None:
        dsn = _dsn_from_server(config, args.app)
    if args.json:
        print(json.dumps({"app": args.app, "dsn": dsn}))
    else:
        print(dsn)
    return 0


def _dsn_from_server(config, app):
    from sentry_puppet.definitions import slugify
    from sentry_puppet.plan import index_projects, pick_project

    config = config.with_token()
    backend = make_backend(config)
    try:
        slug = slugify(app)
        candidates = index_projects(backend.list_projects()).get(slug, ())
        project = pick_project(candidates, slug, config.team)
        dsn = project and (project.dsn or backend.get_dsn(project))
        if dsn:
            return dsn
        raise ConfigError(
            "app %r has no project on %s yet (and no DSN file in %s): "
            "run `sentry-puppet sync` after its definition is in %s"
            % (app, config.url, config.dsn_dir, config.definitions_dir))
    finally:
        backend.close()


def cmd_render_vhost(args):
    from sentry_puppet.vhost import describe, render_vhost

    config = _load(args, need_token=False)
    result = render_vhost(config, dry_run=args.dry_run)
    if args.json:
        print(json.dumps({"path": result.path, "changed": result.changed,
                          "written": result.written, "dry_run": args.dry_run,
                          "diff": result.diff}, indent=2))
    else:
        if args.dry_run:
            sys.stdout.write(result.diff)
        print(describe(result, args.dry_run))
    return exit_code(result.changed, False, args.detailed_exitcodes)


def cmd_validate(args):
    config = _load(args, need_token=False)
    # The token is not needed to validate, but a sync would need it: say so now.
    try:
        for message in config.with_token().warnings:
            warn(message)
    except ConfigError as exc:
        warn("%s (sync and dsn will fail)" % exc)
    definitions = read_definitions(config)
    for message in definitions.warnings:
        warn(message)
    problems = list(definitions.problems)
    if config.vhost is not None:  # render-vhost's settings, checked without writing
        from sentry_puppet.vhost import VhostError, render
        try:
            render(config)
        except VhostError as exc:
            problems.append(str(exc))
    for problem in problems:
        error(problem)
    if args.json:
        print(json.dumps({
            "config": config.path,
            "definitions": {"origin": definitions.origin, "count": definitions.file_count},
            "apps": sorted(app.name for app in definitions.apps),
            "problems": problems,
            "warnings": definitions.warnings,
        }, indent=2))
    else:
        if args.verbose:
            for app in sorted(definitions.apps, key=lambda a: a.slug):
                print("  %s (%s) in %s  from %s" % (app.name, app.platform, app.team,
                                                    _sources(app)))
        print("%s: %s from %s in %s; %s."
              % (config.path, _n(len(definitions.apps), "app"),
                 _n(definitions.file_count, "definition"), definitions.origin,
                 _n(len(problems), "problem")))
    return 1 if problems else 0

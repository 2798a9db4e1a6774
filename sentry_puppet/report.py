"""What a sync did, for people (plan-style lines and a summary) and for programs (one JSON
document). Pure: a SyncResult in, text or a dict out; the command line prints them."""


SHOWN_LEFT = 10   # apps named in the line of a run stopped by run_timeout


def plural(count, noun):
    return "%d %s%s" % (count, noun, "" if count == 1 else "s")


def sync_text(result, verbose):
    """The plan lines (`+` to create, `~` to adopt or update, `=` unchanged, `!` failed,
    `?` orphan DSN files), then one summary line; with --dry-run or -v, first where the
    definitions came from."""
    lines = []
    if result.dry_run or verbose:
        lines.append("Definitions: %s read from %s: %s."
                     % (result.definition_count, result.origin, plural(len(result.apps), "app")))
    lines += ["+ team %s" % slug for slug in result.teams]
    rows = []
    for r in result.apps:
        # Where the project is on the server: a project is never moved to its defined team.
        head = "%s (%s) in %s" % (r.app.slug, r.app.platform, r.shown_team)
        if r.action == "create":
            line = "+ project %s" % head
            if result.new_projects_get:
                line += " (%s)" % result.new_projects_get
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
    lines += ["%s  from %s" % (line.ljust(width), sources) for line, sources in rows]
    unchanged = sum(1 for r in result.apps if r.action == "unchanged" and not r.dsn_written)
    if unchanged and not verbose:
        lines.append("= %s unchanged" % plural(unchanged, "project"))
    lines += ["? %s: DSN file of an app no definition names any more (left in place)" % name
              for name in result.orphans]
    lines += ["! %s" % message for message in result.problems]
    lines.append(_summary_line(result))
    return "\n".join(lines)


def _summary_line(result):
    summary = summary_counts(result)
    if result.dry_run:
        return ("Plan: %s and %s to create, %d to adopt, %d unchanged, %d failed. "
                "Nothing was changed (--dry-run)."
                % (plural(len(result.teams), "team"), plural(summary["created"], "project"),
                   summary["adopted"], summary["unchanged"], summary["failed"]))
    return ("Sync: %s created; projects: %d created, %d adopted, %d unchanged, %d failed; "
            "%s written; %s."
            % (plural(len(result.teams), "team"), summary["created"], summary["adopted"],
               summary["unchanged"], summary["failed"],
               plural(summary["dsn_files_written"], "DSN file"),
               plural(result.requests, "request")))


def _sources(app):
    shown = ", ".join(app.sources[:3])
    if len(app.sources) > 3:
        shown += " and %d more" % (len(app.sources) - 3)
    return shown


def app_line(app):
    """One wanted project, for `validate -v`."""
    return "%s (%s) in %s  from %s" % (app.name, app.platform, app.team, _sources(app))


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
    """`sync --json`: everything the text says, for a program."""
    return {
        "dry_run": result.dry_run,
        "changed": result.changed,
        "failed": result.failed,
        "teams": result.teams,   # created, or to create with dry_run
        "team_errors": result.team_errors,
        "projects": [{
            "app": r.app.name, "slug": r.app.slug, "platform": r.app.platform,
            "team": r.shown_team, "sources": list(r.app.sources), "action": r.action,
            "dsn_file_written": r.dsn_written, "error": r.error,
        } for r in result.apps],
        "orphans": result.orphans,
        "problems": result.problems,
        "warnings": result.warnings,
        "summary": summary_counts(result),
        "requests": result.requests,
        "definitions": {"origin": result.origin, "count": result.definition_count},
        "stopped": result.stopped,
    }


def sync_errors(result):
    """The failures an operator must read on stderr, one line each; the apps a stopped run
    left undone, in one line."""
    errors = list(result.problems)
    errors += ["team %s: %s" % (slug, message)
               for slug, message in sorted(result.team_errors.items())]
    errors += ["app %s: %s" % (r.app.name, r.error)
               for r in result.apps if r.error and not r.left]
    if result.stopped:
        left = [r.app.name for r in result.apps if r.left]
        shown = ", ".join(left[:SHOWN_LEFT])
        if len(left) > SHOWN_LEFT:
            shown += " and %d more" % (len(left) - SHOWN_LEFT)
        errors.append("%s: the run stopped there; what it did stays done; %s left for the next "
                      "run%s" % (result.stopped, plural(len(left), "app"),
                                 ": " + shown if left else ""))
    return errors

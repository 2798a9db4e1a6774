"""sync: read wanted and observed state, plan, carry the plan out through a backend, publish;
and the server-side lookup of one app's DSN, chosen as sync chooses.

Every failure is recorded against its app (or team) and the others go on. The caller makes
the backend and closes it: these functions only use it."""
import concurrent.futures
import contextlib
import dataclasses
from typing import Dict, List, Optional

from sentry_puppet.backends.base import BackendError
from sentry_puppet.config import ConfigError
from sentry_puppet.deadline import RunTimeout
from sentry_puppet.definitions import App
from sentry_puppet.dsns import dsn_problem
from sentry_puppet.fsutil import RunLock, remove_temp_files
from sentry_puppet.names import slugify
from sentry_puppet.plan import index_projects, make_plan, pick_project
from sentry_puppet.publish import existing_dsn_files, orphans, prepare_dsn_dir, write_dsn
from sentry_puppet.redact import redact
from sentry_puppet.sources import read_definitions

LOCK_WAIT = 300.0  # seconds; a Puppet run waits this long for an earlier sync


@dataclasses.dataclass
class AppResult:
    app: App
    action: str                      # create | adopt | unchanged
    error: Optional[str] = None
    dsn_written: bool = False
    left: bool = False               # not done: the run's run_timeout came first
    team: Optional[str] = None       # the team its project is in on the server, when it exists

    @property
    def shown_team(self):
        return self.team or self.app.team


@dataclasses.dataclass
class SyncResult:
    dry_run: bool
    apps: List[AppResult]
    teams: List[str]                 # created (or, with dry_run, to create)
    team_errors: Dict[str, str]
    problems: List[str]              # refused definition files and app names
    warnings: List[str]
    orphans: List[str]
    requests: int = 0
    origin: str = ""                 # where the definitions came from
    definition_count: int = 0        # definitions read there (files or resources)
    stopped: Optional[str] = None    # why the run stopped before the end (run_timeout)
    new_projects_get: str = ""       # the config's settings for a new project, when not default

    @property
    def failed(self):
        return bool(self.problems or self.team_errors or self.stopped
                    or any(r.error for r in self.apps))

    @property
    def changed(self):
        return bool(self.teams or any(
            not r.error and (r.action != "unchanged" or r.dsn_written) for r in self.apps))

    def count(self, action):
        return sum(1 for r in self.apps if r.action == action and not r.error)


def lock_path(dsn_dir):
    return dsn_dir.rstrip("/") + ".lock"


def sync(config, backend, jobs=4, dry_run=False, refresh_dsn=False, progress=None,
         deadline=None):
    """`deadline` (deadline.Deadline): the run's; when it comes, what was done stays done,
    the rest is named (AppResult.left, SyncResult.stopped) and the run ends failed."""
    try:
        return _locked_sync(config, backend, jobs, dry_run, refresh_dsn, progress, deadline)
    except RunTimeout as exc:
        raise RunTimeout("%s, before anything was changed on the server; every app is left for "
                         "the next run (raise run_timeout in %s if this persists)"
                         % (exc, config.path)) from None


def _locked_sync(config, backend, jobs, dry_run, refresh_dsn, progress, deadline):
    # Read before anything else: a PuppetDB without an answer stops the run here.
    definitions = read_definitions(config, deadline)
    warnings = []
    if dry_run:
        guard = contextlib.nullcontext()
    else:
        try:
            warning = prepare_dsn_dir(config.dsn_dir)
        except OSError as exc:
            raise ConfigError("%s: dsn_dir %s cannot hold the DSN files (%s); fix the directory "
                              "or the key, nothing was changed on the server"
                              % (config.path, config.dsn_dir, exc.strerror)) from None
        if warning:
            warnings.append("%s: %s" % (config.path, warning))
        wait = LOCK_WAIT if deadline is None else max(min(LOCK_WAIT, deadline.remaining()), 0)
        guard = RunLock(lock_path(config.dsn_dir), timeout=wait)
    with guard:
        if not dry_run:
            remove_temp_files(config.dsn_dir)
        result = _sync(backend, config, definitions, jobs, dry_run, refresh_dsn, progress,
                       deadline)
        result.requests = backend.request_count
    result.warnings = warnings + result.warnings
    return result


def server_dsn(config, backend, app):
    """APP's DSN from its project on the server (for `dsn` when no DSN file is published):
    the project sync would use, so the two never disagree."""
    slug = slugify(app)
    candidates = index_projects(backend.list_projects()).get(slug, ())
    project = pick_project(candidates, slug, config.team)
    dsn = project and (project.dsn or backend.get_dsn(project))
    if dsn:
        problem = dsn_problem(dsn)
        if problem:
            raise BackendError("app %r: the DSN %s gave its project %r %s"
                               % (app, redact(config.url), project.slug, problem))
        return dsn
    where = ("PuppetDB %s" % redact(config.puppetdb.url) if config.puppetdb
             else config.definitions_dir)
    raise ConfigError(
        "app %r has no project on %s yet (and no DSN file in %s): "
        "run `sentry-puppet sync` after its definition is in %s"
        % (app, redact(config.url), config.dsn_dir, where))


def _sync(backend, config, definitions, jobs, dry_run, refresh_dsn, progress, deadline):
    dsn_files = existing_dsn_files(config.dsn_dir)
    plan = make_plan(definitions.apps, backend.list_teams(), backend.list_projects(),
                     dsn_files, refresh_dsn=refresh_dsn)
    results = [AppResult(app, "create") for app in plan.projects_to_create]
    existing = {app.name: project for app, project in plan.adopt + plan.unchanged}
    results += [AppResult(app, "adopt", team=project.team) for app, project in plan.adopt]
    results += [AppResult(app, "unchanged", team=project.team)
                for app, project in plan.unchanged]
    warnings = definitions.warnings + [
        "app %r: its project %r is in team %r, not %r as defined; used where it is (projects "
        "are never moved)" % (app.name, project.slug, project.team, app.team)
        for app, project in plan.elsewhere]
    result = SyncResult(dry_run, results, list(plan.teams_to_create) if dry_run else [], {},
                        definitions.problems, warnings,
                        orphans(dsn_files, [a.name for a in definitions.apps]),
                        origin=definitions.origin, definition_count=definitions.file_count,
                        new_projects_get=backend.settings.describe())
    if dry_run:
        return result

    teams = dict(plan.teams)
    for slug in plan.teams_to_create:
        try:
            teams[slug] = backend.create_team(slug)
            result.teams.append(slug)
        except RunTimeout as exc:   # its projects are left with the rest, below
            result.stopped = str(exc)
            break
        except Exception as exc:  # one team's failure fails its projects only
            result.team_errors[slug] = str(exc)

    def unless_stopped(fn, arg):
        # Queued work does not start once the run's time is up: it is left, and named.
        if result.stopped is None and deadline is not None:
            deadline.check("starting the next project")
        if result.stopped is not None:
            raise RunTimeout(result.stopped)
        return fn(arg)

    def create(app):
        project = backend.create_project(teams[app.team], app.name, app.slug, app.platform)
        return project.dsn or backend.get_dsn(project)

    reads = {app.name for app, _ in plan.dsn_reads}
    work = []
    for r in results:
        if r.action == "create":
            if r.app.team in result.team_errors:
                r.error = "team %r could not be created" % r.app.team
            else:
                work.append((r, create, r.app))
        elif r.app.name in reads:
            work.append((r, backend.get_dsn, existing[r.app.name]))
        elif existing[r.app.name].dsn:
            _publish(config, r, existing[r.app.name].dsn)

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(unless_stopped, fn, arg): r for r, fn, arg in work}
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            r = futures[future]
            try:
                dsn = future.result()
            except RunTimeout as exc:
                result.stopped = result.stopped or str(exc)
                r.error, r.left = "left for the next run (run_timeout)", True
            except Exception as exc:  # recorded against this app; the others go on
                r.error = str(exc) or exc.__class__.__name__
            else:
                _publish(config, r, dsn)
            if progress:
                progress(done, len(work))
    return result


def _publish(config, r, dsn):
    if not dsn:
        r.error = "the server gave no DSN for project %r" % r.app.slug
        return
    problem = dsn_problem(dsn)
    if problem:   # dsn_dir/<app> is served to every app server: only a DSN the fact accepts
        r.error = "the server gave project %r a DSN that %s" % (r.app.slug, problem)
        return
    try:
        r.dsn_written = write_dsn(config.dsn_dir, r.app.name, dsn)
    except OSError as exc:
        r.error = "cannot write the DSN file %s/%s (%s)" % (config.dsn_dir, r.app.name,
                                                            exc.strerror or exc)

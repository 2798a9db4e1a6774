"""Pure: wanted apps + the server's teams and projects + the DSN files on disk -> a Plan."""
import dataclasses
from typing import Dict, List, Tuple

from sentry_puppet.backends.base import Project, Team
from sentry_puppet.definitions import App
from sentry_puppet.names import slugify


@dataclasses.dataclass
class Plan:
    teams_to_create: List[str]                 # team slugs, sorted
    projects_to_create: List[App]
    adopt: List[Tuple[App, Project]]           # exists on the server, no DSN file yet
    unchanged: List[Tuple[App, Project]]       # exists, DSN file present
    dsn_reads: List[Tuple[App, Project]]       # existing projects whose DSN must be fetched
    teams: Dict[str, Team]                     # every team the server has, by slug
    elsewhere: List[Tuple[App, Project]] = dataclasses.field(default_factory=list)
    # ^ existing projects in another team than defined: used where they are, never moved

    @property
    def changes(self):
        return bool(self.teams_to_create or self.projects_to_create or self.adopt)


def make_plan(apps, teams, projects, dsn_files, refresh_dsn=False):
    """`dsn_files`: the app names whose DSN file exists. Projects match by slug (and by
    the slug of their name, which is all Bugsink has); nothing here talks to a server."""
    teams_by_slug = {team.slug: team for team in teams}
    projects_by_slug = index_projects(projects)

    to_create, adopt, unchanged, reads, elsewhere = [], [], [], [], []
    for app in sorted(apps, key=lambda a: a.slug):
        project = pick_project(projects_by_slug.get(app.slug, ()), app.slug, app.team)
        if project is None:
            to_create.append(app)
            continue
        if project.team is not None and project.team != app.team:
            elsewhere.append((app, project))
        has_file = app.name in dsn_files
        (unchanged if has_file else adopt).append((app, project))
        if project.dsn is None and (refresh_dsn or not has_file):
            reads.append((app, project))
    needed = sorted({app.team for app in to_create} - set(teams_by_slug))
    return Plan(needed, to_create, adopt, unchanged, reads, teams_by_slug, elsewhere)


def index_projects(projects):
    """slug -> the existing projects it reaches: by their slug, and by the slug of their name."""
    index = {}
    for project in projects:
        for key in {project.slug, slugify(project.name)}:
            index.setdefault(key, []).append(project)
    return index


def pick_project(candidates, slug, team):
    """The one an app uses, deterministically: its own team first, then an exact slug, then
    the lowest ref. `sync` and `dsn` both choose with it, so they never disagree."""
    if not candidates:
        return None
    return min(candidates, key=lambda p: (p.team != team, p.slug != slug, str(p.ref)))

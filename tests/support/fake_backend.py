"""An in-memory Backend for unit tests of everything above the backend interface."""
import threading

from sentry_puppet.backends.base import BackendError, Project, Team
from sentry_puppet.config import ProjectSettings


class FakeBackend:
    def __init__(self, teams=(), projects=(), fail_create=(), fail_dsn=(), listing_has_dsn=True):
        self.teams = {t: Team(slug=t, ref="team-" + t) for t in teams}
        self.projects = {}
        for slug, team in projects:
            self._add(slug, slug, team)
        self.fail_create = set(fail_create)     # project slugs, or "team:<slug>"
        self.fail_dsn = set(fail_dsn)
        self.listing_has_dsn = listing_has_dsn
        self.request_count = 0
        self.settings = ProjectSettings()
        self.calls = []
        self.closed = False
        self._lock = threading.Lock()

    def _add(self, slug, name, team, platform="other"):
        ref = str(len(self.projects) + 1)
        dsn = "http://key%s@bugsink.test/%s" % (ref, ref)
        self.projects[slug] = Project(slug=slug, name=name, team=team, ref=ref,
                                      platform=platform, dsn=dsn)
        return self.projects[slug]

    def _call(self, *call):
        with self._lock:
            self.request_count += 1
            self.calls.append(call)

    def list_teams(self):
        self._call("list_teams")
        return list(self.teams.values())

    def list_projects(self):
        self._call("list_projects")
        if self.listing_has_dsn:
            return list(self.projects.values())
        return [Project(p.slug, p.name, p.team, p.ref, p.platform, None)
                for p in self.projects.values()]

    def create_team(self, slug):
        self._call("create_team", slug)
        if "team:" + slug in self.fail_create:
            raise BackendError("http://bugsink.test/api/teams/ answered 500 (server error)")
        self.teams.setdefault(slug, Team(slug=slug, ref="team-" + slug))
        return self.teams[slug]

    def create_project(self, team, name, slug, platform):
        self._call("create_project", slug)
        if slug in self.fail_create:
            raise BackendError("http://bugsink.test/api/projects/ answered 500 (server error)")
        with self._lock:
            if slug in self.projects:
                return self.projects[slug]
            project = self._add(slug, name, team.slug, platform)
        return Project(project.slug, project.name, project.team, project.ref, platform, None)

    def get_dsn(self, project):
        self._call("get_dsn", project.slug)
        if project.slug in self.fail_dsn:
            raise BackendError("http://bugsink.test/api/projects/%s/ answered 502" % project.ref)
        return self.projects[project.slug].dsn

    def close(self):
        self.closed = True

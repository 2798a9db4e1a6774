"""Bugsink's own API, /api/canonical/0/ (Bugsink 2.x).

Teams are addressed by name (unique site-wide), projects by name within their team; there is
no slug to send and no platform. The project listing carries each DSN, the create response
does not: a new project is read back once for it."""
import dataclasses

from sentry_puppet.backends.base import Project, Team
from sentry_puppet.backends.http import HttpBackend, create_or_adopt, unexpected
from sentry_puppet.names import slugify


class BugsinkBackend(HttpBackend):
    api = "/api/canonical/0/"
    token_needs = "a Bugsink API token, made with `bugsink-manage create_auth_token`"

    def __init__(self, config, http=None, deadline=None):
        super().__init__(config, http, deadline)
        # Bugsink has no per-key rate limit (its quotas are site-wide settings): `validate`
        # says the config's rate_limit is ignored here.
        self.settings = dataclasses.replace(self.settings, rate_limit=None)
        self._team_names = None     # uuid -> name, from the last team listing

    def list_teams(self):
        teams = [self._team(item, "teams/") for item in self.http.paginate_body("teams/")]
        self._team_names = {team.ref: team.slug for team in teams}
        return teams

    def list_projects(self, team=None):
        if self._team_names is None:
            self.list_teams()
        params = {"team": team.ref} if team else None
        return [self._project(item, "projects/")
                for item in self.http.paginate_body("projects/", params)]

    def create_team(self, slug):
        def find():
            return next((team for team in self.list_teams() if team.slug == slug), None)

        team = create_or_adopt(
            lambda: self._team(self.http.post_json("teams/", {"name": slug}), "teams/"),
            find, duplicate=lambda exc: _field_error(exc, "name"))
        if self._team_names is not None:
            self._team_names[team.ref] = team.slug
        return team

    def create_project(self, team, name, slug, platform):
        # Bugsink has no platform: the SDK tells it with every event.
        def create():
            body = {"team": team.ref, "name": name}
            if not self.settings.default_rules:
                # Sentry's default rule mails on new issues; Bugsink's own switch for that.
                body["alert_on_new_issue"] = False
            created = self.http.post_json("projects/", body)
            if not isinstance(created, dict) or "id" not in created:
                raise unexpected(self.http.url("projects/"), "the new project's id")
            return self._read_project(created["id"])

        def find():
            return next((p for p in self.list_projects(team)
                         if p.name == name or p.slug == slug), None)

        return create_or_adopt(create, find,
                               duplicate=lambda exc: _field_error(exc, "non_field_errors"))

    def get_dsn(self, project):
        return self._read_project(project.ref).dsn

    def _read_project(self, ref):
        path = "projects/%s/" % ref
        return self._project(self.http.get_json(path), path)

    def _team(self, item, path):
        if not (isinstance(item, dict) and item.get("id") and isinstance(item.get("name"), str)):
            raise unexpected(self.http.url(path), "teams with an id and a name")
        return Team(slug=item["name"], ref=str(item["id"]))

    def _project(self, item, path):
        if not (isinstance(item, dict) and item.get("id") is not None
                and isinstance(item.get("name"), str)):
            raise unexpected(self.http.url(path), "projects with an id and a name")
        team = item.get("team")
        return Project(slug=slugify(item["name"]), name=item["name"],
                       team=(self._team_names or {}).get(team, team), ref=str(item["id"]),
                       dsn=item.get("dsn") or None)


def _field_error(exc, field):
    """A 400 whose body blames `field`: Bugsink's answer to a duplicate."""
    body = getattr(exc, "body", None)
    return getattr(exc, "status", None) == 400 and isinstance(body, dict) and field in body

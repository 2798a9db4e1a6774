"""Sentry's /api/0/ (sentry.io, self-hosted Sentry, and GlitchTip's differences).

Projects are created with an explicit slug, so a duplicate is refused (409) instead of
getting a random suffix; whatever the server says about a failed create, the project is
re-read before anything is tried again. The listing carries no DSN: keys are read per
project, and only when the planner asks. The config's project settings are applied to the
projects this run creates, never to one it adopts."""
import dataclasses
import json
from urllib.parse import quote

from sentry_puppet.backends.base import BackendError, Project, Team
from sentry_puppet.backends.http import HttpBackend, HttpError, create_or_adopt, unexpected

TOKEN_NEEDS = ("it needs the scopes org:read, project:write and team:write: an internal "
               "integration's token on Sentry; on GlitchTip its user must be an organization admin")
FALLBACK_PLATFORM = "other"
# Refusals that may mean "it exists already": Sentry's 409, GlitchTip's 400/422, and the
# 404 Sentry's own schema documents for a duplicate team slug.
MAYBE_DUPLICATE = (400, 404, 409, 422)


class SentryBackend(HttpBackend):
    api = "/api/0/"
    token_needs = TOKEN_NEEDS

    def __init__(self, config, http=None, deadline=None):
        super().__init__(config, http, deadline)
        self.org = quote(config.organization, safe="")

    def list_teams(self):
        path = "organizations/%s/teams/" % self.org
        return [self._team(item, path) for item in self.http.paginate_link(path)]

    def list_projects(self):
        path = "organizations/%s/projects/" % self.org
        return [self._project(item, path) for item in self.http.paginate_link(path)]

    def create_team(self, slug):
        path = "organizations/%s/teams/" % self.org
        return create_or_adopt(
            lambda: self._team(self._create(path, {"slug": slug}, "team:write", "a team"), path),
            lambda: self._read_or_none(self._team, "teams/%s/%s/" % (self.org, _seg(slug))),
            duplicate=_maybe_duplicate)

    def create_project(self, team, name, slug, platform):
        path = "teams/%s/%s/projects/" % (self.org, _seg(team.ref))
        created = []

        def post(platform):
            body = {"name": name, "slug": slug, "platform": platform}
            if not self.settings.default_rules:
                body["default_rules"] = False
            return self._project(self._create(path, body, "project:write", "a project"), path)

        def create():
            try:
                project = post(platform)
            except HttpError as exc:
                # An id this server does not know (an older Sentry, GlitchTip): keep the app,
                # lose the platform; the SDK reports its own platform with every event.
                if platform == FALLBACK_PLATFORM or not _blames_platform(exc):
                    raise
                project = post(FALLBACK_PLATFORM)
            created.append(project)
            return project

        project = create_or_adopt(
            create,
            lambda: self._read_or_none(self._project, "projects/%s/%s/" % (self.org, _seg(slug))),
            duplicate=_maybe_duplicate)
        if created and self.settings.rate_limit:
            return self._limit_rate(project, self.settings.rate_limit)
        return project

    def get_dsn(self, project):
        path = "projects/%s/%s/keys/" % (self.org, _seg(project.ref))
        for key in self.http.paginate_link(path, {"status": "active"}):
            if not isinstance(key, dict):
                raise unexpected(self.http.url(path), "a list of client keys")
            dsn = key.get("dsn")
            if key.get("isActive", True) and isinstance(dsn, dict) and dsn.get("public"):
                return dsn["public"]
        return None

    def _create(self, path, body, scope, what):
        """POST; a 403 names the scope the token lacks for it."""
        try:
            return self.http.post_json(path, body)
        except HttpError as exc:
            if exc.status != 403 or exc.body is None:
                raise
            raise HttpError("%s answered 403: the token lacks the scope %s (creating %s needs "
                            "it). %s" % (exc.url, scope, what, self.http.auth_hint),
                            exc.url, exc.status, exc.body) from None

    def _limit_rate(self, project, rate_limit):
        """Put the rate limit on the new project's key; -> the project with its DSN, read from
        the key's answer (no extra key read)."""
        path = "projects/%s/%s/keys/" % (self.org, _seg(project.ref))
        try:
            key = next(iter(self.http.paginate_link(path, {"status": "active"})), None)
            if not (isinstance(key, dict) and isinstance(key.get("public"), str)):
                raise unexpected(self.http.url(path), "the new project's client key")
            body = {"rateLimit": {"count": rate_limit.count, "window": rate_limit.window}}
            # Sentry 21.1 resets the key's SDK version to its default when a PUT leaves it out.
            if key.get("browserSdkVersion"):
                body["browserSdkVersion"] = key["browserSdkVersion"]
            key = self.http.put_json(path + "%s/" % _seg(key["public"]), body)
        except BackendError as exc:
            raise BackendError("project %r was created, but the rate limit of its client key "
                               "could not be set (%s); set it in Sentry: Project Settings > "
                               "Client Keys" % (project.slug, exc)) from None
        dsn = key.get("dsn") if isinstance(key, dict) else None
        if isinstance(dsn, dict) and dsn.get("public"):
            return dataclasses.replace(project, dsn=dsn["public"])
        return project

    def _read_or_none(self, parse, path):
        try:
            return parse(self.http.get_json(path), path)
        except HttpError as exc:
            if exc.status == 404:
                return None
            raise

    def _team(self, item, path):
        if not (isinstance(item, dict) and isinstance(item.get("slug"), str)):
            raise unexpected(self.http.url(path), "teams with a slug")
        return Team(slug=item["slug"], ref=item["slug"])

    def _project(self, item, path):
        if not (isinstance(item, dict) and isinstance(item.get("slug"), str)):
            raise unexpected(self.http.url(path), "projects with a slug")
        team = item.get("team") or next(iter(item.get("teams") or []), None)
        return Project(slug=item["slug"], name=item.get("name") or item["slug"],
                       team=team.get("slug") if isinstance(team, dict) else None,
                       ref=item["slug"], platform=item.get("platform"))


def _seg(text):
    return quote(text, safe="")


def _maybe_duplicate(exc):
    return getattr(exc, "status", None) in MAYBE_DUPLICATE


def _blames_platform(exc):
    # Sentry: 400 {"platform": ["Invalid platform"]}; GlitchTip: 422 with "platform" in a loc.
    return exc.status in (400, 422) and "platform" in json.dumps(exc.body)

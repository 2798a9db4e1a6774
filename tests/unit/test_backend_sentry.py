"""SentryBackend against fake HTTP (responses): slugs, adoption, platform fallback, GlitchTip's
answers, pagination and keys."""
import json
import types

import pytest
import responses
from responses import matchers

from sentry_puppet.backends import make_backend
from sentry_puppet.backends.base import BackendError, Project, Team
from sentry_puppet.backends.sentry import SentryBackend
from sentry_puppet.config import ProjectSettings, RateLimit, load_config

URL = "https://sentry.test"
API = URL + "/api/0/"
TOKEN = "sntrys_0123456789abcdef0123456789abcdef"
APPS = Team("apps", "apps")


@pytest.fixture
def backend(tmp_path, monkeypatch):
    monkeypatch.delenv("SENTRY_PUPPET_TOKEN", raising=False)
    config = types.SimpleNamespace(settings=ProjectSettings(), backend="sentry", url=URL, token=TOKEN, ca_file=None,
                                   timeout=5, organization="acme",
                                   token_source=str(tmp_path / "token"))
    backend = make_backend(config)
    assert isinstance(backend, SentryBackend)
    backend.http._sleep = lambda seconds: None
    yield backend
    backend.close()


def project(slug, team="apps", platform="python"):
    ref = {"id": "1", "slug": team, "name": team}
    return {"id": "9", "slug": slug, "name": slug.title(), "platform": platform,
            "team": ref, "teams": [ref]}


def posts():
    return [json.loads(c.request.body) for c in responses.calls if c.request.method == "POST"]


def calls():
    return [(c.request.method, c.request.path_url) for c in responses.calls]


def next_link(cursor, results):
    return {"Link": '<%sx?&cursor=%s>; rel="next"; results="%s"; cursor="%s"'
                    % (API, cursor, results, cursor)}


@responses.activate
def test_projects_are_listed_across_pages_with_their_team(backend):
    responses.get(API + "organizations/acme/projects/", json=[project("a"), project("b", "pay")],
                  headers=next_link("0:2:0", "true"),
                  match=[matchers.query_param_matcher({"per_page": "100"})])
    responses.get(API + "organizations/acme/projects/", json=[project("c")],
                  headers=next_link("0:4:0", "false"),
                  match=[matchers.query_param_matcher({"per_page": "100", "cursor": "0:2:0"})])
    projects = backend.list_projects()
    assert [(p.slug, p.team, p.ref, p.platform, p.dsn) for p in projects] == [
        ("a", "apps", "a", "python", None), ("b", "pay", "b", "python", None),
        ("c", "apps", "c", "python", None)]
    assert backend.request_count == 2


@responses.activate
def test_teams_are_listed_by_slug(backend):
    responses.get(API + "organizations/acme/teams/", json=[{"id": "4", "slug": "apps",
                                                            "name": "Apps"}])
    assert backend.list_teams() == [APPS]


@responses.activate
def test_create_project_sends_an_explicit_slug(backend):
    responses.post(API + "teams/acme/apps/projects/", status=201, json=project("foo-bar"))
    created = backend.create_project(APPS, "Foo-Bar", "foo-bar", "python")
    assert posts() == [{"name": "Foo-Bar", "slug": "foo-bar", "platform": "python"}]
    assert (created.slug, created.ref) == ("foo-bar", "foo-bar")


@responses.activate
def test_409_adopts_the_existing_project(backend):
    responses.post(API + "teams/acme/apps/projects/", status=409,
                   json={"detail": "A project with this slug already exists."})
    responses.get(API + "projects/acme/foo/", json=project("foo", "other-team"))
    adopted = backend.create_project(APPS, "foo", "foo", "python")
    assert (adopted.slug, adopted.team) == ("foo", "other-team")
    assert calls() == [("POST", "/api/0/teams/acme/apps/projects/"),
                       ("GET", "/api/0/projects/acme/foo/")]


@responses.activate
def test_unknown_platform_is_retried_once_with_other(backend):
    responses.post(API + "teams/acme/apps/projects/", status=400,
                   json={"platform": ["Invalid platform"]})
    responses.post(API + "teams/acme/apps/projects/", status=201, json=project("foo", "apps",
                                                                              "other"))
    created = backend.create_project(APPS, "foo", "foo", "python-madeup")
    assert [p["platform"] for p in posts()] == ["python-madeup", "other"]
    assert created.platform == "other"


@responses.activate
def test_glitchtip_422_on_platform_is_retried_once_with_other(backend):
    responses.post(API + "teams/acme/apps/projects/", status=422, json={"detail": [
        {"type": "value_error", "loc": ["body", "payload", "platform"], "msg": "bad"}]})
    responses.post(API + "teams/acme/apps/projects/", status=201, json=project("foo"))
    backend.create_project(APPS, "foo", "foo", "elixir")
    assert [p["platform"] for p in posts()] == ["elixir", "other"]


@responses.activate
def test_other_refusals_are_reported_after_a_re_read_finds_nothing(backend):
    responses.post(API + "teams/acme/apps/projects/", status=400,
                   json={"slug": ['The slug "api" is reserved and not allowed.']})
    responses.get(API + "projects/acme/api/", status=404, json={"detail": "Not found"})
    with pytest.raises(BackendError) as info:
        backend.create_project(APPS, "api", "api", "python")
    assert str(info.value) == ('%steams/acme/apps/projects/ answered 400: {"slug": ["The slug '
                               '\\"api\\" is reserved and not allowed."]}' % API)
    assert len(posts()) == 1


@responses.activate
def test_glitchtip_500_on_a_duplicate_is_re_read_and_adopted(backend):
    responses.post(API + "teams/acme/apps/projects/", status=500,
                   body="<h1>Server Error (500)</h1>", content_type="text/html")
    responses.get(API + "projects/acme/foo/", json=project("foo"))
    assert backend.create_project(APPS, "foo", "foo", "python").slug == "foo"
    assert len(posts()) == 1


@responses.activate
def test_a_500_with_nothing_created_is_tried_once_more_after_the_re_read(backend):
    responses.post(API + "teams/acme/apps/projects/", status=500, body="oops")
    responses.get(API + "projects/acme/foo/", status=404, json={"detail": "Not found"})
    responses.post(API + "teams/acme/apps/projects/", status=201, json=project("foo"))
    assert backend.create_project(APPS, "foo", "foo", "python").slug == "foo"
    assert calls() == [("POST", "/api/0/teams/acme/apps/projects/"),
                       ("GET", "/api/0/projects/acme/foo/"),
                       ("POST", "/api/0/teams/acme/apps/projects/")]


@responses.activate
def test_a_second_500_is_reported_not_retried_again(backend):
    responses.post(API + "teams/acme/apps/projects/", status=500, body="oops")
    responses.get(API + "projects/acme/foo/", status=404, json={"detail": "Not found"})
    with pytest.raises(BackendError) as info:
        backend.create_project(APPS, "foo", "foo", "python")
    assert "answered 500 (server error)" in str(info.value)
    assert len(posts()) == 2


@responses.activate
def test_create_team_sends_its_slug_and_adopts_on_409(backend):
    responses.post(API + "organizations/acme/teams/", status=409,
                   json={"detail": "A team with this slug already exists."})
    responses.get(API + "teams/acme/pay/", json={"id": "3", "slug": "pay", "name": "Pay"})
    assert backend.create_team("pay") == Team("pay", "pay")
    assert posts() == [{"slug": "pay"}]


@responses.activate
def test_dsn_is_the_first_active_keys_public_dsn(backend):
    responses.get(API + "projects/acme/foo/keys/", json=[
        {"id": "k0", "isActive": False, "dsn": {"public": "https://old@sentry.test/9"}},
        {"id": "k1", "isActive": True, "dsn": {"public": "https://new@sentry.test/9"}}],
        match=[matchers.query_param_matcher({"status": "active", "per_page": "100"})])
    assert backend.get_dsn(Project("foo", "foo", "apps", "foo")) == "https://new@sentry.test/9"


@responses.activate
def test_no_active_key_gives_no_dsn(backend):
    responses.get(API + "projects/acme/foo/keys/", json=[])
    assert backend.get_dsn(Project("foo", "foo", "apps", "foo")) is None


@responses.activate
def test_refused_token_names_url_status_scopes_never_the_token(backend, tmp_path):
    responses.get(API + "organizations/acme/teams/", status=401, json={"detail": "Invalid token"})
    with pytest.raises(BackendError) as info:
        backend.list_teams()
    message = str(info.value)
    assert message.startswith("%sorganizations/acme/teams/ answered 401 (token refused). "
                              "Check the token in %s (it needs the scopes"
                              % (API, tmp_path / "token"))
    assert "project:write" in message and TOKEN not in message


@responses.activate
def test_the_token_from_the_environment_is_named_as_such(monkeypatch, tmp_path):
    monkeypatch.setenv("SENTRY_PUPPET_TOKEN", TOKEN)
    path = tmp_path / "config.yaml"
    path.write_text("backend: sentry\nurl: %s\norganization: acme\nteam: apps\n" % URL)
    config = load_config(str(path))
    responses.get(API + "organizations/acme/teams/", status=403, json={"detail": "no"})
    with pytest.raises(BackendError) as info:
        SentryBackend(config).list_teams()
    assert "(token lacks permission). Check the token in $SENTRY_PUPPET_TOKEN" in str(info.value)


def key(public="k1", sdk="7.x", limit=None):
    return {"id": public, "public": public, "isActive": True, "browserSdkVersion": sdk,
            "rateLimit": limit, "dsn": {"public": "https://%s@sentry.test/9" % public}}


@responses.activate
def test_settings_go_to_a_created_project_its_key_answer_carrying_the_dsn(backend):
    backend.settings = ProjectSettings(False, RateLimit(count=100, window=60))
    responses.post(API + "teams/acme/apps/projects/", status=201, json=project("shop"))
    responses.get(API + "projects/acme/shop/keys/", json=[key()])
    responses.put(API + "projects/acme/shop/keys/k1/", json=key(limit={"window": 60,
                                                                        "count": 100}))
    created = backend.create_project(APPS, "Shop", "shop", "python")
    assert posts() == [{"name": "Shop", "slug": "shop", "platform": "python",
                        "default_rules": False}]
    put = json.loads(responses.calls[2].request.body)
    # The key's own SDK version goes along: a PUT without it resets it.
    assert put == {"rateLimit": {"count": 100, "window": 60}, "browserSdkVersion": "7.x"}
    assert created.dsn == "https://k1@sentry.test/9" and len(responses.calls) == 3


@responses.activate
def test_settings_never_touch_an_adopted_project(backend):
    backend.settings = ProjectSettings(False, RateLimit(count=100, window=60))
    responses.post(API + "teams/acme/apps/projects/", status=409,
                   json={"detail": "A project with this slug already exists."})
    responses.get(API + "projects/acme/shop/", json=project("shop"))
    adopted = backend.create_project(APPS, "Shop", "shop", "python")
    assert adopted.slug == "shop" and adopted.dsn is None
    assert [m for m, _ in calls()] == ["POST", "GET"]


@responses.activate
def test_a_rate_limit_that_cannot_be_set_fails_the_app_saying_the_project_exists(backend):
    backend.settings = ProjectSettings(True, RateLimit(count=100, window=60))
    responses.post(API + "teams/acme/apps/projects/", status=201, json=project("shop"))
    responses.get(API + "projects/acme/shop/keys/", json=[key()])
    responses.put(API + "projects/acme/shop/keys/k1/", status=400,
                  json={"rateLimit": {"window": ["Ensure this value is less than or equal "
                                                 "to 86400."]}})
    with pytest.raises(BackendError) as info:
        backend.create_project(APPS, "Shop", "shop", "python")
    assert str(info.value).startswith(
        "project 'shop' was created, but the rate limit of its client key could not be set "
        "(%sprojects/acme/shop/keys/k1/ answered 400" % API)
    assert "Project Settings > Client Keys" in str(info.value)
    assert "default_rules" not in posts()[0]


@responses.activate
def test_a_create_refused_with_403_names_the_scope_the_token_lacks(backend):
    responses.post(API + "teams/acme/apps/projects/", status=403,
                   json={"detail": "You do not have permission to perform this action."})
    with pytest.raises(BackendError) as info:
        backend.create_project(APPS, "Shop", "shop", "python")
    assert str(info.value).startswith(
        "%steams/acme/apps/projects/ answered 403: the token lacks the scope project:write "
        "(creating a project needs it). Check the token in " % API)
    assert TOKEN not in str(info.value)

"""BugsinkBackend against fake HTTP (responses), with bodies as Bugsink 2.6.2 answers them."""
import json
import types

import pytest
import responses

from sentry_puppet.backends import make_backend
from sentry_puppet.backends.base import BackendError, Project, Team
from sentry_puppet.backends.bugsink import BugsinkBackend
from sentry_puppet.config import ProjectSettings

URL = "https://bugsink.test"
API = URL + "/api/canonical/0/"
TOKEN = "0123456789abcdef0123456789abcdef01234567"
APPS = "f2279e6a-58a2-49ac-bfe4-324dd78a8cba"
PAY = "450ef069-b7cd-4e4a-90a4-3fd5c2fd8db4"


def page(results, next=None):
    return {"next": next, "previous": None, "results": results}


def listed(id, name, team=APPS, slug=None):
    # As Bugsink's project list shows a project: with slug and dsn (id an int).
    return {"id": id, "team": team, "name": name, "slug": slug or name.lower(),
            "dsn": "https://k%d@bugsink.test/%d" % (id, id), "digested_event_count": 0,
            "visibility": "team_members"}


def created(id, name, team=APPS):
    # As Bugsink's create answers: no slug, no dsn, and the id a string.
    return {"id": str(id), "team": team, "name": name, "visibility": "team_members",
            "alert_on_new_issue": True, "retention_max_event_count": 10000}


@pytest.fixture
def backend(tmp_path, monkeypatch):
    monkeypatch.delenv("SENTRY_PUPPET_TOKEN", raising=False)
    config = types.SimpleNamespace(settings=ProjectSettings(), backend="bugsink", url=URL, token=TOKEN, ca_file=None,
                                   timeout=5, token_source=str(tmp_path / "token"))
    backend = make_backend(config)
    assert isinstance(backend, BugsinkBackend)
    backend.http._sleep = lambda seconds: None
    yield backend
    backend.close()


def teams_listed():
    responses.get(API + "teams/", json=page([
        {"id": PAY, "name": "payments", "visibility": "discoverable"},
        {"id": APPS, "name": "apps", "visibility": "discoverable"}]))


def posts():
    return [json.loads(c.request.body) for c in responses.calls if c.request.method == "POST"]


@responses.activate
def test_listing_reads_teams_then_every_page_of_projects_with_their_dsns(backend):
    teams_listed()
    responses.get(API + "projects/", json=page(
        [listed(1, "Foo.Bar", slug="foobar"), listed(2, "shop", team=PAY)],
        next="http://127.0.0.1:8000/api/canonical/0/projects/?cursor=p2"),
        match=[responses.matchers.query_param_matcher({})])
    responses.get(API + "projects/", json=page([listed(3, "zoo")]),
                  match=[responses.matchers.query_param_matcher({"cursor": "p2"})])
    teams = backend.list_teams()
    projects = backend.list_projects()
    assert sorted(teams, key=lambda t: t.slug) == [Team("apps", APPS), Team("payments", PAY)]
    # The planner's key is our slug of the name, not Bugsink's own (`foobar`).
    assert [(p.slug, p.name, p.team, p.ref) for p in projects] == [
        ("foo-bar", "Foo.Bar", "apps", "1"), ("shop", "shop", "payments", "2"),
        ("zoo", "zoo", "apps", "3")]
    assert projects[1].dsn == "https://k2@bugsink.test/2"
    assert backend.request_count == 3


@responses.activate
def test_create_team_posts_its_name(backend):
    responses.post(API + "teams/", status=201,
                   json={"id": PAY, "name": "payments", "visibility": "discoverable"})
    assert backend.create_team("payments") == Team("payments", PAY)
    assert posts() == [{"name": "payments"}]


@responses.activate
def test_duplicate_team_is_re_read_and_adopted_not_created_again(backend):
    responses.post(API + "teams/", status=400,
                   json={"name": ["team with this Name already exists."]})
    teams_listed()
    assert backend.create_team("payments") == Team("payments", PAY)
    assert len(posts()) == 1


@responses.activate
def test_create_project_reads_it_back_for_the_dsn(backend):
    responses.post(API + "projects/", status=201, json=created(7, "Shop"))
    responses.get(API + "projects/7/", json=listed(7, "Shop"))
    project = backend.create_project(Team("apps", APPS), "Shop", "shop", "ruby")
    assert (project.slug, project.ref, project.dsn) == ("shop", "7", "https://k7@bugsink.test/7")
    assert posts() == [{"team": APPS, "name": "Shop"}]
    assert backend.request_count == 2


@responses.activate
def test_duplicate_project_is_adopted_from_its_team_listing(backend):
    responses.post(API + "projects/", status=400,
                   json={"non_field_errors": ["The fields team, name must make a unique set."]})
    responses.get(API + "projects/", json=page([listed(4, "Shop")]),
                  match=[responses.matchers.query_param_matcher({"team": APPS})])
    backend._team_names = {APPS: "apps"}
    project = backend.create_project(Team("apps", APPS), "Shop", "shop", "ruby")
    assert (project.ref, project.dsn) == ("4", "https://k4@bugsink.test/4")
    assert len(posts()) == 1


@responses.activate
def test_create_failing_with_500_is_re_read_before_one_more_try(backend):
    responses.post(API + "projects/", status=500, body="<h1>Server Error (500)</h1>")
    responses.post(API + "projects/", status=201, json=created(9, "Shop"))
    responses.get(API + "projects/", json=page([]))
    responses.get(API + "projects/9/", json=listed(9, "Shop"))
    backend._team_names = {APPS: "apps"}
    project = backend.create_project(Team("apps", APPS), "Shop", "shop", "ruby")
    assert project.ref == "9"
    methods = [(c.request.method, c.request.path_url) for c in responses.calls]
    assert methods == [("POST", "/api/canonical/0/projects/"),
                       ("GET", "/api/canonical/0/projects/?team=" + APPS),
                       ("POST", "/api/canonical/0/projects/"),
                       ("GET", "/api/canonical/0/projects/9/")]


@responses.activate
def test_create_that_created_despite_a_500_is_adopted_not_duplicated(backend):
    responses.post(API + "projects/", status=502, body="Bad Gateway")
    responses.get(API + "projects/", json=page([listed(5, "Shop")]))
    backend._team_names = {APPS: "apps"}
    project = backend.create_project(Team("apps", APPS), "Shop", "shop", "ruby")
    assert project.ref == "5"
    assert len(posts()) == 1


@responses.activate
def test_a_refused_create_that_is_no_duplicate_is_reported(backend):
    responses.post(API + "projects/", status=400,
                   json={"name": ["Ensure this field has no more than 64 characters."]})
    with pytest.raises(BackendError) as info:
        backend.create_project(Team("apps", APPS), "x" * 70, "x" * 70, "other")
    assert str(info.value).startswith(API + "projects/ answered 400: ")
    assert "no more than 64" in str(info.value)
    assert len(responses.calls) == 1


@responses.activate
def test_get_dsn_reads_the_project(backend):
    responses.get(API + "projects/3/", json=listed(3, "zoo"))
    project = Project(slug="zoo", name="zoo", team="apps", ref="3")
    assert backend.get_dsn(project) == "https://k3@bugsink.test/3"


@responses.activate
def test_refused_token_names_the_url_the_status_and_the_token_file(backend, tmp_path):
    responses.get(API + "teams/", status=401,
                  json={"detail": "Invalid token."})
    with pytest.raises(BackendError) as info:
        backend.list_teams()
    message = str(info.value)
    assert message.startswith(API + "teams/ answered 401 (token refused). Check the token in %s"
                              % (tmp_path / "token"))
    assert "create_auth_token" in message and TOKEN not in message


@responses.activate
def test_a_listing_that_is_not_bugsinks_is_refused_by_name(backend):
    responses.get(API + "teams/", json=page([{"slug": "apps"}]))
    with pytest.raises(BackendError) as info:
        backend.list_teams()
    assert "%steams/ answered with an unexpected body" % API in str(info.value)

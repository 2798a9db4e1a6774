"""The fake Sentry the sync tests rely on answers as Sentry's published OpenAPI schema says:
every route the backend uses, each body valid against its response schema, each status one
the schema documents for that route (401, 429 and 5xx are the cross-cutting ones the
schema's README describes)."""
import copy

import jsonschema
import pytest
import requests

from tests.support.fake_sentry import ROUTES, FakeSentry, load_schema

SCHEMA = load_schema()
CROSS_CUTTING = {401, 429, 500}
# Where the schema and Sentry disagree, the fake answers as Sentry does. The schema files a
# duplicate team slug under 404 ("A team with this slug already exists."); Sentry's
# endpoint raises ConflictError: 409. (The backend treats both as "re-read, adopt".)
SCHEMA_GAPS = {("POST", "/api/0/organizations/{organization_id_or_slug}/teams/", 409)}


def json_schema(openapi):
    """OpenAPI 3.0's `nullable: true` is JSON Schema's `type: [..., "null"]`."""
    schema = copy.deepcopy(openapi)

    def walk(node):
        if isinstance(node, dict):
            if node.pop("nullable", False) and "type" in node:
                node["type"] = [node["type"], "null"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(schema)
    return schema


@pytest.fixture
def fake():
    server = FakeSentry(projects=3, teams=("apps", "payments"), page_size=2).start()
    yield server
    server.stop()


class Checker:
    """Sends a request to the fake and checks the answer against the schema."""

    def __init__(self, fake):
        self.fake = fake
        self.session = requests.Session()
        self.session.headers["Authorization"] = "Bearer " + fake.token
        self.seen = set()

    def __call__(self, method, path, status, json=None, params=None):
        response = self.session.request(method, self.fake.url + path, json=json, params=params)
        assert response.status_code == status, response.text
        route = self.route(method, path)
        documented = SCHEMA["paths"][route][method.lower()]["responses"]
        assert (str(status) in documented or status in CROSS_CUTTING
                or (method, route, status) in SCHEMA_GAPS), (method, route, status)
        content = documented.get(str(status), {}).get("content", {})
        if "application/json" in content:
            jsonschema.validate(response.json(),
                                json_schema(content["application/json"]["schema"]))
        self.seen.add((method, route))
        return response

    @staticmethod
    def route(method, path):
        [route] = [r for m, pattern, _, r in ROUTES if m == method and pattern.match(path)]
        return route


def test_every_answer_the_backend_can_get_follows_the_schema(fake):
    check = Checker(fake)
    org = "/api/0/organizations/acme"
    page = check("GET", org + "/projects/", 200)
    assert [p["slug"] for p in page.json()] == ["app00000", "app00001"]
    assert page.links["next"]["results"] == "true"
    last = check("GET", org + "/projects/", 200,
                 params={"cursor": page.links["next"]["cursor"], "per_page": 100})
    assert [p["slug"] for p in last.json()] == ["app00002"]
    assert last.links["next"]["results"] == "false"
    assert last.links["previous"]["results"] == "true"
    check("GET", org + "/teams/", 200)
    check("POST", org + "/teams/", 201, json={"slug": "ops"})
    check("POST", org + "/teams/", 409, json={"slug": "ops"})
    check("POST", org + "/teams/", 400, json={"slug": "Not A Slug"})
    check("GET", "/api/0/teams/acme/ops/", 200)
    check("GET", "/api/0/teams/acme/nope/", 404)
    check("GET", "/api/0/teams/acme/apps/projects/", 200)
    created = check("POST", "/api/0/teams/acme/ops/projects/", 201,
                    json={"name": "Shop", "slug": "shop", "platform": "ruby"})
    assert (created.json()["slug"], created.json()["team"]["slug"]) == ("shop", "ops")
    check("POST", "/api/0/teams/acme/ops/projects/", 409,
          json={"name": "Shop", "slug": "shop", "platform": "ruby"})
    check("POST", "/api/0/teams/acme/ops/projects/", 400,
          json={"name": "X", "slug": "x", "platform": "cobol"})
    check("POST", "/api/0/teams/acme/ops/projects/", 400,
          json={"name": "api", "slug": "api", "platform": "python"})
    check("POST", "/api/0/teams/acme/nope/projects/", 404, json={"name": "y", "slug": "y"})
    check("GET", "/api/0/projects/acme/shop/", 200)
    check("GET", "/api/0/projects/acme/nope/", 404)
    keys = check("GET", "/api/0/projects/acme/shop/keys/", 200, params={"status": "active"})
    assert keys.json()[0]["dsn"]["public"].startswith("http://")
    fake.rate_limit(1, "X-Sentry-Rate-Limit-Reset")
    limited = check("GET", org + "/teams/", 429)
    assert int(limited.headers["X-Sentry-Rate-Limit-Reset"]) > 0
    fake.refuse_token = True
    check("GET", org + "/teams/", 401)
    # Every route the fake serves was exercised above.
    assert check.seen == {(m, r) for m, _, _, r in ROUTES}


def test_glitchtip_mode_answers_422_and_500_on_duplicate():
    with FakeSentry(glitchtip=True) as fake:
        session = requests.Session()
        session.headers["Authorization"] = "Bearer " + fake.token
        url = fake.url + "/api/0/teams/acme/apps/projects/"
        bad = session.post(url, json={"name": "x", "slug": "x", "platform": "cobol"})
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"] == ["body", "payload", "platform"]
        assert session.post(url, json={"name": "x", "slug": "x"}).status_code == 201
        duplicate = session.post(url, json={"name": "x", "slug": "x"})
        assert duplicate.status_code == 500
        assert duplicate.headers["Content-Type"].startswith("text/html")

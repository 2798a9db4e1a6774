"""`sentry-puppet sync` against a real Sentry 21.1 AND the fake built from today's OpenAPI
schema, the same tests for both (`[real-sentry-21.1]`, `[fake-openapi]`): where they part,
a test fails. Each test on the real server works in an organization of its own."""
import re
import subprocess
import sys
import uuid

import pytest
import requests

from tests.integration.cli_env import CliEnv
from tests.support.fake_sentry import FakeSentry

REAL, FAKE = "real-sentry-21.1", "fake-openapi"


class Server:
    """The server under test, through its HTTP API only (what the tests set up and check)."""

    def __init__(self, kind, url, org, tokens, fake=None, real=None):
        self.kind, self.url, self.org = kind, url, org
        self.token = tokens["tool"]            # the scopes docs/backends.md asks for
        self.limited_token = tokens["no_project_write"]
        self.fake, self.real = fake, real
        self.api = requests.Session()
        self.api.headers["Authorization"] = "Bearer " + tokens["admin"]

    def call(self, method, path, status=200, **kwargs):
        response = self.api.request(method, self.url + "/api/0/" + path, **kwargs)
        assert response.status_code == status, (method, path, response.text[:300])
        return response.json() if response.content else None

    def add_team(self, slug):
        return self.call("POST", "organizations/%s/teams/" % self.org, 201, json={"slug": slug})

    def add_project(self, slug, team, platform="python"):
        return self.call("POST", "teams/%s/%s/projects/" % (self.org, team), 201,
                         json={"name": slug, "slug": slug, "platform": platform})

    def projects(self):
        """slug -> team slug, every page."""
        found, cursor = {}, None
        while True:
            response = self.api.get(self.url + "/api/0/organizations/%s/projects/" % self.org,
                                    params={"per_page": 100, "cursor": cursor})
            found.update((p["slug"], p["team"]["slug"]) for p in response.json())
            link = response.links.get("next", {})
            if link.get("results") != "true":
                return found
            cursor = link["cursor"]

    def keys(self, slug):
        return self.call("GET", "projects/%s/%s/keys/" % (self.org, slug))

    def dsn(self, slug):
        return self.keys(slug)[0]["dsn"]["public"] + "\n"

    def rules(self, slug):
        return self.call("GET", "projects/%s/%s/rules/" % (self.org, slug))


@pytest.fixture(params=[REAL, FAKE])
def server(request):
    if request.param == FAKE:
        fake = FakeSentry(teams=()).start()
        tokens = {"tool": fake.token, "admin": fake.token, "no_project_write": fake.limited_token}
        yield Server(FAKE, fake.url, fake.org, tokens, fake=fake)
        fake.stop()
        return
    real = request.getfixturevalue("real_sentry")
    org = "t-" + uuid.uuid4().hex[:12]
    server = Server(REAL, real.url, org, real.tokens, real=real)
    server.call("POST", "organizations/", 201, json={"name": org, "slug": org})
    yield server


def env_for(server, root, token=None, **overrides):
    root.mkdir(exist_ok=True)
    return CliEnv(root, server.url, token or server.token, backend="sentry",
                  organization=server.org, **overrides)


@pytest.fixture
def env(server, tmp_path):
    return env_for(server, tmp_path / "sync")


def requests_of(out):
    return int(re.search(r"; (\d+) requests?\.$", out.strip()).group(1))


def test_cold_sync_then_in_sync(server, env):
    env.define("shop-app01.yaml", "project: Shop\nplatform: ruby\nteam: payments\n")
    env.define("shop-app02.yaml", "project: Shop\nplatform: ruby\nteam: payments\n")
    env.define("blog-app01.yaml", "project: blog\nplatform: python\n")
    env.define("wiki-app01.yaml", "project: wiki\nplatform: php\nteam: web\n")
    code, out, err = env.run("sync")
    assert code == 0, out + err
    assert "+ team payments" in out and "+ project shop (ruby) in payments" in out
    assert server.projects() == {"shop": "payments", "blog": "apps", "wiki": "web"}
    # 2 listings, 3 teams, 3 projects, 3 key reads.
    assert requests_of(out) == 11
    # The DSN files are the projects' keys, as the server tells them.
    assert env.dsn_files() == {"Shop": server.dsn("shop"), "blog": server.dsn("blog"),
                               "wiki": server.dsn("wiki")}

    code, out, err = env.run("sync", "--detailed-exitcodes")
    assert code == 0, out + err
    assert requests_of(out) == 2      # one page of teams, one of projects


def test_an_existing_project_is_adopted_and_a_deleted_dsn_file_comes_back(server, env):
    server.add_team("apps")
    server.add_project("legacy", "apps", platform="php")
    env.define("legacy.yaml", "project: legacy\nplatform: php\n")
    code, out, err = env.run("sync")
    assert code == 0, out + err
    assert "~ project legacy (php) in apps exists: DSN file to write" in out
    assert requests_of(out) == 3      # 2 listings, 1 key read: nothing created
    assert env.dsn_files() == {"legacy": server.dsn("legacy")}

    (env.dsn_dir / "legacy").unlink()
    code, out, err = env.run("sync")
    assert code == 0, out + err
    assert env.dsn_files() == {"legacy": server.dsn("legacy")}
    assert server.projects() == {"legacy": "apps"}


def test_a_project_found_in_another_team_is_used_where_it_is(server, env):
    server.add_team("ops")
    server.add_project("legacy", "ops", platform="php")
    env.define("legacy.yaml", "project: legacy\nplatform: php\n")     # team: apps (default)
    code, out, err = env.run("sync")
    assert code == 0, out + err
    assert "~ project legacy (php) in ops exists: DSN file to write" in out
    assert "its project 'legacy' is in team 'ops', not 'apps' as defined" in err
    assert server.projects() == {"legacy": "ops"}
    assert env.dsn_files() == {"legacy": server.dsn("legacy")}


def test_two_syncs_at_once_make_each_project_once(server, tmp_path):
    envs = [env_for(server, tmp_path / name) for name in ("one", "two")]
    for env in envs:
        for n in range(4):
            env.define("app%d.yaml" % n, "project: app%d\nteam: shared\n" % n)
    procs = [env.start("sync", "--jobs", "2") for env in envs]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, out + err
    assert server.projects() == {"app%d" % n: "shared" for n in range(4)}
    expected = {"app%d" % n: server.dsn("app%d" % n) for n in range(4)}
    assert [env.dsn_files() for env in envs] == [expected, expected]


def test_a_project_whose_key_was_deleted_has_no_dsn(server, env):
    server.add_team("apps")
    server.add_project("keyless", "apps")
    [key] = server.keys("keyless")
    server.call("DELETE", "projects/%s/keyless/keys/%s/" % (server.org, key["public"]), 204)
    env.define("keyless.yaml", "project: keyless\n")
    code, out, err = env.run("sync")
    assert code == 1
    assert "sentry-puppet: app keyless: the server gave no DSN for project 'keyless'" in err
    assert env.dsn_files() == {}


def test_a_token_without_project_write_is_told_which_scope_it_lacks(server, tmp_path):
    env = env_for(server, tmp_path / "limited", token=server.limited_token)
    env.define("shop.yaml", "project: shop\n")
    code, out, err = env.run("sync")
    assert code == 1
    assert ("%s/api/0/teams/%s/apps/projects/ answered 403: the token lacks the scope "
            "project:write (creating a project needs it)" % (server.url, server.org)) in err
    assert "+ team apps" in out       # team:write it has
    assert server.projects() == {}


def test_more_than_one_page_of_projects(server, env):
    for n in range(101):
        env.define("app%03d.yaml" % n, "project: app%03d\n" % n)
    code, out, err = env.run("sync", "--jobs", "4", timeout=600)
    assert code == 0, out + err
    assert len(server.projects()) == 101
    code, out, err = env.run("sync", "--detailed-exitcodes")
    assert code == 0, out + err
    assert requests_of(out) == 3      # teams, then two pages of projects
    assert env.dsn_files()["app100"] == server.dsn("app100")


def test_the_dsn_files_take_events_from_sentry_sdk(server, env):
    env.define("shop.yaml", "project: shop\nplatform: python\n")
    assert env.run("sync")[0] == 0
    dsn = env.dsn_files()["shop"].strip()
    sent = subprocess.run([sys.executable, "-c", SEND_EVENT, dsn], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=60)
    assert sent.returncode == 0, sent.stdout
    project_id = dsn.rsplit("/", 1)[1]
    if server.kind == FAKE:
        # What Relay in front of Sentry (sentry.io, self-hosted) answers: 200 and an event id.
        assert "Unexpected status code" not in sent.stdout, sent.stdout
        assert [p for p, _ in server.fake.events] == [project_id]
    else:
        # Sentry 21.1 alone has no ingestion route: Relay serves /api/<id>/envelope/ and
        # /store/. Django's CSRF check refuses the SDK's POST (403), and the access log shows
        # the SDK sent it to this server, for this project.
        assert "Unexpected status code: 403" in sent.stdout, sent.stdout
        with open(server.real._log("web")) as log:
            assert re.search(r'"POST /api/%s/envelope/ HTTP/1.1" 403 .*sentry' % project_id,
                             log.read(), re.I)


SEND_EVENT = """
import sys
import sentry_sdk
sentry_sdk.init(sys.argv[1], debug=True, default_integrations=False)
sentry_sdk.capture_message("hello from sentry-puppet's tests")
sentry_sdk.flush(10)
"""


def test_settings_apply_to_new_projects_only(server, env, tmp_path):
    server.add_team("apps")
    server.add_project("old", "apps")
    env = env_for(server, tmp_path / "settings", default_rules=False,
                  rate_limit={"count": 100, "window": 60})
    env.define("old.yaml", "project: old\nplatform: python\n")
    env.define("fresh.yaml", "project: fresh\nplatform: python\n")
    code, out, err = env.run("sync", "--dry-run")
    assert code == 0, out + err
    assert ("+ project fresh (python) in apps (no default alert rule, rate limit 100 per "
            "60 s)") in out
    code, out, err = env.run("sync")
    assert code == 0, out + err
    # 2 listings; fresh: create, its key, the key's rate limit (whose answer has the DSN);
    # old: its key.
    assert requests_of(out) == 6
    assert server.rules("fresh") == []
    [key] = server.keys("fresh")
    assert key["rateLimit"] == {"window": 60, "count": 100}
    assert key["browserSdkVersion"] == "5.x"
    assert env.dsn_files()["fresh"] == key["dsn"]["public"] + "\n"
    # The existing project keeps what it had: the default rule, no rate limit.
    assert [rule["name"] for rule in server.rules("old")] == [
        "Send a notification for new issues"]
    assert server.keys("old")[0]["rateLimit"] is None

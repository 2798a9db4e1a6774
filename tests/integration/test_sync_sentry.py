"""`sentry-puppet sync` (the installed command) against the fake Sentry /api/0/ server:
adoption, pagination, rate limits, server errors, platforms, GlitchTip's answers, tokens, TLS."""
import ssl

import pytest
import trustme

from tests.integration.cli_env import CliEnv
from tests.support.fake_sentry import FakeSentry


@pytest.fixture
def fake():
    server = FakeSentry().start()
    yield server
    server.stop()


def env_for(fake, root, **overrides):
    root.mkdir(exist_ok=True)
    return CliEnv(root, fake.url, fake.token, backend="sentry", organization=fake.org,
                  **overrides)


@pytest.fixture
def env(fake, tmp_path):
    return env_for(fake, tmp_path)


def dsn_of(fake, slug):
    return fake.keys[slug][0]["dsn"]["public"] + "\n"


def test_first_sync_creates_teams_and_projects_second_changes_nothing(env, fake):
    env.define("shop-app01.yaml", "project: Shop\nplatform: ruby\nteam: payments\n")
    env.define("shop-app02.yaml", "project: Shop\nplatform: ruby\nteam: payments\n")
    env.define("blog-app01.yaml", "project: blog\nplatform: python\n")
    code, out, err = env.run("sync")
    assert code == 0, err
    assert "+ team payments" in out and "+ project shop (ruby) in payments" in out
    assert fake.project_slugs() == ["blog", "shop"]
    assert fake.projects["shop"]["platform"] == "ruby"
    assert fake.projects["shop"]["team"]["slug"] == "payments"
    assert env.dsn_files() == {"Shop": dsn_of(fake, "shop"), "blog": dsn_of(fake, "blog")}

    before = len(fake.requests)
    code, out, err = env.run("sync", "--detailed-exitcodes")
    assert code == 0, out + err
    second = fake.requests[before:]
    # In sync: one page of teams, one of projects; no POST, no key read.
    assert [(m, p) for m, p, _ in second] == [("GET", "/api/0/organizations/acme/teams/"),
                                              ("GET", "/api/0/organizations/acme/projects/")]


def test_409_on_create_adopts_the_project_a_racing_run_made(env, fake):
    fake.add_project("shop", "apps")
    fake.hidden.add("shop")     # not in our listing, there when we create
    env.define("shop.yaml", "project: shop\n")
    code, out, err = env.run("sync")
    assert code == 0, err
    assert fake.count("POST", "/projects/") == 1
    assert fake.count("GET", path="/api/0/projects/acme/shop/") == 1
    assert fake.project_slugs() == ["shop"]
    assert env.dsn_files() == {"shop": dsn_of(fake, "shop")}


def test_three_pages_of_projects_are_all_read(tmp_path):
    with FakeSentry(projects=250) as fake:
        env = env_for(fake, tmp_path)
        env.define("first.yaml", "project: app00000\n")
        env.define("last.yaml", "project: app00249\n")     # on the third page
        code, out, err = env.run("sync")
        assert code == 0, err
        listings = [q for m, p, q in fake.requests if p.endswith("/organizations/acme/projects/")]
        assert [q.get("cursor") for q in listings] == [None, "0:100:0", "0:200:0"]
        assert all(q["per_page"] == "100" for q in listings)
        assert fake.count("POST") == 0 and len(fake.projects) == 250
        assert env.dsn_files() == {"app00000": dsn_of(fake, "app00000"),
                                   "app00249": dsn_of(fake, "app00249")}


@pytest.mark.parametrize("header", ["Retry-After", "X-Sentry-Rate-Limit-Reset"])
def test_429_then_success(env, fake, header):
    fake.rate_limit(times=2, header=header)
    env.define("shop.yaml", "project: shop\n")
    code, out, err = env.run("sync")
    assert code == 0, err
    assert fake.project_slugs() == ["shop"]
    assert env.dsn_files() == {"shop": dsn_of(fake, "shop")}


def test_one_500_on_a_read_then_success(env, fake):
    fake.fail_next(500, "GET")
    env.define("shop.yaml", "project: shop\n")
    code, out, err = env.run("sync")
    assert code == 0, err
    teams = [p for m, p, _ in fake.requests if p == "/api/0/organizations/acme/teams/"]
    assert len(teams) == 2 and fake.project_slugs() == ["shop"]


def test_one_500_on_a_create_is_re_read_then_created_once(env, fake):
    fake.fail_next(500, "POST")
    env.define("shop.yaml", "project: shop\n")
    code, out, err = env.run("sync")
    assert code == 0, err
    assert fake.count("POST", "/projects/") == 2
    assert fake.count("GET", path="/api/0/projects/acme/shop/") == 1
    assert fake.project_slugs() == ["shop"]


def test_a_platform_the_server_does_not_know_becomes_other(env, fake):
    fake.platforms = {"python", "other"}     # an older server
    env.define("shop.yaml", "project: shop\nplatform: ruby\n")
    env.define("blog.yaml", "project: blog\nplatform: python\n")
    code, out, err = env.run("sync")
    assert code == 0, err
    assert fake.projects["shop"]["platform"] == "other"
    assert fake.projects["blog"]["platform"] == "python"
    assert sorted(env.dsn_files()) == ["blog", "shop"]


def test_glitchtip_422_and_500_on_duplicate(tmp_path):
    with FakeSentry(glitchtip=True) as fake:
        fake.platforms = {"python", "other"}
        fake.add_project("taken", "apps")
        fake.hidden.add("taken")
        env = env_for(fake, tmp_path)
        env.define("shop.yaml", "project: shop\nplatform: elixir\n")
        env.define("taken.yaml", "project: taken\nplatform: python\n")
        code, out, err = env.run("sync")
        assert code == 0, err
        assert fake.projects["shop"]["platform"] == "other"
        assert fake.project_slugs() == ["shop", "taken"]
        assert fake.count("POST", "/projects/") == 3     # shop twice, taken once
        assert env.dsn_files() == {"shop": dsn_of(fake, "shop"), "taken": dsn_of(fake, "taken")}


def test_a_refused_token_is_named_with_url_and_status_never_shown(env, fake):
    fake.refuse_token = True
    env.define("shop.yaml", "project: shop\n")
    code, out, err = env.run("sync")      # CliEnv.run asserts the token is in no output
    assert code == 1
    assert "%s/api/0/organizations/acme/teams/ answered 401 (token refused)" % fake.url in err
    assert "Check the token in %s" % (env.root / "token") in err
    assert env.dsn_files() == {} and fake.count("POST") == 0


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


def test_tls_is_verified_against_ca_file(tmp_path, ca):
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with FakeSentry(ssl_context=server_context) as fake:
        trusted = env_for(fake, tmp_path / "trusted", ca_file=str(ca_file))
        trusted.define("shop.yaml", "project: shop\n")
        code, out, err = trusted.run("sync")
        assert code == 0, err
        assert trusted.dsn_files() == {"shop": dsn_of(fake, "shop")}

        # The system store does not know the test CA: refused, and the message says why.
        untrusted = env_for(fake, tmp_path / "untrusted")
        untrusted.define("shop.yaml", "project: shop\n")
        code, out, err = untrusted.run("sync")
        assert code == 1
        assert "%s/api/0/organizations/acme/teams/: TLS verification failed" % fake.url in err
        assert "ca_file" in err
        assert untrusted.dsn_files() == {}


def test_dsn_command_reads_the_key_when_no_file_exists(env, fake):
    fake.add_project("shop", "apps")
    code, out, err = env.run("dsn", "shop")
    assert code == 0, err
    assert out == dsn_of(fake, "shop")
    assert fake.count("GET", "/keys/") == 1 and fake.count("POST") == 0


def test_keys_are_read_only_for_missing_dsn_files_unless_refresh_dsn(env, fake):
    env.define("shop.yaml", "project: shop\n")
    env.define("blog.yaml", "project: blog\n")
    assert env.run("sync")[0] == 0
    old = dsn_of(fake, "shop")
    fake.keys["shop"][0]["dsn"]["public"] = "http://rotated@%s/1" % fake.netloc

    before = fake.count("GET", "/keys/")
    assert env.run("sync")[0] == 0
    assert fake.count("GET", "/keys/") == before
    assert env.dsn_files()["shop"] == old

    code, out, err = env.run("sync", "--refresh-dsn")
    assert code == 0, err
    assert fake.count("GET", "/keys/") == before + 2
    assert env.dsn_files()["shop"] == "http://rotated@%s/1\n" % fake.netloc


def test_a_server_that_closes_after_each_answer_without_saying_so(env, fake):
    # uWSGI's bare listener (`sentry run web`) does this: a request on a reused connection
    # is reset. The retry goes on a fresh connection, and so does everything after it.
    fake.drop_after_answer = True
    env.define("shop-app01.yaml", "project: Shop\nplatform: ruby\nteam: payments\n")
    env.define("blog-app01.yaml", "project: blog\nplatform: python\nteam: web\n")
    env.define("wiki-app01.yaml", "project: wiki\nplatform: php\nteam: web\n")
    code, out, err = env.run("sync", "--jobs", "1")
    assert code == 0, out + err
    assert "+ team payments" in out and "+ team web" in out
    assert fake.project_slugs() == ["blog", "shop", "wiki"]
    assert fake.count("POST", path="/api/0/organizations/acme/teams/") == 2
    assert fake.count("POST", "/projects/") == 3
    assert sorted(env.dsn_files()) == ["Shop", "blog", "wiki"]

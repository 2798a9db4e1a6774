"""Bad input, each named on stderr with exit 1, no traceback, and never the token."""
import os

import pytest

from tests.integration.cli_env import CliEnv
from tests.support.ports import free_port

TOKEN = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"


@pytest.fixture
def offline(tmp_path):
    """A config whose server is nowhere (nothing listens on the port)."""
    return CliEnv(tmp_path, "http://127.0.0.1:%d" % free_port(), TOKEN)


def test_missing_config(offline, tmp_path):
    offline.config.unlink()
    code, out, err = offline.run("sync")
    assert code == 1 and out == ""
    assert err == "sentry-puppet: %s: config file not found; create it (see docs/tool.md) " \
                  "or pass --config / SENTRY_PUPPET_CONFIG\n" % offline.config


def test_unparseable_config(offline):
    offline.config.write_text("backend: bugsink\nurl: [http://x\n")
    code, out, err = offline.run("sync")
    assert code == 1 and "%s: not valid YAML (line 3" % offline.config in err


def test_unknown_backend(offline):
    offline.config.write_text(offline.config.read_text().replace("backend: bugsink",
                                                                 "backend: raven"))
    code, out, err = offline.run("validate")
    assert code == 1
    assert "%s: backend 'raven' is unknown; use one of: bugsink, sentry" % offline.config in err


def test_unknown_key(offline):
    offline.config.write_text(offline.config.read_text() + "tokenfile: /x\n")
    code, out, err = offline.run("sync")
    assert code == 1 and "unknown key 'tokenfile'" in err


def test_missing_token(offline):
    (offline.root / "token").unlink()
    offline.define("a.yaml", "project: a\n")
    code, out, err = offline.run("sync")
    assert code == 1
    assert "token_file %s does not exist" % (offline.root / "token") in err
    assert "SENTRY_PUPPET_TOKEN" in err


def test_world_readable_token_warns(offline):
    (offline.root / "token").chmod(0o644)
    code, out, err = offline.run("validate")
    assert code == 0 and "readable by group or others" in err and "chmod 600" in err


def test_unreachable_server_touches_no_dsn_file(offline):
    offline.define("a.yaml", "project: a\n")
    offline.define("b.yaml", "project: b\n")
    offline.dsn_dir.mkdir()
    kept = offline.dsn_dir / "a"
    kept.write_text("http://old@h/1\n")
    before = kept.stat().st_mtime_ns
    code, out, err = offline.run("sync", "--detailed-exitcodes")
    assert code == 1
    assert "127.0.0.1" in err and err.startswith("sentry-puppet: ")
    assert kept.read_text() == "http://old@h/1\n" and kept.stat().st_mtime_ns == before
    assert sorted(os.listdir(str(offline.dsn_dir))) == ["a"]


def test_html_login_page_where_json_was_expected(httpserver, tmp_path):
    page = "<!DOCTYPE html><html><body><form action='/login'>Log in</form></body></html>"
    httpserver.expect_request("/api/canonical/0/teams/").respond_with_data(
        page, content_type="text/html")
    httpserver.expect_request("/api/canonical/0/projects/").respond_with_data(
        page, content_type="text/html")
    env = CliEnv(tmp_path, httpserver.url_for("/").rstrip("/"), TOKEN)
    env.define("a.yaml", "project: a\n")
    code, out, err = env.run("sync")
    assert code == 1
    assert httpserver.url_for("/api/canonical/0/") in err
    assert "text/html" in err and "not JSON" in err
    assert env.dsn_files() == {}


def test_token_refused_by_the_server(bugsink, tmp_path):
    env = CliEnv(tmp_path, bugsink.url, TOKEN)
    env.define("a.yaml", "project: a\n")
    code, out, err = env.run("sync")
    assert code == 1 and "401" in err and bugsink.url in err
    assert bugsink.api("projects/") == []


def test_unwritable_dsn_dir_fails_before_any_change(bugsink, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    env = CliEnv(tmp_path, bugsink.url, bugsink.token, dsn_dir=str(blocker / "dsn"))
    env.define("a.yaml", "project: a\n")
    code, out, err = env.run("sync")
    assert code == 1
    assert "%s: dsn_dir %s cannot hold the DSN files (Not a directory)" % (
        env.config, blocker / "dsn") in err
    assert bugsink.api("projects/") == []


def test_bad_definition_files_each_named_and_the_good_one_done(bugsink, tmp_path):
    env = CliEnv(tmp_path, bugsink.url, bugsink.token)
    env.define("good.yaml", "project: good\n")
    bad = {
        "empty.yaml": ("", "is empty"),
        "list.yaml": ("- project: x\n", "is not a mapping"),
        "binary.yaml": (b"\x89PNG\r\n\x1a\n\x00\x00", "is a binary file"),
        "dotdot.yaml": ("project: '..'\n", "app name '..' starts with a dot"),
        "slash.yaml": ("project: a/b\n", "app name 'a/b' contains a path separator"),
        "blank.yaml": ("project: ''\n", "app name '' is empty"),
        "long.yaml": ("project: %s\n" % ("x" * 200), "200 characters"),
        "newline.yaml": ('project: "a\\nb"\n', "control character"),
    }
    for name, (text, _) in bad.items():
        env.define(name, text)
    code, out, err = env.run("sync")
    assert code == 1
    for name, (_, reason) in bad.items():
        assert "sentry-puppet: %s: " % (env.defs / name) in err
        line = [l for l in err.splitlines() if "%s:" % (env.defs / name) in l][0]
        assert reason in line
    assert [p["name"] for p in bugsink.api("projects/")] == ["good"]
    assert sorted(env.dsn_files()) == ["good"]
    code, out, err = env.run("validate")
    assert code == 1 and err.count("sentry-puppet: %s/" % env.defs) == len(bad)

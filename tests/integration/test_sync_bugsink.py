"""`sentry-puppet sync` against a real Bugsink, run as the installed command."""
import collections
import json
import os
import signal
import stat
import subprocess
import sys
import time

import pytest

from tests.integration.cli_env import CliEnv


@pytest.fixture
def env(bugsink, tmp_path):
    return CliEnv(tmp_path, bugsink.url, bugsink.token)


def server_projects(bugsink):
    return bugsink.api("projects/")


def team_names(bugsink):
    return {t["id"]: t["name"] for t in bugsink.api("teams/")}


def test_first_sync_creates_teams_and_projects_and_publishes_dsns(env, bugsink):
    env.define("Shop-app01.yaml", "project: Shop\nplatform: Ruby\nteam: payments\n"
                                  "source: app01.example.com\n")
    env.define("blog-app02.yaml", "project: blog\nplatform: python\nsource: app02.example.com\n")
    env.define("api-app02.yaml", "project: api\nplatform: nodejs\nsource: app02.example.com\n")
    code, out, err = env.run("sync")
    assert code == 0, err
    assert "+ team apps" in out and "+ team payments" in out
    assert "+ project shop (ruby) in payments" in out and "from app01.example.com" in out
    assert "Sync: 2 teams created; projects: 3 created, 0 adopted, 0 unchanged, 0 failed" in out

    teams = team_names(bugsink)
    projects = {p["name"]: p for p in server_projects(bugsink)}
    assert sorted(projects) == ["Shop", "api", "blog"]
    assert teams[projects["Shop"]["team"]] == "payments"
    assert teams[projects["blog"]["team"]] == "apps"
    files = env.dsn_files()
    assert files == {name: p["dsn"] + "\n" for name, p in projects.items()}
    assert stat.S_IMODE(os.stat(str(env.dsn_dir)).st_mode) == 0o755
    assert stat.S_IMODE(os.stat(str(env.dsn_dir / "Shop")).st_mode) == 0o644

    code, out, err = env.run("dsn", "Shop")
    assert code == 0 and out == projects["Shop"]["dsn"] + "\n"


def test_second_sync_changes_nothing(env, bugsink):
    env.define("a.yaml", "project: a\n")
    env.define("b.yaml", "project: b\nteam: payments\n")
    assert env.run("sync")[0] == 0
    before = server_projects(bugsink)
    mtimes = {p.name: p.stat().st_mtime_ns for p in env.dsn_dir.iterdir()}

    code, out, err = env.run("sync", "--detailed-exitcodes")
    assert code == 0, out + err
    assert "= 2 projects unchanged" in out and "+ " not in out
    assert server_projects(bugsink) == before
    assert {p.name: p.stat().st_mtime_ns for p in env.dsn_dir.iterdir()} == mtimes
    code, out, err = env.run("sync", "--check")
    assert code == 0 and "0 teams and 0 projects to create" in out


def test_check_reports_pending_changes_and_changes_nothing(env, bugsink):
    env.define("a.yaml", "project: a\nteam: payments\n")
    code, out, err = env.run("sync", "--check")
    assert code == 2, err
    assert "+ team payments" in out and "+ project a (other) in payments" in out
    assert server_projects(bugsink) == [] and bugsink.api("teams/") == []
    assert not env.dsn_dir.exists()
    code, out, err = env.run("sync", "--detailed-exitcodes")
    assert code == 2 and len(server_projects(bugsink)) == 1


def test_fifty_files_for_ten_apps_from_five_hosts_give_ten_projects(env, bugsink):
    for app in range(10):
        for host in range(5):
            env.define("app%d-host%d.yaml" % (app, host),
                       "project: app%d\nplatform: python\nsource: host%d.example.com\n" % (app, host))
    code, out, err = env.run("sync", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["summary"] == {"created": 10, "adopted": 0, "unchanged": 0, "failed": 0,
                              "dsn_files_written": 10}
    assert {len(p["sources"]) for p in doc["projects"]} == {5}
    names = [p["name"] for p in server_projects(bugsink)]
    assert sorted(names) == ["app%d" % i for i in range(10)]
    assert sorted(env.dsn_files()) == sorted(names)


def test_bad_definition_among_good_ones_is_named_and_the_good_ones_done(env, bugsink):
    env.define("good1.yaml", "project: good1\n")
    bad = env.define("broken.yaml", "project: [unclosed\n")
    env.define("good2.yaml", "project: good2\n")
    code, out, err = env.run("sync", "--detailed-exitcodes")
    assert code == 1
    assert "sentry-puppet: %s: not valid YAML" % bad in err
    assert sorted(p["name"] for p in server_projects(bugsink)) == ["good1", "good2"]
    assert sorted(env.dsn_files()) == ["good1", "good2"]


def test_run_killed_midway_and_rerun_leaves_no_duplicate(env, bugsink):
    apps = ["app%02d" % i for i in range(40)]
    for app in apps:
        env.define(app + ".yaml", "project: %s\n" % app)
    proc = env.start("sync", "--jobs", "1")
    deadline = time.monotonic() + 60
    while len(server_projects(bugsink)) < 3:
        assert time.monotonic() < deadline and proc.poll() is None, "sync ended before the kill"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(0.5)  # a request the killed run had sent may still be finishing on the server
    made = len(server_projects(bugsink))
    written = len([n for n in env.dsn_files() if not n.startswith(".")])
    assert 3 <= made < len(apps)

    code, out, err = env.run("sync")
    assert code == 0, err
    names = [p["name"] for p in server_projects(bugsink)]
    assert sorted(names) == apps  # each once: nothing duplicated
    assert sorted(n for n in env.dsn_files() if not n.startswith(".")) == apps
    assert "projects: %d created, %d adopted, %d unchanged, 0 failed" % (
        len(apps) - made, made - written, written) in out


def test_two_runs_at_once_never_duplicate(env, bugsink):
    apps = ["app%02d" % i for i in range(15)]
    for app in apps:
        env.define(app + ".yaml", "project: %s\n" % app)
    first, second = env.start("sync"), env.start("sync")
    for proc in (first, second):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    counts = collections.Counter(p["name"] for p in server_projects(bugsink))
    assert sorted(counts) == apps and set(counts.values()) == {1}


def test_published_dsn_accepts_an_event(env, bugsink):
    env.define("shop.yaml", "project: shop\nplatform: python\n")
    assert env.run("sync")[0] == 0
    dsn = env.dsn_files()["shop"].strip()
    # The SDK in its own process, as an app would run it (init is process-global).
    send = ("import sys, sentry_sdk\n"
            "sentry_sdk.init(sys.argv[1], default_integrations=False)\n"
            "assert sentry_sdk.capture_message('hello from the integration test')\n"
            "sentry_sdk.flush(timeout=10)\n")
    subprocess.run([sys.executable, "-c", send, dsn], check=True, timeout=60)
    [project] = server_projects(bugsink)
    assert project["digested_event_count"] == 1


def test_stale_dsn_file_is_rewritten_and_orphans_left_in_place(env, bugsink):
    env.define("a.yaml", "project: a\n")
    assert env.run("sync")[0] == 0
    (env.dsn_dir / "a").write_text("http://stale@example.invalid/9\n")
    (env.dsn_dir / "retired").write_text("http://old@example.invalid/1\n")
    code, out, err = env.run("sync", "--detailed-exitcodes")
    assert code == 2, err
    assert "~ project a (other) in apps: DSN file updated" in out
    assert "? retired: DSN file of an app no definition names any more" in out
    [project] = server_projects(bugsink)
    assert env.dsn_files() == {"a": project["dsn"] + "\n",
                               "retired": "http://old@example.invalid/1\n"}


def test_default_rules_false_turns_off_the_new_projects_alert_on_new_issue(bugsink, tmp_path):
    (tmp_path / "one").mkdir()
    env = CliEnv(tmp_path / "one", bugsink.url, bugsink.token)
    env.define("old.yaml", "project: old\n")
    assert env.run("sync")[0] == 0
    (tmp_path / "two").mkdir()
    env = CliEnv(tmp_path / "two", bugsink.url, bugsink.token, default_rules=False,
                 rate_limit={"count": 100, "window": 60})
    env.define("old.yaml", "project: old\n")
    env.define("fresh.yaml", "project: fresh\n")
    code, out, err = env.run("sync", "--dry-run")
    assert "+ project fresh (other) in apps (no default alert rule)  from fresh" in out
    code, out, err = env.run("sync")
    assert code == 0, out + err
    alerts = {p["name"]: p["alert_on_new_issue"] for p in server_projects(bugsink)}
    assert alerts == {"old": True, "fresh": False}      # the existing one is left alone

import json
import os

import pytest

from sentry_puppet import __version__, apply, cli
from tests.support.fake_backend import FakeBackend

TOKEN = "feedfacefeedfacefeedfacefeedfacefeedface"


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.delenv("SENTRY_PUPPET_TOKEN", raising=False)
    (tmp_path / "token").write_text(TOKEN)
    (tmp_path / "token").chmod(0o600)
    (tmp_path / "defs").mkdir()
    config = tmp_path / "config.yaml"
    config.write_text("backend: bugsink\nurl: http://bugsink.test\ntoken_file: token\n"
                      "team: apps\ndefinitions_dir: defs\ndsn_dir: dsn\n")
    monkeypatch.setenv("SENTRY_PUPPET_CONFIG", str(config))
    backend = FakeBackend(teams=["apps"])
    monkeypatch.setattr(cli, "make_backend", lambda config, deadline: backend)
    return tmp_path, backend


def define(tmp_path, name, text):
    (tmp_path / "defs" / name).write_text(text)


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert TOKEN not in out + err
    return code, out, err


@pytest.mark.parametrize("changed, failed, detailed, code", [
    (False, False, False, 0), (True, False, False, 0), (True, False, True, 2),
    (False, False, True, 0), (True, True, True, 1), (False, True, False, 1),
])
def test_exit_code(changed, failed, detailed, code):
    assert cli.exit_code(changed, failed, detailed) == code


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0 and __version__ in capsys.readouterr().out


def test_sync_prints_plan_lines_and_summary_then_detailed_exit_codes(env, capsys):
    tmp_path, backend = env
    define(tmp_path, "shop-app01.yaml", "project: Shop\nplatform: Ruby\nteam: payments\n"
                                        "source: app01.example.com\n")
    define(tmp_path, "shop-app02.yaml", "project: Shop\nplatform: ruby\nteam: payments\n"
                                        "source: app02.example.com\n")
    code, out, err = run(capsys, "sync", "--check")
    assert code == 2 and backend.projects == {}
    assert "+ team payments" in out
    assert "+ project shop (ruby) in payments" in out
    assert "from app01.example.com, app02.example.com" in out
    assert out.strip().splitlines()[-1].startswith("Plan: 1 team and 1 project to create")
    assert "Nothing was changed (--dry-run)" in out

    code, out, err = run(capsys, "sync", "--detailed-exitcodes")
    assert code == 2 and list(backend.projects) == ["shop"]
    assert "Sync: 1 team created; projects: 1 created, 0 adopted, 0 unchanged, 0 failed" in out
    assert (tmp_path / "dsn" / "Shop").read_text() == backend.projects["shop"].dsn + "\n"
    assert backend.closed

    code, out, err = run(capsys, "sync", "--detailed-exitcodes")
    assert code == 0 and "= 1 project unchanged" in out and err == ""
    code, out, err = run(capsys, "dsn", "Shop")
    assert code == 0 and out == backend.projects["shop"].dsn + "\n"


def test_json_document(env, capsys):
    tmp_path, backend = env
    define(tmp_path, "a.yaml", "project: a\n")
    define(tmp_path, "bad.yaml", "- not a mapping\n")
    code, out, err = run(capsys, "sync", "--json")
    assert code == 1
    doc = json.loads(out)
    assert doc["summary"] == {"created": 1, "adopted": 0, "unchanged": 0, "failed": 1,
                              "dsn_files_written": 1}
    assert doc["projects"][0]["app"] == "a" and doc["projects"][0]["action"] == "create"
    assert "bad.yaml" in doc["problems"][0]
    assert "bad.yaml: is not a mapping" in err


def test_failure_named_on_stderr_exit_1_others_done(env, capsys):
    tmp_path, backend = env
    backend.fail_create.add("b")
    define(tmp_path, "a.yaml", "project: a\n")
    define(tmp_path, "b.yaml", "project: b\n")
    code, out, err = run(capsys, "sync", "--detailed-exitcodes")
    assert code == 1
    assert "sentry-puppet: app b: http://bugsink.test/api/projects/ answered 500" in err
    assert "! project b (other) in apps  FAILED" in out
    assert os.listdir(str(tmp_path / "dsn")) == ["a"]


def test_expected_errors_print_one_line_no_traceback(env, capsys, tmp_path):
    code, out, err = run(capsys, "--config", str(tmp_path / "missing.yaml"), "sync")
    assert code == 1 and out == ""
    assert err.startswith("sentry-puppet: %s: config file not found" % (tmp_path / "missing.yaml"))
    assert "Traceback" not in err


def test_missing_token_only_matters_to_server_commands(env, capsys):
    tmp_path, backend = env
    (tmp_path / "token").unlink()
    define(tmp_path, "a.yaml", "project: a\n")
    code, out, err = run(capsys, "validate")
    assert code == 0 and "1 app from 1 definition in definitions_dir " in out
    assert "token_file" in err and "sync and dsn will fail" in err
    code, out, err = run(capsys, "sync")
    assert code == 1 and "token_file" in err and "does not exist" in err


def test_validate_names_each_bad_file(env, capsys):
    tmp_path, backend = env
    define(tmp_path, "a.yaml", "project: a\n")
    define(tmp_path, "b.yaml", "project: a/b\n")
    define(tmp_path, "c.yaml", "")
    code, out, err = run(capsys, "validate")
    assert code == 1
    assert "b.yaml: app name 'a/b' contains a path separator" in err
    assert "c.yaml: is empty" in err
    assert backend.calls == []


def test_validate_says_bugsink_ignores_rate_limit(env, capsys):
    tmp_path, backend = env
    with open(tmp_path / "config.yaml", "a") as handle:
        handle.write("rate_limit: {count: 100, window: 60}\ndefault_rules: false\n")
    code, out, err = run(capsys, "validate")
    assert code == 0
    assert err == ("sentry-puppet: warning: %s: rate_limit is ignored with the bugsink backend "
                   "(Bugsink has no per-key rate limit; its quotas are site-wide settings)\n"
                   % (tmp_path / "config.yaml"))


def test_dsn_of_unknown_app_says_what_to_do(env, capsys):
    code, out, err = run(capsys, "dsn", "nope")
    assert code == 1 and "app 'nope' has no project" in err and "sentry-puppet sync" in err


def test_global_options_after_the_command(env, capsys, tmp_path):
    code, out, err = run(capsys, "validate", "--json")
    assert code == 0 and json.loads(out)["apps"] == []


def test_jobs_must_be_positive(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["sync", "--jobs", "0"])
    assert info.value.code == 1 and "--jobs" in capsys.readouterr().err  # 2 would mean "changed"


def test_dsn_refuses_a_name_that_leaves_dsn_dir(env, capsys):
    tmp_path, backend = env
    (tmp_path / "secret").write_text("not a dsn\n")
    code, out, err = run(capsys, "dsn", "../secret")
    assert code == 1 and out == "" and "'../secret' contains a path separator" in err


def test_progress_only_on_a_terminal(env, capsys, monkeypatch):
    tmp_path, backend = env
    define(tmp_path, "a.yaml", "project: a\n")
    define(tmp_path, "b.yaml", "project: b\n")
    code, out, err = run(capsys, "sync")
    assert code == 0 and "projects" not in err  # not a TTY: no progress
    define(tmp_path, "c.yaml", "project: c\n")
    monkeypatch.setattr(cli.sys.stderr, "isatty", lambda: True)
    code, out, err = run(capsys, "sync")
    assert code == 0 and "\r1/1 projects" in err
    assert "\r1/1 projects" not in out


def test_sync_waits_for_a_running_sync_then_gives_up_clearly(env, capsys, monkeypatch):
    from sentry_puppet.fsutil import RunLock
    tmp_path, backend = env
    define(tmp_path, "a.yaml", "project: a\n")
    monkeypatch.setattr(apply, "LOCK_WAIT", 0.3)
    (tmp_path / "dsn").mkdir()
    with RunLock(str(tmp_path / "dsn.lock")):
        code, out, err = run(capsys, "sync")
    assert code == 1 and backend.calls == [] and backend.closed
    assert "another sentry-puppet run holds %s" % (tmp_path / "dsn.lock") in err
    assert run(capsys, "sync")[0] == 0


def test_json_document_even_for_a_fatal_error(env, capsys, tmp_path):
    code, out, err = run(capsys, "--json", "--config", str(tmp_path / "missing.yaml"), "sync")
    assert code == 1 and "config file not found" in err
    assert json.loads(out) == {"failed": True, "error": err.strip()[len("sentry-puppet: "):]}


def test_sync_report_lines_exactly(env, capsys):
    tmp_path, backend = env
    backend.projects.clear()
    for slug in ("old", "same"):
        backend._add(slug, slug, "apps")
    backend.listing_has_dsn = False
    backend.fail_create.add("broken")
    for n in range(5):
        define(tmp_path, "shop-app%02d.yaml" % n, "project: Shop\nplatform: ruby\nteam: payments\n"
                                                  "source: app%02d.example.com\n" % n)
    define(tmp_path, "old.yaml", "project: old\nsource: app01\n")
    define(tmp_path, "same.yaml", "project: same\nsource: app01\n")
    define(tmp_path, "broken.yaml", "project: broken\n")
    (tmp_path / "dsn").mkdir()
    (tmp_path / "dsn" / "same").write_text(backend.projects["same"].dsn + "\n")
    (tmp_path / "dsn" / "gone").write_text("http://k@h/9\n")

    code, out, err = run(capsys, "sync", "--dry-run", "-v")
    assert code == 0 and err == ""
    assert out == (
        "Definitions: 8 read from definitions_dir %s: 4 apps.\n" % (tmp_path / "defs") +
        "+ team payments\n"
        "+ project broken (other) in apps                         from broken\n"
        "+ project shop (ruby) in payments                        from app00.example.com, "
        "app01.example.com, app02.example.com and 2 more\n"
        "~ project old (other) in apps exists: DSN file to write  from app01\n"
        "= project same (other) in apps                           from app01\n"
        "? gone: DSN file of an app no definition names any more (left in place)\n"
        "Plan: 1 team and 2 projects to create, 1 to adopt, 1 unchanged, 0 failed. "
        "Nothing was changed (--dry-run).\n")

    define(tmp_path, "bad.yaml", "project: [\n")
    code, out, err = run(capsys, "sync")
    bad = "%s: not valid YAML (line 2: did not find expected node content)" % (
        tmp_path / "defs" / "bad.yaml")
    assert code == 1
    assert out == (
        "+ team payments\n"
        "! project broken (other) in apps  FAILED                 from broken\n"
        "+ project shop (ruby) in payments                        from app00.example.com, "
        "app01.example.com, app02.example.com and 2 more\n"
        "~ project old (other) in apps exists: DSN file to write  from app01\n"
        "= 1 project unchanged\n"
        "? gone: DSN file of an app no definition names any more (left in place)\n"
        "! %s\n"
        "Sync: 1 team created; projects: 1 created, 1 adopted, 1 unchanged, 2 failed; "
        "2 DSN files written; 9 requests.\n" % bad)
    assert err == ("sentry-puppet: %s\n"
                   "sentry-puppet: app broken: http://bugsink.test/api/projects/ answered 500 "
                   "(server error)\n" % bad)


def test_a_project_in_another_team_is_shown_where_it_is_with_a_warning(env, capsys):
    tmp_path, backend = env
    backend.teams["ops"] = backend.teams["apps"].__class__(slug="ops", ref="team-ops")
    backend._add("legacy", "legacy", "ops", platform="php")
    define(tmp_path, "legacy.yaml", "project: legacy\nplatform: php\nsource: app01\n")
    code, out, err = run(capsys, "sync")
    assert code == 0
    assert "~ project legacy (php) in ops exists: DSN file to write  from app01\n" in out
    assert err == ("sentry-puppet: warning: app 'legacy': its project 'legacy' is in team "
                   "'ops', not 'apps' as defined; used where it is (projects are never moved)\n")
    code, out, err = run(capsys, "sync", "--json", "-v")
    assert json.loads(out)["projects"][0]["team"] == "ops"

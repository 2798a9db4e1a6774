import dataclasses
import os

import pytest

from sentry_puppet import apply
from sentry_puppet.config import Config, ConfigError
from tests.support.fake_backend import FakeBackend


@pytest.fixture
def setup(tmp_path):
    defs = tmp_path / "defs"
    defs.mkdir()
    config = Config(path="config.yaml", backend="bugsink", url="http://bugsink.test", team="apps",
                    token_file="t", organization=None, definitions_dir=str(defs),
                    dsn_dir=str(tmp_path / "dsn"), ca_file=None, timeout=5, vhost=None,
                    token="secret")
    def define(name, **fields):
        body = "project: %s\n" % name + "".join("%s: %s\n" % kv for kv in fields.items())
        (defs / ("%s-%d.yaml" % (name, len(os.listdir(str(defs)))))).write_text(body)

    def run(backend, **kwargs):
        return apply.sync(config, backend, **kwargs)
    return config, define, run


def test_first_sync_creates_teams_then_projects_and_writes_dsns(setup):
    config, define, run = setup
    define("shop", platform="ruby", team="payments")
    define("shop", platform="ruby", team="payments")
    define("blog")
    backend = FakeBackend(teams=["apps"])
    result = run(backend)
    assert result.teams == ["payments"] and not result.failed and result.changed
    assert sorted(backend.projects) == ["blog", "shop"]
    assert backend.projects["shop"].team == "payments"
    assert backend.calls.index(("create_team", "payments")) < backend.calls.index(
        ("create_project", "shop"))
    for name in ("shop", "blog"):
        assert open(os.path.join(config.dsn_dir, name)).read() == backend.projects[name].dsn + "\n"
    assert not backend.closed  # the caller's to close
    assert os.path.exists(config.dsn_dir + ".lock")


def test_second_sync_changes_nothing_and_sends_no_write(setup):
    config, define, run = setup
    define("shop")
    backend = FakeBackend(teams=["apps"])
    run(backend)
    backend.calls.clear()
    result = run(backend)
    assert not result.changed and not result.failed
    assert [r.action for r in result.apps] == ["unchanged"]
    assert backend.calls == [("list_teams",), ("list_projects",)]


def test_dry_run_changes_nothing(setup):
    config, define, run = setup
    define("shop", team="payments")
    backend = FakeBackend(teams=["apps"])
    result = run(backend, dry_run=True)
    assert result.changed and result.teams == ["payments"]
    assert backend.projects == {} and "payments" not in backend.teams
    assert not os.path.exists(config.dsn_dir)


def test_one_failing_project_does_not_stop_the_others(setup):
    config, define, run = setup
    for name in ("a", "b", "c", "d"):
        define(name)
    backend = FakeBackend(teams=["apps"], fail_create={"b"}, fail_dsn={"c"})
    result = run(backend, jobs=3)
    errors = {r.app.name: r.error for r in result.apps if r.error}
    assert set(errors) == {"b", "c"} and "answered 500" in errors["b"]
    assert result.failed and result.changed
    assert sorted(os.listdir(config.dsn_dir)) == ["a", "d"]


def test_failing_team_fails_only_its_projects(setup):
    config, define, run = setup
    define("a", team="broken")
    define("b")
    backend = FakeBackend(teams=["apps"], fail_create={"team:broken"})
    result = run(backend)
    assert "broken" in result.team_errors
    [failed] = [r for r in result.apps if r.error]
    assert failed.app.name == "a" and "team 'broken'" in failed.error
    assert os.listdir(config.dsn_dir) == ["b"]


def test_existing_project_is_adopted_and_missing_dsn_read_once(setup):
    config, define, run = setup
    define("old")
    backend = FakeBackend(teams=["apps"], projects=[("old", "apps")], listing_has_dsn=False)
    result = run(backend)
    assert [r.action for r in result.apps] == ["adopt"] and result.changed
    assert ("create_project", "old") not in backend.calls
    assert backend.calls.count(("get_dsn", "old")) == 1
    backend.calls.clear()
    result = run(backend)
    assert not result.changed and ("get_dsn", "old") not in backend.calls
    result = run(backend, refresh_dsn=True)
    assert ("get_dsn", "old") in backend.calls and not result.changed


def test_changed_dsn_rewritten_and_orphans_listed(setup):
    config, define, run = setup
    define("a")
    os.makedirs(config.dsn_dir)
    with open(os.path.join(config.dsn_dir, "a"), "w") as handle:
        handle.write("http://stale@h/1\n")
    with open(os.path.join(config.dsn_dir, "gone"), "w") as handle:
        handle.write("http://k@h/9\n")
    backend = FakeBackend(teams=["apps"], projects=[("a", "apps")])
    result = run(backend)
    [r] = result.apps
    assert r.action == "unchanged" and r.dsn_written and result.changed
    assert result.orphans == ["gone"]
    assert os.path.exists(os.path.join(config.dsn_dir, "gone"))


def test_bad_definition_fails_the_run_but_not_the_good_ones(setup):
    config, define, run = setup
    define("good")
    with open(os.path.join(config.definitions_dir, "bad.yaml"), "w") as handle:
        handle.write("project: [\n")
    result = run(FakeBackend(teams=["apps"]))
    assert result.failed and len(result.problems) == 1 and "bad.yaml" in result.problems[0]
    assert os.listdir(config.dsn_dir) == ["good"]


def test_project_in_another_team_is_used_where_it_is_with_a_warning(setup):
    config, define, run = setup
    define("a", team="payments")
    backend = FakeBackend(teams=["apps"], projects=[("a", "apps")])
    result = run(backend)
    assert [r.action for r in result.apps] == ["adopt"] and not result.failed
    assert "payments" not in backend.teams
    [warning] = result.warnings
    assert "in team 'apps', not 'payments'" in warning


def test_server_dsn_is_the_project_sync_uses(setup):
    config, define, run = setup
    backend = FakeBackend(teams=["apps", "other"], listing_has_dsn=False)
    backend._add("shop", "Shop", "other")
    mine = backend._add("shop-2", "shop", "apps")  # same slug by name, in config's team
    assert apply.server_dsn(config, backend, "Shop") == mine.dsn
    assert backend.calls == [("list_projects",), ("get_dsn", "shop-2")]
    assert not backend.closed


def test_server_dsn_of_an_app_without_project_says_to_sync(setup):
    config, define, run = setup
    with pytest.raises(ConfigError) as info:
        apply.server_dsn(config, FakeBackend(teams=["apps"]), "nope")
    assert "app 'nope' has no project on http://bugsink.test" in str(info.value)
    assert "run `sentry-puppet sync`" in str(info.value)


def test_server_dsn_hint_names_puppetdb_when_definitions_come_from_there(setup):
    from sentry_puppet.config import PuppetDBSettings
    config, define, run = setup
    config = dataclasses.replace(config, puppetdb=PuppetDBSettings(
        "https://puppetdb.test:8081", "production", "/ca.pem", "/cert.pem", "/key.pem"))
    with pytest.raises(ConfigError) as info:
        apply.server_dsn(config, FakeBackend(teams=["apps"]), "nope")
    assert "after its definition is in PuppetDB https://puppetdb.test:8081" in str(info.value)


@pytest.mark.parametrize("bad, why", [
    ("https://k@bugsink.test/1\nSetEnv EVIL 1", "is not a DSN like"),
    (12, "is not a string but int"),
    (["https://k@bugsink.test/1"], "is not a string but list"),
    ({"public": "x"}, "is not a string but dict"),
])
@pytest.mark.parametrize("listing_has_dsn", [True, False])
def test_a_dsn_the_fact_would_refuse_is_never_written_and_fails_its_project_only(
        setup, bad, why, listing_has_dsn):
    config, define, run = setup
    define("shop")
    define("blog")
    backend = FakeBackend(teams=["apps"], projects=[("shop", "apps"), ("blog", "apps")],
                          listing_has_dsn=listing_has_dsn)
    backend.projects["shop"] = dataclasses.replace(backend.projects["shop"], dsn=bad)
    result = run(backend)
    shop, = [r for r in result.apps if r.app.name == "shop"]
    assert result.failed and why in shop.error and "'shop'" in shop.error
    assert "\n" not in shop.error
    assert sorted(os.listdir(config.dsn_dir)) == ["blog"]   # the other project still succeeds


def test_server_dsn_refuses_what_is_not_a_dsn(setup):
    config, _, _ = setup
    backend = FakeBackend(teams=["apps"], projects=[("shop", "apps")])
    backend.projects["shop"] = dataclasses.replace(backend.projects["shop"], dsn=["x"])
    with pytest.raises(apply.BackendError, match="app 'shop': the DSN .* is not a string"):
        apply.server_dsn(config, backend, "shop")


class _Clock:
    """A run deadline that ends after `budget` checks: deterministic, no sleeping."""
    seconds = 900
    setting = "run_timeout"

    def __init__(self, budget):
        self.budget = budget

    def remaining(self):
        self.budget -= 1
        return 100.0 if self.budget >= 0 else 0.0

    def expired(self, doing):
        return apply.RunTimeout("run_timeout of 900 s reached while %s" % doing)

    def check(self, doing):
        if self.remaining() <= 0:
            raise self.expired(doing)


def test_a_run_out_of_time_keeps_what_it_did_and_names_what_is_left(setup):
    config, define, run = setup
    for name in ("a1", "a2", "a3", "a4", "a5"):
        define(name)
    backend = FakeBackend(teams=["apps"])
    # Deadline checks: the lock wait, then one per project started: two get done.
    result = run(backend, jobs=1, deadline=_Clock(budget=3))
    done = sorted(r.app.name for r in result.apps if not r.error)
    left = sorted(r.app.name for r in result.apps if r.left)
    assert done == ["a1", "a2"] and left == ["a3", "a4", "a5"]
    assert sorted(os.listdir(config.dsn_dir)) == ["a1", "a2"]
    assert result.failed and "run_timeout of 900 s reached" in result.stopped
    from sentry_puppet.report import sync_document, sync_errors
    [line] = [e for e in sync_errors(result) if "left for the next run" in e]
    assert "3 apps left for the next run: a3, a4, a5" in line
    assert "what it did stays done" in line
    assert sync_document(result)["stopped"] == result.stopped
    # The next run does the rest.
    assert not run(backend).failed and len(os.listdir(config.dsn_dir)) == 5


def test_a_run_out_of_time_before_the_plan_changed_nothing_and_says_so(setup):
    config, define, run = setup
    define("a1")
    backend = FakeBackend(teams=["apps"])

    def slow_listing():
        raise apply.RunTimeout("run_timeout of 900 s reached while waiting for http://x/teams/")
    backend.list_teams = slow_listing
    with pytest.raises(apply.RunTimeout) as info:
        run(backend)
    assert "before anything was changed on the server; every app is left for the next run" \
        in str(info.value)
    assert os.listdir(config.dsn_dir) == []


def test_a_dsn_dir_symlink_keeps_its_targets_mode_and_says_so(setup, tmp_path):
    config, define, run = setup
    define("shop")
    target = tmp_path / "private"
    target.mkdir(mode=0o700)
    os.symlink(str(target), config.dsn_dir)
    result = run(FakeBackend(teams=["apps"]))
    assert os.stat(str(target)).st_mode & 0o777 == 0o700
    assert any("is a symlink" in w and "mode is left as it is" in w for w in result.warnings)
    assert os.listdir(str(target)) == ["shop"]

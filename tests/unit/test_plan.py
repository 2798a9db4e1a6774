from sentry_puppet.backends.base import Project, Team
from sentry_puppet.definitions import App
from sentry_puppet.plan import make_plan


def app(name, team="apps", platform="python"):
    return App(name=name, slug=name.lower().replace(" ", "-"), platform=platform, team=team,
               sources=("h1",), files=("f",))


def project(slug, team="apps", name=None, dsn="http://k@h/1", ref=None):
    return Project(slug=slug, name=name or slug, team=team, ref=ref or slug, dsn=dsn)


def test_empty_server_creates_everything_and_only_the_needed_teams():
    plan = make_plan([app("b", "payments"), app("a"), app("c", "payments")],
                     [Team("apps", "t1")], [], set())
    assert [a.name for a in plan.projects_to_create] == ["a", "b", "c"]
    assert plan.teams_to_create == ["payments"]
    assert plan.adopt == plan.unchanged == plan.dsn_reads == []
    assert plan.changes


def test_in_sync_plans_nothing():
    apps = [app("a"), app("b")]
    plan = make_plan(apps, [Team("apps", "t1")], [project("a"), project("b")], {"a", "b"})
    assert plan.projects_to_create == [] and plan.teams_to_create == []
    assert [a.name for a, _ in plan.unchanged] == ["a", "b"]
    assert plan.dsn_reads == [] and not plan.changes


def test_existing_project_without_dsn_file_is_adopted():
    plan = make_plan([app("a")], [], [project("a", team="elsewhere")], set())
    [(a, p)] = plan.adopt
    assert p.team == "elsewhere" and plan.teams_to_create == []
    assert plan.elsewhere == plan.adopt
    assert plan.dsn_reads == []  # the listing carried the DSN
    assert plan.changes


def test_dsn_read_only_when_listing_lacks_it_and_file_missing_or_refresh():
    projects = [project("a", dsn=None), project("b", dsn=None)]
    plan = make_plan([app("a"), app("b")], [], projects, {"a"})
    assert [a.name for a, _ in plan.dsn_reads] == ["b"]
    plan = make_plan([app("a"), app("b")], [], projects, {"a"}, refresh_dsn=True)
    assert [a.name for a, _ in plan.dsn_reads] == ["a", "b"]


def test_bugsink_project_matched_by_its_name():
    # Bugsink suffixes slugs of same-named projects; the name is what we made.
    plan = make_plan([app("My App")], [], [project("my-app-2", name="My App")], set())
    assert plan.projects_to_create == [] and plan.adopt[0][1].slug == "my-app-2"


def test_duplicates_on_server_pick_the_own_team_deterministically():
    projects = [project("a", team="other", ref="1"), project("a", team="apps", ref="9"),
                project("a", team="apps", ref="5")]
    for order in (projects, projects[::-1]):
        plan = make_plan([app("a")], [], order, {"a"})
        assert plan.unchanged[0][1].ref == "5"

import os

import pytest

from sentry_puppet.definitions import load_definitions
from sentry_puppet.names import name_problem, slugify


@pytest.mark.parametrize("name, slug", [
    ("Foo-Bar", "foo-bar"), ("foo_bar", "foo_bar"), ("My App", "my-app"), ("Café", "caf-"),
    ("a.b", "a-b"), ("UPPER", "upper"), ("app2", "app2"), ("x" * 50, "x" * 50),
])
def test_slugify(name, slug):
    assert slugify(name) == slug
    assert name_problem(name) is None


@pytest.mark.parametrize("name, reason", [
    ("", "empty"), ("   ", "empty"), ("..", "dot"), (".", "dot"), (".hidden", "dot"),
    ("a/b", "path separator"), ("a\\b", "path separator"), ("a\nb", "control"),
    ("tab\there", "control"), ("12345", "digits only"), ("x" * 51, "51 characters"),
    ("x" * 200, "200 characters"),
])
def test_unusable_names_are_refused_with_a_reason(name, reason):
    assert reason in name_problem(name)


def write(directory, name, text):
    path = os.path.join(str(directory), name)
    with open(path, "wb") as handle:
        handle.write(text if isinstance(text, bytes) else text.encode())
    return path


def test_many_files_for_one_app_give_one_app(tmp_path):
    for host in ("app01", "app02", "app03"):
        write(tmp_path, "Foo-Bar-%s.yaml" % host,
              "project: Foo-Bar\nplatform: Ruby\nsource: %s.example.com\n" % host)
    defs = load_definitions(str(tmp_path), "apps")
    assert defs.problems == [] and defs.warnings == []
    [app] = defs.apps
    assert (app.name, app.slug, app.platform, app.team) == ("Foo-Bar", "foo-bar", "ruby", "apps")
    assert app.sources == ("app01.example.com", "app02.example.com", "app03.example.com")
    assert len(app.files) == 3 and defs.file_count == 3


def test_each_bad_file_is_named_and_the_good_ones_survive(tmp_path):
    write(tmp_path, "good.yaml", "project: good\nplatform: python\nteam: payments\n")
    write(tmp_path, "also-good.yml", "project: other-app\n")
    bad = {
        "empty.yaml": ("", "is empty"),
        "list.yaml": ("- project: x\n", "not a mapping"),
        "binary.yaml": (b"\x00\x01\x02project", "binary"),
        "latin1.yaml": (b"project: caf\xe9\n", "UTF-8"),
        "broken.yaml": ("project: [unclosed\n", "not valid YAML (line 2"),
        "dotdot.yaml": ("project: '..'\n", "'..' starts with a dot"),
        "slash.yaml": ("project: a/b\n", "'a/b' contains a path separator"),
        "emptyname.yaml": ("project: ''\n", "'' is empty"),
        "long.yaml": ("project: %s\n" % ("y" * 200), "200 characters"),
        "newline.yaml": ('project: "a\\nb"\n', "control character"),
        "number.yaml": ("project: 123\n", "not a string"),
        "noproject.yaml": ("platform: ruby\n", "'project' is missing"),
        "unknown.yaml": ("project: z\nplatfrom: ruby\n", "unknown key 'platfrom'"),
        "badteam.yaml": ("project: z\nteam: Pay Ments\n", "team 'Pay Ments'"),
    }
    for name, (text, _) in bad.items():
        write(tmp_path, name, text)
    write(tmp_path, "notes.txt", "not a definition")
    defs = load_definitions(str(tmp_path), "apps")
    assert sorted(a.name for a in defs.apps) == ["good", "other-app"]
    assert [a.team for a in sorted(defs.apps, key=lambda a: a.name)] == ["payments", "apps"]
    assert len(defs.problems) == len(bad)
    for name, (_, reason) in bad.items():
        [line] = [p for p in defs.problems if p.startswith(os.path.join(str(tmp_path), name) + ":")]
        assert reason in line, line


def test_two_names_with_one_slug_are_both_refused(tmp_path):
    write(tmp_path, "a.yaml", "project: My App\n")
    write(tmp_path, "b.yaml", "project: my-app\n")
    write(tmp_path, "c.yaml", "project: fine\n")
    defs = load_definitions(str(tmp_path), "apps")
    assert [a.name for a in defs.apps] == ["fine"]
    assert len(defs.problems) == 2
    assert "'My App'" in defs.problems[0] and "a.yaml" in defs.problems[0]
    assert "'my-app'" in defs.problems[1] and "b.yaml" in defs.problems[1]
    assert all("'my-app'" in p and "rename" in p for p in defs.problems)


def test_disagreeing_platforms_are_reported_and_resolved_the_same_way_every_time(tmp_path):
    write(tmp_path, "1.yaml", "project: app\nplatform: ruby\n")
    write(tmp_path, "2.yaml", "project: app\nplatform: python\n")
    write(tmp_path, "3.yaml", "project: app\nplatform: other\n")
    write(tmp_path, "4.yaml", "project: app\nplatform: cobol\n")
    defs = load_definitions(str(tmp_path), "apps")
    [app] = defs.apps
    # `other` (twice) loses to a real platform; python and ruby tie: alphabetical.
    assert app.platform == "python"
    assert defs.problems == []
    [warning] = defs.warnings
    assert "platform" in warning and "1.yaml" in warning and "using python" in warning


def test_majority_platform_wins(tmp_path):
    write(tmp_path, "1.yaml", "project: app\nplatform: ruby\n")
    write(tmp_path, "2.yaml", "project: app\nplatform: Ruby\n")
    write(tmp_path, "3.yaml", "project: app\nplatform: node\n")
    assert load_definitions(str(tmp_path), "apps").apps[0].platform == "ruby"


def test_missing_directory_is_a_problem_not_a_crash(tmp_path):
    defs = load_definitions(str(tmp_path / "nope"), "apps")
    assert defs.apps == [] and "definitions directory" in defs.problems[0]


def test_only_regular_files_are_read_a_fifo_does_not_block(tmp_path):
    write(tmp_path, "good.yaml", b"project: good\n")
    os.mkfifo(str(tmp_path / "x.yaml"))      # nobody writes to it: a read would block forever
    os.mkdir(str(tmp_path / "dir.yaml"))
    os.symlink(str(tmp_path / "good.yaml"), str(tmp_path / "link.yaml"))
    defs = load_definitions(str(tmp_path), "apps")
    assert [a.name for a in defs.apps] == ["good"]
    problems = "\n".join(defs.problems)
    assert "x.yaml: is not a regular file (a FIFO" in problems
    assert "dir.yaml: " in problems
    assert "link.yaml: is a symlink; definitions are read from regular files only" in problems


def test_a_key_given_twice_is_refused_with_its_line(tmp_path):
    write(tmp_path, "twice.yaml", b"project: shop\nplatform: ruby\nproject: blog\n")
    write(tmp_path, "good.yaml", b"project: good\n")
    defs = load_definitions(str(tmp_path), "apps")
    assert [a.name for a in defs.apps] == ["good"]
    [problem] = defs.problems
    assert problem == ("%s: not valid YAML (line 3: key 'project' given twice (first on line "
                       "1); keep one)" % (tmp_path / "twice.yaml"))

"""One set of app-name rules: the tool's (sentry_puppet/names.py) and the fact's copy agree, so an
app server never exports a name the Sentry host refuses."""
import ast
import os

import pytest

from sentry_puppet import names
from sentry_puppet.definitions import load_definitions
from tests.facts_support import FACT, REPO, load_fact_module, run_fact, write_config

fact = load_fact_module()

COPIED = ("SLUG_CHARS", "KEY_CHARS", "CONTROL_CHARS", "MAX_SLUG", "slugify", "fact_key",
          "name_problem")

# (name, slug or None when refused, fact key, why refused)
TABLE = [
    ("Foo-Bar", "foo-bar", "foo_bar", None),
    ("café", "caf-", "caf_", None),
    ("a b", "a-b", "a_b", None),
    ("x=y", "x-y", "x_y", None),
    ("app٣", "app-", "app_", None),                  # an Arabic-Indic digit after letters
    ("İstanbul", "i-stanbul", "i_stanbul", None),    # lowercasing adds a combining dot
    ("n" * 50, "n" * 50, "n" * 50, None),
    ("v2", "v2", "v2", None),
    ("123", None, "123", "digits only"),
    ("007", None, "007", "digits only"),
    ("١٢٣", None, "___", "no ASCII letter or digit"),  # Arabic-Indic 123
    ("-", None, "_", "no ASCII letter or digit"),
    ("_", None, "_", "no ASCII letter or digit"),
    ("n" * 51, None, "n" * 51, "51 characters"),
    ("n" * 49 + "İ", None, "n" * 49 + "i_", "51 characters"),  # 50 chars, a 51-char slug
    (".hidden", None, "_hidden", "starts with a dot"),
    ("..", None, "__", "starts with a dot"),
    ("a\nb", None, "a_b", "control character"),
    ("tab\there", None, "tab_here", "control character"),
    ("del\x7f", None, "del_", "control character"),
    ("c1\x85", None, "c1_", "control character"),           # NEL, a C1 control
    ("csi\x9b", None, "csi_", "control character"),
    ("pay\u202elacsim", None, "pay_lacsim", "bidirectional override"),  # shows "paymiscal"
    ("app\u2066x\u2069", None, "app_x_", "bidirectional override"),
    ("line\u2028sep", None, "line_sep", "line separator"),
    ("a/b", None, "a_b", "path separator"),
    ("a\\b", None, "a_b", "path separator"),
    ("a,b", None, "a_b", "comma"),
    ("caf\udcc3", None, "caf_", "not valid UTF-8"),  # a file name in Latin-1, decoded as UTF-8
    ("", None, "", "is empty"),
    ("   ", None, "___", "is empty"),
]
ACCEPTED = sorted(name for name, slug, _, _ in TABLE if slug)


def _definitions(tree):
    return {node.name if hasattr(node, "name") else node.targets[0].id: ast.dump(node)
            for node in tree.body
            if isinstance(node, ast.FunctionDef)
            or (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name))}


def test_the_fact_carries_the_same_rules_as_the_tool():
    tool = _definitions(ast.parse((REPO / "sentry_puppet" / "names.py").read_text("utf-8")))
    shipped = _definitions(ast.parse(FACT.read_text("utf-8")))
    for name in COPIED:
        assert shipped.get(name) == tool[name], (
            "facts/sentry_apps.py's %s differs from sentry_puppet/names.py's: copy it" % name)


@pytest.mark.parametrize("name, slug, key, why", TABLE, ids=[repr(row[0]) for row in TABLE])
def test_tool_and_fact_agree(name, slug, key, why):
    problem = names.name_problem(name)
    assert fact.name_problem(name) == problem
    assert names.fact_key(name) == fact.fact_key(name) == key
    if slug is None:
        assert why in problem
    else:
        assert problem is None
        assert names.slugify(name) == fact.slugify(name) == slug


def test_the_shipped_fact_exports_exactly_what_the_tool_accepts(tmp_path):
    root = tmp_path / "apps"
    root.mkdir()
    made = []
    for name, _, _, _ in TABLE:
        try:
            os.mkdir(os.fsencode(str(root)) + b"/" + name.encode("utf-8", "surrogateescape"))
            made.append(name)
        except (OSError, ValueError):  # "", "a/b", "..": no directory can have these names
            pass
    run = run_fact(write_config(tmp_path / "facts.conf", [root]), "--explain")
    exported = sorted(run.facts["sentry_apps"])
    assert exported == [n for n in ACCEPTED if n in made]
    assert run.facts["deployed_apps"] == ",".join(exported)
    explained = run.stderr
    for name, slug, _, why in TABLE:
        if name in made and slug is None and name != "..":
            assert "left out" in explained and why in explained, name
    # each refused name is a warning of its own (hidden directories are silent but for --explain)
    warnings = [line for line in run.stderr.splitlines()
                if line.startswith("sentry_apps: ") and "the Sentry host would refuse" in line]
    assert len(warnings) == len([n for n in made if n not in ACCEPTED and n[0] != "."])


def test_the_tool_refuses_what_the_fact_leaves_out(tmp_path):
    from yaml import safe_dump
    for number, (name, _, _, _) in enumerate(TABLE):
        if "\udcc3" in name:
            continue  # YAML (UTF-8) cannot carry it; name_problem's own test above covers it
        (tmp_path / ("d%02d.yaml" % number)).write_text(safe_dump({"project": name}), "utf-8")
    defs = load_definitions(str(tmp_path), "apps")
    assert sorted(app.name for app in defs.apps) == ACCEPTED
    assert len(defs.problems) == len(TABLE) - 1 - len(ACCEPTED)


@pytest.mark.parametrize("name", ["a,b", "-", "123", "caf\udcc3"])
def test_dsn_command_refuses_by_the_same_rules(name, capsys):
    from sentry_puppet import cli
    assert cli.main(["dsn", name]) == 1
    out, err = capsys.readouterr()
    assert out == "" and names.name_problem(name) in err


@pytest.mark.parametrize("team", ["-", "a,b", "007"])
def test_config_team_refused_by_the_same_rules(tmp_path, team):
    from sentry_puppet.config import ConfigError, load_config
    config = tmp_path / "config.yaml"
    config.write_text("backend: bugsink\nurl: http://127.0.0.1:8000\nteam: %r\n"
                      "definitions_dir: defs\ndsn_dir: dsn\n" % team)
    with pytest.raises(ConfigError, match="team") as refused:
        load_config(str(config), need_token=False)
    assert names.name_problem(team) in str(refused.value)

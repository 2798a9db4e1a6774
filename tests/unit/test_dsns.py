"""One DSN rule: the tool (sentry_puppet/dsns.py) publishes only what the fact accepts."""
import ast

import pytest

from sentry_puppet import dsns
from tests.facts_support import FACT, REPO, load_fact_module

fact = load_fact_module()
COPIED = ("ALNUM", "HOST_CHARS", "PATH_CHARS", "is_dsn")


def _definitions(tree):
    return {node.name if hasattr(node, "name") else node.targets[0].id: ast.dump(node)
            for node in tree.body
            if isinstance(node, ast.FunctionDef)
            or (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name))}


def test_the_fact_carries_the_same_dsn_rule_as_the_tool():
    tool = _definitions(ast.parse((REPO / "sentry_puppet" / "dsns.py").read_text("utf-8")))
    shipped = _definitions(ast.parse(FACT.read_text("utf-8")))
    for name in COPIED:
        assert shipped.get(name) == tool[name], (
            "facts/sentry_apps.py's %s differs from sentry_puppet/dsns.py's: copy it" % name)


@pytest.mark.parametrize("dsn, why", [
    ("https://k1@bugsink.test/1", None),
    ("http://abc:def@127.0.0.1:8000/42", None),
    ("https://k@sentry.example.com/prefix/7", None),
    ("https://k@h/1\nSetEnv EVIL 1", "not a DSN"),
    ("https://k@h/1 ", "not a DSN"),
    ("ftp://k@h/1", "not a DSN"),
    ("https://h/1", "not a DSN"),
    ("https://k@h/x", "not a DSN"),
    ("https://k@h:80x/1", "not a DSN"),
    ("https://k@h/١", "not a DSN"),
    ("", "not a DSN"),
    (7, "not a string but int"),
    (["https://k@h/1"], "not a string but list"),
    ({"public": "https://k@h/1"}, "not a string but dict"),
    (None, "not a string but NoneType"),
])
def test_dsn_problem(dsn, why):
    problem = dsns.dsn_problem(dsn)
    if why is None:
        assert problem is None and fact.is_dsn(dsn)
    else:
        assert why in problem
        if isinstance(dsn, str):
            assert not fact.is_dsn(dsn)


def test_a_refused_dsn_is_quoted_on_one_line():
    assert "\n" not in dsns.dsn_problem("https://k@h/1\nSetEnv EVIL 1")

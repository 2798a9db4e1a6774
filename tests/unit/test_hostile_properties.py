"""Property-based tests (hypothesis) of the tool's readers of untrusted input: config.yaml, the
definition files and PuppetDB's streamed answer. Any input gives a result or one clear error
(ConfigError, a named problem, ValueError), never another exception and never a hang.

Deterministic and bounded: derandomize=True (the same examples on every run), a fixed
example budget, no example database."""
import json
import math
import os
import tempfile

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sentry_puppet.config import KEYS, ConfigError, load_config
from sentry_puppet.definitions import load_definitions
from sentry_puppet.puppetdb import _check_resource, iter_json_array

PROPERTIES = settings(max_examples=150, derandomize=True, database=None, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow])

# Values YAML can carry, the hostile ones often: control characters, NUL, bidi overrides,
# non-finite and huge numbers, nesting.
TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=30) | st.sampled_from(
    ["", "a\x00b", "/", "/etc", "..", "x\ny", "\u202eevil", "\x85", "https://u:p@h/x"])
NUMBER = st.integers() | st.floats() | st.sampled_from([10 ** 400, -0.0, 1e308, 0])
SCALAR = st.none() | st.booleans() | NUMBER | TEXT
VALUE = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(TEXT, inner, max_size=3), max_leaves=8)
GOOD = {"backend": "bugsink", "url": "http://127.0.0.1:8000", "team": "apps",
        "dsn_dir": "dsn", "definitions_dir": "defs"}


def _dump(data):
    return yaml.safe_dump(data, allow_unicode=False)


CONFIG_TEXT = (
    st.dictionaries(st.sampled_from(KEYS + ("colour",)), VALUE, max_size=6)
    .map(lambda d: _dump(dict(GOOD, **d)))
    | st.dictionaries(st.sampled_from(KEYS), VALUE, max_size=4).map(_dump)
    | st.text(max_size=200)
    | st.sampled_from(["url: a\nurl: b\n", "timeout: .nan\n", "- 1\n", "{", "a: *x\n",
                       "&a [*a]\n", "!!python/object:os.system x\n"]))


@PROPERTIES
@given(CONFIG_TEXT)
def test_config_gives_a_config_or_one_config_error(text):
    with tempfile.TemporaryDirectory() as root:
        path = os.path.join(root, "config.yaml")
        with open(path, "w", encoding="utf-8", errors="surrogatepass") as handle:
            handle.write(text)
        try:
            config = load_config(path, need_token=False)
        except ConfigError as exc:
            message = str(exc)
            assert message.startswith(path) and "\n" not in message.strip()
        else:
            assert math.isfinite(config.timeout) and 0 < config.timeout <= 600
            assert math.isfinite(config.run_timeout) and 0 < config.run_timeout <= 86400
            assert "\x00" not in config.dsn_dir + config.definitions_dir


DEFINITION_BYTES = (
    st.dictionaries(st.sampled_from(["project", "platform", "team", "source", "path", "x"]),
                    VALUE, max_size=5).map(lambda d: _dump(d).encode())
    | st.binary(max_size=200)
    | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))


@PROPERTIES
@given(st.lists(DEFINITION_BYTES, min_size=1, max_size=4))
def test_definition_files_give_apps_or_one_named_problem_each(contents):
    with tempfile.TemporaryDirectory() as root:
        for n, data in enumerate(contents):
            with open(os.path.join(root, "d%d.yaml" % n), "wb") as handle:
                handle.write(data)
        defs = load_definitions(root, "apps")
    assert defs.file_count == len(contents)
    for problem in defs.problems:
        assert isinstance(problem, str) and problem
    # Every file either gave an entry or is named in a problem.
    named = sum(1 for n in range(len(contents))
                if any("d%d.yaml" % n in p for p in defs.problems))
    assert named + sum(len(app.files) for app in defs.apps) >= len(contents)


JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=10)
RESOURCE = st.fixed_dictionaries({}, optional={
    "certname": JSON_VALUE | TEXT, "title": JSON_VALUE,
    "parameters": st.dictionaries(st.sampled_from(["project", "platform", "team", "tag",
                                                   "source", "x"]), JSON_VALUE, max_size=5)
    | JSON_VALUE})


def _chunks(data, cuts):
    points = sorted({min(c, len(data)) for c in cuts})
    start = 0
    for point in points + [len(data)]:
        yield data[start:point]
        start = point


ANSWER = (st.lists(RESOURCE, max_size=5).map(lambda r: json.dumps(r).encode())
          | st.binary(max_size=300)
          | st.sampled_from([b"[" * 5000, b"[" * 100000 + b"]" * 100000, b"[{}", b"[]]",
                             b"[1,]", b"\xff[]", b"[\"\\ud800\"]"]))


@PROPERTIES
@given(ANSWER, st.lists(st.integers(0, 400), max_size=6))
def test_a_puppetdb_answer_gives_resources_or_one_value_error(data, cuts):
    try:
        values = list(iter_json_array(_chunks(data, cuts)))
    except ValueError as exc:
        assert str(exc)
        return
    for value in values:
        entry, problem = _check_resource(value, "apps")
        assert (entry is None) != (problem is None)
        if problem:
            assert isinstance(problem, str)

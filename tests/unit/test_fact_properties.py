"""Property-based tests (hypothesis) of what the fact reads from disk and of the name rules:
whatever the input, a result or one clear stderr line, never a traceback or a hang, and the
fact always exits 0 with every fact it could determine. Tool and fact agree on every name.

Deterministic and bounded: derandomize=True (the same examples on every run), a fixed example
budget per test, no example database written into the repository."""
import contextlib
import io
import json
import math
import os
import tempfile
import time

from hypothesis import HealthCheck, given, settings, strategies as st

from sentry_puppet import names
from tests.facts_support import PYTHON, cpythons, load_fact_module, run_fact

fact = load_fact_module()

BOUNDED = settings(derandomize=True, database=None, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow])

# The characters names are refused for, and their neighbours that are fine.
C1 = [chr(code) for code in range(0x80, 0xA0)]
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
TRICKY = C1 + BIDI + ["\u2028", "\u2029", "\x00", "\n", "\t", "\x7f", "/", "\\", ",", ".", "-",
                      "_", " ", "é", "İ", "٣", "\u200e", "\u00a0", "\udcc3", "\U0001F600"]
NAME_CHARS = st.one_of(st.sampled_from("aZ09-_."), st.sampled_from(TRICKY), st.characters())


@settings(BOUNDED, max_examples=400)
@given(st.text(NAME_CHARS, max_size=60))
def test_tool_and_fact_agree_on_every_name(name):
    problem = names.name_problem(name)
    assert fact.name_problem(name) == problem
    assert fact.slugify(name) == names.slugify(name)
    assert fact.fact_key(name) == names.fact_key(name)
    if problem is None:
        slug = names.slugify(name)
        assert 0 < len(slug) <= 50 and not slug.isdigit() and set(slug) <= names.SLUG_CHARS


@settings(BOUNDED, max_examples=200)
@given(st.text(NAME_CHARS, max_size=20), st.sampled_from(C1 + BIDI),
       st.text(NAME_CHARS, max_size=20))
def test_c1_controls_and_bidi_overrides_are_refused_by_both(before, bad, after):
    name = "ok" + before + bad + after
    problem = names.name_problem(name)
    assert problem is not None and fact.name_problem(name) == problem


# -- facts.conf --------------------------------------------------------------------------------

KEYS = ["roots", "ignore", "url", "ca_file", "cert_file", "key_file", "cache_dir", "ttl",
        "negative_ttl", "timeout", "budget", "jobs", "lang"]
NUMBERS = st.one_of(st.sampled_from(["inf", "-inf", "nan", "1e400", "1e999", "-0", "0", "0.0",
                                     "1e-400", "9" * 400, "0x10", "1_000", " 5 ", "5;", "1e9",
                                     "NaN", "Infinity", "3", "0.5"]),
                    st.floats().map(repr), st.integers().map(str))
VALUES = st.one_of(NUMBERS, st.text(max_size=30))
KEY_VALUE = st.tuples(st.sampled_from(KEYS), st.sampled_from([" = ", "=", ": ", " := "]), VALUES,
                      st.sampled_from(["", " ; c", "\t; c", " # c"])).map("".join)
SECTION = st.tuples(
    st.sampled_from(["[apps]", "[dsn]", "[dsn]", "[app:shop]", "[app:]", "[[dsn]]", "[ dsn ]"]),
    st.lists(KEY_VALUE, max_size=6)).map(lambda section: "\n".join([section[0]] + section[1]))
# Mostly well-formed sections (their values are the point); now and then a line that makes the
# whole file unreadable.
GARBAGE = st.one_of(st.sampled_from(["; comment", "# comment", "", "   ", "[", "]", "[]",
                                     "\ufeff[dsn]", "\x00", "\r", "key"]), st.text(max_size=40))
INI = st.lists(st.one_of(SECTION, SECTION, SECTION, GARBAGE), max_size=6).map("\n".join)


def load(text):
    """load_config on this text -> (settings, stderr lines)."""
    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "facts.conf")
        with open(path, "wb") as handle:
            handle.write(text if isinstance(text, bytes) else text.encode("utf-8",
                                                                          "surrogatepass"))
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            loaded = fact.load_config(path)
        return loaded, path, err.getvalue().splitlines()


def assert_sane(loaded, path, lines):
    for key, (low, high) in fact.LIMITS.items():
        value = loaded[key]
        assert isinstance(value, (int, float)) and math.isfinite(value) and low <= value <= high
    assert isinstance(loaded["jobs"], int)
    for key in ("url", "ca_file", "cert_file", "key_file", "cache_dir"):
        assert loaded[key] is None or "\x00" not in loaded[key]
    assert all("\x00" not in root for root in loaded["roots"])
    for line in lines:  # each problem one line, naming the file
        assert line.startswith("sentry_apps: %s: " % path), line


@settings(BOUNDED, max_examples=300)
@given(INI)
def test_any_ini_text_gives_settings_in_range_or_named_lines(text):
    assert_sane(*load(text))


@settings(BOUNDED, max_examples=100)
@given(st.binary(max_size=200))
def test_any_bytes_as_facts_conf_give_settings_or_one_line(data):
    loaded, path, lines = load(data)
    assert_sane(loaded, path, lines)


@settings(BOUNDED, max_examples=100)
@given(st.sampled_from(sorted(fact.LIMITS)), NUMBERS)
def test_every_number_is_finite_and_in_range(key, value):
    loaded, path, lines = load("[dsn]\n%s = %s\n" % (key, value))
    assert_sane(loaded, path, lines)
    if loaded[key] == fact.DEFAULTS[key] and lines:
        assert lines == ["sentry_apps: %s: [dsn] %s = %r is not a number from %s to %s; using "
                         "the default %s" % (path, key, value.strip(),
                                             fact.plain(fact.LIMITS[key][0]),
                                             fact.plain(fact.LIMITS[key][1]),
                                             fact.DEFAULTS[key])]


# -- the cache files ---------------------------------------------------------------------------

DSN = "https://0123456789abcdef@sentry.example.com/7"
CACHE_LINE = st.one_of(
    st.tuples(st.sampled_from(["checked", "status", "dsn", "x", ""]), st.sampled_from(["=", ""]),
              st.one_of(NUMBERS, st.just(DSN), st.text(max_size=30))).map("".join),
    st.text(max_size=40))
CACHE = st.one_of(st.lists(CACHE_LINE, max_size=6).map("\n".join).map(
    lambda text: text.encode("utf-8", "surrogatepass")), st.binary(max_size=200))


@settings(BOUNDED, max_examples=300)
@given(CACHE)
def test_any_cache_file_gives_an_entry_to_check_or_one_line(data):
    now = time.time()
    with tempfile.TemporaryDirectory() as work:
        with open(os.path.join(work, "shop"), "wb") as handle:
            handle.write(data)
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            entry = fact.read_cache({"cache_dir": work}, "shop", now)
    lines = err.getvalue().splitlines()
    assert len(lines) <= 1
    assert all(line.startswith("sentry_apps: app 'shop': cache file ") for line in lines)
    if entry:
        assert math.isfinite(entry["checked"]) and 0 <= entry["checked"] <= now
        assert entry["dsn"] is None or fact.is_dsn(entry["dsn"])
        assert isinstance(entry["status"], int)
    # Whatever it read, the entry is either fresh by a real date or due for a check.
    due = fact.needs_fetch(entry, {"ttl": 86400, "negative_ttl": 900}, now)
    assert due or now - entry["checked"] < 86400


# -- the whole fact, as Facter runs it -----------------------------------------------------------

PYTHONS = [PYTHON] + [p[2] for p in cpythons() if p[1] == (3, 6)][:1]


@settings(BOUNDED, max_examples=15, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(PYTHONS), INI, CACHE)
def test_the_fact_always_exits_0_with_every_fact(python, ini, cache):
    with tempfile.TemporaryDirectory() as work:
        os.makedirs(os.path.join(work, "apps", "shop"))
        open(os.path.join(work, "apps", "shop", "Gemfile"), "w").close()
        os.makedirs(os.path.join(work, "cache"), mode=0o700)
        with open(os.path.join(work, "cache", "shop"), "wb") as handle:
            handle.write(cache)
        # The generated lines first: the fixed ones after them win, so the run looks at this
        # tree and cache and fetches nothing (a refused port, no CA).
        config = os.path.join(work, "facts.conf")
        with open(config, "wb") as handle:
            handle.write(ini.encode("utf-8", "surrogatepass") + (
                "\n[apps]\nroots = %s\nignore = html\n[dsn]\nurl = https://127.0.0.1:1/dsn/\n"
                "cache_dir = %s\nca_file = %s\n[app:shop]\nignore = false\nlang = \n"
                % (os.path.join(work, "apps"), os.path.join(work, "cache"),
                   os.path.join(work, "no-ca.pem"))).encode())
        run = run_fact(config, python=python)  # asserts exit 0; stdout is JSON
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr
    if "unreadable, using the defaults" not in run.stderr:  # else the default roots are read
        assert run.facts["deployed_apps"] == "shop" and run.facts["shop_lang"] == "ruby"
        assert json.loads(run.stdout)["sentry_apps"]["shop"]["lang"] == "ruby"
    assert all(line.startswith("sentry_apps: ") for line in run.stderr.splitlines())

"""The external fact on temporary app trees: discovery, language, names, config, no network."""
import ast
import filecmp
import os
import stat
import subprocess
import sys

import pytest

from tests.facts_support import FACT, REPO, load_fact_module, run_fact, write_config
from tests.support.missing import missing

fact = load_fact_module()


def make_app(root, name, *files):
    app = root / name
    app.mkdir(parents=True, exist_ok=True)
    for relative in files:
        target = app / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("")
    return app


@pytest.mark.parametrize("files, lang", [
    (["Gemfile", "config.ru", "package.json"], "ruby"),              # Rails with assets
    (["manage.py", "requirements.txt", "package.json"], "python"),   # Django with assets
    (["artisan", "composer.json", "package.json"], "php"),           # Laravel
    (["mix.exs", "assets/package.json"], "elixir"),                  # Phoenix
])
def test_frameworks_beat_their_asset_pipeline(tmp_path, files, lang):
    app = make_app(tmp_path, "app", *files)
    decided, by = fact.detect_language(str(app))
    assert decided == lang
    assert os.path.basename(by) != "package.json"


def test_capistrano_current_release_decides(tmp_path):
    app = make_app(tmp_path, "shop", "releases/20260101/Gemfile", "shared/package.json")
    os.symlink("releases/20260101", str(app / "current"))
    lang, by = fact.detect_language(str(app))
    assert lang == "ruby" and by.endswith(os.path.join("current", "Gemfile"))


def test_discovery_skips_hidden_ignored_and_files(tmp_path):
    root = tmp_path / "apps"
    for name in ("shop", ".git", "html", "lost+found", "scratch", "legacy"):
        make_app(root, name)
    (root / "notes.txt").write_text("")
    config = tmp_path / "facts.conf"
    config.write_text("[apps]\nroots = %s\nignore = html lost+found scratch\n"
                      "[app:legacy]\nignore = true\n" % root)
    run = run_fact(config)
    assert run.facts["deployed_apps"] == "shop"


def test_symlinked_app_directory_is_followed(tmp_path):
    real = make_app(tmp_path / "elsewhere", "shop", "go.mod")
    root = tmp_path / "apps"
    root.mkdir()
    os.symlink(str(real), str(root / "shop"))
    run = run_fact(write_config(tmp_path / "facts.conf", [root]))
    assert run.facts["shop_lang"] == "go"


def test_tricky_names(tmp_path):
    # The whole table of names is in test_names.py; here, what the facts look like.
    root = tmp_path / "apps"
    for name in ("Foo-Bar", "café", "a b", "x=y", "123", "n" * 51, "tab\there"):
        make_app(root, name, "Gemfile")
    run = run_fact(write_config(tmp_path / "facts.conf", [root]))
    facts = run.facts
    assert facts["deployed_apps"] == "Foo-Bar,a b,café,x=y"
    assert facts["foo_bar_lang"] == "ruby" and facts["x_y_lang"] == "ruby"
    assert facts["caf__lang"] == "ruby" and facts["a_b_lang"] == "ruby"
    assert set(facts["sentry_apps"]) == {"Foo-Bar", "café", "a b", "x=y"}
    assert "'123'" in run.stderr and "digits only" in run.stderr
    assert "51 characters" in run.stderr and "'tab\\there'" in run.stderr


def test_file_names_are_utf8_under_facters_c_locale(tmp_path):
    """Facter runs facts under LC_ALL=C; Python 3.6 would then read `café` as ASCII with
    escapes (another name, another fact key). The fact reads file names as UTF-8 itself."""
    make_app(tmp_path / "apps", "café", "Gemfile")
    run = run_fact(write_config(tmp_path / "facts.conf", [tmp_path / "apps"]),
                   env={"LC_ALL": "C", "LANG": "C", "PYTHONCOERCECLOCALE": "0",
                        "PYTHONUTF8": "0"})
    assert run.facts["deployed_apps"] == "café" and run.facts["caf__lang"] == "ruby"


def test_same_app_under_two_roots_first_root_wins(tmp_path):
    first = make_app(tmp_path / "srv", "shop", "Gemfile")
    make_app(tmp_path / "www", "shop", "package.json")
    run = run_fact(write_config(tmp_path / "facts.conf", [tmp_path / "srv", tmp_path / "www"]))
    assert run.facts["sentry_apps"]["shop"]["path"] == str(first)
    assert run.facts["shop_lang"] == "ruby"
    assert "'shop'" in run.stderr and str(tmp_path / "www") in run.stderr


def test_two_names_with_one_fact_key_keep_the_first(tmp_path):
    make_app(tmp_path / "apps", "Foo-Bar", "Gemfile")
    make_app(tmp_path / "apps", "foo_bar", "go.mod")
    run = run_fact(write_config(tmp_path / "facts.conf", [tmp_path / "apps"]))
    assert run.facts["deployed_apps"] == "Foo-Bar"
    assert "foo_bar_lang is taken" in run.stderr


def test_override_wins_over_detection(tmp_path):
    make_app(tmp_path / "apps", "legacy-billing", "Gemfile")
    config = write_config(tmp_path / "facts.conf", [tmp_path / "apps"],
                          extra="[app:legacy-billing]\nlang = Java ; forced\n")
    run = run_fact(config)
    assert run.facts["legacy_billing_lang"] == "java"


def test_output_is_stable_and_typed(tmp_path):
    make_app(tmp_path / "apps", "b", "Gemfile")
    make_app(tmp_path / "apps", "a", "go.mod")
    config = write_config(tmp_path / "facts.conf", [tmp_path / "apps"])
    first, second = run_fact(config), run_fact(config)
    assert first.stdout == second.stdout
    assert first.facts["deployed_apps"] == "a,b"
    assert first.facts["sentry_apps"]["a"] == {
        "lang": "go", "key": "a", "path": str(tmp_path / "apps" / "a"),
        "lang_from": str(tmp_path / "apps" / "a" / "go.mod")}
    assert "a_dsn" not in first.facts  # no DSN known: no fact


def test_no_roots_at_all(tmp_path):
    run = run_fact(write_config(tmp_path / "facts.conf", [tmp_path / "missing"]))
    assert run.facts == {"deployed_apps": "", "sentry_apps": {}}
    assert run.stderr == ""


def test_missing_config_means_defaults(tmp_path):
    run = run_fact(tmp_path / "no-such.conf")
    assert "deployed_apps" in run.facts


def test_unparseable_config_still_gives_facts(tmp_path):
    config = tmp_path / "facts.conf"
    config.write_text("this is [not an ini file\n")
    run = run_fact(config)
    assert "deployed_apps" in run.facts
    assert run.stderr.startswith("sentry_apps: %s: unreadable, using the defaults" % config)


def test_bad_number_is_named_and_defaulted(tmp_path):
    config = write_config(tmp_path / "facts.conf", [tmp_path],
                          url="https://sentry.example.com/dsn/", extra="ttl = soon\n")
    run = run_fact(config)
    assert "ttl = 'soon'" in run.stderr


@pytest.mark.parametrize("key, value", [
    ("budget", "inf"), ("budget", "1e400"), ("budget", "nan"), ("budget", "-5"),
    ("budget", "0"), ("jobs", "inf"), ("jobs", "0"), ("jobs", "1e9"), ("jobs", "nan"),
    ("timeout", "inf"), ("timeout", "-1"), ("timeout", "0"), ("ttl", "1e999"),
    ("ttl", "-inf"), ("ttl", "0"), ("negative_ttl", "nan"), ("negative_ttl", "-900"),
])
def test_a_number_out_of_range_falls_back_to_its_default_and_every_fact_is_emitted(
        tmp_path, key, value):
    make_app(tmp_path / "apps", "shop", "Gemfile")
    cache = tmp_path / "cache"
    config = write_config(tmp_path / "facts.conf", [tmp_path / "apps"],
                          url="https://127.0.0.1:1/dsn/", cache_dir=cache,
                          extra="ca_file = %s\n%s = %s\n" % (tmp_path / "no-ca.pem", key, value))
    run = run_fact(config)
    assert run.facts["deployed_apps"] == "shop" and run.facts["shop_lang"] == "ruby"
    assert run.facts["sentry_apps"]["shop"]["lang"] == "ruby"
    assert "internal error" not in run.stderr
    said = [line for line in run.stderr.splitlines() if "[dsn] %s" % key in line]
    assert said == ["sentry_apps: %s: [dsn] %s = %r is not a number from %s to %s; using the "
                    "default %s" % (config, key, value, fact.plain(fact.LIMITS[key][0]),
                                    fact.plain(fact.LIMITS[key][1]), fact.DEFAULTS[key])]
    assert fact.load_config(str(config))[key] == fact.DEFAULTS[key]


def test_numbers_in_range_are_taken(tmp_path):
    config = write_config(tmp_path / "facts.conf", [tmp_path], extra="[dsn]\nbudget = 2.5\n"
                          "jobs = 3\ntimeout = 0.5\nttl = 60\nnegative_ttl = 1e3\n")
    settings = fact.load_config(str(config))
    assert (settings["budget"], settings["jobs"], settings["timeout"], settings["ttl"],
            settings["negative_ttl"]) == (2.5, 3, 0.5, 60, 1000)


def test_a_nul_in_a_path_falls_back_to_the_default(tmp_path):
    make_app(tmp_path / "apps", "shop", "Gemfile")
    config = tmp_path / "facts.conf"
    config.write_text("[apps]\nroots = %s\n[dsn]\nurl = https://127.0.0.1:1/dsn/\n"
                      "cache_dir = /tmp/a\x00b\nca_file = x\x00y\n" % (tmp_path / "apps"))
    run = run_fact(config)
    assert run.facts["deployed_apps"] == "shop" and "internal error" not in run.stderr
    assert "[dsn] cache_dir holds a NUL character; using the default" in run.stderr


# -- the cache in a directory others can write: no link followed, nothing clobbered --------------

def cache_settings(tmp_path):
    directory = tmp_path / "cache"
    directory.mkdir(mode=0o777, exist_ok=True)
    return {"cache_dir": str(directory)}, directory


ENTRY = {"dsn": "https://0123456789abcdef@sentry.example.com/7", "status": 200,
         "checked": 1700000000.0}


def test_the_cache_is_written_through_a_new_0600_file_then_renamed(tmp_path, monkeypatch):
    settings, directory = cache_settings(tmp_path)
    opened = []
    real_open = os.open

    def spy(path, flags, *args):
        opened.append((path, flags) + args)
        return real_open(path, flags, *args)

    monkeypatch.setattr(fact.os, "open", spy)
    fact.write_cache(settings, "shop", ENTRY)
    (path, flags, mode), = opened
    assert os.path.dirname(path) == str(directory) and path != str(directory / "shop")
    wanted = os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_WRONLY
    assert flags & wanted == wanted and not flags & os.O_TRUNC and mode == 0o600
    assert stat.S_IMODE(os.lstat(str(directory / "shop")).st_mode) == 0o600
    assert os.listdir(str(directory)) == ["shop"]


def test_a_link_planted_under_every_temporary_name_writes_nothing_through_it(tmp_path,
                                                                           monkeypatch):
    settings, directory = cache_settings(tmp_path)
    victim = tmp_path / "root-owned"
    victim.write_text("precious\n")
    # The attacker cannot guess the random name: give the fact a known one to plant at.
    monkeypatch.setattr(fact.os, "urandom", lambda n: b"\x00" * n)
    temp = directory / (".shop.tmp-" + "00" * 8)
    os.symlink(str(victim), str(temp))
    fact.write_cache(settings, "shop", ENTRY)
    assert victim.read_text() == "precious\n"
    assert os.path.islink(str(temp)) and not (directory / "shop").exists()


def test_a_planted_final_link_is_replaced_not_written_through(tmp_path):
    settings, directory = cache_settings(tmp_path)
    victim = tmp_path / "root-owned"
    victim.write_text("precious\n")
    os.symlink(str(victim), str(directory / "shop"))
    fact.write_cache(settings, "shop", ENTRY)
    assert victim.read_text() == "precious\n"
    assert not os.path.islink(str(directory / "shop"))
    assert fact.read_cache(settings, "shop", 1800000000.0)["dsn"] == ENTRY["dsn"]


def test_a_cache_file_someone_else_wrote_is_not_believed(tmp_path, capsys):
    settings, directory = cache_settings(tmp_path)
    fact.write_cache(settings, "shop", ENTRY)
    assert fact.read_cache(settings, "shop", 1800000000.0)["dsn"] == ENTRY["dsn"]
    if os.geteuid() != 0:  # only root can hand a file to another user
        missing("not root: cannot make a cache file another user's", "; CI runs the suite as root")
    os.chown(str(directory / "shop"), 65534, 65534)  # nobody
    assert fact.read_cache(settings, "shop", 1800000000.0) == {}
    assert "owned by uid 65534, not by this fact's user (uid 0)" in capsys.readouterr().err


def test_reading_does_not_follow_a_planted_link_nor_wait_on_a_fifo(tmp_path, capsys):
    settings, directory = cache_settings(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("checked=1700000000.0\nstatus=200\ndsn=%s\n" % ENTRY["dsn"])
    os.symlink(str(elsewhere), str(directory / "linked"))
    os.mkfifo(str(directory / "fifo"))
    assert fact.read_cache(settings, "linked", 1800000000.0) == {}
    assert fact.read_cache(settings, "fifo", 1800000000.0) == {}
    err = capsys.readouterr().err
    assert "linked ignored (a symbolic link, not followed)" in err
    assert "fifo ignored (not a regular file)" in err


def test_unreadable_root_is_reported(tmp_path):
    config = write_config(tmp_path / "facts.conf", [tmp_path / "notadir.txt"])
    (tmp_path / "notadir.txt").write_text("")
    run = run_fact(config)
    assert run.facts["deployed_apps"] == "" and "notadir.txt" in run.stderr


def test_a_bug_still_prints_valid_output(tmp_path):
    make_app(tmp_path / "apps", "shop", "Gemfile")
    config = write_config(tmp_path / "facts.conf", [tmp_path / "apps"])
    broken = tmp_path / "broken.py"
    broken.write_text(FACT.read_text().replace("def discover(settings):",
                                               "def discover(settings):\n    1 / 0"))
    result = subprocess.run(["/usr/bin/python3", str(broken)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True,
                            env=dict(os.environ, SENTRY_PUPPET_FACTS_CONFIG=str(config)))
    assert result.returncode == 0
    assert result.stdout.strip() == '{"deployed_apps": "", "sentry_apps": {}}'
    assert "internal error" in result.stderr and "ZeroDivisionError" in result.stderr


def test_explain_tells_why(tmp_path):
    make_app(tmp_path / "apps", "shop", "Gemfile", "package.json")
    config = write_config(tmp_path / "facts.conf", [tmp_path / "apps"])
    run = run_fact(config, "--explain")
    line = [l for l in run.stderr.splitlines() if l.startswith("shop:")][0]
    assert str(tmp_path / "apps" / "shop") in line and "Gemfile" in line
    assert "no [dsn] url" in line


@pytest.mark.parametrize("text, ok", [
    ("https://0123456789abcdef0123456789abcdef@sentry.example.com/42", True),
    ("http://abc@127.0.0.1:8000/7", True),
    ("https://key:secret@o1.ingest.sentry.io/123", True),
    ("https://key@host/sub/path/9", True),
    ("<html>", False),
    ("https://host/42", False),
    ("https://key@host/notanumber", False),
    ("https://key@host/42 extra", False),
    ("", False),
])
def test_dsn_shape(text, ok):
    assert fact.is_dsn(text) is ok


def test_fact_key_mapping():
    assert fact.fact_key("Foo-Bar") == "foo_bar"
    assert fact.fact_key("my.app") == "my_app"
    assert fact.fact_key("café") == "caf_"


def test_pluginsync_copy_is_identical_and_executable():
    copy = REPO / "puppet-module" / "facts.d" / "sentry_apps.py"
    assert filecmp.cmp(str(FACT), str(copy), shallow=False)
    for path in (FACT, copy):
        assert os.stat(str(path)).st_mode & stat.S_IXUSR


def test_facts_parse_as_python_3_6():
    # Only the sources: a facts/__pycache__/ is test_fact_bytecode.py's business.
    shipped = sorted((REPO / "facts").glob("*.py"))
    assert shipped
    for path in shipped:
        ast.parse(path.read_text(encoding="utf-8"), feature_version=(3, 6))


def test_vermin_finds_nothing_newer_than_3_6():
    vermin = os.path.join(os.path.dirname(sys.executable), "vermin")
    result = subprocess.run([vermin, "-t=3.6-", "--no-tips", "--violations", str(FACT)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True)
    assert result.returncode == 0, result.stdout


def test_standard_library_only():
    tree = ast.parse(FACT.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module]
        for name in names:
            assert name.split(".")[0] in sys.stdlib_module_names, name


@pytest.mark.parametrize("value", [
    {"deployed_apps": "a,b", "x_lang": "ruby"},
    {"sentry_apps": {"café": {"lang": "other", "dsn": None, "n": 3, "ok": True}}},
    {"quote\"back\\slash": "tab\tnew\nline\x7f", "astral": "\U0001F600", "list": [1.5, False]},
])
def test_json_writer_agrees_with_the_json_module(value):
    import json
    assert json.loads(fact.to_json(value)) == value
    assert fact.to_json(value).isascii()


def test_ini_reader_takes_the_documented_form(tmp_path):
    conf = tmp_path / "facts.conf"
    conf.write_text("; a comment\n# another\n[apps]\nroots = /srv/apps /var/www      ; roots\n"
                    "[app:legacy-billing]            ; per-app\nLang = java\n"
                    "[dsn]\nurl = https://sentry.example.com/dsn/   ; no url, no fetching\n")
    assert fact.read_ini(str(conf)) == {
        "apps": {"roots": "/srv/apps /var/www"},
        "app:legacy-billing": {"lang": "java"},
        "dsn": {"url": "https://sentry.example.com/dsn/"},
    }
    conf.write_text("[apps]\nroots /srv/apps\n")
    with pytest.raises(ValueError, match="line 2"):
        fact.read_ini(str(conf))

import pytest

from sentry_puppet.config import ConfigError, ProjectSettings, RateLimit, load_config

TOKEN = "0123456789abcdef0123456789abcdef01234567"
GOOD = """\
backend: bugsink
url: http://127.0.0.1:8000/
token_file: token
team: apps
definitions_dir: defs
dsn_dir: /var/lib/x/dsn
"""


@pytest.fixture
def conf(tmp_path, monkeypatch):
    monkeypatch.delenv("SENTRY_PUPPET_TOKEN", raising=False)
    token = tmp_path / "token"
    token.write_text(TOKEN + "\n")
    token.chmod(0o600)

    def write(text):
        path = tmp_path / "config.yaml"
        path.write_text(text)
        return str(path)
    return write


def test_good_config_with_relative_paths_from_the_config_dir(conf, tmp_path):
    config = load_config(conf(GOOD))
    assert config.backend == "bugsink" and config.url == "http://127.0.0.1:8000"
    assert config.definitions_dir == str(tmp_path / "defs")
    assert config.dsn_dir == "/var/lib/x/dsn"
    assert config.token == TOKEN and config.warnings == ()
    assert config.timeout == 10 and config.vhost is None
    assert TOKEN not in repr(config)


def test_env_token_wins_over_token_file(conf, monkeypatch):
    monkeypatch.setenv("SENTRY_PUPPET_TOKEN", "fromenv")
    assert load_config(conf(GOOD)).token == "fromenv"


def test_token_only_read_when_needed(conf, tmp_path):
    (tmp_path / "token").unlink()
    config = load_config(conf(GOOD), need_token=False)
    assert config.token is None
    with pytest.raises(ConfigError, match="token_file .*token does not exist.*SENTRY_PUPPET_TOKEN"):
        config.with_token()


def test_token_file_readable_by_others_warns(conf, tmp_path):
    (tmp_path / "token").chmod(0o644)
    config = load_config(conf(GOOD))
    [warning] = config.warnings
    assert "readable by group or others" in warning and "chmod 600" in warning
    assert TOKEN not in warning


def test_vhost_kept_raw(conf):
    config = load_config(conf(GOOD + "vhost:\n  server_name: s.example.com\n  listen: 443\n"))
    assert config.vhost == {"server_name": "s.example.com", "listen": 443}


@pytest.mark.parametrize("text, message", [
    (GOOD + "colour: blue\n", r"unknown key 'colour'"),
    (GOOD.replace("backend: bugsink", "backend: glitchy"), r"backend 'glitchy' is unknown"),
    (GOOD.replace("backend: bugsink\n", ""), r"key 'backend' is missing"),
    (GOOD.replace("team: apps\n", ""), r"key 'team' is missing"),
    (GOOD.replace("team: apps", "team: Big Team"), r"team 'Big Team'"),
    (GOOD.replace("backend: bugsink", "backend: sentry"), r"key 'organization' is missing"),
    (GOOD.replace("http://127.0.0.1:8000/", "127.0.0.1:8000"), r"url '127.0.0.1:8000' is not"),
    (GOOD + "timeout: -1\n", r"timeout -1 must be"),
    (GOOD + "timeout: soon\n", r"timeout 'soon' must be"),
    (GOOD + "ca_file: /nonexistent/ca.pem\n", r"ca_file /nonexistent/ca.pem does not exist"),
    (GOOD + "dsn_dir: [a]\n", r"dsn_dir must be a non-empty string"),
    (GOOD + "default_rules: no way\n", r"default_rules 'no way' must be true or false"),
    (GOOD + "rate_limit: 100\n", r"rate_limit 100 must be a mapping with exactly count and "
                                  r"window"),
    (GOOD + "rate_limit: {count: 100}\n", r"rate_limit .* exactly count and window"),
    (GOOD + "rate_limit: {count: 100, window: 60, burst: 5}\n", r"exactly count and window"),
    (GOOD + "rate_limit: {count: 0, window: 60}\n", r"rate_limit.count 0 must be a whole "
                                                      r"number of at least 1"),
    (GOOD + "rate_limit: {count: 100, window: 86401}\n", r"rate_limit.window 86401 must be a "
                                                          r"whole number from 1 to 86400"),
    (GOOD + "rate_limit: {count: .inf, window: 60}\n", r"rate_limit.count inf must be"),
    (GOOD + "rate_limit: {count: 100, window: .nan}\n", r"rate_limit.window nan must be"),
    (GOOD + "rate_limit: {count: 1.5, window: 60}\n", r"rate_limit.count 1.5 must be"),
    (GOOD + "rate_limit: {count: true, window: 60}\n", r"rate_limit.count True must be"),
    ("backend: [bugsink\n", r"not valid YAML \(line 2"),
    ("", r"not an empty file"),
    ("- a\n- b\n", r"not list"),
])
def test_every_error_names_the_file_and_the_key(conf, text, message):
    path = conf(text)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path)
    assert str(info.value).startswith(path + ": ")


def test_project_settings_default_to_sentrys_own_and_are_read(conf):
    assert load_config(conf(GOOD)).settings == ProjectSettings(True, None)
    config = load_config(conf(GOOD + "default_rules: false\n"
                                     "rate_limit: {count: 100, window: 86400}\n"))
    assert config.settings == ProjectSettings(False, RateLimit(count=100, window=86400))
    assert config.settings.describe() == "no default alert rule, rate limit 100 per 86400 s"


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(str(tmp_path / "nope.yaml"))


def test_empty_token_file(conf, tmp_path):
    (tmp_path / "token").write_text("\n")
    with pytest.raises(ConfigError, match="token_file .* is empty"):
        load_config(conf(GOOD))

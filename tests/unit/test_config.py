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


def test_run_timeout_defaults_to_15_minutes_and_can_be_set(conf):
    assert load_config(conf(GOOD)).run_timeout == 900
    assert load_config(conf(GOOD + "run_timeout: 120\n")).run_timeout == 120


@pytest.mark.parametrize("token, why", [
    (TOKEN + "\nSECONDLINE", "holds more than one line"),
    (TOKEN + "\r\nX", "holds more than one line"),
    (TOKEN[:10] + "\x01" + TOKEN[10:], "a character that an HTTP header cannot carry"),
    (TOKEN[:10] + " " + TOKEN[10:], "at character 11"),
    (TOKEN[:10] + "\u00e9" + TOKEN[10:], "cannot carry"),
    (TOKEN[:10] + "\x85" + TOKEN[10:], "cannot carry"),   # a C1 control
])
@pytest.mark.parametrize("where", ["file", "env"])
def test_a_token_a_header_cannot_carry_is_refused_naming_where_it_came_from(
        conf, tmp_path, monkeypatch, token, why, where):
    if where == "file":
        (tmp_path / "token").write_text(token + "\n")
        origin = "the API token in token_file %s" % (tmp_path / "token")
    else:
        monkeypatch.setenv("SENTRY_PUPPET_TOKEN", token)
        origin = "the API token in $SENTRY_PUPPET_TOKEN"
    with pytest.raises(ConfigError) as info:
        load_config(conf(GOOD))
    message = str(info.value)
    assert origin in message and why in message
    assert TOKEN[:10] not in message and "SECONDLINE" not in message


def test_config_records_where_the_token_came_from(conf, tmp_path, monkeypatch):
    assert load_config(conf(GOOD)).token_source == str(tmp_path / "token")
    monkeypatch.setenv("SENTRY_PUPPET_TOKEN", "fromenv")
    assert load_config(conf(GOOD)).token_source == "$SENTRY_PUPPET_TOKEN"


def test_a_url_with_credentials_is_named_without_them(conf):
    with pytest.raises(ConfigError) as info:
        load_config(conf(GOOD.replace("http://127.0.0.1:8000/", "ftp://user:pa@ss@host/")))
    assert "pa@ss" not in str(info.value) and "user" not in str(info.value)
    assert "ftp://[redacted]@host" in str(info.value)


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
    (GOOD.replace("dsn_dir: /var/lib/x/dsn", "dsn_dir: [a]"),
     r"dsn_dir must be a non-empty string"),
    # Numbers: finite and in range, the message naming the key and what is allowed.
    (GOOD + "timeout: .inf\n", r"timeout inf must be a number of seconds above 0 and at most 600 "
                               r"\(default 10\)"),
    (GOOD + "timeout: .nan\n", r"timeout nan must be"),
    (GOOD + "timeout: -.inf\n", r"timeout -inf must be"),
    (GOOD + "timeout: 1.0e+400\n", r"timeout inf must be"),
    (GOOD + "timeout: %d\n" % 10 ** 400, r"timeout 1000.* must be"),
    (GOOD + "timeout: 0\n", r"timeout 0 must be"),
    (GOOD + "timeout: true\n", r"timeout True must be"),
    (GOOD + "run_timeout: .inf\n", r"run_timeout inf must be a number of seconds above 0 and at "
                                   r"most 86400 \(default 900\)"),
    (GOOD + "run_timeout: -5\n", r"run_timeout -5 must be"),
    (GOOD + "run_timeout: .nan\n", r"run_timeout nan must be"),
    (GOOD + "run_timeout: 1.0e+12\n", r"run_timeout 1000000000000.0 must be"),
    # Found by tests/unit/test_hostile_properties.py: null where a path is needed, and
    # PyYAML's two-line reader error.
    (GOOD.replace("dsn_dir: /var/lib/x/dsn", "dsn_dir: null"), r"dsn_dir must be a path, not null"),
    (GOOD.replace("definitions_dir: defs", "definitions_dir: ~"),
     r"definitions_dir must be a path"),
    ("\x1f", r"not valid YAML \(unacceptable character #x001f: control characters are not "
             r"allowed in \"<unicode string>\", position 0\)$"),
    # A key twice is refused with its line, in config.yaml as in a definition.
    (GOOD + "url: http://elsewhere:8000\n", r"line 7: key 'url' given twice \(first on line 2\)"),
    # NUL in a path: one line, not os's ValueError.
    (GOOD.replace("dsn_dir: /var/lib/x/dsn", 'dsn_dir: "a\\0b"'),
     r"dsn_dir 'a\\x00b' contains a NUL"),
    (GOOD.replace("token_file: token", 'token_file: "t\\0"'), r"token_file .* contains a NUL"),
    # dsn_dir: / would render `Alias /dsn/ "/"` and be chmodded 0755.
    (GOOD.replace("dsn_dir: /var/lib/x/dsn", "dsn_dir: /"), r"dsn_dir / is a system directory"),
    (GOOD.replace("dsn_dir: /var/lib/x/dsn", "dsn_dir: /etc/"), r"dsn_dir /etc/ is a system dir"),
    (GOOD.replace("dsn_dir: /var/lib/x/dsn", "dsn_dir: /var/lib"), r"dsn_dir /var/lib is a system"),
    (GOOD.replace("dsn_dir: /var/lib/x/dsn", "dsn_dir: /srv/../usr"), r"is a system directory"),
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

"""Load and validate config.yaml into a frozen Config, every error naming the file and the key."""
import dataclasses
import os
import stat
from typing import Any, Optional, Tuple
from urllib.parse import urlsplit

import yaml

from sentry_puppet import yamlload
from sentry_puppet.fragments import FragmentError, merge_fragments
from sentry_puppet.redact import redact

TOKEN_ENV = "SENTRY_PUPPET_TOKEN"
BACKENDS = ("bugsink", "sentry")
DEFAULTS = {
    "token_file": "/etc/sentry_puppet/token",
    "organization": None,
    "definitions_dir": "/etc/sentry_puppet/projects.d",
    "dsn_dir": "/var/lib/sentry_puppet/dsn",
    "ca_file": None,
    "timeout": 10,
    "run_timeout": 900,
    "vhost": None,
    "puppetdb": None,
    "default_rules": True,
    "rate_limit": None,
}
PUPPETDB_KEYS = ("url", "environment", "ca_file", "cert_file", "key_file")
PUPPETDB_ENVIRONMENT = "production"
RATE_LIMIT_KEYS = ("count", "window")
MAX_RATE_WINDOW = 86400   # seconds: Sentry refuses a longer window (400)
REQUIRED = ("backend", "url", "team")
KEYS = REQUIRED + tuple(DEFAULTS)
# Seconds, (above, at most): a request (connect to last byte), and a whole run, which stays
# below the Puppet exec's timeout (1800 s) and leaves the sync timer its rhythm.
NUMBERS = {"timeout": (0, 600), "run_timeout": (0, 86400)}
# A DSN directory here would be chmodded 0755 and served whole as /dsn/ by Apache.
SYSTEM_DIRS = frozenset(("/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/opt",
                         "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr",
                         "/var", "/var/lib", "/var/log", "/var/cache", "/var/www",
                         "/var/tmp", "/usr/lib", "/usr/local", "/usr/share", "/etc/apache2",
                         "/etc/ssl", "/etc/puppet", "/etc/puppetlabs", "/etc/sentry_puppet"))


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file, the key and the fix."""


class TokenError(ConfigError):
    """The token is there but cannot be sent: `validate` counts it as a problem."""


@dataclasses.dataclass(frozen=True)
class PuppetDBSettings:
    """Where the definitions come from when the config has `puppetdb`: PuppetDB's query API,
    over HTTPS with a client certificate (by default the agent's own)."""
    url: str
    environment: str          # the tag the app servers' exports carry
    ca_file: str
    cert_file: str
    key_file: str


@dataclasses.dataclass(frozen=True)
class RateLimit:
    count: int                # events accepted ...
    window: int               # ... per this many seconds


@dataclasses.dataclass(frozen=True)
class ProjectSettings:
    """What a new project gets at creation; an existing project is never changed (an operator
    may have changed it by hand since)."""
    default_rules: bool = True            # Sentry's "Send a notification for new issues" rule
    rate_limit: Optional[RateLimit] = None   # on the new project's client key

    def describe(self):
        """For plan lines: only what differs from the server's own defaults."""
        parts = []
        if not self.default_rules:
            parts.append("no default alert rule")
        if self.rate_limit:
            parts.append("rate limit %d per %d s" % (self.rate_limit.count,
                                                     self.rate_limit.window))
        return ", ".join(parts)


@dataclasses.dataclass(frozen=True)
class Config:
    path: str
    backend: str
    url: str
    team: str
    token_file: str
    organization: Optional[str]
    definitions_dir: str
    dsn_dir: str
    ca_file: Optional[str]
    timeout: float
    vhost: Optional[Any]             # raw mapping: vhost.py validates it
    puppetdb: Optional[PuppetDBSettings] = None   # None: definitions_dir
    run_timeout: float = DEFAULTS["run_timeout"]   # seconds for a whole sync run
    settings: ProjectSettings = ProjectSettings()
    token: Optional[str] = dataclasses.field(default=None, repr=False)
    token_source: Optional[str] = None   # where the token was read, for messages
    warnings: Tuple[str, ...] = ()

    def with_token(self):
        """This config with its API token read (env SENTRY_PUPPET_TOKEN wins over token_file)."""
        if self.token:
            return self
        token, source, warning = read_token(self)
        warnings = self.warnings + ((warning,) if warning else ())
        return dataclasses.replace(self, token=token, token_source=source, warnings=warnings)


def load_config(path, need_token=True):
    raw = _read_yaml(path)
    try:
        raw = merge_fragments(path, raw, _read_yaml, KEYS)
    except FragmentError as exc:
        raise ConfigError(str(exc)) from None
    unknown = sorted(str(key) for key in raw if key not in KEYS)
    if unknown:
        raise ConfigError("%s: unknown key %r (known keys: %s); remove or correct it"
                          % (path, unknown[0], ", ".join(KEYS)))
    for key in REQUIRED:
        if raw.get(key) in (None, ""):
            raise ConfigError("%s: key %r is missing; it is required" % (path, key))
    values = dict(DEFAULTS, **raw)
    base = os.path.dirname(os.path.abspath(path))

    backend = _string(path, values, "backend")
    if backend not in BACKENDS:
        raise ConfigError("%s: backend %r is unknown; use one of: %s"
                          % (path, backend, ", ".join(BACKENDS)))
    url = _string(path, values, "url").rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("%s: url %r is not an http(s) URL like https://sentry.example.com"
                          % (path, redact(url)))
    if backend == "sentry" and not values["organization"]:
        raise ConfigError("%s: key 'organization' is missing; the sentry backend needs the "
                          "organization slug" % path)
    from sentry_puppet.names import team_slug_problem
    team = _string(path, values, "team")
    problem = team_slug_problem(team)
    if problem:
        raise ConfigError("%s: team %r %s" % (path, team, problem))
    numbers = {key: _seconds(path, values, key) for key in NUMBERS}
    ca_file = _path(path, base, values, "ca_file")
    if ca_file is not None and not os.path.isfile(ca_file):
        raise ConfigError("%s: ca_file %s does not exist; give the CA bundle that signed %s, "
                          "or null for the system store" % (path, ca_file, redact(url)))
    organization = values["organization"]
    if organization is not None:
        organization = _string(path, values, "organization")

    config = Config(
        path=path, backend=backend, url=url, team=team,
        token_file=_path(path, base, values, "token_file"),
        organization=organization,
        definitions_dir=_path(path, base, values, "definitions_dir"),
        dsn_dir=_path(path, base, values, "dsn_dir"),
        ca_file=ca_file, timeout=numbers["timeout"], vhost=values["vhost"],
        puppetdb=_puppetdb(path, base, values["puppetdb"]),
        run_timeout=numbers["run_timeout"],
        settings=ProjectSettings(_default_rules(path, values["default_rules"]),
                                 _rate_limit(path, values["rate_limit"])),
    )
    _check_dsn_dir(path, config.dsn_dir)
    return config.with_token() if need_token else config


def _seconds(path, values, key):
    above, most = NUMBERS[key]
    value = values[key]
    # Compared before float(): 1e400 as an int would overflow it; .nan fails every comparison.
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not above < value <= most:
        raise ConfigError("%s: %s %r must be a number of seconds above %d and at most %d "
                          "(default %s)" % (path, key, value, above, most, DEFAULTS[key]))
    return float(value)


def _check_dsn_dir(path, dsn_dir):
    normal = os.path.normpath(dsn_dir)
    if normal in SYSTEM_DIRS or os.path.dirname(normal) == "/":
        raise ConfigError("%s: dsn_dir %s is a system directory (or / itself): sync would make "
                          "it mode 0755 and Apache serve all of it as /dsn/; use a directory of "
                          "its own, like the default %s" % (path, dsn_dir, DEFAULTS["dsn_dir"]))


def _default_rules(path, value):
    if not isinstance(value, bool):
        raise ConfigError("%s: default_rules %r must be true or false (false: new projects get "
                          "no default alert rule)" % (path, value))
    return value


def _rate_limit(path, raw):
    if raw is None:
        return None
    example = "rate_limit: {count: 100, window: 60} (100 events per 60 s)"
    if not isinstance(raw, dict) or sorted(str(k) for k in raw) != sorted(RATE_LIMIT_KEYS):
        raise ConfigError("%s: rate_limit %r must be a mapping with exactly count and window, "
                          "like %s; or null for none" % (path, raw, example))
    for key, low, high in (("count", 1, None), ("window", 1, MAX_RATE_WINDOW)):
        value = raw[key]
        # bool is an int to Python, and YAML's .inf and .nan are floats: all refused here.
        if (isinstance(value, bool) or not isinstance(value, int) or value < low
                or (high is not None and value > high)):
            raise ConfigError("%s: rate_limit.%s %r must be a whole number %s, like %s"
                              % (path, key, value, "from %d to %d" % (low, high) if high
                                 else "of at least %d" % low, example))
    return RateLimit(count=raw["count"], window=raw["window"])


def _puppetdb(path, base, raw):
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ConfigError("%s: puppetdb must be a mapping (url: https://puppetdb.example.com:8081"
                          ", ...), not %r" % (path, raw))
    unknown = sorted(str(key) for key in raw if key not in PUPPETDB_KEYS)
    if unknown:
        raise ConfigError("%s: puppetdb: unknown key %r (known keys: %s); remove or correct it"
                          % (path, unknown[0], ", ".join(PUPPETDB_KEYS)))
    values = dict({"environment": PUPPETDB_ENVIRONMENT}, **raw)
    for key in PUPPETDB_KEYS:
        if values.get(key) is not None:
            values[key] = _string(path, values, key)
    url = (values.get("url") or "").rstrip("/")
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ConfigError("%s: puppetdb.url %r is not an https URL like "
                          "https://puppetdb.example.com:8081 (PuppetDB's TLS port; the tool "
                          "always verifies it)" % (path, redact(url)))
    agent = None
    if not all(values.get(key) for key in ("ca_file", "cert_file", "key_file")):
        from sentry_puppet.puppet_agent import SSLDIRS, tls_files
        agent = tls_files()
        if agent is None:
            raise ConfigError("%s: puppetdb: no Puppet agent ssldir here (%s) to take ca_file, "
                              "cert_file and key_file from; set them"
                              % (path, " or ".join(SSLDIRS)))
    files = {}
    for index, key in enumerate(("ca_file", "cert_file", "key_file")):
        given = values.get(key)
        files[key] = os.path.join(base, given) if given else agent[index]
        if not os.path.isfile(files[key]):
            raise ConfigError("%s: puppetdb.%s %s does not exist%s; set puppetdb.%s to the "
                              "Sentry host's Puppet %s"
                              % (path, key, files[key], "" if given else " (the agent's default)",
                                 key, {"ca_file": "CA (certs/ca.pem)",
                                       "cert_file": "certificate (certs/<certname>.pem)",
                                       "key_file": "private key (private_keys/<certname>.pem)",
                                       }[key]))
    return PuppetDBSettings(url=url, environment=values["environment"], **files)


def read_token(config):
    """-> (token, where it was read, warning or None). The token itself never enters a message."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        _check_token(token, "$" + TOKEN_ENV, config.path)
        return token, "$" + TOKEN_ENV, None
    path = config.token_file
    try:
        with open(path, encoding="utf-8") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            token = handle.read().strip()
    except FileNotFoundError:
        raise ConfigError("%s: token_file %s does not exist; put the API token there (mode 0600) "
                          "or set %s" % (config.path, path, TOKEN_ENV)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError("%s: token_file %s cannot be read (%s)"
                          % (config.path, path, _reason(exc))) from None
    if not token:
        raise ConfigError("%s: token_file %s is empty; put the API token there"
                          % (config.path, path))
    _check_token(token, "token_file %s" % path, config.path)
    warning = None
    if stat.S_IMODE(mode) & 0o044:
        warning = ("token_file %s is readable by group or others (mode %04o); "
                   "run: chmod 600 %s" % (path, stat.S_IMODE(mode), path))
    return token, path, warning


def _check_token(token, where, config_path):
    """A token goes into an HTTP header as it is: refuse what a header cannot carry (requests
    would fail with the token in its message) before anything is sent. Never quote it."""
    if "\n" in token or "\r" in token:
        why = "holds more than one line; the file must hold the token alone, on one line"
    else:
        bad = next((i for i, c in enumerate(token) if not "!" <= c <= "~"), None)
        if bad is None:
            return
        why = ("holds a character that an HTTP header cannot carry (a control character, a "
               "space or non-ASCII, at character %d); put the token there as it was issued"
               % (bad + 1))
    raise TokenError("%s: the API token in %s %s" % (config_path, where, why))


def _read_yaml(path):
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise ConfigError("%s: config file not found; create it (see docs/tool.md) or pass "
                          "--config / SENTRY_PUPPET_CONFIG" % path) from None
    except OSError as exc:
        raise ConfigError("%s: cannot read the config file (%s)" % (path, _reason(exc))) from None
    try:
        raw = yamlload.load(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError("%s: not a text file (not UTF-8)" % path) from None
    except yaml.YAMLError as exc:
        raise ConfigError("%s: not valid YAML (%s)" % (path, _yaml_reason(exc))) from None
    if not isinstance(raw, dict):
        raise ConfigError("%s: must be a YAML mapping of keys (backend, url, team, ...), "
                          "not %s" % (path, "an empty file" if raw is None else type(raw).__name__))
    return raw


def _string(path, values, key):
    value = values[key]
    if not isinstance(value, str) or not value.strip():
        raise ConfigError("%s: %s must be a non-empty string, not %r" % (path, key, value))
    if "\x00" in value:   # no path or name holds one; os calls fail on it with a traceback
        raise ConfigError("%s: %s %r contains a NUL character; remove it" % (path, key, value))
    return value.strip()


def _path(path, base, values, key):
    if values[key] is None:
        if DEFAULTS[key] is not None:   # null where a path is needed: not "no path"
            raise ConfigError("%s: %s must be a path, not null (default %s)"
                              % (path, key, DEFAULTS[key]))
        return None
    # Relative paths are taken from the config file's directory, not the caller's.
    return os.path.join(base, _string(path, values, key))


def _reason(exc):
    return exc.strerror or exc.__class__.__name__ if isinstance(exc, OSError) else str(exc)


def _yaml_reason(exc):
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    problem = " ".join(problem.split())   # PyYAML's reader errors span lines: one line here
    if mark is not None:
        return "line %d: %s" % (mark.line + 1, problem)
    return problem

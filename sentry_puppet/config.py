"""Load and validate config.yaml into a frozen Config, every error naming the file and the key."""
import dataclasses
import os
import stat
from typing import Any, Optional, Tuple
from urllib.parse import urlsplit

import yaml

from sentry_puppet.fragments import FragmentError, merge_fragments

TOKEN_ENV = "SENTRY_PUPPET_TOKEN"
BACKENDS = ("bugsink", "sentry")
DEFAULTS = {
    "token_file": "/etc/sentry_puppet/token",
    "organization": None,
    "definitions_dir": "/etc/sentry_puppet/projects.d",
    "dsn_dir": "/var/lib/sentry_puppet/dsn",
    "ca_file": None,
    "timeout": 10,
    "vhost": None,
}
REQUIRED = ("backend", "url", "team")
KEYS = REQUIRED + tuple(DEFAULTS)


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file, the key and the fix."""


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
    token: Optional[str] = dataclasses.field(default=None, repr=False)
    warnings: Tuple[str, ...] = ()

    def with_token(self):
        """This config with its API token read (env SENTRY_PUPPET_TOKEN wins over token_file)."""
        if self.token:
            return self
        token, warning = read_token(self)
        warnings = self.warnings + ((warning,) if warning else ())
        return dataclasses.replace(self, token=token, warnings=warnings)


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
                          % (path, url))
    if backend == "sentry" and not values["organization"]:
        raise ConfigError("%s: key 'organization' is missing; the sentry backend needs the "
                          "organization slug" % path)
    from sentry_puppet.names import team_slug_problem
    team = _string(path, values, "team")
    problem = team_slug_problem(team)
    if problem:
        raise ConfigError("%s: team %r %s" % (path, team, problem))
    timeout = values["timeout"]
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ConfigError("%s: timeout %r must be a number of seconds above 0" % (path, timeout))
    ca_file = _path(path, base, values, "ca_file")
    if ca_file is not None and not os.path.isfile(ca_file):
        raise ConfigError("%s: ca_file %s does not exist; give the CA bundle that signed %s, "
                          "or null for the system store" % (path, ca_file, url))
    organization = values["organization"]
    if organization is not None:
        organization = _string(path, values, "organization")

    config = Config(
        path=path, backend=backend, url=url, team=team,
        token_file=_path(path, base, values, "token_file"),
        organization=organization,
        definitions_dir=_path(path, base, values, "definitions_dir"),
        dsn_dir=_path(path, base, values, "dsn_dir"),
        ca_file=ca_file, timeout=float(timeout), vhost=values["vhost"],
    )
    return config.with_token() if need_token else config


def read_token(config):
    """-> (token, warning or None). The token itself never enters a message."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        return token, None
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
    warning = None
    if stat.S_IMODE(mode) & 0o044:
        warning = ("token_file %s is readable by group or others (mode %04o); "
                   "run: chmod 600 %s" % (path, stat.S_IMODE(mode), path))
    return token, warning


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
        raw = yaml.safe_load(data.decode("utf-8"))
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
    return value.strip()


def _path(path, base, values, key):
    if values[key] is None:
        return None
    # Relative paths are taken from the config file's directory, not the caller's.
    return os.path.join(base, _string(path, values, key))


def _reason(exc):
    return exc.strerror or exc.__class__.__name__ if isinstance(exc, OSError) else str(exc)


def _yaml_reason(exc):
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is not None:
        return "line %d: %s" % (mark.line + 1, problem)
    return problem

"""render-vhost: the config's `vhost` mapping -> the Apache site file, written only when it changes.

Every value is checked here before it reaches the template: Apache's configuration has no
escaping worth trusting, so a newline, a quote or a `<` in a server name or path could add
directives (or a whole <Location>) to a file that guards the DSNs.
"""
import dataclasses
import difflib
import os
import re
from urllib.parse import urlsplit

import jinja2

from sentry_puppet.config import ConfigError
from sentry_puppet.fsutil import atomic_write

TEMPLATE = "vhost.conf.j2"
# Characters that could end a quoted argument, a line or a section, or start a variable.
UNSAFE = re.compile(r'[\x00-\x1f\x7f"\'<>\\`$%{}\s]')
HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)"
                      r"(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$")
REQUIRED = ("path", "server_name", "ssl_certificate", "ssl_certificate_key", "client_ca_file")
OPTIONAL = {"listen": 443, "http_port": 80, "client_crl_file": None, "wsgi": None,
            "proxy": None}
WSGI_REQUIRED = ("python_home", "script")
WSGI_OPTIONAL = {"python_path": None, "processes": 2, "threads": 15, "static_dir": None}


class VhostError(ConfigError):
    """The `vhost` settings cannot be rendered; the message names the file and the key."""


@dataclasses.dataclass
class RenderResult:
    path: str
    changed: bool       # the file differs (or would differ, with dry_run) from the rendering
    written: bool
    diff: str           # unified diff old -> new ('' when unchanged)
    warnings: tuple = ()


def warnings(config, settings):
    """What the rendered site allows that an operator should hear about."""
    if settings["client_crl_file"] is None:
        # /dsn/ is always served: without a CRL a retired agent's certificate reads every DSN.
        return ("%s: vhost.client_crl_file is not set: /dsn/ checks no revocation list, so the "
                "certificate of a retired (revoked) Puppet agent still reads every DSN; set it "
                "to the Puppet CA's CRL (sentry::bugsink fills it in)" % config.path,)
    return ()


def render(config):
    """The vhost file's text for `config`; raises VhostError naming the bad key."""
    return _render(check_settings(config))


def _render(settings):
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("sentry_puppet", "templates"),
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
        trim_blocks=True, lstrip_blocks=True, autoescape=False)
    return env.get_template(TEMPLATE).render(**settings)


def render_vhost(config, dry_run=False):
    """Render and write `vhost.path` (atomically, 0644) when its content changes."""
    settings = check_settings(config)
    text = _render(settings)
    path = settings["path"]
    try:
        with open(path, encoding="utf-8") as handle:
            old = handle.read()
    except FileNotFoundError:
        old = None
    except (OSError, UnicodeDecodeError) as exc:
        raise VhostError("%s: vhost.path %s cannot be read (%s)"
                         % (config.path, path, getattr(exc, "strerror", None) or exc)) from None
    said = warnings(config, settings)
    if old == text:
        return RenderResult(path, changed=False, written=False, diff="", warnings=said)
    diff = "".join(difflib.unified_diff(
        (old or "").splitlines(True), text.splitlines(True),
        fromfile=path if old is not None else "/dev/null", tofile=path))
    if not dry_run:
        if not os.path.isdir(os.path.dirname(path)):
            raise VhostError("%s: vhost.path %s: directory %s does not exist; create it (is "
                             "Apache installed?) or correct vhost.path"
                             % (config.path, path, os.path.dirname(path)))
        _check_files_exist(config.path, settings)
        atomic_write(path, text, mode=0o644)
    return RenderResult(path, changed=True, written=not dry_run, diff=diff, warnings=said)


def _check_files_exist(config_path, settings):
    # A site naming a missing certificate stops Apache, with every other site, at its next
    # reload: refuse to write it rather than let that happen.
    wanted = [("vhost.ssl_certificate", settings["ssl_certificate"]),
              ("vhost.ssl_certificate_key", settings["ssl_certificate_key"]),
              ("vhost.client_ca_file", settings["client_ca_file"]),
              ("vhost.client_crl_file", settings["client_crl_file"])]
    if settings["wsgi"]:
        wanted += [("vhost.wsgi.python_home", settings["wsgi"]["python_home"]),
                   ("vhost.wsgi.script", settings["wsgi"]["script"])]
    for key, path in wanted:
        if path is not None and not os.path.exists(path):
            raise VhostError("%s: %s %s does not exist; Apache would not start with this site. "
                             "Put the file in place first (or correct %s); nothing was written"
                             % (config_path, key, path, key))


def check_settings(config):
    """Config.vhost (a raw mapping) -> the template's variables, every value checked."""
    checker = _Checker(config.path)
    raw = config.vhost
    if raw is None:
        raise VhostError("%s: key 'vhost' is missing; render-vhost needs it (see docs/vhost.md)"
                         % config.path)
    values = checker.mapping("vhost", raw, REQUIRED, OPTIONAL)
    base = os.path.dirname(os.path.abspath(config.path))
    out = {
        "path": checker.path("vhost.path", values["path"], base),
        "server_name": checker.server_name("vhost.server_name", values["server_name"]),
        "listen": checker.port("vhost.listen", values["listen"]),
        "http_port": (None if values["http_port"] is None
                      else checker.port("vhost.http_port", values["http_port"])),
        "ssl_certificate": checker.path("vhost.ssl_certificate", values["ssl_certificate"], base),
        "ssl_certificate_key": checker.path("vhost.ssl_certificate_key",
                                            values["ssl_certificate_key"], base),
        "client_ca_file": checker.path("vhost.client_ca_file", values["client_ca_file"], base),
        "client_crl_file": (None if values["client_crl_file"] is None else checker.path(
            "vhost.client_crl_file", values["client_crl_file"], base)),
        "dsn_dir": checker.path("dsn_dir", config.dsn_dir, base).rstrip("/"),
        "wsgi": None,
        "proxy": None,
    }
    if (values["wsgi"] is None) == (values["proxy"] is None):
        raise VhostError("%s: vhost: give exactly one of vhost.wsgi (serve Bugsink/GlitchTip "
                         "in Apache) and vhost.proxy (forward to a server's URL)" % config.path)
    if values["wsgi"] is not None:
        wsgi = checker.mapping("vhost.wsgi", values["wsgi"], WSGI_REQUIRED, WSGI_OPTIONAL)
        out["wsgi"] = {
            "python_home": checker.path("vhost.wsgi.python_home", wsgi["python_home"], base),
            "script": checker.path("vhost.wsgi.script", wsgi["script"], base),
            "python_path": (None if wsgi["python_path"] is None else checker.path(
                "vhost.wsgi.python_path", wsgi["python_path"], base)),
            "processes": checker.count("vhost.wsgi.processes", wsgi["processes"]),
            "threads": checker.count("vhost.wsgi.threads", wsgi["threads"]),
            "static_dir": (None if wsgi["static_dir"] is None else checker.path(
                "vhost.wsgi.static_dir", wsgi["static_dir"], base).rstrip("/")),
        }
        out["wsgi"]["script_dir"], out["wsgi"]["script_name"] = os.path.split(
            out["wsgi"]["script"])
    else:
        out["proxy"] = checker.url("vhost.proxy", values["proxy"])
    return out


class _Checker:
    def __init__(self, config_path):
        self.config_path = config_path

    def fail(self, key, value, why):
        raise VhostError("%s: %s %r %s" % (self.config_path, key, value, why))

    def mapping(self, key, raw, required, optional):
        if not isinstance(raw, dict):
            self.fail(key, raw, "must be a mapping of keys (%s)"
                      % ", ".join(tuple(required) + tuple(optional)))
        known = tuple(required) + tuple(optional)
        for name in raw:
            if name not in known:
                raise VhostError("%s: unknown key %s.%s (known: %s); remove or correct it"
                                 % (self.config_path, key, name, ", ".join(known)))
        for name in required:
            if raw.get(name) in (None, ""):
                raise VhostError("%s: key %s.%s is missing; it is required"
                                 % (self.config_path, key, name))
        return dict(optional, **raw)

    def text(self, key, value):
        if not isinstance(value, str) or not value:
            self.fail(key, value, "must be a non-empty string")
        bad = UNSAFE.search(value)
        if bad:
            self.fail(key, value, "contains %r, which Apache's configuration cannot hold "
                      "safely (no spaces, quotes, newlines, <, >, $, %%, backslashes)"
                      % bad.group())
        return value

    def path(self, key, value, base):
        value = self.text(key, value)
        return os.path.normpath(os.path.join(base, value))

    def server_name(self, key, value):
        value = self.text(key, value)
        if not HOSTNAME.match(value):  # (an IPv4 address matches too)
            self.fail(key, value, "is not a host name like sentry.example.com")
        return value

    def port(self, key, value):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
            self.fail(key, value, "must be a port number (1-65535)")
        return value

    def count(self, key, value):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 1000:
            self.fail(key, value, "must be a whole number from 1 to 1000")
        return value

    def url(self, key, value):
        value = self.text(key, value)
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
                or parts.fragment:
            self.fail(key, value, "is not a base URL like http://127.0.0.1:9000")
        return value.rstrip("/") + "/"


def describe(result, dry_run):
    """One line for the operator."""
    if not result.changed:
        return "%s is up to date." % result.path
    if dry_run:
        return "%s would change. Nothing was changed (--dry-run)." % result.path
    return "%s written; reload Apache to use it." % result.path


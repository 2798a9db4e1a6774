#!/bin/sh
# Facter starts a fact through its #! line, and `python3` is not on every host: a minimal
# RHEL 8 has only /usr/libexec/platform-python (a 3.6). So sh starts the first one found. To
# Python the sh part below is a string; sh reads no further than its exec or exit.
''':'
if command -v python3 >/dev/null 2>&1; then exec python3 "$0" "$@"; fi
if [ -x /usr/libexec/platform-python ]; then exec /usr/libexec/platform-python "$0" "$@"; fi
why="no python3 in PATH=$PATH and no /usr/libexec/platform-python"
echo "sentry_apps: no app facts this run: $why; install python3" >&2
exit 0
'''
"""Facter external fact: the apps deployed on this host, their language and their DSN.

Prints one JSON document that Facter 4 reads as facts:
  deployed_apps   "Foo-Bar,billing"          sorted app names, comma-separated
  <key>_lang      "ruby"                     Sentry platform id; key = foo_bar for Foo-Bar
  <key>_dsn       "https://...@sentry/7"     only when a DSN is known
  sentry_apps     {"Foo-Bar": {"lang", "path", "key", "lang_from", "dsn"?}}

It runs on every Puppet run, before any catalog, with whatever Python 3 the host has: standard
library only, Python 3.6+, and it never breaks a run. Whatever happens it exits 0 with the
facts it could determine; each problem is one line on stderr naming the app and the cause.
Configuration: /etc/sentry_puppet/facts.conf, or $SENTRY_PUPPET_FACTS_CONFIG (see docs/facts.md).
`--explain` (or SENTRY_PUPPET_FACTS_EXPLAIN=1) tells on stderr how each app was decided.
"""
import errno
import os
import stat
import sys
import time

# A warm run (every DSN cached) costs little more than starting Python, so it imports neither
# json, re nor configparser (together they cost about as much again as the interpreter's
# start): the config, the cache files and the output use the small readers and writer below.

CONFIG_PATH = "/etc/sentry_puppet/facts.conf"
DEFAULTS = {
    "roots": ["/srv/apps", "/var/www"],
    "ignore": ["html", "lost+found"],
    "url": None,
    "ca_file": None,
    "cert_file": None,
    "key_file": None,
    "cache_dir": "/var/cache/sentry_puppet",
    "ttl": 86400,           # seconds before a cached DSN is asked for again
    "negative_ttl": 900,    # seconds a 404 ("no project yet") is believed
    "timeout": 3,           # seconds per request
    "budget": 10,           # seconds for all fetches together; Facter would wait 300
    "jobs": 8,              # fetches in flight at once
}
# Puppet's SSL directories: Puppet's own packages, then Debian's.
SSLDIRS = ["/etc/puppetlabs/puppet/ssl", "/var/lib/puppet/ssl"]
PUPPET_CONFS = ["/etc/puppetlabs/puppet/puppet.conf", "/etc/puppet/puppet.conf"]

# Language markers, first row first: a project's own manifest beats build output, which beats
# conventions, which beat package.json (Rails, Django, Laravel, Phoenix and .NET apps carry one
# for their browser assets). `*.x` is a suffix and `x*` a prefix; `dir/x` is looked for in that
# subdirectory, listed only when it exists and nothing above it matched. docs/facts.md has the
# table with the real layouts behind each row.
LANGUAGE_MARKERS = [
    # project manifests: a checkout, or a deployment that keeps them
    ("elixir", "mix.exs"),
    ("ruby", "Gemfile gems.rb"),
    ("php", "composer.json artisan wp-config.php"),
    ("python", "manage.py pyproject.toml setup.py setup.cfg Pipfile"),
    ("java", "pom.xml build.gradle build.gradle.kts settings.gradle settings.gradle.kts "
             "build.sbt"),
    ("dotnet", "*.slnx *.sln *.csproj *.fsproj *.vbproj global.json Directory.Build.props "
               "Directory.Packages.props"),
    ("go", "go.mod go.work"),
    ("rust", "Cargo.toml"),
    ("dart", "pubspec.yaml"),
    ("node", "next.config.* nuxt.config.*"),
    # build output: what a deployment unpacks when it ships no manifest
    ("java", "WEB-INF BOOT-INF *.war *.jar"),
    ("dotnet", "*.runtimeconfig.json *.deps.json"),
    ("elixir", "erts-*"),
    ("node", ".next nitro.json"),
    ("python", "pyvenv.cfg"),
    # conventions
    ("ruby", "config.ru"),
    ("php", "index.php *.php"),
    ("python", "requirements.txt wsgi.py asgi.py venv .venv *.py"),
    ("dotnet", "*.dll web.config appsettings.json"),
    # in a subdirectory: a built Java service (bin/ + lib/*.jar), an Elixir release without
    # ERTS, a Node build
    ("java", "lib/*.jar"),
    ("elixir", "releases/start_erl.data"),
    ("node", "dist/server.js dist/main.js"),
    # last: the asset pipeline's files
    ("node", "package.json node_modules"),
]
# Workspace files gather projects (Gradle's settings, a .NET solution and its directory-wide
# settings, a Go workspace) and do not tell what this directory deploys; another language's
# manifest beside the lock file its tool wrote does. So a workspace file counts only while no
# other language's manifest sits here with its lock: a Dart pub workspace (pubspec.yaml,
# pubspec.lock) holding a go.work is Dart. package.json has no entry: every asset pipeline
# carries one with its lock (why it ranks last).
WORKSPACE_MARKERS = frozenset("settings.gradle settings.gradle.kts *.slnx *.sln global.json "
                              "Directory.Build.props Directory.Packages.props go.work".split())
LOCK_FILES = {  # manifest -> the lock files its tools write beside it
    "mix.exs": "mix.lock",
    "Gemfile": "Gemfile.lock",
    "gems.rb": "gems.locked",
    "composer.json": "composer.lock",
    "pyproject.toml": "uv.lock poetry.lock pdm.lock",
    "Pipfile": "Pipfile.lock",
    "build.gradle": "gradle.lockfile",
    "build.gradle.kts": "gradle.lockfile",
    "*.csproj": "packages.lock.json",
    "*.fsproj": "packages.lock.json",
    "*.vbproj": "packages.lock.json",
    "go.mod": "go.sum",
    "Cargo.toml": "Cargo.lock",
    "pubspec.yaml": "pubspec.lock",
}
ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
HOST_CHARS = ALNUM | frozenset(".-")
PATH_CHARS = ALNUM | frozenset("._~-/")


def warn(message):
    say("sentry_apps: %s\n" % message)


def say(text):
    """To stderr in UTF-8, whatever the locale: Facter runs facts under LC_ALL=C, where Python
    3.6 (no PEP 538 locale coercion) would write ASCII escapes."""
    stream = getattr(sys.stderr, "buffer", None)
    if stream is None:
        sys.stderr.write(text)
        return
    sys.stderr.flush()
    stream.write(text.encode("utf-8", "backslashreplace"))
    stream.flush()


# File names are UTF-8 to the OS. Python 3.7+ (PEP 538/540) and UTF-8 locales decode them so;
# Python 3.6 under Facter's LC_ALL=C decodes them as ASCII, and `café` would come out as
# `caf\\udcc3\\udca9`: another name, another fact key. There the fact hands the OS bytes itself.
NATIVE_UTF8 = sys.getfilesystemencoding() in ("utf-8", "utf8")


def os_path(text):
    """A path as the OS takes it."""
    return text if NATIVE_UTF8 else text.encode("utf-8", "surrogateescape")


def from_os(name):
    """A file name from the OS as text, undecodable bytes kept as surrogates."""
    return name if NATIVE_UTF8 else name.decode("utf-8", "surrogateescape")


def listdir(path):
    names = os.listdir(os_path(path))
    return names if NATIVE_UTF8 else [from_os(name) for name in names]


# -- app-name rules: a copy of sentry_puppet/names.py, which the Sentry host applies to what
# this fact exports (tests/unit/test_names.py keeps the two equal) ---------------------------

SLUG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")
KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
# C0 and C1 controls and DEL; the Unicode line and paragraph separators (str.splitlines and
# YAML break lines there); the bidirectional embeddings, overrides and isolates, which make a
# name read as another (U+202A-U+202E, U+2066-U+2069).
CONTROL_CHARS = (frozenset(chr(code) for code in range(0x20))
                 | frozenset(chr(code) for code in range(0x7F, 0xA0))
                 | frozenset("\u2028\u2029\u202a\u202b\u202c\u202d\u202e"
                             "\u2066\u2067\u2068\u2069"))
MAX_SLUG = 50  # Sentry's limit for a project slug

# The fact runs these for every app on every Puppet run: most names need no replacing, and set
# operations run in C.


def slugify(name):
    """The project slug: lowercased, every character outside [a-z0-9_-] replaced by `-`."""
    lowered = name.lower()
    if SLUG_CHARS.issuperset(lowered):
        return lowered
    return "".join(c if c in SLUG_CHARS else "-" for c in lowered)


def fact_key(name):
    """The name in fact names (<key>_lang) and Puppet variables: lowercased, every character
    outside [a-z0-9_] replaced by `_`."""
    lowered = name.lower()
    if KEY_CHARS.issuperset(lowered):
        return lowered
    return "".join(c if c in KEY_CHARS else "_" for c in lowered)


def name_problem(name):
    """Why this app name cannot be a project, a DSN file and a fact, or None."""
    if not name.strip():
        return "is empty"
    if not CONTROL_CHARS.isdisjoint(name):
        return ("contains a control character (newline, tab, ...), a line separator or a "
                "bidirectional override (U+202A-U+202E, U+2066-U+2069)")
    if "/" in name or "\\" in name:
        return "contains a path separator"
    if name.startswith("."):
        # `.`/`..` are path tricks; hidden directories are never apps for the facts either.
        return "starts with a dot"
    if "," in name:
        return "contains a comma, which separates the names in the deployed_apps fact"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # a file name that is not UTF-8: Facter and YAML cannot carry it
        return "is not valid UTF-8"
    slug = slugify(name)
    if not slug.strip("_-"):
        return "has no ASCII letter or digit, so its slug %r says nothing" % slug
    if slug.isdigit():
        return "gives the slug %r: digits only, which Sentry refuses" % slug
    if len(slug) > MAX_SLUG:
        return "gives a slug of %d characters; Sentry allows %d" % (len(slug), MAX_SLUG)
    return None


# -- small readers and writers ------------------------------------------------------------------

def is_dsn(text):
    """scheme://key[:secret]@host[:port][/path]/project-id, as Sentry, GlitchTip and Bugsink
    build them."""
    scheme, sep, rest = text.partition("://")
    if scheme not in ("http", "https") or not sep:
        return False
    userinfo, sep, location = rest.partition("@")
    if not sep or not all(part and set(part) <= ALNUM for part in userinfo.split(":", 1)):
        return False
    hostport, sep, path = location.partition("/")
    host, _, port = hostport.partition(":")
    if not host or not set(host) <= HOST_CHARS or (":" in hostport and not port.isdigit()):
        return False
    project = path.rsplit("/", 1)[-1]
    # PATH_CHARS is ASCII: no other script's digits pass isdigit() here.
    return bool(sep and project.isdigit() and set(path) <= PATH_CHARS)


def read_ini(path):
    """-> {section: {key: value}} of an INI file as DESIGN.md shows it (`;`/`#` comments, also
    after a value). Raises ValueError naming the line that is neither."""
    sections, current = {}, None
    with open(os_path(path), encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            text = line.split(" ;", 1)[0].split("\t;", 1)[0].strip()
            if not text or text[0] in ";#":
                continue
            if text.startswith("[") and text.endswith("]"):
                current = sections.setdefault(text[1:-1].strip(), {})
            elif current is not None and ("=" in text or ":" in text):
                sep = "=" if "=" in text else ":"
                key, _, value = text.partition(sep)
                current[key.strip().lower()] = value.strip()
            else:
                raise ValueError("line %d is neither [section] nor key = value: %r"
                                 % (number, line.strip()[:60]))
    return sections


JSON_ESCAPES = dict([(code, "\\u%04x" % code) for code in range(0x20)]
                    + [(ord('"'), '\\"'), (ord("\\"), "\\\\"), (0x7F, "\\u007f")])


def to_json(value):
    """JSON text of str, bool, None, number, list and dict, ASCII only (Facter reads it under
    LC_ALL=C)."""
    if isinstance(value, str):
        try:
            value.encode("ascii")
        except UnicodeEncodeError:
            return '"' + "".join(_json_char(char) for char in value) + '"'
        return '"' + value.translate(JSON_ESCAPES) + '"'
    if value is True or value is False or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dict):
        return "{" + ", ".join([to_json(str(k)) + ": " + to_json(value[k])
                                for k in sorted(value)]) + "}"
    return "[" + ", ".join(to_json(item) for item in value) + "]"


def _json_char(char):
    code = ord(char)
    if code < 0x80:
        return char.translate(JSON_ESCAPES)
    if code > 0xFFFF:
        code -= 0x10000
        return "\\u%04x\\u%04x" % (0xD800 | code >> 10, 0xDC00 | code & 0x3FF)
    return "\\u%04x" % code


# -- configuration ---------------------------------------------------------------------------

def load_config(path):
    settings = dict(DEFAULTS)
    settings["apps"] = {}
    if not os.path.exists(os_path(path)):
        return settings
    try:
        parser = read_ini(path)
    except (OSError, ValueError) as exc:
        warn("%s: unreadable, using the defaults (%s)" % (path, _one_line(exc)))
        return settings
    for key in ("roots", "ignore"):
        if key in parser.get("apps", {}) and usable_text(path, "apps", key, parser["apps"][key]):
            settings[key] = parser["apps"][key].split()
    if "dsn" in parser:
        dsn = parser["dsn"]
        for key in ("url", "ca_file", "cert_file", "key_file", "cache_dir"):
            if dsn.get(key) and usable_text(path, "dsn", key, dsn[key]):
                settings[key] = dsn.get(key).strip()
        for key in LIMITS:
            if key in dsn:
                settings[key] = checked_number(path, key, dsn[key])
    if settings["url"] and not settings["url"].endswith("/"):
        settings["url"] += "/"
    for section in parser:
        if section.startswith("app:"):
            options = parser[section]
            settings["apps"][section[4:].strip()] = {
                "lang": (options.get("lang") or "").strip().lower() or None,
                "ignore": options.get("ignore", "false").strip().lower() in
                ("true", "yes", "1", "on"),
            }
    return settings


# Each number's range: (smallest, largest). Past a day a timeout or budget is no deadline
# (Facter itself gives up after 300 s); a ttl past ten years never re-checks; `inf`, `nan` and
# `1e400` (a float's infinity) would make every later sum, comparison or int() misbehave.
LIMITS = {
    "ttl": (1, 10 * 365 * 86400),
    "negative_ttl": (1, 10 * 365 * 86400),
    "timeout": (0.1, 86400),
    "budget": (0.1, 86400),
    "jobs": (1, 64),
}


def checked_number(path, key, text):
    """[dsn] <key> as a finite number in its LIMITS, else the default with a line on stderr."""
    low, high = LIMITS[key]
    try:
        value = float(text)
    except ValueError:
        value = None
    # `low <= value <= high` is False for nan too.
    if value is None or not low <= value <= high:
        warn("%s: [dsn] %s = %r is not a number from %s to %s; using the default %s"
             % (path, key, text, plain(low), plain(high), DEFAULTS[key]))
        return DEFAULTS[key]
    return int(value) if key == "jobs" else value


def usable_text(path, section, key, value):
    """A NUL cannot be in a path or URL (the OS refuses it with ValueError, not OSError)."""
    if "\x00" in value:
        warn("%s: [%s] %s holds a NUL character; using the default" % (path, section, key))
        return False
    return True


def plain(number):
    """315360000, not 3.1536e+08."""
    return ("%f" % number).rstrip("0").rstrip(".")


def _one_line(exc):
    return " ".join(str(exc).split()) or exc.__class__.__name__


# -- discovery and language --------------------------------------------------------------------

def discover(settings):
    """-> ([(name, path)] in a stable order: roots in their order, names sorted in each;
    [(name, path, why)] of the directories left out)."""
    found, left_out = {}, []
    ignore = set(settings["ignore"])
    overrides = settings["apps"]
    for root in settings["roots"]:
        try:
            with os.scandir(os_path(root)) as listing:  # its entries know their type: no stat
                entries = sorted((from_os(entry.name), entry) for entry in listing)
        except FileNotFoundError:
            continue
        except OSError as exc:
            warn("app root %s: cannot be read (%s)" % (root, exc.strerror or exc))
            continue
        for name, entry in entries:
            path = os.path.join(root, name)
            if not _is_dir(entry):
                continue
            why = None
            if name.startswith("."):
                # .git, .well-known: never apps, and no warning on every run
                why = "a hidden directory (its name starts with a dot)"
            elif name in ignore:
                why = "named in [apps] ignore"
            elif overrides.get(name, {}).get("ignore"):
                why = "[app:%s] ignore = true" % name
            else:
                problem = name_problem(name)
                if problem:
                    why = "its name %s; the Sentry host would refuse it" % problem
                    warn("app %r in %s: left out: %s (rename the directory, or list it in "
                         "[apps] ignore)" % (name, root, why))
                elif name in found:
                    why = "also found in %s, which comes first" % found[name]
                    warn("app %r: found in %s and in %s; using %s"
                         % (name, found[name], path, found[name]))
            if why:
                left_out.append((name, path, why))
            else:
                found[name] = path
    apps, keys = [], {}
    for name in sorted(found):
        key = fact_key(name)
        if key in keys:
            warn("app %r: its fact name %s_lang is taken by app %r; left out"
                 % (name, key, keys[key]))
            left_out.append((name, found[name], "its fact name %s_lang is taken by app %r"
                             % (key, keys[key])))
            continue
        keys[key] = name
        apps.append((name, found[name]))
    return apps, left_out


def _is_dir(entry):
    try:
        return entry.is_dir()  # follows a symlinked app directory
    except OSError:
        return False


def _marker_index():
    """LANGUAGE_MARKERS as lookup tables, each marker with its rank (lower wins) ->
    (exact {name: (rank, lang)}, by_extension {".json": [(".deps.json", rank, lang), ...]},
     prefixes [(prefix, rank, lang)], nested [(rank, lang, directory, marker)],
     the first rank a pattern holds: an exact hit above it needs no look at each name,
     workspaces {rank: lang} of the WORKSPACE_MARKERS)."""
    exact, by_extension, prefixes, nested, workspaces = {}, {}, [], [], {}
    rank, first_pattern = 0, None
    for lang, markers in LANGUAGE_MARKERS:
        for marker in markers.split():
            rank += 1
            if marker in WORKSPACE_MARKERS:
                workspaces[rank] = lang
            if "/" in marker:
                nested.append((rank, lang) + tuple(marker.split("/", 1)))
                continue
            if marker.startswith("*"):
                extension = marker[marker.rindex("."):]
                by_extension.setdefault(extension, []).append((marker[1:], rank, lang))
            elif marker.endswith("*"):
                prefixes.append((marker[:-1], rank, lang))
            else:
                exact.setdefault(marker, (rank, lang))
                continue
            first_pattern = first_pattern or rank
    return exact, by_extension, prefixes, nested, first_pattern, workspaces


MARKERS = _marker_index()
PREFIXES = tuple(prefix for prefix, _, _ in MARKERS[2])
LOCKED_MANIFESTS = [(manifest, frozenset(LOCK_FILES[manifest].split()), lang)
                    for lang, markers in LANGUAGE_MARKERS for manifest in markers.split()
                    if manifest in LOCK_FILES]


def best_marker(names):
    """-> (rank, name, lang) of the listing's best marker, or None. A workspace file that
    another language's manifest and lock file outweigh is passed over (WORKSPACE_MARKERS)."""
    best = _best_marker(names)
    workspaces = MARKERS[5]
    if best is None or best[0] not in workspaces:
        return best
    locked = locked_languages(names)
    if not locked - {best[2]}:
        return best
    # Rare: look again without the workspace files of every language but the locked one.
    return _best_marker(names, skip={rank for rank, lang in workspaces.items()
                                     if locked - {lang}})


def _best_marker(names, skip=()):
    """Exact names by a set intersection; the patterns, one dict lookup per name, only when an
    exact hit does not already beat them all (a Gemfile, a pom.xml): this runs for every app on
    every Puppet run. Markers whose rank is in `skip` do not count."""
    exact, by_extension, prefixes, _, first_pattern, _ = MARKERS
    best = min(((exact[name][0], name, exact[name][1]) for name in exact.keys() & set(names)
                if exact[name][0] not in skip), default=None)
    if best is not None and best[0] < first_pattern:
        return best
    for name in names:
        dot = name.rfind(".")
        for suffix, rank, lang in (by_extension.get(name[dot:], ()) if dot > 0 else ()):
            if (name.endswith(suffix) and (best is None or (rank, name) < best[:2])
                    and rank not in skip):
                best = (rank, name, lang)
        if name.startswith(PREFIXES):
            for prefix, rank, lang in prefixes:
                if (name.startswith(prefix) and (best is None or (rank, name) < best[:2])
                        and rank not in skip):
                    best = (rank, name, lang)
    return best


def locked_languages(names):
    """The languages whose manifest lies in this listing beside one of its lock files."""
    present = set(names)
    return {lang for manifest, locks, lang in LOCKED_MANIFESTS
            if not present.isdisjoint(locks)
            and (any(name.endswith(manifest[1:]) for name in names) if manifest[0] == "*"
                 else manifest in present)}


def detect_language(path):
    """-> (platform, the file that decided it). Reads the app's directory listing, a second
    one for Capistrano's current/, and a subdirectory's only when a `dir/x` row must decide."""
    try:
        names = listdir(path)
    except OSError as exc:
        return "other", "(unreadable: %s)" % (exc.strerror or exc)
    if "current" in names:  # Capistrano: current -> releases/<timestamp>
        try:
            names = listdir(os.path.join(path, "current"))
            path = os.path.join(path, "current")
        except OSError:
            pass
    best = best_marker(names)
    present = set(names)
    for rank, lang, directory, marker in MARKERS[3]:  # nested, in rank order
        if best is not None and best[0] < rank:
            break
        if directory not in present:
            continue
        try:
            inside = listdir(os.path.join(path, directory))
        except OSError:
            continue
        hits = sorted(name for name in inside
                      if (name.endswith(marker[1:]) if marker[0] == "*" else name == marker))
        if hits:
            return lang, os.path.join(path, directory, hits[0])
    if best is None:
        return "other", None
    return best[2], os.path.join(path, best[1])


# -- the DSN cache ----------------------------------------------------------------------------

def cache_file(settings, name):
    return os.path.join(settings["cache_dir"], name)


CACHE_MAX = 65536  # a cache file is three short lines


def read_cache(settings, name, now):
    """-> {"dsn", "status", "checked"} or {} when missing, unreadable or corrupt.
    The file holds `checked=<epoch>`, `status=<HTTP status>` and `dsn=<DSN or nothing>` lines.
    Opened without following a link and without waiting on a FIFO, and believed only when this
    user wrote it: a cache_dir others can write may hold a link, a FIFO or a forged DSN. An
    entry dated after `now` (a clock once set ahead, a forged file) is stale: believed, it
    would never be checked again."""
    path = cache_file(settings, name)
    try:
        fd = os.open(os_path(path), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise ValueError("not a regular file")
            if info.st_uid != os.geteuid():
                raise ValueError("owned by uid %d, not by this fact's user (uid %d)"
                                 % (info.st_uid, os.geteuid()))
            text = handle.read(CACHE_MAX + 1).decode("utf-8")
        if len(text) > CACHE_MAX:
            raise ValueError("over %d bytes" % CACHE_MAX)
        fields = dict(line.partition("=")[::2] for line in text.splitlines())
        entry = {"checked": float(fields["checked"]), "status": int(fields["status"]),
                 "dsn": fields["dsn"] or None}
        if entry["dsn"] is not None and not is_dsn(entry["dsn"]):
            raise ValueError("holds no DSN")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        why = ("a symbolic link, not followed" if exc.errno == errno.ELOOP
               else exc.strerror or str(exc))
        warn("app %r: cache file %s ignored (%s)" % (name, path, why))
        return {}
    except (ValueError, KeyError) as exc:
        warn("app %r: cache file %s ignored (%s)" % (name, path, _one_line(exc)))
        return {}
    # `0 <= checked <= now` is False for nan and inf too.
    if not 0 <= entry["checked"] <= now:
        warn("app %r: cache file %s is dated in the future or not at all (checked=%s); "
             "checking it again" % (name, path, fields["checked"][:40]))
        entry["checked"], entry["future"] = 0.0, True
    return entry


def write_cache(settings, name, entry):
    """A new file beside the old one, then a rename. O_EXCL|O_NOFOLLOW: a link or file planted
    under the temporary name (a cache_dir others can write) is never written through; its name
    is random, so none can be planted in advance."""
    directory = settings["cache_dir"]
    target = cache_file(settings, name)
    temp = os.path.join(directory, ".%s.tmp-%s" % (name, os.urandom(8).hex()))
    created = False
    try:
        os.makedirs(os_path(directory), mode=0o700, exist_ok=True)
        fd = os.open(os_path(temp), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                     0o600)
        created = True
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("checked=%r\nstatus=%d\ndsn=%s\n"
                         % (entry["checked"], entry["status"] or 0, entry["dsn"] or ""))
        os.replace(os_path(temp), os_path(target))
    except OSError as exc:
        warn("app %r: cannot write the cache file %s (%s); the DSN will be asked for again "
             "next run" % (name, target, exc.strerror or exc))
        if created:  # only our own file: what someone else planted there stays for them
            try:
                os.unlink(os_path(temp))
            except OSError:
                pass


def needs_fetch(entry, settings, now):
    age = now - entry.get("checked", 0)
    if entry.get("dsn"):
        return age >= settings["ttl"]
    if entry.get("status") == 404:
        return age >= settings["negative_ttl"]
    return True


# -- fetching ---------------------------------------------------------------------------------

def tls_files(settings):
    """-> (ca_file, cert_file, key_file, why-not): the config's, else the Puppet agent's."""
    ca, cert, key = settings["ca_file"], settings["cert_file"], settings["key_file"]
    if not (ca and cert and key):
        certname = puppet_certname()
        for ssldir in SSLDIRS:
            if os.path.exists(os_path(os.path.join(ssldir, "certs", "ca.pem"))):
                ca = ca or os.path.join(ssldir, "certs", "ca.pem")
                cert = cert or os.path.join(ssldir, "certs", certname + ".pem")
                key = key or os.path.join(ssldir, "private_keys", certname + ".pem")
                break
    if not ca or not os.path.exists(os_path(ca)):
        return None, None, None, ("no CA to trust (%s); set [dsn] ca_file"
                                  % (ca or "no Puppet ssldir in " + " or ".join(SSLDIRS)))
    for label, path in (("certificate", cert), ("key", key)):
        if not path or not os.path.exists(os_path(path)):
            return None, None, None, ("no client %s (%s); set [dsn] cert_file and key_file"
                                      % (label, path))
    return ca, cert, key, None


def puppet_certname():
    for conf in PUPPET_CONFS:
        try:
            sections = read_ini(conf)
        except (OSError, ValueError):
            continue
        for section in ("agent", "main"):
            if sections.get(section, {}).get("certname"):
                return sections[section]["certname"].lower()
    import socket
    return socket.getfqdn().lower()


def make_context(ca_file, cert_file, key_file):
    import ssl
    # This CA only, not the system's. Paths as bytes: see os_path.
    context = ssl.create_default_context(cafile=os_path(ca_file))
    if hasattr(ssl, "TLSVersion"):
        context.minimum_version = ssl.TLSVersion.TLSv1_2  # novermin (3.7+; 3.6 has OP_NO_*)
    else:
        context.options |= ssl.OP_NO_TLSv1 | ssl.OP_NO_TLSv1_1
    if hasattr(context, "post_handshake_auth"):
        # Python 3.8+: lets a server ask for the client certificate after a TLS 1.3
        # handshake. Our vhost asks during the handshake, so older Pythons work too.
        context.post_handshake_auth = True
    if cert_file and key_file:
        context.load_cert_chain(os_path(cert_file), os_path(key_file))
    return context


def get(url, context, timeout):
    """-> (status, dsn, error) for one GET of a /dsn/ URL. A redirect is refused, never followed:
    it could lead off HTTPS, to another host, or past the client-certificate check."""
    import urllib.error
    import urllib.request

    class RefuseRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None  # urllib then raises the 3xx as an HTTPError

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                         urllib.request.HTTPSHandler(context=context),
                                         RefuseRedirects())
    try:
        with opener.open(url, timeout=timeout) as response:
            body = response.read(4096)
            status = response.status
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:
            location = (exc.headers.get("Location") if exc.headers else None) or "nowhere"
            return exc.code, None, ("HTTP %d redirect to %r refused: the fact follows no "
                                    "redirect; [dsn] url must name the /dsn/ URL itself"
                                    % (exc.code, location[:200]))
        return exc.code, None, "HTTP %d" % exc.code
    except Exception as exc:  # refused, timeout, TLS failure, garbage: all just "no answer"
        reason = getattr(exc, "reason", exc)
        return None, None, _one_line(reason)
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        return status, None, "the answer is not a DSN (not ASCII text)"
    lines = text.splitlines()
    if len(lines) != 1 or not is_dsn(lines[0].strip()):
        return status, None, "the answer is not a DSN (%d lines, starting %r)" % (
            len(lines), text[:40])
    return status, lines[0].strip(), None


def fetch_dsn(url, ca_file, cert_file, key_file, timeout):
    """-> (status, dsn, error): status is None when no HTTP answer came; dsn only when the body
    is one line that parses as a DSN."""
    try:
        context = make_context(ca_file, cert_file, key_file)
    except (OSError, ValueError) as exc:
        return None, None, "TLS files unusable (%s)" % _one_line(exc)
    return get(url, context, timeout)


def fetch_all(names, settings, tls):
    """Fetches concurrently; whatever has not answered when the budget is spent is a failure.
    -> {name: (status, dsn, error)}"""
    import threading
    from urllib.parse import quote
    context = make_context(*tls)
    results = {}
    pending = list(names)
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not pending:
                    return
                name = pending.pop(0)
            outcome = get(settings["url"] + quote(name, safe=""), context, settings["timeout"])
            with lock:
                results[name] = outcome

    # Daemon threads: a fetch still hanging when the budget is spent must not hold the exit.
    threads = [threading.Thread(target=worker, daemon=True)
               for _ in range(min(int(settings["jobs"]), len(names)))]
    deadline = time.monotonic() + settings["budget"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    with lock:
        late = {name: (None, None, "no answer within the %gs budget" % settings["budget"])
                for name in names if name not in results}
        late.update(results)
        return late


# -- putting it together ----------------------------------------------------------------------

def collect(settings, explain=False):
    now = time.time()
    apps, left_out = discover(settings)
    facts = {"deployed_apps": ",".join(name for name, _ in apps)}
    structured = {}
    cached = {}
    for name, path in apps:
        lang, decided_by = detect_language(path)
        override = settings["apps"].get(name, {}).get("lang")
        if override:
            lang, decided_by = override, "[app:%s] lang in the config" % name
        structured[name] = {"lang": lang, "path": path, "key": fact_key(name),
                            "lang_from": decided_by}
        facts[fact_key(name) + "_lang"] = lang
        cached[name] = read_cache(settings, name, now) if settings["url"] else {}

    fetched = {}
    if settings["url"]:
        due = [name for name, _ in apps if needs_fetch(cached[name], settings, now)]
        if due and not settings["url"].startswith("https://"):
            warn("DSNs not fetched: [dsn] url %s is not https://; DSNs are only fetched over "
                 "verified HTTPS" % settings["url"])
        elif due:
            ca, cert, key, why_not = tls_files(settings)
            if why_not:
                warn("DSNs not fetched from %s: %s" % (settings["url"], why_not))
            else:
                try:
                    fetched = fetch_all(due, settings, (ca, cert, key))
                except (OSError, ValueError) as exc:
                    warn("DSNs not fetched from %s: TLS files unusable (%s)"
                         % (settings["url"], _one_line(exc)))

    for name, _ in apps:
        entry = cached[name]
        if name in fetched:
            entry = settle(name, entry, fetched[name], settings, now)
        if entry.get("dsn"):
            structured[name]["dsn"] = entry["dsn"]
            facts[fact_key(name) + "_dsn"] = entry["dsn"]
        if explain:
            explain_app(name, structured[name], cached[name], fetched.get(name), settings, now)
    if explain:
        for name, path, why in left_out:
            say("%r: dir %r; left out: %s\n" % (name, path, why))  # repr: names with \n
    facts["sentry_apps"] = structured
    return facts


def settle(name, entry, outcome, settings, now):
    """Folds one fetch into the cache entry; an error keeps the last DSN (stale-if-error)."""
    status, dsn, error = outcome
    url = settings["url"] + name
    if dsn:
        entry = {"dsn": dsn, "status": status, "checked": now}
        write_cache(settings, name, entry)
        return entry
    if status == 404:
        if entry.get("dsn"):
            warn("app %r: %s answered 404; keeping the cached DSN" % (name, url))
            return entry
        entry = {"dsn": None, "status": 404, "checked": now}
        write_cache(settings, name, entry)
        return entry
    if entry.get("dsn"):
        warn("app %r: %s failed (%s); keeping the cached DSN" % (name, url, error))
    else:
        warn("app %r: %s failed (%s)" % (name, url, error))
    return entry


def explain_app(name, info, before, outcome, settings, now):
    if before.get("future"):
        age = "cache dated in the future: stale"
    elif before.get("checked"):
        age = "cache %ds old" % (now - before["checked"])
    elif settings["url"]:
        age = "no cache"
    else:
        age = "no [dsn] url: nothing fetched"
    if outcome:
        last = "fetched: %s" % (outcome[1] and "HTTP %s, a DSN" % outcome[0] or outcome[2])
    else:
        last = "not fetched this run"
    say("%s: dir %s; %s from %s; %s; %s; dsn %s\n" % (
        name, info["path"], info["lang"], info["lang_from"] or "no marker file", age, last,
        info.get("dsn") or "unknown"))


def main(argv):
    explain = "--explain" in argv[1:] or bool(os.environ.get("SENTRY_PUPPET_FACTS_EXPLAIN"))
    try:
        path = os.environ.get("SENTRY_PUPPET_FACTS_CONFIG") or CONFIG_PATH
        if not NATIVE_UTF8:  # decoded as ASCII: back to the bytes, then as UTF-8
            path = from_os(os.fsencode(path))
        settings = load_config(path)
        facts = collect(settings, explain)
    except Exception as exc:  # a bug must not break the Puppet run: say so, print what we can
        warn("internal error, facts incomplete (%s: %s)" % (exc.__class__.__name__,
                                                            _one_line(exc)))
        facts = {"deployed_apps": "", "sentry_apps": {}}
    sys.stdout.write(to_json(facts) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

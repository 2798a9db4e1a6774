"""Definitions -> one App per project (name rules: names.py); each bad definition reported alone.

Files (`definitions_dir`) and PuppetDB's exported resources (puppetdb.py) go through the same
field checks (`check_definition`) and the same merge (`merge`)."""
import collections
import dataclasses
import errno
import os
import stat
from typing import List, Tuple

import yaml

from sentry_puppet import yamlload
from sentry_puppet.names import name_problem, slugify, team_slug_problem
from sentry_puppet.platforms import normalize_platform

KEYS = ("project", "platform", "team", "source")
# Parameters of covermymeds/sentry's exports, still in PuppetDB until every app server has run
# our module once: accepted and ignored (the organization is the config's, the path unused).
IGNORED_KEYS = ("organization", "path")


class SourceError(Exception):
    """The source gave no usable answer (PuppetDB down, refusing us, an answer cut short): the
    run must stop before the server, never go on as if there were no definitions."""


@dataclasses.dataclass(frozen=True)
class App:
    name: str                 # as deployed_apps shows it: the DSN file's name
    slug: str
    platform: str
    team: str
    sources: Tuple[str, ...]  # exporting hosts (or file names), for messages
    files: Tuple[str, ...]


@dataclasses.dataclass
class Definitions:
    apps: List[App]
    problems: List[str]       # one line per refused definition or app: a failure
    warnings: List[str]       # resolved disagreements: reported, not failures
    file_count: int           # definitions read: files, or resources from PuppetDB
    origin: str = ""          # where they came from, for validate and sync --dry-run


def load_definitions(directory, default_team):
    """Read every *.yaml/*.yml in `directory`; a bad file is reported and skipped, never fatal."""
    problems, warnings = [], []
    origin = "definitions_dir %s" % directory
    try:
        names = sorted(n for n in os.listdir(directory)
                       if n.endswith((".yaml", ".yml")) and not n.startswith("."))
    except OSError as exc:
        problems.append("%s: cannot read the definitions directory (%s); check definitions_dir "
                        "in the config" % (directory, exc.strerror))
        return Definitions([], problems, warnings, 0, origin)

    entries = []
    for filename in names:
        path = os.path.join(directory, filename)
        raw, problem = _read_file(path)
        if not problem:
            source = raw.get("source")
            if source is None or source == "":
                source = filename.rsplit(".", 1)[0]
            entry, problem = check_definition(raw, default_team, source, path)
        if problem:
            problems.append("%s: %s" % (path, problem))
        else:
            entries.append(entry)
    apps = merge(entries, problems, warnings)
    return Definitions(apps, problems, warnings, len(names), origin)


def _read_file(path):
    """-> (mapping, None) or (None, why the file is refused). Only a regular file is read: a
    FIFO would block the run, a device never end; opened without following a link and
    without blocking, then checked on the open file (no race between check and read)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None, "is a symlink; definitions are read from regular files only"
        return None, "cannot be read (%s)" % exc.strerror
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None, "is not a regular file (a FIFO, a device or a directory); not read"
        with os.fdopen(fd, "rb") as handle:
            fd = None
            data = handle.read()
    except OSError as exc:
        return None, "cannot be read (%s)" % exc.strerror
    finally:
        if fd is not None:
            os.close(fd)
    if b"\x00" in data:
        return None, "is a binary file, not YAML"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, "is not UTF-8 text"
    try:
        raw = yamlload.load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = "line %d: " % (mark.line + 1) if mark is not None else ""
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())   # one line
        return None, "not valid YAML (%s%s)" % (where, problem)
    if raw is None:
        return None, "is empty; it needs at least `project: <app name>`"
    if not isinstance(raw, dict):
        return None, "is not a mapping (project: ..., platform: ...) but a %s" % type(raw).__name__
    return raw, None


def check_definition(raw, default_team, source, label):
    """One definition's fields (a file's mapping, a resource's parameters) -> (entry, None), or
    (None, why it is refused). `source` is the exporting host, `label` names it in messages."""
    unknown = sorted(str(k) for k in raw if k not in KEYS and k not in IGNORED_KEYS)
    if unknown:
        return None, "unknown key %r (known: %s)" % (unknown[0], ", ".join(KEYS))
    name = raw.get("project")
    if not isinstance(name, str):
        return None, ("key 'project' is missing" if name is None
                      else "project %r is not a string; quote it" % (name,))
    problem = name_problem(name)
    if problem:
        return None, "app name %r %s" % (name, problem)
    team = raw.get("team")
    if team is None:
        team = default_team
    elif not isinstance(team, str) or team_slug_problem(team):
        return None, "team %r %s" % (team, team_slug_problem(str(team)) or "is not a string")
    platform = raw.get("platform")
    if platform is not None and not isinstance(platform, str):
        return None, "platform %r is not a string" % (platform,)
    if not isinstance(source, str):
        return None, "source %r is not a string" % (source,)
    return {
        "name": name, "team": team, "platform": normalize_platform(platform),
        "source": source, "file": label,
    }, None


def merge(entries, problems, warnings):
    """Entries (from check_definition) -> one App per app name; clashing slugs refused."""
    by_name = collections.OrderedDict()
    for entry in entries:
        by_name.setdefault(entry["name"], []).append(entry)

    by_slug = collections.defaultdict(list)
    for name in by_name:
        by_slug[slugify(name)].append(name)
    apps = []
    for slug, names in sorted(by_slug.items()):
        if len(names) > 1:
            # Different apps would share one project and one DSN: refuse them all, loudly.
            for name in names:
                files = ", ".join(e["file"] for e in by_name[name])
                others = ", ".join(repr(n) for n in names if n != name)
                problems.append("app name %r (in %s) gives the slug %r, like %s; rename one "
                                "of them" % (name, files, slug, others))
            continue
        name = names[0]
        group = by_name[name]
        platform = _agree(group, "platform", name, warnings, prefer_not="other")
        team = _agree(group, "team", name, warnings)
        sources = tuple(sorted({e["source"] for e in group}))
        apps.append(App(name=name, slug=slug, platform=platform, team=team,
                        sources=sources, files=tuple(e["file"] for e in group)))
    return apps


def _agree(group, key, name, warnings, prefer_not=None):
    """One value out of many files: the most common (ignoring `prefer_not` when others exist),
    ties broken alphabetically, so every run picks the same."""
    counts = collections.Counter(e[key] for e in group)
    if len(counts) == 1:
        return next(iter(counts))
    candidates = {v: n for v, n in counts.items() if v != prefer_not} or counts
    chosen = sorted(candidates, key=lambda v: (-candidates[v], v))[0]
    detail = ", ".join("%s in %s" % (v, ", ".join(e["file"] for e in group if e[key] == v))
                       for v in sorted(counts))
    warnings.append("app %r: definitions disagree on %s (%s); using %s"
                    % (name, key, detail, chosen))
    return chosen

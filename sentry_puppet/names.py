"""App-name rules for every command: the project slug, the fact key, and which names are refused.

facts/sentry_apps.py carries a copy of everything here but team_slug_problem (the fact ships
alone and imports nothing of ours), so that an app server never exports a name the Sentry host
would refuse. tests/unit/test_names.py proves the two copies are
the same code and agree on a table of names.
"""

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


def team_slug_problem(team):
    """Why this team name cannot be a Sentry team slug as it is, or None."""
    problem = name_problem(team)
    if problem:
        return problem
    if slugify(team) != team:
        return "is not a slug (lowercase letters, digits, `_` and `-`); write %r" % slugify(team)
    return None

"""The DSN rule: what the tool accepts from a server as a DSN before it writes it to
dsn_dir/<app> (which Apache serves to every app server) or prints it.

facts/sentry_apps.py carries a copy of ALNUM, HOST_CHARS, PATH_CHARS and is_dsn (the fact
ships alone and imports nothing of ours), so that what the tool publishes is exactly what the
fact accepts; tests/unit/test_dsns.py proves the two copies are the same code.
"""

ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
HOST_CHARS = ALNUM | frozenset(".-")
PATH_CHARS = ALNUM | frozenset("._~-/")
SHOWN_CHARS = 80   # of a refused DSN, quoted (repr: a newline shows as \n) in a message


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


def dsn_problem(dsn):
    """Why `dsn` (as a server sent it: any JSON value) is not a DSN to publish, or None."""
    if not isinstance(dsn, str):
        return "is not a string but %s" % type(dsn).__name__
    if not is_dsn(dsn):
        return ("is not a DSN like https://key@host/1 (%r); not published"
                % dsn[:SHOWN_CHARS])
    return None

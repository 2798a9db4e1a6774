"""DSN files: dsn_dir/<app>, one line, 0644 in a 0755 directory; never deleted."""
import errno
import os

from sentry_puppet.fsutil import atomic_write


def prepare_dsn_dir(dsn_dir):
    """Create dsn_dir (0755) if needed; fail before anything changes on the server if it
    cannot hold files. -> a warning when dsn_dir is a symlink: its target's mode is left as it
    is (a chmod would go through the link to whatever it names)."""
    os.makedirs(dsn_dir, mode=0o755, exist_ok=True)
    if not os.path.isdir(dsn_dir) or not os.access(dsn_dir, os.W_OK | os.X_OK):
        raise PermissionError(13, "not a writable directory", dsn_dir)
    try:
        fd = os.open(dsn_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as exc:
        # A symlink: ELOOP, or ENOTDIR with O_DIRECTORY (it is checked as the link itself).
        if exc.errno not in (errno.ELOOP, errno.ENOTDIR) or not os.path.islink(dsn_dir):
            raise
        return ("dsn_dir %s is a symlink (to %s): its mode is left as it is, not made 0755; "
                "Apache's user must be able to read it (or make dsn_dir the directory itself)"
                % (dsn_dir, os.path.realpath(dsn_dir)))
    try:
        os.fchmod(fd, 0o755)  # Apache's user must read the files
    finally:
        os.close(fd)
    return None


def existing_dsn_files(dsn_dir):
    """Names of the DSN files present (temp files of an interrupted write excluded)."""
    try:
        return {n for n in os.listdir(dsn_dir)
                if not n.startswith(".") and os.path.isfile(os.path.join(dsn_dir, n))}
    except FileNotFoundError:
        return set()


def read_dsn(dsn_dir, app):
    try:
        with open(os.path.join(dsn_dir, app), encoding="utf-8") as handle:
            return handle.read().strip() or None
    except (FileNotFoundError, NotADirectoryError):
        return None


def write_dsn(dsn_dir, app, dsn):
    """-> True when the file was written, False when it already held this DSN."""
    if read_dsn(dsn_dir, app) == dsn:
        return False
    atomic_write(os.path.join(dsn_dir, app), dsn + "\n", mode=0o644)
    return True


def orphans(dsn_files, app_names):
    """DSN files no definition names any more: listed, never deleted (the app may come back)."""
    return sorted(set(dsn_files) - set(app_names))

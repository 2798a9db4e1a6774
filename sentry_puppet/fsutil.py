"""Files written whole (temp file + rename) and one run at a time (a lock file)."""
import errno
import fcntl
import os
import tempfile
import time

TEMP_PREFIX = ".tmp-"  # a run killed mid-write leaves `.tmp-<name>-XXXX`; see remove_temp_files


class LockError(Exception):
    """Another run holds the lock longer than we wait, or the lock file cannot be made."""


def atomic_write(path, text, mode=0o644):
    """Write `text` to `path` so that readers see the old file or the new one, never half."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="%s%s-" % (TEMP_PREFIX, os.path.basename(path)))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)  # mkstemp makes 0600 whatever the umask
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def remove_temp_files(directory):
    """Remove what atomic_write of a killed run left in `directory`; call it under the lock."""
    for name in os.listdir(directory):
        if name.startswith(TEMP_PREFIX):
            os.unlink(os.path.join(directory, name))


class RunLock:
    """An exclusive flock on `path`; waits up to `timeout` seconds for another run to finish.

    The kernel drops the lock when the holder dies, so a killed run never wedges the next."""

    def __init__(self, path, timeout=300.0, poll=0.2):
        self.path, self.timeout, self.poll = path, timeout, poll
        self._fd = None

    def __enter__(self):
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise LockError("cannot create the lock file %s (%s)" % (self.path, exc.strerror))
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() >= deadline:
                os.close(self._fd)
                self._fd = None
                raise LockError(
                    "another sentry-puppet run holds %s and did not finish within %g s; "
                    "try again later (check for a stuck process with: fuser %s)"
                    % (self.path, self.timeout, self.path))
            time.sleep(self.poll)

    def __exit__(self, *exc_info):
        os.close(self._fd)  # closing releases the flock
        self._fd = None

import os
import subprocess
import sys
import time

import pytest

from sentry_puppet.fsutil import LockError, RunLock, atomic_write


def test_atomic_write_sets_mode_and_replaces_whole(tmp_path):
    path = str(tmp_path / "f")
    atomic_write(path, "one\n", mode=0o600)
    assert open(path).read() == "one\n" and os.stat(path).st_mode & 0o777 == 0o600
    atomic_write(path, "two\n")
    assert open(path).read() == "two\n" and os.stat(path).st_mode & 0o777 == 0o644
    assert os.listdir(str(tmp_path)) == ["f"]


def test_atomic_write_failure_leaves_old_file_and_no_temp(tmp_path):
    path = str(tmp_path / "f")
    atomic_write(path, "old\n")
    with pytest.raises(TypeError):
        atomic_write(path, b"not text")
    assert open(path).read() == "old\n" and os.listdir(str(tmp_path)) == ["f"]


def hold_lock(path, seconds):
    code = ("import sys, time; from sentry_puppet.fsutil import RunLock\n"
            "with RunLock(sys.argv[1]):\n    print('held', flush=True); time.sleep(%f)" % seconds)
    proc = subprocess.Popen([sys.executable, "-c", code, path], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "held\n"
    return proc


def test_second_run_gives_up_after_the_bounded_wait(tmp_path):
    path = str(tmp_path / "dsn.lock")
    holder = hold_lock(path, 5)
    try:
        start = time.monotonic()
        with pytest.raises(LockError, match="another sentry-puppet run holds .*dsn.lock"):
            with RunLock(path, timeout=0.5, poll=0.05):
                pass
        assert time.monotonic() - start < 4
    finally:
        holder.kill()
        holder.wait()


def test_lock_is_taken_once_the_holder_finishes_or_dies(tmp_path):
    path = str(tmp_path / "dsn.lock")
    holder = hold_lock(path, 60)
    holder.kill()  # a killed run must not wedge the next one
    holder.wait()
    with RunLock(path, timeout=2, poll=0.05):
        pass


def test_leftovers_of_a_killed_write_are_removed_and_nothing_else(tmp_path):
    from sentry_puppet.fsutil import TEMP_PREFIX, remove_temp_files
    atomic_write(str(tmp_path / "shop"), "dsn\n")
    (tmp_path / (TEMP_PREFIX + "shop-abc123")).write_text("half")
    (tmp_path / ".htaccess").write_text("keep")
    remove_temp_files(str(tmp_path))
    assert sorted(os.listdir(str(tmp_path))) == [".htaccess", "shop"]

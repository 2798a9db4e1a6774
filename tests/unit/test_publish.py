import os
import stat

from sentry_puppet.publish import (existing_dsn_files, orphans, prepare_dsn_dir, read_dsn,
                                   write_dsn)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_dsn_file_written_0644_in_0755_dir_and_only_when_changed(tmp_path):
    dsn_dir = str(tmp_path / "lib" / "dsn")
    prepare_dsn_dir(dsn_dir)
    assert mode(dsn_dir) == 0o755
    assert write_dsn(dsn_dir, "Foo-Bar", "http://k@h/1") is True
    path = os.path.join(dsn_dir, "Foo-Bar")
    assert open(path).read() == "http://k@h/1\n" and mode(path) == 0o644
    before = os.stat(path).st_ino
    assert write_dsn(dsn_dir, "Foo-Bar", "http://k@h/1") is False
    assert os.stat(path).st_ino == before
    assert write_dsn(dsn_dir, "Foo-Bar", "http://k2@h/1") is True
    assert read_dsn(dsn_dir, "Foo-Bar") == "http://k2@h/1"
    assert os.listdir(dsn_dir) == ["Foo-Bar"]  # no temp file left behind


def test_unusable_dsn_dir_fails_before_any_write(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    try:
        prepare_dsn_dir(str(blocker / "dsn"))
    except OSError as exc:
        assert str(blocker) in str(exc)
    else:
        raise AssertionError("a dsn_dir under a file was accepted")


def test_orphans_are_listed_never_deleted(tmp_path):
    (tmp_path / "gone").write_text("x\n")
    (tmp_path / "kept").write_text("x\n")
    (tmp_path / ".kept.tmp123").write_text("half")
    files = existing_dsn_files(str(tmp_path))
    assert files == {"gone", "kept"}
    assert orphans(files, ["kept", "new"]) == ["gone"]
    assert (tmp_path / "gone").exists()

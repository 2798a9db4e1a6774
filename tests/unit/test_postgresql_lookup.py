"""The e2e stack finds the PostgreSQL release that is installed (Debian 12: 15, Debian 13: 17)
instead of naming one."""
import pytest

from tests.support.postgresql import postgresql_bin


def server(root, release, initdb=True):
    bin_dir = root / release / "bin"
    bin_dir.mkdir(parents=True)
    if initdb:
        (bin_dir / "initdb").write_text("")
    return str(bin_dir)


def test_the_newest_installed_server_is_used(tmp_path):
    server(tmp_path, "9")
    newest = server(tmp_path, "17")
    server(tmp_path, "15")
    server(tmp_path, "18", initdb=False)  # only a client (psql) of a newer release
    assert postgresql_bin(str(tmp_path / "*" / "bin")) == newest


def test_no_server_says_what_to_do(tmp_path):
    server(tmp_path, "17", initdb=False)
    with pytest.raises(RuntimeError, match=r"no PostgreSQL server in .*install-deps"):
        postgresql_bin(str(tmp_path / "*" / "bin"))

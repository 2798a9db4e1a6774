"""A real Bugsink for the integration tests: migrated once per session, then a fresh copy
(its own SQLite files and port) per test, so tests never see each other's projects."""
import pytest

from tests.support.bugsink import Bugsink


@pytest.fixture(scope="session")
def bugsink_template(tmp_path_factory):
    return Bugsink.setup(str(tmp_path_factory.mktemp("bugsink-template")))


@pytest.fixture
def bugsink(bugsink_template, tmp_path):
    server = bugsink_template.copy(str(tmp_path / "bugsink")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def httpserver_listen_address():
    # pytest-httpserver: loopback IPv4 only, a free port.
    return ("127.0.0.1", 0)

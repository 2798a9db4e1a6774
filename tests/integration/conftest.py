"""A real Bugsink for the integration tests: migrated once per session, then a fresh copy
(its own SQLite files and port) per test, so tests never see each other's projects."""
import pytest

from tests.support.bugsink import Bugsink
from tests.support.missing import missing
from tests.support.sentry_server import SentryServer, SentryUnavailable


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


@pytest.fixture(scope="session")
def real_sentry():
    """A real Sentry 21.1, once per session (minutes cold, about a minute and a half warm):
    the tests that use it make organizations of their own and never share one."""
    try:
        server = SentryServer.start()
    except SentryUnavailable as exc:
        missing(str(exc), "; CI must run the real-Sentry tests")
    print("\nreal Sentry 21.1 up: %s" % ", ".join(
        "%s %s" % (k, "%.0f s" % v if isinstance(v, float) else v)
        for k, v in server.timings.items()))
    yield server
    server.stop()
    server.remove()

"""The e2e stack, once per session, and its directory's fate: removed when every test that
used it passed (failures elsewhere in the session are not its business), kept for reading
when one of them failed, and then named in pytest's closing summary."""
import pytest

from tests.e2e.stack import Stack

FAILED = []   # node ids of failed tests (or their setup) that used the stack
KEPT = []     # stack directories left for reading


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if outcome.get_result().failed and "stack" in item.fixturenames:
        FAILED.append(item.nodeid)


@pytest.fixture(scope="session")
def stack():
    """PostgreSQL + PuppetDB + puppetserver, once per test session (about 40 s to start).
    Its directory (logs, configs, databases) is kept when a test that used it failed."""
    stack = Stack()
    try:
        yield stack.start()
    finally:
        stack.stop()
        if FAILED:
            KEPT.append(stack.root)
        else:
            stack.remove()


def pytest_terminal_summary(terminalreporter):
    for root in KEPT:
        terminalreporter.write_line(
            "e2e stack files kept in %s (a test that used the stack failed: %s); remove it "
            "when read" % (root, ", ".join(FAILED)))

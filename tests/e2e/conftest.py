import pytest

from tests.e2e.stack import Stack


@pytest.fixture(scope="session")
def stack():
    """PostgreSQL + PuppetDB + puppetserver, once per test session (about 40 s to start)."""
    stack = Stack()
    try:
        yield stack.start()
    finally:
        stack.stop()

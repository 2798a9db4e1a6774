import shutil

import pytest

from tests.e2e.stack import Stack


@pytest.fixture(scope="session")
def stack(request):
    """PostgreSQL + PuppetDB + puppetserver, once per test session (about 40 s to start).
    Its directory (logs, configs, databases) is kept when a test failed, to read."""
    stack = Stack()
    try:
        yield stack.start()
    finally:
        stack.stop()
        if request.session.testsfailed:
            print("\ne2e stack files kept in %s" % stack.root)
        else:
            shutil.rmtree(stack.root, ignore_errors=True)

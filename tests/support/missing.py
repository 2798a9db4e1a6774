"""A real component this machine lacks: one skip line naming it where a developer runs the
tests, a failure under CI (CI=true), whose machines must have everything."""
import os

import pytest


def missing(message, ci_hint=""):
    """Skip with MESSAGE, or fail with MESSAGE + CI_HINT (what CI's machine should have)."""
    if os.environ.get("CI") == "true":
        pytest.fail(message + ci_hint)
    pytest.skip(message)

"""Markers by place: tests/integration and tests/e2e use real components."""
import pathlib

import pytest

HERE = pathlib.Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = pathlib.Path(str(item.fspath))
        if HERE / "integration" in path.parents:
            item.add_marker(pytest.mark.integration)
        if HERE / "e2e" in path.parents:
            item.add_marker(pytest.mark.integration)
            item.add_marker(pytest.mark.e2e)

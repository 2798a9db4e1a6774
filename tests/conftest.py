"""Markers by place: tests/integration and tests/e2e use real components. In scripts/test's
other leg (the other Debian release, a chroot), some tests are left to the native leg, named:
the tool's release-independent server tests (CI's 90 minutes hold both legs only so), and the
systemd leg (systemd-nspawn cannot boot from a chroot; the native leg boots its release, and
SENTRY_PUPPET_SYSTEMD_SUITES others)."""
import os
import pathlib

import pytest

HERE = pathlib.Path(__file__).parent
# The tool against hostile, fake and real Sentry servers: pure Python over HTTP, nothing of
# Debian's (no Puppet, Apache or packaged Python module) in them; the tool itself is unit-tested
# under the other release's Python in the other leg too. Then the systemd leg, which must boot.
NATIVE_LEG_ONLY = ("integration/test_no_secret_leaks.py", "integration/test_deadlines.py",
                   "integration/test_sentry_api.py", "integration/test_sync_sentry.py",
                   "integration/test_sync_sentry_fake.py", "e2e/test_systemd_host.py")


def pytest_collection_modifyitems(config, items):
    other_leg = bool(os.environ.get("SENTRY_PUPPET_OTHER_LEG"))
    kept, left = [], []
    for item in items:
        path = pathlib.Path(str(item.fspath))
        if HERE / "integration" in path.parents:
            item.add_marker(pytest.mark.integration)
        if HERE / "e2e" in path.parents:
            item.add_marker(pytest.mark.integration)
            item.add_marker(pytest.mark.e2e)
        if other_leg and str(path.relative_to(HERE)) in NATIVE_LEG_ONLY:
            left.append(item)
        else:
            kept.append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept
        print("\nother leg: %d tests of %s are the native leg's"
              % (len(left), ", ".join(NATIVE_LEG_ONLY)))

"""The e2e stack's directory is removed unless a test that used the stack failed: a failure
elsewhere in the session (an Apache test, a unit test) must not leave 100 MB in /tmp.
A pytest session in a subprocess runs tests/e2e/conftest.py's fixture with the stack's
servers left out (start and stop do nothing); its directory and removal are the real ones."""
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent.parent

CONFTEST = """
import os
import tests.e2e.conftest as e2e
from tests.e2e.conftest import *  # noqa: F401,F403  the fixture and its hooks


class NoServers(e2e.Stack):
    def start(self):
        with open(os.environ["STACK_ROOT_FILE"], "w") as handle:
            handle.write(self.root)
        return self

    def stop(self):
        pass


e2e.Stack = NoServers
"""


def run_session(tmp_path, stack_test_passes):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_elsewhere.py").write_text(
        "def test_unrelated_failure():\n    assert False\n")
    (tmp_path / "test_e2e.py").write_text(textwrap.dedent("""
        def test_uses_the_stack(stack):
            assert %s
        """ % stack_test_passes))
    root_file = tmp_path / "stack-root"
    env = dict(os.environ, PYTHONPATH=str(REPO), STACK_ROOT_FILE=str(root_file))
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                             str(tmp_path)], cwd=str(tmp_path), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            timeout=120)
    return result, root_file.read_text()


@pytest.fixture
def session(tmp_path):
    roots = []

    def run(stack_test_passes):
        result, root = run_session(tmp_path, stack_test_passes)
        roots.append(root)
        return result, root
    yield run
    for root in roots:  # what a failing assertion below would leave
        shutil.rmtree(root, ignore_errors=True)


def test_stack_directory_removed_when_its_tests_pass_though_another_failed(session):
    result, root = session(True)
    assert "1 failed, 1 passed" in result.stdout, result.stdout
    assert os.path.basename(root).startswith("sentry-puppet-e2e-")
    assert not os.path.exists(root), result.stdout
    assert "kept" not in result.stdout


def test_stack_directory_kept_and_named_when_a_test_using_it_failed(session):
    result, root = session(False)
    assert "2 failed" in result.stdout, result.stdout
    assert os.path.isdir(root)
    assert ("e2e stack files kept in %s (a test that used the stack failed: "
            "test_e2e.py::test_uses_the_stack)" % root) in result.stdout


def test_remove_names_what_it_could_not_remove(tmp_path, monkeypatch):
    from tests.e2e import stack as stack_module

    stack = stack_module.Stack.__new__(stack_module.Stack)
    stack.root = str(tmp_path / "stack")
    os.makedirs(os.path.join(stack.root, "pg"))
    real_rmdir = os.rmdir

    def busy_rmdir(path, *args, **kwargs):  # a server still writing into its directory
        if os.path.basename(path) == "pg":
            raise OSError(39, "Directory not empty", path)
        return real_rmdir(path, *args, **kwargs)
    monkeypatch.setattr(os, "rmdir", busy_rmdir)
    with pytest.raises(RuntimeError) as info:
        stack.remove()
    assert "e2e stack directory %s not removed: %s/pg" % (stack.root, stack.root) in str(
        info.value)
    assert "Directory not empty" in str(info.value)

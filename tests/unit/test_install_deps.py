"""scripts/install-deps installs for the demo only what the demo uses, and everything for the
tests. Run with dpkg-query and the venv's pip replaced by recorders (every package reported
installed, so apt is never reached): what the script asks for is what it would install."""
import os
import pathlib
import shutil
import stat
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent.parent
RECORDER = '#!/bin/sh\nprintf "%%s\\n" "$*" >> "%s"\n%s'


def executable(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def install_deps(tmp_path):
    (tmp_path / "scripts").mkdir()
    shutil.copy(str(REPO / "scripts" / "install-deps"), str(tmp_path / "scripts"))
    queried, pip = tmp_path / "queried", tmp_path / "pip-args"
    executable(tmp_path / "bin" / "dpkg-query",
               RECORDER % (queried, "echo 'install ok installed'\n"))
    executable(tmp_path / ".venv" / "bin" / "python", "#!/bin/sh\nexit 0\n")
    executable(tmp_path / ".venv" / "bin" / "pip", RECORDER % (pip, ""))

    def run(*args):
        for record in (queried, pip):
            if record.exists():
                record.unlink()
        env = dict(os.environ, PATH="%s:%s" % (tmp_path / "bin", os.environ["PATH"]))
        result = subprocess.run(["bash", str(tmp_path / "scripts" / "install-deps")]
                                + list(args), env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, timeout=60)
        assert result.returncode == 0, result.stdout
        packages = [line.split()[-1] for line in queried.read_text().splitlines()]
        return packages, pip.read_text().splitlines()[-1] if pip.exists() else None
    return run


def test_demo_gets_python3_venv_the_tool_and_bugsink_only(install_deps):
    packages, pip = install_deps("demo")
    assert packages == ["python3-venv"]
    assert pip == "install --disable-pip-version-check -e . bugsink"


def test_tests_get_the_whole_stack(install_deps):
    packages, pip = install_deps()
    assert {"python3-venv", "apache2", "libapache2-mod-wsgi-py3", "puppet", "facter",
            "puppetserver", "puppetdb", "postgresql", "ruby-rspec-puppet"} <= set(packages)
    assert pip == "install --disable-pip-version-check -e .[test] bugsink"


def test_apt_mode_gets_the_tests_debian_packages_and_no_virtualenv(install_deps):
    packages, pip = install_deps("apt")
    assert packages == install_deps()[0]
    assert pip is None

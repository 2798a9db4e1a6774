"""A real `puppet apply` of sentry::server on this machine: it installs the tool into a
virtualenv, a run that changes nothing reinstalls nothing, a new `package_source` or a tool
whose `sentry-puppet --version` is not `version` is reinstalled, and a `version` the source
cannot provide fails the run with a message naming both. The server is the fake Sentry API
(zero definitions: `sync --check` only lists teams)."""
import os
import pathlib
import shutil
import subprocess

from tests.support import release
from tests.support.fake_sentry import FakeSentry

REPO = pathlib.Path(__file__).resolve().parent.parent.parent
MODULE = REPO / "puppet-module"
STDLIB = pathlib.Path("/usr/share/puppet/modules/stdlib")  # Debian's puppet-module-puppetlabs-stdlib
INSTALL = "Exec[sentry-puppet install]"


def build_wheel(tmp_path, version):
    """A wheel of this checkout that says `version`, built offline from a copy."""
    # Blanks and parentheses: the path must reach pip, the marker and the messages quoted.
    where = tmp_path / ("wheel %s (built here)" % version)
    where.mkdir()
    return release.build_wheel(where, version)


def tool_version(venv):
    return subprocess.run([str(venv / "bin" / "sentry-puppet"), "--version"],
                          stdout=subprocess.PIPE, universal_newlines=True,
                          check=True).stdout.strip()


class Host:
    def __init__(self, tmp_path, server, module=MODULE):
        self.tmp_path = tmp_path
        self.server = server
        self.venv = tmp_path / "venv"
        (tmp_path / "modules").mkdir()
        (tmp_path / "modules" / "sentry").symlink_to(module)
        (tmp_path / "modules" / "stdlib").symlink_to(STDLIB)

    def apply(self, package_source, version=None, more=""):
        code = ("class { 'sentry::server': backend => 'sentry', organization => 'acme', "
                "url => '%s', token => Sensitive('%s'), %s%s"
                "venv => '%s', config_dir => '%s/etc', definitions_dir => '%s/etc/projects.d', "
                # No systemd here, and no unit files into this machine's /etc/systemd.
                "dsn_dir => '%s/dsn', sync_timer => false }" % (
                    self.server.url, self.server.token,
                    "package_source => '%s', " % package_source if package_source else "",
                    "version => '%s', " % version if version else "",
                    self.venv, self.tmp_path, self.tmp_path, self.tmp_path)) + more
        puppet = shutil.which("puppet")
        assert puppet, "puppet is not installed: run scripts/install-deps (as root)"
        env = dict(os.environ, HOME=str(self.tmp_path))
        # pip's own cache, so that the tool's dependencies come from PyPI once, not every run.
        env.setdefault("PIP_CACHE_DIR", os.path.expanduser("~/.cache/pip"))
        result = subprocess.run(
            [puppet, "apply", "--detailed-exitcodes", "--modulepath",
             str(self.tmp_path / "modules"), "--confdir", str(self.tmp_path / "conf"),
             "--vardir", str(self.tmp_path / "var"), "-e", code],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
            timeout=900, env=env)
        # Facter's /proc/1/environ complaints in a sandbox are noise, not the module's.
        output = "\n".join(l for l in result.stdout.splitlines() if "/proc/1/environ" not in l)
        assert self.server.token not in output
        return result.returncode, output


def test_install_once_upgrade_on_new_source_or_version_never_without(tmp_path):
    assert STDLIB.is_dir(), "Debian's puppet-module-puppetlabs-stdlib is not installed"
    old, new = build_wheel(tmp_path, "0.0.1"), build_wheel(tmp_path, "0.0.2")
    with FakeSentry() as server:
        host = Host(tmp_path, server)

        code, output = host.apply(old)
        assert code == 2, output
        assert INSTALL in output
        assert tool_version(host.venv) == "sentry-puppet 0.0.1"

        code, output = host.apply(old)
        assert code == 0, output  # nothing reinstalled, nothing else changed

        # A new package_source: pip install --upgrade.
        code, output = host.apply(new)
        assert code == 2, output
        assert INSTALL in output
        assert tool_version(host.venv) == "sentry-puppet 0.0.2"
        code, output = host.apply(new)
        assert code == 0, output

        # Someone put the old tool back by hand: with `version` the next run notices.
        subprocess.run([str(host.venv / "bin" / "pip"), "install", "--quiet", "--no-deps",
                        "--disable-pip-version-check", str(old)], check=True, timeout=300)
        code, output = host.apply(new, version="0.0.2")
        assert code == 2, output
        assert INSTALL in output
        assert tool_version(host.venv) == "sentry-puppet 0.0.2"
        code, output = host.apply(new, version="0.0.2")
        assert code == 0, output

        # A version the source cannot give: the run fails and says what to correct.
        code, output = host.apply(new, version="0.0.3")
        assert code in (4, 6), output
        assert ("installed sentry-puppet 0.0.2 from %s, but sentry::server::version is 0.0.3: "
                "correct package_source or version" % new) in output
        assert tool_version(host.venv) == "sentry-puppet 0.0.2"


def test_released_module_installs_its_own_tool_and_reports_what_sync_made(tmp_path):
    """No package_source: the module as scripts/release builds it installs the wheel it
    carries, pinned to its version; the run's output (its report) shows the projects made."""
    assert STDLIB.is_dir(), "Debian's puppet-module-puppetlabs-stdlib is not installed"
    (tmp_path / "release").mkdir()
    module = release.released_module(tmp_path / "release")
    version = release.module_version()
    # A definition by hand (puppet apply has no PuppetDB to collect exports from).
    project = ("sentry::source::project { 'billing-app01.example.com': project => 'billing', "
               "platform => 'python', source => 'app01.example.com' }")
    with FakeSentry() as server:
        host = Host(tmp_path, server, module=module)
        code, output = host.apply(None, more=project)
        assert code == 2, output
        assert tool_version(host.venv) == "sentry-puppet %s" % version
        assert (host.venv / ("sentry_puppet-%s-py3-none-any.whl" % version)).is_file()
        # logoutput: the sync's plan lines reach the report (never the token: Host.apply).
        assert "+ project billing (python) in apps" in output, output
        assert "projects: 1 created" in output, output

        code, output = host.apply(None, more=project)
        assert code == 0, output

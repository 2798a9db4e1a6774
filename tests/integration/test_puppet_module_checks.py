"""The Puppet module's own checks, run with Debian's tools: puppet-lint, puppet parser validate,
metadata.json, rspec-puppet for every class, define and function, REFERENCE.md up to date."""
import json
import os
import pathlib
import shutil
import subprocess

import pytest

MODULE = pathlib.Path(__file__).resolve().parent.parent.parent / "puppet-module"
STDLIB = pathlib.Path("/usr/share/puppet/modules/stdlib")  # Debian's puppet-module-puppetlabs-stdlib


def tool(name):
    path = shutil.which(name)
    assert path, "%s is not installed: run scripts/install-deps (as root)" % name
    return path


def run(command, cwd=MODULE):
    result = subprocess.run(command, cwd=str(cwd), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, universal_newlines=True, timeout=600)
    assert result.returncode == 0, result.stdout
    return result.stdout


def puppet_files():
    return sorted(str(p) for p in MODULE.glob("manifests/**/*.pp")) + sorted(
        str(p) for p in MODULE.glob("functions/**/*.pp"))


def test_puppet_lint_finds_nothing():
    # --relative: the module lives in puppet-module/, not in a directory named `sentry`.
    out = run([tool("puppet-lint"), "--fail-on-warnings", "--relative", "manifests", "functions"])
    assert out.strip() == ""


def test_puppet_parser_validate():
    run([tool("puppet"), "parser", "validate"] + puppet_files())


def test_metadata_is_a_forge_module():
    metadata = json.loads((MODULE / "metadata.json").read_text())
    for key in ("name", "version", "author", "license", "summary", "source", "dependencies",
                "operatingsystem_support", "requirements"):
        assert metadata.get(key), key
    assert metadata["name"].endswith("-sentry")
    assert {"puppetlabs/stdlib"} == {d["name"] for d in metadata["dependencies"]}
    assert metadata["requirements"] == [
        {"name": "puppet", "version_requirement": ">= 7.0.0 < 9.0.0"}]
    systems = {s["operatingsystem"] for s in metadata["operatingsystem_support"]}
    assert {"Debian", "Ubuntu", "RedHat"} <= systems


def test_rspec_puppet_covers_every_class_define_and_function(tmp_path):
    assert STDLIB.is_dir(), "Debian's puppet-module-puppetlabs-stdlib is not installed"
    fixtures = tmp_path / "fixtures"
    (fixtures / "modules").mkdir(parents=True)
    (fixtures / "site.pp").touch()
    (fixtures / "modules" / "sentry").symlink_to(MODULE)
    (fixtures / "modules" / "stdlib").symlink_to(STDLIB)
    result = subprocess.run(
        [tool("rspec"), "--pattern", "spec/{classes,defines,functions}/**/*_spec.rb"],
        cwd=str(MODULE), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, timeout=600,
        env=dict(os.environ, SPEC_FIXTURES=str(fixtures), HOME=str(tmp_path)))
    assert result.returncode == 0, result.stdout
    assert " 0 failures" in result.stdout, result.stdout
    specs = {p.stem[:-len("_spec")] for p in MODULE.glob("spec/**/*_spec.rb")}
    for path in puppet_files():
        relative = pathlib.Path(path).relative_to(MODULE)
        parts = list(relative.with_suffix("").parts[1:])  # manifests/source/export -> source_export
        assert "_".join(parts) in specs, "no spec for %s" % relative


def test_reference_md_matches_puppet_strings(tmp_path):
    copy = tmp_path / "sentry"
    shutil.copytree(str(MODULE), str(copy), ignore=shutil.ignore_patterns("spec", ".yardoc"))
    run([tool("puppet"), "strings", "generate", "--format", "markdown", "--out", "REFERENCE.md",
         "manifests/**/*.pp", "functions/**/*.pp", "lib/**/*.rb"], cwd=copy)
    fresh = (copy / "REFERENCE.md").read_text()
    assert (MODULE / "REFERENCE.md").read_text() == fresh, (
        "REFERENCE.md is stale: regenerate it with `cd puppet-module && puppet strings generate "
        "--format markdown --out REFERENCE.md 'manifests/**/*.pp' 'functions/**/*.pp' "
        "'lib/**/*.rb'`")


def apply_noop(tmp_path, code):
    """A real `puppet apply --noop`, with the module and Debian's stdlib -> (exit, output)."""
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "sentry").symlink_to(MODULE)
    (modules / "stdlib").symlink_to(STDLIB)
    result = subprocess.run(
        [tool("puppet"), "apply", "--noop", "--detailed-exitcodes", "--modulepath",
         str(modules), "--confdir", str(tmp_path / "conf"), "--vardir", str(tmp_path / "var"),
         "-e", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, timeout=300, env=dict(os.environ, HOME=str(tmp_path)))
    # Facter's /proc/1/environ complaints in a sandbox are noise, not the module's.
    output = "\n".join(l for l in result.stdout.splitlines() if "/proc/1/environ" not in l)
    return result.returncode, output


def server_code(tmp_path, extra=""):
    return ("class { 'sentry::server': backend => 'bugsink', url => 'http://127.0.0.1:1', "
            "token => Sensitive('secret-token-value'), config_dir => '%s/etc', "
            "package_source => '/srv/dist/sentry_puppet.whl', venv => '%s/venv'%s }"
            % (tmp_path, tmp_path, extra))


@pytest.mark.parametrize("manifest", ["client", "server"])
def test_puppet_apply_noop_compiles_on_this_machine(tmp_path, manifest):
    code = {
        "client": "class { 'sentry::client': dsn_url => 'https://sentry.example.com/dsn/', "
                  "config_file => '%s/facts.conf' }" % tmp_path,
        # The timer only where systemd is PID 1 (the next test).
        "server": server_code(tmp_path, ", sync_timer => %s" % str(SYSTEMD_IS_PID1).lower()),
    }[manifest]
    code, output = apply_noop(tmp_path, code)
    assert code in (0, 2), output
    assert "secret-token-value" not in output


def systemd_is_pid1():
    with open("/proc/1/comm") as handle:
        return handle.read().strip() == "systemd"


SYSTEMD_IS_PID1 = systemd_is_pid1()


def test_server_defaults_decide_by_this_machines_init_system(tmp_path):
    """sync_timer's default, as this machine's Puppet sees it: compiles under systemd, else
    fails at compile time naming the parameter and what to set (not a failed Service at the
    end of the run)."""
    code, output = apply_noop(tmp_path, server_code(tmp_path))
    if SYSTEMD_IS_PID1:
        assert code in (0, 2), output
    else:
        assert code == 1, output
        assert "sync_timer is true (the default)" in output, output
        assert "Set `sentry::server::sync_timer: false`" in output, output
        assert "Could not find init script" not in output, output
        assert "Service[sentry-puppet-sync.timer]" not in output, output

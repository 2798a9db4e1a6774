"""The Puppet module's own checks, run with Debian's tools: puppet-lint, puppet parser validate,
metadata.json, rspec-puppet for every class, define and function, REFERENCE.md up to date."""
import json
import os
import pathlib
import re
import shutil
import subprocess

import pytest

from tests.support.puppet import STRICT, warnings, without_sandbox_noise

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
    return sorted(str(p) for folder in ("manifests", "functions", "types")
                  for p in MODULE.glob(folder + "/**/*.pp"))


def test_puppet_lint_finds_nothing():
    # --relative: the module lives in puppet-module/, not in a directory named `sentry`.
    out = run([tool("puppet-lint"), "--fail-on-warnings", "--relative", "manifests", "functions", "types"])
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

    # Claimed is what the suite runs: the whole of it on Debian 12 (Puppet 7) and Debian 13
    # (Puppet 8), with Puppet or its continuation OpenVox (same code, same versions). The
    # app-server side also runs on the RedHat family (the fact's start-up, sentry::client's
    # rspec: docs/facts.md), but the Sentry host's classes fail there, so metadata, which
    # speaks for the whole module, does not claim it; puppet-module/README.md says so.
    assert metadata["requirements"] == [
        {"name": "puppet", "version_requirement": ">= 7.0.0 < 9.0.0"},
        {"name": "openvox", "version_requirement": ">= 7.0.0 < 9.0.0"}]
    assert metadata["operatingsystem_support"] == [
        {"operatingsystem": "Debian", "operatingsystemrelease": ["12", "13"]}]


def test_metadata_claims_the_debian_release_this_suite_runs_on():
    """The release under this run is a claimed one: a suite run on an unclaimed release must
    either be claimed or not count as the proof."""
    release = dict(line.split("=", 1) for line in pathlib.Path("/etc/os-release").read_text()
                   .splitlines() if "=" in line)
    assert release.get("ID") == "debian", "the suite runs on Debian 12 and 13 only"
    major = release.get("VERSION_ID", "").strip('"').split(".")[0]
    claimed = {r for s in json.loads((MODULE / "metadata.json").read_text())[
        "operatingsystem_support"] if s["operatingsystem"] == "Debian"
        for r in s["operatingsystemrelease"]}
    assert major in claimed, "Debian %s runs this suite but metadata.json claims %s" % (
        major, sorted(claimed))


def test_stdlib_range_holds_the_stdlib_tested_here():
    """metadata.json's stdlib range is what runs: Debian 12's 8.5.0 and Debian 13's 9.4.1 (the
    suite runs on both) are in it, and this machine's is."""
    metadata = json.loads((MODULE / "metadata.json").read_text())
    wanted = next(d["version_requirement"] for d in metadata["dependencies"]
                  if d["name"] == "puppetlabs/stdlib")
    assert wanted == ">= 8.5.0 < 10.0.0"
    installed = json.loads((STDLIB / "metadata.json").read_text())["version"]

    def version(text):
        return tuple(int(part) for part in text.split("."))

    assert version("8.5.0") <= version(installed) < version("10.0.0"), (
        "this machine's stdlib %s is outside metadata.json's %s" % (installed, wanted))


def test_rspec_puppet_covers_every_class_define_and_function(tmp_path):
    assert STDLIB.is_dir(), "Debian's puppet-module-puppetlabs-stdlib is not installed"
    fixtures = tmp_path / "fixtures"
    (fixtures / "modules").mkdir(parents=True)
    (fixtures / "site.pp").touch()
    (fixtures / "modules" / "sentry").symlink_to(MODULE)
    (fixtures / "modules" / "stdlib").symlink_to(STDLIB)
    result = subprocess.run(
        [tool("rspec"), "--pattern", "spec/{classes,defines,functions,type_aliases}/**/*_spec.rb"],
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
    # An example skipped for want of an optional package (under CI=true it failed instead):
    # not a pass, and its reason shown.
    pending = re.search(r"^\d+ examples, 0 failures, (\d+) pending$", result.stdout, re.M)
    if pending:
        reasons = sorted(set(re.findall(r"^\s+# (?!\./)(.+)$", result.stdout, re.M)))
        pytest.skip("rspec: %s examples skipped: %s" % (pending.group(1), "; ".join(reasons)))


REGENERATE = ("regenerate it with `cd puppet-module && puppet strings generate --format markdown "
              "--out REFERENCE.md 'manifests/**/*.pp' 'functions/**/*.pp' 'types/**/*.pp' 'lib/**/*.rb'`")


def layout_neutral(reference):
    """REFERENCE.md with what puppet-strings 2.x (Debian 12) and 4.x (Debian 13) lay out
    differently made alike, every word of the docs kept: anchors (`sentryclient` against
    `sentry--client`, `dsn_url` against `-sentry--client--dsn_url`) dropped; a type or default
    over several lines inline in backticks (2.x) rather than in a ```puppet block (4.x), and a
    type alias's the other way round; undef/true/false in double backticks (2.x)."""
    text = re.sub(r'<a name="[^"]*"></a>', "", reference)
    text = re.sub(r"\]\(#[^)]*\)", "](#)", text)
    text = re.sub(r"^(Data type|Default value):\n\n```\w*\n(.*?)\n```$",
                  lambda m: "%s: `%s`" % (m.group(1), m.group(2)), text, flags=re.S | re.M)
    text = re.sub(r"^Alias of\n\n```\w*\n(.*?)\n```$", r"Alias of `\1`", text, flags=re.S | re.M)
    return re.sub(r"``(undef|true|false)``", r"`\1`", text)


def test_layout_neutral_makes_strings_2_and_4_alike_and_keeps_the_words():
    strings_2 = ("* [`sentry::client`](#sentryclient): Registers every app.\n"
                 "### <a name=\"sentryclient\"></a>`sentry::client`\n"
                 "##### <a name=\"apps\"></a>`apps`\n\n"
                 "Data type: `Hash[String, Struct[{\n    lang => String,\n  }]]`\n\n"
                 "Default value: ``undef``\n"
                 "### <a name=\"sentrysecret\"></a>`Sentry::Secret`\n\n"
                 "Alias of\n\n```puppet\nVariant[Sensitive[String[1]], Deferred]\n```\n\n")
    strings_4 = ("* [`sentry::client`](#sentry--client): Registers every app.\n"
                 "### <a name=\"sentry--client\"></a>`sentry::client`\n"
                 "##### <a name=\"-sentry--client--apps\"></a>`apps`\n\n"
                 "Data type:\n\n```puppet\n"
                 "Hash[String, Struct[{\n    lang => String,\n  }]]\n```\n\n"
                 "Default value: `undef`\n"
                 "### <a name=\"Sentry--Secret\"></a>`Sentry::Secret`\n\n"
                 "Alias of `Variant[Sensitive[String[1]], Deferred]`\n\n")
    assert layout_neutral(strings_2) == layout_neutral(strings_4)
    assert layout_neutral(strings_2) != layout_neutral(strings_4.replace("every app", "each app"))
    assert layout_neutral(strings_2) != layout_neutral(strings_4.replace("lang =>", "team =>"))
    assert layout_neutral(strings_2) != layout_neutral(strings_4.replace("Deferred]", "String]"))


def test_reference_md_matches_puppet_strings(tmp_path):
    """REFERENCE.md is what this machine's puppet-strings writes: byte for byte when the file was
    written by the same major release (its anchor style tells), else with the two layouts made
    alike (layout_neutral). Either way a changed doc comment or parameter fails it."""
    copy = tmp_path / "sentry"
    shutil.copytree(str(MODULE), str(copy), ignore=shutil.ignore_patterns("spec", ".yardoc"))
    run([tool("puppet"), "strings", "generate", "--format", "markdown", "--out", "REFERENCE.md",
         "manifests/**/*.pp", "functions/**/*.pp", "types/**/*.pp", "lib/**/*.rb"], cwd=copy)
    fresh = (copy / "REFERENCE.md").read_text()
    committed = (MODULE / "REFERENCE.md").read_text()

    def strings_4(text):  # 4.x anchors keep the `::` as `--`
        return "](#sentry--" in text

    if strings_4(fresh) == strings_4(committed):
        assert committed == fresh, "REFERENCE.md is stale: " + REGENERATE
    else:
        assert layout_neutral(committed) == layout_neutral(fresh), (
            "REFERENCE.md is stale (compared as puppet-strings 2.x and 4.x would both write it): "
            + REGENERATE)


def apply_noop(tmp_path, code):
    """A real `puppet apply --noop`, with the module and Debian's stdlib -> (exit, output)."""
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "sentry").symlink_to(MODULE)
    (modules / "stdlib").symlink_to(STDLIB)
    result = subprocess.run(
        [tool("puppet"), "apply", "--noop", "--detailed-exitcodes", "--color=false"] + STRICT + [
         "--modulepath", str(modules), "--confdir", str(tmp_path / "conf"),
         "--vardir", str(tmp_path / "var"), "-e", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True, timeout=300, env=dict(os.environ, HOME=str(tmp_path)))
    output = without_sandbox_noise(result.stdout)
    assert warnings(output) == [], output
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

"""A real `puppet apply` (not --noop) of sentry::client on this machine, with the module's own
facts.d: the first run writes facts.conf, the second's facts read it and find the app, the third
changes nothing."""
import os
import pathlib
import shutil
import subprocess

from tests.support.puppet import STRICT, warnings, without_sandbox_noise

MODULE = pathlib.Path(__file__).resolve().parent.parent.parent / "puppet-module"
STDLIB = pathlib.Path("/usr/share/puppet/modules/stdlib")  # Debian's puppet-module-puppetlabs-stdlib


def apply(tmp_path, code):
    puppet = shutil.which("puppet")
    assert puppet, "puppet is not installed: run scripts/install-deps (as root)"
    result = subprocess.run(
        [puppet, "apply", "--detailed-exitcodes", "--color=false"] + STRICT + [
         "--modulepath", str(tmp_path / "modules"), "--confdir", str(tmp_path / "conf"), "--vardir", str(tmp_path / "var"), "-e", code],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=300,
        env=dict(os.environ, HOME=str(tmp_path),
                 SENTRY_PUPPET_FACTS_CONFIG=str(tmp_path / "facts.conf")))
    output = without_sandbox_noise(result.stdout)
    assert warnings(output) == [], output
    return result.returncode, output


def test_client_facts_conf_leads_the_facts_to_the_app_then_nothing_changes(tmp_path):
    assert STDLIB.is_dir(), "Debian's puppet-module-puppetlabs-stdlib is not installed"
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "sentry").symlink_to(MODULE)
    (tmp_path / "modules" / "stdlib").symlink_to(STDLIB)
    (tmp_path / "apps" / "Foo-Bar").mkdir(parents=True)
    (tmp_path / "apps" / "Foo-Bar" / "Gemfile").write_text("source 'https://rubygems.org'\n")
    code = ("class { 'sentry::client': app_roots => ['%s/apps'], config_file => '%s/facts.conf', "
            "cache_dir => '%s/cache' } "
            # What the facts saw, for the test to read.
            "file { '%s/seen': content => join(sort(keys(pick($facts['sentry_apps'], {}))), ',') }"
            % (tmp_path, tmp_path, tmp_path, tmp_path))

    first, output = apply(tmp_path, code)
    assert first == 2, output
    conf = (tmp_path / "facts.conf").read_text()
    assert "roots = %s/apps\n" % tmp_path in conf
    assert "\nurl = " not in conf  # no dsn_url: the facts fetch nothing
    assert oct((tmp_path / "facts.conf").stat().st_mode & 0o777) == "0o644"

    # The facts ran before the catalog: only now do they read the new app root.
    second, output = apply(tmp_path, code)
    assert second == 2, output
    assert (tmp_path / "seen").read_text() == "Foo-Bar"
    assert "facts.conf" not in output  # facts.conf itself did not change again

    third, output = apply(tmp_path, code)
    assert third == 0, output


def test_client_apps_choices_reach_the_real_facts(tmp_path):
    """`apps` in Puppet -> [app:NAME] in facts.conf -> the shipped fact reports the chosen
    language and leaves the ignored app out."""
    assert STDLIB.is_dir(), "Debian's puppet-module-puppetlabs-stdlib is not installed"
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "sentry").symlink_to(MODULE)
    (tmp_path / "modules" / "stdlib").symlink_to(STDLIB)
    for app, marker in (("billing", "Gemfile"), ("legacy", "composer.json"), ("shop", "go.mod")):
        (tmp_path / "apps" / app).mkdir(parents=True)
        (tmp_path / "apps" / app / marker).write_text("")
    code = ("class { 'sentry::client': app_roots => ['%s/apps'], config_file => '%s/facts.conf', "
            "cache_dir => '%s/cache', apps => { 'billing' => { 'lang' => 'python', "
            "'team' => 'payments' }, 'legacy' => { 'ignore' => true } } } "
            "file { '%s/seen': content => join(sort(pick($facts['sentry_apps'], {}).map "
            "|$app, $info| { \"${app}=${info['lang']}\" }), ',') }"
            % (tmp_path, tmp_path, tmp_path, tmp_path))

    first, output = apply(tmp_path, code)
    assert first == 2, output
    conf = (tmp_path / "facts.conf").read_text()
    assert conf.endswith("[app:billing]\nlang = python\n[app:legacy]\nignore = true\n"), conf

    second, output = apply(tmp_path, code)
    assert second == 2, output
    assert (tmp_path / "seen").read_text() == "billing=python,shop=go"

    third, output = apply(tmp_path, code)
    assert third == 0, output

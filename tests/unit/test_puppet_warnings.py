"""What the Puppet tests count as a warning: stdlib 9's deprecation notice and Puppet's own
warnings fail them; the sandbox's Facter noise, `puppet apply`'s note that exports go nowhere
without PuppetDB, and ordinary output do not."""
from tests.support.puppet import warnings

# As `puppet apply` printed them on Debian 13 (Puppet 8.10, stdlib 9.4.1) before sentry::to_yaml.
DEPRECATED = ("Warning: This function is deprecated, please use stdlib::to_yaml instead. at "
              "[\"/etc/puppet/code/modules/sentry/manifests/server/config.pp\", 23]:")
STRICT = "Warning: The string 'x' was automatically coerced to the numerical value 1"


def test_warnings_and_deprecations_are_found():
    output = "\n".join([
        "Notice: Compiled catalog for app01 in environment production in 0.41 seconds",
        DEPRECATED,
        "   (location: /usr/share/puppet/modules/stdlib/lib/puppet/functions/to_yaml.rb:8)",
        STRICT,
        "Notice: ensure_packages is deprecated",
        "Notice: Applied catalog in 0.02 seconds",
    ])
    assert warnings(output) == [DEPRECATED, STRICT, "Notice: ensure_packages is deprecated"]


def test_a_clean_run_and_sandbox_noise_are_not_warnings():
    output = "\n".join([
        "Warning: Facter: Could not read /proc/1/environ: Permission denied",
        "Warning: You cannot collect exported resources without storeconfigs being set; the export "
        "is ignored (file: /x/modules/sentry/manifests/source/export.pp, line: 79, column: 3)",
        "Warning: You cannot collect exported resources without storeconfigs being set; the "
        "collection will be ignored (file: /x/modules/sentry/manifests/server/sync.pp, line: 21)",
        "Error: Facter: error while resolving custom fact: /proc/1/environ",
        "Notice: Compiled catalog for app01 in environment production in 0.41 seconds",
        "Notice: /Stage[main]/Sentry::Client/File[/etc/sentry_puppet/facts.conf]/ensure: created",
        "Notice: Applied catalog in 0.02 seconds",
    ])
    assert warnings(output) == []


def test_the_modules_own_warnings_only_when_asked():
    own = ("Warning: Scope(Sentry::Source::Export[billing]): sentry::source::export[billing]: "
           "`env` is deprecated (a covermymeds/sentry parameter): use `environment`.")
    output = own + "\n" + DEPRECATED
    assert warnings(output) == [own, DEPRECATED]
    assert warnings(output, module_own_too=False) == [DEPRECATED]

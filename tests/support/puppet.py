"""How the tests run `puppet apply`: as strict as Puppet 8 is by default, on Puppet 7 too, and
with no warning let through (a deprecated stdlib function warns at every compile)."""
import re

# Puppet 8's defaults (strict=error, strict_variables) named, so Puppet 7 is held to them too.
STRICT = ["--strict=error", "--strict_variables"]
# Facter's complaints about /proc/1/environ in a sandbox (CI, chroot) are not the module's.
SANDBOX_NOISE = "/proc/1/environ"
# What Puppet says of every export and collection under `puppet apply`, which has no PuppetDB:
# the tests' masterless setting, not the module's (on a puppetserver with PuppetDB it is silent).
MASTERLESS = "Warning: You cannot collect exported resources without storeconfigs being set;"
# The module's own warning() calls (`sentry::...`: a covermymeds/sentry parameter is deprecated),
# which its specs check word for word.
MODULE_OWN = re.compile(r"Warning: Scope\([^)]*\): sentry::")


def without_sandbox_noise(output):
    return "\n".join(line for line in output.splitlines() if SANDBOX_NOISE not in line)


def warnings(output, module_own_too=True):
    """The lines of a puppet run that warn or announce a deprecation (but for the module's own
    warnings when module_own_too is False)."""
    return [line for line in without_sandbox_noise(output).splitlines()
            if (re.match(r"\s*Warning:", line) or re.search(r"deprecat", line, re.I))
            and not line.startswith(MASTERLESS)
            and (module_own_too or not MODULE_OWN.match(line))]

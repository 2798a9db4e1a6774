"""Where the wanted definitions come from: PuppetDB when the config has `puppetdb`, else the
files in `definitions_dir` (sites without PuppetDB access, the demo)."""
from sentry_puppet.definitions import load_definitions
from sentry_puppet.puppetdb import load_puppetdb_definitions


def read_definitions(config):
    """-> Definitions; SourceError when PuppetDB gives no usable answer."""
    if config.puppetdb is not None:
        return load_puppetdb_definitions(config.puppetdb, config.team, config.timeout)
    return load_definitions(config.definitions_dir, config.team)

"""Where the wanted definitions come from: PuppetDB when the config has `puppetdb`, else the
files in `definitions_dir` (sites without PuppetDB access, the demo)."""
from sentry_puppet.definitions import load_definitions


class SourceError(Exception):
    """The source gave no usable answer (PuppetDB down, refusing us, an answer cut short): the
    run must stop before the server, never go on as if there were no definitions."""


def read_definitions(config):
    """-> Definitions; SourceError when PuppetDB gives no usable answer."""
    if config.puppetdb is not None:
        from sentry_puppet.puppetdb import load_puppetdb_definitions
        return load_puppetdb_definitions(config.puppetdb, config.team, config.timeout)
    return load_definitions(config.definitions_dir, config.team)

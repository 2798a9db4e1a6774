"""Where the wanted definitions come from: PuppetDB when the config has `puppetdb`, else the
files in `definitions_dir` (sites without PuppetDB access, the demo)."""
from sentry_puppet.definitions import load_definitions
from sentry_puppet.puppetdb import load_puppetdb_definitions


def read_definitions(config, deadline=None):
    """-> Definitions; SourceError when PuppetDB gives no usable answer. `deadline`
    (deadline.Deadline): the run's, which PuppetDB's answer must not outlast."""
    if config.puppetdb is not None:
        return load_puppetdb_definitions(config.puppetdb, config.team, config.timeout, deadline)
    return load_definitions(config.definitions_dir, config.team)

"""Server APIs behind one interface (base.py); make_backend picks the config's."""


def make_backend(config):
    """-> a base.Backend for config.backend."""
    if config.backend == "bugsink":
        from sentry_puppet.backends.bugsink import BugsinkBackend
        return BugsinkBackend(config)
    if config.backend == "sentry":
        from sentry_puppet.backends.sentry import SentryBackend
        return SentryBackend(config)
    raise ValueError("unknown backend %r" % config.backend)

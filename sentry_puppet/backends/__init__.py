"""Server APIs behind one interface (base.py); make_backend picks the config's."""

def make_backend(config, deadline=None):
    """-> a base.Backend for config.backend; `deadline` (deadline.Deadline) bounds its waits."""
    if config.backend == "bugsink":
        from sentry_puppet.backends.bugsink import BugsinkBackend
        return BugsinkBackend(config, deadline=deadline)
    if config.backend == "sentry":
        from sentry_puppet.backends.sentry import SentryBackend
        return SentryBackend(config, deadline=deadline)
    raise ValueError("unknown backend %r" % config.backend)

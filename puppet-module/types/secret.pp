# @summary A secret the module writes into a root-only (or service-user-only) file.
#
# `Sensitive`: the value is in the compiled catalog, marked sensitive, so PuppetDB, reports and
# logs redact it; the agent's cached catalog (`client_data/catalog/<certname>.json`, root's)
# holds it in clear, as Puppet caches every catalog it receives.
# `Deferred`: the agent resolves it while applying, so no catalog, not even the agent's cache,
# holds the secret: `Deferred('sentry::secret_file', ['/root/secrets/x'])` for a file your own
# tooling places on the host, or a secrets store's agent-side function. One that returns
# `Sensitive` (as `sentry::secret_file` does) keeps it redacted in the run's output too.
type Sentry::Secret = Variant[Sensitive[String[1]], Deferred]

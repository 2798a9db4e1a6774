# frozen_string_literal: true

# sentry_agent_ssl: where THIS agent keeps its certificate, key, CA and CRL, from the agent's
# own settings (its ssldir differs between Debian's Puppet, Puppet's packages and a --confdir).
# sentry::bugsink serves the Sentry host's vhost with them: its /dsn/ clients are Puppet agents
# and already trust that CA. `crl` only when the agent has one (not with
# certificate_revocation = false). Absent when Puppet's settings are not loaded (plain `facter`).
Facter.add(:sentry_agent_ssl) do
  confine { defined?(Puppet) && Puppet.respond_to?(:settings) && Puppet.settings.app_defaults_initialized? }
  setcode do
    ssl = {
      'cert' => Puppet[:hostcert],
      'key' => Puppet[:hostprivkey],
      'ca' => Puppet[:localcacert],
    }
    ssl['crl'] = Puppet[:hostcrl] if File.exist?(Puppet[:hostcrl])
    ssl
  end
end

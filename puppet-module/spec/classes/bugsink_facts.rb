# The sentry_agent_ssl fact (lib/facter/sentry_agent_ssl.rb) of a Debian agent, for the bugsink specs.
AGENT_SSL = {
  'cert' => '/var/lib/puppet/ssl/certs/sentry.example.com.pem',
  'key' => '/var/lib/puppet/ssl/private_keys/sentry.example.com.pem',
  'ca' => '/var/lib/puppet/ssl/certs/ca.pem',
  'crl' => '/var/lib/puppet/ssl/crl.pem',
}.freeze

# rspec-puppet from Debian's ruby-rspec-puppet; run through tests/integration/test_puppet_module_checks.py,
# which lays out a temporary fixtures directory (modules/sentry -> this module, modules/stdlib ->
# Debian's stdlib, an empty site.pp) and names it in SPEC_FIXTURES, so the repository stays clean.
require 'rspec-puppet'

fixtures = ENV.fetch('SPEC_FIXTURES') { File.expand_path(File.join(__dir__, 'fixtures')) }

RSpec.configure do |c|
  c.module_path = File.join(fixtures, 'modules')
  c.manifest = File.join(fixtures, 'site.pp')
  c.strict_variables = true
  c.setup_fixtures = false
  c.default_facts = {
    'os' => { 'family' => 'Debian', 'name' => 'Debian', 'release' => { 'major' => '12' } },
    'networking' => { 'fqdn' => 'app01.example.com' },
    # stdlib's fact: Puppet's default service provider (systemd is PID 1 on a Debian server).
    'service_provider' => 'systemd',
  }
end

# warning() goes to Puppet's log. Examples that check it compile afresh (rspec-puppet caches
# catalogues, and a catalogue from the cache logs nothing) and see the module's own warnings.
RSpec.shared_context 'puppet warnings' do
  let(:logs) { [] }
  let(:warnings) do
    logs.select { |l| l.level == :warning && l.message.start_with?('sentry::') }.map(&:message)
  end

  before(:each) do
    RSpec::Puppet::Support.class_variable_set(:@@cache, RSpec::Puppet::Cache.new)
    Puppet::Util::Log.newdestination(Puppet::Test::LogCollector.new(logs))
    Puppet::Util::Log.level = :warning
  end
  after(:each) { Puppet::Util::Log.close_all }
end

# Each resource's parameters as a compiled catalog carries them in clear: all but those it lists
# in sensitive_parameters (PuppetDB's terminus redacts those, the agent wraps them in Sensitive).
# A secret must appear in none of them.
def clear_text(catalogue)
  catalogue.resources.map { |r| r.to_hash.reject { |param, _| r.sensitive_parameters.include?(param) }.inspect }.join("\n")
end

# A parameter given as Deferred('NAME', ARGS): the agent calls NAME while applying.
def deferred(name, args)
  RSpec::Puppet::RawString.new("Deferred('#{name}', #{args.inspect})")
end

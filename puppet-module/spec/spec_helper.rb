# rspec-puppet from Debian's ruby-rspec-puppet; run through tests/integration/test_puppet_module_checks.py,
# which lays out spec/fixtures/modules (this module as `sentry`, and Debian's stdlib).
require 'rspec-puppet'

fixtures = File.expand_path(File.join(__dir__, 'fixtures'))

RSpec.configure do |c|
  c.module_path = File.join(fixtures, 'modules')
  c.manifest = File.join(fixtures, 'site.pp')
  c.strict_variables = true
  c.setup_fixtures = false
  c.default_facts = {
    'os' => { 'family' => 'Debian', 'name' => 'Debian', 'release' => { 'major' => '12' } },
    'networking' => { 'fqdn' => 'app01.example.com' },
  }
end

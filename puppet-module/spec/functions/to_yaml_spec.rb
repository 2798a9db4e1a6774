require 'spec_helper'

describe 'sentry::to_yaml' do
  config = {
    'backend' => 'bugsink',
    'url' => 'https://bugsink.example.com:8443/',
    'token_file' => '/etc/sentry_puppet/token',
    'organization' => 'yes',
    'mode' => '0600',
    'team' => 'café',
    'puppetdb' => { 'url' => 'https://puppet.example.com:8081', 'timeout' => 30, 'verify' => true },
    'roots' => ['/srv/apps', '/opt/apps'],
    'vhost' => {},
  }

  it 'writes the YAML the config files have always had' do
    is_expected.to run.with_params(config).and_return(<<~YAML)
      ---
      backend: bugsink
      url: https://bugsink.example.com:8443/
      token_file: "/etc/sentry_puppet/token"
      organization: 'yes'
      mode: '0600'
      team: café
      puppetdb:
        url: https://puppet.example.com:8081
        timeout: 30
        verify: true
      roots:
      - "/srv/apps"
      - "/opt/apps"
      vhost: {}
    YAML
  end

  it "is byte for byte what stdlib's to_yaml writes" do
    # stdlib 9 names it stdlib::to_yaml (its to_yaml is a deprecated alias); stdlib 8.5 has to_yaml only.
    stdlib = find_function('stdlib::to_yaml') ? 'stdlib::to_yaml' : 'to_yaml'
    expect(call_function('sentry::to_yaml', config)).to eq(call_function(stdlib, config))
  end

  it 'refuses a Sensitive value (YAML would write it out)' do
    is_expected.to run.with_params('token' => sensitive('secret')).and_raise_error(ArgumentError, %r{expects a Data value})
  end
end

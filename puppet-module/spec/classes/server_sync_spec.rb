require 'spec_helper'
require 'yaml'

# sentry::server::sync is private: declared through sentry::server.
describe 'sentry::server' do
  let(:node) { 'sentry.example.com' }

  let(:params) do
    {
      backend: 'bugsink',
      url: 'http://127.0.0.1:8000',
      token: sensitive('t'),
      package_source: 'sentry-puppet==0.1.0',
    }
  end

  it { is_expected.to compile.with_all_deps }
  it 'purges definitions of retired hosts' do
    is_expected.to contain_file('/etc/sentry_puppet/projects.d')
      .with(ensure: 'directory', recurse: true, purge: true)
  end
  it 'with the timer (default): syncs only when the timer does not, shows what it created' do
    timer_works = 'systemctl is-active --quiet sentry-puppet-sync.timer && ! systemctl is-failed --quiet sentry-puppet-sync.service'
    created = '/var/lib/sentry_puppet/dsn.timer-created'
    is_expected.to contain_exec('sentry-puppet sync')
      .with_unless("test -x /opt/sentry_puppet/venv/bin/sentry-puppet && #{timer_works} && ! test -s #{created}")
      .with_command("if #{timer_works}; then ! test -s #{created} || { mv -f #{created} #{created}.shown " \
                    "&& cat #{created}.shown && rm -f #{created}.shown; }; " \
                    'else /opt/sentry_puppet/venv/bin/sentry-puppet --config /etc/sentry_puppet/config.yaml sync --detailed-exitcodes; fi')
      .with_returns([0, 2])
      .with_logoutput(true)
      .that_requires('Exec[sentry-puppet install]')
      .that_requires('File[/etc/sentry_puppet/config.yaml]')
      .that_requires('File[/etc/sentry_puppet/projects.d]')
  end

  context 'with sync_timer => false' do
    let(:params) { super().merge(sync_timer: false) }

    it 'syncs only when --check says something is pending, after the install' do
      is_expected.to contain_exec('sentry-puppet sync')
        .with_command('/opt/sentry_puppet/venv/bin/sentry-puppet --config /etc/sentry_puppet/config.yaml sync --detailed-exitcodes')
        .with_unless('test -x /opt/sentry_puppet/venv/bin/sentry-puppet && /opt/sentry_puppet/venv/bin/sentry-puppet --config /etc/sentry_puppet/config.yaml sync --check')
        .with_returns([0, 2])
        .with_logoutput(true)
        .that_requires('Exec[sentry-puppet install]')
    end
  end
end

# Where the definitions come from: PuppetDB (read by the tool), or files the catalog collects.
describe 'sentry::server' do
  let(:node) { 'sentry.example.com' }
  let(:params) do
    { backend: 'bugsink', url: 'http://127.0.0.1:8000', token: sensitive('t'),
      package_source: 'sentry-puppet==0.1.0' }
  end

  # What sentry::puppetdb_url() returns on such a server is spec/functions/puppetdb_url_spec.rb's.
  context 'when the tool reads PuppetDB' do
    let(:params) { super().merge(puppetdb: { 'url' => 'https://puppetdb.example.com:8081' }) }

    it { is_expected.to compile.with_all_deps }
    it 'gives the tool the URL and the environment' do
      is_expected.to contain_file('/etc/sentry_puppet/config.yaml')
        .with_content(%r{^puppetdb:\n  environment: "?production"?\n  url: "?https://puppetdb\.example\.com:8081"?$})
    end
    it 'collects nothing: the catalog does not grow with the fleet' do
      is_expected.not_to contain_file('/etc/sentry_puppet/projects.d')
      is_expected.to contain_exec('sentry-puppet sync').with_require([])
    end

    context "with definitions_from => 'files'" do
      let(:params) { super().merge(definitions_from: 'files') }

      it 'collects into definitions_dir as without PuppetDB' do
        is_expected.to contain_file('/etc/sentry_puppet/projects.d').with(purge: true)
        is_expected.to contain_file('/etc/sentry_puppet/config.yaml').without_content(%r{^puppetdb:})
      end
    end
  end

  context "with the agent's TLS files in the sentry_agent_ssl fact" do
    let(:facts) do
      { sentry_agent_ssl: { 'ca' => '/var/lib/puppet/ssl/certs/ca.pem', 'cert' => '/var/lib/puppet/ssl/certs/me.pem',
                            'key' => '/var/lib/puppet/ssl/private_keys/me.pem' } }
    end
    let(:params) { super().merge(puppetdb: { 'url' => 'https://pdb.example.com:8081', 'key_file' => '/srv/me.key' }) }

    it "opens PuppetDB with the agent's own files, given ones winning" do
      content = catalogue.resource('File', '/etc/sentry_puppet/config.yaml')[:content]
      expect(YAML.safe_load(content)['puppetdb']).to eq(
        'url' => 'https://pdb.example.com:8081', 'environment' => 'production',
        'ca_file' => '/var/lib/puppet/ssl/certs/ca.pem', 'cert_file' => '/var/lib/puppet/ssl/certs/me.pem',
        'key_file' => '/srv/me.key',
      )
    end
  end

  context 'with puppetdb overrides (another ssldir)' do
    let(:params) do
      super().merge(environment: 'staging',
                    puppetdb: { 'url' => 'https://pdb.example.com:8081', 'ca_file' => '/srv/ssl/ca.pem',
                                'cert_file' => '/srv/ssl/me.pem', 'key_file' => '/srv/ssl/me.key' })
    end

    it 'writes them into the config' do
      content = catalogue.resource('File', '/etc/sentry_puppet/config.yaml')[:content]
      expect(YAML.safe_load(content)['puppetdb']).to eq(
        'url' => 'https://pdb.example.com:8081', 'environment' => 'staging', 'ca_file' => '/srv/ssl/ca.pem',
        'cert_file' => '/srv/ssl/me.pem', 'key_file' => '/srv/ssl/me.key',
      )
      is_expected.not_to contain_file('/etc/sentry_puppet/projects.d')
    end
  end
end

require 'spec_helper'

describe 'sentry::server' do
  let(:node) { 'app01.example.com' }

  let(:params) do
    {
      backend: 'bugsink',
      url: 'http://127.0.0.1:8000',
      token: sensitive('0123456789abcdef0123456789abcdef01234567'),
      package_source: 'sentry-puppet==0.1.0',
    }
  end

  context 'with the embedded default' do
    it { is_expected.to compile.with_all_deps }
    it 'installs the tool in a virtualenv once' do
      is_expected.to contain_exec('sentry-puppet virtualenv')
        .with_command('/usr/bin/python3 -m venv /opt/sentry_puppet/venv')
        .with_creates('/opt/sentry_puppet/venv/bin/pip')
      is_expected.to contain_exec('sentry-puppet install')
        .with_command(%r{/opt/sentry_puppet/venv/bin/pip install .* sentry-puppet==0\.1\.0$})
        .with_creates('/opt/sentry_puppet/venv/bin/sentry-puppet')
    end
    it 'keeps the token in a 0600 file, out of the config and every command' do
      is_expected.to contain_file('/etc/sentry_puppet/token').with_mode('0600').with_show_diff(false)
      is_expected.to contain_file('/etc/sentry_puppet/config.yaml')
        .with_mode('0600')
        .with_content(%r{^token_file: "?/etc/sentry_puppet/token"?$})
        .with_content(%r{^backend: "?bugsink"?$})
        .without_content(%r{0123456789abcdef0123456789abcdef01234567})
      catalogue.resources.select { |r| r.type == 'Exec' }.each do |exec|
        expect("#{exec[:command]} #{exec[:unless]}").not_to include('0123456789abcdef')
      end
    end
    it 'purges definitions of retired hosts' do
      is_expected.to contain_file('/etc/sentry_puppet/projects.d')
        .with(ensure: 'directory', recurse: true, purge: true)
    end
    it 'syncs only when --check says something is pending' do
      is_expected.to contain_exec('sentry-puppet sync')
        .with_command('/opt/sentry_puppet/venv/bin/sentry-puppet --config /etc/sentry_puppet/config.yaml sync --detailed-exitcodes')
        .with_unless('test -x /opt/sentry_puppet/venv/bin/sentry-puppet && /opt/sentry_puppet/venv/bin/sentry-puppet --config /etc/sentry_puppet/config.yaml sync --check')
        .with_returns([0, 2])
        .that_requires('Exec[sentry-puppet install]')
    end
    it { is_expected.not_to contain_exec('sentry-puppet render-vhost') }
  end

  context 'with a vhost and an Apache service' do
    let(:pre_condition) { "service { 'apache2': }" }
    let(:params) do
      super().merge(
        backend: 'sentry',
        organization: 'acme',
        apache_service: 'apache2',
        vhost: { 'server_name' => 'sentry.example.com', 'proxy' => 'http://127.0.0.1:9000' },
      )
    end

    it { is_expected.to compile.with_all_deps }
    it 'renders the vhost before syncing and refreshes Apache only on change' do
      is_expected.to contain_exec('sentry-puppet render-vhost')
        .with_unless(%r{render-vhost --check$})
        .with_returns([0, 2])
        .that_notifies('Service[apache2]')
        .that_comes_before('Exec[sentry-puppet sync]')
      is_expected.to contain_file('/etc/sentry_puppet/config.yaml')
        .with_content(%r{^organization: "?acme"?$})
        .with_content(%r{^  server_name: "?sentry\.example\.com"?$})
    end
  end

  context 'with ports.conf managed' do
    let(:pre_condition) { "service { 'apache2': }" }
    let(:params) do
      super().merge(
        apache_service: 'apache2',
        ports_file: '/etc/apache2/ports.conf',
        vhost: { 'server_name' => 'sentry.example.com', 'listen' => 8443, 'http_port' => nil },
      )
    end

    it { is_expected.to compile.with_all_deps }
    it 'adds a Listen line for the HTTPS port only, leaving an existing one alone' do
      is_expected.to contain_file_line('sentry Listen 8443')
        .with(path: '/etc/apache2/ports.conf', line: 'Listen 8443', replace: false)
        .that_notifies('Service[apache2]')
      is_expected.not_to contain_file_line('sentry Listen 80')
    end
  end

  context 'with a vhost on the default ports and no ports_file' do
    let(:params) { super().merge(vhost: { 'server_name' => 'sentry.example.com', 'proxy' => 'http://127.0.0.1:9000' }) }

    it { is_expected.to have_file_line_resource_count(0) }
  end

  context 'with ports.conf and the default ports' do
    let(:params) do
      super().merge(ports_file: '/etc/apache2/ports.conf',
                    vhost: { 'server_name' => 'sentry.example.com', 'proxy' => 'http://127.0.0.1:9000' })
    end

    it { is_expected.to contain_file_line('sentry Listen 443').with_match('^\\s*Listen\\s+(\\S+:)?443\\s*$') }
    it { is_expected.to contain_file_line('sentry Listen 80') }
  end

  context 'with a token that is not Sensitive' do
    let(:params) { super().merge(token: 'plain') }

    it { is_expected.to compile.and_raise_error(%r{token}) }
  end
end

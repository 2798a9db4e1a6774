require 'spec_helper'

# sentry::server::vhost is private: declared through sentry::server.
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

  context 'without a vhost' do
    it { is_expected.not_to contain_exec('sentry-puppet render-vhost') }
    it { is_expected.to have_file_line_resource_count(0) }
  end

  context 'with a vhost and an Apache service' do
    let(:pre_condition) { "service { 'apache2': }" }
    let(:params) do
      super().merge(
        apache_service: 'apache2',
        vhost: { 'server_name' => 'sentry.example.com', 'proxy' => 'http://127.0.0.1:9000' },
      )
    end

    it { is_expected.to compile.with_all_deps }
    it 'renders the vhost after the config, before syncing, and refreshes Apache only on change' do
      is_expected.to contain_exec('sentry-puppet render-vhost')
        .with_unless(%r{render-vhost --check$})
        .with_returns([0, 2])
        .that_notifies('Service[apache2]')
        .that_comes_before('Exec[sentry-puppet sync]')
        .that_requires('File[/etc/sentry_puppet/config.yaml]')
        .that_requires('Exec[sentry-puppet install]')
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
end

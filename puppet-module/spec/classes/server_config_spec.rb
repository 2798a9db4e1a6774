require 'spec_helper'

# sentry::server::config is private: declared through sentry::server.
describe 'sentry::server' do
  let(:node) { 'sentry.example.com' }

  let(:params) do
    {
      backend: 'bugsink',
      url: 'http://127.0.0.1:8000',
      token: sensitive('0123456789abcdef0123456789abcdef01234567'),
      package_source: 'sentry-puppet==0.1.0',
    }
  end

  context 'with a token' do
    it 'keeps it in a 0600 file, out of the config' do
      is_expected.to contain_file('/etc/sentry_puppet/token').with_mode('0600').with_show_diff(false)
      is_expected.to contain_file('/etc/sentry_puppet/config.yaml')
        .with_mode('0600')
        .with_content(%r{^token_file: "?/etc/sentry_puppet/token"?$})
        .with_content(%r{^backend: "?bugsink"?$})
        .without_content(%r{0123456789abcdef0123456789abcdef01234567})
        .without_content(%r{^vhost:})
      expect(catalogue.resource('File', '/etc/sentry_puppet/token').sensitive_parameters).to include(:content)
      expect(clear_text(catalogue)).not_to include('0123456789abcdef0123456789abcdef01234567')
    end
  end

  context 'with a Deferred token' do
    let(:dir) { Dir.mktmpdir }
    let(:params) do
      File.write("#{dir}/token", "fedcba9876543210fedcba9876543210fedcba98\n", perm: 0o600)
      super().merge(token: deferred('sentry::secret_file', ["#{dir}/token"]))
    end

    after(:each) { FileUtils.remove_entry(dir) }

    it 'writes what the agent resolves into the 0600 file' do
      is_expected.to contain_file('/etc/sentry_puppet/token').with(mode: '0600', show_diff: false)
      file = catalogue.resource('File', '/etc/sentry_puppet/token')
      expect(file[:content]).to eq('fedcba9876543210fedcba9876543210fedcba98')
      expect(file.sensitive_parameters).to include(:content)
    end
  end

  context 'with a token_file' do
    let(:params) { super().reject { |k, _| k == :token }.merge(token_file: '/etc/secrets/sentry-token') }

    it { is_expected.to compile.with_all_deps }
    it 'names it in the config and leaves it alone' do
      is_expected.to contain_file('/etc/sentry_puppet/config.yaml')
        .with_content(%r{^token_file: "?/etc/secrets/sentry-token"?$})
      is_expected.not_to contain_file('/etc/sentry_puppet/token')
      is_expected.not_to contain_file('/etc/secrets/sentry-token')
    end
  end

  context 'with the sentry backend and a vhost' do
    let(:params) do
      super().merge(backend: 'sentry', organization: 'acme', ca_file: '/etc/ssl/sentry-ca.pem',
                    vhost: { 'server_name' => 'sentry.example.com', 'proxy' => 'http://127.0.0.1:9000' })
    end

    it do
      is_expected.to contain_file('/etc/sentry_puppet/config.yaml')
        .with_content(%r{^organization: "?acme"?$})
        .with_content(%r{^ca_file: "?/etc/ssl/sentry-ca\.pem"?$})
        .with_content(%r{^  server_name: "?sentry\.example\.com"?$})
    end
  end

  context 'with the project settings' do
    let(:params) do
      super().merge(backend: 'sentry', organization: 'acme', default_rules: false,
                    rate_limit: { 'count' => 100, 'window' => 60 })
    end

    it 'passes them to the tool' do
      is_expected.to contain_file('/etc/sentry_puppet/config.yaml')
        .with_content(%r{^default_rules: false$})
        .with_content(%r{^rate_limit:\n  count: 100\n  window: 60$})
    end
  end

  context 'without them' do
    it 'keeps Sentry\'s defaults: the default alert rule, no rate limit' do
      is_expected.to contain_file('/etc/sentry_puppet/config.yaml')
        .with_content(%r{^default_rules: true$})
        .without_content(%r{^rate_limit:})
    end
  end

  [{ 'count' => 100, 'window' => 86_401 }, { 'count' => 0, 'window' => 60 }, { 'count' => 100 }].each do |limit|
    context "with rate_limit #{limit}" do
      let(:params) { super().merge(rate_limit: limit) }

      it { is_expected.to compile.and_raise_error(%r{rate_limit}) }
    end
  end
end

require 'spec_helper'

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

  context 'with the embedded default' do
    it { is_expected.to compile.with_all_deps }
    it 'contains install, config, vhost and sync, in that order' do
      is_expected.to contain_class('sentry::server::install').that_comes_before('Class[sentry::server::config]')
      is_expected.to contain_class('sentry::server::config').that_comes_before('Class[sentry::server::vhost]')
      is_expected.to contain_class('sentry::server::vhost').that_comes_before('Class[sentry::server::sync]')
      is_expected.to contain_class('sentry::server::sync')
    end
    it 'keeps the token out of every command' do
      catalogue.resources.select { |r| r.type == 'Exec' }.each do |exec|
        expect("#{exec[:command]} #{exec[:unless]}").not_to include('0123456789abcdef')
      end
    end
  end

  context 'with a token that is not Sensitive' do
    let(:params) { super().merge(token: 'plain') }

    it { is_expected.to compile.and_raise_error(%r{token}) }
  end

  context 'with both token and token_file' do
    let(:params) { super().merge(token_file: '/etc/secrets/sentry-token') }

    it { is_expected.to compile.and_raise_error(%r{both `token` and `token_file` \(/etc/secrets/sentry-token\) are given; give one}) }
  end

  context 'with neither token nor token_file' do
    let(:params) { super().reject { |k, _| k == :token } }

    it { is_expected.to compile.and_raise_error(%r{sentry::server: no API token: give `token`.* or `token_file`}) }
  end
end

%w[install config vhost sync].each do |part|
  describe "sentry::server::#{part}" do
    let(:node) { 'sentry.example.com' }

    it('is private to sentry::server') { is_expected.to compile.and_raise_error(%r{private}) }
  end
end

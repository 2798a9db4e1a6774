require 'spec_helper'

describe 'sentry::source::project' do
  let(:node) { 'app01.example.com' }

  let(:title) { 'Foo-Bar-app01.example.com' }
  let(:pre_condition) do
    "class { 'sentry::server': backend => 'bugsink', url => 'http://127.0.0.1:8000', token => Sensitive('t'), package_source => '/srv/dist/x.whl' }"
  end

  context 'with project and platform' do
    let(:params) { { project: 'Foo-Bar', platform: 'ruby', source: 'app01.example.com' } }

    it { is_expected.to compile.with_all_deps }
    it 'writes one definition file before the sync' do
      is_expected.to contain_file('/etc/sentry_puppet/projects.d/Foo-Bar-app01.example.com.yaml')
        .with_content(%r{^project: "?Foo-Bar"?$})
        .with_content(%r{^platform: "?ruby"?$})
        .with_content(%r{^source: "?app01\.example\.com"?$})
        .without_content(%r{^team:})
        .that_comes_before('Exec[sentry-puppet sync]')
    end
  end

  context 'with a team' do
    let(:params) { { project: 'pay', team: 'payments' } }

    it do
      is_expected.to contain_file('/etc/sentry_puppet/projects.d/Foo-Bar-app01.example.com.yaml')
        .with_content(%r{^team: "?payments"?$})
        .with_content(%r{^platform: "?other"?$})
    end
  end
end

require 'spec_helper'

# A Sentry host that is also an app server: sentry::client in a base profile on every node,
# sentry::server on the Sentry host, declared in either order. Both manage /etc/sentry_puppet.
server = "class { 'sentry::server': backend => 'bugsink', url => 'http://127.0.0.1:8000', " \
         "token => Sensitive('t'), package_source => 'sentry-puppet==0.1.0' }"

shared_examples 'a Sentry host that is also an app server' do
  it { is_expected.to compile.with_all_deps }
  it 'manages the shared directory once, and both classes their own files in it' do
    is_expected.to contain_file('/etc/sentry_puppet').with(ensure: 'directory', mode: '0755')
    is_expected.to contain_file('/etc/sentry_puppet/facts.conf')
    is_expected.to contain_file('/etc/sentry_puppet/config.yaml').that_requires('File[/etc/sentry_puppet]')
    is_expected.to contain_file('/etc/sentry_puppet/token').that_requires('File[/etc/sentry_puppet]')
  end
  it 'exports its own apps too' do
    expect(exported_resources).to contain_sentry__source__project('status-sentry.example.com')
  end
end

describe 'sentry::server' do
  let(:node) { 'sentry.example.com' }
  let(:facts) { { 'sentry_apps' => { 'status' => { 'lang' => 'python' } } } }

  context 'declared after sentry::client' do
    let(:pre_condition) { 'include sentry::client' }
    let(:params) do
      { backend: 'bugsink', url: 'http://127.0.0.1:8000', token: sensitive('t'),
        package_source: 'sentry-puppet==0.1.0' }
    end

    it_behaves_like 'a Sentry host that is also an app server'
  end
end

describe 'sentry::client' do
  let(:node) { 'sentry.example.com' }
  let(:facts) { { 'sentry_apps' => { 'status' => { 'lang' => 'python' } } } }

  context 'declared after sentry::server' do
    let(:pre_condition) { server }

    it_behaves_like 'a Sentry host that is also an app server'
  end
end

require 'spec_helper'

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
  it 'syncs only when --check says something is pending, after the install' do
    is_expected.to contain_exec('sentry-puppet sync')
      .with_command('/opt/sentry_puppet/venv/bin/sentry-puppet --config /etc/sentry_puppet/config.yaml sync --detailed-exitcodes')
      .with_unless('test -x /opt/sentry_puppet/venv/bin/sentry-puppet && /opt/sentry_puppet/venv/bin/sentry-puppet --config /etc/sentry_puppet/config.yaml sync --check')
      .with_returns([0, 2])
      .that_requires('Exec[sentry-puppet install]')
      .that_requires('File[/etc/sentry_puppet/config.yaml]')
      .that_requires('File[/etc/sentry_puppet/projects.d]')
  end
end

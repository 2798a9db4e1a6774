require 'spec_helper'
require_relative 'bugsink_facts'

# sentry::bugsink::install is private: declared through sentry::bugsink.
describe 'sentry::bugsink' do
  let(:facts) { { 'sentry_agent_ssl' => AGENT_SSL } }
  let(:params) { { version: '2.6.2', base_url: 'https://sentry.example.com' } }

  it 'makes the virtualenv from the Python mod_wsgi is built for' do
    is_expected.to contain_package('python3-venv')
    is_expected.to contain_exec('bugsink virtualenv')
      .with_command('/usr/bin/python3 -m venv /opt/bugsink/venv')
      .with_creates('/opt/bugsink/venv/bin/pip')
      .that_comes_before('Exec[bugsink install]')
  end

  it 'installs the pinned version unless its dist-info is there' do
    is_expected.to contain_exec('bugsink install')
      .with_command("/opt/bugsink/venv/bin/pip install --quiet --disable-pip-version-check 'bugsink==2.6.2'")
      .with_unless('ls -d /opt/bugsink/venv/lib/python3*/site-packages/bugsink-2.6.2.dist-info')
  end

  context 'with another python and venv' do
    let(:params) { super().merge(python: '/usr/local/bin/python3.12', venv: '/srv/bugsink') }

    it { is_expected.to contain_exec('bugsink virtualenv').with_command('/usr/local/bin/python3.12 -m venv /srv/bugsink') }
  end
end

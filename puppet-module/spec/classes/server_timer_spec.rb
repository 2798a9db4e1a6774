require 'spec_helper'

# sentry::server::timer is private: declared through sentry::server. The unit files are checked
# with `systemd-analyze verify` by tests/integration/test_sync_timer_units.py.
describe 'sentry::server' do
  let(:node) { 'sentry.example.com' }
  let(:params) do
    { backend: 'bugsink', url: 'http://127.0.0.1:8000', token: sensitive('t'),
      package_source: 'sentry-puppet==0.1.0' }
  end

  context 'with the default sync_timer' do
    it { is_expected.to compile.with_all_deps }
    it 'runs the same sync as Puppet every 5 minutes, keeping what it created for Puppet\'s report' do
      is_expected.to contain_file('/usr/local/sbin/sentry-puppet-timer-sync')
        .with_mode('0755')
        .with_content(%r{^out=\$\(/opt/sentry_puppet/venv/bin/sentry-puppet --config /etc/sentry_puppet/config\.yaml sync --detailed-exitcodes\)$})
        .with_content(%r{>> /var/lib/sentry_puppet/dsn\.timer-created \|\| exit 1$})
        .that_notifies('Service[sentry-puppet-sync.timer]')
      is_expected.to contain_file('/etc/systemd/system/sentry-puppet-sync.service')
        .with_content(%r{^ExecStart=/usr/local/sbin/sentry-puppet-timer-sync$})
        .with_content(%r{^Type=oneshot$})
      is_expected.to contain_file('/etc/systemd/system/sentry-puppet-sync.timer')
        .with_content(%r{^OnUnitInactiveSec=5min$})
        .with_content(%r{^WantedBy=timers\.target$})
      is_expected.to contain_service('sentry-puppet-sync.timer')
        .with(ensure: 'running', enable: true)
        .that_subscribes_to('File[/etc/systemd/system/sentry-puppet-sync.service]')
        .that_requires('Exec[sentry-puppet sync]')
    end
  end

  context 'on a node without systemd (service_provider fact debian)' do
    let(:facts) { { 'service_provider' => 'debian' } }

    it 'fails at compile time, naming sync_timer and what to set' do
      is_expected.to compile.and_raise_error(
        %r{sentry::server: sync_timer is true \(the default\), but this node's service provider is 'debian', not systemd: .*Set `sentry::server::sync_timer: false`},
      )
    end

    context 'with sync_timer => false' do
      let(:params) { super().merge(sync_timer: false) }

      it { is_expected.to compile.with_all_deps }
      it { is_expected.to contain_exec('sentry-puppet sync') }
      it { is_expected.not_to contain_service('sentry-puppet-sync.timer') }
    end
  end

  context 'with sync_timer => false (no systemd)' do
    let(:params) { super().merge(sync_timer: false) }

    it { is_expected.to compile.with_all_deps }
    it { is_expected.not_to contain_service('sentry-puppet-sync.timer') }
    it { is_expected.not_to contain_file('/etc/systemd/system/sentry-puppet-sync.timer') }
  end
end

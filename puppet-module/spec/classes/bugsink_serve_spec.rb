require 'spec_helper'
require_relative 'bugsink_facts'

# sentry::bugsink::serve is private: declared through sentry::bugsink.
describe 'sentry::bugsink' do
  let(:facts) { { 'sentry_agent_ssl' => AGENT_SSL } }
  let(:params) { { version: '2.6.2', base_url: 'https://sentry.example.com:8443' } }

  it 'installs Apache with mod_wsgi first, and enables the modules the vhost needs' do
    # With the install class: before sentry::server writes into /etc/apache2 on a bare host.
    is_expected.to contain_package('apache2').that_comes_before('Class[sentry::bugsink::config]')
    is_expected.to contain_package('libapache2-mod-wsgi-py3').that_comes_before('Class[sentry::bugsink::config]')
    %w[ssl wsgi alias mime authz_core].each do |m|
      is_expected.to contain_exec("a2enmod #{m}")
        .with_creates("/etc/apache2/mods-enabled/#{m}.load").that_notifies('Service[apache2]')
    end
  end

  it 'runs Apache, reloading it gracefully when the CRL changes' do
    is_expected.to contain_service('apache2').with(ensure: 'running', enable: true, provider: nil,
                                                   restart: '/usr/sbin/apache2ctl graceful')
    is_expected.to contain_file('/etc/bugsink/puppet-crl.pem').that_notifies('Service[apache2]')
  end

  it 'waits for Bugsink behind Apache after a (re)start' do
    is_expected.to contain_exec('bugsink ready')
      .with_refreshonly(true).that_subscribes_to('Service[apache2]')
      .with_command(%r{https://sentry\.example\.com:8443/health/ready /var/lib/puppet/ssl/certs/ca\.pem$})
  end

  context 'with a vhost certificate from another CA (ca_file)' do
    let(:params) { super().merge(ca_file: '/etc/ssl/certs/ca-certificates.crt') }

    it 'waits for Bugsink trusting that CA, not the agent\'s' do
      is_expected.to contain_exec('bugsink ready')
        .with_command(%r{/health/ready /etc/ssl/certs/ca-certificates\.crt$})
    end
  end

  it 'runs the snappea worker from a systemd unit' do
    is_expected.to contain_file('/etc/systemd/system/bugsink-snappea.service')
      .with_content(%r{^ExecStart=/opt/bugsink/venv/bin/bugsink-runsnappea$})
      .with_content(%r{^User=www-data$})
      .with_content(%r{^Environment=PYTHONPATH=/etc/bugsink$})
      .that_notifies('Service[bugsink-snappea]')
    is_expected.to contain_service('bugsink-snappea').with(ensure: 'running', enable: true)
  end

  context 'with service_provider => debian and worker => false' do
    let(:params) { super().merge(service_provider: 'debian', worker: false) }

    it { is_expected.to contain_service('apache2').with_provider('debian') }
  end

  context 'with service_provider => debian and the default worker' do
    let(:params) { super().merge(service_provider: 'debian') }

    it { is_expected.to compile.and_raise_error(%r{worker is true .* service provider here is 'debian', not systemd.*Set `sentry::bugsink::worker: false`}) }
  end

  context 'on a node without systemd (service_provider fact debian)' do
    let(:facts) { super().merge('service_provider' => 'debian') }

    it 'fails at compile time, naming worker and what to set' do
      is_expected.to compile.and_raise_error(%r{sentry::bugsink: worker is true \(the default\), but the service provider here is 'debian', not systemd: .*Set `sentry::bugsink::worker: false`})
    end

    context 'with worker => false' do
      let(:params) { super().merge(worker: false) }

      it { is_expected.to compile.with_all_deps }
      it { is_expected.not_to contain_service('bugsink-snappea') }
    end
  end

  context 'on a node whose service_provider fact is missing' do
    let(:facts) { super().merge('service_provider' => nil) }

    it { is_expected.to compile.and_raise_error(%r{service provider here is 'unknown', not systemd}) }
  end

  context 'with worker => false' do
    let(:params) { super().merge(worker: false) }

    it { is_expected.not_to contain_service('bugsink-snappea') }
    it { is_expected.not_to contain_file('/etc/systemd/system/bugsink-snappea.service') }
  end

  context 'with manage_apache => false' do
    let(:params) { super().merge(manage_apache: false) }

    it { is_expected.to compile.with_all_deps }
    it { is_expected.not_to contain_package('apache2') }
    it { is_expected.not_to contain_service('apache2') }
    it { is_expected.not_to contain_exec('bugsink ready') }
    it { is_expected.to contain_file('/etc/bugsink/puppet-crl.pem') }
  end
end

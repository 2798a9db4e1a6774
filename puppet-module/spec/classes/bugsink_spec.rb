require 'spec_helper'
require_relative 'bugsink_facts'

describe 'sentry::bugsink' do
  let(:node) { 'sentry.example.com' }
  let(:facts) { { 'sentry_agent_ssl' => AGENT_SSL } }
  let(:params) { { version: '2.6.2', base_url: 'https://sentry.example.com' } }

  it { is_expected.to compile.with_all_deps }

  it 'installs, configures, migrates, then serves' do
    is_expected.to contain_class('sentry::bugsink::install').that_comes_before('Class[sentry::bugsink::config]')
    is_expected.to contain_class('sentry::bugsink::config').that_comes_before('Class[sentry::bugsink::setup]')
    is_expected.to contain_class('sentry::bugsink::setup').that_comes_before('Class[sentry::bugsink::serve]')
    is_expected.to contain_class('sentry::bugsink::install').that_notifies('Class[sentry::bugsink::serve]')
    is_expected.to contain_class('sentry::bugsink::config').that_notifies('Class[sentry::bugsink::serve]')
  end

  context 'without version' do
    let(:params) { { base_url: 'https://sentry.example.com' } }

    it { is_expected.to compile.and_raise_error(%r{version}) }
  end

  context 'with a version that is not a pip version' do
    let(:params) { super().merge(version: '2.6.2; rm -rf /') }

    it { is_expected.to compile.and_raise_error(%r{version}) }
  end

  context 'with a base_url that could break out of a command or a Python string' do
    let(:params) { super().merge(base_url: 'https://sentry.example.com/"; touch /tmp/x') }

    it { is_expected.to compile.and_raise_error(%r{base_url}) }
  end

  context 'with an admin_email that is not an address' do
    let(:params) { super().merge(admin_email: "ops'@example.com", admin_password: sensitive('pw')) }

    it { is_expected.to compile.and_raise_error(%r{admin_email}) }
  end

  context 'with admin_email but no admin_password' do
    let(:params) { super().merge(admin_email: 'ops@example.com') }

    it { is_expected.to compile.and_raise_error(%r{give both admin_email and admin_password}) }
  end

  context 'with an admin_password that is not Sensitive' do
    let(:params) { super().merge(admin_email: 'ops@example.com', admin_password: 'plain') }

    it { is_expected.to compile.and_raise_error(%r{admin_password}) }
  end

  context 'with a database_url that is not a database URL' do
    let(:params) { super().merge(database_url: sensitive('sqlite:////var/lib/hunter2.db')) }

    it 'fails without showing the value' do
      is_expected.to compile.and_raise_error(%r{database_url must look like postgresql://})
      expect { catalogue }.to raise_error(Puppet::Error) { |e| expect(e.message).not_to include('hunter2') }
    end
  end

  context 'without the sentry_agent_ssl fact (plain facter)' do
    let(:facts) { {} }

    it { is_expected.to compile.and_raise_error(%r{fact sentry_agent_ssl is missing}) }
  end

  # The two classes never look at each other at compile time: collectors order Bugsink's
  # setup before the tool's vhost, Apache after it, and the sync after Apache, whichever class
  # is declared first.
  {
    'declared after sentry::server' => :before,
    'declared before sentry::server' => :after,
  }.each do |label, where|
    context label do
      server = <<~PUPPET
        class { 'sentry::server':
          backend        => 'bugsink',
          url            => 'https://sentry.example.com',
          package_source => 'sentry-puppet==0.1.0',
          vhost          => { 'server_name' => 'sentry.example.com' },
          ports_file     => '/etc/apache2/ports.conf',
        }
      PUPPET
      if where == :before
        let(:pre_condition) { server }
      else
        let(:post_condition) { server }
      end

      it { is_expected.to compile.with_all_deps }
      it 'orders Bugsink, the vhost, Apache and the sync' do
        is_expected.to contain_exec('sentry-puppet render-vhost').that_requires('Class[sentry::bugsink::setup]')
        is_expected.to contain_exec('sentry-puppet render-vhost').that_notifies('Class[sentry::bugsink::serve]')
        is_expected.to contain_file_line('sentry Listen 443').that_notifies('Class[sentry::bugsink::serve]')
        # On a bare host ports.conf comes with Apache's package.
        is_expected.to contain_file_line('sentry Listen 443').that_requires('Class[sentry::bugsink::install]')
        is_expected.to contain_exec('sentry-puppet sync').that_requires('Class[sentry::bugsink::serve]')
      end
      it 'leaves the token and the vhost defaults to the fragment' do
        is_expected.to contain_file('/etc/sentry_puppet/config.yaml')
          .without_content(%r{token_file|ca_file|wsgi|ssl_certificate})
        is_expected.to contain_file('/etc/sentry_puppet/config.d/bugsink.yaml')
      end
    end
  end
end

require 'spec_helper'

describe 'sentry::client' do
  let(:node) { 'app01.example.com' }

  let(:facts) do
    {
      'deployed_apps' => 'Foo-Bar,billing',
      'foo_bar_lang' => 'ruby',
      'billing_lang' => 'python',
      'sentry_apps' => {
        'Foo-Bar' => { 'lang' => 'ruby', 'path' => '/srv/apps/Foo-Bar', 'key' => 'foo_bar' },
        'billing' => { 'lang' => 'python', 'path' => '/srv/apps/billing', 'key' => 'billing' },
      },
    }
  end

  context 'with defaults' do
    it { is_expected.to compile.with_all_deps }
    it 'writes facts.conf with the default roots and no DSN URL' do
      is_expected.to contain_file('/etc/sentry_puppet/facts.conf')
        .with_mode('0644')
        .with_content(%r{^roots = /srv/apps /var/www$})
        .with_content(%r{^negative_ttl = 900$})
        .without_content(%r{^url = })
    end
    it 'exports every app the facts report' do
      is_expected.to contain_sentry__source__export('Foo-Bar').with_environment('production')
      is_expected.to contain_sentry__source__export('billing')
      expect(exported_resources).to contain_sentry__source__project('Foo-Bar-app01.example.com')
        .with(project: 'Foo-Bar', platform: 'ruby', source: 'app01.example.com', tag: 'production')
      expect(exported_resources).to contain_sentry__source__project('billing-app01.example.com')
        .with_platform('python')
    end
  end

  context 'with a DSN URL, own TLS files and another environment' do
    let(:params) do
      {
        dsn_url: 'https://sentry.example.com/dsn/',
        app_roots: ['/opt/apps'],
        environment: 'staging',
        ca_file: '/etc/ssl/ca.pem',
        cert_file: '/etc/ssl/me.pem',
        key_file: '/etc/ssl/me.key',
        config_file: '/tmp/facts.conf',
        negative_ttl: 300,
      }
    end

    it 'writes them into facts.conf' do
      is_expected.to contain_file('/tmp/facts.conf')
        .with_content(%r{^roots = /opt/apps$})
        .with_content(%r{^url = https://sentry\.example\.com/dsn/$})
        .with_content(%r{^ca_file = /etc/ssl/ca\.pem$})
        .with_content(%r{^cert_file = /etc/ssl/me\.pem$})
        .with_content(%r{^key_file = /etc/ssl/me\.key$})
        .with_content(%r{^negative_ttl = 300$})
    end
    it { is_expected.not_to contain_file('/etc/sentry_puppet') }
    it 'tags the exports with the environment' do
      expect(exported_resources).to contain_sentry__source__project('Foo-Bar-app01.example.com')
        .with_tag('staging')
    end
  end

  context 'with only the flat facts (no sentry_apps)' do
    let(:facts) { { 'deployed_apps' => 'shop', 'shop_lang' => 'php' } }

    it 'falls back to deployed_apps and <key>_lang' do
      expect(exported_resources).to contain_sentry__source__project('shop-app01.example.com')
        .with_platform('php')
    end
  end

  context 'with no apps' do
    let(:facts) { { 'deployed_apps' => '' } }

    it { is_expected.to compile.with_all_deps }
    it { is_expected.to have_sentry__source__export_resource_count(0) }
  end

  context 'with an http:// DSN URL' do
    let(:params) { { dsn_url: 'http://sentry.example.com/dsn/' } }

    it { is_expected.to compile.and_raise_error(%r{dsn_url}) }
  end

  context 'with per-app choices' do
    let(:facts) do
      {
        'sentry_apps' => {
          'billing' => { 'lang' => 'ruby' },
          'legacy' => { 'lang' => 'php' },
          'shop' => { 'lang' => 'node' },
        },
      }
    end
    let(:params) do
      {
        apps: {
          'billing' => { 'team' => 'payments', 'lang' => 'python' },
          'legacy' => { 'ignore' => true },
          'shop' => { 'team' => 'web' },
          'not-here' => { 'lang' => 'go', 'team' => 'x' },
        },
      }
    end

    it { is_expected.to compile.with_all_deps }
    it 'writes lang and ignore into facts.conf, one [app:NAME] section each' do
      content = catalogue.resource('File', '/etc/sentry_puppet/facts.conf')[:content]
      expect(content).to end_with("[app:billing]\nlang = python\n[app:legacy]\nignore = true\n[app:not-here]\nlang = go\n")
      expect(content).not_to match(%r{app:shop|payments|team})
    end
    it 'exports lang and team, and not the ignored app although the facts still show it' do
      expect(exported_resources).to contain_sentry__source__project('billing-app01.example.com')
        .with(platform: 'python', team: 'payments')
      expect(exported_resources).to contain_sentry__source__project('shop-app01.example.com')
        .with(platform: 'node', team: 'web')
      expect(exported_resources).not_to contain_sentry__source__project('legacy-app01.example.com')
      expect(exported_resources).not_to contain_sentry__source__project('not-here-app01.example.com')
      is_expected.not_to contain_sentry__source__export('legacy')
    end
  end

  context 'with an unknown per-app key' do
    let(:params) { { apps: { 'billing' => { 'language' => 'python' } } } }

    it { is_expected.to compile.and_raise_error(%r{apps.*language}) }
  end

  context 'with an app name that would break facts.conf' do
    let(:params) { { apps: { "evil]\n[dsn" => { 'ignore' => true } } } }

    it { is_expected.to compile.and_raise_error(%r{apps}) }
  end
end

require 'spec_helper'
require 'yaml'
require_relative 'bugsink_facts'

# sentry::bugsink::config is private: declared through sentry::bugsink.
describe 'sentry::bugsink' do
  let(:facts) { { 'sentry_agent_ssl' => AGENT_SSL } }
  let(:params) { { version: '2.6.2', base_url: 'https://sentry.example.com:8443/' } }
  let(:conf) { catalogue.resource('File', '/etc/bugsink/bugsink_conf.py')[:content] }

  it 'generates the secret key once, into a file only Bugsink\'s user reads' do
    is_expected.to contain_exec('bugsink secret key')
      .with_creates('/etc/bugsink/secret_key')
      .with_command(%r{\Aumask 077 && /usr/bin/python3 -c .*secrets.* > /etc/bugsink/secret_key\.new && mv })
    is_expected.to contain_file('/etc/bugsink/secret_key').with(owner: 'www-data', mode: '0600', content: nil)
  end

  it 'writes bugsink_conf.py without secrets: SQLite in data_dir, eager off, no phoning home' do
    expect(conf).to include('SECRET_KEY = _read("/etc/bugsink/secret_key")')
    expect(conf).to include('DATABASES["default"]["NAME"] = "/var/lib/bugsink/db.sqlite3"')
    expect(conf).to include('DATABASES["snappea"]["NAME"] = "/var/lib/bugsink/snappea.sqlite3"')
    expect(conf).to include('"BASE_URL": "https://sentry.example.com:8443",')
    expect(conf).to include('"TASK_ALWAYS_EAGER": False')
    expect(conf).to include('"PHONEHOME": False,').and include('"SINGLE_USER": False,').and include('"SINGLE_TEAM": False,')
    expect(conf).to include('USE_X_REAL_IP = False').and include('SESSION_COOKIE_SECURE = True')
    expect(conf).to include('STATIC_ROOT = "/var/lib/bugsink/static"')
    is_expected.to contain_file('/etc/bugsink/bugsink_conf.py').with_mode('0644')
    is_expected.to contain_file('/var/lib/bugsink').with(owner: 'www-data', mode: '0750')
  end

  it 'writes a WSGI file of its own that names the version (mod_wsgi restarts on its change)' do
    is_expected.to contain_file('/etc/bugsink/wsgi.py')
      .with_content(%r{Bugsink 2\.6\.2})
      .with_content(%r{^from bugsink\.wsgi import application})
  end

  it 'writes bugsink-manage, which runs as Bugsink\'s user with these settings' do
    is_expected.to contain_file('/etc/bugsink/bugsink-manage').with_mode('0755')
      .with_content(%r{^export PYTHONPATH=/etc/bugsink$})
      .with_content(%r{exec runuser -u www-data -- /opt/bugsink/venv/bin/bugsink-manage "\$@"})
  end

  it 'copies the agent\'s CRL, so a new one is seen' do
    is_expected.to contain_file('/etc/bugsink/puppet-crl.pem').with_source(AGENT_SSL['crl'])
  end

  it 'gives the tool its defaults in config.d: token, Puppet CA, vhost path, TLS and WSGI' do
    is_expected.to contain_file('/etc/sentry_puppet')
    is_expected.to contain_file('/etc/sentry_puppet/config.d')
    fragment = YAML.safe_load(catalogue.resource('File', '/etc/sentry_puppet/config.d/bugsink.yaml')[:content])
    expect(fragment).to eq(
      'token_file' => '/etc/bugsink/token',
      'ca_file' => AGENT_SSL['ca'],
      'vhost' => {
        'path' => '/etc/apache2/sites-enabled/sentry_puppet.conf',
        'ssl_certificate' => AGENT_SSL['cert'],
        'ssl_certificate_key' => AGENT_SSL['key'],
        'client_ca_file' => AGENT_SSL['ca'],
        'client_crl_file' => '/etc/bugsink/puppet-crl.pem',
        'wsgi' => {
          'python_home' => '/opt/bugsink/venv',
          'script' => '/etc/bugsink/wsgi.py',
          'python_path' => '/etc/bugsink',
          'static_dir' => '/var/lib/bugsink/static',
        },
      },
    )
  end

  context 'with a vhost certificate from another CA (ca_file)' do
    let(:params) { super().merge(ca_file: '/etc/ssl/certs/ca-certificates.crt') }

    it 'gives the tool that CA for base_url; client certificates stay on the Puppet CA' do
      fragment = YAML.safe_load(catalogue.resource('File', '/etc/sentry_puppet/config.d/bugsink.yaml')[:content])
      expect(fragment['ca_file']).to eq('/etc/ssl/certs/ca-certificates.crt')
      expect(fragment['vhost']['client_ca_file']).to eq(AGENT_SSL['ca'])
    end
  end

  context 'on an agent without a CRL (certificate_revocation = false)' do
    let(:facts) { { 'sentry_agent_ssl' => AGENT_SSL.reject { |k, _| k == 'crl' } } }

    it 'copies none and gives the vhost none' do
      is_expected.to compile.with_all_deps
      is_expected.not_to contain_file('/etc/bugsink/puppet-crl.pem')
      fragment = YAML.safe_load(catalogue.resource('File', '/etc/sentry_puppet/config.d/bugsink.yaml')[:content])
      expect(fragment['vhost']).not_to have_key('client_crl_file')
    end
  end

  context 'with a secret_key' do
    let(:params) { super().merge(secret_key: sensitive('s3cret-key')) }

    it 'writes it into the 0600 file, generating none' do
      is_expected.not_to contain_exec('bugsink secret key')
      is_expected.to contain_file('/etc/bugsink/secret_key').with(owner: 'www-data', mode: '0600')
      expect(catalogue.resource('File', '/etc/bugsink/secret_key')[:content]).to eq('s3cret-key')
      expect(catalogue.resource('File', '/etc/bugsink/secret_key').sensitive_parameters).to include(:content)
      expect(clear_text(catalogue)).not_to include('s3cret-key')
    end
  end

  context 'with a database_url' do
    let(:params) { super().merge(database_url: sensitive('postgresql://bugsink:hunter2@db.example.com:5433/bugsink')) }

    it 'reads it from a 0600 file; bugsink_conf.py holds no password' do
      is_expected.to contain_file('/etc/bugsink/database_url').with(owner: 'www-data', mode: '0600')
      expect(conf).to include('DATABASES["default"] = parse_database_url(_read("/etc/bugsink/database_url"))')
      expect(conf).not_to include('hunter2')
      expect(conf).not_to include('db.sqlite3')
    end
  end

  # The driver follows the scheme of the URL's file, read on the host: run here against a
  # site-packages that holds one driver or the other.
  { 'postgresql://u:pw@db/bugsink' => ['psycopg', 'mysqlclient'],
    'mysql://u:pw@db/bugsink' => ['mysqlclient', 'psycopg'] }.each do |url, (wanted, other)|
    context "with a #{url.split(':').first} database_url" do
      let(:dir) { Dir.mktmpdir }
      let(:params) { super().merge(database_url: sensitive(url), conf_dir: "#{dir}/etc", venv: "#{dir}/venv") }

      after(:each) { FileUtils.remove_entry(dir) }

      it "installs #{wanted} after the URL's file, unless it is in" do
        is_expected.to contain_exec('bugsink database driver')
          .that_requires("File[#{dir}/etc/database_url]")
          .that_comes_before('Exec[bugsink migrate]')
        driver = catalogue.resource('Exec', 'bugsink database driver')
        FileUtils.mkdir_p("#{dir}/etc")
        File.write("#{dir}/etc/database_url", url)
        site = "#{dir}/venv/lib/python3.11/site-packages"
        FileUtils.mkdir_p("#{site}/#{other}-1.0.dist-info")
        expect(system('sh', '-c', driver[:unless])).to be(false)
        FileUtils.mkdir_p("#{site}/#{wanted}-1.0.dist-info")
        expect(system('sh', '-c', driver[:unless])).to be(true)
        expect(system('sh', '-c', driver[:command].sub(/ && .*/, " && echo \"$d\" > #{dir}/d"))).to be(true)
        expect(File.read("#{dir}/d")).to eq(wanted == 'psycopg' ? "psycopg[binary]\n" : "mysqlclient\n")
        expect(driver[:command]).to end_with("/venv/bin/pip install --quiet --disable-pip-version-check \"$d\"")
      end
    end
  end

  context 'with worker => false, single_user, single_team, phone_home and plain HTTP' do
    let(:params) do
      super().merge(worker: false, single_user: true, single_team: true, phone_home: true,
                    base_url: 'http://127.0.0.1:8000')
    end

    it 'digests events in the request and passes the settings on' do
      expect(conf).to include('SNAPPEA = {"TASK_ALWAYS_EAGER": True}')
      expect(conf).to include('"SINGLE_USER": True,').and include('"SINGLE_TEAM": True,').and include('"PHONEHOME": True,')
      expect(conf).not_to include('SESSION_COOKIE_SECURE')
    end
  end

  context 'with other directories, user and site file' do
    let(:params) do
      super().merge(conf_dir: '/srv/b/etc', data_dir: '/srv/b/data', user: 'bugsink',
                    tool_config_dir: '/srv/tool', site_file: '/etc/httpd/conf.d/sentry.conf')
    end

    it 'uses them everywhere' do
      is_expected.to contain_file('/srv/b/data').with_owner('bugsink')
      is_expected.to contain_file('/srv/b/etc/bugsink-manage').with_content(%r{runuser -u bugsink --})
      fragment = YAML.safe_load(catalogue.resource('File', '/srv/tool/config.d/bugsink.yaml')[:content])
      expect(fragment['vhost']['path']).to eq('/etc/httpd/conf.d/sentry.conf')
      expect(fragment['token_file']).to eq('/srv/b/etc/token')
    end
  end
end

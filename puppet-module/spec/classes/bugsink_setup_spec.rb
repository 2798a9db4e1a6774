require 'spec_helper'
require_relative 'bugsink_facts'

# sentry::bugsink::setup is private: declared through sentry::bugsink.
describe 'sentry::bugsink' do
  let(:facts) { { 'sentry_agent_ssl' => AGENT_SSL } }
  let(:params) { { version: '2.6.2', base_url: 'https://sentry.example.com' } }

  it 'migrates both databases and collects static files once per version' do
    is_expected.to contain_exec('bugsink migrate')
      .with_command(%r{/etc/bugsink/bugsink-manage migrate --noinput && /etc/bugsink/bugsink-manage migrate snappea --database=snappea --noinput && .*collectstatic --noinput})
      .with_command(%r{ && echo "2\.6\.2 \$\(echo sqlite\)" > /var/lib/bugsink/\.puppet-migrated$})
      .with_unless('echo "2.6.2 $(echo sqlite)" | cmp -s - /var/lib/bugsink/.puppet-migrated')
  end

  it 'creates the API token once, into a 0600 file, never printing it' do
    is_expected.to contain_exec('bugsink api token')
      .with_creates('/etc/bugsink/token')
      .with_command(%r{\Aumask 077 && /etc/bugsink/bugsink-manage create_auth_token > /etc/bugsink/token\.new && grep })
      .that_requires('Exec[bugsink migrate]')
    is_expected.to contain_file('/etc/bugsink/token').with(owner: 'root', mode: '0600', content: nil)
  end

  it { is_expected.not_to contain_exec('bugsink admin user') }

  context 'with an admin' do
    let(:params) { super().merge(admin_email: 'ops@example.com', admin_password: sensitive('hunter2-admin')) }

    it 'creates it once, the password read from a 0600 file whose content is Sensitive' do
      is_expected.to contain_file('/etc/bugsink/admin_password')
        .with(owner: 'root', mode: '0600', show_diff: false)
      password_file = catalogue.resource('File', '/etc/bugsink/admin_password')
      expect(password_file.sensitive_parameters).to include(:content)
      expect(password_file[:content]).to eq('hunter2-admin')
      is_expected.to contain_exec('bugsink admin user')
        .with_command(%r{\ADJANGO_SUPERUSER_PASSWORD="\$\(cat /etc/bugsink/admin_password\)" && export DJANGO_SUPERUSER_PASSWORD && /etc/bugsink/bugsink-manage createsuperuser --noinput && echo 'ops@example.com' > })
        .with_unless("grep -qxF 'ops@example.com' /var/lib/bugsink/.puppet-admin")
        .that_requires(['Exec[bugsink migrate]', 'File[/etc/bugsink/admin_password]'])
      exec = catalogue.resource('Exec', 'bugsink admin user')
      expect(exec[:environment]).to eq(['DJANGO_SUPERUSER_USERNAME=ops@example.com', 'DJANGO_SUPERUSER_EMAIL=ops@example.com'])
    end

    it 'has the password nowhere in the catalog but in sensitive parameters' do
      expect(clear_text(catalogue)).not_to include('hunter2')
    end
  end

  # The stamp is what the shell makes of the URL's file on the host (a Deferred URL is known
  # only there): run here on URLs whose credentials hold `@`, `:` and `?`, and whose query
  # carries a password.
  {
    'postgresql://bugsink:hunter2@db.example.com/bugsink' => 'postgresql://db.example.com/bugsink',
    'postgresql://bugsink:p@ss@db/bugsink?sslpassword=hunter2' => 'postgresql://db/bugsink',
    'postgresql://bugsink:hunter2@db.example.com:5433/bugsink' => 'postgresql://db.example.com:5433/bugsink',
    'postgres://u:a@b@c:d?e@db/name#frag' => 'postgres://db/name',
    'mysql://root:hun@ter2?@[::1]:3306/bugsink?password=hunter2&ssl=1' => 'mysql://[::1]:3306/bugsink',
    'postgresql://db/bugsink?password=hunter2' => 'postgresql://db/bugsink',
  }.each do |url, identity|
    context "with database_url #{url.sub(%r{//.*@}, '//***@')}" do
      let(:dir) { Dir.mktmpdir }
      let(:params) { super().merge(database_url: sensitive(url), conf_dir: "#{dir}/etc", data_dir: "#{dir}/data") }

      after(:each) { FileUtils.remove_entry(dir) }

      it "stamps #{identity}, and no command holds the URL or the database's name" do
        FileUtils.mkdir_p(["#{dir}/etc", "#{dir}/data"])
        File.write("#{dir}/etc/database_url", url)
        migrate = catalogue.resource('Exec', 'bugsink migrate')
        stamp = migrate[:command].split(' && ').last
        expect(stamp).to end_with(" > #{dir}/data/.puppet-migrated")
        expect(system('sh', '-c', migrate[:unless])).to be(false)
        expect(system('sh', '-c', stamp)).to be(true)
        expect(File.read("#{dir}/data/.puppet-migrated")).to eq("2.6.2 #{identity}\n")
        expect(system('sh', '-c', migrate[:unless])).to be(true)
        expect(catalogue.resource('File', "#{dir}/etc/database_url").sensitive_parameters).to include(:content)
        %w[hunter2 p@ss hun@ter2 a@b@c].each { |secret| expect(clear_text(catalogue)).not_to include(secret) }
        expect(clear_text(catalogue)).not_to include(identity)
      end
    end
  end

  # rspec-puppet resolves Deferred values as the agent does (the e2e proves that no catalog,
  # the agent's cache included, holds what they resolve to).
  context 'with every secret Deferred' do
    let(:dir) { Dir.mktmpdir }
    let(:secrets) { { 'admin_password' => 'hunter2-admin', 'secret_key' => 'k3y', 'database_url' => 'postgresql://u:pw@db/b' } }
    let(:params) do
      secrets.each { |name, value| File.write("#{dir}/#{name}", value, perm: 0o600) }
      super().merge(admin_email: 'ops@example.com',
                    admin_password: deferred('sentry::secret_file', ["#{dir}/admin_password"]),
                    secret_key: deferred('sentry::secret_file', ["#{dir}/secret_key"]),
                    database_url: deferred('sentry::secret_file', ["#{dir}/database_url"]))
    end

    after(:each) { FileUtils.remove_entry(dir) }

    it 'writes what each resolves to into its 0600 file, still Sensitive, never shown as a diff' do
      { 'admin_password' => 'root', 'secret_key' => 'www-data', 'database_url' => 'www-data' }.each do |name, owner|
        is_expected.to contain_file("/etc/bugsink/#{name}")
          .with(owner: owner, mode: '0600', show_diff: false)
        file = catalogue.resource('File', "/etc/bugsink/#{name}")
        expect([file[:content], file.sensitive_parameters]).to match([secrets[name], include(:content)])
      end
      is_expected.to contain_exec('bugsink migrate').with_unless(%r{sed -E .* /etc/bugsink/database_url\)" \| cmp -s - })
      is_expected.to contain_exec('bugsink database driver')
    end
  end
end

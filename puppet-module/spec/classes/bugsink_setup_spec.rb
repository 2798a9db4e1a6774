require 'spec_helper'
require_relative 'bugsink_facts'

# sentry::bugsink::setup is private: declared through sentry::bugsink.
describe 'sentry::bugsink' do
  let(:facts) { { 'sentry_agent_ssl' => AGENT_SSL } }
  let(:params) { { version: '2.6.2', base_url: 'https://sentry.example.com' } }

  it 'migrates both databases and collects static files once per version' do
    is_expected.to contain_exec('bugsink migrate')
      .with_command(%r{/etc/bugsink/bugsink-manage migrate --noinput && /etc/bugsink/bugsink-manage migrate snappea --database=snappea --noinput && .*collectstatic --noinput})
      .with_command(%r{echo '2\.6\.2 sqlite' > /var/lib/bugsink/\.puppet-migrated$})
      .with_unless("grep -qxF '2.6.2 sqlite' /var/lib/bugsink/.puppet-migrated")
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

  context 'with a database_url' do
    let(:params) { super().merge(database_url: sensitive('postgresql://bugsink:hunter2@db.example.com/bugsink')) }

    it 'migrates again when the database changes, its credentials never in a command' do
      is_expected.to contain_exec('bugsink migrate')
        .with_unless("grep -qxF '2.6.2 postgresql://db.example.com/bugsink' /var/lib/bugsink/.puppet-migrated")
      expect(catalogue.resource('Exec', 'bugsink migrate')[:command]).not_to include('hunter2')
    end
  end

  # The database's identity in the stamp, from URLs whose credentials hold `@`, `:` and `?`, and
  # whose query carries a password.
  {
    'postgresql://bugsink:p@ss@db/bugsink?sslpassword=hunter2' => 'postgresql://db/bugsink',
    'postgresql://bugsink:hunter2@db.example.com:5433/bugsink' => 'postgresql://db.example.com:5433/bugsink',
    'postgres://u:a@b@c:d?e@db/name#frag' => 'postgres://db/name',
    'mysql://root:hun@ter2?@[::1]:3306/bugsink?password=hunter2&ssl=1' => 'mysql://[::1]:3306/bugsink',
    'postgresql://db/bugsink?password=hunter2' => 'postgresql://db/bugsink',
  }.each do |url, identity|
    context "with database_url #{url.sub(%r{//.*@}, '//***@')}" do
      let(:params) { super().merge(database_url: sensitive(url)) }

      it "stamps #{identity}, no credential in any command" do
        is_expected.to contain_exec('bugsink migrate')
          .with_unless("grep -qxF '2.6.2 #{identity}' /var/lib/bugsink/.puppet-migrated")
          .with_command(%r{echo '2\.6\.2 #{Regexp.escape(identity)}' > /var/lib/bugsink/\.puppet-migrated$})
        expect(catalogue.resource('File', '/etc/bugsink/database_url').sensitive_parameters).to include(:content)
        %w[hunter2 p@ss hun@ter2 a@b@c].each { |secret| expect(clear_text(catalogue)).not_to include(secret) }
      end
    end
  end
end

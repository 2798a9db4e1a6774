require 'spec_helper'

# sentry::server::install is private: declared through sentry::server.
describe 'sentry::server' do
  let(:node) { 'sentry.example.com' }

  let(:params) do
    {
      backend: 'bugsink',
      url: 'http://127.0.0.1:8000',
      token: sensitive('t'),
      package_source: '/srv/dist/sentry_puppet-0.1.0-py3-none-any.whl',
    }
  end
  let(:marker) { '/opt/sentry_puppet/venv/.sentry-puppet-source' }
  let(:tool) { '/opt/sentry_puppet/venv/bin/sentry-puppet' }

  context 'without a version' do
    it { is_expected.to compile.with_all_deps }
    it 'makes the virtualenv once' do
      is_expected.to contain_exec('sentry-puppet virtualenv')
        .with_command('/usr/bin/python3 -m venv /opt/sentry_puppet/venv')
        .with_creates('/opt/sentry_puppet/venv/bin/pip')
    end
    it 'installs, upgrading, unless the tool is there from the same package_source' do
      is_expected.to contain_exec('sentry-puppet install')
        .with_command("s=/srv/dist/sentry_puppet-0.1.0-py3-none-any.whl; /opt/sentry_puppet/venv/bin/pip install --quiet --disable-pip-version-check --upgrade \"$s\" && printf '%s\\n' \"$s\" > #{marker}.new && mv -f #{marker}.new #{marker}")
        .with_unless("test -x #{tool} && grep -qxF -- /srv/dist/sentry_puppet-0.1.0-py3-none-any.whl #{marker}")
        .without_creates
        .that_requires('Exec[sentry-puppet virtualenv]')
    end
  end

  context 'with a version and a source with shell characters' do
    let(:params) { super().merge(version: '0.2.0', package_source: 'sentry-puppet>=0.2,<0.3') }

    it 'also reinstalls when `sentry-puppet --version` differs, and checks it after pip' do
      is_expected.to contain_exec('sentry-puppet install')
        .with_unless(%r{grep -qxF -- "sentry-puppet>=0\.2,<0\.3" #{marker} && test "\$\(#{tool} --version\)" = "sentry-puppet 0\.2\.0"$})
        .with_command(%r{^s="sentry-puppet>=0\.2,<0\.3" w=0\.2\.0; \S+ install .* --upgrade "\$s" && \{ v=\$\(#{tool} --version\); test "\$v" = "sentry-puppet 0\.2\.0" \|\| \{ echo "sentry-puppet: installed \$v from \$s, but sentry::server::version is \$w: correct package_source or version" >&2; exit 1; \}; \} && printf})
    end
  end
end

require 'spec_helper'
require 'json'

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

  context 'without package_source, from a git checkout (no wheel in files/)' do
    let(:params) { super().reject { |k, _| k == :package_source } }

    it 'fails, saying to build the module with scripts/release or to set package_source' do
      is_expected.to compile.and_raise_error(
        %r{package_source is not given, and this copy of the module carries no built tool \(files/sentry_puppet-<version>-py3-none-any\.whl\).*scripts/release.*set sentry::server::package_source}m,
      )
    end
  end

  context 'without package_source, from a release (files/ holds the wheel)' do
    let(:params) { super().reject { |k, _| k == :package_source } }
    let(:version) { JSON.parse(File.read(File.join(__dir__, '..', '..', 'metadata.json')))['version'] }
    let(:wheel) { "/opt/sentry_puppet/venv/sentry_puppet-#{version}-py3-none-any.whl" }

    before(:each) do
      allow(File).to receive(:file?).and_call_original
      allow(File).to receive(:file?).with(%r{/files/sentry_puppet-[^/]+\.whl\z}).and_return(true)
    end

    it 'copies the wheel into the venv and installs it, pinned to the module version' do
      is_expected.to contain_file(wheel)
        .with(ensure: 'file', source: "puppet:///modules/sentry/sentry_puppet-#{version}-py3-none-any.whl")
        .that_requires('Exec[sentry-puppet virtualenv]')
        .that_comes_before('Exec[sentry-puppet install]')
      is_expected.to contain_exec('sentry-puppet install')
        .with_unless("test -x #{tool} && grep -qxF -- #{wheel} #{marker} && test \"$(#{tool} --version)\" = \"sentry-puppet #{version}\"")
    end

    context 'and another version' do
      let(:params) { super().merge(version: '99.0.0') }

      it { is_expected.to compile.and_raise_error(%r{version 99\.0\.0 is not the version of the tool this module carries \(#{Regexp.escape(version)}\)}) }
    end
  end
end

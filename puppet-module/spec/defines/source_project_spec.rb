require 'spec_helper'

describe 'sentry::source::project' do
  let(:node) { 'sentry.example.com' }

  let(:title) { 'Foo-Bar-app01.example.com' }
  let(:server) do
    "class { 'sentry::server': backend => 'bugsink', url => 'http://127.0.0.1:8000', token => Sensitive('t'), package_source => '/srv/dist/x.whl' }"
  end
  let(:pre_condition) { server }

  include_context 'puppet warnings'

  context 'with project and platform' do
    let(:params) { { project: 'Foo-Bar', platform: 'ruby', source: 'app01.example.com' } }

    it { is_expected.to compile.with_all_deps }
    it 'writes one definition file before the sync' do
      is_expected.to contain_file('/etc/sentry_puppet/projects.d/Foo-Bar-app01.example.com.yaml')
        .with_content(%r{^project: "?Foo-Bar"?$})
        .with_content(%r{^platform: "?ruby"?$})
        .with_content(%r{^source: "?app01\.example\.com"?$})
        .without_content(%r{^team:})
        .that_comes_before('Exec[sentry-puppet sync]')
      expect(warnings).to be_empty
    end
  end

  context 'with a team' do
    let(:params) { { project: 'pay', team: 'payments' } }

    it do
      is_expected.to contain_file('/etc/sentry_puppet/projects.d/Foo-Bar-app01.example.com.yaml')
        .with_content(%r{^team: "?payments"?$})
        .with_content(%r{^platform: "?other"?$})
    end
  end

  context 'without sentry::server on the node' do
    let(:pre_condition) { '' }
    let(:params) { { project: 'Foo-Bar' } }

    it 'fails naming the class to declare' do
      is_expected.to compile.and_raise_error(
        %r{sentry::source::project\[Foo-Bar-app01\.example\.com\]: the class sentry::server is not declared on this node\. .*declare sentry::server},
      )
    end
  end

  context "with covermymeds/sentry's parameters, as its exports left them in PuppetDB" do
    let(:title) { 'foobar-server01' }
    let(:params) { { organization: 'acme', project: 'foobar', platform: 'Ruby', team: 'apps', path: '/opt/sentry' } }

    it { is_expected.to compile.with_all_deps }
    it 'writes the definition without them' do
      is_expected.to contain_file('/etc/sentry_puppet/projects.d/foobar-server01.yaml')
        .with_content(%r{^project: "?foobar"?$})
        .with_content(%r{^platform: "?Ruby"?$})
        .without_content(%r{acme|/opt/sentry|organization|path})
    end
    it 'warns that the organization is not used (Bugsink has none)' do
      is_expected.to compile
      expect(warnings).to include(
        "sentry::source::project[foobar-server01]: organization 'acme' (a covermymeds/sentry parameter) " \
        "is ignored: project 'foobar' is made in the bugsink backend, which has no organizations.",
      )
    end

    context "on a Sentry host of another organization" do
      let(:pre_condition) { server.sub("backend => 'bugsink'", "backend => 'sentry', organization => 'other'") }

      it do
        is_expected.to compile
        expect(warnings).to include(%r{organization 'acme' .* is ignored: project 'foobar' is made in sentry::server's organization 'other'\.})
      end
    end

    context "on a Sentry host of that organization" do
      let(:pre_condition) { server.sub("backend => 'bugsink'", "backend => 'sentry', organization => 'acme'") }

      it 'says nothing' do
        is_expected.to compile
        expect(warnings).to be_empty
      end
    end
  end
end

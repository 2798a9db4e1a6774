require 'spec_helper'

describe 'sentry::source::export' do
  let(:node) { 'app01.example.com' }

  let(:title) { 'Foo-Bar' }

  context 'with the structured fact' do
    let(:facts) { { 'sentry_apps' => { 'Foo-Bar' => { 'lang' => 'ruby' } } } }

    it { is_expected.to compile }
    it 'exports <app>-<certname> with the detected platform' do
      expect(exported_resources).to contain_sentry__source__project('Foo-Bar-app01.example.com')
        .with(project: 'Foo-Bar', platform: 'ruby', source: 'app01.example.com', tag: 'production')
    end
  end

  context 'with only <key>_lang' do
    let(:facts) { { 'foo_bar_lang' => 'node' } }

    it { expect(exported_resources).to contain_sentry__source__project('Foo-Bar-app01.example.com').with_platform('node') }
  end

  context 'with nothing known' do
    it { expect(exported_resources).to contain_sentry__source__project('Foo-Bar-app01.example.com').with_platform('other') }
  end

  context 'with an explicit platform, team and environment' do
    let(:facts) { { 'foo_bar_lang' => 'node' } }
    let(:params) { { platform: 'java', team: 'payments', environment: 'staging' } }

    it do
      expect(exported_resources).to contain_sentry__source__project('Foo-Bar-app01.example.com')
        .with(platform: 'java', team: 'payments', tag: 'staging')
    end
  end
end

describe 'sentry::source::export' do
  let(:node) { 'app01.example.com' }
  let(:title) { 'billing' }

  include_context 'puppet warnings'

  context "with covermymeds/sentry's parameters" do
    let(:facts) { { 'sentry_apps' => { 'billing' => { 'lang' => 'other' } } } }
    let(:params) { { env: 'staging', language: 'Ruby', team: 'payments', organization: 'acme' } }

    it 'exports with env as the tag, language for the undetected platform, organization passed on, and warns' do
      expect(exported_resources).to contain_sentry__source__project('billing-app01.example.com')
        .with(project: 'billing', platform: 'Ruby', team: 'payments', organization: 'acme', tag: 'staging')
      expect(warnings).to eq([
                               'sentry::source::export[billing]: `env` is deprecated (a covermymeds/sentry parameter): use `environment`.',
                               'sentry::source::export[billing]: `language` is deprecated (a covermymeds/sentry parameter): ' \
                               'use `platform` (which, unlike `language`, wins over the language the facts detect).',
                             ])
    end
  end

  context 'with language and a detected language' do
    let(:facts) { { 'sentry_apps' => { 'billing' => { 'lang' => 'python' } } } }
    let(:params) { { language: 'Ruby' } }

    it 'keeps the detected one, as covermymeds/sentry did' do
      expect(exported_resources).to contain_sentry__source__project('billing-app01.example.com').with_platform('python')
    end
  end

  context 'with an empty organization, as covermymeds/sentry defaulted it' do
    let(:params) { { organization: '' } }

    it { expect(exported_resources).to contain_sentry__source__project('billing-app01.example.com').without_organization }
  end

  context 'with the new names only' do
    let(:params) { { environment: 'staging', platform: 'java' } }

    it 'warns about nothing' do
      expect(exported_resources).to contain_sentry__source__project('billing-app01.example.com')
        .with(platform: 'java', tag: 'staging').without_organization
      expect(warnings).to be_empty
    end
  end

  context 'with environment and a different env' do
    let(:params) { { environment: 'production', env: 'staging' } }

    it { is_expected.to compile.and_raise_error(%r{`environment` \(production\) and the deprecated `env` \(staging\) differ: give `environment` only}) }
  end

  context 'with platform and a different language' do
    let(:params) { { platform: 'python', language: 'Ruby' } }

    it { is_expected.to compile.and_raise_error(%r{`platform` \(python\) and the deprecated `language` \(Ruby\) differ: give `platform` only}) }
  end
end

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

require 'spec_helper'
require_relative 'bugsink_facts'

# The app-server side runs on the RedHat family too (the fact starts under platform-python:
# tests/integration/test_fact_startup.py); the Sentry host's classes are tested on the Debian
# family only and refuse any other at compile time, naming it. metadata.json claims Debian.
REDHAT = ['8', '9'].map do |major|
  [major, { 'family' => 'RedHat', 'name' => 'RedHat', 'release' => { 'major' => major, 'full' => "#{major}.10" } }]
end

describe 'sentry::client' do
  let(:node) { 'app01.example.com' }

  REDHAT.each do |major, os|
    context "on RedHat #{major}" do
      let(:facts) do
        {
          'os' => os,
          'deployed_apps' => 'billing,shop',
          'sentry_apps' => {
            'billing' => { 'lang' => 'python', 'path' => '/srv/apps/billing', 'key' => 'billing' },
            'shop' => { 'lang' => 'dart', 'path' => '/var/www/shop', 'key' => 'shop' },
          },
        }
      end
      let(:params) { { dsn_url: 'https://sentry.example.com/dsn/' } }

      it { is_expected.to compile.with_all_deps }
      it 'writes facts.conf where the fact reads it' do
        is_expected.to contain_file('/etc/sentry_puppet').with_ensure('directory')
        is_expected.to contain_file('/etc/sentry_puppet/facts.conf')
          .with_mode('0644')
          .with_content(%r{^roots = /srv/apps /var/www$})
          .with_content(%r{^url = https://sentry\.example\.com/dsn/$})
          .with_content(%r{^cache_dir = /var/cache/sentry_puppet$})
      end
      it 'exports every app the facts report' do
        expect(exported_resources).to contain_sentry__source__project('billing-app01.example.com')
          .with(project: 'billing', platform: 'python', tag: 'production')
        expect(exported_resources).to contain_sentry__source__project('shop-app01.example.com')
          .with_platform('dart')
      end
      it 'installs nothing and manages no Debian path: two files, the exports' do
        managed = catalogue.resources.reject { |r| ['Class', 'Stage', 'Node'].include?(r.type) }
        expect(managed.map(&:ref)).to contain_exactly(
          'File[/etc/sentry_puppet]', 'File[/etc/sentry_puppet/facts.conf]',
          'Sentry::Source::Export[billing]', 'Sentry::Source::Export[shop]'
        )
      end
    end
  end
end

describe 'sentry::server' do
  let(:node) { 'sentry.example.com' }
  let(:params) do
    {
      backend: 'bugsink',
      url: 'http://127.0.0.1:8000',
      token: sensitive('0123456789abcdef0123456789abcdef01234567'),
      package_source: 'sentry-puppet==0.1.0',
    }
  end

  REDHAT.each do |major, os|
    context "on RedHat #{major}" do
      let(:facts) { { 'os' => os } }

      it 'fails at compile time naming the family and what is supported' do
        is_expected.to compile.and_raise_error(
          %r{sentry::server: this node's OS family is RedHat; the Sentry host's classes \(sentry::server, sentry::bugsink\) support the Debian family only \(tested on Debian 12 and 13\)\. App servers of the Debian or RedHat family take sentry::client\.},
        )
      end
    end
  end

  context 'on Debian 13' do
    let(:facts) { { 'os' => { 'family' => 'Debian', 'name' => 'Debian', 'release' => { 'major' => '13' } } } }

    it { is_expected.to compile.with_all_deps }
  end
end

describe 'sentry::bugsink' do
  let(:node) { 'sentry.example.com' }
  let(:params) { { version: '2.6.2', base_url: 'https://sentry.example.com' } }

  REDHAT.each do |major, os|
    context "on RedHat #{major}" do
      let(:facts) { { 'os' => os, 'sentry_agent_ssl' => AGENT_SSL } }

      it 'fails at compile time before any package, naming the family and what is supported' do
        is_expected.to compile.and_raise_error(
          %r{sentry::bugsink: this node's OS family is RedHat; the Sentry host's classes .* support the Debian family only \(tested on Debian 12 and 13\)},
        )
      end
    end
  end

  context 'on a node without the os fact' do
    let(:facts) { { 'os' => nil, 'sentry_agent_ssl' => AGENT_SSL } }

    it { is_expected.to compile.and_raise_error(%r{this node's OS family is unknown}) }
  end
end

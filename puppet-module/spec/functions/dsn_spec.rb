require 'spec_helper'

DSN = 'https://0123456789abcdef0123456789abcdef@sentry.example.com/7'.freeze

describe 'sentry::dsn' do
  let(:node) { 'app01.example.com' }

  context 'with the structured fact' do
    let(:facts) { { 'sentry_apps' => { 'Foo-Bar' => { 'lang' => 'ruby', 'dsn' => DSN }, 'billing' => { 'lang' => 'python' } } } }

    it { is_expected.to run.with_params('Foo-Bar').and_return(DSN) }
    it { is_expected.to run.with_params('billing').and_return(nil) }
    it { is_expected.to run.with_params('unknown').and_return(nil) }
  end

  context 'with only the flat fact' do
    let(:facts) { { 'foo_bar_dsn' => DSN } }

    it { is_expected.to run.with_params('Foo-Bar').and_return(DSN) }
  end

  context 'with no facts about apps' do
    it { is_expected.to run.with_params('Foo-Bar').and_return(nil) }
  end
end

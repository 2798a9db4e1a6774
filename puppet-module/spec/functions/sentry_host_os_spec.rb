require 'spec_helper'

describe 'sentry::sentry_host_os' do
  context 'on Debian' do
    let(:facts) { { os: { 'family' => 'Debian' } } }

    it { is_expected.to run.with_params('sentry::server').and_return(nil) }
  end

  context 'on RedHat' do
    let(:facts) { { os: { 'family' => 'RedHat' } } }

    it {
      is_expected.to run.with_params('sentry::bugsink').and_raise_error(
        %r{sentry::bugsink: this node's OS family is RedHat; .* support the Debian family only},
      )
    }
  end

  context 'without an OS family' do
    let(:facts) { { os: {} } }

    it { is_expected.to run.with_params('sentry::server').and_raise_error(%r{OS family is unknown}) }
  end
end

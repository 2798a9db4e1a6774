require 'spec_helper'

# A plain value would sit in every catalog in clear: refused at compile time.
describe 'Sentry::Secret' do
  ['hunter2', '', 42, nil].each do |value|
    it { is_expected.not_to allow_value(value) }
  end
end

# A type-alias example cannot be given a Sensitive or Deferred value: a parameter of that type can.
describe 'sentry::server', type: :class do
  let(:node) { 'sentry.example.com' }
  let(:params) { { backend: 'bugsink', url: 'http://127.0.0.1:8000', package_source: 'sentry-puppet==0.1.0' } }

  {
    'a Sensitive' => -> { sensitive('0123456789abcdef0123456789abcdef01234567') },
    'a Deferred' => -> { deferred('sprintf', ['%s', '0123456789abcdef0123456789abcdef01234567']) },
  }.each do |kind, value|
    context "with #{kind} token" do
      let(:params) { super().merge(token: instance_exec(&value)) }

      it { is_expected.to compile.with_all_deps }
    end
  end

  context 'with a plain string token' do
    let(:params) { super().merge(token: '0123456789abcdef0123456789abcdef01234567') }

    it { is_expected.to compile.and_raise_error(%r{token' expects a value of type Undef, Sensitive, or Deferred|token' expects .*Sensitive}) }
  end
end

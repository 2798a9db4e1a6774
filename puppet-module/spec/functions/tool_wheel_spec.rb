require 'spec_helper'
require 'json'

describe 'sentry::tool_wheel' do
  let(:version) { JSON.parse(File.read(File.join(__dir__, '..', '..', 'metadata.json')))['version'] }
  let(:file) { "sentry_puppet-#{version}-py3-none-any.whl" }

  context 'on a git checkout of the module (no wheel in files/)' do
    it { is_expected.to run.with_params.and_return(nil) }
  end

  context 'on a module built by scripts/release (files/ holds the wheel of its version)' do
    before(:each) do
      allow(File).to receive(:file?).and_call_original
      allow(File).to receive(:file?).with(%r{/files/#{Regexp.escape(file)}\z}).and_return(true)
    end

    it { is_expected.to run.with_params.and_return('version' => version, 'file' => file) }
  end
end

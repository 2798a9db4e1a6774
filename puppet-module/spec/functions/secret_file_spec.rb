require 'spec_helper'

describe 'sentry::secret_file' do
  let(:dir) { Dir.mktmpdir }
  let(:path) { File.join(dir, 'token') }

  after(:each) { FileUtils.remove_entry(dir) }

  def secret(content, mode)
    File.write(path, content)
    File.chmod(mode, path)
  end

  it 'gives the content, without its trailing newline, as Sensitive' do
    secret("hunter2-token\n", 0o600)
    value = subject.execute(path)
    expect(value).to be_a(Puppet::Pops::Types::PSensitiveType::Sensitive)
    expect(value.unwrap).to eq('hunter2-token')
  end

  it 'accepts a file its group reads' do
    secret('hunter2', 0o640)
    expect(subject.execute(path).unwrap).to eq('hunter2')
  end

  it 'refuses a file others may read, naming it and the fix' do
    secret('hunter2', 0o644)
    is_expected.to run.with_params(path).and_raise_error(
      Puppet::Error, %r{\Asentry::secret_file: #{Regexp.escape(path)} is open to others \(mode 0644\): .*chmod o-rwx}
    )
  end

  it 'says which file is missing, and what to do' do
    is_expected.to run.with_params(path).and_raise_error(
      Puppet::Error, %r{\Asentry::secret_file: cannot read #{Regexp.escape(path)} \(No such file or directory\): place the secret there}
    )
  end

  it 'refuses an empty file' do
    secret("\n", 0o600)
    is_expected.to run.with_params(path).and_raise_error(Puppet::Error, %r{is empty})
  end

  it 'takes absolute paths only' do
    is_expected.to run.with_params('token').and_raise_error(ArgumentError, %r{expects a match for Pattern})
  end
end

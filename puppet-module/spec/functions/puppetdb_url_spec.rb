require 'spec_helper'
require 'tmpdir'

describe 'sentry::puppetdb_url' do
  context 'when exported resources do not go to PuppetDB' do
    it { is_expected.to run.with_params.and_return(nil) }
  end

  context "on a server storing exported resources in PuppetDB, with its own puppetdb.conf" do
    around(:each) do |example|
      Dir.mktmpdir do |confdir|
        File.write(File.join(confdir, 'puppetdb.conf'),
                   "[main]\nserver_urls = https://puppetdb.example.com:8081/,https://puppetdb2.example.com:8081\n")
        @confdir = confdir
        example.run
      end
    end

    before(:each) do
      @settings = [Puppet[:confdir], Puppet[:storeconfigs], Puppet[:storeconfigs_backend]]
      Puppet[:confdir] = @confdir
      Puppet[:storeconfigs] = true
      Puppet[:storeconfigs_backend] = 'puppetdb'
      require 'puppet/util/puppetdb'
      Puppet::Util::Puppetdb.instance_variable_set(:@config, nil)
    end

    after(:each) do
      Puppet[:confdir], Puppet[:storeconfigs], Puppet[:storeconfigs_backend] = @settings
      Puppet::Util::Puppetdb.instance_variable_set(:@config, nil)
    end

    it 'is the first of its server_urls' do
      is_expected.to run.with_params.and_return('https://puppetdb.example.com:8081')
    end
  end
end

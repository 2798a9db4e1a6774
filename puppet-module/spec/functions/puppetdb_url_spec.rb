require 'spec_helper'
require 'tmpdir'

# The PuppetDB terminus (Debian's puppet-terminus-puppetdb) is on a puppetserver, not on every
# machine that runs these specs: without it the examples that read puppetdb.conf through it
# cannot run. They say so and are skipped, except under CI=true, where the package is installed
# (scripts/install-deps) and its absence is a failure.
PUPPETDB_TERMINUS = begin
  require 'puppet/util/puppetdb'
  nil
rescue LoadError => e
  "the PuppetDB terminus is not installed (#{e.message}): install puppet-terminus-puppetdb"
end

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
      if PUPPETDB_TERMINUS
        raise PUPPETDB_TERMINUS if ENV['CI'] == 'true'
        skip PUPPETDB_TERMINUS
      end
      @settings = [Puppet[:confdir], Puppet[:storeconfigs], Puppet[:storeconfigs_backend]]
      Puppet[:confdir] = @confdir
      Puppet[:storeconfigs] = true
      Puppet[:storeconfigs_backend] = 'puppetdb'
      Puppet::Util::Puppetdb.instance_variable_set(:@config, nil)
    end

    after(:each) do
      next unless @settings
      Puppet[:confdir], Puppet[:storeconfigs], Puppet[:storeconfigs_backend] = @settings
      Puppet::Util::Puppetdb.instance_variable_set(:@config, nil)
    end

    it 'is the first of its server_urls' do
      is_expected.to run.with_params.and_return('https://puppetdb.example.com:8081')
    end
  end
end

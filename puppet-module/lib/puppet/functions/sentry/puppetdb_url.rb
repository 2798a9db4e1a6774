# frozen_string_literal: true

# @summary The PuppetDB URL this puppetserver itself uses, read while it compiles.
#
# The first of `server_urls` in the server's `puppetdb.conf` (through the PuppetDB terminus,
# `Puppet::Util::Puppetdb`), when the server stores exported resources in PuppetDB
# (`storeconfigs_backend = puppetdb`); else undef. It runs on the server: the agent's own
# settings play no part. `sentry::server` gives it to the tool as `puppetdb.url`.
Puppet::Functions.create_function(:'sentry::puppetdb_url') do
  # @return [Optional[String]] e.g. `https://puppet.example.com:8081`, or undef.
  dispatch :puppetdb_url do
    return_type 'Optional[String]'
  end

  def puppetdb_url
    return nil unless Puppet[:storeconfigs] && Puppet[:storeconfigs_backend].to_s == 'puppetdb'
    begin
      require 'puppet/util/puppetdb'
    rescue LoadError
      return nil # exported resources cannot work either: no PuppetDB terminus on this server
    end
    url = Puppet::Util::Puppetdb.config.server_urls.first
    url && url.to_s.chomp('/')
  end
end

# frozen_string_literal: true

require 'yaml'

# @summary A YAML document of plain data, for the files this module writes.
#
# Byte for byte what stdlib's `to_yaml` writes (Ruby's Psych, default options), so files made
# before stay unchanged. The module's own function because stdlib 9 deprecates `to_yaml` (every
# compile warns) and stdlib 8.5, Debian 12's, has no `stdlib::to_yaml`: this works without a
# warning on both.
Puppet::Functions.create_function(:'sentry::to_yaml') do
  # @param data Plain data (`Data`: no Sensitive, whose value YAML would not hide).
  # @return [String] The YAML document, starting with `---`.
  # @example The tool's configuration
  #   file { '/etc/sentry_puppet/config.yaml':
  #     ensure  => file,
  #     content => sentry::to_yaml({ 'backend' => 'bugsink', 'url' => 'https://bugsink.example.com' }),
  #   }
  dispatch :to_yaml do
    param 'Data', :data
    return_type 'String'
  end

  def to_yaml(data)
    data.to_yaml
  end
end

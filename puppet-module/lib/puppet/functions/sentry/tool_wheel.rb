# frozen_string_literal: true

# @summary The tool's wheel that a released copy of this module carries in its `files/`.
#
# `scripts/release` puts `sentry_puppet-<version>-py3-none-any.whl` into the module's
# `files/`, with `<version>` the module's own (`metadata.json`): `sentry::server` installs it
# when `package_source` is not given. A git checkout of the module has no wheel: undef.
# It runs where the catalog is compiled, on the module as the server has it.
Puppet::Functions.create_function(:'sentry::tool_wheel') do
  # @return [Optional[Struct[{version => String, file => String}]]]
  #   e.g. `{'version' => 'X.Y.Z', 'file' => 'sentry_puppet-X.Y.Z-py3-none-any.whl'}`, or undef.
  dispatch :tool_wheel do
    return_type 'Optional[Struct[{version => String, file => String}]]'
  end

  def tool_wheel
    mod = closure_scope.environment.module('sentry')
    return nil unless mod && mod.version
    file = "sentry_puppet-#{mod.version}-py3-none-any.whl"
    return nil unless File.file?(File.join(mod.path, 'files', file))
    { 'version' => mod.version.to_s, 'file' => file }
  end
end

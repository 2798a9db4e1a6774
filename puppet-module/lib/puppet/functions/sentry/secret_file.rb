# frozen_string_literal: true

# @summary A secret from a file on the node that applies the catalog, for `Deferred`.
#
# `Deferred('sentry::secret_file', ['/root/secrets/sentry-token'])` as any of the module's
# secret parameters (`Sentry::Secret`): the agent calls it while applying, on the Sentry host,
# so the secret that your own tooling (a secrets store's agent, sops, a hand-made file) placed
# there reaches the module's 0600 file without any catalog holding it, not even the agent's
# cache. The value is Sensitive, so the run's output redacts it too.
Puppet::Functions.create_function(:'sentry::secret_file') do
  # @param path
  #   An absolute path on the node, readable by the agent, not by others.
  # @return [Sensitive[String[1]]] The file's content without its trailing newline.
  dispatch :secret_file do
    param 'Pattern[/\A\//]', :path
    return_type 'Sensitive[String[1]]'
  end

  def secret_file(path)
    begin
      mode = File.stat(path).mode
      content = File.read(path).chomp
    rescue SystemCallError => e
      raise Puppet::Error, "sentry::secret_file: cannot read #{path} (#{e.message.sub(%r{ @ .*}, '')}): " \
                           'place the secret there, mode 0600, before this run'
    end
    if (mode & 0o007) != 0
      raise Puppet::Error, "sentry::secret_file: #{path} is open to others (mode #{format('%04o', mode & 0o7777)}): " \
                           "a secret must not be; chmod o-rwx #{path}"
    end
    raise Puppet::Error, "sentry::secret_file: #{path} is empty: put the secret in it" if content.empty?
    Puppet::Pops::Types::PSensitiveType::Sensitive.new(content)
  end
end

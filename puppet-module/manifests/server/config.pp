# @summary Writes the tool's configuration and, when `token` is given, its 0600 token file.
#
# @api private
class sentry::server::config {
  assert_private()

  $vhost = $sentry::server::vhost

  # sentry::client (a base profile on every node, this one included) manages the default
  # directory too: the same attributes through ensure_resource, in either declaration order.
  ensure_resource('file', $sentry::server::config_dir, { 'ensure' => 'directory', 'mode' => '0755' })
  if $sentry::server::token {
    file { $sentry::server::token_path:
      ensure    => file,
      mode      => '0600',
      content   => $sentry::server::token,
      show_diff => false,
    }
  }
  file { $sentry::server::config_file:
    ensure  => file,
    mode    => '0600',
    content => sentry::to_yaml(delete_undef_values({
        'backend'         => $sentry::server::backend,
        'url'             => $sentry::server::url,
        'token_file'      => $sentry::server::token_path,
        'organization'    => $sentry::server::organization,
        'team'            => $sentry::server::team,
        'definitions_dir' => $sentry::server::definitions_dir,
        'dsn_dir'         => $sentry::server::dsn_dir,
        'ca_file'         => $sentry::server::ca_file,
        'vhost'           => empty($vhost) ? { true => undef, default => $vhost },
        'puppetdb'        => $sentry::server::puppetdb_settings,
    })),
  }
}

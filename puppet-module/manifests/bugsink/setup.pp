# @summary Bugsink's databases (migrations, static files), its admin user and the API token.
# @api private
class sentry::bugsink::setup {
  assert_private()
  $manage = $sentry::bugsink::manage
  $data_dir = $sentry::bugsink::data_dir
  $token_file = $sentry::bugsink::token_file
  # What the migrations were run for: the version, and the database as scheme://host[:port]/name,
  # read from the URL's file here on the host (a Deferred URL is known only here) without the
  # credentials (user:password@ ends at the LAST `@` before the path: a password may hold `@`)
  # or the query (`?sslpassword=...`). The catalog holds neither the URL nor the database's name.
  $database = $sentry::bugsink::database_url_file ? {
    undef   => 'echo sqlite',
    default => join([
        "sed -E 's|^([A-Za-z][A-Za-z0-9+.-]*://)([^/]*@)?([^/?#@]*)(/[^?#]*)?.*$|\\1\\3\\4|'",
        $sentry::bugsink::database_url_file,
    ], ' '),
  }
  $migrated = "${data_dir}/.puppet-migrated"
  $stamp = "echo \"${sentry::bugsink::version} \$(${database})\""

  # Both databases, then the static files; the stamp is written last, so a failed step is
  # retried by the next run and a run with nothing changed starts no Python.
  exec { 'bugsink migrate':
    provider => 'shell',
    command  => join([
        "${manage} migrate --noinput",
        "${manage} migrate snappea --database=snappea --noinput",
        "${manage} collectstatic --noinput >/dev/null",
        "${stamp} > ${migrated}",
    ], ' && '),
    unless   => "${stamp} | cmp -s - ${migrated}",
    timeout  => 1800,
  }

  if $sentry::bugsink::admin_email {
    $admin_created = "${data_dir}/.puppet-admin"
    # The password stays Sensitive: it reaches the catalog only as this file's Sensitive content
    # (redacted in logs, reports and PuppetDB), and createsuperuser reads it from the file into
    # its environment (never its arguments, never the exec's parameters).
    $admin_password_file = "${sentry::bugsink::conf_dir}/admin_password"
    file { $admin_password_file:
      ensure    => file,
      owner     => 'root',
      mode      => '0600',
      content   => $sentry::bugsink::admin_password,
      show_diff => false,
    }
    exec { 'bugsink admin user':
      provider    => 'shell',
      command     => join([
          "DJANGO_SUPERUSER_PASSWORD=\"\$(cat ${admin_password_file})\"",
          'export DJANGO_SUPERUSER_PASSWORD',
          "${manage} createsuperuser --noinput",
          "echo '${sentry::bugsink::admin_email}' > ${admin_created}",
      ], ' && '),
      unless      => "grep -qxF '${sentry::bugsink::admin_email}' ${admin_created}",
      environment => [
        "DJANGO_SUPERUSER_USERNAME=${sentry::bugsink::admin_email}",
        "DJANGO_SUPERUSER_EMAIL=${sentry::bugsink::admin_email}",
      ],
      require     => [Exec['bugsink migrate'], File[$admin_password_file]],
    }
  }

  # The token goes from the command's stdout straight into a 0600 file, never into a log.
  exec { 'bugsink api token':
    provider => 'shell',
    command  => join([
        'umask 077',
        "${manage} create_auth_token > ${token_file}.new",
        "grep -qE '^[0-9a-f]{40}$' ${token_file}.new",
        "mv ${token_file}.new ${token_file}",
    ], ' && '),
    creates  => $token_file,
    require  => Exec['bugsink migrate'],
  }
  -> file { $token_file:
    ensure => file,
    owner  => 'root',
    mode   => '0600',
  }
}

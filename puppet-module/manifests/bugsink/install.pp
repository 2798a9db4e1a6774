# @summary Bugsink's virtualenv and package, upgraded when `version` changes; Apache's packages.
# @api private
class sentry::bugsink::install {
  assert_private()
  $venv = $sentry::bugsink::venv
  $version = $sentry::bugsink::version

  ensure_resource('package', 'python3-venv', { 'ensure' => 'installed' })
  if $sentry::bugsink::manage_apache {
    # Installed first: on a bare host sentry::server renders its vhost into
    # /etc/apache2/sites-enabled and its Listen lines into ports.conf before Apache starts.
    ensure_resource('package', ['apache2', 'libapache2-mod-wsgi-py3'], { 'ensure' => 'installed' })
  }

  exec { 'bugsink virtualenv':
    command => "${sentry::bugsink::python} -m venv ${venv}",
    creates => "${venv}/bin/pip",
    path    => ['/usr/bin', '/bin'],
    require => Package['python3-venv'],
  }
  # Installed when the wanted version's dist-info is missing: a shell glob, no Python start on a
  # run with nothing to do. The database driver: sentry::bugsink::config, beside the URL's file.
  -> exec { 'bugsink install':
    provider => 'shell',
    command  => "${venv}/bin/pip install --quiet --disable-pip-version-check 'bugsink==${version}'",
    unless   => "ls -d ${sentry::bugsink::site_packages}/bugsink-${version}.dist-info",
    timeout  => 1200,
  }
}

# @summary Bugsink's virtualenv and package, upgraded when `version` changes.
# @api private
class sentry::bugsink::install {
  assert_private()
  $venv = $sentry::bugsink::venv
  $version = $sentry::bugsink::version
  $site_packages = "${venv}/lib/python3*/site-packages"
  $driver = $sentry::bugsink::database_url ? {
    undef   => undef,
    default => $sentry::bugsink::database_url.unwrap ? {
      /\Amysql:/ => { 'package' => 'mysqlclient', 'dist' => 'mysqlclient' },
      default    => { 'package' => 'psycopg[binary]', 'dist' => 'psycopg' },
    },
  }

  ensure_packages(['python3-venv'])

  exec { 'bugsink virtualenv':
    command => "${sentry::bugsink::python} -m venv ${venv}",
    creates => "${venv}/bin/pip",
    path    => ['/usr/bin', '/bin'],
    require => Package['python3-venv'],
  }
  # Installed when the wanted version's dist-info (or the database driver's) is missing: a
  # shell glob, no Python start on a run with nothing to do.
  -> exec { 'bugsink install':
    provider => 'shell',
    command  => join(["${venv}/bin/pip install --quiet --disable-pip-version-check 'bugsink==${version}'",
        $driver.then |$d| { "'${d['package']}'" }].filter |$w| { $w =~ NotUndef }, ' '),
    unless   => join(["ls -d ${site_packages}/bugsink-${version}.dist-info",
        $driver.then |$d| { "ls -d ${site_packages}/${d['dist']}-*.dist-info" }].filter |$w| { $w =~ NotUndef }, ' && '),
    timeout  => 1200,
  }
}

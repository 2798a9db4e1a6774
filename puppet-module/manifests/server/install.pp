# @summary Installs the tool in a virtualenv; reinstalls it when `package_source` or `version` changed.
#
# The install command records the `package_source` it installed in a marker file once pip
# has succeeded, so a failed install is tried again on the next run, and a run that changes
# nothing installs nothing.
#
# @api private
class sentry::server::install {
  assert_private()

  $venv = $sentry::server::venv
  $tool = $sentry::server::tool
  $pip = "${venv}/bin/pip"
  $marker = "${venv}/.sentry-puppet-source"
  $source = shellquote($sentry::server::package_source)
  $version = $sentry::server::version

  exec { 'sentry-puppet virtualenv':
    command => "${sentry::server::python} -m venv ${venv}",
    creates => $pip,
    path    => ['/usr/bin', '/bin'],
  }

  if $version {
    $expected = shellquote("sentry-puppet ${version}")
    $version_is_right = " && test \"\$(${tool} --version)\" = ${expected}"
    # After pip: a source that does not provide `version` would otherwise reinstall forever.
    $verify = " && { v=\$(${tool} --version); test \"\$v\" = ${expected} || { echo \"sentry-puppet: \
installed \$v from ${source}, but sentry::server::version is ${version}: correct package_source or \
version\" >&2; exit 1; }; }"
  } else {
    $version_is_right = ''
    $verify = ''
  }

  exec { 'sentry-puppet install':
    provider => 'shell',
    command  => "${pip} install --quiet --disable-pip-version-check --upgrade ${source}${verify} \
&& printf '%s\\n' ${source} > ${marker}.new && mv -f ${marker}.new ${marker}",
    unless   => "test -x ${tool} && grep -qxF -- ${source} ${marker}${version_is_right}",
    timeout  => 600,
    require  => Exec['sentry-puppet virtualenv'],
  }
}

# @summary Installs the tool in a virtualenv; reinstalls it when its source or version changed.
#
# The source is `package_source`, or else the wheel the module carries, copied into the venv
# (its file name holds the module's version, so a new module version is a new source).
# The install command records the source it installed in a marker file once pip
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
  $source = shellquote($sentry::server::install_source)
  $version = $sentry::server::install_version

  exec { 'sentry-puppet virtualenv':
    command => "${sentry::server::python} -m venv ${venv}",
    creates => $pip,
    path    => ['/usr/bin', '/bin'],
  }

  # The source and the version go into shell variables once: quoted by shellquote() as
  # words, never spliced into another quoted string (a `>` in `pkg>=1.2` would redirect).
  if $version {
    $expected = shellquote("sentry-puppet ${version}")
    $version_is_right = " && test \"\$(${tool} --version)\" = ${expected}"
    # After pip: a source that does not provide `version` would otherwise reinstall forever.
    $verify = " && { v=\$(${tool} --version); test \"\$v\" = ${expected} || { echo \"sentry-puppet: \
installed \$v from \$s, but sentry::server::version is \$w: correct package_source or version\" >&2; \
exit 1; }; }"
    $variables = "s=${source} w=${shellquote($version)};"
  } else {
    $version_is_right = ''
    $verify = ''
    $variables = "s=${source};"
  }

  if $sentry::server::wheel {
    file { $sentry::server::install_source:
      ensure  => file,
      mode    => '0644',
      source  => "puppet:///modules/sentry/${sentry::server::wheel['file']}",
      require => Exec['sentry-puppet virtualenv'],
      before  => Exec['sentry-puppet install'],
    }
  }

  exec { 'sentry-puppet install':
    provider => 'shell',
    command  => "${variables} ${pip} install --quiet --disable-pip-version-check --upgrade \"\$s\"${verify} \
&& printf '%s\\n' \"\$s\" > ${marker}.new && mv -f ${marker}.new ${marker}",
    unless   => "test -x ${tool} && grep -qxF -- ${source} ${marker}${version_is_right}",
    timeout  => 600,
    require  => Exec['sentry-puppet virtualenv'],
  }
}

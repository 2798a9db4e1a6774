# @summary Runs `sentry-puppet sync` when pending; without PuppetDB, collects the definitions first.
#
# @api private
class sentry::server::sync {
  assert_private()

  $tool = $sentry::server::tool
  $run = $sentry::server::run

  if $sentry::server::puppetdb_settings {
    # The tool reads the exports from PuppetDB itself: nothing per definition in this catalog.
    $definitions = []
  } else {
    file { $sentry::server::definitions_dir:
      ensure  => directory,
      mode    => '0755',
      recurse => true,
      purge   => true,
      force   => true,
    }
    Sentry::Source::Project <<| tag == $sentry::server::environment |>>
    $definitions = [File[$sentry::server::definitions_dir]]
  }

  # Under --noop on a new host the tool is not installed yet, and an `unless` command that
  # does not exist (exit 127) fails the run instead of showing the change: hence `test -x`.
  # logoutput: the run's report shows which projects were made (the plan lines, `+ project
  # billing (python) in apps  from app01...`, and the summary): names, platforms, teams, hosts
  # and counts; never the token (the tool keeps it out of every message) nor a DSN.
  exec { 'sentry-puppet sync':
    provider  => 'shell',
    command   => "${run} sync --detailed-exitcodes",
    unless    => "test -x ${tool} && ${run} sync --check",
    returns   => [0, 2],
    timeout   => 1800,
    logoutput => true,
    require   => $definitions,
  }
}

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

  $sync = "${run} sync --detailed-exitcodes"
  # Under --noop on a new host the tool is not installed yet, and an `unless` command that
  # does not exist (exit 127) fails the run instead of showing the change: hence `test -x`.
  if $sentry::server::sync_timer {
    # The timer syncs; this run only makes sure it does. While the timer is active and its
    # last sync did not fail, the check is two systemctl calls and a file test, whatever the
    # number of definitions (`sync --check` reads every definition and lists every project).
    # What the timer created since the last run is shown here, so this run's report has it.
    # Otherwise (the first run, before the timer exists; a failed timer sync) this run syncs.
    $created = $sentry::server::timer_created
    $timer_works = 'systemctl is-active --quiet sentry-puppet-sync.timer && ! systemctl is-failed --quiet sentry-puppet-sync.service'
    $command = "if ${timer_works}; then ! test -s ${created} || { mv -f ${created} ${created}.shown \
&& cat ${created}.shown && rm -f ${created}.shown; }; else ${sync}; fi"
    $unless = "test -x ${tool} && ${timer_works} && ! test -s ${created}"
  } else {
    $command = $sync
    $unless = "test -x ${tool} && ${run} sync --check"
  }
  # logoutput: the run's report shows which projects were made (the plan lines, `+ project
  # billing (python) in apps  from app01...`, and the summary): names, platforms, teams, hosts
  # and counts; never the token (the tool keeps it out of every message) nor a DSN.
  exec { 'sentry-puppet sync':
    provider  => 'shell',
    command   => $command,
    unless    => $unless,
    returns   => [0, 2],
    timeout   => 1800,
    logoutput => true,
    require   => $definitions,
  }
}

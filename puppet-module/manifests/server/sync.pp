# @summary Collects the definitions into `definitions_dir` and runs `sentry-puppet sync` when pending.
#
# @api private
class sentry::server::sync {
  assert_private()

  $tool = $sentry::server::tool
  $run = $sentry::server::run

  file { $sentry::server::definitions_dir:
    ensure  => directory,
    mode    => '0755',
    recurse => true,
    purge   => true,
    force   => true,
  }

  Sentry::Source::Project <<| tag == $sentry::server::environment |>>

  # Under --noop on a new host the tool is not installed yet, and an `unless` command that
  # does not exist (exit 127) fails the run instead of showing the change: hence `test -x`.
  exec { 'sentry-puppet sync':
    provider => 'shell',
    command  => "${run} sync --detailed-exitcodes",
    unless   => "test -x ${tool} && ${run} sync --check",
    returns  => [0, 2],
    timeout  => 1800,
    require  => File[$sentry::server::definitions_dir],
  }
}

# @summary With `sync_timer`: a systemd timer runs `sentry-puppet sync` every 5 minutes.
#
# @api private
class sentry::server::timer {
  assert_private()

  if $sentry::server::sync_timer {
    file { $sentry::server::timer_script:
      ensure  => file,
      mode    => '0755',
      content => epp('sentry/sync-timer.sh.epp', {
          'tool'        => $sentry::server::tool,
          'config_file' => $sentry::server::config_file,
          'created'     => $sentry::server::timer_created,
      }),
    }
    file { '/etc/systemd/system/sentry-puppet-sync.service':
      ensure  => file,
      mode    => '0644',
      content => epp('sentry/sync.service.epp', { 'script' => $sentry::server::timer_script }),
    }
    file { '/etc/systemd/system/sentry-puppet-sync.timer':
      ensure  => file,
      mode    => '0644',
      content => epp('sentry/sync.timer.epp'),
    }
    # Puppet's systemd provider reloads systemd itself when a unit file changed.
    service { 'sentry-puppet-sync.timer':
      ensure    => running,
      enable    => true,
      subscribe => File[$sentry::server::timer_script, '/etc/systemd/system/sentry-puppet-sync.service',
      '/etc/systemd/system/sentry-puppet-sync.timer'],
    }
  }
}

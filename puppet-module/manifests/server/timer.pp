# @summary With `sync_timer`: a systemd timer runs `sentry-puppet sync` every 5 minutes.
#
# @api private
class sentry::server::timer {
  assert_private()

  if $sentry::server::sync_timer {
    file { '/etc/systemd/system/sentry-puppet-sync.service':
      ensure  => file,
      mode    => '0644',
      content => epp('sentry/sync.service.epp', {
          'tool'        => $sentry::server::tool,
          'config_file' => $sentry::server::config_file,
      }),
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
      subscribe => File['/etc/systemd/system/sentry-puppet-sync.service',
      '/etc/systemd/system/sentry-puppet-sync.timer'],
    }
  }
}

# @summary Apache with mod_ssl and mod_wsgi (when managed), and the snappea worker.
# @api private
class sentry::bugsink::serve {
  assert_private()
  $provider = $sentry::bugsink::service_provider

  if $sentry::bugsink::manage_apache {
    # The packages come with sentry::bugsink::install: /etc/apache2 exists before the vhost.
    # mod_ssl ships with apache2; ssl also enables socache_shmcb. The others are Debian's
    # defaults, which the vhost needs.
    ['ssl', 'wsgi', 'alias', 'mime', 'authz_core'].each |$module| {
      exec { "a2enmod ${module}":
        command => "/usr/sbin/a2enmod -q ${module}",
        creates => "/etc/apache2/mods-enabled/${module}.load",
        require => Package['apache2', 'libapache2-mod-wsgi-py3'],
        notify  => Service['apache2'],
      }
    }
    service { 'apache2':
      ensure   => running,
      enable   => true,
      provider => $provider,
      # A graceful restart re-reads the configuration and the CRL and restarts mod_wsgi's
      # daemon (a new Bugsink); it starts Apache when it is not running.
      restart  => '/usr/sbin/apache2ctl graceful',
      require  => Package['apache2'],
    }
    if $sentry::bugsink::agent_ssl['crl'] {
      File[$sentry::bugsink::crl_copy] ~> Service['apache2']
    }
    # Apache answers before mod_wsgi's daemon has imported Django: the first request (the
    # tool's sync, right after this) would wait for it and could time out.
    exec { 'bugsink ready':
      command     => join([
          "${sentry::bugsink::venv}/bin/python -c",
          "'import ssl, sys, urllib.request as r; r.urlopen(sys.argv[1], timeout=30,",
          "context=ssl.create_default_context(cafile=sys.argv[2]))'",
          "${sentry::bugsink::base_url.regsubst('/+\z', '')}/health/ready",
          # The vhost's CA (`ca_file`), not necessarily the agent's.
          $sentry::bugsink::vhost_ca_file,
      ], ' '),
      refreshonly => true,
      tries       => 30,
      try_sleep   => 2,
      subscribe   => Service['apache2'],
    }
  }

  if $sentry::bugsink::worker {
    file { '/etc/systemd/system/bugsink-snappea.service':
      ensure  => file,
      mode    => '0644',
      content => epp('sentry/bugsink/bugsink-snappea.service.epp', {
          'venv'     => $sentry::bugsink::venv,
          'conf_dir' => $sentry::bugsink::conf_dir,
          'data_dir' => $sentry::bugsink::data_dir,
          'user'     => $sentry::bugsink::user,
      }),
    }
    ~> service { 'bugsink-snappea':
      ensure   => running,
      enable   => true,
      provider => $provider,
    }
  }
}

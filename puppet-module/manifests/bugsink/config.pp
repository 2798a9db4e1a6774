# @summary Bugsink's settings, secrets, WSGI file, manage command, and the tool's defaults.
# @api private
class sentry::bugsink::config {
  assert_private()
  $conf_dir = $sentry::bugsink::conf_dir
  $data_dir = $sentry::bugsink::data_dir
  $user = $sentry::bugsink::user
  $secret_key_file = "${conf_dir}/secret_key"
  $database_url_file = $sentry::bugsink::database_url_file
  $agent_ssl = $sentry::bugsink::agent_ssl

  file { $conf_dir:
    ensure => directory,
    mode   => '0755',
  }
  file { $data_dir:
    ensure => directory,
    owner  => $user,
    group  => $user,
    mode   => '0750',
  }

  # Secrets: readable by Bugsink's user only, never in bugsink_conf.py nor on a command line.
  if $sentry::bugsink::secret_key {
    file { $secret_key_file:
      ensure    => file,
      owner     => $user,
      mode      => '0600',
      content   => $sentry::bugsink::secret_key,
      show_diff => false,
    }
  } else {
    exec { 'bugsink secret key':
      provider => 'shell',
      command  => join([
          'umask 077',
          "${sentry::bugsink::python} -c 'import secrets; print(secrets.token_urlsafe(50))' > ${secret_key_file}.new",
          "mv ${secret_key_file}.new ${secret_key_file}",
      ], ' && '),
      creates  => $secret_key_file,
      require  => File[$conf_dir],
    }
    -> file { $secret_key_file:
      ensure => file,
      owner  => $user,
      mode   => '0600',
    }
  }
  if $database_url_file {
    file { $database_url_file:
      ensure    => file,
      owner     => $user,
      mode      => '0600',
      content   => $sentry::bugsink::database_url,
      show_diff => false,
    }
    # The driver follows the URL's scheme, read here on the host (a Deferred URL is known only
    # here): MySQL's mysqlclient, else PostgreSQL's psycopg. A glob, no Python start when it is in.
    $driver = join([
        "case \"$(cut -c1-6 ${database_url_file})\" in",
        'mysql:) d=mysqlclient p=mysqlclient ;;',
        "*) d='psycopg[binary]' p=psycopg ;;",
        'esac',
    ], ' ')
    exec { 'bugsink database driver':
      provider => 'shell',
      command  => "${driver} && ${sentry::bugsink::venv}/bin/pip install --quiet --disable-pip-version-check \"\$d\"",
      unless   => "${driver} && ls -d ${sentry::bugsink::site_packages}/\"\$p\"-*.dist-info >/dev/null",
      timeout  => 1200,
      require  => File[$database_url_file],
    }
  }

  file { "${conf_dir}/bugsink_conf.py":
    ensure  => file,
    mode    => '0644',
    content => epp('sentry/bugsink/bugsink_conf.py.epp', {
        'base_url'          => $sentry::bugsink::base_url.regsubst('/+\z', ''),
        'data_dir'          => $data_dir,
        'secret_key_file'   => $secret_key_file,
        'database_url_file' => $database_url_file,
        'worker'            => $sentry::bugsink::worker,
        'single_user'       => $sentry::bugsink::single_user,
        'single_team'       => $sentry::bugsink::single_team,
        'phone_home'        => $sentry::bugsink::phone_home,
    }),
  }
  file { "${conf_dir}/wsgi.py":
    ensure  => file,
    mode    => '0644',
    content => epp('sentry/bugsink/wsgi.py.epp', { 'version' => $sentry::bugsink::version }),
  }
  file { $sentry::bugsink::manage:
    ensure  => file,
    mode    => '0755',
    content => epp('sentry/bugsink/bugsink-manage.sh.epp', {
        'venv' => $sentry::bugsink::venv, 'conf_dir' => $conf_dir, 'data_dir' => $data_dir, 'user' => $user,
    }),
  }

  # Apache reads the CRL only when it starts or reloads. The agent refreshes its own copy at the
  # start of a run (crl_refresh_interval); this copy changes in the same run and reloads Apache.
  if $agent_ssl['crl'] {
    file { $sentry::bugsink::crl_copy:
      ensure => file,
      mode   => '0644',
      source => $agent_ssl['crl'],
    }
  }

  # Defaults for the tool (sentry::server), which merges them under its config.yaml.
  ensure_resource('file', [$sentry::bugsink::tool_config_dir, "${sentry::bugsink::tool_config_dir}/config.d"], {
      'ensure' => 'directory',
      'mode'   => '0755',
  })
  file { "${sentry::bugsink::tool_config_dir}/config.d/bugsink.yaml":
    ensure  => file,
    mode    => '0644',
    content => sentry::to_yaml({
        'token_file' => $sentry::bugsink::token_file,
        'ca_file'    => $sentry::bugsink::vhost_ca_file,
        'vhost'      => delete_undef_values({
          'path'                => $sentry::bugsink::site_file,
          'ssl_certificate'     => $agent_ssl['cert'],
          'ssl_certificate_key' => $agent_ssl['key'],
          'client_ca_file'      => $agent_ssl['ca'],
          'client_crl_file'     => $agent_ssl['crl'].then |$_| { $sentry::bugsink::crl_copy },
          'wsgi'                => {
            'python_home' => $sentry::bugsink::venv,
            'script'      => "${conf_dir}/wsgi.py",
            'python_path' => $conf_dir,
            'static_dir'  => "${data_dir}/static",
          },
      }),
    }),
  }
}

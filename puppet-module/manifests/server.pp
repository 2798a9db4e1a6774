# @summary The Sentry host: collects the apps' definitions, creates their projects, publishes DSNs.
#
# Installs the tool in a virtualenv, writes its configuration (the token into its own 0600
# file, never on a command line), keeps one definition file per collected
# `sentry::source::project` (definitions of retired hosts are purged; projects on the server
# are never deleted), runs `sentry-puppet sync` when `sync --check` says something is pending,
# and renders the Apache vhost the same way when `vhost` is given.
#
# @example With the embedded default, a local Bugsink
#   class { 'sentry::server':
#     backend => 'bugsink',
#     url     => 'http://127.0.0.1:8000',
#     token   => Sensitive(lookup('sentry::token')),
#     vhost   => {
#       'server_name'         => 'sentry.example.com',
#       'ssl_certificate'     => "/etc/puppet/ssl/certs/${trusted['certname']}.pem",
#       'ssl_certificate_key' => "/etc/puppet/ssl/private_keys/${trusted['certname']}.pem",
#       'client_ca_file'      => '/etc/puppet/ssl/certs/ca.pem',
#       'client_crl_file'     => '/etc/puppet/ssl/crl.pem',
#       'wsgi'                => { 'python_home' => '/opt/bugsink/venv' },
#     },
#   }
#
# @param backend
#   `bugsink`, or `sentry` for Sentry's `/api/0/` (sentry.io, self-hosted Sentry, GlitchTip).
# @param url
#   The server's base URL.
# @param token
#   The API token (Bugsink: `bugsink-manage create_auth_token`; Sentry: project:write, team:write).
# @param organization
#   The organization slug (`sentry` backend).
# @param team
#   Team for projects whose definitions name none.
# @param environment
#   Which exports to collect: the `environment` of `sentry::client`.
# @param package_source
#   What pip installs the tool from: a name on your index (`sentry-puppet==0.1.0`), a wheel,
#   an sdist, a source directory or a URL. Installed once, when the virtualenv has no tool.
# @param vhost
#   The `vhost` section of the tool's config (see docs/vhost.md); empty: no vhost rendered.
# @param python
#   The Python the virtualenv is made from.
# @param venv
#   Where the tool is installed.
# @param config_dir
#   Holds `config.yaml` and `token`.
# @param definitions_dir
#   One YAML file per collected definition (purged of all others).
# @param dsn_dir
#   Where `sync` writes the DSN files that Apache serves as `/dsn/<app>`.
# @param ca_file
#   CA bundle to verify `url` with; default: the system store.
# @param apache_service
#   A `Service` resource (declared elsewhere, e.g. by puppetlabs-apache: `httpd`) to refresh
#   when the vhost changed (and the `Listen` lines, when `ports_file` is given).
# @param ports_file
#   Apache's `ports.conf` (Debian: `/etc/apache2/ports.conf`): when given, it gets a `Listen`
#   line for the vhost's `listen` and `http_port` unless it already listens on them. The
#   rendered vhost holds `<VirtualHost>` sections only.
class sentry::server (
  Enum['bugsink', 'sentry'] $backend,
  Stdlib::HTTPUrl $url,
  Sensitive[String[1]] $token,
  String[1] $team,
  String[1] $environment,
  String[1] $package_source,
  Stdlib::Absolutepath $python,
  Stdlib::Absolutepath $venv,
  Stdlib::Absolutepath $config_dir,
  Stdlib::Absolutepath $definitions_dir,
  Stdlib::Absolutepath $dsn_dir,
  Optional[String[1]] $organization = undef,
  Hash[String[1], Any] $vhost = {},
  Optional[Stdlib::Absolutepath] $ca_file = undef,
  Optional[String[1]] $apache_service = undef,
  Optional[Stdlib::Absolutepath] $ports_file = undef,
) {
  $tool = "${venv}/bin/sentry-puppet"
  $config_file = "${config_dir}/config.yaml"
  $token_file = "${config_dir}/token"
  $run = "${tool} --config ${config_file}"

  exec { 'sentry-puppet virtualenv':
    command => "${python} -m venv ${venv}",
    creates => "${venv}/bin/pip",
    path    => ['/usr/bin', '/bin'],
  }
  -> exec { 'sentry-puppet install':
    command => "${venv}/bin/pip install --quiet --disable-pip-version-check ${package_source}",
    creates => $tool,
    timeout => 600,
  }

  file { $config_dir:
    ensure => directory,
    mode   => '0755',
  }
  file { $token_file:
    ensure    => file,
    mode      => '0600',
    content   => $token,
    show_diff => false,
  }
  file { $config_file:
    ensure  => file,
    mode    => '0600',
    content => to_yaml(delete_undef_values({
        'backend'         => $backend,
        'url'             => $url,
        'token_file'      => $token_file,
        'organization'    => $organization,
        'team'            => $team,
        'definitions_dir' => $definitions_dir,
        'dsn_dir'         => $dsn_dir,
        'ca_file'         => $ca_file,
        'vhost'           => empty($vhost) ? { true => undef, default => $vhost },
    })),
  }
  file { $definitions_dir:
    ensure  => directory,
    mode    => '0755',
    recurse => true,
    purge   => true,
    force   => true,
  }

  Sentry::Source::Project <<| tag == $environment |>>

  # Under --noop on a new host the tool is not installed yet, and an `unless` command that
  # does not exist (exit 127) fails the run instead of showing the change: hence `test -x`.
  exec { 'sentry-puppet sync':
    provider => 'shell',
    command  => "${run} sync --detailed-exitcodes",
    unless   => "test -x ${tool} && ${run} sync --check",
    returns  => [0, 2],
    timeout  => 1800,
    require  => [Exec['sentry-puppet install'], File[$config_file, $token_file, $definitions_dir]],
  }

  unless empty($vhost) {
    exec { 'sentry-puppet render-vhost':
      provider => 'shell',
      command  => "${run} render-vhost --detailed-exitcodes",
      unless   => "test -x ${tool} && ${run} render-vhost --check",
      returns  => [0, 2],
      require  => [Exec['sentry-puppet install'], File[$config_file]],
      before   => Exec['sentry-puppet sync'],
    }
    if $apache_service {
      Exec['sentry-puppet render-vhost'] ~> Service[$apache_service]
    }
    if $ports_file {
      # The tool's defaults: HTTPS on 443, the redirect on 80 unless `http_port` is null.
      $http_port = ('http_port' in $vhost) ? { true => $vhost['http_port'], default => 80 }
      delete_undef_values([pick($vhost['listen'], 443), $http_port]).each |$port| {
        # `replace => false`: an existing `Listen` on that port (Debian's ports.conf has 80
        # and 443) is left alone, so Apache never sees the port twice.
        file_line { "sentry Listen ${port}":
          path    => $ports_file,
          line    => "Listen ${port}",
          match   => "^\\s*Listen\\s+(\\S+:)?${port}\\s*$",
          replace => false,
        }
        if $apache_service {
          File_line["sentry Listen ${port}"] ~> Service[$apache_service]
        }
      }
    }
  }
}

# @summary Bugsink, the embedded default Sentry-compatible server, installed and served by Puppet alone.
#
# On a bare Debian host: a virtualenv from the Python mod_wsgi is built for with
# `bugsink==$version` (a new version upgrades, migrates and restarts what serves it), its
# configuration from these parameters, the migrations, an admin user, an API token created once
# into a 0600 file, Apache with mod_ssl and mod_wsgi, and the snappea worker.
# Debian family only (Debian 12 and 13 are tested): on another OS family it fails at compile
# time, naming that family.
#
# With `sentry::server` on the same node, declared before or after this class, that class needs
# no token, no CA and, in its `vhost`, only `server_name`: this class writes
# `<sentry::server's config_dir>/config.d/bugsink.yaml`, defaults the tool merges under its
# config.yaml (token file, the Puppet CA for `url`, the vhost's path, WSGI settings and this
# agent's certificate, key, CA and CRL; what config.yaml gives wins), and orders itself around
# `sentry::server`'s vhost and sync through collectors.
#
# @example The Sentry host, with sentry::server
#   class { 'sentry::bugsink':
#     version  => '2.6.2',
#     base_url => "https://${trusted['certname']}",
#   }
#   class { 'sentry::server':
#     backend    => 'bugsink',
#     url        => "https://${trusted['certname']}",
#     vhost      => { 'server_name' => $trusted['certname'] },
#     ports_file => '/etc/apache2/ports.conf',
#   }
#
# @param version
#   The Bugsink release pip installs (`bugsink==<version>`). A change upgrades the virtualenv,
#   runs the migrations and restarts Apache (and the worker).
# @param base_url
#   Where users and SDKs reach Bugsink: its DSNs point there. Use the certname
#   (`https://<certname>[:port]`) when the vhost's certificate is the agent's (the default);
#   with another certificate, a name it holds (see `ca_file`).
# @param ca_file
#   The CA that signed the vhost's certificate: what this host's own checks of `base_url`
#   (`Exec['bugsink ready']` after Apache (re)starts) and, through `config.d/bugsink.yaml`,
#   `sentry::server`'s tool and timer verify it with. Default: the Puppet CA (the vhost's
#   certificate is the agent's). With a certificate from a public or company CA (given in
#   `sentry::server`'s `vhost` as `ssl_certificate` and `ssl_certificate_key`): that CA's file,
#   or the system store's bundle (Debian: `/etc/ssl/certs/ca-certificates.crt`). The client
#   certificates `/dsn/` asks for are checked against the Puppet CA whatever this says.
# @param admin_email
#   With `admin_password`: the superuser created once (its user name is the email).
# @param admin_password
#   The superuser's password, `Sensitive` or `Deferred` (see `Sentry::Secret`: a Deferred keeps
#   it out of every catalog, the agent's cache included). It is written to
#   `conf_dir/admin_password` (root, 0600), which `createsuperuser` reads into its environment:
#   never in a command, argv, a log or a report.
# @param database_url
#   `postgresql://user:password@host[:port]/name` (or `mysql://...`) for the main database,
#   `Sensitive` or `Deferred`, written into a file only Bugsink's user reads; default SQLite in
#   `data_dir`. The driver and `data_dir/.puppet-migrated` (the database without credentials or
#   query: `postgresql://host[:port]/name`) are worked out from that file on the host, so no
#   command in the catalog names the database. PostgreSQL's driver (`psycopg[binary]`) is a
#   wheel; MySQL's `mysqlclient` needs `default-libmysqlclient-dev` and a compiler on the host.
# @param secret_key
#   Django's secret key, `Sensitive` or `Deferred`. Default: generated once into
#   `conf_dir/secret_key` (0600), never in a catalog.
# @param worker
#   Run Bugsink's snappea worker as the `bugsink-snappea` systemd service. `false`: events are
#   digested inside the ingest request (hosts without systemd). `true` (the default) where the
#   services' provider (`service_provider`, else the node's `service_provider` fact) is not
#   `systemd` fails the compile with a message naming this parameter, rather than fall back
#   to eager ingestion unasked (see `sentry::server`'s `sync_timer`).
# @param manage_apache
#   Install Apache, mod_ssl and mod_wsgi, enable them and run the `apache2` service (restarted
#   when Bugsink, the vhost, the `Listen` lines or the agent's CRL change). `false`: leave
#   Apache to e.g. puppetlabs-apache (see the module's README).
# @param service_provider
#   Puppet's provider for the `apache2` and `bugsink-snappea` services, e.g. `debian` where
#   systemd is not PID 1; default: the platform's.
# @param single_user
#   Bugsink's `SINGLE_USER` setting.
# @param single_team
#   Bugsink's `SINGLE_TEAM` setting.
# @param phone_home
#   Bugsink's `PHONEHOME` (an anonymous install report to bugsink.com).
# @param python
#   The Python the virtualenv is made from: the one mod_wsgi is built for.
# @param venv
#   Where Bugsink is installed.
# @param conf_dir
#   Holds `bugsink_conf.py`, `wsgi.py`, `bugsink-manage` (the manage command with these
#   settings, as Bugsink's user), the secret key and the API token.
# @param data_dir
#   Bugsink's data: SQLite databases, ingested files, collected static files; owned by `user`.
# @param user
#   The user Bugsink runs as: Apache's (mod_wsgi's daemon runs as Apache's user).
# @param tool_config_dir
#   `sentry::server`'s `config_dir`: where the tool finds `config.d/bugsink.yaml`.
# @param site_file
#   The Apache site file `sentry::server`'s vhost is rendered to unless its `vhost.path` says.
class sentry::bugsink (
  Pattern[/\A[0-9][0-9A-Za-z.+!-]*\z/] $version,
  # It reaches shell commands and bugsink_conf.py: no quotes, blanks or shell characters.
  Pattern[/\Ahttps?:\/\/[A-Za-z0-9.-]+(:[0-9]+)?(\/[A-Za-z0-9._~\/-]*)?\z/] $base_url,
  Stdlib::Absolutepath $python,
  Stdlib::Absolutepath $venv,
  Stdlib::Absolutepath $conf_dir,
  Stdlib::Absolutepath $data_dir,
  String[1] $user,
  Stdlib::Absolutepath $tool_config_dir,
  Stdlib::Absolutepath $site_file,
  Optional[Pattern[/\A[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\z/]] $admin_email = undef,
  Optional[Sentry::Secret] $admin_password = undef,
  Optional[Sentry::Secret] $database_url = undef,
  Optional[Sentry::Secret] $secret_key = undef,
  Optional[Stdlib::Absolutepath] $ca_file = undef,
  Boolean $worker = true,
  Boolean $manage_apache = true,
  Optional[String[1]] $service_provider = undef,
  Boolean $single_user = false,
  Boolean $single_team = false,
  Boolean $phone_home = false,
) {
  # Before anything is installed: elsewhere package names, paths and Apache differ.
  sentry::sentry_host_os('sentry::bugsink')
  if ($admin_email == undef) != ($admin_password == undef) {
    fail('sentry::bugsink: give both admin_email and admin_password (the superuser), or neither')
  }
  # A Deferred URL is known only on the host, when the agent applies: Bugsink checks it then.
  if $database_url =~ Sensitive and $database_url.unwrap !~ /\A(postgres|postgresql|mysql):\/\/[^\/]+\/[^\/]+\z/ {
    # The value is a secret: the message never shows it.
    fail('sentry::bugsink: database_url must look like postgresql://USER:PASSWORD@HOST[:PORT]/NAME (or mysql://...)')
  }
  $provider = pick($service_provider, $facts['service_provider'], 'unknown')
  if $worker and $provider != 'systemd' {
    fail("sentry::bugsink: worker is true (the default), but the service provider here is '${provider}', \
not systemd: the bugsink-snappea unit cannot run. Set `sentry::bugsink::worker: false` (events are then \
digested inside the ingest request), or apply this class where systemd is PID 1.")
  }
  $agent_ssl = $facts['sentry_agent_ssl']
  if $agent_ssl =~ Undef {
    # lib/facter/sentry_agent_ssl.rb: needs Puppet's settings, which `facter` alone lacks.
    fail('sentry::bugsink: fact sentry_agent_ssl is missing; apply this class with `puppet agent` or `puppet apply`')
  }

  # What base_url's certificate is verified with, on this host (not the client-certificate check).
  $vhost_ca_file = pick($ca_file, $agent_ssl['ca'])
  $manage = "${conf_dir}/bugsink-manage"
  # Where pip puts packages: a shell glob, whichever Python made the venv.
  $site_packages = "${venv}/lib/python3*/site-packages"
  $token_file = "${conf_dir}/token"
  $database_url_file = $database_url.then |$_| { "${conf_dir}/database_url" }
  $crl_copy = "${conf_dir}/puppet-crl.pem"

  contain sentry::bugsink::install
  contain sentry::bugsink::config
  contain sentry::bugsink::setup
  contain sentry::bugsink::serve

  Class['sentry::bugsink::install'] -> Class['sentry::bugsink::config'] -> Class['sentry::bugsink::setup']
  -> Class['sentry::bugsink::serve']
  # A new version or configuration: the processes that serve Bugsink restart.
  Class['sentry::bugsink::install', 'sentry::bugsink::config'] ~> Class['sentry::bugsink::serve']

  # sentry::server, declared before or after this class or not at all: a collector matches its
  # resources once the catalog is complete (no defined(), no evaluation-order dependence).
  # Its vhost is rendered from the tool-config fragment and Bugsink's files, so after them;
  # Apache (re)loads after it; its sync speaks to Bugsink through Apache, so after that.
  Class['sentry::bugsink::setup'] -> Exec <| tag == 'sentry::server::vhost' |>
  Class['sentry::bugsink::install'] -> File_line <| tag == 'sentry::server::vhost' |>
  Exec <| tag == 'sentry::server::vhost' |> ~> Class['sentry::bugsink::serve']
  File_line <| tag == 'sentry::server::vhost' |> ~> Class['sentry::bugsink::serve']
  Class['sentry::bugsink::serve'] -> Exec <| tag == 'sentry::server::sync' |>
}

# @summary The Sentry host: reads the apps' definitions, creates their projects, publishes DSNs.
#
# Installs the tool in a virtualenv (the wheel a released module carries, or `package_source`;
# upgraded when the module's version, `package_source` or `version` changes), writes its
# configuration (the token into its own 0600 file, never on a command line), runs
# `sentry-puppet sync` when `sync --check` says something is pending (its plan lines go into
# the run's report), renders the Apache vhost the same way when `vhost` is given, and
# (`sync_timer`) runs `sync` every 5 minutes between Puppet runs with a systemd timer.
#
# Where the definitions come from: when this puppetserver stores exported resources in PuppetDB
# (the usual case), the tool reads the exported `sentry::source::project` resources from
# PuppetDB's query API itself, at the URL the puppetserver uses (`sentry::puppetdb_url()`),
# with this host's own Puppet certificate: this catalog holds nothing per definition, and a
# deactivated app server's apps leave at once. Otherwise (or with `definitions_from => 'files'`)
# the catalog collects them into one file each in `definitions_dir`, purged of retired hosts'.
# Projects on the server are never deleted.
#
# Debian family only (Debian 12 and 13 are tested): on another OS family it fails at compile
# time, naming that family. App servers of the RedHat family take `sentry::client`.
#
# @example With the embedded default: Bugsink under Apache's mod_wsgi
#   class { 'sentry::server':
#     backend        => 'bugsink',
#     url            => "https://${trusted['certname']}",
#     token          => Sensitive(lookup('sentry::token')),
#     ca_file        => '/var/lib/puppet/ssl/certs/ca.pem',
#     vhost          => {
#       'path'                => '/etc/apache2/sites-enabled/sentry.conf',
#       'server_name'         => $trusted['certname'],
#       'ssl_certificate'     => "/var/lib/puppet/ssl/certs/${trusted['certname']}.pem",
#       'ssl_certificate_key' => "/var/lib/puppet/ssl/private_keys/${trusted['certname']}.pem",
#       'client_ca_file'      => '/var/lib/puppet/ssl/certs/ca.pem',
#       'client_crl_file'     => '/var/lib/puppet/ssl/crl.pem',
#       'wsgi'                => {
#         'python_home' => '/opt/bugsink/venv',
#         'script'      => '/etc/bugsink/wsgi.py',
#         'python_path' => '/etc/bugsink',
#       },
#     },
#   }
#
# @param backend
#   `bugsink`, or `sentry` for Sentry's `/api/0/` (sentry.io, self-hosted Sentry, GlitchTip).
# @param url
#   The server's base URL.
# @param token
#   The API token (Bugsink: `bugsink-manage create_auth_token`; Sentry: project:write,
#   team:write), `Sensitive` or `Deferred` (see `Sentry::Secret`), written to
#   `config_dir/token` (0600). Give this or `token_file`, not both.
#   Neither: with `sentry::bugsink` on the node, the token it created; without it, the tool
#   stops at the first sync and says that the token is missing.
# @param token_file
#   A file that already holds the API token (mode 0600, managed elsewhere: a secrets tool,
#   another class). Give this or `token`, not both.
# @param organization
#   The organization slug (`sentry` backend).
# @param team
#   Team for projects whose definitions name none.
# @param default_rules
#   `false`: a project the tool creates gets no default alert rule (Sentry's "Send a
#   notification for new issues"; on Bugsink, its "alert on new issue" is off). Applied at
#   creation only: an existing project is never changed.
# @param rate_limit
#   The client key of a project the tool creates accepts at most `count` events per `window`
#   seconds (`{count => 100, window => 60}`; window 1 to 86400). Sentry backend only (Bugsink
#   has no per-key limit: ignored there, and `sentry-puppet validate` says so). Applied at
#   creation only: an existing project's keys are never changed.
# @param environment
#   Which exports to read (or collect): the `environment` of `sentry::client`, their tag.
# @param package_source
#   What pip installs the tool from instead of the module's own wheel: a name on your index
#   (`sentry-puppet==X.Y.Z`), a wheel, an sdist, a source directory or a URL. Installed when
#   the virtualenv has no tool, and again (`pip install --upgrade`) when this value changes.
#   Undef: the wheel that the module, as `scripts/release` builds it, carries in its `files/`
#   (copied to `<venv>/`; the tool's version is the module's, so upgrading the module upgrades
#   the tool). A module from a git checkout has no wheel: the compile then fails, saying to
#   build the module with `scripts/release` or to set `package_source`.
# @param version
#   The tool version `package_source` provides (`X.Y.Z`). When given, a tool whose
#   `sentry-puppet --version` says otherwise is reinstalled, and an install that still
#   reports another version fails the run, naming both. Undef: only `package_source` counts.
#   Without `package_source` it is the module's version (give no other).
# @param vhost
#   The `vhost` section of the tool's config (see
#   [docs/vhost.md](https://github.com/sentry-puppet/sentry_puppet/blob/main/docs/vhost.md)); empty: no vhost rendered.
#   With `sentry::bugsink` on the node only `server_name` is needed (and `listen`,
#   `http_port` when not 443 and 80): its path, WSGI settings and the agent's certificate, key,
#   CA and CRL come from `config_dir/config.d/bugsink.yaml`; the keys given here win.
# @param python
#   The Python the virtualenv is made from.
# @param venv
#   Where the tool is installed.
# @param config_dir
#   Holds `config.yaml` and `token`.
# @param definitions_dir
#   With `definitions_from => 'files'`: one YAML file per collected definition (purged of all
#   others).
# @param definitions_from
#   `puppetdb`: the tool reads the exports from PuppetDB (when the puppetserver uses PuppetDB;
#   else `files` is used). `files`: the catalog collects them into `definitions_dir`, for a
#   Sentry host that cannot reach PuppetDB's port (8081).
# @param puppetdb
#   Overrides of the tool's `puppetdb` settings
#   ([docs/tool.md](https://github.com/sentry-puppet/sentry_puppet/blob/main/docs/tool.md)): `url` (default: the
#   puppetserver's own, `sentry::puppetdb_url()`), `ca_file`, `cert_file`, `key_file` (default:
#   the agent's own, from its settings through the `sentry_agent_ssl` fact, whatever its
#   ssldir). Needed only for another URL or another certificate.
# @param sync_timer
#   Run `sentry-puppet sync` every 5 minutes with a systemd timer
#   (`sentry-puppet-sync.timer`), so a new app's project exists before its app server's next
#   Puppet run. `false` on hosts without systemd (the Puppet run still syncs). `true` (the
#   default) on a node whose `service_provider` fact is not `systemd` (a SysV host, or a
#   container or image build where systemd is not PID 1) fails the compile with a message
#   naming this parameter: the module does not guess, since a silent fallback would build an
#   image without the timer that boots later under systemd, and would change when new apps get
#   their DSNs without anyone having chosen it.
# @param dsn_dir
#   Where `sync` writes the DSN files that Apache serves as `/dsn/<app>`.
# @param ca_file
#   CA bundle to verify `url` with; default: with `sentry::bugsink` on the node its `ca_file`
#   (the Puppet CA unless it names another: the vhost's certificate is then not the agent's),
#   else the system store.
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
  String[1] $team,
  String[1] $environment,
  Stdlib::Absolutepath $python,
  Stdlib::Absolutepath $venv,
  Stdlib::Absolutepath $config_dir,
  Stdlib::Absolutepath $definitions_dir,
  Stdlib::Absolutepath $dsn_dir,
  Optional[Sentry::Secret] $token = undef,
  Optional[Stdlib::Absolutepath] $token_file = undef,
  Optional[String[1]] $package_source = undef,
  Optional[String[1]] $version = undef,
  Optional[String[1]] $organization = undef,
  Hash[String[1], Any] $vhost = {},
  Optional[Stdlib::Absolutepath] $ca_file = undef,
  Optional[String[1]] $apache_service = undef,
  Optional[Stdlib::Absolutepath] $ports_file = undef,
  Enum['puppetdb', 'files'] $definitions_from = 'puppetdb',
  Hash[Enum['url', 'ca_file', 'cert_file', 'key_file'], String[1]] $puppetdb = {},
  Boolean $sync_timer = true,
  Boolean $default_rules = true,
  Optional[Struct[{ count => Integer[1], window => Integer[1, 86400] }]] $rate_limit = undef,
) {
  # Before anything is installed: elsewhere package names, paths and Apache differ.
  sentry::sentry_host_os('sentry::server')
  if $sync_timer and $facts['service_provider'] != 'systemd' {
    fail("sentry::server: sync_timer is true (the default), but this node's service provider is \
'${pick($facts['service_provider'], 'unknown')}', not systemd: sentry-puppet-sync.timer cannot run here. \
Set `sentry::server::sync_timer: false` (each Puppet run still syncs), or apply this class where systemd is PID 1.")
  }
  if $token and $token_file {
    fail("sentry::server: both `token` and `token_file` (${token_file}) are given; give one: \
`token` is written to ${config_dir}/token, `token_file` names a file that already holds it.")
  }

  # What pip installs, and the version it must report. Without `package_source`: the wheel a
  # released module carries, copied into the venv by sentry::server::install.
  if $package_source {
    $wheel = undef
    $install_source = $package_source
    $install_version = $version
  } else {
    $wheel = sentry::tool_wheel()
    if $wheel =~ Undef {
      fail("sentry::server: package_source is not given, and this copy of the module carries no \
built tool (files/sentry_puppet-<version>-py3-none-any.whl): it is a git checkout, not a \
release. Install the module from the tarball that scripts/release builds \
(dist/sentrypuppet-sentry-<version>.tar.gz), or set sentry::server::package_source (a name on your index, a wheel, an sdist, a checkout).")
    }
    if $version and $version != $wheel['version'] {
      fail("sentry::server: version ${version} is not the version of the tool this module carries \
(${wheel['version']}): remove version, or give package_source for ${version}.")
    }
    $install_source = "${venv}/${wheel['file']}"
    $install_version = $wheel['version']
  }

  # Shared with the private classes.
  $tool = "${venv}/bin/sentry-puppet"
  $config_file = "${config_dir}/config.yaml"
  # Neither given: config.yaml names no token file, and the tool takes sentry::bugsink's from
  # config.d/bugsink.yaml (the two classes never look at each other at compile time).
  $token_path = $token ? { undef => $token_file, default => "${config_dir}/token" }
  $run = "${tool} --config ${config_file}"
  # With sync_timer: what the timer's service runs, and where it keeps what it created for
  # the next Puppet run's report.
  $timer_script = '/usr/local/sbin/sentry-puppet-timer-sync'
  $timer_created = "${dsn_dir}.timer-created"
  # The tool's `puppetdb` settings, or undef: collect into definitions_dir.
  $puppetdb_url = pick_default($puppetdb['url'], sentry::puppetdb_url())
  # The agent's own certificate opens PuppetDB; lib/facter/sentry_agent_ssl.rb knows its ssldir.
  $agent_ssl = $facts['sentry_agent_ssl'] ? {
    Hash    => {
      'ca_file'   => $facts['sentry_agent_ssl']['ca'],
      'cert_file' => $facts['sentry_agent_ssl']['cert'],
      'key_file'  => $facts['sentry_agent_ssl']['key'],
    },
    default => {},
  }
  $puppetdb_settings = ($definitions_from == 'puppetdb' and $puppetdb_url =~ String[1]) ? {
    true    => { 'environment' => $environment } + $agent_ssl + $puppetdb + { 'url' => $puppetdb_url },
    default => undef,
  }

  contain sentry::server::install
  contain sentry::server::config
  contain sentry::server::vhost
  contain sentry::server::sync
  contain sentry::server::timer

  Class['sentry::server::install']
  -> Class['sentry::server::config']
  -> Class['sentry::server::vhost']
  -> Class['sentry::server::sync']
  -> Class['sentry::server::timer']
}

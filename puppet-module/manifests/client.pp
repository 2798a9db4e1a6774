# @summary Registers every app this node runs with the Sentry host.
#
# Writes the facts' configuration (app roots, the Sentry host's `/dsn/` URL, cache settings)
# and exports one `sentry::source::project` per app the `sentry_apps` fact reports. The facts
# run before the catalog, so a changed `app_roots` is seen from the next run on.
#
# @example On every app server
#   class { 'sentry::client':
#     dsn_url => 'https://sentry.example.com/dsn/',
#   }
#
# @example Per-app choices: billing in team payments, legacy left out
#   class { 'sentry::client':
#     dsn_url => 'https://sentry.example.com/dsn/',
#     apps    => {
#       'billing' => { 'team' => 'payments', 'lang' => 'python' },
#       'legacy'  => { 'ignore' => true },
#     },
#   }
#
# @param dsn_url
#   The Sentry host's `/dsn/` URL. Without it the facts fetch no DSN (discovery still works).
# @param app_roots
#   Directories whose direct subdirectories are apps.
# @param ignore
#   Directory names never taken for apps.
# @param environment
#   The Sentry environment: the tag the exports carry, which `sentry::server` collects.
# @param ca_file
#   CA that signed the Sentry host's certificate. Default: the agent's Puppet CA.
# @param cert_file
#   Client certificate shown to `/dsn/`. Default: the agent's own.
# @param key_file
#   Key of `cert_file`. Default: the agent's own.
# @param config_file
#   Where the facts read their configuration (they also honour `$SENTRY_PUPPET_FACTS_CONFIG`).
# @param cache_dir
#   Where the facts cache DSNs (0700).
# @param ttl
#   Seconds before a cached DSN is asked for again.
# @param negative_ttl
#   Seconds a 404 (no project yet) is believed before `/dsn/` is asked again. Keep it below
#   the Puppet run interval (30 min by default): a new app then gets its DSN at the first run
#   after the Sentry host created its project.
# @param apps
#   Per-app choices, by app name as `deployed_apps` shows it: `lang` (the Sentry platform,
#   instead of the detected one), `team` (the Sentry team, instead of the server's `team`),
#   `ignore` (`true`: not an app; neither reported by the facts nor exported). `lang` and
#   `ignore` reach `facts.conf` (`[app:NAME]`), so the facts report them too from the next run
#   on; `lang` and `team` reach the exports at once. Apps not deployed here are not exported.
class sentry::client (
  Array[Stdlib::Absolutepath] $app_roots,
  Array[String[1]] $ignore,
  String[1] $environment,
  Stdlib::Absolutepath $config_file,
  Stdlib::Absolutepath $cache_dir,
  Integer[1] $ttl,
  Integer[1] $negative_ttl,
  Optional[Stdlib::HTTPSUrl] $dsn_url = undef,
  Optional[Stdlib::Absolutepath] $ca_file = undef,
  Optional[Stdlib::Absolutepath] $cert_file = undef,
  Optional[Stdlib::Absolutepath] $key_file = undef,
  Hash[Pattern[/\A[^\[\]\s]+\z/], Struct[{
        Optional[lang]   => Pattern[/\A[A-Za-z0-9._-]+\z/],
        Optional[team]   => String[1],
        Optional[ignore] => Boolean,
  }]] $apps = {},
) {
  $config_dir = dirname($config_file)
  # sentry::server manages it too on a Sentry host that is also an app server: the same
  # attributes through ensure_resource, in either declaration order.
  if $config_dir == '/etc/sentry_puppet' {
    ensure_resource('file', $config_dir, { 'ensure' => 'directory', 'mode' => '0755' })
  }
  file { $config_file:
    ensure  => file,
    mode    => '0644',
    content => epp('sentry/facts.conf.epp', {
        'app_roots'    => $app_roots,
        'ignore'       => $ignore,
        'dsn_url'      => $dsn_url,
        'ca_file'      => $ca_file,
        'cert_file'    => $cert_file,
        'key_file'     => $key_file,
        'cache_dir'    => $cache_dir,
        'ttl'          => $ttl,
        'negative_ttl' => $negative_ttl,
        'apps'         => $apps,
    }),
  }

  $deployed = $facts['sentry_apps'] ? {
    Hash    => keys($facts['sentry_apps']),
    default => split(pick_default($facts['deployed_apps'], ''), ','),
  }
  # The facts ran before this catalog with the previous facts.conf: an app ignored only now
  # is still among them, and must not be exported.
  $deployed.filter |$app| { $app != '' and !$apps.dig($app, 'ignore') }.each |$app| {
    sentry::source::export { $app:
      environment => $environment,
      platform    => $apps.dig($app, 'lang'),
      team        => $apps.dig($app, 'team'),
    }
  }
}

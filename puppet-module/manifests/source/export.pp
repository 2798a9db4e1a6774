# @summary Exports one app's project definition for the Sentry host to collect.
#
# The title is the app name, as `deployed_apps` shows it. The exported resource is titled
# `<app>-<certname>`, so every app server may export the same app: the Sentry host makes one
# project of them all. Certnames, unlike hostnames, never repeat across domains.
#
# @example
#   sentry::source::export { 'Foo-Bar': environment => 'production' }
#
# @param environment
#   The tag the export carries; `sentry::server` collects its own environment's.
# @param platform
#   The app's Sentry platform. Default: what the facts detected (`<key>_lang`), else `other`.
# @param team
#   The Sentry team. Default: the server's `team`.
define sentry::source::export (
  String[1] $environment = 'production',
  Optional[String[1]] $platform = undef,
  Optional[String[1]] $team = undef,
) {
  $key = regsubst(downcase($title), '[^a-z0-9_]', '_', 'G')
  $apps = $facts['sentry_apps']
  $detected = ($apps =~ Hash and $apps[$title] =~ Hash) ? {
    true    => $apps[$title]['lang'],
    default => $facts["${key}_lang"],
  }

  @@sentry::source::project { "${title}-${trusted['certname']}":
    project  => $title,
    platform => pick($platform, $detected, 'other'),
    team     => $team,
    source   => $trusted['certname'],
    tag      => $environment,
  }
}

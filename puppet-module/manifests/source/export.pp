# @summary Exports one app's project definition for the Sentry host to collect.
#
# The title is the app name, as `deployed_apps` shows it. The exported resource is titled
# `<app>-<certname>`, so every app server may export the same app: the Sentry host makes one
# project of them all. Certnames, unlike hostnames, never repeat across domains.
#
# covermymeds/sentry's parameters are accepted, so that its users' app manifests compile
# unchanged: `env` and `language` with a deprecation warning, `organization` passed on to the
# Sentry host, which warns when it is not its own (an app server cannot know it).
#
# @example
#   sentry::source::export { 'Foo-Bar': environment => 'production' }
#
# @example An app manifest written for covermymeds/sentry (compiles, with warnings)
#   sentry::source::export { ['billing', 'shop']:
#     env          => 'production',
#     language     => 'Ruby',
#     team         => 'payments',
#     organization => 'acme',
#   }
#
# @param environment
#   The tag the export carries; `sentry::server` collects its own environment's. Default:
#   `production`.
# @param platform
#   The app's Sentry platform. Default: what the facts detected (`<key>_lang`), else `other`.
# @param team
#   The Sentry team. Default: the server's `team`.
# @param env
#   Deprecated (covermymeds/sentry): `environment`.
# @param language
#   Deprecated (covermymeds/sentry): the platform when the facts detect none (as there, the
#   detected language wins over it; `platform` wins over the detected one).
# @param organization
#   Deprecated (covermymeds/sentry): passed on with the export; the Sentry host makes every
#   project in its own `organization` and warns when this one differs.
define sentry::source::export (
  Optional[String[1]] $environment = undef,
  Optional[String[1]] $platform = undef,
  Optional[String[1]] $team = undef,
  Optional[String[1]] $env = undef,
  Optional[String[1]] $language = undef,
  Optional[String] $organization = undef,
) {
  if $env {
    if $environment and $environment != $env {
      fail("sentry::source::export[${title}]: `environment` (${environment}) and the deprecated `env` \
(${env}) differ: give `environment` only.")
    }
    warning("sentry::source::export[${title}]: `env` is deprecated (a covermymeds/sentry parameter): \
use `environment`.")
  }
  if $language {
    if $platform and $platform != $language {
      fail("sentry::source::export[${title}]: `platform` (${platform}) and the deprecated `language` \
(${language}) differ: give `platform` only.")
    }
    warning("sentry::source::export[${title}]: `language` is deprecated (a covermymeds/sentry parameter): \
use `platform` (which, unlike `language`, wins over the language the facts detect).")
  }

  $key = regsubst(downcase($title), '[^a-z0-9_]', '_', 'G')
  $apps = $facts['sentry_apps']
  $detected = ($apps =~ Hash and $apps[$title] =~ Hash) ? {
    true    => $apps[$title]['lang'],
    default => $facts["${key}_lang"],
  }
  # `other` is the facts' "no marker file": covermymeds/sentry's `language` fills that gap.
  $known = $detected ? {
    'other' => undef,
    default => $detected,
  }

  $passed_organization = $organization ? {
    ''      => undef,
    default => $organization,
  }

  @@sentry::source::project { "${title}-${trusted['certname']}":
    project      => $title,
    platform     => pick($platform, $known, $language, 'other'),
    team         => $team,
    source       => $trusted['certname'],
    organization => $passed_organization,
    tag          => pick($environment, $env, 'production'),
  }
}

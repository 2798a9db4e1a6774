# @summary One app's project definition on the Sentry host (collected from app servers).
#
# Writes `<definitions_dir>/<title>.yaml`, which `sentry-puppet sync` reads. Many
# definitions may name the same project: it is created once.
#
# @example Collected by sentry::server; declared by hand it reads
#   sentry::source::project { 'Foo-Bar-app01.example.com':
#     project  => 'Foo-Bar',
#     platform => 'ruby',
#   }
#
# @param project
#   The app name, as the app server's `deployed_apps` shows it.
# @param platform
#   The Sentry platform (`ruby`, `python`, ...); the tool normalises and defaults it.
# @param team
#   The Sentry team; default: the server's `team`.
# @param source
#   The exporting host, for the tool's messages.
define sentry::source::project (
  String[1] $project,
  String[1] $platform = 'other',
  Optional[String[1]] $team = undef,
  Optional[String[1]] $source = undef,
) {
  include sentry::server

  file { "${sentry::server::definitions_dir}/${title}.yaml":
    ensure  => file,
    mode    => '0644',
    content => to_yaml(delete_undef_values({
        'project'  => $project,
        'platform' => $platform,
        'team'     => $team,
        'source'   => $source,
    })),
    before  => Exec['sentry-puppet sync'],
  }
}

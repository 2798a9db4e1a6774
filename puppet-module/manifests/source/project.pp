# @summary One app's project definition on the Sentry host (collected from app servers).
#
# Writes `<definitions_dir>/<title>.yaml`, which `sentry-puppet sync` reads. Many
# definitions may name the same project: it is created once. Needs `sentry::server` declared
# on the node first (it collects these).
#
# @example Collected by sentry::server; declared by hand it reads
#   class { 'sentry::server':
#     backend    => 'bugsink',
#     url        => 'http://127.0.0.1:8000',
#     token_file => '/etc/sentry_puppet/bugsink-token',
#   }
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
# @param organization
#   Accepted for covermymeds/sentry's exports and ignored: projects are made in
#   `sentry::server`'s `organization`; a warning names any other.
# @param path
#   Accepted for covermymeds/sentry's exports (its virtualenv) and ignored.
define sentry::source::project (
  String[1] $project,
  String[1] $platform = 'other',
  Optional[String[1]] $team = undef,
  Optional[String[1]] $source = undef,
  Optional[String] $organization = undef,
  Optional[String] $path = undef,
) {
  unless defined(Class['sentry::server']) {
    fail("sentry::source::project[${title}]: the class sentry::server is not declared on this node. \
These definitions belong on the Sentry host, which collects them: declare sentry::server (with its \
backend, url and token) before them.")
  }
  $server_organization = $sentry::server::organization
  if $organization =~ String[1] and $organization != $server_organization {
    $made_in = $server_organization ? {
      undef   => "the ${sentry::server::backend} backend, which has no organizations",
      default => "sentry::server's organization '${server_organization}'",
    }
    warning("sentry::source::project[${title}]: organization '${organization}' (a covermymeds/sentry \
parameter) is ignored: project '${project}' is made in ${made_in}.")
  }

  file { "${sentry::server::definitions_dir}/${title}.yaml":
    ensure  => file,
    mode    => '0644',
    content => sentry::to_yaml(delete_undef_values({
        'project'  => $project,
        'platform' => $platform,
        'team'     => $team,
        'source'   => $source,
    })),
    before  => Exec['sentry-puppet sync'],
  }
}

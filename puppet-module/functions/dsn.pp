# @summary The DSN of an app on this node, from the facts, or undef while none is known.
#
# @example In an app's vhost (puppetlabs-apache)
#   include apache
#   $dsn = sentry::dsn('Foo-Bar')
#   apache::vhost { 'foo-bar.example.com':
#     port    => 443,
#     docroot => '/srv/apps/Foo-Bar/current/public',
#     setenv  => $dsn ? { undef => [], default => ["SENTRY_DSN ${dsn}"] },
#   }
#
# @param app The app name, as `deployed_apps` shows it.
# @return [Optional[String]] The DSN, or undef.
function sentry::dsn(String $app) >> Optional[String] {
  $apps = $facts['sentry_apps']
  if $apps =~ Hash and $apps[$app] =~ Hash and $apps[$app]['dsn'] =~ String[1] {
    $apps[$app]['dsn']
  } else {
    $facts["${regsubst(downcase($app), '[^a-z0-9_]', '_', 'G')}_dsn"]
  }
}

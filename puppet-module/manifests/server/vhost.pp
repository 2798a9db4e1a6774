# @summary Renders the Apache vhost when `vhost` is given, and the `Listen` lines for its ports.
#
# @api private
class sentry::server::vhost {
  assert_private()

  $vhost = $sentry::server::vhost
  $apache_service = $sentry::server::apache_service
  $tool = $sentry::server::tool
  $run = $sentry::server::run

  unless empty($vhost) {
    exec { 'sentry-puppet render-vhost':
      provider => 'shell',
      command  => "${run} render-vhost --detailed-exitcodes",
      unless   => "test -x ${tool} && ${run} render-vhost --check",
      returns  => [0, 2],
    }
    if $apache_service {
      Exec['sentry-puppet render-vhost'] ~> Service[$apache_service]
    }
    if $sentry::server::ports_file {
      # The tool's defaults: HTTPS on 443, the redirect on 80 unless `http_port` is null.
      $http_port = ('http_port' in $vhost) ? { true => $vhost['http_port'], default => 80 }
      delete_undef_values([pick($vhost['listen'], 443), $http_port]).each |$port| {
        # `replace => false`: an existing `Listen` on that port (Debian's ports.conf has 80
        # and 443) is left alone, so Apache never sees the port twice.
        file_line { "sentry Listen ${port}":
          path    => $sentry::server::ports_file,
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

# @summary Fails the compile unless this node is of the Debian family, the only one the Sentry
#   host's classes are tested on (package names, paths, Apache's layout and user).
#
# @api private
#
# @param class_name The calling class, named in the message.
# @return [Undef] Nothing: on another OS family the compile fails, naming the family.
function sentry::sentry_host_os(String[1] $class_name) >> Undef {
  $os_family = pick($facts.dig('os', 'family'), 'unknown')
  if $os_family != 'Debian' {
    fail("${class_name}: this node's OS family is ${os_family}; the Sentry host's classes (sentry::server, \
sentry::bugsink) support the Debian family only (tested on Debian 12 and 13). App servers of the \
Debian or RedHat family take sentry::client.")
  }
}

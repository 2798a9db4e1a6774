"""The Puppet agent's own identity on this host: its certname and its ssldir's CA, certificate
and key. The Sentry host reads PuppetDB with them, as its agent talks to puppetserver.

Looked up like the facts do (facts/sentry_apps.py): Puppet's packages, then Debian's."""
import configparser
import os
import socket

SSLDIRS = ("/etc/puppetlabs/puppet/ssl", "/var/lib/puppet/ssl")
PUPPET_CONFS = ("/etc/puppetlabs/puppet/puppet.conf", "/etc/puppet/puppet.conf")


def certname():
    """puppet.conf's `certname` ([agent], then [main]), else the FQDN, as Puppet defaults it."""
    for path in PUPPET_CONFS:
        parser = configparser.ConfigParser(interpolation=None, strict=False,
                                           inline_comment_prefixes=("#",))
        try:
            if not parser.read(path, encoding="utf-8"):
                continue
        except (configparser.Error, UnicodeDecodeError):
            continue
        for section in ("agent", "main"):
            value = parser.get(section, "certname", fallback="").strip()
            if value:
                return value.lower()
    return socket.getfqdn().lower()


def tls_files():
    """-> (ca_file, cert_file, key_file) of the first ssldir holding a CA, or None."""
    for ssldir in SSLDIRS:
        ca_file = os.path.join(ssldir, "certs", "ca.pem")
        if os.path.isfile(ca_file):
            name = certname()
            return (ca_file, os.path.join(ssldir, "certs", name + ".pem"),
                    os.path.join(ssldir, "private_keys", name + ".pem"))
    return None

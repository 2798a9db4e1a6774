"""A test CA standing in for the Puppet CA (a root and an intermediate, as Puppet 6+ makes):
a server certificate for 127.0.0.1/localhost, an agent's client certificate, a revoked one
listed in the CA's CRL, and a second, unrelated CA with its own client certificate (which must
be refused). Files are PEM, as Puppet writes them.

    pki = TestPKI.create(directory)
    pki.ca_file, pki.crl_file, pki.server.cert, pki.server.key,
    pki.client, pki.revoked, pki.stranger   (each a KeyPair: .cert, .key paths)
"""
import dataclasses
import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ONE_DAY = datetime.timedelta(days=1)


@dataclasses.dataclass(frozen=True)
class KeyPair:
    cert: str
    key: str


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write(path, data, mode=0o644):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


class CertificateAuthority:
    """A root CA, or with `parent` an intermediate one (Puppet 6+: "Puppet Root CA" signs the
    "Puppet CA" that signs agents)."""

    def __init__(self, common_name, parent=None):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = _name(common_name)
        issuer_name, issuer_key = (parent.name, parent.key) if parent else (self.name, self.key)
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(self.name).issuer_name(issuer_name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - ONE_DAY).not_valid_after(now + 30 * ONE_DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True,
                content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer_key.public_key()), critical=False)
            .sign(issuer_key, hashes.SHA256()))
        self.revoked_serials = []

    def issue(self, common_name, hosts=(), server=False):
        """-> (certificate, key) for a server (`hosts` as SANs) or a client (an agent)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name)).issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - ONE_DAY).not_valid_after(now + 30 * ONE_DAY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                self.key.public_key()), critical=False))
        if hosts:
            names = []
            for host in hosts:
                try:
                    names.append(x509.IPAddress(ipaddress.ip_address(host)))
                except ValueError:
                    names.append(x509.DNSName(host))
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return builder.sign(self.key, hashes.SHA256()), key

    def revoke(self, cert):
        self.revoked_serials.append(cert.serial_number)

    def crl(self):
        now = datetime.datetime.now(datetime.timezone.utc)
        builder = (x509.CertificateRevocationListBuilder()
                   .issuer_name(self.name)
                   .last_update(now - ONE_DAY).next_update(now + 30 * ONE_DAY)
                   .add_extension(x509.CRLNumber(len(self.revoked_serials) + 1), critical=False))
        for serial in self.revoked_serials:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial)
                .revocation_date(now - ONE_DAY).build())
        return builder.sign(self.key, hashes.SHA256())


def _save_pair(directory, stem, cert, key):
    pair = KeyPair(os.path.join(directory, stem + ".pem"),
                   os.path.join(directory, stem + ".key"))
    _write(pair.cert, cert.public_bytes(serialization.Encoding.PEM))
    _write(pair.key, key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()), mode=0o600)
    return pair


@dataclasses.dataclass(frozen=True)
class TestPKI:
    __test__ = False  # not a pytest test class

    ca_file: str        # the "Puppet CA" bundle (intermediate + root): clients and Apache trust it
    crl_file: str       # the CRLs of both; the intermediate's lists `revoked`
    server: KeyPair     # for 127.0.0.1 and localhost
    client: KeyPair     # a good agent
    revoked: KeyPair    # an agent whose certificate the CA revoked
    stranger: KeyPair   # a client certificate from another CA
    stranger_ca_file: str

    @classmethod
    def create(cls, directory, hosts=("127.0.0.1", "localhost")):
        os.makedirs(directory, exist_ok=True)
        root = CertificateAuthority("Puppet Root CA: test")
        ca = CertificateAuthority("Puppet CA: test", parent=root)
        other = CertificateAuthority("Puppet CA: some other site")
        server = _save_pair(directory, "server", *ca.issue(hosts[0], hosts, server=True))
        client = _save_pair(directory, "agent", *ca.issue("app01.example.com"))
        revoked_cert, revoked_key = ca.issue("retired.example.com")
        ca.revoke(revoked_cert)
        revoked = _save_pair(directory, "revoked", revoked_cert, revoked_key)
        stranger = _save_pair(directory, "stranger", *other.issue("app01.example.com"))
        # Bundles as Puppet writes them: ca.pem and crl.pem hold the intermediate and the root.
        pem = serialization.Encoding.PEM
        ca_file = os.path.join(directory, "ca.pem")
        _write(ca_file, ca.cert.public_bytes(pem) + root.cert.public_bytes(pem))
        crl_file = os.path.join(directory, "crl.pem")
        _write(crl_file, ca.crl().public_bytes(pem) + root.crl().public_bytes(pem))
        stranger_ca_file = os.path.join(directory, "other-ca.pem")
        _write(stranger_ca_file, other.cert.public_bytes(serialization.Encoding.PEM))
        return cls(ca_file, crl_file, server, client, revoked, stranger, stranger_ca_file)

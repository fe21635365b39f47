#!/usr/bin/python3
"""Writes test certificates for tst_certificatewatcher / tst_certificatestorelink
into the folder given as argv[1], made with Python's `cryptography` package
(independent of the OpenSSL code under test):
  one.crt/one.key, two.crt/two.key, three.crt/three.key   self-signed, CN=<name>, valid now
  expired.crt/expired.key                                 valid 2020-01-01 .. 2020-02-01
  ca.crt, leaf.crt/leaf.key                               leaf issued by ca (for chain order)
  bundle-ca-first.pem                                     ca.crt + leaf.crt + leaf.key (wrong order, one file)
  one.pfx, two.pfx                                        PKCS#12 (AES-256) of one / two, password "s3cret pfx"
"""
import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

out = sys.argv[1]
now = datetime.datetime.now(datetime.timezone.utc)


def key():
    return ec.generate_private_key(ec.SECP256R1())


def cert(cn, k, issuer_name=None, issuer_key=None, ca=False, start=None, end=None):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    b = (x509.CertificateBuilder()
         .subject_name(name)
         .issuer_name(issuer_name or name)
         .public_key(k.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(start or now - datetime.timedelta(hours=1))
         .not_valid_after(end or now + datetime.timedelta(days=90))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), critical=False)
    return b.sign(issuer_key or k, hashes.SHA256())


def pem_cert(c):
    return c.public_bytes(serialization.Encoding.PEM)


def pem_key(k):
    return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption())


def write(name, data):
    with open(f"{out}/{name}", "wb") as f:
        f.write(data)


made = {}
for cn in ("one", "two", "three"):
    k = key()
    c = cert(f"{cn}.watch.test", k)
    made[cn] = (k, c)
    write(f"{cn}.crt", pem_cert(c))
    write(f"{cn}.key", pem_key(k))

k = key()
write("expired.crt", pem_cert(cert("expired.watch.test", k, start=datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc),
                                   end=datetime.datetime(2020, 2, 1, tzinfo=datetime.timezone.utc))))
write("expired.key", pem_key(k))

ca_key = key()
ca = cert("Watch Test CA", ca_key, ca=True)
leaf_key = key()
leaf = cert("leaf.watch.test", leaf_key, issuer_name=ca.subject, issuer_key=ca_key)
write("ca.crt", pem_cert(ca))
write("leaf.crt", pem_cert(leaf))
write("leaf.key", pem_key(leaf_key))
write("bundle-ca-first.pem", pem_cert(ca) + pem_cert(leaf) + pem_key(leaf_key))

enc = serialization.BestAvailableEncryption(b"s3cret pfx")
for cn in ("one", "two"):
    k, c = made[cn]
    write(f"{cn}.pfx", pkcs12.serialize_key_and_certificates(cn.encode(), k, c, None, enc))
print("ok")

#!/usr/bin/python3
"""Certificates referenced by path and renewed on disk (issue #12), against the real relay.

A PEM certificate and key are linked (`--link-pem FILE --key FILE`), not copied,
and a STARTTLS listener uses them. Then, as certbot or win-acme would:
- the files are replaced by a new certificate: new sessions get it (log row
  certificate_reloaded) while a session opened before goes on and its message is
  delivered (no restart, nothing dropped);
- the certificate file is replaced by garbage: new sessions keep the last good
  certificate, the log says why (certificate_reload_failed) and an alert is raised;
- a good file again: reloaded, and the alert resolves.
The certificate a session got is read from the TLS handshake (Python's ssl module,
parsed with python3-cryptography)."""

import os
import smtplib
import ssl
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402


def make_cert(folder, cn):
    key, crt = os.path.join(folder, cn + ".key"), os.path.join(folder, cn + ".crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-days", "90", "-subj", "/CN=" + cn, "-addext", "subjectAltName=DNS:" + cn,
                    "-keyout", key, "-out", crt], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(crt, "rb") as c, open(key, "rb") as k:
        return c.read(), k.read()


def replace(path, data):
    """As renewal tools do: a new file under a temporary name, then a rename over the old one."""
    tmp = path + ".new"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def open_tls(port):
    conn = smtplib.SMTP(harness.LOOPBACK, port, local_hostname="client.it.example.test", timeout=20)
    conn.ehlo()
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conn.starttls(context=ctx)
    conn.ehlo()
    der = conn.sock.getpeercert(binary_form=True)
    cn = x509.load_der_x509_certificate(der).subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    return conn, cn


def served_cn(port):
    conn, cn = open_tls(port)
    conn.quit()
    return cn


class CertificateReload(harness.RelayTestCase):

    def test_renewed_file_reaches_new_sessions_broken_file_keeps_old(self):
        base = self.tmpdir()
        certs = os.path.join(base, "live")
        os.makedirs(certs)
        cert_path, key_path = os.path.join(certs, "fullchain.pem"), os.path.join(certs, "privkey.pem")
        first_crt, first_key = make_cert(base, "first.example.test")
        second_crt, second_key = make_cert(base, "second.example.test")
        third_crt, third_key = make_cert(base, "third.example.test")
        replace(key_path, first_key)
        replace(cert_path, first_crt)

        data = os.path.join(base, "data")
        p = harness.run_relay(["--link-pem", cert_path, "--key", key_path], data_dir=data)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        cert_id = p.stdout.decode().strip().split()[0]

        sink = self.sink()
        cfg = harness.default_config(harness.free_port(), sink.address)
        cfg["listeners"][0]["certificate"] = cert_id
        relay = harness.Relay(base, sink.address, config=cfg)
        self._relays.append(relay)
        relay.start()

        self.assertEqual(served_cn(relay.port), "first.example.test")
        early, cn = open_tls(relay.port)  # stays open across the renewal
        self.assertEqual(cn, "first.example.test")

        # Renewal: new key and certificate in place.
        replace(key_path, second_key)
        replace(cert_path, second_crt)
        relay.wait_log(lambda r: r["result"] == "certificate_reloaded", 30, "certificate_reloaded row")
        harness.wait_until(lambda: served_cn(relay.port) == "second.example.test", 10, 0.5,
                           "new sessions get the renewed certificate")
        msg, _ = harness.make_message(subject="sent on the session from before the renewal")
        res = harness.smtp_transaction(early, "app@example.test", ["user@example.net"], msg)
        early.quit()
        self.assertTrue(res.accepted, res)
        arrived = sink.wait_for(1, 30)
        self.assertEqual(arrived[0].header("Subject"), "sent on the session from before the renewal")

        # A broken file: the last good certificate stays, the log and an alert say why.
        replace(cert_path, b"-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
        failed = relay.wait_log(lambda r: r["result"] == "certificate_reload_failed", 30, "reload failure row")
        self.assertEqual(failed[-1]["level"], "error")
        self.assertIn(cert_id, failed[-1]["message"])
        relay.wait_log(lambda r: r["result"] == "alert_raised" and "certificate_reload" in r["message"], 20,
                       "certificate_reload alert")
        self.assertEqual(served_cn(relay.port), "second.example.test")
        self.assertTrue(relay.running)

        # Fixed: reloaded again and the alert resolves.
        replace(key_path, third_key)
        replace(cert_path, third_crt)
        harness.wait_until(lambda: served_cn(relay.port) == "third.example.test", 30, 0.5,
                           "the fixed certificate is served")
        relay.wait_log(lambda r: r["result"] == "alert_resolved" and cert_id in r["message"], 20,
                       "alert resolved")


if __name__ == "__main__":
    unittest.main()

#!/usr/bin/python3
"""DANE (RFC 7672) in the running relay: delivery by MX with dane.enabled.

Peers: NSD (dnsserver.py) serving the DNSSEC-signed zone dane.test (signed by
ldns-signzone) and Unbound (dnsserver.Validator) as the validating resolver the
relay asks (dns.servers), with the zone's key as its trust anchor; STARTTLS
SMTP sinks (tests/data/outtls/tls_smtp_sink.py) with a self-signed certificate
on 127.0.0.6-8 at delivery.mx_port. Certificates come from the openssl tool.

  good.dane.test   TLSA 3 1 1 = the sink's key          -> delivered over TLS
  wrong.dane.test  TLSA 3 1 1 = another key              -> NOT delivered, stays
                   queued, a deferral row naming DANE, a tls_failed row
  plain.test       same TLSA, but the zone is not signed -> no DANE (opportunistic
                   TLS, certificate not checked): delivered
"""
import hashlib
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data", "outtls")
sys.path.insert(0, HERE)
sys.path.insert(0, DATA)

import harness  # noqa: E402
from dnsserver import DnsServer, Validator  # noqa: E402
from harness import KIND_DELIVERY  # noqa: E402
from tls_smtp_sink import TlsSmtpSink  # noqa: E402
from test_routing import RoutingCase  # noqa: E402


def self_signed(d, name):
    key, crt = os.path.join(d, name + ".key"), os.path.join(d, name + ".pem")
    subprocess.run(["/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-days", "30", "-subj", "/CN=" + name, "-addext", "subjectAltName=DNS:" + name,
                    "-keyout", key, "-out", crt], check=True, capture_output=True)
    spki = subprocess.run(["/usr/bin/openssl", "x509", "-in", crt, "-pubkey", "-noout"], check=True,
                          capture_output=True).stdout
    der = subprocess.run(["/usr/bin/openssl", "pkey", "-pubin", "-outform", "DER"], input=spki, check=True,
                         capture_output=True).stdout
    return crt, key, hashlib.sha256(der).hexdigest()


class Dane(RoutingCase):
    def setUp(self):
        super().setUp()
        d = tempfile.mkdtemp(prefix="rd-dane-")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", d]))
        crt, key, digest = self_signed(d, "mx.dane.test")
        _, _, other = self_signed(d, "other.dane.test")
        self.dns = DnsServer({
            "dane.test": ["good MX 10 mxgood", "mxgood A 127.0.0.6", "_25._tcp.mxgood TLSA 3 1 1 " + digest,
                          "wrong MX 10 mxwrong", "mxwrong A 127.0.0.7", "_25._tcp.mxwrong TLSA 3 1 1 " + other],
            "plain.test": ["@ MX 10 mx", "mx A 127.0.0.8", "_25._tcp.mx TLSA 3 1 1 " + other],
        }, signed=["dane.test"]).start()
        self.addCleanup(self.dns.stop)
        self.validator = Validator(self.dns).start()
        self.addCleanup(self.validator.stop)
        port = harness.free_port("127.0.0.6")
        self.sinks = {}
        for ip in ("127.0.0.6", "127.0.0.7", "127.0.0.8"):
            s = TlsSmtpSink(ip, port, crt, key).start()
            self.addCleanup(s.stop)
            self.sinks[ip] = s
        self.relay_ = self.routed_relay(
            [self.connector("by-mx", ["*"], route="mx", tls="opportunistic")],
            settings={"dns.servers": "%s:%d" % (self.validator.address, self.validator.port),
                      "dns.timeout_ms": 2000, "delivery.mx_port": port, "delivery.max_age_s": 600,
                      "dane.enabled": True, "mtasts.enabled": False},
            relay_allow=("127.0.0.0/8",))

    def test_matching_tlsa_delivers(self):
        mid, qid, _ = self.submit(self.relay_, ["user@good.dane.test"], "good")
        self.wait_result(self.relay_, qid, "delivered")
        msgs = self.sinks["127.0.0.6"].messages
        self.assertEqual(len(msgs), 1)
        self.assertTrue(msgs[0][3], "delivered over TLS")
        verified = [r for r in self.relay_.log_rows() if r["result"] == "tls_verified"]
        self.assertTrue(any(r["rule"] == "dane" and "mxgood.dane.test" in r["message"] for r in verified),
                        verified)

    def test_mismatching_tlsa_stays_queued(self):
        mid, qid, _ = self.submit(self.relay_, ["user@wrong.dane.test"], "wrong")
        rows = self.relay_.wait_log(
            lambda r: r["kind"] == KIND_DELIVERY and r["queue_id"] == qid and "DANE" in (r.get("message") or ""),
            40, "DANE deferral row")
        self.assertNotIn("delivered", self.results(self.relay_, qid), rows)
        self.assertEqual(self.sinks["127.0.0.7"].mail_commands, 0, "the mail must not reach the MX")
        self.assertIsNotNone(self.queue_row(self.relay_, qid), "the message stays queued")
        failed = [r for r in self.relay_.log_rows() if r["result"] == "tls_failed"]
        self.assertTrue(any(r["rule"] == "dane" for r in failed), failed)

    def test_unsigned_zone_is_not_dane(self):
        mid, qid, _ = self.submit(self.relay_, ["user@plain.test"], "plain")
        self.wait_result(self.relay_, qid, "delivered")
        self.assertEqual(len(self.sinks["127.0.0.8"].messages), 1)


if __name__ == "__main__":
    unittest.main()

#!/usr/bin/python3
"""MTA-STS end to end (RFC 8461): relaydesk delivering by MX with mtasts.enabled.

Peers: NSD (dnsserver.py) serving MX, A and _mta-sts TXT records on
127.0.0.x; the HTTPS policy server tests/data/outtls/policy_server.py with a
test CA; STARTTLS SMTP sinks (tests/data/outtls/tls_smtp_sink.py) on
127.0.0.6-8 at delivery.mx_port. Certificates come from the openssl tool.

  enforce.test  policy enforce, MX certificate for another name -> NOT delivered,
                stays queued, a deferral row names MTA-STS
  testing.test  policy testing, same certificate                  -> delivered
  good.test     policy enforce, certificate for the MX name       -> delivered

Needs from the relay (test-only settings): mtasts.ca_file (PEM CA trusted for
the policy host and MX certificates instead of the system store) and
mtasts.policy_port (the policy server's port instead of 443).
"""
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
from dnsserver import DnsServer  # noqa: E402
from harness import KIND_DELIVERY  # noqa: E402
from tls_smtp_sink import TlsSmtpSink  # noqa: E402
from test_routing import RoutingCase  # noqa: E402


def openssl(cwd, *args):
    subprocess.run(["/usr/bin/openssl"] + list(args), cwd=cwd, check=True, capture_output=True)


def make_pki(d):
    openssl(d, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", "/CN=test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    for name, sans in (("web", "mta-sts.enforce.test,mta-sts.testing.test,mta-sts.good.test"),
                       ("wrong", "mx.elsewhere.test"), ("good", "mx.good.test")):
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write("subjectAltName=%s\nextendedKeyUsage=serverAuth\n"
                    % ",".join("DNS:" + s for s in sans.split(",")))
        openssl(d, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + sans.split(",")[0])
        openssl(d, "x509", "-req", "-in", name + ".csr", "-out", name + ".pem", "-days", "30",
                "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-extfile", name + ".ext")


POLICY = "version: STSv1\nmode: %s\nmx: %s\nmax_age: 86400\n"


class MtaSts(RoutingCase):
    def setUp(self):
        super().setUp()
        d = tempfile.mkdtemp(prefix="rd-mtasts-")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", d]))
        make_pki(d)
        docroot = os.path.join(d, "docroot")
        os.mkdir(docroot)
        for domain, mode in (("enforce.test", "enforce"), ("testing.test", "testing"), ("good.test", "enforce")):
            with open(os.path.join(docroot, domain + ".txt"), "w") as f:
                f.write(POLICY % (mode, "mx." + domain))
        self.web = subprocess.Popen(["/usr/bin/python3", os.path.join(DATA, "policy_server.py"),
                                     os.path.join(d, "web.pem"), os.path.join(d, "web.key"), docroot],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.addCleanup(self.web.terminate)
        policy_port = int(self.web.stdout.readline().split()[1])
        zones = {}
        for domain, ip in (("enforce.test", "127.0.0.6"), ("testing.test", "127.0.0.7"), ("good.test", "127.0.0.8")):
            zones[domain] = ["@ MX 10 mx", "mx A %s" % ip, "mta-sts A 127.0.0.1",
                             '_mta-sts TXT "v=STSv1; id=20261126T000000;"']
        self.dns = DnsServer(zones).start()
        self.addCleanup(self.dns.stop)
        port = harness.free_port("127.0.0.6")
        self.sinks = {}
        for ip, cert in (("127.0.0.6", "wrong"), ("127.0.0.7", "wrong"), ("127.0.0.8", "good")):
            s = TlsSmtpSink(ip, port, os.path.join(d, cert + ".pem"), os.path.join(d, cert + ".key")).start()
            self.addCleanup(s.stop)
            self.sinks[ip] = s
        self.relay_ = self.routed_relay(
            [self.connector("by-mx", ["*"], route="mx", tls="opportunistic")],
            settings={"dns.servers": self.dns.server_spec(), "dns.timeout_ms": 1000,
                      "delivery.mx_port": port, "delivery.max_age_s": 600,
                      "mtasts.enabled": True, "mtasts.ca_file": os.path.join(d, "ca.pem"),
                      "mtasts.policy_port": policy_port},
            relay_allow=("127.0.0.0/8",))

    def test_enforce_mismatch_stays_queued(self):
        mid, qid, _ = self.submit(self.relay_, ["user@enforce.test"], "enforce")
        rows = self.relay_.wait_log(
            lambda r: r["kind"] == KIND_DELIVERY and r["queue_id"] == qid
            and any("MTA-STS" in str(v) for v in r.values()), 30, "MTA-STS deferral row")
        self.assertNotIn("delivered", self.results(self.relay_, qid), rows)
        self.assertEqual(self.sinks["127.0.0.6"].mail_commands, 0, "the mail must not reach the MX")
        self.assertIsNotNone(self.queue_row(self.relay_, qid), "the message stays queued")

    def test_testing_mismatch_delivers(self):
        mid, qid, _ = self.submit(self.relay_, ["user@testing.test"], "testing")
        self.wait_result(self.relay_, qid, "delivered")
        msgs = self.sinks["127.0.0.7"].messages
        self.assertEqual(len(msgs), 1)
        self.assertTrue(msgs[0][3], "delivered over TLS")

    def test_enforce_valid_certificate_delivers(self):
        mid, qid, _ = self.submit(self.relay_, ["user@good.test"], "good")
        self.wait_result(self.relay_, qid, "delivered")
        self.assertEqual(len(self.sinks["127.0.0.8"].messages), 1)
        self.assertTrue(self.sinks["127.0.0.8"].messages[0][3])


if __name__ == "__main__":
    unittest.main()

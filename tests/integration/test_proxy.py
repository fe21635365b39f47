#!/usr/bin/python3
"""PROXY protocol (issue #11) behind a real HAProxy in TCP mode, on loopback.

HAProxy (/usr/sbin/haproxy, Debian haproxy) listens on 127.0.0.1 and forwards to
RelayDesk with `send-proxy-v2` (and `send-proxy`, v1), connecting from 127.0.0.1; the
listener trusts PROXY headers from 127.0.0.1/32 only (`proxy_from`) and lets 127.0.0.5
relay (`relay_allow`). Clients connect from 127.0.0.5 and 127.0.0.6, so the relay list,
the logs and the Received header must show the client behind the balancer, not
the balancer. Also: an implicit-TLS listener behind the balancer, a direct client that
sends a PROXY header (refused), the balancer's address without a header (refused),
and HAProxy's own health checks (LOCAL).
"""

import os
import smtplib
import socket
import ssl
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

CLIENT_OK = "127.0.0.5"
CLIENT_NO = "127.0.0.6"


class Proxy(harness.RelayTestCase):
    def setUp(self):
        super().setUp()
        self.assertTrue(os.path.exists(harness.HAPROXY), "haproxy not installed: run scripts/deps.sh")
        self.sink_ = self.sink()
        base = self.tmpdir()
        self.relay_port, self.tls_port = harness.free_port(), harness.free_port()
        self.lb_v2, self.lb_v1, self.lb_tls = harness.free_port(), harness.free_port(), harness.free_port()
        rc = subprocess.run([harness.relay_binary(), "--data-dir", os.path.join(base, "data"),
                             "--generate-certificate", "relay-lb.example.test"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=harness.clean_env(), timeout=120)
        self.assertEqual(rc.returncode, 0, rc.stderr.decode())
        cert = rc.stdout.decode().strip()
        cfg = harness.default_config(self.relay_port, self.sink_.address, relay_allow=(CLIENT_OK + "/32",))
        cfg["listeners"][0]["proxy_from"] = ["127.0.0.1/32"]
        cfg["listeners"].append(
            {"name": "smtps", "address": "127.0.0.1", "port": self.tls_port, "relay_allow": [CLIENT_OK + "/32"],
             "relay_deny": [], "mode": "implicit_tls", "certificate": cert, "proxy_from": ["127.0.0.1/32"]})
        self.relay_ = harness.Relay(base, self.sink_.address, config=cfg)
        self._relays.append(self.relay_)
        self.relay_.start()
        self.haproxy = harness.start_haproxy(base, """global
    log stderr format raw local0 err
defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe_v2
    bind 127.0.0.1:%(v2)d
    default_backend be_v2
backend be_v2
    server relay 127.0.0.1:%(relay)d send-proxy-v2 source 127.0.0.1 check-send-proxy check inter 500
frontend fe_v1
    bind 127.0.0.1:%(v1)d
    default_backend be_v1
backend be_v1
    server relay 127.0.0.1:%(relay)d send-proxy source 127.0.0.1
frontend fe_tls
    bind 127.0.0.1:%(tls)d
    default_backend be_tls
backend be_tls
    server relay 127.0.0.1:%(tlsport)d send-proxy-v2 source 127.0.0.1
""" % {"v2": self.lb_v2, "v1": self.lb_v1, "tls": self.lb_tls, "relay": self.relay_port, "tlsport": self.tls_port})
        self.addCleanup(harness.stop_process, self.haproxy)
        for port in (self.lb_v2, self.lb_v1, self.lb_tls):
            harness.wait_until(lambda p=port: harness.can_connect(p), 10, 0.05, "haproxy on %d" % port)

    def send(self, port, source, subject, rcpt="x@example.org"):
        msg, _ = harness.make_message(subject=subject, to=(rcpt,))
        return harness.send_smtp(port, "app@example.test", [rcpt], msg, source_ip=source)

    def arrived(self, subject):
        return [m for m in self.sink_.messages() if m.header("Subject") == subject]

    def closed_rows(self):
        return [r for r in self.relay_.log_rows() if r.get("result") == "closed"]

    def test_1_v2_client_behind_balancer_is_the_one_checked_and_logged(self):
        res = self.send(self.lb_v2, CLIENT_OK, "lb-v2-ok")
        self.assertTrue(res.accepted, res)
        res = self.send(self.lb_v2, CLIENT_NO, "lb-v2-no")
        self.assertFalse(res.accepted)  # the balancer may relay, the client behind it may not
        self.sink_.wait_for(1, timeout=30)
        time.sleep(0.3)
        self.assertEqual(self.arrived("lb-v2-no"), [])
        m = self.arrived("lb-v2-ok")[0]
        self.assertIn("[%s]" % CLIENT_OK, m.header("Received"))
        rows = harness.wait_until(lambda: [r for r in self.closed_rows() if r.get("client_ip") == CLIENT_OK] or None,
                                  10, 0.1, "closed row for the real client")
        self.assertIn("via=127.0.0.1", rows[-1]["message"])
        self.assertTrue(any(r.get("client_ip") == CLIENT_NO and r.get("reply_code") == 554
                            for r in self.relay_.log_rows()))

    def test_2_v1_header(self):
        res = self.send(self.lb_v1, CLIENT_OK, "lb-v1-ok")
        self.assertTrue(res.accepted, res)
        self.sink_.wait_for(1, timeout=30)
        self.assertIn("[%s]" % CLIENT_OK, self.arrived("lb-v1-ok")[0].header("Received"))

    def test_3_implicit_tls_after_the_header(self):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        msg, _ = harness.make_message(subject="lb-tls-ok", to=("x@example.org",))
        with smtplib.SMTP_SSL("127.0.0.1", self.lb_tls, context=ctx, source_address=(CLIENT_OK, 0),
                              timeout=30) as s:
            s.sendmail("app@example.test", ["x@example.org"], msg)
        self.sink_.wait_for(1, timeout=30)
        self.assertIn("[%s]" % CLIENT_OK, self.arrived("lb-tls-ok")[0].header("Received"))

    def test_4_header_from_anyone_else_is_refused(self):
        # A direct client (not a balancer) that sends a PROXY line claiming another address.
        with socket.create_connection(("127.0.0.1", self.relay_port), timeout=10,
                                      source_address=(CLIENT_NO, 0)) as s:
            banner = s.recv(512)
            self.assertTrue(banner.startswith(b"220"), banner)
            s.sendall(b"PROXY TCP4 %s 127.0.0.1 40000 25\r\n" % CLIENT_OK.encode())
            reply = s.recv(512)
            self.assertTrue(reply.startswith(b"554 5.7.1"), reply)
            self.assertEqual(s.recv(512), b"")  # closed
        # The same client without a header is an ordinary (non-relaying) client.
        res = self.send(self.relay_port, CLIENT_NO, "direct-no")
        self.assertFalse(res.accepted)
        res = self.send(self.relay_port, CLIENT_OK, "direct-ok")
        self.assertTrue(res.accepted, res)

    def test_5_balancer_address_without_header_is_refused(self):
        with socket.create_connection(("127.0.0.1", self.relay_port), timeout=10,
                                      source_address=("127.0.0.1", 0)) as s:
            s.sendall(b"EHLO sneaky.example\r\n")
            try:
                got = s.recv(512)
            except ConnectionResetError:
                got = b""
            self.assertEqual(got, b"")  # no greeting: the connection is dropped (FIN or reset)
        row = self.relay_.wait_log(lambda r: r.get("rule") == "proxy_protocol", 10)[-1]
        self.assertIn("did not send a PROXY header", row["message"])
        time.sleep(0.3)
        self.assertEqual(self.sink_.messages(), [])

    def test_6_health_checks_are_served(self):
        # HAProxy's checks (check-send-proxy: a v2 LOCAL header, then a TCP connect) keep
        # the server up: traffic still flows, and the relay logged no header errors.
        time.sleep(1.2)
        res = self.send(self.lb_v2, CLIENT_OK, "lb-after-checks")
        self.assertTrue(res.accepted, res)
        self.assertFalse([r for r in self.relay_.log_rows() if r.get("rule") == "proxy_protocol"])


if __name__ == "__main__":
    unittest.main(verbosity=2)

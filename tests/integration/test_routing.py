#!/usr/bin/python3
"""Outbound routing: send connectors per domain, smart-host failover, MX routing
through a real DNS server (NSD), bounces and delay warnings (RFC 3464 DSNs parsed
with Python's email package), a smart host that rejects some recipients (a second
RelayDesk), one that drops the connection at the end of data, and a relay chain
to a second RelayDesk over STARTTLS + AUTH with and without certificate checks.

Every peer runs on 127.0.0.0/8: smtp-sink on 127.0.0.x, NSD on 127.0.0.1, the
second RelayDesk on 127.0.0.1.
"""

import email
import email.policy
import json
import os
import shutil
import smtplib
import socket
import subprocess
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from dnsserver import DnsServer  # noqa: E402
from harness import KIND_DELIVERY, KIND_RECEIVE  # noqa: E402

SENDER_DOMAIN = "sender.example"
CHAIN_USER = "relay-a"
CHAIN_PASSWORD = "chain horse battery staple 7"


class RoutingCase(harness.RelayTestCase):
    """Helpers shared by the routing tests."""

    # ---- peers

    def sink_at(self, host, port=None, options=()):
        """smtp-sink on host:port (host any 127.0.0.x); cleaned up with the test."""
        s = harness.Sink(port=port, options=options, host=host)
        self._sinks.append(s)
        return s.start()

    @staticmethod
    def connector(name, domains, hosts=(), route="smarthost", **extra):
        c = {"name": name, "domains": list(domains), "route": route, "smart_hosts": list(hosts),
             "tls": "none", "connect_timeout_s": 2, "command_timeout_s": 10}
        c.update(extra)
        return c

    def routed_relay(self, connectors, settings=None, accepted_domains=(), relay_allow=("127.0.0.1/32",),
                     start=True):
        """A relay whose routes are `connectors` (no delivery.smarthost), retrying every second."""
        cfg = harness.default_config(harness.free_port(), "", retry_schedule="1", settings=settings,
                                     relay_allow=relay_allow, accepted_domains=accepted_domains)
        cfg["send_connectors"] = list(connectors)
        r = harness.Relay(self.tmpdir(), "", config=cfg)
        self._relays.append(r)
        return r.start() if start else r

    # ---- messages

    def submit(self, relay, rcpts, tag, sender=None):
        """One message into relay; returns (message_id, queue_id, sender)."""
        sender = sender or "%s-%s@%s" % (tag, uuid.uuid4().hex[:8], SENDER_DOMAIN)
        msg, mid = harness.make_message(tag, "routing test %s\n" % tag, sender=sender, to=rcpts)
        res = harness.send_smtp(relay.port, sender, list(rcpts), msg)
        self.assertTrue(res.accepted, res)
        qid = res.queue_id
        if not qid:
            qid = relay.wait_log(lambda r: r["kind"] == KIND_RECEIVE and r["sender"] == sender
                                 and r["queue_id"], 20, "receive row")[0]["queue_id"]
        return mid, qid, sender

    @staticmethod
    def with_mid(sink, mid):
        return [m for m in sink.messages() if m.message_id == mid]

    def wait_mid(self, sink, mid, timeout=30):
        return harness.wait_until(lambda: self.with_mid(sink, mid), timeout, 0.1,
                                  "%s at smtp-sink %s" % (mid, sink.address))

    # ---- relay state

    @staticmethod
    def delivery_rows(relay, qid):
        return [r for r in relay.log_rows(KIND_DELIVERY) if r["queue_id"] == qid]

    def results(self, relay, qid):
        return [r["result"] for r in self.delivery_rows(relay, qid)]

    def wait_result(self, relay, qid, result, timeout=30):
        return relay.wait_log(lambda r: r["kind"] == KIND_DELIVERY and r["queue_id"] == qid
                              and r["result"] == result, timeout, "%s row for %s" % (result, qid))

    @staticmethod
    def queue_row(relay, qid):
        rows = [r for r in relay.queue_rows() if r.get("queue_id") == qid]
        return rows[0] if rows else None

    def wait_queue_empty(self, relay, timeout=20):
        harness.wait_until(lambda: not relay.queue_rows(), timeout, 0.2,
                           "empty queue (left: %r)" % [(r.get("queue_id"), r["state_name"])
                                                       for r in relay.queue_rows()])

    # ---- DSNs

    def dsns_for(self, sink, original_mid):
        """Messages from <> at sink whose returned part names original_mid."""
        return [m for m in sink.messages() if m.sender == "" and original_mid.encode() in m.raw]

    def wait_dsn(self, sink, original_mid, timeout=30):
        return harness.wait_until(lambda: self.dsns_for(sink, original_mid), timeout, 0.1,
                                  "DSN for %s at smtp-sink %s" % (original_mid, sink.address))[0]

    def parse_dsn(self, sink_msg, original_mid):
        """Checks the RFC 3464 structure; returns {final recipient: per-recipient fields}."""
        self.assertEqual(sink_msg.sender, "", "a DSN's envelope sender must be <>")
        msg = email.message_from_bytes(sink_msg.raw, policy=email.policy.default)
        self.assertEqual(msg.get_content_type(), "multipart/report", sink_msg.raw[:600])
        self.assertEqual(msg.get_param("report-type"), "delivery-status")
        parts = list(msg.iter_parts())
        self.assertGreaterEqual(len(parts), 3, [p.get_content_type() for p in parts])
        self.assertEqual(parts[0].get_content_type(), "text/plain")
        self.assertEqual(parts[1].get_content_type(), "message/delivery-status")
        blocks = parts[1].get_payload()
        self.assertGreaterEqual(len(blocks), 2, "no per-recipient block")
        self.assertTrue(blocks[0]["Reporting-MTA"], "no Reporting-MTA")
        per_rcpt = {}
        for b in blocks[1:]:
            kind, _, addr = str(b["Final-Recipient"]).partition(";")
            self.assertEqual(kind.strip().lower(), "rfc822")
            per_rcpt[addr.strip()] = b
        self.assertIn(parts[2].get_content_type(),
                      ("text/rfc822-headers", "message/rfc822", "message/global-headers", "message/global"))
        third = parts[2].as_bytes(policy=email.policy.default)
        self.assertIn(("Message-ID: %s" % original_mid).encode(), third,
                      "the returned part lacks the original Message-ID")
        return per_rcpt


class ConnectorRouting(RoutingCase):

    def test_per_domain_connectors(self):
        a, b, c = self.sink(), self.sink(), self.sink()
        relay = self.routed_relay([
            self.connector("a", ["a.example"], [a.address]),
            self.connector("b-subdomains", ["*.b.example"], [b.address]),
            self.connector("rest", ["*"], [c.address]),
        ])
        rcpts = ["u1@a.example", "u2@x.b.example", "u3@b.example", "u4@c.example"]
        mid, qid, _ = self.submit(relay, rcpts, "domains")
        self.wait_queue_empty(relay)
        time.sleep(1)  # a duplicate would show up by now
        got = {name: self.with_mid(s, mid) for name, s in (("A", a), ("B", b), ("C", c))}
        self.assertEqual({k: len(v) for k, v in got.items()}, {"A": 1, "B": 1, "C": 1})
        self.assertEqual(got["A"][0].recipients, ["u1@a.example"])
        self.assertEqual(got["B"][0].recipients, ["u2@x.b.example"])
        # "*.b.example" is for subdomains only: b.example itself takes the "*" route.
        self.assertEqual(sorted(got["C"][0].recipients), ["u3@b.example", "u4@c.example"])
        self.assertEqual(sorted(self.results(relay, qid)), ["delivered"] * 3)

    def test_smarthost_failover_within_one_attempt(self):
        dead = harness.free_port()  # nothing listens there
        live = self.sink()
        relay = self.routed_relay([self.connector("failover", ["*"], ["127.0.0.1:%d" % dead, live.address])])
        mid, qid, _ = self.submit(relay, ["someone@failover.example"], "failover")
        m = self.wait_mid(live, mid)[0]
        self.assertEqual(m.recipients, ["someone@failover.example"])
        self.wait_queue_empty(relay)
        self.assertEqual(self.results(relay, qid), ["delivered"],
                         "the dead first smart host must not cost a deferral")
        self.assertEqual(self.queue_row(relay, qid), None)


class MxRouting(RoutingCase):
    """Route "mx" for every domain; NSD serves the zones; delivery.mx_port is a high port
    on which sinks listen at 127.0.0.3 (mx2), .4 (implicit MX) and .5 (the sender's MX)."""

    SINK_HOSTS = ("127.0.0.3", "127.0.0.4", "127.0.0.5")

    def mx_port(self):
        """A port free on every sink address, with nothing on 127.0.0.2 (mx1)."""
        for _ in range(50):
            port = harness.free_port("127.0.0.3")
            try:
                for host in self.SINK_HOSTS[1:] + ("127.0.0.2",):
                    with socket.socket() as s:
                        s.bind((host, port))
            except OSError:
                continue
            if not harness.port_listening(port, "127.0.0.2"):
                return port
        self.fail("no port free on 127.0.0.2-5")

    def setUp(self):
        super().setUp()
        self.dns = DnsServer({
            "mx.example": ["@ MX 10 mx1", "@ MX 20 mx2", "mx1 A 127.0.0.2", "mx2 A 127.0.0.3"],
            "implicit.example": ["@ A 127.0.0.4"],
            "nullmx.example": ["@ MX 0 ."],
            "nx.example": ["@ A 127.0.0.9"],  # nope.nx.example: authoritative NXDOMAIN
            SENDER_DOMAIN: ["@ MX 10 mx", "mx A 127.0.0.5"],
            # client names: .20 is forward-confirmed, .21's PTR name points elsewhere
            "fcrdns.example": ["client A 127.0.0.20", "liar A 127.0.0.99"],
            "0.0.127.in-addr.arpa": ["20 PTR client.fcrdns.example.", "21 PTR liar.fcrdns.example."],
        }).start()
        self.addCleanup(self.dns.stop)
        port = self.mx_port()
        self.mx2, self.implicit, self.sender_mx = (self.sink_at(h, port) for h in self.SINK_HOSTS)
        self.relay_ = self.routed_relay(
            [self.connector("by-mx", ["*"], route="mx")],
            settings={"dns.servers": self.dns.server_spec(), "dns.timeout_ms": 1000,
                      "delivery.mx_port": port, "delivery.max_age_s": 600},
            relay_allow=("127.0.0.0/8",))

    def received_from(self, source_ip, tag):
        """Sends from source_ip (after the reverse lookup had time); our Received line."""
        sender = "%s-%s@%s" % (tag, uuid.uuid4().hex[:8], SENDER_DOMAIN)
        msg, mid = harness.make_message(tag, "client name\n", sender=sender, to=["user@implicit.example"])
        conn = smtplib.SMTP("127.0.0.1", self.relay_.port, timeout=30, source_address=(source_ip, 0))
        try:
            time.sleep(0.5)  # the PTR and forward lookups run while the client is connected
            conn.ehlo("client-helo.example")
            conn.sendmail(sender, ["user@implicit.example"], msg)
        finally:
            conn.quit()
        m = self.wait_mid(self.implicit, mid)[0]
        return m.raw.split(b"\r\n\t", 1)[0].decode() if b"\r\n" in m.raw else m.raw.split(b"\n", 1)[0].decode()

    def test_client_name_is_forward_confirmed(self):
        """Received names the client by its PTR only when that name resolves back to it."""
        line = self.received_from("127.0.0.20", "fcrdns")
        self.assertIn("from client-helo.example (client.fcrdns.example [127.0.0.20])", line)
        line = self.received_from("127.0.0.21", "liar")
        self.assertIn("from client-helo.example (unknown [127.0.0.21])", line)

    def test_mx_preference_with_failover_to_second_mx(self):
        mid, qid, _ = self.submit(self.relay_, ["user@mx.example"], "mx")
        m = self.wait_mid(self.mx2, mid)[0]
        self.assertEqual(m.recipients, ["user@mx.example"])
        self.wait_queue_empty(self.relay_)
        rows = self.delivery_rows(self.relay_, qid)
        self.assertEqual([r["result"] for r in rows], ["delivered"], rows)
        self.assertEqual(rows[0]["client_ip"], "127.0.0.3")

    def test_implicit_mx(self):
        mid, qid, _ = self.submit(self.relay_, ["user@implicit.example"], "implicit")
        self.wait_mid(self.implicit, mid)
        self.wait_queue_empty(self.relay_)
        self.assertEqual(self.results(self.relay_, qid), ["delivered"])

    def assert_bounced(self, rcpt, status, code, tag):
        mid, qid, sender = self.submit(self.relay_, [rcpt], tag)
        failed = self.wait_result(self.relay_, qid, "failed")[0]
        self.assertEqual(failed["reply_code"], code, failed)
        queued = self.wait_result(self.relay_, qid, "bounce_queued")[0]
        self.assertRegex(queued["message"], r"^bounce queued as \S+$")
        dsn_msg = self.wait_dsn(self.sender_mx, mid)
        self.assertEqual(dsn_msg.recipients, [sender])
        per_rcpt = self.parse_dsn(dsn_msg, mid)
        self.assertEqual(list(per_rcpt), [rcpt])
        block = per_rcpt[rcpt]
        self.assertEqual(str(block["Action"]), "failed")
        self.assertEqual(str(block["Status"]), status)
        self.wait_queue_empty(self.relay_)
        time.sleep(2)  # retry_schedule "1": a wrongly kept message would be tried again
        self.assertEqual(self.results(self.relay_, qid), ["failed", "bounce_queued"])
        self.assertEqual(len(self.dsns_for(self.sender_mx, mid)), 1)
        return block

    def test_null_mx_bounces_at_once(self):
        self.assert_bounced("user@nullmx.example", "5.1.10", 556, "nullmx")

    def test_nxdomain_bounces(self):
        self.assert_bounced("user@nope.nx.example", "5.1.2", 550, "nxdomain")


class PartialRejection(RoutingCase):

    def test_smarthost_rejects_one_recipient_accepts_other(self):
        final = self.sink()  # relay B's smart host
        sender_sink = self.sink()
        # Relay B relays for nobody; it takes mail only for its accepted domain.
        b = self.relay(final.address, relay_allow=(), accepted_domains=("ok.example",), retry_schedule="1")
        relay = self.routed_relay([
            self.connector("to-b", ["ok.example", "other.example"], ["127.0.0.1:%d" % b.port]),
            self.connector("rest", ["*"], [sender_sink.address]),
        ])
        mid, qid, sender = self.submit(relay, ["good@ok.example", "bad@other.example"], "partial")
        m = self.wait_mid(final, mid)[0]
        self.assertEqual(m.recipients, ["good@ok.example"])
        dsn_msg = self.wait_dsn(sender_sink, mid)
        self.assertEqual(dsn_msg.recipients, [sender])
        per_rcpt = self.parse_dsn(dsn_msg, mid)
        self.assertEqual(list(per_rcpt), ["bad@other.example"])
        self.assertEqual(str(per_rcpt["bad@other.example"]["Action"]), "failed")
        self.assertEqual(str(per_rcpt["bad@other.example"]["Status"]), "5.7.1")
        self.assertIn("554", str(per_rcpt["bad@other.example"]["Diagnostic-Code"]))
        self.wait_queue_empty(relay)
        self.wait_queue_empty(b)
        rows = self.delivery_rows(relay, qid)
        by_result = {r["result"]: r for r in rows}
        self.assertEqual(sorted(by_result), ["bounce_queued", "delivered", "failed"], rows)
        self.assertEqual(by_result["delivered"]["recipients"], "good@ok.example")
        self.assertEqual(by_result["failed"]["recipients"], "bad@other.example")
        self.assertEqual(by_result["failed"]["reply_code"], 554)
        self.assertEqual(len(self.with_mid(final, mid)), 1)


class LostConnection(RoutingCase):

    def test_connection_dropped_at_end_of_data_defers_then_delivers(self):
        port = harness.free_port()
        dropper = self.sink(port=port, options=["-q", "."])  # hangs up after the final "."
        relay = self.routed_relay([self.connector("flaky", ["*"], ["127.0.0.1:%d" % port])])
        mid, qid, _ = self.submit(relay, ["user@flaky.example"], "dropped")
        deferred = self.wait_result(relay, qid, "deferred")[0]
        dropper.stop()
        harness.log("deferred: %s" % deferred["message"])
        self.assertIn("lost connection", deferred["message"])
        self.assertIn("end of data", deferred["message"])
        self.assertNotIn("delivered", self.results(relay, qid))
        row = self.queue_row(relay, qid)
        self.assertIsNotNone(row, "a message deferred at end of data must stay queued")
        partial = self.with_mid(dropper, mid)
        harness.log("dumps left by the -q . sink (never answered): %d" % len(partial))

        sink = self.sink(port=port)
        self.wait_mid(sink, mid)
        self.wait_result(relay, qid, "delivered")
        self.wait_queue_empty(relay)
        time.sleep(2)
        self.assertEqual(len(self.with_mid(sink, mid)), 1, "delivered more than once by the good sink")
        self.assertNotIn("failed", self.results(relay, qid))


class DelayWarning(RoutingCase):

    def test_delay_warning_sent_once(self):
        soft = self.sink(options=["-r", "RCPT"])  # 4xx for every recipient
        sender_sink = self.sink()
        relay = self.routed_relay(
            [self.connector("slow", ["slow.example"], [soft.address]),
             self.connector("rest", ["*"], [sender_sink.address])],
            settings={"delivery.delay_warning_s": 1, "delivery.max_age_s": 600})
        mid, qid, sender = self.submit(relay, ["user@slow.example"], "delay")
        self.wait_result(relay, qid, "delay_warning", timeout=20)
        dsn_msg = self.wait_dsn(sender_sink, mid)
        self.assertEqual(dsn_msg.recipients, [sender])
        per_rcpt = self.parse_dsn(dsn_msg, mid)
        self.assertEqual(list(per_rcpt), ["user@slow.example"])
        block = per_rcpt["user@slow.example"]
        self.assertEqual(str(block["Action"]), "delayed")
        self.assertRegex(str(block["Status"]), r"^4\.\d{1,3}\.\d{1,3}$")
        self.assertTrue(block["Will-Retry-Until"], "a delay DSN should say until when we retry")
        # Several more retries (schedule "1"): still one warning.
        before = self.results(relay, qid).count("deferred")
        harness.wait_until(lambda: self.results(relay, qid).count("deferred") >= before + 3, 20, 0.2,
                           "three more deferred attempts")
        time.sleep(1)
        self.assertEqual(len(self.dsns_for(sender_sink, mid)), 1, "delay warning sent more than once")
        self.assertEqual(self.results(relay, qid).count("delay_warning"), 1)
        self.assertNotIn("bounce_queued", self.results(relay, qid))
        row = self.queue_row(relay, qid)
        self.assertIsNotNone(row, "the delayed message must stay queued")
        self.assertEqual(self.with_mid(soft, mid), [])


class RelayChain(RoutingCase):
    """Relay A -> relay B (a second RelayDesk: STARTTLS required, AUTH, own certificates)
    -> smtp-sink. B has two submission listeners: one with a self-signed certificate for
    "localhost" (SAN DNS:localhost), one for "127.0.0.1" (SAN IP:127.0.0.1)."""

    def admin(self, data_dir, args, stdin=b""):
        proc = subprocess.run([harness.relay_binary(), "--data-dir", data_dir] + args, input=stdin,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=harness.clean_env(),
                              timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        return proc.stdout.decode().strip()

    def setUp(self):
        super().setUp()
        self.final = self.sink()
        base = self.tmpdir()
        data = os.path.join(base, "data")
        self.ca_files = {}
        certs = {}
        for name in ("localhost", "127.0.0.1"):
            certs[name] = self.admin(data, ["--generate-certificate", name])
            # No command exports a certificate: copy the stored PEM (leaf + chain, no key).
            self.ca_files[name] = os.path.join(base, "ca-%s.pem" % name)
            shutil.copyfile(os.path.join(data, "tls", certs[name] + ".crt.pem"), self.ca_files[name])
        self.admin(data, ["--add-user", CHAIN_USER], (CHAIN_PASSWORD + "\n").encode())
        self.sub_port = {"localhost": harness.free_port(), "127.0.0.1": harness.free_port()}
        cfg = harness.default_config(harness.free_port(), self.final.address, relay_allow=(), retry_schedule="1")
        for name, port in self.sub_port.items():
            cfg["listeners"].append({"name": "submission-" + name, "address": "127.0.0.1", "port": port,
                                     "relay_allow": [], "relay_deny": [], "mode": "starttls_required",
                                     "role": "submission", "certificate": certs[name]})
        self.b = harness.Relay(base, self.final.address, config=cfg)
        self._relays.append(self.b)
        self.b.start()

    def relay_a(self, host, tls, password=CHAIN_PASSWORD, ca_file=None):
        """Relay A with one "*" connector to B's submission port `host` ("localhost"/"127.0.0.1")."""
        port = self.sub_port[host if host in self.sub_port else "localhost"]
        c = self.connector("to-b", ["*"], ["%s:%d" % (host, port)], tls=tls, auth_user=CHAIN_USER,
                           auth_password=password)
        if ca_file:
            c["ca_file"] = ca_file
        return self.routed_relay([c])

    def assert_chain_delivered(self, relay):
        mid, qid, _ = self.submit(relay, ["far@chain.example"], "chain")
        m = self.wait_mid(self.final, mid)[0]
        self.assertEqual(m.recipients, ["far@chain.example"])
        first, _rest = harness.split_first_header(m.raw)
        received = first.decode("utf-8", "replace")
        self.assertIn("by %s" % self.b.hostname, received)
        self.assertIn("with ESMTPSA", received, "B did not see an authenticated TLS session")
        self.assertRegex(received, r"using TLSv1\.[23] with cipher")
        rows = self.wait_result(relay, qid, "delivered")
        self.assertRegex(rows[0]["tls_version"], r"^TLSv1\.[23]$")
        accepted = self.b.wait_log(lambda r: r["result"] == "accepted" and r["user"], 10, "B's accepted row")
        self.assertEqual(accepted[-1]["user"], CHAIN_USER)
        self.wait_queue_empty(relay)
        self.wait_queue_empty(self.b)
        return m

    def assert_chain_deferred(self, relay, expect_text):
        mid, qid, _ = self.submit(relay, ["far@chain.example"], "chain")
        rows = self.wait_result(relay, qid, "deferred")
        harness.log("deferred: %s" % rows[0]["message"])
        self.assertIn(expect_text, rows[0]["message"])
        harness.wait_until(lambda: self.results(relay, qid).count("deferred") >= 2, 15, 0.2,
                           "a second deferred attempt")
        self.assertEqual(self.with_mid(self.final, mid), [])
        results = self.results(relay, qid)
        self.assertNotIn("failed", results, "a connector problem must not bounce the mail")
        self.assertNotIn("bounce_queued", results)
        self.assertIsNotNone(self.queue_row(relay, qid), "the message must stay queued")
        return rows[0]

    def test_required_tls_and_auth_delivers(self):
        self.assert_chain_delivered(self.relay_a("127.0.0.1", "required"))

    def test_wrong_password_defers_and_keeps_the_message(self):
        relay = self.relay_a("127.0.0.1", "required", password="wrong-password-xyz")
        row = self.assert_chain_deferred(relay, "535")
        self.assertIn("AUTH", row["message"])
        self.assertNotIn("wrong-password-xyz", json.dumps(relay.log_rows()))
        self.assertNotIn("wrong-password-xyz", relay.stderr_text())

    def test_verify_without_trusted_ca_defers(self):
        self.assert_chain_deferred(self.relay_a("localhost", "verify"), "not trusted")

    def test_verify_with_ca_file_delivers(self):
        self.assert_chain_delivered(self.relay_a("localhost", "verify", ca_file=self.ca_files["localhost"]))

    def test_verify_with_ip_address_certificate_delivers(self):
        self.assert_chain_delivered(self.relay_a("127.0.0.1", "verify", ca_file=self.ca_files["127.0.0.1"]))

    def test_verify_name_mismatch_defers(self):
        # The "localhost" certificate, reached as 127.0.0.1: trusted issuer, wrong name.
        port = self.sub_port["localhost"]
        c = self.connector("to-b", ["*"], ["127.0.0.1:%d" % port], tls="verify", auth_user=CHAIN_USER,
                           auth_password=CHAIN_PASSWORD, ca_file=self.ca_files["localhost"])
        row = self.assert_chain_deferred(self.routed_relay([c]), "not trusted")
        self.assertRegex(row["message"], r"(?i)host ?name")


if __name__ == "__main__":
    unittest.main(verbosity=2)

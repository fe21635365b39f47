#!/usr/bin/python3
"""DNSBL, greylisting, content rules and session transcripts against the real relay (issue #6).

A real DNS server (NSD on loopback) serves the test block list; messages are built with
Python's `email` package (nested multiparts, RFC 2231 file names); clients bind to
127.0.0.x source addresses so that relay rights and listings differ per client."""

import base64
import os
import sys
import time
import unittest
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from dnsserver import DnsServer  # noqa: E402

INBOUND = "inbound.test"
QUEUE_HELD = "held"


def mime_message(subject, body, attachments=(), nested=None, sender="someone@example.org"):
    m = EmailMessage()
    m["From"] = sender
    m["To"] = "u@" + INBOUND
    m["Subject"] = subject
    m["Message-ID"] = "<%s@example.org>" % abs(hash((subject, body, time.time())))
    m.set_content(body)
    for name, data in attachments:
        m.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    if nested is not None:
        m.add_attachment(nested)  # message/rfc822
    return m.as_bytes().replace(b"\n", b"\r\n")


class Filtering(harness.RelayTestCase):
    def start_relay(self, sink, dns=None, settings=None, **cfg_extra):
        s = {"dns.servers": dns.server_spec()} if dns else {}
        s.update(settings or {})
        cfg = harness.default_config(harness.free_port(), sink.address, accepted_domains=[INBOUND],
                                     relay_allow=("127.0.0.1/32",), settings=s)
        cfg.update(cfg_extra)
        relay = harness.Relay(self.tmpdir(), sink.address, config=cfg)
        self._relays.append(relay)
        relay.start()
        return relay

    def test_dnsbl_rejects_listed_clients_only(self):
        sink = self.sink()
        dns = DnsServer({"bl.test": ["2.0.0.127 A 127.0.0.2", "2.0.0.127 TXT \"listed for testing\"",
                                     "1.0.0.127 A 127.0.0.2",
                                     "4.0.0.127 A 127.255.255.254"]}).start()
        self.addCleanup(dns.stop)
        relay = self.start_relay(sink, dns, {"dnsbl.check_clients": True},
                                 dnsbl_zones=[{"zone": "bl.test", "codes": "127.0.0.2=test spam source",
                                               "enabled": True}])
        msg, _ = harness.make_message("dnsbl")
        listed = harness.send_smtp(relay.port, "x@example.org", ["u@" + INBOUND], msg, source_ip="127.0.0.2")
        self.assertEqual(listed.mail[0], 250)
        self.assertEqual(listed.rcpts[0][1], 554, listed)
        self.assertIn("5.7.1", listed.rcpts[0][2])
        self.assertIn("blocked using bl.test", listed.rcpts[0][2])
        self.assertIn("test spam source", listed.rcpts[0][2])
        # Not listed; and a "query refused" answer (127.255.255.254) is an error, never a listing.
        for ip in ("127.0.0.3", "127.0.0.4"):
            self.assertTrue(harness.send_smtp(relay.port, "x@example.org", ["u@" + INBOUND], msg,
                                              source_ip=ip).accepted, ip)
        # 127.0.0.1 is listed too, but it is on the relay list: never checked.
        self.assertTrue(harness.send_smtp(relay.port, "x@example.org", ["u@" + INBOUND], msg).accepted)
        rows = relay.wait_log(lambda r: r["rule"] == "dnsbl bl.test", 20, "dnsbl refusal row")
        self.assertEqual(rows[0]["client_ip"], "127.0.0.2")
        relay.wait_log(lambda r: "127.255.255.254" in (r["message"] or ""), 20, "dnsbl error row")
        sink.wait_for(3, timeout=30)

    def test_greylisting(self):
        sink = self.sink()
        relay = self.start_relay(sink, settings={"greylist.enabled": True, "greylist.delay_s": 2})
        msg, _ = harness.make_message("greylist")
        first = harness.send_smtp(relay.port, "news@example.org", ["u@" + INBOUND], msg, source_ip="127.0.0.5")
        self.assertEqual(first.rcpts[0][1], 450, first)
        self.assertIn("4.7.1 Greylisted", first.rcpts[0][2])
        early = harness.send_smtp(relay.port, "news@example.org", ["u@" + INBOUND], msg, source_ip="127.0.0.5")
        self.assertEqual(early.rcpts[0][1], 450)
        time.sleep(2.5)
        retry = harness.send_smtp(relay.port, "news@example.org", ["u@" + INBOUND], msg, source_ip="127.0.0.6")
        self.assertTrue(retry.accepted, retry)  # same /24, same sender and recipient
        # The sender's domain retried once from this network: new recipients pass at once.
        other = harness.send_smtp(relay.port, "info@example.org", ["v@" + INBOUND], msg, source_ip="127.0.0.5")
        self.assertTrue(other.accepted, other)
        # Relay-listed clients are never greylisted.
        self.assertTrue(harness.send_smtp(relay.port, "x@elsewhere.org", ["w@" + INBOUND], msg).accepted)
        # Triplets are kept across a restart.
        relay.stop()
        relay.start(import_config=False)
        again = harness.send_smtp(relay.port, "news@example.org", ["u@" + INBOUND], msg, source_ip="127.0.0.5")
        self.assertTrue(again.accepted, again)

    def test_content_rules(self):
        sink = self.sink()
        rules = [
            {"name": "no-executables", "target": "attachment", "match": "extension", "pattern": "exe,js,vbs",
             "action": "reject"},
            {"name": "review", "target": "header", "field": "Subject", "match": "contains", "pattern": "[hold]",
             "action": "hold"},
            {"name": "flag-confidential", "target": "body", "match": "regex", "pattern": "confidential\\b",
             "action": "add_header", "action_arg": "X-Flag: confidential"},
            {"name": "blocked-domain", "target": "recipient", "match": "domain", "pattern": "blocked.test",
             "action": "reject"},
            {"name": "blocked-sender", "target": "sender", "match": "address", "pattern": "spam@example.org",
             "action": "reject"},
        ]
        relay = self.start_relay(sink, content_rules=rules)
        rcpt = ["u@" + INBOUND]

        exe = mime_message("invoice", "see attached", [("invoice.pdf.exe", b"MZ\x90\x00")])
        r = harness.send_smtp(relay.port, "a@example.org", rcpt, exe, source_ip="127.0.0.7")
        self.assertEqual(r.data[0], 550, r)
        self.assertIn("5.7.1 Message rejected", r.data[1])
        self.assertIn("no-executables", r.data[1])

        # An RFC 2231-encoded non-ASCII name inside an attached message is found too.
        inner = EmailMessage()
        inner["Subject"] = "inner"
        inner.set_content("inner")
        inner.add_attachment(b"x", maintype="application", subtype="octet-stream", filename="r\u00e9sum\u00e9.js")
        nested = mime_message("forwarded", "fwd", nested=inner)
        r = harness.send_smtp(relay.port, "a@example.org", rcpt, nested, source_ip="127.0.0.7")
        self.assertEqual(r.data[0], 550, r)

        held = mime_message("please [hold] this", "body")
        self.assertTrue(harness.send_smtp(relay.port, "a@example.org", rcpt, held, source_ip="127.0.0.7").accepted)
        flagged = mime_message("report", "This is confidential material.")
        self.assertTrue(harness.send_smtp(relay.port, "a@example.org", rcpt, flagged, source_ip="127.0.0.7").accepted)
        clean = mime_message("hello", "nothing to see", [("photo.jpg", b"\xff\xd8")])
        self.assertTrue(harness.send_smtp(relay.port, "a@example.org", rcpt, clean, source_ip="127.0.0.7").accepted)

        r = harness.send_smtp(relay.port, "a@example.org", ["x@blocked.test"], clean)
        self.assertEqual(r.rcpts[0][1], 550, r)
        self.assertIn("Recipient address rejected", r.rcpts[0][2])
        r = harness.send_smtp(relay.port, "spam@example.org", rcpt, clean, source_ip="127.0.0.7")
        self.assertEqual(r.mail[0], 550, r)
        self.assertIn("Sender address rejected", r.mail[1])

        sink.wait_for(2, timeout=30)
        time.sleep(1)
        got = {m.header("Subject"): m for m in sink.messages()}
        self.assertEqual(sorted(got), ["hello", "report"])
        self.assertEqual(got["report"].header("X-Flag"), "confidential")
        self.assertIsNone(got["hello"].header("X-Flag"))
        states = [r["state_name"] for r in relay.queue_rows()]
        self.assertEqual(states, [QUEUE_HELD], relay.queue_rows())
        relay.wait_log(lambda r: r["rule"] == "no-executables" and r["reply_code"] == 550, 20, "content refusal")
        relay.wait_log(lambda r: "held by rule \"review\"" in (r["message"] or ""), 20, "hold note")

    def test_transcript_is_kept_with_auth_redacted(self):
        sink = self.sink()
        relay = self.start_relay(sink)
        conn = harness.smtplib.SMTP(harness.LOOPBACK, relay.port, timeout=30)
        conn.ehlo("transcript.example.test")
        secret = base64.b64encode(b"\0nobody\0hunter2").decode()
        code, _ = conn.docmd("AUTH", "PLAIN " + secret)  # refused (no AUTH without TLS here), still recorded
        self.assertGreaterEqual(code, 500)
        msg, _ = harness.make_message("transcript", "the body text stays out of the transcript\n")
        self.assertTrue(harness.smtp_transaction(conn, "a@example.test", ["b@example.net"], msg).accepted)
        conn.quit()

        def transcript():
            rows = relay._query("log.db", "SELECT lines FROM transcripts")
            return rows or None
        rows = harness.wait_until(transcript, 20, 0.2, "transcript row")
        text = rows[-1]["lines"]
        self.assertIn("C: ehlo transcript.example.test", text)
        self.assertIn("C: AUTH PLAIN [redacted]", text)
        self.assertIn("S: %d " % code, text)
        self.assertNotIn(secret, text)
        self.assertNotIn("hunter2", text)
        self.assertIn("C: <message content,", text)
        self.assertNotIn("the body text", text)
        self.assertIn("S: 250 2.0.0 Ok: queued as", text)


if __name__ == "__main__":
    unittest.main(verbosity=2)

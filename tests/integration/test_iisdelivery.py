#!/usr/bin/python3
"""IIS delivery settings against real peers (smtplib in, Postfix smtp-sink out):
- delivery.masquerade_domain rewrites the envelope sender's domain on the wire, not the From header;
- delivery.max_hops refuses a looping message (too many Received fields) with 554 5.4.6 and logs the rule,
  while a message one hop below the limit is relayed;
- delivery.ndr_copy_to gets the same non-delivery report as the sender (a second envelope recipient)."""

import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import KIND_RECEIVE  # noqa: E402


def with_received(msg, count):
    """msg (bytes, CRLF) with `count` Received fields on top, as a message that went round a loop."""
    hops = b"".join(b"Received: from hop%d.example.test (hop%d.example.test [192.0.2.%d])\r\n"
                    b"\tby relay%d.example.test with ESMTP; Thu, 26 Nov 2026 10:00:%02d +0000\r\n"
                    % (i, i, i % 250 + 1, i, i % 60) for i in range(count))
    return hops + msg


class IisDelivery(harness.RelayTestCase):

    def test_masquerade_rewrites_envelope_sender_only(self):
        sink = self.sink()
        relay = self.relay(sink.address, settings={"delivery.masquerade_domain": "corp.example"})
        sender = "scanner-%s@printers.local" % uuid.uuid4().hex[:8]
        msg, mid = harness.make_message("masquerade", "from a scanner\n", sender=sender,
                                        to=("someone@example.org",))
        res = harness.send_smtp(relay.port, sender, ["someone@example.org"], msg)
        self.assertTrue(res.accepted, res)
        got = sink.wait_for(1)[0]
        local = sender.split("@")[0]
        self.assertEqual(got.sender, local + "@corp.example", got)
        self.assertIn(sender, got.header("From"), "the From header must stay as the device wrote it")
        self.assertEqual(got.message_id, mid)

    def test_hop_limit_refuses_a_loop_and_relays_below_it(self):
        sink = self.sink()
        relay = self.relay(sink.address, settings={"delivery.max_hops": 10})
        sender = "loop-%s@example.test" % uuid.uuid4().hex[:8]
        # 10 Received fields + ours = 11 > 10: a loop.
        msg, _ = harness.make_message("looping", "round and round\n", sender=sender, to=("a@example.org",))
        res = harness.send_smtp(relay.port, sender, ["a@example.org"], with_received(msg, 10))
        self.assertIsNotNone(res.data, res)
        code, text = res.data
        self.assertEqual(code, 554, res)
        self.assertTrue(text.startswith("5.4.6"), res)
        self.assertIn("11 Received", text)
        row = relay.wait_log(lambda r: r["kind"] == KIND_RECEIVE and r["result"] == "rejected"
                             and r["sender"] == sender, 20, "the hop-limit rejection row")[0]
        self.assertEqual(row["rule"], "delivery.max_hops", row)
        self.assertEqual(row["enhanced_code"], "5.4.6", row)
        self.assertEqual(relay.queue_rows(), [], "a looping message was queued")

        # 9 + ours = 10: exactly at the limit, relayed.
        sender2 = "ok-%s@example.test" % uuid.uuid4().hex[:8]
        msg2, mid2 = harness.make_message("nine hops", "fine\n", sender=sender2, to=("b@example.org",))
        res2 = harness.send_smtp(relay.port, sender2, ["b@example.org"], with_received(msg2, 9))
        self.assertTrue(res2.accepted, res2)
        got = sink.wait_for(1)[0]
        self.assertEqual(got.message_id, mid2)
        self.assertEqual(got.raw.count(b"\nReceived:") + got.raw.startswith(b"Received:"), 10)

    def test_ndr_copy_goes_to_the_admin_with_the_sender(self):
        reports = self.sink()                      # takes the bounce (sender and admin domains)
        refuse = self.sink(options=["-f", "RCPT"])  # 5xx for every recipient
        cfg = harness.default_config(harness.free_port(), "", retry_schedule="1",
                                     settings={"delivery.ndr_copy_to": "postmaster@corp.example"})
        cfg["send_connectors"] = [
            {"name": "refusing", "domains": ["refuse.example"], "route": "smarthost",
             "smart_hosts": [refuse.address], "tls": "none", "connect_timeout_s": 2, "command_timeout_s": 10},
            {"name": "rest", "domains": ["*"], "route": "smarthost", "smart_hosts": [reports.address],
             "tls": "none", "connect_timeout_s": 2, "command_timeout_s": 10},
        ]
        relay = harness.Relay(self.tmpdir(), "", config=cfg)
        self._relays.append(relay)
        relay.start()
        sender = "app-%s@example.test" % uuid.uuid4().hex[:8]
        msg, mid = harness.make_message("will bounce", "nobody home\n", sender=sender,
                                        to=("gone@refuse.example",))
        res = harness.send_smtp(relay.port, sender, ["gone@refuse.example"], msg)
        self.assertTrue(res.accepted, res)
        got = reports.wait_for(1, timeout=40)
        self.assertEqual(len(got), 1, got)
        ndr = got[0]
        self.assertEqual(ndr.sender, "", "a non-delivery report has the null sender")
        self.assertEqual(sorted(ndr.recipients), sorted([sender, "postmaster@corp.example"]), ndr)
        self.assertIn("multipart/report", ndr.header("Content-Type") or "")
        self.assertIn(b"gone@refuse.example", ndr.raw)


if __name__ == "__main__":
    unittest.main(verbosity=2)

#!/usr/bin/python3
"""Relay control: a client outside relay_allow (127.0.0.2) gets 554 5.7.1 at RCPT for an
outside domain, nothing reaches the smart host, and the refusal is logged."""

import os
import subprocess
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

OUTSIDER = "127.0.0.2"
SETTLE_S = 4  # how long we watch the sink to be sure nothing arrives


class RelayDenied(harness.RelayTestCase):

    def setUp(self):
        super().setUp()
        self.sink_ = self.sink()
        self.relay_ = self.relay(self.sink_.address)

    def rejection_rows(self, sender=None, rcpt=None, timeout=20):
        def match(r):
            if r["result"] != "rejected" or r["reply_code"] != 554:
                return False
            if r["client_ip"] not in (OUTSIDER, None, ""):
                return False
            hay = " ".join(str(r.get(k) or "") for k in ("sender", "recipients", "message"))
            return all(x in hay for x in (sender, rcpt) if x)
        return self.relay_.wait_log(match, timeout, "a rejected/554 log row for %s" % (
            rcpt or sender))

    def test_smtplib_from_outsider_gets_554_at_rcpt(self):
        sender = "outsider-%s@example.test" % uuid.uuid4().hex[:8]
        rcpt = "victim@outside.example.org"
        msg, _ = harness.make_message("relay attempt", "should not be relayed\n",
                                      sender=sender, to=(rcpt,))
        res = harness.send_smtp(self.relay_.port, sender, [rcpt], msg, source_ip=OUTSIDER)
        self.assertIsNone(res.error, res)
        self.assertEqual(res.mail[0], 250, "MAIL FROM should be accepted: %r" % (res,))
        self.assertEqual(len(res.rcpts), 1)
        _addr, code, text = res.rcpts[0]
        self.assertEqual(code, 554, res)
        self.assertTrue(text.startswith("5.7.1"), "enhanced code: %r" % text)
        self.assertIsNone(res.data, "DATA must not be reached with no recipient")

        rows = self.rejection_rows(sender=sender)
        row = rows[0]
        self.assertEqual(row["client_ip"], OUTSIDER, row)
        self.assertEqual(row["enhanced_code"], "5.7.1", row)

        time.sleep(SETTLE_S)
        self.assertEqual(self.sink_.messages(), [], "a denied message reached the sink")
        self.assertEqual(self.relay_.queue_rows(), [], "a denied message was queued")

    def test_rejection_row_names_recipient(self):
        """The log row of a refused RCPT says which recipient was refused."""
        sender = "who-%s@example.test" % uuid.uuid4().hex[:8]
        rcpt = "named-%s@outside.example.org" % uuid.uuid4().hex[:6]
        res = harness.send_smtp(self.relay_.port, sender, [rcpt], b"x\r\n", source_ip=OUTSIDER)
        self.assertEqual(res.rcpts[0][1], 554, res)
        row = self.rejection_rows(sender=sender)[0]
        self.assertIn(rcpt, (row["recipients"] or "") + " " + (row["message"] or ""),
                      "rejection row does not name the refused recipient: %r" % row)

    def test_smtplib_insider_still_relays(self):
        """Control: the same message from 127.0.0.1 is relayed (the denial is per client)."""
        sender = "insider-%s@example.test" % uuid.uuid4().hex[:8]
        rcpt = "friend@outside.example.org"
        msg, _ = harness.make_message("allowed", "from the allowed address\n",
                                      sender=sender, to=(rcpt,))
        res = harness.send_smtp(self.relay_.port, sender, [rcpt], msg, source_ip="127.0.0.1")
        self.assertTrue(res.accepted, res)
        self.assertEqual(len(self.sink_.wait_for(1, 30)), 1)

    def test_swaks_from_outsider(self):
        sender = "swaks-outsider-%s@example.test" % uuid.uuid4().hex[:8]
        rcpt = "someone@elsewhere.example.org"
        p = subprocess.run(
            ["swaks", "--server", "127.0.0.1:%d" % self.relay_.port,
             "--local-interface", OUTSIDER, "--to", rcpt, "--from", sender,
             "--body", "relay attempt via swaks"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        out = p.stdout.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 24, "swaks exit 24 = no RCPT accepted:\n" + out)
        self.assertRegex(out, r"<\*\* +554[ -]5\.7\.1", out)
        self.rejection_rows(sender=sender)
        time.sleep(SETTLE_S)
        self.assertEqual(self.sink_.messages(), [])
        self.assertEqual(self.relay_.queue_rows(), [])

    def test_mixed_recipients_from_outsider(self):
        """Outsider with two outside recipients: both 554, still nothing delivered."""
        sender = "mixed-%s@example.test" % uuid.uuid4().hex[:8]
        rcpts = ["a@outside-one.example.org", "b@outside-two.example.org"]
        msg, _ = harness.make_message("x", "x\n", sender=sender, to=rcpts)
        res = harness.send_smtp(self.relay_.port, sender, rcpts, msg, source_ip=OUTSIDER)
        self.assertEqual([c for _a, c, _t in res.rcpts], [554, 554], res)
        time.sleep(SETTLE_S)
        self.assertEqual(self.sink_.messages(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)

#!/usr/bin/python3
"""End to end: clients -> relaydesk --headless -> smtp-sink; mail arrives intact,
the log has receive + delivery rows, the queue is empty afterwards."""

import os
import smtplib
import subprocess
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import KIND_DELIVERY, KIND_RECEIVE  # noqa: E402


def unique_sender(tag):
    return "%s-%s@sender.example.test" % (tag, uuid.uuid4().hex[:10])


class EndToEnd(harness.RelayTestCase):

    def setUp(self):
        super().setUp()
        self.sink_ = self.sink()
        self.relay_ = self.relay(self.sink_.address)

    def receive_row(self, sender, timeout=20):
        rows = self.relay_.wait_log(
            lambda r: r["kind"] == KIND_RECEIVE and r["sender"] == sender and r["queue_id"],
            timeout, "receive row for %s" % sender)
        self.assertEqual(len(rows), 1, "expected one receive row for %s: %r" % (sender, rows))
        return rows[0]

    def wait_queue_empty(self, timeout=20):
        harness.wait_until(lambda: not self.relay_.queue_rows(), timeout, 0.2,
                           "queue.db messages to be empty")

    # (a) smtplib: dot lines, long body, 8-bit UTF-8
    def test_smtplib_dot_lines_long_8bit(self):
        sender = unique_sender("smtplib")
        lines = [".starts with a dot", "..two dots", ".", " . space dot",
                 "Grüße aus Köln — ünïcödé ✓ 日本語"]
        lines += ["line %05d: %s" % (i, "x" * (i % 70)) for i in range(3000)]
        lines += [".", "last line"]
        msg, mid = harness.make_message("dots, long body and 8-bit",
                                        "\n".join(lines), sender=sender,
                                        to=("alice@example.net",))
        self.assertGreater(len(msg), 100_000)
        with smtplib.SMTP("127.0.0.1", self.relay_.port, timeout=60) as conn:
            refused = conn.sendmail(sender, ["alice@example.net"], msg)
        self.assertEqual(refused, {})

        got = self.sink_.wait_for(1, 30)
        self.assertEqual(len(got), 1)
        m = got[0]
        self.assertEqual(m.sender, sender)
        self.assertEqual(m.recipients, ["alice@example.net"])
        row = self.receive_row(sender)
        self.assertArrivedIntact(m, msg, self.relay_, row["queue_id"])
        self.assertEqual(m.message_id, mid)

    # (b) swaks
    def test_swaks(self):
        sender = unique_sender("swaks")
        marker = uuid.uuid4().hex
        body = "swaks body %s\nsecond line" % marker
        p = subprocess.run(
            ["swaks", "--server", "127.0.0.1:%d" % self.relay_.port,
             "--to", "bob@example.net", "--from", sender,
             "--helo", "swaks.it.example.test",
             "--header", "X-Test-Marker: %s" % marker, "--body", body],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        out = p.stdout.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 0, out)
        m = self.sink_.wait_for(1, 30)[0]
        self.assertEqual(m.sender, sender)
        self.assertEqual(m.recipients, ["bob@example.net"])
        row = self.receive_row(sender)
        first, rest = harness.split_first_header(m.raw)
        self.assertTrue(first.startswith(b"Received:"), first)
        self.assertIn(row["queue_id"].encode(), first)
        self.assertIn(("by %s" % self.relay_.hostname).encode(), first)
        self.assertIn(("X-Test-Marker: %s" % marker).encode(), rest)
        self.assertIn(b"To: bob@example.net", rest)
        self.assertIn(("From: %s" % sender).encode(), rest)
        # swaks ends its DATA with an extra empty line; compare without trailing newlines
        self.assertTrue(rest.rstrip(b"\n").endswith(("\n\n%s" % body).encode()),
                        "body altered: %r" % rest[-200:])
        # What swaks sent (its transcript lines " -> ...") carried our header.
        sent = [ln[4:] for ln in out.splitlines() if ln.startswith(" -> ")]
        self.assertTrue(any(("X-Test-Marker: %s" % marker) in s for s in sent), out)

    # (c) curl
    def test_curl(self):
        sender = unique_sender("curl")
        d = self.tmpdir()
        msg, mid = harness.make_message("curl upload", "Sent by curl.\n.dot line\nend\n",
                                        sender=sender, to=("carol@example.net",))
        path = os.path.join(d, "msg.eml")
        with open(path, "wb") as f:
            f.write(msg)
        p = subprocess.run(
            ["curl", "-sS", "--max-time", "60", "smtp://127.0.0.1:%d" % self.relay_.port,
             "--mail-from", sender, "--mail-rcpt", "carol@example.net",
             "--upload-file", path],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=90)
        self.assertEqual(p.returncode, 0, p.stdout.decode("utf-8", "replace"))
        m = self.sink_.wait_for(1, 30)[0]
        self.assertEqual(m.sender, sender)
        self.assertEqual(m.recipients, ["carol@example.net"])
        row = self.receive_row(sender)
        self.assertArrivedIntact(m, msg, self.relay_, row["queue_id"])
        self.assertEqual(m.message_id, mid)

    # (d) several recipients in one message
    def test_several_recipients(self):
        sender = unique_sender("multi")
        rcpts = ["r1@example.net", "r2@example.net", "r3@other.example.org",
                 "r4@example.com", "r5@example.net"]
        msg, _ = harness.make_message("multi", "one message, five recipients\n",
                                      sender=sender, to=rcpts)
        res = harness.send_smtp(self.relay_.port, sender, rcpts, msg)
        self.assertTrue(res.accepted, res)
        self.assertEqual([c for _r, c, _t in res.rcpts], [250] * 5, res)
        # The relay may deliver in one transaction or split; all recipients must arrive,
        # each exactly once, with the message intact.
        row = self.receive_row(sender)
        def all_there():
            msgs = self.sink_.messages()
            got = sorted(r for m in msgs for r in m.recipients)
            return msgs if len(got) >= len(rcpts) else None
        msgs = harness.wait_until(all_there, 30, 0.2, "all 5 recipients at the sink")
        got = sorted(r for m in msgs for r in m.recipients)
        self.assertEqual(got, sorted(rcpts), "recipients delivered (duplicates?)")
        for m in msgs:
            self.assertEqual(m.sender, sender)
            self.assertArrivedIntact(m, msg, self.relay_, row["queue_id"])
        self.assertEqual(sorted(r.strip() for r in row["recipients"].split(",")), sorted(rcpts),
                         "receive row recipients")

    # (e) + (f) log rows and empty queue
    def test_log_rows_and_empty_queue(self):
        sender = unique_sender("log")
        rcpts = ["dave@example.net", "erin@example.net"]
        msg, _ = harness.make_message("log check", "check the log rows\n",
                                      sender=sender, to=rcpts)
        res = harness.send_smtp(self.relay_.port, sender, rcpts, msg)
        self.assertTrue(res.accepted, res)
        self.sink_.wait_for(1, 30)

        row = self.receive_row(sender)
        qid = row["queue_id"]
        if res.queue_id:  # "250 ... queued as <id>" names the same id as the log
            self.assertEqual(res.queue_id, qid)
        self.assertEqual(row["kind"], KIND_RECEIVE)
        self.assertEqual(row["result"], "accepted")
        self.assertTrue(qid)
        self.assertEqual(row["client_ip"], "127.0.0.1")
        self.assertEqual(sorted(r.strip() for r in row["recipients"].split(",")), sorted(rcpts))
        self.assertGreater(row["bytes"] or 0, 0)
        self.assertGreaterEqual(row["bytes"], len(msg) - 100, "bytes far below message size")
        self.assertEqual(row["direction"], "in")
        self.assertTrue(row["session_id"], "receive row has no session id")

        deliveries = self.relay_.wait_log(
            lambda r: r["kind"] == KIND_DELIVERY and r["queue_id"] == qid
            and r["result"] == "delivered", 20, "delivery row for %s" % qid)
        d = deliveries[0]
        self.assertEqual(d["reply_code"], 250)
        self.assertEqual(d["direction"], "out")
        all_deliveries = [r for r in self.relay_.log_rows(KIND_DELIVERY) if r["queue_id"] == qid]
        self.assertEqual([r["result"] for r in all_deliveries].count("delivered"),
                         len(deliveries))
        self.assertNotIn("failed", [r["result"] for r in all_deliveries])

        self.wait_queue_empty()
        self.assertEqual(self.relay_.queue_rows(), [])

    # the relay also handles several messages in one session, and stays clean
    def test_two_transactions_one_session(self):
        conn = smtplib.SMTP("127.0.0.1", self.relay_.port, timeout=30)
        try:
            conn.ehlo("client.it.example.test")
            sent = []
            for i in range(2):
                sender = unique_sender("sess%d" % i)
                msg, mid = harness.make_message("tx %d" % i, "body %d\n" % i, sender=sender)
                res = harness.smtp_transaction(conn, sender, ["rcpt@example.net"], msg)
                self.assertTrue(res.accepted, res)
                sent.append((sender, msg, mid))
        finally:
            conn.quit()
        msgs = self.sink_.wait_for(2, 30)
        self.assertEqual(len(msgs), 2)
        by_mid = {m.message_id: m for m in msgs}
        for sender, msg, mid in sent:
            self.assertIn(mid, by_mid)
            self.assertEqual(by_mid[mid].sender, sender)
            self.assertArrivedIntact(by_mid[mid], msg, self.relay_,
                                     self.receive_row(sender)["queue_id"])
        self.wait_queue_empty()


class PeerVariants(harness.RelayTestCase):
    """The smart host without PIPELINING (-p) or without ESMTP at all (-e)."""

    def deliver_via(self, options):
        sink = self.sink(options=options)
        relay = self.relay(sink.address)
        sender = unique_sender("variant")
        msgs = []
        for i in range(3):
            msg, mid = harness.make_message("variant %s %d" % (options, i),
                                            "peer variant %d\n.dot\n" % i, sender=sender,
                                            to=("v%d@example.net" % i, "w@example.net"))
            res = harness.send_smtp(relay.port, sender, ["v%d@example.net" % i, "w@example.net"],
                                    msg)
            self.assertTrue(res.accepted, res)
            msgs.append((mid, msg))
        got = {}
        def arrived():
            for m in sink.messages():
                got.setdefault(m.message_id, set()).update(m.recipients)
            return all(len(got.get(mid, ())) == 2 for mid, _ in msgs)
        harness.wait_until(arrived, 30, 0.2, "3 messages x 2 recipients at the sink")
        for m in sink.messages():
            sent = dict(msgs)[m.message_id]
            self.assertArrivedIntact(m, sent, relay)

    def test_no_pipelining(self):
        self.deliver_via(["-p"])

    def test_no_esmtp(self):
        self.deliver_via(["-e"])


if __name__ == "__main__":
    unittest.main(verbosity=2)

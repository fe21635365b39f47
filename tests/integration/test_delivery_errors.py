#!/usr/bin/python3
"""Delivery errors: 4xx (or no smart host) keeps the message queued and retries it;
5xx fails it once and for all."""

import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import KIND_DELIVERY, KIND_RECEIVE  # noqa: E402

RETRY_S = 2


class DeliveryErrors(harness.RelayTestCase):

    def accept_one(self, relay, tag):
        sender = "%s-%s@example.test" % (tag, uuid.uuid4().hex[:8])
        msg, mid = harness.make_message(tag, "delivery error test %s\n" % tag, sender=sender,
                                        to=("target@example.net",))
        res = harness.send_smtp(relay.port, sender, ["target@example.net"], msg)
        self.assertTrue(res.accepted, res)
        row = relay.wait_log(lambda r: r["kind"] == KIND_RECEIVE and r["sender"] == sender
                             and r["queue_id"], 20, "receive row")[0]
        return sender, msg, mid, row["queue_id"]

    def delivery_rows(self, relay, qid):
        return [r for r in relay.log_rows(KIND_DELIVERY) if r["queue_id"] == qid]

    def queue_row(self, relay, qid):
        rows = [r for r in relay.queue_rows() if r.get("queue_id") == qid]
        return rows[0] if rows else None

    def assert_deferred_then_delivered(self, relay, port, qid, msg, mid, expect_4xx):
        # the log says deferred
        rows = relay.wait_log(lambda r: r["kind"] == KIND_DELIVERY and r["queue_id"] == qid
                              and r["result"] == "deferred", 20, "deferred delivery row")
        if expect_4xx:
            self.assertTrue(any(400 <= (r["reply_code"] or 0) < 500 for r in rows),
                            "deferred rows carry no 4xx reply code: %r" % rows)
        # the queue keeps it, deferred, with attempts counted
        def deferred_row():
            q = self.queue_row(relay, qid)
            if q and q["state_name"] == "deferred" and (q.get("attempts") or 0) >= 1:
                return q
            return None
        row = harness.wait_until(deferred_row, 20, 0.05,
                                 "queue row %s state deferred with attempts >= 1" % qid)
        self.assertGreaterEqual(row["attempts"], 1)
        self.assertNotIn("delivered", [r["result"] for r in self.delivery_rows(relay, qid)])

        # a normal sink takes over the port; the next retry delivers
        sink = self.sink(port=port)
        m = sink.wait_for(1, 30 + 3 * RETRY_S)[0]
        self.assertEqual(m.message_id, mid)
        self.assertArrivedIntact(m, msg, relay, qid)
        relay.wait_log(lambda r: r["kind"] == KIND_DELIVERY and r["queue_id"] == qid
                       and r["result"] == "delivered" and r["reply_code"] == 250,
                       20, "delivered row")
        harness.wait_until(lambda: self.queue_row(relay, qid) is None, 20, 0.2,
                           "queue row %s removed after delivery" % qid)
        time.sleep(2 * RETRY_S)
        self.assertEqual(len(sink.messages()), 1, "delivered more than once")

    def test_4xx_at_rcpt_defers_then_retry_delivers(self):
        port = harness.free_port()
        soft = self.sink(port=port, options=["-r", "RCPT"])
        relay = self.relay(soft.address, retry_schedule=str(RETRY_S))
        _sender, msg, mid, qid = self.accept_one(relay, "soft")
        relay.wait_log(lambda r: r["kind"] == KIND_DELIVERY and r["queue_id"] == qid
                       and r["result"] == "deferred", 20, "first deferred attempt")
        soft.stop()
        self.assertEqual(soft.messages(), [], "4xx sink must not have stored the message")
        self.assert_deferred_then_delivered(relay, port, qid, msg, mid, expect_4xx=True)

    def test_smarthost_down_defers_then_retry_delivers(self):
        port = harness.free_port()  # nothing listening
        relay = self.relay("127.0.0.1:%d" % port, retry_schedule=str(RETRY_S))
        _sender, msg, mid, qid = self.accept_one(relay, "down")
        self.assert_deferred_then_delivered(relay, port, qid, msg, mid, expect_4xx=False)

    def test_deferred_survives_restart(self):
        port = harness.free_port()
        relay = self.relay("127.0.0.1:%d" % port, retry_schedule=str(RETRY_S))
        _sender, msg, mid, qid = self.accept_one(relay, "restart")
        relay.wait_log(lambda r: r["kind"] == KIND_DELIVERY and r["queue_id"] == qid
                       and r["result"] == "deferred", 20, "deferred row")
        relay.stop()
        self.assertEqual(relay.returncodes[-1], 0, "SIGTERM should exit 0")
        self.assertIsNotNone(self.queue_row(relay, qid), "queue lost the message on SIGTERM")
        sink = self.sink(port=port)
        relay.start(import_config=False)
        m = sink.wait_for(1, 30)[0]
        self.assertEqual(m.message_id, mid)
        self.assertArrivedIntact(m, msg, relay, qid)

    def test_5xx_at_rcpt_fails_without_retry(self):
        hard = self.sink(options=["-f", "RCPT"])
        relay = self.relay(hard.address, retry_schedule="1")
        _sender, _msg, _mid, qid = self.accept_one(relay, "hard")
        rows = relay.wait_log(lambda r: r["kind"] == KIND_DELIVERY and r["queue_id"] == qid
                              and r["result"] == "failed", 20, "failed delivery row")
        self.assertTrue(500 <= (rows[0]["reply_code"] or 0) < 600, rows[0])
        # schedule "1" would retry every second; watch for a while
        time.sleep(6)
        attempts = self.delivery_rows(relay, qid)
        self.assertEqual([r["result"] for r in attempts], ["failed", "bounce_queued"],
                         "a 5xx must end delivery after one attempt and queue a bounce: %r" % attempts)
        bounce_qid = attempts[1]["message"].split()[-1]
        # The bounce goes to the sender through the same smart host, which
        # refuses every RCPT: a bounce of a bounce is never sent (null sender).
        bounce_rows = self.delivery_rows(relay, bounce_qid)
        self.assertEqual([r["result"] for r in bounce_rows], ["failed", "dropped"], bounce_rows)
        self.assertIsNone(self.queue_row(relay, qid), "the bounced message left the queue")
        self.assertIsNone(self.queue_row(relay, bounce_qid), "the undeliverable bounce left the queue")
        self.assertEqual([m for m in hard.messages() if m.message_id == _mid], [])


if __name__ == "__main__":
    unittest.main(verbosity=2)

#!/usr/bin/python3
"""Rate limits and outbound throttling against the real relay (issue #6).

Clients are real: Python smtplib threads and Postfix's smtp-source. Exact counts of
accepted and refused messages are checked at the sink and in the relay's log, with the
limit named in the 451/421 reply and in the log row's rule."""

import os
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SMTP_SOURCE = "/usr/sbin/smtp-source"


def limit(scope, metric, maximum, subject="*", window=60):
    return {"scope": scope, "subject": subject, "metric": metric, "window_s": window, "maximum": maximum,
            "enabled": True, "comment": ""}


class RateLimits(harness.RelayTestCase):
    def relay_with(self, sink, rules, **kw):
        cfg = harness.default_config(harness.free_port(), sink.address,
                                     relay_allow=("127.0.0.0/8",), **kw)
        cfg["rate_limits"] = rules
        relay = harness.Relay(self.tmpdir(), sink.address, config=cfg)
        self._relays.append(relay)
        relay.start()
        return relay

    def test_messages_per_ip_exact_under_concurrency(self):
        sink = self.sink()
        relay = self.relay_with(sink, [limit("client_ip", "messages", 12)])
        results = []
        lock = threading.Lock()

        def client(n):
            conn = harness.smtplib.SMTP(harness.LOOPBACK, relay.port, timeout=30)
            try:
                conn.ehlo("thread%d.example.test" % n)
                for i in range(4):
                    msg, _ = harness.make_message("t%d-%d" % (n, i))
                    r = harness.smtp_transaction(conn, "app@example.test", ["to@example.net"], msg)
                    with lock:
                        results.append(r)
            finally:
                conn.quit()

        threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(len(results), 24)
        accepted = [r for r in results if r.accepted]
        refused = [r for r in results if r.mail and r.mail[0] == 451]
        self.assertEqual(len(accepted), 12, results)
        self.assertEqual(len(refused), 12, results)
        for r in refused:
            self.assertIn("4.7.1 Rate limit exceeded", r.mail[1])
            self.assertIn("limit 12 messages per minute per client IP", r.mail[1])
        sink.wait_for(12, timeout=30)
        time.sleep(1)
        self.assertEqual(len(sink.messages()), 12)
        # Another client address has its own count.
        msg, _ = harness.make_message("other ip")
        self.assertTrue(harness.send_smtp(relay.port, "app@example.test", ["to@example.net"], msg,
                                          source_ip="127.0.0.2").accepted)
        rows = relay.wait_log(lambda r: r["rule"] == "12 messages per minute per client IP", 20, "refusal rows")
        self.assertEqual(len(rows), 12, rows)
        self.assertTrue(all(r["reply_code"] == 451 and r["enhanced_code"] == "4.7.1" for r in rows), rows)

    def test_smtp_source_load_counts_exactly(self):
        sink = self.sink()
        relay = self.relay_with(sink, [limit("client_ip", "messages", 40)])
        # 5 parallel sessions, 60 messages in all; smtp-source stops at the first refusal (fatal: sender rejected).
        run = subprocess.run([SMTP_SOURCE, "-s", "5", "-m", "60", "-f", "load@example.test",
                              "-t", "sink@example.net", "127.0.0.1:%d" % relay.port],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        err = run.stderr.decode(errors="replace")[-2000:]
        refusals = relay.wait_log(lambda r: r["rule"] == "40 messages per minute per client IP", 20, "refusals")
        time.sleep(1.5)
        accepted = [r for r in relay.log_rows(harness.KIND_RECEIVE) if r["result"] == "accepted"]
        # Never more than 40 accepted, every accepted message reaches the sink, and the refusal
        # smtp-source saw names the limit.
        self.assertLessEqual(len(accepted), 40, err)
        self.assertGreaterEqual(len(accepted), 35, err)
        self.assertGreaterEqual(len(refusals), 1, err)
        self.assertIn("451 4.7.1 Rate limit exceeded", err)
        sink.wait_for(len(accepted), timeout=60)
        time.sleep(1)
        self.assertEqual(len(sink.messages()), len(accepted))

    def test_recipients_per_sender_and_exemption(self):
        sink = self.sink()
        relay = self.relay_with(sink, [limit("sender", "recipients", 5, window=3600),
                                       limit("sender", "recipients", 0, subject="boss@example.test",
                                             window=3600)])
        rcpts = ["a%d@example.net" % i for i in range(3)]
        msg, _ = harness.make_message("first")
        first = harness.send_smtp(relay.port, "news@example.test", rcpts, msg)
        self.assertEqual([c for _, c, _ in first.rcpts], [250, 250, 250])
        second = harness.send_smtp(relay.port, "news@example.test", rcpts, msg)
        self.assertEqual([c for _, c, _ in second.rcpts], [250, 250, 451], second)
        self.assertIn("per hour per sender", second.rcpts[2][2])
        self.assertTrue(second.accepted)  # two recipients took it
        # maximum 0 for one sender: an exemption from the "*" rule.
        boss = harness.send_smtp(relay.port, "boss@example.test", ["b%d@example.net" % i for i in range(8)], msg)
        self.assertEqual([c for _, c, _ in boss.rcpts], [250] * 8)

    def test_connections_per_minute(self):
        sink = self.sink()
        relay = self.relay_with(sink, [limit("client_ip", "connections", 3)])
        lines = []
        for _ in range(5):
            s = socket.create_connection((harness.LOOPBACK, relay.port), timeout=10)
            lines.append(s.makefile("rb").readline())
            s.close()
        self.assertEqual([l[:3] for l in lines], [b"220"] * 3 + [b"421"] * 2, lines)
        self.assertIn(b"4.7.0 Rate limit exceeded", lines[3])
        relay.wait_log(lambda r: r["rule"] == "3 connections per minute per client IP", 20, "connection refusals")

    def test_hourly_counters_survive_a_restart(self):
        sink = self.sink()
        relay = self.relay_with(sink, [limit("client_ip", "messages", 3, window=3600)])
        msg, _ = harness.make_message("before restart")
        for _ in range(2):
            self.assertTrue(harness.send_smtp(relay.port, "a@example.test", ["b@example.net"], msg).accepted)
        relay.stop()
        relay.start(import_config=False)
        codes = [harness.send_smtp(relay.port, "a@example.test", ["b@example.net"], msg).mail[0] for _ in range(3)]
        self.assertEqual(codes, [250, 451, 451])

    def test_outbound_throttle_keeps_mail_queued(self):
        sink = self.sink()
        relay = self.relay_with(sink, [limit("connector", "messages", 5)])
        for i in range(8):
            msg, _ = harness.make_message("throttled %d" % i)
            self.assertTrue(harness.send_smtp(relay.port, "a@example.test", ["b@example.net"], msg).accepted)
        sink.wait_for(5, timeout=30)
        time.sleep(3)
        self.assertEqual(len(sink.messages()), 5)  # the rest waits for the minute to pass
        waiting = [r for r in relay.queue_rows()]
        self.assertEqual(len(waiting), 3, waiting)


if __name__ == "__main__":
    unittest.main(verbosity=2)

#!/usr/bin/python3
"""Outbound connection reuse and linger, watched from the kernel's socket table (ss):
messages sent one after another go over one connection to the smart host; the idle
connection stays open for the linger time (2 s, swept every 0.5 s) and is then closed;
the next message opens a new one and arrives."""

import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def established_to(port):
    """Established TCP connections whose destination port is `port` (local addresses only)."""
    out = subprocess.run(["ss", "-Htn", "state", "established", "( dport = :%d )" % port],
                         capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line.strip()]


class Linger(harness.RelayTestCase):

    def test_reuse_linger_then_close(self):
        sink = self.sink()
        relay = self.relay(sink.address)
        sender = "linger@sender.example.test"
        for i in range(5):
            msg, _ = harness.make_message("linger %d" % i, "body %d" % i, sender=sender,
                                          to=("r@example.net",))
            res = harness.send_smtp(relay.port, sender, ["r@example.net"], msg)
            self.assertEqual(res.data and res.data[0], 250, res.error or res.data)
            sink.wait_for(i + 1, 20)
        # All five went over one connection, which lingers now.
        conns = established_to(sink.port)
        self.assertEqual(len(conns), 1, "one reused connection expected: %r" % conns)
        time.sleep(1.0)
        self.assertEqual(len(established_to(sink.port)), 1, "closed before the linger time")
        # Closed after the linger (2 s) plus one sweep (0.5 s) and some slack.
        harness.wait_until(lambda: not established_to(sink.port), 5.0, 0.1,
                           "the idle connection to be closed after its linger")
        # The next message opens a new connection and arrives.
        msg, _ = harness.make_message("after linger", "later", sender=sender, to=("r@example.net",))
        res = harness.send_smtp(relay.port, sender, ["r@example.net"], msg)
        self.assertEqual(res.data and res.data[0], 250, res.error or res.data)
        got = sink.wait_for(6, 20)
        self.assertEqual(len(got), 6)


if __name__ == "__main__":
    unittest.main(verbosity=2)

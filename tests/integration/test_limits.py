#!/usr/bin/python3
"""Session limits against the real relay: concurrent sessions per client address and the
total session time cap (a client that keeps talking is still cut off)."""

import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


class Limits(harness.RelayTestCase):
    def test_sessions_per_ip(self):
        sink = self.sink()
        relay = self.relay(sink.address, settings={"smtp.max_sessions_per_ip": 3})
        held = []
        try:
            for _ in range(3):
                s = socket.create_connection(("127.0.0.1", relay.port), timeout=10)
                self.assertTrue(s.makefile("rb").readline().startswith(b"220"))
                held.append(s)
            extra = socket.create_connection(("127.0.0.1", relay.port), timeout=10)
            self.assertTrue(extra.makefile("rb").readline().startswith(b"421 4.7.0"))
            extra.close()
            # Another address is not affected.
            other = socket.create_connection(("127.0.0.1", relay.port), timeout=10, source_address=("127.0.0.2", 0))
            self.assertTrue(other.makefile("rb").readline().startswith(b"220"))
            other.close()
            # A slot frees when a session ends.
            held.pop().close()
            line = b""
            for _ in range(50):
                again = socket.create_connection(("127.0.0.1", relay.port), timeout=10)
                line = again.makefile("rb").readline()
                again.close()
                if line.startswith(b"220"):
                    break
                time.sleep(0.1)
            self.assertTrue(line.startswith(b"220"), line)
        finally:
            for s in held:
                s.close()
        # Log rows are written by the log thread: wait for it (bounded) rather than read once.
        try:
            rows = relay.wait_log(lambda r: r["rule"] == "smtp.max_sessions_per_ip", 10, "refusal row")
        except AssertionError:
            rows = []
        self.assertTrue(rows, "the refusal was not logged with its rule")

    def test_limits_per_listener(self):
        """Each listener can override the global size, recipient and per-IP limits."""
        sink = self.sink()
        strict, loose = harness.free_port(), harness.free_port()
        cfg = harness.default_config(strict, sink.address, settings={"smtp.max_recipients": 50})
        cfg["listeners"][0].update({"name": "strict", "max_message_size": 2048, "max_recipients": 2,
                                    "max_sessions_per_ip": 1})
        cfg["listeners"].append({"name": "loose", "address": "127.0.0.1", "port": loose,
                                 "relay_allow": ["127.0.0.1/32"], "relay_deny": []})
        relay = harness.Relay(self.tmpdir(), sink.address, config=cfg)
        self._relays.append(relay)
        relay.start()
        import smtplib
        with smtplib.SMTP("127.0.0.1", strict, timeout=10) as c:
            c.ehlo("strict.example")
            self.assertEqual(c.esmtp_features.get("size"), "2048")
            # a second session from the same address exceeds this listener's limit of 1
            extra = socket.create_connection(("127.0.0.1", strict), timeout=10)
            self.assertTrue(extra.makefile("rb").readline().startswith(b"421 4.7.0"))
            extra.close()
            c.mail("a@example.test")
            self.assertEqual(c.rcpt("r1@example.net")[0], 250)
            self.assertEqual(c.rcpt("r2@example.net")[0], 250)
            code, text = c.rcpt("r3@example.net")
            self.assertEqual(code, 452, text)
            self.assertIn(b"4.5.3", text)
            c.rset()
            code, _ = c.mail("a@example.test", ["SIZE=4096"])
            self.assertEqual(code, 552)
        with smtplib.SMTP("127.0.0.1", loose, timeout=10) as c:
            c.ehlo("loose.example")
            self.assertEqual(c.esmtp_features.get("size"), "36700160")  # the global default
            c.mail("a@example.test")
            for i in range(5):
                self.assertEqual(c.rcpt("r%d@example.net" % i)[0], 250)
            second = socket.create_connection(("127.0.0.1", loose), timeout=10)
            self.assertTrue(second.makefile("rb").readline().startswith(b"220"))
            second.close()

    def test_session_time_cap(self):
        sink = self.sink()
        relay = self.relay(sink.address, settings={"smtp.max_session_time_s": 10})
        with socket.create_connection(("127.0.0.1", relay.port), timeout=20) as s:
            f = s.makefile("rb")
            f.readline()
            start = time.monotonic()
            got = b""
            while time.monotonic() - start < 15:  # bounded: NOOP every 0.5 s, never idle
                s.sendall(b"NOOP\r\n")
                line = f.readline()
                if not line.startswith(b"250"):
                    got = line
                    break
                time.sleep(0.5)
            self.assertTrue(got.startswith(b"421 4.4.2"), got)
            self.assertGreaterEqual(time.monotonic() - start, 9)


if __name__ == "__main__":
    unittest.main(verbosity=2)

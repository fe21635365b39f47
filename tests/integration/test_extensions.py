#!/usr/bin/python3
"""CHUNKING/BDAT, SMTPUTF8 and DSN parameters against the real relay, delivered to smtp-sink."""

import os
import smtplib
import socket
import sys
import unittest
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def read_reply(f):
    lines = []
    while True:
        line = f.readline()
        if not line:
            raise AssertionError("connection closed; got %r" % lines)
        lines.append(line)
        if line[3:4] == b" ":
            return b"".join(lines)


class Extensions(harness.RelayTestCase):
    def test_bdat_message_arrives_intact(self):
        sink = self.sink()
        relay = self.relay(sink.address)
        msg, mid = harness.make_message(subject="bdat-1", body="line one\n.dot line\nlast\n")
        half = len(msg) // 2
        with socket.create_connection(("127.0.0.1", relay.port), timeout=10) as s:
            f = s.makefile("rb")
            read_reply(f)
            s.sendall(b"EHLO c.test\r\n")
            self.assertIn(b"CHUNKING", read_reply(f))
            s.sendall(b"MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.org>\r\n")
            self.assertTrue(read_reply(f).startswith(b"250"))
            self.assertTrue(read_reply(f).startswith(b"250"))
            s.sendall(b"BDAT %d\r\n" % half + msg[:half])
            self.assertEqual(read_reply(f), b"250 2.0.0 %d octets received\r\n" % half)
            rest = msg[half:]
            s.sendall(b"BDAT %d LAST\r\n" % len(rest) + rest)
            self.assertTrue(read_reply(f).startswith(b"250 2.0.0 Ok: queued as "))
            s.sendall(b"QUIT\r\n")
        got = sink.wait_for(1)[0]
        self.assertEqual(got.message_id, mid)
        # smtp-sink dumps with LF line ends; our DATA to the sink is dot-stuffed and unstuffed back.
        self.assertIn(b"\n.dot line\n", got.raw)
        self.assertIn(harness.to_lf(msg.split(b"\r\n\r\n", 1)[1]), got.raw)

    def utf8_message(self):
        m = EmailMessage()
        m["From"] = "jörg@bücher.example"
        m["To"] = "用户@例子.example"
        m["Subject"] = "utf8-1"
        m.set_content("Grüße\n")
        return m

    def test_smtputf8_relayed_to_a_second_relaydesk(self):
        """A second RelayDesk (which offers SMTPUTF8) receives the UTF-8 envelope intact."""
        dead = "127.0.0.1:%d" % harness.free_port()
        downstream = self.relay(dead)
        upstream = self.relay("127.0.0.1:%d" % downstream.port)
        with smtplib.SMTP("127.0.0.1", upstream.port, timeout=30) as s:
            s.ehlo("c.test")
            self.assertTrue(s.has_extn("smtputf8"))
            s.send_message(self.utf8_message())  # smtplib adds SMTPUTF8 for non-ASCII addresses
        rows = harness.wait_until(lambda: downstream.queue_rows() or None, 30, 0.2, "message at the second relay")
        self.assertEqual(rows[0]["sender"], "jörg@bücher.example")
        self.assertEqual(rows[0]["smtputf8"], 1)
        rcpts = downstream._query("queue.db", "SELECT address FROM recipients")
        self.assertEqual([r["address"] for r in rcpts], ["用户@例子.example"])

    def test_smtputf8_refused_by_a_next_hop_without_it(self):
        """smtp-sink does not offer SMTPUTF8: the message fails clearly (553 5.6.7), never downgraded."""
        sink = self.sink()
        relay = self.relay(sink.address)
        with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as s:
            s.send_message(self.utf8_message())
        rows = harness.wait_until(
            lambda: [r for r in relay.log_rows() if r["result"] == "failed"] or None, 30, 0.2, "failed row")
        self.assertEqual(rows[0]["reply_code"], 553)
        self.assertEqual(rows[0]["enhanced_code"], "5.6.7")
        self.assertEqual(sink.messages(), [])

    def test_utf8_address_without_smtputf8_is_553(self):
        sink = self.sink()
        relay = self.relay(sink.address)
        with socket.create_connection(("127.0.0.1", relay.port), timeout=10) as s:
            f = s.makefile("rb")
            read_reply(f)
            s.sendall(b"EHLO c.test\r\n")
            read_reply(f)
            s.sendall("MAIL FROM:<jörg@example.test>\r\n".encode())
            self.assertTrue(read_reply(f).startswith(b"553 5.6.7"))

    def test_dsn_parameters_accepted(self):
        sink = self.sink()
        relay = self.relay(sink.address)
        msg, mid = harness.make_message(subject="dsn-1")
        with smtplib.SMTP("127.0.0.1", relay.port, timeout=30) as s:
            s.ehlo("c.test")
            self.assertTrue(s.has_extn("dsn"))
            s.sendmail("a@example.test", ["b@example.org"], msg, mail_options=["RET=HDRS", "ENVID=abc+2B1"],
                       rcpt_options=["NOTIFY=FAILURE,DELAY", "ORCPT=rfc822;b@example.org"])
            code, _ = s.docmd("MAIL FROM:<a@example.test> RET=ALL")
            self.assertEqual(code, 501)
        self.assertEqual(sink.wait_for(1)[0].message_id, mid)


if __name__ == "__main__":
    unittest.main(verbosity=2)

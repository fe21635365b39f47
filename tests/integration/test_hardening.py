#!/usr/bin/python3
"""Hardening (issue 3): raw-socket abuse of the real `relaydesk --headless`.

Every case writes raw bytes (no smtplib, so nothing is fixed client-side), checks the
relay's exact reply codes and enhanced codes, and checks what reached the smart host
(smtp-sink): positive cases arrive exactly once, negative cases never arrive. A clean
control message sent after the negative ones is the barrier: once it arrived, anything
the relay had wrongly accepted before it would have arrived too (we then watch a little
longer and check that the queue is empty).

Cases: over-long command line (500 5.5.2), over-long text line (550 5.6.0), NUL/8-bit
garbage (500, process survives), too many errors (421 4.7.0 + close), SMTP smuggling
(CVE-2023-51764 class: bare CR/LF around the dot is refused with 550 5.6.0), pipelining
(RFC 2920), SIZE (552 5.3.4 at MAIL and at the end of DATA), recipient limit
(452 4.5.3), relay tricks from a denied client (554 5.7.1 / 501), idle timeout (421 4.4.2).

Run: RELAYDESK_BIN=build/app/relaydesk /usr/bin/python3 tests/integration/test_hardening.py
All traffic is on 127.0.0.1/127.0.0.2; every wait and loop is bounded.
"""

import os
import re
import socket
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ALLOWED = "127.0.0.1"     # in relay_allow
DENIED = "127.0.0.2"      # not in relay_allow: may only send to accepted_domains
ACCEPTED = "accepted.example"
SETTLE_S = 1.5            # extra time we watch the sink after the barrier arrived
REPLY_TIMEOUT = 10
REPLY_LINE_RE = re.compile(rb"^[2-5][0-9][0-9]([ -].*)?$", re.S)


class Closed(Exception):
    """The server closed the connection while we waited for a reply."""


class Reply:
    def __init__(self, lines):
        self.lines = lines                 # bytes, without CRLF
        self.code = int(lines[-1][:3])
        last = lines[-1][4:].decode("latin-1")
        m = re.match(r"([245]\.\d{1,3}\.\d{1,3})\b", last)
        self.esc = m.group(1) if m else None
        self.text = last

    def __repr__(self):
        return "Reply(%r)" % b" / ".join(self.lines)


class RawSmtp:
    """A raw SMTP client: bytes out, replies parsed strictly (CRLF, 3 digits)."""

    def __init__(self, port, source_ip=ALLOWED, timeout=REPLY_TIMEOUT):
        self.sock = socket.create_connection((harness.LOOPBACK, port), timeout=timeout,
                                             source_address=(source_ip, 0))
        self.buf = b""
        self.greeting = self.reply()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("no complete reply line; have %r" % self.buf[:200])
        self.sock.settimeout(remaining)
        data = self.sock.recv(65536)
        if not data:
            raise Closed("connection closed; unparsed %r" % self.buf[:200])
        self.buf += data

    def _line(self, deadline):
        while b"\r\n" not in self.buf:
            if len(self.buf) > 4096:
                raise AssertionError("reply line without CRLF: %r" % self.buf[:200])
            self._fill(deadline)
        line, self.buf = self.buf.split(b"\r\n", 1)
        if b"\n" in line or b"\r" in line:
            raise AssertionError("bare CR or LF in a reply line: %r" % line)
        if not REPLY_LINE_RE.match(line):
            raise AssertionError("malformed reply line: %r" % line)
        return line

    def reply(self, timeout=REPLY_TIMEOUT):
        """One (possibly multi-line) reply."""
        deadline = time.monotonic() + timeout
        lines = [self._line(deadline)]
        for _ in range(100):  # bounded: EHLO has a handful of lines
            if len(lines[-1]) == 3 or lines[-1][3:4] == b" ":
                break
            lines.append(self._line(deadline))
            if lines[-1][:3] != lines[0][:3]:
                raise AssertionError("multi-line reply changed its code: %r" % lines)
        else:
            raise AssertionError("reply with more than 100 lines")
        return Reply(lines)

    def wait_closed(self, timeout=5):
        """Wait for EOF; returns whatever was sent before it (b"" expected)."""
        deadline = time.monotonic() + timeout
        extra = self.buf
        self.buf = b""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("server did not close the connection within %ss" % timeout)
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                return extra
            if not data:
                return extra
            extra += data

    def pending(self, wait=0.3):
        """Bytes that arrive within `wait` seconds without us sending anything."""
        extra = self.buf
        self.buf = b""
        deadline = time.monotonic() + wait
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return extra
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return extra
            if not data:
                return extra + b"<EOF>"
            extra += data

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def token():
    return uuid.uuid4().hex[:12]


def body_lines(n_bytes, width=76):
    """CRLF text lines totalling about n_bytes."""
    line = (b"0123456789" * ((width // 10) + 1))[:width] + b"\r\n"
    return line * (n_bytes // len(line) + 1)


SANITIZER_RE = re.compile(r"ERROR: (Address|Leak)Sanitizer|runtime error: |SUMMARY: UndefinedBehaviorSanitizer")


class Hardening(harness.RelayTestCase):

    def tearDown(self):
        super().tearDown()  # stops the relays
        # With a sanitizer build (RELAYDESK_BIN=build-asan/app/relaydesk) any report fails the test.
        for r in self._relays:
            m = SANITIZER_RE.search(r.stderr_text())
            self.assertIsNone(m, "sanitizer report in the relay's output (see its stderr below)")

    # ---- set-up helpers

    def start(self, settings=None, accepted_domains=()):
        self.sink_ = self.sink()
        self.relay_ = self.relay(self.sink_.address, settings=settings,
                                 accepted_domains=accepted_domains)
        return self.relay_

    def connect(self, source_ip=ALLOWED, ehlo=True):
        c = RawSmtp(self.relay_.port, source_ip)
        self.addCleanup(c.close)
        self.assertEqual(c.greeting.code, 220, c.greeting)
        if ehlo:
            c.send(b"EHLO client.hardening.example\r\n")
            r = c.reply()
            self.assertEqual(r.code, 250, r)
            self.ehlo = r
        return c

    def expect(self, conn, code, esc=None, what=""):
        r = conn.reply()
        self.assertEqual(r.code, code, "%s: %r" % (what, r))
        if esc is not None:
            self.assertEqual(r.esc, esc, "%s: enhanced code of %r" % (what, r))
        return r

    def message(self, tag, rcpts=("ok@outside.example",), body=b"clean message\r\n"):
        msg, _mid = harness.make_message("hardening %s" % tag, body, sender="s@client.example", to=rcpts)
        return msg

    def transaction(self, conn, tag, rcpts=("ok@outside.example",), body=b"clean message\r\n"):
        """A clean MAIL/RCPT/DATA that must be accepted (250 queued)."""
        conn.send(b"MAIL FROM:<s@client.example>\r\n")
        self.expect(conn, 250, "2.1.0", "MAIL")
        for r in rcpts:
            conn.send(b"RCPT TO:<%s>\r\n" % r.encode())
            self.expect(conn, 250, "2.1.5", "RCPT %s" % r)
        conn.send(b"DATA\r\n")
        self.expect(conn, 354, None, "DATA")
        conn.send(self.message(tag, rcpts, body) + b".\r\n")
        return self.expect(conn, 250, "2.0.0", "end of data")

    def barrier(self, tag, source_ip=ALLOWED):
        """A clean message on a new connection; returns when it arrived."""
        c = self.connect(source_ip)
        self.transaction(c, tag)
        c.send(b"QUIT\r\n")
        self.expect(c, 221, "2.0.0", "QUIT")
        c.close()

    def assert_arrived_exactly(self, tags, timeout=30):
        """The sink holds exactly one message per tag, and nothing else."""
        msgs = self.sink_.wait_for(len(tags), timeout)
        time.sleep(SETTLE_S)
        msgs = self.sink_.messages()
        subjects = [m.header("Subject") or "" for m in msgs]
        expected = sorted("hardening %s" % t for t in tags)
        self.assertEqual(sorted(subjects), expected,
                         "the sink must hold exactly the clean messages: %r" % msgs)
        for m in msgs:
            self.assertNotIn(b"SMUGGLED", m.raw, "smuggled content reached the sink: %r" % m.raw[:300])
            self.assertNotIn(b"MUST-NOT-ARRIVE", m.raw, "refused content reached the sink")
        harness.wait_until(lambda: self.relay_.queue_rows() == [], 10, 0.2,
                           "an empty queue (delivered messages removed, nothing else queued)")
        return msgs

    def assert_relay_alive(self):
        self.assertTrue(self.relay_.running, "relaydesk exited: %s" % self.relay_.returncodes)
        self.assertTrue(harness.can_connect(self.relay_.port), "relaydesk no longer accepts connections")

    # ---- line lengths

    def test_command_line_too_long(self):
        """513+ octets: 500 5.5.2; exactly 512 (incl. CRLF) is fine; the session stays usable."""
        self.start()
        c = self.connect()
        c.send(b"NOOP " + b"x" * (512 - 7) + b"\r\n")          # 512 octets
        self.expect(c, 250, "2.0.0", "512-octet NOOP")
        c.send(b"NOOP " + b"x" * (513 - 7) + b"\r\n")          # 513 octets
        self.expect(c, 500, "5.5.2", "513-octet command")
        # 20 KB in several writes, MAIL-looking: must not be half-executed.
        c.send(b"MAIL FROM:<" + b"a" * 10000)
        c.send(b"b" * 10000 + b"@x.example>\r\n")
        self.expect(c, 500, "5.5.2", "20 KB MAIL line")
        c.send(b"RCPT TO:<victim@outside.example>\r\n")
        self.expect(c, 503, "5.5.1", "RCPT after the refused MAIL")
        self.assertEqual(c.pending(), b"", "extra replies")
        self.transaction(c, "after-long-command")
        c.send(b"QUIT\r\n")
        self.expect(c, 221, "2.0.0")
        self.assert_arrived_exactly(["after-long-command"])

    def test_text_line_too_long(self):
        """A text line over 1000 octets: 550 5.6.0 at the end, nothing arrives, session usable."""
        self.start()
        c = self.connect()
        c.send(b"MAIL FROM:<s@client.example>\r\nRCPT TO:<ok@outside.example>\r\nDATA\r\n")
        self.expect(c, 250, "2.1.0")
        self.expect(c, 250, "2.1.5")
        self.expect(c, 354)
        c.send(b"Subject: MUST-NOT-ARRIVE long line\r\n\r\nbefore\r\n" + b"L" * 1200 + b"\r\nafter\r\n")
        self.assertEqual(c.pending(), b"", "reply before the end of the data")
        c.send(b".\r\n")
        self.expect(c, 550, "5.6.0", "over-long text line")
        # Boundary: 998 octets + CRLF = 1000 is allowed, and a dot-stuffed 1001 as well.
        edge = b"E" * 998
        self.transaction(c, "max-line", body=edge + b"\r\n" + b"." + b"F" * 998 + b"\r\n")
        c.send(b"QUIT\r\n")
        self.expect(c, 221, "2.0.0")
        msgs = self.assert_arrived_exactly(["max-line"])
        self.assertIn(b"\n" + edge + b"\n", msgs[0].raw, "998-octet line altered")
        self.assertIn(b"\n" + b"F" * 998 + b"\n", msgs[0].raw, "dot-stuffed 1001-octet line altered")

    # ---- garbage and error limits

    def test_nul_and_8bit_garbage(self):
        """NUL, control and 8-bit bytes in commands: 500 each, no crash, mail still flows."""
        self.start()
        c = self.connect()
        garbage = [
            b"NO\x00OP\r\n",
            b"MAIL FROM:<a\x00b@client.example>\r\n",
            b"\xff\xfe\xfd\xfc\r\n",
            b"EHLO \xc3\x28t\xe9.example\r\n",              # invalid UTF-8 (bad continuation, Latin-1)
            b"MAIL FROM:<\xe9t\xe9@client.example>\r\n",   # Latin-1, not UTF-8
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n",  # a TLS ClientHello start
            b"NOOP \x1b[31mred\x7f\r\n",                     # ESC and DEL
        ]
        for g in garbage:
            c.send(g)
            self.expect(c, 500, "5.5.2", "garbage %r" % g)
        # Well-formed UTF-8 is not garbage (RFC 6531), but without SMTPUTF8 an address
        # with it is still refused (553 5.6.7 or a syntax error), never accepted.
        c.send("MAIL FROM:<jösé@client.example>\r\n".encode())
        r = c.reply()
        self.assertTrue(500 <= r.code < 600, "UTF-8 sender without SMTPUTF8: %r" % r)
        c.send(b"RCPT TO:<x@outside.example>\r\n")
        self.expect(c, 503, "5.5.1", "no MAIL was accepted")   # 9th error of 10
        c.close()
        # Binary blob of every byte value, on another connection, then hang up.
        c2 = self.connect()
        c2.send(bytes(range(256)) * 4 + b"\r\n")
        for _ in range(3):
            r = c2.reply()
            self.assertTrue(500 <= r.code < 600, r)
        c2.close()
        self.assert_relay_alive()
        self.barrier("after-garbage")
        self.assert_relay_alive()
        self.assert_arrived_exactly(["after-garbage"])

    def test_too_many_errors(self):
        """smtp.max_errors=10: ten bad commands get 500, the tenth is followed by
        421 4.7.0 and the server closes; an 11th is never answered."""
        self.start()
        c = self.connect()
        for i in range(9):
            c.send(b"BOGUS%d\r\n" % i)
            self.expect(c, 500, "5.5.2", "bad command %d" % (i + 1))
        c.send(b"NOOP\r\n")   # a good command does not reset the count, and gets its 250
        self.expect(c, 250, "2.0.0")
        c.send(b"BOGUS9\r\n")
        self.expect(c, 500, "5.5.2", "bad command 10")
        self.expect(c, 421, "4.7.0", "error limit")
        self.assertEqual(c.wait_closed(), b"", "bytes after the 421")

        # All eleven pipelined in one write.
        c2 = self.connect()
        c2.send(b"".join(b"XYZZY%d\r\n" % i for i in range(11)))
        for i in range(10):
            self.expect(c2, 500, "5.5.2", "pipelined bad command %d" % (i + 1))
        self.expect(c2, 421, "4.7.0", "error limit (pipelined)")
        self.assertEqual(c2.wait_closed(), b"", "the 11th command was answered")
        self.assert_relay_alive()

    # ---- SMTP smuggling

    SMUGGLING = [
        ("LF.LF", b"\n.\n"),
        ("CR.CR", b"\r.\r"),
        ("CRLF.LF", b"\r\n.\n"),
        ("LF.CRLF", b"\n.\r\n"),
        ("CRLF.CR", b"\r\n.\r"),
    ]

    def test_smtp_smuggling(self):
        """Bare CR/LF around a dot never ends a message: 550 5.6.0 at the real end,
        no second transaction, nothing arrives; a clean control arrives exactly once."""
        self.start(accepted_domains=(ACCEPTED,))
        for name, sep in self.SMUGGLING:
            with self.subTest(variant=name):
                c = self.connect()
                c.send(b"MAIL FROM:<a@client.example>\r\nRCPT TO:<first@outside.example>\r\nDATA\r\n")
                self.expect(c, 250, "2.1.0")
                self.expect(c, 250, "2.1.5")
                self.expect(c, 354)
                c.send(b"Subject: MUST-NOT-ARRIVE " + name.encode() + b"\r\n\r\nfirst part" + sep
                       + b"MAIL FROM:<evil@client.example>\r\n"
                       + b"RCPT TO:<victim@" + ACCEPTED.encode() + b">\r\n"
                       + b"DATA\r\n"
                       + b"Subject: SMUGGLED " + name.encode() + b"\r\n\r\nSMUGGLED body\r\n"
                       + b".\r\n")
                self.expect(c, 550, "5.6.0", "smuggling %s" % name)
                c.send(b"NOOP\r\n")
                self.expect(c, 250, "2.0.0", "NOOP after %s (any other reply means a second transaction)" % name)
                self.assertEqual(c.pending(), b"")
                c.send(b"QUIT\r\n")
                self.expect(c, 221, "2.0.0")
                c.close()
        # Control: dot-stuffed lines and command-looking text inside a clean message.
        c = self.connect()
        control = b"..\r\n..MAIL FROM:<x@y.example>\r\nMAIL FROM:<evil@client.example>\r\n. \r\nend\r\n"
        self.transaction(c, "smuggling-control", body=control)
        c.send(b"QUIT\r\n")
        self.expect(c, 221)
        msgs = self.assert_arrived_exactly(["smuggling-control"])
        # RFC 5321 4.5.2: the leading dot of every line is removed, also of ". ".
        self.assertIn(b"\n.\n.MAIL FROM:<x@y.example>\nMAIL FROM:<evil@client.example>\n \nend\n",
                      msgs[0].raw, "control message altered (dot-unstuffing)")
        self.assertEqual(msgs[0].recipients, ["ok@outside.example"])

    def test_bdat_smuggling(self):
        """CHUNKING (RFC 3030): BDAT content never ends with a dot, but what it stores is
        relayed with DATA, so bare CR/LF in it would reach the next hop (the outbound side
        of CVE-2023-51764). Our policy refuses bare CR/LF: the LAST chunk gets a 5xx, no
        chunk gets "queued", nothing arrives; a clean chunked message arrives once, intact."""
        self.start()
        c = self.connect()
        if not any(l[4:].upper() == b"CHUNKING" for l in self.ehlo.lines):
            self.skipTest("the relay does not offer CHUNKING")
        c.close()
        smuggled = (b"MAIL FROM:<evil@client.example>\r\nRCPT TO:<victim@outside.example>\r\n"
                    b"DATA\r\nSubject: SMUGGLED\r\n\r\nSMUGGLED body\r\n")
        for name, sep in self.SMUGGLING:
            for split in (False, True):
                with self.subTest(variant=name, split_chunks=split):
                    c = self.connect()
                    content = b"Subject: MUST-NOT-ARRIVE bdat\r\n\r\nfirst part" + sep + smuggled
                    cut = content.index(sep) + 1 if split else len(content)
                    chunks = [content[:cut], content[cut:]] if split else [content]
                    c.send(b"MAIL FROM:<a@client.example>\r\nRCPT TO:<first@outside.example>\r\n")
                    self.expect(c, 250, "2.1.0")
                    self.expect(c, 250, "2.1.5")
                    replies = []
                    for i, chunk in enumerate(chunks):
                        last = i == len(chunks) - 1
                        c.send(b"BDAT %d%s\r\n" % (len(chunk), b" LAST" if last else b"") + chunk)
                        replies.append(c.reply())
                    self.assertTrue(500 <= replies[-1].code < 600,
                                    "BDAT content with %s was accepted: %r" % (name, replies))
                    for r in replies:
                        self.assertFalse(r.code == 250 and "queued" in r.text, "queued: %r" % r)
                    c.send(b"NOOP\r\n")
                    self.expect(c, 250, "2.0.0", "NOOP after %s" % name)
                    c.close()
        tag = "bdat-control-" + token()
        c = self.connect()
        msg = self.message(tag, body=b"..leading dots stay\r\n.\r\nMAIL FROM:<x@y.example>\r\n")
        c.send(b"MAIL FROM:<s@client.example>\r\nRCPT TO:<ok@outside.example>\r\n")
        self.expect(c, 250, "2.1.0")
        self.expect(c, 250, "2.1.5")
        half = len(msg) // 2
        c.send(b"BDAT %d\r\n" % half + msg[:half])
        self.expect(c, 250, None, "first chunk")
        c.send(b"BDAT %d LAST\r\n" % (len(msg) - half) + msg[half:])
        self.expect(c, 250, "2.0.0", "LAST chunk")
        c.send(b"QUIT\r\n")
        self.expect(c, 221)
        msgs = self.assert_arrived_exactly([tag])
        # BDAT content is not dot-stuffed: the dots arrive as sent.
        self.assertIn(b"\n..leading dots stay\n.\nMAIL FROM:<x@y.example>\n", msgs[0].raw)

    # ---- pipelining

    def test_pipelining(self):
        """RFC 2920: MAIL RCPT RCPT DATA in one write, replies in order; content with
        QUIT after the final dot in one write: both 250 and 221 arrive."""
        self.start()
        c = self.connect()
        self.assertIn(b"250-PIPELINING", b"\r\n".join(self.ehlo.lines) + b"\r\n")
        tag = "pipelined-" + token()
        rcpts = ("p1@outside.example", "p2@outside.example")
        c.send(b"MAIL FROM:<s@client.example>\r\n"
               + b"".join(b"RCPT TO:<%s>\r\n" % r.encode() for r in rcpts)
               + b"DATA\r\n")
        self.expect(c, 250, "2.1.0", "pipelined MAIL")
        self.expect(c, 250, "2.1.5", "pipelined RCPT 1")
        self.expect(c, 250, "2.1.5", "pipelined RCPT 2")
        self.expect(c, 354, None, "pipelined DATA")
        c.send(self.message(tag, rcpts) + b".\r\nQUIT\r\n")
        self.expect(c, 250, "2.0.0", "end of data")
        self.expect(c, 221, "2.0.0", "pipelined QUIT")
        self.assertEqual(c.wait_closed(), b"")
        msgs = self.assert_arrived_exactly([tag])
        self.assertEqual(sorted(msgs[0].recipients), sorted(rcpts))

    def test_pipelined_transactions_with_errors(self):
        """A whole pipelined batch with a refused RCPT in the middle: one reply per command, in order."""
        self.start()
        c = self.connect(source_ip=DENIED)
        tag = "batch-" + token()
        # DENIED client, no accepted domains: every outside recipient is refused.
        c.send(b"MAIL FROM:<s@client.example>\r\nRCPT TO:<v@outside.example>\r\nDATA\r\n"
               b"RSET\r\nNOOP\r\n")
        self.expect(c, 250, "2.1.0")
        self.expect(c, 554, "5.7.1", "relay denied")
        self.expect(c, 554, "5.5.1", "DATA without valid recipients")
        self.expect(c, 250, "2.0.0", "RSET")
        self.expect(c, 250, "2.0.0", "NOOP")
        self.assertEqual(c.pending(), b"")
        c.close()
        self.barrier(tag)
        self.assert_arrived_exactly([tag])

    # ---- SIZE

    def test_size_limits(self):
        """SIZE=999999999 at MAIL: 552 5.3.4; with smtp.max_message_size=20000 a 100 KB
        message without SIZE gets 552 5.3.4 at the end and nothing arrives."""
        self.start(settings={"smtp.max_message_size": 20000})
        c = self.connect()
        self.assertRegex(b"\r\n".join(self.ehlo.lines), rb"(^|\r\n)250[- ]SIZE 20000(\r\n|$)")
        c.send(b"MAIL FROM:<a@b.example> SIZE=999999999\r\n")
        self.expect(c, 552, "5.3.4", "SIZE=999999999")
        c.send(b"MAIL FROM:<a@b.example> SIZE=99999999999999999999999999\r\n")
        self.expect(c, 552, "5.3.4", "SIZE beyond 64 bits")
        c.send(b"MAIL FROM:<a@b.example> SIZE=20001\r\n")
        self.expect(c, 552, "5.3.4", "SIZE one over the limit")
        c.send(b"MAIL FROM:<a@b.example> SIZE=20000\r\n")
        self.expect(c, 250, "2.1.0", "SIZE at the limit")
        c.send(b"RSET\r\n")
        self.expect(c, 250)

        c.send(b"MAIL FROM:<s@client.example>\r\nRCPT TO:<big@outside.example>\r\nDATA\r\n")
        self.expect(c, 250, "2.1.0")
        self.expect(c, 250, "2.1.5")
        self.expect(c, 354)
        c.send(b"Subject: MUST-NOT-ARRIVE big\r\n\r\n" + body_lines(100 * 1024))
        self.assertEqual(c.pending(), b"", "reply before the end of the data")
        c.send(b".\r\n")
        self.expect(c, 552, "5.3.4", "100 KB message")
        # A lying SIZE: declared small, sent big.
        c.send(b"MAIL FROM:<s@client.example> SIZE=100\r\nRCPT TO:<big@outside.example>\r\nDATA\r\n")
        self.expect(c, 250, "2.1.0")
        self.expect(c, 250, "2.1.5")
        self.expect(c, 354)
        c.send(b"Subject: MUST-NOT-ARRIVE lying size\r\n\r\n" + body_lines(30 * 1024) + b".\r\n")
        self.expect(c, 552, "5.3.4", "message bigger than its SIZE and the limit")
        tag = "small-" + token()
        self.transaction(c, tag)
        c.send(b"QUIT\r\n")
        self.expect(c, 221)
        self.assert_arrived_exactly([tag])
        incoming = os.path.join(self.relay_.data_dir, "spool", "incoming")
        if os.path.isdir(incoming):
            # Spare files (delivered messages' files kept for reuse) may stay;
            # no partial file, and nothing of a refused message, may.
            names = os.listdir(incoming)
            self.assertEqual([n for n in names if not n.endswith(".spare")], [],
                             "refused message left in spool/incoming")
            for n in names:
                with open(os.path.join(incoming, n), "rb") as f:
                    self.assertNotIn(b"MUST-NOT-ARRIVE", f.read(), "refused message content in " + n)

    # ---- recipients

    def test_too_many_recipients(self):
        """smtp.max_recipients=3: the 4th RCPT gets 452 4.5.3; the message arrives with exactly 3."""
        self.start(settings={"smtp.max_recipients": 3})
        c = self.connect()
        rcpts = ["r%d@outside.example" % i for i in range(1, 6)]
        c.send(b"MAIL FROM:<s@client.example>\r\n")
        self.expect(c, 250, "2.1.0")
        for i, r in enumerate(rcpts):
            c.send(b"RCPT TO:<%s>\r\n" % r.encode())
            if i < 3:
                self.expect(c, 250, "2.1.5", "RCPT %d" % (i + 1))
            else:
                self.expect(c, 452, "4.5.3", "RCPT %d" % (i + 1))
        tag = "three-" + token()
        c.send(b"DATA\r\n")
        self.expect(c, 354)
        c.send(self.message(tag, rcpts[:3]) + b".\r\n")
        self.expect(c, 250, "2.0.0")
        c.send(b"QUIT\r\n")
        self.expect(c, 221)
        msgs = self.assert_arrived_exactly([tag])
        self.assertEqual(sorted(msgs[0].recipients), sorted(rcpts[:3]))

    # ---- relay control

    RELAY_TRICKS = [
        "user%other@outside.example",
        "@a.example:user@outside.example",
        "@" + ACCEPTED + ":user@outside.example",
        "outside.example!user@outside.example",
        "outside.example!user@" + ACCEPTED,
        '"user@outside"@outside.example',
        '"user@outside.example"@' + ACCEPTED,
        '"user%outside.example"@' + ACCEPTED,
        "user@[127.0.0.1]",
        "user@[IPv6:::1]",
        "user@outside.example.",
        "user@" + ACCEPTED + ".",
        "USER@OUTSIDE.EXAMPLE",
        "user@outside.example@" + ACCEPTED,
        "user%outside.example@" + ACCEPTED,
        "user%outside.example@" + ACCEPTED.upper(),
    ]

    def test_relay_tricks_from_denied_client(self):
        """From 127.0.0.2 (not in relay_allow) every address trick gets 554 5.7.1 or 501
        at RCPT and nothing arrives; user@accepted.example is accepted and arrives."""
        self.start(accepted_domains=(ACCEPTED,))
        for rcpt in self.RELAY_TRICKS:
            with self.subTest(rcpt=rcpt):
                c = self.connect(source_ip=DENIED)
                c.send(b"MAIL FROM:<s@client.example>\r\n")
                self.expect(c, 250, "2.1.0")
                c.send(b"RCPT TO:<%s>\r\n" % rcpt.encode())
                r = c.reply()
                self.assertTrue((r.code, r.esc) in ((554, "5.7.1"), (501, "5.1.3"), (501, "5.5.4")),
                                "RCPT TO:<%s> from a denied client: %r" % (rcpt, r))
                if ACCEPTED in rcpt.lower() and "%" in rcpt:
                    self.assertEqual((r.code, r.esc), (554, "5.7.1"), "percent hack into %s: %r" % (ACCEPTED, r))
                c.send(b"DATA\r\n")
                self.expect(c, 554, "5.5.1", "DATA without recipients")
                c.send(b"QUIT\r\n")
                self.expect(c, 221)
                c.close()
        # The accepted domain itself, any case, from the denied client: accepted and delivered.
        tag = "accepted-" + token()
        c = self.connect(source_ip=DENIED)
        self.transaction(c, tag, rcpts=("user@" + ACCEPTED, "other@ACCEPTED.Example"))
        c.send(b"QUIT\r\n")
        self.expect(c, 221)
        msgs = self.assert_arrived_exactly([tag])
        self.assertEqual(sorted(r.lower() for r in msgs[0].recipients),
                         ["other@" + ACCEPTED, "user@" + ACCEPTED])

    # ---- timeouts

    def test_idle_timeout(self):
        """smtp.idle_timeout_s=2: a silent client gets 421 4.4.2 within ~3 s and is
        disconnected; a client silent in the middle of DATA too, and nothing arrives."""
        self.start(settings={"smtp.idle_timeout_s": 2})
        silent = self.connect(ehlo=False)
        mid_data = self.connect()
        mid_data.send(b"MAIL FROM:<s@client.example>\r\nRCPT TO:<t@outside.example>\r\nDATA\r\n")
        self.expect(mid_data, 250)
        self.expect(mid_data, 250)
        self.expect(mid_data, 354)
        mid_data.send(b"Subject: MUST-NOT-ARRIVE half\r\n\r\nhalf a message\r\n")
        started = time.monotonic()
        for conn, what in ((silent, "silent after greeting"), (mid_data, "silent in DATA")):
            r = conn.reply(timeout=6)
            elapsed = time.monotonic() - started
            self.assertEqual((r.code, r.esc), (421, "4.4.2"), "%s: %r" % (what, r))
            self.assertLess(elapsed, 3.5, "%s: 421 only after %.1fs" % (what, elapsed))
            self.assertEqual(conn.wait_closed(timeout=3), b"", what)
        self.assertGreater(time.monotonic() - started, 1.0, "timed out too early")
        self.barrier("after-timeout")
        self.assert_arrived_exactly(["after-timeout"])


if __name__ == "__main__":
    unittest.main(verbosity=2)

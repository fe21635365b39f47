"""SMTP client workloads for the relay benchmark (Python 3 standard library only).

- latency_probe(): sends `count` messages at a fixed rate over a few sessions and measures,
  per message, the time from writing the final "." of DATA until the 250 reply arrives.
  Open loop: message i is due at t0 + i/rate and goes to an idle, ready session; a message
  that finds no idle session waits (its lateness is reported).
- IdleSessions.open_many(): opens N sessions (banner + EHLO each) and keeps them open; the
  caller measures the server while they are held, then closes them.
- fresh_client(): one banner + EHLO + QUIT, timed.

One thread, non-blocking sockets and `selectors` (epoll), so thousands of sessions are
cheap. Every wait has a deadline.
"""

import collections
import errno
import math
import selectors
import socket
import statistics
import time

CRLF = b"\r\n"


def make_body(size, sender, rcpts, seq):
    """A message of about `size` payload bytes after a few headers (CRLF, dot-safe)."""
    head = ("From: <%s>\r\nTo: <%s>\r\nSubject: latency probe %d\r\n"
            "Message-ID: <probe-%d.%d@bench.example.test>\r\n\r\n"
            % (sender, rcpts[0], seq, seq, int(time.time() * 1000))).encode("ascii")
    line = b"x" * 76 + CRLF
    body = line * (size // len(line)) + b"y" * (size % len(line)) + CRLF
    return head + body + b"." + CRLF


def percentile(sorted_values, p):
    """Nearest-rank percentile of an already sorted list (None when empty)."""
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, math.ceil(p / 100.0 * len(sorted_values)) - 1))
    return sorted_values[k]


class _Session:
    __slots__ = ("sock", "state", "rbuf", "wbuf", "pipelining", "expect", "cmds",
                 "t_dot", "t_due", "seq", "ehlo_lines", "error", "bad", "t_open")

    def __init__(self, sock):
        self.sock = sock
        self.state = "connect"
        self.rbuf = b""
        self.wbuf = b""
        self.pipelining = False
        self.expect = []      # reply codes still expected for the commands in flight
        self.cmds = []        # commands not yet sent (no PIPELINING)
        self.t_dot = 0.0
        self.t_due = 0.0
        self.seq = -1
        self.ehlo_lines = []
        self.error = None
        self.bad = None       # first failed reply of the transaction in flight
        self.t_open = time.monotonic()


def _connect_nb(host, port, source_ip=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if source_ip:
        s.bind((source_ip, 0))
    rc = s.connect_ex((host, port))
    if rc not in (0, errno.EINPROGRESS, errno.EAGAIN):
        s.close()
        raise OSError(rc, "connect to %s:%d from %s: %s" % (host, port, source_ip, errno.errorcode.get(rc, rc)))
    return s


class _Loop:
    """Shared machinery: sockets, reads, writes, reply parsing, per-state callbacks."""

    def __init__(self, host, port, helo="probe.bench.example.test"):
        self.host = host
        self.port = port
        self.helo = helo
        self.sel = selectors.DefaultSelector()
        self.sessions = []
        self.pending = set()  # sessions not yet through EHLO
        self.ready_count = 0
        self.open_count = 0   # sessions not closed yet
        self.failed = 0
        self.retries = 0
        self.fail_reasons = {}

    def open(self, source_ip=None):
        sock = _connect_nb(self.host, self.port, source_ip)
        sess = _Session(sock)
        self.sessions.append(sess)
        self.pending.add(sess)
        self.open_count += 1
        self.sel.register(sock, selectors.EVENT_WRITE, sess)
        return sess

    def _note_failure(self, reason):
        key = reason[:60]
        self.fail_reasons[key] = self.fail_reasons.get(key, 0) + 1
        self.failed += 1

    def open_many(self, n, source_ips, in_flight=32, greet_timeout=3.0, timeout=60.0):
        """Open sessions until n are through banner + EHLO (or n have failed, or timeout).

        At most `in_flight` sessions are between connect() and the EHLO reply at a time: a
        burst larger than the server's listen backlog loses connections silently (with SYN
        cookies the client believes it is connected, the server has no socket). A session
        that gets no banner/EHLO reply within `greet_timeout` is closed and replaced; those
        are counted in `retries`, refusals (421, reset) in `failed`.
        Returns the number of ready sessions.
        """
        deadline = time.monotonic() + timeout
        ips = source_ips or [None]
        k = 0
        while self.ready_count + self.failed < n and time.monotonic() < deadline:
            while len(self.pending) < in_flight and \
                    self.ready_count + self.failed + len(self.pending) < n:
                try:
                    self.open(ips[k % len(ips)])
                except OSError as e:
                    self._note_failure(str(e))
                k += 1
            self.poll(0.02)
            now = time.monotonic()
            for s in [s for s in self.pending if now - s.t_open > greet_timeout]:
                self.retries += 1
                self.close(s)
        for s in list(self.pending):
            self.close(s)
        return self.ready_count

    def fail(self, sess, reason):
        if sess.state == "closed":
            return
        self._note_failure(reason)
        sess.error = reason
        self.close(sess)

    def close(self, sess):
        if sess.state == "closed":
            return
        try:
            self.sel.unregister(sess.sock)
        except (KeyError, ValueError):
            pass
        sess.sock.close()
        sess.state = "closed"
        self.open_count -= 1
        self.pending.discard(sess)

    def send(self, sess, data):
        sess.wbuf += data
        self._flush(sess)

    def _flush(self, sess):
        while sess.wbuf:
            try:
                n = sess.sock.send(sess.wbuf)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as e:
                self.fail(sess, "send: %s" % e)
                return
            sess.wbuf = sess.wbuf[n:]
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if sess.wbuf else 0)
        try:
            self.sel.modify(sess.sock, events, sess)
        except (KeyError, ValueError):
            return
        if not sess.wbuf:
            self.on_written(sess)

    def poll(self, timeout):
        for key, mask in self.sel.select(timeout):
            sess = key.data
            if sess.state == "closed":
                continue
            if sess.state == "connect":
                err = sess.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    self.fail(sess, "connect: %s" % errno.errorcode.get(err, err))
                    continue
                sess.state = "banner"
                self.sel.modify(sess.sock, selectors.EVENT_READ, sess)
                continue
            if mask & selectors.EVENT_WRITE and sess.wbuf:
                self._flush(sess)
                if sess.state == "closed":
                    continue
            if mask & selectors.EVENT_READ:
                try:
                    data = sess.sock.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError as e:
                    self.fail(sess, "recv: %s" % e)
                    continue
                if not data:
                    self.fail(sess, "eof in state %s" % sess.state)
                    continue
                now = time.perf_counter()
                sess.rbuf += data
                replies, sess.rbuf = self._split(sess)
                for code, line in replies:
                    if sess.state == "closed":
                        break
                    self.on_reply(sess, code, line, now)

    def _split(self, sess):
        # Complete replies only; EHLO lines are collected for the PIPELINING check.
        out = []
        buf = sess.rbuf
        start = 0
        while True:
            end = buf.find(b"\n", start)
            if end < 0:
                break
            line = buf[start:end].rstrip(b"\r")
            start = end + 1
            if sess.state == "ehlo":
                sess.ehlo_lines.append(line[4:].upper())
            if len(line) < 4 or line[3:4] == b" ":
                try:
                    code = int(line[:3])
                except ValueError:
                    code = 0
                out.append((code, line.decode("latin-1", "replace")))
        return out, buf[start:]

    # hooks
    def on_written(self, sess):
        pass

    def on_reply(self, sess, code, line, now):
        if sess.state == "banner":
            if code != 220:
                self.fail(sess, "banner: %s" % line)
                return
            sess.state = "ehlo"
            self.send(sess, b"EHLO " + self.helo.encode() + CRLF)
        elif sess.state == "ehlo":
            if code != 250:
                self.fail(sess, "ehlo: %s" % line)
                return
            sess.pipelining = any(l.startswith(b"PIPELINING") for l in sess.ehlo_lines)
            sess.state = "idle"
            self.pending.discard(sess)
            self.ready_count += 1
            self.on_ready(sess)
        elif sess.state == "quit":
            self.close(sess)
        else:
            self.on_transaction_reply(sess, code, line, now)

    def on_ready(self, sess):
        pass

    def on_transaction_reply(self, sess, code, line, now):
        pass

    def quit_all(self, timeout=2.0):
        """QUIT every open session and wait (bounded) for the 221s; then close all."""
        for s in self.sessions:
            if s.state in ("idle",):
                s.state = "quit"
                self.send(s, b"QUIT" + CRLF)
            elif s.state != "closed":
                self.close(s)
        deadline = time.monotonic() + timeout
        while any(s.state == "quit" for s in self.sessions) and time.monotonic() < deadline:
            self.poll(0.05)
        for s in self.sessions:
            self.close(s)
        self.sel.close()


class _Probe(_Loop):
    def __init__(self, host, port, size, rcpts, sender):
        super().__init__(host, port)
        self.size = size
        self.rcpts = rcpts
        self.sender = sender
        self.idle = collections.deque()
        self.latencies = []
        self.errors = 0
        self.error_lines = {}
        self.done = 0
        self.lateness = []

    def on_ready(self, sess):
        self.idle.append(sess)

    def start_message(self, sess, seq, due):
        sess.seq = seq
        sess.t_due = due
        cmds = [b"MAIL FROM:<" + self.sender.encode() + b">" + CRLF]
        cmds += [b"RCPT TO:<" + r.encode() + b">" + CRLF for r in self.rcpts]
        cmds.append(b"DATA" + CRLF)
        sess.expect = [250] + [250] * len(self.rcpts) + [354]
        sess.state = "cmds"
        if sess.pipelining:
            sess.cmds = []
            self.send(sess, b"".join(cmds))
        else:
            sess.cmds = cmds[1:]
            self.send(sess, cmds[0])

    def on_written(self, sess):
        if sess.state == "body":
            sess.t_dot = time.perf_counter()
            sess.state = "dot"

    def _count_error(self, line):
        self.errors += 1
        self.done += 1
        key = line[:48]
        self.error_lines[key] = self.error_lines.get(key, 0) + 1

    def on_transaction_reply(self, sess, code, line, now):
        if sess.state == "cmds":
            want = sess.expect.pop(0)
            if not (code == want or (want == 250 and code == 251)):
                sess.bad = sess.bad or line
                if not sess.pipelining:
                    sess.expect = []
            if sess.expect:
                if sess.cmds and not sess.bad:
                    self.send(sess, sess.cmds.pop(0))
                return
            if not sess.bad:
                sess.state = "body"
                self.send(sess, make_body(self.size, self.sender, self.rcpts, sess.seq))
                return
            self._count_error(sess.bad)
            sess.bad = None
            if code == 354:  # DATA was accepted although an earlier command failed
                sess.state = "abort_data"
                self.send(sess, b"." + CRLF)
            else:
                sess.state = "rset"
                self.send(sess, b"RSET" + CRLF)
        elif sess.state == "dot":
            if code == 250:
                self.latencies.append(now - sess.t_dot)
                self.done += 1
                sess.state = "idle"
                self.idle.append(sess)
            else:
                self._count_error(line)
                sess.state = "rset"
                self.send(sess, b"RSET" + CRLF)
        elif sess.state == "abort_data":
            sess.state = "rset"
            self.send(sess, b"RSET" + CRLF)
        elif sess.state == "rset":
            sess.state = "idle"
            self.idle.append(sess)

    def fail(self, sess, reason):
        was_busy = sess.state in ("cmds", "body", "dot")
        super().fail(sess, reason)
        if was_busy:
            self._count_error("session lost: " + reason)
        if sess in self.idle:
            self.idle.remove(sess)


def latency_probe(host, port, rate, count, sessions=4, size=4096, rcpts=1,
                  sender="probe@source.example.test", rcpt_domain="sink.example.test",
                  timeout=60.0, connect_wait=10.0, source_ips=None):
    """Send `count` messages at `rate` per second over `sessions` sessions.

    Returns a dict: sent, ok, errors, median_ms, p99_ms, max_ms, achieved_rate,
    ready_sessions, late_ms_max (how far behind schedule a message started), elapsed_s.
    Never raises on server errors; every wait is bounded by `timeout`.
    """
    rcpt_list = ["%d.probe@%s" % (i, rcpt_domain) for i in range(rcpts)]
    p = _Probe(host, port, size, rcpt_list, sender)
    p.open_many(sessions, source_ips, timeout=connect_wait)
    ready_at_start = p.ready_count
    t0 = time.perf_counter()
    end = time.monotonic() + timeout
    interval = 1.0 / rate if rate > 0 else 0.0
    i = 0
    while p.done < count and time.monotonic() < end:
        now = time.perf_counter()
        while i < count and p.idle and t0 + i * interval <= now:
            sess = p.idle.popleft()
            due = t0 + i * interval
            p.lateness.append(now - due)
            p.start_message(sess, i, due)
            i += 1
        if i < count and p.idle:
            wait = max(0.0, t0 + i * interval - time.perf_counter())
        else:
            wait = 0.05
        if p.open_count == 0:
            break
        p.poll(min(wait, 0.05))
    elapsed = time.perf_counter() - t0
    p.quit_all()
    lat = sorted(x * 1000.0 for x in p.latencies)
    return {
        "sent": i,
        "ok": len(lat),
        "errors": p.errors,  # error replies and sessions lost mid-transaction
        "unfinished": max(0, count - p.done),  # not sent or not answered before the timeout
        "error_replies": dict(p.error_lines),
        "session_failures": dict(p.fail_reasons),
        "target_rate": round(rate, 1),
        "achieved_rate": round(len(lat) / elapsed, 1) if elapsed > 0 else None,
        "sessions": sessions,
        "ready_sessions": ready_at_start,
        "connect_retries": p.retries,
        "median_ms": round(statistics.median(lat), 2) if lat else None,
        "p99_ms": round(percentile(lat, 99), 2) if lat else None,
        "max_ms": round(lat[-1], 2) if lat else None,
        "late_ms_max": round(max(p.lateness) * 1000.0, 1) if p.lateness else None,
        "elapsed_s": round(elapsed, 2),
    }


class IdleSessions(_Loop):
    """N sessions that each read the banner, send EHLO, get the 250 and then sit idle."""

    def __init__(self, host, port):
        super().__init__(host, port, helo="idle.bench.example.test")

    def held(self):
        """The sessions that are through EHLO and still open."""
        return [s for s in self.sessions if s.state == "idle"]

    def count_dropped(self, held, timeout=0.5):
        """Poll briefly; how many of `held` the server has closed or sent something to."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.poll(0.05)
        return sum(1 for s in held if s.state == "closed")

    def on_transaction_reply(self, sess, code, line, now):
        # an idle session should get nothing; a 421 means the server dropped it
        self.fail(sess, "unsolicited: %s" % line)


def fresh_client(host, port, timeout=5.0, source_ip=None):
    """Blocking connect + banner + EHLO + QUIT; returns (seconds, error or None)."""
    t0 = time.perf_counter()
    try:
        with socket.create_connection((host, port), timeout=timeout,
                                      source_address=(source_ip, 0) if source_ip else None) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            f = s.makefile("rb")

            def reply():
                while True:
                    line = f.readline(4096)
                    if not line:
                        raise OSError("connection closed")
                    if len(line) < 4 or line[3:4] == b" ":
                        return int(line[:3]), line.decode("latin-1").strip()

            code, line = reply()
            if code != 220:
                return time.perf_counter() - t0, "banner: " + line
            s.sendall(b"EHLO fresh.bench.example.test\r\n")
            code, line = reply()
            if code != 250:
                return time.perf_counter() - t0, "ehlo: " + line
            s.sendall(b"QUIT\r\n")
            code, line = reply()
            if code != 221:
                return time.perf_counter() - t0, "quit: " + line
    except (OSError, ValueError) as e:
        return time.perf_counter() - t0, "%s: %s" % (type(e).__name__, e)
    return time.perf_counter() - t0, None

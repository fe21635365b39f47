#!/usr/bin/python3
"""Connection control and automatic bans against the real relay (issue #12).

- Failed AUTH PLAIN attempts (plaintext AUTH on a loopback listener) from
  127.0.0.5 reach bans.auth_failures: the next connection from that address gets
  `554 5.7.1 Address banned until HH:MM UTC after 3 failed AUTH attempts` at
  connect and a log row; 127.0.0.1 is served meanwhile; after bans.duration_s
  (10 s) the address gets 220 again. An address an Allow rule covers is never
  banned.
- A ban survives a restart (config.db `bans`).
- A deny rule for 127.0.0.2 refuses that source (`554 5.7.1 Connection refused
  by rule 'block-scanners'`) while 127.0.0.1 is served and its mail delivered.
- An Allow rule whose expiry is in the past does not allow; one in the future does.

Every client binds its source address inside 127.0.0.0/8 (Linux routes all of it
to lo). 127.0.0.1 itself is never banned automatically (policy/banlist.h).
"""

import base64
import os
import smtplib
import subprocess
import sys
import time
import unittest
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

PASSWORD = "correct horse battery staple 42"
WRONG = base64.b64encode(b"\0alice\0not the password").decode()


def iso(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def greet(port, source):
    """Connects from `source`; returns (code, text) of the greeting, then QUITs."""
    try:
        conn = smtplib.SMTP(harness.LOOPBACK, port, local_hostname="client.it.example.test", timeout=20,
                            source_address=(source, 0))
    except smtplib.SMTPConnectError as e:
        return e.smtp_code, e.smtp_error.decode("utf-8", "replace")
    except smtplib.SMTPServerDisconnected as e:
        return 0, "disconnected: %s" % e
    try:
        conn.quit()
    except (smtplib.SMTPException, OSError):
        conn.close()
    return 220, ""


def failed_auth(port, source):
    """One connection from `source` with one wrong AUTH PLAIN; returns the AUTH reply code
    (or the greeting's code if the connection was refused)."""
    try:
        conn = smtplib.SMTP(harness.LOOPBACK, port, local_hostname="client.it.example.test", timeout=30,
                            source_address=(source, 0))
    except smtplib.SMTPConnectError as e:
        return e.smtp_code
    try:
        conn.ehlo()
        code = conn.docmd("AUTH", "PLAIN " + WRONG)[0]
    except smtplib.SMTPServerDisconnected:
        return 0
    try:
        conn.quit()
    except (smtplib.SMTPException, OSError):
        conn.close()
    return code


def add_user(data_dir):
    proc = subprocess.run([harness.relay_binary(), "--data-dir", data_dir, "--add-user", "alice"],
                          input=(PASSWORD + "\n").encode(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=harness.clean_env(), timeout=60)
    return proc.returncode, proc.stderr.decode()


class Bans(harness.RelayTestCase):
    def start_relay(self, settings=None, rules=(), user=False):
        self.sink_ = self.sink()
        base = self.tmpdir()
        if user:
            rc, err = add_user(os.path.join(base, "data"))
            self.assertEqual(rc, 0, err)
        cfg = harness.default_config(harness.free_port(), self.sink_.address, settings=settings)
        cfg["listeners"][0]["allow_plaintext_auth"] = True
        cfg["connection_rules"] = list(rules)
        relay = harness.Relay(base, self.sink_.address, config=cfg)
        self._relays.append(relay)
        relay.start()
        return relay

    def refusal_rows(self, relay, ip):
        return relay.wait_log(lambda r: r["client_ip"] == ip and r["reply_code"] == 554, 20,
                              "a log row for the refused connection from %s" % ip)

    def test_failed_auth_bans_until_the_duration_ends(self):
        future = datetime.now(timezone.utc) + timedelta(days=1)
        relay = self.start_relay(
            settings={"bans.auth_failures": 3, "bans.duration_s": 10, "bans.window_s": 600},
            rules=[{"network": "127.0.0.6", "action": "allow", "priority": 100, "expires": iso(future),
                    "comment": "monitoring"}],
            user=True)
        codes = [failed_auth(relay.port, "127.0.0.5") for _ in range(3)]
        self.assertEqual(codes, [535, 535, 535])
        banned_at = time.monotonic()
        code, text = greet(relay.port, "127.0.0.5")
        self.assertEqual(code, 554, text)
        self.assertRegex(text, r"^5\.7\.1 Address banned until \d\d:\d\d UTC after 3 failed AUTH attempts")
        # The host itself and other addresses are served meanwhile.
        self.assertEqual(greet(relay.port, "127.0.0.1")[0], 220)
        self.assertEqual(greet(relay.port, "127.0.0.7")[0], 220)
        rows = self.refusal_rows(relay, "127.0.0.5")
        self.assertEqual(rows[-1]["enhanced_code"], "5.7.1", rows[-1])
        self.assertIn("banned", (rows[-1]["message"] + " " + rows[-1]["result"]).lower(), rows[-1])
        # An address an Allow rule covers is never banned.
        self.assertEqual([failed_auth(relay.port, "127.0.0.6") for _ in range(5)], [535] * 5)
        self.assertEqual(greet(relay.port, "127.0.0.6")[0], 220)
        # After bans.duration_s the address is served again.
        deadline = banned_at + 30
        while True:
            code, text = greet(relay.port, "127.0.0.5")
            if code == 220 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.assertEqual(code, 220, "still refused 30 s after a 10 s ban: %s" % text)
        self.assertGreater(time.monotonic() - banned_at, 7, "the ban ended before its 10 s duration")

    def test_a_ban_survives_a_restart(self):
        relay = self.start_relay(settings={"bans.auth_failures": 2, "bans.duration_s": 600}, user=True)
        self.assertEqual([failed_auth(relay.port, "127.0.0.8") for _ in range(2)], [535, 535])
        self.assertEqual(greet(relay.port, "127.0.0.8")[0], 554)
        # Written in the background: wait for the row before stopping the relay.
        harness.wait_until(lambda: relay._query("config.db", "SELECT * FROM bans WHERE ip = ?", ("127.0.0.8",)),
                           20, 0.2, "the ban in config.db")
        relay.restart()
        code, text = greet(relay.port, "127.0.0.8")
        self.assertEqual(code, 554, text)
        self.assertIn("after 2 failed AUTH attempts", text)
        self.assertEqual(greet(relay.port, "127.0.0.1")[0], 220)

    def test_deny_rule_refuses_one_source_only(self):
        relay = self.start_relay(rules=[{"network": "127.0.0.2/32", "action": "deny", "priority": 100,
                                         "comment": "block-scanners"}])
        code, text = greet(relay.port, "127.0.0.2")
        self.assertEqual(code, 554, text)
        self.assertEqual(text, "5.7.1 Connection refused by rule 'block-scanners'")
        result = harness.send_smtp(relay.port, "sender@example.test", ["rcpt@example.net"],
                                   harness.make_message(subject="served")[0], source_ip="127.0.0.1")
        self.assertTrue(result.accepted, result)
        msgs = self.sink_.wait_for(1, timeout=40)
        self.assertEqual(msgs[0].header("Subject"), "served")
        rows = self.refusal_rows(relay, "127.0.0.2")
        self.assertEqual(rows[-1]["enhanced_code"], "5.7.1", rows[-1])
        self.assertIn("block-scanners", rows[-1]["rule"] + " " + rows[-1]["message"], rows[-1])

    def test_expired_allow_rule_does_not_allow(self):
        now = datetime.now(timezone.utc)
        relay = self.start_relay(rules=[
            {"network": "127.0.0.3", "action": "deny", "priority": 10, "comment": "lockout"},
            {"network": "127.0.0.3", "action": "allow", "priority": 100, "expires": iso(now - timedelta(hours=1)),
             "comment": "expired allowance"},
            {"network": "127.0.0.4", "action": "deny", "priority": 10, "comment": "lockout 4"},
            {"network": "127.0.0.4", "action": "allow", "priority": 100, "expires": iso(now + timedelta(hours=1)),
             "comment": "current allowance"},
        ])
        code, text = greet(relay.port, "127.0.0.3")
        self.assertEqual(code, 554, text)
        self.assertIn("'lockout'", text)
        self.assertEqual(greet(relay.port, "127.0.0.4")[0], 220)


if __name__ == "__main__":
    unittest.main(verbosity=2)

#!/usr/bin/python3
"""Directory sign-in (issue #10) end to end: RelayDesk headless against a real OpenLDAP.

slapd (tests/integration/slapdserver.py: LDAPS and StartTLS with a test CA, nested
groups, a locked account) is the directory; swaks, curl and smtplib sign in over
STARTTLS on a submission listener; smtp-sink is the smart host. Every positive case
checks what arrived at the sink; every negative case that nothing did, and that the
reason is in the log. Faults: the directory killed mid-load (4xx, nothing lost, back
when it returns), a paused directory (timeouts hold, other sessions are served), a
wrong CA. The cache: mail flows through an outage; a removed group ends with the entry.
"""

import os
import smtplib
import ssl
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from slapdserver import SlapdServer, group_dn, user_dn  # noqa: E402

RELAY_SENDERS = group_dn("Relay senders")
HELPDESK = group_dn("Helpdesk")


def admin(data_dir, args, stdin=b""):
    proc = subprocess.run([harness.relay_binary(), "--data-dir", data_dir] + args, input=stdin,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=harness.clean_env(), timeout=120)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Directory(harness.RelayTestCase):
    ldap = None

    @classmethod
    def setUpClass(cls):
        cls.ldap = SlapdServer()
        cls.ldap.start()

    @classmethod
    def tearDownClass(cls):
        if cls.ldap:
            cls.ldap.close()

    def setUp(self):
        super().setUp()
        if not self.ldap.running():
            self.ldap.start()
        self.sink_ = self.sink()

    def start_relay(self, cache_seconds=300, timeout_ms=2000, ca_file=None, local_users=()):
        self.ports = [harness.free_port() for _ in range(3)]
        base = self.tmpdir()
        data = os.path.join(base, "data")
        rc, out, errs = admin(data, ["--generate-certificate", "relay-dir.example.test"])
        self.assertEqual(rc, 0, errs)
        cert = out.strip()
        for name, password in local_users:
            rc, _, errs = admin(data, ["--add-user", name], (password + "\n").encode())
            self.assertEqual(rc, 0, errs)
        settings = {
            "directory.enabled": True,
            "directory.kind": "openldap",
            "directory.servers": self.ldap.ldaps_uri,
            "directory.ca_file": ca_file or self.ldap.ca_file,
            "directory.bind_dn": self.ldap.service_dn,
            "directory.bind_password": self.ldap.service_password,
            "directory.base_dn": self.ldap.base_dn,
            "directory.relay_groups": RELAY_SENDERS,
            "directory.timeout_ms": timeout_ms,
            "directory.cache_seconds": cache_seconds,
        }
        cfg = harness.default_config(self.ports[0], self.sink_.address, settings=settings)
        cfg["listeners"][0]["certificate"] = cert
        cfg["listeners"] += [
            {"name": "submission", "address": "127.0.0.1", "port": self.ports[1], "relay_allow": [],
             "relay_deny": [], "mode": "starttls_required", "role": "submission", "certificate": cert},
            # Only Helpdesk may relay here, and only as their own addresses.
            {"name": "helpdesk", "address": "127.0.0.1", "port": self.ports[2], "relay_allow": [],
             "relay_deny": [], "mode": "starttls_required", "role": "submission", "certificate": cert,
             "relay_groups": [HELPDESK], "sender_check": True},
        ]
        self.relay_ = harness.Relay(base, self.sink_.address, config=cfg)
        self._relays.append(self.relay_)
        self.relay_.start()
        return self.relay_

    # ------------------------------------------------------------ helpers
    def submit(self, user, password, sender, rcpt, subject, port=None):
        """One STARTTLS + AUTH LOGIN + message with smtplib; returns ("ok"|"auth"|"mail"|"rcpt", code, text)."""
        msg, _ = harness.make_message(subject=subject, sender=sender, to=(rcpt,))
        with smtplib.SMTP("127.0.0.1", port or self.ports[1], timeout=60) as s:
            s.ehlo("client.dir.example.test")
            s.starttls(context=tls_context())
            s.ehlo("client.dir.example.test")
            try:
                s.login(user, password)
            except smtplib.SMTPAuthenticationError as e:
                return ("auth", e.smtp_code, e.smtp_error.decode())
            except smtplib.SMTPResponseException as e:
                return ("auth", e.smtp_code, e.smtp_error.decode())
            code, text = s.mail(sender)
            if code != 250:
                return ("mail", code, text.decode())
            code, text = s.rcpt(rcpt)
            if code != 250:
                return ("rcpt", code, text.decode())
            code, text = s.data(msg)
            return ("ok" if code == 250 else "data", code, text.decode())

    def auth_rows(self, user=None):
        rows = [r for r in self.relay_.log_rows() if r.get("rule") == "auth"]
        return [r for r in rows if user is None or r.get("user") == user]

    def wait_auth_row(self, user, text):
        return self.relay_.wait_log(
            lambda r: r.get("rule") == "auth" and r.get("user") == user and text in r.get("message", ""), 15,
            "auth row for %s with %r" % (user, text))[-1]

    def arrived(self, subject):
        return [m for m in self.sink_.messages() if m.header("Subject") == subject]

    # ------------------------------------------------------------ sign-in and relay right
    def test_1_swaks_login_member_relays(self):
        self.start_relay()
        proc = subprocess.run(
            ["swaks", "--server", "127.0.0.1:%d" % self.ports[1], "--tls", "--auth", "LOGIN",
             "--auth-user", "alice", "--auth-password", "alice-pw", "--from", "alice@example.test",
             "--to", "someone@example.org", "--header", "Subject: dir-swaks-1", "--body", "directory user"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stdout.decode())
        self.sink_.wait_for(1, timeout=30)
        self.assertEqual(len(self.arrived("dir-swaks-1")), 1)
        row = self.wait_auth_row("alice", "may relay")
        self.assertEqual(row["result"], "auth_ok")
        self.assertIn("uid=alice,ou=people,dc=example,dc=test", row["message"])
        self.assertIn("member of cn=Relay senders", row["message"])
        self.assertNotIn("alice-pw", str(self.relay_.log_rows()))

    def test_2_curl_plain_nested_group_member(self):
        self.start_relay()
        msg, _ = harness.make_message(subject="dir-curl-2", sender="dave@example.test", to=("x@example.org",))
        path = os.path.join(self.tmpdir(), "m.eml")
        with open(path, "wb") as f:
            f.write(msg)
        proc = subprocess.run(
            ["curl", "-sS", "--ssl-reqd", "-k", "smtp://127.0.0.1:%d" % self.ports[1], "--user", "dave:dave-pw",
             "--login-options", "AUTH=PLAIN", "--mail-from", "dave@example.test", "--mail-rcpt", "x@example.org",
             "--upload-file", path],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stdout.decode())
        self.sink_.wait_for(1, timeout=30)
        self.assertEqual(len(self.arrived("dir-curl-2")), 1)
        self.wait_auth_row("dave", "member of cn=Relay senders")

    def test_3_outside_relay_groups_wrong_password_locked(self):
        self.start_relay()
        # bob signs in (he is a real user) but may not relay.
        step, code, text = self.submit("bob", "bob-pw", "bob@example.test", "x@example.org", "dir-bob-3")
        self.assertEqual((step, code), ("rcpt", 554), text)
        self.wait_auth_row("bob", "may not relay (in none of the relay groups)")
        # A wrong password and a locked account: 535 5.7.8, the reason in the log only.
        step, code, text = self.submit("alice", "nope", "alice@example.test", "x@example.org", "dir-wrong-3")
        self.assertEqual((step, code), ("auth", 535), text)
        self.assertIn("5.7.8", text)
        self.wait_auth_row("alice", "directory: wrong password")
        step, code, text = self.submit("carol", "carol-pw", "carol@example.test", "x@example.org", "dir-carol-3")
        self.assertEqual((step, code), ("auth", 535), text)
        self.assertNotIn("disabled", text)  # the client is not told why
        row = self.wait_auth_row("carol", "account disabled")
        self.assertEqual(row["result"], "auth_failed")
        step, code, _ = self.submit("mallory", "x", "m@example.test", "x@example.org", "dir-unknown-3")
        self.assertEqual((step, code), ("auth", 535))
        time.sleep(1)
        self.assertEqual(self.sink_.messages(), [])

    def test_4_local_user_takes_precedence(self):
        self.start_relay(local_users=[("alice", "local password 4")])
        step, code, _ = self.submit("alice", "alice-pw", "alice@example.test", "x@example.org", "dir-prec-4a")
        self.assertEqual((step, code), ("auth", 535))  # the directory's password is not asked
        step, code, text = self.submit("alice", "local password 4", "alice@example.test", "x@example.org",
                                       "dir-prec-4b")
        self.assertEqual(step, "ok", text)
        self.sink_.wait_for(1, timeout=30)
        self.assertEqual(len(self.arrived("dir-prec-4b")), 1)
        self.assertEqual(self.arrived("dir-prec-4a"), [])

    def test_5_listener_groups_and_send_as(self):
        self.start_relay()
        hp = self.ports[2]
        # alice is in Relay senders, not Helpdesk: this listener's own list decides.
        step, code, text = self.submit("alice", "alice-pw", "alice@example.test", "x@example.org", "dir-l-5a", hp)
        self.assertEqual((step, code), ("rcpt", 554), text)
        # dave (Helpdesk) relays as his own address ...
        step, code, text = self.submit("dave", "dave-pw", "dave@example.test", "x@example.org", "dir-l-5b", hp)
        self.assertEqual(step, "ok", text)
        # ... but not as someone else's (553 5.7.1), and the same user elsewhere is not limited.
        step, code, text = self.submit("dave", "dave-pw", "alice@example.test", "x@example.org", "dir-l-5c", hp)
        self.assertEqual((step, code), ("mail", 553), text)
        self.assertIn("5.7.1", text)
        step, code, text = self.submit("dave", "dave-pw", "alice@example.test", "x@example.org", "dir-l-5d")
        self.assertEqual(step, "ok", text)
        self.sink_.wait_for(2, timeout=30)
        time.sleep(0.5)
        self.assertEqual(sorted(s for s in ("dir-l-5a", "dir-l-5b", "dir-l-5c", "dir-l-5d") if self.arrived(s)),
                         ["dir-l-5b", "dir-l-5d"])

    # ------------------------------------------------------------ cache
    def test_6_cache_carries_through_outage_and_group_removal_ends_with_entry(self):
        self.start_relay(cache_seconds=3)
        step, _, text = self.submit("erin", "erin-pw", "erin@example.test", "x@example.org", "dir-c-6a")
        self.assertEqual(step, "ok", text)
        self.ldap.modify("dn: %s\nchangetype: modify\ndelete: member\nmember: %s\n" % (RELAY_SENDERS, user_dn("erin")))
        try:
            # Still in the cache: the removal is not seen yet.
            step, _, text = self.submit("erin", "erin-pw", "erin@example.test", "x@example.org", "dir-c-6b")
            self.assertEqual(step, "ok", text)
            self.wait_auth_row("erin", "directory (cached)")
            # The directory goes away: cached sign-ins keep working, others get 454.
            self.ldap.kill()
            step, _, text = self.submit("erin", "erin-pw", "erin@example.test", "x@example.org", "dir-c-6c")
            self.assertEqual(step, "ok", text)
            step, code, text = self.submit("dave", "dave-pw", "dave@example.test", "x@example.org", "dir-c-6d")
            self.assertEqual((step, code), ("auth", 454), text)
            self.assertIn("4.7.0", text)
            self.wait_auth_row("dave", "directory unavailable")
            self.ldap.start()
            time.sleep(3.2)  # the entry ends: the removal takes effect
            step, code, text = self.submit("erin", "erin-pw", "erin@example.test", "x@example.org", "dir-c-6e")
            self.assertEqual((step, code), ("rcpt", 554), text)
        finally:
            if not self.ldap.running():
                self.ldap.start()
            self.ldap.modify("dn: %s\nchangetype: modify\nadd: member\nmember: %s\n" % (RELAY_SENDERS, user_dn("erin")))
        self.sink_.wait_for(3, timeout=30)
        time.sleep(0.5)
        got = sorted(s for s in ("dir-c-6a", "dir-c-6b", "dir-c-6c", "dir-c-6d", "dir-c-6e") if self.arrived(s))
        self.assertEqual(got, ["dir-c-6a", "dir-c-6b", "dir-c-6c"])

    # ------------------------------------------------------------ faults
    def test_7_directory_killed_mid_load(self):
        self.start_relay(cache_seconds=0)
        results = []
        lock = threading.Lock()

        def client(i):
            subject = "dir-load-7-%03d" % i
            try:
                r = self.submit("alice", "alice-pw", "alice@example.test", "x@example.org", subject)
            except (OSError, smtplib.SMTPException) as e:
                r = ("error", 0, str(e))
            with lock:
                results.append((subject,) + r)

        def wave(start, n):
            threads = [threading.Thread(target=client, args=(start + i,)) for i in range(n)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)

        wave(0, 10)
        self.ldap.kill()
        wave(10, 10)
        self.ldap.start()
        wave(20, 10)
        ok = [r[0] for r in results if r[1] == "ok"]
        temp = [r for r in results if r[1] == "auth" and r[2] == 454]
        other = [r for r in results if r[1] not in ("ok",) and not (r[1] == "auth" and r[2] == 454)]
        self.assertEqual(other, [], "only 250 or 454 expected")
        self.assertEqual(len(temp), 10, "the sign-ins while the directory was down get 454")
        self.assertEqual(len(ok), 20)
        self.assertTrue(all(int(s[-3:]) < 10 or int(s[-3:]) >= 20 for s in ok))
        self.sink_.wait_for(len(ok), timeout=60)
        time.sleep(0.5)
        arrived = sorted({m.header("Subject") for m in self.sink_.messages()})
        self.assertEqual(arrived, sorted(ok), "every 250 arrives once, nothing else")
        self.assertEqual(len(self.sink_.messages()), len(ok))
        self.wait_auth_row("alice", "directory unavailable")

    def test_8_paused_directory_times_out_and_others_are_served(self):
        self.start_relay(cache_seconds=0, timeout_ms=1500)
        self.ldap.pause()
        try:
            outcome = {}

            def slow():
                t0 = time.monotonic()
                outcome["r"] = self.submit("alice", "alice-pw", "alice@example.test", "x@example.org", "dir-slow-8")
                outcome["t"] = time.monotonic() - t0

            t = threading.Thread(target=slow)
            t.start()
            time.sleep(0.3)
            # Meanwhile an IP-listed client on the relay port is served at once.
            t0 = time.monotonic()
            msg, _ = harness.make_message(subject="dir-fast-8")
            res = harness.send_smtp(self.ports[0], "app@example.test", ["x@example.org"], msg)
            fast = time.monotonic() - t0
            self.assertTrue(res.accepted, res)
            self.assertLess(fast, 1.0, "the engine waited on the directory")
            t.join(60)
        finally:
            self.ldap.resume()
        step, code, text = outcome["r"]
        self.assertEqual((step, code), ("auth", 454), text)
        self.assertGreater(outcome["t"], 1.4)
        self.assertLess(outcome["t"], 15)
        self.sink_.wait_for(1, timeout=30)
        self.assertEqual(len(self.arrived("dir-fast-8")), 1)
        self.assertEqual(self.arrived("dir-slow-8"), [])

    def test_9_wrong_ca_is_temporary_and_logged(self):
        self.start_relay(ca_file=self.ldap.other_ca_file)
        step, code, text = self.submit("alice", "alice-pw", "alice@example.test", "x@example.org", "dir-ca-9")
        self.assertEqual((step, code), ("auth", 454), text)
        row = self.wait_auth_row("alice", "directory unavailable")
        self.assertIn(self.ldap.ldaps_uri, row["message"])
        time.sleep(0.5)
        self.assertEqual(self.sink_.messages(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)

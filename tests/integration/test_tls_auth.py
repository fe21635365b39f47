#!/usr/bin/python3
"""STARTTLS, implicit TLS and AUTH with real clients: swaks, curl, smtplib, msmtp, openssl s_client.

One relay with three listeners: a relay port (IP-listed, plain), a submission port
(STARTTLS required, AUTH required) and an implicit-TLS submission port (as 465). The
certificate is created and the user added with the relaydesk command line, as an
admin of a headless install would. Every positive case checks what arrived at the
smart host (smtp-sink); every negative case checks that nothing did.
"""

import base64
import json
import os
import socket
import ssl
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

PASSWORD = "correct horse battery staple 42"


def admin(data_dir, args, stdin=b""):
    proc = subprocess.run([harness.relay_binary(), "--data-dir", data_dir] + args, input=stdin,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=harness.clean_env(), timeout=120)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


class TlsAuth(harness.RelayTestCase):
    def setUp(self):
        super().setUp()
        self.sink_ = self.sink()
        self.ports = [harness.free_port() for _ in range(3)]
        base = self.tmpdir()
        data = os.path.join(base, "data")
        rc, out, errs = admin(data, ["--generate-certificate", "relay-it.example.test"])
        self.assertEqual(rc, 0, errs)
        cert = out.strip()
        self.assertTrue(cert, "no certificate id printed")
        rc, _, errs = admin(data, ["--add-user", "alice"], (PASSWORD + "\n").encode())
        self.assertEqual(rc, 0, errs)
        rc, _, errs = admin(data, ["--add-user", "norelay", "--no-relay"], (PASSWORD + "\n").encode())
        self.assertEqual(rc, 0, errs)
        cfg = harness.default_config(self.ports[0], self.sink_.address)
        cfg["listeners"][0]["certificate"] = cert
        cfg["listeners"] += [
            {"name": "submission", "address": "127.0.0.1", "port": self.ports[1], "relay_allow": [],
             "relay_deny": [], "mode": "starttls_required", "role": "submission", "certificate": cert},
            {"name": "smtps", "address": "127.0.0.1", "port": self.ports[2], "relay_allow": [],
             "relay_deny": [], "mode": "implicit_tls", "role": "submission", "certificate": cert},
        ]
        self.relay_ = harness.Relay(base, self.sink_.address, config=cfg)
        self._relays.append(self.relay_)
        self.relay_.start()

    # ------------------------------------------------------------ positive cases
    def assert_arrived(self, marker, count=1):
        msgs = self.sink_.wait_for(count, timeout=30)
        found = [m for m in msgs if marker.encode() in m.raw]
        self.assertEqual(len(found), 1, "message %s not delivered exactly once" % marker)
        return found[0]

    def test_swaks_starttls_auth_login(self):
        proc = subprocess.run(
            ["swaks", "--server", "127.0.0.1:%d" % self.ports[1], "--tls", "--auth", "LOGIN",
             "--auth-user", "alice", "--auth-password", PASSWORD, "--from", "alice@example.test",
             "--to", "bob@example.org", "--header", "Subject: swaks-tls-1", "--body", "hello over TLS"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stdout.decode())
        m = self.assert_arrived("swaks-tls-1")
        received = m.raw.decode("utf-8", "replace")
        self.assertIn("with ESMTPSA id", received)
        self.assertRegex(received, r"using TLSv1\.[23] with cipher")
        rows = harness.wait_until(
            lambda: [r for r in self.relay_.log_rows() if r["result"] == "accepted"] or None,
            10, 0.1, "accepted log row")
        self.assertEqual(rows[-1]["user"], "alice")
        self.assertTrue(rows[-1]["tls_version"].startswith("TLSv1."))

    def test_curl_implicit_tls_auth_plain(self):
        msg, _ = harness.make_message(subject="curl-smtps-1")
        path = os.path.join(self.tmpdir(), "m.eml")
        with open(path, "wb") as f:
            f.write(msg)
        proc = subprocess.run(
            ["curl", "-sS", "--ssl-reqd", "-k", "smtps://127.0.0.1:%d" % self.ports[2], "--user",
             "alice:" + PASSWORD, "--login-options", "AUTH=PLAIN", "--mail-from", "alice@example.test",
             "--mail-rcpt", "carol@example.org", "--upload-file", path],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stdout.decode())
        self.assert_arrived("curl-smtps-1")

    def test_smtplib_starttls_login_utf8(self):
        import smtplib
        from email.message import EmailMessage
        msg = EmailMessage()
        msg["From"] = "alice@example.test"
        msg["To"] = "dave@example.org"
        msg["Subject"] = "smtplib-tls-1 grüße"
        msg.set_content("8-bit body: naïve café\n.leading dot line\n")
        with smtplib.SMTP("127.0.0.1", self.ports[1], timeout=30) as s:
            s.ehlo("client.it.example.test")
            self.assertNotIn("auth", s.esmtp_features, "AUTH must not be offered before TLS")
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            s.starttls(context=ctx)
            s.ehlo("client.it.example.test")
            self.assertIn("auth", s.esmtp_features)
            s.login("alice", PASSWORD)
            s.send_message(msg)
        m = self.assert_arrived("smtplib-tls-1")
        self.assertIn("naïve café".encode(), m.raw)

    def test_msmtp(self):
        msg, _ = harness.make_message(subject="msmtp-tls-1")
        proc = subprocess.run(
            ["msmtp", "--host=127.0.0.1", "--port=%d" % self.ports[1], "--tls=on", "--tls-starttls=on",
             "--tls-certcheck=off", "--auth=plain", "--user=alice", "--passwordeval=echo '%s'" % PASSWORD,
             "--from=alice@example.test", "erin@example.org"],
            input=msg, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stdout.decode())
        self.assert_arrived("msmtp-tls-1")

    # ------------------------------------------------------------ negative cases
    def assert_nothing_arrived(self, wait=3):
        time.sleep(wait)
        self.assertEqual(self.sink_.messages(), [])

    def test_wrong_password_is_535_and_logged_without_secret(self):
        import smtplib
        with smtplib.SMTP("127.0.0.1", self.ports[1], timeout=30) as s:
            ctx = ssl._create_unverified_context()
            s.starttls(context=ctx)
            s.ehlo("client.it.example.test")
            with self.assertRaises(smtplib.SMTPAuthenticationError) as cm:
                s.login("alice", "wrong-password-xyz")
            self.assertEqual(cm.exception.smtp_code, 535)
            code, _ = s.mail("alice@example.test")
            self.assertEqual(code, 530, "a failed AUTH must not grant anything")
        self.assert_nothing_arrived()
        rows = self.relay_.log_rows()
        failed = [r for r in rows if r["result"] == "auth_failed"]  # written within the 3 s wait
        self.assertTrue(failed, "no auth_failed row")
        self.assertEqual(failed[-1]["user"], "alice")
        self.assertEqual(failed[-1]["client_ip"], "127.0.0.1")
        dump = json.dumps(rows)
        self.assertNotIn("wrong-password-xyz", dump)
        self.assertNotIn(base64.b64encode(b"\0alice\0wrong-password-xyz").decode(), dump)
        self.assertNotIn("wrong-password-xyz", self.relay_.stderr_text())

    def test_user_without_relay_right(self):
        import smtplib
        with smtplib.SMTP("127.0.0.1", self.ports[1], timeout=30) as s:
            s.starttls(context=ssl._create_unverified_context())
            s.ehlo("client.it.example.test")
            s.login("norelay", PASSWORD)
            s.mail("norelay@example.test")
            code, text = s.rcpt("victim@example.org")
            self.assertEqual(code, 554, text)
        self.assert_nothing_arrived()

    def test_submission_requires_tls(self):
        with socket.create_connection(("127.0.0.1", self.ports[1]), timeout=10) as s:
            f = s.makefile("rb")
            self.assertTrue(f.readline().startswith(b"220"))
            s.sendall(b"EHLO c.test\r\n")
            lines = []
            while True:
                line = f.readline()
                lines.append(line)
                if line[3:4] == b" ":
                    break
            self.assertNotIn(b"AUTH", b"".join(lines))
            s.sendall(b"AUTH PLAIN " + base64.b64encode(b"\0alice\0" + PASSWORD.encode()) + b"\r\n")
            self.assertTrue(f.readline().startswith(b"538 5.7.11"))
            s.sendall(b"MAIL FROM:<a@example.test>\r\n")
            self.assertTrue(f.readline().startswith(b"530 5.7.0"))
        self.assert_nothing_arrived(1)

    def test_starttls_command_injection(self):
        """CVE-2011-0411: commands pipelined after STARTTLS are never answered."""
        raw = socket.create_connection(("127.0.0.1", self.ports[1]), timeout=10)
        f = raw.makefile("rb")
        self.assertTrue(f.readline().startswith(b"220"))
        raw.sendall(b"EHLO c.test\r\n")
        while f.readline()[3:4] != b" ":
            pass
        raw.sendall(b"STARTTLS\r\nRSET\r\nMAIL FROM:<evil@example.test>\r\n")
        self.assertTrue(f.readline().startswith(b"220 2.0.0"))
        ctx = ssl._create_unverified_context()
        try:
            tls = ctx.wrap_socket(raw, server_hostname="relay-it.example.test")
        except (ssl.SSLError, OSError):
            return  # the server refused the handshake polluted by plaintext: also safe
        tls.settimeout(2)
        try:
            data = tls.recv(4096)
        except (socket.timeout, ssl.SSLError, OSError):
            data = b""
        self.assertEqual(data, b"", "the server answered commands injected before TLS: %r" % data)
        tls.close()

    def test_openssl_protocol_versions(self):
        def s_client(flag, starttls=True):
            args = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % self.ports[1 if starttls else 2], flag]
            if flag in ("-tls1", "-tls1_1"):
                # Let the client really offer the old protocols (Debian's default
                # security level would refuse them client-side, proving nothing).
                args += ["-cipher", "DEFAULT@SECLEVEL=0"]
            if starttls:
                args += ["-starttls", "smtp"]
            proc = subprocess.run(args, input=b"QUIT\r\n", stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  timeout=30)
            return proc.returncode, proc.stdout.decode("utf-8", "replace")
        for flag in ("-tls1", "-tls1_1"):
            rc, out = s_client(flag)
            self.assertNotEqual(rc, 0, "%s was accepted:\n%s" % (flag, out))
            self.assertNotRegex(out, r"Protocol\s*:\s*TLSv1(\.1)?\s*$")
        for flag, name in (("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")):
            for starttls in (True, False):
                rc, out = s_client(flag, starttls)
                self.assertEqual(rc, 0, "%s refused (starttls=%s):\n%s" % (flag, starttls, out))
                self.assertIn(name, out)


if __name__ == "__main__":
    unittest.main(verbosity=2)

#!/usr/bin/python3
"""The flagship path against a real OAuth-verifying SMTP server (issue #9): a "device" (swaks: no
TLS, no AUTH, from 127.0.0.1 which is relay-listed) -> relaydesk --headless with an OAuth client
credentials connector (token from the oauthlib token endpoint of oauth_token_server.py) -> Dovecot
2.3 submission (STARTTLS required, AUTH XOAUTH2 / OAUTHBEARER checked by Dovecot's oauth2 passdb
through RFC 7662 introspection of the issued tokens, dovecot_peer.py) -> smtp-sink. Asserts the
message arrives intact (Message-ID, body hash) and that Dovecot logged the OAuth login. A token
the endpoint did not issue is refused by Dovecot (mail stays queued).

Needs root (Dovecot drops privileges itself) and Debian dovecot-core + dovecot-submissiond.
"""

import hashlib
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dovecot_peer  # noqa: E402
import harness  # noqa: E402
from oauth_smtp_server import self_signed  # noqa: E402
from oauth_token_server import Client, TokenServer  # noqa: E402

MAILBOX = "scanner@contoso.test"
SECRET = "cc-secret-dovecot-51c2"
SCOPE = "https://outlook.office365.com/.default"


def body_hash(raw):
    """SHA-256 of the body (after the first empty line), line ends normalised, trailing blank lines dropped."""
    text = raw.replace(b"\r\n", b"\n")
    body = text.split(b"\n\n", 1)[1] if b"\n\n" in text else b""
    return hashlib.sha256(body.rstrip(b"\n")).hexdigest()


@unittest.skipUnless(dovecot_peer.available(), "needs root and dovecot-core + dovecot-submissiond")
class DovecotOAuth(harness.RelayTestCase):
    def setUp(self):
        super().setUp()
        self.tokens = TokenServer().start()
        self.addCleanup(self.tokens.stop)
        self.tokens.add_client(Client("app-secret", secret=SECRET, scopes=[SCOPE]), mailbox=MAILBOX)
        self.intro = dovecot_peer.Introspection(self.tokens.store).start()
        self.addCleanup(self.intro.stop)
        self.out = self.sink()
        d = self.tmpdir()
        cert, key, _, _ = self_signed("dovecot.test", d)
        os.chmod(key, 0o600)
        self.dovecot = dovecot_peer.Dovecot(harness.free_port(), self.out.port, self.intro.url(), cert, key)
        self.addCleanup(self.dovecot.stop)
        self.dovecot.start()

    def start_relay(self, sasl, secret=SECRET):
        port = harness.free_port()
        cfg = harness.default_config(port, "", retry_schedule="2")
        cfg["send_connectors"] = [{
            "name": "m365-like", "domains": ["*"], "route": "smarthost",
            "smart_hosts": ["127.0.0.1:%d" % self.dovecot.port], "tls": "required",
            "auth_mechanism": "oauth2", "connect_timeout_s": 5, "command_timeout_s": 20,
            "oauth": {"flow": "client_credentials", "provider": "custom",
                      "token_endpoint": self.tokens.token_url(), "client_id": "app-secret",
                      "client_auth": "secret", "client_secret": secret, "scope": SCOPE,
                      "mailbox": MAILBOX, "sasl": sasl},
        }]
        relay = harness.Relay(self.tmpdir(), "", config=cfg)
        self._relays.append(relay)
        relay.start()
        return relay

    def swaks(self, relay, mid, body):
        cmd = ["swaks", "--server", "127.0.0.1", "--port", str(relay.port), "--from", "printer@printers.test",
               "--to", "someone@example.net", "--helo", "printer.printers.test",
               "--header", "Message-Id: %s" % mid, "--header", "Subject: scan to mail",
               "--body", body, "--timeout", "20"]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        self.assertNotIn("STARTTLS", res.stdout.split("EHLO", 1)[0])  # the device speaks plain SMTP
        return res

    def flagship(self, sasl, mech_logged):
        relay = self.start_relay(sasl)
        mid = "<dovecot-%s@printers.test>" % sasl
        body = "Scanned document %s\nline two\n" % sasl
        self.swaks(relay, mid, body)
        msgs = self.out.wait_for(1, timeout=40)
        got = [m for m in msgs if m.message_id == mid]
        self.assertEqual(len(got), 1, msgs)
        m = got[0]
        self.assertEqual(m.recipients, ["someone@example.net"])
        self.assertEqual(body_hash(m.raw.encode() if isinstance(m.raw, str) else m.raw),
                         hashlib.sha256(body.encode().rstrip(b"\n")).hexdigest())
        log = harness.wait_until(lambda: "method=%s" % mech_logged in self.dovecot.log_text()
                                 and self.dovecot.log_text(), 10, what="Dovecot OAuth login line")
        self.assertIn("Login: user=<%s>, method=%s" % (MAILBOX, mech_logged), log)
        self.assertIn("TLS", log.split("method=%s" % mech_logged, 1)[1].split("\n", 1)[0])
        self.assertGreaterEqual(self.intro.calls, 1)
        self.assertEqual(self.tokens.store.count("client_credentials", True), 1)
        return relay

    def test_xoauth2(self):
        self.flagship("xoauth2", "XOAUTH2")

    def test_oauthbearer(self):
        self.flagship("oauthbearer", "OAUTHBEARER")

    def test_revoked_token_stays_queued(self):
        relay = self.start_relay("xoauth2")
        # Every token is revoked as soon as it is issued: Dovecot's introspection says inactive.

        class Revoking(dict):
            def __setitem__(self, k, v):
                pass
        self.tokens.store.access = Revoking()
        self.swaks(relay, "<revoked@printers.test>", "never delivered\n")
        harness.wait_until(lambda: "oauth2 failed" in self.dovecot.log_text().lower()
                           or "Invalid token" in self.dovecot.log_text()
                           or "auth failed" in self.dovecot.log_text().lower(), 30,
                           what="Dovecot refusing the token")
        rows = harness.wait_until(lambda: [r for r in relay.queue_rows() if r.get("last_error")], 30,
                                  what="a queued message with an error")
        self.assertEqual(self.out.messages(), [])
        self.assertTrue(rows)


if __name__ == "__main__":
    unittest.main(verbosity=2)

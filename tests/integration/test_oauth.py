#!/usr/bin/python3
"""OAuth 2.0 smart-host sign-in end to end (issue #9): a "device" (smtplib, plain, no AUTH, from a
listed IP) -> relaydesk --headless -> an SMTP smart host that requires AUTH XOAUTH2/OAUTHBEARER
with tokens from an oauthlib token endpoint (both in this process, on 127.0.0.1).

Covers: client credentials with a secret and with a certificate (the JWT client assertion is
verified with the certificate's public key by PyJWT + cryptography), OAUTHBEARER, token reuse
across messages (token requests counted), expiry and refresh, a revoked token (one fresh token
and a retry on a new connection, then delivered), invalid_client (mail stays queued with the
token endpoint's error in the queue's last error), token endpoint down (queued, delivered once it
is back), and that no secret reaches the relay's logs or its exported configuration.
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from oauth_smtp_server import SmtpServer, self_signed  # noqa: E402
from oauth_token_server import Client, TokenServer  # noqa: E402

MAILBOX = "scanner@contoso.test"
SECRET = "cc-secret-6f1e0b9a"
SCOPE = "https://outlook.office365.com/.default"


class OAuthRelay(harness.RelayTestCase):
    def setUp(self):
        super().setUp()
        self.tokens = TokenServer().start()
        self.smtp = SmtpServer(self.tokens.store).start()
        self.addCleanup(self.smtp.stop)
        self.addCleanup(self.tokens.stop)
        self.tokens.add_client(Client("app-secret", secret=SECRET, scopes=[SCOPE]), mailbox=MAILBOX)
        self.keydir = self.tmpdir()
        _, _, self.app_cert, self.app_key = self_signed("relaydesk-app", self.keydir)
        self.tokens.add_client(Client("app-cert", cert_pem=self.app_cert, scopes=[SCOPE]), mailbox=MAILBOX)

    def start_relay(self, client_auth="secret", sasl="auto", retry="1", client_id=None, secret=SECRET):
        port = harness.free_port()
        cfg = harness.default_config(port, "", retry_schedule=retry)
        oauth = {
            "flow": "client_credentials", "provider": "custom", "token_endpoint": self.tokens.token_url(),
            "client_id": client_id or ("app-secret" if client_auth == "secret" else "app-cert"),
            "client_auth": client_auth, "scope": SCOPE, "mailbox": MAILBOX, "sasl": sasl,
        }
        if client_auth == "secret":
            oauth["client_secret"] = secret
        else:
            oauth["certificate"] = self.app_cert.decode()
            oauth["private_key"] = self.app_key.decode()
        cfg["send_connectors"] = [{
            "name": "cloud", "domains": ["*"], "route": "smarthost",
            "smart_hosts": ["127.0.0.1:%d" % self.smtp.port], "tls": "required",
            "auth_mechanism": "oauth2", "oauth": oauth, "connect_timeout_s": 5, "command_timeout_s": 20,
        }]
        relay = harness.Relay(self.tmpdir(), "", config=cfg)
        self._relays.append(relay)
        relay.start()
        return relay

    def send(self, relay, subject):
        msg, mid = harness.make_message(subject=subject, to=("someone@example.net",))
        res = harness.send_smtp(relay.port, "device@printers.test", ["someone@example.net"], msg)
        self.assertTrue(res.accepted, res)
        return msg, mid

    def wait_messages(self, n, timeout=30):
        return harness.wait_until(lambda: len(self.smtp.messages) >= n and self.smtp.messages, timeout,
                                  what="%d message(s) at the smart host" % n)

    def assertNoSecrets(self, relay):
        text = relay.stderr_text()
        for row in relay.log_rows():
            text += " ".join(str(v) for v in row.values())
        for row in relay.queue_rows():
            text += str(row.get("last_error", ""))
        issued = list(self.tokens.store.access) + list(self.tokens.store.refresh)
        for secret in [SECRET, "PRIVATE KEY"] + issued:
            self.assertNotIn(secret, text, "a secret reached the relay's logs or queue")

    # ------------------------------------------------------------------ positive paths

    def test_client_secret_token_reused_across_messages(self):
        relay = self.start_relay()
        sent = [self.send(relay, "msg %d" % i) for i in range(3)]
        got = self.wait_messages(3)
        self.assertEqual(sorted(m["data"].count(b"msg ") for m in got), [1, 1, 1])
        for msg, mid in sent:
            self.assertTrue(any(mid.encode() in m["data"] for m in got), mid)
        self.assertTrue(all(m["user"] == MAILBOX for m in got))
        self.assertEqual(self.tokens.store.count("client_credentials", ok=True), 1,
                         "one token for all messages, not one per message")
        self.assertTrue(all(a["mech"] == "XOAUTH2" and a["ok"] for a in self.smtp.auths), self.smtp.auths)
        # Later mail (a new connection) still uses the cached token.
        self.send(relay, "later")
        self.wait_messages(4)
        self.assertEqual(self.tokens.store.count("client_credentials"), 1)
        self.assertNoSecrets(relay)
        rc = harness.run_relay(["--export-config", os.path.join(relay.base_dir, "export.json")],
                               data_dir=relay.data_dir)
        if rc.returncode == 0:
            with open(os.path.join(relay.base_dir, "export.json")) as f:
                exported = f.read()
            self.assertIn("app-secret", exported)
            self.assertNotIn(SECRET, exported)

    def test_certificate_assertion_and_oauthbearer(self):
        relay = self.start_relay(client_auth="certificate", sasl="oauthbearer")
        self.send(relay, "with a certificate")
        self.wait_messages(1)
        self.assertEqual(len(self.tokens.assertions), 1)
        a = self.tokens.assertions[0]
        self.assertIn(a["header"]["alg"], ("RS256", "PS256"))
        self.assertEqual(a["claims"]["aud"], self.tokens.token_url())
        self.assertEqual(a["claims"]["iss"], "app-cert")
        auth = self.smtp.auths[-1]
        self.assertEqual(auth["mech"], "OAUTHBEARER")
        self.assertTrue(auth["ok"])
        self.assertEqual(auth["user"], MAILBOX)
        self.assertEqual(auth["kv"].get("port"), str(self.smtp.port))
        self.assertNoSecrets(relay)

    def test_expired_token_is_refreshed(self):
        self.tokens.expires_in = 3
        relay = self.start_relay()
        self.send(relay, "first")
        self.wait_messages(1)
        time.sleep(4)  # the first token has expired at the server
        self.send(relay, "second")
        self.wait_messages(2)
        self.assertGreaterEqual(self.tokens.store.count("client_credentials", ok=True), 2)
        self.assertTrue(all(a["ok"] for a in self.smtp.auths), self.smtp.auths)

    def test_revoked_token_refresh_and_retry(self):
        relay = self.start_relay()
        self.send(relay, "before")
        self.wait_messages(1)
        self.tokens.store.revoke_all_access()  # the cached token is now refused by the server
        time.sleep(2.5)  # let the idle connection close: the next message signs in again
        self.send(relay, "after revocation")
        self.wait_messages(2, timeout=20)
        refused = [a for a in self.smtp.auths if not a["ok"]]
        self.assertEqual(len(refused), 1, self.smtp.auths)
        self.assertEqual(self.tokens.store.count("client_credentials", ok=True), 2)
        self.assertIn("event=oauth_retry", relay.stderr_text())

    # ------------------------------------------------------------------ failures keep mail queued

    def test_invalid_client_stays_queued_with_clear_error(self):
        self.tokens.mode = "invalid_client"
        relay = self.start_relay(retry="60")
        self.send(relay, "stuck")

        def errored():
            rows = relay.queue_rows()
            return rows and "invalid_client" in rows[0].get("last_error", "") and rows
        rows = harness.wait_until(errored, 30, what="queue last_error with invalid_client")
        err = rows[0]["last_error"]
        self.assertIn("token endpoint said invalid_client: AADSTS7000215", err)
        self.assertNotEqual(rows[0]["state_name"], "failed")
        self.assertEqual(self.smtp.messages, [])
        self.assertEqual(self.smtp.auths, [])  # no sign-in without a token
        self.assertNoSecrets(relay)

    def test_token_endpoint_down_then_back(self):
        port = self.tokens.port
        self.tokens.stop()
        relay = self.start_relay(retry="2")
        self.send(relay, "while the endpoint is down")

        def errored():
            rows = relay.queue_rows()
            return rows and "unreachable" in rows[0].get("last_error", "") and rows
        rows = harness.wait_until(errored, 30, what="queue last_error: token endpoint unreachable")
        self.assertNotEqual(rows[0]["state_name"], "failed")
        self.assertEqual(self.smtp.messages, [])
        self.tokens.start(port)  # back on the same URL
        self.wait_messages(1, timeout=40)
        harness.wait_until(lambda: relay.queue_rows() == [], 20, what="queue empty")


if __name__ == "__main__":
    unittest.main()

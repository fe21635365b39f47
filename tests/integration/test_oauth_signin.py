#!/usr/bin/python3
"""Delegated OAuth sign-in (authorization code + PKCE) end to end, and a wrong scope.

`relaydesk --oauth-sign-in CONNECTOR` prints the authorization URL; the test plays the browser
(urllib: GET the oauthlib token server's /authorize, which signs the user in and redirects to
RelayDesk's loopback listener with the code). RelayDesk exchanges the code (the server checks the
PKCE verifier against the challenge) and stores the refresh token. The relay then delivers mail
to the XOAUTH2 smart host with access tokens obtained from that refresh token; the refresh token
never shows in logs or the export. A connector asking for a scope the client was not granted gets
invalid_scope: its mail stays queued with that error.
"""

import os
import subprocess
import sys
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from oauth_smtp_server import SmtpServer  # noqa: E402
from oauth_token_server import Client, TokenServer  # noqa: E402

MAILBOX = "frontdesk@contoso.test"
SECRET = "deleg-secret-91c2"
SCOPE = "https://mail.example/smtp"


class OAuthSignIn(harness.RelayTestCase):
    def setUp(self):
        super().setUp()
        self.tokens = TokenServer().start()
        self.smtp = SmtpServer(self.tokens.store).start()
        self.addCleanup(self.smtp.stop)
        self.addCleanup(self.tokens.stop)
        self.tokens.add_client(Client("app-deleg", secret=SECRET, scopes=[SCOPE]), mailbox=MAILBOX)
        self.tokens.signed_in_user = MAILBOX

    def config(self, flow="authorization_code", scope=SCOPE, retry="1"):
        cfg = harness.default_config(harness.free_port(), "", retry_schedule=retry)
        oauth = {"flow": flow, "provider": "custom", "token_endpoint": self.tokens.token_url(),
                 "client_id": "app-deleg", "client_auth": "secret", "client_secret": SECRET,
                 "scope": scope, "mailbox": MAILBOX, "sasl": "xoauth2"}
        if flow == "authorization_code":
            oauth["authorize_endpoint"] = self.tokens.authorize_url()
        cfg["send_connectors"] = [{
            "name": "cloud", "domains": ["*"], "route": "smarthost",
            "smart_hosts": ["127.0.0.1:%d" % self.smtp.port], "tls": "required",
            "auth_mechanism": "oauth2", "oauth": oauth, "connect_timeout_s": 5, "command_timeout_s": 20}]
        return cfg

    def test_sign_in_then_deliver_with_the_refresh_token(self):
        relay = harness.Relay(self.tmpdir(), "", config=self.config())
        self._relays.append(relay)
        # Unknown connector: a clear refusal.
        bad = harness.run_relay(["--config", relay.config_path, "--oauth-sign-in", "nope"], data_dir=relay.data_dir)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("no send connector named", bad.stderr.decode())

        proc = subprocess.Popen([harness.relay_binary(), "--data-dir", relay.data_dir, "--config", relay.config_path,
                                 "--oauth-sign-in", "cloud"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, env=harness.clean_env())
        try:
            url = None
            for _ in range(10):
                line = proc.stdout.readline().decode().strip()
                if line.startswith("http://"):
                    url = line
                    break
            self.assertIsNotNone(url, "no authorization URL printed")
            self.assertTrue(url.startswith(self.tokens.authorize_url()), url)
            self.assertIn("code_challenge_method=S256", url)
            # The browser step: /authorize redirects to RelayDesk's loopback listener with the code.
            with urllib.request.urlopen(url, timeout=20) as page:
                self.assertEqual(page.status, 200)
                self.assertTrue(page.geturl().startswith("http://127.0.0.1:"), page.geturl())
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(proc.returncode, 0, err.decode())
        self.assertIn("Signed in", out.decode())
        self.assertEqual(self.tokens.store.count("authorization_code", ok=True), 1)
        refresh = list(self.tokens.store.refresh)
        self.assertTrue(refresh)

        relay.start()
        msg, mid = harness.make_message("after sign-in", to=("someone@example.net",))
        self.assertTrue(harness.send_smtp(relay.port, "device@printers.test", ["someone@example.net"], msg).accepted)
        got = harness.wait_until(lambda: self.smtp.messages or None, 30, what="delivery with the refresh token")
        self.assertIn(mid.encode(), got[0]["data"])
        self.assertEqual(got[0]["user"], MAILBOX)
        self.assertGreaterEqual(self.tokens.store.count("refresh_token", ok=True), 1)
        text = relay.stderr_text() + " ".join(" ".join(str(v) for v in r.values()) for r in relay.log_rows())
        for token in refresh + list(self.tokens.store.access) + [SECRET]:
            self.assertNotIn(token, text)

    def test_wrong_scope_stays_queued(self):
        relay = harness.Relay(self.tmpdir(), "", config=self.config("client_credentials", scope="wrong.scope",
                                                                     retry="60"))
        self._relays.append(relay)
        relay.start()
        msg, _ = harness.make_message("scope", to=("someone@example.net",))
        self.assertTrue(harness.send_smtp(relay.port, "device@printers.test", ["someone@example.net"], msg).accepted)

        def errored():
            rows = relay.queue_rows()
            return rows and "invalid_scope" in rows[0].get("last_error", "") and rows
        rows = harness.wait_until(errored, 30, what="queue last_error with invalid_scope")
        self.assertNotEqual(rows[0]["state_name"], "failed")
        self.assertEqual(self.smtp.messages, [])


if __name__ == "__main__":
    unittest.main(verbosity=2)

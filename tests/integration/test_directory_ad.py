#!/usr/bin/python3
"""Directory sign-in against Active Directory: Samba 4 as an AD domain controller.

sambadc.py provisions a domain (EXAMPLE.TEST) into a temp folder and runs `samba` on
127.0.0.88 (LDAPS on 636, its KDC on 88). RelayDesk headless signs users in with
directory.kind = ad: login by sAMAccountName and by userPrincipalName, the disabled bit
of userAccountControl (AD's "data 533"), nested groups by the in-chain matching rule
(1.2.840.113556.1.4.1941), "send as" from proxyAddresses, and AUTH GSSAPI with a ticket
from the DC's own KDC and a keytab exported from it. Needs root (AD's fixed ports).
"""

import os
import smtplib
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from sambadc import SambaDC  # noqa: E402

SERVICE_HOST = "mail.example.test"
SERVICE = "smtp/" + SERVICE_HOST


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


@unittest.skipUnless(os.geteuid() == 0, "Samba AD binds the fixed AD ports: run as root (CI does)")
class ActiveDirectory(harness.RelayTestCase):
    dc = None

    @classmethod
    def setUpClass(cls):
        cls.dc = SambaDC()
        cls.dc.__enter__()
        cls.keytab = os.path.join(tempfile.mkdtemp(prefix="rd-ad-keytab-"), "smtp.keytab")
        cls.dc.export_keytab(SERVICE, cls.keytab)
        cls.saved = os.environ.get("KRB5_CONFIG")
        os.environ["KRB5_CONFIG"] = cls.dc.krb5_conf

    @classmethod
    def tearDownClass(cls):
        if cls.saved is None:
            os.environ.pop("KRB5_CONFIG", None)
        else:
            os.environ["KRB5_CONFIG"] = cls.saved
        cls.dc.__exit__(None, None, None)

    def setUp(self):
        super().setUp()
        self.sink_ = self.sink()
        self.ports = [harness.free_port(), harness.free_port()]
        base = self.tmpdir()
        proc = subprocess.run([harness.relay_binary(), "--data-dir", os.path.join(base, "data"),
                               "--generate-certificate", SERVICE_HOST], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=harness.clean_env(), timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        cert = proc.stdout.decode().strip()
        settings = {
            "directory.enabled": True,
            "directory.kind": "ad",
            "directory.servers": self.dc.ldaps_uri,
            "directory.ca_file": self.dc.ca_file,
            "directory.bind_dn": self.dc.service_dn,
            "directory.bind_password": self.dc.service_password,
            "directory.base_dn": self.dc.base_dn,
            "directory.relay_groups": self.dc.group_dn("Relay senders"),
            "directory.cache_seconds": 0,
            "gssapi.keytab": self.keytab,
            "gssapi.service_principal": SERVICE + "@" + self.dc.realm,
        }
        cfg = harness.default_config(harness.free_port(), self.sink_.address, settings=settings)
        cfg["listeners"] += [
            {"name": "submission", "address": "127.0.0.1", "port": self.ports[0], "relay_allow": [],
             "relay_deny": [], "mode": "starttls_required", "role": "submission", "certificate": cert},
            {"name": "sendas", "address": "127.0.0.1", "port": self.ports[1], "relay_allow": [],
             "relay_deny": [], "mode": "starttls_required", "role": "submission", "certificate": cert,
             "sender_check": True},
        ]
        self.relay_ = harness.Relay(base, self.sink_.address, config=cfg)
        self._relays.append(self.relay_)
        self.relay_.start()

    def submit(self, user, password, sender, subject, port=None):
        msg, _ = harness.make_message(subject=subject, sender=sender, to=("x@example.org",))
        with smtplib.SMTP("127.0.0.1", port or self.ports[0], timeout=60) as s:
            s.ehlo("client.example.test")
            s.starttls(context=tls_context())
            s.ehlo("client.example.test")
            try:
                s.login(user, password)
            except smtplib.SMTPResponseException as e:
                return ("auth", e.smtp_code, e.smtp_error.decode())
            code, text = s.mail(sender)
            if code != 250:
                return ("mail", code, text.decode())
            code, text = s.rcpt("x@example.org")
            if code != 250:
                return ("rcpt", code, text.decode())
            code, text = s.data(msg)
            return ("ok" if code == 250 else "data", code, text.decode())

    def auth_row(self, text):
        return self.relay_.wait_log(lambda r: r.get("rule") == "auth" and text in r.get("message", ""), 20,
                                    "auth row with %r" % text)[-1]

    def arrived(self, subject):
        return [m for m in self.sink_.messages() if m.header("Subject") == subject]

    def test_1_sam_and_upn_logins_nested_groups(self):
        pw = self.dc.passwords
        step, _, text = self.submit("alice", pw["alice"], "alice@example.test", "ad-sam-1")
        self.assertEqual(step, "ok", text)
        step, _, text = self.submit("alice@example.test", pw["alice"], "alice@example.test", "ad-upn-1")
        self.assertEqual(step, "ok", text)
        # dave is in Helpdesk, nested in Relay senders: found by the in-chain rule.
        step, _, text = self.submit("dave", pw["dave"], "dave@example.test", "ad-nested-1")
        self.assertEqual(step, "ok", text)
        row = self.auth_row("CN=dave")
        self.assertIn("may relay (member of CN=Relay senders", row["message"])
        # bob signs in but may not relay.
        step, code, text = self.submit("bob", pw["bob"], "bob@example.test", "ad-bob-1")
        self.assertEqual((step, code), ("rcpt", 554), text)
        self.auth_row("may not relay")
        self.sink_.wait_for(3, timeout=30)
        time.sleep(0.5)
        self.assertEqual(sorted(m.header("Subject") for m in self.sink_.messages()),
                         ["ad-nested-1", "ad-sam-1", "ad-upn-1"])

    def test_2_disabled_and_wrong_password(self):
        pw = self.dc.passwords
        step, code, text = self.submit("carol", pw["carol"], "carol@example.test", "ad-carol-2")
        self.assertEqual((step, code), ("auth", 535), text)
        row = self.auth_row("account disabled")
        self.assertEqual(row["result"], "auth_failed")
        step, code, text = self.submit("alice", "not-her-password", "alice@example.test", "ad-wrong-2")
        self.assertEqual((step, code), ("auth", 535), text)
        self.auth_row("wrong password")
        time.sleep(0.5)
        self.assertEqual(self.sink_.messages(), [])

    def test_3_send_as_proxy_addresses(self):
        pw = self.dc.passwords
        step, _, text = self.submit("alice", pw["alice"], "a.jones@example.test", "ad-proxy-3", self.ports[1])
        self.assertEqual(step, "ok", text)
        step, code, text = self.submit("alice", pw["alice"], "dave@example.test", "ad-other-3", self.ports[1])
        self.assertEqual((step, code), ("mail", 553), text)
        self.sink_.wait_for(1, timeout=30)
        time.sleep(0.3)
        self.assertEqual([m.header("Subject") for m in self.sink_.messages()], ["ad-proxy-3"])

    def test_4_kerberos_ticket_from_the_dc(self):
        from gssapi_smtp_client import authenticate
        ccache = self.dc.kinit("alice", self.dc.passwords["alice"])
        msg, _ = harness.make_message(subject="ad-gss-4", sender="alice@example.test", to=("x@example.org",))
        with smtplib.SMTP("127.0.0.1", self.ports[0], timeout=60) as s:
            s.ehlo("client.example.test")
            s.starttls(context=tls_context())
            s.ehlo("client.example.test")
            code, text = authenticate(s, SERVICE_HOST, ccache=ccache if ccache.startswith("FILE:") else "FILE:" + ccache)
            self.assertEqual(code, 235, text)
            s.sendmail("alice@example.test", ["x@example.org"], msg)
        self.sink_.wait_for(1, timeout=30)
        self.assertEqual(len(self.arrived("ad-gss-4")), 1)
        row = self.auth_row("GSSAPI")
        self.assertEqual(row["user"], "alice@EXAMPLE.TEST")
        self.assertIn("may relay", row["message"])

    def test_5_removed_from_group_stops_relaying(self):
        pw = self.dc.passwords
        step, _, text = self.submit("alice", pw["alice"], "alice@example.test", "ad-before-5")
        self.assertEqual(step, "ok", text)
        self.dc.remove_member("Relay senders", "alice")
        try:
            step, code, text = self.submit("alice", pw["alice"], "alice@example.test", "ad-after-5")
            self.assertEqual((step, code), ("rcpt", 554), text)  # cache_seconds 0: at once
        finally:
            self.dc.add_member("Relay senders", "alice")
        self.sink_.wait_for(1, timeout=30)
        time.sleep(0.3)
        self.assertEqual([m.header("Subject") for m in self.sink_.messages()], ["ad-before-5"])


if __name__ == "__main__":
    unittest.main(verbosity=2)

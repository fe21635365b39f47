#!/usr/bin/python3
"""AUTH GSSAPI (RFC 4752, Kerberos) end to end: MIT krb5kdc + OpenLDAP + RelayDesk headless.

kdcserver.py runs a real KDC (realm EXAMPLE.TEST, the service smtp/mail.example.test with
its keytab); slapdserver.py the directory that maps principals to users and groups.
Clients with tickets from kinit: curl (--login-options AUTH=GSSAPI; no initial
response) and python-gssapi (gssapi_smtp_client.py: initial response, mutual
authentication). Every positive case checks the sink; every negative case that nothing
arrived and the reason in the log.
"""

import os
import smtplib
import ssl
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from gssapi_smtp_client import authenticate  # noqa: E402
from kdcserver import KdcServer  # noqa: E402
from slapdserver import SlapdServer, group_dn  # noqa: E402

SERVICE_HOST = "mail.example.test"


def admin(data_dir, args):
    proc = subprocess.run([harness.relay_binary(), "--data-dir", data_dir] + args, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=harness.clean_env(), timeout=120)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Gssapi(harness.RelayTestCase):
    kdc = None
    ldap = None

    @classmethod
    def setUpClass(cls):
        cls.kdc = KdcServer()
        cls.kdc.__enter__()
        cls.ldap = SlapdServer()
        cls.ldap.start()
        # The relay (a child of this process) reads the same krb5.conf and replay-cache folder.
        cls.saved_env = {k: os.environ.get(k) for k in ("KRB5_CONFIG", "KRB5RCACHEDIR", "KRB5_KDC_PROFILE")}
        os.environ.update(cls.kdc.env())

    @classmethod
    def tearDownClass(cls):
        for k, v in cls.saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        cls.ldap.close()
        cls.kdc.__exit__(None, None, None)

    def setUp(self):
        super().setUp()
        self.sink_ = self.sink()
        self.port = harness.free_port()
        base = self.tmpdir()
        rc, out, errs = admin(os.path.join(base, "data"), ["--generate-certificate", SERVICE_HOST])
        self.assertEqual(rc, 0, errs)
        settings = {
            "directory.enabled": True,
            "directory.kind": "openldap",
            "directory.servers": self.ldap.ldaps_uri,
            "directory.ca_file": self.ldap.ca_file,
            "directory.bind_dn": self.ldap.service_dn,
            "directory.bind_password": self.ldap.service_password,
            "directory.base_dn": self.ldap.base_dn,
            "directory.relay_groups": group_dn("Relay senders"),
            "gssapi.keytab": self.kdc.keytab,
            "gssapi.service_principal": self.kdc.service_principal,
        }
        cfg = harness.default_config(harness.free_port(), self.sink_.address, settings=settings)
        cfg["listeners"].append(
            {"name": "submission", "address": "127.0.0.1", "port": self.port, "relay_allow": [], "relay_deny": [],
             "mode": "starttls_required", "role": "submission", "certificate": out.strip()})
        self.relay_ = harness.Relay(base, self.sink_.address, config=cfg)
        self._relays.append(self.relay_)
        self.relay_.start()

    def python_client(self, user, subject, authzid="", sender=None, rcpt="x@example.org", starttls=True):
        """AUTH GSSAPI with python-gssapi; returns (auth code, text, send ok)."""
        ccache = self.kdc.kinit(user)
        msg, _ = harness.make_message(subject=subject, sender=sender or "%s@example.test" % user, to=(rcpt,))
        with smtplib.SMTP("127.0.0.1", self.port, timeout=60) as s:
            s.ehlo("client.example.test")
            if starttls:
                s.starttls(context=tls_context())
                s.ehlo("client.example.test")
            code, text = authenticate(s, SERVICE_HOST, authzid=authzid, ccache=ccache)
            if code != 235:
                return code, text, False
            try:
                s.sendmail(sender or "%s@example.test" % user, [rcpt], msg)
                return code, text, True
            except smtplib.SMTPException as e:
                return code, str(e), False

    def arrived(self, subject):
        return [m for m in self.sink_.messages() if m.header("Subject") == subject]

    def test_1_ehlo_offers_gssapi_only_over_tls(self):
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as s:
            s.ehlo("c.example.test")
            self.assertNotIn("auth", s.esmtp_features)
            s.starttls(context=tls_context())
            s.ehlo("c.example.test")
            self.assertIn("GSSAPI", s.esmtp_features.get("auth", ""))

    def test_2_curl_kerberos_ticket_relays(self):
        ccache = self.kdc.kinit("alice")
        msg, _ = harness.make_message(subject="gss-curl-2", sender="alice@example.test", to=("x@example.org",))
        path = os.path.join(self.tmpdir(), "m.eml")
        with open(path, "wb") as f:
            f.write(msg)
        env = harness.clean_env(dict(self.kdc.env(), KRB5CCNAME=ccache))
        proc = subprocess.run(
            ["curl", "-sS", "--ssl-reqd", "-k", "--url", "smtp://%s:%d" % (SERVICE_HOST, self.port),
             "--connect-to", "%s:%d:127.0.0.1:%d" % (SERVICE_HOST, self.port, self.port),
             "--login-options", "AUTH=GSSAPI", "-u", ":", "--mail-from", "alice@example.test",
             "--mail-rcpt", "x@example.org", "--upload-file", path],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stdout.decode())
        self.sink_.wait_for(1, timeout=30)
        self.assertEqual(len(self.arrived("gss-curl-2")), 1)
        row = self.relay_.wait_log(lambda r: r.get("rule") == "auth" and r.get("result") == "auth_ok", 15)[-1]
        self.assertEqual(row["user"], "alice@EXAMPLE.TEST")
        self.assertIn("uid=alice,ou=people,dc=example,dc=test", row["message"])
        self.assertIn("may relay", row["message"])

    def test_3_python_gssapi_nested_group_and_no_relay(self):
        code, text, sent = self.python_client("dave", "gss-py-3a")
        self.assertEqual(code, 235, text)
        self.assertTrue(sent, text)
        # bob has a valid ticket and a directory entry, but is in no relay group.
        code, text, sent = self.python_client("bob", "gss-py-3b")
        self.assertEqual(code, 235, text)
        self.assertFalse(sent)
        self.assertIn("554", text)
        self.sink_.wait_for(1, timeout=30)
        time.sleep(0.5)
        self.assertEqual(len(self.arrived("gss-py-3a")), 1)
        self.assertEqual(self.arrived("gss-py-3b"), [])

    def test_4_foreign_authzid_is_refused(self):
        code, text, sent = self.python_client("dave", "gss-authz-4", authzid="alice")
        self.assertEqual(code, 535, text)
        self.relay_.wait_log(lambda r: r.get("rule") == "auth" and "asked to act as alice" in r.get("message", ""), 15)
        # Its own name as authzid is fine.
        code, text, sent = self.python_client("dave", "gss-authz-4b", authzid="dave")
        self.assertEqual(code, 235, text)
        self.sink_.wait_for(1, timeout=30)
        time.sleep(0.3)
        self.assertEqual(self.arrived("gss-authz-4"), [])

    def test_5_garbage_token_and_no_tls(self):
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as s:
            s.ehlo("c.example.test")
            code, _ = s.docmd("AUTH", "GSSAPI YWJj")  # before TLS: not offered
            self.assertEqual(code, 538)
            s.starttls(context=tls_context())
            s.ehlo("c.example.test")
            code, text = s.docmd("AUTH", "GSSAPI YWJjZGVmZ2hpamtsbW5vcA==")
            self.assertEqual(code, 535, text)
        row = self.relay_.wait_log(lambda r: r.get("rule") == "auth" and r.get("message", "").startswith("GSSAPI"),
                                   15)[-1]
        self.assertEqual(row["result"], "auth_failed")


if __name__ == "__main__":
    unittest.main(verbosity=2)

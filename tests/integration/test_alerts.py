#!/usr/bin/python3
"""Alerts end to end (issue #6): repeated AUTH failures raise one alert per IP and per user,
logged and stored in log.db, and the alert is mailed to alerts.email through the relay
itself (it arrives at smtp-sink)."""

import base64
import os
import smtplib
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

PASSWORD = "correct horse battery staple"


class Alerts(harness.RelayTestCase):
    def test_auth_failures_raise_and_mail_an_alert(self):
        sink = self.sink()
        base = self.tmpdir()
        data = os.path.join(base, "data")
        add = subprocess.run([harness.relay_binary(), "--data-dir", data, "--add-user", "alice"],
                             input=(PASSWORD + "\n").encode(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=harness.clean_env(), timeout=60)
        self.assertEqual(add.returncode, 0, add.stderr.decode())
        cfg = harness.default_config(harness.free_port(), sink.address,
                                     settings={"alerts.auth_failures": 3, "alerts.email": "admin@example.net"})
        cfg["listeners"][0]["allow_plaintext_auth"] = True
        relay = harness.Relay(base, sink.address, config=cfg)
        self._relays.append(relay)
        relay.start()
        wrong = base64.b64encode(b"\0alice\0wrong password").decode()
        codes = []
        for _ in range(4):
            conn = smtplib.SMTP(harness.LOOPBACK, relay.port, timeout=30)
            conn.ehlo("alerts.example.test")
            codes.append(conn.docmd("AUTH", "PLAIN " + wrong)[0])
            try:
                conn.quit()
            except smtplib.SMTPException:
                conn.close()
        self.assertEqual(codes, [535] * 4)
        raised = relay.wait_log(lambda r: r["result"] == "alert_raised", 30, "alert rows")
        by_subject = " | ".join(r["message"] for r in raised)
        self.assertIn("127.0.0.1", by_subject)
        relay.wait_log(lambda r: r["result"] == "alert_raised" and "alice" in r["message"], 30, "user alert")
        stored = relay._query("log.db", "SELECT rule, subject, resolved FROM alerts")
        self.assertTrue(any(a["subject"] == "alice" for a in stored), stored)
        self.assertTrue(all(a["resolved"] == 0 for a in stored), stored)
        # The alert mail goes through the queue to the smart host.
        msgs = sink.wait_for(1, timeout=40)
        mail = [m for m in msgs if "admin@example.net" in m.recipients]
        self.assertTrue(mail, msgs)
        self.assertTrue(mail[0].header("Subject").startswith("[RelayDesk]"), mail[0].header("Subject"))
        self.assertNotIn(b"wrong password", mail[0].raw)


if __name__ == "__main__":
    unittest.main(verbosity=2)

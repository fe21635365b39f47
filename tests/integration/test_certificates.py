#!/usr/bin/python3
"""Certificate expiry: a certificate that expires within 30 days is a warning, within 7 days
an error, in the log (event=certificate_expiry) naming the listener that uses it."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def admin(data_dir, args, stdin=b""):
    proc = subprocess.run([harness.relay_binary(), "--data-dir", data_dir] + args, input=stdin,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=harness.clean_env(), timeout=120)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


class CertificateExpiry(harness.RelayTestCase):
    def make_cert(self, base, cn, days):
        key, crt = os.path.join(base, cn + ".key"), os.path.join(base, cn + ".crt")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-days", str(days), "-subj", "/CN=" + cn, "-keyout", key, "-out", crt],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return crt, key

    def test_expiry_warnings_in_log(self):
        base = self.tmpdir()
        data = os.path.join(base, "data")
        ids = {}
        for cn, days in (("soon.example.test", 20), ("urgent.example.test", 3), ("fine.example.test", 365)):
            crt, key = self.make_cert(base, cn, days)
            rc, out, err = admin(data, ["--import-pem", crt, "--key", key])
            self.assertEqual(rc, 0, err)
            ids[cn] = out.strip()
        cfg = harness.default_config(harness.free_port(), "127.0.0.1:9")
        cfg["listeners"][0]["certificate"] = ids["urgent.example.test"]
        relay = harness.Relay(base, "127.0.0.1:9", config=cfg)
        self._relays.append(relay)
        relay.start()
        # Both expiry rows (soon and urgent): log rows are written in batches, so wait
        # for the pair rather than for the first row that mentions an expiry.
        harness.wait_until(lambda: len([r for r in relay.log_rows() if r["result"] == "certificate_expiry"]) >= 2,
                           20, 0.1, "both certificate_expiry rows")
        rows = [r for r in relay.log_rows() if r["result"] == "certificate_expiry"]
        # The certificate alert (alerts.certificate_days) raises its own row for the used one.
        alerts = relay.wait_log(lambda r: r["result"] == "alert_raised" and "urgent.example.test" in r["message"],
                                20, "certificate alert")
        self.assertEqual(len(alerts), 1, alerts)
        by_cn = {cn: [r for r in rows if cn in r["message"]] for cn in ids}
        self.assertEqual(len(by_cn["soon.example.test"]), 1, rows)
        self.assertEqual(by_cn["soon.example.test"][0]["level"], "warning")
        self.assertIn("not used by any listener", by_cn["soon.example.test"][0]["message"])
        self.assertEqual(len(by_cn["urgent.example.test"]), 1, rows)
        urgent = by_cn["urgent.example.test"][0]
        self.assertEqual(urgent["level"], "error")
        self.assertRegex(urgent["message"], r"expires in [23] day\(s\)")
        self.assertIn("used by test (127.0.0.1:%d)" % relay.port, urgent["message"])
        self.assertEqual(by_cn["fine.example.test"], [], "a certificate valid for a year is not reported")


if __name__ == "__main__":
    unittest.main(verbosity=2)

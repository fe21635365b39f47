#!/usr/bin/python3
"""The front door in the real window: a relay listener (IP-listed) and a submission
listener (STARTTLS + AUTH required) using an imported PFX, shown under Xvfb.

The data folder is prepared with the command line, as an admin of a headless
install would (`--import-pfx` with the password on stdin, `--add-user`, `--config`
with both listeners on free loopback ports instead of 25 and 587); swaks proves the
submission port works (TLS + AUTH PLAIN, delivered to smtp-sink). Then the GUI
opens that folder under Xvfb on the Connectors and the Certificates panels and
ImageMagick captures them to $RELAYDESK_BUILD_DIR/screenshots/frontdoor-*.png for a
person to look at. The same set-up done through the panels' widgets is
tests/gui/tst_frontdoor.cpp.
"""

import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from test_screenshot import unique_colors, xvfb_capture  # noqa: E402

PFX_PASSWORD = "pfx pass 4 frontdoor"
USER = "frontdesk"
PASSWORD = "Tr0ub4dor & horse staple"


def admin(data_dir, args, stdin=b""):
    proc = subprocess.run([harness.relay_binary(), "--data-dir", data_dir] + args, input=stdin,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=harness.clean_env(), timeout=120)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


class FrontDoorGui(harness.RelayTestCase):
    def test_connectors_and_certificates_panels(self):
        for tool in ("xvfb-run", "import", "xwininfo", "identify", "openssl", "swaks"):
            self.assertIsNotNone(shutil.which(tool), "%s is missing (scripts/deps.sh installs it)" % tool)
        sink = self.sink()
        base = self.tmpdir()
        data = os.path.join(base, "data")
        pfx = os.path.join(base, "frontdoor.pfx")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "fd.key",
                        "-out", "fd.crt", "-days", "365", "-subj", "/CN=mail.frontdoor.test",
                        "-addext", "subjectAltName=DNS:mail.frontdoor.test"],
                       cwd=base, check=True, capture_output=True, timeout=60)
        subprocess.run(["openssl", "pkcs12", "-export", "-inkey", "fd.key", "-in", "fd.crt",
                        "-passout", "pass:" + PFX_PASSWORD, "-out", pfx],
                       cwd=base, check=True, capture_output=True, timeout=60)

        # A wrong password imports nothing; the right one prints the certificate id.
        rc, out, errs = admin(data, ["--import-pfx", pfx], b"wrong\n")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("password", errs.lower())
        rc, out, errs = admin(data, ["--import-pfx", pfx], (PFX_PASSWORD + "\n").encode())
        self.assertEqual(rc, 0, errs)
        cert = out.strip()
        self.assertTrue(cert, "no certificate id printed")
        rc, out, _ = admin(data, ["--list-certificates"])
        self.assertEqual(rc, 0)
        self.assertIn("mail.frontdoor.test", out)
        rc, _, errs = admin(data, ["--add-user", USER], (PASSWORD + "\n").encode())
        self.assertEqual(rc, 0, errs)

        relay_port, submission_port = harness.free_port(), harness.free_port()
        while submission_port == relay_port:
            submission_port = harness.free_port()
        cfg = harness.default_config(relay_port, sink.address, hostname="mail.frontdoor.test")
        cfg["listeners"][0].update({"name": "relay25", "mode": "plain", "role": "relay", "certificate": cert})
        cfg["listeners"].append({
            "name": "submission587", "address": "127.0.0.1", "port": submission_port, "relay_allow": [],
            "relay_deny": [], "mode": "starttls_required", "role": "submission", "certificate": cert,
            "max_message_size": 10 * 1024 * 1024})
        relay = harness.Relay(base, sink.address, config=cfg)
        self._relays.append(relay)
        relay.start()

        def swaks(port, subject, extra):
            return subprocess.run(
                ["swaks", "--server", "127.0.0.1:%d" % port, "--from", "a@example.test", "--to",
                 "b@example.org", "--header", "Subject: " + subject, "--timeout", "20"] + extra,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)

        ok = swaks(submission_port, "frontdoor-gui-587",
                   ["--tls", "--auth", "PLAIN", "--auth-user", USER, "--auth-password", PASSWORD])
        self.assertEqual(ok.returncode, 0, ok.stdout.decode())
        refused = swaks(submission_port, "frontdoor-gui-587-plain", [])
        self.assertNotEqual(refused.returncode, 0, refused.stdout.decode())
        relayed = swaks(relay_port, "frontdoor-gui-25", [])
        self.assertEqual(relayed.returncode, 0, relayed.stdout.decode())
        subjects = sorted(m.header("Subject") for m in sink.wait_for(2, timeout=30))
        self.assertEqual(subjects, ["frontdoor-gui-25", "frontdoor-gui-587"])
        relay.stop()

        out_dir = os.path.join(os.environ.get("RELAYDESK_BUILD_DIR", self.tmpdir()), "screenshots")
        os.makedirs(out_dir, exist_ok=True)
        for panel in ("connectors", "certificates"):
            png = os.path.join(out_dir, "frontdoor-%s.png" % panel)
            if os.path.exists(png):
                os.remove(png)
            info = xvfb_capture(data, panel, png)
            self.assertIn('"RelayDesk"', info, "the window was not mapped:\n" + info)
            self.assertTrue(os.path.exists(png), "no screenshot for %s:\n%s" % (panel, info))
            colors = unique_colors(png)
            harness.log("screenshot %s: %d colours" % (png, colors))
            self.assertGreater(colors, 64, "screenshot of %s looks empty" % panel)


if __name__ == "__main__":
    unittest.main(verbosity=2)

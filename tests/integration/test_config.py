#!/usr/bin/python3
"""Configuration: --check-config, import refusals (exit 2, one clear line per problem),
--export-config round trip, and a corrupt config.db (clear error, no crash, file kept)."""

import copy
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def valid_config(port=2525):
    cfg = harness.default_config(port, "127.0.0.1:2526", retry_schedule="5,10,20")
    cfg["settings"].update({
        "smtp.max_message_size": 10485760,
        "smtp.max_recipients": 50,
        "delivery.max_connections": 3,
        "log.retention_days": 7,
    })
    cfg["listeners"][0]["relay_allow"] = ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    cfg["listeners"][0]["relay_deny"] = ["10.9.9.9"]
    cfg["accepted_domains"] = ["example.test", "mail.example.test"]
    return cfg


class Config(harness.RelayTestCase):

    def write(self, name, content):
        path = os.path.join(self.tmpdir(), name)
        mode = "wb" if isinstance(content, bytes) else "w"
        with open(path, mode) as f:
            if isinstance(content, (dict, list)):
                json.dump(content, f, indent=2)
            else:
                f.write(content)
        return path

    def check(self, content):
        p = harness.run_relay(["--check-config", self.write("c.json", content)], timeout=30)
        return p.returncode, p.stderr.decode("utf-8", "replace") + p.stdout.decode(
            "utf-8", "replace")

    def assertRefused(self, content, *needles):
        rc, err = self.check(content)
        self.assertEqual(rc, 2, "expected exit 2, got %s; output:\n%s" % (rc, err))
        for n in needles:
            self.assertIn(n.lower(), err.lower(), "error output does not name %r:\n%s" % (n, err))
        return err

    def test_check_valid(self):
        rc, err = self.check(valid_config())
        self.assertEqual(rc, 0, err)

    def test_check_minimal(self):
        rc, err = self.check({"format": "relaydesk-config", "version": 1})
        self.assertEqual(rc, 0, err)

    def test_unknown_setting_key(self):
        cfg = valid_config()
        cfg["settings"]["smtp.no_such_setting"] = 5
        self.assertRefused(cfg, "smtp.no_such_setting")

    def test_unknown_top_level_key(self):
        cfg = valid_config()
        cfg["bogus_section"] = {}
        self.assertRefused(cfg, "bogus_section")

    def test_bad_cidr(self):
        cfg = valid_config()
        cfg["listeners"][0]["relay_allow"] = ["127.0.0.1/32", "10.0.0.0/33"]
        self.assertRefused(cfg, "10.0.0.0/33")

    def test_port_out_of_range(self):
        cfg = valid_config(port=70000)
        err = self.assertRefused(cfg, "port")
        self.assertTrue("70000" in err or "65535" in err,
                        "error names neither the value nor the range:\n" + err)

    def test_setting_out_of_range_and_wrong_type(self):
        cfg = valid_config()
        cfg["settings"]["smtp.max_recipients"] = 0
        cfg["settings"]["smtp.idle_timeout_s"] = "soon"
        err = self.assertRefused(cfg, "smtp.max_recipients", "smtp.idle_timeout_s")
        self.assertGreaterEqual(len([l for l in err.splitlines() if l.strip()]), 2,
                                "one line per problem expected:\n" + err)

    def test_not_json(self):
        self.assertRefused("this is { not json\n", "json")

    def test_missing_format(self):
        self.assertRefused({"version": 1}, "format")

    def test_refused_import_changes_nothing(self):
        """--config with an invalid file: exit 2, and the data folder keeps its config."""
        d = self.tmpdir()
        good = valid_config(port=harness.free_port())
        r = harness.Relay(d, "127.0.0.1:2526", config=good)
        self._relays.append(r)
        r.start()
        r.stop()
        before = self.export(r.data_dir)
        bad = copy.deepcopy(good)
        bad["listeners"][0]["port"] = 70000
        p = harness.run_relay(["--headless", "--config", self.write("bad.json", bad)],
                              data_dir=r.data_dir, timeout=30)
        self.assertEqual(p.returncode, 2, p.stderr.decode("utf-8", "replace"))
        self.assertEqual(self.export(r.data_dir), before)

    def export(self, data_dir):
        out = os.path.join(self.tmpdir(), "export.json")
        p = harness.run_relay(["--export-config", out], data_dir=data_dir, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr.decode("utf-8", "replace"))
        with open(out) as f:
            return json.load(f)

    def test_export_round_trip(self):
        port = harness.free_port()
        cfg = valid_config(port=port)
        r = harness.Relay(self.tmpdir(), "127.0.0.1:2526", config=cfg)
        self._relays.append(r)
        r.start()
        rc = r.stop()
        self.assertEqual(rc, 0, "SIGTERM exit status")

        exported = self.export(r.data_dir)
        self.assertEqual(exported.get("format"), "relaydesk-config")
        self.assertEqual(exported.get("version"), 1)
        for key, value in cfg["settings"].items():
            self.assertEqual(exported["settings"].get(key), value, "setting %s" % key)
        self.assertEqual(len(exported["listeners"]), 1, exported["listeners"])
        want = cfg["listeners"][0]
        got = exported["listeners"][0]
        for key in ("name", "address", "port"):
            self.assertEqual(got.get(key), want[key], "listener %s" % key)
        for key in ("relay_allow", "relay_deny"):
            self.assertEqual(sorted(got.get(key, [])), sorted(want[key]), "listener %s" % key)
        self.assertEqual(sorted(exported.get("accepted_domains", [])),
                         sorted(cfg["accepted_domains"]))

        # The export is itself valid and importing it reproduces the same export.
        path = self.write("exported.json", exported)
        p = harness.run_relay(["--check-config", path], timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr.decode("utf-8", "replace"))
        r2 = harness.Relay(self.tmpdir(), "unused:1", config=exported)
        self._relays.append(r2)
        r2.start()
        r2.stop()
        self.assertEqual(self.export(r2.data_dir), exported)

    def test_startup_lines(self):
        """docs/CONFIG.md: 'event=listening msg=<address>' then 'event=ready' on stderr."""
        port = harness.free_port()
        r = harness.Relay(self.tmpdir(), "127.0.0.1:2526", config=valid_config(port=port))
        self._relays.append(r)
        r.start()
        r.stop()
        out = r.stderr_text()
        self.assertRegex(out, r"(?m)\bkind=system event=listening msg=127\.0\.0\.1:%d\b" % port,
                         "no 'event=listening msg=127.0.0.1:%d' line" % port)
        self.assertRegex(out, r"(?m)\bevent=ready\b", "no 'event=ready' line")

    def test_data_dir_permissions(self):
        """docs/CONFIG.md: the data folder and every file in it are owner-only."""
        port = harness.free_port()
        r = harness.Relay(self.tmpdir(), "127.0.0.1:2526", config=valid_config(port=port))
        self._relays.append(r)
        r.start()
        msg, _ = harness.make_message("perm", "x\n", sender="perm@example.test")
        res = harness.send_smtp(port, "perm@example.test", ["p@example.net"], msg)
        self.assertTrue(res.accepted, res)
        r.stop()
        bad = []
        for root, _dirs, files in os.walk(r.data_dir):
            for path, want in [(root, 0o700)] + [(os.path.join(root, f), 0o600) for f in files]:
                mode = os.stat(path).st_mode & 0o777
                if mode & 0o077:
                    bad.append("%s %o (want %o)" % (os.path.relpath(path, r.data_dir), mode, want))
        self.assertEqual(bad, [], "group/other access in the data folder")

    def test_listen_failed_line(self):
        """A listener that cannot bind prints level=error event=listen_failed msg="<address>: <error>"."""
        import socket
        blocker = socket.socket()
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 0)
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        try:
            r = harness.Relay(self.tmpdir(), "127.0.0.1:2526", config=valid_config(port=port))
            self._relays.append(r)
            with self.assertRaises(RuntimeError):
                r.start(timeout=15)
            time.sleep(1)  # let it print whatever comes next
            text = r.stderr_text()
            with self.subTest("listen_failed line format"):
                self.assertRegex(text, r"level=error\b.*\bevent=listen_failed msg=\"127\.0\.0\.1:%d: "
                                 r"[^\"]*in use" % port, text)
            with self.subTest("degraded instead of ready"):
                self.assertRegex(text, r"level=error\b.*\bevent=degraded\b", text)
            with self.subTest("no event=ready when a listener is not bound"):
                self.assertNotRegex(text, r"(?m)^ts=\S+ .*\bevent=ready\b", text)
        finally:
            blocker.close()

    def test_corrupt_config_db(self):
        d = os.path.join(self.tmpdir(), "data")
        os.makedirs(d, mode=0o700)
        path = os.path.join(d, "config.db")
        garbage = b"this is not an SQLite database\n" + hashlib.sha256(b"x").digest() * 512
        with open(path, "wb") as f:
            f.write(garbage)
        for args in (["--headless"], ["--export-config", os.path.join(self.tmpdir(), "o.json")]):
            try:
                p = harness.run_relay(args, data_dir=d, timeout=20)
            except subprocess.TimeoutExpired:
                self.fail("%s with a corrupt config.db kept running instead of exiting" % args)
            err = (p.stderr + p.stdout).decode("utf-8", "replace")
            self.assertGreater(p.returncode, 0, "%s: exit %s (negative = signal %s)\n%s" % (
                args, p.returncode, signal.Signals(-p.returncode).name
                if p.returncode < 0 else "-", err))
            self.assertNotIn(p.returncode, (128 + signal.SIGSEGV, 128 + signal.SIGABRT), err)
            self.assertIn("config.db", err, "error does not name the file:\n" + err)
            self.assertFalse("core dumped" in err.lower(), err)
            with open(path, "rb") as f:
                self.assertEqual(f.read(), garbage, "config.db was modified or replaced")


if __name__ == "__main__":
    unittest.main(verbosity=2)

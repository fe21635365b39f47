#!/usr/bin/python3
"""The IIS Pickup folder end to end: files dropped into pickup.directory (as
System.Net.Mail's SpecifiedPickupDirectory and scripts write them) reach
smtp-sink exactly once and are removed; 3000 files dropped at once all arrive;
a half-written file is not taken until it is complete; a junk file lands in
the badmail folder with a reason file.

Expects the engine wiring described in core/pickup/pickupservice.h: a
PickupService on pickup.directory (settle time 2 s), badmail in
<data>/badmail when badmail.directory is empty, and one log row per pickup
with rule "pickup" and result "queued" (with queue_id) or "badmail"."""

import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "pickup")


def sample(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


def snm_message(i, tag):
    """A file as System.Net.Mail writes it for SpecifiedPickupDirectory."""
    return ("X-Sender: app@example.test\r\n"
            "X-Receiver: user%d@example.test\r\n"
            "X-Receiver: hidden%d@example.test\r\n"
            "MIME-Version: 1.0\r\n"
            "From: \"Load App\" <app@example.test>\r\n"
            "To: user%d@example.test\r\n"
            "Date: 26 Nov 2026 23:40:12 +0000\r\n"
            "Subject: %s %d\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n"
            "\r\n"
            "message %d of the load test\r\n" % (i, i, i, tag, i, i)).encode()


def drop(folder, name, data):
    """Writes under a temporary name, then renames: the way careful writers do."""
    tmp = os.path.join(folder, name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, os.path.join(folder, name))


class Pickup(harness.RelayTestCase):

    def setUp(self):
        super().setUp()
        self.sink_ = self.sink()
        self.pickup = os.path.join(self.tmpdir(), "Pickup")
        os.makedirs(self.pickup)
        self.relay_ = self.relay(self.sink_.address, settings={"pickup.directory": self.pickup})

    def pickup_files(self):
        return sorted(n for n in os.listdir(self.pickup) if not n.startswith("."))

    def claimed_files(self):
        d = os.path.join(self.pickup, ".relaydesk")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def pickup_rows(self):
        return [r for r in self.relay_.log_rows() if r.get("rule") == "pickup"]

    def by_subject(self, msgs):
        out = {}
        for m in msgs:
            out.setdefault(m.header("Subject"), []).append(m)
        return out

    def test_system_net_mail_and_script_files(self):
        drop(self.pickup, "3f1e9a0c-snm.eml", sample("snm-plain.eml"))
        drop(self.pickup, "unicode.eml", sample("snm-unicode.eml"))
        # Written in place (no rename), LF line ends, as a shell script does.
        with open(os.path.join(self.pickup, "backup.eml"), "wb") as f:
            f.write(sample("script-lf.eml"))
        msgs = self.sink_.wait_for(3, timeout=60)
        time.sleep(1.0)
        msgs = self.sink_.messages()
        self.assertEqual(len(msgs), 3, [m.header("Subject") for m in msgs])
        subjects = self.by_subject(msgs)
        invoice = subjects["Invoice 42"][0]
        self.assertEqual(invoice.sender, "app@example.com")
        self.assertEqual(sorted(invoice.recipients),
                         ["alice@example.org", "audit@example.com", "bob@example.net"])
        self.assertNotIn(b"X-Sender:", invoice.raw)
        self.assertNotIn(b"X-Receiver:", invoice.raw)
        # The lone "." and the ".." line arrive as written (dot-stuffed on the wire
        # and unstuffed by the sink, which stores LF line ends).
        self.assertIn(b"\n.\n..a line that starts with dots\n", invoice.raw)
        backup = subjects["backup finished"][0]
        self.assertEqual(backup.sender, "backup@example.com")
        self.assertIn("secret-archive@example.com", backup.recipients)
        self.assertNotIn(b"Bcc:", backup.raw)
        self.assertNotIn(b"secret-archive", backup.raw)
        # Removed once queued; nothing left claimed.
        harness.wait_until(lambda: not self.pickup_files() and not self.claimed_files(), 20, 0.2,
                           "pickup folder to be empty")
        rows = harness.wait_until(
            lambda: [r for r in self.pickup_rows() if r.get("result") == "queued"]
            if len([r for r in self.pickup_rows() if r.get("result") == "queued"]) >= 3 else None,
            20, 0.2, "3 pickup log rows")
        self.assertTrue(all(r["queue_id"] for r in rows), rows)
        logged = " ".join(r["message"] for r in rows)
        for name in ("3f1e9a0c-snm.eml", "unicode.eml", "backup.eml"):
            self.assertIn(name, logged)

    def test_thousands_of_files_at_once_each_delivered_once(self):
        tag = "load-" + uuid.uuid4().hex[:8]
        n = 3000
        # Written first under other names, then all renamed at once.
        staging = os.path.join(self.tmpdir(), "staging")
        os.makedirs(staging)
        for i in range(n):
            with open(os.path.join(staging, "%04d.eml" % i), "wb") as f:
                f.write(snm_message(i, tag))
        for i in range(n):
            os.rename(os.path.join(staging, "%04d.eml" % i), os.path.join(self.pickup, "%04d.eml" % i))
        self.sink_.wait_for(n, timeout=240)
        time.sleep(2.0)  # anything extra (a duplicate) would arrive now
        msgs = self.sink_.messages()
        subjects = self.by_subject(msgs)
        self.assertEqual(len(msgs), n, "duplicates: %r" % [s for s, m in subjects.items() if len(m) > 1][:5])
        for i in range(n):
            got = subjects.get("%s %d" % (tag, i), [])
            self.assertEqual(len(got), 1, "message %d arrived %d times" % (i, len(got)))
            self.assertEqual(sorted(got[0].recipients),
                             ["hidden%d@example.test" % i, "user%d@example.test" % i])
        harness.wait_until(lambda: not self.pickup_files() and not self.claimed_files(), 30, 0.5,
                           "pickup folder to be empty")

    def test_half_written_file_waits(self):
        tag = "half-" + uuid.uuid4().hex[:8]
        data = snm_message(1, tag) + b"".join(b"line %d of a slowly written body\r\n" % k for k in range(40)) \
            + b"THE END\r\n"
        path = os.path.join(self.pickup, "slow.eml")
        with open(path, "wb") as f:
            # Written in pieces every 0.5 s for ~4 s (shorter than the settle time each time).
            pieces = 8
            for p in range(pieces):
                f.write(data[len(data) * p // pieces: len(data) * (p + 1) // pieces])
                f.flush()
                time.sleep(0.5)
                self.assertEqual(self.sink_.messages(), [], "a half-written file was sent")
                self.assertTrue(os.path.exists(path), "a half-written file was taken")
        msgs = self.sink_.wait_for(1, timeout=30)
        self.assertEqual(len(msgs), 1)
        self.assertTrue(msgs[0].raw.rstrip(b"\r\n").endswith(b"THE END"), msgs[0].raw[-200:])
        harness.wait_until(lambda: not self.pickup_files(), 20, 0.2, "slow.eml to be removed")

    def test_junk_goes_to_badmail_with_reason(self):
        drop(self.pickup, "junk-text.eml", sample("junk-text.eml"))
        drop(self.pickup, "junk-binary.eml", sample("junk-binary.eml"))
        drop(self.pickup, "no-recipients.eml", sample("no-recipients.eml"))
        badmail = os.path.join(self.relay_.data_dir, "badmail")

        def done():
            names = os.listdir(badmail) if os.path.isdir(badmail) else []
            return names if len([n for n in names if n.endswith(".bad.txt")]) >= 3 else None
        names = harness.wait_until(done, 30, 0.2, "3 badmail items")
        for stem in ("junk-text", "junk-binary", "no-recipients"):
            self.assertIn(stem + ".bad", names)
            with open(os.path.join(badmail, stem + ".bad.txt"), encoding="utf-8") as f:
                reason = f.read()
            self.assertIn("Reason: ", reason)
            self.assertIn("Source: pickup", reason)
        with open(os.path.join(badmail, "no-recipients.bad.txt"), encoding="utf-8") as f:
            self.assertIn("no recipients", f.read())
        with open(os.path.join(badmail, "junk-binary.bad"), "rb") as f:
            self.assertEqual(f.read(), sample("junk-binary.eml"))
        self.assertEqual(self.pickup_files(), [])
        rows = harness.wait_until(
            lambda: [r for r in self.pickup_rows() if r.get("result") == "badmail"] or None, 20, 0.2,
            "badmail log rows")
        self.assertTrue(any("junk-text.eml" in r["message"] for r in rows), rows)
        time.sleep(1.0)
        self.assertEqual(self.sink_.messages(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)

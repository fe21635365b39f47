#!/usr/bin/python3
"""Message tracking and queue shape against the running relay (issue #12).

Three messages through one relay with three send connectors: one delivered to
smtp-sink, one to a port where nothing listens (deferred, stays queued), one
refused by a sink that answers 550 at RCPT (failed, bounce to the sender,
delivered to the first sink). Then `relaydesk --track` by Message-ID and by
subject shows each one's trail, and `relaydesk --qshape` shows the deferred
one in its domain's row.

Needs (wired by the lead): LogStore::appendMessage() at queue commit, and the
CLI `relaydesk --data-dir D --track QUERY [--field F] [--json]` and
`relaydesk --data-dir D --qshape [--by sender] [--json]` calling
rd::log::runTrackCommand / rd::queue::runQshapeCommand (stdout = their text,
exit code = their return value), both read-only while the relay runs.
"""

import json
import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import KIND_DELIVERY  # noqa: E402


def connector(name, domains, hosts):
    return {"name": name, "domains": list(domains), "route": "smarthost", "smart_hosts": list(hosts),
            "tls": "none", "connect_timeout_s": 2, "command_timeout_s": 10}


class Tracking(harness.RelayTestCase):

    def cli(self, relay, *args):
        p = harness.run_relay(list(args), timeout=60, data_dir=relay.data_dir)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")

    def track(self, relay, query, field):
        code, out, err = self.cli(relay, "--track", query, "--field", field, "--json")
        self.assertEqual(code, 0, "--track %s %r failed: %s %s" % (field, query, out, err))
        return json.loads(out)["messages"]

    def send(self, relay, tag, rcpt, sender):
        subject = "tracking %s %s" % (tag, uuid.uuid4().hex[:10])
        msg, mid = harness.make_message(subject, "tracking test %s\n" % tag, sender=sender, to=(rcpt,))
        res = harness.send_smtp(relay.port, sender, [rcpt], msg)
        self.assertTrue(res.accepted, res)
        return subject, mid.strip("<>"), res.queue_id

    def test_track_and_qshape(self):
        ok = self.sink()
        refusing = self.sink(options=["-f", "RCPT"])
        dead_port = harness.free_port()
        cfg = harness.default_config(harness.free_port(), "", retry_schedule="60")
        cfg["send_connectors"] = [
            connector("ok", ["ok.test"], [ok.address]),
            connector("bad", ["bad.test"], [refusing.address]),
            connector("down", ["down.test"], ["127.0.0.1:%d" % dead_port]),
        ]
        relay = harness.Relay(self.tmpdir(), "", config=cfg)
        self._relays.append(relay)  # stopped (and its stderr shown on failure) by RelayTestCase
        relay.start()
        sender = "app-%s@ok.test" % uuid.uuid4().hex[:6]

        s_ok, mid_ok, _ = self.send(relay, "delivered", "alice@ok.test", sender)
        s_down, mid_down, _ = self.send(relay, "deferred", "bob@down.test", sender)
        s_bad, mid_bad, _ = self.send(relay, "bounced", "carol@bad.test", sender)

        # Wait for the outcomes in the log (the relay's own record).
        relay.wait_log(lambda r: r["kind"] == KIND_DELIVERY and r["result"] == "deferred", 30, "deferred row")
        relay.wait_log(lambda r: r["kind"] == KIND_DELIVERY and r["result"] == "bounce_queued", 30,
                       "bounce queued row")
        ok.wait_for(2, 40)  # the delivered message and the bounce

        # By Message-ID (with angle brackets) and by subject: the same message and trail.
        for mid, subject, want_status, must in (
                (mid_ok, s_ok, "delivered", ["delivered"]),
                (mid_down, s_down, "deferred", ["deferred"]),
                (mid_bad, s_bad, "bounced", ["failed", "bounce_queued"])):
            by_id = self.track(relay, "<%s>" % mid, "message-id")
            self.assertEqual(len(by_id), 1, by_id)
            m = by_id[0]
            self.assertEqual(m["record"]["message_id"], mid)
            self.assertEqual(m["record"]["subject"], subject)
            self.assertEqual(m["record"]["sender"], sender)
            self.assertEqual(m["record"]["client_ip"], "127.0.0.1")
            self.assertEqual(m["record"]["listener"], "test")
            whats = [s["what"] for s in m["steps"]]
            self.assertIn(whats[0], ("accepted", "received"), whats)
            for w in must:
                self.assertIn(w, whats, m)
            self.assertEqual(m["status"], want_status, m)
            by_subject = self.track(relay, subject.upper(), "subject")
            self.assertEqual([x["queue_id"] for x in by_subject], [m["queue_id"]])
            self.assertEqual(by_subject[0]["steps"], m["steps"])
            if want_status == "bounced":
                bounce_id = m["bounce_queue_id"]
                code, out, err = self.cli(relay, "--track", bounce_id, "--field", "queue-id", "--json")
                self.assertEqual(code, 0, out + err)
                b = json.loads(out)["messages"][0]
                self.assertEqual(b["original_queue_id"], m["queue_id"])
                self.assertIn("delivered", [s["what"] for s in b["steps"]])
            if want_status == "deferred":
                step = [s for s in m["steps"] if s["what"] == "deferred"][0]
                self.assertIn(str(dead_port), step["host"] + step["detail"])

        # Text output names the steps too.
        code, out, _ = self.cli(relay, "--track", mid_bad)
        self.assertEqual(code, 0)
        self.assertIn("bounce_queued", out)
        code, out, _ = self.cli(relay, "--track", "no-such-message@nowhere", "--field", "message-id")
        self.assertEqual(code, 1)

        # Queue shape: only the deferred recipient is still queued, in down.test's row.
        code, out, err = self.cli(relay, "--qshape", "--json")
        self.assertEqual(code, 0, out + err)
        shape = json.loads(out)
        rows = {r["domain"]: r for r in shape["rows"]}
        self.assertIn("down.test", rows, shape)
        self.assertEqual(rows["down.test"]["total"], 1)
        self.assertEqual(rows["down.test"]["buckets"][0], 1)  # younger than 5 minutes
        self.assertNotIn("ok.test", rows)
        code, out, _ = self.cli(relay, "--qshape", "--by", "sender", "--json")
        self.assertEqual(code, 0)
        self.assertEqual({r["domain"]: r["total"] for r in json.loads(out)["rows"]}, {"ok.test": 1})
        code, out, _ = self.cli(relay, "--qshape")
        self.assertEqual(code, 0)
        self.assertIn("down.test", out)


if __name__ == "__main__":
    unittest.main()

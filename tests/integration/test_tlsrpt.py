#!/usr/bin/python3
"""TLS-RPT daily reports (RFC 8460) sent by the running relay (issue #12).

Yesterday's outbound TLS results (log.db tls_results, the rows the engine writes
for each MX session under an MTA-STS or DANE policy) are seeded for two
domains. NSD serves `_smtp._tls.reports.test TXT "v=TLSRPTv1; rua=mailto:..."`
(and nothing for quiet.test). With tlsrpt.enabled the relay, shortly after its
start, queues one report mail for reports.test to the rua address; it reaches
smtp-sink through a send connector. The mail is checked with Python's email
package, gzip and json (independent of our builder): multipart/report with
report-type=tlsrpt, TLS-Report-Domain / TLS-Report-Submitter fields, an
application/tlsrpt+gzip part whose JSON has the right date range, policy and
session counts and failure details. quiet.test (no record) gets nothing. After
a restart the same day is not reported twice.
"""

import datetime
import email
import email.policy
import gzip
import json
import os
import sqlite3
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from dnsserver import DnsServer  # noqa: E402
from test_routing import RoutingCase  # noqa: E402

POLICY = "version: STSv1\nmode: enforce\nmx: mx.reports.test\nmax_age: 86400"


def seed_rows(data_dir, day):
    start = int(datetime.datetime.combine(day, datetime.time(0, 0), datetime.timezone.utc).timestamp() * 1000)
    rows = []
    for i in range(5):  # five good sessions
        rows.append((start + 3600_000 + i * 1000, "reports.test", "sts", POLICY, "mx.reports.test", "success", "1"))
    for i in range(2):  # two failures at the same MX address
        rows.append((start + 7200_000 + i * 1000, "reports.test", "sts", POLICY, "mx.reports.test",
                     "certificate-host-mismatch", "192.0.2.25\ncertificate names mx.elsewhere.test"))
    rows.append((start + 9000_000, "quiet.test", "sts", "version: STSv1\nmode: testing\nmx: mx.quiet.test",
                 "mx.quiet.test", "success", "1"))
    # Today: not part of yesterday's report.
    today = start + 86400_000 + 60_000
    rows.append((today, "reports.test", "sts", POLICY, "mx.reports.test", "success", "1"))
    db = sqlite3.connect(os.path.join(data_dir, "log.db"))
    try:
        db.executemany("INSERT INTO tls_results (ts, domain, policy_type, policy, mx_host, result, detail)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        db.commit()
    finally:
        db.close()


class TlsRpt(RoutingCase):
    def test_daily_report_mailed_to_rua(self):
        self.dns = DnsServer({"reports.test": ['_smtp._tls TXT "v=TLSRPTv1; rua=mailto:tls-reports@rua.test"'],
                              "quiet.test": ["@ A 192.0.2.1"]}).start()
        self.addCleanup(self.dns.stop)
        sink = self.sink()
        relay = self.routed_relay(
            [self.connector("rua", ["rua.test"], [sink.address])],
            settings={"dns.servers": self.dns.server_spec(), "dns.timeout_ms": 1000,
                      "tlsrpt.enabled": True, "server.hostname": "relay.example.test"},
            start=False)
        relay.start()  # creates log.db; the first report run finds nothing for yesterday yet
        relay.stop()
        marker = os.path.join(relay.data_dir, "tlsrpt-last-day")
        if os.path.exists(marker):  # a run in those seconds found no rows and marked yesterday done
            os.remove(marker)
        yesterday = datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=1)
        seed_rows(relay.data_dir, yesterday)
        relay.start(import_config=False)

        sent = relay.wait_log(lambda r: r["result"] == "tlsrpt_sent", 40, "tlsrpt_sent row")
        self.assertEqual(len(sent), 1, sent)
        self.assertIn("reports.test", sent[0]["message"])
        self.assertIn(yesterday.isoformat(), sent[0]["message"])
        msgs = sink.wait_for(1, 40)
        self.assertEqual(len(msgs), 1)
        m = msgs[0]
        self.assertEqual(m.recipients, ["tls-reports@rua.test"])
        self.assertEqual(m.sender, "postmaster@relay.example.test")

        parsed = email.message_from_bytes(m.raw, policy=email.policy.default)
        self.assertEqual(parsed.get_content_type(), "multipart/report")
        self.assertEqual(parsed.get_param("report-type"), "tlsrpt")
        self.assertEqual(str(parsed["TLS-Report-Domain"]), "reports.test")
        self.assertEqual(str(parsed["TLS-Report-Submitter"]), "relay.example.test")
        self.assertIn("Report Domain: reports.test", str(parsed["Subject"]))
        parts = [p for p in parsed.iter_attachments() if p.get_content_type() == "application/tlsrpt+gzip"]
        self.assertEqual(len(parts), 1)
        name = parts[0].get_filename()
        self.assertTrue(name.startswith("relay.example.test!reports.test!") and name.endswith(".json.gz"), name)
        report = json.loads(gzip.decompress(parts[0].get_content()))

        start = datetime.datetime.combine(yesterday, datetime.time(0, 0))
        self.assertEqual(report["organization-name"], "relay.example.test")
        self.assertEqual(report["contact-info"], "postmaster@relay.example.test")
        self.assertTrue(report["report-id"])
        self.assertTrue(report["date-range"]["start-datetime"].startswith(start.strftime("%Y-%m-%dT00:00:00")))
        self.assertTrue(report["date-range"]["end-datetime"].startswith(start.strftime("%Y-%m-%dT23:59:59")))
        self.assertEqual(len(report["policies"]), 1, report)
        p = report["policies"][0]
        self.assertEqual(p["policy"]["policy-type"], "sts")
        self.assertEqual(p["policy"]["policy-domain"], "reports.test")
        self.assertIn("mode: enforce", p["policy"]["policy-string"])
        self.assertEqual(p["summary"]["total-successful-session-count"], 5)
        self.assertEqual(p["summary"]["total-failure-session-count"], 2)
        self.assertEqual(len(p["failure-details"]), 1, p)
        fd = p["failure-details"][0]
        self.assertEqual(fd["result-type"], "certificate-host-mismatch")
        self.assertEqual(fd["receiving-ip"], "192.0.2.25")
        self.assertEqual(fd["receiving-mx-hostname"], "mx.reports.test")
        self.assertEqual(fd["failed-session-count"], 2)

        # The same day is not reported again after a restart.
        relay.restart()
        time.sleep(8)  # the first run is 5 s after the start
        self.assertEqual(len([r for r in relay.log_rows() if r["result"] == "tlsrpt_sent"]), 1)
        self.assertEqual(len(sink.messages()), 1)


if __name__ == "__main__":
    unittest.main()

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

HTTPS rua (RFC 8460 5.3.1), class TlsRptHttps: a collector (stdlib http.server
+ ssl, in this process) on 127.0.0.1 with a certificate from a test CA made by
the openssl tool; NSD resolves collector.rua.test to 127.0.0.1 and the relay
trusts the CA through mtasts.ca_file. Checked: the POST (Content-Type
application/tlsrpt+gzip, Host, a body that gunzips to the report JSON) next to
the mail to a mailto: rua of the same record; a 500 logged with host and status,
nothing counted as sent, and the retry delivering exactly once (also across a
restart, from <data>/tlsrpt-outbox); a certificate from another CA (the request
never arrives, the reason logged, retried); a redirect to http: not followed.
"""

import datetime
import email
import email.policy
import gzip
import http.server
import json
import os
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
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


def openssl(cwd, *args):
    subprocess.run(["/usr/bin/openssl"] + list(args), cwd=cwd, check=True, capture_output=True)


def make_ca(d, name):
    openssl(d, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", name + ".key", "-out", name + ".pem", "-days", "30", "-subj", "/CN=" + name,
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")


def make_server_cert(d, name, ca, dns_name):
    with open(os.path.join(d, name + ".ext"), "w") as f:
        f.write("subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n" % dns_name)
    openssl(d, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + dns_name)
    openssl(d, "x509", "-req", "-in", name + ".csr", "-out", name + ".pem", "-days", "30",
            "-CA", ca + ".pem", "-CAkey", ca + ".key", "-CAcreateserial", "-extfile", name + ".ext")


class Collector:
    """An HTTP(S) report collector on 127.0.0.1, in a thread of this process.

    Records every request (method, path, headers, body) and answers the n-th one
    with statuses[n] (the last status repeats), plus `location` on a 3xx.
    tls_failures counts TLS handshakes that failed (the client refused us)."""

    def __init__(self, cert=None, key=None, statuses=(200,), location=None):
        self.requests = []
        self.tls_failures = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _record(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                with outer.lock:
                    outer.requests.append({"method": self.command, "path": self.path,
                                           "headers": self.headers, "body": body})
                    return statuses[min(len(outer.requests), len(statuses)) - 1]

            def do_POST(self):
                status = self._record()
                self.send_response(status)
                if location and 300 <= status < 400:
                    self.send_header("Location", location)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", "3")
                self.end_headers()
                self.wfile.write(b"ok\n")

            do_GET = do_POST

            def log_message(self, fmt, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False

            def get_request(self):
                try:
                    return super().get_request()
                except ssl.SSLError:
                    with outer.lock:
                        outer.tls_failures += 1
                    raise

            def handle_error(self, request, client_address):
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        if cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def received(self):
        with self.lock:
            return list(self.requests)


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


COLLECTOR = "collector.rua.test"


class TlsRptHttps(RoutingCase):
    """Reports POSTed to https: rua URIs (RFC 8460 5.3.1)."""

    def setUp(self):
        super().setUp()
        self.pki = tempfile.mkdtemp(prefix="rd-tlsrpt-")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", self.pki]))
        make_ca(self.pki, "ca")
        make_server_cert(self.pki, "collector", "ca", COLLECTOR)
        make_ca(self.pki, "rogue-ca")  # not trusted by the relay
        make_server_cert(self.pki, "rogue", "rogue-ca", COLLECTOR)

    def collector(self, cert="collector", **kw):
        c = Collector(os.path.join(self.pki, cert + ".pem"), os.path.join(self.pki, cert + ".key"), **kw).start()
        self.addCleanup(c.stop)
        return c

    def relay_reporting_to(self, rua):
        """A relay with yesterday's tls_results seeded whose reports.test record names `rua`; started."""
        self.dns = DnsServer({"reports.test": ['_smtp._tls TXT "v=TLSRPTv1; rua=%s"' % rua],
                              "rua.test": ["collector A 127.0.0.1"],
                              "quiet.test": ["@ A 192.0.2.1"]}).start()
        self.addCleanup(self.dns.stop)
        self.mail_sink = self.sink()
        relay = self.routed_relay(
            [self.connector("rua", ["rua.test"], [self.mail_sink.address])],
            settings={"dns.servers": self.dns.server_spec(), "dns.timeout_ms": 1000,
                      "tlsrpt.enabled": True, "server.hostname": "relay.example.test",
                      "mtasts.ca_file": os.path.join(self.pki, "ca.pem")},
            start=False)
        relay.start()
        relay.stop()
        marker = os.path.join(relay.data_dir, "tlsrpt-last-day")
        if os.path.exists(marker):
            os.remove(marker)
        self.yesterday = datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=1)
        seed_rows(relay.data_dir, self.yesterday)
        relay.start(import_config=False)
        return relay

    @staticmethod
    def sent_rows(relay):
        return [r for r in relay.log_rows() if r["result"] == "tlsrpt_sent"]

    @staticmethod
    def failure_rows(relay, text):
        return [r for r in relay.log_rows() if r["result"] == "tlsrpt" and text in r["message"]]

    def assert_report(self, body):
        report = json.loads(gzip.decompress(body))
        self.assertEqual(report["organization-name"], "relay.example.test")
        self.assertEqual(len(report["policies"]), 1, report)
        p = report["policies"][0]
        self.assertEqual(p["policy"]["policy-type"], "sts")
        self.assertEqual(p["policy"]["policy-domain"], "reports.test")
        self.assertEqual(p["summary"]["total-successful-session-count"], 5)
        self.assertEqual(p["summary"]["total-failure-session-count"], 2)
        self.assertEqual([(d["result-type"], d["failed-session-count"]) for d in p["failure-details"]],
                         [("certificate-host-mismatch", 2)])
        self.assertTrue(report["date-range"]["start-datetime"].startswith(self.yesterday.isoformat()))
        return report

    def test_report_posted_to_https_rua(self):
        col = self.collector()
        url = "https://%s:%d/v1/tlsrpt" % (COLLECTOR, col.port)
        relay = self.relay_reporting_to("mailto:tls-reports@rua.test," + url)

        posted = relay.wait_log(lambda r: r["result"] == "tlsrpt_sent" and url in r["message"], 40,
                                "tlsrpt_sent row for the https: rua")
        self.assertEqual(len(posted), 1, posted)
        self.assertIn("reports.test", posted[0]["message"])
        self.assertIn(self.yesterday.isoformat(), posted[0]["message"])
        self.assertIn("HTTP 200", posted[0]["message"])
        reqs = col.received()
        self.assertEqual(len(reqs), 1, reqs)
        req = reqs[0]
        self.assertEqual(req["method"], "POST")
        self.assertEqual(req["path"], "/v1/tlsrpt")
        self.assertEqual(req["headers"].get("Content-Type"), "application/tlsrpt+gzip")
        self.assertEqual(req["headers"].get("Host"), "%s:%d" % (COLLECTOR, col.port))
        self.assertEqual(req["body"][:2], b"\x1f\x8b", "gzip magic")
        posted_report = self.assert_report(req["body"])

        # The mailto: rua of the same record still gets its mail, with the same report.
        msgs = self.mail_sink.wait_for(1, 40)
        self.assertEqual(msgs[0].recipients, ["tls-reports@rua.test"])
        parsed = email.message_from_bytes(msgs[0].raw, policy=email.policy.default)
        part = [p for p in parsed.iter_attachments() if p.get_content_type() == "application/tlsrpt+gzip"][0]
        self.assertEqual(json.loads(gzip.decompress(part.get_content()))["report-id"], posted_report["report-id"])
        relay.wait_log(lambda r: r["result"] == "tlsrpt_sent" and "tls-reports@rua.test" in r["message"], 20,
                       "tlsrpt_sent row for the mailto: rua")
        self.assertEqual(self.failure_rows(relay, COLLECTOR), [])

        # Not posted again after a restart.
        relay.restart()
        time.sleep(8)  # the first run is 5 s after the start
        self.assertEqual(len(col.received()), 1)
        self.assertEqual(len([r for r in self.sent_rows(relay) if url in r["message"]]), 1)

    def test_server_error_then_retry_delivers_once(self):
        col = self.collector(statuses=(500, 200))
        url = "https://%s:%d/tlsrpt" % (COLLECTOR, col.port)
        relay = self.relay_reporting_to(url)

        failed = relay.wait_log(lambda r: r["result"] == "tlsrpt" and "HTTP 500" in r["message"], 40,
                                "tlsrpt failure row naming HTTP 500")
        self.assertEqual(len(failed), 1, failed)
        self.assertIn("%s answered HTTP 500" % COLLECTOR, failed[0]["message"])
        self.assertIn("attempt 1 of", failed[0]["message"])
        self.assertIn("retry in", failed[0]["message"])
        self.assertEqual(failed[0]["level"], "warning")
        self.assertEqual(self.sent_rows(relay), [], "a 500 is not a delivery")
        self.assertEqual(len(col.received()), 1)

        sent = relay.wait_log(lambda r: r["result"] == "tlsrpt_sent", 40, "tlsrpt_sent row after the retry")
        self.assertIn(url, sent[0]["message"])
        time.sleep(3)
        self.assertEqual(len(self.sent_rows(relay)), 1)
        reqs = col.received()
        self.assertEqual(len(reqs), 2, "one failed attempt, one delivery, nothing after it")
        self.assertEqual(reqs[0]["body"], reqs[1]["body"], "the retry posts the same report")
        self.assert_report(reqs[1]["body"])
        self.assertEqual(len(self.failure_rows(relay, "HTTP")), 1)
        self.assertEqual(os.listdir(os.path.join(relay.data_dir, "tlsrpt-outbox")), [])

    def test_retry_survives_restart(self):
        col = self.collector(statuses=(500, 200))
        url = "https://%s:%d/tlsrpt" % (COLLECTOR, col.port)
        relay = self.relay_reporting_to(url)

        relay.wait_log(lambda r: r["result"] == "tlsrpt" and "HTTP 500" in r["message"], 40,
                       "tlsrpt failure row naming HTTP 500")
        relay.stop()  # before the retry (10 s later)
        outbox = os.path.join(relay.data_dir, "tlsrpt-outbox")
        self.assertEqual(len(os.listdir(outbox)), 1, "the pending report is kept")
        self.assertTrue([r for r in relay.log_rows() if "kept in tlsrpt-outbox" in r["message"]])
        self.assertEqual(self.sent_rows(relay), [])
        self.assertEqual(len(col.received()), 1)

        relay.start(import_config=False)
        relay.wait_log(lambda r: r["result"] == "tlsrpt" and "1 TLS report(s) to https: addresses resumed"
                       in r["message"], 20, "resumed row")
        sent = relay.wait_log(lambda r: r["result"] == "tlsrpt_sent", 40, "tlsrpt_sent row after the restart")
        self.assertIn(url, sent[0]["message"])
        time.sleep(2)
        self.assertEqual(len(self.sent_rows(relay)), 1)
        reqs = col.received()
        self.assertEqual(len(reqs), 2, "the failed attempt and one delivery after the restart")
        self.assertEqual(reqs[0]["body"], reqs[1]["body"])
        self.assertEqual(os.listdir(outbox), [])

    def test_untrusted_certificate_not_sent(self):
        col = self.collector(cert="rogue")
        url = "https://%s:%d/tlsrpt" % (COLLECTOR, col.port)
        relay = self.relay_reporting_to(url)

        failed = relay.wait_log(lambda r: r["result"] == "tlsrpt" and "certificate of %s not valid" % COLLECTOR
                                in r["message"], 40, "tlsrpt failure row naming the certificate")
        self.assertIn("attempt 1 of", failed[0]["message"])
        self.assertIn(url, failed[0]["message"])
        self.assertEqual(col.received(), [], "no request over an untrusted connection")
        self.assertGreaterEqual(col.tls_failures, 1, "the relay connected and refused the certificate")
        # Retried later, still refused, never counted as sent.
        relay.wait_log(lambda r: r["result"] == "tlsrpt" and "attempt 2 of" in r["message"]
                       and "certificate" in r["message"], 30, "second attempt row")
        self.assertEqual(col.received(), [])
        self.assertEqual(self.sent_rows(relay), [])

    def test_redirect_to_http_not_followed(self):
        plain = Collector()  # http: on loopback; must see nothing
        plain.start()
        self.addCleanup(plain.stop)
        target = "http://127.0.0.1:%d/tlsrpt" % plain.port
        col = self.collector(statuses=(302,), location=target)
        relay = self.relay_reporting_to("https://%s:%d/tlsrpt" % (COLLECTOR, col.port))

        failed = relay.wait_log(lambda r: r["result"] == "tlsrpt" and "HTTP 302" in r["message"], 40,
                                "tlsrpt failure row naming HTTP 302")
        self.assertIn("redirect to %s not followed" % target, failed[0]["message"])
        time.sleep(1)
        self.assertEqual(plain.received(), [])
        self.assertEqual(len(col.received()), 1)
        self.assertEqual(self.sent_rows(relay), [])


if __name__ == "__main__":
    unittest.main()

#!/usr/bin/python3
"""The real RelayDesk window under Xvfb, with real data, saved as PNG screenshots.

A headless relay first receives mail (smart host down, so the queue fills and the
log has receive, reject and deferred rows); then the GUI opens the same data folder
in a real X server (Xvfb) once per panel, and ImageMagick's `import` captures the
window. The PNGs go to $RELAYDESK_BUILD_DIR/screenshots/ for a person to look at;
the test checks that the window was mapped with its title and that the picture is
a rendered window, not an empty screen.

The DNS checks panel is shown with two stored runs of example.com (rows written
into log.db's dns_checks table as the engine stores them, with findings of every
status and records to publish), and the Certificates panel's DKIM keys section
with an RSA and an Ed25519 key made by `openssl` and written into config.db.
"""

import datetime
import json
import os
import shutil
import smtplib
import sqlite3
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

PANELS = ["dashboard", "queue", "logs", "connectors", "relay", "users", "certificates", "ratelimits", "filtering",
          "dns", "dkim", "delivery", "tracking", "queueshape", "connections", "acme", "acme-dnsupdate",
          "users-directory"]
# Panels reached through a --show-panel alias the binary may not know yet.
OPTIONAL_PANELS = {"dkim"}


def finding(check, status, title, detail="", fix=None):
    f = {"check": check, "status": status, "title": title}
    if detail:
        f["detail"] = detail
    if fix:
        f["fix_name"], f["fix_type"], f["fix_value"] = fix
    return f


def seed_dns_checks(data_dir):
    """Two stored runs of example.com and one of example.org, as the engine stores them."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    spf_fix = ("example.com", "TXT", "v=spf1 mx ip4:192.0.2.10 -all")
    dmarc_fix = ("_dmarc.example.com", "TXT",
                 "v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@example.com; adkim=r; aspf=r")
    older = [
        finding("spf", "fail", "No SPF record", "Receivers cannot tell which servers may send for "
                "example.com.", spf_fix),
        finding("dkim", "warn", "No DKIM key for example.com"),
        finding("dmarc", "fail", "No DMARC record", "", dmarc_fix),
        finding("mx", "pass", "mx1.example.com answers SMTP and offers STARTTLS"),
        finding("ptr", "warn", "192.0.2.10 has no PTR record"),
    ]
    newer = [
        finding("spf", "pass", "SPF record found", "v=spf1 mx ip4:192.0.2.10 -all"),
        finding("spf", "pass", "SPF authorises 192.0.2.10",
                "The relay's public address 192.0.2.10 matches ip4:192.0.2.10 (1 of 10 DNS lookups used)."),
        finding("dkim", "pass", "rd202605._domainkey.example.com matches the key in RelayDesk"),
        finding("dkim", "info", "ed202605._domainkey.example.com is an Ed25519 key",
                "Not every receiver verifies Ed25519 signatures; the RSA key covers them."),
        finding("dmarc", "fail", "No DMARC record",
                "Without a DMARC record receivers decide on their own what to do with mail that fails SPF "
                "and DKIM, and you get no reports. Publish this record; start with p=none to collect reports, "
                "then move to quarantine.", dmarc_fix),
        finding("mx", "pass", "mx1.example.com answers SMTP and offers STARTTLS"),
        finding("mx", "warn", "mx2.example.com does not offer STARTTLS",
                "Mail to this server travels unencrypted."),
        finding("ptr", "warn", "192.0.2.10 has no PTR record",
                "Many receivers distrust mail from an address without reverse DNS. Ask the owner of the "
                "address (your provider) to publish this PTR record.",
                ("10.2.0.192.in-addr.arpa", "PTR", "relay.example.com.")),
        finding("dnsbl", "pass", "192.0.2.10 is not listed on zen.spamhaus.org"),
        finding("dnsbl", "info", "bl.example.net did not answer", "The block list could not be queried; "
                "it is not counted as a listing."),
    ]
    runs = [("example.com", now - datetime.timedelta(days=1, hours=3), 1840, older),
            ("example.org", now - datetime.timedelta(hours=5), 950,
             [finding("spf", "pass", "SPF record found"), finding("dmarc", "pass", "DMARC policy reject")]),
            ("example.com", now - datetime.timedelta(minutes=12), 2310, newer)]
    order = {"pass": 0, "info": 1, "warn": 2, "fail": 3}
    db = sqlite3.connect(os.path.join(data_dir, "log.db"))
    try:
        for domain, when, ms, findings in runs:
            report = {"domain": domain, "when": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "duration_ms": ms,
                      "findings": findings}
            worst = max((f["status"] for f in findings), key=lambda s: order[s])
            db.execute("INSERT INTO dns_checks (domain, ts, worst, report) VALUES (?, ?, ?, ?)",
                       (domain, int(when.timestamp() * 1000), worst, json.dumps(report)))
        db.commit()
    finally:
        db.close()


def seed_dkim_keys(data_dir, work_dir):
    """An RSA 2048 and an Ed25519 key for example.com (openssl), stored as the key store does."""
    now_ms = int(datetime.datetime.now(datetime.timezone.utc).timestamp() * 1000)
    keys = [("rd202605", "rsa-sha256", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]),
            ("ed202605", "ed25519-sha256", ["genpkey", "-algorithm", "ed25519"])]
    db = sqlite3.connect(os.path.join(data_dir, "config.db"))
    try:
        for selector, algorithm, args in keys:
            pem_path = os.path.join(work_dir, selector + ".pem")
            subprocess.run(["openssl"] + args + ["-out", pem_path], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=120)
            with open(pem_path) as f:
                pem = f.read()
            db.execute("INSERT INTO dkim_keys (domain, selector, algorithm, private_key, created, enabled) "
                       "VALUES (?, ?, ?, ?, ?, 1)", ("example.com", selector, algorithm, pem, now_ms))
        db.commit()
    finally:
        db.close()


def xvfb_capture(data_dir, panel, out_png, wait=4.0, extra_args=()):
    """Run the GUI on `panel` under Xvfb and capture its window; returns xwininfo text.
    extra_args: more command-line arguments (one per list item)."""
    script = r'''
set -u
extra=()
if [ -n "$RD_ARGS" ]; then mapfile -t extra <<< "$RD_ARGS"; fi
"$RD_BIN" --data-dir "$RD_DATA" --show-panel "$RD_PANEL" "${extra[@]}" >"$RD_LOG" 2>&1 &
pid=$!
win=""
for i in $(seq 1 100); do
    # The mapped top-level window titled RelayDesk (the largest one; Qt also
    # creates small helper windows).
    win=$(xwininfo -root -tree 2>/dev/null | awk '/"RelayDesk"/ {
            for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+x[0-9]+\+/) { split($i, g, /[x+]/); a = g[1] * g[2] }
            if (a > best) { best = a; id = $1 } } END { print id }')
    [ -n "$win" ] && break
    sleep 0.1
done
sleep "$RD_WAIT"
if [ -n "$win" ]; then
    xwininfo -id "$win"
    geo=$(xwininfo -id "$win" | awk '/Absolute upper-left X/ {x=$NF} /Absolute upper-left Y/ {y=$NF}
                                      /Width:/ {w=$NF} /Height:/ {h=$NF} END {printf "%dx%d+%d+%d", w, h, x, y}')
    import -window root "$RD_OUT.full.png"
    convert "$RD_OUT.full.png" -crop "$geo" +repage "$RD_OUT"
    rm -f "$RD_OUT.full.png"
fi
kill -TERM $pid 2>/dev/null
for i in $(seq 1 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
exit 0
'''
    env = harness.clean_env({
        "RD_BIN": harness.relay_binary(), "RD_DATA": data_dir, "RD_PANEL": panel,
        "RD_OUT": out_png, "RD_WAIT": str(wait),
        "RD_LOG": out_png + ".log", "RD_ARGS": "\n".join(extra_args),
    })
    env.pop("QT_QPA_PLATFORM", None)
    proc = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", "bash", "-c", script],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env=env, timeout=120)
    return proc.stdout.decode("utf-8", "replace")


def unique_colors(png):
    out = subprocess.run(["identify", "-format", "%k", png], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=60)
    return int(out.stdout.decode().strip() or "0")


class Screenshot(harness.RelayTestCase):
    def test_main_window_panels(self):
        for tool in ("xvfb-run", "import", "xwininfo", "identify"):
            self.assertIsNotNone(shutil.which(tool), "%s is missing (scripts/deps.sh installs it)" % tool)
        dead = "127.0.0.1:%d" % harness.free_port()
        pickup = os.path.join(self.tmpdir(), "Pickup")
        os.makedirs(pickup)
        config = harness.default_config(harness.free_port(), dead, settings={
            "dnschecks.domains": "example.com,example.org,shop.example.net",
            "dnschecks.public_addresses": "192.0.2.10",
            "dnsbl.zones": "zen.spamhaus.org,bl.example.net",
            "pickup.directory": pickup,
            "bans.protocol_errors": 2,
            "delivery.masquerade_domain": "example.com",
            "delivery.ndr_copy_to": "postmaster@example.com",
        })
        config["connection_rules"] = [
            {"network": "192.0.2.0/24", "action": "allow", "priority": 200, "comment": "branch office"},
            {"network": "198.51.100.7", "action": "allow", "priority": 200, "expires": "2027-01-31T18:00:00Z",
             "comment": "contractor until January"},
            {"network": "203.0.113.0/24", "action": "deny", "priority": 100, "comment": "scanners"},
        ]
        config["send_connectors"] = [
            {"name": "contoso-partner", "domains": ["contoso.com", "*.contoso.com"], "route": "smarthost",
             "smart_hosts": ["mail.contoso.com:25", "mail2.contoso.com:25"], "tls": "verify"},
            {"name": "internal", "domains": ["example.org", "example.net"], "route": "smarthost",
             "smart_hosts": [dead], "tls": "opportunistic", "max_connections": 5},
            # No "*" route: nothing in this test may leave the machine.
            {"name": "microsoft365", "domains": ["fabrikam.com", "*.fabrikam.com"], "route": "smarthost",
             "smart_hosts": ["smtp.office365.com:587"], "tls": "verify",
             "auth_user": "scanner@example.com", "auth_password": "not-a-real-password"},
        ]
        relay = self.relay(dead, config=config)
        for i in range(12):
            msg, _ = harness.make_message(subject="Monthly report %d" % i)
            res = harness.send_smtp(relay.port, "scanner%d@example.test" % (i % 3),
                                    ["finance@example.org", "ops%d@example.org" % i], msg)
            self.assertTrue(res.accepted, res)
        # One relay attempt from an address that is not allowed (a reject row).
        res = harness.send_smtp(relay.port, "x@example.test", ["y@example.org"],
                                harness.make_message()[0], source_ip="127.0.0.2")
        self.assertFalse(res.accepted)
        # The pickup folder: one file an application wrote, one that is not mail (badmail).
        with open(os.path.join(pickup, "invoice-4711.eml"), "wb") as f:
            f.write(b"X-Sender: billing@example.com\r\nX-Receiver: accounts@example.org\r\n"
                    b"From: billing@example.com\r\nTo: accounts@example.org\r\nSubject: Invoice 4711\r\n\r\nHello\r\n")
        with open(os.path.join(pickup, "scan-0042.eml"), "wb") as f:
            f.write(b"%PDF-1.4 not a mail message\n")
        # Two protocol errors from 127.0.0.3 ban it (bans.protocol_errors = 2).
        conn = smtplib.SMTP(harness.LOOPBACK, relay.port, local_hostname="scanner.example.test", timeout=20,
                            source_address=("127.0.0.3", 0))
        conn.docmd("HELLO")
        conn.docmd("GET / HTTP/1.0")
        conn.close()
        harness.wait_until(
            lambda: len([r for r in relay.log_rows() if r["result"] == "deferred"]) >= 3,
            30, 0.2, "deferred delivery rows")
        harness.wait_until(lambda: [r for r in relay.log_rows() if r["result"] == "badmail"], 30, 0.2,
                           "badmail row")
        harness.wait_until(lambda: [r for r in relay.log_rows() if r["result"] == "ban"], 30, 0.2, "ban row")
        relay.stop()
        seed_dns_checks(relay.data_dir)
        seed_dkim_keys(relay.data_dir, self.tmpdir())

        out_dir = os.path.join(os.environ.get("RELAYDESK_BUILD_DIR", self.tmpdir()), "screenshots")
        os.makedirs(out_dir, exist_ok=True)
        for panel in PANELS:
            png = os.path.join(out_dir, "relaydesk-%s.png" % panel)
            if os.path.exists(png):
                os.remove(png)
            info = xvfb_capture(relay.data_dir, panel, png)
            if panel in OPTIONAL_PANELS and '"RelayDesk"' not in info:
                with open(png + ".log", errors="replace") as f:
                    out = f.read()
                if "unknown panel" in out:
                    harness.log("screenshot %s skipped: this binary has no --show-panel %s" % (panel, panel))
                    continue
            self.assertIn('"RelayDesk"', info, "the window was not mapped:\n" + info)
            self.assertTrue(os.path.exists(png), "no screenshot for %s:\n%s" % (panel, info))
            colors = unique_colors(png)
            harness.log("screenshot %s: %d colours" % (png, colors))
            # A rendered window with text and icons has hundreds of colours; a blank
            # or black capture has a handful.
            self.assertGreater(colors, 64, "screenshot of %s looks empty" % panel)


if __name__ == "__main__":
    unittest.main(verbosity=2)

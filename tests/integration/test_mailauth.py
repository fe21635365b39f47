#!/usr/bin/python3
"""Mail authentication end to end, against independent implementations and a real DNS server.

- Outbound DKIM: keys made with `relaydesk --dkim-generate` (RSA 2048 and Ed25519), records
  published in NSD on loopback; mail relayed to smtp-sink carries both signatures, and dkimpy
  (Debian python3-dkim) verifies each one, looking the keys up in that NSD. Mail from a domain
  without a key, and mail from a client without the relay right, go out unsigned.
- Inbound checks (mailauth.inbound_checks): mail from a client without the relay right gets an
  Authentication-Results field; a message dkimpy signed, from an SPF-authorised address, passes
  spf/dkim/dmarc; a forged one fails SPF and DMARC (policy reject) and its tampered signature
  fails DKIM.
- `relaydesk --dns-check` with good and broken zones: every check (SPF, DKIM, DMARC, MX, PTR,
  DNSBL) has a passing and a failing case.
"""

import json
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from dnsserver import DnsServer  # noqa: E402

import dkim  # noqa: E402  (python3-dkim)
import dns.resolver  # noqa: E402  (python3-dnspython)

SIGNED = "signed.example"       # RelayDesk signs for it
GOOD = "good.example"           # a well-configured remote sender (inbound checks, DNS checks)
BROKEN = "broken.example"       # everything wrong (DNS checks)
FORGED = "forged.example"


def txt(value):
    """A zone-file TXT value: quoted strings of at most 255 octets."""
    parts = [value[i:i + 250] for i in range(0, len(value), 250)] or [""]
    return " ".join('"%s"' % p.replace('"', '\\"') for p in parts)


def dns_txt_func(server):
    """A dkimpy dnsfunc asking our NSD (not the system resolver)."""
    res = dns.resolver.Resolver(configure=False)
    res.nameservers = [server.address]
    res.port = server.port
    res.lifetime = 5

    def lookup(name, timeout=5):
        qname = name.decode() if isinstance(name, bytes) else name
        try:
            answer = res.resolve(qname.rstrip("."), "TXT")
        except Exception:
            return None
        for rdata in answer:
            return b"".join(rdata.strings)
        return None
    return lookup


def dkim_ok(raw, idx, lookup):
    """dkimpy's verdict on signature idx (a verification error counts as not verified)."""
    try:
        return bool(dkim.DKIM(raw).verify(idx=idx, dnsfunc=lookup))
    except dkim.DKIMException:
        return False


def crlf(raw):
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def auth_results(raw):
    """The Authentication-Results field values of a message (unfolded)."""
    head = raw.split(b"\n\n", 1)[0].replace(b"\r\n", b"\n")
    unfolded = re.sub(rb"\n[ \t]+", b" ", head).decode("utf-8", "replace")
    return [line.split(":", 1)[1].strip() for line in unfolded.split("\n")
            if line.lower().startswith("authentication-results:")]


class MailAuth(harness.RelayTestCase):
    def generate_key(self, data_dir, domain, selector, algorithm):
        r = harness.run_relay(["--dkim-generate", domain, "--selector", selector, "--algorithm", algorithm],
                              data_dir=data_dir)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        line = r.stdout.decode().strip().splitlines()[-1]
        record = re.search(r'IN TXT "(.*)"$', line).group(1)
        self.assertTrue(record.startswith("v=DKIM1; k=%s; p=" % ("rsa" if algorithm.startswith("rsa") else "ed25519")),
                        record)
        return record

    # ------------------------------------------------------------------ outbound

    def test_outbound_dkim_verified_by_dkimpy(self):
        sink = self.sink()
        base = self.tmpdir()
        data = os.path.join(base, "data")
        rsa = self.generate_key(data, SIGNED, "rd2048", "rsa-sha256")
        ed = self.generate_key(data, SIGNED, "rded", "ed25519-sha256")
        # Bad input is refused with a clear message and changes nothing.
        bad = harness.run_relay(["--dkim-generate", SIGNED, "--selector", "bad_selector!"], data_dir=data)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("selector", bad.stderr.decode())
        weak = harness.run_relay(["--dkim-generate", SIGNED, "--selector", "weak", "--bits", "1024"], data_dir=data)
        self.assertNotEqual(weak.returncode, 0)
        listed = harness.run_relay(["--dkim-list"], data_dir=data).stdout.decode()
        self.assertEqual(len(listed.strip().splitlines()), 2, listed)

        server = DnsServer({SIGNED: ["rd2048._domainkey TXT %s" % txt(rsa),
                                     "rded._domainkey TXT %s" % txt(ed)]}).start()
        self.addCleanup(server.stop)

        cfg = harness.default_config(harness.free_port(), sink.address, accepted_domains=["local.test"],
                                     relay_allow=("127.0.0.1/32",))
        relay = harness.Relay(base, sink.address, config=cfg)
        self._relays.append(relay)
        relay.start()

        body = "Line one\n\nTrailing spaces   \nTabs\there\n.leading dot\n" * 3
        signed_msg, signed_mid = harness.make_message("signed", body, sender="alice@%s" % SIGNED,
                                                      extra_headers=["X-Folded: one\r\n\ttwo"])
        res = harness.send_smtp(relay.port, "alice@%s" % SIGNED, ["bob@example.net"], signed_msg)
        self.assertTrue(res.accepted, res)
        sub_msg, sub_mid = harness.make_message("subdomain", "sub\n", sender="news@lists.%s" % SIGNED)
        self.assertTrue(harness.send_smtp(relay.port, "news@lists.%s" % SIGNED, ["bob@example.net"], sub_msg).accepted)
        other_msg, other_mid = harness.make_message("unsigned", "x\n", sender="carol@other.example")
        self.assertTrue(harness.send_smtp(relay.port, "carol@other.example", ["bob@example.net"], other_msg).accepted)
        sink.wait_for(3, timeout=30)
        by_mid = {m.message_id: m for m in sink.messages()}
        lookup = dns_txt_func(server)

        for mid in (signed_mid, sub_mid):
            raw = crlf(by_mid[mid].raw)
            sigs = [line for line in raw.split(b"\r\n") if line.lower().startswith(b"dkim-signature:")]
            self.assertEqual(len(sigs), 2, raw[:600])
            results = [dkim_ok(raw, i, lookup) for i in range(2)]
            self.assertEqual(results, [True, True], "dkimpy verification of %s" % mid)
            text = raw.decode("utf-8", "replace")
            self.assertIn("d=%s" % SIGNED, text)
            self.assertRegex(text, r"a=rsa-sha256")
            self.assertRegex(text, r"a=ed25519-sha256")
            # A change after signing breaks both signatures (the oracle is not just saying yes).
            tampered = raw.replace(b"Line one", b"Line 1") if mid == signed_mid else raw.replace(b"sub\r\n", b"sob\r\n")
            self.assertEqual([dkim_ok(tampered, i, lookup) for i in range(2)], [False, False])
        self.assertNotIn(b"DKIM-Signature", by_mid[other_mid].raw)

    # ------------------------------------------------------------------ inbound

    def test_inbound_checks_authentication_results(self):
        sink = self.sink()
        keydir = self.tmpdir()
        # The remote sender's key: made by dkimpy's side (openssl), not by RelayDesk.
        key_pem = os.path.join(keydir, "good.key")
        subprocess.run(["openssl", "genrsa", "-out", key_pem, "2048"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pub = subprocess.run(["openssl", "rsa", "-in", key_pem, "-pubout", "-outform", "DER"], check=True,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
        import base64
        record = "v=DKIM1; k=rsa; p=" + base64.b64encode(pub).decode()
        with open(key_pem, "rb") as f:
            private = f.read()
        server = DnsServer({
            GOOD: ["@ TXT \"v=spf1 ip4:127.0.0.1 -all\"",
                   "sel._domainkey TXT %s" % txt(record),
                   "_dmarc TXT \"v=DMARC1; p=reject; rua=mailto:d@good.example\""],
            FORGED: ["@ TXT \"v=spf1 ip4:192.0.2.1 -all\""],
        }).start()
        self.addCleanup(server.stop)

        cfg = harness.default_config(harness.free_port(), sink.address, accepted_domains=["inbound.test"],
                                     relay_allow=("127.0.0.2/32",),
                                     settings={"mailauth.inbound_checks": True,
                                               "dns.servers": server.server_spec()})
        relay = harness.Relay(self.tmpdir(), sink.address, config=cfg)
        self._relays.append(relay)
        relay.start()

        good_msg, good_mid = harness.make_message("good", "hello\n", sender="news@%s" % GOOD, to=["u@inbound.test"])
        sig = dkim.sign(good_msg, b"sel", GOOD.encode(), private, include_headers=[b"from", b"to", b"subject"])
        good_msg = sig + good_msg
        self.assertTrue(harness.send_smtp(relay.port, "news@%s" % GOOD, ["u@inbound.test"], good_msg).accepted)

        forged_msg, forged_mid = harness.make_message("forged", "pay now\n", sender="ceo@%s" % GOOD,
                                                      to=["u@inbound.test"])
        forged_sig = dkim.sign(forged_msg, b"sel", GOOD.encode(), private, include_headers=[b"from", b"subject"])
        forged_msg = forged_sig + forged_msg.replace(b"pay now", b"pay later")
        self.assertTrue(harness.send_smtp(relay.port, "x@%s" % FORGED, ["u@inbound.test"], forged_msg).accepted)
        sink.wait_for(2, timeout=40)
        by_mid = {m.message_id: m for m in sink.messages()}

        good = auth_results(by_mid[good_mid].raw)
        self.assertEqual(len(good), 1, good)
        self.assertTrue(good[0].startswith(harness.RELAY_HOSTNAME + ";"), good)
        self.assertRegex(good[0], r"spf=pass smtp\.mailfrom=news@good\.example")
        self.assertRegex(good[0], r"dkim=pass[^;]*header\.d=good\.example")
        self.assertRegex(good[0], r"dmarc=pass")
        # The independent SPF oracle agrees.
        forged = auth_results(by_mid[forged_mid].raw)
        self.assertEqual(len(forged), 1, forged)
        self.assertRegex(forged[0], r"spf=fail smtp\.mailfrom=x@forged\.example")
        self.assertRegex(forged[0], r"dkim=fail")
        self.assertRegex(forged[0], r"dmarc=fail .*policy\.dmarc=reject")
        # The receive log row records the results.
        rows = relay.wait_log(lambda r: r["kind"] == harness.KIND_RECEIVE and "dmarc=" in (r["message"] or ""),
                              20, "receive row with checks")
        self.assertTrue(any("spf=pass" in r["message"] for r in rows), rows)

    # ------------------------------------------------------------------ dns checks

    def test_stop_while_inbound_check_waits_for_dns(self):
        """Stopping the relay while an inbound check waits on DNS (a server that never
        answers) exits cleanly: the checks go before the resolver they cancel lookups on
        (this was a use-after-free in the engine's destructor)."""
        import socket
        import threading
        silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # takes queries, never answers
        silent.bind(("127.0.0.1", 0))
        self.addCleanup(silent.close)
        sink = self.sink()
        cfg = harness.default_config(harness.free_port(), sink.address, accepted_domains=["inbound.test"],
                                     relay_allow=("127.0.0.2/32",),
                                     settings={"mailauth.inbound_checks": True,
                                               "mailauth.check_timeout_ms": 60000,
                                               "dns.timeout_ms": 30000,
                                               "dns.servers": "127.0.0.1:%d" % silent.getsockname()[1]})
        relay = harness.Relay(self.tmpdir(), sink.address, config=cfg)
        self._relays.append(relay)
        relay.start()
        msg, _ = harness.make_message("waits", "hello\n", sender="a@%s" % GOOD, to=["u@inbound.test"])
        sender = threading.Thread(target=lambda: harness.send_smtp(relay.port, "a@%s" % GOOD,
                                                                   ["u@inbound.test"], msg, timeout=20),
                                  daemon=True)
        sender.start()
        silent.settimeout(15)
        while True:  # the PTR lookup of the client comes first; wait for the SPF one
            packet, _ = silent.recvfrom(4096)
            if GOOD.split(".")[0].encode() in packet:
                break
        rc = relay.stop()
        self.assertEqual(rc, 0, "relay exit status at stop while a check waited on DNS")
        # The check's timers and lookups belong to the engine thread: destroying them
        # anywhere else (the old order left them to the engine's destructor on the main
        # thread) makes Qt warn, and their lookups were cancelled on a freed resolver.
        self.assertNotIn("from another thread", relay.stderr_text())
        sender.join(20)

    def test_dns_check_good_and_broken(self):
        base = self.tmpdir()
        data = os.path.join(base, "data")
        good_rec = self.generate_key(data, GOOD, "rd1", "ed25519-sha256")
        self.generate_key(data, BROKEN, "rd1", "ed25519-sha256")
        other = self.generate_key(os.path.join(base, "other"), BROKEN, "rd1", "ed25519-sha256")

        relay_port = harness.free_port()
        dead_port = harness.free_port()
        server = DnsServer({
            GOOD: ["@ TXT \"v=spf1 ip4:127.0.0.1 -all\"",
                   "rd1._domainkey TXT %s" % txt(good_rec),
                   "_dmarc TXT \"v=DMARC1; p=reject; rua=mailto:d@good.example\"",
                   "@ MX 10 mx", "mx A 127.0.0.1", "relay A 127.0.0.1"],
            BROKEN: ["@ TXT \"v=spf1 ip4:192.0.2.1 -all\"", "@ TXT \"v=spf1 mx -all\"",
                     "rd1._domainkey TXT %s" % txt(other),
                     "@ MX 10 mx", "mx A 127.0.0.9"],
            "0.0.127.in-addr.arpa": ["1 PTR relay.good.example.", "9 PTR nowhere.broken.example."],
            "bl.test": ["1.0.0.127 A 127.0.0.2"],
            "clean.test": ["@ TXT \"clean\""],
        }).start()
        self.addCleanup(server.stop)
        # The relay itself answers SMTP (with STARTTLS) on the MX port of 127.0.0.1; 127.0.0.9 answers nothing.
        cert = harness.run_relay(["--generate-certificate", "relay.good.example"], data_dir=data)
        self.assertEqual(cert.returncode, 0, cert.stderr.decode())
        cfg = harness.default_config(relay_port, "", hostname="relay.good.example",
                                     settings={"dns.servers": server.server_spec(),
                                               "delivery.mx_port": relay_port,
                                               "dnschecks.public_addresses": "127.0.0.1",
                                               "dnsbl.zones": "clean.test"})
        cfg["listeners"][0]["certificate"] = cert.stdout.decode().strip()
        relay = harness.Relay(base, "", config=cfg)
        self._relays.append(relay)
        relay.start()
        del dead_port

        def check(domain, zones):
            cfg["settings"]["dnsbl.zones"] = zones
            with open(relay.config_path, "w") as f:
                json.dump(cfg, f)
            r = harness.run_relay(["--config", relay.config_path, "--dns-check", domain, "--json"],
                                  data_dir=data, timeout=120)
            report = json.loads(r.stdout.decode())
            by = {}
            for f in report["findings"]:
                by.setdefault(f["check"], []).append(f)
            return r.returncode, report, by

        rc, report, by = check(GOOD, "clean.test")
        text = json.dumps(report, indent=1)
        self.assertEqual(rc, 0, text)
        for name in ("spf", "dkim", "dmarc", "mx", "ptr", "dnsbl"):
            statuses = {f["status"] for f in by.get(name, [])}
            self.assertIn("pass", statuses, "%s: %s" % (name, text))
            self.assertNotIn("fail", statuses, "%s: %s" % (name, text))
        self.assertTrue(any(f["title"] == "SPF authorises 127.0.0.1" for f in by["spf"]), text)

        rc, report, by = check(BROKEN, "bl.test")
        text = json.dumps(report, indent=1)
        self.assertEqual(rc, 1, text)
        for name in ("spf", "dkim", "dmarc", "mx", "dnsbl"):
            self.assertIn("fail", {f["status"] for f in by.get(name, [])}, "%s: %s" % (name, text))
        dmarc_fix = [f for f in by["dmarc"] if f.get("fix_value")]
        self.assertTrue(dmarc_fix and dmarc_fix[0]["fix_value"].startswith("v=DMARC1; p=none"), text)
        dkim_fix = [f for f in by["dkim"] if f.get("fix_value")]
        self.assertTrue(dkim_fix and dkim_fix[0]["fix_name"] == "rd1._domainkey.%s" % BROKEN, text)
        # PTR failing case: a public address whose PTR does not resolve back.
        cfg["settings"]["dnschecks.public_addresses"] = "127.0.0.9"
        rc, report, by = check(GOOD, "clean.test")
        self.assertIn("fail", {f["status"] for f in by["ptr"]}, json.dumps(report, indent=1))
        self.assertIn("fail", {f["status"] for f in by["spf"]}, json.dumps(report, indent=1))
        spf_fix = [f for f in by["spf"] if f.get("fix_value")]
        self.assertIn("ip4:127.0.0.9", spf_fix[0]["fix_value"])
        # History: the three runs are stored for the panel.
        rows = relay._query("log.db", "SELECT domain, worst FROM dns_checks ORDER BY id")
        self.assertEqual([r["domain"] for r in rows], [GOOD, BROKEN, GOOD], rows)


if __name__ == "__main__":
    unittest.main(verbosity=2)

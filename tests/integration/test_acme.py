#!/usr/bin/python3
"""Certificates RelayDesk orders itself over ACME (RFC 8555), end to end against Pebble.

Pebble (Let's Encrypt's test CA, Debian `pebble`) and pebble-challtestsrv (its DNS
server, answering 127.0.0.1 for every name) are started once for the class, on
127.0.0.1 only, as tests/unit/tst_acmepebble.cpp does. Pebble's VA validates
HTTP-01 on the port the relay's temporary responder binds (acme.http01_port);
Pebble's own HTTPS certificate reaches the relay through acme.ca_file.

- `--acme-order A,B --acme-agree-tos` issues over HTTP-01: the id is printed,
  `--list-certificates` shows it, the chain verifies against Pebble's root
  (management API /roots/0, `openssl verify`), and config.db acme_certificates
  holds the record with renew_after at two thirds of the lifetime.
- Refusals (exit 2, nothing issued): no --acme-agree-tos; HTTP-01 while
  acme.http01_allowed is false (the message names the setting).
- Automatic renewal: a listener uses the ACME certificate, its renew_after is put
  in the past, the headless relay starts, renews over HTTP-01 (log result
  acme_renewed), moves the listener to the new id (config.db listeners) and new
  STARTTLS sessions get the new certificate without a restart.
- An unreachable ACME directory: exit 1, a clear error, nothing stored.
- The headless relay (whose engine owns the ACME service) exits 0 on SIGTERM.
- AcmeDnsUpdate: a second Pebble resolves through Knot DNS (knotserver.py); dns-01 by RFC 2136
  DNS UPDATE with TSIG (acme.dns_update_server, acme.tsig_*): issued with no manual step, the TXT
  records gone afterwards, renewed by the running relay the same way; the secret stays out of
  exports, output and logs; a wrong secret fails the order (BADSIG), an incomplete key is refused.

Run: RELAYDESK_BIN=build-lead/app/relaydesk /usr/bin/python3 tests/integration/test_acme.py -v
"""

import base64
import json
import os
import re
import shutil
import smtplib
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
from datetime import timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from knotserver import KNOTD, KnotServer  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding  # noqa: E402
from cryptography.x509.oid import ExtensionOID, NameOID  # noqa: E402

PEBBLE = "/usr/bin/pebble"
CHALLTESTSRV = "/usr/bin/pebble-challtestsrv"
EMAIL = "admin@example.test"
ORDER_TIMEOUT = 120  # one CLI order; Pebble with PEBBLE_VA_NOSLEEP takes a few seconds


def wait_process_port(proc, port, what, timeout=20):
    """Wait until `proc` listens on 127.0.0.1:port (TCP); fails early if it exits."""
    def check():
        if proc.poll() is not None:
            raise AssertionError("%s exited with %s before listening on %d" % (what, proc.returncode, port))
        return harness.port_listening(port)
    harness.wait_until(check, timeout, 0.05, "%s listening on 127.0.0.1:%d" % (what, port))


def stop_process(proc, log_file):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    log_file.close()


def load_chain(pem_bytes):
    """Every certificate of a PEM chain, in order (python3-cryptography 38 has no load_pem_x509_certificates)."""
    blocks = re.findall(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", pem_bytes, re.S)
    return [x509.load_pem_x509_certificate(b) for b in blocks]


def leaf_of(pem_bytes):
    """The first certificate of a PEM chain."""
    return load_chain(pem_bytes)[0]


def sans_of(cert):
    return sorted(cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
                  .value.get_values_for_type(x509.DNSName))


def cn_of(cert):
    attrs = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return attrs[0].value if attrs else None


def served_certificate(port):
    """The certificate the relay presents after STARTTLS on 127.0.0.1:port."""
    conn = smtplib.SMTP(harness.LOOPBACK, port, local_hostname="client.it.example.test", timeout=20)
    try:
        conn.ehlo()
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        conn.starttls(context=ctx)
        conn.ehlo()
        der = conn.sock.getpeercert(binary_form=True)
    finally:
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            conn.close()
    return x509.load_der_x509_certificate(der)


def query(data_dir, sql, params=()):
    """Rows (dicts) of config.db in data_dir; [] if the file or table is missing."""
    path = os.path.join(data_dir, "config.db")
    if not os.path.exists(path):
        return []
    conn = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
    try:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, params)]
    except sqlite3.OperationalError as e:
        if "no such table" in str(e):
            return []
        raise
    finally:
        conn.close()


class PebbleCase(harness.RelayTestCase):
    """Pebble once per class, resolving through the DNS server start_dns() starts; the helpers. No tests."""

    # ------------------------------------------------------------------ Pebble (once per class)

    @classmethod
    def start_dns(cls):
        """pebble-challtestsrv (answers 127.0.0.1 for every name); returns its "ip:port"."""
        cls.dns_port = harness.free_port()
        cls.chall_mgmt_port = harness.free_port()
        dns_addr = "127.0.0.1:%d" % cls.dns_port
        cls.chall_log_path = os.path.join(cls.pebble_dir, "challtestsrv.log")
        chall_log = open(cls.chall_log_path, "wb")
        cls.chall = subprocess.Popen(
            [CHALLTESTSRV, "-dns01", dns_addr, "-management", "127.0.0.1:%d" % cls.chall_mgmt_port,
             "-http01", "", "-https01", "", "-tlsalpn01", "", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""],
            stdin=subprocess.DEVNULL, stdout=chall_log, stderr=subprocess.STDOUT, env=harness.clean_env())
        cls.addClassCleanup(stop_process, cls.chall, chall_log)
        wait_process_port(cls.chall, cls.chall_mgmt_port, "pebble-challtestsrv")
        return dns_addr

    @classmethod
    def setUpClass(cls):
        for exe in (PEBBLE, CHALLTESTSRV):
            if not os.path.exists(exe):
                if os.environ.get("CI"):
                    raise AssertionError("%s is not installed (scripts/deps.sh installs pebble)" % exe)
                raise unittest.SkipTest("%s is not installed (apt-get install pebble)" % exe)
        cls.pebble_dir = tempfile.mkdtemp(prefix="rd-pebble-")
        cls.addClassCleanup(shutil.rmtree, cls.pebble_dir, ignore_errors=True)
        d = cls.pebble_dir
        cls.pebble_crt = os.path.join(d, "pebble.crt")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", os.path.join(d, "pebble.key"), "-out", cls.pebble_crt,
                        "-days", "2", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)

        cls.acme_port = harness.free_port()
        cls.mgmt_port = harness.free_port()
        cls.http01_port = harness.free_port()  # Pebble's VA connects here; the relay's responder binds it
        config = {"pebble": {
            "listenAddress": "127.0.0.1:%d" % cls.acme_port,
            "managementListenAddress": "127.0.0.1:%d" % cls.mgmt_port,
            "certificate": cls.pebble_crt,
            "privateKey": os.path.join(d, "pebble.key"),
            "httpPort": cls.http01_port,
            "tlsPort": harness.free_port(),
            "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
        }}
        with open(os.path.join(d, "pebble.json"), "w") as f:
            json.dump(config, f)

        dns_addr = cls.start_dns()

        cls.pebble_log_path = os.path.join(d, "pebble.log")
        pebble_log = open(cls.pebble_log_path, "wb")
        # No nonce rejection: the badNonce retry has its unit test; here it would only add noise.
        env = harness.clean_env({"PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0",
                                 "PEBBLE_AUTHZREUSE": "0"})
        cls.pebble = subprocess.Popen([PEBBLE, "-config", os.path.join(d, "pebble.json"), "-dnsserver", dns_addr],
                                      stdin=subprocess.DEVNULL, stdout=pebble_log, stderr=subprocess.STDOUT,
                                      env=env)
        cls.addClassCleanup(stop_process, cls.pebble, pebble_log)
        cls.directory = "https://127.0.0.1:%d/dir" % cls.acme_port
        cls.tls_ctx = ssl.create_default_context(cafile=cls.pebble_crt)

        def directory_ok():
            if cls.pebble.poll() is not None:
                raise AssertionError("pebble exited with %s:\n%s" % (cls.pebble.returncode, cls.pebble_output()))
            try:
                with urllib.request.urlopen(cls.directory, context=cls.tls_ctx, timeout=2) as r:
                    return r.status == 200 and "newOrder" in json.loads(r.read())
            except OSError:
                return False
        harness.wait_until(directory_ok, 20, 0.1, "Pebble's ACME directory %s" % cls.directory)
        harness.log("pebble pid %d: ACME %s, management :%d, http-01 :%d, DNS %s" % (
            cls.pebble.pid, cls.directory, cls.mgmt_port, cls.http01_port, dns_addr))

    @classmethod
    def pebble_output(cls):
        try:
            with open(cls.pebble_log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def _dump_diagnostics(self):
        super()._dump_diagnostics()
        sys.stderr.write("\n===== pebble log (last 60 lines) =====\n%s\n" %
                         "\n".join(self.pebble_output().splitlines()[-60:]))
        sys.stderr.flush()

    # ------------------------------------------------------------------ helpers

    def acme_settings(self, **over):
        s = {
            "acme.directory_url": self.directory,
            "acme.email": EMAIL,
            "acme.ca_file": self.pebble_crt,
            "acme.http01_allowed": True,
            "acme.http01_port": self.http01_port,
        }
        s.update(over)
        return s

    def write_config(self, base, name="order.json", certificate=None, **settings):
        """A config JSON (one loopback listener, ACME settings) in base; returns (path, dict)."""
        cfg = harness.default_config(harness.free_port(), "127.0.0.1:%d" % harness.free_port(),
                                     settings=self.acme_settings(**settings))
        if certificate:
            cfg["listeners"][0]["certificate"] = certificate
        path = os.path.join(base, name)
        with open(path, "w") as f:
            json.dump(cfg, f, indent=2)
        return path, cfg

    def order(self, data_dir, config_path, names, agree=True, challenge=None, timeout=ORDER_TIMEOUT):
        """`relaydesk --config F --acme-order NAMES`; returns (exit code, stdout, stderr)."""
        args = ["--config", config_path, "--acme-order", names]
        if challenge:
            args += ["--acme-challenge", challenge]
        if agree:
            args.append("--acme-agree-tos")
        started = time.monotonic()
        p = harness.run_relay(args, timeout=timeout, data_dir=data_dir)
        out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
        harness.log("--acme-order %s: exit %d after %.1fs" % (names, p.returncode, time.monotonic() - started))
        return p.returncode, out, err

    def issue(self, data_dir, config_path, names):
        rc, out, err = self.order(data_dir, config_path, names)
        self.assertEqual(rc, 0, "--acme-order failed:\nstdout: %s\nstderr: %s" % (out, err))
        lines = out.strip().splitlines()
        self.assertTrue(lines, "no certificate id on stdout; stderr:\n%s" % err)
        cert_id = lines[-1].strip()
        self.assertRegex(cert_id, r"^[A-Za-z0-9._-]+$", "stdout: %r" % out)
        return cert_id, err

    def list_certificates(self, data_dir):
        p = harness.run_relay(["--list-certificates"], timeout=60, data_dir=data_dir)
        self.assertEqual(p.returncode, 0, p.stderr.decode("utf-8", "replace"))
        return [line.split("\t") for line in p.stdout.decode("utf-8", "replace").splitlines() if line.strip()]

    def chain_pem(self, data_dir, cert_id):
        with open(os.path.join(data_dir, "tls", cert_id + ".crt.pem"), "rb") as f:
            return f.read()

    def pebble_root(self):
        url = "https://127.0.0.1:%d/roots/0" % self.mgmt_port
        with urllib.request.urlopen(url, context=self.tls_ctx, timeout=10) as r:
            self.assertEqual(r.status, 200)
            return r.read()

    def assert_chain_verifies(self, base, chain_pem):
        certs = load_chain(chain_pem)
        self.assertGreaterEqual(len(certs), 2, "the stored chain lacks Pebble's intermediate")
        root_path, leaf_path, inter_path = (os.path.join(base, n) for n in ("root.pem", "leaf.pem", "inter.pem"))
        with open(root_path, "wb") as f:
            f.write(self.pebble_root())
        with open(leaf_path, "wb") as f:
            f.write(certs[0].public_bytes(Encoding.PEM))
        with open(inter_path, "wb") as f:
            f.write(b"".join(c.public_bytes(Encoding.PEM) for c in certs[1:]))
        p = subprocess.run(["openssl", "verify", "-purpose", "sslserver", "-CAfile", root_path,
                            "-untrusted", inter_path, leaf_path],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        out = p.stdout.decode("utf-8", "replace")
        self.assertTrue(p.returncode == 0 and ": OK" in out, "openssl verify: %s" % out)



class Acme(PebbleCase):

    # ------------------------------------------------------------------ tests

    def test_1_http01_order_issues_and_records_for_renewal(self):
        base = self.tmpdir()
        data = os.path.join(base, "data")
        cfg_path, _ = self.write_config(base)
        cert_id, err = self.issue(data, cfg_path, "Mail.acme.test,smtp.acme.test")

        listed = self.list_certificates(data)
        rows = [r for r in listed if r[0] == cert_id]
        self.assertEqual(len(rows), 1, "--list-certificates: %r" % listed)
        self.assertEqual(len(listed), 1, "exactly one certificate expected: %r" % listed)
        row = rows[0]
        self.assertEqual(len(row), 4, row)
        self.assertIn("mail.acme.test", row[2], "subject column of %r" % row)
        self.assertRegex(row[3], r"^until \d{4}-\d\d-\d\dT", row)

        chain = self.chain_pem(data, cert_id)
        leaf = leaf_of(chain)
        self.assertEqual(sans_of(leaf), ["mail.acme.test", "smtp.acme.test"])
        self.assertEqual(cn_of(leaf), "mail.acme.test")
        self.assert_chain_verifies(base, chain)

        records = query(data, "SELECT * FROM acme_certificates")
        self.assertEqual(len(records), 1, records)
        rec = records[0]
        self.assertEqual(rec["certificate_id"], cert_id)
        self.assertEqual(rec["names"].split(), ["mail.acme.test", "smtp.acme.test"])
        self.assertEqual(rec["challenge"], "http-01")
        self.assertEqual(rec["directory_url"], self.directory)
        self.assertEqual(rec["status"], "valid")
        # renew_after (seconds since the epoch, core/acme/acmerecords.cpp) at 2/3 of the lifetime.
        nb = leaf.not_valid_before.replace(tzinfo=timezone.utc).timestamp()
        na = leaf.not_valid_after.replace(tzinfo=timezone.utc).timestamp()
        expected = nb + (na - nb) * 2 / 3
        self.assertLess(abs(rec["renew_after"] - expected), 5,
                        "renew_after %r, expected about %d (notBefore %d, notAfter %d)" %
                        (rec["renew_after"], expected, nb, na))
        self.assertGreater(rec["renew_after"], time.time())
        accounts = query(data, "SELECT directory_url, account_url, email, key_pem FROM acme_accounts")
        self.assertEqual(len(accounts), 1, accounts)
        self.assertEqual(accounts[0]["directory_url"], self.directory)
        self.assertEqual(accounts[0]["email"], EMAIL)
        self.assertTrue(accounts[0]["account_url"].startswith("https://127.0.0.1:%d/" % self.acme_port),
                        accounts[0])
        # The temporary HTTP-01 responder is gone with the command.
        self.assertFalse(harness.port_listening(self.http01_port))

    def test_2_refusals_issue_nothing(self):
        base = self.tmpdir()
        data = os.path.join(base, "data")
        cfg_path, _ = self.write_config(base)
        rc, out, err = self.order(data, cfg_path, "noterms.acme.test", agree=False)
        self.assertEqual(rc, 2, "without --acme-agree-tos:\nstdout: %s\nstderr: %s" % (out, err))
        self.assertIn("terms of service", err)
        self.assertEqual(out.strip(), "")
        self.assertEqual(self.list_certificates(data), [])
        self.assertEqual(query(data, "SELECT * FROM acme_certificates"), [])

        cfg_path, _ = self.write_config(base, name="nohttp.json", **{"acme.http01_allowed": False})
        rc, out, err = self.order(data, cfg_path, "nohttp.acme.test", challenge="http-01")
        self.assertEqual(rc, 2, "HTTP-01 not allowed:\nstdout: %s\nstderr: %s" % (out, err))
        self.assertIn("acme.http01_allowed", err)
        self.assertEqual(out.strip(), "")
        # The default challenge is http-01: refused the same way.
        rc, out, err = self.order(data, cfg_path, "nohttp.acme.test")
        self.assertEqual(rc, 2, "HTTP-01 (default) not allowed:\nstdout: %s\nstderr: %s" % (out, err))
        self.assertIn("acme.http01_allowed", err)
        # An unknown challenge type.
        rc, out, err = self.order(data, cfg_path, "x.acme.test", challenge="tls-alpn-01")
        self.assertEqual(rc, 2, "unknown challenge:\nstdout: %s\nstderr: %s" % (out, err))
        self.assertIn("http-01 or dns-01", err)
        self.assertEqual(self.list_certificates(data), [])
        self.assertEqual(query(data, "SELECT * FROM acme_certificates"), [])
        self.assertEqual(query(data, "SELECT * FROM acme_accounts"), [])

    def test_3_running_relay_renews_due_certificate_and_moves_listener(self):
        base = self.tmpdir()
        data = os.path.join(base, "data")  # harness.Relay(base) uses the same folder
        cfg_path, _ = self.write_config(base)
        old_id, _ = self.issue(data, cfg_path, "relay.acme.test")
        old_leaf = leaf_of(self.chain_pem(data, old_id))

        # Due now: renew_after in the past.
        conn = sqlite3.connect(os.path.join(data, "config.db"), timeout=10)
        try:
            with conn:
                n = conn.execute("UPDATE acme_certificates SET renew_after = ? WHERE certificate_id = ?",
                                 (int(time.time()) - 3600, old_id)).rowcount
        finally:
            conn.close()
        self.assertEqual(n, 1)

        _, cfg = self.write_config(base, name="relay-template.json", certificate=old_id)
        cfg["listeners"][0]["mode"] = "plain"  # offers STARTTLS with the certificate
        relay = harness.Relay(base, cfg["settings"]["delivery.smarthost"], config=cfg)
        self._relays.append(relay)
        relay.start()

        rows = relay.wait_log(lambda r: r["result"] == "acme_renewed" and "listeners" in (r["message"] or ""),
                              90, "acme_renewed row moving the listener")
        harness.log("acme_renewed: %s" % rows[-1]["message"])
        listeners = harness.wait_until(
            lambda: [r for r in relay._query("config.db", "SELECT name, certificate FROM listeners")
                     if r["certificate"] and r["certificate"] != old_id],
            20, 0.2, "config.db listeners.certificate moved off %s" % old_id)
        new_id = listeners[0]["certificate"]
        self.assertIn(new_id, rows[-1]["message"])
        self.assertIn(old_id, rows[-1]["message"])
        self.assertEqual([r["name"] for r in listeners], ["test"])

        new_leaf = leaf_of(self.chain_pem(data, new_id))
        self.assertNotEqual(new_leaf.serial_number, old_leaf.serial_number)
        self.assertEqual(sans_of(new_leaf), ["relay.acme.test"])

        # New sessions get the renewed certificate, without a restart.
        def serving_new():
            got = served_certificate(relay.port)
            return got if got.serial_number == new_leaf.serial_number else None
        served = harness.wait_until(serving_new, 20, 0.5, "STARTTLS presents the renewed certificate")
        self.assertNotEqual(served.fingerprint(hashes.SHA256()), old_leaf.fingerprint(hashes.SHA256()))
        self.assertEqual(served.fingerprint(hashes.SHA256()), new_leaf.fingerprint(hashes.SHA256()))
        self.assertTrue(relay.running)
        self.assertEqual(relay.runs, 1)

        # The record follows the certificate: scheduled again at 2/3 of the new lifetime.
        records = relay._query("config.db", "SELECT * FROM acme_certificates")
        self.assertEqual([r["certificate_id"] for r in records], [new_id], records)
        self.assertEqual(records[0]["status"], "valid")
        self.assertGreater(records[0]["renew_after"], time.time())
        self.assertFalse([r for r in relay.log_rows() if r["result"] == "acme_renewal_failed"])

    def test_4_unreachable_directory_fails_cleanly(self):
        base = self.tmpdir()
        data = os.path.join(base, "data")
        dead = "https://127.0.0.1:%d/dir" % harness.free_port()
        cfg_path, _ = self.write_config(base, **{"acme.directory_url": dead})
        started = time.monotonic()
        rc, out, err = self.order(data, cfg_path, "dead.acme.test")
        self.assertEqual(rc, 1, "unreachable directory:\nstdout: %s\nstderr: %s" % (out, err))
        self.assertLess(time.monotonic() - started, 60)
        self.assertEqual(out.strip(), "")
        last = [line for line in err.splitlines() if line.startswith("relaydesk: ")]
        self.assertTrue(last, "no relaydesk: error line on stderr:\n%s" % err)
        self.assertRegex(last[-1], re.compile(r"directory|refused|connect", re.I), err)
        self.assertEqual(self.list_certificates(data), [])
        self.assertEqual(query(data, "SELECT * FROM acme_certificates"), [])
        self.assertEqual(query(data, "SELECT * FROM acme_accounts"), [])
        tls_dir = os.path.join(data, "tls")
        leftovers = [n for n in (os.listdir(tls_dir) if os.path.isdir(tls_dir) else [])
                     if n.endswith((".key.pem", ".csr.pem", ".crt.pem"))]
        self.assertEqual(leftovers, [], "files left in %s" % tls_dir)

    def test_5_relay_with_acme_service_stops_cleanly(self):
        """SIGTERM ends the headless relay with exit 0 (the engine owns an AcmeService)."""
        base = self.tmpdir()
        _, cfg = self.write_config(base, name="relay-template.json")
        relay = harness.Relay(base, cfg["settings"]["delivery.smarthost"], config=cfg)
        self._relays.append(relay)
        relay.start()
        relay.wait_log(lambda r: r["result"] == "ready", 20, "ready row")
        rc = relay.stop()
        self.assertEqual(rc, 0, "relay exit status on SIGTERM (negative: killed by that signal); stderr:\n%s" %
                         relay.stderr_text()[-2000:])
        self.assertTrue([r for r in relay.log_rows() if r["result"] == "stopped"], "no 'stopped' log row")



TSIG_KEY = "relaydesk-acme"
TSIG_SECRET = base64.b64encode(bytes(range(7, 39))).decode()   # 32 bytes, fixed: easy to grep for


class AcmeDnsUpdate(PebbleCase):
    """dns-01 with no manual step: Pebble resolves through Knot DNS (tests/integration/knotserver.py,
    zone rfc2136.test, updates allowed with the TSIG key); the relay publishes the TXT records by
    RFC 2136 DNS UPDATE (acme.dns_update_server, acme.tsig_*), waits until its resolver (dns.servers =
    knotd) sees them, and deletes them after the order; the automatic renewal does the same."""

    @classmethod
    def start_dns(cls):
        if not os.path.exists(KNOTD):
            if os.environ.get("CI"):
                raise AssertionError("%s is not installed (scripts/deps.sh installs knot)" % KNOTD)
            raise unittest.SkipTest("%s is not installed (apt-get install knot)" % KNOTD)
        cls.knot = KnotServer({"rfc2136.test": []}, TSIG_KEY, TSIG_SECRET).start()
        cls.addClassCleanup(cls.knot.stop)
        return cls.knot.server_spec()

    def update_settings(self, **over):
        s = {
            "acme.http01_allowed": False,
            "acme.dns_update_server": self.knot.server_spec(),
            "acme.tsig_key_name": TSIG_KEY,
            "acme.tsig_algorithm": "hmac-sha256",
            "acme.tsig_secret": TSIG_SECRET,
            "acme.dns_update_ttl": 5,
            "dns.servers": self.knot.server_spec(),
        }
        s.update(over)
        return s

    def assert_no_challenge_records(self, names):
        for name in names:
            self.assertEqual(self.knot.txt("_acme-challenge." + name), [],
                             "_acme-challenge.%s still has TXT records" % name)

    def test_1_order_renew_and_cleanup(self):
        base = self.tmpdir()
        data = os.path.join(base, "data")
        names = ["mail.rfc2136.test", "smtp.mail.rfc2136.test"]
        cfg_path, _ = self.write_config(base, **self.update_settings())
        rc, out, err = self.order(data, cfg_path, ",".join(names), challenge="dns-01")
        self.assertEqual(rc, 0, "--acme-order dns-01 by DNS UPDATE failed:\nstdout: %s\nstderr: %s" % (out, err))
        self.assertNotIn("Publish these TXT records", out)   # no manual step
        self.assertIn("by DNS UPDATE at %s" % self.knot.server_spec(), err)
        self.assertIn("removing the _acme-challenge TXT records by DNS UPDATE", err)
        self.assertNotIn(TSIG_SECRET, out + err)
        cert_id = out.strip().splitlines()[-1].strip()
        leaf = leaf_of(self.chain_pem(data, cert_id))
        self.assertEqual(sans_of(leaf), sorted(names))
        self.assert_chain_verifies(base, self.chain_pem(data, cert_id))
        self.assert_no_challenge_records(names)
        records = query(data, "SELECT * FROM acme_certificates")
        self.assertEqual([r["challenge"] for r in records], ["dns-01"])

        # The secret is stored in config.db, left out of an export, and kept when that export is imported.
        stored = query(data, "SELECT value FROM settings WHERE key = 'acme.tsig_secret'")
        self.assertEqual([r["value"] for r in stored], [TSIG_SECRET])
        exported = os.path.join(base, "export.json")
        p = harness.run_relay(["--export-config", exported], timeout=60, data_dir=data)
        self.assertEqual(p.returncode, 0, p.stderr.decode("utf-8", "replace"))
        with open(exported) as f:
            text = f.read()
        self.assertNotIn(TSIG_SECRET, text)
        self.assertNotIn("acme.tsig_secret", json.loads(text)["settings"])
        self.assertEqual(json.loads(text)["settings"]["acme.tsig_key_name"], TSIG_KEY)
        p = harness.run_relay(["--config", exported, "--export-config", os.path.join(base, "again.json")],
                              timeout=60, data_dir=data)
        self.assertEqual(p.returncode, 0, p.stderr.decode("utf-8", "replace"))
        stored = query(data, "SELECT value FROM settings WHERE key = 'acme.tsig_secret'")
        self.assertEqual([r["value"] for r in stored], [TSIG_SECRET])

        # The automatic renewal of a dns-01 certificate runs by DNS UPDATE too.
        conn = sqlite3.connect(os.path.join(data, "config.db"), timeout=10)
        try:
            with conn:
                conn.execute("UPDATE acme_certificates SET renew_after = ? WHERE certificate_id = ?",
                             (int(time.time()) - 3600, cert_id))
        finally:
            conn.close()
        _, cfg = self.write_config(base, name="relay-template.json", **self.update_settings())
        relay = harness.Relay(base, cfg["settings"]["delivery.smarthost"], config=cfg)
        self._relays.append(relay)
        relay.start()
        rows = relay.wait_log(lambda r: r["result"] == "acme_renewed", 90, "acme_renewed row")
        harness.log("acme_renewed: %s" % rows[-1]["message"])
        renewed = relay._query("config.db", "SELECT * FROM acme_certificates")
        self.assertEqual(len(renewed), 1, renewed)
        self.assertNotEqual(renewed[0]["certificate_id"], cert_id)
        self.assertEqual(renewed[0]["challenge"], "dns-01")
        self.assert_no_challenge_records(names)
        bad = [r for r in relay.log_rows()
               if r["result"] in ("acme_renewal_failed", "acme_dns_cleanup_failed")
               or TSIG_SECRET in (r["message"] or "")]
        self.assertEqual(bad, [])
        self.assertNotIn(TSIG_SECRET, relay.stderr_text())

    def test_2_wrong_secret_fails_the_order(self):
        base = self.tmpdir()
        data = os.path.join(base, "data")
        wrong = base64.b64encode(b"w" * 32).decode()
        cfg_path, _ = self.write_config(base, **self.update_settings(**{"acme.tsig_secret": wrong,
                                                                        "acme.dns_update_zone": "rfc2136.test"}))
        rc, out, err = self.order(data, cfg_path, "bad.rfc2136.test", challenge="dns-01")
        self.assertEqual(rc, 1, "wrong TSIG secret:\nstdout: %s\nstderr: %s" % (out, err))
        self.assertIn("relaydesk: ACME dns-01 failed: DNS UPDATE (add TXT _acme-challenge.bad.rfc2136.test in zone "
                      "rfc2136.test) at %s failed: the server said NOTAUTH (BADSIG)" % self.knot.server_spec(), err)
        self.assertNotIn("Publish these TXT records", out)   # no fallback to the admin
        self.assertNotIn(wrong, out + err)
        self.assertEqual(self.list_certificates(data), [])
        self.assert_no_challenge_records(["bad.rfc2136.test"])

    def test_3_incomplete_key_is_refused(self):
        base = self.tmpdir()
        data = os.path.join(base, "data")
        cfg_path, _ = self.write_config(base, **self.update_settings(**{"acme.tsig_secret": ""}))
        rc, out, err = self.order(data, cfg_path, "nokey.rfc2136.test", challenge="dns-01")
        self.assertEqual(rc, 2, "no TSIG secret:\nstdout: %s\nstderr: %s" % (out, err))
        self.assertIn("needs a TSIG key (acme.tsig_key_name, acme.tsig_algorithm, acme.tsig_secret)", err)
        self.assertEqual(self.list_certificates(data), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)

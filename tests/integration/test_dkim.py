"""DKIM cross-check with an independent implementation, both ways, over real DNS.

NSD (tests/integration/dnsserver.py) serves the public keys on 127.0.0.1.
1. rd-dkimtool signs (rsa-sha256 and ed25519-sha256, four canonicalisations, many
   messages) and dkimpy (Debian python3-dkim) verifies, looking the keys up in NSD
   through dnspython.
2. dkimpy signs (rsa and ed25519, canonicalisations, l=) and `rd-dkimtool verify
   --dns 127.0.0.1:<port>` verifies through CaresResolver.
3. Negatives: a message changed after signing fails in both; a missing or revoked key
   is a permerror.

rd-dkimtool comes from env RD_DKIMTOOL, else $RELAYDESK_BUILD_DIR/tests/tools/rd-dkimtool
(ctest passes RELAYDESK_BUILD_DIR), else build/tests/tools/rd-dkimtool.
Debian packages: nsd python3-dkim python3-dnspython python3-nacl.
"""

import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from dnsserver import DnsServer  # noqa: E402

import dkim  # noqa: E402
import dns.rdatatype  # noqa: E402
import dns.resolver  # noqa: E402
import nacl.encoding  # noqa: E402
import nacl.signing  # noqa: E402

DATA = os.path.normpath(os.path.join(HERE, "..", "data", "dkim"))
DOMAIN = "example.test"
CANONS = ["relaxed/relaxed", "simple/simple", "relaxed/simple", "simple/relaxed"]


def log(msg):
    sys.stderr.write("[test_dkim] %s\n" % msg)
    sys.stderr.flush()


def tool_path():
    path = os.environ.get("RD_DKIMTOOL")
    if not path:
        build = os.environ.get("RELAYDESK_BUILD_DIR") or os.path.join(HERE, "..", "..", "build")
        path = os.path.join(build, "tests", "tools", "rd-dkimtool")
    return os.path.abspath(path)


def read(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


def crlf(data):
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def zone_txt(value):
    """A TXT record's data in zone-file form: <=255-octet quoted strings."""
    if isinstance(value, bytes):
        value = value.decode("ascii")
    parts = [value[i:i + 255] for i in range(0, len(value), 255)] or [""]
    return " ".join('"%s"' % p.replace("\\", "\\\\").replace('"', '\\"') for p in parts)


def messages():
    """(name, CRLF bytes): dkimpy's vector messages plus hand-made awkward ones."""
    out = []
    for name in ("test.message", "test2.message", "message.mbox", "rfc6376.msg", "rfc6376.w1258.msg",
                 "test_extra.message"):
        out.append((name, crlf(read(name))))
    out += [
        ("folded headers", b"From: Folded Sender\r\n  <sender@example.test>\r\nTo: a@example.net,\r\n"
                           b"\tb@example.net,\r\n     c@example.net\r\nSubject: a subject\r\n that is folded\r\n"
                           b"\t twice\r\nDate: Mon, 01 Jan 2024 10:00:00 +0000\r\n\r\nBody line\r\n"),
        ("trailing whitespace", b"From: ws@example.test  \r\nSubject:\tTabs\t and  spaces \t\r\n"
                                b"To:   x@example.net\r\n\r\nline with trailing spaces   \r\n"
                                b"\tindented\t\tline\t\r\n   \r\n\r\n\r\n"),
        ("empty body", b"From: e@example.test\r\nSubject: empty body\r\n\r\n"),
        ("body of empty lines", b"From: e@example.test\r\nSubject: blank lines\r\n\r\n\r\n\r\n\r\n"),
        ("no final CRLF", b"From: n@example.test\r\nSubject: no final newline\r\n\r\nlast line"),
        ("repeated headers", b"Received: one\r\nFrom: r@example.test\r\nReceived: two\r\nTo: a@example.net\r\n"
                             b"To: b@example.net\r\nSubject: repeated\r\nReferences: <a@b>\r\n <c@d>\r\n\r\nhi\r\n"),
        ("8bit and long line", b"From: l@example.test\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n"
                               b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
                               + ("caf\u00e9 " * 200).encode("utf-8") + b"\r\n"),
    ]
    return out


class DkimCrossCheck(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tool = tool_path()
        if not os.access(cls.tool, os.X_OK):
            raise AssertionError("rd-dkimtool not found at %s (build target rd-dkimtool)" % cls.tool)
        cls.tmp = tempfile.mkdtemp(prefix="rd-dkim-")
        cls.keys = {}   # selector -> (key file for rd-dkimtool or None, TXT value)
        # Keys made by rd-dkimtool (PKCS#8) ...
        for sel, alg in (("gen-rsa", "rsa-sha256"), ("gen-ed", "ed25519-sha256")):
            path = os.path.join(cls.tmp, sel + ".pem")
            out = cls.run_tool(["genkey", "--algorithm", alg, "--out", path]).stdout.decode().strip()
            assert out.startswith("v=DKIM1; k="), out
            cls.keys[sel] = (path, out)
        # ... and dkimpy's vector keys (PKCS#1 RSA 2048; dkimpy's Ed25519 seed format).
        cls.keys["pkcs1"] = (os.path.join(DATA, "2048_testkey.key"),
                             read("2048_testkey_wo_markers.pub.txt").decode().strip())
        cls.keys["brisbane"] = (os.path.join(DATA, "ed25519test.key"),
                                "v=DKIM1; " + read("ed25519test.dns").decode().strip())
        # A fresh Ed25519 key made by PyNaCl, for dkimpy signing.
        seed = nacl.signing.SigningKey.generate()
        cls.nacl_seed = seed.encode(encoder=nacl.encoding.Base64Encoder)
        cls.keys["nacl"] = (None, "v=DKIM1; k=ed25519; p=" +
                            seed.verify_key.encode(encoder=nacl.encoding.Base64Encoder).decode())
        records = ["%s._domainkey TXT %s" % (sel, zone_txt(txt)) for sel, (_, txt) in cls.keys.items()]
        records.append('revoked._domainkey TXT "v=DKIM1; k=rsa; p="')
        cls.dns = DnsServer({DOMAIN: records})
        cls.dns.start()
        log("NSD on %s serving %d key records" % (cls.dns.server_spec(), len(records)))
        res = dns.resolver.Resolver(configure=False)
        res.nameservers = [cls.dns.address]
        res.port = cls.dns.port
        cls.resolver = res
        cls.counts = {"rd->dkimpy": 0, "dkimpy->rd": 0, "l= appended": 0, "negative": 0}

    @classmethod
    def tearDownClass(cls):
        log("cross-verified: %s" % cls.counts)
        cls.dns.stop()
        import shutil
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def run_tool(cls, args, stdin=b"", check=True):
        r = subprocess.run([cls.tool] + args, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        if check and r.returncode not in (0,):
            raise AssertionError("rd-dkimtool %s -> %d\nstdout: %s\nstderr: %s"
                                 % (" ".join(args), r.returncode, r.stdout.decode(errors="replace"),
                                    r.stderr.decode(errors="replace")))
        return r

    def dnsfunc(self, name, timeout=5):
        """dkimpy's TXT lookup, asking NSD (never the system resolver)."""
        if isinstance(name, bytes):
            name = name.decode("ascii")
        try:
            answer = self.resolver.resolve(name, dns.rdatatype.TXT, lifetime=timeout)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers):
            return None  # NoNameservers: NSD refuses names outside its zones
        return b"".join(answer[0].strings)

    def dkimpy_verify_top(self, signed):
        """dkimpy's verdict on the topmost signature (the one just added)."""
        try:
            return bool(dkim.DKIM(signed, minkey=1024).verify(idx=0, dnsfunc=self.dnsfunc))
        except dkim.DKIMException:
            return False

    def dkimpy_verify_all(self, signed):
        """dkimpy's verdict for each signature (True/False), top first."""
        d = dkim.DKIM(signed, minkey=1024)
        n = len([h for h in d.headers if h[0].lower() == b"dkim-signature"])
        verdicts = []
        for i in range(n):
            try:
                verdicts.append(bool(dkim.DKIM(signed, minkey=1024).verify(idx=i, dnsfunc=self.dnsfunc)))
            except dkim.DKIMException:
                verdicts.append(False)
        return verdicts

    def rd_sign(self, selector, msg, canon):
        key_file = self.keys[selector][0]
        return self.run_tool(["sign", "--key", key_file, "--domain", DOMAIN, "--selector", selector,
                              "--canon", canon], stdin=msg).stdout

    def rd_verify(self, msg):
        r = self.run_tool(["verify", "--dns", self.dns.server_spec()], stdin=msg, check=False)
        self.assertIn(r.returncode, (0, 1), r.stderr.decode(errors="replace"))
        lines = [line.split(" ", 3) for line in r.stdout.decode().splitlines()]
        return r.returncode, lines

    # ------------------------------------------------------------------ rd -> dkimpy
    def test_rd_signs_dkimpy_verifies(self):
        for selector in ("gen-rsa", "gen-ed", "pkcs1", "brisbane"):
            for canon in CANONS:
                for name, msg in messages():
                    with self.subTest(selector=selector, canon=canon, message=name):
                        signed = self.rd_sign(selector, msg, canon)
                        self.assertTrue(signed.endswith(msg))
                        # Some vector messages carry old signatures of their own: only ours counts.
                        self.assertTrue(self.dkimpy_verify_top(signed),
                                         "dkimpy rejects our signature:\n%s" % signed[:len(signed) - len(msg)].decode())
                        self.counts["rd->dkimpy"] += 1

    # ------------------------------------------------------------------ dkimpy -> rd
    def test_dkimpy_signs_rd_verifies(self):
        rsa_key = read("2048_testkey.key")
        signers = [("pkcs1", b"rsa-sha256", rsa_key), ("nacl", b"ed25519-sha256", self.nacl_seed),
                   ("brisbane", b"ed25519-sha256", read("ed25519test.key").strip())]
        for selector, alg, key in signers:
            for canon in CANONS:
                for name, msg in messages():
                    for length in (False, True):
                        with self.subTest(selector=selector, canon=canon, message=name, length=length):
                            c = tuple(part.encode() for part in canon.split("/"))
                            sig = dkim.sign(msg, selector.encode(), DOMAIN.encode(), key, canonicalize=c,
                                            signature_algorithm=alg, length=length)
                            signed = sig + msg
                            code, lines = self.rd_verify(signed)
                            self.assertEqual(code, 0, "rd-dkimtool: %s\n%s" % (lines, sig.decode()))
                            self.assertEqual(lines[0][:3], ["pass", DOMAIN, selector])
                            # Old signatures some vector messages carry: their domains are not
                            # served (NSD refuses), so they can only be temperror.
                            self.assertTrue(all(line[0] == "temperror" for line in lines[1:]), lines)
                            self.counts["dkimpy->rd"] += 1
                            if length:
                                # l= covers only the signed body: text appended later is not covered.
                                extra = b"appended after signing\r\n"
                                if not signed.endswith(b"\r\n"):
                                    extra = b"\r\n" + extra  # else it would change the last signed line
                                code, lines = self.rd_verify(signed + extra)
                                # Both must agree; only an empty body under simple canonicalisation
                                # (canonical "CRLF", l=2) is not a prefix of the longer body.
                                theirs = self.dkimpy_verify_top(signed + extra)
                                self.assertEqual(code == 0, theirs, lines)
                                empty_simple = name == "empty body" \
                                    and canon.endswith("/simple")
                                self.assertEqual(theirs, not empty_simple)
                                self.counts["l= appended"] += 1

    def test_two_signatures(self):
        msg = dict(messages())["folded headers"]
        s1 = dkim.sign(msg, b"pkcs1", DOMAIN.encode(), read("2048_testkey.key"))
        s2 = dkim.sign(s1 + msg, b"nacl", DOMAIN.encode(), self.nacl_seed, signature_algorithm=b"ed25519-sha256")
        code, lines = self.rd_verify(s2 + s1 + msg)
        self.assertEqual(code, 0)
        self.assertEqual([line[:3] for line in lines], [["pass", DOMAIN, "nacl"], ["pass", DOMAIN, "pkcs1"]])
        # And ours on top of dkimpy's: dkimpy accepts both.
        both = self.rd_sign("gen-ed", s1 + msg, "relaxed/relaxed")
        self.assertEqual(self.dkimpy_verify_all(both), [True, True])

    # ------------------------------------------------------------------ negatives
    def test_modified_after_signing_fails_in_both(self):
        msg = dict(messages())["trailing whitespace"]
        changes = [(b"indented", b"Indented", "body hash mismatch"),
                   (b"Subject:\tTabs", b"Subject:\tTaps", "signature did not verify")]
        for selector in ("gen-rsa", "gen-ed"):
            for canon in ("relaxed/relaxed", "simple/simple"):
                for old, new, reason in changes:
                    with self.subTest(selector=selector, canon=canon, change=new):
                        ours = self.rd_sign(selector, msg, canon)
                        self.assertIn(old, ours)
                        tampered = ours.replace(old, new, 1)
                        self.assertFalse(self.dkimpy_verify_top(tampered))
                        code, lines = self.rd_verify(tampered)
                        self.assertEqual(code, 1)
                        self.assertEqual(lines[0][0], "fail")
                        self.assertEqual(lines[0][3], reason)
                        theirs = dkim.sign(msg, b"pkcs1", DOMAIN.encode(), read("2048_testkey.key"),
                                           canonicalize=tuple(p.encode() for p in canon.split("/")))
                        code, lines = self.rd_verify((theirs + msg).replace(old, new, 1))
                        self.assertEqual((code, lines[0][0], lines[0][3]), (1, "fail", reason))
                        self.counts["negative"] += 1

    def test_key_problems_are_permerrors(self):
        msg = dict(messages())["empty body"]
        # A signature from a selector with no record, and one whose key is revoked.
        for selector, reason in (("missing", "no key for signature"), ("revoked", "key revoked")):
            sig = dkim.sign(msg, selector.encode(), DOMAIN.encode(), read("2048_testkey.key"))
            code, lines = self.rd_verify(sig + msg)
            self.assertEqual(code, 1)
            self.assertEqual((lines[0][0], lines[0][2], lines[0][3]), ("permerror", selector, reason))
            self.assertFalse(self.dkimpy_verify_top(sig + msg))
        code, lines = self.rd_verify(msg)
        self.assertEqual((code, lines[0][0]), (1, "none"))


if __name__ == "__main__":
    unittest.main(verbosity=2)

"""An SMTP smart host for the OAuth integration tests: STARTTLS (ssl module, a self-signed
certificate made with python3-cryptography), AUTH XOAUTH2 and OAUTHBEARER (RFC 7628) checked
against the tokens a TokenStore issued, and a record of what it received.

Runs in a thread of the test process on 127.0.0.1. A refused token gets the mechanism's error
challenge (334 + base64 JSON), then 535 after the client's answer, as Gmail and Microsoft 365 do.
Mail is accepted only after a successful AUTH (530 otherwise).
"""

import base64
import datetime
import json
import os
import socketserver
import ssl
import tempfile
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def self_signed(common_name, directory):
    """(cert_path, key_path, cert_pem, key_pem) of a fresh RSA key and self-signed certificate."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    cert_path = os.path.join(directory, common_name + ".crt")
    key_path = os.path.join(directory, common_name + ".key")
    with open(cert_path, "wb") as f:
        f.write(cert_pem)
    with open(key_path, "wb") as f:
        f.write(key_pem)
    return cert_path, key_path, cert_pem, key_pem


def b64(data):
    return base64.b64encode(data).decode()


def parse_xoauth2(raw):
    """(user, token) from "user=..^Aauth=Bearer ..^A^A", or None."""
    parts = raw.split(b"\x01")
    if len(parts) < 3 or parts[-1] != b"" or parts[-2] != b"":
        return None
    fields = dict(p.split(b"=", 1) for p in parts[:-2] if b"=" in p)
    auth = fields.get(b"auth", b"")
    if not auth.startswith(b"Bearer "):
        return None
    return fields.get(b"user", b"").decode(), auth[7:].decode()


def parse_oauthbearer(raw):
    """(user, token, kvpairs) from RFC 7628 3.1 "n,a=user,^Ahost=..^Aport=..^Aauth=Bearer ..^A^A", or None."""
    if not raw.startswith(b"n,") or not raw.endswith(b"\x01\x01"):
        return None
    gs2, _, rest = raw.partition(b",\x01")
    user = b""
    for f in gs2.split(b",")[1:]:
        if f.startswith(b"a="):
            user = f[2:].replace(b"=2C", b",").replace(b"=3D", b"=")
    kv = dict(p.split(b"=", 1) for p in rest[:-2].split(b"\x01") if b"=" in p)
    auth = kv.get(b"auth", b"")
    if not auth.startswith(b"Bearer "):
        return None
    return user.decode(), auth[7:].decode(), {k.decode(): v.decode() for k, v in kv.items()}


class SmtpServer:
    def __init__(self, store, hostname="smarthost.test"):
        self.store = store
        self.hostname = hostname
        self.dir = tempfile.mkdtemp(prefix="oauth-smtp-")
        self.cert_path, self.key_path, self.cert_pem, _ = self_signed(hostname, self.dir)
        self.mechanisms = "XOAUTH2 OAUTHBEARER"
        self.lock = threading.Lock()
        self.auths = []      # {"mech", "user", "ok", "why", "kv"}
        self.messages = []   # {"mail_from", "rcpts", "data", "user"}
        self.server = None
        self.port = None

    def record(self, what, item):
        with self.lock:
            getattr(self, what).append(item)

    def start(self):
        srv = self
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert_path, self.key_path)

        class Handler(socketserver.StreamRequestHandler):
            timeout = 30

            def send(self, line):
                self.wfile.write((line + "\r\n").encode())
                self.wfile.flush()

            def readline_(self):
                line = self.rfile.readline(65536)
                if not line:
                    raise ConnectionError("closed")
                return line.rstrip(b"\r\n")

            def handle(self):
                self.tls = False
                self.user = None
                self.send("220 %s ESMTP oauth test server" % srv.hostname)
                try:
                    self.loop()
                except (ConnectionError, ssl.SSLError, OSError):
                    pass

            def finish(self):
                super().finish()
                if self.tls:
                    self.request.close()  # the TLS wrapper; the server closes only the plain socket

            def ehlo(self):
                lines = [srv.hostname, "PIPELINING", "8BITMIME", "SIZE 10485760"]
                if not self.tls:
                    lines.append("STARTTLS")
                else:
                    lines.append("AUTH " + srv.mechanisms)
                for i, l in enumerate(lines):
                    self.send(("250 " if i == len(lines) - 1 else "250-") + l)

            def auth(self, args):
                parts = args.split(" ", 1)
                mech = parts[0].upper()
                if not self.tls:
                    self.send("538 5.7.11 Encryption required")
                    return
                if mech not in srv.mechanisms.split():
                    self.send("504 5.5.4 Unrecognized authentication type")
                    return
                if len(parts) == 2:
                    ir = parts[1].strip()
                else:
                    self.send("334 ")
                    ir = self.readline_().decode()
                try:
                    raw = base64.b64decode(ir, validate=True)
                except ValueError:
                    self.send("501 5.5.2 Cannot decode response")
                    return
                parsed = parse_xoauth2(raw) if mech == "XOAUTH2" else parse_oauthbearer(raw)
                if not parsed:
                    srv.record("auths", {"mech": mech, "user": None, "ok": False, "why": "malformed", "kv": {}})
                    self.send("501 5.5.2 Malformed %s response" % mech)
                    return
                user, token = parsed[0], parsed[1]
                kv = parsed[2] if len(parsed) > 2 else {}
                ok, why = srv.store.validate(token, user)
                srv.record("auths", {"mech": mech, "user": user, "ok": ok, "why": why, "kv": kv})
                if ok:
                    self.user = user
                    self.send("235 2.7.0 Authentication successful")
                    return
                if mech == "XOAUTH2":
                    err = {"status": "401", "schemes": "bearer", "scope": "https://outlook.office365.com/.default"}
                else:
                    err = {"status": "invalid_token", "scope": "smtp"}
                self.send("334 " + b64(json.dumps(err).encode()))
                answer = self.readline_()
                expected = b"" if mech == "XOAUTH2" else b"AQ=="
                if answer != expected:
                    self.send("501 5.5.2 Expected the client's acknowledgement of the error")
                    return
                self.send("535 5.7.3 Authentication unsuccessful")

            def loop(self):
                mail_from, rcpts = None, []
                while True:
                    line = self.readline_().decode("utf-8", "replace")
                    cmd = line[:4].upper()
                    rest = line[5:] if len(line) > 5 else ""
                    if cmd in ("EHLO", "HELO"):
                        self.ehlo()
                    elif cmd == "STAR":
                        self.send("220 2.0.0 Ready to start TLS")
                        self.request = ctx.wrap_socket(self.request, server_side=True)
                        self.rfile = self.request.makefile("rb")
                        self.wfile = self.request.makefile("wb")
                        self.tls = True
                        self.user = None
                    elif cmd == "AUTH":
                        self.auth(rest)
                    elif cmd == "MAIL":
                        if not self.user:
                            self.send("530 5.7.57 Client not authenticated to send mail")
                            continue
                        mail_from, rcpts = rest.split(":", 1)[1].strip().split(" ")[0].strip("<>"), []
                        self.send("250 2.1.0 Sender OK")
                    elif cmd == "RCPT":
                        rcpts.append(rest.split(":", 1)[1].strip().strip("<>"))
                        self.send("250 2.1.5 Recipient OK")
                    elif cmd == "DATA":
                        if not rcpts:
                            self.send("503 5.5.1 No recipients")
                            continue
                        self.send("354 Start mail input")
                        data = []
                        while True:
                            l = self.rfile.readline(1 << 20)
                            if not l:
                                raise ConnectionError("closed in DATA")
                            if l in (b".\r\n", b".\n"):
                                break
                            data.append(l[1:] if l.startswith(b"..") else l)
                        srv.record("messages", {"mail_from": mail_from, "rcpts": rcpts, "data": b"".join(data),
                                                "user": self.user})
                        self.send("250 2.0.0 OK queued")
                        mail_from, rcpts = None, []
                    elif cmd == "RSET":
                        mail_from, rcpts = None, []
                        self.send("250 2.0.0 OK")
                    elif cmd == "NOOP":
                        self.send("250 2.0.0 OK")
                    elif cmd == "QUIT":
                        self.send("221 2.0.0 Bye")
                        return
                    else:
                        self.send("500 5.5.2 Unrecognized command")

        class Threaded(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Threaded(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

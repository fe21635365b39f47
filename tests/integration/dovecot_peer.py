"""A private Dovecot submission server for tests (issue #9): root-started, everything under a temp
dir (base_dir, state, logs), listening only on 127.0.0.1, with an oauth2 passdb that validates
XOAUTH2/OAUTHBEARER tokens by RFC 7662 introspection against the test's oauthlib token store
(Introspection below), relaying accepted mail to a sink. Needs Debian dovecot-core and
dovecot-submissiond.
"""

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


class Introspection:
    """RFC 7662 token introspection over the TokenStore of oauth_token_server (the tokens it issued)."""

    def __init__(self, store):
        self.store = store
        self.calls = 0
        self.httpd = None

    def start(self):
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0)).decode()
                token = urllib.parse.parse_qs(body).get("token", [""])[0]
                peer.calls += 1
                with peer.store.lock:
                    t = peer.store.access.get(token)
                    active = bool(t) and time.time() < t["expires"]
                    info = {"active": active}
                    if active:
                        info.update({"username": t["user"], "client_id": t["client_id"],
                                     "scope": " ".join(t["scopes"]), "exp": int(t["expires"])})
                data = json.dumps(info).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def url(self):
        return "http://127.0.0.1:%d/introspect" % self.port

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()


def available():
    return os.path.exists(DOVECOT) and os.path.exists("/usr/lib/dovecot/submission") and os.geteuid() == 0


class Dovecot:
    def __init__(self, port, relay_port, introspection_url, cert_pem, key_pem):
        self.port = port
        self.dir = tempfile.mkdtemp(prefix="rd-dovecot-")
        os.chmod(self.dir, 0o755)
        self.log = os.path.join(self.dir, "dovecot.log")
        self.proc = None
        conf = os.path.join(self.dir, "dovecot.conf")
        with open(os.path.join(self.dir, "oauth2.conf.ext"), "w") as f:
            f.write("introspection_mode = post\nintrospection_url = %s\n"
                    "username_attribute = username\nactive_attribute = active\nactive_value = true\n"
                    "tls_ca_cert_file = /etc/ssl/certs/ca-certificates.crt\n" % introspection_url)
        with open(conf, "w") as f:
            f.write(CONF_TEMPLATE.format(dir=self.dir, port=port, relay_port=relay_port,
                                         cert=cert_pem, key=key_pem))
        self.conf = conf

    def start(self, timeout=15):
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", self.conf], stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.dir, "stderr"), "w"))
        import socket
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("dovecot exited: %s\n%s" % (self.proc.returncode, self.log_text()))
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("dovecot did not listen on %d:\n%s" % (self.port, self.log_text()))

    def log_text(self):
        out = ""
        for name in ("dovecot.log", "stderr"):
            p = os.path.join(self.dir, name)
            if os.path.exists(p):
                out += open(p, errors="replace").read()
        return out

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if os.environ.get("RD_KEEP_DOVECOT_DIR") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)


CONF_TEMPLATE = """
base_dir = {dir}/run
state_dir = {dir}/state
instance_name = rd-dovecot-{port}
log_path = {dir}/dovecot.log
info_log_path = {dir}/dovecot.log
protocols = submission
listen = 127.0.0.1
hostname = dovecot.test
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
auth_mechanisms = xoauth2 oauthbearer
auth_verbose = yes
auth_debug = yes
verbose_ssl = yes
submission_relay_host = 127.0.0.1
submission_relay_port = {relay_port}
submission_relay_trusted = yes
submission_relay_ssl = no
submission_max_mail_size = 10M
first_valid_uid = 1
mail_location = maildir:{dir}/mail/%u
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {dir}/oauth2.conf.ext
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={dir}/home/%u
}}
service submission-login {{
  inet_listener submission {{
    address = 127.0.0.1
    port = {port}
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
}}
"""

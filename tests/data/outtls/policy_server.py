#!/usr/bin/python3
"""HTTPS MTA-STS policy server for RelayDesk tests (loopback only).

Usage: policy_server.py CERT KEY DOCROOT
Listens on 127.0.0.1 (a free port, printed as "PORT <n>" on stdout) and
answers GET /.well-known/mta-sts.txt by the Host header's domain
(mta-sts.<domain>[:port]) from DOCROOT:
  <domain>.txt       the body (404 when missing)
  <domain>.status    optional HTTP status (e.g. 301)
  <domain>.location  optional Location header
  <domain>.type      optional Content-Type (default text/plain)
Every request is logged to stderr as "GET <host> <path>".
"""
import http.server
import os
import ssl
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    docroot = "."

    def do_GET(self):
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        sys.stderr.write("GET %s %s\n" % (host, self.path))
        sys.stderr.flush()
        domain = host[len("mta-sts."):] if host.startswith("mta-sts.") else host
        base = os.path.join(self.docroot, domain)
        if self.path != "/.well-known/mta-sts.txt" or not os.path.exists(base + ".txt"):
            self.send_error(404)
            return
        with open(base + ".txt", "rb") as f:
            body = f.read()
        status = 200
        if os.path.exists(base + ".status"):
            status = int(open(base + ".status").read().strip())
        ctype = "text/plain"
        if os.path.exists(base + ".type"):
            ctype = open(base + ".type").read().strip()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if os.path.exists(base + ".location"):
            self.send_header("Location", open(base + ".location").read().strip())
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


def main():
    cert, key, docroot = sys.argv[1:4]
    Handler.docroot = docroot
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

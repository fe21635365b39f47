#!/usr/bin/python3
"""A minimal SMTP sink with STARTTLS for RelayDesk's outbound TLS tests.

TlsSmtpSink(host, port, cert, key, offer_starttls=True) serves on host:port
(loopback) in a thread: greeting, EHLO (STARTTLS advertised), STARTTLS,
MAIL, RCPT, DATA, RSET, NOOP, QUIT. It records `mail_commands` and the
received `messages` ([(sender, [rcpts], bytes, tls_used)]). Python stdlib only.
"""
import socket
import ssl
import threading


class TlsSmtpSink:
    def __init__(self, host, port, cert, key, offer_starttls=True):
        self.host, self.port = host, port
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.offer_starttls = offer_starttls
        self.mail_commands = 0
        self.messages = []
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(16)
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopping = True
        try:
            self.sock.close()
        except OSError:
            pass

    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn):
        tls = False
        f = conn.makefile("rb")
        sender, rcpts = None, []

        def send(line):
            conn.sendall(line.encode() + b"\r\n")

        try:
            send("220 sink ESMTP")
            while True:
                line = f.readline()
                if not line:
                    return
                cmd = line.strip().decode("latin-1")
                verb = cmd[:4].upper()
                if verb == "EHLO":
                    if self.offer_starttls and not tls:
                        send("250-sink")
                        send("250-8BITMIME")
                        send("250 STARTTLS")
                    else:
                        send("250-sink")
                        send("250 8BITMIME")
                elif verb == "HELO":
                    send("250 sink")
                elif verb == "STAR" and self.offer_starttls and not tls:
                    send("220 go ahead")
                    try:
                        conn = self.ctx.wrap_socket(conn, server_side=True)
                    except (ssl.SSLError, OSError):
                        return  # the client refused our certificate
                    f = conn.makefile("rb")
                    tls = True
                elif verb == "MAIL":
                    with self.lock:
                        self.mail_commands += 1
                    sender, rcpts = cmd[10:].strip("<> "), []
                    send("250 ok")
                elif verb == "RCPT":
                    rcpts.append(cmd[8:].strip("<> "))
                    send("250 ok")
                elif verb == "DATA":
                    send("354 go")
                    data = b""
                    while True:
                        l2 = f.readline()
                        if not l2 or l2 == b".\r\n":
                            break
                        data += l2
                    with self.lock:
                        self.messages.append((sender, rcpts, data, tls))
                    send("250 queued")
                elif verb in ("RSET", "NOOP"):
                    send("250 ok")
                elif verb == "QUIT":
                    send("221 bye")
                    return
                else:
                    send("502 unknown")
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

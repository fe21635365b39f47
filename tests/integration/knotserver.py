"""A real primary DNS server that takes RFC 2136 updates (Knot DNS) on loopback.

Python 3 standard library only; needs /usr/sbin/knotd (Debian: apt-get install knot;
knot-dnsutils brings kdig and knsupdate for debugging). Runs knotd in the foreground
as the current user with its configuration, zone files, journal and control socket
in a fresh temp folder: no system service, port chosen free on 127.0.0.1 unless given.
Each zone allows DNS UPDATE signed with one TSIG key (the ACL "update" action);
queries need no key.

    zones = {"example.test": ["www A 127.0.0.1"]}
    with KnotServer(zones, key_name="acme-key", secret=base64_secret) as knot:
        print(knot.address, knot.port)          # UDP and TCP
        knot.txt("_acme-challenge.www.example.test")   # -> [b"..."] (one UDP query)

Records are zone-file lines relative to the zone; a SOA and an NS are added.

Command line (used by the C++ unit tests through QProcess):

    python3 knotserver.py --zone example.test [--zone other.test] --key-name NAME
                          --secret BASE64 [--algorithm hmac-sha256] [--port N]
                          [--stop-on-eof]

prints one line "ready <address> <port>" when knotd answers a SOA query for every
zone, then serves until SIGTERM/SIGINT (or, with --stop-on-eof, until its standard
input closes, so it dies with its parent).
"""

import argparse
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dnsserver import LOOPBACK, free_udp_tcp_port, query, _encode_name  # noqa: E402

KNOTD = os.environ.get("RELAYDESK_KNOTD", "/usr/sbin/knotd")


def _read_name(data, pos):
    """Skips a (possibly compressed) name; returns the position after it."""
    while True:
        n = data[pos]
        if n == 0:
            return pos + 1
        if n & 0xC0 == 0xC0:
            return pos + 2
        pos += 1 + n


def txt_query(address, port, name, timeout=2.0):
    """The TXT strings (each record's strings joined) of `name`, asked over UDP; None on timeout."""
    qid = random.randrange(0, 65536)
    packet = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0) + _encode_name(name) + struct.pack(">HH", 16, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(packet, (address, port))
        try:
            data, _ = s.recvfrom(65535)
        except (socket.timeout, ConnectionRefusedError):
            return None
    rid, _flags, qd, an, _ns, _ar = struct.unpack(">HHHHHH", data[:12])
    if rid != qid:
        return None
    pos = 12
    for _ in range(qd):
        pos = _read_name(data, pos) + 4
    out = []
    for _ in range(an):
        pos = _read_name(data, pos)
        rtype, _cls, _ttl, rdlen = struct.unpack(">HHIH", data[pos:pos + 10])
        pos += 10
        rdata = data[pos:pos + rdlen]
        pos += rdlen
        if rtype != 16:
            continue
        text, i = b"", 0
        while i < len(rdata):
            n = rdata[i]
            text += rdata[i + 1:i + 1 + n]
            i += 1 + n
        out.append(text)
    return out


class KnotServer:
    """knotd serving `zones` ({zone: [zone-file lines]}), updatable with one TSIG key."""

    def __init__(self, zones, key_name, secret, algorithm="hmac-sha256", address=LOOPBACK, port=None, ttl=300):
        if not zones:
            raise ValueError("KnotServer needs at least one zone")
        self.zones = {name.rstrip(".").lower(): list(lines) for name, lines in zones.items()}
        self.key_name = key_name.rstrip(".")
        self.secret = secret
        self.algorithm = algorithm
        self.address = address
        self.port = port
        self.ttl = int(ttl)
        self.dir = None
        self.proc = None
        self._fixed_port = port is not None and port != 0

    def _write_files(self):
        d = self.dir
        os.makedirs(os.path.join(d, "db"), exist_ok=True)
        conf = [
            "server:",
            '    rundir: "%s"' % d,
            "    listen: %s@%d" % (self.address, self.port),
            "    udp-workers: 1",
            "    tcp-workers: 1",
            "    background-workers: 1",
            "log:",
            "  - target: stderr",
            "    any: info",
            "database:",
            '    storage: "%s/db"' % d,
            "key:",
            "  - id: %s" % self.key_name,
            "    algorithm: %s" % self.algorithm,
            "    secret: %s" % self.secret,
            "acl:",
            "  - id: update_by_key",
            "    key: %s" % self.key_name,
            "    action: update",
    "    update-type: [TXT]",   # as docs/CONFIG.md advises
            "template:",
            "  - id: default",
            '    storage: "%s"' % d,
            '    file: "%s.zone"',
            "    zonefile-sync: -1",   # updates stay in the journal; the files are not rewritten
            "    semantic-checks: off",
            "zone:",
        ]
        for zone, lines in self.zones.items():
            with open(os.path.join(d, "%s.zone" % zone), "w", encoding="utf-8") as f:
                f.write("$ORIGIN %s.\n$TTL %d\n" % (zone, self.ttl))
                f.write("@ SOA ns.invalid. hostmaster.invalid. 1 3600 600 86400 60\n")
                f.write("@ NS ns.invalid.\n")
                f.write("\n".join(lines) + "\n")
            conf += ["  - domain: %s" % zone, "    acl: update_by_key"]
        with open(os.path.join(d, "knot.conf"), "w", encoding="utf-8") as f:
            f.write("\n".join(conf) + "\n")

    def log_text(self):
        try:
            with open(os.path.join(self.dir, "knotd.log"), encoding="utf-8", errors="replace") as f:
                return f.read()
        except (OSError, TypeError):
            return ""

    def _answers(self):
        for zone in self.zones:
            r = query(self.address, self.port, zone, "SOA", timeout=0.3)
            if r is None or r[0] != 0 or not r[1]:
                return False
        return True

    def _try_start(self, timeout):
        self._write_files()
        log = open(os.path.join(self.dir, "knotd.log"), "w")
        try:
            self.proc = subprocess.Popen([KNOTD, "-c", os.path.join(self.dir, "knot.conf")],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         start_new_session=True)
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if self._answers():
                return True
            time.sleep(0.05)
        return False

    def start(self, timeout=15.0):
        if not os.path.exists(KNOTD):
            raise RuntimeError("%s not found (apt-get install knot)" % KNOTD)
        self.dir = tempfile.mkdtemp(prefix="rd-knot-")
        attempts = 1 if self._fixed_port else 3
        for attempt in range(attempts):
            if not self._fixed_port:
                self.port = free_udp_tcp_port(self.address)
            started = self._try_start(timeout)
            if started:
                return self
            exited = self.proc is not None and self.proc.poll() is not None
            log = self.log_text()
            self._kill()
            if attempt + 1 == attempts or not exited:
                self.stop()
                raise RuntimeError("knotd did not start on %s:%d:\n%s" % (self.address, self.port, log))
        return self

    def _kill(self):
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)  # our own session only
                except OSError:
                    pass
                proc.wait(timeout=5)

    def stop(self):
        """Stops knotd and removes the temp folder. Safe to call twice."""
        self._kill()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def server_spec(self):
        return "%s:%d" % (self.address, self.port)

    def txt(self, name):
        """TXT strings of `name` at this server (None on timeout)."""
        return txt_query(self.address, self.port, name)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


def _main(argv):
    ap = argparse.ArgumentParser(description="Serve updatable test zones with knotd on loopback.")
    ap.add_argument("--zone", action="append", required=True, help="a zone name (repeat for more)")
    ap.add_argument("--record", action="append", default=[],
                    help="ZONE=zone-file line, e.g. 'example.test=www A 127.0.0.1'")
    ap.add_argument("--key-name", required=True)
    ap.add_argument("--secret", required=True, help="base64 TSIG secret")
    ap.add_argument("--algorithm", default="hmac-sha256")
    ap.add_argument("--address", default=LOOPBACK)
    ap.add_argument("--port", type=int, default=0, help="0: pick a free port")
    ap.add_argument("--stop-on-eof", action="store_true", help="stop when stdin closes")
    args = ap.parse_args(argv)

    zones = {z: [] for z in args.zone}
    for r in args.record:
        zone, _, line = r.partition("=")
        zones.setdefault(zone, []).append(line)
    server = KnotServer(zones, args.key_name, args.secret, args.algorithm, address=args.address,
                        port=args.port or None)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        server.start()
    except RuntimeError as e:
        sys.stderr.write("knotserver: %s\n" % e)
        return 1
    try:
        sys.stdout.write("ready %s %d\n" % (server.address, server.port))
        sys.stdout.flush()
        if args.stop_on_eof:
            def watch_stdin():
                try:
                    while os.read(sys.stdin.fileno(), 4096):
                        pass
                except OSError:
                    pass
                finally:
                    stop.set()
            threading.Thread(target=watch_stdin, daemon=True).start()
        while not stop.wait(0.2):
            if not server.running():
                sys.stderr.write("knotserver: knotd exited:\n%s" % server.log_text())
                return 1
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))

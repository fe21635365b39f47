"""A real authoritative DNS server (NSD) on loopback, serving test zones.

Python 3 standard library only; needs /usr/sbin/nsd (Debian: apt-get install nsd).
Runs NSD in the foreground as the current user with its config, zone files, state
and log in a fresh temp folder: no system service, no privileges dropped, port
chosen free on 127.0.0.x unless given.

    zones = {
        "example.test": ["@ MX 10 mx1", "mx1 A 127.0.0.2",
                         't TXT "v=spf1 ip4:127.0.0.0/8" " -all"'],
        "0.0.127.in-addr.arpa": ["2 PTR mx1.example.test."],
    }
    with DnsServer(zones) as dns:
        print(dns.address, dns.port)   # point the relay at f"{dns.address}:{dns.port}"

Records are zone-file lines relative to the zone ($ORIGIN is set). A zone without
its own SOA gets `@ SOA ns.invalid. hostmaster.invalid. 1 3600 600 86400 <negative_ttl>`
and, without its own NS, `@ NS ns.invalid.`; $TTL is `ttl`.

Command line (used by the C++ unit test tst_resolver through QProcess):

    python3 dnsserver.py --zone-file spec.json [--address 127.0.0.1] [--port N]
                         [--stop-on-eof]

spec.json is {"zone": [lines...], ...} or {"zones": {...}, "ttl": N,
"negative_ttl": N}. It prints one line "ready <address> <port>" when NSD answers
a SOA query for every zone, then serves until SIGTERM/SIGINT (or, with
--stop-on-eof, until its standard input closes, so it dies with its parent).
"""

import argparse
import json
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

NSD = os.environ.get("RELAYDESK_NSD", "/usr/sbin/nsd")
NSD_CHECKZONE = os.path.join(os.path.dirname(NSD), "nsd-checkzone")
LOOPBACK = "127.0.0.1"

QTYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28,
          "DS": 43, "DNSKEY": 48, "TLSA": 52}
LDNS_KEYGEN = "/usr/bin/ldns-keygen"
LDNS_SIGNZONE = "/usr/bin/ldns-signzone"
UNBOUND = os.environ.get("RELAYDESK_UNBOUND", "/usr/sbin/unbound")


def free_udp_tcp_port(host=LOOPBACK):
    """A port free for both UDP and TCP on `host` a moment ago."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind((host, 0))
            port = u.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                try:
                    t.bind((host, port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free UDP+TCP port on %s" % host)


def _encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            raw = label.encode("ascii")
            out += bytes([len(raw)]) + raw
    return out + b"\x00"


def query(address, port, name, qtype="A", timeout=1.0, recursive=False, want_ad=False):
    """One UDP query. Returns (rcode, authoritative, ancount) or None on timeout;
    with want_ad, (rcode, authoritative, ancount, ad)."""
    qid = random.randrange(0, 65536)
    flags = (0x0100 if recursive else 0) | (0x0020 if want_ad else 0)  # RD, AD
    packet = struct.pack(">HHHHHH", qid, flags, 1, 0, 0, 0)  # RD off: authoritative
    packet += _encode_name(name) + struct.pack(">HH", QTYPES[qtype.upper()], 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(packet, (address, port))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                data, _ = s.recvfrom(4096)
            except (socket.timeout, ConnectionRefusedError):
                return None
            if len(data) < 12:
                continue
            rid, flags, _qd, ancount, _ns, _ar = struct.unpack(">HHHHHH", data[:12])
            if rid != qid or not flags & 0x8000:
                continue
            if want_ad:
                return flags & 0x000F, bool(flags & 0x0400), ancount, bool(flags & 0x0020)
            return flags & 0x000F, bool(flags & 0x0400), ancount
    return None


class DnsServer:
    """NSD serving `zones` ({zone name: [zone-file lines]}) on address:port."""

    def __init__(self, zones, address=LOOPBACK, port=None, ttl=300, negative_ttl=60, signed=(), bogus=()):
        """signed: zone names to sign with DNSSEC (ldns-keygen/ldns-signzone,
        ECDSA P-256, NSEC); their KSKs go to trust_anchor_file. bogus: owner
        names (absolute, no trailing dot) in signed zones whose records are
        altered after signing, so a validating resolver finds them bogus."""
        if not zones:
            raise ValueError("DnsServer needs at least one zone")
        self.zones = {name.rstrip(".").lower(): list(lines) for name, lines in zones.items()}
        self.signed = [z.rstrip(".").lower() for z in signed]
        self.bogus = [b.rstrip(".").lower() for b in bogus]
        self.trust_anchor_file = None
        self.address = address
        self.port = port
        self.ttl = int(ttl)
        self.negative_ttl = int(negative_ttl)
        self.dir = None
        self.proc = None
        self._fixed_port = port is not None and port != 0

    # ---- files
    def _zone_text(self, zone, lines):
        def has_type(rtype):  # the type is among owner, [ttl], [class], type
            return any(rtype in line.upper().split()[:4] for line in lines)
        has_soa, has_ns = has_type("SOA"), has_type("NS")
        out = ["$ORIGIN %s." % zone, "$TTL %d" % self.ttl]
        if not has_soa:
            out.append("@ %d IN SOA ns.invalid. hostmaster.invalid. 1 3600 600 86400 %d"
                       % (self.ttl, self.negative_ttl))
        if not has_ns:
            out.append("@ IN NS ns.invalid.")
        out.extend(lines)
        return "\n".join(out) + "\n"

    def _write_files(self):
        d = self.dir
        conf = [
            "server:",
            "    ip-address: %s@%d" % (self.address, self.port),
            "    port: %d" % self.port,
            '    username: ""',
            '    chroot: ""',
            '    zonesdir: "%s"' % d,
            '    database: ""',
            '    zonelistfile: "%s/zone.list"' % d,
            '    xfrdfile: "%s/xfrd.state"' % d,
            '    xfrdir: "%s"' % d,
            '    pidfile: "%s/nsd.pid"' % d,
            '    logfile: "%s/nsd.log"' % d,
            "    server-count: 1",
            "    do-ip6: %s" % ("yes" if ":" in self.address else "no"),
            "    do-ip4: %s" % ("no" if ":" in self.address else "yes"),
            "    hide-version: yes",
            "    verbosity: 1",
            "    reuseport: no",
            "remote-control:",
            "    control-enable: no",
        ]
        anchors = []
        for zone, lines in self.zones.items():
            fname = "%s.zone" % zone
            with open(os.path.join(d, fname), "w", encoding="utf-8") as f:
                f.write(self._zone_text(zone, lines))
            if zone in self.signed:
                fname, anchor = self._sign(zone, fname)
                anchors.append(anchor)
            conf += ["zone:", "    name: %s" % zone, "    zonefile: %s" % fname]
        if anchors:
            self.trust_anchor_file = os.path.join(d, "trust-anchors.txt")
            with open(self.trust_anchor_file, "w", encoding="utf-8") as f:
                f.write("\n".join(anchors) + "\n")
        with open(os.path.join(d, "nsd.conf"), "w", encoding="utf-8") as f:
            f.write("\n".join(conf) + "\n")

    def _sign(self, zone, fname):
        """Signs dir/fname; returns (signed file name, the KSK's DNSKEY line)."""
        d = self.dir
        if not os.path.exists(LDNS_SIGNZONE):
            raise RuntimeError("%s not found (apt-get install ldnsutils)" % LDNS_SIGNZONE)

        def keygen(ksk):
            args = [LDNS_KEYGEN, "-a", "ECDSAP256SHA256"] + (["-k"] if ksk else []) + [zone]
            r = subprocess.run(args, cwd=d, capture_output=True, text=True, check=True)
            return r.stdout.strip()

        ksk, zsk = keygen(True), keygen(False)
        subprocess.run([LDNS_SIGNZONE, "-o", zone, "-f", fname + ".signed", fname, ksk, zsk],
                       cwd=d, capture_output=True, text=True, check=True)
        if self.bogus:
            out = []
            with open(os.path.join(d, fname + ".signed"), encoding="utf-8") as f:
                for line in f:
                    parts = line.split()
                    if (len(parts) > 4 and parts[0].rstrip(".").lower() in self.bogus
                            and parts[3] not in ("RRSIG", "NSEC", "NSEC3")):
                        last = parts[-1]
                        flipped = "0" if last[-1] != "0" else "1"
                        line = line.rstrip("\n")[:-1] + flipped + "\n"  # one hex digit changed
                    out.append(line)
            with open(os.path.join(d, fname + ".signed"), "w", encoding="utf-8") as f:
                f.writelines(out)
        with open(os.path.join(d, ksk + ".key"), encoding="utf-8") as f:
            anchor = f.read().strip()
        return fname + ".signed", anchor

    def log_text(self):
        """NSD's log and stderr so far (for failure messages)."""
        text = ""
        for name in ("nsd.log", "nsd.stderr"):
            path = os.path.join(self.dir or "", name)
            if self.dir and os.path.exists(path):
                with open(path, encoding="utf-8", errors="replace") as f:
                    text += f.read()
        return text

    # ---- life cycle
    def _answers(self):
        for zone in self.zones:
            r = query(self.address, self.port, zone, "SOA", timeout=0.3)
            if r is None or r[0] != 0 or not r[1]:
                return False
        return True

    def _check_zones(self):
        """Raises RuntimeError with nsd-checkzone's words for a zone NSD would not load."""
        if not os.path.exists(NSD_CHECKZONE):
            return
        for zone in self.zones:
            r = subprocess.run([NSD_CHECKZONE, zone, os.path.join(self.dir, "%s.zone" % zone)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               timeout=30)
            if r.returncode != 0:
                raise RuntimeError("zone %s does not load:\n%s" % (zone, r.stdout))

    def _try_start(self, timeout):
        """True when NSD answers; False if it exited (port taken?) or never answered."""
        self._write_files()
        self._check_zones()
        stderr = open(os.path.join(self.dir, "nsd.stderr"), "w")
        try:
            self.proc = subprocess.Popen(
                [NSD, "-d", "-c", os.path.join(self.dir, "nsd.conf")],
                stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr,
                start_new_session=True)
        finally:
            stderr.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if self._answers():
                return True
            time.sleep(0.05)
        return False

    def start(self, timeout=15.0):
        """Writes the files, starts NSD and waits until it answers for every zone."""
        if not os.path.exists(NSD):
            raise RuntimeError("%s not found (apt-get install nsd)" % NSD)
        self.dir = tempfile.mkdtemp(prefix="rd-dns-")
        attempts = 1 if self._fixed_port else 3
        for attempt in range(attempts):
            if not self._fixed_port:
                self.port = free_udp_tcp_port(self.address)
            try:
                started = self._try_start(timeout)
            except Exception:
                self.stop()
                raise
            if started:
                return self
            exited = self.proc is not None and self.proc.poll() is not None
            log = self.log_text()
            self._kill()
            # Only an exit (the free port was taken meanwhile) is worth another port.
            if attempt + 1 == attempts or not exited:
                self.stop()
                raise RuntimeError("nsd did not start on %s:%d:\n%s" % (self.address, self.port, log))
        return self

    def _kill(self):
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()  # NSD's main process stops its children
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)  # our own session: NSD and its children
                except OSError:
                    pass
                proc.wait(timeout=5)
        # A child still alive after its parent went (should not happen): its session.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass

    def stop(self):
        """Stops NSD and removes the temp folder. Safe to call twice."""
        self._kill()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def server_spec(self):
        """The relay's resolver server entry: "ip:port" (or "[v6]:port")."""
        if ":" in self.address:
            return "[%s]:%d" % (self.address, self.port)
        return "%s:%d" % (self.address, self.port)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


class Validator:
    """unbound on loopback as a validating resolver for the zones of `dns`
    (a started DnsServer): stub zones to NSD, the signed zones' KSKs as trust
    anchors, nothing else (no root, no internet). Its answers carry the AD bit
    for records of signed zones that validate, SERVFAIL for bogus ones."""

    def __init__(self, dns, address=LOOPBACK, port=None):
        self.dns = dns
        self.address = address
        self.port = port
        self.proc = None
        self.dir = None

    def _write(self):
        d = self.dir
        conf = [
            "server:",
            "    interface: %s" % self.address,
            "    port: %d" % self.port,
            "    do-daemonize: no",
            '    username: ""',
            '    chroot: ""',
            '    directory: "%s"' % d,
            '    pidfile: ""',
            "    use-syslog: no",
            '    logfile: "%s/unbound.log"' % d,
            "    verbosity: 1",
            "    val-log-level: 2",
            "    do-ip6: no",
            "    access-control: 127.0.0.0/8 allow",
            "    do-not-query-localhost: no",
            "    qname-minimisation: no",
            "    module-config: \"validator iterator\"",
            "    cache-max-ttl: 5",
            "    cache-max-negative-ttl: 5",
            # unbound answers .test/.invalid itself (RFC 6761 defaults): let them through.
            '    local-zone: "test." nodefault',
            '    local-zone: "invalid." nodefault',
        ]
        if self.dns.trust_anchor_file:
            conf.append('    trust-anchor-file: "%s"' % self.dns.trust_anchor_file)
        for zone in self.dns.zones:
            if zone not in self.dns.signed:
                conf.append('    domain-insecure: "%s"' % zone)
        conf += ["remote-control:", "    control-enable: no"]
        for zone in self.dns.zones:
            conf += ["stub-zone:", '    name: "%s"' % zone,
                     "    stub-addr: %s@%d" % (self.dns.address, self.dns.port)]
        with open(os.path.join(d, "unbound.conf"), "w", encoding="utf-8") as f:
            f.write("\n".join(conf) + "\n")

    def log_text(self):
        try:
            with open(os.path.join(self.dir, "unbound.log"), encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def start(self, timeout=15.0):
        if not os.path.exists(UNBOUND):
            raise RuntimeError("%s not found (apt-get install unbound)" % UNBOUND)
        self.dir = tempfile.mkdtemp(prefix="rd-unbound-")
        if not self.port:
            self.port = free_udp_tcp_port(self.address)
        self._write()
        self.proc = subprocess.Popen([UNBOUND, "-d", "-c", os.path.join(self.dir, "unbound.conf")],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        zone = next(iter(self.dns.zones))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            r = query(self.address, self.port, zone, "SOA", timeout=0.3, recursive=True)
            if r is not None:  # any answer: unbound is serving (validation is the caller's business)
                return self
            time.sleep(0.05)
        log = self.log_text()
        self.stop()
        raise RuntimeError("unbound did not start on %s:%d:\n%s" % (self.address, self.port or 0, log))

    def stop(self):
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


def _main(argv):
    ap = argparse.ArgumentParser(description="Serve test zones with NSD on loopback.")
    ap.add_argument("--zone-file", required=True, help="JSON: {zone: [lines]} or {\"zones\": {...}}")
    ap.add_argument("--address", default=LOOPBACK)
    ap.add_argument("--port", type=int, default=0, help="0: pick a free port")
    ap.add_argument("--stop-on-eof", action="store_true", help="stop when stdin closes")
    ap.add_argument("--validator", action="store_true",
                    help="also run unbound as a validating resolver; \"ready\" then names unbound")
    args = ap.parse_args(argv)

    with open(args.zone_file, encoding="utf-8") as f:
        spec = json.load(f)
    options = {}
    if isinstance(spec.get("zones"), dict):
        options = {k: spec[k] for k in ("ttl", "negative_ttl", "signed", "bogus") if k in spec}
        spec = spec["zones"]
    server = DnsServer(spec, address=args.address, port=args.port or None, **options)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        server.start()
    except RuntimeError as e:
        sys.stderr.write("dnsserver: %s\n" % e)
        return 1
    validator = None
    if args.validator:
        try:
            validator = Validator(server).start()
        except RuntimeError as e:
            server.stop()
            sys.stderr.write("dnsserver: %s\n" % e)
            return 1
    try:
        if validator:
            sys.stdout.write("ready %s %d\n" % (validator.address, validator.port))
        else:
            sys.stdout.write("ready %s %d\n" % (server.address, server.port))
        sys.stdout.flush()
        if args.stop_on_eof:
            def watch_stdin():
                try:  # raw reads: a buffered reader's lock would hang interpreter shutdown
                    while os.read(sys.stdin.fileno(), 4096):
                        pass
                except OSError:
                    pass
                finally:
                    stop.set()
            threading.Thread(target=watch_stdin, daemon=True).start()
        while not stop.wait(0.2):
            if not server.running():
                sys.stderr.write("dnsserver: nsd exited:\n%s" % server.log_text())
                return 1
            if validator and not validator.running():
                sys.stderr.write("dnsserver: unbound exited:\n%s" % validator.log_text())
                return 1
    finally:
        if validator:
            validator.stop()
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))

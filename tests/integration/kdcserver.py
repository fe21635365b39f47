"""A real Kerberos KDC (MIT krb5kdc) on loopback, for the GSSAPI tests.

Python 3 standard library only; needs MIT Kerberos (Debian: apt-get install krb5-kdc
krb5-admin-server krb5-user; scripts/deps.sh). Runs /usr/sbin/krb5kdc in the
foreground (-n) as the current user with its own krb5.conf, kdc.conf, database,
stash, keytabs, ticket caches and log in a fresh temp folder: no system service,
nothing read from /etc/krb5.conf or DNS, port chosen free on 127.0.0.1 unless given.

The realm (EXAMPLE.TEST) has:
- user principals with passwords (alice, dave and bob unless told otherwise);
- the service smtp/mail.example.test, whose current key is in `keytab`;
- `stale_keytab`: an older key version (kvno) of that same service, as a server
  has after the key was changed in the KDC but not in its keytab;
- `other_keytab`: the key of another service (smtp/other.example.test) only;
- `combined_keytab`: the current keys of both services.

    with KdcServer() as kdc:
        env = kdc.env()                        # KRB5_CONFIG, KRB5RCACHEDIR (+ KRB5_KDC_PROFILE)
        ccache = kdc.kinit("alice")            # "FILE:/tmp/rd-kdc-.../cc_alice", holds a TGT
        kdc.keytab, kdc.service_principal      # for the acceptor (the relay)

Clients and acceptors must use krb5_conf (KRB5_CONFIG=...): it points the realm at
this KDC and turns DNS off (dns_lookup_kdc/realm, rdns, dns_canonicalize_hostname),
so "smtp@mail.example.test" means smtp/mail.example.test@EXAMPLE.TEST while the
TCP connection itself goes to 127.0.0.1.

Command line (used by the C++ unit tests through QProcess):

    python3 kdcserver.py [--user NAME=PASSWORD ...] [--kinit NAME ...]
                         [--service-host mail.example.test] [--port N] [--stop-on-eof]

prints one line "ready <json>" once the KDC answers (the JSON has realm, address,
port, krb5_conf, kdc_conf, keytab, stale_keytab, other_keytab, combined_keytab,
service_principal, other_principal, service_host, rcache_dir, dir, users {name:
password} and ccaches {name: KRB5CCNAME} for each --kinit), then serves until
SIGTERM/SIGINT (or, with --stop-on-eof, until its standard input closes, so it
dies with its parent).
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

LOOPBACK = "127.0.0.1"
SBIN = os.environ.get("RELAYDESK_KRB5_SBIN", "/usr/sbin")
BIN = os.environ.get("RELAYDESK_KRB5_BIN", "/usr/bin")
KRB5KDC = os.path.join(SBIN, "krb5kdc")
KDB5_UTIL = os.path.join(SBIN, "kdb5_util")
KADMIN_LOCAL = os.path.join(SBIN, "kadmin.local")
KINIT = os.path.join(BIN, "kinit")

DEFAULT_USERS = {"alice": "alice-Secret-1", "dave": "dave-Secret-2", "bob": "bob-Secret-3"}
COMMAND_TIMEOUT = 30.0   # seconds for each kdb5_util / kadmin.local / kinit run


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


class KdcServer:
    """krb5kdc serving one realm with users, a service key and test keytabs."""

    def __init__(self, users=None, realm="EXAMPLE.TEST", service_host="mail.example.test",
                 address=LOOPBACK, port=None):
        self.users = dict(DEFAULT_USERS if users is None else users)
        self.realm = realm
        self.service_host = service_host
        self.service_principal = "smtp/%s@%s" % (service_host, realm)
        self.other_principal = "smtp/other.%s@%s" % (service_host.split(".", 1)[-1], realm)
        self.address = address
        self.port = port
        self._fixed_port = port is not None and port != 0
        self.dir = None
        self.proc = None
        self.krb5_conf = self.kdc_conf = None
        self.keytab = self.stale_keytab = self.other_keytab = self.combined_keytab = None
        self.rcache_dir = None
        self.ccaches = {}

    # ------------------------------------------------------------ files

    def _path(self, name):
        return os.path.join(self.dir, name)

    def _write_krb5_conf(self):
        domain = self.service_host.split(".", 1)[-1]
        with open(self.krb5_conf, "w", encoding="utf-8") as f:
            f.write("\n".join([
                "[libdefaults]",
                "    default_realm = %s" % self.realm,
                # Nothing from DNS: the test names do not exist, and the service
                # principal must come from the name the client was given.
                "    dns_lookup_kdc = false",
                "    dns_lookup_realm = false",
                "    dns_canonicalize_hostname = false",
                "    rdns = false",
                "    forwardable = true",
                "    spake_preauth_groups = edwards25519",
                "    default_ccache_name = FILE:%s" % self._path("cc_default"),
                "[realms]",
                "    %s = {" % self.realm,
                "        kdc = %s:%d" % (self.address, self.port),
                "    }",
                "[domain_realm]",
                "    %s = %s" % (self.service_host, self.realm),
                "    .%s = %s" % (domain, self.realm),
                "    %s = %s" % (domain, self.realm),
                "",
            ]))

    def _write_kdc_conf(self):
        listen = "%s:%d" % (self.address, self.port)
        with open(self.kdc_conf, "w", encoding="utf-8") as f:
            f.write("\n".join([
                "[kdcdefaults]",
                "    kdc_listen = %s" % listen,
                "    kdc_tcp_listen = %s" % listen,
                "[realms]",
                "    %s = {" % self.realm,
                "        database_name = %s" % self._path("principal"),
                "        key_stash_file = %s" % self._path("stash"),
                "        acl_file = %s" % self._path("kadm5.acl"),
                "        kdc_listen = %s" % listen,
                "        kdc_tcp_listen = %s" % listen,
                "        max_life = 10h 0m 0s",
                "    }",
                "[logging]",
                "    kdc = FILE:%s" % self._path("kdc.log"),
                "    admin_server = FILE:%s" % self._path("kadmin.log"),
                "    default = FILE:%s" % self._path("krb5.log"),
                "",
            ]))
        with open(self._path("kadm5.acl"), "w", encoding="utf-8") as f:
            f.write("")

    def env(self, base=None):
        """An environment (copy of `base` or os.environ) for Kerberos tools and clients here."""
        env = dict(os.environ if base is None else base)
        env["KRB5_CONFIG"] = self.krb5_conf
        env["KRB5_KDC_PROFILE"] = self.kdc_conf
        env["KRB5RCACHEDIR"] = self.rcache_dir   # acceptor replay caches stay in the temp folder
        env.pop("KRB5CCNAME", None)
        env.pop("KRB5_KTNAME", None)
        env.pop("KRB5_CLIENT_KTNAME", None)
        return env

    def _run(self, argv, stdin_text=None, expect=None):
        """Runs a Kerberos tool with our env; raises RuntimeError unless it worked."""
        try:
            r = subprocess.run(argv, input=stdin_text, env=self.env(), capture_output=True,
                               text=True, timeout=COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise RuntimeError("%s took more than %ds" % (" ".join(argv[:2]), COMMAND_TIMEOUT))
        out = r.stdout + r.stderr
        # kadmin.local -q exits 0 even when the query failed: look for its success line.
        if r.returncode != 0 or (expect is not None and expect not in out):
            raise RuntimeError("%s failed (exit %d):\n%s" % (" ".join(argv[:3]), r.returncode, out))
        return out

    def _kadmin(self, query, expect):
        return self._run([KADMIN_LOCAL, "-r", self.realm, "-q", query], expect=expect)

    def _make_database(self):
        # -s: stash the master key so krb5kdc starts unattended. The master password
        # only guards this throwaway database.
        self._run([KDB5_UTIL, "-r", self.realm, "create", "-s", "-P", "rd-test-master-key"],
                  expect=None)
        for name, password in self.users.items():
            self._kadmin("addprinc -pw %s %s" % (password, name), 'Principal "%s@%s" created' % (name, self.realm))
        svc = self.service_principal
        self._kadmin("addprinc -randkey %s" % svc, "created")
        self._kadmin("addprinc -randkey %s" % self.other_principal, "created")
        # Without -norandkey ktadd gives the principal a new random key (kvno + 1) and
        # writes it: the first one ends up "stale" when the second replaces it.
        self._kadmin("ktadd -k %s %s" % (self.stale_keytab, svc), "added to keytab")
        self._kadmin("ktadd -k %s %s" % (self.keytab, svc), "added to keytab")
        self._kadmin("ktadd -k %s -norandkey %s" % (self.other_keytab, self.other_principal), "added to keytab")
        for principal in (svc, self.other_principal):
            self._kadmin("ktadd -k %s -norandkey %s" % (self.combined_keytab, principal), "added to keytab")

    # ------------------------------------------------------------ process

    def log_text(self):
        text = ""
        for name in ("kdc.out", "kdc.log"):
            try:
                with open(self._path(name), encoding="utf-8", errors="replace") as f:
                    text += f.read()
            except (OSError, TypeError):
                pass
        return text

    def _answers(self):
        if "commencing operation" not in self.log_text():
            return False
        try:
            with socket.create_connection((self.address, self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def _try_start(self, timeout):
        os.makedirs(self.dir, exist_ok=True)
        self._write_krb5_conf()
        self._write_kdc_conf()
        if not os.path.exists(self._path("principal")):
            self._make_database()
        out = open(self._path("kdc.out"), "w")
        try:
            self.proc = subprocess.Popen([KRB5KDC, "-n", "-r", self.realm], env=self.env(),
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                         start_new_session=True)
        finally:
            out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if self._answers():
                return True
            time.sleep(0.05)
        return False

    def start(self, timeout=15.0):
        for tool in (KRB5KDC, KDB5_UTIL, KADMIN_LOCAL, KINIT):
            if not os.path.exists(tool):
                raise RuntimeError("%s not found (apt-get install krb5-kdc krb5-admin-server krb5-user)" % tool)
        self.dir = tempfile.mkdtemp(prefix="rd-kdc-")
        self.krb5_conf = self._path("krb5.conf")
        self.kdc_conf = self._path("kdc.conf")
        self.keytab = self._path("smtp.keytab")
        self.stale_keytab = self._path("stale.keytab")
        self.other_keytab = self._path("other.keytab")
        self.combined_keytab = self._path("combined.keytab")
        self.rcache_dir = self._path("rcache")
        os.makedirs(self.rcache_dir)
        attempts = 1 if self._fixed_port else 3
        try:
            for attempt in range(attempts):
                if not self._fixed_port:
                    self.port = free_udp_tcp_port(self.address)
                if self._try_start(timeout):
                    return self
                code = self.proc.poll() if self.proc is not None else None
                log = self.log_text()
                self._kill()
                if attempt + 1 == attempts or code is None:
                    what = ("exited with status %d" % code) if code is not None else \
                        "did not answer within %.0f s" % timeout
                    raise RuntimeError("krb5kdc on %s:%d %s:\n%s" % (self.address, self.port, what, log))
                # The port was taken in between: the next try rewrites krb5.conf and
                # kdc.conf with another one (the database stays) and starts a fresh log.
                if os.path.exists(self._path("kdc.log")):
                    os.remove(self._path("kdc.log"))
        except BaseException:
            self.stop()
            raise
        return self

    def kinit(self, user, password=None, ccache_name=None):
        """Gets a TGT for `user` into a FILE: cache in the temp folder; returns its KRB5CCNAME."""
        if password is None:
            password = self.users[user]
        ccache = "FILE:%s" % self._path(ccache_name or ("cc_" + user.replace("/", "_")))
        env = self.env()
        env["KRB5CCNAME"] = ccache
        # MIT kinit reads the password from standard input when it is not a terminal.
        try:
            r = subprocess.run([KINIT, "%s@%s" % (user, self.realm)], input=password + "\n", env=env,
                               capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise RuntimeError("kinit %s took more than %ds" % (user, COMMAND_TIMEOUT))
        if r.returncode != 0:
            raise RuntimeError("kinit %s failed: %s" % (user, (r.stdout + r.stderr).strip()))
        self.ccaches[user] = ccache
        return ccache

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
        """Stops krb5kdc and removes the temp folder (keytabs, caches). Safe to call twice."""
        self._kill()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def info(self):
        return {
            "realm": self.realm, "address": self.address, "port": self.port,
            "krb5_conf": self.krb5_conf, "kdc_conf": self.kdc_conf,
            "keytab": self.keytab, "stale_keytab": self.stale_keytab, "other_keytab": self.other_keytab,
            "combined_keytab": self.combined_keytab,
            "service_principal": self.service_principal, "other_principal": self.other_principal,
            "service_host": self.service_host, "rcache_dir": self.rcache_dir, "dir": self.dir,
            "users": self.users, "ccaches": dict(self.ccaches),
        }

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


def _main(argv):
    ap = argparse.ArgumentParser(description="Serve a test Kerberos realm with MIT krb5kdc on loopback.")
    ap.add_argument("--user", action="append", default=[], help="NAME=PASSWORD (repeat); default alice, dave, bob")
    ap.add_argument("--kinit", action="append", default=[], help="get a TGT for NAME (repeat)")
    ap.add_argument("--realm", default="EXAMPLE.TEST")
    ap.add_argument("--service-host", default="mail.example.test")
    ap.add_argument("--address", default=LOOPBACK)
    ap.add_argument("--port", type=int, default=0, help="0: pick a free port")
    ap.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for krb5kdc")
    ap.add_argument("--stop-on-eof", action="store_true", help="stop when stdin closes")
    args = ap.parse_args(argv)

    users = None
    if args.user:
        users = {}
        for spec in args.user:
            name, sep, password = spec.partition("=")
            if not sep or not name or not password:
                ap.error("--user wants NAME=PASSWORD")
            users[name] = password
    server = KdcServer(users, realm=args.realm, service_host=args.service_host, address=args.address,
                       port=args.port or None)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        server.start(timeout=args.timeout)
        for name in args.kinit:
            server.kinit(name)
    except (RuntimeError, KeyError, OSError) as e:
        sys.stderr.write("kdcserver: %s\n" % e)
        server.stop()
        return 1
    try:
        sys.stdout.write("ready %s\n" % json.dumps(server.info(), sort_keys=True))
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
                sys.stderr.write("kdcserver: krb5kdc exited:\n%s" % server.log_text())
                return 1
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))

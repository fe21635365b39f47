"""A real LDAP directory (OpenLDAP slapd) on loopback, for directory sign-in tests.

Python 3 standard library only; needs /usr/sbin/slapd (Debian: apt-get install slapd
ldap-utils; the ldap-utils tools ldapwhoami, ldapsearch, ldapmodify and ldapdelete
are used to check and change the tree) and the `openssl` command for certificates.
Runs slapd in the foreground as the current user (root or not) with its slapd.conf,
MDB database, certificates and log in a fresh temp folder: no system service, the
system's /etc/ldap/slapd.d is never read. Listens on 127.0.0.1 only:

    ldap://127.0.0.1:<ldap_port>     plain LDAP, StartTLS offered (not required)
    ldaps://127.0.0.1:<ldaps_port>   LDAP over TLS
    ldapi://<tmpdir>/ldapi           local socket the harness uses for rootdn changes

The server certificate (SAN IP:127.0.0.1, DNS:localhost, DNS:ldap.example.test) is
signed by a test CA (ca_file); other_ca_file is a second CA that signed nothing here
("wrong CA" tests). expired_cert=True serves a certificate that expired in 2021.

Overlays: memberof (memberOf kept on the members of groupOfNames, users and groups
alike: one level only, slapd does not make it transitive) and ppolicy with a default
policy "pwdLockout: TRUE", so `pwdAccountLockedTime: 000001010000Z` locks an account
(its bind fails with invalidCredentials, 49; with the ppolicy control asked the
response also says "Account locked"). ACLs: anyone may bind (auth), a user reads its
own entry (and may replace its own password, never read it), the service account
reads everything but userPassword, anonymous reads nothing but the root DSE and schema.

Default tree (DEFAULT_LDIF), base dc=example,dc=test:

    cn=relaydesk,ou=services        password svc-secret (service account)
    uid=alice,ou=people             alice@example.test          alice-pw  Relay senders
    uid=bob,ou=people               bob@example.test            bob-pw    Printers, Loop A
    uid=carol,ou=people             carol@example.test          carol-pw  locked (ppolicy)
    uid=dave,ou=people              dave@example.test           dave-pw   Helpdesk
    uid=erin,ou=people              erin@ and e.smith@example.test  erin-pw  Relay senders
    cn=Relay senders,ou=groups      alice, erin, cn=Helpdesk (a nested group)
    cn=Helpdesk,ou=groups           dave
    cn=Printers,ou=groups           bob
    cn=Loop A / cn=Loop B           members of each other (bob in Loop A): a cycle

Python:

    with SlapdServer() as ldap:          # or SlapdServer(expired_cert=True, extra_ldif=[...])
        ldap.ldap_uri, ldap.ldaps_uri, ldap.ca_file, ldap.service_dn, ...
        ldap.modify("dn: cn=Relay senders,ou=groups,dc=example,dc=test\\n"
                    "changetype: modify\\ndelete: member\\n"
                    "member: uid=erin,ou=people,dc=example,dc=test\\n")
        ldap.set_password(user_dn("bob"), "new-pw")     # add(ldif), delete(dn) too
        ldap.search("(uid=dave)", attrs=["memberOf"])   # raw ldapsearch -LLL output
        ldap.whoami(ldap.ldaps_uri, user_dn("alice"), "alice-pw")   # (exit code, output)
        ldap.kill(); ldap.start()        # directory gone, then back on the same ports
        ldap.pause(); ldap.resume()      # SIGSTOP: TCP is accepted, nothing answers

Changes go through ldapmodify/ldapdelete as the rootdn over ldapi (LdapError with the
LDAP result code on failure; a paused server makes them time out). groupOfNames needs
one member at least: removing a group's last member is an object class violation (65).
stop() only stops slapd (the data stays, start() brings it back on the same ports);
close() (and leaving the `with`) kills it and removes the temp folder. slapd gets
SIGKILL if the harness process dies, even by SIGKILL (the temp folder stays then).
Note for ldap-utils users: libldap replaces "localhost" in a URI by the machine's
hostname before checking the certificate; use 127.0.0.1 (the IP SAN).

Command line (used by the C++ unit tests through QProcess):

    python3 slapdserver.py [--expired-cert] [--ldif FILE ...] [--stop-on-eof]
    python3 slapdserver.py --self-test

prints one line "ready <json>" (host, ldap_port, ldaps_port, ldap_uri, ldaps_uri,
ldapi_uri, base_dn, service_dn, service_password, admin_dn, admin_password, ca_file,
other_ca_file, tmpdir, pid, expired_cert) once both ports answer, then serves until
SIGTERM/SIGINT or, with --stop-on-eof, until its standard input closes (so it dies
with its parent). With --stop-on-eof it also reads commands, one a line: stop, start,
kill, pause, resume, each answered "ok <cmd>" (or "error <cmd> <why>"), and info,
answered "info <json>" (the pid changes on start).
"""

import argparse
import atexit
import base64
import hashlib
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

SLAPD = os.environ.get("RELAYDESK_SLAPD", "/usr/sbin/slapd")
SCHEMA_DIR = "/etc/ldap/schema"
MODULE_DIR = "/usr/lib/ldap"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
LOOPBACK = "127.0.0.1"

BASE_DN = "dc=example,dc=test"
ADMIN_DN = "cn=admin," + BASE_DN          # the rootdn: no ACL applies to it
ADMIN_PASSWORD = "admin-secret"
SERVICE_DN = "cn=relaydesk,ou=services," + BASE_DN
SERVICE_PASSWORD = "svc-secret"
POLICY_DN = "cn=default,ou=policies," + BASE_DN
LOCKED_FOREVER = "000001010000Z"          # ppolicy: locked by an administrator

# uid: (mails, password); all under ou=people.
USERS = {
    "alice": (["alice@example.test"], "alice-pw"),
    "bob": (["bob@example.test"], "bob-pw"),
    "carol": (["carol@example.test"], "carol-pw"),
    "dave": (["dave@example.test"], "dave-pw"),
    "erin": (["erin@example.test", "e.smith@example.test"], "erin-pw"),
}


def user_dn(uid):
    return "uid=%s,ou=people,%s" % (uid, BASE_DN)


def group_dn(cn):
    return "cn=%s,ou=groups,%s" % (cn, BASE_DN)


def ssha(password, salt=None):
    """userPassword value "{SSHA}..." for `password` (what slappasswd makes)."""
    salt = os.urandom(8) if salt is None else salt
    digest = hashlib.sha1(password.encode("utf-8") + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode("ascii")


def _entry(dn, *lines):
    return "dn: %s\n%s\n" % (dn, "\n".join(lines))


def _person(uid, extra=()):
    mails, password = USERS[uid]
    return _entry(user_dn(uid), "objectClass: inetOrgPerson", "uid: %s" % uid,
                  "cn: %s" % uid.capitalize(), "sn: Test", "givenName: %s" % uid.capitalize(),
                  *["mail: %s" % m for m in mails], "userPassword: %s" % ssha(password), *extra)


def _group(cn, members):
    return _entry(group_dn(cn), "objectClass: groupOfNames", "cn: %s" % cn,
                  *["member: %s" % m for m in members])


def default_ldif():
    """The default tree as a list of LDIF texts, in an order the memberof overlay needs:
    members exist before the groups naming them (memberOf is set only on entries that
    exist when the group is written), and the Loop A <-> Loop B cycle is closed by a
    modify once both exist."""
    return [
        _entry(BASE_DN, "objectClass: dcObject", "objectClass: organization",
               "o: Example Test", "dc: example"),
        *[_entry("ou=%s,%s" % (ou, BASE_DN), "objectClass: organizationalUnit", "ou: %s" % ou)
          for ou in ("people", "groups", "services", "policies")],
        # ppolicy's default policy: only lockout (no failure counting, no expiry), so a
        # wrong password never locks anyone and carol's pwdAccountLockedTime counts.
        _entry(POLICY_DN, "objectClass: device", "objectClass: pwdPolicy", "cn: default",
               "pwdAttribute: userPassword", "pwdLockout: TRUE", "pwdMaxFailure: 0"),
        _entry(SERVICE_DN, "objectClass: organizationalRole", "objectClass: simpleSecurityObject",
               "cn: relaydesk", "description: RelayDesk directory sign-in service account",
               "userPassword: %s" % ssha(SERVICE_PASSWORD)),
        _person("alice"),
        _person("bob"),
        _person("carol", ["pwdAccountLockedTime: %s" % LOCKED_FOREVER]),
        _person("dave"),
        _person("erin"),
        _group("Helpdesk", [user_dn("dave")]),
        _group("Relay senders", [user_dn("alice"), user_dn("erin"), group_dn("Helpdesk")]),
        _group("Printers", [user_dn("bob")]),
        _group("Loop A", [user_dn("bob")]),
        _group("Loop B", [group_dn("Loop A")]),
        "dn: %s\nchangetype: modify\nadd: member\nmember: %s\n" % (group_dn("Loop A"), group_dn("Loop B")),
    ]


DEFAULT_LDIF = default_ldif()


class LdapError(RuntimeError):
    """An ldap-utils tool failed; `rc` is its exit status (the LDAP result code, e.g. 50
    insufficientAccess, 32 noSuchObject, 49 invalidCredentials), None on a timeout."""

    def __init__(self, message, rc=None, output=""):
        super().__init__(message)
        self.rc = rc
        self.output = output


def free_tcp_ports(count, host=LOOPBACK):
    """`count` distinct TCP ports that were free on `host` a moment ago."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _die_with_parent():
    """In the slapd child before exec: SIGKILL it when the harness dies (even by SIGKILL).
    Linux ties this to the forking *thread*: start slapd from a thread that lives as long
    as the server (the command line does everything on its main thread)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - best effort; the context manager still cleans up
        pass


def _openssl(args, cwd):
    r = subprocess.run([OPENSSL] + args, cwd=cwd, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("openssl %s failed:\n%s" % (args[0], r.stdout.decode(errors="replace")))


# openssl configuration for both test CAs: "openssl ca" signs the server certificate
# so that -startdate/-enddate can put it in the past (openssl 3.0's x509 cannot).
_OPENSSL_CNF = """\
[ ca ]
default_ca = test_ca
[ test_ca ]
database = %(dir)s/index.txt
new_certs_dir = %(dir)s/newcerts
serial = %(dir)s/serial
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
x509_extensions = server_ext
[ policy_any ]
commonName = supplied
[ server_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost,DNS:ldap.example.test
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ ca_ext ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ req ]
distinguished_name = req_dn
prompt = no
[ req_dn ]
CN = unused
"""


def make_certificates(d, expired=False):
    """Writes into `d`: ca.crt/ca.key (test CA), server.crt/server.key (signed by it;
    expired in 2021 if `expired`), other-ca.crt/other-ca.key (a CA that signed nothing).
    EC P-256 keys: generated in milliseconds."""
    pki = os.path.join(d, "pki")
    os.makedirs(os.path.join(pki, "newcerts"))
    with open(os.path.join(pki, "index.txt"), "w"):
        pass
    with open(os.path.join(pki, "serial"), "w") as f:
        f.write("%016X\n" % int.from_bytes(os.urandom(7), "big"))
    cnf = os.path.join(pki, "openssl.cnf")
    with open(cnf, "w") as f:
        f.write(_OPENSSL_CNF % {"dir": pki})
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    for name, cn in (("ca", "RelayDesk LDAP Test CA"), ("other-ca", "RelayDesk Other Test CA")):
        _openssl(["req", "-x509", "-config", cnf, "-extensions", "ca_ext"] + key +
                 ["-keyout", name + ".key", "-out", name + ".crt", "-days", "3650",
                  "-subj", "/CN=" + cn], d)
    _openssl(["req", "-new", "-config", cnf] + key +
             ["-keyout", "server.key", "-out", os.path.join(pki, "server.csr"), "-subj", "/CN=127.0.0.1"], d)
    dates = ["-startdate", "20200101000000Z", "-enddate", "20210101000000Z"] if expired else ["-days", "825"]
    _openssl(["ca", "-batch", "-notext", "-config", cnf, "-cert", "ca.crt", "-keyfile", "ca.key",
              "-in", os.path.join(pki, "server.csr"), "-out", "server.crt"] + dates, d)


class SlapdServer:
    """slapd on 127.0.0.1 serving the test tree (DEFAULT_LDIF, or `ldif`) plus `extra_ldif`."""

    def __init__(self, expired_cert=False, ldif=None, extra_ldif=(), host=LOOPBACK, start_timeout=15.0):
        self.expired_cert = bool(expired_cert)
        self.ldif = list(DEFAULT_LDIF if ldif is None else ldif) + list(extra_ldif)
        self.host = host
        self.start_timeout = float(start_timeout)
        self.base_dn = BASE_DN
        self.service_dn = SERVICE_DN
        self.service_password = SERVICE_PASSWORD
        self.admin_dn = ADMIN_DN
        self.admin_password = ADMIN_PASSWORD
        self.tmpdir = None
        self.ldap_port = None
        self.ldaps_port = None
        self.ldapi_uri = None
        self.proc = None
        self.paused = False
        self.startup_seconds = None       # last start(): until both ports answered
        self._loaded = False

    # ---- paths and addresses ----------------------------------------------------------

    @property
    def ldap_uri(self):
        return "ldap://%s:%d" % (self.host, self.ldap_port)

    @property
    def ldaps_uri(self):
        return "ldaps://%s:%d" % (self.host, self.ldaps_port)

    @property
    def ca_file(self):
        return os.path.join(self.tmpdir, "ca.crt")

    @property
    def other_ca_file(self):
        return os.path.join(self.tmpdir, "other-ca.crt")

    @property
    def log_file(self):
        return os.path.join(self.tmpdir, "slapd.log")

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def info(self):
        """What the command line prints after "ready "."""
        return {"host": self.host, "ldap_port": self.ldap_port, "ldaps_port": self.ldaps_port,
                "ldap_uri": self.ldap_uri, "ldaps_uri": self.ldaps_uri, "ldapi_uri": self.ldapi_uri,
                "base_dn": self.base_dn, "service_dn": self.service_dn,
                "service_password": self.service_password, "admin_dn": self.admin_dn,
                "admin_password": self.admin_password, "ca_file": self.ca_file,
                "other_ca_file": self.other_ca_file, "tmpdir": self.tmpdir, "pid": self.pid,
                "expired_cert": self.expired_cert}

    def log_text(self, tail=None):
        try:
            with open(self.log_file, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except (OSError, TypeError):
            return ""
        return text if tail is None else "\n".join(text.splitlines()[-tail:])

    def client_env(self, ca_file=None, reqcert="demand"):
        """Environment for OpenLDAP client tools: our CA only, certificates checked, and
        neither /etc/ldap/ldap.conf nor a user's ldaprc (LDAPCONF points at our own)."""
        env = dict(os.environ)
        env.update({"LDAPCONF": os.path.join(self.tmpdir, "ldap.conf"),
                    "LDAPRC": "relaydesk-test-no-ldaprc",
                    "LDAPTLS_CACERT": ca_file or self.ca_file,
                    "LDAPTLS_REQCERT": reqcert})
        return env

    # ---- files ------------------------------------------------------------------------

    def _write_files(self):
        d = self.tmpdir
        os.makedirs(os.path.join(d, "db"))
        make_certificates(d, self.expired_cert)
        os.chmod(os.path.join(d, "server.key"), 0o600)
        sock = os.path.join(d, "ldapi")
        # sun_path holds 107 bytes; with a very long TMPDIR the rootdn goes over TCP.
        self.ldapi_uri = "ldapi://" + urllib.parse.quote(sock, safe="") if len(sock) < 100 else None
        with open(os.path.join(d, "ldap.conf"), "w") as f:
            f.write("# by hand: LDAPCONF=%s/ldap.conf ldapsearch -x -H ldaps://127.0.0.1:PORT ...\n"
                    "BASE %s\nTLS_CACERT %s\nTLS_REQCERT demand\n" % (d, BASE_DN, self.ca_file))
        modules = ["back_mdb", "memberof"]
        self.has_ppolicy = os.path.exists(os.path.join(MODULE_DIR, "ppolicy.la"))
        if self.has_ppolicy:
            modules.append("ppolicy")   # 2.5: the pwdPolicy schema is built into the module
        conf = ["# RelayDesk test directory (tests/integration/slapdserver.py)"]
        conf += ["include %s/%s.schema" % (SCHEMA_DIR, s) for s in ("core", "cosine", "inetorgperson", "nis")]
        conf += [
            "pidfile %s/slapd.pid" % d,
            "argsfile %s/slapd.args" % d,
            "modulepath %s" % MODULE_DIR,
        ] + ["moduleload %s.la" % m for m in modules] + [
            "TLSCACertificateFile %s/ca.crt" % d,
            "TLSCertificateFile %s/server.crt" % d,
            "TLSCertificateKeyFile %s/server.key" % d,
            "TLSVerifyClient never",
            "sizelimit 500",
            # Global ACLs (checked after the database's): root DSE and schema for everyone.
            'access to dn.base="" by * read',
            'access to dn.base="cn=Subschema" by * read',
            "",
            "database mdb",
            'suffix "%s"' % BASE_DN,
            'rootdn "%s"' % ADMIN_DN,
            "rootpw %s" % ADMIN_PASSWORD,
            "directory %s/db" % d,
            "maxsize 67108864",
            "dbnosync",                   # no fsync per write: a SIGKILL keeps the data anyway
            "index objectClass eq",
            "index uid,mail,cn eq,sub",
            "index member,memberOf eq",
            "overlay memberof",
            "memberof-group-oc groupOfNames",
            "memberof-member-ad member",
            "memberof-memberof-ad memberOf",
            "memberof-refint TRUE",       # deleting a user also drops it from its groups
        ]
        if self.has_ppolicy:
            conf += [
                "overlay ppolicy",
                'ppolicy_default "%s"' % POLICY_DN,
                "ppolicy_use_lockout",    # a locked bind says "Account locked" in the control
            ]
        conf += [
            # Password: binding only; a user may set (not read) its own.
            "access to attrs=userPassword",
            "    by self =xw",
            "    by anonymous auth",
            "    by * none",
            "access to *",
            "    by self read",
            '    by dn.exact="%s" read' % SERVICE_DN,
            "    by anonymous auth",
            "    by * none",
        ]
        with open(os.path.join(d, "slapd.conf"), "w") as f:
            f.write("\n".join(conf) + "\n")

    # ---- running ----------------------------------------------------------------------

    def _listen_urls(self):
        urls = ["ldap://%s:%d/" % (self.host, self.ldap_port), "ldaps://%s:%d/" % (self.host, self.ldaps_port)]
        if self.ldapi_uri:
            urls.append(self.ldapi_uri)
        return " ".join(urls)

    def _spawn(self):
        log = open(self.log_file, "a")
        try:
            log.write("\n=== slapd -h %s (%s)\n" % (self._listen_urls(), time.strftime("%H:%M:%S")))
            log.flush()
            # -d stats: foreground, connection/operation log on stderr (into slapd.log).
            self.proc = subprocess.Popen([SLAPD, "-f", os.path.join(self.tmpdir, "slapd.conf"),
                                          "-h", self._listen_urls(), "-d", "stats"],
                                         cwd=self.tmpdir, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         start_new_session=True, preexec_fn=_die_with_parent)
        finally:
            log.close()
        self.paused = False

    def _tool(self, args, input_text=None, timeout=10.0, env=None):
        """Runs an ldap-utils tool; (returncode, combined output). Timeout -> (None, ...)."""
        try:
            r = subprocess.run(args, input=input_text.encode("utf-8") if input_text is not None else None,
                               stdin=None if input_text is not None else subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout,
                               env=env or self.client_env(), cwd=self.tmpdir)
        except subprocess.TimeoutExpired as e:
            return None, (e.output or b"").decode(errors="replace") + "\n(timed out after %gs)" % timeout
        return r.returncode, r.stdout.decode("utf-8", errors="replace")

    def whoami(self, uri, dn="", password="", starttls=False, ca_file=None, reqcert="demand", timeout=5.0):
        """ldapwhoami -x; (returncode, output): 0 and "dn:..." / "anonymous" on success,
        49 "Invalid credentials", -1/255 "Can't contact LDAP server" (bad TLS too)..."""
        args = ["ldapwhoami", "-x", "-H", uri, "-o", "nettimeout=%d" % max(1, int(timeout))]
        if starttls:
            args.append("-ZZ")
        if dn:
            args += ["-D", dn, "-w", password]
        return self._tool(args, timeout=timeout, env=self.client_env(ca_file, reqcert))

    def _answers(self):
        """Both TCP ports (and ldapi) answer a bind: LDAPS with our CA (any certificate when
        it is the expired one), plain LDAP as the rootdn."""
        rc, _ = self.whoami(self.ldaps_uri, reqcert="never" if self.expired_cert else "demand", timeout=2)
        if rc != 0:
            return False
        rc, _ = self.whoami(self.ldap_uri, self.admin_dn, self.admin_password, timeout=2)
        if rc != 0:
            return False
        return self.ldapi_uri is None or self.whoami(self.ldapi_uri, timeout=2)[0] == 0

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if self._answers():
                return True
            time.sleep(0.05)
        return False

    def start(self, timeout=None):
        """First call: makes the temp folder, certificates and config, picks two free ports,
        starts slapd and loads the tree. Later calls (after stop()/kill()): slapd again on
        the same ports with the same data. Returns self once both ports answer."""
        if not os.path.exists(SLAPD):
            raise RuntimeError("%s not found (apt-get install slapd ldap-utils)" % SLAPD)
        if self.running():
            return self
        timeout = self.start_timeout if timeout is None else timeout
        first = self.tmpdir is None
        if first:
            self.tmpdir = tempfile.mkdtemp(prefix="rd-slapd-")
            atexit.register(self.close)
            try:
                self._write_files()
            except BaseException:
                self.close()
                raise
        attempts = 3 if first else 1   # a port taken between picking and binding: pick again
        began = time.monotonic()
        for attempt in range(attempts):
            if first:
                self.ldap_port, self.ldaps_port = free_tcp_ports(2, self.host)
            self._spawn()
            if self._wait_ready(timeout):
                break
            exited = self.proc.poll() is not None
            log = self.log_text(tail=40)
            self._terminate()
            if attempt + 1 == attempts or not exited:
                if first:
                    self.close()
                raise RuntimeError("slapd did not answer on %s and %s within %gs%s; slapd.log ends:\n%s"
                                   % (self.ldap_uri, self.ldaps_uri, timeout,
                                      " (it exited)" if exited else "", log))
        self.startup_seconds = time.monotonic() - began
        if not self._loaded:
            try:
                self.add("\n".join(t.strip("\n") + "\n" for t in self.ldif))
            except BaseException:
                self.close()
                raise
            self._loaded = True
        return self

    def _terminate(self, sig=signal.SIGTERM, timeout=10.0):
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            try:
                proc.send_signal(sig)
                if sig != signal.SIGKILL and self.paused:
                    proc.send_signal(signal.SIGCONT)   # a stopped slapd handles SIGTERM only when continued
            except OSError:
                pass
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)   # slapd's own session only
                except OSError:
                    pass
                proc.wait(timeout=5)
        self.paused = False

    def stop(self):
        """SIGTERM and wait: a clean shutdown. The data and ports stay for start()."""
        self._terminate(signal.SIGTERM)

    def kill(self):
        """SIGKILL and wait: the directory dies mid-whatever. start() brings it back."""
        self._terminate(signal.SIGKILL)

    def pause(self):
        """SIGSTOP: the kernel still accepts TCP connections, slapd never answers."""
        if self.running() and not self.paused:
            self.proc.send_signal(signal.SIGSTOP)
            self.paused = True

    def resume(self):
        """SIGCONT after pause()."""
        if self.proc is not None and self.paused:
            self.proc.send_signal(signal.SIGCONT)
            self.paused = False

    def close(self):
        """Kills slapd and removes the temp folder. Safe to call twice."""
        self._terminate(signal.SIGKILL)
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None
        try:
            atexit.unregister(self.close)
        except Exception:  # noqa: BLE001
            pass

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    # ---- changing and reading the tree as the rootdn ------------------------------------

    def _admin(self, tool, extra, input_text=None, timeout=10.0):
        uri = self.ldapi_uri or self.ldap_uri
        rc, out = self._tool([tool, "-x", "-H", uri, "-D", self.admin_dn, "-w", self.admin_password] + extra,
                             input_text=input_text, timeout=timeout)
        if rc != 0:
            raise LdapError("%s failed (%s):\n%s" % (tool, "timeout" if rc is None else "exit %d" % rc, out), rc, out)
        return out

    def add(self, ldif, timeout=10.0):
        """ldapadd of `ldif` as the rootdn (records with "changetype:" are applied as written)."""
        return self._admin("ldapmodify", ["-a"], ldif, timeout)

    def modify(self, ldif, timeout=10.0):
        """ldapmodify of `ldif` as the rootdn, e.g. "dn: ...\\nchangetype: modify\\nreplace: ...\\n"."""
        return self._admin("ldapmodify", [], ldif, timeout)

    def delete(self, dn, timeout=10.0):
        """ldapdelete of one entry as the rootdn (memberof-refint drops it from its groups)."""
        return self._admin("ldapdelete", [dn], None, timeout)

    def set_password(self, dn, password):
        """Replaces the userPassword of `dn` (stored as {SSHA})."""
        return self.modify("dn: %s\nchangetype: modify\nreplace: userPassword\nuserPassword: %s\n"
                           % (dn, ssha(password)))

    def search(self, filter="(objectClass=*)", base=None, attrs=(), scope="sub", bind_dn=None,
               password=None, uri=None, timeout=10.0):
        """Raw `ldapsearch -LLL` output (LDIF, unwrapped), as the rootdn unless `bind_dn` is given.
        Operational attributes such as memberOf appear only when asked for by name (or "+").
        Raises LdapError on a failed search (e.rc: 50 when anonymous, say); 32 returns ""."""
        if bind_dn is None:
            bind_dn, password, uri = self.admin_dn, self.admin_password, uri or self.ldapi_uri
        args = ["ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-x", "-H", uri or self.ldap_uri]
        if bind_dn:                        # "" binds anonymously
            args += ["-D", bind_dn, "-w", password or ""]
        args += ["-b", base or self.base_dn, "-s", scope, filter] + list(attrs)
        rc, out = self._tool(args, timeout=timeout)
        if rc == 32:
            return ""
        if rc != 0:
            raise LdapError("ldapsearch failed (%s):\n%s" % ("timeout" if rc is None else "exit %d" % rc, out),
                            rc, out)
        return out

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
        return False


# ---- self-test --------------------------------------------------------------------------


def _attr_values(ldif_text, attr):
    return [line.split(":", 1)[1].strip() for line in ldif_text.splitlines()
            if line.lower().startswith(attr.lower() + ":")]


def self_test():
    """Starts the directory (and the expired-certificate variant) and checks it with the
    OpenLDAP tools; prints one line per check; 0 if all passed."""
    failures = []

    def check(name, ok, detail=""):
        print("%s  %s%s" % ("PASS" if ok else "FAIL", name, ("  [%s]" % detail.strip()) if detail.strip() else ""))
        sys.stdout.flush()
        if not ok:
            failures.append(name)

    t0 = time.monotonic()
    with SlapdServer() as s:
        total = time.monotonic() - t0
        print("started in %.2fs (slapd answering after %.2fs; certificates, config and tree load "
              "included), ppolicy module: %s" % (total, s.startup_seconds, "loaded" if s.has_ppolicy else "MISSING"))
        print(json.dumps(s.info()))
        rc, out = s.whoami(s.ldap_uri, user_dn("alice"), "alice-pw", starttls=True)
        check("StartTLS on the plain port with ca_file, bind alice", rc == 0 and "uid=alice" in out, out)
        rc, out = s.whoami(s.ldaps_uri, user_dn("alice"), "alice-pw")
        check("LDAPS with ca_file, bind alice", rc == 0 and "uid=alice" in out, out)
        # (libldap itself turns "localhost" into the machine's hostname before checking the
        # certificate, so ldaps://localhost fails with its tools: check the names with openssl.)
        for name in ("-verify_ip 127.0.0.1", "-verify_hostname localhost", "-verify_hostname ldap.example.test"):
            r = subprocess.run([OPENSSL, "verify", "-CAfile", s.ca_file] + name.split() +
                               [os.path.join(s.tmpdir, "server.crt")], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            check("server certificate valid for %s" % name.split()[1], r.returncode == 0, r.stdout)
        rc, out = s.whoami(s.ldap_uri, user_dn("alice"), "alice-pw")
        check("plain bind without TLS is allowed", rc == 0, out)
        rc, out = s.whoami(s.ldaps_uri, s.service_dn, s.service_password)
        check("service account binds", rc == 0, out)
        rc, out = s.whoami(s.ldaps_uri, user_dn("carol"), "carol-pw")
        check("locked carol: bind fails with 49", rc == 49, out)
        rc, out = s._tool(["ldapwhoami", "-x", "-H", s.ldaps_uri, "-D", user_dn("carol"), "-w", "carol-pw",
                           "-e", "ppolicy"])
        check("locked carol with the ppolicy control: 'Account locked'", rc == 49 and "Account locked" in out, out)
        rc, out = s.whoami(s.ldaps_uri, user_dn("bob"), "wrong")
        check("bob with a wrong password: 49", rc == 49, out)
        rc, out = s.whoami(s.ldaps_uri, user_dn("bob"), "bob-pw")
        check("bob still binds after the failure (no lockout counting)", rc == 0, out)

        out = s.search("(|(uid=alice)(mail=alice))", bind_dn=s.service_dn, password=s.service_password,
                       uri=s.ldaps_uri, attrs=["mail", "userPassword"])
        check("service account finds alice by (|(uid=alice)(mail=alice))",
              _attr_values(out, "dn") == [user_dn("alice")] and _attr_values(out, "mail") == ["alice@example.test"],
              out)
        check("service account cannot read userPassword", "userPassword" not in out, out)
        out = s.search("(mail=e.smith@example.test)", bind_dn=s.service_dn, password=s.service_password,
                       uri=s.ldaps_uri, attrs=["mail"])
        check("erin found by her second mail", _attr_values(out, "dn") == [user_dn("erin")], out)
        try:
            out = s.search("(uid=*)", bind_dn="", uri=s.ldaps_uri)
            check("anonymous reads nothing", out.strip() == "", out)
        except LdapError as e:
            check("anonymous reads nothing (search refused: %s)" % e.rc, e.rc in (32, 50), e.output)
        out = s.search("(objectClass=*)", base=user_dn("bob"), scope="base", bind_dn=user_dn("alice"),
                       password="alice-pw", uri=s.ldaps_uri)
        check("alice cannot read bob", out.strip() == "", out)
        out = s.search("(objectClass=*)", base=user_dn("alice"), scope="base", bind_dn=user_dn("alice"),
                       password="alice-pw", uri=s.ldaps_uri, attrs=["mail", "memberOf"])
        check("alice reads her own entry and memberOf",
              _attr_values(out, "memberOf") == [group_dn("Relay senders")], out)

        dave = _attr_values(s.search("(uid=dave)", attrs=["memberOf"]), "memberOf")
        check("dave memberOf = Helpdesk only (memberof overlay is not transitive)",
              dave == [group_dn("Helpdesk")], repr(dave))
        helpdesk = _attr_values(s.search("(cn=Helpdesk)", attrs=["memberOf"]), "memberOf")
        check("Helpdesk group memberOf = Relay senders (nesting visible one level at a time)",
              helpdesk == [group_dn("Relay senders")], repr(helpdesk))
        loop_a = _attr_values(s.search("(cn=Loop A)", attrs=["member", "memberOf"]), "memberOf")
        loop_b = _attr_values(s.search("(cn=Loop B)", attrs=["member", "memberOf"]), "memberOf")
        check("Loop A and Loop B are members of each other",
              loop_a == [group_dn("Loop B")] and loop_b == [group_dn("Loop A")], "%r %r" % (loop_a, loop_b))
        bob = sorted(_attr_values(s.search("(uid=bob)", attrs=["memberOf"]), "memberOf"))
        check("bob memberOf = Loop A, Printers", bob == sorted([group_dn("Loop A"), group_dn("Printers")]), repr(bob))

        rc, out = s.whoami(s.ldaps_uri, ca_file=s.other_ca_file)
        check("LDAPS with other_ca_file fails", rc != 0, out)
        rc, out = s.whoami(s.ldap_uri, starttls=True, ca_file=s.other_ca_file)
        check("StartTLS with other_ca_file fails", rc != 0, out)

        s.modify("dn: %s\nchangetype: modify\ndelete: member\nmember: %s\n"
                 % (group_dn("Relay senders"), user_dn("erin")))
        erin = _attr_values(s.search("(uid=erin)", attrs=["memberOf"]), "memberOf")
        check("removing erin from Relay senders clears her memberOf", erin == [], repr(erin))
        s.add(_entry(user_dn("frank"), "objectClass: inetOrgPerson", "uid: frank", "cn: Frank", "sn: Test",
                     "userPassword: %s" % ssha("frank-pw")) + "\n" +
              "dn: %s\nchangetype: modify\nadd: member\nmember: %s\n" % (group_dn("Printers"), user_dn("frank")))
        frank = _attr_values(s.search("(uid=frank)", attrs=["memberOf"]), "memberOf")
        check("added frank, then to Printers: memberOf set", frank == [group_dn("Printers")], repr(frank))
        s.delete(user_dn("frank"))
        printers = _attr_values(s.search("(cn=Printers)", attrs=["member"]), "member")
        check("deleting frank drops him from Printers (memberof-refint)", printers == [user_dn("bob")],
              repr(printers))
        s.set_password(user_dn("bob"), "bob-pw-2")
        check("changed password works", s.whoami(s.ldaps_uri, user_dn("bob"), "bob-pw-2")[0] == 0 and
              s.whoami(s.ldaps_uri, user_dn("bob"), "bob-pw")[0] == 49)

        s.pause()
        t = time.monotonic()
        with socket.create_connection((s.host, s.ldap_port), timeout=2):
            accepted = True
        rc, out = s.whoami(s.ldap_uri, timeout=2)
        check("paused: TCP accepted, no answer (timeout)", accepted and rc is None,
              "%s after %.1fs" % (out, time.monotonic() - t))
        s.resume()
        check("resumed: answers again", s.whoami(s.ldap_uri)[0] == 0)

        port = s.ldaps_port
        s.kill()
        rc, out = s.whoami(s.ldaps_uri, timeout=3)
        check("killed: connection refused", rc != 0, out)
        t = time.monotonic()
        s.start()
        check("restarted after SIGKILL on the same ports with the data (%.2fs)" % (time.monotonic() - t),
              s.ldaps_port == port and s.whoami(s.ldaps_uri, user_dn("bob"), "bob-pw-2")[0] == 0)
        s.stop()
        check("stop(): slapd gone", not s.running() and s.whoami(s.ldap_uri, timeout=3)[0] != 0)
        s.start()
        check("start() after stop()", s.whoami(s.ldaps_uri, user_dn("alice"), "alice-pw")[0] == 0)
        tmp, pid = s.tmpdir, s.pid
    check("temp folder removed on exit", not os.path.exists(tmp))
    check("slapd gone on exit", not os.path.exists("/proc/%d" % pid) or
          open("/proc/%d/stat" % pid).read().split()[2] == "Z")

    t0 = time.monotonic()
    with SlapdServer(expired_cert=True) as s:
        print("expired-certificate variant started in %.2fs" % (time.monotonic() - t0))
        rc, out = s.whoami(s.ldaps_uri)
        check("expired certificate: LDAPS verification fails", rc != 0, out)
        rc, out = s.whoami(s.ldap_uri, starttls=True)
        check("expired certificate: StartTLS verification fails", rc != 0, out)
        rc, out = s.whoami(s.ldaps_uri, reqcert="never")
        check("expired certificate: TLS itself works without verification", rc == 0, out)
        r = subprocess.run([OPENSSL, "x509", "-in", os.path.join(s.tmpdir, "server.crt"), "-noout", "-enddate"],
                           stdout=subprocess.PIPE, text=True)
        print("       server certificate %s" % r.stdout.strip())

    print("%d check(s) failed: %s" % (len(failures), ", ".join(failures)) if failures else "all checks passed")
    return 1 if failures else 0


# ---- command line -------------------------------------------------------------------------


def _main(argv):
    ap = argparse.ArgumentParser(description="Serve a test LDAP directory with slapd on loopback.")
    ap.add_argument("--expired-cert", action="store_true", help="serve an expired server certificate")
    ap.add_argument("--ldif", action="append", default=[], help="an LDIF file to load after the default tree")
    ap.add_argument("--stop-on-eof", action="store_true",
                    help="stop when stdin closes; read commands stop/start/kill/pause/resume/info from it")
    ap.add_argument("--self-test", action="store_true", help="start, check, report, exit")
    args = ap.parse_args(argv)
    if args.self_test:
        return self_test()

    extra = []
    for path in args.ldif:
        with open(path, encoding="utf-8") as f:
            extra.append(f.read())
    server = SlapdServer(expired_cert=args.expired_cert, extra_ldif=extra)
    events = queue.Queue()   # ("signal", None) | ("eof", None) | ("cmd", text)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: events.put(("signal", None)))
    try:
        server.start()
    except RuntimeError as e:
        sys.stderr.write("slapdserver: %s\n" % e)
        return 1
    try:
        sys.stdout.write("ready %s\n" % json.dumps(server.info()))
        sys.stdout.flush()
        if args.stop_on_eof:
            def read_stdin():
                try:
                    for line in sys.stdin:
                        events.put(("cmd", line.strip()))
                except (OSError, ValueError):
                    pass
                events.put(("eof", None))
            threading.Thread(target=read_stdin, daemon=True).start()
        wanted = True   # slapd dying on its own (not by a command) ends the harness
        actions = {"stop": server.stop, "start": server.start, "kill": server.kill,
                   "pause": server.pause, "resume": server.resume}
        while True:
            try:
                kind, text = events.get(timeout=0.2)
            except queue.Empty:
                if wanted and not server.running():
                    sys.stderr.write("slapdserver: slapd exited:\n%s\n" % server.log_text(tail=40))
                    return 1
                continue
            if kind != "cmd":
                return 0
            if not text:
                continue
            # Commands run here on the main thread: slapd's parent-death signal follows
            # the thread that started it.
            if text == "info":
                reply = "info %s" % json.dumps(server.info())
            elif text in actions:
                try:
                    actions[text]()
                    wanted = text not in ("stop", "kill")
                    reply = "ok %s" % text
                except RuntimeError as e:
                    wanted = False
                    sys.stderr.write("slapdserver: %s\n" % e)
                    reply = "error %s %s" % (text, str(e).splitlines()[0])
            else:
                reply = "error %s unknown command (stop, start, kill, pause, resume, info)" % text
            sys.stdout.write(reply + "\n")
            sys.stdout.flush()
    finally:
        server.close()


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))

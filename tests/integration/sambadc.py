"""A real Active Directory domain controller (Samba 4 AD DC) on a loopback address.

Python 3 standard library only. Needs Debian's samba, samba-dsdb-modules and
samba-ad-provision (the DC itself, its LDB modules and the AD schema files), plus the
ldap-utils (ldapsearch, ldapmodify), krb5-user (kinit) and openssl command-line tools.
Must run as root (Samba binds the fixed AD ports 389, 636, 3268, 3269, 88 and 464).

Everything lives in a fresh temp folder: `samba-tool domain provision --targetdir`
(realm EXAMPLE.TEST, NetBIOS domain EXAMPLE, DC host name dc1.example.test, no DNS
server), its own smb.conf, a TLS certificate made here with openssl, a krb5.conf for
clients, and `samba -i -M single` in the foreground with only the "ldap" and "kdc"
services. The system's /etc/samba and /var/lib/samba are not touched. The DC listens
only on one address of 127.0.0.0/8 (127.0.0.88 or the next one whose ports are free),
so the AD ports need no renumbering and nothing else on the machine is disturbed.

Provisioning a domain takes 10-20 s; it is done once per process (or, with
RELAYDESK_SAMBADC_TEMPLATE=/some/folder, once per machine) into a template that every
SambaDC copies, so later instances start in a few seconds.

    with SambaDC() as dc:
        dc.ldaps_uri                   # "ldaps://127.0.0.88"
        dc.ca_file                     # CA of the DC's certificate (names dc1.example.test, IP dc.host)
        dc.base_dn                     # "DC=example,DC=test"
        dc.service_dn, dc.service_password     # svc-relay: the relay's bind account
        dc.passwords["alice"]
        dc.group_dn("Relay senders")
        dc.kinit("alice", dc.passwords["alice"])    # -> ccache path; KinitError on failure
        dc.export_keytab("smtp/mail.example.test", "/tmp/x.keytab")
        dc.disable_user("bob"); dc.remove_member("Relay senders", "alice")

Directory made on start (all under CN=Users,DC=example,DC=test; AD password complexity,
minimum length and age are switched off, no lockout):

    svc-relay  bind account; AES enctypes; SPNs added here by export_keytab
    alice      UPN/mail alice@example.test, proxyAddresses SMTP:alice@example.test and
               smtp:a.jones@example.test; direct member of "Relay senders"
    bob        not in any relay group
    carol      disabled (userAccountControl 514 = NORMAL_ACCOUNT | ACCOUNTDISABLE)
    dave       member of Helpdesk, which is a member of "Relay senders" (nested)

Facts about this DC that clients meet (Samba 4.17, checked by --check):
  * simple binds need TLS (LDAPS or StartTLS); on plain ldap:// a simple bind gets
    resultCode 8 "BindSimple: Transport encryption required." Anonymous searches
    get resultCode 1 "00002020: Operation unavailable without authentication".
  * a bind with a wrong password, an unknown DN/UPN, or an empty password (an
    "unauthenticated bind", which real AD would accept as anonymous) gets resultCode 49
    "80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 52e, v1db1";
    a disabled account with the right password gets the same text with "data 533".
  * bind names accepted: the DN, the UPN (alice@example.test) and EXAMPLE\\alice.
  * subtree searches from the domain root also return a search continuation
    reference "ldaps://example.test/CN=Configuration,DC=example,DC=test" (as real AD
    does): a client must not chase referrals.
  * the Kerberos KDC answers a disabled account with KDC_ERR_CLIENT_REVOKED (kinit:
    "Client's credentials have been revoked") and a wrong password with
    KDC_ERR_PREAUTH_FAILED ("Password incorrect").

Command line (used by the C++ tests through QProcess):

    python3 sambadc.py [--address 127.0.0.88] [--keytab smtp/mail.example.test]
                       [--stop-on-eof] [--check]

prints one line "ready <json>" (the keys of SambaDC.info(), plus "keytab" when asked)
once LDAPS and the KDC answer and the users exist, then serves until SIGTERM/SIGINT
(or, with --stop-on-eof, until its standard input closes). With --stop-on-eof every
line written to its standard input is a JSON array command, answered with one line
"ok <json>" or "error <text>":
    ["disable_user", "alice"]  ["enable_user", "alice"]  ["set_password", "bob", "New-Pass-1"]
    ["expire_password", "bob"]  ["add_member", "Helpdesk", "bob"]
    ["remove_member", "Relay senders", "alice"]  ["export_keytab", "smtp/x.example.test", "/tmp/k"]
    ["kinit", "alice", "password"]
--check runs the probes above and prints what the DC answered, then stops.
"""

import argparse
import atexit
import base64
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

SAMBA = os.environ.get("RELAYDESK_SAMBA", "/usr/sbin/samba")
SAMBA_TOOL = os.environ.get("RELAYDESK_SAMBA_TOOL", "/usr/bin/samba-tool")
LDAPSEARCH = "/usr/bin/ldapsearch"
LDAPMODIFY = "/usr/bin/ldapmodify"
KINIT = "/usr/bin/kinit"
OPENSSL = "/usr/bin/openssl"
SCHEMA_FILE = "/usr/share/samba/setup/ad-schema/AD_DS_Attributes__Windows_Server_2012_R2.ldf"

DEFAULT_ADDRESSES = ["127.0.0.%d" % n for n in range(88, 98)]
TCP_PORTS = (389, 636, 3268, 3269, 88, 464)
UDP_PORTS = (88, 464)

ADMIN_PASSWORD = "Domain-Admin-Pass-1"

# name -> attributes; passwords satisfy AD complexity even though it is switched off.
USERS = {
    "svc-relay": {"password": "Relay-Bind-Secret-5", "given": "Relay", "sn": "Service",
                  "enctypes": 24},   # AES128 | AES256: keytabs and service tickets use AES, not RC4
    "alice": {"password": "Rabbit-Hole-1", "given": "Alice", "sn": "Jones",
              "mail": "alice@example.test",
              "proxy": ["SMTP:alice@example.test", "smtp:a.jones@example.test"]},
    "bob": {"password": "Tractor-Red-2", "given": "Bob", "sn": "Smith", "mail": "bob@example.test"},
    "carol": {"password": "Winter-Song-3", "given": "Carol", "sn": "White",
              "mail": "carol@example.test", "disabled": True},
    "dave": {"password": "Ticket-Queue-4", "given": "Dave", "sn": "Brown", "mail": "dave@example.test"},
}
GROUPS = [("Helpdesk", ["dave"]), ("Relay senders", ["alice", "Helpdesk"])]

UF_ACCOUNTDISABLE = 0x2
UF_NORMAL_ACCOUNT = 0x200


class SambaError(RuntimeError):
    pass


class KinitError(SambaError):
    """kinit failed; .message is kinit's own text (e.g. "... Password incorrect ...")."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _tail(text, lines=40):
    return "\n".join(text.splitlines()[-lines:])


def _run(argv, timeout=120, env=None, input_text=None, what=None):
    """Runs a tool; returns its CompletedProcess or raises SambaError with its output."""
    try:
        p = subprocess.run(argv, input=input_text, capture_output=True, text=True,
                           timeout=timeout, env=env, stdin=None if input_text is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise SambaError("%s timed out after %ds:\n%s%s" % (what or argv[0], timeout,
                                                         _tail(e.stdout or ""), _tail(e.stderr or "")))
    if p.returncode != 0:
        raise SambaError("%s failed (exit %d):\n%s\n%s" % (what or " ".join(argv[:3]), p.returncode,
                                                         _tail(p.stdout), _tail(p.stderr)))
    return p


def _ports_free(address):
    socks = []
    try:
        for port in TCP_PORTS:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(s)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((address, port))
        for port in UDP_PORTS:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(s)
            s.bind((address, port))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


def _unicode_pwd(password):
    return base64.b64encode(('"%s"' % password).encode("utf-16-le")).decode("ascii")


def parse_ldif(text):
    """ldapsearch -LLL -o ldif-wrap=no output -> [(dn, {attr_lower: [values]})]."""
    entries, dn, attrs = [], None, {}
    for line in text.splitlines() + [""]:
        if not line.strip():
            if dn is not None:
                entries.append((dn, attrs))
            dn, attrs = None, {}
            continue
        if line.startswith("#") or ":" not in line:
            continue
        name, _, value = line.partition(":")
        if value.startswith(":"):
            value = base64.b64decode(value[1:].strip()).decode("utf-8", "replace")
        else:
            value = value.strip()
        if name.lower() == "dn":
            dn = value
        else:
            attrs.setdefault(name.lower(), []).append(value)
    return entries


# ---------------------------------------------------------------------------------------
# Provisioning template (samba-tool domain provision is the slow part: 10-20 s)

_template_lock = threading.Lock()
_process_templates = {}


def _provision_args(realm, domain, host_name):
    return ["--realm=" + realm, "--domain=" + domain, "--host-name=" + host_name,
            "--server-role=dc", "--dns-backend=NONE", "--use-rfc2307",
            "--adminpass=" + ADMIN_PASSWORD, "--host-ip=127.0.0.1",
            "--option=interfaces=127.0.0.1/8", "--option=bind interfaces only = yes"]


def _provision_into(folder, realm, domain, host_name, timeout):
    os.makedirs(folder, exist_ok=True)
    _run([SAMBA_TOOL, "domain", "provision", "--targetdir=" + folder, "--quiet"]
         + _provision_args(realm, domain, host_name), timeout=timeout, what="samba-tool domain provision")


def _template(realm, domain, host_name, timeout):
    """A provisioned folder to copy (made once per process, or kept in RELAYDESK_SAMBADC_TEMPLATE)."""
    stamp = "|".join("%s:%s" % (f, os.path.getmtime(f)) for f in (SAMBA, SAMBA_TOOL, SCHEMA_FILE))
    key = hashlib.sha256(("%s|%s|%s|%s|%s" % (realm, domain, host_name, stamp,
                                              " ".join(_provision_args(realm, domain, host_name))))
                         .encode()).hexdigest()[:16]   # a Samba upgrade makes a new template
    with _template_lock:
        shared = os.environ.get("RELAYDESK_SAMBADC_TEMPLATE")
        if shared:
            folder = os.path.join(shared, key)
            os.makedirs(shared, exist_ok=True)
            with open(os.path.join(shared, ".lock"), "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)   # another process may be provisioning it
                if not os.path.exists(os.path.join(folder, "done")):
                    shutil.rmtree(folder, ignore_errors=True)
                    _provision_into(folder, realm, domain, host_name, timeout)
                    open(os.path.join(folder, "done"), "w").close()
            return folder
        folder = _process_templates.get(key)
        if folder and os.path.exists(os.path.join(folder, "done")):
            return folder
        base = tempfile.mkdtemp(prefix="rd-sambadc-template-")
        atexit.register(shutil.rmtree, base, True)
        folder = os.path.join(base, "t")
        _provision_into(folder, realm, domain, host_name, timeout)
        open(os.path.join(folder, "done"), "w").close()
        _process_templates[key] = folder
        return folder


# ---------------------------------------------------------------------------------------

class SambaDC:
    """A Samba AD DC on one loopback address with the test users and groups."""

    def __init__(self, address=None, realm="EXAMPLE.TEST", domain="EXAMPLE", host_name="dc1",
                 create_users=True, use_template=True, smb_options=None,
                 provision_timeout=240.0, start_timeout=60.0):
        self.realm = realm.upper()
        self.dns_domain = realm.lower()
        self.domain = domain.upper()           # NetBIOS domain name
        self.host_name = host_name.lower()
        self.hostname = "%s.%s" % (self.host_name, self.dns_domain)   # the name in the TLS certificate
        self.base_dn = ",".join("DC=" + p for p in self.dns_domain.split("."))
        self.users_dn = "CN=Users," + self.base_dn
        self.admin_dn = "CN=Administrator," + self.users_dn
        self.admin_password = ADMIN_PASSWORD
        self.service_user = "svc-relay"
        self.service_dn = self.user_dn(self.service_user)
        self.service_password = USERS[self.service_user]["password"]
        self.passwords = {name: u["password"] for name, u in USERS.items()} if create_users else {}
        self.relay_group_dn = self.group_dn("Relay senders")
        self._fixed_address = address
        self.host = address
        self.create_users = create_users
        self.use_template = use_template
        self.smb_options = dict(smb_options or {})
        self.provision_timeout = provision_timeout
        self.start_timeout = start_timeout
        self.dir = None
        self.proc = None
        self.timings = {}
        self._ccache_n = 0

    # -- names ---------------------------------------------------------------------------
    def user_dn(self, name):
        return "CN=%s,%s" % (name, self.users_dn)

    def group_dn(self, name):
        return "CN=%s,%s" % (name, self.users_dn)

    def upn(self, name):
        return "%s@%s" % (name, self.dns_domain)

    @property
    def ldap_uri(self):
        return "ldap://%s" % self.host

    @property
    def ldaps_uri(self):
        return "ldaps://%s" % self.host

    @property
    def ldap_port(self):
        return 389

    @property
    def ldaps_port(self):
        return 636

    @property
    def kdc_port(self):
        return 88

    @property
    def ca_file(self):
        return os.path.join(self.dir, "tls", "ca.pem") if self.dir else None

    @property
    def krb5_conf(self):
        return os.path.join(self.dir, "krb5.conf") if self.dir else None

    @property
    def smb_conf(self):
        return os.path.join(self.dir, "etc", "smb.conf") if self.dir else None

    @property
    def log_path(self):
        return os.path.join(self.dir, "samba.log") if self.dir else None

    def client_env(self, base=None):
        """Environment for ldap-utils / MIT krb5 clients talking to this DC."""
        env = dict(os.environ if base is None else base)
        env["LDAPTLS_CACERT"] = self.ca_file
        env["LDAPTLS_REQCERT"] = "demand"
        env["KRB5_CONFIG"] = self.krb5_conf
        env.pop("LDAPTLS_CACERTDIR", None)
        return env

    def info(self):
        return {
            "host": self.host, "hostname": self.hostname,
            "ldap_uri": self.ldap_uri, "ldaps_uri": self.ldaps_uri,
            "ldap_port": self.ldap_port, "ldaps_port": self.ldaps_port, "kdc_port": self.kdc_port,
            "base_dn": self.base_dn, "users_dn": self.users_dn,
            "service_dn": self.service_dn, "service_upn": self.upn(self.service_user),
            "service_password": self.service_password,
            "admin_dn": self.admin_dn, "admin_password": self.admin_password,
            "ca_file": self.ca_file, "realm": self.realm, "domain": self.domain,
            "krb5_conf": self.krb5_conf, "dir": self.dir, "log": self.log_path,
            "relay_group_dn": self.relay_group_dn,
            "groups": {name: self.group_dn(name) for name, _ in GROUPS} if self.create_users else {},
            "users": {name: {"dn": self.user_dn(name), "upn": self.upn(name), "password": pw,
                             "mail": USERS[name].get("mail"), "disabled": bool(USERS[name].get("disabled"))}
                      for name, pw in self.passwords.items()},
            "timings": self.timings,
        }

    # -- lifecycle -----------------------------------------------------------------------
    def log_text(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except (OSError, TypeError):
            return ""

    def _fail(self, message):
        log = _tail(self.log_text(), 40)
        return SambaError("%s\n--- tail of %s ---\n%s" % (message, self.log_path, log))

    def _check_tools(self):
        missing = [t for t in (SAMBA, SAMBA_TOOL, LDAPSEARCH, LDAPMODIFY, KINIT, OPENSSL) if not os.path.exists(t)]
        if missing:
            raise SambaError("missing %s (apt-get install samba samba-dsdb-modules samba-ad-provision "
                             "ldap-utils krb5-user openssl)" % ", ".join(missing))
        if not os.path.exists(SCHEMA_FILE):
            raise SambaError("%s missing (apt-get install samba-ad-provision)" % SCHEMA_FILE)
        if os.geteuid() != 0:
            raise SambaError("SambaDC needs root: Samba binds the AD ports 389/636/88/464")

    def _candidates(self):
        if self._fixed_address:
            return [self._fixed_address]
        return [a for a in DEFAULT_ADDRESSES if _ports_free(a)][:3]

    def start(self):
        self._check_tools()
        t0 = time.monotonic()
        self.dir = tempfile.mkdtemp(prefix="rd-sambadc-")
        try:
            if self.use_template:
                tmpl = _template(self.realm, self.domain, self.host_name, self.provision_timeout)
                self.timings["provision"] = round(time.monotonic() - t0, 2)
                t = time.monotonic()
                for name in ("private", "state"):
                    shutil.copytree(os.path.join(tmpl, name), os.path.join(self.dir, name), symlinks=True)
                self.timings["copy"] = round(time.monotonic() - t, 2)
            else:
                _provision_into(self.dir, self.realm, self.domain, self.host_name, self.provision_timeout)
                self.timings["provision"] = round(time.monotonic() - t0, 2)
            for sub in ("etc", "run", "cache", "bind-dns", "tls"):
                os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
            candidates = self._candidates()
            if not candidates:
                raise SambaError("no address among %s has the AD ports %s free"
                                 % (", ".join(DEFAULT_ADDRESSES), ", ".join(map(str, TCP_PORTS))))
            last = None
            for address in candidates:
                self.host = address
                try:
                    self._start_on(address)
                    last = None
                    break
                except SambaError as e:
                    last = e
                    self._kill_proc()
            if last is not None:
                raise last
            if self.create_users:
                t = time.monotonic()
                self._create_directory()
                self.timings["users"] = round(time.monotonic() - t, 2)
            self.timings["total"] = round(time.monotonic() - t0, 2)
            return self
        except BaseException:
            self.stop()
            raise

    def _write_tls(self):
        d = os.path.join(self.dir, "tls")
        if os.path.exists(os.path.join(d, "cert.pem")):
            os.remove(os.path.join(d, "cert.pem"))
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        for argv in (
            [OPENSSL, "req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "30",
             "-subj", "/O=RelayDesk tests/CN=Samba AD test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            [OPENSSL, "req"] + ec + ["-keyout", "key.pem", "-out", "dc.csr", "-subj", "/CN=" + self.hostname],
        ):
            p = subprocess.run(argv, cwd=d, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
            if p.returncode != 0:
                raise SambaError("openssl failed: %s" % p.stderr)
        with open(os.path.join(d, "dc.ext"), "w") as f:
            f.write("subjectAltName=DNS:%s,DNS:%s,IP:%s\nextendedKeyUsage=serverAuth,clientAuth\n"
                    "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                    % (self.hostname, self.dns_domain, self.host))
        p = subprocess.run([OPENSSL, "x509", "-req", "-in", "dc.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                            "-CAcreateserial", "-days", "30", "-extfile", "dc.ext", "-out", "cert.pem"],
                           cwd=d, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            raise SambaError("openssl failed: %s" % p.stderr)
        os.chmod(os.path.join(d, "key.pem"), 0o600)   # Samba refuses a key file others can read

    def _write_conf(self, address):
        d = self.dir
        opts = [
            ("netbios name", self.host_name.upper()),
            ("realm", self.realm),
            ("workgroup", self.domain),
            ("server role", "active directory domain controller"),
            ("server services", "ldap, kdc"),
            ("interfaces", "%s/8" % address),   # /8: an address of lo's 127.0.0.0/8, no alias needed
            ("bind interfaces only", "yes"),
            ("private dir", d + "/private"),
            ("lock directory", d),
            ("state directory", d + "/state"),
            ("cache directory", d + "/cache"),
            ("binddns dir", d + "/bind-dns"),
            ("pid directory", d + "/run"),
            ("ncalrpc dir", d + "/run/ncalrpc"),
            ("winbindd socket directory", d + "/run/winbindd"),
            ("ntp signd socket directory", d + "/run/ntp_signd"),
            ("log file", d + "/samba.log"),
            ("logging", "file"),
            ("panic action", ""),
            ("idmap_ldb:use rfc2307", "yes"),
            ("tls enabled", "yes"),
            ("tls keyfile", d + "/tls/key.pem"),
            ("tls certfile", d + "/tls/cert.pem"),
            ("tls cafile", d + "/tls/ca.pem"),
        ]
        merged = dict(opts)
        merged.update(self.smb_options)
        with open(self.smb_conf, "w") as f:
            f.write("[global]\n" + "".join("\t%s = %s\n" % kv for kv in merged.items()))
        with open(self.krb5_conf, "w") as f:
            f.write("[libdefaults]\n"
                    "\tdefault_realm = %(realm)s\n"
                    "\tdns_lookup_realm = false\n"
                    "\tdns_lookup_kdc = false\n"
                    "\trdns = false\n"
                    "\tdns_canonicalize_hostname = false\n"
                    "\tudp_preference_limit = 0\n"
                    "[realms]\n"
                    "\t%(realm)s = {\n"
                    "\t\tkdc = %(addr)s:88\n"
                    "\t\tadmin_server = %(addr)s:464\n"
                    "\t\tkpasswd_server = %(addr)s:464\n"
                    "\t}\n"
                    "[domain_realm]\n"
                    "\t.%(dom)s = %(realm)s\n"
                    "\t%(dom)s = %(realm)s\n" % {"realm": self.realm, "addr": address, "dom": self.dns_domain})

    def _start_on(self, address):
        t = time.monotonic()
        self._write_tls()
        self._write_conf(address)
        self._launch()
        self._wait_ready(t)

    def _launch(self):
        log = open(self.log_path, "a")
        try:
            # -i: foreground, log to stdout, and exit when stdin closes: the pipe we hold
            # means samba dies with this process even if nothing else stops it.
            self.proc = subprocess.Popen([SAMBA, "-i", "-M", "single", "-s", self.smb_conf],
                                         stdin=subprocess.PIPE, stdout=log, stderr=log,
                                         start_new_session=True, cwd=self.dir)
        finally:
            log.close()

    def _ldaps_answers(self):
        ctx = ssl.create_default_context(cafile=self.ca_file)
        try:
            with socket.create_connection((self.host, 636), timeout=1) as raw:
                with ctx.wrap_socket(raw, server_hostname=self.host) as s:
                    # LDAP SearchRequest for the rootDSE attribute defaultNamingContext, messageID 1.
                    attr = b"defaultNamingContext"
                    filt = b"\x87\x0bobjectClass"                 # (objectClass=*)
                    attrs = b"\x30" + bytes([len(attr) + 2]) + b"\x04" + bytes([len(attr)]) + attr
                    body = (b"\x04\x00" + b"\x0a\x01\x00" + b"\x0a\x01\x00" + b"\x02\x01\x00" +
                            b"\x02\x01\x00" + b"\x01\x01\x00" + filt + attrs)
                    req = b"\x63" + bytes([len(body)]) + body
                    msg = b"\x02\x01\x01" + req
                    s.sendall(b"\x30" + bytes([len(msg)]) + msg)
                    s.settimeout(2)
                    data = b""
                    while self.base_dn.encode() not in data and len(data) < 65536:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    return self.base_dn.encode() in data
        except (OSError, ssl.SSLError):
            return False

    def _kdc_answers(self):
        try:
            with socket.create_connection((self.host, 88), timeout=1):
                return True
        except OSError:
            return False

    def _wait_ready(self, t0):
        deadline = t0 + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise self._fail("samba exited with status %s while starting on %s"
                                 % (self.proc.returncode, self.host))
            if self._ldaps_answers() and self._kdc_answers():
                self.timings["start"] = round(time.monotonic() - t0, 2)
                return
            time.sleep(0.1)
        raise self._fail("samba did not answer LDAPS on %s:636 and Kerberos on :88 within %ds"
                         % (self.host, self.start_timeout))

    def _kill_proc(self, sig=signal.SIGTERM, wait=15):
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            try:
                proc.send_signal(sig)
            except OSError:
                pass
            try:
                proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)   # our own session only
                except OSError:
                    pass
                proc.wait(timeout=10)
        if proc.stdin:
            try:
                proc.stdin.close()
            except OSError:
                pass

    def kill(self):
        """Kills samba at once (SIGKILL), as a crash would; the folder stays for restart()."""
        self._kill_proc(signal.SIGKILL)

    def restart(self):
        """Starts samba again on the same folder and address (after kill() or a crash)."""
        self._kill_proc()
        self._launch()
        self._wait_ready(time.monotonic())
        return self

    def stop(self):
        """Stops samba and removes the temp folder. Safe to call twice."""
        self._kill_proc()
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

    # -- LDAP (as Administrator over LDAPS, through ldap-utils) ---------------------------
    def ldap_modify(self, ldif, bind_dn=None, password=None):
        _run([LDAPMODIFY, "-H", self.ldaps_uri, "-x", "-D", bind_dn or self.admin_dn,
              "-w", password or self.admin_password], input_text=ldif, env=self.client_env(),
             timeout=60, what="ldapmodify")

    def search(self, filt, attrs=(), base=None, scope="sub", bind_dn=None, password=None):
        """[(dn, {attr_lower: [values]})]; continuation references are left out."""
        p = _run([LDAPSEARCH, "-LLL", "-o", "ldif-wrap=no", "-H", self.ldaps_uri, "-x",
                  "-D", bind_dn or self.admin_dn, "-w", password or self.admin_password,
                  "-b", base or self.base_dn, "-s", scope, filt] + list(attrs),
                 env=self.client_env(), timeout=60, what="ldapsearch")
        return parse_ldif(p.stdout)

    def bind_result(self, bind_dn, password, uri=None, starttls=False):
        """(ok, diagnostic text) of a simple bind: ldapsearch's rootDSE read after binding."""
        argv = [LDAPSEARCH, "-LLL", "-H", uri or self.ldaps_uri, "-x", "-D", bind_dn, "-w", password,
                "-b", "", "-s", "base", "dnsHostName"]
        if starttls:
            argv.insert(2, "-ZZ")
        p = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=self.client_env(),
                           stdin=subprocess.DEVNULL)
        return p.returncode == 0, (p.stderr.strip() or p.stdout.strip())

    def dn_of(self, sam_account_name):
        found = self.search("(sAMAccountName=%s)" % sam_account_name, ["dn"])
        if not found:
            raise SambaError("no object with sAMAccountName=%s" % sam_account_name)
        return found[0][0]

    def _create_directory(self):
        parts = ["dn: %s\nchangetype: modify\n"
                 "replace: pwdProperties\npwdProperties: 0\n-\n"
                 "replace: minPwdLength\nminPwdLength: 0\n-\n"
                 "replace: minPwdAge\nminPwdAge: 0\n-\n"
                 "replace: lockoutThreshold\nlockoutThreshold: 0\n-\n" % self.base_dn]
        for name, u in USERS.items():
            lines = ["dn: %s" % self.user_dn(name), "changetype: add", "objectClass: user",
                     "sAMAccountName: %s" % name, "userPrincipalName: %s" % self.upn(name),
                     "givenName: %s" % u["given"], "sn: %s" % u["sn"],
                     "displayName: %s %s" % (u["given"], u["sn"]),
                     "unicodePwd:: %s" % _unicode_pwd(u["password"]),
                     "userAccountControl: %d" % (UF_NORMAL_ACCOUNT | (UF_ACCOUNTDISABLE if u.get("disabled") else 0))]
            if u.get("mail"):
                lines.append("mail: %s" % u["mail"])
            for addr in u.get("proxy", ()):
                lines.append("proxyAddresses: %s" % addr)
            if u.get("enctypes"):
                lines.append("msDS-SupportedEncryptionTypes: %d" % u["enctypes"])
            parts.append("\n".join(lines) + "\n")
        for group, members in GROUPS:
            lines = ["dn: %s" % self.group_dn(group), "changetype: add", "objectClass: group",
                     "sAMAccountName: %s" % group]
            lines += ["member: %s" % self.user_dn(m) for m in members]   # groups share CN=Users
            parts.append("\n".join(lines) + "\n")
        self.ldap_modify("\n".join(parts))

    def add_user(self, name, password, mail=None, proxy_addresses=(), disabled=False, groups=()):
        lines = ["dn: %s" % self.user_dn(name), "changetype: add", "objectClass: user",
                 "sAMAccountName: %s" % name, "userPrincipalName: %s" % self.upn(name),
                 "unicodePwd:: %s" % _unicode_pwd(password),
                 "userAccountControl: %d" % (UF_NORMAL_ACCOUNT | (UF_ACCOUNTDISABLE if disabled else 0))]
        if mail:
            lines.append("mail: %s" % mail)
        lines += ["proxyAddresses: %s" % a for a in proxy_addresses]
        self.ldap_modify("\n".join(lines) + "\n")
        self.passwords[name] = password
        for g in groups:
            self.add_member(g, name)
        return self.user_dn(name)

    def _uac(self, dn):
        found = self.search("(objectClass=*)", ["userAccountControl"], base=dn, scope="base")
        return int(found[0][1]["useraccountcontrol"][0])

    def _set_uac(self, name, set_bits=0, clear_bits=0):
        dn = self.dn_of(name)
        uac = (self._uac(dn) | set_bits) & ~clear_bits
        self.ldap_modify("dn: %s\nchangetype: modify\nreplace: userAccountControl\n"
                         "userAccountControl: %d\n-\n" % (dn, uac))
        return uac

    def disable_user(self, name):
        return self._set_uac(name, set_bits=UF_ACCOUNTDISABLE)

    def enable_user(self, name):
        return self._set_uac(name, clear_bits=UF_ACCOUNTDISABLE)

    def set_password(self, name, password):
        self.ldap_modify("dn: %s\nchangetype: modify\nreplace: unicodePwd\nunicodePwd:: %s\n-\n"
                         % (self.dn_of(name), _unicode_pwd(password)))
        self.passwords[name] = password

    def expire_password(self, name):
        """pwdLastSet=0: the user must change the password (LDAP bind: "data 773")."""
        self.ldap_modify("dn: %s\nchangetype: modify\nreplace: pwdLastSet\npwdLastSet: 0\n-\n"
                         % self.dn_of(name))

    def _member_change(self, op, group, member):
        self.ldap_modify("dn: %s\nchangetype: modify\n%s: member\nmember: %s\n-\n"
                         % (self.dn_of(group), op, self.dn_of(member)))

    def add_member(self, group, member):
        """Adds `member` (a user's or group's sAMAccountName) to `group` (sAMAccountName)."""
        self._member_change("add", group, member)

    def remove_member(self, group, member):
        self._member_change("delete", group, member)

    # -- Kerberos --------------------------------------------------------------------------
    def kinit(self, user, password, ccache=None):
        """Gets a TGT for `user` (realm added when missing) into a new file ccache; returns its
        path. Raises KinitError with kinit's message when the KDC says no."""
        principal = user if "@" in user else "%s@%s" % (user, self.realm)
        if ccache is None:
            self._ccache_n += 1
            ccache = os.path.join(self.dir, "ccache-%d" % self._ccache_n)
        env = self.client_env()
        env["KRB5CCNAME"] = "FILE:" + ccache
        p = subprocess.run([KINIT, principal], input=password + "\n", capture_output=True, text=True,
                           timeout=30, env=env)
        if p.returncode != 0:
            raise KinitError((p.stderr.strip() or p.stdout.strip()).splitlines()[-1])
        return ccache

    def add_spn(self, spn, account="svc-relay"):
        """Adds a servicePrincipalName to `account` unless it is there already."""
        if self.search("(servicePrincipalName=%s)" % spn, ["dn"]):
            return
        self.ldap_modify("dn: %s\nchangetype: modify\nadd: servicePrincipalName\nservicePrincipalName: %s\n-\n"
                         % (self.dn_of(account), spn))

    def export_keytab(self, principal, path, account="svc-relay"):
        """Writes a keytab for `principal` (an SPN such as smtp/mail.example.test, added to
        `account` first when no account has it; or an account name). AES keys only, because
        the account's msDS-SupportedEncryptionTypes is 24. Returns `path`."""
        name = principal.split("@")[0]
        if "/" in name:
            self.add_spn(name, account)
        if os.path.exists(path):
            os.remove(path)   # samba-tool adds to an existing keytab
        _run([SAMBA_TOOL, "domain", "exportkeytab", path, "--principal=" + name, "-s", self.smb_conf],
             timeout=120, what="samba-tool domain exportkeytab")
        if not os.path.exists(path):
            raise SambaError("samba-tool wrote no keytab for %s (no such principal?)" % name)
        return path

    # -- what the DC answers (the facts in this module's docstring) ------------------------
    def check(self):
        """Probes the DC and returns what it answered. Changes the directory on the way: adds
        user erin (password expired), exports a keytab for smtp/mail.<domain>; bob and the
        "Relay senders" members are put back as they were."""
        out = {}
        svc = dict(bind_dn=self.service_dn, password=self.service_password)
        f = "(|(sAMAccountName=alice)(userPrincipalName=alice@%s)(mail=alice@%s))" % (self.dns_domain, self.dns_domain)
        out["alice_lookup"] = [(dn, a.get("proxyaddresses")) for dn, a in self.search(f, ["proxyAddresses"], **svc)]
        chain = "(memberOf:1.2.840.113556.1.4.1941:=%s)" % self.relay_group_dn
        out["in_chain"] = [dn for dn, _ in self.search(chain, ["dn"], **svc)]
        out["in_chain_dave_base"] = [dn for dn, _ in self.search(chain, ["dn"], base=self.user_dn("dave"), scope="base", **svc)]
        out["in_chain_bob_base"] = [dn for dn, _ in self.search(chain, ["dn"], base=self.user_dn("bob"), scope="base", **svc)]
        for name in ("alice", "carol"):
            a = self.search("(sAMAccountName=%s)" % name, ["userAccountControl", "msDS-User-Account-Control-Computed"], **svc)[0][1]
            out["uac_" + name] = (a.get("useraccountcontrol"), a.get("msds-user-account-control-computed"))
        out["bind_alice_upn"] = self.bind_result(self.upn("alice"), self.passwords["alice"])
        out["bind_alice_netbios"] = self.bind_result("%s\\alice" % self.domain, self.passwords["alice"])
        out["bind_alice_wrong"] = self.bind_result(self.user_dn("alice"), "wrong")
        out["bind_alice_empty"] = self.bind_result(self.user_dn("alice"), "")
        out["bind_carol"] = self.bind_result(self.user_dn("carol"), self.passwords["carol"])
        out["bind_unknown"] = self.bind_result("nobody@" + self.dns_domain, "x")
        out["bind_plain_ldap"] = self.bind_result(self.user_dn("alice"), self.passwords["alice"], uri=self.ldap_uri)
        out["bind_starttls"] = self.bind_result(self.user_dn("alice"), self.passwords["alice"], uri=self.ldap_uri, starttls=True)
        out["bind_hostname_verify_ip"] = self.bind_result(self.service_dn, self.service_password)
        for name, pw in (("alice", self.passwords["alice"]), ("carol", self.passwords["carol"]), ("alice-wrong", "nope")):
            try:
                self.kinit(name.split("-")[0], pw)
                out["kinit_" + name] = "ok"
            except KinitError as e:
                out["kinit_" + name] = e.message
        kt = os.path.join(self.dir, "check.keytab")
        self.export_keytab("smtp/mail.%s" % self.dns_domain, kt)
        out["keytab"] = subprocess.run(["klist", "-ke", kt], capture_output=True, text=True).stdout.strip().splitlines()[3:]
        env = self.client_env()
        env["KRB5CCNAME"] = "FILE:" + self.kinit("alice", self.passwords["alice"])
        p = subprocess.run(["kvno", "-k", kt, "smtp/mail.%s" % self.dns_domain], capture_output=True, text=True, env=env)
        out["kvno_keytab"] = (p.stdout + p.stderr).strip()
        self.add_user("erin", "Expiring-Pass-5", mail="erin@" + self.dns_domain)
        self.expire_password("erin")
        out["bind_expired"] = self.bind_result(self.user_dn("erin"), "Expiring-Pass-5")
        a = self.search("(sAMAccountName=erin)", ["msDS-User-Account-Control-Computed"])[0][1]
        out["uac_computed_expired"] = a.get("msds-user-account-control-computed")
        self.disable_user("bob")
        out["bind_bob_disabled"] = self.bind_result(self.user_dn("bob"), self.passwords["bob"])
        self.enable_user("bob")
        self.remove_member("Relay senders", "Helpdesk")
        out["in_chain_after_remove"] = [dn for dn, _ in self.search(chain, ["dn"], **svc)]
        self.add_member("Relay senders", "Helpdesk")
        return out


def _main(argv):
    ap = argparse.ArgumentParser(description="Run a Samba AD domain controller on a loopback address.")
    ap.add_argument("--address", default=None, help="127.0.0.x to listen on (default: 127.0.0.88 or the next free)")
    ap.add_argument("--keytab", action="append", default=[], metavar="SPN",
                    help="export a keytab for this SPN (added to svc-relay) into the temp folder")
    ap.add_argument("--no-template", action="store_true", help="provision afresh instead of copying a template")
    ap.add_argument("--stop-on-eof", action="store_true", help="stop when stdin closes; stdin lines are commands")
    ap.add_argument("--check", action="store_true", help="probe the DC, print what it answered, stop")
    args = ap.parse_args(argv)

    dc = SambaDC(address=args.address, use_template=not args.no_template)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        dc.start()
    except SambaError as e:
        sys.stderr.write("sambadc: %s\n" % e)
        return 1
    try:
        info = dc.info()
        if args.keytab:
            info["keytab"] = {}
            for spn in args.keytab:
                path = os.path.join(dc.dir, spn.replace("/", "_") + ".keytab")
                info["keytab"][spn] = dc.export_keytab(spn, path)
        if args.check:
            t = time.monotonic()
            result = dc.check()
            result["check_seconds"] = round(time.monotonic() - t, 2)
            print(json.dumps({"info": info, "check": result}, indent=1))
            return 0
        sys.stdout.write("ready %s\n" % json.dumps(info))
        sys.stdout.flush()
        if args.stop_on_eof:
            commands = {"disable_user": dc.disable_user, "enable_user": dc.enable_user,
                        "set_password": dc.set_password, "expire_password": dc.expire_password,
                        "add_member": dc.add_member, "remove_member": dc.remove_member,
                        "export_keytab": dc.export_keytab, "kinit": dc.kinit, "add_user": dc.add_user}
            lock = threading.Lock()

            def watch_stdin():
                try:
                    for line in sys.stdin:
                        line = line.strip()
                        if not line:
                            continue
                        try:
                            cmd = json.loads(line)
                            if not isinstance(cmd, list) or not cmd or cmd[0] not in commands:
                                raise ValueError("unknown command %r (known: %s)" % (line, ", ".join(sorted(commands))))
                            result = commands[cmd[0]](*cmd[1:])
                            reply = "ok %s" % json.dumps(result)
                        except Exception as e:   # one line back whatever went wrong
                            reply = "error %s" % " | ".join(str(e).splitlines())
                        with lock:
                            sys.stdout.write(reply + "\n")
                            sys.stdout.flush()
                except (OSError, ValueError):
                    pass
                finally:
                    stop.set()
            threading.Thread(target=watch_stdin, daemon=True).start()
        while not stop.wait(0.2):
            if not dc.running():
                sys.stderr.write("sambadc: samba exited:\n%s\n" % _tail(dc.log_text()))
                return 1
    finally:
        dc.stop()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))

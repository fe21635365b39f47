"""A private PostgreSQL 15 on loopback for cluster-storage tests (Python stdlib only).

Needs postgresql-15 (/usr/lib/postgresql/15/bin), and `openssl` for tls=True (certificates
from slapdserver.make_certificates). Fresh initdb in a tempfile.mkdtemp() folder (data, unix
socket, log, certificates); as root every pg command runs as the `postgres` user (runuser).
Like a real deployment: rd_admin owns database relaydesk, rd_node owns nothing and gets
NODE_GRANTS from grant_node_role(); TCP from 127.0.0.0/8 with scram-sha-256 (hostssl only
when tls=True); the OS superuser uses the unix socket (peer).

    with PgServer(tls=True) as pg:           # conninfo(): sslmode=verify-full, pg.ca_file
        pg.psql("SELECT 1", role="node")     # psql's stdout; RuntimeError with its stderr
        pg.stop_server(); pg.start_server()  # clean outage (-m fast): same port, data kept
        pg.kill(); pg.start_server()         # crash: SIGKILL the postmaster, then recovery

Leaving the `with` (stop()) removes the folder unless env RD_KEEP_TMP is set.
Self-test: python3 pgserver.py [--tls]; for C++ tests: python3 pgserver.py --serve [--tls]
(prints the admin and node conninfo, runs until stdin closes).
"""

import atexit
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import free_port  # noqa: E402
from slapdserver import make_certificates  # noqa: E402

PG_BIN = os.environ.get("RELAYDESK_PG_BIN", "/usr/lib/postgresql/15/bin")
PSQL = os.path.join(PG_BIN, "psql") if os.path.exists(os.path.join(PG_BIN, "psql")) else "/usr/bin/psql"
CERT_HOSTS = ("127.0.0.1",)   # the IP SAN make_certificates writes into the server certificate
ADMIN_ROLE, NODE_ROLE, DBNAME = "rd_admin", "rd_node", "relaydesk"

# What a node needs, run by rd_admin in database relaydesk. For now nodes write the config
# too, hence INSERT/UPDATE/DELETE; the default privileges cover what rd_admin creates later.
NODE_GRANTS = """\
GRANT USAGE ON SCHEMA public TO rd_node;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO rd_node;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO rd_node;
ALTER DEFAULT PRIVILEGES FOR ROLE rd_admin IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO rd_node;
ALTER DEFAULT PRIVILEGES FOR ROLE rd_admin IN SCHEMA public GRANT USAGE ON SEQUENCES TO rd_node;
"""


def _stat(pid):
    """(state letter, parent pid) of a process from /proc; (None, None) once it is gone."""
    try:
        with open("/proc/%s/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return fields[0], int(fields[1])
    except (OSError, IndexError, ValueError):
        return None, None


class PgServer:
    def __init__(self, host="127.0.0.1", tls=False, start_timeout=30):
        if tls and host not in CERT_HOSTS:
            raise ValueError("tls=True needs host in %s (the test certificate's IP SAN)" % (CERT_HOSTS,))
        self.host, self.tls, self.start_timeout, self.dbname = host, bool(tls), int(start_timeout), DBNAME
        # Hex passwords: nothing to escape in URIs or SQL.
        self.admin_password, self.node_password, self.superuser_password = (secrets.token_hex(12)
                                                                            for _ in range(3))
        self.as_root = os.geteuid() == 0
        self.superuser = "postgres" if self.as_root else pwd.getpwuid(os.geteuid()).pw_name
        self.tmpdir = self.port = None
        self.startup_seconds = None   # start(): initdb + server up + roles and database made

    datadir = property(lambda self: os.path.join(self.tmpdir, "data"))
    log_file = property(lambda self: os.path.join(self.tmpdir, "postgres.log"))
    ca_file = property(lambda self: os.path.join(self.tmpdir, "ca.crt") if self.tls else None)
    other_ca_file = property(lambda self: os.path.join(self.tmpdir, "other-ca.crt") if self.tls else None)

    def conninfo(self, role="admin"):
        """libpq URI for role 'admin' (rd_admin) or 'node' (rd_node)."""
        user, password = {"admin": (ADMIN_ROLE, self.admin_password), "node": (NODE_ROLE, self.node_password)}[role]
        uri = "postgresql://%s:%s@%s:%d/%s" % (user, password, self.host, self.port, self.dbname)
        return uri + ("?sslmode=verify-full&sslrootcert=%s" % self.ca_file if self.tls else "")

    # ---- commands -----------------------------------------------------------------------

    def _run(self, args, input_text=None, timeout=60, as_server=True):
        """CompletedProcess (text) of a command, as `postgres` when root and as_server. The
        caller's PG* variables are dropped so that none can redirect a command."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.setdefault("LC_ALL", "C.UTF-8")
        if as_server and self.as_root:
            args = ["runuser", "-u", "postgres", "--"] + args
        return subprocess.run(args, input=input_text, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=None if input_text is not None else subprocess.DEVNULL,
                              text=True, timeout=timeout, env=env, cwd=self.tmpdir)

    def _pg_ctl(self, *args):
        return self._run([os.path.join(PG_BIN, "pg_ctl"), "-D", self.datadir] + list(args),
                         timeout=self.start_timeout + 15)

    def psql(self, sql, role="superuser", dbname=None, timeout=30):
        """stdout of `sql` (any number of statements; -A -t -q: bare rows, no command tags).
        role 'superuser': unix socket, database `dbname` (default relaydesk); 'admin' or
        'node': TCP through conninfo(role). Raises RuntimeError with psql's stderr."""
        args = [PSQL, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"]
        if role == "superuser":
            args += ["-h", self.tmpdir, "-p", str(self.port), "-U", self.superuser, "-d", dbname or self.dbname]
        else:
            args += ["-d", self.conninfo(role)]
        r = self._run(args, input_text=sql, timeout=timeout, as_server=role == "superuser")
        if r.returncode != 0:
            raise RuntimeError("psql as %s failed (exit %d): %s" % (role, r.returncode, r.stderr.strip()))
        return r.stdout

    def grant_node_role(self):
        """Applies NODE_GRANTS as rd_admin (the deployment's admin account, not a superuser)."""
        return self.psql(NODE_GRANTS, role="admin")

    # ---- setting up ---------------------------------------------------------------------

    def _chown(self, path):
        if self.as_root:
            os.chown(path, pwd.getpwnam("postgres").pw_uid, pwd.getpwnam("postgres").pw_gid)

    def _write(self, name, text, mode):
        """Writes tmpdir/name, owned by the server user."""
        path = os.path.join(self.tmpdir, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        self._chown(path)
        return path

    def _initdb(self):
        self.tmpdir = tempfile.mkdtemp(prefix="rd-pg-", dir="/tmp")
        os.chmod(self.tmpdir, 0o755)   # anyone may read ca_file; data/ stays 0700
        self._chown(self.tmpdir)
        pwfile = self._write("pwfile", self.superuser_password + "\n", 0o600)
        # --no-sync: initdb skips flushing the new cluster to disk (3.5 of 5 s on a busy
        # machine); that only matters if the OS crashes. The server itself keeps fsync on.
        r = self._run([os.path.join(PG_BIN, "initdb"), "-D", self.datadir, "-A", "scram-sha-256", "--pwfile",
                       pwfile, "-E", "UTF8", "--locale=C", "-U", self.superuser, "--no-sync"])
        os.unlink(pwfile)
        if r.returncode != 0:
            raise RuntimeError("initdb failed:\n%s%s" % (r.stdout, r.stderr))
        self._conf = ["listen_addresses = '%s'" % self.host, "unix_socket_directories = '%s'" % self.tmpdir,
                      "max_connections = 100", "fsync = on", "synchronous_commit = on", "full_page_writes = on",
                      "logging_collector = off",   # pg_ctl -l writes the log
                      "log_connections = on", "log_disconnections = on", "log_line_prefix = '%m [%p] %q%u@%d '"]
        method = "host"
        if self.tls:
            make_certificates(self.tmpdir)   # ca.crt, server.crt/.key, other-ca.crt (signed nothing)
            for name in os.listdir(self.tmpdir):
                if name != "data":
                    self._chown(os.path.join(self.tmpdir, name))
            os.chmod(os.path.join(self.tmpdir, "server.key"), 0o600)   # postgres insists
            self._conf += ["ssl = on", "ssl_cert_file = '%s/server.crt'" % self.tmpdir,
                           "ssl_key_file = '%s/server.key'" % self.tmpdir]
            method = "hostssl"               # a cleartext TCP connection matches no line
        with open(os.path.join(self.datadir, "postgresql.conf"), "a") as f:
            f.write("\n# tests/integration/pgserver.py: settings and port\ninclude = 'relaydesk.conf'\n")
        self._write("data/pg_hba.conf", "# tests/integration/pgserver.py: nothing else is accepted\n"
                    "local  all  %s  peer\n%s  all  all  127.0.0.0/8  scram-sha-256\n" % (self.superuser, method),
                    0o600)

    # ---- lifecycle ----------------------------------------------------------------------

    def start(self):
        """initdb, start on a free port (up to 3 ports if one is taken meanwhile), create
        rd_admin, rd_node and relaydesk. Returns self; on failure cleans up and raises."""
        if self.tmpdir is not None:           # already set up: only make sure it runs
            if self.postmaster_pid() is None:
                self.start_server()
            return self
        began = time.monotonic()
        atexit.register(self.stop)
        try:
            self._initdb()
            for attempt in range(3):
                self.port = free_port(self.host)
                self._write("data/relaydesk.conf", "\n".join(self._conf + ["port = %d" % self.port, ""]), 0o600)
                offset = os.path.getsize(self.log_file) if os.path.exists(self.log_file) else 0
                try:
                    self.start_server()
                    break
                except RuntimeError:
                    with open(self.log_file, errors="replace") as f:
                        f.seek(offset)
                        if "could not bind" not in f.read() or attempt == 2:
                            raise
            self.psql("CREATE ROLE %s LOGIN PASSWORD '%s';\nCREATE ROLE %s LOGIN PASSWORD '%s';\n"
                      "CREATE DATABASE %s OWNER %s;\n" % (ADMIN_ROLE, self.admin_password, NODE_ROLE,
                                                          self.node_password, DBNAME, ADMIN_ROLE), dbname="postgres")
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - began
        return self

    def start_server(self):
        """pg_ctl start -w: same port and data, after stop_server() or kill()."""
        r = self._pg_ctl("start", "-w", "-t", str(self.start_timeout), "-l", self.log_file)
        if r.returncode != 0:   # its output says little: the reason is in the log
            with open(self.log_file, errors="replace") as f:
                log = "".join(f.readlines()[-30:])
            raise RuntimeError("pg_ctl start on %s:%s failed:\n%s%s\n%s" % (self.host, self.port, r.stdout,
                                                                            r.stderr, log))

    def stop_server(self):
        """pg_ctl stop -m fast: a clean outage (sessions are ended), the data stays."""
        r = self._pg_ctl("stop", "-w", "-m", "fast")
        if r.returncode != 0:
            raise RuntimeError("pg_ctl stop failed:\n%s%s" % (r.stdout, r.stderr))

    def postmaster_pid(self):
        """The running postmaster's pid (from postmaster.pid), else None."""
        try:
            with open(os.path.join(self.datadir, "postmaster.pid")) as f:
                pid = int(f.readline())
        except (OSError, ValueError, TypeError):
            return None
        return pid if _stat(pid)[0] not in (None, "Z") else None

    def kill(self, timeout=10):
        """SIGKILL the postmaster (a crash); its children notice and exit by themselves. Waits
        until the postmaster is reaped (a new one refuses to start while the old pid exists,
        even as a zombie) and its children are gone (SIGKILL for them after `timeout`)."""
        pid = self.postmaster_pid()
        if pid is None:
            return
        children = [int(p) for p in os.listdir("/proc") if p.isdigit() and _stat(p)[1] == pid]
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + timeout
        while _stat(pid)[0] is not None or any(_stat(p)[0] not in (None, "Z") for p in children):
            if time.monotonic() > deadline + 10:
                raise RuntimeError("killed postmaster %d not reaped after %ds" % (pid, timeout + 10))
            for p in children if time.monotonic() > deadline else ():
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.05)

    def stop(self):
        """pg_ctl stop -m immediate, then remove the folder (kept if RD_KEEP_TMP is set).
        Safe after a failed start() and when called twice."""
        if self.tmpdir and self.postmaster_pid() is not None:
            try:
                if self._pg_ctl("stop", "-w", "-m", "immediate").returncode != 0:
                    self.kill()
            except subprocess.TimeoutExpired:
                self.kill()
        if self.tmpdir and not os.environ.get("RD_KEEP_TMP"):
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None
        atexit.unregister(self.stop)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


def self_test(tls):
    t0 = time.monotonic()
    with PgServer(tls=tls) as pg:
        print("started in %.2fs (tls=%s): %s" % (time.monotonic() - t0, tls, pg.conninfo()))
        print(pg.psql("SELECT version()", role="admin").strip())
        if tls:
            print("ssl:", pg.psql("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                                  role="admin").strip())
        pg.psql("CREATE TABLE kept (id serial PRIMARY KEY, v text); INSERT INTO kept (v) VALUES ('x');", role="admin")
        pg.grant_node_role()
        pg.psql("INSERT INTO kept (v) VALUES ('from node')", role="node")
        pg.stop_server()
        pg.start_server()
        rows = pg.psql("SELECT v FROM kept ORDER BY id", role="node").splitlines()
        assert rows == ["x", "from node"], rows
        pg.kill()
        pg.start_server()
        assert pg.psql("SELECT count(*) FROM kept", role="admin").strip() == "2"
        tmp = pg.tmpdir
    assert os.environ.get("RD_KEEP_TMP") or not os.path.exists(tmp)
    print("self-test passed (tls=%s)" % tls)


def serve():
    """For tests in other languages: start, print the admin conninfo (line 1) and the node
    conninfo (line 2), then run until standard input closes (the test ended or died)."""
    with PgServer(tls="--tls" in sys.argv[1:]) as pg:
        pg.grant_node_role()
        print(pg.conninfo("admin"))
        print(pg.conninfo("node"), flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    if "--serve" in sys.argv[1:]:
        serve()
    else:
        self_test("--tls" in sys.argv[1:])

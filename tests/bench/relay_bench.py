#!/usr/bin/python3
"""Relay benchmark: RelayDesk vs. a private Postfix vs. smtp-source -> smtp-sink directly.

    /usr/bin/python3 tests/bench/relay_bench.py            # full run (< 5 minutes), as root
    /usr/bin/python3 tests/bench/relay_bench.py --quick    # seconds; RelayDesk only (CI)

See docs/BENCHMARK.md for what each number means. Python 3 standard library only; needs
Postfix's smtp-source and smtp-sink (Debian package `postfix`), and root for the Postfix
relay (a private instance under a temp dir; the system's Postfix is never touched).

Progress goes to stderr; stdout gets the table and, as its last line, one JSON object.
Exit status: 0 ok; 1 a message was lost (sink count < accepted count after the timeout) or
refused (an error reply, or smtp-source still running after --phase-timeout); 2 setup
failure; 77 smtp-source/smtp-sink missing (skip). Slow figures never fail the run.
"""

import argparse
import json
import os
import pwd
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import smtp_probe  # noqa: E402
from harness import (READY_RE, LISTEN_FAILED_RE, clean_env, free_port,  # noqa: E402
                     port_listening)

SMTP_SOURCE = "/usr/sbin/smtp-source"
SMTP_SINK = "/usr/sbin/smtp-sink"
POSTFIX = "/usr/sbin/postfix"
MASTER_CF_DIST = "/usr/share/postfix/master.cf.dist"
LOOPBACK = "127.0.0.1"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
SENDER = "bench@source.example.test"
RCPT = "rcpt@sink.example.test"

# name, label, message payload bytes, recipients, smtp-source sessions, messages (full run),
# probe sessions (the latency probe holds this many sessions open)
WORKLOADS = [
    dict(name="4k_20s", label="4 KB, 1 rcpt, 20 sessions", size=4096, rcpts=1,
         sessions=20, count=3000, probe_sessions=4),
    dict(name="50k_20s", label="50 KB, 1 rcpt, 20 sessions", size=51200, rcpts=1,
         sessions=20, count=1000, probe_sessions=4),
    dict(name="4k_10r", label="4 KB, 10 rcpts, 20 sessions", size=4096, rcpts=10,
         sessions=20, count=1000, probe_sessions=4),
    dict(name="4k_1000s", label="4 KB, 1 rcpt, 1000 sessions", size=4096, rcpts=1,
         sessions=1000, count=3000, probe_sessions=1000),
]
QUICK_WORKLOAD = dict(name="quick_4k_20s", label="4 KB, 1 rcpt, 20 sessions (quick)",
                      size=4096, rcpts=1, sessions=20, count=500, probe_sessions=4)


def log(msg):
    sys.stderr.write("[bench %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


class SetupError(Exception):
    pass


# --------------------------------------------------------------------------- /proc helpers

def proc_stat(pid):
    """(utime, stime, cutime, cstime) in seconds, or None if the process is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # fields[0] is state (field 3); utime is field 14 -> index 11
    return tuple(int(x) / CLK_TCK for x in fields[11:15])


def proc_rss_kb(pid):
    try:
        with open("/proc/%d/statm" % pid) as f:
            return int(f.read().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0


def proc_status_kb(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def proc_pss_kb(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def proc_children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def machine_cpu():
    """(busy seconds, total seconds) summed over all CPUs, from /proc/stat."""
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    total = sum(parts[:8])
    return (total - idle) / CLK_TCK, total / CLK_TCK


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


class Sampler(threading.Thread):
    """Samples the summed RSS (and, less often, PSS) of pids_fn() every `interval` s."""

    def __init__(self, pids_fn, interval=0.1):
        super().__init__(daemon=True)
        self.pids_fn = pids_fn
        self.interval = interval
        self.peak_rss_kb = 0
        self.peak_pss_kb = 0
        self.peak_procs = 0
        self._halt = threading.Event()

    def sample(self, with_pss):
        pids = self.pids_fn()
        self.peak_procs = max(self.peak_procs, len(pids))
        self.peak_rss_kb = max(self.peak_rss_kb, sum(proc_rss_kb(p) for p in pids))
        if with_pss:
            self.peak_pss_kb = max(self.peak_pss_kb, sum(proc_pss_kb(p) for p in pids))

    def run(self):
        n = 0
        while not self._halt.is_set():
            self.sample(n % 5 == 0)
            n += 1
            self._halt.wait(self.interval)

    def stop(self):
        self.sample(True)
        self._halt.set()
        self.join(timeout=5)


# --------------------------------------------------------------------------- peers

def running_as_root():
    return os.geteuid() == 0


def stop_process(proc, sig=signal.SIGTERM, timeout=15, what="process"):
    """Signal our own child `proc` and wait (SIGKILL after timeout)."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        log("%s pid %d did not exit within %ss; SIGKILL" % (what, proc.pid, timeout))
        proc.kill()
        proc.wait(timeout=10)


class Sink:
    """smtp-sink -c (counters only, no dumps) on 127.0.0.1:<free port>."""

    def __init__(self, tmp, max_conn=2000):
        self.port = free_port()
        self.max_conn = max_conn
        self.out_path = os.path.join(tmp, "sink-%d.out" % self.port)
        self.proc = None
        self._out = None
        self._seen = 0

    def start(self, timeout=10):
        cmd = [SMTP_SINK, "-c", "-m", str(self.max_conn)]
        if running_as_root():
            cmd += ["-u", "postfix"]
        cmd += ["%s:%d" % (LOOPBACK, self.port), "1024"]
        self._out = open(self.out_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._out,
                                     stderr=subprocess.STDOUT, env=clean_env())
        deadline = time.monotonic() + timeout
        while not port_listening(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SetupError("smtp-sink did not listen on %d: %s" % (self.port, self.tail()))
            time.sleep(0.02)
        return self

    def tail(self, n=300):
        try:
            with open(self.out_path, "rb") as f:
                f.seek(max(0, os.path.getsize(self.out_path) - n))
                return f.read().decode("latin-1").replace("\r", "\n")
        except OSError:
            return ""

    def count(self):
        """Messages ("." received) so far, from the -c counter line."""
        try:
            with open(self.out_path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                f.seek(max(0, size - 200))
                data = f.read()
        except OSError:
            return self._seen
        found = re.findall(rb"mesg=(\d+)", data)
        if found:
            self._seen = max(self._seen, int(found[-1]))  # a half-written number is smaller
        return self._seen

    def cpu(self):
        st = proc_stat(self.proc.pid) if self.proc else None
        return (st[0] + st[1]) if st else 0.0

    def stop(self):
        stop_process(self.proc, timeout=10, what="smtp-sink")
        if self._out:
            self._out.close()
            self._out = None


class RelayDeskRelay:
    """relaydesk --headless with a fresh data dir, relaying everything to the sink."""

    name = "relaydesk"

    def __init__(self, binary, tmp, sink_port, nofile):
        self.binary = binary
        self.dir = tempfile.mkdtemp(dir=tmp, prefix="relaydesk-")
        self.port = free_port()
        self.nofile = nofile
        self.log_path = os.path.join(self.dir, "relay.log")
        self.config_path = os.path.join(self.dir, "config.json")
        config = {
            "format": "relaydesk-config",
            "version": 1,
            "settings": {
                "server.hostname": "relaydesk-bench.example.test",
                "delivery.smarthost": "%s:%d" % (LOOPBACK, sink_port),
                "smtp.max_sessions": 20000,
                "smtp.max_sessions_per_ip": 20000,
            },
            "listeners": [{
                "name": "bench", "address": LOOPBACK, "port": self.port,
                "relay_allow": ["127.0.0.0/8"], "relay_deny": [],
            }],
            "accepted_domains": [],
        }
        with open(self.config_path, "w") as f:
            json.dump(config, f, indent=2)
        self.proc = None
        self._log = None

    def start(self, timeout=30):
        cmd = ["prlimit", "--nofile=%d:%d" % (self.nofile, self.nofile), self.binary,
               "--headless", "--data-dir", os.path.join(self.dir, "data"),
               "--config", self.config_path]
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, env=clean_env(), cwd=self.dir)
        deadline = time.monotonic() + timeout
        while True:
            text = self.log_text(20000)
            if READY_RE.search(text):
                break
            if LISTEN_FAILED_RE.search(text) or self.proc.poll() is not None \
                    or time.monotonic() > deadline:
                self.stop()
                raise SetupError("relaydesk did not become ready on %d:\n%s" % (
                    self.port, self.log_text(3000)))
            time.sleep(0.05)
        return self

    def log_text(self, limit=3000):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read(limit) if limit > 5000 else f.read()[-limit:]
            return data.decode("utf-8", "replace")
        except OSError:
            return ""

    def pids(self):
        return [self.proc.pid] if self.proc and self.proc.poll() is None else []

    def cpu(self):
        st = proc_stat(self.proc.pid) if self.proc else None
        return sum(st) if st else 0.0

    def rss_kb(self):
        return proc_rss_kb(self.proc.pid)

    def hwm_kb(self):
        return proc_status_kb(self.proc.pid, "VmHWM")

    def stop(self):
        stop_process(self.proc, timeout=20, what="relaydesk")
        if self._log:
            self._log.close()
            self._log = None


class PostfixRelay:
    """A private Postfix (own config/queue/data dirs under tmp) relaying to the sink.

    Only ever driven with `postfix -c <our dir>`; the system's instance is never touched.
    Durability and concurrency settings stay at their defaults; services run without
    chroot (a chroot would need a copy of /etc inside the queue dir).
    """

    name = "postfix"

    def __init__(self, tmp, sink_port):
        self.dir = tempfile.mkdtemp(dir=tmp, prefix="postfix-")
        os.chmod(self.dir, 0o755)  # the postfix user must reach its queue and data dirs
        self.etc = os.path.join(self.dir, "etc")
        self.spool = os.path.join(self.dir, "spool")
        self.data = os.path.join(self.dir, "data")
        for d in (self.etc, self.spool, self.data):
            os.mkdir(d, 0o755)
        pw = pwd.getpwnam("postfix")
        os.chown(self.data, pw.pw_uid, pw.pw_gid)
        self.port = free_port()
        self.maillog = os.path.join(self.dir, "maillog")
        self.master_pid = None
        with open(MASTER_CF_DIST) as f:
            lines = f.read().splitlines()
        out = []
        for line in lines:
            cols = line.split()
            if line[:1].isalpha() and len(cols) >= 8:
                if cols[0] == "smtp" and cols[1] == "inet":
                    cols[0] = "%s:%d" % (LOOPBACK, self.port)
                if cols[4] == "y":
                    cols[4] = "n"
                line = "  ".join(cols)
            out.append(line)
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write("\n".join(out) + "\n")
        main_cf = {
            "compatibility_level": "3.6",
            "config_directory": self.etc,
            "queue_directory": self.spool,
            "data_directory": self.data,
            "inet_interfaces": LOOPBACK,
            "inet_protocols": "ipv4",
            "myhostname": "postfix-bench.example.test",
            "mydestination": "",
            "relayhost": "[%s]:%d" % (LOOPBACK, sink_port),
            "mynetworks": "127.0.0.0/8",
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "maillog_file": self.maillog,
            "maillog_file_prefixes": os.path.dirname(self.dir),
        }
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            for k, v in main_cf.items():
                f.write("%s = %s\n" % (k, v))

    def _postfix(self, action, timeout=60):
        assert os.path.realpath(self.etc) != "/etc/postfix"
        return subprocess.run([POSTFIX, "-c", self.etc, action], stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=timeout, env=clean_env())

    def start(self, timeout=30):
        r = self._postfix("start")
        if r.returncode != 0:
            raise SetupError("postfix -c %s start failed: %s\n%s" % (
                self.etc, r.stdout.decode(errors="replace"), self.maillog_tail()))
        pid_file = os.path.join(self.spool, "pid", "master.pid")
        deadline = time.monotonic() + timeout
        while True:
            try:
                with open(pid_file) as f:
                    self.master_pid = int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
            if self.master_pid and port_listening(self.port):
                break
            if time.monotonic() > deadline:
                self.stop()
                raise SetupError("postfix not listening on %d:\n%s" % (self.port, self.maillog_tail()))
            time.sleep(0.05)
        return self

    def maillog_tail(self, n=2000):
        try:
            with open(self.maillog, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def pids(self):
        if not self.master_pid or not os.path.exists("/proc/%d" % self.master_pid):
            return []
        return [self.master_pid] + proc_children(self.master_pid)

    def cpu(self):
        """master + live children incl. their reaped children (exited ones are in master's cutime)."""
        total = 0.0
        for pid in self.pids():
            st = proc_stat(pid)
            if st:
                total += sum(st)
        return total

    def stop(self):
        if not self.master_pid:
            return
        try:
            self._postfix("stop")
        except subprocess.TimeoutExpired:
            pass
        deadline = time.monotonic() + 20
        while os.path.exists("/proc/%d" % self.master_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if os.path.exists("/proc/%d" % self.master_pid):
            log("postfix master %d still running; postfix -c %s abort" % (self.master_pid, self.etc))
            try:
                self._postfix("abort")
            except subprocess.TimeoutExpired:
                pass
        self.master_pid = None


# --------------------------------------------------------------------------- one case

def run_case(system, wl, args, tmp, binary):
    """Throughput phase (smtp-source) then latency phase (probe) for one system."""
    res = {"system": system, "workload": wl["name"], "messages": wl["count"]}
    sink = Sink(tmp).start()
    relay = None
    try:
        if system == "postfix":
            relay = PostfixRelay(tmp, sink.port).start()
        elif system == "relaydesk":
            relay = RelayDeskRelay(binary, tmp, sink.port, args.nofile).start()
        port = relay.port if relay else sink.port
        time.sleep(0.5)  # let start-up settle
        log("%s %s: %d messages, %d sessions -> port %d" % (
            system, wl["name"], wl["count"], wl["sessions"], port))

        sampler = Sampler(relay.pids) if relay else None
        if sampler:
            sampler.start()
        cpu0 = relay.cpu() if relay else 0.0
        sink_cpu0 = sink.cpu()
        busy0, total0 = machine_cpu()
        self0 = resource.getrusage(resource.RUSAGE_SELF)
        kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        out_path = os.path.join(tmp, "smtp-source-%s-%s.out" % (system, wl["name"]))
        cmd = [SMTP_SOURCE, "-d", "-C", "5", "-s", str(wl["sessions"]), "-m", str(wl["count"]),
               "-l", str(wl["size"]), "-r", str(wl["rcpts"]), "-f", SENDER, "-t", RCPT,
               "-M", "source.example.test", "%s:%d" % (LOOPBACK, port)]
        res["smtp_source"] = " ".join(cmd[:-1] + ["127.0.0.1:PORT"])
        t0 = time.monotonic()
        with open(out_path, "wb") as out:
            src = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, env=clean_env())
        t_acc = t_e2e = None
        deadline = t0 + args.phase_timeout
        while True:
            now = time.monotonic()
            if t_e2e is None and sink.count() >= wl["count"]:
                t_e2e = now
            rc = src.poll()
            if rc is not None:
                t_acc = now
                break
            if now > deadline:
                log("smtp-source still running after %ss; killing it" % args.phase_timeout)
                src.kill()
                src.wait(timeout=10)
                rc = "timeout"
                break
            time.sleep(0.005)
        kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        res["smtp_source_rc"] = rc
        if rc != 0:
            with open(out_path, "rb") as f:
                res["smtp_source_output"] = f.read()[-600:].decode("latin-1")
            log("smtp-source failed (%s): %s" % (rc, res["smtp_source_output"]))
        e2e_deadline = time.monotonic() + args.e2e_timeout
        while t_e2e is None and time.monotonic() < e2e_deadline:
            if sink.count() >= wl["count"]:
                t_e2e = time.monotonic()
                break
            time.sleep(0.005)
        t_end = t_e2e or time.monotonic()
        cpu1 = relay.cpu() if relay else 0.0
        sink_cpu1 = sink.cpu()
        busy1, total1 = machine_cpu()
        self1 = resource.getrusage(resource.RUSAGE_SELF)
        if sampler:
            sampler.stop()
        received = sink.count()
        res["sink_received"] = received
        res["lost"] = max(0, wl["count"] - received) if rc == 0 else None
        acc_s = (t_acc - t0) if (t_acc and rc == 0) else None
        e2e_s = (t_e2e - t0) if t_e2e else None
        res["accepted_s"] = round(acc_s, 3) if acc_s else None
        res["e2e_s"] = round(e2e_s, 3) if e2e_s else None
        res["accepted_per_s"] = round(wl["count"] / acc_s, 1) if acc_s else None
        res["e2e_per_s"] = round(wl["count"] / e2e_s, 1) if e2e_s else None
        if relay:
            res["cpu_s"] = round(cpu1 - cpu0, 2)
            if system == "relaydesk":
                res["peak_rss_mb"] = round(relay.hwm_kb() / 1024.0, 1)
            else:
                res["peak_rss_mb"] = round(sampler.peak_rss_kb / 1024.0, 1)
                res["peak_procs"] = sampler.peak_procs
            res["peak_pss_mb"] = round(sampler.peak_pss_kb / 1024.0, 1)
        wall = t_end - t0
        ours = ((cpu1 - cpu0) + (sink_cpu1 - sink_cpu0)
                + (kids1.ru_utime + kids1.ru_stime - kids0.ru_utime - kids0.ru_stime)
                + (self1.ru_utime + self1.ru_stime - self0.ru_utime - self0.ru_stime))
        ncpu = max(1e-9, (total1 - total0) / max(wall, 1e-9))
        res["machine_busy_pct"] = round(100.0 * (busy1 - busy0) / max(total1 - total0, 1e-9), 1)
        res["others_cpu_pct"] = round(max(0.0, 100.0 * ((busy1 - busy0) - ours)
                                          / max(total1 - total0, 1e-9)), 1)
        res["ncpu"] = round(ncpu, 1)
        res["sink_cpu_s"] = round(sink_cpu1 - sink_cpu0, 2)
        res["loadavg_end"] = loadavg()

        # latency at half the measured peak accepted rate
        if res["accepted_per_s"] and not args.no_latency:
            rate = res["accepted_per_s"] * args.probe_fraction
            lo, hi, secs = (100, 300, 2.0) if args.quick else (200, 2000, 4.0)
            n = int(max(lo, min(hi, rate * secs)))
            base = sink.count()
            lat = smtp_probe.latency_probe(
                LOOPBACK, port, rate, n, sessions=wl["probe_sessions"], size=wl["size"],
                rcpts=wl["rcpts"], timeout=n / rate * 3 + 20, connect_wait=10.0)
            res["latency"] = lat
            want = base + lat["ok"]
            deadline = time.monotonic() + args.e2e_timeout
            while sink.count() < want and time.monotonic() < deadline:
                time.sleep(0.02)
            lat["lost"] = max(0, want - sink.count())
            log("%s %s: latency p50 %s ms p99 %s ms at %.0f/s (%d ok, %d errors)" % (
                system, wl["name"], lat["median_ms"], lat["p99_ms"], rate, lat["ok"],
                lat["errors"]))
        if res.get("lost") or res["smtp_source_rc"] != 0:
            if system == "relaydesk":
                res["relay_log_tail"] = relay.log_text(1500)
            elif system == "postfix":
                res["relay_log_tail"] = relay.maillog_tail(1500)
        log("%s %s: accepted %s/s, end-to-end %s/s, sink got %d" % (
            system, wl["name"], res["accepted_per_s"], res["e2e_per_s"], received))
        return res
    finally:
        if relay:
            relay.stop()
        sink.stop()


# --------------------------------------------------------------------------- idle sessions

def run_idle(args, tmp, binary):
    """Hold N idle sessions (banner + EHLO each) on RelayDesk; time a fresh client; RSS."""
    n = args.idle_sessions
    res = {"sessions_wanted": n}
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < n + 200:
        log("RLIMIT_NOFILE hard limit %d < %d sessions: the client cannot hold them all" % (hard, n))
    res["client_nofile"] = hard
    res["relay_nofile"] = args.nofile
    sink = Sink(tmp).start()
    relay = RelayDeskRelay(binary, tmp, sink.port, args.nofile)
    idle = None
    try:
        relay.start()
        time.sleep(1.0)
        res["rss_before_mb"] = round(relay.rss_kb() / 1024.0, 1)
        cpu0 = relay.cpu()
        ips = ["127.0.0.%d" % (2 + i) for i in range(10)]
        idle = smtp_probe.IdleSessions(LOOPBACK, relay.port)
        t0 = time.monotonic()
        log("idle: opening %d sessions from %s..%s" % (n, ips[0], ips[-1]))
        ready = idle.open_many(n, ips, in_flight=32, greet_timeout=3.0, timeout=args.idle_timeout)
        res["open_s"] = round(time.monotonic() - t0, 2)
        res["sessions_held"] = ready
        res["open_failures"] = dict(idle.fail_reasons)
        res["open_retries"] = idle.retries  # no banner/EHLO reply within 3 s: closed, re-opened
        held = idle.held()
        time.sleep(1.0)
        res["rss_mb"] = round(relay.rss_kb() / 1024.0, 1)
        res["peak_rss_mb"] = round(relay.hwm_kb() / 1024.0, 1)
        res["kb_per_session"] = round((relay.rss_kb() - res["rss_before_mb"] * 1024) / max(1, ready), 1)
        res["cpu_s_to_open"] = round(relay.cpu() - cpu0, 2)
        times, errors = [], []
        for _ in range(args.fresh_clients):
            dt, err = smtp_probe.fresh_client(LOOPBACK, relay.port, timeout=5.0)
            if err:
                errors.append(err)
            else:
                times.append(dt * 1000.0)
            idle.poll(0.02)  # notice any session the relay drops meanwhile
        times.sort()
        res["fresh_client_ms_median"] = round(times[len(times) // 2], 2) if times else None
        res["fresh_client_ms_max"] = round(times[-1], 2) if times else None
        res["fresh_client_errors"] = errors[:5]
        res["dropped_while_held"] = idle.count_dropped(held, timeout=0.5)
        res["loadavg_end"] = loadavg()
        log("idle: %d held, RSS %.1f MB, fresh client median %s ms max %s ms" % (
            ready, res["rss_mb"], res["fresh_client_ms_median"], res["fresh_client_ms_max"]))
        return res
    finally:
        if idle:
            for s in idle.sessions:
                idle.close(s)
        relay.stop()
        sink.stop()


# --------------------------------------------------------------------------- output

def fmt(v, spec="%.0f"):
    return "-" if v is None else (spec % v)


def ratio(a, b):
    return round(a / b, 2) if a and b else None


def print_report(report, out=sys.stdout):
    w = out.write
    env = report["environment"]
    w("\nRelayDesk relay benchmark  %s  (%s CPUs; load at start %s, at end %s)\n" % (
        env["started"], env["cpus"], " ".join("%.2f" % x for x in env["loadavg_start"]),
        " ".join("%.2f" % x for x in env["loadavg_end"])))
    w("binary %s (mtime %s)\n" % (env["relaydesk_binary"], env["relaydesk_mtime"]))
    hdr = "  %-10s %10s %9s %8s %8s %8s %8s %8s %7s %8s\n" % (
        "system", "accepted/s", "e2e/s", "p50 ms", "p99 ms", "probe/s", "RSS MB", "PSS MB",
        "CPU s", "others%")
    for wl in report["workloads"]:
        rows = [r for r in report["results"] if r["workload"] == wl["name"]]
        if not rows:
            continue
        w("\n%s, %d messages\n" % (wl["label"], wl["count"]))
        w(hdr)
        by = {}
        for r in rows:
            by[r["system"]] = r
            lat = r.get("latency") or {}
            note = ""
            if r.get("lost"):
                note += "  LOST %d" % r["lost"]
            if r.get("smtp_source_rc") not in (0, None):
                note += "  smtp-source rc=%s" % r["smtp_source_rc"]
            if lat.get("errors"):
                note += "  probe errors %d" % lat["errors"]
            if lat.get("unfinished"):
                note += "  probe unfinished %d" % lat["unfinished"]
            if lat and lat.get("ready_sessions", 0) < lat.get("sessions", 0):
                note += "  probe sessions ready %d/%d" % (lat["ready_sessions"], lat["sessions"])
            w("  %-10s %10s %9s %8s %8s %8s %8s %8s %7s %8s%s\n" % (
                r["system"], fmt(r.get("accepted_per_s")), fmt(r.get("e2e_per_s")),
                fmt(lat.get("median_ms"), "%.2f"), fmt(lat.get("p99_ms"), "%.2f"),
                fmt(lat.get("achieved_rate")), fmt(r.get("peak_rss_mb"), "%.1f"),
                fmt(r.get("peak_pss_mb"), "%.1f"), fmt(r.get("cpu_s"), "%.2f"),
                fmt(r.get("others_cpu_pct"), "%.0f"), note))
        rd, pf, lim = by.get("relaydesk"), by.get("postfix"), by.get("limit")
        parts = []
        if rd and pf:
            parts.append("RelayDesk/Postfix: accepted %sx, e2e %sx" % (
                fmt(ratio(rd.get("accepted_per_s"), pf.get("accepted_per_s")), "%.2f"),
                fmt(ratio(rd.get("e2e_per_s"), pf.get("e2e_per_s")), "%.2f")))
        if rd and lim:
            parts.append("RelayDesk e2e / limit: %s" % fmt(
                ratio(rd.get("e2e_per_s"), lim.get("e2e_per_s")), "%.2f"))
        if pf and lim:
            parts.append("Postfix e2e / limit: %s" % fmt(
                ratio(pf.get("e2e_per_s"), lim.get("e2e_per_s")), "%.2f"))
        if parts:
            w("  " + ";  ".join(parts) + "\n")
    idle = report.get("idle")
    if idle:
        w("\nIdle sessions (RelayDesk): %d of %d held (opened in %ss, %s re-opened after no "
          "greeting in 3 s, relay CPU %ss), RSS %s MB (before %s MB, "
          "%s KB/session, peak %s MB),\n  fresh client banner+EHLO+QUIT median %s ms, max %s ms; "
          "dropped while held %s%s\n" % (
              idle.get("sessions_held", 0), idle["sessions_wanted"], idle.get("open_s"),
              idle.get("open_retries"), idle.get("cpu_s_to_open"),
              idle.get("rss_mb"), idle.get("rss_before_mb"), idle.get("kb_per_session"),
              idle.get("peak_rss_mb"), idle.get("fresh_client_ms_median"),
              idle.get("fresh_client_ms_max"), idle.get("dropped_while_held"),
              ("; errors %s" % idle["fresh_client_errors"]) if idle.get("fresh_client_errors") else ""))
    w("\naccepted/s: messages / time until smtp-source finished; e2e/s: messages / time until "
      "the sink had all;\np50/p99: 250-after-DATA latency from the probe at probe/s (about half "
      "the peak);\nRSS/PSS MB: peak (Postfix: summed over its processes; PSS shares common pages fairly);\nCPU s: relay CPU for the "
      "throughput phase; others%: machine CPU used by processes outside the benchmark.\n")
    if report.get("lost_total"):
        w("LOST MESSAGES: %d\n" % report["lost_total"])


# --------------------------------------------------------------------------- main

def wait_for_binary(path, timeout=300):
    """The build may be relinking it: wait until it exists and has not changed for 3 s."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            st = os.stat(path)
            sig = (st.st_size, st.st_mtime)
            if os.access(path, os.X_OK) and sig == last and time.time() - st.st_mtime > 3:
                return st
            last = sig
        except OSError:
            last = None
        time.sleep(1.0)
    raise SetupError("relaydesk binary %s missing or still changing after %ss" % (path, timeout))


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="500 messages, 4 KB, 20 sessions, RelayDesk only (CI smoke run)")
    p.add_argument("--with-postfix", action="store_true", help="--quick: also run Postfix")
    p.add_argument("--systems", default=None,
                   help="comma list of limit,postfix,relaydesk (default: all; --quick: relaydesk)")
    p.add_argument("--workloads", default=None,
                   help="comma list of %s" % ",".join(w["name"] for w in WORKLOADS))
    p.add_argument("--scale", type=float, default=1.0, help="multiply message counts")
    p.add_argument("--idle-sessions", type=int, default=None,
                   help="idle sessions to hold (default 10000; --quick: 0 = skip)")
    p.add_argument("--fresh-clients", type=int, default=20)
    p.add_argument("--probe-fraction", type=float, default=0.5,
                   help="latency probe rate as a fraction of the measured accepted rate")
    p.add_argument("--no-latency", action="store_true")
    p.add_argument("--relay-bin", default=os.environ.get("RELAYDESK_BIN") or
                   os.path.join(ROOT, "build", "app", "relaydesk"))
    p.add_argument("--phase-timeout", type=float, default=None,
                   help="bound for one smtp-source run (default 180 s; quick 120 s)")
    p.add_argument("--e2e-timeout", type=float, default=None,
                   help="wait for the sink after smtp-source finished (default 60 s; quick 30 s)")
    p.add_argument("--idle-timeout", type=float, default=120.0)
    p.add_argument("--json-out", help="also write the JSON result to this file")
    p.add_argument("--keep", action="store_true", help="keep the temp dir")
    a = p.parse_args(argv)
    if a.systems is None:
        a.systems = "relaydesk" + (",postfix" if a.with_postfix else "") if a.quick \
            else "limit,postfix,relaydesk"
    a.systems = [s.strip() for s in a.systems.split(",") if s.strip()]
    for s in a.systems:
        if s not in ("limit", "postfix", "relaydesk"):
            p.error("unknown system %r" % s)
    if a.idle_sessions is None:
        a.idle_sessions = 0 if a.quick else 10000
    if a.phase_timeout is None:
        a.phase_timeout = 120.0 if a.quick else 180.0
    if a.e2e_timeout is None:
        a.e2e_timeout = 30.0 if a.quick else 60.0
    return a


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    for tool in (SMTP_SOURCE, SMTP_SINK):
        if not os.access(tool, os.X_OK):
            print("SKIP: %s not found (apt-get install postfix)" % tool)
            return 77
    if "postfix" in args.systems and not running_as_root():
        log("Postfix relay needs root; skipping it")
        args.systems.remove("postfix")
    if args.quick:
        workloads = [dict(QUICK_WORKLOAD)]
    else:
        names = args.workloads.split(",") if args.workloads else [w["name"] for w in WORKLOADS]
        workloads = [dict(w) for w in WORKLOADS if w["name"] in names]
    for w in workloads:
        w["count"] = max(w["sessions"], int(w["count"] * args.scale))

    def on_term(_sig, _frame):
        raise KeyboardInterrupt()

    signal.signal(signal.SIGTERM, on_term)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    args.nofile = min(65536, hard)  # the relay's limit (prlimit cannot exceed our hard limit)

    tmp = tempfile.mkdtemp(prefix="rdbench-")
    os.chmod(tmp, 0o755)
    report = {"bench": "relaydesk-relay", "quick": args.quick, "results": [], "idle": None,
              "workloads": workloads}
    status = 0
    try:
        binary = None
        if "relaydesk" in args.systems or args.idle_sessions:
            st = wait_for_binary(args.relay_bin)
            binary = os.path.join(tmp, "relaydesk")
            shutil.copy2(args.relay_bin, binary)  # a snapshot: the build may relink meanwhile
            mtime = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(st.st_mtime))
        else:
            mtime = None
        report["environment"] = {
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "cpus": os.cpu_count(),
            "loadavg_start": loadavg(),
            "relaydesk_binary": args.relay_bin,
            "relaydesk_mtime": mtime,
            "relay_nofile": args.nofile,
        }
        log("tmp %s; systems %s; load %s" % (tmp, ",".join(args.systems), loadavg()))
        for wl in workloads:
            for system in ("limit", "postfix", "relaydesk"):
                if system in args.systems:
                    report["results"].append(run_case(system, wl, args, tmp, binary))
        if args.idle_sessions > 0:
            report["idle"] = run_idle(args, tmp, binary)
    except SetupError as e:
        log("setup failed: %s" % e)
        status = 2
    except KeyboardInterrupt:
        log("interrupted")
        status = 2
    finally:
        report["environment"] = report.get("environment", {})
        report["environment"]["loadavg_end"] = loadavg()
        report["environment"].setdefault("loadavg_start", report["environment"]["loadavg_end"])
        report["environment"].setdefault("cpus", os.cpu_count())
        report["environment"].setdefault("started", "")
        report["environment"].setdefault("relaydesk_binary", args.relay_bin)
        report["environment"].setdefault("relaydesk_mtime", None)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            log("kept %s" % tmp)

    lost = 0
    refused = 0
    for r in report["results"]:
        lost += r.get("lost") or 0
        lost += (r.get("latency") or {}).get("lost") or 0
        if r.get("smtp_source_rc") != 0:
            refused += 1
        refused += (r.get("latency") or {}).get("errors") or 0
    report["lost_total"] = lost
    report["refused_total"] = refused
    for r in report["results"]:
        if r["system"] == "relaydesk":
            pf = next((x for x in report["results"] if x["system"] == "postfix"
                       and x["workload"] == r["workload"]), None)
            lim = next((x for x in report["results"] if x["system"] == "limit"
                        and x["workload"] == r["workload"]), None)
            r["ratio_to_postfix"] = {
                "accepted": ratio(r.get("accepted_per_s"), pf and pf.get("accepted_per_s")),
                "e2e": ratio(r.get("e2e_per_s"), pf and pf.get("e2e_per_s"))} if pf else None
            r["ratio_to_limit_e2e"] = ratio(r.get("e2e_per_s"), lim and lim.get("e2e_per_s")) \
                if lim else None
    print_report(report)
    slim = json.loads(json.dumps(report))
    for r in slim["results"]:
        r.pop("relay_log_tail", None)
        r.pop("smtp_source_output", None)
    line = json.dumps(slim, separators=(",", ":"), sort_keys=True)
    if args.json_out:
        with open(args.json_out, "w") as f:
            f.write(line + "\n")
    for r in report["results"]:
        if r.get("relay_log_tail") and (r.get("lost") or r.get("smtp_source_rc") != 0):
            log("%s %s log tail:\n%s" % (r["system"], r["workload"], r["relay_log_tail"]))
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    if status == 0 and (lost or refused):
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())

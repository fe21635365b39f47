#!/usr/bin/python3
"""Several relay nodes on one shared PostgreSQL store (issue #11), with real engines.

A private PostgreSQL 15 (pgserver.py, TLS with verify-full) holds the configuration; three
headless RelayDesk nodes on 127.0.0.21-23 (one port, `--listen-address`) run on it as the
rd_node role, behind HAProxy in TCP mode with `send-proxy-v2`; an smtp-sink-like Sink
receives. The first node's standalone configuration is published with
--migrate-to-cluster; the other two join by pulling it.

Cases: joining nodes run the published configuration (listeners, users, DKIM key that
only opens with the cluster key); a change made on one node is enforced by all three
within 2 s; secrets are sealed in the store and a node with another key is refused;
PostgreSQL stopped for a while under load loses nothing, a change made meanwhile reaches
the others after it returns, and the store alert is raised and resolved; a node killed
with SIGKILL under load loses no accepted message, the others keep accepting, and the
silent-node alert is raised on the others.
"""

import json
import os
import smtplib
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from pgserver import PgServer  # noqa: E402
import test_screenshot  # noqa: E402

# Heartbeats every 0.5 s, so a silent node is noticed after 1.5 s (default: 5 s and 15 s).
os.environ["RELAYDESK_CLUSTER_HEARTBEAT_MS"] = "500"
NODE_IPS = ("127.0.0.21", "127.0.0.22", "127.0.0.23")
CLIENT = "127.0.0.5"


def relay_cmd(args, data_dir, stdin=None, timeout=60):
    cmd = [harness.relay_binary(), "--data-dir", data_dir] + list(args)
    return subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=harness.clean_env({"RELAYDESK_CLUSTER_HEARTBEAT_MS": "500"}), timeout=timeout)


def greeting(ip, port, source=None, timeout=3):
    """The first reply line of a node, or the error."""
    s = socket.create_connection((ip, port), timeout=timeout, source_address=(source, 0) if source else None)
    try:
        return s.recv(512).decode("utf-8", "replace")
    finally:
        s.close()


def send_via(host, port, subject, source=CLIENT, rcpt="to@example.test"):
    """One message through smtplib; returns the reply of DATA (code, text) or raises."""
    msg, _ = harness.make_message(subject=subject)
    with smtplib.SMTP(host, port, timeout=30, source_address=(source, 0)) as s:
        s.ehlo("client.example.test")
        s.mail("from@example.test")
        s.rcpt(rcpt)
        return s.data(msg)


class Cluster(harness.RelayTestCase):
    def setUp(self):
        super().setUp()
        self.assertTrue(os.path.exists(harness.HAPROXY), "haproxy not installed: run scripts/deps.sh")
        self.pg = PgServer(tls=True).start()
        self.addCleanup(self.pg.stop)
        self.pg.grant_node_role()
        self.sink_ = self.sink()
        base = self.tmpdir()
        self.key = os.path.join(base, "cluster.key")
        self.port = harness.free_port()
        # The first node: a standalone instance with a DKIM key and a user, published.
        self.cfg = harness.default_config(self.port, self.sink_.address, relay_allow=("127.0.0.0/8",))
        self.cfg["listeners"][0]["address"] = "0.0.0.0"
        self.cfg["listeners"][0]["proxy_from"] = ["127.0.0.1/32"]
        self.cfg["send_connectors"] = [
            {"name": "partner", "domains": ["partner.test"], "route": "smarthost",
             "smart_hosts": ["127.0.0.1:9"], "tls": "verify", "auth_user": "relay@partner.test",
             "auth_password": "S3cret-Partner-Pass"},
            {"name": "default", "domains": ["*"], "route": "smarthost", "smart_hosts": [self.sink_.address],
             "tls": "none"}]
        self.nodes = []
        for i, ip in enumerate(NODE_IPS):
            r = harness.Relay(self.tmpdir(), self.sink_.address, port=self.port, config=self.cfg)
            r.name = "node%d" % (i + 1)
            r.extra_args = ["--cluster", self.pg.conninfo("node"), "--cluster-key", self.key,
                            "--node-name", r.name, "--listen-address", ip]
            r.ip = ip
            self._relays.append(r)
            self.nodes.append(r)
        first = self.nodes[0]
        out = relay_cmd(["--cluster-keygen", "--cluster-key", self.key], first.data_dir)
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        out = relay_cmd(["--config", first.config_path, "--export-config", os.devnull], first.data_dir)
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        out = relay_cmd(["--dkim-generate", "example.test", "--selector", "s1"], first.data_dir)
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        out = relay_cmd(["--add-user", "alice"], first.data_dir, stdin=b"Alice-Pass-123\n")
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        out = relay_cmd(["--cluster", self.pg.conninfo("admin"), "--cluster-key", self.key, "--migrate-to-cluster"],
                        first.data_dir)
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        self.assertIn("as revision 1", out.stdout.decode())
        # Every node, the first included, runs from the store: no --config at start.
        for r in self.nodes:
            r.start(import_config=False)
        self.lb = harness.free_port()
        servers = "\n".join("    server %s %s:%d send-proxy-v2 source 127.0.0.1" % (r.name, r.ip, self.port)
                            for r in self.nodes)
        self.haproxy = harness.start_haproxy(base, """global
    log stderr format raw local0 err
defaults
    mode tcp
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch
frontend fe
    bind 127.0.0.1:%d
    default_backend be
backend be
    balance roundrobin
%s
""" % (self.lb, servers))
        self.addCleanup(harness.stop_process, self.haproxy)
        harness.wait_until(lambda: harness.can_connect(self.lb), 10, what="haproxy listening")

    def store(self, sql):
        return self.pg.psql(sql, role="admin").strip()

    def alerts(self, node, rule):
        return node._query("log.db", "SELECT * FROM alerts WHERE rule = ? ORDER BY id", (rule,))

    # ---------------------------------------------------------------- cases

    def test_joined_nodes_run_the_published_configuration(self):
        for r in self.nodes:
            # Not from 127.0.0.1: that is the balancer, whose connections start with a PROXY header.
            self.assertIn("220 ", greeting(r.ip, self.port, source="127.0.0.8"), r.name)
            users = relay_cmd(["--list-users"], r.data_dir).stdout.decode()
            self.assertIn("alice", users, r.name)
        # The DKIM key reached every node (it only opens with the cluster key): each signs.
        for i in range(3):
            code, _ = send_via("127.0.0.1", self.lb, "via-lb-%d" % i)
            self.assertEqual(code, 250)
        msgs = self.sink_.wait_for(3, 30)
        self.assertTrue(all(m.header("DKIM-Signature") for m in msgs), [m.header("Received") for m in msgs])
        # Round robin: three different nodes received them, and the real client is logged.
        received = set()
        for r in self.nodes:
            rows = [x for x in r.log_rows(1) if x.get("queue_id")]  # receive rows of accepted messages
            if rows:
                received.add(r.name)
                self.assertTrue(all(x["client_ip"] == CLIENT for x in rows), rows)
        self.assertEqual(received, {"node1", "node2", "node3"})
        listing = relay_cmd(["--cluster", self.pg.conninfo("node"), "--cluster-key", self.key, "--cluster-nodes"],
                            self.nodes[0].data_dir).stdout.decode()
        for r in self.nodes:
            self.assertRegex(listing, r"%s\t[^\t]+\trunning\t%s:%d" % (r.name, r.ip.replace(".", r"\."), self.port))

    def test_change_on_one_node_enforced_by_all_within_2s(self):
        second = self.nodes[1]
        for r in self.nodes:
            self.assertIn("220 ", greeting(r.ip, self.port, source="127.0.0.7"))
        cfg = json.loads(json.dumps(self.cfg))
        cfg["connection_rules"] = [{"network": "127.0.0.7/32", "action": "deny", "priority": 100,
                                    "comment": "cluster test"}]
        path = os.path.join(second.base_dir, "change.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        t0 = time.monotonic()
        out = relay_cmd(["--cluster", self.pg.conninfo("node"), "--cluster-key", self.key, "--node-name",
                         second.name, "--config", path, "--export-config", os.devnull], second.data_dir)
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        enforced = {}
        deadline = t0 + 10
        while len(enforced) < 3 and time.monotonic() < deadline:
            for r in self.nodes:
                if r.name not in enforced and greeting(r.ip, self.port, source="127.0.0.7").startswith("554"):
                    enforced[r.name] = time.monotonic() - t0
            time.sleep(0.02)
        harness.log("change enforced after (s): %s" % {k: round(v, 3) for k, v in enforced.items()})
        self.assertEqual(set(enforced), {"node1", "node2", "node3"}, enforced)
        self.assertLess(max(enforced.values()), 2.0, enforced)
        # Others still admitted; the history says who and where.
        self.assertIn("220 ", greeting(self.nodes[2].ip, self.port, source="127.0.0.8"))
        history = self.store("SELECT revision, node, tables FROM config_history ORDER BY revision")
        self.assertRegex(history, r"2\|node2\|connection_rules")
        # From the store's commit (history row) to each node's "applied" log row.
        committed = int(self.store("SELECT ts FROM config_history WHERE revision = 2"))
        lag = {}
        for r in (self.nodes[0], self.nodes[2]):
            rows = r.wait_log(lambda x: x.get("result") == "config_applied"
                              and "revision 2" in (x.get("message") or ""), 10, "config_applied revision 2 on %s" % r.name)
            lag[r.name] = rows[0]["ts"] - committed
        harness.log("store commit -> applied on the other nodes (ms): %s" % lag)
        self.assertLess(max(lag.values()), 2000, lag)

    def test_secrets_sealed_and_a_node_with_another_key_is_refused(self):
        dump = self.pg.psql("SELECT * FROM send_connectors; SELECT * FROM dkim_keys; SELECT * FROM settings;",
                            role="admin")
        self.assertNotIn("S3cret-Partner-Pass", dump)
        self.assertNotIn("PRIVATE KEY", dump)
        self.assertIn("rdenc1:", dump)
        # The nodes got the password back in clear in their local copy.
        for r in self.nodes:
            rows = r._query("config.db", "SELECT auth_password FROM send_connectors WHERE name = 'partner'")
            self.assertEqual(rows, [{"auth_password": "S3cret-Partner-Pass"}], r.name)
        # A fourth node with a key of its own: refused, runs on its own defaults.
        other_key = os.path.join(self.tmpdir(), "other.key")
        self.assertEqual(relay_cmd(["--cluster-keygen", "--cluster-key", other_key], self.tmpdir()).returncode, 0)
        stranger = harness.Relay(self.tmpdir(), self.sink_.address, port=harness.free_port())
        stranger.extra_args = ["--cluster", self.pg.conninfo("node"), "--cluster-key", other_key,
                               "--node-name", "stranger"]
        self._relays.append(stranger)
        stranger.start()
        stranger.wait_log(lambda x: x.get("result") == "cluster_sync_failed"
                          and "is not the store's" in (x.get("message") or ""), 15, "key refused")
        rows = stranger._query("config.db", "SELECT name FROM users")
        self.assertEqual(rows, [])
        self.assertEqual(self.store("SELECT revision FROM config_revision"), "1")

    def test_a_node_pointed_at_an_empty_store_keeps_its_configuration(self):
        first = self.nodes[0]
        self.pg.psql("CREATE DATABASE relaydesk_empty OWNER rd_admin")
        empty = self.pg.conninfo("admin").replace("/relaydesk?", "/relaydesk_empty?")
        self.assertIn("relaydesk_empty", empty)
        out = relay_cmd(["--cluster", empty, "--cluster-key", self.key, "--node-name", first.name, "--list-users"],
                        first.data_dir)
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        self.assertIn("holds no configuration yet", out.stderr.decode())
        self.assertIn("alice", out.stdout.decode())
        self.assertIn("alice", relay_cmd(["--list-users"], first.data_dir).stdout.decode())

    def test_store_down_under_load_loses_nothing(self):
        first, third = self.nodes[0], self.nodes[2]
        codes = []
        sent = 0
        self.pg.stop_server()
        t_down = time.monotonic()
        # A change made on node1 while the store is down stays pending there.
        out = relay_cmd(["--add-user", "bob"], first.data_dir, stdin=b"Bob-Pass-12345\n")
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        while time.monotonic() - t_down < 8:
            code, _ = send_via("127.0.0.1", self.lb, "outage-%d" % sent)
            codes.append(code)
            sent += 1
        for r in self.nodes:
            r.wait_log(lambda x: x.get("result") == "cluster_store_down", 15, "store down on %s" % r.name)
        first.wait_log(lambda x: x.get("result") == "alert_raised" and "cluster_store" in (x.get("message") or ""),
                       15, "cluster_store alert")
        self.pg.start_server()
        self.assertEqual(codes, [250] * sent)
        msgs = self.sink_.wait_for(sent, 60)
        self.assertEqual(sorted(m.header("Subject") for m in msgs),
                         sorted("outage-%d" % i for i in range(sent)))
        # The pending change is published after the store returns, and reaches node3.
        harness.wait_until(lambda: "bob" in relay_cmd(["--list-users"], third.data_dir).stdout.decode(), 30,
                           0.2, "bob on node3 after the outage")
        first.wait_log(lambda x: x.get("result") == "alert_resolved"
                       and "cluster store cannot be reached" in (x.get("message") or ""),
                       20, "cluster_store alert resolved")
        harness.log("outage: %d messages accepted while the store was down" % sent)

    def test_node_killed_under_load(self):
        victim = self.nodes[1]
        accepted = []
        refused = 0
        killed_at = None
        for i in range(60):
            if i == 20:
                victim.kill()
                killed_at = time.monotonic()
            try:
                code, _ = send_via("127.0.0.1", self.lb, "load-%d" % i)
                if code == 250:
                    accepted.append("load-%d" % i)
            except (smtplib.SMTPException, OSError):
                refused += 1
        # HAProxy moves on to the live nodes (retries + redispatch); at most the
        # connections in flight to the victim at the kill fail.
        self.assertGreaterEqual(len(accepted), 58, refused)
        others = [self.nodes[0], self.nodes[2]]
        for r in others:
            r.wait_log(lambda x: x.get("result") == "alert_raised" and "node_silent" in (x.get("message") or "")
                       and "node2" in (x.get("message") or ""), 15, "node_silent alert on %s" % r.name)
        harness.log("node_silent raised on both others %.1f s after the kill" % (time.monotonic() - killed_at))
        victim.start(import_config=False)
        msgs = self.sink_.wait_for(len(accepted), 60)
        got = sorted(m.header("Subject") for m in msgs)
        for s in accepted:
            self.assertIn(s, got)
        for r in others:
            r.wait_log(lambda x: x.get("result") == "alert_resolved" and "node2" in (x.get("message") or ""),
                       15, "node_silent resolved on %s" % r.name)

    def test_cluster_panel_shows_the_nodes(self):
        """The GUI on node1 under Xvfb, Cluster panel: three nodes, node3 killed (silent), the history."""
        first, third = self.nodes[0], self.nodes[2]
        out = relay_cmd(["--cluster", self.pg.conninfo("node"), "--cluster-key", self.key, "--node-name",
                         first.name, "--add-user", "carol"], first.data_dir, stdin=b"Carol-Pass-123\n")
        self.assertEqual(out.returncode, 0, out.stderr.decode())
        third.kill()
        first.stop()
        time.sleep(2)  # node3's last heartbeat is now older than three intervals
        shots = os.environ.get("RD_SCREENSHOT_DIR") or self.tmpdir()
        png = os.path.join(shots, "cluster-panel.png")
        info = test_screenshot.xvfb_capture(first.data_dir, "cluster", png, wait=5.0, extra_args=[
            "--cluster", self.pg.conninfo("node"), "--cluster-key", self.key, "--node-name", first.name,
            "--listen-address", first.ip])
        self.assertTrue(os.path.exists(png), info)
        self.assertGreater(test_screenshot.unique_colors(png), 50, "blank capture: %s" % png)
        harness.log("cluster panel screenshot: %s" % png)
        # What the panel showed came from the store: node3 is silent there.
        rows = self.store("SELECT name, state FROM nodes ORDER BY name")
        self.assertIn("node3|running", rows)


if __name__ == "__main__":
    unittest.main(verbosity=2)

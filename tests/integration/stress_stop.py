#!/usr/bin/python3
"""Stop stress: N times, start a relay with STARTTLS + AUTH, send one message with msmtp
(a TLS session and a password hash on a worker thread), check it arrived, stop the relay
with SIGTERM and check it exited cleanly (no signal). Not part of ctest: a crash that
happens once in a few hundred stops needs hundreds of rounds (about 0.2 s each).

    RELAYDESK_BIN=build/app/relaydesk /usr/bin/python3 tests/integration/stress_stop.py [N]

Exit status 0 if every round passed, 1 otherwise (the failing rounds' relay stderr is
copied to the folder printed at the end)."""

import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

PASSWORD = "correct horse battery staple 42"


def admin(data, args, stdin=b""):
    p = subprocess.run([harness.relay_binary(), "--data-dir", data] + args, input=stdin,
                       capture_output=True, env=harness.clean_env(), timeout=300)
    if p.returncode != 0:
        raise RuntimeError("%s: %s" % (args, p.stderr.decode(errors="replace")))
    return p.stdout.decode()


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    out = tempfile.mkdtemp(prefix="rd-stopstress-")
    template = os.path.join(out, "template")
    cert = admin(template, ["--generate-certificate", "relay-it.example.test"]).strip()
    admin(template, ["--add-user", "alice"], (PASSWORD + "\n").encode())
    failures = 0
    for i in range(1, rounds + 1):
        sink = harness.Sink()
        sink.start()
        base = tempfile.mkdtemp(prefix="rd-stop-")
        shutil.copytree(template, os.path.join(base, "data"))
        os.chmod(os.path.join(base, "data"), 0o700)
        port, sub = harness.free_port(), harness.free_port()
        cfg = harness.default_config(port, sink.address)
        cfg["listeners"].append({"name": "submission", "address": "127.0.0.1", "port": sub,
                                 "relay_allow": [], "relay_deny": [], "mode": "starttls_required",
                                 "role": "submission", "certificate": cert})
        relay = harness.Relay(base, sink.address, config=cfg)
        relay.start()
        msg, _ = harness.make_message(subject="stop-stress-%d" % i)
        p = subprocess.run(["msmtp", "--host=127.0.0.1", "--port=%d" % sub, "--tls=on",
                            "--tls-starttls=on", "--tls-certcheck=off", "--auth=plain",
                            "--user=alice", "--passwordeval=echo '%s'" % PASSWORD,
                            "--from=alice@example.test", "erin@example.org"],
                           input=msg, capture_output=True, timeout=60)
        try:
            sink.wait_for(1, timeout=30)
            arrived = True
        except Exception:
            arrived = False
        rc = relay.stop()
        sink.stop()
        crashed = rc is not None and rc < 0
        if crashed or p.returncode != 0 or not arrived:
            failures += 1
            print("round %d: msmtp rc=%d arrived=%s relay rc=%s" % (i, p.returncode, arrived, rc),
                  flush=True)
            shutil.copy(relay.stderr_paths[-1], os.path.join(out, "relay-round%d.stderr" % i))
        shutil.rmtree(base, ignore_errors=True)
    shutil.rmtree(template, ignore_errors=True)
    print("stop stress: %d rounds, %d failed (details in %s)" % (rounds, failures, out))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

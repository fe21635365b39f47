#!/usr/bin/python3
"""GUI responsiveness while the engine runs at full speed (issue #7).

The real RelayDesk window (under Xvfb) on a live panel (Queue, then Logs) while Postfix's
smtp-source pushes 4 KB messages over 20 sessions into its relay, which delivers to smtp-sink.
A 10 ms timer in the GUI thread (app/guilatency.cpp, RELAYDESK_GUI_LATENCY_FILE) records how
late each tick runs; the worst stall, p99 and the number of stalls over 50 ms are printed for an
idle window and for each loaded run, with the messages per second reached meanwhile.

    tests/bench/gui_latency.py [--messages N] [--relay-bin PATH]

Exit: 0 (figures printed; slow figures never fail), 2 setup failure, 77 a tool is missing.
All traffic on 127.0.0.1.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import harness  # noqa: E402

SMTP_SOURCE = "/usr/sbin/smtp-source"


def run_window(relay_bin, data_dir, config_path, panel, port, sink, messages, out_json):
    """Start the GUI on `panel`, optionally load it, stop it; returns (figures, msgs/s)."""
    env = harness.clean_env({"RELAYDESK_GUI_LATENCY_FILE": out_json})
    env.pop("QT_QPA_PLATFORM", None)
    cmd = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", relay_bin, "--data-dir", data_dir,
           "--config", config_path, "--show-panel", panel]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    rate = 0.0
    try:
        harness.wait_until(lambda: harness.port_listening(port), 30, what="the GUI's relay listening")
        time.sleep(2.0)  # the window settles
        if messages:
            t0 = time.monotonic()
            src = subprocess.run([SMTP_SOURCE, "-d", "-C", "5", "-s", "20", "-m", str(messages), "-l", "4096",
                                  "-f", "bench@source.test", "-t", "rcpt@sink.test", "-M", "source.test",
                                  "127.0.0.1:%d" % port], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, timeout=300)
            accepted = time.monotonic() - t0
            rate = messages / accepted if accepted > 0 else 0.0
            if src.returncode != 0:
                print("gui_latency: smtp-source exited %d" % src.returncode)
            time.sleep(3.0)  # delivery drains while the window keeps updating
        else:
            time.sleep(5.0)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    with open(out_json) as f:
        return json.load(f), rate


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=5000)
    ap.add_argument("--relay-bin", default=os.environ.get("RELAYDESK_BIN", harness.relay_binary()))
    args = ap.parse_args()
    for tool in (SMTP_SOURCE, "/usr/sbin/smtp-sink"):
        if not os.path.exists(tool):
            print("gui_latency: %s missing (apt-get install postfix)" % tool)
            return 77
    if not shutil.which("xvfb-run"):
        print("gui_latency: xvfb-run missing")
        return 77
    tmp = tempfile.mkdtemp(prefix="rd-guilat-")
    sink = harness.Sink()
    try:
        sink.start()
        port = harness.free_port()
        cfg = harness.default_config(port, sink.address, settings={"smtp.max_sessions_per_ip": 100})
        config_path = os.path.join(tmp, "config.json")
        with open(config_path, "w") as f:
            json.dump(cfg, f)
        rows = []
        data_dir = os.path.join(tmp, "data")
        idle, _ = run_window(args.relay_bin, data_dir, config_path, "queue", port, sink, 0,
                             os.path.join(tmp, "idle.json"))
        rows.append(("idle, Queue panel", idle, 0.0))
        for panel in ("queue", "logs"):
            fig, rate = run_window(args.relay_bin, data_dir, config_path, panel, port, sink, args.messages,
                                   os.path.join(tmp, "%s.json" % panel))
            rows.append(("%d msgs, %s panel" % (args.messages, panel.capitalize()), fig, rate))
        print()
        print("GUI event-loop stalls (10 ms timer in the GUI thread; target: never over 50 ms)")
        print("%-26s %8s %8s %8s %8s %10s" % ("run", "ticks", "worst", "p99", "p99.9", ">50ms"))
        for name, fig, rate in rows:
            print("%-26s %8d %7.1fms %7.1fms %7.1fms %10d%s" % (
                name, fig["ticks"], fig["worst_ms"], fig["p99_ms"], fig["p999_ms"], fig["stalls_over_50ms"],
                ("   accepted %.0f msg/s" % rate) if rate else ""))
        print("GUILAT " + json.dumps({name: dict(fig, msgs_per_s=round(rate, 1)) for name, fig, rate in rows}))
        return 0
    except Exception as e:  # setup problems are not figures
        print("gui_latency: setup failed: %s" % e)
        return 2
    finally:
        sink.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

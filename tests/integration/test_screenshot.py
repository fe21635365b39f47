#!/usr/bin/python3
"""The real RelayDesk window under Xvfb, with real data, saved as PNG screenshots.

A headless relay first receives mail (smart host down, so the queue fills and the
log has receive, reject and deferred rows); then the GUI opens the same data folder
in a real X server (Xvfb) once per panel, and ImageMagick's `import` captures the
window. The PNGs go to $RELAYDESK_BUILD_DIR/screenshots/ for a person to look at;
the test checks that the window was mapped with its title and that the picture is
a rendered window, not an empty screen.
"""

import os
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

PANELS = ["dashboard", "queue", "logs", "connectors", "relay", "users", "certificates"]


def xvfb_capture(data_dir, panel, out_png, wait=4.0):
    """Run the GUI on `panel` under Xvfb and capture its window; returns xwininfo text."""
    script = r'''
set -u
"$RD_BIN" --data-dir "$RD_DATA" --show-panel "$RD_PANEL" >"$RD_LOG" 2>&1 &
pid=$!
win=""
for i in $(seq 1 100); do
    # The mapped top-level window titled RelayDesk (the largest one; Qt also
    # creates small helper windows).
    win=$(xwininfo -root -tree 2>/dev/null | awk '/"RelayDesk"/ {
            for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+x[0-9]+\+/) { split($i, g, /[x+]/); a = g[1] * g[2] }
            if (a > best) { best = a; id = $1 } } END { print id }')
    [ -n "$win" ] && break
    sleep 0.1
done
sleep "$RD_WAIT"
if [ -n "$win" ]; then
    xwininfo -id "$win"
    geo=$(xwininfo -id "$win" | awk '/Absolute upper-left X/ {x=$NF} /Absolute upper-left Y/ {y=$NF}
                                      /Width:/ {w=$NF} /Height:/ {h=$NF} END {printf "%dx%d+%d+%d", w, h, x, y}')
    import -window root "$RD_OUT.full.png"
    convert "$RD_OUT.full.png" -crop "$geo" +repage "$RD_OUT"
    rm -f "$RD_OUT.full.png"
fi
kill -TERM $pid 2>/dev/null
for i in $(seq 1 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
exit 0
'''
    env = harness.clean_env({
        "RD_BIN": harness.relay_binary(), "RD_DATA": data_dir, "RD_PANEL": panel,
        "RD_OUT": out_png, "RD_WAIT": str(wait),
        "RD_LOG": out_png + ".log",
    })
    env.pop("QT_QPA_PLATFORM", None)
    proc = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", "bash", "-c", script],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env=env, timeout=120)
    return proc.stdout.decode("utf-8", "replace")


def unique_colors(png):
    out = subprocess.run(["identify", "-format", "%k", png], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=60)
    return int(out.stdout.decode().strip() or "0")


class Screenshot(harness.RelayTestCase):
    def test_main_window_panels(self):
        for tool in ("xvfb-run", "import", "xwininfo", "identify"):
            self.assertIsNotNone(shutil.which(tool), "%s is missing (scripts/deps.sh installs it)" % tool)
        dead = "127.0.0.1:%d" % harness.free_port()
        config = harness.default_config(harness.free_port(), dead)
        config["send_connectors"] = [
            {"name": "contoso-partner", "domains": ["contoso.com", "*.contoso.com"], "route": "smarthost",
             "smart_hosts": ["mail.contoso.com:25", "mail2.contoso.com:25"], "tls": "verify"},
            {"name": "internal", "domains": ["example.org", "example.net"], "route": "smarthost",
             "smart_hosts": [dead], "tls": "opportunistic", "max_connections": 5},
            # No "*" route: nothing in this test may leave the machine.
            {"name": "microsoft365", "domains": ["fabrikam.com", "*.fabrikam.com"], "route": "smarthost",
             "smart_hosts": ["smtp.office365.com:587"], "tls": "verify",
             "auth_user": "scanner@example.com", "auth_password": "not-a-real-password"},
        ]
        relay = self.relay(dead, config=config)
        for i in range(12):
            msg, _ = harness.make_message(subject="Monthly report %d" % i)
            res = harness.send_smtp(relay.port, "scanner%d@example.test" % (i % 3),
                                    ["finance@example.org", "ops%d@example.org" % i], msg)
            self.assertTrue(res.accepted, res)
        # One relay attempt from an address that is not allowed (a reject row).
        res = harness.send_smtp(relay.port, "x@example.test", ["y@example.org"],
                                harness.make_message()[0], source_ip="127.0.0.2")
        self.assertFalse(res.accepted)
        harness.wait_until(
            lambda: len([r for r in relay.log_rows() if r["result"] == "deferred"]) >= 3,
            30, 0.2, "deferred delivery rows")
        relay.stop()

        out_dir = os.path.join(os.environ.get("RELAYDESK_BUILD_DIR", self.tmpdir()), "screenshots")
        os.makedirs(out_dir, exist_ok=True)
        for panel in PANELS:
            png = os.path.join(out_dir, "relaydesk-%s.png" % panel)
            if os.path.exists(png):
                os.remove(png)
            info = xvfb_capture(relay.data_dir, panel, png)
            self.assertIn('"RelayDesk"', info, "the window was not mapped:\n" + info)
            self.assertTrue(os.path.exists(png), "no screenshot for %s:\n%s" % (panel, info))
            colors = unique_colors(png)
            harness.log("screenshot %s: %d colours" % (png, colors))
            # A rendered window with text and icons has hundreds of colours; a blank
            # or black capture has a handful.
            self.assertGreater(colors, 64, "screenshot of %s looks empty" % panel)


if __name__ == "__main__":
    unittest.main(verbosity=2)

#!/usr/bin/python3
"""Packaging: `cpack -G DEB` builds relaydesk_*.deb with the binary, the .desktop entry and
the icon; the extracted binary prints its version without a display. With CI=true the
package is also installed for real with dpkg, run, and removed."""

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

EXPECTED_FILES = [
    "./usr/bin/relaydesk",
    "./usr/share/applications/relaydesk.desktop",
    "./usr/share/icons/hicolor/scalable/apps/relaydesk.svg",
]
VERSION_RE = re.compile(r"RelayDesk\s+v?\d+\.\d+\.\d+")


def run(cmd, timeout=600, **kw):
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=timeout,
                          env=harness.clean_env(), **kw)


class Package(unittest.TestCase):
    deb = None
    workdir = None

    @classmethod
    def setUpClass(cls):
        build = os.environ.get("RELAYDESK_BUILD_DIR")
        if not build:
            raise unittest.SkipTest("RELAYDESK_BUILD_DIR not set (ctest sets it)")
        cfg = os.path.join(build, "CPackConfig.cmake")
        if not os.path.exists(cfg):
            raise AssertionError("%s missing: was the project configured with include(CPack)?" % cfg)
        cls.workdir = tempfile.mkdtemp(prefix="rd-pkg-")
        # -B: package and staging dirs under our temp dir, so parallel runs don't collide.
        p = run(["cpack", "-G", "DEB", "--config", cfg, "-B", cls.workdir], cwd=build)
        cls.cpack_output = p.stdout.decode("utf-8", "replace")
        debs = glob.glob(os.path.join(cls.workdir, "*.deb"))
        if p.returncode != 0 or len(debs) != 1:
            shutil.rmtree(cls.workdir, ignore_errors=True)
            raise AssertionError("cpack -G DEB failed (exit %s, debs %s):\n%s" % (
                p.returncode, debs, cls.cpack_output))
        cls.deb = debs[0]
        harness.log("built %s" % cls.deb)

    @classmethod
    def tearDownClass(cls):
        if cls.workdir:
            shutil.rmtree(cls.workdir, ignore_errors=True)

    def test_name_and_control(self):
        self.assertRegex(os.path.basename(self.deb), r"^relaydesk_\d+\.\d+\.\d+.*_[a-z0-9]+\.deb$")
        p = run(["dpkg-deb", "-f", self.deb])
        ctl = p.stdout.decode()
        self.assertEqual(p.returncode, 0, ctl)
        self.assertRegex(ctl, r"(?m)^Package: relaydesk$")
        self.assertRegex(ctl, r"(?m)^Maintainer: .+")
        self.assertRegex(ctl, r"(?m)^Description: .+")
        depends = re.search(r"(?m)^Depends: (.*)$", ctl)
        self.assertIsNotNone(depends, "no Depends (dpkg-shlibdeps?):\n" + ctl)
        for lib in ("libqt6core6", "libc6"):
            self.assertIn(lib, depends.group(1), "Depends lacks %s" % lib)

    def test_contents(self):
        p = run(["dpkg-deb", "-c", self.deb])
        listing = p.stdout.decode()
        self.assertEqual(p.returncode, 0, listing)
        names = [line.split()[-1] for line in listing.splitlines() if line.strip()]
        # "-> target" for symlinks: the name is then not last; handle plain files only
        for f in EXPECTED_FILES:
            self.assertIn(f, names, "%s not in package:\n%s" % (f, listing))
        binline = next(l for l in listing.splitlines() if l.split()[-1] == "./usr/bin/relaydesk")
        self.assertTrue(binline.startswith("-rwx"), "binary not executable: " + binline)

    def test_extracted_binary_version(self):
        root = tempfile.mkdtemp(prefix="rd-pkgroot-")
        try:
            p = run(["dpkg-deb", "-x", self.deb, root])
            self.assertEqual(p.returncode, 0, p.stdout.decode())
            with open(os.path.join(root, "usr/share/applications/relaydesk.desktop")) as f:
                desktop = f.read()
            self.assertIn("Exec=relaydesk", desktop)
            self.assertIn("Icon=relaydesk", desktop)
            with open(os.path.join(root, "usr/share/icons/hicolor/scalable/apps/relaydesk.svg")) as f:
                self.assertIn("<svg", f.read())
            p = run([os.path.join(root, "usr/bin/relaydesk"), "--version"], timeout=30)
            out = p.stdout.decode("utf-8", "replace")
            self.assertEqual(p.returncode, 0, out)
            self.assertRegex(out, VERSION_RE)
            self.assertIn("0.1.0", out)
        finally:
            shutil.rmtree(root, ignore_errors=True)

    @unittest.skipUnless(os.environ.get("CI") == "true", "dpkg -i only when CI=true")
    def test_install_for_real(self):
        if os.geteuid() != 0:
            self.skipTest("dpkg -i needs root")
        p = run(["dpkg", "-i", self.deb])
        try:
            self.assertEqual(p.returncode, 0, p.stdout.decode("utf-8", "replace"))
            v = run(["/usr/bin/relaydesk", "--version"], timeout=30)
            out = v.stdout.decode("utf-8", "replace")
            self.assertEqual(v.returncode, 0, out)
            self.assertRegex(out, VERSION_RE)
        finally:
            r = run(["dpkg", "-r", "relaydesk"])
            self.assertEqual(r.returncode, 0, r.stdout.decode("utf-8", "replace"))
        self.assertFalse(os.path.exists("/usr/bin/relaydesk"), "dpkg -r left /usr/bin/relaydesk")


if __name__ == "__main__":
    unittest.main(verbosity=2)

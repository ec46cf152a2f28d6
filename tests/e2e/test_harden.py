#!/usr/bin/env python3
"""Loud failures (issue 13): every output failure is said on stderr with
the path and the cause and shows in the exit status; bad state files are
refused; unreadable directory entries are reported; outputs are checked
before any packet is read.

usage: test_harden.py MITMWATCH SAMPLES_DIR

Some checks need root (a tiny tmpfs for a full disk, chattr +i for a file
even root cannot write, setuid to drop privileges); they are skipped
otherwise.
"""
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

MITMWATCH = SAMPLES = None
ROOT = os.geteuid() == 0


def run(*args, **kw):
    p = subprocess.run([MITMWATCH, *args], capture_output=True, timeout=300, **kw)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def sample(name):
    return os.path.join(SAMPLES, name)


class Base(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mw-harden-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, *p):
        return os.path.join(self.dir, *p)


class StateFailures(Base):
    @unittest.skipUnless(ROOT and shutil.which("mount"), "needs root to mount a tmpfs")
    def test_full_disk(self):
        mnt = self.path("mnt")
        os.mkdir(mnt)
        # 160 KiB: the file and its journal are created, then the sightings
        # of gen-timeseries.pcap (39 chains) do not fit.
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", mnt]).returncode:
            self.skipTest("cannot mount a tmpfs here")
        try:
            state = os.path.join(mnt, "s.db")
            rc, _, err = run("-q", "--state", state, sample("gen-timeseries.pcap"))
        finally:
            subprocess.run(["umount", mnt])
        self.assertEqual(rc, 1, err)
        self.assertIn("state: %s: No space left on device" % state, err)

    @unittest.skipUnless(ROOT and shutil.which("chattr"), "needs root and chattr")
    def test_read_only_file(self):
        state = self.path("s.db")
        rc, _, err = run("-q", "--state", state, sample("gen-clean.pcap"))
        self.assertEqual(rc, 0, err)
        # Immutable: not even root may write it.
        if subprocess.run(["chattr", "+i", state]).returncode:
            self.skipTest("file system without chattr +i")
        try:
            rc, _, err = run("-q", "--state", state, sample("gen-clean.pcap"))
        finally:
            subprocess.run(["chattr", "-i", state])
        self.assertEqual(rc, 2, err)
        self.assertIn("state: %s: read-only" % state, err)

    def test_cap_is_not_an_error(self):
        # The size cap is the documented bound: counted, exit 0.
        state = self.path("s.db")
        rc, _, err = run("--state", state, "--state-max", "1M", sample("gen-clean.pcap"))
        self.assertEqual(rc, 0, err)


class CorruptState(Base):
    def refused(self, state, why):
        rc, _, err = run("-q", "--state", state, sample("gen-clean.pcap"))
        self.assertEqual(rc, 2, err)
        self.assertIn("state: %s: %s" % (state, why), err)
        self.assertIn("--state-reset", err)
        return err

    def test_random_bytes(self):
        state = self.path("r.db")
        with open(state, "wb") as f:
            f.write(bytes((i * 131 + 7) % 256 for i in range(5000)))
        self.refused(state, "file is not a database")

    def test_truncated(self):
        state = self.path("t.db")
        rc, _, err = run("-q", "--state", state, sample("gen-timeseries.pcap"),
                         sample("gen-kz2019.pcap"))
        self.assertEqual(rc, 0, err)
        c = sqlite3.connect(state)
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        c.close()
        size = os.path.getsize(state)
        self.assertGreater(size, 40000)
        with open(state, "r+b") as f:
            f.truncate(size // 2)
        for sfx in ("-wal", "-shm"):
            if os.path.exists(state + sfx):
                os.unlink(state + sfx)
        self.refused(state, "database disk image is malformed")

    def test_foreign_sqlite_file(self):
        state = self.path("other.db")
        c = sqlite3.connect(state)
        c.execute("CREATE TABLE moz_places(url TEXT)")
        c.execute("INSERT INTO moz_places VALUES('https://example.org/')")
        c.commit()
        c.close()
        self.refused(state, "not a mitmwatch state file (it has a table or index 'moz_places'")
        # Untouched: none of our tables were added.
        c = sqlite3.connect(state)
        names = sorted(r[0] for r in c.execute("SELECT name FROM sqlite_master"))
        c.close()
        self.assertEqual(names, ["moz_places"])

    def test_state_reset_keeps_old_file(self):
        state = self.path("other.db")
        c = sqlite3.connect(state)
        c.execute("CREATE TABLE moz_places(url TEXT)")
        c.commit()
        c.close()
        with open(state, "rb") as f:
            before = f.read()
        rc, _, err = run("-q", "--state", state, "--state-reset", sample("gen-clean.pcap"))
        self.assertEqual(rc, 0, err)
        aside = [n for n in os.listdir(self.dir) if n.startswith("other.db.old-")
                 and not n.endswith(("-wal", "-shm"))]
        self.assertEqual(len(aside), 1, os.listdir(self.dir))
        self.assertIn("moved aside to %s" % self.path(aside[0]), err)
        with open(self.path(aside[0]), "rb") as f:
            self.assertEqual(f.read(), before)
        c = sqlite3.connect(state)
        self.assertGreater(c.execute("SELECT COUNT(*) FROM sightings").fetchone()[0], 0)
        c.close()


class UnreadableEntries(Base):
    def capdir(self):
        d = self.path("caps")
        os.mkdir(d)
        shutil.copy(sample("gen-clean.pcap"), os.path.join(d, "a.pcap"))
        return d

    def counter(self, err, text):
        for line in err.splitlines():
            if line.strip().endswith(text):
                return int(line.split()[0])
        return 0

    def test_broken_link(self):
        d = self.capdir()
        os.symlink(self.path("gone.pcap"), os.path.join(d, "b.pcap"))
        rc, _, err = run("--no-progress", d)
        self.assertEqual(rc, 1, err)
        self.assertIn("%s/b.pcap: No such file or directory" % d, err)
        self.assertEqual(self.counter(err, "inputs that could not be opened or are not captures"), 1)
        # The readable file was still read.
        self.assertEqual(self.counter(err, "inputs opened (files, stdin, interfaces)"), 1)

    @unittest.skipUnless(ROOT, "needs root to drop privileges")
    def test_no_permission(self):
        # Root reads any file: the run drops to nobody, for whom c.pcap
        # (mode 000) is unreadable and a.pcap (mode 644) is not.
        d = self.capdir()
        shutil.copy(sample("gen-clean.pcap"), os.path.join(d, "c.pcap"))
        os.chmod(os.path.join(d, "c.pcap"), 0)
        os.chmod(self.dir, 0o755)
        os.chmod(d, 0o755)
        import pwd
        nobody = pwd.getpwnam("nobody")

        def drop():
            os.setgroups([])
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
        if not os.access(MITMWATCH, os.X_OK):
            self.skipTest("binary not executable")
        rc, _, err = run("--no-progress", d, preexec_fn=drop)
        if "Permission denied" in err and "a.pcap" in err:
            self.skipTest("the build tree is not readable by nobody")
        self.assertEqual(rc, 1, err)
        self.assertIn("%s/c.pcap: Permission denied" % d, err)
        self.assertEqual(self.counter(err, "inputs that could not be opened or are not captures"), 1)


class OutputsFirst(Base):
    """Outputs are checked before any input is opened: the missing input
    given alongside must not be reported (it was never reached). Both
    would be exit status 1: the message tells them apart."""

    def fails_first(self, *args):
        missing = self.path("missing.pcap")
        rc, _, err = run(*args, missing)
        self.assertEqual(rc, 1, err)
        self.assertNotIn("missing.pcap", err)
        self.assertNotIn("LeakSanitizer", err)
        return err

    def test_unwritable(self):
        blocker = self.path("file")
        open(blocker, "w").close()
        for opt, name in (("--report", "r"), ("--certs", "c"), ("--write-flagged", "f.pcap"),
                          ("--csv", "s.csv"), ("-o", "e.json")):
            with self.subTest(opt=opt):
                target = os.path.join(blocker, name)
                err = self.fails_first(opt, target)
                self.assertIn("mitmwatch: %s: %s: Not a directory" % (opt, target), err)

    def test_parents_made(self):
        report = self.path("a", "b", "c")
        csv = self.path("d", "e", "s.csv")
        events = self.path("f", "e.json")
        flagged = self.path("g", "h", "f.pcap")
        rc, _, err = run("-q", "--report", report, "--csv", csv, "-o", events,
                         "--write-flagged", flagged, sample("gen-corporate.pcap"))
        self.assertEqual(rc, 0, err)
        self.assertEqual(sorted(os.listdir(report)), ["report.html", "summary.json"])
        self.assertTrue(os.path.getsize(csv) > 0)
        self.assertTrue(os.path.getsize(events) > 0)
        self.assertTrue(os.path.getsize(flagged) > 24)

    def test_probe_leaves_nothing(self):
        # A file output that could not be used later is not left behind
        # empty by the check (the run fails on the bad --state first).
        csv = self.path("s.csv")
        bad = self.path("bad.db")
        with open(bad, "wb") as f:
            f.write(b"not a database" * 100)
        rc, _, err = run("-q", "--csv", csv, "--state", bad, sample("gen-clean.pcap"))
        self.assertEqual(rc, 2, err)
        self.assertFalse(os.path.exists(csv))
        self.assertNotIn("LeakSanitizer", err)


class ExitStatus(Base):
    """One rule (mitmwatch(1) EXIT STATUS): an output that fails during
    the run, after every input was read, is exit status 1, as an input
    that fails; 0 only when everything was read and written."""

    def test_events_full_disk(self):
        # /dev/full opens, then every write is ENOSPC: the failure comes
        # at the flush, after the inputs were read.
        rc, _, err = run("-q", "-o", "/dev/full", sample("gen-clean.pcap"))
        self.assertEqual(rc, 1, err)
        self.assertIn("mitmwatch: /dev/full: cannot write output", err)
        self.assertNotIn("LeakSanitizer", err)

    def test_metrics_unwritable(self):
        # Not checked at start (it is written at the end offline): its
        # directory is a file.
        blocker = self.path("file")
        open(blocker, "w").close()
        metrics = os.path.join(blocker, "m.prom")
        events = self.path("e.json")
        rc, _, err = run("-q", "-o", events, "--metrics", metrics, sample("gen-clean.pcap"))
        self.assertEqual(rc, 1, err)
        self.assertIn("--metrics: %s" % metrics, err)
        # The other outputs were written in full: the final stats record.
        with open(events) as f:
            self.assertIn('"event":"stats"', f.read().splitlines()[-1])
        rc, _, err = run("-q", "-o", events, "--metrics", self.path("m.prom"),
                         sample("gen-clean.pcap"))
        self.assertEqual(rc, 0, err)


if __name__ == "__main__":
    MITMWATCH, SAMPLES = sys.argv[1], sys.argv[2]
    unittest.main(argv=sys.argv[:1], verbosity=2)

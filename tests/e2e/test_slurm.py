#!/usr/bin/env python3
"""tools/slurm/ on a real Slurm: a single-node cluster this test starts
(munged with a key it makes, slurmctld and slurmd on 127.0.0.1 ports of its
choosing, all state in a temporary directory, stopped by PID at the end,
also when the test fails; ../shared/notes/test-services.md), against a
PostgreSQL 15 baseline it starts too (test_pg.PgServer).

usage: test_slurm.py MITMWATCH SAMPLES_DIR TOOLS_SLURM_DIR

Skipped (exit 77), saying so, only when the Slurm, munge or PostgreSQL
server binaries are absent; CI installs them (tools/install-deps.sh).

What is compared is computed independently of the scripts under test: one
mitmwatch over all the captures, with the same vantages, against a
baseline of its own that had the same learning pass, gives the summary
the array's merged report must equal (verdict counts, reasons, targets,
vantages, timeline, forged certificates, inputs).
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import test_pg
from test_pg import PgServer, free_port

MITMWATCH = SAMPLES = SLURM_TOOLS = None
NEEDED = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scontrol")

# Captures with and without a vantage; 10 captures in tasks of 3: the last
# task has one, so the arithmetic of the chunks is exercised.
VANTAGES = {"gen-kz2019.pcap": "kz", "gen-timeseries.pcap": "kz",
            "gen-corporate.pcap": "office"}


def missing():
    gone = [b for b in NEEDED if not shutil.which(b)]
    if not os.access(os.path.join(test_pg.PGBIN, "initdb"), os.X_OK):
        gone.append(os.path.join(test_pg.PGBIN, "initdb"))
    return gone


class Cluster:
    """munged, slurmctld and slurmd in self.dir; stop() ends them by PID."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="mw_slurm_")
        os.chmod(self.dir, 0o755)
        for d in ("munge", "spool", "state", "log", "run"):
            os.mkdir(os.path.join(self.dir, d))
        os.chmod(os.path.join(self.dir, "munge"), 0o700)
        self.host = socket.gethostname().split(".")[0]
        self.conf = os.path.join(self.dir, "slurm.conf")
        self.env = dict(os.environ, SLURM_CONF=self.conf)
        self.pidfiles = []

    def path(self, *p):
        return os.path.join(self.dir, *p)

    def start(self):
        key = self.path("munge", "munge.key")
        with open(key, "wb") as f:
            f.write(os.urandom(1024))
        os.chmod(key, 0o400)
        self.pidfiles.append(self.path("munge", "pid"))
        subprocess.run(["munged", "--key-file=" + key, "--socket=" + self.path("munge", "sock"),
                        "--pid-file=" + self.path("munge", "pid"),
                        "--log-file=" + self.path("munge", "log"),
                        "--seed-file=" + self.path("munge", "seed"), "-f"],
                       check=True, timeout=30, capture_output=True)
        conf = {
            "ClusterName": "t", "SlurmctldHost": self.host, "SlurmUser": "root",
            "SlurmdUser": "root", "AuthType": "auth/munge",
            "AuthInfo": "socket=" + self.path("munge", "sock"), "CredType": "cred/munge",
            "StateSaveLocation": self.path("state"), "SlurmdSpoolDir": self.path("spool"),
            "SlurmctldPidFile": self.path("run", "slurmctld.pid"),
            "SlurmdPidFile": self.path("run", "slurmd.pid"),
            "SlurmctldLogFile": self.path("log", "slurmctld.log"),
            "SlurmdLogFile": self.path("log", "slurmd.log"),
            "SlurmctldPort": str(free_port()), "SlurmdPort": str(free_port()),
            "ProctrackType": "proctrack/linuxproc", "TaskPlugin": "task/none",
            "JobAcctGatherType": "jobacct_gather/none", "SelectType": "select/cons_tres",
            "SelectTypeParameters": "CR_Core", "MpiDefault": "none", "ReturnToService": "2",
            # Finished jobs stay visible to scontrol (no accounting here).
            "MinJobAge": "600",
            "SchedulerParameters": "sched_min_interval=100000",
        }
        with open(self.conf, "w") as f:
            for k, v in conf.items():
                f.write("%s=%s\n" % (k, v))
            # RealMemory: the scripts ask for memory (--mem), which the
            # default of 1 MB could never satisfy.
            mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
            f.write("NodeName=%s CPUs=%d RealMemory=%d State=UNKNOWN\n"
                    % (self.host, os.cpu_count(), mem * 9 // 10))
            f.write("PartitionName=debug Nodes=%s Default=YES MaxTime=INFINITE State=UP\n"
                    % self.host)
        for daemon in ("slurmctld", "slurmd"):
            self.pidfiles.insert(0, self.path("run", daemon + ".pid"))
            subprocess.run([daemon], env=self.env, check=True, timeout=60, capture_output=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            p = subprocess.run(["sinfo", "-h", "-o", "%t"], env=self.env, capture_output=True,
                               text=True, timeout=30)
            if p.stdout.strip() == "idle":
                return
            time.sleep(0.5)
        raise RuntimeError("node not idle after 60 s: " + self.logs())

    def logs(self):
        text = ""
        for n in ("slurmctld.log", "slurmd.log"):
            try:
                with open(self.path("log", n)) as f:
                    text += "\n--- %s\n%s" % (n, f.read()[-3000:])
            except OSError:
                pass
        return text

    def job_state(self, job):
        """States of a job's tasks (the array's elements), from scontrol."""
        p = subprocess.run(["scontrol", "-o", "show", "job", job], env=self.env,
                           capture_output=True, text=True, timeout=30)
        return [w.split("=", 1)[1] for line in p.stdout.splitlines()
                for w in line.split() if w.startswith("JobState=")]

    def wait(self, jobs, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            p = subprocess.run(["squeue", "-h", "-o", "%i", "-j", ",".join(jobs)],
                               env=self.env, capture_output=True, text=True, timeout=30)
            if p.returncode == 0 and not p.stdout.strip():
                return
            time.sleep(0.5)
        raise RuntimeError("jobs %s not done after %d s%s" % (jobs, timeout, self.logs()))

    def stop(self):
        for pf in self.pidfiles:
            try:
                with open(pf) as f:
                    pid = int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                continue
            try:
                os.kill(pid, 15)
            except ProcessLookupError:
                continue
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
            else:
                os.kill(pid, 9)

    def cleanup(self):
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def captures():
    return sorted(os.path.join(SAMPLES, n) for n in os.listdir(SAMPLES)
                  if n.endswith((".pcap", ".pcapng")))


def mw_inputs(paths):
    out = []
    for p in paths:
        v = VANTAGES.get(os.path.basename(p))
        out += ["--vantage", "%s=%s" % (v, p)] if v else [p]
    return out


def comparable(summary):
    """All but what names the run rather than the traffic: the counters
    (a baseline's own statistics: chains known when it opened), and the
    baseline's identity (two databases here)."""
    return {k: v for k, v in summary.items() if k not in ("counters", "baselines",
                                                           "cross_run_evidence")}


class Slurm(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mw_slurmt_")
        os.chmod(self.tmp, 0o755)
        self.cluster = Cluster()
        self.pg = None
        try:
            self.cluster.start()
            self.pg = PgServer()
            self.pg.start()
        except Exception:
            self.tearDown()
            raise

    def tearDown(self):
        try:
            self.cluster.cleanup()
        finally:
            if self.pg:
                self.pg.cleanup()
            shutil.rmtree(self.tmp, ignore_errors=True)

    def test_array_equals_one_run(self):
        paths = captures()
        self.assertEqual(len(paths), 10)
        trust = ["--trust-store", os.path.join(SAMPLES, "trust-store.pem")]
        listing = os.path.join(self.tmp, "captures.txt")
        with open(listing, "w") as f:
            f.write("# capture vantage\n\n")
            for p in paths:
                v = VANTAGES.get(os.path.basename(p))
                f.write("%s %s\n" % (p, v) if v else p + "\n")
        shared = self.pg.createdb("shared")
        out = os.path.join(self.tmp, "out")
        p = subprocess.run([os.path.join(SLURM_TOOLS, "submit.sh"), "-n", "3", "--learn", "--throttle", "2",
                            "--mitmwatch", MITMWATCH, listing, out, shared, "--", *trust],
                           env=self.cluster.env, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        jobs = p.stdout.split()
        self.assertEqual(len(jobs), 3, p.stdout)  # learn, analysis, merge
        p = subprocess.run(["scontrol", "-o", "show", "job", jobs[1]], env=self.cluster.env,
                           capture_output=True, text=True, timeout=30)
        self.assertIn("ArrayTaskThrottle=2", p.stdout)
        self.cluster.wait(jobs, 150)
        for j in jobs:
            self.assertEqual(set(self.cluster.job_state(j)), {"COMPLETED"},
                             "job %s%s" % (j, self.cluster.logs()))
        with open(os.path.join(out, "captures.tsv")) as f:
            self.assertEqual(len(f.read().splitlines()), 10)
        self.assertEqual(sorted(os.listdir(os.path.join(out, "tasks"))), ["0", "1", "2", "3"])
        with open(os.path.join(out, "report", "summary.json")) as f:
            merged = json.load(f)
        self.assertTrue(os.path.getsize(os.path.join(out, "report", "report.html")) > 0)

        # The reference: one process, its own baseline, the same learning pass.
        single = self.pg.createdb("single")
        ref = os.path.join(self.tmp, "ref")
        for extra in (["-q", "-o", os.devnull], ["-q", "-o", os.devnull, "--report", ref]):
            r = subprocess.run([MITMWATCH, "--no-progress", "--state", single, *trust, *extra,
                                *mw_inputs(paths)], capture_output=True, text=True,
                               timeout=300)
            self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(ref, "summary.json")) as f:
            one = json.load(f)
        # Not vacuous: interception found, several targets and vantages.
        self.assertGreater(one["sessions"]["intercepted"], 0)
        self.assertGreater(one["reasons"]["CHAIN_CHANGED"], 0)
        self.assertEqual(sorted(str(v["vantage"]) for v in one["vantages"]), ["None", "kz", "office"])
        self.assertEqual(merged["sessions"], one["sessions"])
        self.assertEqual(merged["targets"], one["targets"])
        self.assertEqual(comparable(merged), comparable(one))


if __name__ == "__main__":
    MITMWATCH, SAMPLES, SLURM_TOOLS = (os.path.abspath(a) for a in sys.argv[1:4])
    gone = missing()
    if gone:
        print("e2e_slurm SKIPPED: not found: %s (apt-get install slurm-wlm munge "
              "postgresql-15; tools/install-deps.sh)" % ", ".join(gone), file=sys.stderr)
        sys.exit(77)  # ctest: SKIP_RETURN_CODE
    test_pg.MITMWATCH, test_pg.SAMPLES = MITMWATCH, SAMPLES
    unittest.main(argv=sys.argv[:1], verbosity=2)

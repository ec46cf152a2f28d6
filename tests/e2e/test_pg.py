#!/usr/bin/env python3
"""End-to-end checks of the PostgreSQL baseline (--state postgresql://...)
against a real PostgreSQL 15 server this test starts (initdb in a
temporary directory, pg_ctl on 127.0.0.1 and a free port, stopped at the
end, also when a test fails; ../shared/notes/test-services.md).

usage: test_pg.py MITMWATCH SAMPLES_DIR

Skipped, saying so, only when the server binaries are absent
(/usr/lib/postgresql/15/bin; CI installs postgresql-15, so it never
skips there).

What is compared is computed independently of the code under test:
  - the SQLite store (test_state.py checks it against the generator's
    ground truth) gives the verdicts, reasons and table contents the
    PostgreSQL store must reproduce;
  - the tables' contents are order independent (sums, minima, maxima), so
    four processes sharing one server must leave exactly the rows one
    process leaves, and four copies of the same work four times the counts;
  - the number of judged sessions comes from the events.
"""
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

from test_detection import codes, key, sessions

MITMWATCH = SAMPLES = None
PGBIN = os.environ.get("MW_PGBIN", "/usr/lib/postgresql/15/bin")

TABLES = {
    "certs": "sha256, subject, issuer, san, spki_sha256, {hex}(der)",
    "sightings": "name, server, chain, leaf, genuine, first_seen, last_seen, sessions,"
                 " intercepted, suspicious, clean",
    "versions": "server, version, name, first_seen, last_seen, sessions",
    "server_fps": "server, ja3, ja3s, first_seen, last_seen, sessions",
}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class PgServer:
    """A throwaway PostgreSQL cluster: start(), url(db), stop(), restart."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="mw_pg_")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "pg")
        os.mkdir(self.data)
        self.as_postgres = []
        if os.geteuid() == 0:
            shutil.chown(self.data, "postgres")
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
        self.port = free_port()
        self.sh(os.path.join(PGBIN, "initdb"), "-D", self.data, "-A", "trust", "-U", "postgres")
        self.running = False

    def sh(self, *args):
        p = subprocess.run(self.as_postgres + list(args), capture_output=True, timeout=120)
        if p.returncode != 0:
            raise RuntimeError("%s: %s" % (args[0], p.stderr.decode() + p.stdout.decode()))

    def start(self):
        self.sh(os.path.join(PGBIN, "pg_ctl"), "-D", self.data, "-w", "-l",
                os.path.join(self.data, "log"), "-o",
                "-p %d -k %s -c listen_addresses=127.0.0.1" % (self.port, self.data), "start")
        self.running = True

    def stop(self, mode="fast"):
        if self.running:
            self.sh(os.path.join(PGBIN, "pg_ctl"), "-D", self.data, "-m", mode, "-w", "stop")
            self.running = False

    def cleanup(self):
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def psql(self, db, sql):
        p = subprocess.run(["psql", "-X", "-q", "-At", "-F", "\t", "-h", "127.0.0.1", "-p",
                            str(self.port), "-U", "postgres", "-v", "ON_ERROR_STOP=1",
                            "-d", db, "-c", sql], capture_output=True, timeout=120)
        if p.returncode != 0:
            raise RuntimeError(p.stderr.decode())
        return [tuple(l.split("\t")) for l in p.stdout.decode().splitlines()]

    def createdb(self, name):
        self.psql("postgres", "CREATE DATABASE %s" % name)
        return self.url(name)

    def url(self, db):
        return "postgresql://postgres@127.0.0.1:%d/%s" % (self.port, db)

    def rows(self, db):
        return {t: self.psql(db, "SELECT %s FROM %s ORDER BY 1, 2, 3" %
                             (c.replace("{hex}(der)", "encode(der, 'hex')"), t))
                for t, c in TABLES.items()}


def sqlite_rows(path):
    con = sqlite3.connect(path)
    out = {}
    for t, c in TABLES.items():
        sql = "SELECT %s FROM %s ORDER BY 1, 2, 3" % (c.replace("{hex}(der)", "hex(der)"), t)
        out[t] = [tuple(str(v).lower() if t == "certs" and i == 5 else str(v)
                        for i, v in enumerate(r)) for r in con.execute(sql)]
    con.close()
    return out


SERVER = None


def setUpModule():
    global SERVER
    if not os.access(os.path.join(PGBIN, "initdb"), os.X_OK):
        raise unittest.SkipTest("PostgreSQL server binaries not found in %s "
                                "(apt-get install postgresql-15)" % PGBIN)
    SERVER = PgServer()
    try:
        SERVER.start()
    except Exception:
        SERVER.cleanup()
        raise


def tearDownModule():
    if SERVER:
        SERVER.cleanup()


def inputs():
    return sorted(os.path.join(SAMPLES, n) for n in os.listdir(SAMPLES)
                  if n.endswith((".pcap", ".pcapng")))


def mw_args(state, paths, *extra):
    return [MITMWATCH, "--json", "-q", "--trust-store",
            os.path.join(SAMPLES, "trust-store.pem"), "--state", state, *extra, *paths]


def run(state, paths, *extra, env=None):
    p = subprocess.run(mw_args(state, paths, *extra), capture_output=True, timeout=600,
                       env=env)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def run_all(argsets, **kw):
    """The commands at once, their output in files (not pipes: a process
    blocked on a full pipe would hold its batch's row locks); a list of
    (rc, stdout, stderr)."""
    files, procs = [], []
    for args in argsets:
        out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
        files.append((out, err))
        procs.append(subprocess.Popen(args, stdout=out, stderr=err, **kw))
    res = []
    for p, (out, err) in zip(procs, files):
        p.wait(timeout=600)
        out.seek(0)
        err.seek(0)
        res.append((p.returncode, out.read().decode(), err.read().decode()))
        out.close()
        err.close()
    return res


def stats_of(out):
    return [json.loads(l) for l in out.splitlines() if '"event":"stats"' in l][-1]


def judged(events):
    return sum(1 for r in events
               if r["chain"] and r["verdict"] not in ("opaque", "incomplete", None))


def judgement(events):
    """Per session: verdict and reasons (code and detail)."""
    return sorted((key(r), r["verdict"], json.dumps(r["reasons"], sort_keys=True))
                  for r in events)


def codes_only(events):
    return sorted((key(r), r["verdict"], tuple(sorted(codes(r)))) for r in events)


class Pg(unittest.TestCase):
    n = 0

    def db(self):
        Pg.n += 1
        return SERVER.createdb("t%d" % Pg.n)

    def analyze(self, state, paths, *extra):
        rc, out, err = run(state, paths, *extra)
        self.assertEqual(rc, 0, err)
        st = stats_of(out)["output"]
        self.assertEqual(st["baseline_errors"], 0, err)
        self.assertEqual(st["baseline_unstored"], 0, err)
        return sessions(out), st

    def test_same_as_sqlite(self):
        """Every sample, in turn, against one store: PostgreSQL and SQLite
        give the same verdicts and reasons, and hold the same rows."""
        url = self.db()
        tmp = tempfile.mkdtemp(prefix="mw_pgsq_")
        try:
            db = os.path.join(tmp, "s.db")
            history = 0
            for path in inputs():
                pg, pst = self.analyze(url, [path])
                sq, sst = self.analyze(db, [path])
                self.assertEqual(judgement(pg), judgement(sq), path)
                self.assertEqual(pst["baseline_chains_recorded"],
                                 sst["baseline_chains_recorded"])
                self.assertEqual(pst["baseline_chains_known"], sst["baseline_chains_known"])
                history += sum(1 for r in pg for c in codes(r)
                               if c in ("CLONED_CERT", "CHAIN_CHANGED", "VERSION_DOWNGRADE",
                                        "SERVER_FINGERPRINT_CHANGED"))
            # The samples do exercise history (test_state.py has the sets).
            self.assertGreater(history, 0)
            want = sqlite_rows(db)
            got = SERVER.rows(url.rsplit("/", 1)[1])
            for t in TABLES:
                self.assertEqual(got[t], want[t], t)
            self.assertGreater(len(got["sightings"]), 10)
            self.assertEqual(SERVER.psql(url.rsplit("/", 1)[1],
                                         "SELECT version FROM mitmwatch_schema"), [("3",)])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_four_processes_one_baseline(self):
        """Four processes a quarter each, at once, against one server: no
        lost update (the rows equal one process's over all), and after
        that learning pass the same judgements as one process over all."""
        paths = inputs()
        quarters = [paths[i::4] for i in range(4)]
        shared, single = self.db(), self.db()
        n_judged = 0
        for rc, out, err in run_all([mw_args(shared, q) for q in quarters]):
            self.assertEqual(rc, 0, err)
            n_judged += judged(sessions(out))
        one, _ = self.analyze(single, paths)
        self.assertEqual(judged(one), n_judged)
        got = SERVER.rows(shared.rsplit("/", 1)[1])
        want = SERVER.rows(single.rsplit("/", 1)[1])
        for t in ("certs", "versions", "server_fps"):
            self.assertEqual(got[t], want[t], t)
        # Per sighting, the verdict counts and "genuine" depend on the
        # history each session was judged against (docs/scale.md): the
        # key, time range and number of sessions do not.
        stable = lambda rows: [r[:4] + r[5:8] for r in rows]
        self.assertEqual(stable(got["sightings"]), stable(want["sightings"]))
        self.assertEqual(sum(int(r[7]) for r in got["sightings"]), n_judged)
        # Judging against the filled baseline does not depend on which
        # process runs first (docs/scale.md says what does).
        four = []
        for rc, out, err in run_all([mw_args(shared, q) for q in quarters]):
            self.assertEqual(rc, 0, err)
            four += sessions(out)
        again, _ = self.analyze(single, paths)
        self.assertEqual(codes_only(four), codes_only(again))
        self.assertEqual(len(four), len(again))
        self.assertTrue(any("CHAIN_CHANGED" in codes(r) for r in again))

    def test_same_rows_contended(self):
        """Four processes with the same inputs upsert the same rows at once
        (deadlocks between their batches are retried): four times the
        counts, the same time ranges."""
        paths = [os.path.join(SAMPLES, n + ".pcap") for n in
                 ("gen-timeseries", "gen-kz2019", "gen-corporate", "gen-clean")]
        shared, single = self.db(), self.db()
        for rc, out, err in run_all([mw_args(shared, paths)] * 4):
            self.assertEqual(rc, 0, err)
            self.assertEqual(stats_of(out)["output"]["baseline_unstored"], 0)
        self.analyze(single, paths)
        got = SERVER.rows(shared.rsplit("/", 1)[1])
        want = SERVER.rows(single.rsplit("/", 1)[1])
        self.assertEqual(got["certs"], want["certs"])
        for t, nsess in (("versions", 5), ("server_fps", 5)):
            four = [r[:nsess] + tuple(str(4 * int(v)) for v in r[nsess:]) for r in want[t]]
            self.assertEqual(got[t], four, t)
        # Sightings: the verdict counts depend on what the other copies had
        # committed when a session was judged; their sum does not.
        stable = lambda rows, k: [r[:4] + r[5:7] + (str(k * int(r[7])),
                                                   str(k * sum(int(v) for v in r[8:11])))
                                  for r in rows]
        self.assertEqual(stable(got["sightings"], 1), stable(want["sightings"], 4))

    def stream(self, url, path, middle, env=None):
        """mitmwatch reading path from a pipe; middle() runs between the
        two halves. Returns rc, events, stats, stderr."""
        with open(path, "rb") as f:
            data = f.read()
        outf, errf = tempfile.TemporaryFile(), tempfile.TemporaryFile()
        p = subprocess.Popen(mw_args(url, ["-"]), stdin=subprocess.PIPE,
                             stdout=outf, stderr=errf, env=env)
        half = len(data) // 2
        p.stdin.write(data[:half])
        p.stdin.flush()
        time.sleep(1.5)
        middle()
        p.stdin.write(data[half:])
        p.stdin.close()
        p.wait(timeout=600)
        outf.seek(0)
        errf.seek(0)
        out, err = outf.read().decode(), errf.read().decode()
        outf.close()
        errf.close()
        return p.returncode, sessions(out), stats_of(out), err

    def test_backend_terminated(self):
        url = self.db()
        name = url.rsplit("/", 1)[1]

        def kill():
            got = SERVER.psql(name, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                                    " WHERE application_name = 'mitmwatch'")
            self.assertEqual(got, [("t",)])

        path = os.path.join(SAMPLES, "gen-timeseries.pcap")
        rc, events, st, err = self.stream(url, path, kill)
        self.assertEqual(rc, 0, err)
        self.assertGreaterEqual(st["output"]["baseline_reconnects"], 1)
        self.assertEqual(st["output"]["baseline_unstored"], 0)
        # Nothing recorded was lost.
        self.assertEqual(int(SERVER.psql(name, "SELECT SUM(sessions) FROM sightings")[0][0]),
                         judged(events))

    def test_server_restarted(self):
        url = self.db()
        name = url.rsplit("/", 1)[1]
        path = os.path.join(SAMPLES, "gen-kz2019.pcap")

        def bounce():
            SERVER.stop("immediate")
            # Back after the rest of the input was judged without it.
            restarter.append(subprocess.Popen(["sh", "-c", "sleep 3; " + " ".join(
                SERVER.as_postgres + [os.path.join(PGBIN, "pg_ctl"), "-D", SERVER.data, "-w",
                                      "-l", os.path.join(SERVER.data, "log"), "-o",
                                      "'-p %d -k %s -c listen_addresses=127.0.0.1'" %
                                      (SERVER.port, SERVER.data), "start"])],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            SERVER.running = True  # cleanup stops it

        restarter = []
        rc, events, st, err = self.stream(url, path, bounce)
        self.assertEqual(restarter[0].wait(timeout=60), 0)
        self.assertEqual(rc, 0, err)
        out = st["output"]
        self.assertGreaterEqual(out["baseline_reconnects"], 1)
        self.assertGreater(out["baseline_lookups_offline"], 0)
        self.assertEqual(out["baseline_unstored"], 0)
        self.assertEqual(int(SERVER.psql(name, "SELECT SUM(sessions) FROM sightings")[0][0]),
                         judged(events))

    def test_server_gone(self):
        """The server does not come back within the retry window: judging
        goes on, what could not be stored is counted, exit status 1 (an
        output not written)."""
        url = self.db()
        path = os.path.join(SAMPLES, "gen-kz2019.pcap")
        env = dict(os.environ, MITMWATCH_STATE_RETRY="2")
        try:
            rc, events, st, err = self.stream(url, path, lambda: SERVER.stop("fast"), env)
        finally:
            if not SERVER.running:
                SERVER.start()
        self.assertEqual(rc, 1, err)
        self.assertGreater(len(events), 0)
        self.assertGreater(st["output"]["baseline_unstored"], 0)
        self.assertIn("mitmwatch: state: %s: server unreachable for 2 s" % url, err)

    def test_password_never_shown(self):
        for state in ("postgresql://postgres:s3cr%%3Et@127.0.0.1:%d/t1" % SERVER.port,
                      "pg:host=127.0.0.1 port=%d password=s3cr>t dbname=t1" % SERVER.port,
                      "pg:host=127.0.0.1 port=%d password='s3 cr>t' dbname=t1" % SERVER.port):
            rc, _, err = run(state, [os.path.join(SAMPLES, "gen-clean.pcap")])
            self.assertEqual(rc, 2, err)
            self.assertNotIn("s3", err)
            self.assertIn("***", err)
            self.assertIn("a password in --state is refused", err)
        # From the environment: used, never printed (wrong port: an error).
        env = dict(os.environ, PGPASSWORD="hunter2")
        rc, _, err = run("postgresql://postgres@127.0.0.1:%d/t1" % free_port(),
                         [os.path.join(SAMPLES, "gen-clean.pcap")], env=env)
        self.assertEqual(rc, 2, err)
        self.assertNotIn("hunter2", err)
        self.assertIn("mitmwatch: state: postgresql://postgres@127.0.0.1:", err)
        self.assertIn("Connection refused", err)

    def test_store_id(self):
        """The database's identity, made once (schema version 3), is what
        every summary made against it records; another database has
        another (docs/summary.md, "baselines")."""
        ids = []
        for url in (self.db(), self.db()):
            name = url.rsplit("/", 1)[1]
            for i in range(2):
                rep = tempfile.mkdtemp(prefix="mw_pgid_")
                try:
                    rc, _, err = run(url, [os.path.join(SAMPLES, "gen-clean.pcap")],
                                     "--report", rep)
                    self.assertEqual(rc, 0, err)
                    with open(os.path.join(rep, "summary.json")) as f:
                        got = json.load(f)["baselines"]
                finally:
                    shutil.rmtree(rep, ignore_errors=True)
                stored = SERVER.psql(name, "SELECT store_id FROM mitmwatch_schema")
                self.assertEqual(len(stored), 1)
                self.assertRegex(stored[0][0], "^[0-9a-f]{32}$")
                self.assertEqual(got, [{"kind": "postgresql", "id": stored[0][0]}])
                ids.append(stored[0][0])
        self.assertEqual(ids[0], ids[1])
        self.assertEqual(ids[2], ids[3])
        self.assertNotEqual(ids[0], ids[2])

    def test_schema_versions(self):
        # A database with a table of ours but not made by mitmwatch: refused.
        url = self.db()
        name = url.rsplit("/", 1)[1]
        SERVER.psql(name, "CREATE TABLE certs(x int)")
        rc, _, err = run(url, [os.path.join(SAMPLES, "gen-clean.pcap")])
        self.assertEqual(rc, 2)
        self.assertIn("not a mitmwatch baseline (the database has a table 'certs'", err)
        # Version 1 (no server_fps) is upgraded in place, its rows kept.
        url = self.db()
        name = url.rsplit("/", 1)[1]
        rc, out, err = run(url, [os.path.join(SAMPLES, "gen-clean.pcap")])
        self.assertEqual(rc, 0, err)
        SERVER.psql(name, "DROP TABLE server_fps; UPDATE mitmwatch_schema SET version = 1")
        before = SERVER.psql(name, "SELECT COUNT(*) FROM sightings")
        rc, out, err = run(url, [os.path.join(SAMPLES, "gen-clean.pcap")])
        self.assertEqual(rc, 0, err)
        self.assertEqual(SERVER.psql(name, "SELECT version FROM mitmwatch_schema"), [("3",)])
        self.assertEqual(stats_of(out)["output"]["baseline_chains_known"], int(before[0][0]))
        self.assertGreater(int(SERVER.psql(name, "SELECT COUNT(*) FROM server_fps")[0][0]), 0)
        # A newer one is refused, not misread.
        SERVER.psql(name, "UPDATE mitmwatch_schema SET version = 4")
        rc, _, err = run(url, [os.path.join(SAMPLES, "gen-clean.pcap")])
        self.assertEqual(rc, 2)
        self.assertIn("baseline of a newer format (4; this is 3)", err)
        # --state-reset is for files.
        rc, _, err = run(url, [os.path.join(SAMPLES, "gen-clean.pcap")], "--state-reset")
        self.assertNotEqual(rc, 0)
        self.assertIn("a PostgreSQL baseline is reset by dropping its tables", err)


if __name__ == "__main__":
    MITMWATCH, SAMPLES = (os.path.abspath(a) for a in sys.argv[1:3])
    if not os.access(os.path.join(PGBIN, "initdb"), os.X_OK):
        print("e2e_pg SKIPPED: PostgreSQL server binaries not found in %s "
              "(apt-get install postgresql-15)" % PGBIN, file=sys.stderr)
        sys.exit(77)  # ctest: SKIP_RETURN_CODE
    unittest.main(argv=sys.argv[:1], verbosity=2)

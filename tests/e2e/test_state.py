#!/usr/bin/env python3
"""End-to-end checks of the evidence that needs history (CLONED_CERT,
CHAIN_CHANGED, VERSION_DOWNGRADE) and of the baseline store (--state).

usage: test_state.py MITMWATCH SAMPLES_DIR

The expected sessions are worked out here from the generator's ground
truth (which session carried the genuine chain, which a forgery of it) and
from the events themselves (negotiated and offered versions), not from
mitmwatch's code:
  - CLONED_CERT fires on a forged chain when an earlier session (in this
    run or a run sharing --state) showed the genuine leaf it copies, with
    a validating chain, for the same SNI or the same server;
  - CHAIN_CHANGED fires when an earlier session to the same SNI and server
    showed a validating chain from another issuer;
  - VERSION_DOWNGRADE fires on a target session where the client offered
    TLS 1.3, the server answered less, and an earlier session to the same
    server negotiated TLS 1.3 with a client offering it.
"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import unittest

# The event helpers of the detection test (same directory).
from test_detection import codes, key, sessions

MITMWATCH = SAMPLES = None


def run(*args):
    p = subprocess.run([MITMWATCH, *args], capture_output=True, timeout=600)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def server(t):
    return (t["dst_ip"], t["dst_port"])


def truth(name):
    with open(os.path.join(SAMPLES, name + ".truth.jsonl")) as f:
        return [json.loads(line) for line in f]


def genuine_on_wire(t):
    return t["handshake"] == "complete" and t["chain_sha256"] == t["genuine_chain_sha256"]


def forged_on_wire(t):
    return (t["intercepted"] and t["handshake"] == "complete"
            and t["chain_sha256"] != t["genuine_chain_sha256"])


def expected_history(truths):
    """Sets of session keys where CLONED_CERT and CHAIN_CHANGED must fire,
    over the sessions of truths in the order they are read."""
    cloned, changed = set(), set()
    seen_leaf_by_name, seen_leaf_by_server, seen_pair = {}, {}, set()
    for t in truths:
        k = key(t)
        if forged_on_wire(t):
            leaf = t["genuine_chain_sha256"][0]
            if leaf in seen_leaf_by_name.get(t["sni"], set()) or \
                    leaf in seen_leaf_by_server.get(server(t), set()):
                cloned.add(k)
            if (t["sni"], server(t)) in seen_pair:
                changed.add(k)
        if genuine_on_wire(t):
            leaf = t["chain_sha256"][0]
            seen_leaf_by_name.setdefault(t["sni"], set()).add(leaf)
            seen_leaf_by_server.setdefault(server(t), set()).add(leaf)
            seen_pair.add((t["sni"], server(t)))
    return cloned, changed


def expected_downgrades(events):
    """From the events alone, in order: keys where VERSION_DOWNGRADE must fire."""
    tls13_servers, out = set(), set()
    for r in events:
        srv = (r["dst_ip"], r["dst_port"])
        offered = "TLSv1.3" in (r["client_versions"] or [])
        if offered and r["version"] and r["version"] != "TLSv1.3" and r["target"] \
                and r["chain"] and srv in tls13_servers:
            out.add(key(r))
        if offered and r["version"] == "TLSv1.3":
            tls13_servers.add(srv)
    return out


class State(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mw_state_")
        cls.store = os.path.join(SAMPLES, "trust-store.pem")

    def analyze(self, names, *extra):
        rc, out, err = run("--json", "-q", "--trust-store", self.store, *extra,
                           *[os.path.join(SAMPLES, n + ".pcap") for n in names])
        self.assertEqual(rc, 0, err)
        return sessions(out)

    def check_history(self, events, truths):
        cloned, changed = expected_history(truths)
        downgraded = expected_downgrades(events)
        got = {c: {key(r) for r in events if c in codes(r)}
               for c in ("CLONED_CERT", "CHAIN_CHANGED", "VERSION_DOWNGRADE")}
        self.assertEqual(got["CLONED_CERT"], cloned)
        self.assertEqual(got["CHAIN_CHANGED"], changed)
        self.assertEqual(got["VERSION_DOWNGRADE"], downgraded)
        # Evidence from history never lands on a session that was not
        # intercepted (the generator's genuine sessions stay unflagged).
        intercepted = {key(t) for t in truths if t["intercepted"]}
        for r in events:
            if key(r) not in intercepted:
                self.assertIn(r["verdict"], ("clean", "opaque", "incomplete"), r["reasons"])
        by_key = {key(r): r for r in events}
        for k in cloned:
            r = by_key[k]
            self.assertEqual(r["verdict"], "intercepted")
            detail = r["reasons"][codes(r).index("CLONED_CERT")]["detail"]
            # The 2019 traits the generator reproduces (rules-data/README.md).
            self.assertIn("with another key and issuer CN=Security Certificate,C=KZ", detail)
            self.assertRegex(detail, r"validity shifted (6|24) hours earlier than the genuine")
            self.assertIn("serial shares all but its last 4 of", detail)
            self.assertIn("extensions dropped:", detail)
        return {c: len(v) for c, v in got.items()}

    def test_within_one_run(self):
        counts = {}
        for name in ("gen-timeseries", "gen-kz2019"):
            events = self.analyze([name])
            counts[name] = self.check_history(events, truth(name))
            print("\n%s: %s" % (name, counts[name]), file=sys.stderr)
        # The truth-derived sets above are the test; these pin the sizes the
        # samples hold so a regenerated sample cannot empty them unnoticed.
        self.assertEqual(counts["gen-timeseries"]["CLONED_CERT"], 1)
        self.assertEqual(counts["gen-kz2019"]["CLONED_CERT"], 0)

    def test_across_runs_with_state(self):
        db = os.path.join(self.tmp, "across.db")
        first = self.analyze(["gen-timeseries"], "--state", db)
        second = self.analyze(["gen-kz2019"], "--state", db)
        both = truth("gen-timeseries") + truth("gen-kz2019")
        self.check_history(first + second, both)
        alone = self.check_history(self.analyze(["gen-kz2019"]), truth("gen-kz2019"))
        after = {c: sum(1 for r in second if c in codes(r)) for c in alone}
        print("\nkz2019 after timeseries (--state): %s; alone: %s" % (after, alone),
              file=sys.stderr)
        # The second run recognises copies of chains only the first saw.
        self.assertGreater(after["CLONED_CERT"], alone["CLONED_CERT"])
        self.assertGreater(after["CHAIN_CHANGED"], alone["CHAIN_CHANGED"])
        con = sqlite3.connect(db)
        self.assertEqual(con.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        judged = sum(1 for r in first + second
                     if r["chain"] and r["verdict"] not in ("opaque", "incomplete", None))
        self.assertEqual(con.execute("SELECT SUM(sessions) FROM sightings").fetchone()[0],
                         judged)
        con.close()

    def test_concurrent_runs_share_one_file(self):
        db = os.path.join(self.tmp, "shared.db")
        names = ["gen-timeseries", "gen-kz2019", "gen-corporate", "gen-clean"]
        procs = [subprocess.Popen([MITMWATCH, "--json", "-q", "--trust-store", self.store,
                                   "--state", db, os.path.join(SAMPLES, n + ".pcap")],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for n in names]
        judged = 0
        for p in procs:
            out, err = p.communicate(timeout=600)
            self.assertEqual(p.returncode, 0, err.decode())
            judged += sum(1 for r in sessions(out.decode())
                          if r["chain"] and r["verdict"] not in ("opaque", "incomplete", None))
            stats = [json.loads(l) for l in out.decode().splitlines()][-1]
            self.assertEqual(stats["output"]["baseline_errors"], 0)
            self.assertEqual(stats["output"]["baseline_full"], 0)
        con = sqlite3.connect(db)
        self.assertEqual(con.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        self.assertEqual(con.execute("SELECT SUM(sessions) FROM sightings").fetchone()[0],
                         judged)
        con.close()

    def test_bad_state_file(self):
        bad = os.path.join(self.tmp, "notdb")
        with open(bad, "w") as f:
            f.write("plain text, not SQLite, long enough to be read as a header\n")
        rc, _, err = run("--state", bad, os.path.join(SAMPLES, "gen-clean.pcap"))
        self.assertEqual(rc, 2)
        self.assertIn("state: %s: file is not a database" % bad, err)


if __name__ == "__main__":
    MITMWATCH, SAMPLES = (os.path.abspath(a) for a in sys.argv[1:3])
    unittest.main(argv=sys.argv[:1], verbosity=2)

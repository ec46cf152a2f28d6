#!/usr/bin/env python3
"""End-to-end checks of detection (verdicts) against ground truth.

usage: test_detection.py MITMWATCH SAMPLES_DIR CORPUS_DIR

On samples/gen-*.pcap with the test PKI as trust store and the sample's
KZ look-alike root (a test key) as an extra rogue root, every session is
compared with its .truth.jsonl line:
  - intercepted, forged chain visible  -> "intercepted" with ROGUE_ANCHOR
    naming kz-2019-root (kz-2019), or at least "suspicious" with
    UNTRUSTED_CHAIN (corporate: its CA is no known rogue root);
  - intercepted but chain hidden       -> "opaque";
  - seen from the server side (the box's own upstream connection carries
    the genuine chain)                 -> not detectable from the chain:
    "clean", unless a rules dir lists the box's JA3 (then "intercepted"
    with INTERCEPTOR_FINGERPRINT, test_server_side_fingerprint);
  - forgeries seen at client vantages also carry TTL_ANOMALY (the box
    answers with its own hop count); no other session does;
  - not intercepted                    -> clean, opaque or incomplete.
Then all of CORPUS_DIR with the built-in rules and the system trust store:
no session may be "intercepted"; the suspicious ones and the
TTL_ANOMALY ones are listed.
"""
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

MITMWATCH = SAMPLES = CORPUS = None
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
NOT_FLAGGED = ("clean", "opaque", "incomplete")
# The generator's KZ box ClientHello (tools/gen: its upstream leg at the
# server-side vantage of gen-kz2019).
BOX_JA3 = "d053b491d407c05a53ff5b5921962056"


def run(*args):
    p = subprocess.run([MITMWATCH, *args], capture_output=True, timeout=600)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def sessions(out):
    return [r for r in map(json.loads, out.splitlines())
            if r.get("event") in ("tls", "dtls", "quic")]


def key(r):
    return (r["src_ip"], r["src_port"], r["dst_ip"], r["dst_port"])


def codes(r):
    return [x["code"] for x in r["reasons"] or []]


class Detection(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mw_detect_")
        cls.rules = os.path.join(cls.tmp, "rules")
        os.makedirs(os.path.join(cls.rules, "rogue-roots"))
        shutil.copy(os.path.join(SAMPLES, "kz-2019-root.pem"),
                    os.path.join(cls.rules, "rogue-roots", "kz-2019-root.pem"))
        cls.store = os.path.join(SAMPLES, "trust-store.pem")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def judge_sample(self, name, extra=()):
        rc, out, err = run("--json", "-q", "--trust-store", self.store, *extra,
                           os.path.join(SAMPLES, name + ".pcap"))
        self.assertEqual(rc, 0, err)
        got = {key(r): r for r in sessions(out)}
        with open(os.path.join(SAMPLES, name + ".truth.jsonl")) as f:
            truth = [json.loads(line) for line in f]
        return truth, got

    def test_samples_against_truth(self):
        total = collections.Counter()
        for name in ("gen-kz2019", "gen-corporate", "gen-clean", "gen-timeseries"):
            truth, got = self.judge_sample(name, ("--rules", self.rules))
            c = collections.Counter()
            for t in truth:
                r = got.get(key(t))
                self.assertIsNotNone(r, (name, t))
                v, why = r["verdict"], codes(r)
                ctx = (name, t["sni"], v, r["reasons"])
                visible = t["handshake"] == "complete"
                # At a client vantage the SYN-ACK comes from the real
                # server, the rest from the box (docs/generator.md): the
                # ServerHello's TTL shows it, chain or not (TLS 1.3).
                client_vantage = (t["intercepted"] and t["client_hello_by"] == "client"
                                  and t["vantage"] != "server-side")
                if client_vantage:
                    self.assertIn("TTL_ANOMALY", why, ctx)
                    detail = r["reasons"][why.index("TTL_ANOMALY")]["detail"]
                    if t["interceptor"] == "kz-2019":
                        self.assertEqual(detail, "server's SYN-ACK came with TTL 52, its "
                                         "certificate flight with TTL 61", ctx)
                    c["TTL_ANOMALY"] += 1
                else:
                    self.assertNotIn("TTL_ANOMALY", why, ctx)
                self.assertNotIn("INTERCEPTOR_FINGERPRINT", why, ctx)
                if t["intercepted"] and visible and t["chain_sha256"] == t["genuine_chain_sha256"]:
                    # Server-side vantage: the wire carries the genuine chain.
                    self.assertIn(v, NOT_FLAGGED, ctx)
                    c["missed (server side, genuine chain: needs fingerprints)"] += 1
                elif t["intercepted"] and visible:
                    if t["interceptor"] == "kz-2019":
                        self.assertEqual(v, "intercepted", ctx)
                        self.assertIn("ROGUE_ANCHOR", why, ctx)
                        detail = r["reasons"][why.index("ROGUE_ANCHOR")]["detail"]
                        self.assertIn("kz-2019-root", detail, ctx)
                        self.assertEqual(r["target"], t["sni"], ctx)
                        c["found (intercepted)"] += 1
                    else:
                        self.assertIn(v, ("suspicious", "intercepted"), ctx)
                        self.assertIn("UNTRUSTED_CHAIN", why, ctx)
                        c["found (%s)" % v] += 1
                elif t["intercepted"]:
                    # TLS 1.3: the TTL step on a target makes it suspicious.
                    self.assertEqual(v, "suspicious" if r["target"] else "opaque", ctx)
                    self.assertEqual(why, ["TTL_ANOMALY"], ctx)
                    self.assertIn("its ServerHello with TTL", r["reasons"][0]["detail"], ctx)
                    c["intercepted, chain hidden (%s by TTL_ANOMALY)" % v] += 1
                else:
                    self.assertIn(v, NOT_FLAGGED, ctx)
                    c["clean sessions: " + v] += 1
                if t["intercepted"] and t["interceptor"] == "kz-2019":
                    self.assertEqual(r["target"], t["sni"], ctx)
            print("\n%s (%d sessions): %s" % (name, len(truth), dict(sorted(c.items()))),
                  file=sys.stderr)
            total.update(c)
        # 16 visible forged chains in gen-kz2019 and 26 in gen-timeseries,
        # 5 visible corporate ones (counted from the truth files).
        self.assertEqual(total["found (intercepted)"], 42)
        self.assertEqual(total["found (suspicious)"], 5)

    def test_server_side_fingerprint(self):
        # A rules dir listing the box's JA3: its upstream connections to
        # target names become "intercepted" although their chain is genuine.
        rules = os.path.join(self.tmp, "fprules")
        os.makedirs(os.path.join(rules, "fingerprints"), exist_ok=True)
        with open(os.path.join(rules, "fingerprints", "box.txt"), "w") as f:
            f.write("# the generator's box\nja3 %s kz-box (test)\n" % BOX_JA3.upper())
        truth, got = self.judge_sample("gen-kz2019", ("--rules", self.rules,
                                                      "--rules", rules))
        n = 0
        for t in truth:
            r = got[key(t)]
            ctx = (t["sni"], r["verdict"], r["reasons"])
            if t["client_hello_by"] == "kz-box":
                self.assertEqual(r["ja3"], BOX_JA3, ctx)
                self.assertEqual(r["verdict"], "intercepted", ctx)
                self.assertEqual(codes(r), ["INTERCEPTOR_FINGERPRINT"], ctx)
                self.assertEqual(r["reasons"][0]["detail"],
                                 "ClientHello JA3 %s is that of kz-box (test)" % BOX_JA3)
                self.assertEqual(r["target"], t["sni"], ctx)
                n += 1
            else:
                self.assertNotIn("INTERCEPTOR_FINGERPRINT", codes(r), ctx)
                if not t["intercepted"]:
                    self.assertIn(r["verdict"], NOT_FLAGGED, ctx)
        self.assertEqual(n, 4)
        # A bad line stops at start with file and line.
        bad = os.path.join(self.tmp, "badfp")
        os.makedirs(os.path.join(bad, "fingerprints"), exist_ok=True)
        path = os.path.join(bad, "fingerprints", "x.txt")
        with open(path, "w") as f:
            f.write("# ok\nja3 1234 box\n")
        rc, _, err = run("--rules", bad, os.path.join(SAMPLES, "gen-clean.pcap"))
        self.assertEqual(rc, 2)
        self.assertIn(path + ":2: not a ja3 fingerprint", err)

    def test_kz_by_name_without_the_test_key(self):
        # The built-in rules hold the real Qaznet root, whose name the test
        # root copies: name evidence + untrusted chain + forgery traits on
        # a target agree, so the forgeries are still "intercepted".
        truth, got = self.judge_sample("gen-kz2019")
        n = 0
        for t in truth:
            r = got[key(t)]
            if t["intercepted"] and t["handshake"] == "complete" and \
                    t["chain_sha256"] != t["genuine_chain_sha256"]:
                self.assertEqual(r["verdict"], "intercepted", r["reasons"])
                self.assertEqual(codes(r)[:3], ["ROGUE_NAME", "UNTRUSTED_CHAIN",
                                                "FORGERY_TRAITS"])
                self.assertIn("qaznet-trust-network-2016", r["reasons"][0]["detail"])
                n += 1
        self.assertEqual(n, 16)

    def test_text_line_carries_the_verdict(self):
        rc, out, err = run("-q", "--trust-store", self.store, "--rules", self.rules,
                           os.path.join(SAMPLES, "gen-kz2019.pcap"))
        self.assertEqual(rc, 0, err)
        lines = out.splitlines()
        self.assertEqual(len(lines), 30)
        tags = collections.Counter(line.rsplit(" ", 1)[1] for line in lines)
        self.assertEqual(tags["verdict=intercepted[ROGUE_ANCHOR,UNTRUSTED_CHAIN,"
                              "FORGERY_TRAITS,TTL_ANOMALY]"], 15)
        self.assertEqual(tags["verdict=intercepted[ROGUE_ANCHOR,UNTRUSTED_CHAIN,"
                              "FORGERY_TRAITS,NAME_MISMATCH,TTL_ANOMALY]"], 1)
        self.assertEqual(tags["verdict=opaque"], 5)

    def test_targets_option_replaces_lists(self):
        tfile = os.path.join(self.tmp, "only.txt")
        with open(tfile, "w") as f:
            f.write("# one entry\nandroid.com\n")
        truth, got = self.judge_sample("gen-kz2019", ("--targets", tfile))
        seen = {r["sni"]: r["target"] for r in got.values()}
        self.assertEqual(seen["android.com"], "android.com")
        self.assertIsNone(seen["allo.google.com"])

    def test_loading_errors(self):
        bad = os.path.join(self.tmp, "bad.pem")
        with open(bad, "w") as f:
            f.write("# x\n-----BEGIN CERTIFICATE-----\nnot base64!\n"
                    "-----END CERTIFICATE-----\n")
        rc, _, err = run("--trust-store", bad, os.path.join(SAMPLES, "gen-clean.pcap"))
        self.assertEqual(rc, 2)
        self.assertIn(bad + ":2: bad certificate", err)
        tfile = os.path.join(self.tmp, "t.txt")
        with open(tfile, "w") as f:
            f.write("ok.example\n\nbad name\n")
        rc, _, err = run("--targets", tfile, os.path.join(SAMPLES, "gen-clean.pcap"))
        self.assertEqual(rc, 2)
        self.assertIn(tfile + ":3: not a domain name", err)
        rc, _, err = run("--rules", os.path.join(self.tmp, "none"),
                         os.path.join(SAMPLES, "gen-clean.pcap"))
        self.assertEqual(rc, 2)
        self.assertIn("none: No such file or directory", err)

    def test_trust_at_capture_time(self):
        # 443-curl.pcap: www.ntop.org in February 2020, a Let's Encrypt chain
        # to DST Root CA X3 (shipped by Mozilla until 2021-10-08, not in
        # today's store).
        curl = os.path.join(SAMPLES, "443-curl.pcap")
        report = os.path.join(self.tmp, "trust-report")

        def judge(*extra):
            rc, out, err = run("--json", "-q", *extra, curl)
            self.assertEqual(rc, 0, err)
            (r,) = [x for x in sessions(out) if x["sni"] == "www.ntop.org"]
            return r

        r = judge("--report", report)
        self.assertEqual((r["verdict"], r["reasons"]), ("clean", []))
        self.assertEqual([n["code"] for n in r["notes"]], ["REMOVED_ROOT"])
        self.assertIn("through CN=DST Root CA X3,O=Digital Signature Trust Co., a root "
                      "Mozilla's store shipped until 2021-10-08 (removed in the release "
                      "of 2022-05-18)", r["notes"][0]["detail"])
        with open(os.path.join(report, "summary.json")) as f:
            summary = json.load(f)
        self.assertEqual(summary["forged_certificates"], [])
        self.assertEqual(summary["counters"]["sessions"]["trusted_removed_root"], 1)
        for extra in (("--trust-at", "now"), ("--trust-store", SYSTEM_BUNDLE)):
            r = judge(*extra)
            self.assertEqual(r["verdict"], "untrusted", extra)
            self.assertEqual(codes(r), ["UNTRUSTED_CHAIN"])
            self.assertIn("unable to get local issuer certificate",
                          r["reasons"][0]["detail"])
            self.assertEqual(r["notes"], [])
        r = judge("--trust-store", SYSTEM_BUNDLE, "--trust-at", "capture")
        self.assertEqual(r["verdict"], "clean")
        self.assertEqual([n["code"] for n in r["notes"]], ["REMOVED_ROOT"])
        rc, _, err = run("--trust-at", "then", curl)
        self.assertEqual(rc, 2)
        self.assertIn("--trust-at", err)

    def test_corpus_default_rules(self):
        if not os.path.exists(SYSTEM_BUNDLE):
            self.fail("system trust store %s is missing: install the ca-certificates "
                      "package (tools/install-deps.sh)" % SYSTEM_BUNDLE)
        rc, out, err = run("--json", "-q", CORPUS)
        self.assertIn(rc, (0, 1), err)  # 1: the corpus has damaged captures
        verdicts, reasons = collections.Counter(), collections.Counter()
        flagged, ttl = [], []
        for r in sessions(out):
            verdicts[r["verdict"]] += 1
            reasons.update(codes(r))
            if r["verdict"] == "intercepted":
                flagged.append(r)
            if "TTL_ANOMALY" in codes(r):
                ttl.append(r)
            elif r["verdict"] == "suspicious":
                print("suspicious: %s sni=%s %s" % (os.path.basename(r["capture"]),
                                                     r["sni"], ",".join(codes(r))),
                      file=sys.stderr)
        print("\ncorpus verdicts: %s\ncorpus reasons: %s"
              % (dict(verdicts), dict(reasons)), file=sys.stderr)
        for r in ttl:
            print("TTL_ANOMALY: %s sni=%s %s: %s"
                  % (os.path.basename(r["capture"]), r["sni"], r["verdict"],
                     r["reasons"][codes(r).index("TTL_ANOMALY")]["detail"]),
                  file=sys.stderr)
        self.assertEqual(flagged, [])
        self.assertGreater(verdicts["clean"], 0)


if __name__ == "__main__":
    MITMWATCH, SAMPLES, CORPUS = (os.path.abspath(a) for a in sys.argv[1:4])
    unittest.main(argv=sys.argv[:1], verbosity=2)

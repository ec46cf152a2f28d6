#!/usr/bin/env python3
"""Measures tshark and mitmwatch on the injection classes (docs/evasion.md).

usage: evasion_tshark.py MITMWATCH SAMPLES_DIR [TSHARK]

For each class of evasion_gen.py applied to gen-kz2019 and gen-corporate,
counts the sessions whose handshake carries a forged chain (from the
truth files) for which
- tshark shows a Certificate message whose first certificate is the
  forged leaf (SHA-256 of the DER equals the truth's);
- mitmwatch flags the session (suspicious or intercepted) with that chain.
Prints a Markdown table. Not a ctest (tshark is slow); run by hand.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "evasion_gen.py")
CAPTURES = ("gen-kz2019", "gen-corporate")


def forged(samples):
    out = {}
    for name in CAPTURES:
        with open(os.path.join(samples, name + ".truth.jsonl")) as f:
            for t in map(json.loads, f):
                if (t["intercepted"] and t["handshake"] == "complete"
                        and t["chain_sha256"] != t["genuine_chain_sha256"]):
                    out[(name, t["src_ip"], t["src_port"])] = t["sent_chain_sha256"][0]
    return out


def tshark_leaves(tshark, path):
    run = subprocess.run([tshark, "-r", path, "-Y", "tls.handshake.type == 11",
                          "-T", "fields", "-E", "occurrence=f",
                          "-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport",
                          "-e", "tls.handshake.certificate"],
                         capture_output=True, text=True, check=False)
    got = set()
    for line in run.stdout.splitlines():
        f = line.split("\t")
        if len(f) < 4 or not f[3]:
            continue
        der = bytes.fromhex(f[3].replace(":", ""))
        got.add((f[0] or f[1], int(f[2]), hashlib.sha256(der).hexdigest()))
    return got


def mitmwatch_flagged(mw, samples, path):
    run = subprocess.run([mw, "--json", "-q", "--threads", "1", "--trust-store",
                          os.path.join(samples, "trust-store.pem"), path],
                         capture_output=True, text=True, check=False)
    got = set()
    for r in map(json.loads, run.stdout.splitlines()):
        if r.get("event") == "tls" and r.get("verdict") in ("suspicious", "intercepted"):
            chain = r.get("chain") or [{}]
            got.add((r["src_ip"], r["src_port"], chain[0].get("sha256"),
                     any(x["code"] == "INJECTION" for x in r.get("reasons") or [])))
    return got


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    mw, samples = sys.argv[1], sys.argv[2]
    tshark = sys.argv[3] if len(sys.argv) > 3 else "tshark"
    want = forged(samples)
    classes = ["none"] + subprocess.run([sys.executable, GEN, "--list"], check=True,
                                        capture_output=True, text=True).stdout.split()
    print("| class | tshark: forged leaf shown | mitmwatch: flagged | with INJECTION |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for cls in classes:
            ts = mwf = inj = 0
            for name in CAPTURES:
                src = os.path.join(samples, name + ".pcap")
                path = src
                if cls != "none":
                    path = os.path.join(tmp, f"{name}.{cls}.pcap")
                    subprocess.run([sys.executable, GEN, cls, src, path], check=True)
                leaves = tshark_leaves(tshark, path)
                flagged = mitmwatch_flagged(mw, samples, path)
                for (cap, cip, cport), leaf in want.items():
                    if cap != name:
                        continue
                    # The Certificate goes to the client.
                    ts += (cip, cport, leaf) in leaves
                    hit = [f for f in flagged if f[:3] == (cip, cport, leaf)]
                    mwf += bool(hit)
                    inj += bool(hit and hit[0][3])
            n = len(want)
            print(f"| {cls} | {ts}/{n} | {mwf}/{n} | {inj}/{n} |")


if __name__ == "__main__":
    main()

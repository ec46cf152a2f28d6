#!/usr/bin/env python3
"""community_id of every event equals Wireshark's (tshark's communityid
post-dissector, an independent implementation of the specification).

usage: test_community_id.py MITMWATCH TSHARK SAMPLES_DIR CORPUS_DIR
"""
import json
import os
import subprocess
import sys

BIN, TSHARK, SAMPLES, CORPUS = sys.argv[1:5]
CORPUS_FILES = ["443-chrome.pcap", "443-firefox.pcap", "443-opvn.pcap", "quic-29.pcap",
                "dtls.pcap", "tls_esni_sni_both.pcap", "ipv6_in_gtp.pcap"]
failures = matched = 0


def tshark_ids(path, seed):
    out = subprocess.run([TSHARK, "-r", path, "--enable-protocol", "communityid",
                          "-o", "communityid.seed:%d" % seed, "-T", "fields",
                          "-e", "communityid", "-E", "occurrence=l"],
                         capture_output=True, text=True, timeout=300).stdout
    return set(l.strip() for l in out.splitlines() if l.strip())


inputs = [os.path.join(SAMPLES, f) for f in sorted(os.listdir(SAMPLES)) if f.endswith((".pcap", ".pcapng"))]
inputs += [os.path.join(CORPUS, f) for f in CORPUS_FILES if os.path.exists(os.path.join(CORPUS, f))]
for seed in (0, 7):
    for path in inputs:
        want = tshark_ids(path, seed)
        out = subprocess.run([BIN, "--json", "--flows", "--community-id-seed", str(seed), path],
                             capture_output=True, text=True, timeout=300).stdout
        for line in out.splitlines():
            r = json.loads(line)
            if r["event"] == "stats":
                continue
            if r["community_id"] in want:
                matched += 1
            else:
                failures += 1
                print("FAIL %s seed %d: %s %s:%s -> %s:%s community_id %s not among tshark's"
                      % (os.path.basename(path), seed, r["event"], r["src_ip"], r["src_port"],
                         r["dst_ip"], r["dst_port"], r["community_id"]))
print("%d records matched tshark" % matched)
if matched < 100:
    print("FAIL too few records compared")
    failures += 1
print("%d passed, %d failed" % (int(failures == 0), int(failures > 0)))
sys.exit(1 if failures else 0)

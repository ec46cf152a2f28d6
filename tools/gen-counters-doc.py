#!/usr/bin/env python3
"""Writes docs/counters.md from the X-macro lists in src/common/stats.h, so
the documentation of the counters cannot drift from the code. A test
(unit_counters_doc) fails when the committed file is stale.

usage: gen-counters-doc.py [--check] STATS_H COUNTERS_MD
"""
import re
import sys

GROUPS = [  # (macro, JSON object, title)
    ("MW_CAPTURE_COUNTERS", "capture", "Capture"),
    ("MW_LINK_COUNTERS", "link", "Link types (packets per link type)"),
    ("MW_DECODE_COUNTERS", "decode", "Decoding"),
    ("MW_FRAG_COUNTERS", "ip_fragments", "IP fragment reassembly"),
    ("MW_FLOW_COUNTERS", "flows", "Flows"),
    ("MW_REASM_COUNTERS", "tcp_reassembly", "TCP reassembly"),
    ("MW_SESSION_COUNTERS", "sessions", "TLS, DTLS and QUIC sessions"),
    ("MW_OUTPUT_COUNTERS", "output", "Baseline store, summary and forensic output"),
]


def render(header):
    out = ["# Counters", "",
           "Every run ends with these counters: on standard error as text",
           "(non-zero ones only), and as the final JSON Lines record",
           '`{"event":"stats",...}` with one object per group below.',
           "Counters whose description starts with \"error:\" count malformed",
           "packets (run with `-v` to list each one with its packet number).",
           "Peak counters (`active_peak`, `buffer_peak_bytes`) are maxima.", "",
           "This file is generated from src/common/stats.h by",
           "tools/gen-counters-doc.py; do not edit it by hand.", ""]
    for macro, key, title in GROUPS:
        m = re.search(r"#define %s\(X\)(.*?)\n\n" % macro, header, re.S)
        if not m:
            sys.exit(f"{macro} not found")
        out += [f"## {title}: `{key}`", "", "| counter | meaning |", "|---|---|"]
        for name, desc in re.findall(r'X\((\w+),\s*"([^"]*)"\)', m.group(1)):
            out.append(f"| `{name}` | {desc} |")
        out.append("")
    return "\n".join(out)


def main():
    args = sys.argv[1:]
    check = args and args[0] == "--check"
    if check:
        args = args[1:]
    with open(args[0]) as f:
        text = render(f.read() + "\n\n")
    if check:
        with open(args[1]) as f:
            if f.read() != text:
                print(f"{args[1]} is stale: run tools/gen-counters-doc.py {args[0]} {args[1]}")
                print("0 passed, 1 failed")
                sys.exit(1)
        print("1 passed, 0 failed")
        return
    with open(args[1], "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()

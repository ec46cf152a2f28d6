#!/usr/bin/env python3
"""Writes docs/counters.md, and the JSON Schema of the "stats" record
(docs/schema/stats.schema.json), from the X-macro lists in
src/common/stats.h, so neither can drift from the code. A test
(docs_counters) fails when a committed file is stale.

usage: gen-counters-doc.py [--check] STATS_H COUNTERS_MD [STATS_SCHEMA]
"""
import json
import re
import sys

GROUPS = [  # (macro, JSON object, title)
    ("MW_CAPTURE_COUNTERS", "capture", "Capture"),
    ("MW_LINK_COUNTERS", "link", "Link types (packets per link type)"),
    ("MW_DECODE_COUNTERS", "decode", "Decoding"),
    ("MW_FRAG_COUNTERS", "ip_fragments", "IP fragment reassembly"),
    ("MW_CHECKSUM_COUNTERS", "checksums", "Checksums (--checksums)"),
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
    out += LIVE
    return "\n".join(out)


# Not in stats.h: a list whose length is the run's (one entry an -i, one a
# capture socket), written by src/cli/ops.c in the periodic stats records
# and --metrics (not in the final record, whose groups are above).
LIVE = [
    "## Per interface and per socket (live): `interfaces`", "",
    "The periodic and SIGUSR1 stats records (docs/output.md) also hold",
    "`interfaces`, one entry an `-i` in the order given, and --metrics the",
    "same counters labelled by interface (and socket). The `capture` group",
    "above holds their sums over all interfaces.", "",
    "| counter | meaning | metric |", "|---|---|---|",
    "| `kernel_received` | packets the kernel gave the interface's sockets "
    "(their sum) | `mitmwatch_kernel_received{interface}` |",
    "| `kernel_dropped` | packets the kernel dropped, a socket's buffer full "
    "| `mitmwatch_kernel_dropped{interface}` |",
    "| `interface_dropped` | packets the interface or driver dropped "
    "| `mitmwatch_kernel_if_dropped{interface}` |",
    "| `interface_lost` | times the interface went away | "
    "`mitmwatch_capture_interface_lost` (all interfaces) |",
    "| `interface_reopened` | times it came back and capture resumed | "
    "`mitmwatch_capture_interface_reopened` (all interfaces) |",
    "| `sockets[].kernel_received` | packets the kernel gave this socket "
    "(`--threads N`: one of N in a PACKET_FANOUT group) | "
    "`mitmwatch_kernel_socket_received{interface,socket}` |",
    "| `sockets[].kernel_dropped` | packets dropped on this socket | "
    "`mitmwatch_kernel_socket_dropped{interface,socket}` |",
    "| `sockets[].interface_dropped` | the interface's drops (libpcap reads them "
    "from the interface, not the socket): on socket 0 only, 0 on the others | |",
    "",
]


def render_schema(header):
    """The stats record: every group, every counter, nothing else."""
    props = {"event": {"const": "stats"}}
    for macro, key, title in GROUPS:
        m = re.search(r"#define %s\(X\)(.*?)\n\n" % macro, header, re.S)
        if not m:
            sys.exit(f"{macro} not found")
        names = [n for n, _ in re.findall(r'X\((\w+),\s*"([^"]*)"\)', m.group(1))]
        props[key] = {
            "description": title,
            "type": "object",
            "required": names,
            "properties": {n: {"type": "integer", "minimum": 0} for n in names},
            "additionalProperties": False,
        }
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "stats.schema.json",
        "title": "mitmwatch stats record (docs/counters.md); generated from "
                 "src/common/stats.h by tools/gen-counters-doc.py",
        "type": "object",
        "required": list(props),
        "properties": props,
        "additionalProperties": False,
    }
    return json.dumps(schema, indent=2) + "\n"


def main():
    args = sys.argv[1:]
    check = args and args[0] == "--check"
    if check:
        args = args[1:]
    with open(args[0]) as f:
        header = f.read() + "\n\n"
    outputs = [(args[1], render(header))]
    if len(args) > 2:
        outputs.append((args[2], render_schema(header)))
    if check:
        for path, text in outputs:
            with open(path) as f:
                if f.read() != text:
                    print(f"{path} is stale: run tools/gen-counters-doc.py {' '.join(args)}")
                    print("0 passed, 1 failed")
                    sys.exit(1)
        print("1 passed, 0 failed")
        return
    for path, text in outputs:
        with open(path, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Nothing lost: the sessions mitmwatch finds are the ones on record.

usage: test_golden.py MITMWATCH EXPECTED [--make] [--threads N] -- INPUT...

Runs `mitmwatch -q --json INPUT...` once and reduces every session event
(tls, dtls, quic) to one line: capture, protocol, addresses and ports, SNI,
the SHA-256 of each certificate of the chain as sent, the verdict and its
reason codes. The sorted lines must equal EXPECTED (a text file, committed;
gzip when it ends in .gz). With --make, EXPECTED is written instead.

The expected lists were made once with the single-threaded build of
2026-12-06, before the fast path and threads (issue 11); a change that
alters verdicts on purpose (issue 15) regenerates them in the same commit
and its message says why. Because the lines are sorted, the order in which
events are written does not matter here; the multiset does.
"""
import gzip
import os
import json
import subprocess
import sys


def session_lines(events):
    out = []
    for line in events.splitlines():
        e = json.loads(line)
        if e.get("event") not in ("tls", "dtls", "quic"):
            continue
        chain = ",".join(c.get("sha256") or "-" for c in (e.get("chain") or []))
        reasons = ",".join(sorted(r["code"] for r in (e.get("reasons") or [])))
        fields = [os.path.basename(e.get("capture") or ""), e.get("event"), e.get("proto"),
                  f"{e.get('src_ip')}:{e.get('src_port')}",
                  f"{e.get('dst_ip')}:{e.get('dst_port')}",
                  e.get("sni") or "-", chain or "-",
                  e.get("verdict") or "-", reasons or "-"]
        out.append("\t".join(str(f) for f in fields))
    out.sort()
    return out


def open_text(path, mode):
    if path.endswith(".gz"):
        return gzip.open(path, mode + "t", encoding="utf-8")
    return open(path, mode, encoding="utf-8")


def main():
    args = sys.argv[1:]
    if "--" not in args or len(args) < 4:
        sys.exit(__doc__)
    sep = args.index("--")
    opts, inputs = args[:sep], args[sep + 1:]
    binary, expected = opts[0], opts[1]
    make = "--make" in opts
    extra = []
    if "--threads" in opts:
        extra = ["--threads", opts[opts.index("--threads") + 1]]
    run = subprocess.run([binary, "-q", "--json", *extra, *inputs],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, check=False)
    # Exit 1 is a damaged input (the corpus holds some): reported, not fatal.
    if run.returncode not in (0, 1):
        print(run.stderr)
        sys.exit(f"mitmwatch exited {run.returncode}")
    got = session_lines(run.stdout)
    if make:
        with open_text(expected, "w") as f:
            f.write("\n".join(got) + "\n")
        print(f"wrote {len(got)} sessions to {expected}")
        return
    with open_text(expected, "r") as f:
        want = [line for line in f.read().splitlines() if line]
    if got == want:
        print(f"{len(got)} sessions, all as on record")
        print("1 passed, 0 failed")
        return
    gs, ws = set(got), set(want)
    missing = sorted(ws - gs)
    extra_l = sorted(gs - ws)
    print(f"{len(got)} sessions found, {len(want)} on record; "
          f"{len(missing)} on record not found, {len(extra_l)} not on record")
    for line in missing[:40]:
        print("  - " + line)
    for line in extra_l[:40]:
        print("  + " + line)
    if not missing and not extra_l:
        print("  (same lines, different multiplicities)")
    print("0 passed, 1 failed")
    sys.exit(1)


if __name__ == "__main__":
    main()

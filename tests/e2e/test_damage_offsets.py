#!/usr/bin/env python3
"""Reader errors name the byte where a cut file ends (issue 13, finding 6).

usage: test_damage_offsets.py MITMWATCH CORPUS_DIR

Cuts real corpus captures (pcap and pcapng, fixed seed) at random offsets
and checks that each error names the file, "byte CUT," (the size it was
cut to, known here independently of the reader) and a truncation. Cuts
that land on a record boundary end cleanly and are not errors; cuts
inside the first 4 bytes are "not a capture" and are not made. A file
whose link type mitmwatch does not decode says so; that line is not the
reader's and is passed over.
"""
import glob
import os
import random
import subprocess
import sys
import tempfile


def main():
    binary, corpus = sys.argv[1], sys.argv[2]
    files = sorted(glob.glob(os.path.join(corpus, "*.pcap")) +
                   glob.glob(os.path.join(corpus, "*.pcapng")))
    rnd = random.Random(13)
    rnd.shuffle(files)
    checked = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        cut_path = os.path.join(tmp, "cut.cap")
        for f in files[:40]:
            with open(f, "rb") as fh:
                data = fh.read()
            if len(data) < 64:
                continue
            for _ in range(3):
                cut = rnd.randrange(4, len(data))
                with open(cut_path, "wb") as fo:
                    fo.write(data[:cut])
                r = subprocess.run([binary, cut_path], capture_output=True, timeout=120)
                lines = [l for l in r.stderr.decode(errors="replace").splitlines()
                         if l.startswith(f"mitmwatch: {cut_path}: ")
                         and "unsupported link type" not in l]  # not the reader's
                if not lines:
                    continue
                checked += 1
                if f"{cut_path}: byte {cut}, " not in lines[0] or "truncated" not in lines[0] \
                        or r.returncode != 1:
                    failed += 1
                    print(f"FAIL {os.path.basename(f)} cut at {cut}: rc {r.returncode}: {lines[0]}")
    print(f"{checked} cut files checked, {failed} failed")
    if failed or checked < 50:
        sys.exit(1)


if __name__ == "__main__":
    main()

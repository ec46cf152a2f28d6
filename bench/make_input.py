#!/usr/bin/env python3
"""Builds a large benchmark capture from the real corpus captures.

usage: make_input.py CORPUS_DIR OUT.pcap [TARGET_MB]

Takes every classic (non-pcapng) Ethernet capture of the corpus and writes
its records again and again into one microsecond pcap until TARGET_MB
(default 256) is reached. Each round is shifted at least one day later so the flows
of a round have expired before the same 5-tuples come back, as in a long
capture. Record bytes are copied unchanged.
"""
import glob
import os
import struct
import sys

DAY_US = 86400 * 1000000


def read_records(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return None
    magic = data[:4]
    if magic == b"\xd4\xc3\xb2\xa1":
        bo, nano = "<", False
    elif magic == b"\xa1\xb2\xc3\xd4":
        bo, nano = ">", False
    elif magic == b"\x4d\x3c\xb2\xa1":
        bo, nano = "<", True
    elif magic == b"\xa1\xb2\x3c\x4d":
        bo, nano = ">", True
    else:
        return None
    if struct.unpack(bo + "I", data[20:24])[0] != 1:  # Ethernet only
        return None
    recs, off = [], 24
    while off + 16 <= len(data):
        sec, frac, caplen, wirelen = struct.unpack(bo + "IIII", data[off:off + 16])
        if caplen > 262144 or off + 16 + caplen > len(data):
            break
        us = sec * 1000000 + (frac // 1000 if nano else frac)
        recs.append((us, wirelen, data[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return recs


def main():
    corpus, out = sys.argv[1], sys.argv[2]
    target = int(sys.argv[3]) if len(sys.argv) > 3 else 256
    files = []
    for path in sorted(glob.glob(os.path.join(corpus, "*"))):
        recs = read_records(path)
        if recs:
            files.append(recs)
    base = 1577836800 * 1000000  # 2020-01-01: some corpus files carry odd clocks
    written, rnd, t = 0, 0, 0
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        while written < target * 1024 * 1024:
            t = max(base + rnd * DAY_US, t + DAY_US) if rnd else base
            for recs in files:
                first = recs[0][0]
                for us, wirelen, payload in recs:
                    # Keep each file's own pacing (gaps capped at an hour),
                    # laid end to end.
                    ts = t + min(max(0, us - first), 3600 * 1000000)
                    f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000,
                                        len(payload), wirelen))
                    f.write(payload)
                    written += 16 + len(payload)
                t = ts + 1000000
            rnd += 1
    print(f"{out}: {written // (1024 * 1024)} MiB, {rnd} rounds of {len(files)} captures")


if __name__ == "__main__":
    main()

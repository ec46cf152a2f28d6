#!/usr/bin/env python3
"""End-to-end checks of the mitmwatch command line on real captures.

usage: test_cli.py MITMWATCH CORPUS_DIR

Expected values come from outside mitmwatch: record counts and offsets of
443-curl.pcap read with Python's struct module, per-flow packet counts from
nDPI's own result file for that capture, link types from the file headers.
"""
import gzip
import json
import re
import os
import pty
import shutil
import subprocess
import sys
import tempfile
import unittest

BIN = CORPUS = None


def run(*args, stdin=None):
    p = subprocess.run([BIN, *args], stdin=stdin, capture_output=True, timeout=300)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def records(stdout):
    return [json.loads(line) for line in stdout.splitlines()]


def stats_of(stdout):
    recs = records(stdout)
    assert recs[-1]["event"] == "stats", recs[-1]
    return recs[-1]

def first_frames(path):
    """{(proto, {(ip, port), (ip, port)}): frame number of its first packet}
    for an Ethernet pcap with IPv4/IPv6 TCP/UDP, read with struct alone."""
    import struct, ipaddress
    firsts = {}
    with open(path, "rb") as f:
        data = f.read()
    endian = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    off, n = 24, 0
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        n += 1
        et, l3 = struct.unpack(">H", frame[12:14])[0], frame[14:]
        if et == 0x0800:
            ihl, proto = (l3[0] & 15) * 4, l3[9]
            src, dst, l4 = l3[12:16], l3[16:20], l3[ihl:]
        elif et == 0x86DD:
            proto, src, dst, l4 = l3[6], l3[8:24], l3[24:40], l3[40:]
        else:
            continue
        if proto not in (6, 17):
            continue
        sp, dp = struct.unpack(">HH", l4[:4])
        key = (proto, frozenset({(ipaddress.ip_address(src), sp),
                                 (ipaddress.ip_address(dst), dp)}))
        firsts.setdefault(key, n)
    return firsts, n


class Cli(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.curl = os.path.join(CORPUS, "443-curl.pcap")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_plain_file(self):
        rc, out, err = run("--json", self.curl)
        self.assertEqual(rc, 0, err)
        st = stats_of(out)
        # 109 records (struct walk of the file; nDPI's result agrees).
        self.assertEqual(st["capture"]["packets"], 109)
        self.assertEqual(st["capture"]["bytes"], 75750 - 24 - 109 * 16)
        self.assertEqual(st["capture"]["inputs_opened"], 1)
        self.assertEqual(st["link"]["ethernet"], 109)
        self.assertEqual(st["flows"]["created_tcp"], 1)

    def test_flow_matches_ndpi(self):
        # nDPI's result for 443-curl.pcap: "TCP 192.168.1.13:55523 <->
        # 178.62.197.130:443 ... [51 pkts/4260 bytes <-> 58 pkts/69722 bytes]"
        rc, out, err = run("--json", "--flows", self.curl)
        self.assertEqual(rc, 0, err)
        flows = [r for r in records(out) if r["event"] == "flow"]
        self.assertEqual(len(flows), 1)
        f = flows[0]
        self.assertEqual((f["src_ip"], f["src_port"]), ("192.168.1.13", 55523))
        self.assertEqual((f["dst_ip"], f["dst_port"]), ("178.62.197.130", 443))
        self.assertEqual(f["client_basis"], "syn")
        self.assertEqual(f["packets_to_server"], 51)
        self.assertEqual(f["packets_to_client"], 58)
        self.assertEqual(f["flow_notes"], [])
        # Payload bytes: nDPI's 69722 wire bytes less the headers of 58
        # packets: 57 of 66 bytes (Ethernet 14, IPv4 20, TCP 32) and the
        # SYN-ACK's 74 (its TCP header has 40 bytes of options).
        self.assertEqual(f["bytes_to_client"], 69722 - 57 * 66 - 74)
        # Once the handshake is analyzed the flow is bypassed: only the
        # first bytes of the server's stream were reassembled.
        self.assertLess(f["stream_bytes_to_client"], 16384)
        self.assertEqual(stats_of(out)["flows"]["bypassed"], 1)

    def test_same_interface_twice_is_an_error(self):
        # Several -i are several captures (test_live_threads.py); one name
        # twice would read every packet twice. Before, a second -i silently
        # replaced the first (issue 12).
        rc, out, err = run("-i", "lo", "-i", "eth0", "-i", "lo")
        self.assertEqual(rc, 2)
        self.assertIn("-i lo given twice", err)
        self.assertEqual(out, "")

    def test_flow_id_is_first_frame_number(self):
        """flow_id is the run-wide number of the flow's first packet: the
        frame number over one file, offset by the earlier inputs' packets
        over two, the same at 1 and 2 threads, and the same value in a
        flow's session event and its flow record."""
        import ipaddress
        curl = self.curl
        kz = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "..", "..", "samples", "gen-kz2019.pcap")
        want_curl, n_curl = first_frames(curl)
        want_kz, _ = first_frames(kz)
        outs = []
        for threads in ("1", "2"):
            rc, out, err = run("--json", "--flows", "--threads", threads, curl, kz)
            self.assertEqual(rc, 0, err)
            outs.append([r for r in records(out) if r["event"] != "stats"])
            flows = [r for r in outs[-1] if r["event"] == "flow"]
            self.assertGreater(len(flows), 3)
            for r in flows:
                key = (6 if r["proto"] == "tcp" else 17,
                       frozenset({(ipaddress.ip_address(r["src_ip"]), r["src_port"]),
                                  (ipaddress.ip_address(r["dst_ip"]), r["dst_port"])}))
                if r["capture"] == curl:
                    self.assertEqual(r["flow_id"], want_curl[key], r)
                else:
                    self.assertEqual(r["capture"], kz)
                    self.assertEqual(r["flow_id"], n_curl + want_kz[key], r)
            ids = [r["flow_id"] for r in flows]
            self.assertEqual(len(ids), len(set(ids)))
            by_cid = {r["community_id"] + r["capture"]: r["flow_id"] for r in flows}
            sessions = [r for r in outs[-1] if r["event"] in ("tls", "quic", "dtls")]
            self.assertGreater(len(sessions), 0)
            for r in sessions:
                self.assertEqual(r["flow_id"], by_cid[r["community_id"] + r["capture"]])
        self.assertEqual(sorted(map(json.dumps, outs[0])), sorted(map(json.dumps, outs[1])))

    def test_gzip_and_stdin_equal_plain(self):
        gz = os.path.join(self.tmp, "curl.noext")
        with open(self.curl, "rb") as src, gzip.open(gz, "wb") as dst:
            shutil.copyfileobj(src, dst)
        _, plain, _ = run("--json", "--flows", self.curl)
        rc, zipped, err = run("--json", "--flows", gz)
        self.assertEqual(rc, 0, err)
        with open(gz, "rb") as f:
            rc2, piped, err2 = run("--json", "--flows", "-", stdin=f)
        self.assertEqual(rc2, 0, err2)
        for out in (zipped, piped):
            st = stats_of(out)
            self.assertEqual(st["capture"]["inputs_gzip"], 1)
            self.assertEqual(st["capture"]["packets"], 109)
            strip = lambda recs: [{k: v for k, v in r.items() if k != "capture"}
                                  for r in recs[:-1]]
            self.assertEqual(strip(records(out)), strip(records(plain)))
            self.assertEqual(records(out)[0]["capture"],
                             "stdin" if out is piped else gz)

    def test_xz_zstd_bzip2_equal_plain(self):
        # Made by the formats' own tools (xz, zstd, bzip2 as a user would),
        # named without extension: recognised by content. Each also as two
        # streams one after the other (what pxz, zstd -T and cat make),
        # from a file and from standard input.
        _, plain, _ = run("--json", "--flows", self.curl)
        with open(self.curl, "rb") as f:
            data = f.read()
        strip = lambda recs: [{k: v for k, v in r.items() if k != "capture"}
                              for r in recs[:-1]]
        for tool, counter in (("xz", "inputs_xz"), ("zstd", "inputs_zstd"),
                              ("bzip2", "inputs_bzip2"), ("gzip", "inputs_gzip")):
            one = subprocess.run([tool, "-c"], input=data, capture_output=True,
                                 check=True).stdout
            first, second = (subprocess.run([tool, "-c"], input=part, capture_output=True,
                                            check=True).stdout
                             for part in (data[:5000], data[5000:]))
            two = first + second
            for name, blob in (("one", one), ("two", two)):
                path = os.path.join(self.tmp, "%s-%s" % (tool, name))
                with open(path, "wb") as f:
                    f.write(blob)
                rc, out, err = run("--json", "--flows", path)
                self.assertEqual(rc, 0, (tool, name, err))
                with open(path, "rb") as f:
                    rc2, piped, err2 = run("--json", "--flows", "-", stdin=f)
                self.assertEqual(rc2, 0, (tool, name, err2))
                for o in (out, piped):
                    st = stats_of(o)
                    self.assertEqual(st["capture"][counter], 1, (tool, name))
                    self.assertEqual(st["capture"]["packets"], 109, (tool, name))
                    self.assertEqual(strip(records(o)), strip(records(plain)), (tool, name))
            # Cut in the second stream: read as far as it goes (the first
            # stream's packets at least: zstd and bzip2 decode whole blocks,
            # so a cut block yields nothing), then the damage named with the
            # packet number, exit status 1.
            cut = os.path.join(self.tmp, "%s-cut" % tool)
            with open(cut, "wb") as f:
                f.write(two[: len(first) + len(second) * 6 // 10])
            rc, out, err = run("--json", cut)
            self.assertEqual(rc, 1, (tool, err))
            st = stats_of(out)
            self.assertGreater(st["capture"]["packets"], 0, tool)
            self.assertLess(st["capture"]["packets"], 109, tool)
            self.assertEqual(st["capture"]["inputs_damaged"], 1, tool)
            self.assertRegex(err, r"%s: byte \d+, packet %d: %s stream damaged: unexpected end of file"
                             % (re.escape(cut), st["capture"]["packets"] + 1, tool))

    def run_on_tty(self, *args):
        # Standard error on a pseudo-terminal, as in an interactive shell.
        master, slave = pty.openpty()
        p = subprocess.Popen([BIN, *args], stdout=subprocess.DEVNULL, stderr=slave)
        os.close(slave)
        err = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            err += chunk
        os.close(master)
        self.assertEqual(p.wait(), 1)  # the corpus holds damaged captures
        return err.decode(errors="replace")

    def test_progress_line_on_a_terminal(self):
        # The corpus four times: long enough (> 0.25 s) for a redraw.
        size = 0
        for e in os.scandir(CORPUS):
            if not e.name.startswith(".") and e.is_file():
                size += e.stat().st_size
        total = 4 * size
        unit = ["B", "KiB", "MiB", "GiB"]
        d, u = float(total), 0
        while d >= 1024:
            d, u = d / 1024, u + 1
        want_total = "%.1f %s" % (d, unit[u])
        err = self.run_on_tty("--json", *[CORPUS] * 4)
        lines = re.findall(r"\r\x1b\[K(\d+) % \(([\d.]+ \w+) of ([\d.]+ \w+)\), "
                           r"(\d+) packets/s, (\d+) sessions, (\d+) intercepted, "
                           r"ETA \d+:\d\d:\d\d", err)
        self.assertTrue(lines, err[-2000:])
        for pct, _, of, rate, _, _ in lines:
            self.assertEqual(of, want_total)
            self.assertLessEqual(int(pct), 100)
            self.assertGreater(int(rate), 0)
        # Percentages only grow, and the line is erased at the end.
        pcts = [int(l[0]) for l in lines]
        self.assertEqual(pcts, sorted(pcts))
        last = list(re.finditer(r"ETA \d+:\d\d:\d\d", err))[-1]
        self.assertTrue(err[last.end():].startswith("\r\x1b[K"), repr(err[last.end():][:80]))
        # Error messages start on a clean line, never after a progress line.
        self.assertNotRegex(err, r"intercepted, ETA [\d:]+mitmwatch:")
        for quiet in (["-q"], ["--no-progress"]):
            err = self.run_on_tty("--json", *quiet, CORPUS, CORPUS)
            self.assertNotIn("packets/s", err, quiet)

    def test_truncated_file(self):
        # Record 11 starts at byte 4392 with 192 captured bytes; cutting the
        # file at 4508 leaves its header and 100 of its bytes.
        cut = os.path.join(self.tmp, "cut.pcap")
        with open(self.curl, "rb") as f:
            data = f.read(4508)
        with open(cut, "wb") as f:
            f.write(data)
        rc, out, err = run("--json", cut)
        self.assertEqual(rc, 1)
        self.assertIn("cut.pcap: byte 4508, packet 11: truncated record (116 of 208 bytes)",
                      err)
        self.assertIn("truncated", err)
        st = stats_of(out)
        self.assertEqual(st["capture"]["packets"], 10)
        self.assertEqual(st["capture"]["inputs_damaged"], 1)

    def test_directory_and_unsupported_link_type(self):
        d = os.path.join(self.tmp, "dir")
        os.mkdir(d)
        shutil.copy(self.curl, os.path.join(d, "a.pcap"))
        # PPI (link type 192) is not supported: an error for that file, the
        # others go on.
        shutil.copy(os.path.join(CORPUS, "someip_sd_sample.pcap"), os.path.join(d, "b.pcap"))
        with open(os.path.join(d, "notes.txt"), "w") as f:
            f.write("not a capture\n")
        rc, out, err = run("--json", d)
        self.assertEqual(rc, 1)
        self.assertIn("b.pcap: unsupported link type 192", err)
        st = stats_of(out)
        self.assertEqual(st["capture"]["inputs_opened"], 2)
        self.assertEqual(st["capture"]["inputs_failed"], 1)
        self.assertEqual(st["capture"]["dir_entries_skipped"], 1)
        self.assertEqual(st["capture"]["packets"], 109)

    def test_missing_and_garbage_inputs(self):
        junk = os.path.join(self.tmp, "junk.pcap")
        with open(junk, "wb") as f:
            f.write(b"this is not a capture file at all")
        rc, out, err = run("--json", junk, os.path.join(self.tmp, "nope.pcap"), self.curl)
        self.assertEqual(rc, 1)
        self.assertIn("junk.pcap", err)
        self.assertIn("nope.pcap", err)
        st = stats_of(out)
        self.assertEqual(st["capture"]["inputs_failed"], 2)
        self.assertEqual(st["capture"]["packets"], 109)

    def test_filter(self):
        # Everything in 443-curl.pcap is TCP port 443: "udp" keeps nothing.
        rc, out, err = run("--json", "-f", "udp", self.curl)
        self.assertEqual(rc, 0, err)
        st = stats_of(out)
        self.assertEqual(st["capture"]["packets_filtered_out"], 109)
        self.assertEqual(st["decode"]["tcp"], 0)
        rc, out, err = run("--json", "-f", "tcp port 443", self.curl)
        self.assertEqual(stats_of(out)["decode"]["tcp"], 109)

    def test_usage_errors(self):
        for args in (["--no-such-option", self.curl], [], ["--max-flows", "x", self.curl],
                     ["--stream-bytes", "1000", self.curl], ["-f", "tcp port", self.curl],
                     ["--timeout", "bogus=3", self.curl], ["--json", "-o", "x", self.curl]):
            rc, _, err = run(*args)
            self.assertEqual(rc, 2, (args, err))
            self.assertTrue(err.strip(), args)

    def test_output_file_and_text_stats(self):
        out_path = os.path.join(self.tmp, "events.json")
        rc, out, err = run("-o", out_path, self.curl)
        self.assertEqual(rc, 0, err)
        with open(out_path) as f:
            st = stats_of(f.read())
        self.assertEqual(st["capture"]["packets"], 109)
        self.assertIn("packets read", err)
        rc, out, err = run("-q", "-o", out_path, self.curl)
        self.assertEqual(err, "")

    def test_trust_extra(self):
        # gen-clean.pcap chains to the test PKI of samples/trust-store.pem:
        # with it added, every chain seen validates (truth: nothing
        # intercepted); with a bad file, a usage error naming it.
        samples = os.path.join(os.path.dirname(__file__), "..", "..", "samples")
        pcap = os.path.join(samples, "gen-clean.pcap")
        rc, out, err = run("--json", "--trust-extra",
                           os.path.join(samples, "trust-store.pem"), pcap)
        self.assertEqual(rc, 0, err)
        verdicts = [r["verdict"] for r in records(out) if r["event"] == "tls"]
        self.assertEqual(len(verdicts), 12)
        self.assertEqual(verdicts.count("clean"), 4)
        self.assertFalse({"suspicious", "intercepted"} & set(verdicts))
        junk = os.path.join(self.tmp, "junk.pem")
        with open(junk, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
        rc, _, err = run("--trust-extra", junk, pcap)
        self.assertEqual(rc, 2)
        self.assertIn("junk.pem", err)

    def test_help_and_version(self):
        rc, out, _ = run("--help")
        self.assertEqual(rc, 0)
        self.assertIn("usage: mitmwatch", out)
        rc, out, _ = run("--version")
        self.assertEqual(rc, 0)
        self.assertTrue(out.startswith("mitmwatch "))

    def test_version_names_libraries_and_rules(self):
        rc, out, _ = run("--version")
        self.assertEqual(rc, 0)
        lines = out.splitlines()
        self.assertRegex(lines[0], r"^mitmwatch \d+\.\d+\.\d+$")
        # The libraries as loaded: the same strings their own tools print.
        ssl = subprocess.run(["openssl", "version"], capture_output=True, text=True)
        self.assertIn(ssl.stdout.split()[1], out)
        self.assertTrue(any(l.startswith("nDPI ") for l in lines), out)
        self.assertTrue(any(l.startswith("libpcap version ") for l in lines), out)
        src_rules = os.path.join(os.path.dirname(__file__), "..", "..", "rules")
        with open(os.path.join(src_rules, "VERSION")) as f:
            date = f.readline().strip()
        self.assertIn("rules %s (%s)" % (date, os.path.realpath(src_rules)), lines)

    def test_tcpdump_read_count_numeric(self):
        # -r FILE is the FILE operand; -n is accepted and changes nothing.
        _, plain, _ = run("--json", self.curl)
        rc, with_r, err = run("--json", "-n", "-r", self.curl)
        self.assertEqual(rc, 0, err)
        self.assertEqual(plain, with_r)
        # -c 20: the first 20 of the 109 records; the stop is said, the
        # second input is not opened.
        rc, out, err = run("--json", "-c", "20", "-r", self.curl, self.curl)
        self.assertEqual(rc, 0, err)
        st = stats_of(out)
        self.assertEqual(st["capture"]["packets"], 20)
        self.assertEqual(st["capture"]["inputs_opened"], 1)
        self.assertIn("stopped after 20 packets (-c)", err)
        # -c counts over inputs: 109 from the first, 1 from the second.
        rc, out, err = run("--json", "-c", "110", self.curl, "-r", self.curl)
        self.assertEqual(rc, 0, err)
        st = stats_of(out)
        self.assertEqual(st["capture"]["packets"], 110)
        self.assertEqual(st["capture"]["inputs_opened"], 2)
        for bad in ("0", "10k", "-3", "x"):
            rc, _, err = run("-c", bad, self.curl)
            self.assertEqual(rc, 2, bad)
            self.assertIn("-c", err)


if __name__ == "__main__":
    BIN, CORPUS = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    unittest.main(argv=sys.argv[:1], verbosity=2)

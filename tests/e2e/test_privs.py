#!/usr/bin/env python3
"""Privileges, --config and systemd (issue 12, "Privileges and
configuration").

usage: test_privs.py MITMWATCH SAMPLES_DIR BUILD_DIR

- live: in a network namespace this test makes (and deletes) with a veth
  pair, mitmwatch captures one end; the test sends a sample capture's
  frames into the other end through a packet socket. With -Z nobody,
  /proc/PID/status shows nobody's uid and gid and no capability at all
  (CapEff, CapPrm, CapInh, CapAmb 0), and the sessions of the sample are
  still found (the same as reading the file). As root without -Z, exactly
  CAP_NET_RAW and CAP_NET_ADMIN remain, and stderr says so.
- sd_notify: NOTIFY_SOCKET is an AF_UNIX datagram socket the test reads:
  READY=1 once capturing (after the privileges are dropped), WATCHDOG=1
  about every WATCHDOG_USEC/2 when that is set (none when not), STOPPING=1
  after SIGTERM.
- --config: options before the command line's (the command line wins),
  comments and blank lines, values with blanks, and an error naming the
  file and line for every kind of bad line.
- the installed unit (cmake --install to a temporary prefix) passes
  `systemd-analyze verify`, and its `systemd-analyze security` exposure
  stays at or below the figure documented in docs/packaging.md.

The live checks need root and `ip`; without them they are skipped and the
script exits 77 (ctest: skipped), after running the rest.
"""
import json
import os
import pwd
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

MITMWATCH = SAMPLES = BUILD = None
ROOT = os.geteuid() == 0
CAP_NET_ADMIN, CAP_NET_RAW = 12, 13
SAMPLE = "443-curl.pcap"
# docs/packaging.md states this figure; a unit change that raises it fails.
MAX_EXPOSURE = 2.5


def sample(name):
    return os.path.join(SAMPLES, name)


def run(*args, timeout=300):
    p = subprocess.run([MITMWATCH, *args], capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def sessions(jsonl):
    """(event, sni, chain hashes) of every session record."""
    out = []
    for line in jsonl.splitlines():
        r = json.loads(line)
        if r.get("event") in ("tls", "dtls", "quic"):
            out.append((r["event"], r.get("sni"),
                        tuple(c["sha256"] for c in r.get("chain") or [])))
    return sorted(out)


def pcap_frames(path):
    """The frames of a classic pcap file (either byte order)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise ValueError("%s: not a classic pcap" % path)
    off, frames = 24, []
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        frames.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return frames


def proc_status(pid):
    fields = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.split()
    return fields


class Notify:
    """An AF_UNIX datagram socket standing in for systemd's."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        # The process writes to it after -Z too, as to /run/systemd/notify.
        os.chmod(self.path, 0o777)
        self.messages = []  # (time, set of KEY=VALUE lines)

    def read(self, seconds):
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                return
            self.messages.append((time.monotonic(), set(data.decode().split("\n"))))

    def wait_for(self, line, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if any(line in m for _, m in self.messages):
                return True
            self.read(min(0.2, max(0.0, end - time.monotonic())))
        return any(line in m for _, m in self.messages)

    def count(self, line):
        return sum(1 for _, m in self.messages if line in m)

    def close(self):
        self.sock.close()


class Base(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mw-privs-")
        os.chmod(self.dir, 0o755)  # reachable by nobody (the notify socket)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, *p):
        return os.path.join(self.dir, *p)


@unittest.skipUnless(ROOT and shutil.which("ip"), "needs root and ip (netns, veth)")
class Live(Base):
    def setUp(self):
        super().setUp()
        tag = "%d" % (os.getpid() % 100000)
        self.ns, self.host_if, self.ns_if = "mwprivs" + tag, "mwp%sa" % tag, "mwp%sb" % tag
        self.proc = None
        self.addCleanup(self.cleanup)
        for cmd in (["ip", "netns", "add", self.ns],
                    ["ip", "link", "add", self.host_if, "mtu", "9000", "type", "veth",
                     "peer", "name", self.ns_if, "mtu", "9000"],
                    ["ip", "link", "set", self.ns_if, "netns", self.ns],
                    ["ip", "link", "set", self.host_if, "up"],
                    ["ip", "-n", self.ns, "link", "set", self.ns_if, "up"]):
            subprocess.run(cmd, check=True, capture_output=True)
        self.notify = Notify(self.dir)

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.notify.close()
        subprocess.run(["ip", "link", "del", self.host_if], capture_output=True)
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)

    def start(self, *args, watchdog_usec=None):
        env = dict(os.environ, NOTIFY_SOCKET=self.notify.path)
        env.pop("WATCHDOG_USEC", None)
        env.pop("WATCHDOG_PID", None)
        if watchdog_usec:
            env["WATCHDOG_USEC"] = str(watchdog_usec)
        self.err = open(self.path("stderr"), "w+")
        # ip netns exec execs mitmwatch: the pid is mitmwatch's.
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, MITMWATCH, "-i", self.ns_if, *args],
            stdout=subprocess.DEVNULL, stderr=self.err, env=env)
        self.assertTrue(self.notify.wait_for("READY=1", 30),
                        "no READY=1 from mitmwatch: %s" % self.stderr())

    def stderr(self):
        if not self.err.closed:
            self.err.flush()
        with open(self.path("stderr")) as f:
            return f.read()

    def send_sample(self):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((self.host_if, 0))
        for frame in pcap_frames(sample(SAMPLE)):
            s.send(frame)
            time.sleep(0.002)
        s.close()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=60)
        self.notify.read(0.5)
        self.err.close()
        return rc

    def caps(self, st, name):
        return int(st[name][0], 16)

    def test_user_nobody(self):
        nobody = pwd.getpwnam("nobody")
        out = self.path("events.json")
        self.start("-Z", "nobody", "-o", out, watchdog_usec=400000)
        st = proc_status(self.proc.pid)
        self.assertEqual(st["Uid"], [str(nobody.pw_uid)] * 4, st)
        self.assertEqual(st["Gid"], [str(nobody.pw_gid)] * 4, st)
        for name in ("CapEff", "CapPrm", "CapInh", "CapAmb"):
            self.assertEqual(self.caps(st, name), 0, (name, st[name]))
        # Root is not to be had back: the bounding set went too (root has
        # CAP_SETPCAP here).
        self.assertEqual(self.caps(st, "CapBnd"), 0, st["CapBnd"])
        self.send_sample()
        self.notify.read(1.2)
        # Every 0.2 s while alive: at least 3 in 1.2 s (and the time the
        # frames took), none before READY=1.
        self.assertGreaterEqual(self.notify.count("WATCHDOG=1"), 3, self.notify.messages)
        rc = self.stop()
        self.assertIn(rc, (0, 128 + signal.SIGTERM), self.stderr())
        self.assertEqual(self.notify.count("STOPPING=1"), 1, self.notify.messages)
        order = [l for _, m in self.notify.messages for l in sorted(m)
                 if l in ("READY=1", "STOPPING=1")]
        self.assertEqual(order, ["READY=1", "STOPPING=1"])
        # Capture went on as nobody: the sample's sessions, as offline.
        rc, offline, err = run("--json", "-q", sample(SAMPLE))
        self.assertEqual(rc, 0, err)
        with open(out) as f:
            live = f.read()
        self.assertTrue(sessions(offline), "the sample has sessions")
        self.assertEqual(sessions(live), sessions(offline), self.stderr())

    def test_root_keeps_capture_caps(self):
        self.start("-q", "-o", self.path("events.json"))
        st = proc_status(self.proc.pid)
        self.assertEqual(st["Uid"], ["0"] * 4)
        want = (1 << CAP_NET_RAW) | (1 << CAP_NET_ADMIN)
        self.assertEqual(self.caps(st, "CapEff"), want, st["CapEff"])
        self.assertEqual(self.caps(st, "CapPrm"), want, st["CapPrm"])
        self.assertEqual(self.caps(st, "CapAmb"), 0)
        self.notify.read(1.0)
        self.assertEqual(self.notify.count("WATCHDOG=1"), 0, "no WATCHDOG_USEC, no ping")
        self.stop()
        self.assertIn("capabilities reduced to CAP_NET_RAW and CAP_NET_ADMIN", self.stderr())
        self.assertEqual(self.notify.count("STOPPING=1"), 1)


class User(Base):
    def test_unknown_user(self):
        out = self.path("events.json")
        rc, _, err = run("-Z", "no-such-user-mw", "-o", out, sample(SAMPLE))
        self.assertEqual(rc, 2, err)
        self.assertIn("-Z no-such-user-mw: no such user", err)
        self.assertFalse(os.path.exists(out), "nothing opened before the user is known")

    @unittest.skipUnless(ROOT, "needs root to change user")
    def test_files_as_nobody(self):
        # Offline too the change happens once the outputs are open; the
        # file is then read as nobody (it is world-readable).
        out = self.path("events.json")
        rc, _, err = run("-Z", "nobody", "-q", "-o", out, sample(SAMPLE))
        self.assertEqual(rc, 0, err)
        with open(out) as f:
            self.assertEqual(len(sessions(f.read())), 1)


class Config(Base):
    def conf(self, text):
        p = self.path("mw.conf")
        with open(p, "w") as f:
            f.write(text)
        return p

    def vantages(self, *args):
        rc, out, err = run(*args, sample(SAMPLE))
        self.assertEqual(rc, 0, err)
        return [json.loads(l)["vantage"] for l in out.splitlines()
                if json.loads(l).get("event") == "tls"]

    def test_options_and_precedence(self):
        c = self.conf("# sensor\n\n   # indented comment\njson\n"
                      "vantage from-config   # trailing comment\n")
        self.assertEqual(self.vantages("--config", c), ["from-config"])
        self.assertEqual(self.vantages("--config=" + c), ["from-config"])
        # The command line wins, wherever --config stands on it.
        self.assertEqual(self.vantages("--config", c, "--vantage", "cli"), ["cli"])
        self.assertEqual(self.vantages("--vantage", "cli", "--config", c), ["cli"])

    def test_value_with_blanks(self):
        # One argument "tcp and port 9": nothing matches, so no session;
        # split into words it would name input files that do not exist.
        c = self.conf("json\nfilter tcp and port 9\n")
        rc, out, err = run("--config", c, sample(SAMPLE))
        self.assertEqual(rc, 0, err)
        self.assertEqual(sessions(out), [])
        c = self.conf("json\nfilter tcp port 443\n")
        rc, out, err = run("--config", c, sample(SAMPLE))
        self.assertEqual((rc, len(sessions(out))), (0, 1), err)

    def test_errors_name_file_and_line(self):
        cases = [
            ("json\n\nbogus 1\n", ":3: unknown option 'bogus'"),
            ("snaplen\n", ":1: option 'snaplen' needs a value"),
            ("# c\njson yes\n", ":2: option 'json' takes no value (got 'yes')"),
            ("--json\n", ":1: '--json': write the long option's name without dashes"),
            ("config /etc/other.conf\n", ":1: 'config' cannot be given in a configuration file"),
            ("jso\n", ":1: unknown option 'jso'"),  # no abbreviations
        ]
        for text, msg in cases:
            c = self.conf(text)
            rc, _, err = run("--config", c, sample(SAMPLE))
            self.assertEqual(rc, 2, (text, err))
            self.assertIn("mitmwatch: %s%s" % (c, msg), err)

    def test_bad_value_is_usage_error(self):
        c = self.conf("snaplen 12\n")
        rc, _, err = run("--config", c, sample(SAMPLE))
        self.assertEqual(rc, 2, err)
        self.assertIn("invalid value '12' for --snaplen", err)

    def test_file_and_count_errors(self):
        missing = self.path("none.conf")
        rc, _, err = run("--config", missing, sample(SAMPLE))
        self.assertEqual(rc, 2, err)
        self.assertIn("--config: %s: No such file or directory" % missing, err)
        c = self.conf("json\n")
        rc, _, err = run("--config", c, "--config", c, sample(SAMPLE))
        self.assertEqual(rc, 2, err)
        self.assertIn("--config given twice", err)

    def test_shipped_example(self):
        # The example is all comments: accepted, changes nothing.
        src = os.path.join(os.path.dirname(__file__), "..", "..", "etc",
                           "mitmwatch.conf.example")
        rc, out, err = run("--config", src, "--json", sample(SAMPLE))
        self.assertEqual((rc, len(sessions(out))), (0, 1), err)
        # Every commented option line names a real option: uncommented, the
        # file is still accepted (values checked as on the command line).
        with open(src) as f:
            lines = [l[1:] for l in f if re.match(r"#[a-z]", l)]
        self.assertGreater(len(lines), 5)
        c = self.conf("".join(l for l in lines
                              if not l.startswith(("rules", "trust-extra", "targets", "state"))))
        rc, out, err = run("--config", c, "--json", sample(SAMPLE))
        self.assertEqual(rc, 0, err)


@unittest.skipUnless(shutil.which("systemd-analyze"), "needs systemd-analyze")
class Unit(Base):
    def test_installed_unit(self):
        prefix = self.path("prefix")
        p = subprocess.run(["cmake", "--install", BUILD, "--prefix", prefix],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        unit = os.path.join(prefix, "lib/systemd/system/mitmwatch@.service")
        with open(unit) as f:
            text = f.read()
        self.assertIn("ExecStart=%s/bin/mitmwatch --config %s/etc/mitmwatch/mitmwatch.conf"
                      % (prefix, prefix), text)
        for f in ("etc/mitmwatch/mitmwatch.conf", "etc/logrotate.d/mitmwatch",
                  "share/doc/mitmwatch/examples/mitmwatch.conf.example"):
            self.assertTrue(os.path.isfile(os.path.join(prefix, f)), f)
        # The installed config is accepted by the installed binary.
        rc = subprocess.run([os.path.join(prefix, "bin/mitmwatch"), "--config",
                             os.path.join(prefix, "etc/mitmwatch/mitmwatch.conf"), "-q",
                             sample(SAMPLE)], capture_output=True).returncode
        self.assertEqual(rc, 0)
        # An instance of the template, its man page found (Documentation=).
        d = self.path("units")
        os.mkdir(d)
        shutil.copy(unit, d)
        env = dict(os.environ, MANPATH=os.path.join(prefix, "share/man"))
        inst = os.path.join(d, "mitmwatch@eth0.service")
        p = subprocess.run(["systemd-analyze", "verify", inst], capture_output=True,
                           text=True, env=env)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stdout + p.stderr, "", "verify says nothing about a good unit")
        p = subprocess.run(["systemd-analyze", "security", "--offline=true", inst],
                           capture_output=True, text=True)
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", p.stdout + p.stderr)
        self.assertTrue(m, p.stdout + p.stderr)
        print("systemd-analyze security: exposure %s" % m.group(1))
        self.assertLessEqual(float(m.group(1)), MAX_EXPOSURE)


if __name__ == "__main__":
    MITMWATCH, SAMPLES, BUILD = sys.argv[1:4]
    del sys.argv[1:4]
    prog = unittest.main(exit=False, verbosity=2)
    res = prog.result
    if not res.wasSuccessful():
        sys.exit(1)
    sys.exit(77 if res.skipped else 0)

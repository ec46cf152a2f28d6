#!/usr/bin/env python3
"""Live capture, with real packets: a network namespace with a veth pair,
tcpreplay sends the bundled samples into one end, mitmwatch -i reads the
other. Checks (issue 12):
  1. events appear in -o while mitmwatch still runs, within 2 s of the
     replay, the same sessions as reading the file offline;
  2. a logrotate-style rotation (rename + SIGHUP) in the middle of a replay:
     the two files hold every event exactly once; SIGUSR1 writes a stats
     record at once; --metrics is a Prometheus text file;
  3. SIGTERM right after a burst: packets sent = read + dropped + not read,
     and the exit status is 0;
  4. --report DIR --report-interval 1s: summary.json and report.html are
     there while mitmwatch runs, with the intercepted sessions and packet
     count of the replay, and at the stop equal a run over the file;
  5. the interface deleted and made again while mitmwatch runs: it says
     so, keeps running, captures again, and reports the sessions replayed
     after the return (interface_lost and interface_reopened count it),
     and the stop is exit status 0 (a link flap is counted, not a failure);
  6. exit status 1 at the stop when an output failed (events to /dev/full,
     an unwritable --metrics), 0 in the tests above where all were written.
Needs root, ip netns and tcpreplay: without them it says why and skips
(ctest sees exit code 77)."""
import collections
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

MW, SAMPLES = sys.argv[1], sys.argv[2]
NS = "mwlive%d" % os.getpid()
SKIP = 77


def skip(why):
    print("SKIP: " + why)
    sys.exit(SKIP)


def sh(*args, check=True):
    return subprocess.run(args, check=check, capture_output=True, text=True)


def setup():
    if os.geteuid() != 0:
        skip("not root: cannot create a network namespace")
    if not shutil.which("tcpreplay"):
        skip("tcpreplay not installed (tools/install-deps.sh)")
    if sh("ip", "netns", "add", NS, check=False).returncode != 0:
        skip("no network namespace support (ip netns add failed)")
    # No IPv6: the kernel's own router/neighbour solicitations would be
    # packets on the wire that the sender did not send.
    sh("ip", "netns", "exec", NS, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
    sh("ip", "netns", "exec", NS, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1")
    sh("ip", "-n", NS, "link", "add", "va", "type", "veth", "peer", "name", "vb")
    for dev in ("va", "vb", "lo"):
        sh("ip", "-n", NS, "link", "set", dev, "up")


def teardown():
    sh("ip", "netns", "del", NS, check=False)


def offline_events(pcap):
    out = sh(MW, "--json", "-q", pcap).stdout
    return [json.loads(l) for l in out.splitlines() if '"event":"stats"' not in l]


def key(e):
    return (e["event"], e.get("community_id"), e.get("sni"))


def read_events(path, final=False):
    """Events and stats records; while mitmwatch runs (not final) a last
    line still being written is left for later, as tail -F readers do."""
    if not os.path.exists(path):
        return [], []
    ev, stats = [], []
    with open(path) as f:
        for line in f:
            if not line.endswith("\n") and not final:
                break
            assert line.endswith("\n"), "a split line: %r" % line
            r = json.loads(line)
            (stats if r["event"] == "stats" else ev).append(r)
    return ev, stats


def start(tmp, out, *extra):
    err = open(os.path.join(tmp, "stderr"), "w")
    p = subprocess.Popen(["ip", "netns", "exec", NS, MW, "-i", "vb", "-o", out,
                          "--stats-interval", "0", *extra],
                         stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.time() + 5
    while time.time() < deadline:
        with open(os.path.join(tmp, "stderr")) as f:
            if "listening on vb" in f.read():
                return p
        time.sleep(0.05)
    p.kill()
    raise AssertionError("mitmwatch did not start listening")


def replay(pcap, *opts):
    r = sh("ip", "netns", "exec", NS, "tcpreplay", "-q", "-i", "va", *opts, pcap)
    for line in r.stdout.splitlines():
        if "Successful packets:" in line:
            return int(line.split(":")[1])
    raise AssertionError("tcpreplay said: " + r.stdout + r.stderr)


def wait_for(pred, secs):
    deadline = time.time() + secs
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def stop(p):
    p.send_signal(signal.SIGTERM)
    return p.wait(timeout=10)


def test_events_while_running(tmp):
    pcap = os.path.join(SAMPLES, "gen-clean.pcap")
    offline = offline_events(pcap)
    # A handshake that never completes is judged when its flow ends (idle
    # timeout, or the stop): those come at the end, all others at once.
    want = collections.Counter(key(e) for e in offline if e.get("handshake") != "incomplete")
    assert sum(want.values()) >= 10 and len(offline) > sum(want.values()), want
    out = os.path.join(tmp, "live1.json")
    p = start(tmp, out)
    replay(pcap, "--topspeed")
    t0 = time.time()
    ok = wait_for(lambda: collections.Counter(key(e) for e in read_events(out)[0]) == want, 2.0)
    got = collections.Counter(key(e) for e in read_events(out)[0])
    assert p.poll() is None, "mitmwatch exited early"
    assert ok, "within 2 s: missing %s, extra %s" % (want - got, got - want)
    print("events: %d sessions in the file %.2f s after the replay, mitmwatch running"
          % (sum(got.values()), time.time() - t0))
    assert stop(p) == 0
    got = collections.Counter(key(e) for e in read_events(out, True)[0])
    assert got == collections.Counter(key(e) for e in offline), got


def test_rotation(tmp):
    pcap = os.path.join(SAMPLES, "gen-timeseries.pcap")
    want = collections.Counter(key(e) for e in offline_events(pcap))
    out = os.path.join(tmp, "live2.json")
    metrics = os.path.join(tmp, "mw.prom")
    p = start(tmp, out, "--metrics", metrics)
    # 2 s of replay; the rotation falls in its middle.
    npk = int(sh("capinfos", "-c", "-M", pcap).stdout.split(":")[-1]) if shutil.which("capinfos") else 2000
    rp = subprocess.Popen(["ip", "netns", "exec", NS, "tcpreplay", "-q", "-i", "va",
                           "--pps", str(max(npk // 2, 1)), pcap],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    os.rename(out, out + ".1")
    p.send_signal(signal.SIGHUP)
    assert rp.wait(timeout=30) == 0
    time.sleep(1.5)
    p.send_signal(signal.SIGUSR1)
    assert wait_for(lambda: read_events(out)[1], 2.0), "no stats record after SIGUSR1"
    st = read_events(out)[1][0]
    assert st["capture"]["packets"] > 0 and "since_last" in st and st["interfaces"][0]["name"] == "vb"
    assert stop(p) == 0
    a, b = read_events(out + ".1", True)[0], read_events(out, True)[0]
    assert a and b, "rotation not mid-replay: %d / %d events" % (len(a), len(b))
    got = collections.Counter(key(e) for e in a + b)
    assert got == want, "missing %s, extra %s" % (want - got, got - want)
    with open(metrics) as f:
        text = f.read()
    assert "# TYPE mitmwatch_capture_packets counter" in text
    assert 'mitmwatch_kernel_received{interface="vb"}' in text
    print("rotation: %d + %d events, every one exactly once" % (len(a), len(b)))


def test_stop_accounting(tmp):
    pcap = os.path.join(SAMPLES, "gen-timeseries.pcap")
    out = os.path.join(tmp, "live3.json")
    p = start(tmp, out, "--buffer-size", "1")
    sent = replay(pcap, "--topspeed", "--loop", "5")
    rc = stop(p)
    stats = read_events(out, True)[1]
    assert rc == 0, rc
    c = stats[-1]["capture"]
    counted = c["packets"] + c["pcap_dropped"] + c["packets_not_read"]
    print("stop: sent %d, read %d, kernel dropped %d, not read %d"
          % (sent, c["packets"], c["pcap_dropped"], c["packets_not_read"]))
    assert counted == sent, (sent, c)


def summary_of(d):
    with open(os.path.join(d, "summary.json")) as f:
        return json.load(f)


def test_live_report(tmp):
    pcap = os.path.join(SAMPLES, "gen-kz2019.pcap")
    off = os.path.join(tmp, "offline-report")
    sh(MW, "-q", "--report", off, pcap)
    want = summary_of(off)["sessions"]
    assert want["intercepted"] >= 5, want
    rep = os.path.join(tmp, "live-report")
    p = start(tmp, os.path.join(tmp, "live4.json"), "--report", rep,
              "--report-interval", "1s")
    sent = replay(pcap, "--topspeed")

    def refreshed():
        try:
            s = summary_of(rep)
        except (OSError, ValueError):
            return False
        return (s["sessions"]["intercepted"] == want["intercepted"]
                and s["counters"]["capture"]["packets"] == sent)
    assert wait_for(refreshed, 4.0), "no refreshed report within 4 s"
    assert p.poll() is None, "mitmwatch exited early"
    assert os.path.getsize(os.path.join(rep, "report.html")) > 1000
    print("report: refreshed while running, %d intercepted, %d packets"
          % (want["intercepted"], sent))
    assert stop(p) == 0
    got = summary_of(rep)["sessions"]
    assert got == want, (got, want)
    assert sorted(os.listdir(rep)) == ["report.html", "summary.json"], os.listdir(rep)


def stderr_of(tmp):
    with open(os.path.join(tmp, "stderr")) as f:
        return f.read()


def make_veth():
    sh("ip", "-n", NS, "link", "add", "va", "type", "veth", "peer", "name", "vb")
    for dev in ("va", "vb"):
        sh("ip", "-n", NS, "link", "set", dev, "up")


def test_interface_returns(tmp):
    pcap = os.path.join(SAMPLES, "gen-kz2019.pcap")
    want = collections.Counter(key(e) for e in offline_events(pcap)
                               if e.get("handshake") != "incomplete")
    out = os.path.join(tmp, "live5.json")
    p = start(tmp, out)
    sh("ip", "-n", NS, "link", "del", "va")  # both ends of the pair go
    assert wait_for(lambda: "lost; opening it again" in stderr_of(tmp), 3.0), stderr_of(tmp)
    time.sleep(1.5)  # a failed retry or two while it is gone
    assert p.poll() is None, "mitmwatch exited when the interface went away"
    make_veth()
    assert wait_for(lambda: "vb: capturing again" in stderr_of(tmp), 3.0), stderr_of(tmp)
    replay(pcap, "--topspeed")
    ok = wait_for(lambda: collections.Counter(key(e) for e in read_events(out)[0]) == want, 3.0)
    assert ok, collections.Counter(key(e) for e in read_events(out)[0])
    # Counted (below), not a failure: every output was written.
    rc = stop(p)
    assert rc == 0, (rc, stderr_of(tmp))
    c = read_events(out, True)[1][-1]["capture"]
    assert (c["interface_lost"], c["interface_reopened"], c["inputs_opened"],
            c["inputs_failed"]) == (1, 1, 1, 0), c
    print("interface: deleted, made again, %d sessions after its return" % sum(want.values()))


def test_exit_status(tmp):
    """One rule live as offline: a stop is 0 when every output was written
    (the tests above), 1 when one failed; never 3, which is kept for out
    of memory and the privileges. Events to /dev/full (it opens, then
    every write is ENOSPC) fail while running; --metrics in a directory
    that is a file fails at the stop (--stats-interval 0: written then)."""
    pcap = os.path.join(SAMPLES, "gen-clean.pcap")
    p = start(tmp, "/dev/full")
    replay(pcap, "--topspeed")
    # Said while running (the flush, at most a second later), not only at
    # the stop.
    assert wait_for(lambda: "mitmwatch: /dev/full: cannot write output" in stderr_of(tmp),
                    3.0), stderr_of(tmp)
    assert p.poll() is None, "mitmwatch exited at the failed write"
    rc = stop(p)
    assert rc == 1, (rc, stderr_of(tmp))
    blocker = os.path.join(tmp, "blocker")
    open(blocker, "w").close()
    out = os.path.join(tmp, "live6.json")
    metrics = os.path.join(blocker, "m.prom")
    p = start(tmp, out, "--metrics", metrics)
    replay(pcap, "--topspeed")
    rc = stop(p)
    assert rc == 1, (rc, stderr_of(tmp))
    assert "--metrics: %s: Not a directory" % metrics in stderr_of(tmp), stderr_of(tmp)
    # The events were written in full, the final stats record last.
    with open(out) as f:
        assert '"event":"stats"' in f.read().splitlines()[-1]
    print("exit status: 1 after events to /dev/full, 1 after an unwritable --metrics")


def main():
    setup()
    tmp = tempfile.mkdtemp(prefix="mwlive")
    try:
        test_events_while_running(tmp)
        test_rotation(tmp)
        test_stop_accounting(tmp)
        test_live_report(tmp)
        test_interface_returns(tmp)
        test_exit_status(tmp)
    finally:
        teardown()
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok")


main()

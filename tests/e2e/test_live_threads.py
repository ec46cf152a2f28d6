#!/usr/bin/env python3
"""Live capture on several sockets and interfaces, with real packets
(issue 12): a network namespace with two veth pairs (va-vb, vc-vd);
tcpreplay sends into va and vc while mitmwatch reads vb and vd.
  1. --threads 2 on one interface: two sockets in one PACKET_FANOUT group
     give the same set of sessions (addresses, ports, SNI, chain, verdict)
     as reading the same pcaps offline; the stats record lists the two
     sockets, each received packets, and their counts sum to what
     tcpreplay sent (and to what mitmwatch read); --metrics has them too;
     SIGTERM right after a burst: sent = read + dropped + not read;
  2. -i vb -i vd: each interface's sessions carry its name in `capture`;
     vd's pair deleted while running: mitmwatch says so, vb's capture goes
     on (sessions replayed meanwhile are reported); vd made again:
     captured again, its sessions reported, lost/reopened counted for vd
     only;
  3. -i twice with one name is a usage error (exit 2).
Needs root, ip netns and tcpreplay: without them it says why and skips
(exit 77)."""
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
NS = "mwlt%d" % os.getpid()
SKIP = 77


def skip(why):
    print("SKIP: " + why)
    sys.exit(SKIP)


def sh(*args, check=True):
    return subprocess.run(args, check=check, capture_output=True, text=True)


def make_pair(a, b):
    sh("ip", "-n", NS, "link", "add", a, "type", "veth", "peer", "name", b)
    for dev in (a, b):
        sh("ip", "-n", NS, "link", "set", dev, "up")


def setup():
    if os.geteuid() != 0:
        skip("not root: cannot create a network namespace")
    if not shutil.which("tcpreplay"):
        skip("tcpreplay not installed (tools/install-deps.sh)")
    if sh("ip", "netns", "add", NS, check=False).returncode != 0:
        skip("no network namespace support (ip netns add failed)")
    # No IPv6: the kernel's own solicitations would be packets on the wire
    # that tcpreplay did not send.
    sh("ip", "netns", "exec", NS, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
    sh("ip", "netns", "exec", NS, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1")
    sh("ip", "-n", NS, "link", "set", "lo", "up")
    make_pair("va", "vb")
    make_pair("vc", "vd")


def teardown():
    sh("ip", "netns", "del", NS, check=False)


def session_key(e):
    """What must be equal live and offline (not ts, flow_id, capture)."""
    chain = tuple(c["sha256"] for c in e.get("chain") or [])
    return (e["event"], e.get("src_ip"), e.get("src_port"), e.get("dst_ip"),
            e.get("dst_port"), e.get("sni"), chain, e.get("verdict"))


def offline(*pcaps):
    out = sh(MW, "--json", "-q", *pcaps).stdout
    return [json.loads(l) for l in out.splitlines() if '"event":"stats"' not in l]


def read_events(path, final=False):
    if not os.path.exists(path):
        return [], []
    ev, stats = [], []
    with open(path) as f:
        for line in f:
            if not line.endswith("\n") and not final:
                break
            r = json.loads(line)
            (stats if r["event"] == "stats" else ev).append(r)
    return ev, stats


def stderr_of(tmp):
    with open(os.path.join(tmp, "stderr")) as f:
        return f.read()


def start(tmp, out, args, ready):
    err = open(os.path.join(tmp, "stderr"), "w")
    p = subprocess.Popen(["ip", "netns", "exec", NS, MW, *args, "-o", out,
                          "--stats-interval", "0"],
                         stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.time() + 5
    while time.time() < deadline:
        if all(r in stderr_of(tmp) for r in ready):
            return p
        time.sleep(0.05)
    p.kill()
    raise AssertionError("mitmwatch did not start listening: " + stderr_of(tmp))


def replay(dev, *pcaps):
    r = sh("ip", "netns", "exec", NS, "tcpreplay", "-q", "-i", dev, "--topspeed", *pcaps)
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
    return p.wait(timeout=15)


def test_fanout(tmp):
    pcaps = [os.path.join(SAMPLES, f) for f in ("gen-clean.pcap", "gen-kz2019.pcap",
                                                 "gen-corporate.pcap")]
    want = collections.Counter(session_key(e) for e in offline(*pcaps))
    assert sum(want.values()) >= 30, want
    out = os.path.join(tmp, "fanout.json")
    metrics = os.path.join(tmp, "fanout.prom")
    p = start(tmp, out, ["-i", "vb", "--threads", "2", "--metrics", metrics],
              ["listening on vb, link type 1, 2 sockets in PACKET_FANOUT group"])
    sent = replay("va", *pcaps)

    def sockets_counted():
        p.send_signal(signal.SIGUSR1)
        time.sleep(0.3)
        st = read_events(out)[1]
        if not st:
            return None
        ifc = st[-1]["interfaces"]
        return ifc if sum(s["kernel_received"] for s in ifc[0]["sockets"]) == sent else None
    assert wait_for(sockets_counted, 5.0), read_events(out)[1][-1:]
    ifc = sockets_counted()
    assert len(ifc) == 1 and ifc[0]["name"] == "vb", ifc
    socks = ifc[0]["sockets"]
    recv = [s["kernel_received"] for s in socks]
    assert len(socks) == 2 and all(r > 0 for r in recv), socks
    assert ifc[0]["kernel_received"] == sent and ifc[0]["kernel_dropped"] == 0, ifc
    assert p.poll() is None, "mitmwatch exited early"
    assert stop(p) == 0, stderr_of(tmp)
    ev, stats = read_events(out, True)
    got = collections.Counter(session_key(e) for e in ev)
    assert got == want, "missing %s, extra %s" % (want - got, got - want)
    assert all(e["capture"] == "vb" for e in ev)
    assert len({e["flow_id"] for e in ev}) == len(ev), "flow_id not unique"
    c = stats[-1]["capture"]
    assert (c["packets"], c["pcap_received"], c["pcap_dropped"], c["inputs_opened"]) == \
        (sent, sent, 0, 1), c
    with open(metrics) as f:
        text = f.read()
    for k, r in enumerate(recv):
        assert 'mitmwatch_kernel_socket_received{interface="vb",socket="%d"} %d' % (k, r) \
            in text, text
    assert 'mitmwatch_kernel_received{interface="vb"} %d' % sent in text
    print("fanout: %d packets sent, sockets received %s, %d sessions as offline"
          % (sent, recv, sum(got.values())))


def test_fanout_stop_accounting(tmp):
    """SIGTERM right after a burst into a small buffer: every packet sent
    is read, dropped by the kernel or counted as not read, summed over the
    two sockets."""
    pcap = os.path.join(SAMPLES, "gen-timeseries.pcap")
    out = os.path.join(tmp, "stop.json")
    p = start(tmp, out, ["-i", "vb", "--threads", "2", "--buffer-size", "1"],
              ["2 sockets in PACKET_FANOUT group"])
    r = sh("ip", "netns", "exec", NS, "tcpreplay", "-q", "-i", "va", "--topspeed",
           "--loop", "5", pcap)
    sent = int(next(l for l in r.stdout.splitlines() if "Successful packets:" in l)
               .split(":")[1])
    rc = stop(p)
    assert rc == 0, (rc, stderr_of(tmp))
    c = read_events(out, True)[1][-1]["capture"]
    print("stop, 2 sockets: sent %d, read %d, kernel dropped %d, not read %d"
          % (sent, c["packets"], c["pcap_dropped"], c["packets_not_read"]))
    assert c["pcap_received"] == sent, (sent, c)
    assert c["packets"] + c["pcap_dropped"] + c["packets_not_read"] == sent, (sent, c)


def test_two_interfaces(tmp):
    a = os.path.join(SAMPLES, "gen-kz2019.pcap")
    b = os.path.join(SAMPLES, "gen-clean.pcap")
    want_a = collections.Counter(session_key(e) for e in offline(a))
    want_b = collections.Counter(session_key(e) for e in offline(b))
    out = os.path.join(tmp, "two.json")
    p = start(tmp, out, ["-i", "vb", "-i", "vd"], ["listening on vb", "listening on vd"])

    def seen(dev):
        return collections.Counter(session_key(e) for e in read_events(out)[0]
                                   if e["capture"] == dev)
    sent = replay("va", a) + replay("vc", b)
    # Incomplete handshakes wait for their flow's end: compare the others.
    complete = lambda c: collections.Counter({k: v for k, v in c.items() if k[7] != "incomplete"})
    assert wait_for(lambda: complete(seen("vb")) == complete(want_a) and
                    complete(seen("vd")) == complete(want_b), 5.0), (seen("vb"), seen("vd"))

    # Every packet read before vd is deleted: the complete sessions are
    # judged before their flows' last segments (FIN, ACK) arrive, and a
    # TPACKET_V3 block is handed over only when full or after 200 ms, so
    # those segments could still be in the ring that goes with vd (counted
    # as packets_not_read). Their flows then stayed open, and the same
    # replay after vd's return (same ports, same ISNs: no tracker can tell
    # it from a retransmission) went on in them: one egov.kz/goo.gl event
    # instead of two (failed 2 in 150 runs). Closed by their FINs, they
    # are not (a new SYN starts a new flow).
    def all_read():
        p.send_signal(signal.SIGUSR1)
        time.sleep(0.2)
        st = read_events(out)[1]
        return bool(st) and st[-1]["capture"]["packets"] == sent
    assert wait_for(all_read, 5.0), read_events(out)[1][-1:]
    # vd goes away; vb goes on.
    sh("ip", "-n", NS, "link", "del", "vc")
    assert wait_for(lambda: "vd: lost; opening it again" in stderr_of(tmp), 5.0), stderr_of(tmp)
    before = len(read_events(out)[0])
    replay("va", a)
    assert wait_for(lambda: len(read_events(out)[0]) >= before + sum(complete(want_a).values()),
                    5.0), "vb stopped when vd went away"
    assert p.poll() is None, "mitmwatch exited when vd went away"
    make_pair("vc", "vd")
    assert wait_for(lambda: "vd: capturing again" in stderr_of(tmp), 5.0), stderr_of(tmp)
    before_vd = sum(seen("vd").values())
    replay("vc", b)
    assert wait_for(lambda: sum(seen("vd").values()) >= before_vd +
                    sum(complete(want_b).values()), 5.0), "nothing from vd after its return"
    # A link flap is counted (below), not a failure: every output written.
    rc = stop(p)
    assert rc == 0, (rc, stderr_of(tmp))
    ev, stats = read_events(out, True)
    got_a = collections.Counter(session_key(e) for e in ev if e["capture"] == "vb")
    got_b = collections.Counter(session_key(e) for e in ev if e["capture"] == "vd")
    assert got_a == want_a + want_a, "vb: missing %s, extra %s" % (
        want_a + want_a - got_a, got_a - want_a - want_a)
    assert got_b == want_b + want_b, "vd: missing %s, extra %s" % (
        want_b + want_b - got_b, got_b - want_b - want_b)
    assert len(ev) == sum(got_a.values()) + sum(got_b.values()), "events of neither interface"
    c = stats[-1]["capture"]
    assert (c["interface_lost"], c["interface_reopened"], c["inputs_opened"],
            c["inputs_failed"], c["inputs_damaged"]) == (1, 1, 2, 0, 1), c
    # Every packet the kernel received, across the loss, is accounted for.
    assert c["pcap_received"] == c["packets"] + c["pcap_dropped"] + c["packets_not_read"], c
    print("two interfaces: vd deleted and made again, vb went on; %d + %d sessions"
          % (sum(got_a.values()), sum(got_b.values())))


def test_twice_is_usage_error():
    r = sh(MW, "-i", "lo", "-i", "lo", check=False)
    assert r.returncode == 2 and "-i lo given twice" in r.stderr, (r.returncode, r.stderr)


def main():
    test_twice_is_usage_error()
    setup()
    tmp = tempfile.mkdtemp(prefix="mwlt")
    try:
        test_fanout(tmp)
        test_fanout_stop_accounting(tmp)
        test_two_interfaces(tmp)
    finally:
        teardown()
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok")


main()

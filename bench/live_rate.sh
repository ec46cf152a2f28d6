#!/bin/sh
# Highest replay rate with no kernel drop, live (issue 12).
# usage: bench/live_rate.sh MITMWATCH [PCAP] [LOOPS]
# Makes a network namespace with a veth pair, and for each rate replays
# PCAP LOOPS times with tcpreplay --mbps RATE (then --topspeed) into one
# end while mitmwatch -i reads the other; prints, per rate, what tcpreplay
# sent and what mitmwatch read, dropped and did not read, and what each
# capture socket received. THREADS=N (default 1) runs mitmwatch with
# --threads N: N sockets in one PACKET_FANOUT group. Needs root.
# Frames must fit the veth MTU (set to 9000): the bundled samples do.
set -eu
mw=$1
pcap=${2:-samples/gen-timeseries.pcap}
loops=${3:-20}
ns=mwrate$$
tmp=$(mktemp -d)
trap 'ip netns del $ns 2>/dev/null || true; rm -rf "$tmp"' EXIT
ip netns add $ns
ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip netns exec $ns sysctl -qw net.ipv6.conf.default.disable_ipv6=1
ip -n $ns link add va type veth peer name vb
for d in va vb; do ip -n $ns link set $d mtu 9000; done
for d in va vb lo; do ip -n $ns link set $d up; done
printf '%-10s %10s %10s %10s %10s %10s %10s  %s\n' rate sent_pkts sent_Mbps sent_pps read dropped not_read sockets
for rate in ${RATES:-100 200 400 800 1600 topspeed}; do
    ip netns exec $ns "$mw" -i vb -o "$tmp/ev.json" --stats-interval 0 \
        --threads ${THREADS:-1} --buffer-size ${BUFFER_MIB:-64} >/dev/null 2>"$tmp/err" &
    pid=$!
    until grep -q 'listening on vb' "$tmp/err" 2>/dev/null; do sleep 0.05; done
    if [ "$rate" = topspeed ]; then opt=--topspeed; else opt="--mbps=$rate"; fi
    ip netns exec $ns tcpreplay -K -i va $opt --loop "$loops" "$pcap" >"$tmp/rep" 2>&1 || true
    sleep 0.5
    kill -USR1 $pid # a record with the per-socket counters
    sleep 0.5
    kill -TERM $pid
    wait $pid || true
    sent=$(sed -n 's/.*Successful packets: *\([0-9]*\).*/\1/p' "$tmp/rep")
    mbps=$(sed -n 's/.*Rated: [0-9.]* Bps, \([0-9.]*\) Mbps.*/\1/p' "$tmp/rep" | head -1)
    pps=$(sed -n 's/.*Rated: .* Mbps, \([0-9.]*\) pps.*/\1/p' "$tmp/rep" | head -1)
    python3 - "$tmp/ev.json" "$rate" "$sent" "$mbps" "$pps" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if '"event":"stats"' in l]
st = recs[-1]["capture"]
socks = [r for r in recs if "interfaces" in r][-1]["interfaces"][0].get("sockets", [])
print("%-10s %10s %10s %10s %10d %10d %10d  %s" % (sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5],
      st["packets"], st["pcap_dropped"], st["packets_not_read"],
      "/".join(str(s["kernel_received"]) for s in socks)))
PY
    rm -f "$tmp/ev.json"
done

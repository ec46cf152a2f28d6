/*
 * stats.h - every counter mitmwatch keeps, in one place.
 *
 * "Nothing is lost silently": each packet, fragment, flow or byte that is
 * skipped, truncated, evicted or dropped increments one of these, and all of
 * them are printed at the end of a run (text on stderr, JSON in the final
 * {"event":"stats"} line). The X-macro lists below are the single source of
 * the counter names, so the struct, the JSON keys and the text report cannot
 * drift apart; adding a counter is one line.
 *
 * Each worker owns one mw_stats (no sharing, no atomics); a run sums them.
 */
#ifndef MW_STATS_H
#define MW_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/json.h"
#include "common/jsonparse.h"

/* X(name, "what it counts") */
#define MW_CAPTURE_COUNTERS(X)                                                   \
    X(inputs_opened, "inputs opened (files, stdin, interfaces)")                \
    X(inputs_failed, "inputs that could not be opened or are not captures")    \
    X(inputs_damaged, "inputs with a read error or truncation mid-way")        \
    X(inputs_gzip, "inputs that were gzip-compressed")                          \
    X(inputs_xz, "inputs that were xz-compressed")                              \
    X(inputs_zstd, "inputs that were zstd-compressed")                          \
    X(inputs_bzip2, "inputs that were bzip2-compressed")                        \
    X(dir_entries_skipped, "directory entries skipped (not a capture file)")    \
    X(packets, "packets read")                                                  \
    X(bytes, "bytes on the wire (original length)")                             \
    X(bytes_captured, "bytes captured")                                         \
    X(packets_snaplen_cut, "packets shorter than on the wire (snaplen)")        \
    X(packets_filtered_out, "packets rejected by the BPF filter (files)")       \
    X(pcap_received, "packets received by the kernel (live)")                   \
    X(pcap_dropped, "packets dropped by the kernel buffer (live)")              \
    X(pcap_if_dropped, "packets dropped by the interface or driver (live)")    \
    X(packets_not_read, "received by the kernel, not dropped, not read at stop (live)") \
    X(interface_lost, "times the interface went away (live; opened again each second)") \
    X(interface_reopened, "times the interface came back and capture resumed (live)")

#define MW_LINK_COUNTERS(X)                                                      \
    X(ethernet, "Ethernet")                                                     \
    X(linux_sll, "Linux cooked v1 (SLL)")                                       \
    X(linux_sll2, "Linux cooked v2 (SLL2)")                                     \
    X(raw_ip, "raw IPv4/IPv6")                                                  \
    X(bsd_null, "BSD loopback/NULL")                                            \
    X(ppp, "PPP")                                                               \
    X(cisco_hdlc, "Cisco HDLC")                                                 \
    X(unsupported, "packets of an unsupported link type")

#define MW_DECODE_COUNTERS(X)                                                    \
    X(ipv4, "IPv4 packets")                                                     \
    X(ipv6, "IPv6 packets")                                                     \
    X(tcp, "TCP segments")                                                      \
    X(udp, "UDP datagrams")                                                     \
    X(vlan_tags, "802.1Q/802.1ad tags crossed")                                 \
    X(mpls_labels, "MPLS labels crossed")                                       \
    X(pppoe, "PPPoE session frames")                                            \
    X(ip_tunnels, "IP-in-IP encapsulations crossed")                            \
    X(vxlan, "VXLAN encapsulations crossed")                                    \
    X(gtp, "GTP-U encapsulations crossed")                                      \
    X(bad_tunnel, "VXLAN/GTP-U headers malformed, left as plain UDP")           \
    X(non_ip, "frames that carry no IP (ARP, LLDP, ...), skipped")              \
    X(other_l4, "IP packets neither TCP nor UDP (ICMP, ESP, ...), skipped")     \
    X(l4_payload_cut, "TCP/UDP payloads cut short by the snaplen")              \
    X(err_truncated_link, "error: link header truncated")                       \
    X(err_truncated_ip, "error: IP header truncated")                           \
    X(err_bad_ip_version, "error: IP version field wrong")                      \
    X(err_bad_ip_header, "error: IPv4 header length or options invalid")        \
    X(err_bad_ip_length, "error: IP total/payload length inconsistent")         \
    X(err_bad_ipv6_ext, "error: IPv6 extension header truncated or invalid")    \
    X(err_too_deep, "error: too many stacked tags/labels/tunnels")              \
    X(err_truncated_tcp, "error: TCP header truncated")                         \
    X(err_bad_tcp_header, "error: TCP data offset invalid")                     \
    X(err_truncated_udp, "error: UDP header truncated")                         \
    X(err_bad_udp_length, "error: UDP length invalid")

#define MW_FRAG_COUNTERS(X)                                                      \
    X(fragments, "IP fragments seen")                                           \
    X(reassembled, "datagrams reassembled from fragments")                      \
    X(timed_out, "fragmented datagrams timed out incomplete")                   \
    X(dropped_table_full, "fragments dropped: too many datagrams in progress")  \
    X(dropped_too_large, "fragments dropped: datagram over the size cap")       \
    X(dropped_bad, "fragments dropped: invalid offset or length")               \
    X(overlaps, "fragments overlapping earlier ones")                           \
    X(overlaps_differ, "datagrams whose overlapping fragments differ")          \
    X(overlap_later_kept, "of those, the later copy kept (right L4 checksum)")  \
    X(overlap_undecided, "of those, checksums undecided: first copy kept")      \
    X(overlap_alt_refused, "differing overlaps not kept: out of memory")        \
    X(incomplete_at_end, "fragmented datagrams still incomplete at the end")

#define MW_CHECKSUM_COUNTERS(X)                                                  \
    X(bad_ipv4, "IPv4 headers with a wrong checksum")                           \
    X(bad_tcp, "TCP segments with a wrong checksum")                            \
    X(bad_udp, "UDP datagrams with a wrong checksum")                           \
    X(dropped, "packets dropped for a wrong checksum (never reach a flow)")     \
    X(dropped_fragments, "IPv4 fragments dropped for a wrong header checksum")  \
    X(accepted_unverified, "wrong checksums let through: their direction never had a right one (auto)") \
    X(accepted_data, "wrong checksums on data in verified directions, let through (auto)") \
    X(offload_directions, "flow directions taken as checksum-offloaded (auto)")

#define MW_FLOW_COUNTERS(X)                                                      \
    X(created, "flows created")                                                 \
    X(created_tcp, "TCP flows created")                                         \
    X(created_udp, "UDP flows created")                                         \
    X(closed_fin, "flows closed by FIN in both directions")                     \
    X(closed_rst, "flows closed by RST")                                        \
    X(rst_out_of_window, "RSTs outside the receive window, ignored")            \
    X(fin_out_of_window, "FINs outside the receive window, ignored")            \
    X(data_after_rst, "data segments from a side after its own RST (kept)")     \
    X(held_suspect, "data segments held for one packet: bad checksum (auto) or TTL off their direction's") \
    X(hold_refused, "suspect data segments not held: the hold budget (16 MiB per worker) was full") \
    X(injected_dropped, "data copies dropped as injected: the other copy of the bytes had a better checksum or TTL") \
    X(timed_out, "flows expired after their idle timeout")                      \
    X(evicted, "flows evicted because the table was full (LRU)")                \
    X(ended_at_eof, "flows still open at the end of the input")                 \
    X(client_by_syn, "client known from the SYN")                               \
    X(client_by_synack, "client inferred from a SYN-ACK")                       \
    X(client_by_port, "client inferred mid-stream: lower port is the server")   \
    X(client_by_first_packet, "client inferred mid-stream: first sender")       \
    X(active_peak, "most flows in the table at once")                           \
    X(bypassed, "flows bypassed once their consumer was done")                  \
    X(packets_bypassed, "packets of bypassed or closed flows, counted only")    \
    X(bytes_bypassed, "payload bytes of bypassed or closed flows, counted only")

#define MW_REASM_COUNTERS(X)                                                     \
    X(segments, "TCP segments with payload")                                    \
    X(bytes_delivered, "stream bytes delivered in order")                       \
    X(out_of_order, "segments that arrived ahead of a hole")                    \
    X(retransmissions, "segments entirely already seen")                        \
    X(overlaps_consistent, "overlapping segments with identical bytes")         \
    X(overlaps_inconsistent, "overlapping segments whose bytes differ")         \
    X(alt_versions, "directions that got a second version (both judged)")     \
    X(alt_refused, "second versions not kept: memory cap reached")             \
    X(gaps, "gaps skipped (data never seen)")                                   \
    X(gap_bytes, "bytes in skipped gaps")                                       \
    X(bytes_beyond_cap, "bytes past the per-direction buffer cap, not kept")    \
    X(memcap_hits, "times the global reassembly memory cap refused a buffer")   \
    X(bytes_dropped_memcap, "bytes not kept because of the global memory cap")  \
    X(segments_before_start, "segments before the stream's first byte")        \
    X(segments_out_of_window, "segments too far ahead to be plausible")         \
    X(holes_overflow, "out-of-order segments dropped: too many holes")          \
    X(buffer_peak_bytes, "most reassembly memory in use at once")              \
    X(isn_conflicts, "SYNs/SYN-ACKs with another ISN than the first, kept as candidates") \
    X(isn_switched, "directions whose ISN the peer's ACK or the first data moved to a later candidate")

#define MW_SESSION_COUNTERS(X)                                                   \
    X(tls, "TLS sessions (TCP)")                                                \
    X(starttls, "of which the handshake began after cleartext (STARTTLS etc.)") \
    X(dtls, "DTLS sessions (UDP)")                                              \
    X(quic, "QUIC sessions (UDP)")                                              \
    X(complete, "sessions whose server chain was seen")                         \
    X(opaque, "sessions whose chain is encrypted (TLS 1.3, QUIC) or resumed")   \
    X(incomplete, "sessions whose handshake was not seen whole")                \
    X(malformed, "sessions whose handshake bytes were malformed")              \
    X(certificates, "certificates in the chains reported")                     \
    X(certs_unparsable, "certificates OpenSSL could not parse (hash only)")    \
    X(certs_dropped, "certificates over the chain caps, not reported")         \
    X(hs_over_cap, "sessions with a handshake message over the 1 MiB cap, skipped") \
    X(hs_bytes_over_cap, "bytes of handshake messages skipped over the cap")     \
    X(not_tls, "TCP flows without a TLS handshake in their first bytes")       \
    X(prefiltered, "of not_tls: given up at their first payload bytes (fast path)") \
    X(ndpi_flows, "flows classified by nDPI")                                  \
    X(ndpi_packet_cap, "flows whose nDPI classification hit the packet cap")   \
    X(ndpi_udp_skipped, "of ndpi_flows: UDP flows whose first datagram cannot start DTLS or QUIC: nDPI stopped at once") \
    X(ndpi_stopped, "of ndpi_flows: UDP flows whose nDPI stopped after 32 datagrams without DTLS or QUIC") \
    X(events, "JSON event records written")                                    \
    X(verdict_intercepted, "verdicts: intercepted")                            \
    X(verdict_suspicious, "verdicts: suspicious")                              \
    X(verdict_untrusted, "verdicts: untrusted (no sign of interception)")      \
    X(verdict_clean, "verdicts: clean (chain validates, no evidence)")         \
    X(trusted_removed_root, "chains trusted via a root since removed")         \
    X(trust_cache_hits, "chain validations reused from the trust cache")      \
    X(trust_cache_misses, "chains validated (not in the trust cache)")          \
    X(trust_cache_time_misses, "of misses: chain cached, but for another validity interval") \
    X(trust_cache_uncacheable, "of misses: not cached (no time, unreadable dates)") \
    X(trust_cache_evictions, "trust cache entries replaced by another chain")  \
    X(verdict_opaque, "verdicts: opaque (no chain to judge)")                  \
    X(verdict_incomplete, "verdicts: incomplete (handshake not seen)")         \
    X(reason_rogue_anchor, "evidence: ROGUE_ANCHOR")                           \
    X(reason_rogue_name, "evidence: ROGUE_NAME")                               \
    X(reason_pin_mismatch, "evidence: PIN_MISMATCH")                           \
    X(reason_cloned_cert, "evidence: CLONED_CERT")                             \
    X(reason_untrusted_chain, "evidence: UNTRUSTED_CHAIN")                     \
    X(reason_forgery_traits, "evidence: FORGERY_TRAITS")                       \
    X(reason_name_mismatch, "evidence: NAME_MISMATCH")                         \
    X(reason_chain_changed, "evidence: CHAIN_CHANGED")                         \
    X(reason_version_downgrade, "evidence: VERSION_DOWNGRADE")                 \
    X(reason_ttl_anomaly, "evidence: TTL_ANOMALY")                             \
    X(reason_interceptor_fingerprint, "evidence: INTERCEPTOR_FINGERPRINT")     \
    X(reason_server_fingerprint_changed, "evidence: SERVER_FINGERPRINT_CHANGED") \
    X(reason_injection, "sessions with INJECTION: differing copies or fragments")      \
    X(two_versions, "TLS sessions whose handshake bytes came in two versions, both judged") \
    X(second_version_only, "TLS sessions found only in the second version (garbage came first)") \
    X(settle_waited, "TCP flows whose judgement waited for the peers' ACKs")                 \
    X(settle_bound, "of those, judged at the 1 s bound before the ACKs came")               \
    X(settle_unacked, "of those, judged when 256 KiB beyond the peer's ACK or the cap were held")\
    X(settle_reparsed, "second versions parsed again while waiting")                          \
    X(settle_capped, "sessions judged at the check cap (32) before the ACKs settled them")

/* What the run keeps beyond the events: the baseline store (--state), the
 * summary and report (--report), flagged packets (--write-flagged) and the
 * certificate directory (--certs). */
#define MW_OUTPUT_COUNTERS(X)                                                    \
    X(baseline_chains_known, "chains in the baseline store at start")         \
    X(baseline_chains_recorded, "chain sightings recorded in the baseline")   \
    X(baseline_full, "sightings not recorded: the baseline reached its size cap") \
    X(baseline_errors, "baseline store operations that failed")               \
    X(baseline_reconnects, "PostgreSQL baseline: connections made again after one was lost") \
    X(baseline_replayed, "PostgreSQL baseline: sightings written again after a rollback (lost connection, deadlock)") \
    X(baseline_lookups_offline, "PostgreSQL baseline: lookups not answered, the server unreachable (judged without history)") \
    X(baseline_unstored, "sightings that could not be stored (the server unreachable past the retry window, or refused them): exit status 1") \
    X(summary_set_overflow, "summary: servers or names not kept (set cap reached)") \
    X(summary_forged_overflow, "summary: forged certificates not kept (cap reached)") \
    X(summary_buckets_overflow, "summary: timeline buckets not kept (cap reached)") \
    X(merge_duplicates, "merge: summaries skipped, every input they hold already merged") \
    X(merge_unchecked, "merge: summaries without sources, merged unchecked for duplicates") \
    X(flagged_flows, "flows written to --write-flagged")                      \
    X(flagged_packets, "packets written to --write-flagged")                  \
    X(flagged_flows_unwritable, "flagged flows not written: input not readable again (stdin, live), over the cap, or not found") \
    X(flagged_packets_dropped, "packets of flagged flows not held while undecided (live mode caps)") \
    X(flagged_packets_linktype, "flagged packets of another link type than the file's, not written") \
    X(certs_written, "certificates written to --certs")                       \
    X(certs_write_failed, "certificates that could not be written to --certs")

/* G(field of mw_stats, its type, JSON key, text heading, counter list):
 * the one list of groups that summing, JSON and text all walk. */
#define MW_STATS_GROUPS(G)                                                       \
    G(capture, mw_capture_stats, "capture", "capture", MW_CAPTURE_COUNTERS)     \
    G(link, mw_link_stats, "link", "link types", MW_LINK_COUNTERS)              \
    G(decode, mw_decode_stats, "decode", "decoding", MW_DECODE_COUNTERS)        \
    G(frag, mw_frag_stats, "ip_fragments", "IP fragments", MW_FRAG_COUNTERS)    \
    G(checksum, mw_checksum_stats, "checksums", "checksums", MW_CHECKSUM_COUNTERS) \
    G(flow, mw_flow_stats, "flows", "flows", MW_FLOW_COUNTERS)                  \
    G(reasm, mw_reasm_stats, "tcp_reassembly", "TCP reassembly", MW_REASM_COUNTERS) \
    G(session, mw_session_stats, "sessions", "sessions", MW_SESSION_COUNTERS)  \
    G(output, mw_output_stats, "output", "baseline and report", MW_OUTPUT_COUNTERS)

#define MW_DECLARE_COUNTER(name, desc) uint64_t name;

typedef struct { MW_CAPTURE_COUNTERS(MW_DECLARE_COUNTER) } mw_capture_stats;
typedef struct { MW_LINK_COUNTERS(MW_DECLARE_COUNTER) } mw_link_stats;
typedef struct { MW_DECODE_COUNTERS(MW_DECLARE_COUNTER) } mw_decode_stats;
typedef struct { MW_FRAG_COUNTERS(MW_DECLARE_COUNTER) } mw_frag_stats;
typedef struct { MW_CHECKSUM_COUNTERS(MW_DECLARE_COUNTER) } mw_checksum_stats;
typedef struct { MW_FLOW_COUNTERS(MW_DECLARE_COUNTER) } mw_flow_stats;
typedef struct { MW_REASM_COUNTERS(MW_DECLARE_COUNTER) } mw_reasm_stats;
typedef struct { MW_SESSION_COUNTERS(MW_DECLARE_COUNTER) } mw_session_stats;
typedef struct { MW_OUTPUT_COUNTERS(MW_DECLARE_COUNTER) } mw_output_stats;

#define MW_STATS_FIELD(field, type, key, heading, list) type field;
typedef struct mw_stats {
    MW_STATS_GROUPS(MW_STATS_FIELD)
} mw_stats;

/* dst += src, except peak counters which take the maximum. */
void mw_stats_add(mw_stats *dst, const mw_stats *src);

/* Adds the counters as members of the JSON object being built in j:
 * "capture":{...},"link":{...},... (the caller opens and closes it). */
void mw_stats_write_json_members(const mw_stats *st, mw_json *j);

/* Adds counters read back from JSON, as mw_stats_add does (peaks take the
 * maximum). obj is shaped like what mw_stats_write_json_members writes:
 * groups by their JSON key, counters by name. Groups and counters this
 * version does not know are ignored (a newer version may add some); absent
 * ones count as zero. A known group that is not an object, or a counter
 * that is not a non-negative integer, is an error ("group.counter: ...")
 * and leaves dst unchanged. */
bool mw_stats_add_json(mw_stats *dst, const mw_jv *obj, char *err, size_t errlen);

/* Human-readable report: one aligned line per non-zero counter, grouped. */
void mw_stats_write_text(const mw_stats *st, FILE *out);

#endif /* MW_STATS_H */

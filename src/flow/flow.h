/*
 * flow.h - the bidirectional flow table.
 *
 * Flows are keyed by the canonical 5-tuple, so both directions find the same
 * flow. The client is the SYN sender when the handshake was captured;
 * otherwise it is inferred and the flow says how (client_basis).
 *
 * Memory is bounded: all flows come from one pool sized at creation
 * (max_flows); when it is exhausted the least recently used flow is evicted.
 * Idle flows expire after a timeout that depends on their state, driven by
 * packet timestamps (capture time), so a file is analyzed the same however
 * fast it is read. Flows sit on one LRU list per state, so expiry looks at
 * list tails only. Removing a flow calls the table's end callback first.
 *
 * Lookups, inserts and removals allocate nothing.
 */
#ifndef MW_FLOW_H
#define MW_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/decode.h"
#include "flow/reasm.h"
#include "common/stats.h"

typedef enum mw_flow_state {
    MW_FLOW_UDP,         /* any UDP flow */
    MW_FLOW_SYN,         /* TCP, SYN seen, no data or SYN-ACK yet */
    MW_FLOW_ESTABLISHED, /* TCP, handshake seen or joined mid-stream */
    MW_FLOW_CLOSING,     /* TCP, FIN seen in one direction */
    MW_FLOW_CLOSED,      /* TCP, FIN both ways or RST: kept briefly to absorb
                            the last ACKs and retransmissions */
    MW_FLOW_STATE_COUNT
} mw_flow_state;

typedef enum mw_client_basis {
    MW_CLIENT_SYN,          /* it sent the SYN */
    MW_CLIENT_SYNACK,       /* it received a SYN-ACK (the SYN was missed) */
    MW_CLIENT_PORT,         /* mid-stream: the server has the well-known port */
    MW_CLIENT_FIRST_PACKET, /* mid-stream, no port hint: first sender */
} mw_client_basis;

typedef enum mw_flow_end {
    MW_FLOW_END_FIN,     /* FIN in both directions */
    MW_FLOW_END_RST,     /* reset */
    MW_FLOW_END_TIMEOUT, /* idle longer than its state's timeout */
    MW_FLOW_END_EVICTED, /* table full, least recently used */
    MW_FLOW_END_EOF,     /* end of the input */
} mw_flow_end;

/* Direction of a packet within its flow. */
#define MW_DIR_TO_SERVER 0
#define MW_DIR_TO_CLIENT 1

typedef struct mw_flow_key {
    mw_addr lo_addr, hi_addr; /* canonical order: (lo_addr, lo_port) < (hi...) */
    uint16_t lo_port, hi_port;
    uint8_t proto;
} mw_flow_key;

typedef struct mw_flow mw_flow;

struct mw_flow {
    /* Table linkage: private to flow.c. */
    mw_flow *hash_next;
    mw_flow *lru_prev, *lru_next;
    uint32_t hash;

    mw_flow_key key;
    uint64_t id; /* 1, 2, ... in creation order within the table */

    mw_addr client_ip, server_ip;
    uint16_t client_port, server_port;
    uint8_t proto; /* 6 or 17 */
    mw_client_basis client_basis;
    mw_flow_state state;
    mw_flow_end end_reason; /* valid once ended */

    uint64_t first_ts_us, last_ts_us;
    /* Record number of the latest packet found for it (set by the worker):
     * the LRU order, which --threads N uses to order ends by timeout. */
    uint64_t last_number;
    /* flow_id: the run-wide number of its first packet (the packets of
     * earlier inputs of the run, then its record number in this one), so
     * the same whatever the thread count, and, for a run over one file,
     * the first packet's frame number. Set by the worker at creation. */
    uint64_t run_number;
    const char *capture; /* the input or interface, valid until its end */
    uint64_t packets[2], bytes[2]; /* per direction, payload bytes */
    bool fin_seen[2];
    bool rst_seen;
    bool ended;    /* the end callback ran (closed flows linger) */
    bool bypassed; /* the consumer is done: packets are only counted */

    /* Checksums, per direction (--checksums auto): a direction that has
     * had a right one is verified from then on. */
    bool csum_good_seen[2];
    uint32_t csum_dropped[2];    /* bad ones dropped */
    uint32_t csum_unverified[2]; /* bad ones let through (auto) */

    /* Receive windows, for RST and FIN (pipeline.c): the largest window
     * each direction advertised, and its SYN's window scale option. */
    uint16_t max_window[2];
    uint8_t syn_wscale[2]; /* valid if syn_window_seen */
    bool syn_window_seen[2];
    bool rst_from[2];      /* an in-window RST came from this direction */
    /* Once reassembly stops following a direction (bypass, cap): the
     * sequence number after the highest byte seen, kept by pipeline.c. */
    bool seq_next_set[2];
    uint32_t seq_next[2];
    uint32_t rst_ignored;  /* RSTs outside the receive window, both ways */
    uint32_t fin_ignored;  /* FINs outside the receive window */
    uint32_t data_after_rst; /* data segments after its sender's RST */

    /* Injection (pipeline.c, hold): each direction's TTL from its first
     * packet, and the data copies dropped as injected (the other copy of
     * the same bytes had a right checksum or a TTL nearer this one). */
    uint8_t ttl_learned[2];
    uint8_t injected_ttl[2]; /* TTL of the first copy dropped */
    uint8_t kept_ttl[2];     /* TTL of the copy kept instead */
    uint32_t injected[2];
    uint32_t injected_offset[2]; /* stream offset of the first dropped */
    /* Datagrams rebuilt from fragments that overlapped with different
     * bytes (decode.h mw_frag_versions), per direction: how many, and the
     * stream offset and choice of the first. */
    uint32_t frag_differ[2];
    uint32_t frag_differ_offset[2];
    uint8_t frag_differ_kept[2]; /* mw_frag_versions */
    struct mw_held *held; /* a packet held back, owned by pipeline.c */

    void *consumer_state; /* owned by the consumer */
    uint32_t delivered[2];  /* stream bytes already shown to the consumer */
    mw_tcp_stream stream[2]; /* indexed by MW_DIR_* */
};

typedef struct mw_flow_config {
    uint32_t max_flows;
    uint64_t timeout_us[MW_FLOW_STATE_COUNT];
} mw_flow_config;

#define MW_FLOW_DEFAULT_MAX_FLOWS (256u * 1024u)
/* Idle timeouts in seconds, per state, in mw_flow_state order. */
#define MW_FLOW_DEFAULT_TIMEOUTS_S {60, 30, 600, 120, 10}

typedef struct mw_flow_table mw_flow_table;

/* Called before a flow leaves the table (any reason) unless f->ended is
 * already true, and from mw_flow_end() when the pipeline closes a flow. */
typedef void (*mw_flow_end_fn)(void *arg, mw_flow *f, mw_flow_end reason);

mw_flow_table *mw_flow_table_new(const mw_flow_config *cfg, mw_flow_stats *stats,
                                 mw_flow_end_fn on_end, void *arg);
void mw_flow_table_free(mw_flow_table *t);

void mw_flow_key_from_packet(const mw_packet *pkt, mw_flow_key *key);

/*
 * Finds the flow of a decoded TCP or UDP packet, creating it (and evicting
 * the LRU flow if the table is full) when there is none. A SYN without ACK
 * on a CLOSED flow starts a new flow (port reuse). *dir receives the
 * packet's direction, *created whether the flow is new. Updates per-
 * direction counters, timestamps, TCP state and LRU position. It never
 * calls the end callback for f itself: when f reaches CLOSED the caller
 * first handles the packet's payload, then calls mw_flow_end_now().
 * Returns NULL only for a packet that is neither TCP nor UDP.
 */
mw_flow *mw_flow_packet(mw_flow_table *t, const mw_packet *pkt, int *dir,
                        bool *created);

/* The flow of pkt and its direction, if there is one: nothing is created
 * or updated (a packet about to be dropped must not touch TCP state). */
mw_flow *mw_flow_find(mw_flow_table *t, const mw_packet *pkt, int *dir);

/* Marks f ended with `reason` (calling the end callback once) and moves it
 * to CLOSED so trailing packets find it rather than a new flow. */
void mw_flow_end_now(mw_flow_table *t, mw_flow *f, mw_flow_end reason);

/* Ends and removes every flow idle past its state's timeout at now_us. */
void mw_flow_expire(mw_flow_table *t, uint64_t now_us);

/* --threads N: the table is one worker's part of the run's. Expiry alone
 * walks each state's list from the least recently seen flow and stops at
 * the first not idle; over several tables that stop must be the same for
 * all, so: *first_kept[st] is the last_number of the first flow of state
 * st that mw_flow_expire would keep (UINT64_MAX: none), and
 * mw_flow_expire_before ends idle flows of state st only while their
 * last_number is below before[st] (the smallest first_kept of all). */
void mw_flow_expire_horizon(const mw_flow_table *t, uint64_t now_us,
                            uint64_t first_kept[MW_FLOW_STATE_COUNT]);
void mw_flow_expire_before(mw_flow_table *t, uint64_t now_us,
                           const uint64_t before[MW_FLOW_STATE_COUNT]);

/* Ends every flow with `reason` and empties the table. */
void mw_flow_flush(mw_flow_table *t, mw_flow_end reason);

size_t mw_flow_count(const mw_flow_table *t);

const char *mw_flow_end_name(mw_flow_end reason);
/* Describes the copies dropped as injected (mw_flow.injected) and the
 * datagrams with differing fragment overlaps (frag_differ) into buf;
 * false, buf untouched, when there were none. */
bool mw_flow_injection_text(const mw_flow *f, char *buf, size_t n);
const char *mw_client_basis_name(mw_client_basis basis);

#endif /* MW_FLOW_H */

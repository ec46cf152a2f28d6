/*
 * flow.c - the bidirectional flow table.
 *
 * One calloc'd pool of max_flows structs, handed out front to back and then
 * recycled through a free list, so a large table costs only the memory of
 * the flows actually used (calloc memory is backed lazily). A power-of-two
 * bucket array chains flows through hash_next. Each state has its own LRU
 * list, most recently used at the head, so expiry and eviction only look at
 * tails. Nothing here allocates after mw_flow_table_new().
 *
 * Choices the header leaves open:
 *  - bytes[] counts pkt->payload_wire_len (what the headers claim), so a
 *    snaplen-cut capture still reports the traffic's real volume.
 *  - A flow first seen on a SYN-ACK starts ESTABLISHED: the handshake is
 *    half done and the SYN state's short timeout is for unanswered SYNs.
 *  - In SYN state any ACK or payload moves the flow to ESTABLISHED (a lost
 *    SYN-ACK must not leave a live connection on the 30 s SYN timeout).
 *  - first_ts_us/last_ts_us are the min/max timestamps seen: disordered
 *    captures move neither backwards. Expiry walks each list from its tail
 *    and stops at the first live flow, so after such disorder a flow may
 *    expire a little late, never early.
 *  - evicted/timed_out/ended_at_eof count only flows whose end callback runs
 *    for that reason: a closed flow already ended and lingering for trailing
 *    ACKs loses nothing when it goes. closed_fin/closed_rst count the state
 *    change to CLOSED, once per flow.
 *  - The bucket hash is SipHash-1-3 with a key drawn per table at start
 *    (common/siphash.h): 5-tuples are attacker-chosen, and a known hash
 *    would let a crafted capture stretch one chain. Nothing observable
 *    depends on bucket order (expiry, eviction and the end of the run
 *    walk the LRU lists), so outputs are the same whatever the key.
 */
#include "flow/flow.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/siphash.h"


struct mw_flow_table {
    mw_flow_config cfg;
    mw_flow_stats *stats;
    mw_flow_stats own_stats; /* when the caller passes none */
    mw_flow_end_fn on_end;
    void *arg;

    mw_flow *pool;      /* cfg.max_flows structs */
    uint32_t pool_used; /* pool[pool_used..] never handed out yet */
    mw_flow *free_list; /* recycled structs, linked by hash_next */

    mw_flow **buckets;
    size_t bucket_mask;
    mw_hashkey hkey;    /* secret, per run */

    size_t count;
    uint64_t last_id;
    mw_flow *lru_head[MW_FLOW_STATE_COUNT];
    mw_flow *lru_tail[MW_FLOW_STATE_COUNT];
};

/* Ports where servers listen, TLS ones above all. Listed outranks a plain
 * port below 1024, which outranks an ephemeral one (see server_rank()). */
static const uint16_t mw_tcp_service_ports[] = {
    21, 25, 110, 143, 194, 389, 443, 465, 587, 636, 853, 989, 990, 993, 995,
    3306, 3389, 4433, 5061, 5222, 5432, 6697, 8080, 8443,
};

static const uint16_t mw_udp_service_ports[] = {
    443, 853, 3389, 3478, 4433, 4500, 5061, 5349, 5684, 8443,
};

static bool port_listed(uint8_t proto, uint16_t port)
{
    const uint16_t *list = proto == 17 ? mw_udp_service_ports : mw_tcp_service_ports;
    size_t n = proto == 17
                   ? sizeof(mw_udp_service_ports) / sizeof(mw_udp_service_ports[0])
                   : sizeof(mw_tcp_service_ports) / sizeof(mw_tcp_service_ports[0]);

    for (size_t i = 0; i < n; i++)
        if (list[i] == port)
            return true;
    return false;
}

/* 2: a listed service port, 1: another port below 1024, 0: ephemeral. */
static int server_rank(uint8_t proto, uint16_t port)
{
    if (port_listed(proto, port))
        return 2;
    return port < 1024 ? 1 : 0;
}

/* Copies an address with the bytes its family does not use zeroed, so keys
 * built from sloppy input still compare and hash equal. */
static void addr_norm(mw_addr *dst, const mw_addr *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->family = src->family;
    memcpy(dst->bytes, src->bytes, src->family == 4 ? 4 : sizeof(dst->bytes));
}

/* 8 address bytes as one number that orders as memcmp orders them. */
static uint64_t be64_at(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/* Every packet asks these: two word compares rather than a memcmp call. */
static bool addr16_eq(const uint8_t *a, const uint8_t *b)
{
    uint64_t a0, a1, b0, b1;
    memcpy(&a0, a, 8);
    memcpy(&a1, a + 8, 8);
    memcpy(&b0, b, 8);
    memcpy(&b1, b + 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

/* Order of (address, port) endpoints; both addresses normalized. The
 * order is memcmp's on the address bytes (the canonical key depends on
 * it). */
static int endpoint_cmp(const mw_addr *a, uint16_t aport, const mw_addr *b,
                        uint16_t bport)
{
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    for (int half = 0; half < 16; half += 8) {
        uint64_t x = be64_at(a->bytes + half), y = be64_at(b->bytes + half);
        if (x != y)
            return x < y ? -1 : 1;
    }
    if (aport != bport)
        return aport < bport ? -1 : 1;
    return 0;
}

void mw_flow_key_from_packet(const mw_packet *pkt, mw_flow_key *key)
{
    mw_addr src, dst;

    addr_norm(&src, &pkt->src);
    addr_norm(&dst, &pkt->dst);
    /* Padding zeroed so callers may compare keys as bytes. */
    memset(key, 0, sizeof(*key));
    key->proto = pkt->l4_proto;
    if (endpoint_cmp(&src, pkt->sport, &dst, pkt->dport) <= 0) {
        memcpy(&key->lo_addr, &src, sizeof(src));
        memcpy(&key->hi_addr, &dst, sizeof(dst));
        key->lo_port = pkt->sport;
        key->hi_port = pkt->dport;
    } else {
        memcpy(&key->lo_addr, &dst, sizeof(dst));
        memcpy(&key->hi_addr, &src, sizeof(src));
        key->lo_port = pkt->dport;
        key->hi_port = pkt->sport;
    }
}

/* Symmetric because the key is canonical. The fields are serialized so
 * struct padding never reaches the hash; both addresses of a key are of
 * one family, and an IPv4 address hashes its 4 bytes, not 16 (half the
 * SipHash blocks, on every packet). */
static uint32_t key_hash(const mw_flow_table *t, const mw_flow_key *key)
{
    uint8_t raw[1 + 2 * sizeof(key->lo_addr.bytes) + 5];
    size_t alen = key->lo_addr.family == 4 ? 4 : sizeof(key->lo_addr.bytes);
    size_t n = 0;

    raw[n++] = key->lo_addr.family;
    memcpy(raw + n, key->lo_addr.bytes, alen);
    n += alen;
    memcpy(raw + n, key->hi_addr.bytes, alen);
    n += alen;
    raw[n++] = (uint8_t)(key->lo_port >> 8);
    raw[n++] = (uint8_t)key->lo_port;
    raw[n++] = (uint8_t)(key->hi_port >> 8);
    raw[n++] = (uint8_t)key->hi_port;
    raw[n++] = key->proto;
    return (uint32_t)(mw_siphash13(&t->hkey, raw, n) >> 32);
}

static bool key_eq(const mw_flow_key *a, const mw_flow_key *b)
{
    return a->lo_port == b->lo_port && a->hi_port == b->hi_port &&
           a->proto == b->proto && a->lo_addr.family == b->lo_addr.family &&
           a->hi_addr.family == b->hi_addr.family &&
           addr16_eq(a->lo_addr.bytes, b->lo_addr.bytes) &&
           addr16_eq(a->hi_addr.bytes, b->hi_addr.bytes);
}

/* --- LRU lists, one per state ------------------------------------------ */

static void lru_unlink(mw_flow_table *t, mw_flow *f)
{
    mw_flow_state st = f->state;

    if (f->lru_prev)
        f->lru_prev->lru_next = f->lru_next;
    else
        t->lru_head[st] = f->lru_next;
    if (f->lru_next)
        f->lru_next->lru_prev = f->lru_prev;
    else
        t->lru_tail[st] = f->lru_prev;
    f->lru_prev = f->lru_next = NULL;
}

static void lru_push_head(mw_flow_table *t, mw_flow *f)
{
    mw_flow_state st = f->state;

    f->lru_prev = NULL;
    f->lru_next = t->lru_head[st];
    if (t->lru_head[st])
        t->lru_head[st]->lru_prev = f;
    else
        t->lru_tail[st] = f;
    t->lru_head[st] = f;
}

/* Touches f and files it under `st`. */
static void lru_move(mw_flow_table *t, mw_flow *f, mw_flow_state st)
{
    lru_unlink(t, f);
    f->state = st;
    lru_push_head(t, f);
}

/* --- table ------------------------------------------------------------- */

mw_flow_table *mw_flow_table_new(const mw_flow_config *cfg, mw_flow_stats *stats,
                                 mw_flow_end_fn on_end, void *arg)
{
    if (cfg == NULL || cfg->max_flows == 0 || cfg->max_flows > (1u << 31))
        return NULL;

    mw_flow_table *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->cfg = *cfg;
    t->stats = stats ? stats : &t->own_stats;
    t->on_end = on_end;
    t->arg = arg;
    {
        const char *why; /* said once by main (mw_hashkey_init there too) */
        (void)mw_hashkey_init(&t->hkey, &why);
    }

    size_t nbuckets = 1;
    while (nbuckets < cfg->max_flows)
        nbuckets <<= 1;
    t->bucket_mask = nbuckets - 1;
    t->buckets = calloc(nbuckets, sizeof(mw_flow *));
    t->pool = calloc(cfg->max_flows, sizeof(*t->pool));
    if (t->buckets == NULL || t->pool == NULL) {
        mw_flow_table_free(t);
        return NULL;
    }
    return t;
}

/* Frees memory only: the caller ends the flows first (mw_flow_flush). */
void mw_flow_table_free(mw_flow_table *t)
{
    if (t == NULL)
        return;
    free(t->pool);
    free(t->buckets);
    free(t);
}

size_t mw_flow_count(const mw_flow_table *t)
{
    return t->count;
}

static void count_end(mw_flow_table *t, mw_flow_end reason)
{
    /* FIN and RST are counted when the flow reaches CLOSED. */
    switch (reason) {
    case MW_FLOW_END_TIMEOUT:
        t->stats->timed_out++;
        break;
    case MW_FLOW_END_EVICTED:
        t->stats->evicted++;
        break;
    case MW_FLOW_END_EOF:
        t->stats->ended_at_eof++;
        break;
    case MW_FLOW_END_FIN:
    case MW_FLOW_END_RST:
        break;
    }
}

/* Runs the end callback once per flow. `ended` is set first so a callback
 * that calls back into the table finds the flow already ended. */
static void flow_end(mw_flow_table *t, mw_flow *f, mw_flow_end reason)
{
    if (f->ended)
        return;
    /* A closed connection lingers only to absorb its last ACKs: however it
     * leaves the table, it ended by its FIN or RST (counted already). */
    if (f->state == MW_FLOW_CLOSED && reason != MW_FLOW_END_FIN &&
        reason != MW_FLOW_END_RST)
        reason = f->rst_seen ? MW_FLOW_END_RST : MW_FLOW_END_FIN;
    f->ended = true;
    f->end_reason = reason;
    count_end(t, reason);
    if (t->on_end)
        t->on_end(t->arg, f, reason);
}

static mw_flow *flow_lookup(const mw_flow_table *t, const mw_flow_key *key,
                            uint32_t hash)
{
    mw_flow *f = t->buckets[hash & t->bucket_mask];

    for (; f != NULL; f = f->hash_next)
        if (f->hash == hash && key_eq(&f->key, key))
            return f;
    return NULL;
}

static void flow_remove(mw_flow_table *t, mw_flow *f)
{
    mw_flow **pp = &t->buckets[f->hash & t->bucket_mask];

    while (*pp != NULL && *pp != f)
        pp = &(*pp)->hash_next;
    if (*pp == f)
        *pp = f->hash_next;
    lru_unlink(t, f);
    t->count--;

    /* All-zero is the initial state of the next user, streams included. */
    memset(f, 0, sizeof(*f));
    f->hash_next = t->free_list;
    t->free_list = f;
}

/* The least recently used flow: the oldest of the state lists' tails. */
static mw_flow *lru_victim(const mw_flow_table *t)
{
    mw_flow *victim = NULL;

    for (int st = 0; st < MW_FLOW_STATE_COUNT; st++) {
        mw_flow *f = t->lru_tail[st];
        if (f != NULL && (victim == NULL || f->last_ts_us < victim->last_ts_us))
            victim = f;
    }
    return victim;
}

static mw_flow *flow_alloc(mw_flow_table *t)
{
    mw_flow *f;

    if (t->free_list == NULL && t->pool_used < t->cfg.max_flows)
        return &t->pool[t->pool_used++];
    if (t->free_list == NULL) {
        f = lru_victim(t);
        if (f == NULL) /* unreachable: a full pool has flows on the lists */
            return NULL;
        flow_end(t, f, MW_FLOW_END_EVICTED);
        flow_remove(t, f);
    }
    f = t->free_list;
    t->free_list = f->hash_next;
    f->hash_next = NULL;
    return f;
}

/* Decides who the client is for a flow starting with pkt. */
static void flow_set_client(mw_flow_table *t, mw_flow *f, const mw_packet *pkt)
{
    bool src_is_client;
    uint8_t syn_ack = pkt->tcp_flags & (MW_TCP_SYN | MW_TCP_ACK);

    f->state = pkt->l4_proto == 17 ? MW_FLOW_UDP : MW_FLOW_ESTABLISHED;
    if (pkt->l4_proto == 6 && syn_ack == MW_TCP_SYN) {
        src_is_client = true;
        f->client_basis = MW_CLIENT_SYN;
        f->state = MW_FLOW_SYN;
        t->stats->client_by_syn++;
    } else if (pkt->l4_proto == 6 && syn_ack == (MW_TCP_SYN | MW_TCP_ACK)) {
        src_is_client = false;
        f->client_basis = MW_CLIENT_SYNACK;
        t->stats->client_by_synack++;
    } else {
        int rs = server_rank(pkt->l4_proto, pkt->sport);
        int rd = server_rank(pkt->l4_proto, pkt->dport);

        /* A listed port outranks a plain low port, which outranks an
         * ephemeral one; between two listed ports the lower is the
         * server (25 vs 587, 443 vs 8443). Otherwise no hint. */
        if (rs == 2 && rd == 2 && pkt->sport != pkt->dport) {
            if (pkt->sport < pkt->dport)
                rs = 3;
            else
                rd = 3;
        }
        if (rs != rd) {
            src_is_client = rd > rs;
            f->client_basis = MW_CLIENT_PORT;
            t->stats->client_by_port++;
        } else {
            src_is_client = true;
            f->client_basis = MW_CLIENT_FIRST_PACKET;
            t->stats->client_by_first_packet++;
        }
    }

    if (src_is_client) {
        addr_norm(&f->client_ip, &pkt->src);
        addr_norm(&f->server_ip, &pkt->dst);
        f->client_port = pkt->sport;
        f->server_port = pkt->dport;
    } else {
        addr_norm(&f->client_ip, &pkt->dst);
        addr_norm(&f->server_ip, &pkt->src);
        f->client_port = pkt->dport;
        f->server_port = pkt->sport;
    }
}

static mw_flow *flow_create(mw_flow_table *t, const mw_flow_key *key,
                            uint32_t hash, const mw_packet *pkt)
{
    mw_flow *f = flow_alloc(t);
    if (f == NULL)
        return NULL;

    memcpy(&f->key, key, sizeof(*key));
    f->hash = hash;
    f->id = ++t->last_id;
    f->proto = pkt->l4_proto;
    f->first_ts_us = f->last_ts_us = pkt->ts_us;
    flow_set_client(t, f, pkt);

    mw_flow **bucket = &t->buckets[hash & t->bucket_mask];
    f->hash_next = *bucket;
    *bucket = f;
    lru_push_head(t, f);

    t->count++;
    if (t->count > t->stats->active_peak)
        t->stats->active_peak = t->count;
    t->stats->created++;
    if (f->proto == 6)
        t->stats->created_tcp++;
    else
        t->stats->created_udp++;
    return f;
}

/* TCP state after a packet in direction dir; counts closes. */
static mw_flow_state tcp_next_state(mw_flow_table *t, mw_flow *f, int dir,
                                    const mw_packet *pkt)
{
    mw_flow_state st = f->state;
    uint8_t flags = pkt->tcp_flags;

    if (st == MW_FLOW_SYN && ((flags & MW_TCP_ACK) || pkt->payload_wire_len > 0))
        st = MW_FLOW_ESTABLISHED;
    if (flags & MW_TCP_FIN) {
        f->fin_seen[dir] = true;
        if (st != MW_FLOW_CLOSED) {
            if (f->fin_seen[!dir]) {
                st = MW_FLOW_CLOSED;
                t->stats->closed_fin++;
            } else {
                st = MW_FLOW_CLOSING;
            }
        }
    }
    if (flags & MW_TCP_RST) {
        f->rst_seen = true;
        if (st != MW_FLOW_CLOSED) {
            st = MW_FLOW_CLOSED;
            t->stats->closed_rst++;
        }
    }
    return st;
}

mw_flow *mw_flow_packet(mw_flow_table *t, const mw_packet *pkt, int *dir,
                        bool *created)
{
    mw_flow_key key;
    bool is_new = false;

    if (pkt->l4_proto != 6 && pkt->l4_proto != 17)
        return NULL;

    mw_flow_key_from_packet(pkt, &key);
    uint32_t hash = key_hash(t, &key);
    mw_flow *f = flow_lookup(t, &key, hash);

    /* Port reuse: a fresh SYN on a finished connection is a new one. */
    if (f != NULL && pkt->l4_proto == 6 && f->state == MW_FLOW_CLOSED &&
        (pkt->tcp_flags & (MW_TCP_SYN | MW_TCP_ACK)) == MW_TCP_SYN) {
        flow_end(t, f, f->rst_seen ? MW_FLOW_END_RST : MW_FLOW_END_FIN);
        flow_remove(t, f);
        f = NULL;
    }
    if (f == NULL) {
        f = flow_create(t, &key, hash, pkt);
        if (f == NULL)
            return NULL;
        is_new = true;
    }

    mw_addr src;
    addr_norm(&src, &pkt->src);
    int d = endpoint_cmp(&src, pkt->sport, &f->client_ip, f->client_port) == 0
                ? MW_DIR_TO_SERVER
                : MW_DIR_TO_CLIENT;

    f->packets[d]++;
    f->bytes[d] += pkt->payload_wire_len;
    if (pkt->ts_us > f->last_ts_us)
        f->last_ts_us = pkt->ts_us;
    if (pkt->ts_us < f->first_ts_us)
        f->first_ts_us = pkt->ts_us;

    mw_flow_state st = f->state;
    if (f->proto == 6)
        st = tcp_next_state(t, f, d, pkt);
    lru_move(t, f, st);

    if (dir)
        *dir = d;
    if (created)
        *created = is_new;
    return f;
}

mw_flow *mw_flow_find(mw_flow_table *t, const mw_packet *pkt, int *dir)
{
    mw_flow_key key;

    if (pkt->l4_proto != 6 && pkt->l4_proto != 17)
        return NULL;
    mw_flow_key_from_packet(pkt, &key);
    mw_flow *f = flow_lookup(t, &key, key_hash(t, &key));
    if (f != NULL) {
        mw_addr src;
        addr_norm(&src, &pkt->src);
        *dir = endpoint_cmp(&src, pkt->sport, &f->client_ip, f->client_port) == 0
                   ? MW_DIR_TO_SERVER
                   : MW_DIR_TO_CLIENT;
    }
    return f;
}

void mw_flow_end_now(mw_flow_table *t, mw_flow *f, mw_flow_end reason)
{
    if (f->ended)
        return;
    flow_end(t, f, reason);
    lru_move(t, f, MW_FLOW_CLOSED);
}

static bool idle_past(uint64_t last_us, uint64_t now_us, uint64_t timeout_us)
{
    /* No addition: a timeout of UINT64_MAX means "never" without overflow. */
    return now_us >= last_us && now_us - last_us >= timeout_us;
}

void mw_flow_expire(mw_flow_table *t, uint64_t now_us)
{
    for (int st = 0; st < MW_FLOW_STATE_COUNT; st++) {
        mw_flow *f;
        while ((f = t->lru_tail[st]) != NULL &&
               idle_past(f->last_ts_us, now_us, t->cfg.timeout_us[st])) {
            flow_end(t, f, MW_FLOW_END_TIMEOUT);
            flow_remove(t, f);
        }
    }
}

void mw_flow_expire_horizon(const mw_flow_table *t, uint64_t now_us,
                            uint64_t first_kept[MW_FLOW_STATE_COUNT])
{
    for (int st = 0; st < MW_FLOW_STATE_COUNT; st++) {
        const mw_flow *f = t->lru_tail[st];
        while (f != NULL && idle_past(f->last_ts_us, now_us, t->cfg.timeout_us[st]))
            f = f->lru_prev;
        first_kept[st] = f ? f->last_number : UINT64_MAX;
    }
}

void mw_flow_expire_before(mw_flow_table *t, uint64_t now_us,
                           const uint64_t before[MW_FLOW_STATE_COUNT])
{
    for (int st = 0; st < MW_FLOW_STATE_COUNT; st++) {
        mw_flow *f;
        while ((f = t->lru_tail[st]) != NULL && f->last_number < before[st] &&
               idle_past(f->last_ts_us, now_us, t->cfg.timeout_us[st])) {
            flow_end(t, f, MW_FLOW_END_TIMEOUT);
            flow_remove(t, f);
        }
    }
}

void mw_flow_flush(mw_flow_table *t, mw_flow_end reason)
{
    for (int st = 0; st < MW_FLOW_STATE_COUNT; st++) {
        mw_flow *f;
        while ((f = t->lru_tail[st]) != NULL) {
            flow_end(t, f, reason);
            flow_remove(t, f);
        }
    }
}

const char *mw_flow_end_name(mw_flow_end reason)
{
    switch (reason) {
    case MW_FLOW_END_FIN:
        return "fin";
    case MW_FLOW_END_RST:
        return "rst";
    case MW_FLOW_END_TIMEOUT:
        return "timeout";
    case MW_FLOW_END_EVICTED:
        return "evicted";
    case MW_FLOW_END_EOF:
        return "eof";
    }
    return "unknown";
}

const char *mw_client_basis_name(mw_client_basis basis)
{
    switch (basis) {
    case MW_CLIENT_SYN:
        return "syn";
    case MW_CLIENT_SYNACK:
        return "synack";
    case MW_CLIENT_PORT:
        return "port";
    case MW_CLIENT_FIRST_PACKET:
        return "first_packet";
    }
    return "unknown";
}

static const char *frag_choice(uint8_t kept)
{
    switch (kept) {
    case MW_FRAG_FIRST_KEPT: return "the first copy kept (the later had a wrong checksum)";
    case MW_FRAG_LATER_KEPT: return "the later copy kept (the first had a wrong checksum)";
    default: return "undecided (checksums do not tell), the first copy kept";
    }
}

bool mw_flow_injection_text(const mw_flow *f, char *buf, size_t n)
{
    static const char *const names[2] = {"to_server", "to_client"};
    if (!f->injected[0] && !f->injected[1] && !f->frag_differ[0] && !f->frag_differ[1])
        return false;
    size_t used = 0;
    for (int d = 0; d < 2 && used < n; d++) {
        int k = 0;
        if (f->injected[d])
            k = snprintf(buf + used, n - used,
                         "%s%s: %" PRIu32 " differing cop%s dropped, first at stream offset %" PRIu32
                         " with TTL %u; the copy kept came with TTL %u (the direction's: %u)",
                         used ? "; " : "", names[d], f->injected[d],
                         f->injected[d] == 1 ? "y" : "ies", f->injected_offset[d],
                         (unsigned)f->injected_ttl[d], (unsigned)f->kept_ttl[d],
                         (unsigned)f->ttl_learned[d]);
        if (k < 0)
            break;
        used += (size_t)k;
        if (!f->frag_differ[d] || used >= n)
            continue;
        k = snprintf(buf + used, n - used,
                     "%s%s: %" PRIu32 " IP datagram%s with overlapping fragments that differ,"
                     " first at stream offset %" PRIu32 ": %s",
                     used ? "; " : "", names[d], f->frag_differ[d],
                     f->frag_differ[d] == 1 ? "" : "s", f->frag_differ_offset[d],
                     frag_choice(f->frag_differ_kept[d]));
        if (k < 0)
            break;
        used += (size_t)k;
    }
    return true;
}

/*
 * ipfrag.c - IPv4/IPv6 fragment reassembly.
 *
 * The table is a fixed array of datagram slots, found through a small
 * chained hash and kept on an LRU list ordered by last fragment arrival, so
 * expiry only looks at the oldest entries. Each slot owns a buffer that
 * grows up to max_size and is kept when the slot is recycled: memory is
 * bounded by max_datagrams * max_size and steady state allocates nothing.
 *
 * Received bytes are tracked as sorted, merged ranges; at most MW_FRAG_RANGES
 * holes-and-islands per datagram, which bounds the work per fragment.
 *
 * Policy choices:
 *  - a full table refuses new datagrams (dropped_table_full) after expiring
 *    the stale ones; evicting the oldest would let a flood of bogus
 *    fragments flush every genuine datagram in progress;
 *  - when a datagram is dropped whole (size cap, inconsistent length), every
 *    fragment it held is counted in the drop counter with the offending one;
 *  - timed_out and incomplete_at_end count datagrams, not fragments.
 */
#include "flow/ipfrag.h"

#include <stdlib.h>
#include <string.h>

#define MW_FRAG_RANGES 64
#define MW_FRAG_NONE UINT32_MAX

typedef struct mw_frag_range {
    uint32_t start, end; /* [start, end) */
} mw_frag_range;

typedef struct mw_frag_dgram {
    mw_frag_key key;
    uint8_t *buf;
    uint32_t cap;           /* bytes allocated in buf */
    /* The second version, once a fragment overlapped earlier bytes with
     * other bytes (dgram_differ): buf keeps the first copy of each byte,
     * alt the first differing later copy, and both get every new byte.
     * At most two versions, each within max_size. */
    uint8_t *alt;
    uint32_t alt_cap;
    bool differ;
    uint32_t total;         /* payload length, once the last fragment came */
    bool total_known;
    bool in_use;
    uint32_t nranges;
    uint32_t nfrags;        /* fragments stored, for the drop counters */
    uint64_t last_us;
    uint32_t hnext;         /* hash chain */
    uint32_t prev, next;    /* LRU list, or free list through next */
    mw_frag_range ranges[MW_FRAG_RANGES];
} mw_frag_dgram;

struct mw_frag_table {
    mw_frag_config cfg;
    mw_frag_stats *st;
    mw_frag_dgram *slots;
    uint32_t *buckets;
    uint32_t nbuckets;      /* power of two */
    uint32_t free_head;
    uint32_t lru_head, lru_tail; /* oldest first */
    uint32_t used;
    uint32_t pending;       /* completed slot whose buffer *out still views */
};

static uint32_t frag_hash(const mw_frag_key *k)
{
    /* FNV-1a over the fields, never over struct padding. */
    uint32_t h = 2166136261u;
    const mw_addr *a[2] = { &k->src, &k->dst };

    for (int i = 0; i < 2; i++) {
        h = (h ^ a[i]->family) * 16777619u;
        for (size_t j = 0; j < sizeof(a[i]->bytes); j++)
            h = (h ^ a[i]->bytes[j]) * 16777619u;
    }
    for (int s = 0; s < 32; s += 8)
        h = (h ^ ((k->id >> s) & 0xff)) * 16777619u;
    h = (h ^ k->proto) * 16777619u;
    return h;
}

static bool addr_eq(const mw_addr *a, const mw_addr *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}

static bool key_eq(const mw_frag_key *a, const mw_frag_key *b)
{
    return a->id == b->id && a->proto == b->proto && addr_eq(&a->src, &b->src) &&
           addr_eq(&a->dst, &b->dst);
}

mw_frag_table *mw_frag_new(const mw_frag_config *cfg, mw_frag_stats *stats)
{
    mw_frag_table *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    if (cfg) {
        t->cfg = *cfg;
    } else {
        t->cfg.max_datagrams = MW_FRAG_DEFAULT_MAX_DATAGRAMS;
        t->cfg.max_size = MW_FRAG_DEFAULT_MAX_SIZE;
        t->cfg.timeout_us = MW_FRAG_DEFAULT_TIMEOUT_US;
    }
    /* Slot indices must stay below MW_FRAG_NONE. */
    if (t->cfg.max_datagrams > (1u << 24))
        t->cfg.max_datagrams = 1u << 24;
    t->st = stats;

    t->nbuckets = 16;
    while (t->nbuckets < t->cfg.max_datagrams * 2)
        t->nbuckets <<= 1;
    t->buckets = malloc(t->nbuckets * sizeof(*t->buckets));
    if (t->cfg.max_datagrams)
        t->slots = calloc(t->cfg.max_datagrams, sizeof(*t->slots));
    if (!t->buckets || (t->cfg.max_datagrams && !t->slots)) {
        free(t->buckets);
        free(t->slots);
        free(t);
        return NULL;
    }
    for (uint32_t i = 0; i < t->nbuckets; i++)
        t->buckets[i] = MW_FRAG_NONE;
    for (uint32_t i = 0; i < t->cfg.max_datagrams; i++)
        t->slots[i].next = i + 1 < t->cfg.max_datagrams ? i + 1 : MW_FRAG_NONE;
    t->free_head = t->cfg.max_datagrams ? 0 : MW_FRAG_NONE;
    t->lru_head = t->lru_tail = MW_FRAG_NONE;
    t->pending = MW_FRAG_NONE;
    return t;
}

void mw_frag_free(mw_frag_table *t)
{
    if (!t)
        return;
    for (uint32_t i = 0; i < t->cfg.max_datagrams; i++) {
        free(t->slots[i].buf);
        free(t->slots[i].alt);
    }
    free(t->slots);
    free(t->buckets);
    free(t);
}

static void lru_unlink(mw_frag_table *t, uint32_t i)
{
    mw_frag_dgram *g = &t->slots[i];
    if (g->prev != MW_FRAG_NONE)
        t->slots[g->prev].next = g->next;
    else
        t->lru_head = g->next;
    if (g->next != MW_FRAG_NONE)
        t->slots[g->next].prev = g->prev;
    else
        t->lru_tail = g->prev;
}

static void lru_append(mw_frag_table *t, uint32_t i)
{
    mw_frag_dgram *g = &t->slots[i];
    g->prev = t->lru_tail;
    g->next = MW_FRAG_NONE;
    if (t->lru_tail != MW_FRAG_NONE)
        t->slots[t->lru_tail].next = i;
    else
        t->lru_head = i;
    t->lru_tail = i;
}

/* Returns slot i to the free list; its buffer stays for reuse. */
static void dgram_release(mw_frag_table *t, uint32_t i)
{
    mw_frag_dgram *g = &t->slots[i];
    uint32_t *pp = &t->buckets[frag_hash(&g->key) & (t->nbuckets - 1)];

    while (*pp != MW_FRAG_NONE && *pp != i)
        pp = &t->slots[*pp].hnext;
    if (*pp == i)
        *pp = g->hnext;
    lru_unlink(t, i);
    g->in_use = false;
    g->next = t->free_head;
    t->free_head = i;
    t->used--;
}

static void release_pending(mw_frag_table *t)
{
    if (t->pending != MW_FRAG_NONE) {
        dgram_release(t, t->pending);
        t->pending = MW_FRAG_NONE;
    }
}

static bool is_stale(const mw_frag_table *t, const mw_frag_dgram *g, uint64_t now_us)
{
    return now_us >= t->cfg.timeout_us && g->last_us <= now_us - t->cfg.timeout_us;
}

static void expire_stale(mw_frag_table *t, uint64_t now_us)
{
    /* The LRU list is in arrival order; captures with timestamps going
     * backwards only delay an expiry until the entries ahead expire. */
    while (t->lru_head != MW_FRAG_NONE && is_stale(t, &t->slots[t->lru_head], now_us)) {
        t->st->timed_out++;
        dgram_release(t, t->lru_head);
    }
}

static uint32_t dgram_find(const mw_frag_table *t, const mw_frag_key *key, uint32_t h)
{
    for (uint32_t i = t->buckets[h & (t->nbuckets - 1)]; i != MW_FRAG_NONE; i = t->slots[i].hnext)
        if (key_eq(&t->slots[i].key, key))
            return i;
    return MW_FRAG_NONE;
}

static uint32_t dgram_start(mw_frag_table *t, const mw_frag_key *key, uint32_t h,
                            uint64_t now_us)
{
    uint32_t i = t->free_head;
    if (i == MW_FRAG_NONE)
        return MW_FRAG_NONE;
    mw_frag_dgram *g = &t->slots[i];
    t->free_head = g->next;
    g->key = *key;
    g->total = 0;
    g->total_known = false;
    g->in_use = true;
    g->nranges = 0;
    g->nfrags = 0;
    g->differ = false;
    g->last_us = now_us;
    uint32_t *b = &t->buckets[h & (t->nbuckets - 1)];
    g->hnext = *b;
    *b = i;
    lru_append(t, i);
    t->used++;
    return i;
}

/* Grows *buf (of *bufcap bytes) to hold at least need bytes (need <=
 * max_size). */
static bool grow_to(uint8_t **buf, uint32_t *bufcap, uint32_t need, uint32_t max_size)
{
    if (need <= *bufcap)
        return true;
    uint32_t cap = *bufcap ? *bufcap : 2048;
    while (cap < need)
        cap = cap > max_size / 2 ? max_size : cap * 2;
    uint8_t *p = realloc(*buf, cap);
    if (!p)
        return false;
    *buf = p;
    *bufcap = cap;
    return true;
}

/* Room for need bytes in the slot's buffer, and in its second version if
 * it has one. */
static bool dgram_reserve(mw_frag_dgram *g, uint32_t need, uint32_t max_size)
{
    return grow_to(&g->buf, &g->cap, need, max_size) &&
           (!g->differ || grow_to(&g->alt, &g->alt_cap, need, max_size));
}

/*
 * Bytes [pos, stop) of the fragment (data starts at `start`) land on bytes
 * already received. Where they differ, the datagram gets its second
 * version (a copy of the first) unless it has one, and the differing bytes
 * go there, unless that byte already differs (a third version is not
 * kept). Returns false only when memory for the second version is lacking
 * (the caller counts it; the first version stays whole).
 */
static bool dgram_compare(mw_frag_dgram *g, uint32_t start, uint32_t pos, uint32_t stop,
                          mw_cursor data, uint32_t extent, uint32_t max_size)
{
    mw_cursor piece = data;
    const uint8_t *src;

    if (stop <= pos || !mw_cursor_skip(&piece, pos - start) ||
        !(src = mw_cursor_data(&piece)) || mw_cursor_len(&piece) < stop - pos)
        return true;
    if (memcmp(src, g->buf + pos, stop - pos) == 0)
        return true;
    if (!g->differ) {
        if (!grow_to(&g->alt, &g->alt_cap, g->cap, max_size))
            return false;
        memcpy(g->alt, g->buf, extent);
        g->differ = true;
    }
    for (uint32_t i = 0; i < stop - pos; i++)
        if (g->alt[pos + i] == g->buf[pos + i])
            g->alt[pos + i] = src[i];
    return true;
}

/*
 * Copies the bytes of [start, end) not yet received into the buffer and
 * merges the range in. Returns false, changing nothing, when the merge would
 * need more than MW_FRAG_RANGES ranges. *overlap tells whether any byte was
 * already there.
 */
static bool dgram_insert(mw_frag_dgram *g, uint32_t start, uint32_t end,
                         mw_cursor data, bool *overlap, bool *no_alt, uint32_t max_size)
{
    uint32_t n = g->nranges, first = 0;

    /* Ranges are sorted, disjoint and never adjacent (those get merged). */
    while (first < n && g->ranges[first].end < start)
        first++;
    uint32_t last = first; /* ranges [first, last) touch or overlap */
    while (last < n && g->ranges[last].start <= end)
        last++;
    if (first == last && n == MW_FRAG_RANGES)
        return false;

    /* First copy wins in buf: fill only the gaps between the touched
     * ranges; the bytes on the ranges are compared (second version). */
    *overlap = false;
    *no_alt = false;
    uint32_t pos = start;
    uint32_t extent = n ? g->ranges[n - 1].end : 0;
    for (uint32_t r = first; r <= last && pos < end; r++) {
        uint32_t stop = end, next = end;
        if (r < last) {
            const mw_frag_range *rg = &g->ranges[r];
            if (rg->start < end && rg->end > start) {
                *overlap = true;
                uint32_t lo = rg->start > start ? rg->start : start;
                uint32_t hi = rg->end < end ? rg->end : end;
                if (!dgram_compare(g, start, lo, hi, data, extent, max_size))
                    *no_alt = true;
            }
            stop = rg->start > end ? end : rg->start;
            next = rg->end;
        }
        mw_cursor piece = data;
        if (stop > pos && mw_cursor_skip(&piece, pos - start) && mw_cursor_data(&piece)) {
            mw_cursor again = piece;
            (void)mw_cursor_copy(&piece, g->buf + pos, stop - pos);
            if (g->differ)
                (void)mw_cursor_copy(&again, g->alt + pos, stop - pos);
        }
        if (next > pos)
            pos = next;
    }

    mw_frag_range merged = { start, end };
    if (first < last) {
        if (g->ranges[first].start < merged.start)
            merged.start = g->ranges[first].start;
        if (g->ranges[last - 1].end > merged.end)
            merged.end = g->ranges[last - 1].end;
    }
    /* Replace ranges [first, last) by the one merged range. */
    uint32_t removed = last - first;
    if (removed != 1) {
        memmove(&g->ranges[first + 1], &g->ranges[last],
                (n - last) * sizeof(g->ranges[0]));
        g->nranges = n + 1 - removed;
    }
    g->ranges[first] = merged;
    return true;
}

static void dgram_drop(mw_frag_table *t, uint32_t i, uint64_t *counter)
{
    *counter += (uint64_t)t->slots[i].nfrags + 1;
    dgram_release(t, i);
}

mw_frag_status mw_frag_add(mw_frag_table *t, const mw_frag_key *key,
                           uint32_t offset, bool more, mw_cursor data,
                           uint64_t now_us, mw_cursor *out)
{
    mw_frag_stats *st = t->st;
    size_t len = mw_cursor_len(&data);

    release_pending(t);
    expire_stale(t, now_us);
    st->fragments++;

    /* A non-final fragment must carry data, or it can loop forever. */
    if (more && len == 0) {
        st->dropped_bad++;
        return MW_FRAG_DROPPED;
    }

    uint32_t h = frag_hash(key);
    uint32_t i = dgram_find(t, key, h);

    if ((uint64_t)offset + len > t->cfg.max_size) {
        if (i != MW_FRAG_NONE)
            dgram_drop(t, i, &st->dropped_too_large);
        else
            st->dropped_too_large++;
        return MW_FRAG_DROPPED;
    }
    uint32_t end = offset + (uint32_t)len;

    if (i == MW_FRAG_NONE) {
        i = dgram_start(t, key, h, now_us);
        if (i == MW_FRAG_NONE) {
            st->dropped_table_full++;
            return MW_FRAG_DROPPED;
        }
    }
    mw_frag_dgram *g = &t->slots[i];

    /* Two different ends, or bytes past the end, cannot be reconciled. */
    if (g->total_known && (end > g->total || (!more && end != g->total))) {
        dgram_drop(t, i, &st->dropped_bad);
        return MW_FRAG_DROPPED;
    }
    if (!more && g->nranges && g->ranges[g->nranges - 1].end > end) {
        dgram_drop(t, i, &st->dropped_bad);
        return MW_FRAG_DROPPED;
    }

    if (!dgram_reserve(g, end, t->cfg.max_size)) {
        /* Out of memory is a size problem as far as the capture goes. */
        dgram_drop(t, i, &st->dropped_too_large);
        return MW_FRAG_DROPPED;
    }
    bool overlap = false, no_alt = false;
    if (len && !dgram_insert(g, offset, end, data, &overlap, &no_alt, t->cfg.max_size)) {
        dgram_drop(t, i, &st->dropped_bad);
        return MW_FRAG_DROPPED;
    }
    if (overlap)
        st->overlaps++;
    if (no_alt)
        st->overlap_alt_refused++;
    if (!more) {
        g->total = end;
        g->total_known = true;
    }
    g->nfrags++;
    g->last_us = now_us;
    lru_unlink(t, i);
    lru_append(t, i);

    bool whole = g->total_known &&
                 (g->total == 0 ||
                  (g->nranges == 1 && g->ranges[0].start == 0 && g->ranges[0].end == g->total));
    if (!whole)
        return MW_FRAG_HELD;

    st->reassembled++;
    if (g->differ)
        st->overlaps_differ++;
    mw_cursor_init(out, g->buf, g->total);
    /* Keep the slot, and the bytes *out views, until the next call. */
    t->pending = i;
    return MW_FRAG_COMPLETE;
}

bool mw_frag_alt(const mw_frag_table *t, mw_cursor *alt)
{
    if (t->pending == MW_FRAG_NONE || !t->slots[t->pending].differ)
        return false;
    const mw_frag_dgram *g = &t->slots[t->pending];
    mw_cursor_init(alt, g->alt, g->total);
    return true;
}

void mw_frag_expire(mw_frag_table *t, uint64_t now_us)
{
    release_pending(t);
    expire_stale(t, now_us);
}

void mw_frag_flush(mw_frag_table *t)
{
    release_pending(t);
    while (t->lru_head != MW_FRAG_NONE) {
        t->st->incomplete_at_end++;
        dgram_release(t, t->lru_head);
    }
}

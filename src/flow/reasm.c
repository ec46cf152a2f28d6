/*
 * reasm.c - TCP stream reassembly, one direction at a time (see reasm.h).
 *
 * Each direction owns one flat buffer indexed by stream offset. Bytes are
 * copied in at their offset; what lies beyond `contiguous` is tracked as a
 * short sorted list of islands. Holes are never written, so they read as
 * zeros once skipped.
 *
 * Memory: buffers come in power-of-two classes from MW_REASM_MIN_BUFFER to
 * max_stream_bytes. Released and outgrown buffers are parked on a per-class
 * free list (linked through their own first bytes) so a steady state does
 * not call malloc. Parked bytes are bounded by memcap/8 and count against
 * the memcap; when a new buffer would not fit, parked ones are freed first,
 * so the pool never causes a refusal by itself.
 */
#include "flow/reasm.h"

#include <stdlib.h>
#include <string.h>

#include "flow/decode.h" /* MW_TCP_SYN, MW_TCP_FIN */

#define MW_REASM_NCLASSES 32
#define MW_REASM_MAX_STREAM (1u << 30) /* keeps offsets far below 2^31 */
#define MW_REASM_HALF 0x80000000u

/* A parked buffer's first bytes link it into its class's free list. */
typedef struct mw_reasm_parked {
    struct mw_reasm_parked *next;
} mw_reasm_parked;

struct mw_reasm {
    mw_reasm_config cfg;
    mw_reasm_stats *st;
    mw_reasm_stats own_stats; /* used when the caller passes none */
    uint64_t in_use;          /* bytes held by streams */
    uint64_t pooled;          /* bytes parked in the free lists */
    uint64_t pool_limit;
    mw_reasm_parked *free_list[MW_REASM_NCLASSES];
};

/* ---- buffer pool ---- */

static unsigned mw_reasm_class(uint32_t size)
{
    unsigned k = 0;

    while ((MW_REASM_MIN_BUFFER << k) < size)
        k++;
    return k;
}

static void *mw_reasm_pop(mw_reasm *r, unsigned k)
{
    mw_reasm_parked *p = r->free_list[k];

    if (p != NULL)
        r->free_list[k] = p->next;
    return p;
}

/* Frees parked buffers, largest first, until `need` more bytes fit. */
static void mw_reasm_trim_pool(mw_reasm *r, uint64_t need)
{
    unsigned k = MW_REASM_NCLASSES;

    while (k > 0 && r->pooled > 0 && r->in_use + r->pooled + need > r->cfg.memcap) {
        void *p = mw_reasm_pop(r, k - 1);

        if (p == NULL) {
            k--;
            continue;
        }
        free(p);
        r->pooled -= (uint64_t)MW_REASM_MIN_BUFFER << (k - 1);
    }
}

/* A zeroed buffer of `size` bytes (a power-of-two class), or NULL when the
 * memcap (or malloc) refuses. */
static uint8_t *mw_reasm_get(mw_reasm *r, uint32_t size)
{
    unsigned k = mw_reasm_class(size);
    uint8_t *p = mw_reasm_pop(r, k);

    if (p != NULL) {
        r->pooled -= size;
    } else {
        mw_reasm_trim_pool(r, size);
        if (r->in_use + r->pooled + size > r->cfg.memcap)
            return NULL;
        p = malloc(size);
        if (p == NULL)
            return NULL;
    }
    memset(p, 0, size);
    r->in_use += size;
    if (r->in_use + r->pooled > r->st->buffer_peak_bytes)
        r->st->buffer_peak_bytes = r->in_use + r->pooled;
    return p;
}

static void mw_reasm_put(mw_reasm *r, uint8_t *p, uint32_t size)
{
    mw_reasm_parked *node;
    unsigned k;

    if (p == NULL)
        return;
    r->in_use -= size;
    if (r->pooled + size > r->pool_limit) {
        free(p);
        return;
    }
    k = mw_reasm_class(size);
    node = (mw_reasm_parked *)(void *)p; /* malloc'd: aligned for it */
    node->next = r->free_list[k];
    r->free_list[k] = node;
    r->pooled += size;
}

/* Makes buf cover [0, need); need <= max_stream_bytes. Growing copies the
 * old bytes and leaves the rest zero, so holes keep reading as zeros. */
static bool mw_reasm_grow(mw_reasm *r, mw_tcp_stream *s, uint32_t need)
{
    uint32_t size;
    uint8_t *nb;

    if (need <= s->buf_size)
        return true;
    size = s->buf_size ? s->buf_size : MW_REASM_MIN_BUFFER;
    while (size < need)
        size <<= 1;
    nb = mw_reasm_get(r, size);
    if (nb == NULL) {
        r->st->memcap_hits++;
        return false;
    }
    if (s->alt != NULL) {
        uint8_t *na = mw_reasm_get(r, size);

        if (na != NULL)
            memcpy(na, s->alt, s->buf_size);
        else
            s->alt_refused = true; /* one version from now on */
        mw_reasm_put(r, s->alt, s->buf_size);
        s->alt = na;
    }
    if (s->buf != NULL) {
        memcpy(nb, s->buf, s->buf_size);
        mw_reasm_put(r, s->buf, s->buf_size);
    }
    s->buf = nb;
    s->buf_size = size;
    return true;
}

/* ---- life cycle ---- */

mw_reasm *mw_reasm_new(const mw_reasm_config *cfg, mw_reasm_stats *stats)
{
    mw_reasm *r = calloc(1, sizeof(*r));
    uint32_t cap;

    if (r == NULL)
        return NULL;
    if (cfg != NULL)
        r->cfg = *cfg;
    /* Zero means default; the cap is forced to a power of two in range. */
    cap = r->cfg.max_stream_bytes ? r->cfg.max_stream_bytes
                                  : MW_REASM_DEFAULT_STREAM_BYTES;
    if (cap > MW_REASM_MAX_STREAM)
        cap = MW_REASM_MAX_STREAM;
    if (cap < MW_REASM_MIN_BUFFER)
        cap = MW_REASM_MIN_BUFFER;
    while (cap & (cap - 1))
        cap &= cap - 1;
    r->cfg.max_stream_bytes = cap;
    if (r->cfg.memcap == 0)
        r->cfg.memcap = MW_REASM_DEFAULT_MEMCAP;
    if (r->cfg.max_ahead == 0)
        r->cfg.max_ahead = MW_REASM_DEFAULT_MAX_AHEAD;
    r->pool_limit = r->cfg.memcap / 8;
    r->st = stats != NULL ? stats : &r->own_stats;
    return r;
}

/* Streams must have been released first: their buffers are not reachable
 * from here. */
void mw_reasm_free(mw_reasm *r)
{
    if (r == NULL)
        return;
    for (unsigned k = 0; k < MW_REASM_NCLASSES; k++) {
        void *p;

        while ((p = mw_reasm_pop(r, k)) != NULL)
            free(p);
    }
    free(r);
}

uint64_t mw_reasm_memory_in_use(const mw_reasm *r)
{
    return r->in_use;
}

/* ---- holes, islands and gaps ---- */

static void mw_reasm_note_gap(mw_reasm *r, mw_tcp_stream *s, uint32_t off,
                              uint32_t n, mw_reasm_result *res)
{
    mw_reasm_range *last;

    if (n == 0)
        return;
    if (res->gap_bytes == 0)
        res->gap_offset = off;
    res->gap_bytes += n;
    s->gaps++;
    s->gap_bytes += n;
    r->st->gaps++;
    r->st->gap_bytes += n;

    last = s->nskipped ? &s->skipped[s->nskipped - 1] : NULL;
    if (last != NULL && (last->end == off || s->nskipped == MW_REASM_MAX_SKIPPED)) {
        last->end = off + n;
    } else {
        s->skipped[s->nskipped].start = off;
        s->skipped[s->nskipped].end = off + n;
        s->nskipped++;
    }
}

static void mw_reasm_drop_range0(mw_tcp_stream *s)
{
    s->nranges--;
    memmove(&s->ranges[0], &s->ranges[1], s->nranges * sizeof(s->ranges[0]));
}

/* Takes in the islands that now touch the contiguous part. */
static void mw_reasm_absorb(mw_reasm *r, mw_tcp_stream *s)
{
    while (s->nranges > 0 && s->ranges[0].start <= s->contiguous) {
        if (s->ranges[0].end > s->contiguous) {
            r->st->bytes_delivered += s->ranges[0].end - s->contiguous;
            s->contiguous = s->ranges[0].end;
        }
        mw_reasm_drop_range0(s);
    }
}

/* Advances contiguous to at least `target` (<= buf_size): missing bytes
 * become gaps, islands on the way are delivered. */
static void mw_reasm_skip_to(mw_reasm *r, mw_tcp_stream *s, uint32_t target,
                             mw_reasm_result *res)
{
    uint32_t before = s->contiguous;

    while (s->contiguous < target) {
        uint32_t stop = target;

        if (s->nranges > 0 && s->ranges[0].start < stop)
            stop = s->ranges[0].start;
        mw_reasm_note_gap(r, s, s->contiguous, stop - s->contiguous, res);
        s->contiguous = stop;
        mw_reasm_absorb(r, s);
    }
    mw_reasm_absorb(r, s);
    if (s->highest < s->contiguous)
        s->highest = s->contiguous;
    if (s->contiguous != before)
        res->new_data = true;
}

/* How many islands there would be after adding [a, b) beyond contiguous. */
static unsigned mw_reasm_islands_after(const mw_tcp_stream *s, uint32_t a, uint32_t b)
{
    unsigned touched = 0;

    for (unsigned i = 0; i < s->nranges; i++)
        if (s->ranges[i].start <= b && s->ranges[i].end >= a)
            touched++;
    return s->nranges - touched + 1;
}

/* Adds [a, b) (a > contiguous) to the islands, merging what it touches.
 * The caller checked with mw_reasm_islands_after() that it fits. */
static void mw_reasm_add_island(mw_tcp_stream *s, uint32_t a, uint32_t b)
{
    unsigned i = 0, j;

    while (i < s->nranges && s->ranges[i].end < a)
        i++;
    j = i;
    while (j < s->nranges && s->ranges[j].start <= b) {
        if (s->ranges[j].start < a)
            a = s->ranges[j].start;
        if (s->ranges[j].end > b)
            b = s->ranges[j].end;
        j++;
    }
    /* ranges[i, j) collapse into one slot at i. */
    if (j == i) {
        memmove(&s->ranges[i + 1], &s->ranges[i], (s->nranges - i) * sizeof(s->ranges[0]));
        s->nranges++;
    } else if (j > i + 1) {
        memmove(&s->ranges[i + 1], &s->ranges[j], (s->nranges - j) * sizeof(s->ranges[0]));
        s->nranges = (uint16_t)(s->nranges - (j - i - 1));
    }
    s->ranges[i].start = a;
    s->ranges[i].end = b;
}

/* ---- copying a segment in ---- */

typedef struct mw_reasm_seg {
    mw_reasm *r;
    mw_cursor data; /* payload, first byte at stream offset `off` */
    uint32_t off;
    uint32_t fresh;  /* bytes newly stored */
    uint32_t compared;
    bool differ;
} mw_reasm_seg;

static mw_cursor mw_reasm_piece(const mw_reasm_seg *g, uint32_t a, uint32_t b)
{
    mw_cursor c = g->data, piece = {NULL, 0};

    if (mw_cursor_skip(&c, a - g->off))
        (void)mw_cursor_get_bytes(&c, &piece, b - a);
    return piece;
}

/* Bytes [a, b) of the segment differ from what buf holds: they go to the
 * second version where it does not differ already (a third is not kept). */
static void mw_reasm_second_version(mw_tcp_stream *s, mw_reasm_seg *g, uint32_t a, uint32_t b,
                                    const mw_cursor *piece)
{
    const uint8_t *src = mw_cursor_data(piece);

    if (src == NULL || s->alt_refused)
        return;
    if (s->alt == NULL) {
        s->alt = mw_reasm_get(g->r, s->buf_size);
        if (s->alt == NULL) {
            s->alt_refused = true;
            g->r->st->alt_refused++;
            return;
        }
        memcpy(s->alt, s->buf, s->buf_size);
        s->alt_from = a;
        g->r->st->alt_versions++;
    }
    for (uint32_t i = a; i < b; i++) {
        if (s->alt[i] == s->buf[i] && src[i - a] != s->buf[i]) {
            s->alt[i] = src[i - a];
            if (i < s->alt_from)
                s->alt_from = i;
        }
    }
}

static void mw_reasm_compare(mw_tcp_stream *s, mw_reasm_seg *g, uint32_t a, uint32_t b)
{
    mw_cursor piece;

    if (a >= b)
        return;
    piece = mw_reasm_piece(g, a, b);
    g->compared += b - a;
    if (!mw_cursor_equals(&piece, s->buf + a, b - a)) {
        g->differ = true;
        mw_reasm_second_version(s, g, a, b, &piece);
    }
}

static void mw_reasm_store(mw_tcp_stream *s, mw_reasm_seg *g, uint32_t a, uint32_t b)
{
    mw_cursor piece;

    if (a >= b)
        return;
    piece = mw_reasm_piece(g, a, b);
    if (s->alt != NULL) {
        mw_cursor again = piece;
        (void)mw_cursor_copy(&again, s->alt + a, b - a);
    }
    if (mw_cursor_copy(&piece, s->buf + a, b - a))
        g->fresh += b - a;
}

/* [a, b) lies below contiguous: compare it except where it falls into a
 * skipped gap. Bytes there were never seen; the gap was already reported
 * and first-wins forbids rewriting what the consumer was handed, so they
 * are dropped (the segment then counts as a retransmission if it brought
 * nothing new). */
static void mw_reasm_check_old(mw_tcp_stream *s, mw_reasm_seg *g, uint32_t a, uint32_t b)
{
    for (unsigned k = 0; k < s->nskipped && a < b; k++) {
        const mw_reasm_range *gap = &s->skipped[k];

        if (gap->end <= a)
            continue;
        if (gap->start >= b)
            break;
        mw_reasm_compare(s, g, a, gap->start > a ? gap->start : a);
        a = gap->end < b ? gap->end : b;
    }
    mw_reasm_compare(s, g, a, b);
}

/* [a, b) lies at or beyond contiguous: compare what the islands hold,
 * store the rest. */
static void mw_reasm_fill_new(mw_tcp_stream *s, mw_reasm_seg *g, uint32_t a, uint32_t b)
{
    uint32_t e;

    for (unsigned i = 0; i < s->nranges && a < b; i++) {
        const mw_reasm_range *rg = &s->ranges[i];

        if (rg->end <= a)
            continue;
        if (rg->start >= b)
            break;
        if (rg->start > a) {
            mw_reasm_store(s, g, a, rg->start);
            a = rg->start;
        }
        e = rg->end < b ? rg->end : b;
        mw_reasm_compare(s, g, a, e);
        a = e;
    }
    mw_reasm_store(s, g, a, b);
}

/* Records a FIN at stream offset fo. A FIN below data already held
 * contradicts it: ignored and counted. */
static void mw_reasm_fin(mw_reasm *r, mw_tcp_stream *s, uint32_t fo)
{
    if (fo >= MW_REASM_HALF || s->fin_seen)
        return;
    if (fo < s->highest) {
        r->st->segments_out_of_window++;
        return;
    }
    s->fin_seen = true;
    s->fin_offset = fo;
}

/* A SYN with another ISN than the one held. Before any data it is kept as
 * a candidate; once data or the peer's ACK decided, it is only counted. */
static void mw_reasm_isn_candidate(mw_reasm *r, mw_tcp_stream *s, uint32_t dseq)
{
    s->isn_conflicts++;
    r->st->isn_conflicts++;
    if (s->isn_decided || s->buf != NULL || s->fin_seen)
        return;
    for (unsigned i = 0; i < s->n_isn_alt; i++)
        if (s->isn_alt[i] == dseq)
            return;
    if (s->n_isn_alt < MW_REASM_MAX_ISN)
        s->isn_alt[s->n_isn_alt++] = dseq;
}

static void mw_reasm_isn_use(mw_reasm *r, mw_tcp_stream *s, uint32_t isn)
{
    s->isn_decided = true;
    if (isn == s->isn)
        return;
    s->isn = isn;
    s->isn_switched = true;
    r->st->isn_switched++;
}

/* First data with candidates pending: the ISN it lies closest after. */
static void mw_reasm_isn_by_data(mw_reasm *r, mw_tcp_stream *s, uint32_t seq)
{
    uint32_t best = s->isn;

    for (unsigned i = 0; i < s->n_isn_alt; i++)
        if ((uint32_t)(seq - s->isn_alt[i]) < (uint32_t)(seq - best))
            best = s->isn_alt[i];
    mw_reasm_isn_use(r, s, best);
}

mw_reasm_result mw_reasm_segment(mw_reasm *r, mw_tcp_stream *s, uint32_t seq,
                                 uint8_t tcp_flags, mw_cursor payload)
{
    mw_reasm_result res = {0};
    mw_reasm_stats *st = r->st;
    size_t len = mw_cursor_len(&payload);
    uint32_t dseq = seq, off, end, cap = r->cfg.max_stream_bytes;
    uint32_t before = s->contiguous;
    mw_reasm_seg g;

    if (s->released)
        return res; /* the pipeline counts bypassed bytes */
    if (len > 0)
        st->segments++;
    if (len >= MW_REASM_HALF) {
        st->segments_out_of_window++; /* cannot come off a real wire */
        return res;
    }

    if (tcp_flags & MW_TCP_SYN) {
        dseq = seq + 1u;
        if (!s->isn_known) {
            s->isn = dseq;
            s->isn_known = true;
            s->syn_seen = true;
        } else if (dseq == s->isn) {
            s->syn_seen = true;
        } else {
            mw_reasm_isn_candidate(r, s, dseq);
        }
    } else if (!s->isn_known) {
        s->isn = seq;
        s->isn_known = true;
    } else if (len > 0 && !s->isn_decided) {
        mw_reasm_isn_by_data(r, s, seq);
    }
    off = dseq - s->isn;

    if (tcp_flags & MW_TCP_FIN)
        mw_reasm_fin(r, s, off + (uint32_t)len);

    if (len == 0) {
        /* A late SYN whose sequence precedes the data we started from. */
        if ((tcp_flags & MW_TCP_SYN) && off >= MW_REASM_HALF)
            st->segments_before_start++;
        return res;
    }

    if (off >= MW_REASM_HALF) {
        uint32_t lead = 0u - off; /* bytes before offset 0 */

        if (len <= lead) {
            st->segments_before_start++;
            return res;
        }
        (void)mw_cursor_skip(&payload, lead);
        len -= lead;
        off = 0;
    }
    end = off + (uint32_t)len; /* both < 2^31: no wrap */

    if (s->fin_seen && end > s->fin_offset) {
        st->segments_out_of_window++;
        if (off >= s->fin_offset)
            return res;
        end = s->fin_offset;
    }

    if (end > cap) {
        uint32_t beyond = end - (off > cap ? off : cap);

        /* A retransmission past the cap is counted again: nothing there
         * is remembered to tell it apart. */
        st->bytes_beyond_cap += beyond;
        s->bytes_beyond_cap += beyond;
        if (!s->capped) {
            s->capped = true;
            res.reached_cap = true;
        }
        if (off >= cap)
            return res;
        end = cap;
    }

    if (off > s->contiguous &&
        mw_reasm_islands_after(s, off, end) > MW_REASM_MAX_RANGES) {
        st->holes_overflow++;
        return res;
    }

    if (!mw_reasm_grow(r, s, end)) {
        uint32_t keep = s->buf_size;

        if (off >= keep) {
            st->bytes_dropped_memcap += end - off;
            return res;
        }
        st->bytes_dropped_memcap += end - keep;
        end = keep;
        if (off > s->contiguous &&
            mw_reasm_islands_after(s, off, end) > MW_REASM_MAX_RANGES) {
            st->holes_overflow++;
            return res;
        }
    }

    g.r = r;
    g.data = payload;
    g.off = off;
    g.fresh = 0;
    g.compared = 0;
    g.differ = false;
    if (off < s->contiguous)
        mw_reasm_check_old(s, &g, off, end < s->contiguous ? end : s->contiguous);
    mw_reasm_fill_new(s, &g, off > s->contiguous ? off : s->contiguous, end);

    if (g.differ) {
        st->overlaps_inconsistent++;
        s->inconsistent_overlaps++;
        res.inconsistent = true;
    } else if (g.fresh == 0) {
        st->retransmissions++;
    } else if (g.compared > 0) {
        st->overlaps_consistent++;
    }
    if (g.fresh > 0 && off > s->contiguous)
        st->out_of_order++;

    if (end > s->highest)
        s->highest = end;
    if (off <= s->contiguous) {
        if (end > s->contiguous) {
            st->bytes_delivered += end - s->contiguous;
            s->contiguous = end;
        }
        mw_reasm_absorb(r, s);
    } else {
        mw_reasm_add_island(s, off, end);
    }

    /* Too much held beyond a hole: the hole is not going to be filled. */
    while (s->nranges > 0 && s->highest - s->contiguous > r->cfg.max_ahead)
        mw_reasm_skip_to(r, s, s->ranges[0].start, &res);

    if (s->contiguous != before)
        res.new_data = true;
    return res;
}

mw_reasm_result mw_reasm_ack(mw_reasm *r, mw_tcp_stream *s, uint32_t ack)
{
    mw_reasm_result res = {0};
    uint32_t acked;

    if (s->released || !s->isn_known)
        return res;
    /* The peer acknowledges exactly the SYN it accepted. */
    if (!s->isn_decided && s->syn_seen) {
        if (ack == s->isn)
            mw_reasm_isn_use(r, s, ack);
        for (unsigned i = 0; i < s->n_isn_alt && !s->isn_decided; i++)
            if (ack == s->isn_alt[i])
                mw_reasm_isn_use(r, s, ack);
    }
    acked = ack - s->isn;
    if (acked >= MW_REASM_HALF)
        return res;
    /* The FIN takes a sequence number but no byte: its ACK is one past. */
    if (s->fin_seen && acked > s->fin_offset)
        acked = s->fin_offset;
    if (acked > r->cfg.max_stream_bytes)
        acked = r->cfg.max_stream_bytes;
    if (acked <= s->contiguous)
        return res;
    if (!mw_reasm_grow(r, s, acked)) {
        if (acked > s->buf_size)
            acked = s->buf_size;
        if (acked <= s->contiguous)
            return res;
    }
    mw_reasm_skip_to(r, s, acked, &res);
    return res;
}

mw_reasm_result mw_reasm_flush(mw_reasm *r, mw_tcp_stream *s)
{
    mw_reasm_result res = {0};

    /* highest never exceeds buf_size: it only moves over stored bytes or
     * over gaps the buffer was grown for. */
    if (!s->released && s->buf != NULL && s->highest > s->contiguous)
        mw_reasm_skip_to(r, s, s->highest, &res);
    return res;
}

mw_cursor mw_reasm_view(const mw_tcp_stream *s)
{
    mw_cursor c;

    mw_cursor_init(&c, s->buf, s->buf != NULL ? s->contiguous : 0);
    return c;
}

bool mw_reasm_alt_view(const mw_tcp_stream *s, mw_cursor *out)
{
    mw_cursor_init(out, s->alt, s->alt != NULL ? s->contiguous : 0);
    return s->alt != NULL;
}

void mw_reasm_release(mw_reasm *r, mw_tcp_stream *s)
{
    mw_reasm_put(r, s->alt, s->buf_size);
    s->alt = NULL;
    mw_reasm_put(r, s->buf, s->buf_size);
    s->buf = NULL;
    s->buf_size = 0;
    s->nranges = 0;
    s->capped = true;
    s->released = true;
}

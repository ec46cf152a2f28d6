/*
 * flagged.c - --write-flagged (flagged.h): records flagged flows during the
 * run, reads their inputs again at the end and dumps their packets.
 */
#include "output/flagged.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include <pcap/pcap.h>

#include "flow/decode.h"

#define FLAGGED_SNAPLEN 262144
#define NO_REC UINT32_MAX
#define EXPIRE_INTERVAL_US 1000000u

/* One recorded flow: what a frame is matched against. */
typedef struct fl_rec {
    mw_flow_key key;
    uint64_t first_us, last_us;
    uint32_t next; /* hash chain while its input is read again */
    bool found;    /* a packet of it was seen again */
} fl_rec;

/* A rereadable input holding recorded flows recs[first, first + count):
 * flows are recorded in input order, so each input's are contiguous. */
typedef struct fl_input {
    char *path;
    size_t first, count;
} fl_input;

struct mw_flagged {
    fl_rec *recs;
    size_t n, cap, max;
    fl_input *inputs;
    size_t n_inputs, cap_inputs;
    char *cur_path; /* NULL when the current input cannot be read again */
    bool cur_listed; /* cur_path is inputs[n_inputs - 1] */
    uint64_t unwritable;
    /* Live mode (mw_flagged_live_open): frames written as they come. */
    bool live;
    char *live_path;
    struct fl_writer *lw; /* opened at the first frame, by its link type */
    bool live_failed;
    char live_err[256];
    size_t held_bytes;
    uint64_t live_flows;
};

mw_flagged *mw_flagged_new(size_t max_flows)
{
    mw_flagged *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    if (max_flows == 0)
        max_flows = MW_FLAGGED_DEFAULT_MAX_FLOWS;
    /* Chains are 32-bit indexes. */
    f->max = max_flows < NO_REC ? max_flows : NO_REC - 1u;
    return f;
}

void mw_flagged_free(mw_flagged *f)
{
    if (!f)
        return;
    free(f->live_path);
    free(f->lw);
    for (size_t i = 0; i < f->n_inputs; i++)
        free(f->inputs[i].path);
    free(f->inputs);
    free(f->recs);
    if (!f->cur_listed)
        free(f->cur_path);
    free(f);
}

void mw_flagged_begin_input(mw_flagged *f, const char *path, bool rereadable)
{
    if (!f->cur_listed)
        free(f->cur_path);
    f->cur_path = NULL;
    f->cur_listed = false;
    /* Only regular files: reopening a FIFO (process substitution, a path
     * to stdin) would block or read nothing. */
    struct stat sb;
    if (rereadable && path && stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
        f->cur_path = strdup(path); /* NULL on out of memory: flows unwritable */
}

static bool grow(void **p, size_t *cap, size_t need, size_t elem, size_t max)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 64;
    if (ncap > max)
        ncap = max;
    if (ncap < need || ncap > SIZE_MAX / elem)
        return false;
    void *np = realloc(*p, ncap * elem);
    if (!np)
        return false;
    *p = np;
    *cap = ncap;
    return true;
}

void mw_flagged_add_flow(mw_flagged *f, const mw_flow *flow)
{
    if (f->live) {
        f->live_flows++; /* its frames are already written */
        return;
    }
    if (!f->cur_path || f->n >= f->max ||
        !grow((void **)&f->recs, &f->cap, f->n + 1, sizeof *f->recs, f->max)) {
        f->unwritable++;
        return;
    }
    if (!f->cur_listed) {
        if (!grow((void **)&f->inputs, &f->cap_inputs, f->n_inputs + 1,
                  sizeof *f->inputs, SIZE_MAX / sizeof *f->inputs)) {
            f->unwritable++;
            return;
        }
        f->inputs[f->n_inputs++] = (fl_input){.path = f->cur_path, .first = f->n};
        f->cur_listed = true;
    }
    fl_rec *r = &f->recs[f->n++];
    memset(r, 0, sizeof *r);
    r->key = flow->key;
    r->first_us = flow->first_ts_us;
    r->last_us = flow->last_ts_us;
    r->next = NO_REC;
    f->inputs[f->n_inputs - 1].count++;
}

size_t mw_flagged_count(const mw_flagged *f)
{
    return f->n + (size_t)f->unwritable;
}

/* ---- matching -------------------------------------------------------------- */

static uint32_t fnv(uint32_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

/* Field by field: the key's padding bytes are not meaningful. */
static uint32_t key_hash(const mw_flow_key *k)
{
    uint8_t tail[5] = {(uint8_t)(k->lo_port >> 8), (uint8_t)k->lo_port,
                       (uint8_t)(k->hi_port >> 8), (uint8_t)k->hi_port, k->proto};
    uint32_t h = 2166136261u;
    h = fnv(h, &k->lo_addr.family, 1);
    h = fnv(h, k->lo_addr.bytes, sizeof k->lo_addr.bytes);
    h = fnv(h, &k->hi_addr.family, 1);
    h = fnv(h, k->hi_addr.bytes, sizeof k->hi_addr.bytes);
    return fnv(h, tail, sizeof tail);
}

static bool addr_eq(const mw_addr *a, const mw_addr *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, sizeof a->bytes) == 0;
}

static bool key_eq(const mw_flow_key *a, const mw_flow_key *b)
{
    return a->proto == b->proto && a->lo_port == b->lo_port && a->hi_port == b->hi_port &&
           addr_eq(&a->lo_addr, &b->lo_addr) && addr_eq(&a->hi_addr, &b->hi_addr);
}

/* ---- the second pass ------------------------------------------------------- */

typedef struct fl_writer {
    pcap_t *dead;
    pcap_dumper_t *dumper;
    int linktype;
    bool append; /* reopened after SIGHUP: add to the file (or start it) */
    const char *out_path;
    char *err;
    size_t errlen;
} fl_writer;

static bool writer_open(fl_writer *w, int linktype)
{
    w->dead = pcap_open_dead(linktype, FLAGGED_SNAPLEN);
    if (!w->dead) {
        snprintf(w->err, w->errlen, "%s: out of memory", w->out_path);
        return false;
    }
    w->dumper = w->append ? pcap_dump_open_append(w->dead, w->out_path)
                          : pcap_dump_open(w->dead, w->out_path);
    if (!w->dumper) {
        /* libpcap's message already names the file. */
        snprintf(w->err, w->errlen, "%s", pcap_geterr(w->dead));
        pcap_close(w->dead);
        w->dead = NULL;
        return false;
    }
    w->linktype = linktype;
    return true;
}

/* pcap_dump() reports nothing: the stream's error flag tells. */
static bool writer_ok(fl_writer *w)
{
    if (ferror(pcap_dump_file(w->dumper))) {
        snprintf(w->err, w->errlen, "%s: write failed", w->out_path);
        return false;
    }
    return true;
}

static bool writer_close(fl_writer *w, bool ok)
{
    if (w->dumper) {
        if (ok && (pcap_dump_flush(w->dumper) != 0 || !writer_ok(w))) {
            int e = errno;
            snprintf(w->err, w->errlen, "%s: write failed: %s", w->out_path, strerror(e));
            ok = false;
        }
        pcap_dump_close(w->dumper);
        w->dumper = NULL;
    }
    if (w->dead)
        pcap_close(w->dead);
    w->dead = NULL;
    return ok;
}

/* Matches every frame of one input against its recorded flows; writes the
 * matches when `write`, only counts them otherwise (other link type). */
static void reread_input(mw_flagged *f, const fl_input *in, mw_source *src,
                         mw_decoder *dec, fl_writer *w, bool write, mw_stats *st)
{
    int linktype = mw_source_linktype(src);
    size_t nb = 16;
    while (nb < in->count * 2)
        nb *= 2;
    uint32_t *buckets = malloc(nb * sizeof *buckets);
    if (!buckets)
        return; /* its flows stay unfound, so unwritable */
    for (size_t i = 0; i < nb; i++)
        buckets[i] = NO_REC;
    for (size_t i = in->first; i < in->first + in->count; i++) {
        uint32_t b = key_hash(&f->recs[i].key) & (uint32_t)(nb - 1);
        f->recs[i].next = buckets[b];
        buckets[b] = (uint32_t)i;
    }

    uint64_t next_expire = 0;
    for (;;) {
        mw_source_packet p;
        if (mw_source_next(src, &p) != MW_SOURCE_PACKET)
            break; /* end, or damage: what was readable is done */
        mw_packet pkt;
        memset(&pkt, 0, sizeof pkt);
        pkt.ts_us = p.ts_us;
        pkt.number = p.number;
        pkt.wirelen = p.wirelen;
        pkt.capture = mw_source_name(src);
        if (p.ts_us >= next_expire) {
            mw_decoder_expire(dec, p.ts_us);
            next_expire = p.ts_us + EXPIRE_INTERVAL_US;
        }
        if (mw_decode(dec, linktype, p.data, p.caplen, &pkt) != MW_DECODE_OK)
            continue;
        mw_flow_key key;
        mw_flow_key_from_packet(&pkt, &key);
        uint32_t i = buckets[key_hash(&key) & (uint32_t)(nb - 1)];
        for (; i != NO_REC; i = f->recs[i].next) {
            fl_rec *r = &f->recs[i];
            if (p.ts_us >= r->first_us && p.ts_us <= r->last_us && key_eq(&r->key, &key))
                break;
        }
        if (i == NO_REC)
            continue;
        if (!write) {
            st->output.flagged_packets_linktype++;
            continue;
        }
        f->recs[i].found = true;
        struct pcap_pkthdr h;
        memset(&h, 0, sizeof h);
        h.ts.tv_sec = (time_t)(p.ts_us / 1000000u);
        h.ts.tv_usec = (suseconds_t)(p.ts_us % 1000000u);
        h.caplen = p.caplen;
        h.len = p.wirelen;
        pcap_dump((u_char *)w->dumper, &h, p.data);
        st->output.flagged_packets++;
    }
    mw_decoder_flush(dec);
    free(buckets);
}

/* ---- live mode -------------------------------------------------------- */

/* A held frame: copied only in live mode, only until its flow is judged. */
typedef struct fl_frame {
    struct fl_frame *next;
    struct pcap_pkthdr h;
    uint8_t data[];
} fl_frame;

bool mw_flagged_live_open(mw_flagged *f, const char *out_path, char *err, size_t errlen)
{
    f->live_path = strdup(out_path);
    f->lw = calloc(1, sizeof *f->lw);
    if (!f->live_path || !f->lw) {
        snprintf(err, errlen, "%s: out of memory", out_path);
        return false;
    }
    f->live = true;
    f->lw->out_path = f->live_path;
    f->lw->err = f->live_err;
    f->lw->errlen = sizeof f->live_err;
    return true;
}

bool mw_flagged_live_reopen(mw_flagged *f, char *err, size_t errlen)
{
    if (!f->live || f->live_failed)
        return true;
    f->lw->append = true;
    if (!f->lw->dumper)
        return true; /* opened at the next frame */
    if (!writer_close(f->lw, true)) {
        f->live_failed = true;
        snprintf(err, errlen, "%s", f->live_err);
        return false;
    }
    return true;
}

bool mw_flagged_is_live(const mw_flagged *f)
{
    return f && f->live;
}

static void live_write(mw_flagged *f, int linktype, const struct pcap_pkthdr *h,
                       const uint8_t *data, mw_stats *st)
{
    if (f->live_failed)
        return;
    if (!f->lw->dumper && !writer_open(f->lw, linktype)) {
        f->live_failed = true;
        return;
    }
    if (linktype != f->lw->linktype) {
        st->output.flagged_packets_linktype++;
        return;
    }
    pcap_dump((u_char *)f->lw->dumper, h, data);
    st->output.flagged_packets++;
}

void mw_flagged_live_frame(mw_flagged *f, mw_flagged_hold *hold, bool flagged, int linktype,
                           const mw_source_packet *p, mw_stats *st)
{
    struct pcap_pkthdr h;
    h.ts.tv_sec = (time_t)(p->ts_us / 1000000u);
    h.ts.tv_usec = (suseconds_t)(p->ts_us % 1000000u);
    h.caplen = p->caplen;
    h.len = p->wirelen;
    if (flagged) {
        live_write(f, linktype, &h, p->data, st);
        return;
    }
    /* Undecided: hold a copy, within the caps (a flow's handshake is a few
     * packets; a flow that stays undecided long is let go). */
    fl_frame *fr = NULL;
    if (hold->bytes + p->caplen <= MW_FLAGGED_HOLD_FLOW_BYTES &&
        f->held_bytes + p->caplen <= MW_FLAGGED_HOLD_TOTAL_BYTES)
        fr = malloc(sizeof *fr + p->caplen);
    if (!fr) {
        hold->dropped++;
        return;
    }
    fr->next = NULL;
    fr->h = h;
    memcpy(fr->data, p->data, p->caplen);
    if (hold->tail)
        ((fl_frame *)hold->tail)->next = fr;
    else
        hold->head = fr;
    hold->tail = fr;
    hold->linktype = linktype;
    hold->bytes += p->caplen;
    f->held_bytes += p->caplen;
}

void mw_flagged_live_decide(mw_flagged *f, mw_flagged_hold *hold, bool flagged, mw_stats *st)
{
    fl_frame *fr = hold->head;
    while (fr) {
        fl_frame *next = fr->next;
        if (flagged)
            live_write(f, hold->linktype, &fr->h, fr->data, st);
        f->held_bytes -= fr->h.caplen;
        free(fr);
        fr = next;
    }
    /* Frames a cap kept out of a flagged flow are lost from the file. */
    if (flagged)
        st->output.flagged_packets_dropped += hold->dropped;
    memset(hold, 0, sizeof *hold);
}

static bool live_close(mw_flagged *f, mw_stats *st, char *err, size_t errlen)
{
    bool ok = !f->live_failed && (f->lw->dumper || writer_open(f->lw, DLT_EN10MB));
    ok = writer_close(f->lw, ok) && ok;
    st->output.flagged_flows += f->live_flows;
    if (!ok)
        snprintf(err, errlen, "%s", f->live_err);
    return ok;
}

bool mw_flagged_write(mw_flagged *f, const char *out_path, const mw_capture_config *cap,
                      mw_stats *st, char *err, size_t errlen)
{
    mw_capture_config defcap = {.snaplen = MW_CAPTURE_DEFAULT_SNAPLEN};
    mw_frag_config frag = {MW_FRAG_DEFAULT_MAX_DATAGRAMS, MW_FRAG_DEFAULT_MAX_SIZE,
                           MW_FRAG_DEFAULT_TIMEOUT_US};
    fl_writer w = {.out_path = out_path, .err = err, .errlen = errlen};
    bool ok = true;

    if (errlen)
        err[0] = '\0';
    if (f->live)
        return live_close(f, st, err, errlen);
    if (!cap)
        cap = &defcap;
    /* The second pass's own counters: the run's must not count twice. */
    mw_stats *scratch = calloc(1, sizeof *scratch);
    mw_decoder *dec = scratch ? mw_decoder_new(&frag, scratch) : NULL;
    if (!dec) {
        free(scratch);
        snprintf(err, errlen, "%s: out of memory", out_path);
        return false;
    }
    st->output.flagged_flows_unwritable += f->unwritable;

    for (size_t k = 0; k < f->n_inputs && ok; k++) {
        const fl_input *in = &f->inputs[k];
        char serr[MW_CAPTURE_ERRLEN];
        mw_source *src = mw_source_open_file(in->path, cap, &scratch->capture, serr,
                                             sizeof serr);
        if (src && mw_linktype_supported(mw_source_linktype(src))) {
            if (!w.dumper)
                ok = writer_open(&w, mw_source_linktype(src));
            if (ok) {
                bool same = mw_source_linktype(src) == w.linktype;
                reread_input(f, in, src, dec, &w, same, st);
                ok = writer_ok(&w);
            }
        }
        if (src)
            mw_source_close(src);
        for (size_t i = in->first; i < in->first + in->count; i++) {
            if (f->recs[i].found)
                st->output.flagged_flows++;
            else
                st->output.flagged_flows_unwritable++;
        }
    }
    if (ok && !w.dumper)
        ok = writer_open(&w, DLT_EN10MB);
    ok = writer_close(&w, ok);
    mw_decoder_free(dec);
    free(scratch);
    return ok;
}

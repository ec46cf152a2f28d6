/*
 * summary_text.c - the readable report (mw_summary_write_text).
 */
#include "output/summary_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

#define C_RED "\033[31m"
#define C_YELLOW "\033[33m"
#define C_GREEN "\033[32m"
#define C_BOLD "\033[1m"
#define C_RESET "\033[0m"

/*
 * A wire string made safe for a terminal: control characters (C0, DEL,
 * C1) and bidirectional overrides become \u00XX / \u20XX escapes, as the
 * JSON writer escapes C0; bytes that were not UTF-8 already read \xNN.
 */
static const char *safe(sbuf *b, const char *s)
{
    if (!s)
        return "(none)";
    size_t n = strlen(s);
    if (n > (SIZE_MAX - 1) / 6 || !mws_grow((void **)&b->p, &b->cap, n * 6 + 1, 1) || !b->p)
        return "(out of memory)";
    size_t o = 0;
    const uint8_t *u = (const uint8_t *)s;
    for (size_t i = 0; i < n; i++) {
        unsigned cp = 0;
        size_t skip = 0;
        if (u[i] < 0x20 || u[i] == 0x7F) {
            cp = u[i];
        } else if (u[i] == 0xC2 && i + 1 < n && u[i + 1] >= 0x80 && u[i + 1] <= 0x9F) {
            cp = u[i + 1];
            skip = 1;
        } else if (u[i] == 0xE2 && i + 2 < n &&
                   ((u[i + 1] == 0x80 && u[i + 2] >= 0xAA && u[i + 2] <= 0xAE) ||
                    (u[i + 1] == 0x81 && u[i + 2] >= 0xA6 && u[i + 2] <= 0xA9))) {
            cp = 0x2000u + ((u[i + 1] & 0x3Fu) << 6) + (u[i + 2] & 0x3Fu);
            skip = 2;
        } else {
            b->p[o++] = (char)u[i];
            continue;
        }
        o += (size_t)snprintf(b->p + o, 7, "\\u%04x", cp);
        i += skip;
    }
    b->p[o] = '\0';
    return b->p;
}

/* Columns a string takes (UTF-8 sequences count one). */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        w += (*p & 0xC0) != 0x80;
    return w;
}

typedef struct table {
    size_t ncols;
    const char *align; /* 'l' or 'r' per column */
    char **cells;
    const char **colors; /* per row */
    size_t n, cap, rows, cap_rows;
} table;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void cell(table *t, const char *fmt, ...)
{
    if (!mws_grow((void **)&t->cells, &t->cap, t->n + 1, sizeof(char *)))
        return;
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *c = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (c) {
        va_start(ap, fmt);
        vsnprintf(c, (size_t)len + 1, fmt, ap);
        va_end(ap);
    }
    t->cells[t->n++] = c;
}

static void row(table *t, const char *color)
{
    if (mws_grow((void **)&t->colors, &t->cap_rows, t->rows + 1, sizeof(char *)))
        t->colors[t->rows++] = color;
}

static void table_free(table *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->colors);
    memset(t, 0, sizeof(*t));
}

static void table_print(table *t, FILE *out, bool color)
{
    size_t w[16] = {0};
    size_t nc = t->ncols < 16 ? t->ncols : 16;
    for (size_t i = 0; i < t->n; i++)
        if (t->cells[i] && text_width(t->cells[i]) > w[i % t->ncols] && i % t->ncols < nc)
            w[i % t->ncols] = text_width(t->cells[i]);
    for (size_t r = 0; r * t->ncols < t->n; r++) {
        const char *c = r < t->rows ? t->colors[r] : NULL;
        fputs("  ", out);
        if (color && c)
            fputs(c, out);
        for (size_t k = 0; k < nc && r * t->ncols + k < t->n; k++) {
            const char *s = t->cells[r * t->ncols + k] ? t->cells[r * t->ncols + k] : "";
            size_t pad = w[k] - text_width(s);
            bool last = k + 1 == nc;
            if (t->align[k] == 'r')
                fprintf(out, "%*s%s", (int)pad, "", s);
            else
                fprintf(out, "%s%*s", s, last ? 0 : (int)pad, "");
            if (!last)
                fputs("  ", out);
        }
        if (color && c)
            fputs(C_RESET, out);
        fputc('\n', out);
    }
    table_free(t);
}

/* "2019-07-20T09:00:05Z": the events' time without the microseconds. */
static const char *short_time(uint64_t us, char *buf, size_t n)
{
    return mw_format_timestamp_secs((int64_t)(us / 1000000u), buf, n);
}

/* The members of a set, safe and joined by ", " into b (max items). */
static const char *joined(const view *w, uint32_t set, sbuf *b, size_t max)
{
    sbuf one = {NULL, 0};
    size_t n = mws_set_size(w, set), o = 0;
    if (!mws_grow((void **)&b->p, &b->cap, 64, 1))
        return "";
    b->p[0] = '\0';
    for (size_t i = 0; i < n && i < max; i++) {
        const char *s = mws_set_at(w, set, i);
        const char *t = s ? safe(&one, s) : "(unlabelled)";
        size_t tl = strlen(t);
        if (!mws_grow((void **)&b->p, &b->cap, o + tl + 32, 1))
            break;
        o += (size_t)snprintf(b->p + o, b->cap - o, "%s%s", i ? ", " : "", t);
    }
    if (n > max && mws_grow((void **)&b->p, &b->cap, o + 32, 1))
        snprintf(b->p + o, b->cap - o, ", ... (%zu in all)", n);
    free(one.p);
    return b->p;
}

static uint64_t vc_sum(const vcounts *v)
{
    uint64_t t = 0;
    for (size_t i = 0; i < N_KINDS; i++)
        t += v->c[i];
    return t;
}

static void text_targets(const mw_summary *s, const view *w, const order *o, FILE *out,
                         bool color)
{
    table t = {12, "lrrrrrrrllll", NULL, NULL, 0, 0, 0, 0};
    sbuf a = {NULL, 0}, b = {NULL, 0};
    char t1[48], t2[48];
    cell(&t, "TARGET"); cell(&t, "SESSIONS"); cell(&t, "INTERCEPTED"); cell(&t, "SUSPICIOUS");
    cell(&t, "CLEAN"); cell(&t, "OPAQUE"); cell(&t, "INCOMPLETE"); cell(&t, "SERVERS INT/SEEN");
    cell(&t, "FIRST INTERCEPTED"); cell(&t, "LAST INTERCEPTED"); cell(&t, "VANTAGES");
    cell(&t, "ROGUE ISSUER");
    row(&t, C_BOLD);
    size_t never = 0, shown = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < s->n_targets; i++) {
            const target *tg = &s->targets[o->targets[i]];
            uint64_t n = vc_sum(&tg->vc);
            bool inter = tg->vc.c[MW_VERDICT_INTERCEPTED] > 0;
            if (n == 0 || inter != (pass == 0))
                continue;
            const char *c = inter ? C_RED
                            : tg->vc.c[MW_VERDICT_SUSPICIOUS] ? C_YELLOW
                            : tg->vc.c[MW_VERDICT_CLEAN] ? C_GREEN : NULL;
            cell(&t, "%s", safe(&a, tg->name));
            cell(&t, "%" PRIu64, n);
            cell(&t, "%" PRIu64, tg->vc.c[MW_VERDICT_INTERCEPTED]);
            cell(&t, "%" PRIu64, tg->vc.c[MW_VERDICT_SUSPICIOUS]);
            cell(&t, "%" PRIu64, tg->vc.c[MW_VERDICT_CLEAN]);
            cell(&t, "%" PRIu64, tg->vc.c[MW_VERDICT_OPAQUE]);
            cell(&t, "%" PRIu64, tg->vc.c[MW_VERDICT_INCOMPLETE]);
            cell(&t, "%zu/%zu", mws_set_size(w, tg->servers_int), mws_set_size(w, tg->servers));
            cell(&t, "%s", tg->has_int ? short_time(tg->first_int, t1, sizeof t1) : "-");
            cell(&t, "%s", tg->has_int ? short_time(tg->last_int, t2, sizeof t2) : "-");
            cell(&t, "%s", mws_set_size(w, tg->vantages) ? joined(w, tg->vantages, &b, 4) : "-");
            cell(&t, "%s", mws_set_size(w, tg->rogue) ? joined(w, tg->rogue, &b, 2) : "-");
            row(&t, c);
            shown++;
        }
    }
    fprintf(out, "\nTarget domains\n");
    if (shown) {
        table_print(&t, out, color);
    } else {
        table_free(&t);
        fprintf(out, "  (no session to a target domain)\n");
    }
    for (size_t i = 0; i < s->n_targets; i++)
        never += vc_sum(&s->targets[i].vc) == 0;
    if (never) {
        fprintf(out, "  never seen (%zu):", never);
        size_t k = 0;
        for (size_t i = 0; i < s->n_targets; i++) {
            const target *tg = &s->targets[o->targets[i]];
            if (vc_sum(&tg->vc) == 0)
                fprintf(out, "%s %s", k++ ? "," : "", safe(&a, tg->name));
        }
        fputc('\n', out);
    }
    free(a.p);
    free(b.p);
}

static void text_vantages(const mw_summary *s, const view *w, const order *o, FILE *out,
                          bool color)
{
    if (s->n_vantages == 0)
        return;
    table t = {6, "lrrrrr", NULL, NULL, 0, 0, 0, 0};
    sbuf a = {NULL, 0};
    cell(&t, "VANTAGE"); cell(&t, "TARGET SESSIONS"); cell(&t, "INTERCEPTED");
    cell(&t, "CLEAN"); cell(&t, "SERVERS INTERCEPTED/CONTACTED"); cell(&t, "SHARE");
    row(&t, C_BOLD);
    for (size_t i = 0; i < s->n_vantages; i++) {
        const vant *v = &s->vantages[o->vantages[i]];
        size_t si = mws_set_size(w, v->servers_int), sc = mws_set_size(w, v->servers);
        cell(&t, "%s", s->strs[v->label] ? safe(&a, s->strs[v->label]) : "(unlabelled)");
        cell(&t, "%" PRIu64, vc_sum(&v->vc));
        cell(&t, "%" PRIu64, v->vc.c[MW_VERDICT_INTERCEPTED]);
        cell(&t, "%" PRIu64, v->vc.c[MW_VERDICT_CLEAN]);
        cell(&t, "%zu/%zu", si, sc);
        if (sc)
            cell(&t, "%.1f %%", 100.0 * (double)si / (double)sc);
        else
            cell(&t, "-");
        row(&t, si ? C_RED : sc ? C_GREEN : NULL);
    }
    fprintf(out, "\nVantages (servers of target names whose connections were intercepted)\n");
    table_print(&t, out, color);
    free(a.p);
}

/* The global bucket's column for bucket number num (buckets are sorted). */
static size_t bucket_column(const mw_summary *s, const order *o, uint64_t num)
{
    size_t lo = 0, hi = s->n_buckets;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->buckets[o->buckets[mid]].num < num)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Each vantage's share of servers intercepted per bucket, one character a
 * timeline bucket, so on/off periods line up across vantages. */
static void text_vantage_rates(const mw_summary *s, const view *w, const order *o, FILE *out)
{
    if (s->n_vantages == 0 || s->n_buckets == 0 || s->n_buckets > 200)
        return;
    sbuf a = {NULL, 0};
    char *line = malloc(s->n_buckets + 1);
    int width = 12;
    for (size_t i = 0; i < s->n_vantages; i++) {
        const char *name = s->strs[s->vantages[i].label];
        int l = name ? (int)strlen(safe(&a, name)) : 12;
        width = l > width ? l : width;
    }
    fprintf(out, "  rate over time, a column per timeline bucket: # half or more of the "
                 "servers contacted intercepted, + fewer, . none, blank: no target session\n");
    size_t vb = 0;
    for (size_t i = 0; line && i < s->n_vantages; i++) {
        size_t vi = o->vantages[i];
        memset(line, ' ', s->n_buckets);
        line[s->n_buckets] = '\0';
        /* vbuckets are sorted by vantage in the same order as vantages */
        for (; vb < s->n_vbuckets && s->vbuckets[o->vbuckets[vb]].vantage == vi; vb++) {
            const vbucket *b = &s->vbuckets[o->vbuckets[vb]];
            size_t col = bucket_column(s, o, b->num);
            size_t si = mws_set_size(w, b->servers_int), sc = mws_set_size(w, b->servers);
            if (col < s->n_buckets && sc)
                line[col] = 2 * si >= sc && si ? '#' : si ? '+' : '.';
        }
        const char *name = s->strs[s->vantages[vi].label];
        fprintf(out, "  %-*s |%s|\n", width, name ? safe(&a, name) : "(unlabelled)", line);
    }
    free(line);
    free(a.p);
}

#define BAR_WIDTH 40

static void text_timeline(const mw_summary *s, const order *o, FILE *out, bool color)
{
    if (s->n_buckets == 0)
        return;
    uint64_t max = 1;
    for (size_t i = 0; i < s->n_buckets; i++)
        if (vc_sum(&s->buckets[i].vc) > max)
            max = vc_sum(&s->buckets[i].vc);
    fprintf(out, "\nTimeline (target sessions per %" PRIu64 " s; # intercepted, + suspicious, "
                 ". clean, ? opaque/incomplete)\n", s->cfg.bucket_seconds);
    char tb[48];
    for (size_t i = 0; i < s->n_buckets; i++) {
        const bucket *b = &s->buckets[o->buckets[i]];
        const uint64_t *c = b->vc.c;
        uint64_t other = c[MW_VERDICT_OPAQUE] + c[MW_VERDICT_INCOMPLETE];
        fprintf(out, "  %s  intercepted %6" PRIu64 "  clean %6" PRIu64 "  suspicious %4" PRIu64
                     "  other %4" PRIu64 "  |",
                short_time(mws_bucket_start_us(s, b->num), tb, sizeof tb), c[MW_VERDICT_INTERCEPTED],
                c[MW_VERDICT_CLEAN], c[MW_VERDICT_SUSPICIOUS], other);
        const uint64_t parts[4] = {c[MW_VERDICT_INTERCEPTED], c[MW_VERDICT_SUSPICIOUS],
                                   c[MW_VERDICT_CLEAN], other};
        const char marks[4] = {'#', '+', '.', '?'};
        const char *colors[4] = {C_RED, C_YELLOW, C_GREEN, NULL};
        uint64_t acc = 0;
        size_t drawn = 0;
        for (size_t k = 0; k < 4; k++) {
            acc += parts[k];
            /* cumulative rounding, so the parts add up to the bar */
            size_t upto = (size_t)((acc * BAR_WIDTH + max - 1) / max);
            if (color && colors[k] && upto > drawn)
                fputs(colors[k], out);
            for (; drawn < upto; drawn++)
                fputc(marks[k], out);
            if (color && colors[k])
                fputs(C_RESET, out);
        }
        fprintf(out, "%*s|\n", (int)(BAR_WIDTH - drawn), "");
    }
    fprintf(out, "  transitions:");
    int state = -1;
    size_t n = 0;
    for (size_t i = 0; i < s->n_buckets; i++) {
        const bucket *b = &s->buckets[o->buckets[i]];
        int st = mws_bucket_state(b);
        if (st < 0 || st == state)
            continue;
        state = st;
        fprintf(out, "%s %s%s%s from %s", n++ ? "," : "", color ? (st ? C_RED : C_GREEN) : "",
                st ? "on" : "off", color ? C_RESET : "",
                short_time(mws_bucket_start_us(s, b->num), tb, sizeof tb));
    }
    fprintf(out, "%s\n", n ? "" : " none (only opaque or incomplete sessions)");
}

static void text_forged(const mw_summary *s, const view *w, const order *o, FILE *out,
                        bool color)
{
    if (s->n_forged == 0)
        return;
    sbuf a = {NULL, 0}, b = {NULL, 0};
    char t1[48], t2[48];
    /* Intercepted first: a suspicious untrusted leaf may be a forgery or
     * just a server's own mistake (a missing intermediate, self-signed). */
    fprintf(out, "\nForged certificates (%zu): leaves of intercepted sessions, then of "
                 "suspicious ones whose chain is untrusted\n",
            s->n_forged);
    for (size_t k = 0; k < 2 * s->n_forged; k++) {
        const forged *f = s->forged[o->forged[k % s->n_forged]];
        if (f->intercepted != (k < s->n_forged))
            continue;
        const char *c = f->intercepted ? C_RED : C_YELLOW;
        fprintf(out, "  %s[%s]%s %s\n", color ? c : "",
                f->intercepted ? "intercepted" : "suspicious", color ? C_RESET : "",
                f->subject ? safe(&a, f->subject) : "(unparsable certificate)");
        fprintf(out, "      issuer %s\n", f->issuer ? safe(&a, f->issuer) : "-");
        fprintf(out, "      first seen %s, last seen %s, %" PRIu64 " session%s, sha256 %s\n",
                short_time(f->first_seen, t1, sizeof t1), short_time(f->last_seen, t2, sizeof t2),
                f->sessions, f->sessions == 1 ? "" : "s", f->sha);
        if (mws_set_size(w, f->names))
            fprintf(out, "      names: %s\n", joined(w, f->names, &b, 8));
        if (mws_set_size(w, f->traits))
            fprintf(out, "      traits: %s\n", joined(w, f->traits, &b, 8));
        if (f->has_clone)
            fprintf(out, "      clones: %s (issuer %s, sha256 %s)\n",
                    f->clone.subject ? safe(&a, f->clone.subject) : "-",
                    f->clone.issuer ? safe(&b, f->clone.issuer) : "-", f->clone.sha);
    }
    free(a.p);
    free(b.p);
}

/* The inputs by path (two day.pcap of two vantages are two), at most 6. */
static void w_sources(const mw_summary *s, FILE *out)
{
    const mws_source **v = s->n_srcs ? mws_sources_sorted(s) : NULL;
    sbuf one = {NULL, 0}, two = {NULL, 0};
    if (!v)
        return;
    fputs("  paths:", out);
    for (size_t i = 0; i < s->n_srcs && i < 6; i++)
        fprintf(out, "%s %s (%s)", i ? "," : "", safe(&one, v[i]->path),
                v[i]->vantage ? safe(&two, v[i]->vantage) : "unlabelled");
    if (s->n_srcs > 6)
        fprintf(out, ", ... (%zu in all)", s->n_srcs);
    fputc('\n', out);
    free(one.p);
    free(two.p);
    free(v);
}

void mw_summary_write_text(const mw_summary *s, FILE *out, bool color)
{
    view w;
    order o;
    if (!s || !mws_view_init(&w, s))
        return;
    if (!mws_order_init(&o, s)) {
        mws_view_free(&w);
        return;
    }
    sbuf b = {NULL, 0};
    char t1[48], t2[48];
    const uint64_t *c = s->sessions.c;
    /* Inputs by identity when known: two files of one base name are two. */
    size_t n_in = s->n_srcs ? s->n_srcs : mws_set_size(&w, s->inputs);
    fprintf(out, "%smitmwatch summary%s: %zu input%s (%s)", color ? C_BOLD : "",
            color ? C_RESET : "", n_in, n_in == 1 ? "" : "s",
            mws_set_size(&w, s->inputs) ? joined(&w, s->inputs, &b, 6) : "none");
    if (s->has_ts)
        fprintf(out, ", %s .. %s", short_time(s->first_ts, t1, sizeof t1),
                short_time(s->last_ts, t2, sizeof t2));
    fputc('\n', out);
    w_sources(s, out);
    fprintf(out, "  %" PRIu64 " sessions: %s%" PRIu64 " intercepted%s, %s%" PRIu64
                 " suspicious%s, %" PRIu64 " untrusted (no sign of interception), %s%" PRIu64
                 " clean%s, %" PRIu64 " opaque, %" PRIu64 " incomplete\n",
            s->total, color ? C_RED : "", c[MW_VERDICT_INTERCEPTED], color ? C_RESET : "",
            color ? C_YELLOW : "", c[MW_VERDICT_SUSPICIOUS], color ? C_RESET : "",
            c[MW_VERDICT_UNTRUSTED],
            color ? C_GREEN : "", c[MW_VERDICT_CLEAN], color ? C_RESET : "",
            c[MW_VERDICT_OPAQUE], c[MW_VERDICT_INCOMPLETE]);
    text_targets(s, &w, &o, out, color);
    text_vantages(s, &w, &o, out, color);
    text_vantage_rates(s, &w, &o, out);
    text_timeline(s, &o, out, color);
    text_forged(s, &w, &o, out, color);

    uint64_t judged = c[MW_VERDICT_CLEAN] + c[MW_VERDICT_SUSPICIOUS] + c[MW_VERDICT_UNTRUSTED] +
                      c[MW_VERDICT_INTERCEPTED];
    fprintf(out, "\nCoverage\n  %" PRIu64 " sessions, %" PRIu64 " judged. %" PRIu64
                 " opaque and %" PRIu64 " incomplete sessions could not be judged (the chain "
                 "was encrypted, resumed or not sent, or the handshake was not seen).\n",
            s->total, judged, c[MW_VERDICT_OPAQUE], c[MW_VERDICT_INCOMPLETE]);
    fprintf(out, "  target sessions %" PRIu64 ", of which %" PRIu64 " opaque and %" PRIu64
                 " incomplete; QUIC %" PRIu64 ", DTLS %" PRIu64 "\n",
            s->target_sessions, s->target_opaque, s->target_incomplete, s->quic, s->dtls);
    if (s->total > judged + c[MW_VERDICT_OPAQUE] + c[MW_VERDICT_INCOMPLETE])
        fprintf(out, "  %" PRIu64 " session(s) had no verdict (run without rules)\n",
                s->total - judged - c[MW_VERDICT_OPAQUE] - c[MW_VERDICT_INCOMPLETE]);
    if (s->lim_set || s->lim_forged || s->lim_buckets)
        fprintf(out, "%s\nLimits%s: left out by the summary's caps: %" PRIu64
                     " set entries, %" PRIu64 " forged certificates, %" PRIu64
                     " timeline buckets (the report is incomplete)\n",
                color ? C_YELLOW : "", color ? C_RESET : "", s->lim_set, s->lim_forged,
                s->lim_buckets);
    else
        fprintf(out, "\nLimits: none reached\n");
    const char *gap = mws_baselines_gap(s);
    if (gap) {
        const char *code, *what;
        fprintf(out, "%s\nCross-run evidence%s: incomplete, %s (%zu); between inputs of "
                     "different baselines never compared (counts are lower bounds):\n",
                color ? C_YELLOW : "", color ? C_RESET : "",
                strcmp(gap, "separate") == 0 ? "inputs judged against separate baselines"
                                             : "the baseline of some inputs is unknown",
                s->n_bls);
        for (size_t i = 0; i < mws_baselines_missing(i, &code, &what); i++)
            fprintf(out, "  %s: %s\n", code, what);
    }
    free(b.p);
    mws_order_free(&o);
    mws_view_free(&w);
}

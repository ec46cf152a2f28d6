/*
 * progress.c - see progress.h.
 */
#include "cli/progress.h"

#include <stdlib.h>
#include <time.h>

#define MW_PROGRESS_INTERVAL 0.25 /* seconds between redraws */

struct mw_progress {
    FILE *out;
    uint64_t total;
    double start, last;
    int drawn; /* a line is on the terminal */
};

static double mw_now(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

mw_progress *mw_progress_new(FILE *out, uint64_t total)
{
    mw_progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->out = out;
    p->total = total;
    p->start = p->last = mw_now();
    return p;
}

/* 1536 -> "1.5 KiB"; binary units, as ls -h and du -h. */
static void mw_human_bytes(char *buf, size_t n, uint64_t v)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double d = (double)v;
    size_t u = 0;
    while (d >= 1024.0 && u + 1 < sizeof unit / sizeof unit[0]) {
        d /= 1024.0;
        u++;
    }
    if (u == 0)
        (void)snprintf(buf, n, "%llu B", (unsigned long long)v);
    else
        (void)snprintf(buf, n, "%.1f %s", d, unit[u]);
}

void mw_progress_format(char *buf, size_t n, uint64_t total, const mw_progress_counts *c,
                        double elapsed)
{
    char done[32], all[32], eta[32] = "";
    double rate = elapsed > 0 ? (double)c->packets / elapsed : 0;
    mw_human_bytes(done, sizeof done, c->bytes);
    if (total > 0 && c->bytes <= total) {
        mw_human_bytes(all, sizeof all, total);
        double pct = 100.0 * (double)c->bytes / (double)total;
        if (c->bytes > 0 && elapsed > 0) {
            double left = elapsed * (double)(total - c->bytes) / (double)c->bytes;
            unsigned long s = (unsigned long)(left + 0.5);
            (void)snprintf(eta, sizeof eta, ", ETA %lu:%02lu:%02lu", s / 3600, s / 60 % 60,
                           s % 60);
        }
        (void)snprintf(buf, n,
                       "%.0f %% (%s of %s), %.0f packets/s, %llu sessions, "
                       "%llu intercepted%s",
                       pct, done, all, rate, (unsigned long long)c->sessions,
                       (unsigned long long)c->intercepted, eta);
    } else {
        (void)snprintf(buf, n, "%s read, %.0f packets/s, %llu sessions, %llu intercepted",
                       done, rate, (unsigned long long)c->sessions,
                       (unsigned long long)c->intercepted);
    }
}

void mw_progress_update(mw_progress *p, const mw_progress_counts *c)
{
    if (!p)
        return;
    double now = mw_now();
    if (now - p->last < MW_PROGRESS_INTERVAL)
        return;
    p->last = now;
    char line[256];
    mw_progress_format(line, sizeof line, p->total, c, now - p->start);
    /* \r and erase-to-end-of-line: the line is rewritten in place. */
    (void)fprintf(p->out, "\r\033[K%s", line);
    (void)fflush(p->out);
    p->drawn = 1;
}

void mw_progress_clear(mw_progress *p)
{
    if (!p || !p->drawn)
        return;
    (void)fputs("\r\033[K", p->out);
    (void)fflush(p->out);
    p->drawn = 0;
}

void mw_progress_end(mw_progress *p)
{
    mw_progress_clear(p);
    free(p);
}

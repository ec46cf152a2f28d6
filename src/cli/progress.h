/*
 * progress.h - the progress line of an offline run on a terminal.
 *
 * An hours-long run over an archive says how far it is, on standard error,
 * rewriting one line: bytes read of the total (as stored, compressed or
 * not), packets per second, sessions and interceptions so far, and the
 * time left at the average rate so far. At most four updates a second; the
 * caller asks as often as it likes (a clock read when nothing is due).
 * The line is erased at the end so the summary starts on a clean line.
 */
#ifndef MW_PROGRESS_H
#define MW_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

typedef struct mw_progress mw_progress;

/* What the line shows. */
typedef struct mw_progress_counts {
    uint64_t bytes;    /* read so far, all inputs */
    uint64_t packets;
    uint64_t sessions;
    uint64_t intercepted;
} mw_progress_counts;

/* total: bytes of all inputs, 0 when unknown (standard input): then no
 * percentage and no ETA. NULL when out of memory. */
mw_progress *mw_progress_new(FILE *out, uint64_t total);

/* Redraws the line when a quarter of a second has passed since the last. */
void mw_progress_update(mw_progress *p, const mw_progress_counts *c);

/* Erases the line (before another message; the next update redraws it).
 * NULL is fine. */
void mw_progress_clear(mw_progress *p);

/* Erases the line and frees p (NULL is fine). */
void mw_progress_end(mw_progress *p);

/* The line for these counts after `elapsed` seconds, into buf (exposed for
 * the unit test; no terminal codes). */
void mw_progress_format(char *buf, size_t n, uint64_t total, const mw_progress_counts *c,
                        double elapsed);

#endif /* MW_PROGRESS_H */

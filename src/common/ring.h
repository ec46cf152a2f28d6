/*
 * ring.h - a bounded single-producer, single-consumer queue of byte
 * records, and where a thread sleeps (mw_hub: one per sleeping thread).
 *
 * --threads N: the reader copies each frame into the ring of the worker
 * its flow belongs to. Records are contiguous (a record that would cross
 * the end of the buffer starts again at offset 0), so a worker reads the
 * frame in place and releases it after the call that uses it. Positions
 * are byte counts that only grow; the producer publishes `tail`, the
 * consumer `head`, each with release/acquire order, so nothing else is
 * shared and no lock is taken on the way. Each side keeps the other's
 * position as last read and reads it again only when that says full
 * (producer) or empty (consumer).
 *
 * Sleeping is rare and goes through a mutex and condition variable that
 * belong to the sleeping thread: whoever changes what it waits for calls
 * mw_hub_poke() on its hub, which costs one atomic load unless it sleeps.
 */
#ifndef MW_RING_H
#define MW_RING_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mw_hub {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_uint sleepers; /* threads inside mw_hub_wait */
} mw_hub;

bool mw_hub_init(mw_hub *h);
void mw_hub_destroy(mw_hub *h);

/* Wakes every sleeper if there is one: call after changing anything a
 * sleeper's condition reads. */
void mw_hub_poke(mw_hub *h);

/* Sleeps until ready(arg) holds. ready is checked under the hub's lock
 * after the sleeper is counted, so a poke that follows a change is never
 * missed; a timed wait (1 ms) bounds the cost of any condition a caller
 * forgot to poke for. */
void mw_hub_wait(mw_hub *h, bool (*ready)(void *arg), void *arg);

/* A cache line: what one side writes on every record lives on a line
 * of its own, so the two threads do not fight over one line per frame. */
#define MW_CACHE_LINE 64

typedef struct mw_ring { // NOLINT(clang-analyzer-optin.performance.Padding): on purpose
    uint8_t *buf;
    size_t cap;             /* bytes, a power of two */
    /* The producer's line. */
    _Alignas(MW_CACHE_LINE) _Atomic size_t tail; /* bytes committed */
    size_t reserved;        /* size of the reserved record */
    size_t head_seen;       /* head when last read: room is at least that */
    /* The consumer's line. */
    _Alignas(MW_CACHE_LINE) _Atomic size_t head; /* bytes released */
    size_t pending;         /* size of the record peeked */
    size_t tail_seen;       /* tail when last read: records up to there */
} mw_ring;

/* Records up to cap / 4 bytes fit. False when out of memory. */
bool mw_ring_init(mw_ring *r, size_t cap);
void mw_ring_destroy(mw_ring *r);

/* Largest record mw_ring_reserve accepts. */
size_t mw_ring_max_record(const mw_ring *r);

/* Producer: room for a record of len bytes (8-aligned), or NULL when the
 * ring is too full now; the record is seen once committed. */
void *mw_ring_reserve(mw_ring *r, size_t len);
void mw_ring_commit(mw_ring *r);

/* Consumer: the oldest committed record, or NULL when empty; it stays
 * valid until mw_ring_release. */
void *mw_ring_peek(mw_ring *r);
void mw_ring_release(mw_ring *r);

bool mw_ring_empty(const mw_ring *r);

/* Bytes committed and not yet released (either side may ask). */
size_t mw_ring_used(const mw_ring *r);

#endif /* MW_RING_H */

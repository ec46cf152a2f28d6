/*
 * ring.c - see ring.h.
 *
 * A record is an 8-byte length then the bytes, padded to 8. When a record
 * does not fit before the end of the buffer, a zero length there says "go
 * on at offset 0", and both are published by one store of tail.
 */
#include "common/ring.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

bool mw_hub_init(mw_hub *h)
{
    atomic_init(&h->sleepers, 0);
    if (pthread_mutex_init(&h->mu, NULL) != 0)
        return false;
    if (pthread_cond_init(&h->cv, NULL) != 0) {
        pthread_mutex_destroy(&h->mu);
        return false;
    }
    return true;
}

void mw_hub_destroy(mw_hub *h)
{
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
}

void mw_hub_poke(mw_hub *h)
{
    /* seq_cst against the sleeper's increment: either it sees the change
     * when it checks, or we see it counted and wake it. The fence orders
     * the caller's (release) store of the change before the load. */
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load(&h->sleepers) == 0)
        return;
    pthread_mutex_lock(&h->mu);
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

void mw_hub_wait(mw_hub *h, bool (*ready)(void *arg), void *arg)
{
    pthread_mutex_lock(&h->mu);
    atomic_fetch_add(&h->sleepers, 1);
    while (!ready(arg)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&h->cv, &h->mu, &ts);
    }
    atomic_fetch_sub(&h->sleepers, 1);
    pthread_mutex_unlock(&h->mu);
}

#define HDR sizeof(uint64_t)

bool mw_ring_init(mw_ring *r, size_t cap)
{
    memset(r, 0, sizeof(*r));
    size_t c = 4096;
    while (c < cap)
        c <<= 1;
    r->buf = malloc(c);
    if (!r->buf)
        return false;
    r->cap = c;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    return true;
}

void mw_ring_destroy(mw_ring *r)
{
    free(r->buf);
    r->buf = NULL;
}

size_t mw_ring_max_record(const mw_ring *r)
{
    return r->cap / 4 - HDR;
}

void *mw_ring_reserve(mw_ring *r, size_t len)
{
    if (len == 0 || len > mw_ring_max_record(r)) /* 0 marks a wrap */
        return NULL;
    size_t need = HDR + ((len + 7) & ~(size_t)7);
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    size_t off = tail & (r->cap - 1);
    size_t skip = need > r->cap - off ? r->cap - off : 0;
    if (r->cap - (tail - r->head_seen) < skip + need) {
        r->head_seen = atomic_load_explicit(&r->head, memory_order_acquire);
        if (r->cap - (tail - r->head_seen) < skip + need)
            return NULL;
    }
    if (skip) {
        uint64_t zero = 0;
        memcpy(r->buf + off, &zero, HDR);
        off = 0;
    }
    uint64_t l = len;
    memcpy(r->buf + off, &l, HDR);
    r->reserved = skip + need;
    return r->buf + off + HDR;
}

void mw_ring_commit(mw_ring *r)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    atomic_store_explicit(&r->tail, tail + r->reserved, memory_order_release);
    r->reserved = 0;
}

void *mw_ring_peek(mw_ring *r)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (head == r->tail_seen) {
        r->tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
        if (head == r->tail_seen)
            return NULL;
    }
    size_t off = head & (r->cap - 1);
    size_t skip = 0;
    uint64_t len;
    memcpy(&len, r->buf + off, HDR);
    if (len == 0) {
        skip = r->cap - off;
        off = 0;
        memcpy(&len, r->buf, HDR);
    }
    r->pending = skip + HDR + (((size_t)len + 7) & ~(size_t)7);
    return r->buf + off + HDR;
}

void mw_ring_release(mw_ring *r)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    atomic_store_explicit(&r->head, head + r->pending, memory_order_release);
    r->pending = 0;
}

bool mw_ring_empty(const mw_ring *r)
{
    return atomic_load_explicit(&r->head, memory_order_acquire) ==
           atomic_load_explicit(&r->tail, memory_order_acquire);
}

size_t mw_ring_used(const mw_ring *r)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    return atomic_load_explicit(&r->tail, memory_order_acquire) - head;
}

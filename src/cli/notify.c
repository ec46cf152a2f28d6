/*
 * notify.c - sd_notify READY/STOPPING/WATCHDOG (notify.h), with libsystemd.
 */
#include "cli/notify.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

struct mw_notify {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    uint64_t watchdog_usec; /* 0: no watchdog */
    atomic_uint_fast64_t beats; /* mw_notify_alive calls */
    atomic_bool stopping;
    bool quit; /* under lock: the thread ends */
    bool has_thread;
};

static void *watchdog_main(void *arg)
{
    mw_notify *n = arg;
    uint64_t half = n->watchdog_usec / 2, seen = UINT64_MAX;
    pthread_mutex_lock(&n->lock);
    while (!n->quit) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t ns = (uint64_t)ts.tv_nsec + (half % 1000000u) * 1000u;
        ts.tv_sec += (time_t)(half / 1000000u + ns / 1000000000u);
        ts.tv_nsec = (long)(ns % 1000000000u);
        while (!n->quit && pthread_cond_timedwait(&n->wake, &n->lock, &ts) != ETIMEDOUT) {
        }
        if (n->quit)
            break;
        uint64_t beats = atomic_load_explicit(&n->beats, memory_order_relaxed);
        /* No progress for a whole half period: no ping, and systemd
         * restarts the service after the second. */
        if (beats != seen || atomic_load(&n->stopping))
            (void)sd_notify(0, "WATCHDOG=1");
        seen = beats;
    }
    pthread_mutex_unlock(&n->lock);
    return NULL;
}

mw_notify *mw_notify_new(void)
{
    const char *sock = getenv("NOTIFY_SOCKET");
    if (!sock || !sock[0])
        return NULL;
    mw_notify *n = calloc(1, sizeof *n);
    if (!n) {
        fputs("mitmwatch: out of memory: systemd will not be notified\n", stderr);
        return NULL;
    }
    atomic_init(&n->beats, 0);
    atomic_init(&n->stopping, false);
    pthread_mutex_init(&n->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&n->wake, &ca);
    pthread_condattr_destroy(&ca);
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2) {
        n->watchdog_usec = usec;
        int rc = pthread_create(&n->thread, NULL, watchdog_main, n);
        if (rc == 0)
            n->has_thread = true;
        else
            fprintf(stderr, "mitmwatch: cannot start the watchdog thread: %s "
                            "(systemd will see no WATCHDOG=1)\n", strerror(rc));
    }
    return n;
}

void mw_notify_ready(mw_notify *n, const char *what)
{
    if (!n)
        return;
    mw_notify_alive(n);
    (void)sd_notifyf(0, "READY=1\nSTATUS=capturing %s", what ? what : "");
}

void mw_notify_alive(mw_notify *n)
{
    /* One writer (the packet loop): a plain store, no locked add. */
    if (n)
        atomic_store_explicit(&n->beats,
                              atomic_load_explicit(&n->beats, memory_order_relaxed) + 1,
                              memory_order_relaxed);
}

void mw_notify_stopping(mw_notify *n)
{
    if (!n)
        return;
    atomic_store(&n->stopping, true);
    (void)sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

uint64_t mw_notify_watchdog_usec(const mw_notify *n)
{
    return n ? n->watchdog_usec : 0;
}

void mw_notify_free(mw_notify *n)
{
    if (!n)
        return;
    if (n->has_thread) {
        pthread_mutex_lock(&n->lock);
        n->quit = true;
        pthread_cond_signal(&n->wake);
        pthread_mutex_unlock(&n->lock);
        pthread_join(n->thread, NULL);
    }
    pthread_cond_destroy(&n->wake);
    pthread_mutex_destroy(&n->lock);
    free(n);
}

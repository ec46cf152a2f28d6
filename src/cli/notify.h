/*
 * notify.h - telling systemd how the service is doing (sd_notify).
 *
 * Under a Type=notify unit (NOTIFY_SOCKET set): READY=1 once capturing,
 * STOPPING=1 when a stop begins, and, when the unit has WatchdogSec
 * (WATCHDOG_USEC set, and WATCHDOG_PID naming this process if set),
 * WATCHDOG=1 from a thread every half period — but only while the packet
 * loop is alive (mw_notify_alive called since the last ping), so a hung
 * loop is restarted by systemd. After STOPPING=1 the pings go on
 * regardless, the shutdown being bounded by the unit's stop timeout.
 * Without NOTIFY_SOCKET every call does nothing.
 */
#ifndef MW_NOTIFY_H
#define MW_NOTIFY_H

#include <stdint.h>

typedef struct mw_notify mw_notify;

/* NULL when there is nobody to notify (or out of memory: said on
 * stderr). Every function below accepts NULL. */
mw_notify *mw_notify_new(void);

/* READY=1, with STATUS=what. */
void mw_notify_ready(mw_notify *n, const char *what);

/* The packet loop made progress (cheap: one atomic store). */
void mw_notify_alive(mw_notify *n);

/* STOPPING=1. */
void mw_notify_stopping(mw_notify *n);

/* The watchdog period in microseconds (0: none), for the tests. */
uint64_t mw_notify_watchdog_usec(const mw_notify *n);

/* Stops the watchdog thread. */
void mw_notify_free(mw_notify *n);

#endif /* MW_NOTIFY_H */

/*
 * baseline_pg.h - the PostgreSQL backend of the baseline store
 * (--state postgresql://..., postgres://... or pg:CONNINFO).
 *
 * The same tables, keys and schema version numbering as the SQLite store
 * (docs/state.md), shared by any number of processes on any number of
 * machines: every write is an upsert (INSERT ... ON CONFLICT) that adds
 * counts and widens time ranges, in one transaction a batch of sessions.
 *
 * What a batch wrote is also kept in memory until its commit: a lost
 * connection, a deadlock between two processes or a server restart rolls
 * the batch back and it is replayed on the next connection, so nothing
 * recorded is lost while the server comes back within the retry window
 * (MITMWATCH_STATE_RETRY seconds, 60 by default; reconnection backs off
 * from 0.1 s to 5 s). While the server is unreachable lookups answer from
 * nothing (counted), judging goes on; what could not be stored in the end
 * is counted (baseline_unstored) and is an error (mw_pg_error).
 *
 * Passwords: never taken from the --state text (refused there: it would
 * show in ps and in shell history), only from PGPASSWORD, PGPASSFILE or
 * ~/.pgpass, which libpq reads; every message names the store by
 * mw_pg_display, which masks a password anyway.
 */
#ifndef MW_BASELINE_PG_H
#define MW_BASELINE_PG_H

#include <stdbool.h>
#include <stddef.h>

#include "common/stats.h"
#include "detect/baseline.h"

typedef struct mw_pgstore mw_pgstore;

/* A --state value naming a PostgreSQL store. */
bool mw_pg_is_conninfo(const char *state);
/* The --state value as it may be shown: a password in it masked ("***"). */
void mw_pg_display(const char *state, char *out, size_t n);

/* Connects, creates or migrates the schema. NULL with "NAME: what" in err. */
mw_pgstore *mw_pg_open(const char *state, mw_output_stats *st, char *err, size_t errlen);
void mw_pg_lookup(mw_pgstore *p, const mw_sighting *s, mw_history *h);
void mw_pg_record(mw_pgstore *p, const mw_sighting *s);
/* Commits the batch (reconnecting and replaying it first if needed, within
 * the retry window); false when it could not. */
bool mw_pg_flush(mw_pgstore *p);
bool mw_pg_close(mw_pgstore *p);
const char *mw_pg_error(const mw_pgstore *p);
/* mitmwatch_schema.store_id as read at the last connection ("" before). */
const char *mw_pg_store_id(const mw_pgstore *p);

#endif /* MW_BASELINE_PG_H */

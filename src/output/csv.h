/*
 * csv.h - one row per session for a spreadsheet (--csv, merge --csv).
 *
 * RFC 4180: a header row, then one row per session, fields separated by
 * commas and quoted (quotes doubled) when they hold a comma, a quote or a
 * line break; CRLF line ends. The columns, in order (docs/output.md):
 *
 *   ts capture vantage event proto src_ip src_port dst_ip dst_port sni
 *   version verdict reasons target leaf_sha256 leaf_subject leaf_issuer
 *   chain_sha256
 *
 * reasons and chain_sha256 are lists joined with ';'. Text from the wire
 * (SNI, certificate names) beginning with '=', '+', '-', '@', a tab or a
 * carriage return gets a leading apostrophe: spreadsheets would run it as
 * a formula (CSV injection), and an attacker chooses the SNI.
 */
#ifndef MW_CSV_H
#define MW_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "session/result.h"

typedef struct mw_csv mw_csv;

/* The row's fields as text; NULL is an empty field. */
typedef struct mw_csv_row {
    const char *ts, *capture, *vantage, *event, *proto;
    const char *src_ip, *src_port, *dst_ip, *dst_port;
    const char *sni, *version, *verdict, *reasons, *target;
    const char *leaf_sha256, *leaf_subject, *leaf_issuer, *chain_sha256;
} mw_csv_row;

/* Creates (truncates) path and writes the header; NULL with err filled. */
mw_csv *mw_csv_open(const char *path, char *err, size_t errlen);

bool mw_csv_write_row(mw_csv *c, const mw_csv_row *row);

/* The row of a judged session (result.h). */
bool mw_csv_add_session(mw_csv *c, const mw_session_result *r);

/* Event files (JSON Lines as --json and -o write them) for merge --csv:
 * a line may be at most this long. */
#define MW_CSV_MAX_LINE ((size_t)16 << 20)

/* True when the file's first line is an event record (it starts with
 * {"...": ..., "event": ...}), i.e. JSON Lines rather than a summary. */
bool mw_csv_is_events_file(const char *path);

/* A row for every session record (tls, dtls, quic) of an event file;
 * flow and stats records are skipped. *sessions counts the rows. False,
 * with "FILE:LINE: what" in err, at the first line that is not an event
 * record or when writing fails. */
bool mw_csv_add_events_file(mw_csv *c, const char *path, size_t *sessions, char *err,
                            size_t errlen);

/* Rows written so far. */
size_t mw_csv_rows(const mw_csv *c);

/* Flushes and closes; false when any write failed (c is freed anyway;
 * NULL is fine and true). */
bool mw_csv_close(mw_csv *c);

#endif /* MW_CSV_H */

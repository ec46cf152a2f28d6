/*
 * csv.c - see csv.h.
 */
#include "output/csv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "common/json.h"
#include "common/jsonparse.h"
#include "detect/rules.h"
#include "dissectors/tls.h"

struct mw_csv {
    FILE *f;
    size_t rows;
    bool failed;
};

static const char *const columns[] = {
    "ts", "capture", "vantage", "event", "proto", "src_ip", "src_port", "dst_ip",
    "dst_port", "sni", "version", "verdict", "reasons", "target", "leaf_sha256",
    "leaf_subject", "leaf_issuer", "chain_sha256",
};

/* One field: quoted when it must be, formula-looking text defused. */
static void put_field(mw_csv *c, const char *v, bool first)
{
    if (!first)
        (void)fputc(',', c->f);
    if (!v || !*v)
        return;
    bool quote = strpbrk(v, ",\"\r\n") != NULL;
    bool defuse = strchr("=+-@\t\r", v[0]) != NULL;
    if (quote)
        (void)fputc('"', c->f);
    if (defuse)
        (void)fputc('\'', c->f);
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            (void)fputc('"', c->f);
        (void)fputc(*p, c->f);
    }
    if (quote)
        (void)fputc('"', c->f);
}

static bool end_row(mw_csv *c)
{
    (void)fputs("\r\n", c->f);
    if (ferror(c->f))
        c->failed = true;
    return !c->failed;
}

mw_csv *mw_csv_open(const char *path, char *err, size_t errlen)
{
    mw_csv *c = calloc(1, sizeof *c);
    if (!c) {
        (void)snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    c->f = fopen(path, "w");
    if (!c->f) {
        (void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
        free(c);
        return NULL;
    }
    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++)
        put_field(c, columns[i], i == 0);
    if (!end_row(c)) {
        (void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
        (void)fclose(c->f);
        free(c);
        return NULL;
    }
    return c;
}

bool mw_csv_write_row(mw_csv *c, const mw_csv_row *r)
{
    const char *const f[] = {
        r->ts, r->capture, r->vantage, r->event, r->proto, r->src_ip, r->src_port,
        r->dst_ip, r->dst_port, r->sni, r->version, r->verdict, r->reasons, r->target,
        r->leaf_sha256, r->leaf_subject, r->leaf_issuer, r->chain_sha256,
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        put_field(c, f[i], i == 0);
    c->rows++;
    return end_row(c);
}

/* Control bytes as \xNN, so a CSV cell stays one line of text; with
 * `wire` (the SNI: bytes as sent, no encoding promised) also the backslash
 * and every byte outside ASCII, as in the readable line. Names printed by
 * OpenSSL keep their UTF-8 and RFC 4514 backslashes. Cut to fit out. */
static void escape_bytes(const uint8_t *p, size_t n, char *out, size_t cap, bool wire)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < cap; i++) {
        bool plain = wire ? p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\'
                          : p[i] >= 0x20 && p[i] != 0x7f;
        if (plain)
            out[o++] = (char)p[i];
        else
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", p[i]);
    }
    out[o] = '\0';
}

static void hex32(const uint8_t d[32], char out[65])
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < 32; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[64] = '\0';
}

bool mw_csv_add_session(mw_csv *c, const mw_session_result *r)
{
    char ts[40], src[MW_ADDR_STRLEN], dst[MW_ADDR_STRLEN], sport[8], dport[8];
    char sni[256 * 4 + 1] = "", leaf[65] = "", reasons[512] = "";
    char chain[MW_VERDICT_MAX_CHAIN * 65 + 1] = "";
    char *subject = NULL, *issuer = NULL, subj[2048], iss[2048];

    (void)mw_format_timestamp(r->ts_us, ts, sizeof ts);
    (void)snprintf(sport, sizeof sport, "%u", (unsigned)r->client_port);
    (void)snprintf(dport, sizeof dport, "%u", (unsigned)r->server_port);
    if (r->sni)
        escape_bytes(r->sni, r->sni_len, sni, sizeof sni, true);
    for (size_t i = 0, o = 0; i < r->n_chain && i < MW_VERDICT_MAX_CHAIN; i++) {
        hex32(r->chain_sha256[i], chain + o + (i ? 1 : 0));
        if (i)
            chain[o] = ';';
        o += 64 + (i ? 1 : 0);
    }
    if (r->n_chain > 0) {
        hex32(r->chain_sha256[0], leaf);
        if (r->chain[0]) {
            subject = mw_rules_name_text(X509_get_subject_name(r->chain[0]));
            issuer = mw_rules_name_text(X509_get_issuer_name(r->chain[0]));
            if (subject)
                escape_bytes((const uint8_t *)subject, strlen(subject), subj, sizeof subj,
                             false);
            if (issuer)
                escape_bytes((const uint8_t *)issuer, strlen(issuer), iss, sizeof iss, false);
        }
    }
    /* As the event: the name, or the code point in hex (docs/output.md). */
    char ver[16];
    const char *vname = r->version ? mw_tls_version_name(r->version) : NULL;
    if (vname)
        (void)snprintf(ver, sizeof ver, "%s", vname);
    else
        (void)snprintf(ver, sizeof ver, "0x%04x", (unsigned)r->version);
    const mw_verdict *v = r->verdict;
    for (size_t i = 0, o = 0; v && i < v->n_reasons && o < sizeof reasons; i++)
        o += (size_t)snprintf(reasons + o, sizeof reasons - o, "%s%s", i ? ";" : "",
                              mw_reason_name(v->reasons[i].code));
    mw_csv_row row = {
        .ts = ts,
        .capture = r->capture,
        .vantage = r->vantage,
        .event = r->event,
        .proto = r->proto == 6 ? "tcp" : "udp",
        .src_ip = mw_addr_format(r->client_ip, src, sizeof src),
        .src_port = sport,
        .dst_ip = mw_addr_format(r->server_ip, dst, sizeof dst),
        .dst_port = dport,
        .sni = r->sni ? sni : NULL,
        .version = r->version ? ver : NULL,
        .verdict = v ? mw_verdict_name(v->kind) : NULL,
        .reasons = reasons,
        .target = v ? v->target : NULL,
        .leaf_sha256 = leaf,
        .leaf_subject = subject ? subj : NULL,
        .leaf_issuer = issuer ? iss : NULL,
        .chain_sha256 = chain,
    };
    bool ok = mw_csv_write_row(c, &row);
    free(subject);
    free(issuer);
    return ok;
}

/* A string member into buf (control bytes escaped; everything for the
 * SNI, as the run writes it); NULL when absent or null. */
static const char *jstr(const mw_jv *obj, const char *key, char *buf, size_t cap)
{
    size_t len;
    const char *s = mw_jv_str(mw_jv_get(obj, key), &len);
    if (!s)
        return NULL;
    escape_bytes((const uint8_t *)s, len, buf, cap, strcmp(key, "sni") == 0);
    return buf;
}

static const char *jnum(const mw_jv *obj, const char *key, char *buf, size_t cap)
{
    uint64_t v;
    if (!mw_jv_u64(mw_jv_get(obj, key), &v))
        return NULL;
    (void)snprintf(buf, cap, "%" PRIu64, v);
    return buf;
}

/* Members of the objects of an array joined with ';' ("code" of reasons,
 * "sha256" of chain). */
static void jjoin(const mw_jv *arr, const char *key, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < mw_jv_len(arr) && o + 1 < cap; i++) {
        char item[300];
        if (!jstr(mw_jv_at(arr, i), key, item, sizeof item))
            continue;
        int k = snprintf(out + o, cap - o, "%s%s", o ? ";" : "", item);
        if (k < 0 || (size_t)k >= cap - o)
            break;
        o += (size_t)k;
    }
}

static bool row_from_event(mw_csv *c, const mw_jv *e)
{
    char ts[64], cap[1024], van[1024], ev[16], proto[8], src[64], sport[24], dst[64],
        dport[24], sni[1100], ver[16], verdict[16], reasons[512], target[300], leaf[80],
        subj[2048], iss[2048], chain[MW_VERDICT_MAX_CHAIN * 65 + 1];
    const mw_jv *ch = mw_jv_get(e, "chain");
    const mw_jv *first = mw_jv_at(ch, 0);
    jjoin(mw_jv_get(e, "reasons"), "code", reasons, sizeof reasons);
    jjoin(ch, "sha256", chain, sizeof chain);
    mw_csv_row row = {
        .ts = jstr(e, "ts", ts, sizeof ts),
        .capture = jstr(e, "capture", cap, sizeof cap),
        .vantage = jstr(e, "vantage", van, sizeof van),
        .event = jstr(e, "event", ev, sizeof ev),
        .proto = jstr(e, "proto", proto, sizeof proto),
        .src_ip = jstr(e, "src_ip", src, sizeof src),
        .src_port = jnum(e, "src_port", sport, sizeof sport),
        .dst_ip = jstr(e, "dst_ip", dst, sizeof dst),
        .dst_port = jnum(e, "dst_port", dport, sizeof dport),
        .sni = jstr(e, "sni", sni, sizeof sni),
        .version = jstr(e, "version", ver, sizeof ver),
        .verdict = jstr(e, "verdict", verdict, sizeof verdict),
        .reasons = reasons,
        .target = jstr(e, "target", target, sizeof target),
        .leaf_sha256 = jstr(first, "sha256", leaf, sizeof leaf),
        .leaf_subject = jstr(first, "subject", subj, sizeof subj),
        .leaf_issuer = jstr(first, "issuer", iss, sizeof iss),
        .chain_sha256 = chain,
    };
    return mw_csv_write_row(c, &row);
}

bool mw_csv_is_events_file(const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    bool yes = false;
    if (!f)
        return false;
    ssize_t n = getline(&line, &cap, f);
    if (n > 0 && (size_t)n <= MW_CSV_MAX_LINE) {
        char err[200];
        mw_jdoc *d = mw_jdoc_parse((const uint8_t *)line, (size_t)n, err, sizeof err);
        yes = d && mw_jv_str(mw_jv_get(mw_jdoc_root(d), "event"), NULL) != NULL;
        mw_jdoc_free(d);
    }
    free(line);
    (void)fclose(f);
    return yes;
}

bool mw_csv_add_events_file(mw_csv *c, const char *path, size_t *sessions, char *err,
                            size_t errlen)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    bool ok = true;
    ssize_t n;
    *sessions = 0;
    if (!f) {
        (void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return false;
    }
    while (ok && (n = getline(&line, &cap, f)) > 0) {
        char perr[300];
        lineno++;
        if ((size_t)n > MW_CSV_MAX_LINE) {
            (void)snprintf(err, errlen, "%s:%zu: line longer than %zu bytes", path, lineno,
                           (size_t)MW_CSV_MAX_LINE);
            ok = false;
            break;
        }
        mw_jdoc *d = mw_jdoc_parse((const uint8_t *)line, (size_t)n, perr, sizeof perr);
        const char *ev = d ? mw_jv_str(mw_jv_get(mw_jdoc_root(d), "event"), NULL) : NULL;
        if (!d) {
            (void)snprintf(err, errlen, "%s:%zu: %s", path, lineno, perr);
            ok = false;
        } else if (!ev) {
            (void)snprintf(err, errlen, "%s:%zu: not an event record (no \"event\")", path,
                           lineno);
            ok = false;
        } else if (strcmp(ev, "tls") == 0 || strcmp(ev, "dtls") == 0 ||
                   strcmp(ev, "quic") == 0) {
            if (!row_from_event(c, mw_jdoc_root(d))) {
                (void)snprintf(err, errlen, "%s:%zu: the CSV could not be written", path,
                               lineno);
                ok = false;
            } else {
                (*sessions)++;
            }
        }
        mw_jdoc_free(d);
    }
    if (ok && ferror(f)) {
        (void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
        ok = false;
    }
    free(line);
    (void)fclose(f);
    return ok;
}

size_t mw_csv_rows(const mw_csv *c) { return c->rows; }

bool mw_csv_close(mw_csv *c)
{
    if (!c)
        return true;
    bool ok = !c->failed && fflush(c->f) == 0 && !ferror(c->f);
    ok &= fclose(c->f) == 0;
    free(c);
    return ok;
}

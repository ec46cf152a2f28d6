/*
 * event_fields.c - see event_fields.h.
 */
#include "session/event_fields.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "flow/community_id.h"

const char *mw_ev_handshake_name(const mw_tls_facts *f)
{
    switch (f->state) {
    case MW_TLS_HS_COMPLETE:
    case MW_TLS_HS_NO_CERT:
        return "complete";
    case MW_TLS_HS_OPAQUE:
    case MW_TLS_HS_RESUMED:
        return "opaque";
    case MW_TLS_HS_INCOMPLETE:
        break;
    }
    return "incomplete";
}

static bool is_grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* Written by hand, like the other per-session text here: snprintf's
 * format parsing cost more than the formatting. */
const char *mw_ev_hex16(uint16_t v, char out[7])
{
    static const char hx[] = "0123456789abcdef";
    out[0] = '0';
    out[1] = 'x';
    for (int i = 0; i < 4; i++)
        out[2 + i] = hx[(v >> (12 - 4 * i)) & 0xf];
    out[6] = '\0';
    return out;
}

void mw_ev_version(mw_json *j, uint16_t v)
{
    const char *name = mw_tls_version_name(v);
    if (name) {
        mw_json_string(j, name);
    } else {
        char b[7];
        mw_json_string(j, mw_ev_hex16(v, b));
    }
}

void mw_ev_client_versions(mw_json *j, const mw_tls_client_hello *ch)
{
    mw_json_key(j, "client_versions");
    if (!ch->seen) {
        mw_json_null(j);
        return;
    }
    mw_json_array_begin(j);
    if (ch->supported_versions.n) {
        for (size_t i = 0; i < ch->supported_versions.n; i++)
            if (!is_grease(ch->supported_versions.v[i]))
                mw_ev_version(j, ch->supported_versions.v[i]);
    } else {
        mw_ev_version(j, ch->legacy_version);
    }
    mw_json_array_end(j);
}

/* "192.0.2.1:443" or "[2001:db8::1]:443". */
const char *mw_ev_endpoint_text(const mw_addr *a, uint16_t port, char *buf, size_t len)
{
    char ip[MW_ADDR_STRLEN];
    char digits[5];
    size_t nd = 0, o = 0, n = strlen(mw_addr_format(a, ip, sizeof ip));
    do {
        digits[nd++] = (char)('0' + port % 10);
        port /= 10;
    } while (port);
    if (!len)
        return buf;
    /* The longest text is "[" ip "]:" 5 digits; cut short, as snprintf
     * did, when buf is smaller. */
    char t[MW_ADDR_STRLEN + 9];
    if (a->family == 6)
        t[o++] = '[';
    memcpy(t + o, ip, n);
    o += n;
    if (a->family == 6)
        t[o++] = ']';
    t[o++] = ':';
    while (nd)
        t[o++] = digits[--nd];
    if (o >= len)
        o = len - 1;
    memcpy(buf, t, o);
    buf[o] = '\0';
    return buf;
}

/* The SNI as the baseline keys it: lowercase, printable ASCII kept, any
 * other byte as \xNN, so a hostile name is still one exact key. */
void mw_ev_name_key(const mw_tls_facts *tf, char *out, size_t n)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; tf->ch.has_sni && i < tf->ch.sni.len && o + 5 < n; i++) {
        unsigned char c = tf->ch.sni.data[i];
        if (c > 0x20 && c < 0x7f && c != '\\')
            out[o++] = (char)tolower(c);
        else
            o += (size_t)snprintf(out + o, n - o, "\\x%02x", c);
    }
    out[o] = '\0';
}

bool mw_ev_offered_tls13(const mw_tls_client_hello *ch)
{
    for (size_t i = 0; i < ch->supported_versions.n; i++)
        if (ch->supported_versions.v[i] == 0x0304)
            return true;
    return false;
}

/* {"note":NOTE,"dir":DIR,K1:V1[,K2:V2]}: a reassembly anomaly of one
 * direction. */
static void dir_note(mw_json *j, const char *note, const char *dir, const char *k1,
                     uint64_t v1, const char *k2, uint64_t v2)
{
    mw_json_object_begin(j);
    mw_json_kv_string(j, "note", note);
    mw_json_kv_string(j, "dir", dir);
    mw_json_kv_uint(j, k1, v1);
    if (k2)
        mw_json_kv_uint(j, k2, v2);
    mw_json_object_end(j);
}

void mw_ev_notes(mw_json *j, const mw_flow *flow, const uint32_t *starttls,
                 const mw_tls_facts *tf)
{
    static const char *const dir_names[2] = {"to_server", "to_client"};
    mw_json_key(j, "flow_notes");
    mw_json_array_begin(j);
    for (int dir = 0; dir < 2; dir++) {
        const mw_tcp_stream *st = &flow->stream[dir];
        if (st->gaps)
            dir_note(j, "gap", dir_names[dir], "count", st->gaps, "bytes", st->gap_bytes);
        if (st->inconsistent_overlaps)
            dir_note(j, "inconsistent_overlap", dir_names[dir], "count",
                     st->inconsistent_overlaps, NULL, 0);
        if (st->isn_conflicts)
            dir_note(j, "synack_conflict", dir_names[dir], "count", st->isn_conflicts,
                     "switched", st->isn_switched);
        if (st->bytes_beyond_cap)
            dir_note(j, "beyond_cap", dir_names[dir], "bytes", st->bytes_beyond_cap, NULL, 0);
    }
    if (tf) {
        if (starttls && (starttls[0] || starttls[1])) {
            mw_json_object_begin(j);
            mw_json_kv_string(j, "note", "starttls");
            mw_json_kv_uint(j, "client_offset", starttls[0]);
            mw_json_kv_uint(j, "server_offset", starttls[1]);
            mw_json_object_end(j);
        }
        if (tf->chain_truncated) {
            mw_json_object_begin(j);
            mw_json_kv_string(j, "note", "chain_truncated");
            mw_json_kv_uint(j, "certs_dropped", tf->certs_dropped);
            mw_json_object_end(j);
        }
        if (tf->error_reason) {
            mw_json_object_begin(j);
            mw_json_kv_string(j, "note", "malformed");
            mw_json_kv_string(j, "detail", tf->error_reason);
            mw_json_object_end(j);
        }
    }
    mw_json_array_end(j);
}

void mw_ev_flow_ids(mw_json *j, const mw_flow *f, uint16_t seed)
{
    char id[MW_COMMUNITY_ID_LEN];
    mw_community_id(seed, f->proto, &f->client_ip, f->client_port, &f->server_ip,
                    f->server_port, id);
    mw_json_kv_string(j, "community_id", id);
    mw_json_kv_uint(j, "flow_id", f->run_number);
}

void mw_ev_endpoints(mw_json *j, const mw_flow *flow, bool swapped, uint16_t seed)
{
    char a[MW_ADDR_STRLEN], b[MW_ADDR_STRLEN];
    const mw_addr *cip = swapped ? &flow->server_ip : &flow->client_ip;
    const mw_addr *sip = swapped ? &flow->client_ip : &flow->server_ip;
    mw_json_kv_string(j, "proto", flow->proto == 6 ? "tcp" : "udp");
    mw_json_kv_string(j, "src_ip", mw_addr_format(cip, a, sizeof a));
    mw_json_kv_uint(j, "src_port", swapped ? flow->server_port : flow->client_port);
    mw_json_kv_string(j, "dst_ip", mw_addr_format(sip, b, sizeof b));
    mw_json_kv_uint(j, "dst_port", swapped ? flow->client_port : flow->server_port);
    mw_ev_flow_ids(j, flow, seed);
}

void mw_ev_flow_record(mw_json *j, const mw_flow *f, mw_flow_end reason, const char *vantage,
                       uint16_t seed)
{
    char a[MW_ADDR_STRLEN], b[MW_ADDR_STRLEN];
    mw_json_object_begin(j);
    mw_json_key(j, "ts");
    mw_json_timestamp(j, f->first_ts_us);
    mw_json_kv_string(j, "event", "flow");
    mw_json_kv_string(j, "capture", f->capture);
    mw_json_kv_string(j, "vantage", vantage);
    mw_json_kv_string(j, "proto", f->proto == 6 ? "tcp" : "udp");
    mw_json_kv_string(j, "src_ip", mw_addr_format(&f->client_ip, a, sizeof a));
    mw_json_kv_uint(j, "src_port", f->client_port);
    mw_json_kv_string(j, "dst_ip", mw_addr_format(&f->server_ip, b, sizeof b));
    mw_json_kv_uint(j, "dst_port", f->server_port);
    mw_ev_flow_ids(j, f, seed);
    mw_json_kv_string(j, "client_basis", mw_client_basis_name(f->client_basis));
    mw_json_kv_string(j, "end", mw_flow_end_name(reason));
    mw_json_key(j, "last_ts");
    mw_json_timestamp(j, f->last_ts_us);
    mw_json_kv_uint(j, "packets_to_server", f->packets[MW_DIR_TO_SERVER]);
    mw_json_kv_uint(j, "packets_to_client", f->packets[MW_DIR_TO_CLIENT]);
    mw_json_kv_uint(j, "bytes_to_server", f->bytes[MW_DIR_TO_SERVER]);
    mw_json_kv_uint(j, "bytes_to_client", f->bytes[MW_DIR_TO_CLIENT]);
    if (f->proto == 6) {
        mw_json_kv_uint(j, "stream_bytes_to_server", f->stream[MW_DIR_TO_SERVER].contiguous);
        mw_json_kv_uint(j, "stream_bytes_to_client", f->stream[MW_DIR_TO_CLIENT].contiguous);
    }
    mw_ev_notes(j, f, NULL, NULL);
    mw_json_object_end(j);
}

void mw_ev_text_line(FILE *out, const mw_flow *flow, bool swapped, uint64_t first_ts_us,
                     const mw_tls_facts *tf, const char *event, const mw_verdict *v)
{
    char tag[160] = "";
    if (v) {
        size_t o = (size_t)snprintf(tag, sizeof tag, " verdict=%s", mw_verdict_name(v->kind));
        for (size_t i = 0; i < v->n_reasons && o < sizeof tag; i++)
            o += (size_t)snprintf(tag + o, sizeof tag - o, "%c%s", i ? ',' : '[',
                                  mw_reason_name(v->reasons[i].code));
        if (v->n_reasons && o < sizeof tag)
            snprintf(tag + o, sizeof tag - o, "]");
    }
    char a[MW_ADDR_STRLEN + 8], b[MW_ADDR_STRLEN + 8], ts[MW_TIMESTAMP_LEN];
    mw_json sni;
    mw_json_init(&sni);
    /* JSON escaping keeps hostile names from reaching the terminal raw. */
    if (tf->ch.has_sni)
        mw_json_string_n(&sni, tf->ch.sni.data, tf->ch.sni.len);
    fprintf(out, "%s %-4s %s -> %s sni=%s %s %s chain=%zu%s\n",
            mw_format_timestamp(first_ts_us, ts, sizeof ts), event,
            mw_ev_endpoint_text(swapped ? &flow->server_ip : &flow->client_ip,
                          swapped ? flow->server_port : flow->client_port, a, sizeof a),
            mw_ev_endpoint_text(swapped ? &flow->client_ip : &flow->server_ip,
                          swapped ? flow->client_port : flow->server_port, b, sizeof b),
            tf->ch.has_sni ? mw_json_text(&sni) : "-",
            tf->version_name ? tf->version_name : "-", mw_ev_handshake_name(tf), tf->n_certs,
            tag);
    mw_json_free(&sni);
}

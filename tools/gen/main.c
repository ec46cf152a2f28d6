/*
 * main.c - mwgen: captures of clean and intercepted TLS made from real
 * OpenSSL handshakes, each with a ground-truth file. See docs/generator.md.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <openssl/err.h>

#include "mwgen.h"

#define MW_US           1000000ULL
#define MW_DAY_US       (86400ULL * MW_US)
#define MW_T_20190714   1563062400ULL   /* 2019-07-14T00:00:00Z */
#define MW_BOX_TTL      61      /* the box sits 3 hops short of the server */

enum { MW_NONE, MW_KZ, MW_CORP };

typedef struct {
    const char     *name;
    int             v6;
    uint8_t         net[16];    /* client network */
    int             kz_path;    /* through the 2019 interception system */
    int             server_side;/* capture next to the server */
    uint32_t        rtt_us;
    uint8_t         near_ttl, far_ttl;
} mw_vantage_t;

static const mw_vantage_t mw_vantages[] = {
    { "kz-almaty", 0, { 10, 20 }, 1, 0, 68000, 64, 52 },
    { "kz-astana-v6", 1, { 0x20, 0x01, 0x0d, 0xb8, 0x4b, 0x5a }, 1, 0,
      74000, 64, 52 },
    { "kz-other-isp", 0, { 172, 20 }, 0, 0, 81000, 128, 50 },
    { "server-side", 0, { 100, 70 }, 1, 1, 90000, 64, 47 },
    { "corp-lan", 0, { 192, 168, 50 }, 0, 0, 23000, 128, 55 },
};

enum { V_ALMATY, V_ASTANA6, V_OTHER, V_SERVER, V_CORP };

/* Sites that were not on the 2019 list. Names only: certificates are ours. */
static const char *const mw_others[] = {
    "en.wikipedia.org", "github.com", "www.kaspi.kz", "egov.kz",
    "www.amazon.com", "www.microsoft.com", "yandex.kz", "www.nytimes.com",
    "news.ycombinator.com", "www.tengrinews.kz",
};

/* The 37 domains of 2019 (../shared/rules-data/targets-kz-2019.txt). */
static const char *const mw_targets[] = {
    "allo.google.com", "android.com", "cdninstagram.com", "dns.google.com",
    "docs.google.com", "encrypted.google.com", "facebook.com", "goo.gl",
    "google.com", "groups.google.com", "hangouts.google.com", "instagram.com",
    "mail.google.com", "mail.ru", "messages.android.com", "messenger.com",
    "news.google.com", "ok.ru", "picasa.google.com", "plus.google.com",
    "rukoeb.com", "sites.google.com", "sosalkino.tv", "tamtam.chat",
    "translate.google.com", "twitter.com", "video.google.com", "vk.com",
    "vk.me", "vkuseraudio.net", "vkuservideo.net", "www.facebook.com",
    "www.google.com", "www.instagram.com", "www.messenger.com",
    "www.youtube.com", "youtube.com",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define MW_RESUME_SLOTS 16

typedef struct {
    mw_host_t      *host;
    SSL_SESSION    *sess;
} mw_resume_t;

typedef struct {
    uint64_t        seed;
    mw_pki_t        pki;
    SSL_CTX        *cctx[MW_FP_N];
    mw_pcap_t       pcap;
    FILE           *truth;
    mw_rng_t        rng;
    uint32_t        sess_no;
    uint64_t        clock_us;   /* sessions never overlap: next free time */
    mw_resume_t     resume[MW_RESUME_SLOTS];
    size_t          bulk;       /* scale: bytes of bulk data per flow */
    int             errors;
} mw_gen_t;

typedef struct {
    const mw_vantage_t *v;
    const char     *sni;
    const char     *server;     /* the real server's host */
    int             fp;
    int             resume;
    int             incomplete;
    int             interceptor;
    uint64_t        ts_us;
} mw_spec_t;

/* What one session put on the wire, for the truth file. */
typedef struct {
    mw_conv_t       conv;
    mw_ep_t         c, s;
    const char     *chain[2];   /* as sent by the wire's server */
    const char     *genuine[2];
    int             visible;
    int             client_box; /* the wire's client is the box */
    int             server_box; /* the wire's server is the box */
} mw_sess_t;

static int
is_target(const char *sni)
{
    size_t i;

    for (i = 0; sni && i < NELEM(mw_targets); i++) {
        if (strcmp(sni, mw_targets[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static uint32_t
fnv(const char *s)
{
    uint32_t h = 2166136261u;

    for (; *s; s++) {
        h = (h ^ (unsigned char) *s) * 16777619u;
    }
    return h;
}

static void
client_ep(mw_ep_t *e, const mw_vantage_t *v, uint32_t n)
{
    memset(e, 0, sizeof(*e));
    e->v6 = v->v6;
    memcpy(e->ip, v->net, 16);
    if (v->v6) {
        e->ip[13] = (uint8_t) (n >> 16);
        e->ip[14] = (uint8_t) (n >> 8);
        e->ip[15] = (uint8_t) (n | 1);
    } else if (v->net[2]) {
        e->ip[3] = (uint8_t) (2 + n % 250);
    } else {
        e->ip[2] = (uint8_t) (n >> 8);
        e->ip[3] = (uint8_t) (2 + n % 250);
    }
    e->port = (uint16_t) (49152 + (n * 37u) % 16000);
    e->mac[0] = 0x02;
    e->mac[1] = 0x42;
    memcpy(e->mac + 2, e->ip + (v->v6 ? 12 : 0), 4);
    e->win = 64240;
}

static void
server_ep(mw_ep_t *e, const mw_vantage_t *v, const char *host)
{
    uint32_t h = fnv(host);

    memset(e, 0, sizeof(*e));
    e->v6 = v->v6;
    if (v->v6) {
        static const uint8_t pfx[8] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff,
                                        0, 0 };

        memcpy(e->ip, pfx, 8);
        e->ip[12] = (uint8_t) (h >> 24);
        e->ip[13] = (uint8_t) (h >> 16);
        e->ip[14] = (uint8_t) (h >> 8);
        e->ip[15] = (uint8_t) (h | 1);
    } else {
        /* 198.18.0.0/15, set aside for benchmarks (RFC 2544). */
        e->ip[0] = 198;
        e->ip[1] = (uint8_t) (18 + ((h >> 16) & 1));
        e->ip[2] = (uint8_t) (h >> 8);
        e->ip[3] = (uint8_t) (1 + (h & 0xff) % 254);
    }
    e->port = 443;
    e->mac[0] = 0x00;
    e->mac[1] = 0x1b;
    e->mac[2] = 0x21;
    e->mac[3] = 0x5a;
    e->mac[4] = 0x6b;
    e->mac[5] = 0x7c;           /* every server is behind the same router */
    e->win = 65160;
}

static void
iso_ts(uint64_t us, char out[96])
{
    time_t t = (time_t) (us / MW_US);
    struct tm tm;

    gmtime_r(&t, &tm);
    snprintf(out, 96, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, (unsigned) (us % MW_US));
}

static void
ip_str(const mw_ep_t *e, char out[INET6_ADDRSTRLEN])
{
    if (inet_ntop(e->v6 ? AF_INET6 : AF_INET, e->ip, out,
                  INET6_ADDRSTRLEN) == NULL) {
        snprintf(out, INET6_ADDRSTRLEN, "?");
    }
}

static void
json_chain(FILE *f, const char *const *c, int on)
{
    if (!on) {
        fputs("null", f);
        return;
    }
    fprintf(f, "[\"%s\",\"%s\"]", c[0], c[1]);
}

/* Host names come from our own tables: nothing needs escaping. */
static void
write_truth(mw_gen_t *g, const mw_spec_t *sp, const mw_sess_t *ss,
            uint64_t ts_us)
{
    char ts[96], cip[INET6_ADDRSTRLEN], sip[INET6_ADDRSTRLEN];
    const char *hs, *icp;
    FILE *f = g->truth;

    iso_ts(ts_us, ts);
    ip_str(&ss->c, cip);
    ip_str(&ss->s, sip);
    hs = sp->incomplete ? "incomplete" : ss->visible ? "complete" : "opaque";
    icp = sp->interceptor == MW_KZ ? "\"kz-2019\""
          : sp->interceptor == MW_CORP ? "\"corporate\"" : "null";
    fprintf(f, "{\"ts\":\"%s\",\"vantage\":\"%s\",\"src_ip\":\"%s\","
            "\"src_port\":%u,\"dst_ip\":\"%s\",\"dst_port\":%u,",
            ts, sp->v->name, cip, ss->c.port, sip, ss->s.port);
    if (sp->sni) {
        fprintf(f, "\"sni\":\"%s\",", sp->sni);
    } else {
        fputs("\"sni\":null,", f);
    }
    fprintf(f, "\"server_host\":\"%s\",", sp->server);
    if (ss->conv.version) {
        fprintf(f, "\"version\":\"%s\",", ss->conv.version);
    } else {
        fputs("\"version\":null,", f);
    }
    fprintf(f, "\"intercepted\":%s,\"interceptor\":%s,",
            sp->interceptor ? "true" : "false", icp);
    fputs("\"chain_sha256\":", f);
    json_chain(f, ss->chain, ss->visible);
    fputs(",\"sent_chain_sha256\":", f);
    json_chain(f, ss->chain, !sp->incomplete && !ss->conv.resumed);
    fputs(",\"genuine_chain_sha256\":", f);
    json_chain(f, ss->genuine, 1);
    fprintf(f, ",\"handshake\":\"%s\",\"resumed\":%s,"
            "\"client_hello_by\":\"%s\"}\n", hs,
            ss->conv.resumed ? "true" : "false",
            ss->client_box ? (sp->interceptor == MW_KZ ? "kz-box" : "corp-box")
                           : "client");
}

static SSL_SESSION **
resume_slot(mw_gen_t *g, mw_host_t *h)
{
    size_t i;

    for (i = 0; i < MW_RESUME_SLOTS; i++) {
        if (g->resume[i].host == h || g->resume[i].host == NULL) {
            g->resume[i].host = h;
            return &g->resume[i].sess;
        }
    }
    /* Full: reuse a slot picked by name. */
    i = fnv(h->name) % MW_RESUME_SLOTS;
    SSL_SESSION_free(g->resume[i].sess);
    g->resume[i].sess = NULL;
    g->resume[i].host = h;
    return &g->resume[i].sess;
}

/* Runs the TLS of one session (both legs when intercepted). */
static int
make_session(mw_gen_t *g, const mw_spec_t *sp, mw_sess_t *ss, int era)
{
    unsigned char req[512], resp[4096];
    size_t reqlen, resplen, hl, i;
    mw_host_t *h = mw_pki_host(&g->pki, sp->server);
    SSL_SESSION **slot = NULL, *got = NULL;
    SSL_CTX *box = NULL;
    mw_conv_t up;
    int rc;

    memset(ss, 0, sizeof(*ss));
    memset(&up, 0, sizeof(up));
    if (h == NULL) {
        return -1;
    }
    mw_rand_reseed(g->seed, "session", g->sess_no);
    reqlen = (size_t) snprintf((char *) req, sizeof(req),
                               "GET / HTTP/1.1\r\nHost: %s\r\n"
                               "User-Agent: Mozilla/5.0 (mwgen)\r\n"
                               "Accept: */*\r\n\r\n",
                               sp->sni ? sp->sni : sp->server);
    resplen = 300 + mw_rng_below(&g->rng, 2200);
    hl = (size_t) snprintf((char *) resp, sizeof(resp),
                           "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                           "Content-Length: %u\r\n\r\n",
                           (unsigned) resplen);
    for (i = hl; i < resplen + hl && i < sizeof(resp); i++) {
        resp[i] = (unsigned char) ("<p>mwgen test page</p>\n"[i % 23]);
    }
    resplen = i;
    if (reqlen >= sizeof(req)) {
        return -1;
    }
    ss->genuine[0] = h->chain_hex[0];
    ss->genuine[1] = h->chain_hex[1];
    ss->chain[0] = h->chain_hex[0];
    ss->chain[1] = h->chain_hex[1];
    if (sp->interceptor == MW_KZ) {
        box = mw_pki_kz(&g->pki, h, era);
        if (box && !sp->v->server_side) {
            ss->chain[0] = h->kz_hex[era];
            ss->chain[1] = g->pki.kz_ca_hex;
        }
    } else if (sp->interceptor == MW_CORP) {
        box = mw_pki_corp(&g->pki, h);
        if (box && !sp->v->server_side) {
            ss->chain[0] = h->corp_hex;
            ss->chain[1] = g->pki.corp_ca_hex;
        }
    }
    if (sp->interceptor && box == NULL) {
        return -1;
    }
    if (sp->interceptor == MW_NONE) {
        slot = resume_slot(g, h);
        rc = mw_tls_talk(g->cctx[sp->fp], h->srv, sp->sni,
                         sp->resume ? *slot : NULL,
                         sp->fp == MW_FP_BROWSER12 ? &got : NULL,
                         sp->incomplete, req, reqlen, resp, resplen,
                         &ss->conv);
        if (rc == 0 && got) {
            SSL_SESSION_free(*slot);
            *slot = got;
        }
    } else {
        /* The box fetches the real chain first, then answers the client. */
        rc = mw_tls_talk(g->cctx[sp->interceptor == MW_KZ ? MW_FP_KZBOX
                                                          : MW_FP_CORPBOX],
                         h->srv, sp->sni, NULL, NULL, 0, req, reqlen, resp,
                         resplen, &up);
        if (rc == 0) {
            rc = mw_tls_talk(g->cctx[sp->fp], box, sp->sni, NULL, NULL,
                             sp->incomplete, req, reqlen, resp, resplen,
                             &ss->conv);
        }
        if (rc == 0 && sp->v->server_side) {
            mw_conv_free(&ss->conv);
            ss->conv = up;
            memset(&up, 0, sizeof(up));
            ss->client_box = 1;
        } else {
            ss->server_box = 1;
        }
        mw_conv_free(&up);
    }
    if (rc) {
        return -1;
    }
    ss->visible = !sp->incomplete && !ss->conv.resumed && ss->conv.version
                  && strcmp(ss->conv.version, "TLSv1.3") != 0;
    client_ep(&ss->c, sp->v, g->sess_no);
    server_ep(&ss->s, sp->v, sp->server);
    if (sp->v->server_side) {
        ss->c.ttl = ss->client_box ? MW_BOX_TTL : sp->v->far_ttl;
        ss->s.ttl = sp->v->near_ttl;
    } else {
        ss->c.ttl = sp->v->near_ttl;
        ss->s.ttl = sp->v->far_ttl;
    }
    return 0;
}

/* Lays one session out as TCP; bulk bytes of app data after the handshake. */
static uint64_t
lay_out(mw_gen_t *g, const mw_spec_t *sp, mw_sess_t *ss, uint64_t ts_us,
        size_t bulk)
{
    mw_tcp_t t;
    uint32_t isn_c = (uint32_t) mw_rng_u64(&g->rng);
    uint32_t isn_s = (uint32_t) mw_rng_u64(&g->rng);
    size_t i;

    mw_tcp_open(&t, &g->pcap, &ss->c, &ss->s, isn_c, isn_s, ts_us,
                sp->v->rtt_us, sp->v->server_side ? MW_S2C : MW_C2S);
    for (i = 0; i < ss->conv.n; i++) {
        const mw_flight_t *f = &ss->conv.fl[i];

        if (i == ss->conv.hs_n && bulk) {
            unsigned char rec[16384 + 5 + 17];
            size_t left = bulk, k;

            while (left) {
                /* Records of random bytes: real framing, no real cipher. */
                k = left < sizeof(rec) - 5 ? left : sizeof(rec) - 5;
                rec[0] = 23;
                rec[1] = 3;
                rec[2] = 3;
                rec[3] = (unsigned char) (k >> 8);
                rec[4] = (unsigned char) k;
                mw_rng_fill(&g->rng, rec + 5, k);
                mw_tcp_data(&t, MW_S2C, rec, k + 5, 0);
                left -= k;
            }
        }
        mw_tcp_data(&t, f->dir, f->buf, f->len, 0);
        if (i == 0 && ss->server_box && !sp->v->server_side) {
            /* From here on the box speaks for the server. */
            t.ep[1].ttl = MW_BOX_TTL;
        }
    }
    if (sp->incomplete) {
        mw_tcp_idle(&t, 10 * MW_US);    /* the client gives up */
    }
    mw_tcp_close(&t);
    return t.now_us;
}

static int
era_of(uint64_t ts_us)
{
    uint64_t d = ts_us / MW_DAY_US;

    if (d < 1563494400ULL / 86400) {           /* 2019-07-19 */
        return 0;
    }
    return d < 1564444800ULL / 86400 ? 1 : 2;  /* 2019-07-30 */
}

static int
run(mw_gen_t *g, const mw_spec_t *sp)
{
    mw_sess_t ss;
    uint64_t ts = sp->ts_us > g->clock_us ? sp->ts_us : g->clock_us;

    g->sess_no++;
    if (make_session(g, sp, &ss, era_of(ts))) {
        fprintf(stderr, "mwgen: session %u (%s) failed\n", g->sess_no,
                sp->server);
        g->errors++;
        return -1;
    }
    g->clock_us = lay_out(g, sp, &ss, ts, 0) + 250000;
    write_truth(g, sp, &ss, ts);
    mw_conv_free(&ss.conv);
    return 0;
}

static void
spec_init(mw_spec_t *sp, const mw_vantage_t *v, const char *host, int fp,
          uint64_t ts)
{
    memset(sp, 0, sizeof(*sp));
    sp->v = v;
    sp->sni = host;
    sp->server = host;
    sp->fp = fp;
    sp->ts_us = ts;
}

static const char *
pick_host(unsigned i)
{
    /* Two targets for each other site. */
    return (i % 3 == 2) ? mw_others[(i / 3) % NELEM(mw_others)]
                        : mw_targets[(i - i / 3) % NELEM(mw_targets)];
}

static void
scenario_clean(mw_gen_t *g, unsigned n)
{
    uint64_t t0 = (MW_T_20190714 + 5 * 86400ULL + 9 * 3600ULL) * MW_US;
    const char *prev = NULL;
    mw_spec_t sp;
    unsigned i;

    for (i = 0; i < n; i++) {
        const mw_vantage_t *v = &mw_vantages[(i / 6) % 2 ? V_ASTANA6 : V_OTHER];
        const char *host = pick_host(i);

        switch (i % 6) {
        case 1:
        case 4:
            spec_init(&sp, v, host, MW_FP_BROWSER12, t0);
            break;
        case 2:
            /* Resumes the session of the one before (same host). */
            spec_init(&sp, v, prev ? prev : host, MW_FP_BROWSER12, t0);
            sp.resume = 1;
            break;
        case 5:
            spec_init(&sp, v, host, MW_FP_BROWSER13, t0);
            sp.incomplete = 1;
            break;
        default:
            spec_init(&sp, v, host, MW_FP_BROWSER13, t0);
            break;
        }
        prev = sp.server;
        run(g, &sp);
        t0 += 3 * MW_US;
    }
}

static void
scenario_kz(mw_gen_t *g, unsigned n)
{
    uint64_t t0 = (MW_T_20190714 + 6 * 86400ULL + 8 * 3600ULL) * MW_US;
    mw_spec_t sp;
    unsigned i;

    for (i = 0; i < n; i++) {
        const mw_vantage_t *v = &mw_vantages[i % 5 == 4 ? V_SERVER
                                             : i % 2 ? V_ASTANA6 : V_ALMATY];
        const char *host = pick_host(i);

        spec_init(&sp, v, host, i % 4 < 2 ? MW_FP_BROWSER13 : MW_FP_BROWSER12,
                  t0);
        if (i == 3) {
            /* SNI facebook.com sent to an unrelated server: the forgery
             * copies that server's names, not the SNI (Censored Planet). */
            sp.sni = "facebook.com";
            sp.server = "iqala.kz";
        }
        if (v->kz_path && is_target(sp.sni)) {
            sp.interceptor = MW_KZ;
        }
        run(g, &sp);
        t0 += 2 * MW_US;
    }
}

/*
 * Clients that send no SNI (old clients, IP literals, some apps) at the
 * Almaty vantage, on the 2019 box's path: it still forges for the target
 * servers it knows by address, naming the forgery after the real server,
 * so only the leaf's names say which target it was. Every third host is
 * no target and passes untouched.
 */
static void
scenario_kz_nosni(mw_gen_t *g, unsigned n)
{
    uint64_t t0 = (MW_T_20190714 + 7 * 86400ULL + 8 * 3600ULL) * MW_US;
    mw_spec_t sp;
    unsigned i;

    for (i = 0; i < n; i++) {
        const mw_vantage_t *v = &mw_vantages[V_ALMATY];
        const char *host = pick_host(i);

        spec_init(&sp, v, host, MW_FP_BROWSER12, t0);
        sp.sni = NULL;
        if (is_target(host)) {
            sp.interceptor = MW_KZ;
        }
        run(g, &sp);
        t0 += 2 * MW_US;
    }
}

static void
scenario_corp(mw_gen_t *g, unsigned n)
{
    uint64_t t0 = (MW_T_20190714 + 11 * 86400ULL + 10 * 3600ULL) * MW_US;
    mw_spec_t sp;
    unsigned i;

    for (i = 0; i < n; i++) {
        const char *host = pick_host(i);

        spec_init(&sp, &mw_vantages[V_CORP], host,
                  i % 3 ? MW_FP_BROWSER12 : MW_FP_BROWSER13, t0);
        /* Banking and government sites are on the proxy's bypass list. */
        if (!strstr(host, "kaspi") && !strstr(host, "egov")) {
            sp.interceptor = MW_CORP;
        }
        run(g, &sp);
        t0 += 4 * MW_US;
    }
}

/* 17-26 July and 30 July - 7 August 2019 (Censored Planet). */
static int
kz_active(uint64_t day)
{
    uint64_t jul17 = 1563321600ULL / 86400, jul27 = jul17 + 10;
    uint64_t jul30 = 1564444800ULL / 86400, aug8 = jul30 + 9;

    return (day >= jul17 && day < jul27) || (day >= jul30 && day < aug8);
}

static void
scenario_timeseries(mw_gen_t *g, unsigned per_day, unsigned days,
                    unsigned nv)
{
    static const int vs[] = { V_ALMATY, V_ASTANA6, V_OTHER, V_SERVER };
    unsigned d, k, j, i = 0;
    mw_spec_t sp;

    if (nv > NELEM(vs)) {
        nv = NELEM(vs);
    }
    for (d = 0; d < days; d++) {
        uint64_t day = MW_T_20190714 / 86400 + d;
        uint64_t t = (day * 86400ULL + 9 * 3600ULL) * MW_US;

        for (k = 0; k < per_day; k++) {
            for (j = 0; j < nv; j++, i++) {
                const mw_vantage_t *v = &mw_vantages[vs[j]];
                const char *host = pick_host(i * 7 + d);

                spec_init(&sp, v, host,
                          (i + d) % 2 ? MW_FP_BROWSER12 : MW_FP_BROWSER13, t);
                if (v->kz_path && kz_active(day) && is_target(host)) {
                    sp.interceptor = MW_KZ;
                }
                run(g, &sp);
                t += 5 * MW_US;
            }
            t += 3600 * MW_US;
        }
    }
}

/*
 * Replays a pool of real sessions with fresh endpoints, sequence numbers
 * and hello randoms, plus bulk data: constant memory for any flow count.
 */
#define MW_POOL 16

static void
patch_random(mw_flight_t *f, mw_rng_t *r)
{
    /* record(5) + handshake header(4) + version(2), then 32 random bytes */
    if (f->len >= 43 && f->buf[0] == 22 && (f->buf[5] == 1 || f->buf[5] == 2)) {
        mw_rng_fill(r, f->buf + 11, 32);
    }
}

static void
scenario_scale(mw_gen_t *g, unsigned long n)
{
    uint64_t t = (MW_T_20190714 + 8 * 86400ULL) * MW_US;
    mw_spec_t pool_sp[MW_POOL];
    mw_sess_t pool[MW_POOL];
    unsigned long i;
    unsigned k, have = 0;

    for (k = 0; k < MW_POOL; k++) {
        const mw_vantage_t *v = &mw_vantages[k % 2 ? V_ASTANA6 : V_ALMATY];
        const char *host = pick_host(k);

        spec_init(&pool_sp[k], v, host,
                  k % 2 ? MW_FP_BROWSER12 : MW_FP_BROWSER13, t);
        if (is_target(host) && k % 4 == 0) {
            pool_sp[k].interceptor = MW_KZ;
        }
        g->sess_no++;
        if (make_session(g, &pool_sp[k], &pool[k], 1)) {
            g->errors++;
            break;
        }
        have++;
    }
    for (i = 0; have && i < n; i++) {
        mw_sess_t *ss = &pool[i % have];
        const mw_spec_t *sp = &pool_sp[i % have];

        g->sess_no++;
        client_ep(&ss->c, sp->v, (uint32_t) i);
        ss->c.ttl = sp->v->near_ttl;
        ss->c.port = (uint16_t) (1024 + i % 64000);
        if (!sp->v->v6) {
            ss->c.ip[1] = (uint8_t) (20 + (i / 64000) % 200);
            ss->c.ip[2] = (uint8_t) (i / 64000 / 200);
        } else {
            ss->c.ip[12] = (uint8_t) (i / 64000);
        }
        if (ss->conv.n) {
            patch_random(&ss->conv.fl[0], &g->rng);
        }
        if (ss->conv.n > 1) {
            patch_random(&ss->conv.fl[1], &g->rng);
        }
        ss->s.ttl = sp->v->far_ttl;
        /* One flow after the other keeps the capture in time order. */
        uint64_t end = lay_out(g, sp, ss, t, g->bulk);

        write_truth(g, sp, ss, t);
        t = end + 1000 + mw_rng_below(&g->rng, 4000);
    }
    for (k = 0; k < have; k++) {
        mw_conv_free(&pool[k].conv);
    }
}

static void
usage(FILE *f)
{
    fputs("usage: mwgen --seed N --out DIR --scenario NAME [options]\n"
          "scenarios: clean, kz2019, kz2019-nosni, corporate, timeseries,\n"
          "           scale\n"
          "  --name NAME      output base name (default: the scenario)\n"
          "  --sessions N     sessions (timeseries: per day and vantage;\n"
          "                   scale: flows)\n"
          "  --days D         timeseries: days from 2019-07-14 (26)\n"
          "  --vantages V     timeseries: vantage points, 1-4 (3)\n"
          "  --bulk BYTES     scale: encrypted bytes per flow (65536)\n"
          "  --fast-pki       1024-bit RSA everywhere (tests only)\n", f);
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "seed", required_argument, NULL, 's' },
        { "out", required_argument, NULL, 'o' },
        { "scenario", required_argument, NULL, 'c' },
        { "name", required_argument, NULL, 'n' },
        { "sessions", required_argument, NULL, 'N' },
        { "days", required_argument, NULL, 'd' },
        { "vantages", required_argument, NULL, 'v' },
        { "bulk", required_argument, NULL, 'b' },
        { "fast-pki", no_argument, NULL, 'F' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *out = NULL, *scen = NULL, *name = NULL;
    unsigned long sessions = 0, days = 26, nv = 3, bulk = 65536;
    char path[4096];
    mw_gen_t *g;
    int c, fast = 0, i, rc = 0;
    uint64_t seed = 0;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            seed = strtoull(optarg, NULL, 0);
            break;
        case 'o':
            out = optarg;
            break;
        case 'c':
            scen = optarg;
            break;
        case 'n':
            name = optarg;
            break;
        case 'N':
            sessions = strtoul(optarg, NULL, 0);
            break;
        case 'd':
            days = strtoul(optarg, NULL, 0);
            break;
        case 'v':
            nv = strtoul(optarg, NULL, 0);
            break;
        case 'b':
            bulk = strtoul(optarg, NULL, 0);
            break;
        case 'F':
            fast = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (out == NULL || scen == NULL || optind != argc || days > 3650
        || nv < 1 || sessions > 100000000UL) {
        usage(stderr);
        return 2;
    }
    if (name == NULL) {
        name = scen;
    }
    if (mkdir(out, 0777) != 0 && errno != EEXIST) {
        perror(out);
        return 1;
    }
    g = calloc(1, sizeof(*g));
    if (g == NULL || mw_rand_install() != 0) {
        fputs("mwgen: cannot set up\n", stderr);
        free(g);
        return 1;
    }
    g->seed = seed;
    g->bulk = bulk;
    mw_rng_seed(&g->rng, seed, scen, 0);
    mw_rand_reseed(seed, "contexts", 0);
    for (i = 0; i < MW_FP_N; i++) {
        g->cctx[i] = mw_client_ctx(i);
        if (g->cctx[i] == NULL) {
            rc = 1;
        }
    }
    if (rc || mw_pki_init(&g->pki, seed, fast) || mw_pki_write(&g->pki, out)) {
        fputs("mwgen: cannot make the test PKI\n", stderr);
        ERR_print_errors_fp(stderr);
        rc = 1;
        goto done;
    }
    snprintf(path, sizeof(path), "%s/%s.truth.jsonl", out, name);
    g->truth = fopen(path, "w");
    snprintf(path, sizeof(path), "%s/%s.pcap", out, name);
    if (g->truth == NULL || mw_pcap_open(&g->pcap, path)) {
        perror(path);
        rc = 1;
        goto done;
    }
    if (strcmp(scen, "clean") == 0) {
        scenario_clean(g, sessions ? (unsigned) sessions : 24);
    } else if (strcmp(scen, "kz2019") == 0) {
        scenario_kz(g, sessions ? (unsigned) sessions : 40);
    } else if (strcmp(scen, "kz2019-nosni") == 0) {
        scenario_kz_nosni(g, sessions ? (unsigned) sessions : 6);
    } else if (strcmp(scen, "corporate") == 0) {
        scenario_corp(g, sessions ? (unsigned) sessions : 16);
    } else if (strcmp(scen, "timeseries") == 0) {
        scenario_timeseries(g, sessions ? (unsigned) sessions : 3,
                            (unsigned) days, (unsigned) nv);
    } else if (strcmp(scen, "scale") == 0) {
        scenario_scale(g, sessions ? sessions : 1000);
    } else {
        fprintf(stderr, "mwgen: unknown scenario %s\n", scen);
        rc = 2;
    }
    if (g->errors) {
        rc = 1;
    }
done:
    if (mw_pcap_close(&g->pcap) || (g->truth && fclose(g->truth))) {
        rc = 1;
    }
    for (i = 0; i < MW_RESUME_SLOTS; i++) {
        SSL_SESSION_free(g->resume[i].sess);
    }
    for (i = 0; i < MW_FP_N; i++) {
        SSL_CTX_free(g->cctx[i]);
    }
    mw_pki_free(&g->pki);
    free(g);
    return rc;
}

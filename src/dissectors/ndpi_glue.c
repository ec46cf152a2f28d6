/*
 * ndpi_glue.c - drives nDPI 4.2 per flow the way ndpiReader does.
 *
 * nDPI's headers are included as system headers (-isystem): they do not
 * build warning-free under our flags.
 */
#include "dissectors/ndpi_glue.h"

#include <stdlib.h>
#include <string.h>

#include <ndpi_api.h>

struct mw_ndpi {
    struct ndpi_detection_module_struct *mod;
    uint32_t max_packets;
    mw_ndpi_stats stats;
};

struct mw_ndpi_flow {
    struct ndpi_flow_struct *nf; /* NULL once dissection is over */
    ndpi_protocol proto;
    ndpi_risk risk;
    uint32_t packets; /* handed to nDPI */
    bool done;
    bool guessed;
    char name[MW_NDPI_NAME_LEN];
};

/* Only compiled into debug builds of libndpi; installed anyway so such a
 * build cannot write to our stdout/stderr. */
static void mw_ndpi_quiet(u_int32_t protocol, void *module, ndpi_log_level_t level,
                          const char *file, const char *func, unsigned line,
                          const char *format, ...)
{
    (void)protocol;
    (void)module;
    (void)level;
    (void)file;
    (void)func;
    (void)line;
    (void)format;
}

mw_ndpi *mw_ndpi_new(void)
{
    mw_ndpi *n = calloc(1, sizeof(*n));
    if (n == NULL)
        return NULL;
    n->max_packets = MW_NDPI_DEFAULT_MAX_PACKETS;
    n->mod = ndpi_init_detection_module(ndpi_no_prefs);
    if (n->mod == NULL) {
        free(n);
        return NULL;
    }
    set_ndpi_debug_function(n->mod, mw_ndpi_quiet);
    ndpi_set_log_level(n->mod, NDPI_LOG_ERROR);

    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(n->mod, &all);
    ndpi_finalize_initialization(n->mod);
    return n;
}

void mw_ndpi_free(mw_ndpi *n)
{
    if (n == NULL)
        return;
    ndpi_exit_detection_module(n->mod);
    free(n);
}

void mw_ndpi_set_max_packets(mw_ndpi *n, uint32_t max_packets)
{
    n->max_packets = max_packets ? max_packets : MW_NDPI_DEFAULT_MAX_PACKETS;
}

const mw_ndpi_stats *mw_ndpi_get_stats(const mw_ndpi *n)
{
    return &n->stats;
}

static void set_name(mw_ndpi *n, mw_ndpi_flow *f)
{
    ndpi_protocol2name(n->mod, f->proto, f->name, sizeof(f->name));
}

mw_ndpi_flow *mw_ndpi_flow_new(mw_ndpi *n)
{
    mw_ndpi_flow *f = calloc(1, sizeof(*f));
    if (f != NULL) {
        /* nDPI frees what ndpi_flow_malloc() returns; it expects zeroes. */
        f->nf = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT);
        if (f->nf == NULL) {
            free(f);
            f = NULL;
        }
    }
    if (f == NULL) {
        n->stats.flows_alloc_failed++;
        return NULL;
    }
    memset(f->nf, 0, SIZEOF_FLOW_STRUCT);
    n->stats.flows++;
    set_name(n, f);
    return f;
}

static void release(mw_ndpi_flow *f)
{
    if (f->nf != NULL) {
        ndpi_flow_free(f->nf);
        f->nf = NULL;
    }
}

void mw_ndpi_flow_free(mw_ndpi *n, mw_ndpi_flow *f)
{
    (void)n;
    if (f == NULL)
        return;
    release(f);
    free(f);
}

/* Makes nDPI decide with what it has, guessing from ports and addresses
 * if it must. Also called on flows already named but still in extra
 * dissection when they end, as ndpiReader does: nDPI may set final risks
 * then. */
static void give_up(mw_ndpi *n, mw_ndpi_flow *f)
{
    bool named = f->proto.app_protocol != NDPI_PROTOCOL_UNKNOWN;
    /* With no packet, nDPI has no ports or addresses to guess from. */
    if (f->packets > 0) {
        uint8_t guessed = 0;
        f->proto = ndpi_detection_giveup(n->mod, f->nf, 1, &guessed);
        f->guessed = guessed != 0;
    }
    if (named) {
        n->stats.flows_classified++;
        return;
    }
    n->stats.flows_given_up++;
    if (f->proto.app_protocol == NDPI_PROTOCOL_UNKNOWN &&
        f->proto.master_protocol == NDPI_PROTOCOL_UNKNOWN)
        n->stats.flows_unknown++;
    else if (f->guessed)
        n->stats.flows_guessed++;
}

/* The name is final: keep the result, drop nDPI's state. */
static void settle(mw_ndpi *n, mw_ndpi_flow *f)
{
    f->risk = f->nf->risk;
    set_name(n, f);
    release(f);
    f->done = true;
}

bool mw_ndpi_packet(mw_ndpi *n, mw_ndpi_flow *f, const mw_packet *pkt)
{
    if (f == NULL || f->done)
        return false;
    size_t len = mw_cursor_len(&pkt->l3);
    if (len == 0) {
        n->stats.packets_no_l3++;
        return true;
    }
    if (len > 65535) {
        len = 65535;
        n->stats.packets_clipped++;
    }
    f->packets++;
    n->stats.packets++;

    ndpi_protocol p = ndpi_detection_process_packet(
        n->mod, f->nf, mw_cursor_data(&pkt->l3), (unsigned short)len,
        pkt->ts_us / 1000);
    bool capped = f->packets >= n->max_packets;

    if (p.app_protocol == NDPI_PROTOCOL_UNKNOWN) {
        f->proto = p;
        if (!capped) {
            f->risk = f->nf->risk;
            return true;
        }
        n->stats.flows_cap_hit++;
        give_up(n, f);
    } else {
        bool changed = p.app_protocol != f->proto.app_protocol ||
                       p.master_protocol != f->proto.master_protocol;
        f->proto = p;
        /* Detected, but nDPI may still learn more (TLS certificate, DNS
         * answer): ndpiReader keeps feeding it, so we do too. */
        if (ndpi_extra_dissection_possible(n->mod, f->nf)) {
            if (!capped) {
                f->risk = f->nf->risk;
                if (changed)
                    set_name(n, f);
                return true;
            }
            n->stats.flows_cap_hit++;
        }
        n->stats.flows_classified++;
    }
    settle(n, f);
    return false;
}

void mw_ndpi_finish(mw_ndpi *n, mw_ndpi_flow *f)
{
    if (f == NULL || f->done)
        return;
    give_up(n, f);
    settle(n, f);
}

const char *mw_ndpi_app_name(const mw_ndpi_flow *f)
{
    return f != NULL ? f->name : "Unknown";
}

bool mw_ndpi_guessed(const mw_ndpi_flow *f)
{
    return f != NULL && f->guessed;
}

size_t mw_ndpi_risks(const mw_ndpi_flow *f, const char **names, size_t max)
{
    if (f == NULL)
        return 0;
    size_t count = 0;
    /* Bit 0 is NDPI_NO_RISK. Bits past the enum would make ndpi_risk2str()
     * format into a static buffer, which is not thread-safe. */
    for (int r = 1; r < (int)NDPI_MAX_RISK && r < 64; r++) {
        if (!((f->risk >> r) & 1u))
            continue;
        if (count < max)
            names[count] = ndpi_risk2str((ndpi_risk_enum)r);
        count++;
    }
    return count;
}

/*
 * The cipher suites nDPI 4.2's ndpi_cipher2str() names. For any other value
 * it formats into a static buffer shared by all threads, so we never ask it
 * about those: the ranges below were listed from libndpi 4.2.0 by calling
 * it on every 16-bit value once.
 */
static const struct {
    uint16_t lo, hi;
} mw_ndpi_cipher_ranges[] = {
    {0x0000, 0x001b}, {0x001e, 0x0046}, {0x0067, 0x006d}, {0x0084, 0x00c7},
    {0x00ff, 0x00ff}, {0x0a0a, 0x0a0a}, {0x1301, 0x1305}, {0x1a1a, 0x1a1a},
    {0x2a2a, 0x2a2a}, {0x3a3a, 0x3a3a}, {0x4a4a, 0x4a4a}, {0x5600, 0x5600},
    {0x5a5a, 0x5a5a}, {0x6a6a, 0x6a6a}, {0x7a7a, 0x7a7a}, {0x8a8a, 0x8a8a},
    {0x9a9a, 0x9a9a}, {0xaaaa, 0xaaaa}, {0xbaba, 0xbaba}, {0xc001, 0xc0b5},
    {0xc100, 0xc102}, {0xcaca, 0xcaca}, {0xcca8, 0xccae}, {0xd001, 0xd003},
    {0xd005, 0xd005}, {0xdada, 0xdada}, {0xeaea, 0xeaea}, {0xfafa, 0xfafa},
};

const char *mw_ndpi_cipher_name(uint16_t cipher)
{
    size_t n = sizeof(mw_ndpi_cipher_ranges) / sizeof(mw_ndpi_cipher_ranges[0]);
    for (size_t i = 0; i < n; i++) {
        if (cipher < mw_ndpi_cipher_ranges[i].lo)
            break;
        if (cipher <= mw_ndpi_cipher_ranges[i].hi)
            return ndpi_cipher2str(cipher);
    }
    return NULL;
}

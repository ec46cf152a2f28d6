/*
 * jsonparse.c - see jsonparse.h.
 *
 * Parsing is jansson's (Debian's libjansson, fuzzed by OSS-Fuzz): this file
 * only adds what mitmwatch needs on top, and views jansson's tree through
 * the small mw_jv API its callers were written against.
 *
 * What jansson is asked for: strict RFC 8259 (no NaN, no Infinity, no
 * comments), any value at the top (JSON_DECODE_ANY), duplicate member names
 * refused (JSON_REJECT_DUPLICATES: a forged file cannot show one value to
 * mitmwatch and another to jq), \u0000 refused (the default; callers get
 * C strings). jansson counts columns in characters, as an editor does.
 *
 * What is added:
 *  - Integers from 2^63 to 2^64-1. jansson's json_int_t is long long and
 *    it refuses larger ones ("too big integer"), but mitmwatch writes
 *    uint64 values, one of them taken from the wire (an RSA exponent, up to
 *    eight bytes, in a certificate an attacker chose). Only when jansson
 *    refuses for that reason is the text scanned (through mw_cursor) for
 *    such numbers; each is blanked in a copy ("0" and spaces, same length,
 *    so positions do not move) and its value kept aside by its rank among
 *    the document's numbers. jansson keeps object members in document order
 *    and duplicates are refused, so a depth-first walk of the tree meets the
 *    numbers in that same order and puts each value back.
 *  - The depth cap, MW_JSON_PARSE_MAX_DEPTH (jansson's own is 2048): the
 *    walk that builds the view stops there, so it recurses no deeper, and
 *    the error's position is found by a scan of the text.
 *  - Indexed access to members (jansson objects are hash tables iterated in
 *    order): the view holds each container's members in arrays.
 *
 * The view's nodes and arrays are three allocations sized by a first walk;
 * strings and names point into jansson's tree, which lives as long as the
 * document.
 */
#include "common/jsonparse.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cursor.h"

struct mw_jv {
    mw_jv_type type;
    bool flag;          /* BOOL: the value; NUMBER: an integer (no fraction or exponent) */
    bool negative;      /* NUMBER, integer: below zero */
    uint64_t magnitude; /* NUMBER, integer: its absolute value */
    double real;        /* NUMBER, not an integer */
    size_t len;         /* STRING: bytes of str; ARRAY, OBJECT: members */
    const char *str;    /* STRING: UTF-8, NUL-terminated (jansson's copy) */
    const mw_jv **kids; /* ARRAY: elements; OBJECT: member values */
    const char **keys;  /* OBJECT: member names, parallel to kids */
};

/* A number jansson could not hold: its rank among the document's numbers. */
typedef struct big_number {
    size_t rank;
    uint64_t value;
} big_number;

struct mw_jdoc {
    json_t *tree;     /* jansson's, owns the strings */
    mw_jv *nodes;     /* the view, root first */
    const mw_jv **kids;
    const char **keys;
};

/* ---- errors ---- */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* jansson sets line -1 for errors with no place in the text (memory), and
 * column 0 when nothing of the line was read (the end of an empty text):
 * that is the line's first column. */
static void set_json_err(char *err, size_t errlen, const json_error_t *e)
{
    if (e->line > 0)
        set_err(err, errlen, "line %d, column %d: %s", e->line, e->column > 0 ? e->column : 1,
                e->text);
    else
        set_err(err, errlen, "%s", e->text);
}

/* ---- the text scans (only when jansson's answer needs one) ---- */

typedef struct scan {
    mw_cursor cur;
    size_t line, col; /* 1-based, of the next byte; columns count characters */
} scan;

static bool scan_next(scan *s, uint8_t *b)
{
    if (!mw_cursor_get_u8(&s->cur, b))
        return false;
    if (*b == '\n') {
        s->line++;
        s->col = 1;
    } else if ((*b & 0xc0) != 0x80) {
        s->col++;
    }
    return true;
}

/* Past a string whose opening quote was read. Escapes are skipped whole
 * (jansson has validated them, or will refuse the text anyway). */
static void scan_string(scan *s)
{
    uint8_t b;
    while (scan_next(s, &b)) {
        if (b == '"')
            return;
        if (b == '\\')
            (void)scan_next(s, &b);
    }
}

/* Where the container opening past the cap begins. Called only on a text
 * jansson accepted, so brackets inside strings are the only trap. */
static void scan_depth(const uint8_t *text, size_t len, size_t *line, size_t *col)
{
    scan s = {.line = 1, .col = 1};
    uint8_t b;
    int depth = 0;
    mw_cursor_init(&s.cur, text, len);
    *line = *col = 0;
    for (;;) {
        size_t l = s.line, c = s.col;
        if (!scan_next(&s, &b))
            return;
        if (b == '"') {
            scan_string(&s);
        } else if (b == '[' || b == '{') {
            if (++depth > MW_JSON_PARSE_MAX_DEPTH) {
                *line = l;
                *col = c;
                return;
            }
        } else if (b == ']' || b == '}') {
            depth--;
        }
    }
}

static bool is_digit(uint8_t b)
{
    return b >= '0' && b <= '9';
}

static bool is_number_byte(uint8_t b)
{
    return is_digit(b) || b == '-' || b == '+' || b == '.' || b == 'e' || b == 'E';
}

/* Copies text into *out with every integer in (INT64_MAX, UINT64_MAX]
 * blanked, and lists them in *bigs by rank. Numbers are runs of number
 * bytes outside strings; the literals true, false and null hold none that
 * can start one. False on out of memory. */
static bool blank_big_numbers(const uint8_t *text, size_t len, uint8_t **out,
                              big_number **bigs, size_t *nbigs)
{
    scan s = {.line = 1, .col = 1};
    size_t rank = 0, cap = 0;
    uint8_t b;
    *nbigs = 0;
    *bigs = NULL;
    *out = malloc(len ? len : 1);
    if (!*out)
        return false;
    if (len)
        memcpy(*out, text, len);
    mw_cursor_init(&s.cur, text, len);
    while (mw_cursor_peek_u8(&s.cur, 0, &b)) {
        if (b == '"') {
            (void)scan_next(&s, &b);
            scan_string(&s);
            continue;
        }
        if (b != '-' && !is_digit(b)) {
            (void)scan_next(&s, &b);
            continue;
        }
        size_t start = len - mw_cursor_len(&s.cur), n = 0;
        uint64_t v = 0;
        bool plain = b != '0', fits = true; /* digits only, no leading zero */
        while (mw_cursor_peek_u8(&s.cur, 0, &b) && is_number_byte(b)) {
            (void)scan_next(&s, &b);
            n++;
            if (!is_digit(b)) {
                plain = false;
            } else if (v > (UINT64_MAX - (unsigned)(b - '0')) / 10) {
                fits = false;
            } else {
                v = v * 10 + (unsigned)(b - '0');
            }
        }
        if (plain && fits && v > (uint64_t)INT64_MAX) {
            if (*nbigs == cap) {
                size_t ncap = cap ? cap * 2 : 8;
                big_number *nb = realloc(*bigs, ncap * sizeof **bigs);
                if (!nb)
                    return false;
                *bigs = nb;
                cap = ncap;
            }
            (*bigs)[(*nbigs)++] = (big_number){rank, v};
            (*out)[start] = '0';
            memset(*out + start + 1, ' ', n - 1);
        }
        rank++;
    }
    return true;
}

/* ---- the view ---- */

typedef struct builder {
    mw_jv *nodes;
    const mw_jv **kids;
    const char **keys;
    size_t n_nodes, n_kids, n_keys; /* used (second walk) or needed (first) */
    const big_number *bigs;
    size_t n_bigs, next_big, numbers; /* numbers met so far, in order */
} builder;

/* First walk: how much the view needs. False if nested past the cap. */
static bool count(builder *b, const json_t *j, int depth)
{
    b->n_nodes++;
    if (json_is_array(j) || json_is_object(j)) {
        if (depth >= MW_JSON_PARSE_MAX_DEPTH)
            return false;
        size_t n = json_is_array(j) ? json_array_size(j) : json_object_size(j);
        b->n_kids += n;
        if (json_is_object(j))
            b->n_keys += n;
        if (json_is_array(j)) {
            for (size_t i = 0; i < n; i++)
                if (!count(b, json_array_get(j, i), depth + 1))
                    return false;
        } else {
            for (void *it = json_object_iter((json_t *)j); it;
                 it = json_object_iter_next((json_t *)j, it))
                if (!count(b, json_object_iter_value(it), depth + 1))
                    return false;
        }
    }
    return true;
}

static void set_number(builder *b, mw_jv *v, const json_t *j)
{
    v->type = MW_JV_NUMBER;
    if (b->next_big < b->n_bigs && b->bigs[b->next_big].rank == b->numbers) {
        /* Blanked to 0 in the text jansson read: the real value. */
        v->flag = true;
        v->magnitude = b->bigs[b->next_big++].value;
    } else if (json_is_integer(j)) {
        json_int_t i = json_integer_value(j);
        v->flag = true;
        v->negative = i < 0;
        /* -(i + 1) + 1 stays in range for LLONG_MIN. */
        v->magnitude = i < 0 ? (uint64_t)(-(i + 1)) + 1 : (uint64_t)i;
    } else {
        v->real = json_real_value(j);
    }
    b->numbers++;
}

/* Second walk: fills the node it is given (children go after it). */
static void build(builder *b, mw_jv *v, const json_t *j)
{
    memset(v, 0, sizeof *v);
    switch (json_typeof(j)) {
    case JSON_OBJECT:
    case JSON_ARRAY: {
        bool obj = json_is_object(j);
        size_t n = obj ? json_object_size(j) : json_array_size(j);
        v->type = obj ? MW_JV_OBJECT : MW_JV_ARRAY;
        v->len = n;
        if (n == 0)
            break;
        mw_jv *first = b->nodes + b->n_nodes;
        v->kids = b->kids + b->n_kids;
        b->n_nodes += n;
        b->n_kids += n;
        if (obj) {
            v->keys = b->keys + b->n_keys;
            b->n_keys += n;
        }
        /* Children are placed together, then each is filled (its own
         * children land after all of these): document order is kept for
         * the numbers because each is filled before the next sibling. */
        size_t i = 0;
        if (obj) {
            for (void *it = json_object_iter((json_t *)j); it && i < n;
                 it = json_object_iter_next((json_t *)j, it), i++) {
                v->keys[i] = json_object_iter_key(it);
                v->kids[i] = first + i;
                build(b, first + i, json_object_iter_value(it));
            }
        } else {
            for (; i < n; i++) {
                v->kids[i] = first + i;
                build(b, first + i, json_array_get(j, i));
            }
        }
        break;
    }
    case JSON_STRING:
        v->type = MW_JV_STRING;
        v->str = json_string_value(j);
        v->len = json_string_length(j);
        break;
    case JSON_INTEGER:
    case JSON_REAL:
        set_number(b, v, j);
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        v->type = MW_JV_BOOL;
        v->flag = json_is_true(j);
        break;
    case JSON_NULL:
        v->type = MW_JV_NULL;
        break;
    }
}

/* ---- documents ---- */

#define LOAD_FLAGS (JSON_DECODE_ANY | JSON_REJECT_DUPLICATES)

mw_jdoc *mw_jdoc_parse(const uint8_t *text, size_t len, char *err, size_t errlen)
{
    json_error_t e;
    uint8_t *blanked = NULL;
    big_number *bigs = NULL;
    size_t nbigs = 0;
    if (err && errlen)
        err[0] = '\0';
    if (!text)
        text = (const uint8_t *)"";
    json_t *tree = json_loadb((const char *)text, len, LOAD_FLAGS, &e);
    if (!tree && json_error_code(&e) == json_error_numeric_overflow) {
        if (!blank_big_numbers(text, len, &blanked, &bigs, &nbigs)) {
            free(blanked);
            free(bigs);
            set_err(err, errlen, "out of memory");
            return NULL;
        }
        /* Still refused if a number is out of every range (below INT64_MIN,
         * above UINT64_MAX, or a real beyond double). */
        if (nbigs)
            tree = json_loadb((const char *)blanked, len, LOAD_FLAGS, &e);
        free(blanked);
    }
    if (!tree) {
        free(bigs);
        set_json_err(err, errlen, &e);
        return NULL;
    }
    builder b = {.bigs = bigs, .n_bigs = nbigs};
    if (!count(&b, tree, 0)) {
        size_t line, col;
        scan_depth(text, len, &line, &col);
        set_err(err, errlen, "line %zu, column %zu: nested deeper than %d levels", line, col,
                MW_JSON_PARSE_MAX_DEPTH);
        json_decref(tree);
        free(bigs);
        return NULL;
    }
    mw_jdoc *doc = calloc(1, sizeof *doc);
    if (doc) {
        doc->tree = tree;
        doc->nodes = calloc(b.n_nodes, sizeof *doc->nodes);
        doc->kids = b.n_kids ? calloc(b.n_kids, sizeof(const mw_jv *)) : NULL;
        doc->keys = b.n_keys ? calloc(b.n_keys, sizeof *doc->keys) : NULL;
    }
    if (!doc || !doc->nodes || (b.n_kids && !doc->kids) || (b.n_keys && !doc->keys)) {
        if (doc)
            mw_jdoc_free(doc);
        else
            json_decref(tree);
        free(bigs);
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    b.nodes = doc->nodes;
    b.kids = doc->kids;
    b.keys = doc->keys;
    b.n_nodes = 1;
    b.n_kids = b.n_keys = 0;
    build(&b, doc->nodes, tree);
    free(bigs);
    return doc;
}

/* Reads at most max_bytes, then one more byte to tell "exactly the limit"
 * from "over it" without trusting a size that may change under us. */
static uint8_t *read_bounded(FILE *f, const char *path, size_t max_bytes, size_t *len,
                             char *err, size_t errlen)
{
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : (size_t)64 * 1024;
            if (ncap < cap || ncap - 1 > max_bytes)
                ncap = max_bytes == SIZE_MAX ? SIZE_MAX : max_bytes + 1;
            if (ncap <= cap) {
                free(buf);
                set_err(err, errlen, "%s: larger than %zu bytes", path, max_bytes);
                return NULL;
            }
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                set_err(err, errlen, "%s: out of memory", path);
                return NULL;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n > max_bytes) {
            free(buf);
            set_err(err, errlen, "%s: larger than %zu bytes", path, max_bytes);
            return NULL;
        }
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        int e = errno;
        free(buf);
        set_err(err, errlen, "%s: read error: %s", path, strerror(e));
        return NULL;
    }
    *len = n;
    return buf;
}

mw_jdoc *mw_jdoc_load_file(const char *path, size_t max_bytes, char *err, size_t errlen)
{
    char msg[256];
    size_t len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_err(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    uint8_t *text = read_bounded(f, path, max_bytes, &len, err, errlen);
    fclose(f);
    if (!text)
        return NULL;
    mw_jdoc *doc = mw_jdoc_parse(text, len, msg, sizeof msg);
    free(text);
    if (!doc)
        set_err(err, errlen, "%s: %s", path, msg);
    return doc;
}

void mw_jdoc_free(mw_jdoc *doc)
{
    if (!doc)
        return;
    json_decref(doc->tree);
    free(doc->nodes);
    free(doc->kids);
    free(doc->keys);
    free(doc);
}

const mw_jv *mw_jdoc_root(const mw_jdoc *doc)
{
    return doc ? doc->nodes : NULL;
}

/* ---- accessors ---- */

mw_jv_type mw_jv_type_of(const mw_jv *v)
{
    return v ? v->type : MW_JV_NULL;
}

/* A linear search: callers look up a handful of names in objects of a few
 * dozen members, where it beats hashing; names are unique (duplicates are
 * refused at parse time). */
const mw_jv *mw_jv_get(const mw_jv *obj, const char *key)
{
    if (!obj || obj->type != MW_JV_OBJECT || !key)
        return NULL;
    for (size_t i = 0; i < obj->len; i++)
        if (strcmp(obj->keys[i], key) == 0)
            return obj->kids[i];
    return NULL;
}

size_t mw_jv_len(const mw_jv *v)
{
    if (!v || (v->type != MW_JV_ARRAY && v->type != MW_JV_OBJECT))
        return 0;
    return v->len;
}

const mw_jv *mw_jv_at(const mw_jv *arr_or_obj, size_t i)
{
    if (i >= mw_jv_len(arr_or_obj))
        return NULL;
    return arr_or_obj->kids[i];
}

const char *mw_jv_key_at(const mw_jv *obj, size_t i)
{
    if (!obj || obj->type != MW_JV_OBJECT || i >= obj->len)
        return NULL;
    return obj->keys[i];
}

const char *mw_jv_str(const mw_jv *v, size_t *len)
{
    if (!v || v->type != MW_JV_STRING) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = v->len;
    return v->str;
}

bool mw_jv_bool(const mw_jv *v, bool *out)
{
    if (!v || v->type != MW_JV_BOOL)
        return false;
    *out = v->flag;
    return true;
}

/* -0 is accepted as 0: it is an integer of value zero. */
bool mw_jv_u64(const mw_jv *v, uint64_t *out)
{
    if (!v || v->type != MW_JV_NUMBER || !v->flag || v->negative)
        return false;
    *out = v->magnitude;
    return true;
}

bool mw_jv_i64(const mw_jv *v, int64_t *out)
{
    if (!v || v->type != MW_JV_NUMBER || !v->flag)
        return false;
    uint64_t m = v->magnitude;
    if (!v->negative) {
        if (m > (uint64_t)INT64_MAX)
            return false;
        *out = (int64_t)m;
    } else {
        /* -(m - 1) - 1 stays in range even for INT64_MIN (m is never 0). */
        *out = -(int64_t)(m - 1) - 1;
    }
    return true;
}

/* jansson refuses a real beyond double's range at parse time, and reads one
 * that underflows as the nearest representable value. */
bool mw_jv_double(const mw_jv *v, double *out)
{
    if (!v || v->type != MW_JV_NUMBER)
        return false;
    if (!v->flag)
        *out = v->real;
    else
        *out = v->negative ? -(double)v->magnitude : (double)v->magnitude;
    return true;
}

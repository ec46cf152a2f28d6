/*
 * jsonparse.c - see jsonparse.h.
 *
 * A recursive-descent parser over an mw_cursor: the text is as hostile as a
 * capture (a summary file may have been edited, truncated or forged), so no
 * byte is touched except through the cursor, and recursion is bounded by
 * MW_JSON_PARSE_MAX_DEPTH.
 *
 * Every value, string and member array lives in an arena owned by the
 * document, so a tree is freed in one sweep and a parse that fails half-way
 * leaks nothing. While a container is open its members are collected on one
 * stack shared by all levels (an inner container always closes before the
 * outer one resumes, so the stack discipline holds) and copied into an
 * exactly sized array when it closes.
 *
 * Positions are 1-based; columns count characters, not bytes (UTF-8
 * continuation bytes do not advance them), which is what an editor shows.
 */
#include "common/jsonparse.h"

#include <errno.h>
#include <math.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cursor.h"

struct mw_jv {
    mw_jv_type type;
    bool flag;          /* BOOL: the value; NUMBER: no fraction or exponent */
    size_t len;         /* STRING, NUMBER: bytes of str; ARRAY, OBJECT: members */
    const char *str;    /* STRING: decoded UTF-8; NUMBER: the text as written */
    const mw_jv **kids; /* ARRAY: elements; OBJECT: member values */
    const char **keys;  /* OBJECT: member names, parallel to kids */
};

/* Most blocks are this size; an allocation over a quarter of it gets a
 * block of its own so it does not waste the rest of the current one. */
#define ARENA_BLOCK ((size_t)64 * 1024)

typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    max_align_t data[]; /* max_align_t so every offset rounding is valid */
} arena_block;

struct mw_jdoc {
    arena_block *blocks; /* the head is the one being filled */
    const mw_jv *root;
};

typedef struct pos {
    size_t line, col;
} pos;

/* A member while its container is open; key is NULL in arrays. */
typedef struct member {
    const char *key;
    const mw_jv *val;
} member;

typedef struct parser {
    mw_cursor cur;
    pos at; /* of the next unread byte */
    mw_jdoc *doc;
    char *scratch; /* the string being decoded */
    size_t scratch_len, scratch_cap;
    member *stack;
    size_t stack_len, stack_cap;
    char *err;
    size_t errlen;
} parser;

/* ---- arena ---- */

static void *arena_alloc(mw_jdoc *doc, size_t n, size_t align)
{
    arena_block *b = doc->blocks;
    if (b) {
        size_t off = (b->used + align - 1) & ~(align - 1);
        if (off <= b->cap && b->cap - off >= n) {
            b->used = off + n;
            return (unsigned char *)b->data + off;
        }
    }
    bool own = n > ARENA_BLOCK / 4;
    size_t cap = own ? n : ARENA_BLOCK;
    if (cap > SIZE_MAX - sizeof(arena_block))
        return NULL;
    arena_block *nb = malloc(sizeof(arena_block) + cap);
    if (!nb)
        return NULL;
    nb->cap = cap;
    nb->used = n;
    if (own && b) {
        /* Behind the head: the head keeps serving small allocations. */
        nb->next = b->next;
        b->next = nb;
    } else {
        nb->next = b;
        doc->blocks = nb;
    }
    return nb->data;
}

static char *arena_strdup(mw_jdoc *doc, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *d = arena_alloc(doc, n + 1, 1);
    if (!d)
        return NULL;
    if (n)
        memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* ---- errors and reading ---- */

static void fail_at(parser *p, pos at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Only the first error is kept: callers unwind by returning false/NULL and
 * never overwrite the message of the error that stopped them. */
static void fail_at(parser *p, pos at, const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    if (!p->err || p->errlen == 0 || p->err[0])
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(p->err, p->errlen, "line %zu, column %zu: %s", at.line, at.col, msg);
}

static void fail_oom(parser *p)
{
    if (p->err && p->errlen && !p->err[0])
        snprintf(p->err, p->errlen, "out of memory");
}

/* Names a byte for a message; printable ASCII as itself. */
static const char *describe(uint8_t b, char *buf, size_t n)
{
    if (b > 0x20 && b < 0x7f)
        snprintf(buf, n, "'%c'", b);
    else
        snprintf(buf, n, "byte 0x%02x", b);
    return buf;
}

/* What was found where something else was expected: the end, or a byte. */
static void fail_unexpected(parser *p, const char *expected)
{
    uint8_t b;
    char d[16];
    if (!mw_cursor_peek_u8(&p->cur, 0, &b))
        fail_at(p, p->at, "unexpected end of input, expected %s", expected);
    else
        fail_at(p, p->at, "unexpected %s, expected %s", describe(b, d, sizeof d), expected);
}

static bool peek(const parser *p, uint8_t *b)
{
    return mw_cursor_peek_u8(&p->cur, 0, b);
}

static bool next(parser *p, uint8_t *b)
{
    if (!mw_cursor_get_u8(&p->cur, b))
        return false;
    if (*b == '\n') {
        p->at.line++;
        p->at.col = 1;
    } else if ((*b & 0xc0) != 0x80) {
        p->at.col++;
    }
    return true;
}

/* Consumes the next byte if it is c. */
static bool accept(parser *p, uint8_t c)
{
    uint8_t b;
    if (!peek(p, &b) || b != c)
        return false;
    return next(p, &b);
}

static void skip_ws(parser *p)
{
    uint8_t b;
    while (peek(p, &b) && (b == ' ' || b == '\t' || b == '\n' || b == '\r'))
        (void)next(p, &b);
}

static bool is_digit(uint8_t b)
{
    return b >= '0' && b <= '9';
}

static bool peek_digit(const parser *p)
{
    uint8_t b;
    return peek(p, &b) && is_digit(b);
}

static mw_jv *new_value(parser *p, mw_jv_type type)
{
    mw_jv *v = arena_alloc(p->doc, sizeof(mw_jv), alignof(mw_jv));
    if (!v) {
        fail_oom(p);
        return NULL;
    }
    memset(v, 0, sizeof *v);
    v->type = type;
    return v;
}

/* ---- strings ---- */

static bool scratch_put(parser *p, const void *s, size_t n)
{
    if (n > p->scratch_cap - p->scratch_len) {
        size_t cap = p->scratch_cap ? p->scratch_cap : 64;
        while (cap - p->scratch_len < n) {
            if (cap > SIZE_MAX / 2)
                return false;
            cap *= 2;
        }
        char *nb = realloc(p->scratch, cap);
        if (!nb)
            return false;
        p->scratch = nb;
        p->scratch_cap = cap;
    }
    memcpy(p->scratch + p->scratch_len, s, n);
    p->scratch_len += n;
    return true;
}

static bool put_codepoint(parser *p, uint32_t cp)
{
    uint8_t u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (uint8_t)(0xc0 | (cp >> 6));
        u[1] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (uint8_t)(0xe0 | (cp >> 12));
        u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (uint8_t)(0xf0 | (cp >> 18));
        u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 4;
    }
    if (!scratch_put(p, u, n)) {
        fail_oom(p);
        return false;
    }
    return true;
}

static int hex_value(uint8_t b)
{
    if (b >= '0' && b <= '9')
        return b - '0';
    if (b >= 'a' && b <= 'f')
        return b - 'a' + 10;
    if (b >= 'A' && b <= 'F')
        return b - 'A' + 10;
    return -1;
}

/* The four hex digits after "\u". */
static bool read_hex4(parser *p, pos start, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        pos at = p->at;
        uint8_t b;
        char d[16];
        if (!next(p, &b)) {
            fail_at(p, start, "unterminated string");
            return false;
        }
        int h = hex_value(b);
        if (h < 0) {
            fail_at(p, at, "%s in a \\u escape, expected a hex digit",
                    describe(b, d, sizeof d));
            return false;
        }
        v = (v << 4) | (uint32_t)h;
    }
    *out = v;
    return true;
}

/* A \uXXXX escape, "\u" already read at esc. UTF-16 needs a high surrogate
 * followed at once by a low one; anything else cannot become UTF-8. */
static bool parse_u_escape(parser *p, pos start, pos esc)
{
    uint32_t cp, lo;
    if (!read_hex4(p, start, &cp))
        return false;
    if (cp == 0) {
        /* Strings come back NUL-terminated: an inner NUL would silently
         * cut every C consumer's view of it. */
        fail_at(p, esc, "\\u0000 is not allowed");
        return false;
    }
    if (cp >= 0xdc00 && cp <= 0xdfff) {
        fail_at(p, esc, "lone low surrogate \\u%04X", (unsigned)cp);
        return false;
    }
    if (cp >= 0xd800 && cp <= 0xdbff) {
        if (!accept(p, '\\') || !accept(p, 'u')) {
            fail_at(p, esc, "lone high surrogate \\u%04X", (unsigned)cp);
            return false;
        }
        if (!read_hex4(p, start, &lo))
            return false;
        if (lo < 0xdc00 || lo > 0xdfff) {
            fail_at(p, esc, "high surrogate \\u%04X not followed by a low one",
                    (unsigned)cp);
            return false;
        }
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    }
    return put_codepoint(p, cp);
}

/* An escape, the backslash already read at esc. */
static bool parse_escape(parser *p, pos start, pos esc)
{
    uint8_t b;
    char c, d[16];
    if (!next(p, &b)) {
        fail_at(p, start, "unterminated string");
        return false;
    }
    switch (b) {
    case '"': c = '"'; break;
    case '\\': c = '\\'; break;
    case '/': c = '/'; break;
    case 'b': c = '\b'; break;
    case 'f': c = '\f'; break;
    case 'n': c = '\n'; break;
    case 'r': c = '\r'; break;
    case 't': c = '\t'; break;
    case 'u': return parse_u_escape(p, start, esc);
    default:
        fail_at(p, esc, "invalid escape \\%s", describe(b, d, sizeof d));
        return false;
    }
    if (!scratch_put(p, &c, 1)) {
        fail_oom(p);
        return false;
    }
    return true;
}

/* A multi-byte UTF-8 sequence whose lead byte was read at `at`. The ranges
 * of the second byte are Unicode's table 3-7: they exclude overlong forms,
 * UTF-16 surrogates and code points past U+10FFFF. */
static bool parse_utf8(parser *p, uint8_t lead, pos at)
{
    uint8_t seq[4], lo = 0x80, hi = 0xbf;
    size_t n;
    seq[0] = lead;
    if (lead >= 0xc2 && lead <= 0xdf) {
        n = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        n = 3;
        if (lead == 0xe0)
            lo = 0xa0;
        else if (lead == 0xed)
            hi = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        n = 4;
        if (lead == 0xf0)
            lo = 0x90;
        else if (lead == 0xf4)
            hi = 0x8f;
    } else {
        fail_at(p, at, "invalid UTF-8 (byte 0x%02x)", lead);
        return false;
    }
    for (size_t i = 1; i < n; i++) {
        uint8_t b;
        if (!peek(p, &b) || b < lo || b > hi) {
            fail_at(p, at, "invalid UTF-8 sequence");
            return false;
        }
        (void)next(p, &b);
        seq[i] = b;
        lo = 0x80;
        hi = 0xbf;
    }
    if (!scratch_put(p, seq, n)) {
        fail_oom(p);
        return false;
    }
    return true;
}

/* A string at the cursor (which is at its '"'), decoded into the arena. */
static const char *parse_string(parser *p, size_t *len)
{
    pos start = p->at;
    uint8_t b;
    (void)next(p, &b); /* the opening quote */
    p->scratch_len = 0;
    for (;;) {
        pos at = p->at;
        if (!next(p, &b)) {
            fail_at(p, start, "unterminated string");
            return NULL;
        }
        if (b == '"')
            break;
        if (b == '\\') {
            if (!parse_escape(p, start, at))
                return NULL;
        } else if (b < 0x20) {
            fail_at(p, at, "control character 0x%02x in a string (must be escaped)", b);
            return NULL;
        } else if (b >= 0x80) {
            if (!parse_utf8(p, b, at))
                return NULL;
        } else if (!scratch_put(p, &b, 1)) {
            fail_oom(p);
            return NULL;
        }
    }
    const char *s = arena_strdup(p->doc, p->scratch, p->scratch_len);
    if (!s) {
        fail_oom(p);
        return NULL;
    }
    *len = p->scratch_len;
    return s;
}

/* ---- numbers and literals ---- */

static void skip_digits(parser *p)
{
    uint8_t b;
    while (peek_digit(p))
        (void)next(p, &b);
}

/* RFC 8259: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
 * The text is kept as written; conversions happen on request, so a value
 * no C type holds exactly is still read without loss. */
static mw_jv *parse_number(parser *p)
{
    mw_cursor begin = p->cur;
    pos start = p->at;
    bool integer = true;
    uint8_t b;
    (void)accept(p, '-');
    if (!peek_digit(p)) {
        fail_unexpected(p, "a digit");
        return NULL;
    }
    if (accept(p, '0')) {
        if (peek_digit(p)) {
            fail_at(p, start, "number with a leading zero");
            return NULL;
        }
    } else {
        skip_digits(p);
    }
    if (accept(p, '.')) {
        integer = false;
        if (!peek_digit(p)) {
            fail_unexpected(p, "a digit after the decimal point");
            return NULL;
        }
        skip_digits(p);
    }
    if (peek(p, &b) && (b == 'e' || b == 'E')) {
        (void)next(p, &b);
        integer = false;
        if (!accept(p, '+'))
            (void)accept(p, '-');
        if (!peek_digit(p)) {
            fail_unexpected(p, "a digit in the exponent");
            return NULL;
        }
        skip_digits(p);
    }
    size_t n = mw_cursor_len(&begin) - mw_cursor_len(&p->cur);
    mw_jv *v = new_value(p, MW_JV_NUMBER);
    char *text = v && n < SIZE_MAX ? arena_alloc(p->doc, n + 1, 1) : NULL;
    if (!text || !mw_cursor_copy(&begin, text, n)) {
        fail_oom(p);
        return NULL;
    }
    text[n] = '\0';
    v->str = text;
    v->len = n;
    v->flag = integer;
    return v;
}

static mw_jv *parse_literal(parser *p, const char *word, mw_jv_type type, bool value)
{
    pos start = p->at;
    for (const char *w = word; *w; w++) {
        uint8_t b;
        if (!next(p, &b)) {
            fail_at(p, p->at, "unexpected end of input in '%s'", word);
            return NULL;
        }
        if (b != (uint8_t)*w) {
            fail_at(p, start, "invalid literal, expected '%s'", word);
            return NULL;
        }
    }
    mw_jv *v = new_value(p, type);
    if (v)
        v->flag = value;
    return v;
}

/* ---- containers ---- */

static bool push_member(parser *p, const char *key, const mw_jv *val)
{
    if (p->stack_len == p->stack_cap) {
        size_t cap = p->stack_cap ? p->stack_cap * 2 : 32;
        if (cap > SIZE_MAX / sizeof(member))
            return false;
        member *nb = realloc(p->stack, cap * sizeof(member));
        if (!nb)
            return false;
        p->stack = nb;
        p->stack_cap = cap;
    }
    p->stack[p->stack_len].key = key;
    p->stack[p->stack_len].val = val;
    p->stack_len++;
    return true;
}

/* Moves the members above base off the stack into the container. */
static bool close_container(parser *p, mw_jv *v, size_t base)
{
    size_t n = p->stack_len - base;
    v->len = n;
    if (n == 0)
        return true;
    if (n > SIZE_MAX / sizeof(const mw_jv *))
        return false;
    v->kids = arena_alloc(p->doc, n * sizeof(const mw_jv *), alignof(const mw_jv *));
    if (!v->kids)
        return false;
    if (v->type == MW_JV_OBJECT) {
        v->keys = arena_alloc(p->doc, n * sizeof(*v->keys), alignof(const char *));
        if (!v->keys)
            return false;
    }
    for (size_t i = 0; i < n; i++) {
        v->kids[i] = p->stack[base + i].val;
        if (v->keys)
            v->keys[i] = p->stack[base + i].key;
    }
    p->stack_len = base;
    return true;
}

static mw_jv *parse_value(parser *p, int depth);

/* An array or object at the cursor; depth counts the containers around it. */
static mw_jv *parse_container(parser *p, int depth, bool object)
{
    uint8_t b, close = object ? '}' : ']';
    if (depth >= MW_JSON_PARSE_MAX_DEPTH) {
        fail_at(p, p->at, "nested deeper than %d levels", MW_JSON_PARSE_MAX_DEPTH);
        return NULL;
    }
    (void)next(p, &b); /* '[' or '{' */
    mw_jv *v = new_value(p, object ? MW_JV_OBJECT : MW_JV_ARRAY);
    if (!v)
        return NULL;
    size_t base = p->stack_len;
    skip_ws(p);
    if (!accept(p, close)) {
        for (;;) {
            const char *key = NULL;
            if (object) {
                size_t klen;
                skip_ws(p);
                if (!peek(p, &b) || b != '"') {
                    fail_unexpected(p, "a member name");
                    return NULL;
                }
                if (!(key = parse_string(p, &klen)))
                    return NULL;
                skip_ws(p);
                if (!accept(p, ':')) {
                    fail_unexpected(p, "':'");
                    return NULL;
                }
            }
            const mw_jv *val = parse_value(p, depth + 1);
            if (!val)
                return NULL;
            if (!push_member(p, key, val)) {
                fail_oom(p);
                return NULL;
            }
            skip_ws(p);
            if (accept(p, close))
                break;
            if (!accept(p, ',')) {
                fail_unexpected(p, object ? "',' or '}'" : "',' or ']'");
                return NULL;
            }
        }
    }
    if (!close_container(p, v, base)) {
        fail_oom(p);
        return NULL;
    }
    return v;
}

static mw_jv *parse_value(parser *p, int depth)
{
    uint8_t b;
    skip_ws(p);
    if (!peek(p, &b)) {
        fail_unexpected(p, "a value");
        return NULL;
    }
    switch (b) {
    case '{':
        return parse_container(p, depth, true);
    case '[':
        return parse_container(p, depth, false);
    case '"': {
        size_t len;
        const char *s = parse_string(p, &len);
        mw_jv *v = s ? new_value(p, MW_JV_STRING) : NULL;
        if (v) {
            v->str = s;
            v->len = len;
        }
        return v;
    }
    case 't':
        return parse_literal(p, "true", MW_JV_BOOL, true);
    case 'f':
        return parse_literal(p, "false", MW_JV_BOOL, false);
    case 'n':
        return parse_literal(p, "null", MW_JV_NULL, false);
    default:
        if (b == '-' || is_digit(b))
            return parse_number(p);
        fail_unexpected(p, "a value");
        return NULL;
    }
}

/* ---- documents ---- */

mw_jdoc *mw_jdoc_parse(const uint8_t *text, size_t len, char *err, size_t errlen)
{
    parser p;
    memset(&p, 0, sizeof p);
    mw_cursor_init(&p.cur, text, len);
    p.at.line = 1;
    p.at.col = 1;
    p.err = err;
    p.errlen = errlen;
    if (err && errlen)
        err[0] = '\0';
    p.doc = calloc(1, sizeof(mw_jdoc));
    if (!p.doc) {
        fail_oom(&p);
        return NULL;
    }
    const mw_jv *root = parse_value(&p, 0);
    if (root) {
        skip_ws(&p);
        if (mw_cursor_len(&p.cur)) {
            fail_unexpected(&p, "the end of input after the value");
            root = NULL;
        }
    }
    free(p.scratch);
    free(p.stack);
    if (!root) {
        mw_jdoc_free(p.doc);
        return NULL;
    }
    p.doc->root = root;
    return p.doc;
}

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
    arena_block *b = doc->blocks;
    while (b) {
        arena_block *nb = b->next;
        free(b);
        b = nb;
    }
    free(doc);
}

const mw_jv *mw_jdoc_root(const mw_jdoc *doc)
{
    return doc ? doc->root : NULL;
}

/* ---- accessors ---- */

mw_jv_type mw_jv_type_of(const mw_jv *v)
{
    return v ? v->type : MW_JV_NULL;
}

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

/* The magnitude of an integer-syntax number; false past UINT64_MAX. The
 * text was validated by parse_number, so it is [-]digits. */
static bool magnitude(const mw_jv *v, bool *negative, uint64_t *out)
{
    if (!v || v->type != MW_JV_NUMBER || !v->flag)
        return false;
    const char *s = v->str;
    uint64_t m = 0;
    *negative = *s == '-';
    if (*negative)
        s++;
    for (; *s; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (m > (UINT64_MAX - d) / 10)
            return false;
        m = m * 10 + d;
    }
    *out = m;
    return true;
}

/* -0 is accepted as 0: it is an integer of value zero. */
bool mw_jv_u64(const mw_jv *v, uint64_t *out)
{
    bool neg;
    uint64_t m;
    if (!magnitude(v, &neg, &m) || (neg && m != 0))
        return false;
    *out = m;
    return true;
}

bool mw_jv_i64(const mw_jv *v, int64_t *out)
{
    bool neg;
    uint64_t m;
    if (!magnitude(v, &neg, &m))
        return false;
    if (!neg) {
        if (m > (uint64_t)INT64_MAX)
            return false;
        *out = (int64_t)m;
    } else {
        if (m > (uint64_t)INT64_MAX + 1)
            return false;
        /* -(m - 1) - 1 stays in range even for INT64_MIN. */
        *out = m == 0 ? 0 : -(int64_t)(m - 1) - 1;
    }
    return true;
}

/* strtod reads the JSON grammar as is in the "C" locale (mitmwatch never
 * calls setlocale); under another LC_NUMERIC it would stop at the '.' and
 * the end check below refuses the value rather than misread it. A value
 * beyond double's range is refused; one that underflows reads as the
 * nearest representable value. */
bool mw_jv_double(const mw_jv *v, double *out)
{
    if (!v || v->type != MW_JV_NUMBER)
        return false;
    char *end = NULL;
    double d = strtod(v->str, &end);
    if (end != v->str + v->len || isinf(d))
        return false;
    *out = d;
    return true;
}

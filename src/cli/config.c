/*
 * config.c - --config FILE (config.h).
 */
#include "cli/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mw_cliconf {
    char **argv;  /* argv[0], the file's options, the command line's; NULL-ended */
    char **owned; /* the strings made here */
    size_t n_owned;
    int argc;
    const char *path;
};

static bool push(char ***vec, size_t *n, char *s)
{
    char **v = realloc(*vec, (*n + 2) * sizeof *v);
    if (!v)
        return false;
    v[(*n)++] = s;
    v[*n] = NULL;
    *vec = v;
    return true;
}

/* A string made here: kept to be freed, and put in the vector. */
static bool push_owned(mw_cliconf *c, size_t *n, char *s)
{
    if (!s)
        return false;
    if (!push(&c->owned, &c->n_owned, s)) {
        free(s);
        return false;
    }
    return push(&c->argv, n, s);
}

static const struct option *find_option(const struct option *opts, const char *name, size_t len)
{
    for (const struct option *o = opts; o->name; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
    return NULL;
}

static bool is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* One line: nothing (blank, comment) or one option and maybe its value. */
static bool parse_line(mw_cliconf *c, size_t *n, const struct option *opts, char *line,
                       size_t len, unsigned lineno, char *err, size_t errlen)
{
    if (strlen(line) != len) {
        snprintf(err, errlen, "%s:%u: a NUL byte in the line", c->path, lineno);
        return false;
    }
    char *s = line;
    while (is_blank(*s))
        s++;
    if (*s == '\0' || *s == '#')
        return true;
    /* A comment after the option: '#' preceded by a blank. */
    for (char *h = s + 1; *h; h++) {
        if (*h == '#' && is_blank(h[-1])) {
            *h = '\0';
            break;
        }
    }
    char *end = s + strlen(s);
    while (end > s && is_blank(end[-1]))
        *--end = '\0';
    size_t nlen = strcspn(s, " \t");
    char *value = s + nlen;
    while (is_blank(*value))
        value++;
    if (s[0] == '-') {
        snprintf(err, errlen, "%s:%u: '%.*s': write the long option's name without dashes",
                 c->path, lineno, (int)nlen, s);
        return false;
    }
    const struct option *o = find_option(opts, s, nlen);
    if (!o) {
        snprintf(err, errlen, "%s:%u: unknown option '%.*s'", c->path, lineno, (int)nlen, s);
        return false;
    }
    if (strcmp(o->name, "config") == 0 || strcmp(o->name, "help") == 0 ||
        strcmp(o->name, "version") == 0) {
        snprintf(err, errlen, "%s:%u: '%s' cannot be given in a configuration file",
                 c->path, lineno, o->name);
        return false;
    }
    if (o->has_arg == no_argument && *value) {
        snprintf(err, errlen, "%s:%u: option '%s' takes no value (got '%s')", c->path, lineno,
                 o->name, value);
        return false;
    }
    if (o->has_arg == required_argument && !*value) {
        snprintf(err, errlen, "%s:%u: option '%s' needs a value", c->path, lineno, o->name);
        return false;
    }
    size_t sz = strlen(o->name) + 3;
    char *flag = malloc(sz);
    if (flag)
        snprintf(flag, sz, "--%s", o->name);
    if (!push_owned(c, n, flag) ||
        (o->has_arg != no_argument && *value && !push_owned(c, n, strdup(value)))) {
        snprintf(err, errlen, "%s: out of memory", c->path);
        return false;
    }
    return true;
}

static bool read_file(mw_cliconf *c, size_t *n, const struct option *opts, char *err,
                      size_t errlen)
{
    FILE *f = fopen(c->path, "r");
    if (!f) {
        snprintf(err, errlen, "--config: %s: %s", c->path, strerror(errno));
        return false;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned lineno = 0;
    bool ok = true;
    errno = 0;
    while (ok && (len = getline(&line, &cap, f)) >= 0)
        ok = parse_line(c, n, opts, line, (size_t)len, ++lineno, err, errlen);
    if (ok && ferror(f)) {
        snprintf(err, errlen, "--config: %s: %s", c->path, strerror(errno ? errno : EIO));
        ok = false;
    }
    free(line);
    fclose(f);
    return ok;
}

bool mw_cliconf_expand(int argc, char **argv, const struct option *opts, mw_cliconf **out,
                       char *err, size_t errlen)
{
    *out = NULL;
    const char *path = NULL;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        const char *found = NULL;
        if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc) {
                snprintf(err, errlen, "--config needs a FILE");
                return false;
            }
            found = argv[++i];
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            found = argv[i] + 9;
        }
        if (found && path) {
            snprintf(err, errlen, "--config given twice (%s, %s)", path, found);
            return false;
        }
        if (found)
            path = found;
    }
    if (!path)
        return true;
    mw_cliconf *c = calloc(1, sizeof *c);
    size_t n = 0;
    if (!c || !push(&c->argv, &n, argv[0])) {
        free(c);
        snprintf(err, errlen, "out of memory");
        return false;
    }
    c->path = path;
    bool ok = read_file(c, &n, opts, err, errlen);
    for (int i = 1; ok && i < argc; i++) {
        if (!push(&c->argv, &n, argv[i])) {
            snprintf(err, errlen, "out of memory");
            ok = false;
        }
    }
    if (!ok) {
        mw_cliconf_free(c);
        return false;
    }
    c->argc = (int)n;
    *out = c;
    return true;
}

int mw_cliconf_argc(const mw_cliconf *c)
{
    return c->argc;
}

char **mw_cliconf_argv(const mw_cliconf *c)
{
    return c->argv;
}

const char *mw_cliconf_path(const mw_cliconf *c)
{
    return c->path;
}

void mw_cliconf_free(mw_cliconf *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_owned; i++)
        free(c->owned[i]);
    free(c->owned);
    free(c->argv);
    free(c);
}

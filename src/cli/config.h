/*
 * config.h - --config FILE: options read from a file.
 *
 * One long option a line, without its dashes: "name value" (the value is
 * the rest of the line, trimmed), or "name" alone for an option without
 * a value. Blank lines and lines whose first non-blank is '#' are
 * skipped, as is a comment after a value ('#' preceded by a blank). The
 * options are placed BEFORE those of the command line, so for an option
 * given once the command line wins; options that add to a list
 * (--vantage-net, --vantage NAME=PATH, --interface) take both. --config itself cannot
 * be nested, and only one is allowed.
 */
#ifndef MW_CLI_CONFIG_H
#define MW_CLI_CONFIG_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct mw_cliconf mw_cliconf;

/* Finds "--config FILE" or "--config=FILE" in argv (before any "--"),
 * reads FILE against the long options opts (terminated by a zero entry)
 * and makes the argument vector argv[0], FILE's options, argv[1..].
 * *out is NULL when there is no --config (the arguments stay as they
 * are). False with "FILE:LINE: cause" (or the cause) in err on an unknown
 * option, a missing or unexpected value, an unreadable file or a second
 * --config. */
bool mw_cliconf_expand(int argc, char **argv, const struct option *opts, mw_cliconf **out,
                       char *err, size_t errlen);

/* The expanded vector (valid until mw_cliconf_free). */
int mw_cliconf_argc(const mw_cliconf *c);
char **mw_cliconf_argv(const mw_cliconf *c);

/* The file given, for the messages. */
const char *mw_cliconf_path(const mw_cliconf *c);

void mw_cliconf_free(mw_cliconf *c);

#endif /* MW_CLI_CONFIG_H */

/*
 * paths.h - where the built-in rules are, wherever mitmwatch is installed.
 *
 * An installed binary finds its rules relative to itself (BINDIR/../
 * DATADIR/mitmwatch/rules, as `cmake --install` and the Debian package lay
 * them out), so a tree copied to /opt or a staging root works as well as
 * /usr. A binary run from its build directory has no such tree beside it
 * and falls back to the source tree it was built from. No environment
 * variable is consulted: what a sensor loads must not depend on who
 * started it.
 */
#ifndef MW_PATHS_H
#define MW_PATHS_H

#include <stdbool.h>
#include <stddef.h>

/* The directory of the built-in rules, written into out (size n). exe is
 * the binary's own path (NULL: /proc/self/exe). Returns false when none of
 * the candidates exists; then out holds the candidates tried, separated by
 * ", ", for the error message. */
bool mw_builtin_rules_dir(const char *exe, char *out, size_t n);

#endif /* MW_PATHS_H */

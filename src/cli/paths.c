/*
 * paths.c - see paths.h.
 */
#include "cli/paths.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Set by CMakeLists.txt: the rules relative to the installed binary's
 * directory, and the source tree's rules for a binary used in place. */
#ifndef MW_RULES_RELDIR
#define MW_RULES_RELDIR "../share/mitmwatch/rules"
#endif
#ifndef MW_SOURCE_RULES_DIR
#define MW_SOURCE_RULES_DIR "rules"
#endif

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

bool mw_builtin_rules_dir(const char *exe, char *out, size_t n)
{
    char self[PATH_MAX];
    char cand[PATH_MAX + sizeof MW_RULES_RELDIR + 1];
    if (!exe) {
        ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
        if (len > 0) {
            self[len] = '\0';
            exe = self;
        }
    }
    cand[0] = '\0';
    if (exe) {
        const char *slash = strrchr(exe, '/');
        if (slash) {
            int dirlen = (int)(slash - exe);
            (void)snprintf(cand, sizeof cand, "%.*s/%s", dirlen, exe, MW_RULES_RELDIR);
            char real[PATH_MAX];
            if (is_dir(cand) && realpath(cand, real)) {
                (void)snprintf(out, n, "%s", real);
                return true;
            }
        }
    }
    if (is_dir(MW_SOURCE_RULES_DIR)) {
        (void)snprintf(out, n, "%s", MW_SOURCE_RULES_DIR);
        return true;
    }
    if (cand[0])
        (void)snprintf(out, n, "%s, %s", cand, MW_SOURCE_RULES_DIR);
    else
        (void)snprintf(out, n, "%s", MW_SOURCE_RULES_DIR);
    return false;
}

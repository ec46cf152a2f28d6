/*
 * version.c - see version.h.
 */
#include "cli/version.h"

#include <ndpi/ndpi_api.h>
#include <openssl/crypto.h>
#include <pcap/pcap.h>
#include <sqlite3.h>
#include <string.h>
#include <zlib.h>

#include "cli/paths.h"

/* The rules' date is the first line of VERSION in their directory, set
 * when a rule file changes (docs/rules.md). */
static void rules_line(FILE *out)
{
    char dir[4200], path[4300], date[64] = "unknown date";
    if (!mw_builtin_rules_dir(NULL, dir, sizeof dir)) {
        fprintf(out, "rules: not found (looked in %s)\n", dir);
        return;
    }
    (void)snprintf(path, sizeof path, "%s/VERSION", dir);
    FILE *f = fopen(path, "r");
    if (f) {
        if (fgets(date, sizeof date, f))
            date[strcspn(date, "\r\n")] = '\0';
        (void)fclose(f);
    }
    fprintf(out, "rules %s (%s)\n", date, dir);
}

void mw_print_version(FILE *out)
{
    fprintf(out, "mitmwatch %s\n", MW_VERSION);
    fprintf(out, "nDPI %s\n", ndpi_revision());
    fprintf(out, "%s\n", OpenSSL_version(OPENSSL_VERSION));
    fprintf(out, "%s\n", pcap_lib_version());
    fprintf(out, "SQLite %s\n", sqlite3_libversion());
    fprintf(out, "zlib %s\n", zlibVersion());
    rules_line(out);
}

/*
 * outputs.h - every output checked before any packet is read.
 *
 * A run over a big archive takes hours: an unwritable --report, --certs,
 * --csv, -o or --write-flagged must fail at the start, not at the end.
 * Missing parent directories are made (as mkdir -p).
 */
#ifndef MW_OUTPUTS_H
#define MW_OUTPUTS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct mw_output_path {
    const char *option; /* "--report", for the message */
    const char *path;   /* NULL: not given, skipped */
    bool is_dir;        /* a directory to write files in, else a file */
} mw_output_path;

/* Makes the directories (and files' parents) and checks each can be
 * written (a probe file made and removed; a file not yet there is not
 * left behind). False with "OPTION: PATH: cause" in err at the first
 * that cannot. */
bool mw_outputs_check(const mw_output_path *outs, size_t n, char *err, size_t errlen);

#endif /* MW_OUTPUTS_H */

/*
 * version.h - `mitmwatch --version`: what a bug report needs to name.
 */
#ifndef MW_VERSION_H
#define MW_VERSION_H

#include <stdio.h>

/* mitmwatch's version, the versions of the libraries in use (as loaded,
 * not as compiled against: a security update of OpenSSL shows here) and
 * the built-in rules' date and directory. */
void mw_print_version(FILE *out);

#endif /* MW_VERSION_H */

/*
 * fuzz_rules - the rules files (src/detect/rules.c and the removed-roots
 * table of trust.c): the input is one file, read by every loader in turn
 * (targets, fingerprints, pins, rogue names, rogue roots PEM, trust store,
 * extra trusted roots, removed roots), then looked up the way sessions do.
 */
#include "detect/rules.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = mwf_file(data, size, ".rules");
    if (!path)
        return 0;
    mw_rules *r = mw_rules_new();
    if (!r)
        return 0;
    char err[512];
    (void)mw_rules_load_targets_file(r, path, err, sizeof err);
    (void)mw_rules_load_fingerprints_file(r, path, err, sizeof err);
    (void)mw_rules_load_pins_file(r, path, err, sizeof err);
    (void)mw_rules_load_names_file(r, path, err, sizeof err);
    (void)mw_rules_load_roots_file(r, path, err, sizeof err);
    (void)mw_rules_set_trust_store(r, path, err, sizeof err);
    (void)mw_rules_add_trusted(r, path, err, sizeof err);
    (void)mw_rules_load_removed_roots(r, path, path, err, sizeof err);

    static const char *const names[] = {"example.com", "www.google.com", ".com", "", "a.b.c.d.e"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        mw_pin_set pins;
        (void)mw_rules_match_target(r, names[i], strlen(names[i]));
        (void)mw_rules_match_pins(r, names[i], strlen(names[i]), &pins);
        (void)mw_rules_rogue_name(r, names[i]);
    }
    (void)mw_rules_match_fingerprint(r, "ja3", "e7d705a3286e19ea42f587b344ee6865");
    (void)mw_rules_match_fingerprint(r, "ja4", "t13d1516h2_8daaf6152771_02713d6af862");
    for (size_t i = 0; i < mw_rules_n_roots(r); i++)
        (void)mw_rules_root(r, i);
    for (size_t i = 0; i < mw_rules_n_targets(r); i++)
        (void)mw_rules_target(r, i);
    mw_rules_free(r);
    return 0;
}

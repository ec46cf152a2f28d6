/*
 * fuzz_x509 - certificate handling around OpenSSL (src/dissectors/x509.c):
 * the input is one DER certificate as a TLS Certificate message carries it;
 * every derived fact is computed and written as JSON, as an event would.
 */
#include "dissectors/x509.h"
#include "common/json.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mw_x509_facts f;
    bool ok = mw_x509_parse(&f, data, size);
    char desc[64], pin[45];
    mw_x509_key_desc(&f, desc, sizeof desc);
    if (ok)
        mw_x509_spki_pin_b64(&f, pin);
    mw_json j;
    mw_json_init(&j);
    mw_x509_write_json(&f, &j);
    (void)mw_json_text(&j);
    mw_json_free(&j);
    mw_x509_facts_free(&f);

    /* The same through a cursor, as the TLS dissector calls it. */
    mw_cursor c;
    mw_cursor_init(&c, data, size);
    if (mw_x509_parse_cursor(&f, &c))
        (void)mw_x509_get0(&f);
    mw_x509_facts_free(&f);
    return 0;
}

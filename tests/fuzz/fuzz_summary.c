/*
 * fuzz_summary - summary.json reading for `mitmwatch merge`
 * (src/common/jsonparse.c and src/output/summary_read.c). The input is one
 * file; it is merged twice (as two inputs of the same merge would be, so
 * the sets and timelines meet themselves) and the result written as JSON
 * and as text, as merge does.
 */
#include "common/jsonparse.h"
#include "output/summary.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    mw_jdoc *doc = mw_jdoc_parse(data, size, err, sizeof err);
    if (!doc)
        return 0;
    mw_summary_config cfg;
    uint64_t bucket = 0;
    mw_summary_config_defaults(&cfg);
    if (mw_jv_u64(mw_jv_get(mw_jdoc_root(doc), "bucket_seconds"), &bucket))
        cfg.bucket_seconds = bucket;
    /* Bounds small enough that the overflow paths are reached. */
    cfg.max_set_entries = 64;
    cfg.max_buckets = 64;
    cfg.max_forged = 16;
    mw_summary *sum = mw_summary_new(&cfg, NULL);
    if (sum && mw_summary_merge_json(sum, mw_jdoc_root(doc), err, sizeof err) &&
        mw_summary_merge_json(sum, mw_jdoc_root(doc), err, sizeof err)) {
        FILE *null = fopen("/dev/null", "w");
        if (null) {
            (void)mw_summary_write_json(sum, null);
            mw_summary_write_text(sum, null, true);
            fclose(null);
        }
    }
    mw_summary_free(sum);
    mw_jdoc_free(doc);
    return 0;
}

/* Batched vs one-at-a-time equality, deterministic mode, per-item failures,
   stats and id lookup.   usage: batch MODEL_DIR [MODEL_DIR...] */
#define BATCHML_IMPLEMENTATION
#include "batchml.h"
#include "bml_test.h"
#include <math.h>

static uint64_t rng = 12345;
static uint32_t rnd(void) { rng = rng * 6364136223846793005ull + 1442695040888963407ull; return (uint32_t)(rng >> 33); }

#define N_ITEMS 70

static void run_model(const char *dir) {
    bml_model *m = NULL, *det1 = NULL, *det2 = NULL;
    bml_model_desc d = {0};
    int32_t *ids[N_ITEMS];
    size_t lens[N_ITEMS], i, bs, H;
    bml_item items[N_ITEMS];
    float *single, *batched, *detref, *tmp;
    bml_result res = {0};
    bml_batch_desc bd = {0};
    char name[256];
    float worst = 0;
    int worst_bs = 0, det_ok = 1, bitwise = 1;
    const char *no_pack = getenv("BATCHML_NO_PACK");
    d.path = dir;
    d.no_tokenizer = 1;
    d.threads = 2;
    if (!CHECK(bml_model_load(&d, &m) == BML_OK, "load", "%s: %s", dir, bml_last_error())) return;
    H = (size_t)bml_model_config(m)->hidden;
    for (i = 0; i < N_ITEMS; i++) {
        size_t k, L = i == 0 ? 2 : (i == 1 ? 256 : 2 + rnd() % (i % 5 == 0 ? 120 : 30));
        ids[i] = malloc(L * sizeof(int32_t));
        for (k = 0; k < L; k++) ids[i][k] = (int32_t)(k == 0 ? 101 : (k == L - 1 ? 102 : 1000 + rnd() % 29000));
        lens[i] = L;
        items[i].id = 1000 + i;
        items[i].ids = ids[i];
        items[i].n_ids = L;
        items[i].text = NULL;
    }
    single = malloc(N_ITEMS * H * sizeof(float));
    batched = malloc(N_ITEMS * H * sizeof(float));
    detref = malloc(N_ITEMS * H * sizeof(float));
    tmp = malloc(N_ITEMS * H * sizeof(float));
    for (i = 0; i < N_ITEMS; i++)
        if (bml_embed_ids(m, ids[i], lens[i], single + i * H) != BML_OK) { CHECK(0, "single", "%s", bml_last_error()); return; }
    /* every batch size 1..64, sorted and unsorted (keep_order) */
    for (bs = 1; bs <= 64; bs = BMLT_NEXT(bs, 64)) {
        float dm;
        bd.batch_size = bs;
        bd.keep_order = (int)(bs % 2);
        if (bml_embed_batch(m, items, N_ITEMS, &bd, batched, &res) != BML_OK) { CHECK(0, "batch", "%s", bml_last_error()); return; }
        dm = maxdiff(single, batched, N_ITEMS * H);
        if (dm > worst) { worst = dm; worst_bs = (int)bs; }
        if (memcmp(single, batched, N_ITEMS * H * sizeof(float)) != 0) bitwise = 0;
    }
    /* every kernel set's dense layers and attention sum each element in one
       fixed order (OpenBLAS, with BATCHML_NO_PACK=1, need not) */
    if (!(no_pack && no_pack[0] == '1')) {
        snprintf(name, sizeof name, "batched_bitwise_single[%s]", dir);
        CHECK(bitwise, name, "batched and one-at-a-time embeddings differ (max abs diff %g)", worst);
    }
    snprintf(name, sizeof name, "batched_vs_single_bs1..64[%s]", dir);
    CHECK(worst <= 1e-6f, name, "max abs diff %g at batch size %d (limit 1e-6)", worst, worst_bs);
    printf("# %s: batched vs single max abs diff %.3g\n", dir, worst);
    /* deterministic mode: bitwise equal across batch sizes, orders and thread counts */
    d.deterministic = 1;
    d.threads = 1;
    if (!CHECK(bml_model_load(&d, &det1) == BML_OK, "load_det", "%s", bml_last_error())) return;
    d.threads = 2;
    if (!CHECK(bml_model_load(&d, &det2) == BML_OK, "load_det2", "%s", bml_last_error())) return;
    for (i = 0; i < N_ITEMS; i++) bml_embed_ids(det1, ids[i], lens[i], detref + i * H);
    {
        static const size_t sizes[] = {1, 3, 8, 17, 32, 64};
        size_t s;
        for (s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            int t;
            for (t = 0; t < 2; t++) {
                bml_model *dm = t ? det2 : det1;
                bd.batch_size = sizes[s];
                bd.keep_order = (int)(s % 2);
                bml_embed_batch(dm, items, N_ITEMS, &bd, tmp, NULL);
                if (memcmp(tmp, detref, N_ITEMS * H * sizeof(float)) != 0) {
                    det_ok = 0;
                    printf("# deterministic mismatch: batch %zu threads %d\n", sizes[s], t + 1);
                }
            }
        }
    }
    snprintf(name, sizeof name, "deterministic_bitwise[%s]", dir);
    CHECK(det_ok, name, "results differ across batch size / order / threads");
    snprintf(name, sizeof name, "deterministic_close_to_blas[%s]", dir);
    CHECK(maxdiff(detref, single, N_ITEMS * H) <= 1e-6f, name, "det vs BLAS path differ by %g", maxdiff(detref, single, N_ITEMS * H));
    /* one bad item fails alone */
    {
        int32_t bad_id[3] = {101, 99999999, 102}, *longseq;
        size_t maxpos = (size_t)bml_model_config(m)->max_position;
        bml_item mix[6];
        const bml_response *r;
        longseq = calloc(maxpos + 1, sizeof(int32_t));
        memcpy(mix, items, 3 * sizeof(bml_item));
        mix[3].id = 7; mix[3].ids = bad_id; mix[3].n_ids = 3; mix[3].text = NULL;
        mix[4].id = 8; mix[4].ids = bad_id; mix[4].n_ids = 0; mix[4].text = NULL;
        mix[5].id = 9; mix[5].ids = longseq; mix[5].n_ids = maxpos + 1; mix[5].text = NULL;
        bd.batch_size = 4;
        bd.keep_order = 0;
        bd.measure_single = 2;
        CHECK(bml_embed_batch(m, mix, 6, &bd, batched, &res) == BML_OK, "mixed_batch_call", "%s", bml_last_error());
        CHECK(bml_result_success_count(&res) == 3 && !bml_result_all_succeeded(&res), "mixed_batch_counts",
              "success %zu", bml_result_success_count(&res));
        r = bml_result_find(&res, 7);
        CHECK(r && r->status == BML_ERR_OUT_OF_RANGE && strstr(r->error, "99999999"), "bad_id_fails_alone",
              "status %s error '%s'", r ? bml_status_name(r->status) : "none", r ? r->error : "");
        r = bml_result_find(&res, 8);
        CHECK(r && r->status == BML_ERR_EMPTY_INPUT, "empty_fails_alone", "status %s", r ? bml_status_name(r->status) : "none");
        r = bml_result_find(&res, 9);
        CHECK(r && r->status == BML_ERR_TOO_LONG && strstr(r->error, "max_position_embeddings"), "too_long_fails_alone",
              "status %s '%s'", r ? bml_status_name(r->status) : "none", r ? r->error : "");
        r = bml_result_find(&res, items[2].id);
        CHECK(r && r->status == BML_OK && r->data == batched + 2 * H && maxdiff(r->data, single + 2 * H, H) <= 1e-6f,
              "good_items_succeed", "item 2 differs or failed");
        CHECK(bml_result_find(&res, 424242) == NULL, "find_missing_id", "found a response for an unknown id");
        CHECK(res.stats.total_items == 6 && res.stats.succeeded == 3 && res.stats.failed == 3, "stats_counts", "%zu %zu %zu",
              res.stats.total_items, res.stats.succeeded, res.stats.failed);
        CHECK(res.stats.single_item_ns > 0 && res.stats.speedup_vs_single > 0, "stats_speedup_measured",
              "single %g speedup %g", res.stats.single_item_ns, res.stats.speedup_vs_single);
        free(longseq);
    }
    /* stats and lookup over a full batch */
    bd.batch_size = 16;
    bd.measure_single = 0;
    bml_embed_batch(m, items, N_ITEMS, &bd, batched, &res);
    CHECK(res.stats.p50_ns <= res.stats.p95_ns && res.stats.p95_ns <= res.stats.p99_ns && res.stats.p99_ns > 0 &&
              res.stats.items_per_s > 0 && res.stats.speedup_vs_single == 0,
          "stats_percentiles", "p50 %g p95 %g p99 %g", res.stats.p50_ns, res.stats.p95_ns, res.stats.p99_ns);
    {
        int all = 1;
        for (i = 0; i < N_ITEMS; i++) {
            const bml_response *r = bml_result_find(&res, 1000 + i);
            if (!r || r->data != batched + i * H) all = 0;
        }
        CHECK(all, "lookup_every_id", "an id was not found at its position");
    }
    bml_result_free(&res);
    for (i = 0; i < N_ITEMS; i++) free(ids[i]);
    free(single); free(batched); free(detref); free(tmp);
    bml_model_free(m);
    bml_model_free(det1);
    bml_model_free(det2);
}

int main(int argc, char **argv) {
    int i;
    for (i = 1; i < argc; i++) run_model(argv[i]);
    TEST_EXIT();
}

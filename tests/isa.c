/* CPU kernel sets (BATCHML_ISA / bml_model_desc.isa): every set this CPU runs
   gives embeddings within 1e-6 of every other; in each, batched equals one
   at a time bitwise and the deterministic mode is bitwise across thread
   counts; forcing a set the build or the CPU lacks is a clear error.
   usage: isa MODEL_DIR [MODEL_DIR...] */
#define BATCHML_IMPLEMENTATION
#include "batchml.h"
#include "bml_test.h"
#include <math.h>

#define N_ITEMS 40
static const bml_isa all_isa[] = {BML_ISA_GENERIC, BML_ISA_AVX2, BML_ISA_AVX512, BML_ISA_NEON};
#define N_ISA (sizeof all_isa / sizeof all_isa[0])

static uint64_t rng = 777;
static uint32_t rnd(void) { rng = rng * 6364136223846793005ull + 1442695040888963407ull; return (uint32_t)(rng >> 33); }

static void run_model(const char *dir) {
    int32_t *ids[N_ITEMS];
    bml_item items[N_ITEMS];
    float *emb[N_ISA] = {0}, *single, *tmp;
    size_t i, k, D = 0;
    char name[512];
    int first = -1;
    for (i = 0; i < N_ITEMS; i++) {
        size_t L = i == 0 ? 2 : (i == 1 ? 200 : 2 + rnd() % (i % 4 == 0 ? 90 : 24));
        ids[i] = (int32_t *)malloc(L * sizeof(int32_t));
        for (k = 0; k < L; k++) ids[i][k] = (int32_t)(k == 0 ? 101 : (k == L - 1 ? 102 : 1000 + rnd() % 20000));
        items[i].id = i;
        items[i].ids = ids[i];
        items[i].n_ids = L;
        items[i].text = NULL;
        items[i].len = 0;
    }
    for (k = 0; k < N_ISA; k++) {
        bml_model *m = NULL, *d1 = NULL, *d2 = NULL;
        bml_model_desc d;
        bml_batch_desc bd;
        bml_result res;
        const char *nm = bml_isa_name(all_isa[k]);
        int bit = 1, det = 1;
        size_t bs;
        if (!bml_isa_supported(all_isa[k])) {
            printf("# %s: kernel set %s not run here (cpu: %s)\n", dir, nm, bml_cpu_features());
            continue;
        }
        memset(&d, 0, sizeof d);
        memset(&bd, 0, sizeof bd);
        memset(&res, 0, sizeof res);
        d.path = dir;
        d.no_tokenizer = 1;
        d.threads = 2;
        d.isa = all_isa[k];
        snprintf(name, sizeof name, "load[%s@%s]", dir, nm);
        if (!CHECK(bml_model_load(&d, &m) == BML_OK && bml_model_isa(m) == all_isa[k], name, "%s", bml_last_error())) continue;
        if (!D) D = (size_t)bml_model_config(m)->dim;
        emb[k] = (float *)malloc(N_ITEMS * D * sizeof(float));
        single = (float *)malloc(N_ITEMS * D * sizeof(float));
        tmp = (float *)malloc(N_ITEMS * D * sizeof(float));
        for (i = 0; i < N_ITEMS; i++) bml_embed_ids(m, ids[i], items[i].n_ids, single + i * D);
        for (bs = 1; bs <= 40; bs += 13) {
            bd.batch_size = bs;
            bd.keep_order = (int)(bs % 2);
            if (bml_embed_batch(m, items, N_ITEMS, &bd, emb[k], &res) != BML_OK) CHECK(0, "embed_batch", "%s", bml_last_error());
            if (memcmp(emb[k], single, N_ITEMS * D * sizeof(float)) != 0) {
                bit = 0;
                printf("# %s@%s batch %zu vs single: max abs diff %g\n", dir, nm, bs, maxdiff(emb[k], single, N_ITEMS * D));
            }
        }
        snprintf(name, sizeof name, "batched_bitwise_single[%s@%s]", dir, nm);
        CHECK(bit, name, "batched and one-at-a-time embeddings differ");
        d.deterministic = 1;
        d.threads = 1;
        if (bml_model_load(&d, &d1) == BML_OK && (d.threads = 2, bml_model_load(&d, &d2) == BML_OK)) {
            bd.batch_size = 7;
            bml_embed_batch(d1, items, N_ITEMS, &bd, single, NULL);
            bd.batch_size = 32;
            bml_embed_batch(d2, items, N_ITEMS, &bd, tmp, NULL);
            det = memcmp(single, tmp, N_ITEMS * D * sizeof(float)) == 0;
        } else det = 0;
        snprintf(name, sizeof name, "deterministic_bitwise_threads[%s@%s]", dir, nm);
        CHECK(det, name, "deterministic results differ between 1 and 2 threads (%s)", bml_last_error());
        bml_model_free(d1);
        bml_model_free(d2);
        bml_result_free(&res);
        bml_model_free(m);
        free(single);
        free(tmp);
        if (first < 0) first = (int)k;
        else {
            float dm = maxdiff(emb[first], emb[k], N_ITEMS * D);
            snprintf(name, sizeof name, "same_numbers[%s: %s vs %s]", dir, bml_isa_name(all_isa[first]), nm);
            CHECK(dm <= 1e-6f, name, "max abs diff %g (limit 1e-6)", dm);
            printf("# %s: %s vs %s max abs diff %.3g\n", dir, bml_isa_name(all_isa[first]), nm, dm);
        }
    }
    for (k = 0; k < N_ISA; k++) free(emb[k]);
    for (i = 0; i < N_ITEMS; i++) free(ids[i]);
}

static void errors(const char *dir) {
    bml_model_desc d;
    bml_model *m = NULL;
    bml_status rc;
    size_t k;
    memset(&d, 0, sizeof d);
    d.path = dir;
    d.no_tokenizer = 1;
    d.threads = 1;
    for (k = 0; k < N_ISA; k++) {
        char name[128];
        if (bml_isa_supported(all_isa[k])) continue;
        d.isa = all_isa[k];
        rc = bml_model_load(&d, &m);
        snprintf(name, sizeof name, "unsupported_is_an_error[%s]", bml_isa_name(all_isa[k]));
        CHECK(rc == BML_ERR_UNSUPPORTED && !m && strstr(bml_last_error(), bml_isa_name(all_isa[k])) &&
                  (strstr(bml_last_error(), "lacks") || strstr(bml_last_error(), "no ")),
              name, "%s: %s", bml_status_name(rc), bml_last_error());
        printf("# %s\n", bml_last_error());
    }
    d.isa = (bml_isa)99;
    rc = bml_model_load(&d, &m);
    CHECK(rc == BML_ERR_INVALID_ARG && !m, "bad_desc_isa", "%s: %s", bml_status_name(rc), bml_last_error());
    d.isa = BML_ISA_AUTO;
    bmlt_setenv("BATCHML_ISA", "sse9");
    rc = bml_model_load(&d, &m);
    CHECK(rc == BML_ERR_INVALID_ARG && strstr(bml_last_error(), "BATCHML_ISA=sse9"), "bad_env_isa", "%s: %s",
          bml_status_name(rc), bml_last_error());
    bmlt_setenv("BATCHML_ISA", "generic");
    rc = bml_model_load(&d, &m);
    CHECK(rc == BML_OK && bml_model_isa(m) == BML_ISA_GENERIC, "env_forces_generic", "%s", bml_last_error());
    bml_model_free(m);
    m = NULL;
    d.isa = bml_isa_best();
    rc = bml_model_load(&d, &m);
    CHECK(rc == BML_OK && bml_model_isa(m) == bml_isa_best(), "desc_isa_over_env", "%s", bml_last_error());
    bml_model_free(m);
    bmlt_unsetenv("BATCHML_ISA");
    {
        bml_isa x;
        CHECK(bml_isa_parse("avx512", &x) == BML_OK && x == BML_ISA_AVX512 && bml_isa_parse("AVX2", &x) != BML_OK,
              "isa_parse", "%s", bml_last_error());
    }
    printf("# best %s, cpu: %s\n", bml_isa_name(bml_isa_best()), bml_cpu_features());
}

int main(int argc, char **argv) {
    int i;
    bmlt_unsetenv("BATCHML_ISA");
    for (i = 1; i < argc; i++) run_model(argv[i]);
    if (argc > 1) errors(argv[1]);
    TEST_EXIT();
}

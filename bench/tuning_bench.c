/* tuning_bench: the measurements behind bench/tuning.sh. Each prints JSON lines.
     tuning_bench compare MODEL ARCHIVE IDS.jsonl THREADS SAMPLE_N REPS
         small samples (STS corpus slices and generated profiles): the archive's
         choice (bml_tuning_choose) vs the heuristic default
         (bml_batch_heuristic), side by side, alternating, REPS timed calls
         each after one warm-up call; medians
     tuning_bench sweep MODEL IDS.jsonl N THREADS REPS
         the first N sentences: the heuristic default vs fixed batch sizes
         (4..512, no token cap), each config timed REPS times, interleaved
         round-robin after one warm-up pass; medians */
#define BATCHML_IMPLEMENTATION
#include "batchml.h"

static int32_t **read_ids(const char *path, size_t **lens, size_t *n) {
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, k = 0, capn = 0;
    ssize_t got;
    int32_t **ids = NULL;
    *n = 0;
    *lens = NULL;
    if (!f) { perror(path); exit(1); }
    while ((got = getline(&line, &cap, f)) > 0) {
        bml_json_doc *doc;
        const bml_json *r;
        size_t i;
        if (bml_json_parse(line, (size_t)got, path, &doc) != BML_OK) { fprintf(stderr, "%s\n", bml_last_error()); exit(1); }
        r = bml_json_root(doc);
        if (k == capn) {
            capn = capn ? 2 * capn : 1024;
            ids = (int32_t **)realloc(ids, capn * sizeof *ids);
            *lens = (size_t *)realloc(*lens, capn * sizeof **lens);
            if (!ids || !*lens) { fprintf(stderr, "out of memory\n"); exit(1); }
        }
        ids[k] = (int32_t *)malloc((r->len ? r->len : 1) * sizeof(int32_t));
        for (i = 0; i < r->len; i++) ids[k][i] = (int32_t)r->kids[i].num;
        (*lens)[k] = r->len;
        k++;
        bml_json_free(doc);
    }
    free(line);
    fclose(f);
    *n = k;
    return ids;
}

static bml_model *load(const char *dir, int threads) {
    bml_model *m;
    bml_model_desc d;
    memset(&d, 0, sizeof d);
    d.path = dir;
    d.threads = threads;
    d.no_tokenizer = 1;
    if (bml_model_load(&d, &m) != BML_OK) { fprintf(stderr, "%s\n", bml_last_error()); exit(1); }
    return m;
}

static float *g_out;

static double run(bml_model *m, const bml_item *items, size_t n, const bml_batch_choice *c) {
    bml_batch_desc bd;
    uint64_t t0;
    memset(&bd, 0, sizeof bd);
    bd.batch_size = c->batch_size;
    bd.max_tokens = c->max_tokens;
    bd.keep_order = c->keep_order;
    t0 = bml_now_ns();
    if (bml_embed_batch(m, items, n, &bd, g_out, NULL) != BML_OK) { fprintf(stderr, "%s\n", bml_last_error()); exit(1); }
    return (double)(bml_now_ns() - t0) * 1e-9;
}

static double median(double *v, size_t n) {
    qsort(v, n, sizeof(double), bml__cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* A generated sample: n sequences, log-normal lengths (mean, spread). */
static bml_item *gen_sample(size_t n, double mean, double spread, uint64_t seed, size_t **lens_out) {
    bml_item *items = (bml_item *)calloc(n, sizeof *items);
    size_t *lens = (size_t *)calloc(n, sizeof *lens), i, k;
    double s = sqrt(log(1 + spread * spread)), mu = log(mean) - 0.5 * s * s;
    uint64_t r = seed;
    for (i = 0; i < n; i++) {
        double u1, u2, z;
        size_t L;
        int32_t *p;
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        u1 = ((double)(r >> 11) + 0.5) / 9007199254740992.0;
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        u2 = (double)(r >> 11) / 9007199254740992.0;
        z = sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
        L = (size_t)(exp(mu + s * z) + 0.5);
        if (L < 3) L = 3;
        if (L > 256) L = 256;
        p = (int32_t *)malloc(L * sizeof(int32_t));
        for (k = 0; k < L; k++) p[k] = (int32_t)(1000 + (i * 131 + k * 7919) % 29000);
        p[0] = 101;
        p[L - 1] = 102;
        items[i].ids = p;
        items[i].n_ids = L;
        lens[i] = L;
    }
    *lens_out = lens;
    return items;
}

static void print_choice(const char *key, const bml_batch_choice *c) {
    printf("\"%s\": {\"batch_size\": %zu, \"max_tokens\": %zu, \"policy\": \"%s\", \"threads\": %d, \"from_archive\": %s, "
           "\"cell\": %d}",
           key, c->batch_size, c->max_tokens, c->keep_order ? "input_order" : "sorted", c->threads,
           c->from_archive ? "true" : "false", c->cell);
}

static void compare_one(bml_model *m, const bml_tuning *t, const char *name, const bml_item *items, const size_t *lens,
                        size_t n, int reps) {
    bml_batch_choice h, c;
    double th[64], tt[64];
    int r, same;
    bml_batch_profile p;
    bml_batch_heuristic(m, lens, n, 0, &h);
    bml_tuning_choose(t, m, lens, n, 0, &c);
    bml_batch_profile_of(lens, n, &p);
    same = h.batch_size == c.batch_size && h.max_tokens == c.max_tokens && h.keep_order == c.keep_order;
    run(m, items, n, &h);
    run(m, items, n, &c);
    for (r = 0; r < reps; r++) {
        th[r] = run(m, items, n, &h);
        tt[r] = run(m, items, n, &c);
    }
    printf("{\"what\": \"compare\", \"sample\": \"%s\", \"n\": %zu, \"mean_len\": %.2f, \"spread\": %.3f, ", name, n,
           p.mean_len, p.spread);
    print_choice("heuristic", &h);
    printf(", ");
    print_choice("tuned", &c);
    printf(", \"same_config\": %s, \"heuristic_s\": %.6f, \"tuned_s\": %.6f}\n", same ? "true" : "false",
           median(th, (size_t)reps), median(tt, (size_t)reps));
    fflush(stdout);
}

int main(int argc, char **argv) {
    bml_blas_reexec(argv);
    if (argc >= 8 && !strcmp(argv[1], "compare")) {
        size_t n, *lens, k, sn = (size_t)atoi(argv[6]);
        int32_t **ids = read_ids(argv[4], &lens, &n);
        int th = atoi(argv[5]), reps = atoi(argv[7]);
        bml_model *m = load(argv[2], th);
        bml_tuning *t;
        bml_item *items = (bml_item *)calloc(n, sizeof *items);
        static const struct { const char *name; double mean, spread; size_t n; } gen[] = {
            {"generated mean 8, spread 0.1, 16 items", 8, 0.1, 16},
            {"generated mean 12, spread 0.4, 96 items", 12, 0.4, 96},
            {"generated mean 24, spread 0.8, 128 items", 24, 0.8, 128},
            {"generated mean 32, spread 0.1, 64 items", 32, 0.1, 64},
        };
        if (bml_tuning_load(argv[3], &t) != BML_OK) { fprintf(stderr, "%s\n", bml_last_error()); return 1; }
        if (reps < 1 || reps > 64 || sn < 1) { fprintf(stderr, "bad REPS or SAMPLE_N\n"); return 2; }
        g_out = (float *)malloc((n > 1024 ? n : 1024) * (size_t)bml_model_config(m)->hidden * sizeof(float));
        for (k = 0; k < n; k++) {
            items[k].id = k;
            items[k].ids = ids[k];
            items[k].n_ids = lens[k];
        }
        /* STS corpus slices: items [k*sn, (k+1)*sn) spread over the corpus */
        for (k = 0; k < 3 && (k + 1) * sn <= n; k++) {
            char name[96];
            size_t off = k * (n / 3);
            if (off + sn > n) off = n - sn;
            snprintf(name, sizeof name, "STS sentences %zu..%zu", off, off + sn - 1);
            compare_one(m, t, name, items + off, lens + off, sn, reps);
        }
        for (k = 0; k < sizeof gen / sizeof gen[0]; k++) {
            size_t *gl;
            bml_item *gi = gen_sample(gen[k].n, gen[k].mean, gen[k].spread, 1234 + k, &gl);
            compare_one(m, t, gen[k].name, gi, gl, gen[k].n, reps);
        }
        bml_tuning_free(t);
        bml_model_free(m);
        return 0;
    }
    if (argc >= 7 && !strcmp(argv[1], "sweep")) {
        size_t n, *lens, k, i, want = (size_t)atoi(argv[4]);
        int32_t **ids = read_ids(argv[3], &lens, &n);
        int th = atoi(argv[5]), reps = atoi(argv[6]), r;
        bml_model *m = load(argv[2], th);
        bml_item *items;
        static const size_t sizes[] = {4, 8, 16, 32, 64, 128, 256, 512};
        enum { NS = sizeof sizes / sizeof sizes[0] };
        bml_batch_choice cfg[NS + 1];
        double secs[NS + 1][64];
        if (want && want < n) n = want;
        if (reps < 1 || reps > 64) { fprintf(stderr, "bad REPS\n"); return 2; }
        items = (bml_item *)calloc(n, sizeof *items);
        g_out = (float *)malloc(n * (size_t)bml_model_config(m)->hidden * sizeof(float));
        for (k = 0; k < n; k++) {
            items[k].id = k;
            items[k].ids = ids[k];
            items[k].n_ids = lens[k];
        }
        bml_batch_heuristic(m, lens, n, 0, &cfg[0]);
        for (i = 0; i < NS; i++) {
            memset(&cfg[i + 1], 0, sizeof cfg[i + 1]);
            cfg[i + 1].batch_size = sizes[i];
        }
        run(m, items, n, &cfg[0]); /* warm-up */
        for (r = 0; r < reps; r++)
            for (i = 0; i <= NS; i++) secs[i][r] = run(m, items, n, &cfg[i]);
        for (i = 0; i <= NS; i++) {
            double s = median(secs[i], (size_t)reps);
            printf("{\"what\": \"sweep\", \"config\": \"%s\", \"batch_size\": %zu, \"max_tokens\": %zu, \"n\": %zu, "
                   "\"median_s\": %.6f, \"items_per_s\": %.2f}\n",
                   i ? "fixed" : "heuristic", cfg[i].batch_size, cfg[i].max_tokens, n, s, (double)n / s);
        }
        bml_model_free(m);
        return 0;
    }
    fprintf(stderr, "usage: tuning_bench compare MODEL ARCHIVE IDS THREADS SAMPLE_N REPS\n"
                    "       tuning_bench sweep MODEL IDS N THREADS REPS\n");
    return 2;
}

/* embed_bench: batchml's side of the embedding benchmark (bench/run.sh).
     embed_bench throughput MODEL IDS.jsonl BATCH THREADS   corpus throughput
     embed_bench latency MODEL                              one 16-token input, batch 1, 1 thread
     embed_bench gemm THREADS                               sgemm GFLOP/s at M=2048 K=384 N=1536
   Each prints one JSON line. Protocol (as for the peers): the same token ids,
   one warm-up pass over the corpus, then the whole corpus timed; batches are
   formed by bml_embed_batch (sorted by length, packed without padding). */
#define BATCHML_IMPLEMENTATION
#include "batchml.h"

static double now_s(void) { return (double)bml_now_ns() * 1e-9; }

static int32_t **read_ids(const char *path, size_t **lens, size_t *n, size_t *tokens) {
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, k = 0, capn = 0;
    ssize_t got;
    int32_t **ids = NULL;
    *n = *tokens = 0;
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
            ids = realloc(ids, capn * sizeof *ids);
            *lens = realloc(*lens, capn * sizeof **lens);
        }
        ids[k] = malloc(r->len * sizeof(int32_t));
        for (i = 0; i < r->len; i++) ids[k][i] = (int32_t)r->kids[i].num;
        (*lens)[k] = r->len;
        *tokens += r->len;
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
    bml_model_desc d = {0};
    d.path = dir;
    d.threads = threads;
    d.no_tokenizer = 1;
    if (bml_model_load(&d, &m) != BML_OK) { fprintf(stderr, "%s\n", bml_last_error()); exit(1); }
    return m;
}

int main(int argc, char **argv) {
    bml_blas_reexec(argv);
    if (argc >= 6 && !strcmp(argv[1], "throughput")) {
        size_t n, tokens, *lens, i, H;
        int32_t **ids = read_ids(argv[3], &lens, &n, &tokens);
        int bs = atoi(argv[4]), th = atoi(argv[5]);
        bml_model *m = load(argv[2], th);
        bml_item *items = calloc(n, sizeof *items);
        float *out;
        bml_batch_desc bd = {0};
        bml_result res = {0};
        double t0, t1;
        H = (size_t)bml_model_config(m)->hidden;
        out = malloc(n * H * sizeof(float));
        for (i = 0; i < n; i++) { items[i].id = i; items[i].ids = ids[i]; items[i].n_ids = lens[i]; }
        bd.batch_size = (size_t)bs;
        bml_embed_batch(m, items, n, &bd, out, NULL); /* warm-up pass */
        t0 = now_s();
        bml_embed_batch(m, items, n, &bd, out, &res);
        t1 = now_s();
        printf("{\"system\":\"batchml\",\"batch\":%d,\"threads\":%d,\"sentences_per_s\":%.1f,\"tokens_per_s\":%.0f,"
               "\"n\":%zu,\"tokens\":%zu,\"seconds\":%.3f,\"failed\":%zu,\"blas\":\"%s\"}\n",
               bs, th, (double)n / (t1 - t0), (double)tokens / (t1 - t0), n, tokens, t1 - t0, res.stats.failed, bml_blas_info());
        if (argc >= 7) { /* dump embeddings for a correctness check against the peer */
            FILE *f = fopen(argv[6], "wb");
            fwrite(out, sizeof(float), n * H, f);
            fclose(f);
        }
        bml_result_free(&res);
        bml_model_free(m);
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "latency")) {
        int32_t ids[16] = {101, 1037, 2158, 2003, 2652, 1037, 2858, 1998, 6170, 1037, 2299, 2006, 1996, 2754, 1012, 102};
        bml_model *m = load(argv[2], 1);
        float e[4096];
        double best = 1e9, sum = 0;
        int i, reps = 200;
        for (i = 0; i < 20; i++) bml_embed_ids(m, ids, 16, e);
        for (i = 0; i < reps; i++) {
            double t0 = now_s(), dt;
            bml_embed_ids(m, ids, 16, e);
            dt = now_s() - t0;
            sum += dt;
            if (dt < best) best = dt;
        }
        printf("{\"system\":\"batchml\",\"what\":\"latency_16_tokens_batch1_1thread\",\"mean_ms\":%.3f,\"min_ms\":%.3f}\n",
               1e3 * sum / reps, 1e3 * best);
        bml_model_free(m);
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "gemm")) {
#ifndef BATCHML_NO_BLAS
        /* the GEMM bound: OpenBLAS's own threading, the peers' best case */
        extern void bml__openblas_set_num_threads(int n) __asm__("openblas_set_num_threads");
        int th = atoi(argv[2]), M = 2048, K = 384, N = 1536, r, reps = 20;
        float *A = calloc((size_t)M * K, 4), *B = calloc((size_t)N * K, 4), *C = calloc((size_t)M * N, 4);
        double t0, best = 1e9;
        for (r = 0; r < M * K; r++) A[r] = (float)(r % 7) * 0.1f;
        for (r = 0; r < N * K; r++) B[r] = (float)(r % 5) * 0.1f;
        bml__openblas_set_num_threads(th);
        for (r = 0; r < reps; r++) {
            double dt;
            t0 = now_s();
            bml__gemm(0, 0, 1, M, N, K, 1.0f, A, K, B, K, 0.0f, C, N);
            dt = now_s() - t0;
            if (r >= 3 && dt < best) best = dt;
        }
        printf("{\"what\":\"sgemm\",\"threads\":%d,\"gflops\":%.1f,\"blas\":\"%s\"}\n", th, 2.0 * M * N * K / best * 1e-9,
               bml_blas_info());
#endif
        return 0;
    }
    fprintf(stderr, "usage: embed_bench throughput MODEL IDS BATCH THREADS [DUMP] | latency MODEL | gemm THREADS\n");
    return 2;
}

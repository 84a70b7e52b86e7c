/* opencl_bench: the OpenCL path beside the CPU path (bench/opencl.sh).
     opencl_bench embed MODEL TEXTS N DEVICE BATCH THREADS
         the first N lines of TEXTS embedded in batches of BATCH; one warm-up
         pass over the first 256 (kernel compilation happens there), then the
         N timed
     opencl_bench overlay MODEL TEXTS N DEVICE THREADS
         grad overlays (value head) of the first N texts, batched (8 a pass)
   Each prints one JSON line. DEVICE: cpu, opencl, opencl:P:D, auto. With
   BATCHML_OPENCL_PROFILE=1 the per-kernel device times go to stderr. */
#define BATCHML_IMPLEMENTATION
#include "batchml.h"

static void on_log(bml_log_level level, const char *msg, void *user) {
    (void)user;
    if (level >= BML_LOG_INFO) fprintf(stderr, "%s\n", msg);
}

static char **read_lines(const char *path, size_t want, size_t *n) {
    FILE *f = fopen(path, "r");
    static char line[1 << 16];
    char **v = calloc(want + 1, sizeof *v);
    *n = 0;
    if (!f || !v) { perror(path); exit(1); }
    while (*n < want && fgets(line, sizeof line, f)) {
        size_t k = strlen(line);
        while (k && (line[k - 1] == '\n' || line[k - 1] == '\r')) line[--k] = 0;
        if (!k) continue;
        v[*n] = malloc(k + 1);
        memcpy(v[*n], line, k + 1);
        (*n)++;
    }
    fclose(f);
    return v;
}

int main(int argc, char **argv) {
    bml_model *m = NULL;
    bml_model_desc md;
    char **texts;
    size_t n, i, H, tokens = 0, ok;
    bml_item *items;
    uint64_t t0;
    double load_s, warm_s, run_s;
    int ov;
    if (argc < 7) {
        fprintf(stderr, "usage: opencl_bench embed MODEL TEXTS N DEVICE BATCH THREADS | overlay MODEL TEXTS N DEVICE THREADS\n");
        return 2;
    }
    ov = !strcmp(argv[1], "overlay");
    bml_set_log(on_log, NULL);
    texts = read_lines(argv[3], (size_t)atol(argv[4]), &n);
    memset(&md, 0, sizeof md);
    md.path = argv[2];
    md.device = argv[5];
    md.threads = atoi(argv[ov ? 6 : 7]);
    t0 = bml_now_ns();
    if (bml_model_load(&md, &m) != BML_OK) { fprintf(stderr, "%s\n", bml_last_error()); return 1; }
    load_s = (double)(bml_now_ns() - t0) * 1e-9;
    H = (size_t)bml_model_config(m)->hidden;
    items = calloc(n, sizeof *items);
    for (i = 0; i < n; i++) {
        bml_encoding enc;
        items[i].id = i;
        items[i].text = texts[i];
        items[i].len = -1;
        memset(&enc, 0, sizeof enc);
        if (bml_tokenize(bml_model_tokenizer(m), texts[i], (ptrdiff_t)strlen(texts[i]), BML_UTF8_REPLACE, &enc) == BML_OK)
            tokens += enc.n;
        bml_encoding_free(&enc);
    }
    if (!ov) {
        bml_batch_desc bd;
        float *out = malloc(n * H * sizeof(float));
        bml_result res;
        memset(&bd, 0, sizeof bd);
        memset(&res, 0, sizeof res);
        bd.batch_size = (size_t)atol(argv[6]);
        t0 = bml_now_ns();
        if (bml_embed_batch(m, items, n < 256 ? n : 256, &bd, out, NULL) != BML_OK) { fprintf(stderr, "%s\n", bml_last_error()); return 1; }
        warm_s = (double)(bml_now_ns() - t0) * 1e-9;
        t0 = bml_now_ns();
        if (bml_embed_batch(m, items, n, &bd, out, &res) != BML_OK) { fprintf(stderr, "%s\n", bml_last_error()); return 1; }
        run_s = (double)(bml_now_ns() - t0) * 1e-9;
        ok = bml_result_success_count(&res);
        printf("{\"what\":\"opencl_embed\",\"device\":\"%s\",\"device_name\":\"%s\",\"batch\":%s,\"threads\":%d,"
               "\"sentences\":%zu,\"ok\":%zu,\"tokens\":%zu,\"load_s\":%.3f,\"warmup_s\":%.3f,\"seconds\":%.3f,"
               "\"sentences_per_s\":%.1f,\"tokens_per_s\":%.0f}\n",
               argv[5], bml_model_device(m), argv[6], md.threads, n, ok, tokens, load_s, warm_s, run_s, (double)n / run_s,
               (double)tokens / run_s);
        bml_result_free(&res);
        free(out);
    } else {
        bml_overlay_desc od;
        bml_overlay *outs = calloc(n, sizeof *outs);
        bml_target *tg = NULL;
        char spec[4300], path[4096], *w = malloc(64 * H + 64);
        size_t o = 0;
        FILE *f;
        snprintf(path, sizeof path, "%s/../bench-value%zu.json", argv[2], H);
        o += (size_t)sprintf(w + o, "{\"weight\":[");
        for (i = 0; i < H; i++) o += (size_t)sprintf(w + o, "%s%.3f", i ? "," : "", (double)((int)((i * 7919) % 200) - 100) / 100.0);
        sprintf(w + o, "],\"bias\":0.1}");
        if (!(f = fopen(path, "w"))) { perror(path); return 1; }
        fputs(w, f);
        fclose(f);
        snprintf(spec, sizeof spec, "value:%s", path);
        if (bml_target_parse(m, spec, &tg) != BML_OK) { fprintf(stderr, "%s\n", bml_last_error()); return 1; }
        memset(&od, 0, sizeof od);
        od.method = BML_METHOD_GRAD;
        od.target = tg;
        t0 = bml_now_ns();
        if (bml_overlay_compute_batch(m, &od, items, n < 16 ? n : 16, outs) != BML_OK) { fprintf(stderr, "%s\n", bml_last_error()); return 1; }
        warm_s = (double)(bml_now_ns() - t0) * 1e-9;
        for (i = 0; i < (n < 16 ? n : 16); i++) bml_overlay_free(&outs[i]);
        t0 = bml_now_ns();
        if (bml_overlay_compute_batch(m, &od, items, n, outs) != BML_OK) { fprintf(stderr, "%s\n", bml_last_error()); return 1; }
        run_s = (double)(bml_now_ns() - t0) * 1e-9;
        for (i = ok = 0; i < n; i++) { ok += outs[i].status == BML_OK; bml_overlay_free(&outs[i]); }
        printf("{\"what\":\"opencl_overlay\",\"device\":\"%s\",\"device_name\":\"%s\",\"method\":\"grad\",\"threads\":%d,"
               "\"texts\":%zu,\"ok\":%zu,\"tokens\":%zu,\"load_s\":%.3f,\"warmup_s\":%.3f,\"seconds\":%.3f,"
               "\"overlays_per_s\":%.2f}\n",
               argv[5], bml_model_device(m), md.threads, n, ok, tokens, load_s, warm_s, run_s, (double)n / run_s);
        bml_target_free(tg);
        free(outs);
        free(w);
    }
    bml_model_free(m);
    for (i = 0; i < n; i++) free(texts[i]);
    free(texts);
    free(items);
    return 0;
}

/* overlay_bench: batchml's side of the overlay benchmark (bench/run.sh).
     overlay_bench batching MODEL IDS.jsonl N THREADS   per-overlay time, sequential vs batch 4/8/16/32
     overlay_bench cost MODEL THREADS                    one grad overlay vs one forward pass, same text
     overlay_bench rate MODEL IDS.jsonl N THREADS METHOD overlays/s one text at a time (vs PyTorch autograd)
   Each prints JSON lines. Target: a random value head (f = w.e + b). */
#define BATCHML_IMPLEMENTATION
#include "batchml.h"

static double now_s(void) { return (double)bml_now_ns() * 1e-9; }

static bml_item *read_items(const char *path, size_t want, size_t *n) {
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, k = 0;
    ssize_t got;
    bml_item *items = calloc(want, sizeof *items);
    if (!f) { perror(path); exit(1); }
    while (k < want && (got = getline(&line, &cap, f)) > 0) {
        bml_json_doc *doc;
        const bml_json *r;
        int32_t *ids;
        size_t i;
        if (bml_json_parse(line, (size_t)got, path, &doc) != BML_OK) { fprintf(stderr, "%s\n", bml_last_error()); exit(1); }
        r = bml_json_root(doc);
        ids = malloc(r->len * sizeof(int32_t));
        for (i = 0; i < r->len; i++) ids[i] = (int32_t)r->kids[i].num;
        items[k].id = k;
        items[k].ids = ids;
        items[k].n_ids = r->len;
        k++;
        bml_json_free(doc);
    }
    free(line);
    fclose(f);
    *n = k;
    return items;
}

static bml_model *load(const char *dir, int threads) {
    bml_model *m;
    bml_model_desc d = {0};
    d.path = dir;
    d.threads = threads;
    if (bml_model_load(&d, &m) != BML_OK) { fprintf(stderr, "%s\n", bml_last_error()); exit(1); }
    return m;
}

static bml_target *value_head(bml_model *m) {
    int H = bml_model_config(m)->hidden, i;
    char path[] = "/tmp/bml-bench-value.json", spec[64];
    FILE *f = fopen(path, "w");
    bml_target *t;
    fprintf(f, "{\"weight\":[");
    for (i = 0; i < H; i++) fprintf(f, "%s%.3f", i ? "," : "", ((i * 7919) % 200 - 100) / 100.0);
    fprintf(f, "],\"bias\":0.1}");
    fclose(f);
    snprintf(spec, sizeof spec, "value:%s", path);
    if (bml_target_parse(m, spec, &t) != BML_OK) { fprintf(stderr, "%s\n", bml_last_error()); exit(1); }
    return t;
}

/* seconds per overlay over items, computed batch_size at a time (0 = one at a time) */
static double per_overlay(bml_model *m, bml_overlay_desc *d, bml_item *items, size_t n, size_t bs) {
    bml_overlay *o = calloc(n, sizeof *o);
    double t0;
    size_t i, k;
    t0 = now_s();
    if (bs == 0) {
        for (i = 0; i < n; i++) { bml_overlay_compute(m, d, &items[i], &o[i]); bml_overlay_free(&o[i]); }
    } else {
        d->batch_size = bs;
        for (i = 0; i < n; i += bs) {
            size_t c = n - i < bs ? n - i : bs;
            bml_overlay_compute_batch(m, d, items + i, c, o + i);
            for (k = 0; k < c; k++) bml_overlay_free(&o[i + k]);
        }
    }
    free(o);
    return (now_s() - t0) / (double)n;
}

int main(int argc, char **argv) {
    bml_blas_reexec(argv);
    if (argc >= 6 && !strcmp(argv[1], "batching")) {
        size_t n, sizes[] = {0, 1, 4, 8, 16, 32}, s;
        bml_item *items = read_items(argv[3], (size_t)atoi(argv[4]), &n);
        bml_model *m = load(argv[2], atoi(argv[5]));
        bml_overlay_desc d = {0};
        double seq;
        d.method = BML_METHOD_GRAD;
        d.target = value_head(m);
        per_overlay(m, &d, items, n < 16 ? n : 16, 8); /* warm-up */
        seq = per_overlay(m, &d, items, n, 0);
        for (s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            double t = sizes[s] ? per_overlay(m, &d, items, n, sizes[s]) : seq;
            printf("{\"what\":\"overlay_batching\",\"method\":\"grad\",\"batch\":%zu,\"ms_per_overlay\":%.3f,\"speedup_vs_sequential\":%.2f,\"n\":%zu}\n",
                   sizes[s], 1e3 * t, seq / t, n);
            fflush(stdout);
        }
        return 0;
    }
    if (argc >= 4 && !strcmp(argv[1], "cost")) {
        /* the same 16-token text: one forward pass vs one grad overlay */
        int32_t ids[16] = {101, 1037, 2158, 2003, 2652, 1037, 2858, 1998, 6170, 1037, 2299, 2006, 1996, 2754, 1012, 102};
        bml_model *m = load(argv[2], atoi(argv[3]));
        bml_overlay_desc d = {0};
        bml_item it;
        bml_overlay o;
        float e[4096];
        double t0, tf = 1e9, tg = 1e9;
        int r;
        memset(&it, 0, sizeof it);
        it.ids = ids;
        it.n_ids = 16;
        d.method = BML_METHOD_GRAD;
        d.target = value_head(m);
        for (r = 0; r < 60; r++) {
            t0 = now_s();
            bml_embed_ids(m, ids, 16, e);
            if (r >= 10 && now_s() - t0 < tf) tf = now_s() - t0;
            t0 = now_s();
            bml_overlay_compute(m, &d, &it, &o);
            if (r >= 10 && now_s() - t0 < tg) tg = now_s() - t0;
            bml_overlay_free(&o);
        }
        printf("{\"what\":\"overlay_cost\",\"forward_ms\":%.3f,\"grad_overlay_ms\":%.3f,\"ratio\":%.2f}\n", 1e3 * tf, 1e3 * tg, tg / tf);
        return 0;
    }
    if (argc >= 7 && !strcmp(argv[1], "rate")) {
        size_t n, i;
        bml_item *items = read_items(argv[3], (size_t)atoi(argv[4]), &n);
        bml_model *m = load(argv[2], atoi(argv[5]));
        bml_overlay_desc d = {0};
        int want;
        double t, tok = 0;
        bml_overlay o;
        if (bml_method_parse(argv[6], &d.method, &want) != BML_OK) { fprintf(stderr, "%s\n", bml_last_error()); return 1; }
        d.target = value_head(m);
        for (i = 0; i < (n < 16 ? n : 16); i++) { bml_overlay_compute(m, &d, &items[i], &o); bml_overlay_free(&o); }
        t = now_s();
        for (i = 0; i < n; i++) { bml_overlay_compute(m, &d, &items[i], &o); tok += (double)o.n; bml_overlay_free(&o); }
        t = now_s() - t;
        printf("{\"system\":\"batchml\",\"what\":\"overlay_rate\",\"method\":\"%s\",\"overlays_per_s\":%.1f,\"tokens_per_s\":%.0f,\"n\":%zu}\n",
               argv[6], (double)n / t, tok / t, n);
        return 0;
    }
    fprintf(stderr, "usage: overlay_bench batching MODEL IDS N THREADS | cost MODEL THREADS | rate MODEL IDS N THREADS METHOD\n");
    return 2;
}

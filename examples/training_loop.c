/* training_loop — overlays from inside a long-running loop (ADR-003).

   The loop trains a small value head on sentence embeddings (one SGD step
   on a squared error per text) and, every K steps, asks the buffering
   exporter for the overlays of that step's text (grad_x_input against a
   similarity target, and value_grad against a frozen snapshot of the value
   head). The exporter queues the requests and computes them batch_size at
   a time; the loop never waits on a single overlay.

   It runs the same loop twice, with batch_size 0 (each request computed
   as it comes) and 4, then checks that the two output directories are
   byte-identical and prints how long the exporter took in each run (its
   compute + write + fsync time, from bml_exporter_stats) and the ratio.

   usage: training_loop [MODEL_DIR [OUT_DIR [STEPS [K]]]]
     MODEL_DIR  a sentence-transformers directory; "-" or none: a tiny
                random model is made in OUT_DIR/model
     OUT_DIR    default build/example-training-loop
     STEPS, K   default 400 and 2 (200 overlay requests per method)
   Exit status 0 when the outputs are identical. */
#define BATCHML_IMPLEMENTATION
#include "batchml.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef BATCHML_ASSETS_DIR
#define BATCHML_ASSETS_DIR "assets/minilm-l6-arch"
#endif

static const char *corpus[] = {
    "A man is playing a guitar on the street.", "The movie was great fun from start to finish.",
    "A child is riding a horse in the field.", "Nobody liked the terrible ending.",
    "Two dogs are running through the snow.", "She was happy to see her old friends again.",
    "The market fell sharply after the announcement.", "A woman is slicing an onion.",
    "It rained all day and the match was cancelled.", "The team celebrated a well-deserved victory.",
    "A cat sleeps on a warm windowsill.", "The service was slow and the food was cold.",
    "Children are playing football in the park.", "What a wonderful surprise this turned out to be!",
    "The bridge was closed for repairs.", "He forgot his keys and waited outside for hours.",
};
#define NCORPUS (sizeof corpus / sizeof corpus[0])

typedef struct run_result { double loop_s, export_s, compute_s, write_s, sync_s; size_t records, batches; } run_result;

static double secs(uint64_t ns) { return (double)ns * 1e-9; }

/* The loop: train the head, add an overlay request every k steps. */
static int run_loop(bml_model *m, const char *dir, int batch_size, const char *head_spec, int steps, int k,
                    run_result *res) {
    const bml_config *c = bml_model_config(m);
    bml_exporter_method meth[2];
    bml_exporter_desc d;
    bml_exporter *ex;
    float *e = calloc((size_t)c->hidden, sizeof(float)), *w = calloc((size_t)c->hidden, sizeof(float));
    float b = 0, lr = 0.05f;
    uint64_t t0;
    size_t i;
    int step;
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) return 1;
    memset(meth, 0, sizeof meth);
    meth[0].method = "grad_x_input";
    meth[0].target = "sim:a happy and wonderful day";
    meth[1].method = "value_grad";
    meth[1].target = head_spec;
    memset(&d, 0, sizeof d);
    d.enabled = 1;
    d.methods = meth;
    d.n_methods = 2;
    d.batch_size = batch_size; /* 0 = sequential, 1..32 = batched */
    d.dir = dir;
    if (bml_exporter_create(m, &d, &ex) != BML_OK) {
        fprintf(stderr, "training_loop: %s\n", bml_last_error());
        return 1;
    }
    t0 = bml_now_ns();
    for (step = 0; step < steps; step++) {
        const char *text = corpus[(size_t)step % NCORPUS];
        float y = strstr(text, "great") || strstr(text, "happy") || strstr(text, "wonderful") || strstr(text, "victory") ? 1.0f : 0.0f;
        float pred = b, g;
        int j;
        /* the training step: forward, squared error, SGD on the head */
        if (bml_embed_text(m, text, -1, e) != BML_OK) { fprintf(stderr, "training_loop: %s\n", bml_last_error()); return 1; }
        for (j = 0; j < c->hidden; j++) pred += w[j] * e[j];
        g = pred - y;
        for (j = 0; j < c->hidden; j++) w[j] -= lr * g * e[j];
        b -= lr * g;
        /* every k steps: an overlay request (queued; computed batch_size at a time) */
        if (step % k == 0 && bml_exporter_add(ex, (uint64_t)step, text, -1) != BML_OK)
            fprintf(stderr, "training_loop: step %d: %s (kept, retried later)\n", step, bml_last_error());
    }
    if (bml_exporter_flush(ex) != BML_OK) { fprintf(stderr, "training_loop: %s\n", bml_last_error()); return 1; }
    memset(res, 0, sizeof *res);
    res->loop_s = secs(bml_now_ns() - t0);
    for (i = 0; i < bml_exporter_method_count(ex); i++) {
        bml_exporter_stats st;
        bml_exporter_stats_get(ex, i, &st);
        res->compute_s += secs(st.compute_ns);
        res->write_s += secs(st.write_ns);
        res->sync_s += secs(st.sync_ns);
        res->records += st.records;
        res->batches += st.batches;
    }
    res->export_s = res->compute_s + res->write_s + res->sync_s;
    free(e);
    free(w);
    return bml_exporter_close(ex) == BML_OK ? 0 : 1;
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    *len = 0;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    *len = fread(buf, 1, (size_t)n, f);
    fclose(f);
    return buf;
}

int main(int argc, char **argv) {
    const char *model_dir = argc > 1 && strcmp(argv[1], "-") ? argv[1] : NULL;
    const char *out = argc > 2 ? argv[2] : "build/example-training-loop";
    int steps = argc > 3 ? atoi(argv[3]) : 400, k = argc > 4 ? atoi(argv[4]) : 2, i, same = 1;
    char path[4096], mpath[4096], head_spec[4200], dir0[4096], dir4[4096];
    bml_model_desc md;
    bml_model *m;
    run_result r0, r4;
    FILE *f;
    static const char *names[] = {"grad_x_input", "value_grad"};
    bml_blas_reexec(argv);
    if (steps < 1 || k < 1) { fprintf(stderr, "usage: training_loop [MODEL_DIR [OUT_DIR [STEPS [K]]]]\n"); return 2; }
    snprintf(path, sizeof path, "mkdir -p '%s'", out);
    if (system(path) != 0) { fprintf(stderr, "training_loop: cannot create %s\n", out); return 1; }
    if (!model_dir) {
        bml_mkmodel_desc mk;
        memset(&mk, 0, sizeof mk);
        snprintf(mpath, sizeof mpath, "%s/model", out);
        mk.out_dir = mpath;
        mk.assets_dir = BATCHML_ASSETS_DIR;
        mk.seed = 7;
        mk.layers = 2; mk.hidden = 32; mk.heads = 4; mk.intermediate = 64;
        if (bml_mkmodel(&mk) != BML_OK) { fprintf(stderr, "training_loop: %s\n", bml_last_error()); return 1; }
        model_dir = mpath;
    }
    /* the loop's own model: loaded for speed (OpenBLAS); the exporter runs
       its passes in deterministic mode on it anyway */
    memset(&md, 0, sizeof md);
    md.path = model_dir;
    if (bml_model_load(&md, &m) != BML_OK) { fprintf(stderr, "training_loop: %s\n", bml_last_error()); return 1; }
    /* a frozen snapshot of a value head, the value_grad target */
    {
        int H = bml_model_config(m)->hidden, j;
        uint64_t s = 99;
        snprintf(path, sizeof path, "%s/value_head.json", out);
        f = fopen(path, "wb");
        if (!f) { fprintf(stderr, "training_loop: cannot write %s\n", path); return 1; }
        fputs("{\"weight\":[", f);
        for (j = 0; j < H; j++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            fprintf(f, "%s%.5f", j ? "," : "", (double)((int)(s >> 40) % 2000 - 1000) / 1000.0);
        }
        fputs("],\"bias\":0.0}\n", f);
        fclose(f);
        snprintf(head_spec, sizeof head_spec, "value:%s", path);
    }
    snprintf(dir0, sizeof dir0, "%s/batch0", out);
    snprintf(dir4, sizeof dir4, "%s/batch4", out);
    printf("model %s (hidden %d, %d layers), %d steps, an overlay request every %d steps, 2 methods\n", model_dir,
           bml_model_config(m)->hidden, bml_model_config(m)->layers, steps, k);
    if (run_loop(m, dir0, 0, head_spec, steps, k, &r0) || run_loop(m, dir4, 4, head_spec, steps, k, &r4)) return 1;
    for (i = 0; i < 2; i++) {
        char a[4200], b[4200];
        size_t la, lb;
        char *x, *y;
        snprintf(a, sizeof a, "%s/%s.jsonl", dir0, names[i]);
        snprintf(b, sizeof b, "%s/%s.jsonl", dir4, names[i]);
        x = slurp(a, &la);
        y = slurp(b, &lb);
        if (!x || !y || la != lb || memcmp(x, y, la)) same = 0;
        printf("%-13s batch 0: %zu bytes, batch 4: %zu bytes\n", names[i], la, lb);
        free(x);
        free(y);
    }
    printf("batch_size 0: loop %.3fs, exporter %.3fs (compute %.3f, write %.4f, fsync %.4f), %zu records, %zu passes\n",
           r0.loop_s, r0.export_s, r0.compute_s, r0.write_s, r0.sync_s, r0.records, r0.batches);
    printf("batch_size 4: loop %.3fs, exporter %.3fs (compute %.3f, write %.4f, fsync %.4f), %zu records, %zu passes\n",
           r4.loop_s, r4.export_s, r4.compute_s, r4.write_s, r4.sync_s, r4.records, r4.batches);
    printf("outputs identical: %s\n", same ? "yes" : "NO");
    printf("exporter speedup batch 4 vs sequential: %.2fx (whole loop %.2fx)\n", r0.export_s / r4.export_s,
           r0.loop_s / r4.loop_s);
    bml_model_free(m);
    return same ? 0 : 1;
}

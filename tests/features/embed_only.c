/* tests/features/embed_only.c -- the smallest embedding program: load a
   model, embed the lines of stdin in one batch, print each embedding's
   first value and its norm. Built by tests/features.test with and without
   BATCHML_NO_OVERLAY, BATCHML_NO_EXPORTER, BATCHML_NO_TUNE and
   BATCHML_NO_MKMODEL; both builds must print the same. */
#define BATCHML_IMPLEMENTATION
#include "batchml.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    bml_model_desc md;
    bml_model *m;
    bml_item items[64];
    char lines[64][512];
    size_t n = 0, i, H;
    float *out;
    bml_result res;
    if (argc != 2) { fprintf(stderr, "usage: embed_only MODEL_DIR < lines\n"); return 2; }
    memset(&md, 0, sizeof md);
    md.path = argv[1];
    md.threads = 1;
    if (bml_model_load(&md, &m) != BML_OK) { fprintf(stderr, "%s\n", bml_last_error()); return 1; }
    memset(items, 0, sizeof items);
    while (n < 64 && fgets(lines[n], sizeof lines[n], stdin)) {
        lines[n][strcspn(lines[n], "\n")] = 0;
        items[n].id = n;
        items[n].text = lines[n];
        items[n].len = -1;
        n++;
    }
    H = (size_t)bml_model_config(m)->hidden;
    out = (float *)malloc(n * H * sizeof(float) + 1);
    memset(&res, 0, sizeof res);
    if (!out || bml_embed_batch(m, items, n, NULL, out, &res) != BML_OK) { fprintf(stderr, "%s\n", bml_last_error()); return 1; }
    for (i = 0; i < n; i++) {
        double s = 0;
        size_t j;
        for (j = 0; j < H; j++) s += (double)out[i * H + j] * out[i * H + j];
        printf("%zu %s %.9g %.9g\n", i, bml_status_name(res.responses[i].status), out[i * H], sqrt(s));
    }
    bml_result_free(&res);
    free(out);
    bml_model_free(m);
    return 0;
}

/* batch_file: embed every line of a file in batches, then print each item's
   status and the call's stats.

     build/examples/batch_file MODEL_DIR FILE [BATCH_SIZE]

   One bml_embed_batch call takes the whole file: items are sorted by length
   into batches, a bad item (an empty line, invalid UTF-8) fails alone with its
   own status, and the result holds per-item latencies and throughput. */
#define BATCHML_IMPLEMENTATION
#include "batchml.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    bml_model_desc desc = {0};
    bml_batch_desc batch = {0};
    bml_model *model = NULL;
    bml_result res = {0};
    bml_item items[1000];
    char *lines[1000], buf[4096];
    float *emb;
    size_t n = 0, i;
    FILE *f;

    bml_blas_reexec(argv);  /* first thing: restarts with AVX-512 OpenBLAS kernels if they were missed */
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL_DIR FILE [BATCH_SIZE]\n", argv[0]);
        return 2;
    }
    desc.path = argv[1];
    if (bml_model_load(&desc, &model) != BML_OK) {
        fprintf(stderr, "cannot load %s: %s\n", argv[1], bml_last_error());
        return 1;
    }
    if (!(f = fopen(argv[2], "r"))) { perror(argv[2]); return 1; }
    while (n < 1000 && fgets(buf, sizeof buf, f)) {          /* one item a line */
        buf[strcspn(buf, "\n")] = 0;
        lines[n] = malloc(strlen(buf) + 1);
        if (!lines[n]) return 1;
        strcpy(lines[n], buf);
        memset(&items[n], 0, sizeof items[n]);
        items[n].id = n + 1;                                 /* ids come back in the responses */
        items[n].text = lines[n];
        items[n].len = -1;                                   /* NUL-terminated */
        n++;
    }
    fclose(f);

    batch.batch_size = argc > 3 ? (size_t)atoi(argv[3]) : 0; /* 0 = the default, 32 */
    batch.measure_single = 8;      /* also time 8 items one at a time, for speedup_vs_single */
    emb = malloc((n ? n : 1) * (size_t)bml_model_config(model)->hidden * sizeof *emb);
    if (!emb || bml_embed_batch(model, items, n, &batch, emb, &res) != BML_OK) {
        fprintf(stderr, "batch failed: %s\n", bml_last_error());
        return 1;
    }

    for (i = 0; i < res.count; i++) {                        /* responses are in input order */
        const bml_response *r = &res.responses[i];
        if (r->status == BML_OK)
            printf("item %3llu ok     %.3f ms  e[0] = %+.5f\n", (unsigned long long)r->id, r->duration_ns / 1e6, r->data[0]);
        else
            printf("item %3llu FAILED %s: %s\n", (unsigned long long)r->id, bml_status_name(r->status), r->error);
    }
    printf("%zu items, %zu ok, %zu failed, %.1f items/s, p50 %.2f ms, p95 %.2f ms, speedup vs one at a time %.2fx\n",
           res.stats.total_items, res.stats.succeeded, res.stats.failed, res.stats.items_per_s, res.stats.p50_ns / 1e6,
           res.stats.p95_ns / 1e6, res.stats.speedup_vs_single);

    for (i = 0; i < n; i++) free(lines[i]);
    free(emb);
    bml_result_free(&res);
    bml_model_free(model);
    return 0;
}

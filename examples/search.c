/* search: semantic search over a small in-memory index.

     build/examples/search MODEL_DIR FILE "a query" [K]

   Embeds every line of FILE in one batched call (the index: one unit vector
   a row), embeds the query, and prints the K best lines by cosine similarity.
   `batchml index` / `batchml search` do the same for large corpora, with the
   index in files that are memory-mapped. */
#define BATCHML_IMPLEMENTATION
#include "batchml.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXN 1000

static char *lines[MAXN];
static double score[MAXN];

static int by_score(const void *a, const void *b) {   /* best first, ties by line */
    int x = *(const int *)a, y = *(const int *)b;
    return score[x] < score[y] ? 1 : score[x] > score[y] ? -1 : x - y;
}

int main(int argc, char **argv) {
    bml_model_desc desc = {0};
    bml_model *model = NULL;
    bml_item items[MAXN];
    int order[MAXN], n = 0, i, j, H, k = argc > 4 ? atoi(argv[4]) : 3;
    float *index, *query;
    char buf[4096];
    FILE *f;

    if (argc < 4) { fprintf(stderr, "usage: %s MODEL_DIR FILE QUERY [K]\n", argv[0]); return 2; }
    desc.path = argv[1];
    if (bml_model_load(&desc, &model) != BML_OK) { fprintf(stderr, "%s\n", bml_last_error()); return 1; }
    H = bml_model_config(model)->hidden;
    if (!(f = fopen(argv[2], "r"))) { perror(argv[2]); return 1; }
    while (n < MAXN && fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\n")] = 0;
        if (!buf[0]) continue;                           /* skip empty lines */
        lines[n] = malloc(strlen(buf) + 1);
        strcpy(lines[n], buf);
        memset(&items[n], 0, sizeof items[n]);
        items[n].text = lines[n];
        items[n].len = -1;
        n++;
    }
    fclose(f);

    /* The index: every line embedded in one batched call, row i = line i.
       A Normalize module (all-MiniLM-L6-v2 has one) makes the rows unit
       vectors, so a dot product is the cosine. */
    index = malloc((size_t)(n ? n : 1) * H * sizeof *index);
    query = malloc((size_t)H * sizeof *query);
    if (bml_embed_batch(model, items, (size_t)n, NULL, index, NULL) != BML_OK ||
        bml_embed_text(model, argv[3], -1, query) != BML_OK) {
        fprintf(stderr, "%s\n", bml_last_error());
        return 1;
    }
    if (!bml_model_config(model)->normalize) fprintf(stderr, "note: this model does not normalize; scores are dot products\n");

    for (i = 0; i < n; i++) {                            /* brute force: fine for thousands */
        score[i] = 0;
        for (j = 0; j < H; j++) score[i] += (double)index[(size_t)i * H + j] * query[j];
        order[i] = i;
    }
    qsort(order, (size_t)n, sizeof *order, by_score);
    for (i = 0; i < k && i < n; i++) printf("%.4f  %s\n", score[order[i]], lines[order[i]]);

    for (i = 0; i < n; i++) free(lines[i]);
    free(index);
    free(query);
    bml_model_free(model);
    return 0;
}

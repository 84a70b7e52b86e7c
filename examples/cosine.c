/* cosine: embed two sentences and print their cosine similarity.

     build/examples/cosine MODEL_DIR "A man plays a guitar." "Someone is making music."

   The smallest complete use of batchml: load a model directory, embed text,
   compare. */
#define BATCHML_IMPLEMENTATION
#include "batchml.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    bml_model_desc desc = {0};
    bml_model *model = NULL;
    float *a, *b;
    double dot = 0, na = 0, nb = 0;
    int i, H;

    if (argc != 4) {
        fprintf(stderr, "usage: %s MODEL_DIR SENTENCE_A SENTENCE_B\n", argv[0]);
        return 2;
    }
    desc.path = argv[1];                     /* a sentence-transformers directory */
    if (bml_model_load(&desc, &model) != BML_OK) {
        fprintf(stderr, "cannot load %s: %s\n", argv[1], bml_last_error());
        return 1;
    }
    H = bml_model_config(model)->hidden;     /* embedding size, 384 for MiniLM-L6 */
    a = malloc((size_t)H * sizeof *a);
    b = malloc((size_t)H * sizeof *b);
    if (!a || !b) return 1;

    /* -1: the text is NUL-terminated. Each call tokenizes and runs the model. */
    if (bml_embed_text(model, argv[2], -1, a) != BML_OK || bml_embed_text(model, argv[3], -1, b) != BML_OK) {
        fprintf(stderr, "embedding failed: %s\n", bml_last_error());
        return 1;
    }

    /* Models with a Normalize module give unit vectors (then cosine = dot);
       computing the norms as well makes this right for any model. */
    for (i = 0; i < H; i++) {
        dot += (double)a[i] * b[i];
        na += (double)a[i] * a[i];
        nb += (double)b[i] * b[i];
    }
    printf("cosine %.6f\n", na > 0 && nb > 0 ? dot / sqrt(na * nb) : 0.0);

    free(a);
    free(b);
    bml_model_free(model);
    return 0;
}

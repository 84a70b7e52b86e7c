/* Every hostile model directory written by tests/hostile_models.py gives its
   specific error (status and message text), and every variant that must load
   gives the expected embeddings.   usage: loader SRC_MODEL HOSTILE_DIR */
#define BATCHML_IMPLEMENTATION
#include "batchml.h"
#include "bml_test.h"
#include <math.h>

static const int32_t probe[] = {101, 2023, 2003, 1037, 3231, 1012, 7592, 2088, 102};
#define NPROBE (sizeof probe / sizeof probe[0])

/* Embed the probe with the model in dir (out holds 8192 floats); returns the
   embedding size, 0 on failure. */
static int embed_dir(const char *dir, float *out) {
    bml_model *m;
    bml_model_desc d = {0};
    int dim;
    d.path = dir;
    d.no_tokenizer = 1;
    d.threads = 1;
    if (bml_model_load(&d, &m) != BML_OK) return 0;
    dim = bml_model_config(m)->dim;
    if (dim > 8192 || bml_embed_ids(m, probe, NPROBE, out) != BML_OK) { bml_model_free(m); return 0; }
    bml_model_free(m);
    return dim;
}

int main(int argc, char **argv) {
    char path[4096], line[2048], name[256];
    FILE *f;
    float base[8192], got[8192], other[8192];
    int H;
    if (argc != 3) { fprintf(stderr, "usage: loader SRC HOSTILE_DIR\n"); return 2; }
    {
        bml_model *m;
        bml_model_desc d = {0};
        d.path = argv[1];
        d.no_tokenizer = 1;
        if (!CHECK(bml_model_load(&d, &m) == BML_OK, "load_source", "%s", bml_last_error())) TEST_EXIT();
        H = bml_model_config(m)->hidden;
        bml_model_free(m);
    }
    if (H > 8192 || !embed_dir(argv[1], base)) { CHECK(0, "embed_source", "%s", bml_last_error()); TEST_EXIT(); }
    snprintf(path, sizeof path, "%s/expect.tsv", argv[2]);
    f = fopen(path, "r");
    if (!CHECK(f != NULL, "expect_file", "%s missing", path)) TEST_EXIT();
    while (fgets(line, sizeof line, f)) {
        char *cname = strtok(line, "\t"), *status = strtok(NULL, "\t"), *text = strtok(NULL, "\n");
        bml_model *m = NULL;
        bml_model_desc d = {0};
        bml_status rc;
        if (!cname || !status || !text) continue;
        snprintf(path, sizeof path, "%s/%s", argv[2], cname);
        snprintf(name, sizeof name, "hostile[%s]", cname);
        d.path = path;
        d.no_tokenizer = 1;
        d.threads = 1;
        rc = bml_model_load(&d, &m);
        if (strcmp(status, "OK") != 0) {
            CHECK(rc != BML_OK && !strcmp(bml_status_name(rc), status) && strstr(bml_last_error(), text) &&
                      strstr(bml_last_error(), cname), /* the message names the file */
                  name, "got %s '%s', want %s containing '%s'", bml_status_name(rc), bml_last_error(), status, text);
            printf("#   %-28s %s\n", cname, bml_last_error());
            bml_model_free(m);
            continue;
        }
        if (rc != BML_OK) { CHECK(0, name, "must load: %s", bml_last_error()); continue; }
        bml_model_free(m);
        if (!strcmp(text, "load")) { CHECK(1, name, "-"); continue; }
        {
            char target[256];
            double tol = 0, diff = 0;
            int i, n, n2 = H;
            if (sscanf(text, "same:%255[^:]:%lf", target, &tol) != 2) { CHECK(0, name, "bad expectation '%s'", text); continue; }
            if (!(n = embed_dir(path, got))) { CHECK(0, name, "embed failed: %s", bml_last_error()); continue; }
            if (strcmp(target, "self") != 0) {
                snprintf(path, sizeof path, "%s/%s", argv[2], target);
                if (!(n2 = embed_dir(path, other))) { CHECK(0, name, "embed %s failed", target); continue; }
            } else {
                memcpy(other, base, sizeof(float) * (size_t)H);
            }
            if (!CHECK(n == n2, name, "embedding size %d, %s has %d", n, target, n2)) continue;
            for (i = 0; i < n; i++) diff = fabs(got[i] - other[i]) > diff ? fabs(got[i] - other[i]) : diff;
            CHECK(diff <= tol, name, "embedding differs from %s by %g (limit %g)", target, diff, tol);
        }
    }
    fclose(f);
    TEST_EXIT();
}

/* Threads: the library's pools inside concurrent host threads, the tokenizer
   batch API (threads = 2) on one shared tokenizer from two host threads,
   and per-thread error messages. Every result must equal the one computed
   alone on one thread. Built normally by `make tests` (tests/sanitize_threads.test)
   and under ThreadSanitizer by `make test-tsan`.
   usage: sanitize_threads MODEL_DIR   (a tiny model with tokenizer files) */
#define BATCHML_IMPLEMENTATION
#include "batchml.h"
#include "bml_test.h"
#include <math.h>
#include <pthread.h>

#define NT 48

static const char *texts[NT];
static char textbuf[NT][160];
static const char *dir;
static float ref_emb[NT * 1024];
static int H;

static void make_texts(void) {
    static const char *words[] = {"a", "man", "plays", "guitar", "the", "dog", "runs", "caf\xc3\xa9", "\xe4\xbd\xa0\xe5\xa5\xbd",
                                  "unaffable", "[SEP]", "hello,", "world!", "\xf0\x9f\x98\x80", "park", "quickly"};
    size_t i, k;
    uint32_t r = 7;
    for (i = 0; i < NT; i++) {
        size_t n = 1 + i % 13;
        textbuf[i][0] = 0;
        for (k = 0; k < n; k++) {
            r = r * 1103515245u + 12345u;
            if (k) strcat(textbuf[i], " ");
            strcat(textbuf[i], words[(r >> 16) % 16]);
        }
        texts[i] = textbuf[i];
    }
}

static bml_model *load(int threads) {
    bml_model *m = NULL;
    bml_model_desc d = {0};
    d.path = dir;
    d.threads = threads;
    if (bml_model_load(&d, &m) != BML_OK) return NULL;
    return m;
}

/* --- host threads, each with its own model (threads = 2 or 3 inside) --- */
typedef struct { int threads, rounds; float maxdiff; int err; char msg[256]; } emb_job;

static void *emb_thread(void *arg) {
    emb_job *j = (emb_job *)arg;
    bml_model *m = load(j->threads);
    bml_item items[NT];
    bml_result res = {0};
    bml_batch_desc bd = {0};
    float *out;
    int r;
    size_t i;
    if (!m) { j->err = 1; snprintf(j->msg, sizeof j->msg, "load: %.200s", bml_last_error()); return NULL; }
    out = (float *)malloc(sizeof(float) * NT * (size_t)H);
    memset(items, 0, sizeof items);
    for (i = 0; i < NT; i++) { items[i].id = i; items[i].text = texts[i]; items[i].len = -1; }
    for (r = 0; r < j->rounds; r++) {
        bd.batch_size = (size_t)(1 + r * 5 % 17);
        if (bml_embed_batch(m, items, NT, &bd, out, &res) != BML_OK || !bml_result_all_succeeded(&res)) {
            j->err = 1;
            snprintf(j->msg, sizeof j->msg, "embed_batch: %.200s", bml_last_error());
            break;
        }
        for (i = 0; i < NT * (size_t)H; i++) {
            float d = fabsf(out[i] - ref_emb[i]);
            if (d > j->maxdiff) j->maxdiff = d;
        }
    }
    bml_result_free(&res);
    free(out);
    bml_model_free(m);
    return NULL;
}

/* --- overlays on a model of its own ---------------------------------- */
typedef struct { int err; char msg[256]; double f0; int same; } ov_job;

static void *ov_thread(void *arg) {
    ov_job *j = (ov_job *)arg;
    bml_model *m = load(2);
    bml_target *t = NULL;
    bml_overlay_desc od;
    bml_item items[6];
    bml_overlay o[6];
    size_t i;
    if (!m) { j->err = 1; snprintf(j->msg, sizeof j->msg, "load: %.200s", bml_last_error()); return NULL; }
    if (bml_target_parse(m, "sim:a man plays guitar", &t) != BML_OK) {
        j->err = 1;
        snprintf(j->msg, sizeof j->msg, "target: %.200s", bml_last_error());
        bml_model_free(m);
        return NULL;
    }
    memset(&od, 0, sizeof od);
    od.method = BML_METHOD_INTEGRATED_GRADIENTS;
    od.steps = 4;
    od.target = t;
    memset(items, 0, sizeof items);
    for (i = 0; i < 6; i++) { items[i].id = i; items[i].text = texts[i]; items[i].len = -1; }
    if (bml_overlay_compute_batch(m, &od, items, 6, o) != BML_OK) {
        j->err = 1;
        snprintf(j->msg, sizeof j->msg, "overlay: %.200s", bml_last_error());
    } else {
        j->same = 1;
        for (i = 0; i < 6; i++) {
            if (o[i].status != BML_OK) { j->same = 0; snprintf(j->msg, sizeof j->msg, "item %zu: %s", i, o[i].error); }
            bml_overlay_free(&o[i]);
        }
    }
    bml_target_free(t);
    bml_model_free(m);
    return NULL;
}

/* --- one shared tokenizer, batch API with threads = 2, from two hosts --- */
typedef struct { const bml_tokenizer *tok; const bml_encoding *ref; int bad; int rounds; } tok_job;

static void *tok_thread(void *arg) {
    tok_job *j = (tok_job *)arg;
    bml_encoding encs[NT];
    bml_status st[NT];
    char *dec[NT];
    const int32_t *idp[NT];
    size_t ns[NT], i;
    int r;
    for (r = 0; r < j->rounds; r++) {
        memset(encs, 0, sizeof encs);
        if (bml_tokenize_batch(j->tok, texts, NULL, NT, BML_UTF8_ERROR, 2, encs, st) != BML_OK) { j->bad++; return NULL; }
        for (i = 0; i < NT; i++) {
            if (st[i] != BML_OK || encs[i].n != j->ref[i].n ||
                memcmp(encs[i].ids, j->ref[i].ids, encs[i].n * sizeof(int32_t)) != 0)
                j->bad++;
            idp[i] = encs[i].ids;
            ns[i] = encs[i].n;
        }
        memset(dec, 0, sizeof dec);
        if (bml_detokenize_batch(j->tok, idp, ns, NT, 2, dec, NULL, NULL) != BML_OK) j->bad++;
        for (i = 0; i < NT; i++) { bml_free(dec[i]); bml_encoding_free(&encs[i]); }
    }
    return NULL;
}

/* --- per-thread error messages ---------------------------------------- */
static void *err_thread(void *arg) {
    const char *want = (const char *)arg;
    int k, *ok = (int *)malloc(sizeof(int));
    bml_model *m = NULL;
    bml_model_desc d = {0};
    *ok = 1;
    for (k = 0; k < 200; k++) {
        d.path = want;
        if (bml_model_load(&d, &m) == BML_OK || !strstr(bml_last_error(), want)) *ok = 0;
    }
    return ok;
}

int main(int argc, char **argv) {
    bml_model *m1;
    const bml_tokenizer *tok;
    bml_encoding ref[NT];
    pthread_t th[6];
    emb_job ej[2];
    ov_job oj;
    tok_job tj[2];
    size_t i;
    int k;
    if (argc != 2) { fprintf(stderr, "usage: sanitize_threads MODEL_DIR\n"); return 2; }
    dir = argv[1];
    make_texts();
    m1 = load(1);
    if (!CHECK(m1 != NULL, "threads_load", "%s", bml_last_error())) TEST_EXIT();
    H = bml_model_config(m1)->hidden;
    if (!CHECK(H <= 1024, "threads_hidden", "hidden %d > 1024", H)) TEST_EXIT();
    {
        bml_item items[NT];
        memset(items, 0, sizeof items);
        for (i = 0; i < NT; i++) { items[i].id = i; items[i].text = texts[i]; items[i].len = -1; }
        if (!CHECK(bml_embed_batch(m1, items, NT, NULL, ref_emb, NULL) == BML_OK, "threads_reference", "%s", bml_last_error()))
            TEST_EXIT();
    }
    tok = bml_model_tokenizer(m1);
    memset(ref, 0, sizeof ref);
    for (i = 0; i < NT; i++) bml_tokenize(tok, texts[i], -1, BML_UTF8_ERROR, &ref[i]);

    memset(ej, 0, sizeof ej);
    memset(&oj, 0, sizeof oj);
    memset(tj, 0, sizeof tj);
    ej[0].threads = 2; ej[0].rounds = 3;
    ej[1].threads = 3; ej[1].rounds = 3;
    for (k = 0; k < 2; k++) { tj[k].tok = tok; tj[k].ref = ref; tj[k].rounds = 4; }
    pthread_create(&th[0], NULL, emb_thread, &ej[0]);
    pthread_create(&th[1], NULL, emb_thread, &ej[1]);
    pthread_create(&th[2], NULL, ov_thread, &oj);
    pthread_create(&th[3], NULL, tok_thread, &tj[0]);
    pthread_create(&th[4], NULL, tok_thread, &tj[1]);
    for (k = 0; k < 5; k++) pthread_join(th[k], NULL);
    for (k = 0; k < 2; k++) {
        char name[64];
        snprintf(name, sizeof name, "threads_embed_host%d_pool%d", k, ej[k].threads);
        CHECK(!ej[k].err && ej[k].maxdiff <= 1e-5f, name, "%s max diff %g vs one thread", ej[k].msg, ej[k].maxdiff);
    }
    CHECK(!oj.err && oj.same, "threads_overlay_pool2", "%s", oj.msg);
    CHECK(tj[0].bad == 0 && tj[1].bad == 0, "threads_tokenize_batch_shared", "%d + %d mismatches vs sequential",
          tj[0].bad, tj[1].bad);
    {
        void *r1, *r2;
        int ok;
        pthread_create(&th[0], NULL, err_thread, (void *)"/nonexistent/first-model");
        pthread_create(&th[1], NULL, err_thread, (void *)"/nonexistent/second-model");
        pthread_join(th[0], &r1);
        pthread_join(th[1], &r2);
        ok = *(int *)r1 && *(int *)r2;
        free(r1);
        free(r2);
        CHECK(ok, "threads_last_error_per_thread", "a thread saw the other thread's message");
    }
    for (i = 0; i < NT; i++) bml_encoding_free(&ref[i]);
    bml_model_free(m1);
    TEST_EXIT();
}

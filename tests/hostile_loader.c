/* Hostile tokenizer files, safetensors headers and overlay head files
   written by tests/hostile_models.py (OUT/expect_files.tsv,
   OUT/expect_head.tsv): each broken file gives its specific error (status
   and text), each variant that must load does, and no case makes the loader
   ask for memory it has no business asking for. Every allocation goes
   through a recording allocator (BML_MALLOC/BML_REALLOC/BML_FREE below): a
   request over 256 MiB, or one that would take the library over 192 MiB
   live, is refused (returned NULL, counted) instead of being served -- so a
   loader that reads a 1 GiB file before looking at its size, or builds a
   DOM many times the size of its file, shows up as "out of memory" instead
   of its specific error, without the test ever taking that memory.
   usage: hostile_loader SRC_MODEL HOSTILE_DIR */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>

#define HL_REFUSE ((size_t)256 << 20)
#define HL_LIVE_BUDGET ((size_t)192 << 20)
typedef struct { size_t live, peak, biggest, refused; } hl_stats;
static hl_stats hl;

/* size header of 16 bytes keeps the block 16-aligned */
static void *hl_malloc(size_t n) {
    unsigned char *p;
    if (n > hl.biggest) hl.biggest = n;
    if (n > HL_REFUSE || hl.live + n > HL_LIVE_BUDGET) { hl.refused++; return NULL; }
    p = (unsigned char *)malloc(n + 16);
    if (!p) return NULL;
    memcpy(p, &n, sizeof n);
    hl.live += n;
    if (hl.live > hl.peak) hl.peak = hl.live;
    return p + 16;
}
static void hl_free(void *q) {
    size_t n;
    if (!q) return;
    memcpy(&n, (unsigned char *)q - 16, sizeof n);
    hl.live -= n;
    free((unsigned char *)q - 16);
}
static void *hl_realloc(void *q, size_t n) {
    size_t old = 0;
    unsigned char *p;
    if (!q) return hl_malloc(n);
    if (n > hl.biggest) hl.biggest = n;
    memcpy(&old, (unsigned char *)q - 16, sizeof old);
    if (n > HL_REFUSE || hl.live - old + n > HL_LIVE_BUDGET) { hl.refused++; return NULL; }
    p = (unsigned char *)realloc((unsigned char *)q - 16, n + 16);
    if (!p) return NULL;
    memcpy(p, &n, sizeof n);
    hl.live = hl.live - old + n;
    if (hl.live > hl.peak) hl.peak = hl.live;
    return p + 16;
}
#define BML_MALLOC(n) hl_malloc(n)
#define BML_REALLOC(p, n) hl_realloc((p), (n))
#define BML_FREE(p) hl_free(p)

#define BATCHML_IMPLEMENTATION
#include "batchml.h"
#include "bml_test.h"

static void hl_reset(void) {
    hl.peak = hl.live;
    hl.biggest = 0;
    hl.refused = 0;
}

static const char *probe_texts[] = {"Hello, world! [CLS] unaffable caf\xc3\xa9", "A man is playing a guitar.",
                                    "\xe4\xbd\xa0\xe5\xa5\xbd \xc4\xb0stanbul don't"};

/* Tokenize the probe texts with tok into ids[] (n[] each); 0 on failure. */
static int probe(const bml_tokenizer *tok, int32_t ids[3][64], size_t n[3]) {
    bml_encoding e;
    int k;
    memset(&e, 0, sizeof e);
    for (k = 0; k < 3; k++) {
        if (bml_tokenize(tok, probe_texts[k], -1, BML_UTF8_ERROR, &e) != BML_OK || e.n > 64) { bml_encoding_free(&e); return 0; }
        memcpy(ids[k], e.ids, e.n * sizeof(int32_t));
        n[k] = e.n;
    }
    bml_encoding_free(&e);
    return 1;
}

static bml_status load_tok(const char *dir, bml_tokenizer **t) {
    bml_tokenizer_desc d;
    memset(&d, 0, sizeof d);
    d.dir = dir;
    return bml_tokenizer_load(&d, t);
}

static void tok_cases(const char *hostile) {
    char path[4096], line[2048], name[300];
    FILE *f;
    snprintf(path, sizeof path, "%s/expect_files.tsv", hostile);
    f = fopen(path, "r");
    if (!CHECK(f != NULL, "expect_files_file", "%s missing", path)) return;
    while (fgets(line, sizeof line, f)) {
        char *cname = strtok(line, "\t"), *how = strtok(NULL, "\t"), *status = strtok(NULL, "\t"), *text = strtok(NULL, "\n");
        bml_status rc;
        bml_tokenizer *t = NULL;
        bml_model *m = NULL;
        bml__st st;
        int st_open = 0;
        if (!cname || !how || !status || !text) continue;
        snprintf(path, sizeof path, "%s/files/%s", hostile, cname);
        snprintf(name, sizeof name, "hostile_file[%s]", cname);
        hl_reset();
        if (!strcmp(how, "st")) {
            char stp[4200];
            snprintf(stp, sizeof stp, "%s/model.safetensors", path);
            rc = bml__st_open(stp, &st);
            st_open = rc == BML_OK;
        } else if (!strcmp(how, "model")) {
            bml_model_desc d;
            memset(&d, 0, sizeof d);
            d.path = path;
            d.threads = 1;
            rc = bml_model_load(&d, &m);
        } else {
            rc = load_tok(path, &t);
        }
        if (strcmp(status, "OK") != 0) {
            CHECK(rc != BML_OK && !strcmp(bml_status_name(rc), status) && strstr(bml_last_error(), text) && hl.refused == 0,
                  name, "got %s '%s', want %s containing '%s'%s", bml_status_name(rc), bml_last_error(), status, text,
                  hl.refused ? " (and it asked for memory over the test's limits)" : "");
            printf("#   %-36s %s  [largest request %zu bytes]\n", cname, bml_last_error(), hl.biggest);
        } else if (rc != BML_OK) {
            CHECK(0, name, "must load: %s", bml_last_error());
        } else if (!strcmp(text, "load")) {
            int32_t ids[3][64];
            size_t n[3];
            CHECK(st_open || probe(t ? t : bml_model_tokenizer(m), ids, n), name, "tokenize failed: %s", bml_last_error());
        } else {
            /* same:OTHER -- the same ids as another case's tokenizer */
            char other[4096];
            bml_tokenizer *t2 = NULL;
            int32_t a[3][64], b[3][64];
            size_t na[3], nb[3];
            int k, same = 1;
            snprintf(other, sizeof other, "%s/files/%s", hostile, text + 5);
            if (strncmp(text, "same:", 5) != 0 || load_tok(other, &t2) != BML_OK) {
                CHECK(0, name, "bad expectation or %s does not load: %s", other, bml_last_error());
            } else {
                if (!probe(t, a, na) || !probe(t2, b, nb)) same = 0;
                for (k = 0; same && k < 3; k++) same = na[k] == nb[k] && !memcmp(a[k], b[k], na[k] * sizeof(int32_t));
                CHECK(same, name, "tokenizes differently from %s", text + 5);
            }
            bml_tokenizer_free(t2);
        }
        if (st_open) bml__st_close(&st);
        bml_tokenizer_free(t);
        bml_model_free(m);
    }
    fclose(f);
}

/* Peak memory of the JSON reader alone on a file (its DOM): what any
   loader of that file pays at least. */
static size_t json_peak(const char *path) {
    bml_json_doc *doc = NULL;
    char *buf;
    size_t len;
    hl_reset();
    if (bml__read_file(path, (size_t)256 << 20, &buf, &len) != BML_OK) return hl.peak - hl.live;
    if (bml_json_parse(buf, len, path, &doc) == BML_OK) bml_json_free(doc);
    BML_FREE(buf);
    return hl.peak - hl.live;
}

static void head_cases(const char *src, const char *hostile) {
    char path[4096], line[2048], name[300], spec[4400];
    FILE *f;
    bml_model *m = NULL;
    bml_model_desc d;
    memset(&d, 0, sizeof d);
    d.path = src;
    d.threads = 1;
    d.no_tokenizer = 1;
    if (!CHECK(bml_model_load(&d, &m) == BML_OK, "head_model", "%s", bml_last_error())) return;
    snprintf(path, sizeof path, "%s/expect_head.tsv", hostile);
    f = fopen(path, "r");
    if (!CHECK(f != NULL, "expect_head_file", "%s missing", path)) { bml_model_free(m); return; }
    while (fgets(line, sizeof line, f)) {
        char *cname = strtok(line, "\t"), *kind = strtok(NULL, "\t"), *status = strtok(NULL, "\t"), *text = strtok(NULL, "\n");
        bml_target *t = NULL;
        bml_status rc;
        size_t base, used, dom;
        if (!cname || !kind || !status || !text) continue;
        snprintf(path, sizeof path, "%s/head/%s.json", hostile, cname);
        snprintf(name, sizeof name, "hostile_head[%s]", cname);
        if (!strcmp(kind, "value")) snprintf(spec, sizeof spec, "value:%s", path);
        else snprintf(spec, sizeof spec, "policy:%s:%s", path, kind + 7);
        dom = json_peak(path);
        hl_reset();
        base = hl.live;
        rc = bml_target_parse(m, spec, &t);
        used = hl.peak - base;
        if (strcmp(status, "OK") != 0) {
            CHECK(rc != BML_OK && !strcmp(bml_status_name(rc), status) && strstr(bml_last_error(), text) && hl.refused == 0,
                  name, "got %s '%s', want %s containing '%s'", bml_status_name(rc), bml_last_error(), status, text);
            printf("#   %-36s %s\n", cname, bml_last_error());
        } else {
            CHECK(rc == BML_OK, name, "must load: %s", bml_last_error());
        }
        /* beyond the reader's DOM, a head needs C x H doubles -- never
           more than the DOM holding the same numbers */
        {
            char mname[340];
            snprintf(mname, sizeof mname, "hostile_head_memory[%s]", cname);
            CHECK(used <= dom + dom / 2 + (1u << 20), mname,
                  "bml_target_parse peaked at %zu bytes; the JSON reader alone needs %zu for this file", used, dom);
        }
        bml_target_free(t);
    }
    fclose(f);
    bml_model_free(m);
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: hostile_loader SRC HOSTILE_DIR\n"); return 2; }
    tok_cases(argv[2]);
    head_cases(argv[1], argv[2]);
    CHECK(hl.live == 0, "hostile_loader_no_leak", "%zu bytes still allocated by the library", hl.live);
    TEST_EXIT();
}

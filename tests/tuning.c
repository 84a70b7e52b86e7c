/* Batch-size tuning: the arena formula against the real arena, the
   heuristic and the memory budget, the archive (save, strict load, corrupt
   and foreign files), the run-time choice, and the search's determinism
   (same seed -> same candidates; 2 + 2 generations == 4) with a fixed
   fitness.   usage: tuning TINY_MODEL_DIR OTHER_SHAPE_MODEL_DIR WORK_DIR */
#define BATCHML_IMPLEMENTATION
#include "batchml.h"
#include "bml_test.h"

static char work[1024];

static const char *wpath(const char *name) {
    static char buf[4][1200];
    static int k = 0;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", work, name);
    return buf[k];
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    char *s;
    long n;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    s = n >= 0 ? (char *)malloc((size_t)n + 1) : NULL;
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) { free(s); s = NULL; }
    if (s) s[n] = 0;
    fclose(f);
    return s;
}

static void spit(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (f) { fputs(text, f); fclose(f); }
}

/* A fixed fitness: deterministic, prefers ~600 tokens a pass, sorted, 1 thread. */
static double fixed_fitness(void *user, const bml_tune_individual *x, const size_t *lens, size_t n) {
    double mean = 0, per, f;
    size_t i;
    (void)user;
    for (i = 0; i < n; i++) mean += (double)lens[i];
    mean /= (double)(n ? n : 1);
    per = (double)x->batch_size * mean;
    if (x->max_tokens && (double)x->max_tokens < per) per = (double)x->max_tokens;
    f = 1000.0 / (1.0 + fabs(log2(per / 600.0)));
    if (x->keep_order) f *= 0.97;
    if (x->threads != 1) f *= 0.99;
    return f;
}

static void test_arena_formula(const char *dir) {
    bml_model *m = NULL;
    bml_model_desc d;
    int32_t ids[300];
    size_t lens[5] = {7, 30, 12, 90, 41}, i, tot = 0, mx = 0;
    bml_item items[5];
    bml_batch_desc bd;
    float out[5 * 64];
    memset(&d, 0, sizeof d);
    d.path = dir;
    d.no_tokenizer = 1;
    d.threads = 2;
    for (i = 0; i < 300; i++) ids[i] = (int32_t)(1000 + i * 37 % 20000);
    if (!CHECK(bml_model_load(&d, &m) == BML_OK, "arena_load", "%s", bml_last_error())) return;
    memset(items, 0, sizeof items);
    for (i = 0; i < 5; i++) {
        items[i].ids = ids;
        items[i].n_ids = lens[i];
        tot += lens[i];
        if (lens[i] > mx) mx = lens[i];
    }
    memset(&bd, 0, sizeof bd);
    bd.batch_size = 5; /* one pass: a fresh arena is sized exactly */
    bml_embed_batch(m, items, 5, &bd, out, NULL);
    CHECK(m->ws.cap == bml__ws_floats(&m->cfg, (size_t)m->threads, tot, 5, mx, NULL), "arena_formula_matches_ws_plan",
          "arena %zu floats, formula %zu", m->ws.cap, bml__ws_floats(&m->cfg, (size_t)m->threads, tot, 5, mx, NULL));
    CHECK(bml_activation_bytes(m, tot, 5, mx) == 4 * m->ws.cap, "activation_bytes", "%zu vs %zu",
          bml_activation_bytes(m, tot, 5, mx), 4 * m->ws.cap);
    /* batches of 2, sorted: {7,12} {30,41} {90} */
    {
        size_t want = bml_activation_bytes(m, 71, 2, 41), a = bml_activation_bytes(m, 90, 1, 90);
        if (a > want) want = a;
        if (bml_activation_bytes(m, 19, 2, 12) > want) want = bml_activation_bytes(m, 19, 2, 12);
        CHECK(bml_batch_peak_bytes(m, lens, 5, 2, 0, 0) == want, "peak_bytes_sorted", "%zu vs %zu",
              bml_batch_peak_bytes(m, lens, 5, 2, 0, 0), want);
    }
    bml_model_free(m);
}

static void test_heuristic(bml_model *m) {
    size_t lens[200], i;
    bml_batch_choice c, c2;
    bml_batch_profile p;
    size_t l2 = 0, l3 = 0;
    double mean = 0;
    memset(&c2, 0, sizeof c2);
    bml_cache_sizes(&l2, &l3);
    CHECK(l2 >= 65536 && l3 > 0, "cache_sizes", "l2 %zu l3 %zu", l2, l3);
    for (i = 0; i < 200; i++) { lens[i] = 10 + i % 30; mean += (double)lens[i] / 200; }
    bml_batch_profile_of(lens, 200, &p);
    CHECK(p.n == 200 && fabs(p.mean_len - mean) < 1e-9 && p.max_len == 39 && p.spread > 0.3 && p.spread < 0.4,
          "profile", "n %zu mean %g spread %g max %zu", p.n, p.mean_len, p.spread, p.max_len);
    CHECK(bml_batch_heuristic(m, lens, 200, 0, &c) == BML_OK, "heuristic_ok", "%s", bml_last_error());
    CHECK(c.batch_size >= 1 && c.batch_size <= 200 && c.max_tokens >= c.batch_size && !c.from_archive &&
              c.cell == -1 && c.threads == 2 && c.peak_bytes == bml_batch_peak_bytes(m, lens, 200, c.batch_size,
                                                                                         c.max_tokens, 0),
          "heuristic_fields", "bs %zu mt %zu from_archive %d threads %d peak %zu", c.batch_size, c.max_tokens,
          c.from_archive, c.threads, c.peak_bytes);
    /* a budget below the unconstrained peak: the choice fits it */
    CHECK(bml_batch_heuristic(m, lens, 200, c.peak_bytes / 3, &c2) == BML_OK && c2.peak_bytes <= c.peak_bytes / 3 &&
              !c2.over_budget,
          "heuristic_memory_budget", "budget %zu: peak %zu (bs %zu mt %zu)", c.peak_bytes / 3, c2.peak_bytes,
          c2.batch_size, c2.max_tokens);
    /* a budget no single sequence fits: flagged, one at a time */
    CHECK(bml_batch_heuristic(m, lens, 200, 1000, &c2) == BML_OK && c2.over_budget && c2.batch_size == 1,
          "heuristic_over_budget", "over %d bs %zu", c2.over_budget, c2.batch_size);
    /* few items: one batch */
    CHECK(bml_batch_heuristic(m, lens, 3, 0, &c2) == BML_OK && c2.batch_size == 3, "heuristic_small_call", "bs %zu",
          c2.batch_size);
    /* zeros (invalid items) are skipped */
    lens[1] = 0;
    bml_batch_profile_of(lens, 3, &p);
    CHECK(p.n == 2, "profile_skips_invalid", "n %zu", p.n);
}

/* The "evaluations" part of a results file (fitness values included). */
static char *evaluations_of(const char *path) {
    char *s = slurp(path), *a, *b;
    size_t off, len;
    if (!s) return NULL;
    a = strstr(s, "\"evaluations\"");
    b = a ? strstr(a, "\"cells\"") : NULL;
    if (!a || !b) { free(s); return NULL; }
    off = (size_t)(a - s);
    len = (size_t)(b - a);
    memmove(s, s + off, len);
    s[len] = 0;
    return s;
}

static bml_status tune(const char *model, const char *archive, const char *results, size_t gens, uint64_t seed,
                       size_t budget) {
    bml_tune_desc d;
    memset(&d, 0, sizeof d);
    d.model_path = model;
    d.archive_path = archive;
    d.results_path = results;
    d.generations = gens;
    d.offspring = 6;
    d.test_size = 24;
    d.seed = seed;
    d.max_mean_len = 64;
    d.memory_budget = budget;
    d.fitness_fn = fixed_fitness;
    return bml_tune(&d);
}

static void test_search(const char *dir) {
    bml_tuning *t = NULL;
    bml_tuning_info info;
    char *a4, *a22, *e1, *e2, *e3;
    bml_status rc;
    remove(wpath("a.json"));
    rc = tune(dir, wpath("a.json"), wpath("r.json"), 2, 7, 0);
    if (!CHECK(rc == BML_OK, "tune_2_generations", "%s", bml_last_error())) return;
    CHECK(bml_tuning_load(wpath("a.json"), &t) == BML_OK, "archive_loads", "%s", bml_last_error());
    if (!t) return;
    bml_tuning_get_info(t, &info);
    CHECK(info.version == 1 && info.generations == 2 && info.cells_filled == 4 * 3 * 3 && info.cells_total == 54 &&
              info.evaluations == 36 + 2 * 6 && info.seed == 7 && !strcmp(info.fitness, "custom"),
          "archive_info", "version %d gens %zu filled %zu/%zu evals %zu seed %llu fitness %s", info.version,
          info.generations, info.cells_filled, info.cells_total, info.evaluations, (unsigned long long)info.seed,
          info.fitness);
    bml_tuning_free(t);
    /* save(load(x)) == x */
    t = NULL;
    if (bml_tuning_load(wpath("a.json"), &t) == BML_OK && bml_tuning_save(t, wpath("a_copy.json")) == BML_OK) {
        char *x = slurp(wpath("a.json")), *y = slurp(wpath("a_copy.json"));
        CHECK(x && y && !strcmp(x, y), "archive_round_trip", "save(load(archive)) differs");
        free(x);
        free(y);
    }
    bml_tuning_free(t);
    /* resume: +2 generations; equal to 4 in one go */
    rc = tune(dir, wpath("a.json"), wpath("r2.json"), 2, 0, 0);
    CHECK(rc == BML_OK, "tune_resume", "%s", bml_last_error());
    t = NULL;
    if (bml_tuning_load(wpath("a.json"), &t) == BML_OK) {
        bml_tuning_get_info(t, &info);
        CHECK(info.generations == 4 && info.evaluations == 36 + 4 * 6 && info.seed == 7, "resume_adds_generations",
              "generations %zu evaluations %zu seed %llu", info.generations, info.evaluations,
              (unsigned long long)info.seed);
    }
    bml_tuning_free(t);
    remove(wpath("b.json"));
    rc = tune(dir, wpath("b.json"), wpath("rb.json"), 4, 7, 0);
    a22 = slurp(wpath("a.json"));
    a4 = slurp(wpath("b.json"));
    CHECK(rc == BML_OK && a22 && a4 && !strcmp(a22, a4), "resume_equals_uninterrupted",
          "2+2 generations and 4 generations give different archives");
    free(a22);
    free(a4);
    /* same seed, same candidates; another seed, others */
    remove(wpath("c.json"));
    remove(wpath("d.json"));
    tune(dir, wpath("c.json"), wpath("rc.json"), 2, 7, 0);
    tune(dir, wpath("d.json"), wpath("rd.json"), 2, 8, 0);
    e1 = evaluations_of(wpath("r.json"));
    e2 = evaluations_of(wpath("rc.json"));
    e3 = evaluations_of(wpath("rd.json"));
    CHECK(e1 && e2 && !strcmp(e1, e2), "same_seed_same_candidates", "the logged candidates differ");
    CHECK(e1 && e3 && strcmp(e1, e3) != 0, "other_seed_other_candidates", "seed 8 evaluated exactly seed 7's candidates");
    free(e1);
    free(e2);
    free(e3);
}

static void test_memory_objective(const char *dir) {
    bml_tuning *t = NULL;
    bml_tuning_info info;
    size_t i, budget = 200000, over = 0, k;
    remove(wpath("m.json"));
    if (!CHECK(tune(dir, wpath("m.json"), NULL, 3, 3, budget) == BML_OK, "tune_memory_budget", "%s", bml_last_error()))
        return;
    if (bml_tuning_load(wpath("m.json"), &t) != BML_OK) { CHECK(0, "memory_archive", "%s", bml_last_error()); return; }
    bml_tuning_get_info(t, &info);
    for (i = 0; i < info.cells_filled; i++) {
        bml_tuning_cell c;
        const bml__tune_cell *cc;
        bml_tuning_get_cell(t, i, &c);
        cc = &t->cells[c.cell];
        for (k = 0; k < cc->nfront; k++)
            if (cc->front[k].peak > budget && !cc->front[k].heuristic) over++;
    }
    CHECK(over == 0 && info.memory_budget == budget, "front_within_budget", "%zu searched members above %zu bytes",
          over, budget);
    bml_tuning_free(t);
}

static void test_choose(const char *dir, const char *other) {
    bml_tuning *t = NULL;
    bml_tuning_info info;
    bml_model *m = NULL, *m2 = NULL;
    bml_model_desc d;
    size_t i, lens[2000];
    int found = 0;
    bml_batch_choice c, h;
    bml_batch_desc bd;
    memset(&d, 0, sizeof d);
    d.path = dir;
    d.no_tokenizer = 1;
    d.threads = 2;
    if (!CHECK(bml_model_load(&d, &m) == BML_OK, "choose_load_model", "%s", bml_last_error())) return;
    test_heuristic(m);
    if (!CHECK(bml_tuning_load(wpath("a.json"), &t) == BML_OK, "choose_load_archive", "%s", bml_last_error())) {
        bml_model_free(m);
        return;
    }
    bml_tuning_get_info(t, &info);
    /* every filled cell with spread 0.1: all lengths at its mean -> that cell */
    for (i = 0; i < info.cells_filled; i++) {
        bml_tuning_cell cell;
        size_t k, n;
        bml_tuning_get_cell(t, i, &cell);
        if (cell.spread > 0.2) continue;
        n = cell.items < 2000 ? cell.items : 2000;
        for (k = 0; k < n; k++) lens[k] = (size_t)cell.mean_len;
        bml_tuning_choose(t, m, lens, n, 0, &c);
        found++;
        if (!c.from_archive || c.cell != cell.cell || c.batch_size != cell.elite.batch_size ||
            c.max_tokens != cell.elite.max_tokens || c.keep_order != cell.elite.keep_order) {
            CHECK(0, "auto_matching_profile_uses_archive", "cell %d (len %g, items %zu): got from_archive %d cell %d bs %zu mt %zu, elite bs %zu mt %zu (%s)",
                  cell.cell, cell.mean_len, cell.items, c.from_archive, c.cell, c.batch_size, c.max_tokens,
                  cell.elite.batch_size, cell.elite.max_tokens, c.why);
            found = -1000;
            break;
        }
    }
    if (found > 0) CHECK(1, "auto_matching_profile_uses_archive", "%s", "");
    /* lengths far outside the archive (mean 400 > 256 + half a cell) -> heuristic */
    for (i = 0; i < 100; i++) lens[i] = 400;
    bml_tuning_choose(t, m, lens, 100, 0, &c);
    bml_batch_heuristic(m, lens, 100, 0, &h);
    CHECK(!c.from_archive && c.batch_size == h.batch_size && c.max_tokens == h.max_tokens && strstr(c.why, "outside"),
          "auto_outside_profile_uses_heuristic", "from_archive %d bs %zu (heuristic %zu) why %s", c.from_archive,
          c.batch_size, h.batch_size, c.why);
    /* searched only up to mean 64: mean 256 is an empty part of the grid */
    for (i = 0; i < 100; i++) lens[i] = 256;
    bml_tuning_choose(t, m, lens, 100, 0, &c);
    CHECK(!c.from_archive, "auto_unsearched_cell_uses_heuristic", "from_archive %d cell %d", c.from_archive, c.cell);
    /* no archive -> heuristic */
    for (i = 0; i < 100; i++) lens[i] = 16;
    bml_tuning_choose(NULL, m, lens, 100, 0, &c);
    bml_batch_heuristic(m, lens, 100, 0, &h);
    CHECK(!c.from_archive && c.batch_size == h.batch_size && strstr(c.why, "no archive"), "auto_no_archive_heuristic",
          "from_archive %d why %s", c.from_archive, c.why);
    /* another model shape -> heuristic */
    d.path = other;
    if (bml_model_load(&d, &m2) == BML_OK) {
        bml_tuning_choose(t, m2, lens, 100, 0, &c);
        CHECK(!c.from_archive && strstr(c.why, "model shape"), "auto_other_model_heuristic", "from_archive %d why %s",
              c.from_archive, c.why);
        bml_model_free(m2);
    }
    /* the bml_embed_batch hook fills the desc from the same choice */
    memset(&bd, 0, sizeof bd);
    bd.batch_size = BML_BATCH_AUTO;
    bml_tuning_choose(t, m, lens, 100, 0, &c);
    CHECK(bml__tune_apply(m, t, 0, lens, 100, &bd) == BML_OK && bd.batch_size == c.batch_size &&
              bd.max_tokens == c.max_tokens && bd.keep_order == c.keep_order,
          "tune_apply_fills_desc", "bs %zu mt %zu keep %d vs %zu %zu %d", bd.batch_size, bd.max_tokens, bd.keep_order,
          c.batch_size, c.max_tokens, c.keep_order);
    /* a memory budget under the elite's peak: a member that fits, or the heuristic */
    bml_tuning_choose(t, m, lens, 100, 0, &c);
    bml_tuning_choose(t, m, lens, 100, c.peak_bytes - 1, &h);
    CHECK(h.peak_bytes < c.peak_bytes || h.over_budget, "auto_respects_memory_budget", "peak %zu with budget %zu",
          h.peak_bytes, c.peak_bytes - 1);
    bml_tuning_free(t);
    bml_model_free(m);
}

static void expect_reject(const char *name, const char *text, const char *must_contain) {
    bml_tuning *t = (bml_tuning *)1;
    bml_status rc;
    spit(wpath("bad.json"), text);
    rc = bml_tuning_load(wpath("bad.json"), &t);
    CHECK(rc != BML_OK && t == NULL && strstr(bml_last_error(), "bad.json") && strstr(bml_last_error(), must_contain),
          name, "status %s, message: %s", bml_status_name(rc), bml_last_error());
}

/* Replace the first `from` in s by `to` (into a static buffer). */
static const char *edit(const char *s, const char *from, const char *to) {
    static char buf[1 << 20];
    const char *p = strstr(s, from);
    if (!p || strlen(s) + strlen(to) >= sizeof buf) return "{}";
    memcpy(buf, s, (size_t)(p - s));
    strcpy(buf + (p - s), to);
    strcat(buf, p + strlen(from));
    return buf;
}

static void test_reject(void) {
    char *good = slurp(wpath("a.json"));
    char half[512];
    if (!CHECK(good != NULL, "reject_setup", "no archive")) return;
    memcpy(half, good, 400);
    half[400] = 0;
    expect_reject("reject_truncated", half, "invalid JSON");
    expect_reject("reject_not_object", "[1, 2]", "not a batchml tuning archive");
    expect_reject("reject_no_format", "{\"version\": 1}", "no \"format\"");
    expect_reject("reject_model_config", "{\"hidden_size\": 384, \"model_type\": \"bert\"}", "not a batchml tuning archive");
    expect_reject("reject_results_file", "{\"format\": \"batchml-tuning-results\", \"version\": 1}", "results file");
    expect_reject("reject_version", edit(good, "\"version\": 1", "\"version\": 2"), "version 2 is not supported");
    expect_reject("reject_bad_batch_size", edit(good, "\"batch_size\": ", "\"batch_size\": -"),
                  "cells[0].front[0].batch_size");
    expect_reject("reject_unknown_field", edit(good, "\"seed\":", "\"sneed\": 1, \"seed\":"), "sneed: unknown field");
    expect_reject("reject_missing_field", edit(good, "  \"test_size\": 24,\n", ""), "test_size: missing");
    expect_reject("reject_policy", edit(good, "\"policy\": \"sorted\"", "\"policy\": \"random\""), "policy");
    expect_reject("reject_elite_range", edit(good, "\"elite\": 0", "\"elite\": 9"), "elite");
    expect_reject("reject_duplicate_cell", edit(good, "{\"cell\": 1,", "{\"cell\": 0,"), "twice");
    expect_reject("reject_grid", edit(good, "\"mean_len\": [8, 16", "\"mean_len\": [16, 8"), "grid.mean_len");
    expect_reject("reject_negative_rate", edit(good, "\"items_per_s\": ", "\"items_per_s\": -"), "items_per_s");
    expect_reject("reject_empty", "", "invalid JSON");
    remove(wpath("bad.json"));
    {
        bml_tuning *t = (bml_tuning *)1;
        bml_status rc = bml_tuning_load(wpath("nonexistent.json"), &t);
        CHECK(rc == BML_ERR_IO && t == NULL && strstr(bml_last_error(), "nonexistent.json"), "reject_nonexistent",
              "%s: %s", bml_status_name(rc), bml_last_error());
    }
    free(good);
}

static void test_resume_guards(const char *dir, const char *other) {
    bml_tune_desc d;
    char *before, *after;
    bml_status rc;
    /* resuming with another model shape: a clear error, the archive untouched */
    before = slurp(wpath("a.json"));
    memset(&d, 0, sizeof d);
    d.model_path = other;
    d.archive_path = wpath("a.json");
    d.fitness_fn = fixed_fitness;
    rc = bml_tune(&d);
    after = slurp(wpath("a.json"));
    CHECK(rc != BML_OK && strstr(bml_last_error(), "tuned for a model") && before && after && !strcmp(before, after),
          "resume_other_model_rejected", "%s: %s", bml_status_name(rc), bml_last_error());
    free(after);
    /* resuming a corrupt archive: an error, the file left as it was */
    spit(wpath("corrupt.json"), "{\"format\": \"batchml-tuning-archive\", \"version\": 1, \"model\": ");
    d.model_path = dir;
    d.archive_path = wpath("corrupt.json");
    rc = bml_tune(&d);
    after = slurp(wpath("corrupt.json"));
    CHECK(rc == BML_ERR_FORMAT && after && !strncmp(after, "{\"format\": \"batchml-tuning-archive\", \"version\": 1, \"model\": ", 60),
          "resume_corrupt_rejected", "%s: %s", bml_status_name(rc), bml_last_error());
    free(after);
    free(before);
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: tuning TINY_MODEL OTHER_MODEL WORK_DIR\n"); return 2; }
    snprintf(work, sizeof work, "%s", argv[3]);
    test_arena_formula(argv[1]);
    test_search(argv[1]);
    test_memory_objective(argv[1]);
    test_choose(argv[1], argv[2]);
    test_reject();
    test_resume_guards(argv[1], argv[2]);
    TEST_EXIT();
}

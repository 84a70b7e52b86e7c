/* The buffering exporter: deterministic overlays bitwise equal whatever the
   batch (all methods, every batch size 1..32, thread counts); exporter
   files byte-identical for batch_size 0 and each of 1..32 and equal to the
   formatter on one-at-a-time overlays; desc validation messages; stats;
   disabled exporter; torn tails; resume; the file lock; ids and failed
   inputs.
   usage: exporter TINY_MODEL_DIR WORKDIR */
#define BATCHML_IMPLEMENTATION
#include "batchml.h"
#include "bml_test.h"
#include <sys/wait.h>

static uint64_t rng = 1234;
static uint32_t rnd(void) { rng = rng * 6364136223846793005ull + 1442695040888963407ull; return (uint32_t)(rng >> 33); }

static const char *words[] = {"the", "a", "man", "woman", "dog", "cat", "is", "was", "playing", "guitar", "riding",
                              "horse", "on", "in", "park", "happy", "sad", "movie", "great", "terrible", "fun",
                              "running", "quickly", "under", "bridge", "children", "school", "\"quoted\"", "back\\slash",
                              "naïve", "café", "東京", "tab\there", "!", "?", ",", "."};

#define NTXT 37
static char *texts[NTXT];

static void make_texts(void) {
    int i;
    for (i = 0; i < NTXT; i++) {
        size_t nw = i == 3 ? 90 : 1 + rnd() % 30, w, n = 0;
        char *t = malloc(nw * 16 + 16);
        for (w = 0; w < nw; w++) n += (size_t)sprintf(t + n, "%s%s", w ? " " : "", words[rnd() % (sizeof words / sizeof *words)]);
        t[n] = 0;
        texts[i] = t;
    }
    /* inputs that fail alone: invalid UTF-8 and empty */
    strcpy(texts[10], "bad \xff byte");
    texts[20][0] = 0;
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *b;
    long n;
    *len = 0;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    b[*len] = 0;
    fclose(f);
    return b;
}

/* Every line parses as a JSON object with an id; returns the line count or -1. */
static long check_lines(const char *path) {
    size_t len, i, from = 0;
    long n = 0;
    char *b = slurp(path, &len);
    if (!b) return -1;
    if (len && b[len - 1] != '\n') { free(b); return -1; }
    for (i = 0; i < len; i++)
        if (b[i] == '\n') {
            bml_json_doc *doc;
            if (bml_json_parse(b + from, i - from, path, &doc) != BML_OK ||
                !bml_json_get(bml_json_root(doc), "id")) { free(b); return -1; }
            bml_json_free(doc);
            from = i + 1;
            n++;
        }
    free(b);
    return n;
}

static int same_file(const char *a, const char *b) {
    size_t la, lb;
    char *x = slurp(a, &la), *y = slurp(b, &lb);
    int same = x && y && la == lb && !memcmp(x, y, la);
    free(x);
    free(y);
    return same;
}

static void rm_dir(const char *dir) {
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("# rm failed\n");
}

static bml_exporter_method meths[3];

static bml_status run_export(bml_model *m, const char *dir, int bs, int nondet) {
    bml_exporter_desc d;
    bml_exporter *ex;
    bml_status rc;
    int i;
    memset(&d, 0, sizeof d);
    d.enabled = 1;
    d.methods = meths;
    d.n_methods = 3;
    d.batch_size = bs;
    d.dir = dir;
    d.nondeterministic = nondet;
    rm_dir(dir);
    if ((rc = bml_exporter_create(m, &d, &ex)) != BML_OK) return rc;
    for (i = 0; i < NTXT; i++)
        if ((rc = bml_exporter_add(ex, (uint64_t)i, texts[i], -1)) != BML_OK) return rc;
    return bml_exporter_close(ex);
}

int main(int argc, char **argv) {
    bml_model *det, *fast, *det1, *det3;
    bml_model_desc md;
    bml_target *val, *pol, *sim;
    char path[4096], buf[16384], vspec[4200], pspec[4200];
    const char *work;
    int H, i, j;
    if (argc != 3) return 2;
    work = argv[2];
    make_texts();
    memset(&md, 0, sizeof md);
    md.path = argv[1];
    md.threads = 2;
    md.deterministic = 1;
    if (!CHECK(bml_model_load(&md, &det) == BML_OK, "load_det", "%s", bml_last_error())) TEST_EXIT();
    md.threads = 1;
    bml_model_load(&md, &det1);
    md.threads = 3;
    bml_model_load(&md, &det3);
    md.threads = 2;
    md.deterministic = 0;
    bml_model_load(&md, &fast);
    H = bml_model_config(det)->hidden;
    {
        size_t o = 0;
        o += (size_t)snprintf(buf + o, sizeof buf - o, "{\"weight\":[");
        for (i = 0; i < H; i++) o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%.4f", i ? "," : "", (double)((int)(rnd() % 2001) - 1000) / 500.0);
        snprintf(buf + o, sizeof buf - o, "],\"bias\":0.1}");
        snprintf(path, sizeof path, "%s/value.json", work);
        write_file(path, buf);
        snprintf(vspec, sizeof vspec, "value:%s", path);
        o = (size_t)snprintf(buf, sizeof buf, "{\"weight\":[");
        for (j = 0; j < 3; j++) {
            o += (size_t)snprintf(buf + o, sizeof buf - o, "%s[", j ? "," : "");
            for (i = 0; i < H; i++) o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%.4f", i ? "," : "", (double)((int)(rnd() % 2001) - 1000) / 500.0);
            o += (size_t)snprintf(buf + o, sizeof buf - o, "]");
        }
        snprintf(buf + o, sizeof buf - o, "],\"bias\":[0.5,-0.5,0.25]}");
        snprintf(path, sizeof path, "%s/policy.json", work);
        write_file(path, buf);
        snprintf(pspec, sizeof pspec, "policy:%s:2", path);
        bml_target_parse(det, vspec, &val);
        bml_target_parse(det, pspec, &pol);
        bml_target_parse(det, "sim:a dog runs in the park", &sim);
    }

    /* 1. deterministic mode: raw, values and f bitwise equal for every batch
       size 1..32 and thread counts 1, 2, 3, all methods (the exporter's
       byte identity rests on this) */
    {
        static const bml_method methods[] = {BML_METHOD_GRAD, BML_METHOD_GRAD_X_INPUT, BML_METHOD_INTEGRATED_GRADIENTS};
        const bml_target *tg[3];
        bml_item items[NTXT];
        bml_overlay seq[NTXT], bat[NTXT];
        bml_overlay_desc d;
        int mi;
        double nondet_diff = 0;
        tg[0] = sim; tg[1] = val; tg[2] = pol;
        for (i = 0; i < NTXT; i++) {
            memset(&items[i], 0, sizeof items[i]);
            items[i].id = (uint64_t)i;
            items[i].text = texts[i];
            items[i].len = -1;
        }
        for (mi = 0; mi < 3; mi++) {
            size_t bs, k, t;
            long differ = 0, first_bs = -1, first_item = -1;
            memset(&d, 0, sizeof d);
            d.method = methods[mi];
            d.target = tg[mi];
            d.steps = 4;
            for (k = 0; k < NTXT; k++) bml_overlay_compute(det, &d, &items[k], &seq[k]);
            for (bs = 1; bs <= 32 + 2; bs = BMLT_NEXT(bs, 34)) {
                bml_model *mdl = bs <= 32 ? det : (bs == 33 ? det1 : det3);
                d.batch_size = bs <= 32 ? bs : 5;
                d.max_tokens = bs % 4 == 0 ? 120 : 0; /* also IG steps split across passes */
                bml_overlay_compute_batch(mdl, &d, items, NTXT, bat);
                for (k = 0; k < NTXT; k++) {
                    int same = bat[k].status == seq[k].status && bat[k].n == seq[k].n;
                    if (same && seq[k].status == BML_OK)
                        same = !memcmp(bat[k].raw, seq[k].raw, seq[k].n * sizeof(float)) &&
                               !memcmp(bat[k].values, seq[k].values, seq[k].n * sizeof(float)) &&
                               !memcmp(&bat[k].f, &seq[k].f, sizeof(double));
                    if (!same && !differ++) { first_bs = (long)bs; first_item = (long)k; }
                    bml_overlay_free(&bat[k]);
                }
            }
            snprintf(buf, sizeof buf, "deterministic_bitwise_batch_1_32_threads_1_2_3[%s]", bml_method_name(methods[mi]));
            CHECK(differ == 0, buf, "%ld overlays differ; first at batch size %ld (33: 1 thread, 34: 3 threads), item %ld",
                  differ, first_bs, first_item);
            /* for the record: the OpenBLAS path batched is not bitwise */
            d.batch_size = 8;
            d.max_tokens = 0;
            bml_overlay_compute_batch(fast, &d, items, NTXT, bat);
            for (k = 0; k < NTXT; k++) {
                if (bat[k].status == BML_OK)
                    for (t = 0; t < bat[k].n; t++) {
                        double e = fabs(bat[k].raw[t] - seq[k].raw[t]) / (fabs(seq[k].raw[t]) + 1e-30);
                        if (seq[k].raw[t] != 0 && e > nondet_diff) nondet_diff = e;
                    }
                bml_overlay_free(&bat[k]);
                bml_overlay_free(&seq[k]);
            }
        }
        printf("# OpenBLAS (nondeterministic) batch 8 vs deterministic one at a time: max rel diff on raw %.3g\n", nondet_diff);
    }

    /* 2. exporter files: byte-identical for batch_size 0 and 1..32, equal to
       the formatter on one-at-a-time overlays, also with a model loaded
       nondeterministic (the exporter computes deterministically anyway) */
    meths[0].method = "grad";
    meths[0].target = "sim:a dog runs in the park";
    meths[1].method = "value_grad";
    meths[1].target = vspec;
    meths[2].method = "integrated_gradients";
    meths[2].target = pspec;
    meths[2].steps = 3;
    {
        char ref[4096], dir[4096], a[4200], b[4200];
        static const char *names[] = {"grad", "value_grad", "integrated_gradients"};
        int bs, bad = 0, m3, firstbad = -1;
        snprintf(ref, sizeof ref, "%s/exp-ref", work);
        CHECK(run_export(det, ref, 0, 0) == BML_OK, "export_sequential", "%s", bml_last_error());
        for (m3 = 0; m3 < 3; m3++) {
            snprintf(a, sizeof a, "%s/%s.jsonl", ref, names[m3]);
            snprintf(buf, sizeof buf, "export_lines_parse[%s]", names[m3]);
            CHECK(check_lines(a) == NTXT, buf, "%ld lines (want %d)", check_lines(a), NTXT);
        }
        /* the reference the CLI writes: one at a time, the shared formatter */
        {
            bml_overlay_desc d;
            bml_target *tgs[3];
            int ok = 1;
            tgs[0] = sim; tgs[1] = val; tgs[2] = pol;
            for (m3 = 0; m3 < 3 && ok; m3++) {
                size_t len, off = 0;
                char *file;
                snprintf(a, sizeof a, "%s/%s.jsonl", ref, names[m3]);
                file = slurp(a, &len);
                memset(&d, 0, sizeof d);
                d.method = m3 == 2 ? BML_METHOD_INTEGRATED_GRADIENTS : BML_METHOD_GRAD;
                d.target = tgs[m3];
                d.steps = 3;
                for (i = 0; i < NTXT && ok; i++) {
                    bml_item it;
                    bml_overlay o;
                    size_t n;
                    memset(&it, 0, sizeof it);
                    it.id = (uint64_t)i;
                    it.text = texts[i];
                    it.len = -1;
                    bml_overlay_compute_batch(det, &d, &it, 1, &o);
                    n = bml_overlay_to_json(det, &o, names[m3], meths[m3].target, buf, sizeof buf);
                    if (n >= sizeof buf || off + n > len || memcmp(file + off, buf, n)) {
                        ok = 0;
                        printf("# %s record %d differs:\n# file: %.200s\n# want: %.200s\n", names[m3], i, file + off, buf);
                    }
                    off += n;
                    bml_overlay_free(&o);
                }
                free(file);
            }
            CHECK(ok, "export_equals_formatter_one_at_a_time", "see above");
        }
        for (bs = 1; bs <= 33; bs = BMLT_NEXT(bs, 33)) {
            snprintf(dir, sizeof dir, "%s/exp-bs", work);
            /* 33: batch 8 on a model loaded nondeterministic */
            if (run_export(bs == 33 ? fast : det, dir, bs == 33 ? 8 : bs, 0) != BML_OK) {
                bad++;
                printf("# batch %d: %s\n", bs, bml_last_error());
                continue;
            }
            for (m3 = 0; m3 < 3; m3++) {
                snprintf(a, sizeof a, "%s/%s.jsonl", ref, names[m3]);
                snprintf(b, sizeof b, "%s/%s.jsonl", dir, names[m3]);
                if (!same_file(a, b)) { bad++; if (firstbad < 0) firstbad = bs; }
            }
        }
        CHECK(bad == 0, "export_byte_identical_batch_0_and_1_to_32", "%d files differ (first at batch size %d; 33 = model "
              "loaded nondeterministic)", bad, firstbad);
        /* nondeterministic = 1: the OpenBLAS path, batched; said, not required */
        snprintf(dir, sizeof dir, "%s/exp-nondet", work);
        if (run_export(fast, dir, 8, 1) == BML_OK) {
            snprintf(a, sizeof a, "%s/grad.jsonl", ref);
            snprintf(b, sizeof b, "%s/grad.jsonl", dir);
            printf("# nondeterministic = 1, batch 8: grad file %s the deterministic one\n", same_file(a, b) ? "equals" : "differs from");
        }
    }

    /* 3. stats */
    {
        bml_exporter_desc d;
        bml_exporter *ex;
        bml_exporter_stats st;
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/exp-stats", work);
        rm_dir(dir);
        memset(&d, 0, sizeof d);
        d.enabled = 1;
        d.methods = meths;
        d.n_methods = 2;
        d.batch_size = 4;
        d.dir = dir;
        bml_exporter_create(det, &d, &ex);
        for (i = 0; i < 10; i++) bml_exporter_add(ex, (uint64_t)i, texts[i + 8], -1);
        bml_exporter_stats_get(ex, 0, &st);
        /* 8 written (not yet fsynced: still pending) + 2 queued */
        CHECK(st.items == 10 && st.batches == 2 && st.pending == 10 && st.records == 0 && bml_exporter_pending(ex) == 20,
              "stats_before_flush",
              "items %zu batches %zu pending %zu total pending %zu", st.items, st.batches, st.pending, bml_exporter_pending(ex));
        bml_exporter_flush(ex);
        bml_exporter_stats_get(ex, 0, &st);
        CHECK(st.items == 10 && st.batches == 3 && st.records == 10 && st.errors == 1 && st.pending == 0 && st.bytes > 0 &&
                  st.compute_ns > 0 && st.write_ns > 0 && bml_exporter_pending(ex) == 0 && !strcmp(st.name, "grad"),
              "stats_after_flush", "items %zu batches %zu records %zu errors %zu pending %zu", st.items, st.batches, st.records,
              st.errors, st.pending);
        CHECK(bml_exporter_close(ex) == BML_OK, "close", "%s", bml_last_error());
    }

    /* 4. desc validation: field, range and value in the message */
    {
        bml_exporter_desc d;
        bml_exporter *ex = NULL;
        bml_exporter_method bad[2];
        char dir[4096];
        int k;
        static const int sizes[] = {33, -1, 64, 1000};
        snprintf(dir, sizeof dir, "%s/exp-bad", work);
        memset(&d, 0, sizeof d);
        d.enabled = 1;
        d.methods = meths;
        d.n_methods = 1;
        d.dir = dir;
        for (k = 0; k < 4; k++) {
            char want[32];
            d.batch_size = sizes[k];
            snprintf(want, sizeof want, "got %d", sizes[k]);
            snprintf(buf, sizeof buf, "reject_batch_size_%d", sizes[k]);
            CHECK(bml_exporter_create(det, &d, &ex) == BML_ERR_INVALID_ARG && !ex &&
                      strstr(bml_last_error(), "bml_exporter_desc.batch_size") && strstr(bml_last_error(), "0..32") &&
                      strstr(bml_last_error(), want),
                  buf, "%s", bml_last_error());
        }
        printf("# %s\n", bml_last_error());
        d.batch_size = 32;
        memcpy(bad, meths, sizeof bad);
        bad[1].method = "saliency";
        d.methods = bad;
        d.n_methods = 2;
        CHECK(bml_exporter_create(det, &d, &ex) == BML_ERR_INVALID_ARG && strstr(bml_last_error(), "methods[1].method") &&
                  strstr(bml_last_error(), "'saliency'") && strstr(bml_last_error(), "integrated_gradients"),
              "reject_unknown_method", "%s", bml_last_error());
        printf("# %s\n", bml_last_error());
        bad[1] = meths[0];
        CHECK(bml_exporter_create(det, &d, &ex) == BML_ERR_INVALID_ARG && strstr(bml_last_error(), "also methods[0]"),
              "reject_duplicate_file", "%s", bml_last_error());
        bad[1].name = "../escape";
        CHECK(bml_exporter_create(det, &d, &ex) == BML_ERR_INVALID_ARG && strstr(bml_last_error(), "methods[1].name"),
              "reject_bad_name", "%s", bml_last_error());
        bad[1].name = "grad2";
        bad[1].method = "policy_grad";
        CHECK(bml_exporter_create(det, &d, &ex) == BML_ERR_INVALID_ARG && strstr(bml_last_error(), "needs a policy:FILE:K target"),
              "reject_preset_target_kind", "%s", bml_last_error());
        bad[1].method = "grad";
        bad[1].target = "value:/nonexistent/head.json";
        CHECK(bml_exporter_create(det, &d, &ex) == BML_ERR_IO && strstr(bml_last_error(), "methods[1].target") &&
                  strstr(bml_last_error(), "/nonexistent/head.json"),
              "reject_bad_target", "%s", bml_last_error());
        d.n_methods = 0;
        CHECK(bml_exporter_create(det, &d, &ex) == BML_ERR_INVALID_ARG && strstr(bml_last_error(), "n_methods must be 1..16"),
              "reject_no_methods", "%s", bml_last_error());
        d.n_methods = 1;
        d.dir = NULL;
        CHECK(bml_exporter_create(det, &d, &ex) == BML_ERR_INVALID_ARG && strstr(bml_last_error(), "dir"), "reject_no_dir", "%s",
              bml_last_error());
        d.dir = dir;
        d.fsync = (bml_export_fsync)7;
        CHECK(bml_exporter_create(det, &d, &ex) == BML_ERR_INVALID_ARG && strstr(bml_last_error(), "fsync must be 0..2") &&
                  strstr(bml_last_error(), "got 7"),
              "reject_fsync_policy", "%s", bml_last_error());
        d.fsync = BML_EXPORT_FSYNC_FLUSH;
        {   /* a zeroed desc is an error naming the field, not a silent no-op */
            bml_exporter_desc z;
            bml_exporter *zx = NULL;
            memset(&z, 0, sizeof z);
            CHECK(bml_exporter_create(NULL, &z, &zx) == BML_ERR_INVALID_ARG && !zx && strstr(bml_last_error(), "n_methods"),
                  "zeroed_desc_is_an_error", "%s", bml_last_error());
        }
        /* disabled: validated, but no files and add() does nothing */
        d.enabled = 0;
        d.batch_size = 40;
        CHECK(bml_exporter_create(NULL, &d, &ex) == BML_ERR_INVALID_ARG, "disabled_still_validates", "%s", bml_last_error());
        d.batch_size = 4;
        rm_dir(dir);
        CHECK(bml_exporter_create(NULL, &d, &ex) == BML_OK && bml_exporter_add(ex, 1, "x", -1) == BML_OK &&
                  bml_exporter_flush(ex) == BML_OK && bml_exporter_method_count(ex) == 0 && access(dir, F_OK) != 0 &&
                  bml_exporter_close(ex) == BML_OK,
              "disabled_is_a_noop", "%s", bml_last_error());
    }

    /* 5. a torn last line is cut, reported, and appended after; resume skips
       ids already there; a garbage middle line is refused */
    {
        bml_exporter_desc d;
        bml_exporter *ex;
        bml_exporter_stats st;
        char dir[4096], file[4200];
        const char *torn = "{\"id\":2,\"method\":\"grad\",\"tar";
        size_t len;
        char *all, *good1;
        memset(&d, 0, sizeof d);
        d.enabled = 1;
        d.methods = meths;
        d.n_methods = 1;
        d.batch_size = 3;
        snprintf(dir, sizeof dir, "%s/exp-torn", work);
        d.dir = dir;
        rm_dir(dir);
        /* two whole records from a first run */
        bml_exporter_create(det, &d, &ex);
        bml_exporter_add(ex, 0, texts[0], -1);
        bml_exporter_add(ex, 1, texts[1], -1);
        bml_exporter_close(ex);
        snprintf(file, sizeof file, "%s/grad.jsonl", dir);
        good1 = slurp(file, &len);
        {
            FILE *f = fopen(file, "ab");
            fputs(torn, f);
            fclose(f);
        }
        d.resume = 1;
        CHECK(bml_exporter_create(det, &d, &ex) == BML_OK, "open_torn", "%s", bml_last_error());
        bml_exporter_stats_get(ex, 0, &st);
        CHECK(st.torn_bytes == strlen(torn) && st.existing == 2, "torn_tail_reported", "torn %zu (want %zu) existing %zu",
              st.torn_bytes, strlen(torn), st.existing);
        for (i = 0; i < 6; i++) bml_exporter_add(ex, (uint64_t)i, texts[i], -1);
        bml_exporter_add(ex, 4, texts[4], -1); /* twice in one run: once in the file */
        bml_exporter_stats_get(ex, 0, &st);
        CHECK(st.skipped == 3 && st.items == 4, "resume_skips_present_ids", "skipped %zu items %zu", st.skipped, st.items);
        bml_exporter_close(ex);
        all = slurp(file, &len);
        CHECK(check_lines(file) == 6 && !strncmp(all, good1, strlen(good1)) && !strstr(all, "\"tar{"),
              "torn_tail_cut_and_appended", "%ld lines", check_lines(file));
        /* the same as a clean run, record for record (resume order = id order here) */
        {
            char cdir[4096], cfile[4200];
            snprintf(cdir, sizeof cdir, "%s/exp-torn-clean", work);
            rm_dir(cdir);
            d.dir = cdir;
            d.resume = 0;
            bml_exporter_create(det, &d, &ex);
            for (i = 0; i < 6; i++) bml_exporter_add(ex, (uint64_t)i, texts[i], -1);
            bml_exporter_close(ex);
            snprintf(cfile, sizeof cfile, "%s/grad.jsonl", cdir);
            CHECK(same_file(file, cfile), "resumed_equals_clean", "differs");
            d.dir = dir;
        }
        free(all);
        free(good1);
        /* a garbage line in the middle is refused with resume */
        {
            FILE *f = fopen(file, "ab");
            fputs("garbage\n{\"id\":99,\"error\":\"x\"}\n", f);
            fclose(f);
        }
        d.resume = 1;
        CHECK(bml_exporter_create(det, &d, &ex) == BML_ERR_FORMAT && strstr(bml_last_error(), "grad.jsonl:7"),
              "resume_refuses_garbage_line", "%s", bml_last_error());
        printf("# %s\n", bml_last_error());
    }

    /* 6. ids input and failed inputs */
    {
        bml_exporter_desc d;
        bml_exporter *ex;
        bml_item it;
        int32_t ids[4] = {101, 2003, 2000, 102};
        char dir[4096], file[4200];
        size_t len;
        char *all;
        memset(&d, 0, sizeof d);
        d.enabled = 1;
        d.methods = meths;
        d.n_methods = 1;
        snprintf(dir, sizeof dir, "%s/exp-ids", work);
        d.dir = dir;
        rm_dir(dir);
        bml_exporter_create(det, &d, &ex);
        memset(&it, 0, sizeof it);
        it.id = 5;
        it.ids = ids;
        it.n_ids = 4;
        bml_exporter_add_item(ex, &it);
        bml_exporter_add_failed(ex, 6, "input: invalid JSON at byte 4");
        bml_exporter_close(ex);
        snprintf(file, sizeof file, "%s/grad.jsonl", dir);
        all = slurp(file, &len);
        CHECK(all && strstr(all, "{\"id\":5,\"method\":\"grad\"") && strstr(all, "\"offsets\":[[0,0],[0,0],[0,0],[0,0]]") &&
                  strstr(all, "{\"id\":6,\"error\":\"input: invalid JSON at byte 4\"}\n"),
              "ids_and_failed_inputs", "%s", all ? all : "(no file)");
        free(all);
    }

    /* 7. a second process cannot open the same files */
    {
        bml_exporter_desc d;
        bml_exporter *ex;
        char dir[4096];
        int p2c[2], c2p[2];
        pid_t pid = -1;
        memset(&d, 0, sizeof d);
        d.enabled = 1;
        d.methods = &meths[1]; /* a value head: no pass at create (the forked child has no pool threads) */
        d.n_methods = 1;
        snprintf(dir, sizeof dir, "%s/exp-lock", work);
        d.dir = dir;
        rm_dir(dir);
        if (pipe(p2c) == 0 && pipe(c2p) == 0 && (pid = fork()) == 0) {
            char c;
            bml_exporter *cx;
            if (bml_exporter_create(det, &d, &cx) != BML_OK) _exit(3);
            if (write(c2p[1], "r", 1) != 1) _exit(4);
            if (read(p2c[0], &c, 1) != 1) _exit(5);
            bml_exporter_free(cx);
            _exit(0);
        } else {
            char c;
            int status = 0;
            bml_status rc = BML_OK;
            if (read(c2p[0], &c, 1) == 1) rc = bml_exporter_create(det, &d, &ex);
            CHECK(rc == BML_ERR_IO && strstr(bml_last_error(), "in use by another exporter"), "second_process_refused", "%s",
                  bml_last_error());
            printf("# %s\n", bml_last_error());
            if (write(p2c[1], "q", 1) != 1) printf("# pipe\n");
            waitpid(pid, &status, 0);
            rc = bml_exporter_create(det, &d, &ex);
            CHECK(rc == BML_OK, "free_after_other_process_exits", "%s", bml_last_error());
            if (rc == BML_OK) bml_exporter_close(ex);
        }
    }

    bml_target_free(val);
    bml_target_free(pol);
    bml_target_free(sim);
    bml_model_free(det);
    bml_model_free(det1);
    bml_model_free(det3);
    bml_model_free(fast);
    for (i = 0; i < NTXT; i++) free(texts[i]);
    TEST_EXIT();
}

/* The OpenCL device path against the CPU path (CI: PoCL's CPU device).
   - embeddings of the STS sentences, every pooling mode (and one model
     without Normalize): max abs difference of the L2-normalized embeddings
     <= 1e-4; the full MiniLM shape too
   - batched vs one at a time on the device <= 1e-6 (it is bitwise: every
     kernel is row-independent), batch sizes 1..33, sorted and in order;
     deterministic mode bitwise across batch sizes
   - overlays (grad, grad_x_input, integrated gradients; sim, value, policy
     targets) vs the CPU path <= 1e-3 relative (max|a-b| / max|b| per input,
     f relative to max(|f|, 1e-3)); batched vs one at a time on the device
   - both GEMM kernels (the vec one PoCL gets, the tiled one GPUs get)
   - errors: bad device names, a failed kernel build, out of device memory
     (at load and mid-batch), "auto" falling back to the CPU path, said once
   Prints "# SKIP ..." and no FAIL when the build has no OpenCL or the
   machine has no OpenCL platform.
   usage: opencl STS_TXT WORKDIR MODEL_DIR... (tiny models, then one full) */
#define BATCHML_IMPLEMENTATION
#include "batchml.h"
#include "bml_test.h"
#include <math.h>

#define MAXS 4096

static char *sents[MAXS];
static size_t nsent;
static int warn_lines;
static char last_warn[512];

static void on_log(bml_log_level level, const char *msg, void *user) {
    (void)user;
    if (level >= BML_LOG_WARN) {
        warn_lines++;
        snprintf(last_warn, sizeof last_warn, "%s", msg);
    }
}

static void normalize_rows(float *e, size_t n, size_t H) {
    size_t i, j;
    for (i = 0; i < n; i++) {
        double s = 0;
        for (j = 0; j < H; j++) s += (double)e[i * H + j] * e[i * H + j];
        s = sqrt(s) > 1e-12 ? sqrt(s) : 1e-12;
        for (j = 0; j < H; j++) e[i * H + j] = (float)(e[i * H + j] / s);
    }
}

static const char *base(const char *p) {
    const char *s = strrchr(p, '/');
    return s && s[1] ? s + 1 : p;
}

static bml_status load(const char *dir, const char *device, int det, bml_model **m) {
    bml_model_desc d;
    memset(&d, 0, sizeof d);
    d.path = dir;
    d.threads = 2;
    d.device = device;
    d.deterministic = det;
    return bml_model_load(&d, m);
}

static void items_of(bml_item *it, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        memset(&it[i], 0, sizeof it[i]);
        it[i].id = i;
        it[i].text = sents[i % nsent];
        it[i].len = -1;
    }
}

/* Embeddings on the device vs the CPU, and batched vs single on the device. */
static void check_embed(const char *dir, const char *tag, bml_model *cpu, bml_model *cl, size_t n, size_t nsingle) {
    size_t H = (size_t)bml_model_config(cpu)->hidden, i, bs;
    bml_item *it = calloc(n, sizeof *it);
    float *a = malloc(n * H * sizeof(float)), *b = malloc(n * H * sizeof(float)), *c = malloc(n * H * sizeof(float));
    bml_batch_desc bd;
    bml_result res;
    float d, worst = 0;
    int worst_bs = 0, ok;
    char name[256];
    memset(&bd, 0, sizeof bd);
    memset(&res, 0, sizeof res);
    items_of(it, n);
    ok = bml_embed_batch(cpu, it, n, &bd, a, &res) == BML_OK && bml_result_all_succeeded(&res);
    ok = ok && bml_embed_batch(cl, it, n, &bd, b, &res) == BML_OK && bml_result_all_succeeded(&res);
    snprintf(name, sizeof name, "embed_vs_cpu[%s%s]", base(dir), tag);
    if (!ok) { CHECK(0, name, "%s", bml_last_error()); goto out; }
    normalize_rows(a, n, H);
    normalize_rows(b, n, H);
    d = maxdiff(a, b, n * H);
    CHECK(d <= 1e-4f, name, "max abs diff %.3g of normalized embeddings over %zu sentences (limit 1e-4)", (double)d, n);
    if (d <= 1e-4f) printf("#   %s: max abs diff %.3g over %zu sentences (%s)\n", name, (double)d, n, bml_model_device(cl));
    /* batched vs one at a time on the device (raw outputs) */
    if ((ok = bml_embed_batch(cl, it, n, &bd, b, &res) == BML_OK)) {
        for (i = 0; i < nsingle && ok; i++) ok = bml_embed_text(cl, sents[i % nsent], -1, c + i * H) == BML_OK;
    }
    snprintf(name, sizeof name, "batch_vs_single[%s%s]", base(dir), tag);
    if (!ok) { CHECK(0, name, "%s", bml_last_error()); goto out; }
    d = maxdiff(b, c, nsingle * H);
    for (bs = 1; bs <= 33 && ok; bs += (bs < 4 ? 1 : 7)) {
        float dm;
        bd.batch_size = bs;
        bd.keep_order = (int)(bs % 2);
        ok = bml_embed_batch(cl, it, nsingle, &bd, a, &res) == BML_OK;
        dm = maxdiff(a, c, nsingle * H);
        if (dm > worst) { worst = dm; worst_bs = (int)bs; }
    }
    d = d > worst ? d : worst;
    CHECK(ok && d <= 1e-6f, name, "max abs diff %.3g (batch size %d) over %zu sentences (limit 1e-6)%s", (double)d,
          worst_bs, nsingle, ok ? "" : bml_last_error());
    if (ok && d <= 1e-6f) printf("#   %s: max abs diff %.3g\n", name, (double)d);
out:
    bml_result_free(&res);
    free(it); free(a); free(b); free(c);
}

static double rel_raw(const bml_overlay *x, const bml_overlay *y) {
    double scale = 0, d = 0;
    size_t t;
    if (x->status != BML_OK || y->status != BML_OK || x->n != y->n) return INFINITY;
    for (t = 0; t < y->n; t++) scale = fabs(y->raw[t]) > scale ? fabs(y->raw[t]) : scale;
    if (scale == 0) scale = 1;
    for (t = 0; t < y->n; t++) d = fabs(x->raw[t] - y->raw[t]) > d ? fabs(x->raw[t] - y->raw[t]) : d;
    return d / scale;
}

static double rel_f(const bml_overlay *x, const bml_overlay *y) {
    double s = fabs(y->f) > 1e-3 ? fabs(y->f) : 1e-3;
    return fabs(x->f - y->f) / s;
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (f) { fputs(text, f); fclose(f); }
}

/* Head files for the value and policy targets (deterministic values). */
static void heads(const char *work, int H) {
    static char buf[1 << 16];
    char path[4096];
    size_t o = 0;
    int i, j;
    o += (size_t)snprintf(buf + o, sizeof buf - o, "{\"weight\":[");
    for (i = 0; i < H; i++) o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%.4f", i ? "," : "", sin(0.7 * i + 0.3));
    snprintf(buf + o, sizeof buf - o, "],\"bias\":0.1}");
    snprintf(path, sizeof path, "%s/value%d.json", work, H);
    write_file(path, buf);
    o = (size_t)snprintf(buf, sizeof buf, "{\"weight\":[");
    for (j = 0; j < 3; j++) {
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s[", j ? "," : "");
        for (i = 0; i < H; i++) o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%.4f", i ? "," : "", cos(1.3 * i + j));
        o += (size_t)snprintf(buf + o, sizeof buf - o, "]");
    }
    snprintf(buf + o, sizeof buf - o, "],\"bias\":[0.5,-0.5,0.25]}");
    snprintf(path, sizeof path, "%s/policy%d.json", work, H);
    write_file(path, buf);
}

#define NOV 10

/* Overlays on the device vs the CPU, and batched vs one at a time. */
static void check_overlay(const char *dir, const char *tag, const char *work, bml_model *cpu, bml_model *cl, int quick) {
    static const bml_method methods[] = {BML_METHOD_GRAD, BML_METHOD_GRAD_X_INPUT, BML_METHOD_INTEGRATED_GRADIENTS};
    int H = bml_model_config(cpu)->hidden, mi, ti, k;
    char spec[3][4200], name[256];
    bml_item it[NOV];
    bml_overlay a[NOV], b[NOV], c[NOV];
    double worst = 0, worst_bat = 0;
    const char *worst_at = "";
    static char where[128];
    int ok = 1, nrun = 0;
    static char longtext[4096];
    heads(work, H);
    snprintf(spec[0], sizeof spec[0], "sim:A man is playing a guitar.");
    snprintf(spec[1], sizeof spec[1], "value:%s/value%d.json", work, H);
    snprintf(spec[2], sizeof spec[2], "policy:%s/policy%d.json:2", work, H);
    items_of(it, NOV);
    /* one long input (about 130 tokens) */
    longtext[0] = 0;
    for (k = 0; k < 12; k++) {
        strncat(longtext, sents[(size_t)(k + 20) % nsent], sizeof longtext - strlen(longtext) - 2);
        strcat(longtext, " ");
    }
    it[NOV - 1].text = longtext;
    for (ti = 0; ti < 3; ti++) {
        bml_target *tc = NULL, *tl = NULL;
        if (bml_target_parse(cpu, spec[ti], &tc) != BML_OK || bml_target_parse(cl, spec[ti], &tl) != BML_OK) {
            ok = 0;
            break;
        }
        for (mi = 0; mi < 3; mi++) {
            bml_overlay_desc d;
            size_t i, n = quick ? 4 : NOV;
            if (quick && mi != ti) continue;
            memset(&d, 0, sizeof d);
            d.method = methods[mi];
            d.steps = 4;
            d.target = tc;
            if (bml_overlay_compute_batch(cpu, &d, it, n, a) != BML_OK) { ok = 0; break; }
            d.target = tl;
            if (bml_overlay_compute_batch(cl, &d, it, n, b) != BML_OK) { ok = 0; break; }
            for (i = 0; i < n; i++) {
                double r = rel_raw(b + i, a + i), rf = rel_f(b + i, a + i);
                r = r > rf ? r : rf;
                if (r > worst) {
                    worst = r;
                    snprintf(where, sizeof where, "%s, %.60s, input %zu", bml_method_name(d.method), spec[ti], i);
                    worst_at = where;
                }
            }
            /* one at a time on the device */
            for (i = 0; i < n && ok; i++) {
                double r;
                d.batch_size = 1;
                if (bml_overlay_compute(cl, &d, &it[i], &c[i]) != BML_OK) { ok = 0; break; }
                r = rel_raw(&c[i], &b[i]);
                r = r > rel_f(&c[i], &b[i]) ? r : rel_f(&c[i], &b[i]);
                worst_bat = r > worst_bat ? r : worst_bat;
                bml_overlay_free(&c[i]);
            }
            for (i = 0; i < n; i++) { bml_overlay_free(&a[i]); bml_overlay_free(&b[i]); }
            nrun++;
        }
        bml_target_free(tc);
        bml_target_free(tl);
    }
    snprintf(name, sizeof name, "overlay_vs_cpu[%s%s]", base(dir), tag);
    if (!ok) { CHECK(0, name, "%s", bml_last_error()); return; }
    CHECK(worst <= 1e-3, name, "max relative diff %.3g (%s) over %d method x target runs (limit 1e-3)", worst, worst_at, nrun);
    if (worst <= 1e-3) printf("#   %s: max relative diff %.3g over %d method x target runs\n", name, worst, nrun);
    snprintf(name, sizeof name, "overlay_batch_vs_single[%s%s]", base(dir), tag);
    CHECK(worst_bat <= 1e-6, name, "max relative diff %.3g (limit 1e-6)", worst_bat);
    if (worst_bat <= 1e-6) printf("#   %s: max relative diff %.3g\n", name, worst_bat);
}

/* Deterministic mode on the device: bitwise across batch sizes. */
static void check_det(const char *dir) {
    bml_model *m = NULL;
    size_t n = 40, H, bs;
    bml_item it[40];
    float *a, *b;
    bml_batch_desc bd;
    int same = 1;
    char name[256];
    snprintf(name, sizeof name, "deterministic_bitwise[%s]", base(dir));
    if (load(dir, "opencl", 1, &m) != BML_OK) { CHECK(0, name, "%s", bml_last_error()); return; }
    H = (size_t)bml_model_config(m)->hidden;
    a = malloc(n * H * sizeof(float));
    b = malloc(n * H * sizeof(float));
    items_of(it, n);
    memset(&bd, 0, sizeof bd);
    bd.batch_size = 1;
    bml_embed_batch(m, it, n, &bd, a, NULL);
    for (bs = 2; bs <= 40; bs += 19) {
        bd.batch_size = bs;
        bd.keep_order = (int)(bs % 2);
        if (bml_embed_batch(m, it, n, &bd, b, NULL) != BML_OK || memcmp(a, b, n * H * sizeof(float))) same = 0;
    }
    CHECK(same, name, "batch sizes 1, 2, 21, 40 differ");
    free(a);
    free(b);
    bml_model_free(m);
}

static void check_errors(const char *dir) {
    bml_model *m = NULL, *cpu = NULL;
    bml_status rc;
    const char *e;
    float *a, *b;
    size_t H, n = 64;
    bml_item it[64];
    /* names */
    rc = load(dir, "opencl:7:9", 0, &m);
    e = bml_last_error();
    CHECK(rc == BML_ERR_DEVICE && strstr(e, "no such OpenCL device"), "err_no_such_device", "%s: %s", bml_status_name(rc), e);
    rc = load(dir, "gpu", 0, &m);
    CHECK(rc == BML_ERR_INVALID_ARG && strstr(e, "expected cpu, opencl"), "err_bad_device_name", "%s: %s",
          bml_status_name(rc), bml_last_error());
    rc = load(dir, "opencl:0", 0, &m);
    CHECK(rc == BML_ERR_INVALID_ARG, "err_bad_device_name2", "%s: %s", bml_status_name(rc), bml_last_error());
    /* a failed build: the device and the OpenCL error are named */
    setenv("BATCHML_OPENCL_BUILD_OPTIONS", "-DBML_RW=", 1);
    rc = load(dir, "opencl", 0, &m);
    e = bml_last_error();
    CHECK(rc == BML_ERR_DEVICE && strstr(e, "OpenCL device opencl:") && strstr(e, "building the kernels failed") &&
              strstr(e, "CL_"),
          "err_build_failed", "%s: %s", bml_status_name(rc), e);
    printf("#   build failure: %s\n", e);
    setenv("BATCHML_OPENCL_AUTO", "any", 1);
    warn_lines = 0;
    rc = load(dir, "auto", 0, &m);
    CHECK(rc == BML_OK && !strcmp(bml_model_device(m), "cpu") && warn_lines == 1 && strstr(last_warn, "using the CPU path"),
          "auto_fallback_build", "%s, device %s, %d warnings: %s", bml_status_name(rc), m ? bml_model_device(m) : "-",
          warn_lines, last_warn);
    printf("#   auto fallback: %s\n", last_warn);
    bml_model_free(m);
    m = NULL;
    unsetenv("BATCHML_OPENCL_BUILD_OPTIONS");
    /* out of device memory at load: weights do not fit */
    setenv("BATCHML_OPENCL_MEM_LIMIT_MB", "0.01", 1);
    rc = load(dir, "opencl", 0, &m);
    e = bml_last_error();
    CHECK(rc == BML_ERR_DEVICE && strstr(e, "out of device memory") && strstr(e, "CL_MEM_OBJECT_ALLOCATION_FAILURE") &&
              strstr(e, "OpenCL device opencl:"),
          "err_oom_load", "%s: %s", bml_status_name(rc), e);
    printf("#   out of memory: %s\n", e);
    /* mid-batch: weights fit, a batch does not */
    unsetenv("BATCHML_OPENCL_MEM_LIMIT_MB");
    if (load(dir, "opencl", 0, &m) == BML_OK) {
        char lim[64];
#ifdef BATCHML_OPENCL
        snprintf(lim, sizeof lim, "%.6f", (double)((bml__cl *)m->cl)->mem_used / 1048576.0 + 0.01);
#else
        snprintf(lim, sizeof lim, "1");
#endif
        setenv("BATCHML_OPENCL_MEM_LIMIT_MB", lim, 1);
        bml_model_free(m);
        m = NULL;
    }
    rc = load(dir, "opencl", 0, &m);
    if (CHECK(rc == BML_OK, "oom_batch_load", "%s", bml_last_error())) {
        H = (size_t)bml_model_config(m)->hidden;
        a = malloc(n * H * sizeof(float));
        b = malloc(n * H * sizeof(float));
        items_of(it, n);
        rc = bml_embed_batch(m, it, n, NULL, a, NULL);
        e = bml_last_error();
        CHECK(rc == BML_ERR_DEVICE && strstr(e, "out of device memory"), "err_oom_batch", "%s: %s", bml_status_name(rc), e);
        bml_model_free(m);
        m = NULL;
        /* auto: the same failure falls back to the CPU path with the same results */
        warn_lines = 0;
#ifdef BATCHML_OPENCL
        bml__cl_fallback_said = 0;
#endif
        rc = load(dir, "auto", 0, &m);
        CHECK(rc == BML_OK && strncmp(bml_model_device(m), "opencl:", 7) == 0, "auto_any_picks_device", "%s %s",
              bml_status_name(rc), m ? bml_model_device(m) : "-");
        if (rc == BML_OK && load(dir, "cpu", 0, &cpu) == BML_OK) {
            rc = bml_embed_batch(m, it, n, NULL, a, NULL);
            rc = rc == BML_OK ? bml_embed_batch(m, it, n, NULL, a, NULL) : rc;
            bml_embed_batch(cpu, it, n, NULL, b, NULL);
            CHECK(rc == BML_OK && !strcmp(bml_model_device(m), "cpu") && warn_lines == 1 && maxdiff(a, b, n * H) == 0,
                  "auto_fallback_mid_batch", "%s, device %s, %d warnings (%s), diff %g", bml_status_name(rc),
                  bml_model_device(m), warn_lines, last_warn, (double)maxdiff(a, b, n * H));
            bml_model_free(cpu);
        }
        bml_model_free(m);
        free(a);
        free(b);
    }
    unsetenv("BATCHML_OPENCL_MEM_LIMIT_MB");
    unsetenv("BATCHML_OPENCL_AUTO");
    /* auto without a GPU (PoCL has none): the CPU path */
    if (bml_device_list(NULL, 0) > 0) {
        bml_device_info info[16];
        int k, nd = bml_device_list(info, 16), gpu = 0;
        for (k = 0; k < nd && k < 16; k++) gpu |= !strcmp(info[k].type, "GPU");
        rc = load(dir, "auto", 0, &m);
        CHECK(rc == BML_OK && (gpu ? strncmp(bml_model_device(m), "opencl:", 7) == 0 : !strcmp(bml_model_device(m), "cpu")),
              "auto_picks", "%s, %s, device %s", bml_status_name(rc), gpu ? "a GPU" : "no GPU", m ? bml_model_device(m) : "-");
        bml_model_free(m);
    }
}

/* The GEMM kernel "opencl" does not get by default: tiled on a CPU device
   (PoCL), vec on a GPU. */
static const char *other_gemm(void) {
    bml_device_info info[16];
    int n = bml_device_list(info, 16), k;
    for (k = 0; k < n && k < 16; k++)
        if (!strcmp(info[k].type, "GPU")) return "vec";
    return n > 0 && !strcmp(info[0].type, "CPU") ? "tiled" : "vec";
}

int main(int argc, char **argv) {
    static char line[8192];
    FILE *f;
    int i, nd;
    char txt[8192];
    if (argc < 4) {
        fprintf(stderr, "usage: opencl STS_TXT WORKDIR MODEL_DIR...\n");
        return 2;
    }
#ifndef BATCHML_OPENCL
    printf("# SKIP opencl: this test was built without BATCHML_OPENCL (no OpenCL headers: install ocl-icd-opencl-dev opencl-headers)\n");
    return 0;
#endif
    nd = bml_device_list(NULL, 0);
    bml_device_list_text(txt, sizeof txt);
    {
        char *p = txt, *nl;
        printf("# devices (bml_device_list_text):\n");
        for (; *p; p = nl + 1) {
            nl = strchr(p, '\n');
            if (!nl) { printf("#   %s\n", p); break; }
            printf("#   %.*s\n", (int)(nl - p), p);
        }
    }
    if (nd <= 0) {
        printf("# SKIP opencl: no OpenCL platform or device on this machine (install pocl-opencl-icd)\n");
        return 0;
    }
    CHECK(strstr(txt, "opencl:0:0") && strstr(txt, "auto") && strstr(txt, "cpu "), "device_list_text", "%s", txt);
    bml_set_log(on_log, NULL);
    f = fopen(argv[1], "r");
    if (!f) { CHECK(0, "sts_sentences", "cannot open %s", argv[1]); TEST_EXIT(); }
    while (nsent < MAXS && fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        if (n) sents[nsent++] = strcpy(malloc(n + 1), line);
    }
    fclose(f);
    if (!CHECK(nsent >= 40, "sts_sentences", "%zu sentences in %s", nsent, argv[1])) TEST_EXIT();
    for (i = 3; i < argc; i++) {
        bml_model *cpu = NULL, *cl = NULL;
        int full = i == argc - 1 && argc > 4;
        char name[256];
        uint64_t t0 = bml_now_ns();
        snprintf(name, sizeof name, "load[%s]", base(argv[i]));
        if (load(argv[i], "cpu", 0, &cpu) != BML_OK) { CHECK(0, name, "%s", bml_last_error()); continue; }
        if (!CHECK(load(argv[i], "opencl", 0, &cl) == BML_OK && !strncmp(bml_model_device(cl), "opencl:", 7), name, "%s",
                   bml_last_error())) {
            bml_model_free(cpu);
            continue;
        }
        check_embed(argv[i], "", cpu, cl, full ? 300 : nsent, full ? 24 : 80);
        check_overlay(argv[i], "", argv[2], cpu, cl, full);
        bml_model_free(cl);
        if (i == 3 || strstr(argv[i], "odd")) {
            /* the other GEMM kernel (on PoCL the tiled one that GPUs get) */
            const char *g = other_gemm();
            char tag[32];
            snprintf(tag, sizeof tag, ",%s", g);
            setenv("BATCHML_OPENCL_GEMM", g, 1);
            snprintf(name, sizeof name, "load[%s%s]", base(argv[i]), tag);
            if (load(argv[i], "opencl", 0, &cl) == BML_OK) {
                check_embed(argv[i], tag, cpu, cl, 200, 24);
                check_overlay(argv[i], tag, argv[2], cpu, cl, 1);
                bml_model_free(cl);
            } else {
                CHECK(0, name, "%s", bml_last_error());
            }
            unsetenv("BATCHML_OPENCL_GEMM");
        }
        if (i == 3) {
            check_det(argv[i]);
            check_errors(argv[i]);
        }
        bml_model_free(cpu);
        printf("#   %s: %.1f s\n", base(argv[i]), (double)(bml_now_ns() - t0) / 1e9);
    }
    for (i = 0; i < (int)nsent; i++) free(sents[i]);
    TEST_EXIT();
}

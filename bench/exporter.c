/* bench/exporter — the buffering exporter end to end: N overlays (one
   method) through create / add / close, sequential (batch_size 0) vs
   batch 4, 8, 16, 32, with the time split into compute, write and fsync.
   Two references: the sequential run with nondeterministic = 1 (what
   determinism costs: nothing in AVX-512 builds, whose kernels are
   fixed-order anyway; OpenBLAS elsewhere) and batch 8 with fsync after
   every batch.
   Checks that every deterministic configuration wrote the same bytes.
   Wall time and the process's CPU time are both shown: on a shared,
   loaded machine the CPU time (both threads) is the steadier figure.
   usage: exporter MODEL_DIR TEXTS_FILE OUT_DIR [N [METHOD [THREADS]]]
   Prints a Markdown table on stdout. */
#define BATCHML_IMPLEMENTATION
#include "batchml.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct cfg { const char *name; int bs, nondet; bml_export_fsync fsync; } cfg;

static double cpu_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    *len = 0;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    *len = fread(buf, 1, (size_t)n, f);
    buf[*len] = 0;
    fclose(f);
    return buf;
}

int main(int argc, char **argv) {
    static const cfg cfgs[] = {
        {"sequential (batch_size 0)", 0, 0, BML_EXPORT_FSYNC_FLUSH},
        {"batch 4", 4, 0, BML_EXPORT_FSYNC_FLUSH},
        {"batch 8", 8, 0, BML_EXPORT_FSYNC_FLUSH},
        {"batch 16", 16, 0, BML_EXPORT_FSYNC_FLUSH},
        {"batch 32", 32, 0, BML_EXPORT_FSYNC_FLUSH},
        {"batch 8, fsync every batch", 8, 0, BML_EXPORT_FSYNC_BATCH},
        {"sequential, nondeterministic", 0, 1, BML_EXPORT_FSYNC_FLUSH},
        {"batch 8, nondeterministic", 8, 1, BML_EXPORT_FSYNC_FLUSH},
    };
    const char *model_dir, *texts_file, *out, *method;
    size_t n = 1000, len, i, ntext = 0, c;
    char *texts, **lines, dir[4096], cmd[4300], first[4400];
    int threads = 0, all_same = 1;
    double seq_s = 0, seq_cpu = 0;
    char load[128] = "?";
    bml_model_desc md;
    bml_model *m;
    if (argc < 4) {
        fprintf(stderr, "usage: exporter MODEL_DIR TEXTS_FILE OUT_DIR [N [METHOD [THREADS]]]\n");
        return 2;
    }
    bml_blas_reexec(argv);
    model_dir = argv[1];
    texts_file = argv[2];
    out = argv[3];
    if (argc > 4) n = (size_t)atol(argv[4]);
    method = argc > 5 ? argv[5] : "grad_x_input";
    if (argc > 6) threads = atoi(argv[6]);
    texts = slurp(texts_file, &len);
    if (!texts) { fprintf(stderr, "exporter: cannot read %s\n", texts_file); return 1; }
    lines = calloc(n, sizeof *lines);
    for (i = 0; i < len && ntext < n;) {
        char *e = memchr(texts + i, '\n', len - i);
        if (!e) e = texts + len;
        *e = 0;
        if (e > texts + i) lines[ntext++] = texts + i;
        i = (size_t)(e - texts) + 1;
    }
    if (ntext < n) { fprintf(stderr, "exporter: %s has only %zu lines (want %zu)\n", texts_file, ntext, n); return 1; }
    memset(&md, 0, sizeof md);
    md.path = model_dir;
    md.threads = threads;
    if (bml_model_load(&md, &m) != BML_OK) { fprintf(stderr, "exporter: %s\n", bml_last_error()); return 1; }
    {
        FILE *f = fopen("/proc/loadavg", "r");
        if (f) {
            if (!fgets(load, sizeof load, f)) snprintf(load, sizeof load, "?");
            load[strcspn(load, "\n")] = 0;
            fclose(f);
        }
    }
    printf("Exporter, %zu overlays (%s, target sim:TEXT), model %s (hidden %d, %d layers), %d threads, %s;\n"
           "load average at start: %s. Time is create + add x %zu + close (wall; and the process's CPU time, both\n"
           "threads); compute / write / fsync (wall) from bml_exporter_stats.\n\n",
           n, method, model_dir, bml_model_config(m)->hidden, bml_model_config(m)->layers, m->threads, bml_blas_info(), load, n);
    printf("| configuration | total s | overlays/s | compute s | write s | fsync s | write+fsync share | CPU s | speedup vs sequential (wall, CPU) |\n");
    printf("|---|---|---|---|---|---|---|---|---|\n");
    fflush(stdout);
    for (c = 0; c < sizeof cfgs / sizeof cfgs[0]; c++) {
        bml_exporter_method meth;
        bml_exporter_desc d;
        bml_exporter *ex;
        bml_exporter_stats st;
        uint64_t t0, total;
        double tot, io, c0, cpu;
        memset(&meth, 0, sizeof meth);
        meth.method = method;
        meth.target = "sim:a happy and wonderful day";
        memset(&d, 0, sizeof d);
        d.enabled = 1;
        d.methods = &meth;
        d.n_methods = 1;
        d.batch_size = cfgs[c].bs;
        d.nondeterministic = cfgs[c].nondet;
        d.fsync = cfgs[c].fsync;
        snprintf(dir, sizeof dir, "%s/cfg%zu", out, c);
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) return 1;
        d.dir = dir;
        if (c == 0) { /* warm-up: page in the weights, size the arena */
            bml_exporter *w;
            char wdir[4200];
            snprintf(wdir, sizeof wdir, "%s/warmup", out);
            snprintf(cmd, sizeof cmd, "rm -rf '%s'", wdir);
            if (system(cmd) != 0) return 1;
            d.dir = wdir;
            d.batch_size = 32;
            bml_exporter_create(m, &d, &w);
            for (i = 0; i < 64 && i < n; i++) bml_exporter_add(w, i, lines[i], -1);
            bml_exporter_close(w);
            d.dir = dir;
            d.batch_size = cfgs[c].bs;
        }
        t0 = bml_now_ns();
        c0 = cpu_s();
        if (bml_exporter_create(m, &d, &ex) != BML_OK) { fprintf(stderr, "exporter: %s\n", bml_last_error()); return 1; }
        for (i = 0; i < n; i++)
            if (bml_exporter_add(ex, i, lines[i], -1) != BML_OK) fprintf(stderr, "exporter: %s\n", bml_last_error());
        if (bml_exporter_flush(ex) != BML_OK) { fprintf(stderr, "exporter: %s\n", bml_last_error()); return 1; }
        bml_exporter_stats_get(ex, 0, &st);
        if (bml_exporter_close(ex) != BML_OK) { fprintf(stderr, "exporter: %s\n", bml_last_error()); return 1; }
        total = bml_now_ns() - t0;
        cpu = cpu_s() - c0;
        tot = (double)total * 1e-9;
        if (c == 0) { seq_s = tot; seq_cpu = cpu; }
        io = (double)(st.write_ns + st.sync_ns) * 1e-9;
        printf("| %s | %.2f | %.1f | %.2f | %.3f | %.3f | %.2f%% | %.2f | %.2fx, %.2fx |\n", cfgs[c].name, tot, (double)n / tot,
               (double)st.compute_ns * 1e-9, (double)st.write_ns * 1e-9, (double)st.sync_ns * 1e-9, 100.0 * io / tot, cpu,
               seq_s / tot, seq_cpu / cpu);
        fflush(stdout);
        /* the deterministic configurations wrote the same bytes */
        {
            char f[4300];
            snprintf(f, sizeof f, "%s/%s.jsonl", dir, method);
            if (c == 0) snprintf(first, sizeof first, "%s", f);
            else if (!cfgs[c].nondet) {
                size_t la, lb;
                char *a = slurp(first, &la), *b = slurp(f, &lb);
                if (!a || !b || la != lb || memcmp(a, b, la)) all_same = 0;
                free(a);
                free(b);
            }
        }
    }
    printf("\nDeterministic configurations byte-identical: %s.\n", all_same ? "yes" : "NO");
    bml_model_free(m);
    free(lines);
    free(texts);
    return all_same ? 0 : 1;
}

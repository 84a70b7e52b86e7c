/* The exporter under I/O faults, injected through its BML_WRITE, BML_FSYNC
   and BML_FTRUNCATE seams: ENOSPC/EIO/EACCES at chosen calls (nothing
   written, a partial write, a failed fsync, a failed cut-back) and at
   random calls over many runs; the file removed, replaced, its directory
   removed. After every fault clears, one flush() leaves the file
   byte-identical to a clean run: every record once, in order, no torn line.
   usage: exporter_faults TINY_MODEL_DIR WORKDIR */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

static ssize_t t_write(int fd, const void *buf, size_t n);
static int t_fsync(int fd);
static int t_ftruncate(int fd, off_t len);
#define BML_WRITE(fd, buf, n) t_write((fd), (buf), (n))
#define BML_FSYNC(fd) t_fsync(fd)
#define BML_FTRUNCATE(fd, len) t_ftruncate((fd), (len))

#define BATCHML_IMPLEMENTATION
#include "batchml.h"
#include "bml_test.h"

/* ---- the injector ---------------------------------------------------- */

typedef struct fault {
    long at;            /* fail the call with this index (since arming); -1: none */
    int sticky;         /* and every call after it, until cleared           */
    int err;            /* errno to fail with                               */
    size_t partial;     /* a failing write first really writes this many bytes (a short write; the next call fails) */
    double p;           /* random: fail each call with this probability     */
    long calls, fails;
} fault;

static fault fw, fs, ft;
static int pending_fail_err; /* a short write happened: fail the next write call */
static uint64_t rs = 7;
static double urand(void) { rs = rs * 6364136223846793005ull + 1442695040888963407ull; return (double)(rs >> 11) / 9007199254740992.0; }
static const int errs[] = {ENOSPC, EIO, EACCES, EPERM, EDQUOT};

/* Fail call `at` (counted from now) of f, and with sticky every call after it. */
static void arm(fault *f, long at, int sticky, int err, size_t partial) {
    memset(f, 0, sizeof *f);
    f->at = at;
    f->sticky = sticky;
    f->err = err;
    f->partial = partial;
}

static void clear_faults(void) {
    memset(&fw, 0, sizeof fw);
    memset(&fs, 0, sizeof fs);
    memset(&ft, 0, sizeof ft);
    fw.at = fs.at = ft.at = -1;
    pending_fail_err = 0;
}

/* 1: this call fails (errno to *err), 0: it goes through */
static int should_fail(fault *f, int *err) {
    long i = f->calls++;
    if ((f->at >= 0 && (i == f->at || (f->sticky && i > f->at))) || (f->p > 0 && urand() < f->p)) {
        *err = f->err ? f->err : errs[(int)(urand() * 5) % 5];
        f->fails++;
        return 1;
    }
    return 0;
}

static ssize_t t_write(int fd, const void *buf, size_t n) {
    int err;
    if (pending_fail_err) { errno = pending_fail_err; pending_fail_err = 0; fw.fails++; return -1; }
    if (should_fail(&fw, &err)) {
        size_t part = fw.p > 0 ? (size_t)(urand() * (double)n) : fw.partial;
        if (part > 0 && part < n) {
            ssize_t k = write(fd, buf, part);
            pending_fail_err = err;
            return k;
        }
        errno = err;
        return -1;
    }
    return write(fd, buf, n);
}

static int t_fsync(int fd) {
    int err;
    if (should_fail(&fs, &err)) { errno = err; return -1; }
    return fsync(fd);
}

static int t_ftruncate(int fd, off_t len) {
    int err;
    if (should_fail(&ft, &err)) { errno = err; return -1; }
    return ftruncate(fd, len);
}

/* ---- helpers ---------------------------------------------------------- */

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

static void rm_dir(const char *dir) {
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("# rm failed\n");
}

#define NT 25
static char texts[NT][200];
static char *ref;
static size_t ref_len;
static bml_model *M;
static bml_exporter_method meth;
static char path[4200];

static bml_exporter *open_ex(const char *dir, int bs, bml_export_fsync pol) {
    bml_exporter_desc d;
    bml_exporter *ex = NULL;
    memset(&d, 0, sizeof d);
    d.enabled = 1;
    d.methods = &meth;
    d.n_methods = 1;
    d.batch_size = bs;
    d.dir = dir;
    d.fsync = pol;
    rm_dir(dir);
    if (bml_exporter_create(M, &d, &ex) != BML_OK) printf("# create: %s\n", bml_last_error());
    snprintf(path, sizeof path, "%s/grad.jsonl", dir);
    return ex;
}

static int quiet;

/* The file equals the clean run's records from..upto-1 (upto -1: all). */
static int file_is_ref(int from, int upto) {
    size_t len, a = 0, b, i;
    int line = 0, ok;
    char *got = slurp(path, &len);
    if (upto < 0) upto = NT;
    for (i = 0; i < ref_len && line < from; i++) if (ref[i] == '\n') { line++; a = i + 1; }
    for (b = a, line = from; b < ref_len && line < upto; b++) if (ref[b] == '\n') line++;
    ok = got && len == b - a && !memcmp(got, ref + a, len);
    if (!ok && !quiet) printf("# file has %zu bytes, want %zu (records %d..%d)\n", got ? len : 0, b - a, from, upto - 1);
    free(got);
    return ok;
}

static long file_size(void) {
    size_t len;
    char *got = slurp(path, &len);
    free(got);
    return got ? (long)len : -1;
}

int main(int argc, char **argv) {
    bml_model_desc md;
    char dir[4096];
    const char *work;
    int i;
    static const char *w[] = {"the", "quick", "dog", "runs", "in", "a", "park", "happy", "movie", "\"great\"", "fun", "under", "bridge"};
    if (argc != 3) return 2;
    work = argv[2];
    clear_faults();
    memset(&md, 0, sizeof md);
    md.path = argv[1];
    md.threads = 2;
    if (!CHECK(bml_model_load(&md, &M) == BML_OK, "load", "%s", bml_last_error())) TEST_EXIT();
    for (i = 0; i < NT; i++) {
        int k, nw = 1 + (int)(urand() * 20);
        size_t n = 0;
        for (k = 0; k < nw; k++) n += (size_t)snprintf(texts[i] + n, sizeof texts[i] - n, "%s%s", k ? " " : "", w[(int)(urand() * 13)]);
    }
    strcpy(texts[7], "bad \xfe input"); /* an error record among them */
    meth.method = "grad";
    meth.target = "sim:a dog in the park";
    /* the clean reference */
    {
        bml_exporter *ex;
        snprintf(dir, sizeof dir, "%s/ref", work);
        ex = open_ex(dir, 0, BML_EXPORT_FSYNC_FLUSH);
        for (i = 0; i < NT; i++) bml_exporter_add(ex, (uint64_t)i, texts[i], -1);
        CHECK(bml_exporter_close(ex) == BML_OK, "clean_run", "%s", bml_last_error());
        ref = slurp(path, &ref_len);
    }
    snprintf(dir, sizeof dir, "%s/run", work);

    /* 1. ENOSPC on every write until cleared: add() and flush() fail, the
       file stays empty, nothing is lost; after the fault clears one flush
       writes everything */
    {
        bml_exporter *ex = open_ex(dir, 4, BML_EXPORT_FSYNC_FLUSH);
        bml_status rc = BML_OK, r;
        arm(&fw, 0, 1, ENOSPC, 0);
        for (i = 0; i < NT; i++) if ((r = bml_exporter_add(ex, (uint64_t)i, texts[i], -1)) != BML_OK) rc = r;
        CHECK(rc == BML_ERR_IO && strstr(bml_last_error(), "No space left on device") && strstr(bml_last_error(), "kept pending"),
              "enospc_add_reports", "%s %s", bml_status_name(rc), bml_last_error());
        printf("# %s\n", bml_last_error());
        CHECK(bml_exporter_flush(ex) == BML_ERR_IO && file_size() == 0 && bml_exporter_pending(ex) == NT, "enospc_flush_keeps_all",
              "size %ld pending %zu", file_size(), bml_exporter_pending(ex));
        clear_faults();
        CHECK(bml_exporter_flush(ex) == BML_OK && file_is_ref(0, -1) && bml_exporter_pending(ex) == 0, "enospc_cleared_flush_writes_all",
              "%s", bml_last_error());
        bml_exporter_close(ex);
    }

    /* 2. a short write then ENOSPC: cut back to the last whole record, no
       torn line, nothing twice */
    {
        bml_exporter *ex = open_ex(dir, 4, BML_EXPORT_FSYNC_FLUSH);
        bml_status rc;
        for (i = 0; i < 8; i++) bml_exporter_add(ex, (uint64_t)i, texts[i], -1); /* 2 batches written */
        arm(&fw, 0, 0, ENOSPC, 100);
        for (i = 8; i < 11; i++) bml_exporter_add(ex, (uint64_t)i, texts[i], -1);
        rc = bml_exporter_add(ex, 11, texts[11], -1);
        CHECK(rc == BML_ERR_IO && strstr(bml_last_error(), "after 100 of") && file_is_ref(0, 8), "short_write_cut_back", "%s",
              bml_last_error());
        printf("# %s\n", bml_last_error());
        clear_faults();
        for (i = 12; i < NT; i++) bml_exporter_add(ex, (uint64_t)i, texts[i], -1);
        CHECK(bml_exporter_flush(ex) == BML_OK && file_is_ref(0, -1), "short_write_then_all_once", "%s", bml_last_error());
        bml_exporter_close(ex);
    }

    /* 3. fsync fails (EIO) at flush: the records written since the last good
       fsync are cut and written again at the next flush */
    {
        bml_exporter *ex = open_ex(dir, 4, BML_EXPORT_FSYNC_FLUSH);
        bml_exporter_stats st;
        for (i = 0; i < 10; i++) bml_exporter_add(ex, (uint64_t)i, texts[i], -1);
        CHECK(bml_exporter_flush(ex) == BML_OK && file_is_ref(0, 10), "flush_ok", "%s", bml_last_error());
        for (i = 10; i < 20; i++) bml_exporter_add(ex, (uint64_t)i, texts[i], -1);
        arm(&fs, 0, 0, EIO, 0);
        CHECK(bml_exporter_flush(ex) == BML_ERR_IO && strstr(bml_last_error(), "fsync failed: Input/output error") && file_is_ref(0, 10),
              "fsync_eio_cuts_back", "%s", bml_last_error());
        printf("# %s\n", bml_last_error());
        bml_exporter_stats_get(ex, 0, &st);
        CHECK(st.records == 10 && st.pending == 10 && st.write_failures == 1, "fsync_eio_stats", "records %zu pending %zu failures %zu",
              st.records, st.pending, st.write_failures);
        for (i = 20; i < NT; i++) bml_exporter_add(ex, (uint64_t)i, texts[i], -1);
        CHECK(bml_exporter_flush(ex) == BML_OK && file_is_ref(0, -1), "fsync_eio_then_all_once", "%s", bml_last_error());
        bml_exporter_close(ex);
    }

    /* 4. a short write whose cut-back fails too (EIO): the next write cuts
       first */
    {
        bml_exporter *ex = open_ex(dir, 3, BML_EXPORT_FSYNC_FLUSH);
        for (i = 0; i < 6; i++) bml_exporter_add(ex, (uint64_t)i, texts[i], -1);
        arm(&fw, 0, 0, EIO, 37);
        arm(&ft, 0, 0, EIO, 0);
        for (i = 6; i < 9; i++) bml_exporter_add(ex, (uint64_t)i, texts[i], -1);
        quiet = 1;
        CHECK(file_size() > 0 && !file_is_ref(0, 6), "double_fault_leaves_torn_tail_for_now", "size %ld", file_size());
        quiet = 0;
        clear_faults();
        CHECK(bml_exporter_flush(ex) == BML_OK && file_is_ref(0, 9), "double_fault_cut_at_next_write", "%s", bml_last_error());
        for (i = 9; i < NT; i++) bml_exporter_add(ex, (uint64_t)i, texts[i], -1);
        CHECK(bml_exporter_close(ex) == BML_OK && file_is_ref(0, -1), "double_fault_then_all_once", "%s", bml_last_error());
    }

    /* 5. permission lost (EACCES on write) and close(): close fails and
       keeps the exporter; a later close writes everything */
    {
        bml_exporter *ex = open_ex(dir, 8, BML_EXPORT_FSYNC_BATCH);
        for (i = 0; i < NT; i++) bml_exporter_add(ex, (uint64_t)i, texts[i], -1);
        arm(&fw, 0, 1, EACCES, 0);
        CHECK(bml_exporter_close(ex) == BML_ERR_IO && strstr(bml_last_error(), "Permission denied") && file_is_ref(0, 24),
              "close_fails_keeps_exporter", "%s", bml_last_error());
        clear_faults();
        CHECK(bml_exporter_close(ex) == BML_OK && file_is_ref(0, -1), "close_again_writes_rest", "%s", bml_last_error());
    }

    /* 6. random faults on writes, fsyncs and cut-backs at random moments,
       every batch size kind and fsync policy, flushes in between; then
       the faults clear and one flush must give the clean file */
    {
        static const int sizes[] = {0, 1, 3, 8, 32};
        int si, pol, seed, bad = 0, runs = 0;
        long failures = 0;
        for (seed = 0; seed < 8; seed++)
            for (si = 0; si < 5; si++)
                for (pol = 0; pol < 3; pol++) {
                    bml_exporter *ex = open_ex(dir, sizes[si], (bml_export_fsync)pol);
                    bml_status rc;
                    rs = 1000 + (uint64_t)seed * 77 + (uint64_t)si * 7 + (uint64_t)pol;
                    fw.p = 0.25; fs.p = 0.25; ft.p = 0.15;
                    for (i = 0; i < NT; i++) {
                        bml_exporter_add(ex, (uint64_t)i, texts[i], -1);
                        if (i % 7 == 6) bml_exporter_flush(ex);
                    }
                    failures += fw.fails + fs.fails + ft.fails;
                    clear_faults();
                    rc = bml_exporter_flush(ex);
                    runs++;
                    if (rc != BML_OK || !file_is_ref(0, -1)) {
                        bad++;
                        printf("# seed %d batch %d policy %d: %s\n", seed, sizes[si], pol, rc ? bml_last_error() : "file differs");
                    }
                    bml_exporter_close(ex);
                }
        printf("# %d runs, %ld injected failures\n", runs, failures);
        CHECK(bad == 0 && failures > 100, "random_faults_then_clean_file", "%d of %d runs wrong (%ld failures injected)", bad, runs,
              failures);
    }

    /* 7. the file removed while open: the write that notices fails and keeps
       its records; the next flush writes them to a new file */
    {
        bml_exporter *ex = open_ex(dir, 2, BML_EXPORT_FSYNC_FLUSH);
        bml_status rc;
        for (i = 0; i < 4; i++) bml_exporter_add(ex, (uint64_t)i, texts[i], -1);
        bml_exporter_flush(ex);
        unlink(path);
        bml_exporter_add(ex, 4, texts[4], -1);
        rc = bml_exporter_add(ex, 5, texts[5], -1);
        CHECK(rc == BML_ERR_IO && strstr(bml_last_error(), "was removed while open"), "removed_file_noticed", "%s", bml_last_error());
        printf("# %s\n", bml_last_error());
        CHECK(bml_exporter_flush(ex) == BML_OK && file_is_ref(4, 6), "removed_file_records_to_new_file", "%s", bml_last_error());
        /* replaced by another file */
        {
            char other[4300];
            FILE *f;
            snprintf(other, sizeof other, "%s.other", path);
            f = fopen(other, "wb");
            fclose(f);
            rename(other, path);
        }
        bml_exporter_add(ex, 6, texts[6], -1);
        rc = bml_exporter_add(ex, 7, texts[7], -1);
        CHECK(rc == BML_ERR_IO && strstr(bml_last_error(), "was replaced while open"), "replaced_file_noticed", "%s", bml_last_error());
        CHECK(bml_exporter_flush(ex) == BML_OK && file_is_ref(6, 8), "replaced_file_records_appended", "%s", bml_last_error());
        /* the whole directory removed */
        rm_dir(dir);
        bml_exporter_add(ex, 8, texts[8], -1);
        rc = bml_exporter_add(ex, 9, texts[9], -1);
        CHECK(rc == BML_ERR_IO && bml_exporter_flush(ex) == BML_OK && file_is_ref(8, 10), "removed_dir_recreated", "%s",
              bml_last_error());
        bml_exporter_close(ex);
    }
    free(ref);
    bml_model_free(M);
    TEST_EXIT();
}

/* tests/fuzz/fuzz_common.h -- shared by every harness under tests/fuzz/.

   Each harness is one C file defining LLVMFuzzerTestOneInput (and, when it
   needs one-time setup, LLVMFuzzerInitialize). It compiles the whole
   implementation (BATCHML_IMPLEMENTATION) so it may call private bml__
   functions on the fuzzed bytes directly.

   Built two ways (mk/hardening.mk):
     clang -fsanitize=fuzzer,address,undefined      -> build/fuzz/NAME (libFuzzer)
     cc + tests/fuzz/standalone.c (a main() that runs every file named on
     the command line once)                          -> the regression runner
                                                         used by the normal suite

   Allocation guard: every allocation the library makes goes through
   BML_MALLOC/BML_REALLOC, bound here to wrappers that abort on a single
   request above FZ_ALLOC_LIMIT (default 512 MiB). Inputs are at most a few
   KiB, so such a request means a size taken from the input was trusted:
   an "unbounded allocation" finding, reported as a crash in both builds. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#if defined(__GNUC__)
#define FZ_UNUSED __attribute__((unused))
#else
#define FZ_UNUSED
#endif

#ifndef FZ_ALLOC_LIMIT
#define FZ_ALLOC_LIMIT ((size_t)512 << 20)
#endif

FZ_UNUSED static void fz_alloc_fail(size_t n) {
    fprintf(stderr, "fuzz: allocation of %zu bytes (limit %zu): a size from the input was trusted\n", n,
            (size_t)FZ_ALLOC_LIMIT);
    abort();
}
static void *fz_malloc(size_t n) {
    if (n > FZ_ALLOC_LIMIT) fz_alloc_fail(n);
    return malloc(n);
}
static void *fz_realloc(void *p, size_t n) {
    if (n > FZ_ALLOC_LIMIT) fz_alloc_fail(n);
    return realloc(p, n);
}
#define BML_MALLOC(n) fz_malloc(n)
#define BML_REALLOC(p, n) fz_realloc((p), (n))
#define BML_FREE(p) free(p)

#define BATCHML_IMPLEMENTATION
#include "batchml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A private scratch directory for the process (tmpfs when there is one),
   removed at exit. */
static char fz_dir_buf[256];
FZ_UNUSED static void fz_rm_tree(const char *dir) {
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) { /* best effort */ }
}
FZ_UNUSED static void fz_cleanup(void) {
    if (fz_dir_buf[0]) fz_rm_tree(fz_dir_buf);
}
static const char *fz_dir(void) {
    if (!fz_dir_buf[0]) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(fz_dir_buf, sizeof fz_dir_buf, "%s/bmlfuzz.XXXXXX", base);
        if (!mkdtemp(fz_dir_buf)) { perror("mkdtemp"); abort(); }
        atexit(fz_cleanup);
    }
    return fz_dir_buf;
}

/* Path of `name` inside the scratch directory. */
static const char *fz_path(const char *name) {
    static char p[4][512];
    static int k;
    k = (k + 1) & 3;
    snprintf(p[k], sizeof p[k], "%s/%s", fz_dir(), name);
    return p[k];
}

FZ_UNUSED static void fz_write(const char *name, const void *data, size_t size) {
    const char *p = fz_path(name);
    FILE *f = fopen(p, "wb");
    if (!f) { perror(p); abort(); }
    if (size && fwrite(data, 1, size, f) != size) { perror(p); abort(); }
    if (fclose(f) != 0) { perror(p); abort(); }
}

FZ_UNUSED static void fz_mkdir(const char *name) {
    if (mkdir(fz_path(name), 0777) != 0 && access(fz_path(name), F_OK) != 0) { perror(name); abort(); }
}

FZ_UNUSED static void fz_write_str(const char *name, const char *s) { fz_write(name, s, strlen(s)); }

/* A message must be a NUL-terminated string of bounded length. */
FZ_UNUSED static void fz_check_error(bml_status st) {
    const char *e = bml_last_error();
    if (st != BML_OK && (!e || strlen(e) >= 512)) { fprintf(stderr, "fuzz: bad error message\n"); abort(); }
    if ((unsigned)st > BML_ERR_INTERNAL) { fprintf(stderr, "fuzz: status %d out of range\n", (int)st); abort(); }
}

#ifndef BATCHML_ASSETS_DIR
#define BATCHML_ASSETS_DIR "assets/minilm-l6-arch"
#endif

/* A tiny random model (1 layer, hidden 8, 2 heads) in the scratch
   directory at `name`, written once by bml_mkmodel; aborts on failure. */
FZ_UNUSED static void fz_tiny_model(const char *name, unsigned seed) {
    bml_mkmodel_desc md;
    memset(&md, 0, sizeof md);
    md.out_dir = fz_path(name);
    md.assets_dir = BATCHML_ASSETS_DIR;
    md.seed = seed;
    md.layers = 1;
    md.hidden = 8;
    md.heads = 2;
    md.intermediate = 16;
    md.max_position = 16;
    if (bml_mkmodel(&md) != BML_OK) { fprintf(stderr, "%s\n", bml_last_error()); abort(); }
}

#define FZ_ASSERT(c)                                                                      \
    do {                                                                                  \
        if (!(c)) { fprintf(stderr, "fuzz: invariant failed: %s (%s:%d)\n", #c, __FILE__, __LINE__); abort(); } \
    } while (0)

#endif

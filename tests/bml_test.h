/* Minimal test harness: every check prints "PASS name" or "FAIL name: why";
   tests/run.sh counts them. A test binary that crashes counts as a failure. */
#ifndef BML_TEST_H
#define BML_TEST_H
#include <stdio.h>
#include <stdarg.h>

static int bmlt_failed_ = 0;

#if defined(__MINGW32__)
__attribute__((format(gnu_printf, 3, 4)))
#elif defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int bmlt_check_(int ok, const char *name, const char *fmt, ...) {
    if (ok) {
        printf("PASS %s\n", name);
    } else {
        va_list ap;
        printf("FAIL %s: ", name);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        bmlt_failed_++;
    }
    fflush(stdout);
    return ok;
}
/* setenv/unsetenv, getline and mkdtemp where Windows (make test-windows) lacks them */
#ifdef _WIN32
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
static inline int bmlt_setenv(const char *k, const char *v) { return _putenv_s(k, v); }
static inline int bmlt_unsetenv(const char *k) { return _putenv_s(k, ""); }
static inline long bmlt_getline(char **line, size_t *cap, FILE *f) {
    size_t n = 0;
    int c;
    while ((c = getc(f)) != EOF) {
        if (n + 2 > *cap) {
            size_t nc = *cap ? *cap * 2 : 256;
            char *nb = (char *)realloc(*line, nc);
            if (!nb) return -1;
            *line = nb;
            *cap = nc;
        }
        (*line)[n++] = (char)c;
        if (c == '\n') break;
    }
    if (!n) return -1;
    (*line)[n] = 0;
    return (long)n;
}
#include <direct.h>
#include <io.h>
static inline char *bmlt_mkdtemp(char *tmpl) {
    return _mktemp_s(tmpl, strlen(tmpl) + 1) == 0 && _mkdir(tmpl) == 0 ? tmpl : NULL;
}
#else
#define bmlt_mkdtemp mkdtemp
#define bmlt_setenv(k, v) setenv((k), (v), 1)
#define bmlt_unsetenv(k) unsetenv(k)
#define bmlt_getline getline
#endif
/* CHECK(cond, name, fmt, ...): the message says what was seen. */
#define CHECK(cond, ...) bmlt_check_(!!(cond), __VA_ARGS__)
#define TEST_EXIT() return bmlt_failed_ ? 1 : 0
/* BML_TEST_QUICK=1 (emulated runs: make test-aarch64): loops over batch
   sizes take every 5th, then the last few. BMLT_NEXT(bs, last) is the next
   batch size of a loop that ends at last. */
#include <stdlib.h>
static inline int bmlt_quick(void) {
    const char *q = getenv("BML_TEST_QUICK");
    return q && q[0] == '1';
}
/* BML_TEST_EMULATED=1 (set by tests/platform/check.sh: qemu, wine): the
   binary runs under an emulator, where nothing is timed. */
static inline int bmlt_emulated(void) {
    const char *q = getenv("BML_TEST_EMULATED");
    return q && q[0] == '1';
}
/* Largest |a[i] - b[i]| over n floats. */
#include <math.h>
static inline float maxdiff(const float *a, const float *b, size_t n) {
    float m = 0;
    size_t i;
    for (i = 0; i < n; i++) m = fabsf(a[i] - b[i]) > m ? fabsf(a[i] - b[i]) : m;
    return m;
}
#define BMLT_NEXT(bs, last) ((bmlt_quick() && (bs) + 5 < (last) - 1) ? (bs) + 5 : (bs) + 1)
#endif

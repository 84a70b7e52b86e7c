/* Shared CLI plumbing: errors, progress, option primitives, the --input ids
   parser (also linked alone by the fuzz_ids harness: it needs only cli_die). */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "compat.h"

static const char *cli_verb = NULL;

void cli_set_verb(const char *verb) { cli_verb = verb; }

void cli_die(const char *fmt, ...) {
    va_list ap;
    fflush(stdout);
    fprintf(stderr, cli_verb ? "batchml %s: " : "batchml: ", cli_verb);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}


double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_progress_start(cli_progress *p, int enabled, size_t total, const char *unit) {
    p->enabled = enabled;
    p->t0 = p->last = cli_now();
    p->total = total;
    p->unit = unit ? unit : "items";
}

static void cli_progress_print(cli_progress *p, size_t done, int final) {
    double el = cli_now() - p->t0, rate = el > 0 ? (double)done / el : 0;
    if (p->total && done <= p->total && rate > 0)
        fprintf(stderr, "\r%zu/%zu %s  %.1f %s/s  ETA %.0fs   ", done, p->total, p->unit, rate, p->unit,
                (double)(p->total - done) / rate);
    else
        fprintf(stderr, "\r%zu %s  %.1f %s/s  %.1fs   ", done, p->unit, rate, p->unit, el);
    if (final) fputc('\n', stderr);
    fflush(stderr);
}

void cli_progress_update(cli_progress *p, size_t done) {
    double t;
    if (!p->enabled) return;
    t = cli_now();
    if (t - p->last < 0.5) return;
    p->last = t;
    cli_progress_print(p, done, 0);
}

void cli_progress_end(cli_progress *p, size_t done) {
    if (p->enabled) cli_progress_print(p, done, 1);
}

int cli_opt(int argc, char **argv, int *i, const char *name, const char **val) {
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0) return 0;
    if (a[n] == '=') { *val = a + n + 1; return 1; }
    if (a[n] != 0) return 0;
    if (*i + 1 >= argc) cli_die("%s needs a value", name);
    *val = argv[++*i];
    return 1;
}

long long cli_parse_long(const char *opt, const char *s, long long lo, long long hi) {
    char *end;
    long long v;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        cli_die("%s: expected an integer in %lld..%lld, got '%s'", opt, lo, hi, s);
    return v;
}

/* Parse one line of --input ids into a growing buffer; 0 on success. */
/* A direct scanner for `[int, int, ...]` (JSON syntax, whitespace allowed):
   no DOM, so a 10 MiB line costs 4 bytes an id, and every error names its
   byte offset. Integral numbers written as 101.0 or 1.01e2 are accepted. */
int cli_parse_ids(const char *line, size_t len, int32_t **buf, size_t *cap, size_t *n, char *err, size_t errcap) {
    size_t i = 0, count = 0;
#define IDS_WS() while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\n' || line[i] == '\r')) i++
#define IDS_ERR(...) do { snprintf(err, errcap, __VA_ARGS__); return 1; } while (0)
    if (len >= 3 && (unsigned char)line[0] == 0xEF && (unsigned char)line[1] == 0xBB && (unsigned char)line[2] == 0xBF) i = 3;
    IDS_WS();
    if (i >= len) IDS_ERR("input: invalid JSON at byte %zu: unexpected end of input", i);
    if (line[i] != '[') {
        if (line[i] && strchr("{\"-0123456789tfn", line[i])) IDS_ERR("expected a JSON array of token ids");
        IDS_ERR("input: invalid JSON at byte %zu: unexpected character", i);
    }
    i++;
    IDS_WS();
    if (i < len && line[i] == ']') {
        i++;
    } else {
        for (;;) {
            size_t j = i, k;
            char num[64];
            double v;
            IDS_WS();
            j = i;
            if (i >= len) IDS_ERR("input: invalid JSON at byte %zu: unexpected end of input", i);
            if (line[j] == '-') j++;
            if (j < len && line[j] >= '0' && line[j] <= '9') {
                if (line[j] == '0') j++;
                else while (j < len && line[j] >= '0' && line[j] <= '9') j++;
                if (j < len && line[j] == '.') {
                    j++;
                    if (j >= len || line[j] < '0' || line[j] > '9') IDS_ERR("input: invalid JSON at byte %zu: bad number", j);
                    while (j < len && line[j] >= '0' && line[j] <= '9') j++;
                }
                if (j < len && (line[j] == 'e' || line[j] == 'E')) {
                    j++;
                    if (j < len && (line[j] == '+' || line[j] == '-')) j++;
                    if (j >= len || line[j] < '0' || line[j] > '9') IDS_ERR("input: invalid JSON at byte %zu: bad number", j);
                    while (j < len && line[j] >= '0' && line[j] <= '9') j++;
                }
                k = j - i < sizeof num ? j - i : sizeof num - 1;
                memcpy(num, line + i, k);
                num[k] = 0;
                v = strtod(num, NULL);
                if (j - i >= sizeof num || !(v >= -2147483648.0 && v <= 2147483647.0) || v != (double)(int32_t)v)
                    IDS_ERR("element %zu is not an integer token id", count);
            } else if (j == i && line[i] && strchr("{[\"tfn", line[i])) {
                IDS_ERR("element %zu is not an integer token id", count);
            } else {
                IDS_ERR("input: invalid JSON at byte %zu: %s", j, j > i ? "bad number" : "unexpected character");
            }
            if (count == *cap) {
                size_t nc = *cap ? *cap * 2 : 256;
                int32_t *nb = realloc(*buf, nc * sizeof(int32_t));
                if (!nb) cli_die("out of memory");
                *buf = nb;
                *cap = nc;
            }
            (*buf)[count++] = (int32_t)v;
            i = j;
            IDS_WS();
            if (i < len && line[i] == ',') { i++; continue; }
            if (i < len && line[i] == ']') { i++; break; }
            IDS_ERR("input: invalid JSON at byte %zu: expected ',' or ']'", i);
        }
    }
    IDS_WS();
    if (i != len) IDS_ERR("input: invalid JSON at byte %zu: trailing characters after the JSON value", i);
    *n = count;
    return 0;
#undef IDS_WS
#undef IDS_ERR
}

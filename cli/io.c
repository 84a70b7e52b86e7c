/* Shared CLI input and output: the line reader, output files, .npy files
   (written row by row, and parsed), JSON strings, and line counts for
   progress ETAs. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_next_line(cli_lines *r, char **line, size_t *len) {
    size_t n = 0;
    int c;
    if (!r->f) r->f = stdin;
    for (;;) {
        c = getc_unlocked(r->f);
        if (c == EOF) break;
        if (n + 2 > r->cap) {
            size_t nc = r->cap ? r->cap * 2 : 4096;
            char *nb = realloc(r->buf, nc);
            if (!nb) cli_die("out of memory reading line %zu", r->lineno + 1);
            r->buf = nb;
            r->cap = nc;
        }
        if (c == '\n') break;
        r->buf[n++] = (char)c;
    }
    if (ferror(r->f)) cli_die("read error on input: %s", strerror(errno));
    if (c == EOF && n == 0) return 0;
    if (!r->buf) { r->buf = malloc(1); r->cap = 1; if (!r->buf) cli_die("out of memory"); }
    r->buf[n] = 0;
    r->lineno++;
    *line = r->buf;
    *len = n;
    return 1;
}

void cli_lines_free(cli_lines *r) { free(r->buf); r->buf = NULL; r->cap = 0; }

FILE *cli_open_out(const char *path) {
    FILE *f;
    if (!path || !strcmp(path, "-")) return stdout;
    f = fopen(path, "wb");
    if (!f) cli_die("cannot open %s for writing: %s", path, strerror(errno));
    return f;
}

void cli_close_out(FILE *f) {
    int bad = fflush(f) != 0 || ferror(f);
    int err = errno;
    if (f != stdout) bad |= fclose(f) != 0;
    if (bad) {
        if (err == EPIPE) exit(0); /* reader went away: nothing to say */
        cli_die("write error: %s", strerror(err));
    }
}

/* NumPy .npy v1.0 header for a C-order float32 (n, h) array. */
void cli_write_npy_header(FILE *f, size_t n, int h) {
    char dict[128];
    int len = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu, %d), }", n, h);
    int total = 10 + len + 1, pad = (64 - total % 64) % 64, i;
    unsigned short hl = (unsigned short)(len + pad + 1);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc(hl & 0xFF, f);
    fputc(hl >> 8, f);
    fwrite(dict, 1, (size_t)len, f);
    for (i = 0; i < pad; i++) fputc(' ', f);
    fputc('\n', f);
}

/* A .npy whose rows are written as they come: on a regular file at offset
   0, write the header for 0 rows and return its length (0 otherwise: the
   caller must hold the rows, as a pipe needs the count first); at the end
   the header is rewritten with the count, the same length (the padding to
   64 bytes absorbs the digits). */
long cli_npy_stream_begin(FILE *f, int h) {
    struct stat sb;
    long len;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode) || ftell(f) != 0) return 0;
    cli_write_npy_header(f, 0, h);
    len = ftell(f);
    return len > 0 ? len : 0;
}

void cli_npy_stream_end(FILE *f, long header_len, size_t n, int h, const char *name) {
    if (fseek(f, 0, SEEK_SET) != 0) cli_die("cannot seek %s: %s", name, strerror(errno));
    cli_write_npy_header(f, n, h);
    if (ftell(f) != header_len) cli_die("internal: .npy header of %s changed size", name);
}

/* Parse a NumPy v1/v2 header of a C-order little-endian float32 2-D array. */
int cli_npy_parse(const unsigned char *p, size_t len, size_t *rows, size_t *cols, size_t *data_off, char *err, size_t errcap) {
    size_t hl, ho;
    const char *h, *s;
    char dict[4096];
    unsigned long long r, c;
    if (len < 10 || memcmp(p, "\x93NUMPY", 6) != 0) { snprintf(err, errcap, "not a .npy file"); return 1; }
    if (p[6] == 1) { hl = (size_t)p[8] | (size_t)p[9] << 8; ho = 10; }
    else if (len >= 12 && (p[6] == 2 || p[6] == 3)) { hl = (size_t)p[8] | (size_t)p[9] << 8 | (size_t)p[10] << 16 | (size_t)p[11] << 24; ho = 12; }
    else { snprintf(err, errcap, "unsupported .npy version %d", p[6]); return 1; }
    if (ho + hl > len || hl >= sizeof dict) { snprintf(err, errcap, "truncated .npy header"); return 1; }
    memcpy(dict, p + ho, hl);
    dict[hl] = 0;
    h = dict;
    if (!strstr(h, "'descr': '<f4'")) { snprintf(err, errcap, ".npy dtype is not float32 ('<f4')"); return 1; }
    if (!strstr(h, "'fortran_order': False")) { snprintf(err, errcap, ".npy is not C order"); return 1; }
    if (!(s = strstr(h, "'shape': (")) || sscanf(s + 10, "%llu, %llu)", &r, &c) != 2) {
        snprintf(err, errcap, ".npy shape is not 2-D (N, H)");
        return 1;
    }
    *rows = (size_t)r;
    *cols = (size_t)c;
    *data_off = ho + hl;
    if (c == 0 || (r && (len - *data_off) / c / 4 < r) || len - *data_off != (size_t)r * c * 4) {
        snprintf(err, errcap, ".npy holds %zu data bytes, its shape (%llu, %llu) needs %llu", len - *data_off, r, c, r * c * 4);
        return 1;
    }
    return 0;
}

void cli_json_str(FILE *f, const char *s, size_t n) {
    char small[256], *buf = small;
    size_t len = bml_json_escape(s, n, small, sizeof small);
    if (len >= sizeof small) {
        if (!(buf = (char *)malloc(len + 1))) cli_die("out of memory");
        bml_json_escape(s, n, buf, len + 1);
    }
    fwrite(buf, 1, len, f);
    if (buf != small) free(buf);
}

size_t cli_count_lines(FILE *f, const cli_shard *s) {
    struct stat st;
    off_t pos;
    size_t n = 0, mine = 0, got, k;
    char buf[65536];
    int last = '\n';
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) return 0;
    if ((pos = ftello(f)) < 0) return 0;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        for (k = 0; k < got; k++) {
            last = buf[k];
            if (buf[k] == '\n' && cli_shard_mine(s, ++n)) mine++;
        }
    if (last != '\n' && cli_shard_mine(s, ++n)) mine++;
    clearerr(f);
    if (fseeko(f, pos, SEEK_SET) != 0) cli_die("cannot rewind the input: %s", strerror(errno));
    return mine;
}

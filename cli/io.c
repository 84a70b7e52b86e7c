/* Shared CLI input and output: the line reader, output files, .npy files
   (written row by row, and parsed), JSON strings, and line counts for
   progress ETAs. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "compat.h"

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

/* ---- inputs and outputs: an output is never one of the inputs, and a
   regular output file appears whole or not at all ------------------------- */

/* The files this process reads, by device and inode (an output path is
   checked against them: `merge -o a.npy a.npy b.npy` would truncate a
   mapped input). */
static struct { unsigned long long id[2]; char *path; } *inputs;
static size_t ninputs;

static void inputs_free(void) {
    size_t i;
    for (i = 0; i < ninputs; i++) free(inputs[i].path);
    free(inputs);
    inputs = NULL;
    ninputs = 0;
}

static void note_input_stat(const struct stat *sb, const char *path, int fd) {
    static int installed;
    unsigned long long id[2];
    void *p;
    if (!S_ISREG(sb->st_mode) || cli_file_id(path, fd, sb, id) != 0) return;
    if (!installed) { installed = 1; atexit(inputs_free); } /* valgrind: every block freed at exit */
    if (!(p = realloc(inputs, (ninputs + 1) * sizeof *inputs))) cli_die("out of memory");
    inputs = p;
    inputs[ninputs].id[0] = id[0];
    inputs[ninputs].id[1] = id[1];
    if (!(inputs[ninputs].path = strdup(path))) cli_die("out of memory");
    ninputs++;
}

void cli_note_input_fd(int fd, const char *path) {
    struct stat sb;
    if (fd < 0 ? stat(path, &sb) == 0 : fstat(fd, &sb) == 0) note_input_stat(&sb, path, fd);
}

void cli_note_model_inputs(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d) return;
    while ((e = readdir(d))) {
        char p[4096];
        struct stat sb;
        if (e->d_name[0] == '.') continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (stat(p, &sb) != 0) continue;
        if (S_ISREG(sb.st_mode)) note_input_stat(&sb, p, -1);
        else if (S_ISDIR(sb.st_mode)) { /* module folders (1_Pooling, 2_Dense) */
            DIR *d2 = opendir(p);
            struct dirent *e2;
            while (d2 && (e2 = readdir(d2))) {
                char q[4400];
                struct stat s2;
                if (e2->d_name[0] == '.') continue;
                snprintf(q, sizeof q, "%s/%s", p, e2->d_name);
                if (stat(q, &s2) == 0) note_input_stat(&s2, q, -1);
            }
            if (d2) closedir(d2);
        }
    }
    closedir(d);
}

void cli_check_output(const char *path) {
    struct stat sb;
    unsigned long long id[2];
    size_t i;
    if (stat(path, &sb) != 0 || cli_file_id(path, -1, &sb, id) != 0) return;
    for (i = 0; i < ninputs; i++)
        if (inputs[i].id[0] == id[0] && inputs[i].id[1] == id[1])
            cli_die("output %s is the input %s (same file): writing it would destroy what is being read; "
                    "write to another path", path, inputs[i].path);
}

const unsigned char *cli_map_file(const char *path, size_t *len) {
    struct stat st;
    void *p;
    int fd;
    if (bml_open_regular(path, &fd) != BML_OK) cli_die("%s", bml_last_error());
    if (fstat(fd, &st) != 0) cli_die("cannot stat %s: %s", path, strerror(errno));
    note_input_stat(&st, path, fd);
    *len = (size_t)st.st_size;
    if (!*len) { close(fd); return (const unsigned char *)""; }
    p = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) cli_die("cannot mmap %s: %s", path, strerror(errno));
    return p;
}

/* Outputs being written: a temporary beside the final path, renamed onto
   it when complete; removed at exit (and on SIGINT/SIGTERM/SIGHUP) if the
   run ends before. Fixed slots, so the signal handler reads no heap. */
#define CLI_MAX_PENDING 16
static struct { FILE *f; char tmp[4200]; char *final; } pend[CLI_MAX_PENDING];
static volatile sig_atomic_t pend_used[CLI_MAX_PENDING];

static void pend_cleanup(void) {
    int k;
    for (k = 0; k < CLI_MAX_PENDING; k++)
        if (pend_used[k]) { unlink(pend[k].tmp); free(pend[k].final); pend_used[k] = 0; }
}

static void pend_signal(int sig) {
    int k;
    for (k = 0; k < CLI_MAX_PENDING; k++)
        if (pend_used[k]) unlink(pend[k].tmp);
    signal(sig, SIG_DFL);
    raise(sig);
}

FILE *cli_create_tmp(const char *final) {
    static int installed;
    static unsigned seq;
    int k, fd, tries;
    if (!installed) {
        installed = 1;
        atexit(pend_cleanup);
        signal(SIGINT, pend_signal);
        signal(SIGTERM, pend_signal);
#ifdef SIGHUP
        signal(SIGHUP, pend_signal);
#endif
    }
    cli_check_output(final);
    for (k = 0; k < CLI_MAX_PENDING && pend_used[k]; k++) {}
    if (k == CLI_MAX_PENDING) cli_die("too many output files open");
    for (tries = 0;; tries++) {
        snprintf(pend[k].tmp, sizeof pend[k].tmp, "%s.tmp.%ld.%u", final, (long)getpid(), seq++);
        fd = open(pend[k].tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
        if (fd >= 0 || errno != EEXIST || tries > 100) break;
    }
    if (fd < 0) cli_die("cannot write %s (through the temporary %s): %s", final, pend[k].tmp, strerror(errno));
    pend_used[k] = 1;
    if (!(pend[k].final = strdup(final)) || !(pend[k].f = fdopen(fd, "wb"))) cli_die("out of memory");
    return pend[k].f;
}

/* The slot of a pending output, or -1. */
static int pend_slot(FILE *f) {
    int k;
    for (k = 0; k < CLI_MAX_PENDING; k++)
        if (pend_used[k] && pend[k].f == f) return k;
    return -1;
}

void cli_commit_tmp(FILE *f) {
    int k = pend_slot(f), bad, err;
    if (k < 0) cli_die("internal: commit of a file that is not pending");
    bad = fflush(f) != 0 || ferror(f);
    err = errno;
    bad |= fclose(f) != 0;
    if (bad) {
        unlink(pend[k].tmp);
        pend_used[k] = 0;
        cli_die("write error on %s: %s (nothing was written there)", pend[k].final, strerror(err ? err : errno));
    }
    if (rename(pend[k].tmp, pend[k].final) != 0) {
        err = errno;
        unlink(pend[k].tmp);
        pend_used[k] = 0;
        cli_die("cannot rename %s to %s: %s", pend[k].tmp, pend[k].final, strerror(err));
    }
    pend_used[k] = 0;
    free(pend[k].final);
}

FILE *cli_open_out(const char *path) {
    struct stat sb;
    FILE *f;
    if (!path || !strcmp(path, "-")) return stdout;
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) { /* a FIFO, /dev/null, a terminal: a stream, as given */
        if (!(f = fopen(path, "wb"))) cli_die("cannot open %s for writing: %s", path, strerror(errno));
        return f;
    }
    return cli_create_tmp(path);
}

void cli_close_out(FILE *f) {
    int bad, err;
    if (pend_slot(f) >= 0) { cli_commit_tmp(f); return; }
    bad = fflush(f) != 0 || ferror(f);
    err = errno;
    if (f != stdout) bad |= fclose(f) != 0;
    if (bad) {
        if (err == EPIPE) exit(0); /* reader went away: nothing to say */
        cli_die("write error: %s", strerror(err));
    }
}

int cli_is_json_uint(const char *s, size_t n) {
    size_t i;
    if (!n || n > 19 || (s[0] == '0' && n > 1)) return 0;
    for (i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
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

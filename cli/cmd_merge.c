/* batchml merge: put the outputs of `--shard I/N` runs back together, so the
   result equals what one process would have written. */
#define _POSIX_C_SOURCE 200809L
#include "index.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *help =
    "usage: batchml merge [-o OUT] [--progress] INPUT...\n"
    "\n"
    "Index shards (INPUT = the prefix of an index written by `index --shard I/N`,\n"
    "any order): writes the index OUT (default: index) that one `batchml index` over\n"
    "the whole input would have written, rows in input-line order. Indexes that are\n"
    "not shards are concatenated in the order given (same model and dim required).\n"
    "Embedding shards (the files of `embed --shard I/N`: npy, jsonl or tsv), given in\n"
    "shard order 0..N-1: interleaves their rows back into input order, to OUT\n"
    "(default: stdout) in the same format.\n"
    "\n"
    "example: seq 0 3 | parallel 'batchml index --model build/minilm --shard {}/4 -o build/part{} < corpus.txt'\n"
    "         batchml merge -o build/all build/part0 build/part1 build/part2 build/part3\n";

static int is_index(const char *arg) {
    char p[4096];
    struct stat st;
    size_t n = strlen(arg);
    if (n > 5 && !strcmp(arg + n - 5, ".json")) return 1;
    snprintf(p, sizeof p, "%s.json", arg);
    return stat(p, &st) == 0;
}

/* ---- indexes ------------------------------------------------------------ */

static void write_row(cli_index_writer *w, const cli_index *x, size_t r) {
    size_t il, tl;
    const char *id = cli_index_id(x, r, &il), *text = cli_index_text(x, r, &tl);
    cli_index_writer_add(w, x->emb + r * (size_t)x->dim, id, il, text, tl, x->lines ? (size_t)x->lines[r] : 0);
}

static int merge_indexes(char **in, size_t n, const char *out, int progress) {
    cli_index *ix = calloc(n, sizeof *ix);
    cli_index_writer w;
    cli_progress pr;
    size_t s, total = 0, skipped = 0, nshard = 0, done = 0;
    if (!ix) cli_die("out of memory");
    for (s = 0; s < n; s++) {
        cli_index_open(in[s], &ix[s]);
        if (ix[s].dim != ix[0].dim) cli_die("%s has dim %d but %s has %d", in[s], ix[s].dim, in[0], ix[0].dim);
        if (strcmp(ix[s].fingerprint, ix[0].fingerprint) != 0)
            cli_die("%s and %s were built with different models (%s, %s)", in[0], in[s], ix[0].model_name, ix[s].model_name);
        if (ix[s].with_ids != ix[0].with_ids) cli_die("%s and %s differ in --with-ids", in[0], in[s]);
        total += ix[s].count;
        skipped += ix[s].skipped;
        nshard += ix[s].shard_index >= 0;
    }
    if (nshard) { /* a complete set of one split, each shard once */
        size_t u;
        if (nshard != n) cli_die("mix of shards and whole indexes: merge the shards of one split together");
        if ((size_t)ix[0].shard_count != n)
            cli_die("%s is shard %ld of %ld: all %ld shards are needed, got %zu", in[0], ix[0].shard_index, ix[0].shard_count,
                    ix[0].shard_count, n);
        for (s = 0; s < n; s++) {
            if (ix[s].shard_count != ix[0].shard_count)
                cli_die("%s is from a split into %ld, %s into %ld", in[s], ix[s].shard_count, in[0], ix[0].shard_count);
            for (u = 0; u < s; u++)
                if (ix[u].shard_index == ix[s].shard_index) cli_die("shard %ld given twice (%s, %s)", ix[s].shard_index, in[u], in[s]);
        }
    }
    cli_progress_start(&pr, progress, total, "rows");
    cli_index_writer_open(&w, out, ix[0].dim, -1, 0);
    if (nshard) {
        /* line L is shard (L-1) mod N's: walk the lines, take each from its shard */
        size_t *at = calloc(n, sizeof *at), *pos = calloc(n, sizeof *pos);
        unsigned long long L, last = 0;
        if (!at || !pos) cli_die("out of memory");
        for (s = 0; s < n; s++) {
            pos[ix[s].shard_index] = s;
            if (ix[s].count && ix[s].lines[ix[s].count - 1] > last) last = ix[s].lines[ix[s].count - 1];
        }
        for (L = 1; L <= last; L++) {
            const cli_index *x = &ix[pos[(L - 1) % n]];
            size_t *a = &at[pos[(L - 1) % n]];
            if (*a < x->count && x->lines[*a] == L) {
                write_row(&w, x, (*a)++);
                if ((++done & 4095) == 0) cli_progress_update(&pr, done);
            }
        }
        free(at);
        free(pos);
    } else {
        size_t r;
        for (s = 0; s < n; s++)
            for (r = 0; r < ix[s].count; r++, done++) {
                write_row(&w, &ix[s], r);
                if ((done & 4095) == 0) cli_progress_update(&pr, done);
            }
    }
    cli_progress_end(&pr, done);
    cli_index_writer_close(&w, ix[0].model, ix[0].model_name, ix[0].fingerprint, ix[0].with_ids, skipped);
    if (progress) fprintf(stderr, "batchml merge: %zu indexes, %zu rows -> %s\n", n, total, out);
    for (s = 0; s < n; s++) cli_index_close(&ix[s]);
    free(ix);
    return 0;
}

/* ---- embedding files ---------------------------------------------------- */

typedef struct part { const unsigned char *p; size_t len, rows, cols, off; size_t *lines; } part;

static const unsigned char *map_whole(const char *path, size_t *len) {
    struct stat st;
    void *p;
    int fd = open(path, O_RDONLY);
    if (fd < 0) cli_die("cannot open %s: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) cli_die("%s: not a regular file", path);
    *len = (size_t)st.st_size;
    if (!*len) { close(fd); return (const unsigned char *)""; }
    p = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) cli_die("cannot mmap %s: %s", path, strerror(errno));
    return p;
}

static int merge_embeddings(char **in, size_t n, const char *outpath, int progress) {
    part *pt = calloc(n, sizeof *pt);
    size_t s, r, total = 0, done = 0;
    int npy = 0;
    FILE *out;
    cli_progress pr;
    char err[256];
    if (!pt) cli_die("out of memory");
    for (s = 0; s < n; s++) {
        pt[s].p = map_whole(in[s], &pt[s].len);
        npy = pt[0].len >= 6 && !memcmp(pt[0].p, "\x93NUMPY", 6);
        if (npy != (pt[s].len >= 6 && !memcmp(pt[s].p, "\x93NUMPY", 6))) cli_die("%s and %s are not the same format", in[0], in[s]);
        if (npy) {
            if (cli_npy_parse(pt[s].p, pt[s].len, &pt[s].rows, &pt[s].cols, &pt[s].off, err, sizeof err)) cli_die("%s: %s", in[s], err);
            if (pt[s].cols != pt[0].cols) cli_die("%s has %zu columns but %s has %zu", in[s], pt[s].cols, in[0], pt[0].cols);
        } else {
            size_t at = 0, cap = 0;
            if (pt[s].len && pt[s].p[pt[s].len - 1] != '\n') cli_die("%s: the last line has no newline (a truncated shard?)", in[s]);
            while (at < pt[s].len) {
                const unsigned char *nl = memchr(pt[s].p + at, '\n', pt[s].len - at);
                if (pt[s].rows + 1 >= cap && !(pt[s].lines = realloc(pt[s].lines, (cap = cap ? 2 * cap : 1024) * sizeof(size_t))))
                    cli_die("out of memory");
                pt[s].lines[pt[s].rows++] = at;
                at = (size_t)(nl - pt[s].p) + 1;
            }
            if (!pt[s].lines && !(pt[s].lines = malloc(sizeof(size_t)))) cli_die("out of memory");
            pt[s].lines[pt[s].rows] = pt[s].len;
        }
        total += pt[s].rows;
    }
    /* round-robin shards: row counts c, ..., c, c-1, ..., c-1 */
    for (s = 1; s < n; s++)
        if (pt[s].rows > pt[s - 1].rows || pt[s].rows + 1 < pt[0].rows)
            cli_die("%s has %zu rows after %s with %zu: give the shards of one split in order 0..N-1", in[s], pt[s].rows, in[s - 1],
                    pt[s - 1].rows);
    out = cli_open_out(outpath);
    cli_progress_start(&pr, progress, total, "rows");
    if (npy) cli_write_npy_header(out, total, (int)pt[0].cols);
    for (r = 0; r < pt[0].rows; r++)
        for (s = 0; s < n && r < pt[s].rows; s++, done++) {
            if (npy) fwrite(pt[s].p + pt[s].off + r * pt[s].cols * 4, 4, pt[s].cols, out);
            else fwrite(pt[s].p + pt[s].lines[r], 1, pt[s].lines[r + 1] - pt[s].lines[r], out);
            if ((done & 4095) == 0) {
                cli_progress_update(&pr, done);
                if (ferror(out)) cli_close_out(out); /* the reader went away: stop now, quietly */
            }
        }
    cli_progress_end(&pr, done);
    cli_close_out(out);
    for (s = 0; s < n; s++) {
        if (pt[s].len) munmap((void *)pt[s].p, pt[s].len);
        free(pt[s].lines);
    }
    free(pt);
    return 0;
}

int cmd_merge(int argc, char **argv) {
    const char *out;
    char **in = calloc((size_t)argc, sizeof *in);
    size_t n = 0, s;
    int progress, i, idx;
    cli_common c;
    if (!in) cli_die("out of memory");
    cli_common_init(&c, CLI_O_OUTPUT | CLI_O_PROGRESS, NULL);
    for (i = 1; i < argc; i++) {
        unsigned got = cli_common_opt(&c, argc, argv, &i);
        if (got == CLI_O_HELP) { fputs(help, stdout); free(in); return 0; }
        else if (got) continue;
        else if (argv[i][0] == '-' && argv[i][1]) cli_die("unknown option '%s' (see --help)", argv[i]);
        else in[n++] = argv[i];
    }
    if (!n) cli_die("nothing to merge: give the shard outputs (see --help)");
    out = c.output;
    progress = cli_common_progress(&c);
    idx = is_index(in[0]);
    for (s = 1; s < n; s++)
        if (is_index(in[s]) != idx) cli_die("%s and %s: cannot merge an index with an embeddings file", in[0], in[s]);
    i = idx ? merge_indexes(in, n, out ? out : "index", progress) : merge_embeddings(in, n, out, progress);
    free(in);
    return i;
}

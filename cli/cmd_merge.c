/* batchml merge: put the outputs of `--shard I/N` runs back together, so the
   result equals what one process would have written. */
#define _POSIX_C_SOURCE 200809L
#include "index.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "compat.h"

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
        /* the input had count + skipped lines in all: a line number past
           that is not from this split (and must not drive the walk below) */
        for (s = 0; s < n; s++)
            if (ix[s].count && ix[s].lines[ix[s].count - 1] > (unsigned long long)(total + skipped))
                cli_die("%s.lines: line %llu, but the %zu shards hold %zu rows and skipped %zu lines: the shard does not "
                        "match the others (rebuild it)", ix[s].base, ix[s].lines[ix[s].count - 1], n, total, skipped);
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

/* The shape of a text row: a jsonl array "[a,b,...]" (or "null": a failed
   input) or a tsv row "a\tb...". Returns its kind ('j' or 't'; 'n' for
   null) and its number of values. */
static int row_shape(const unsigned char *p, size_t n, size_t *cols) {
    size_t i, c = 1;
    if (n == 4 && !memcmp(p, "null", 4)) { *cols = 0; return 'n'; }
    if (n >= 2 && p[0] == '[' && p[n - 1] == ']') {
        for (i = 1; i + 1 < n; i++) c += p[i] == ',';
        *cols = n == 2 ? 0 : c;
        return 'j';
    }
    for (i = 0; i < n; i++) c += p[i] == '\t';
    *cols = c;
    return 't';
}

static int merge_embeddings(char **in, size_t n, const char *outpath, int progress) {
    part *pt = calloc(n, sizeof *pt);
    size_t s, r, total = 0, done = 0, cols = 0, ks = 0, kr = 0;
    int npy = 0, kind = 0;
    FILE *out;
    cli_progress pr;
    char err[256];
    if (!pt) cli_die("out of memory");
    for (s = 0; s < n; s++) {
        pt[s].p = cli_map_file(in[s], &pt[s].len);
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
            /* every row the same format and length, in every shard: rows of
               shards written by different models or verbs must not interleave */
            for (r = 0; r < pt[s].rows; r++) {
                size_t c, b = pt[s].lines[r], e = pt[s].lines[r + 1] - 1;
                int k = row_shape(pt[s].p + b, e - b, &c);
                if (k == 'n') continue;
                if (!kind) { kind = k; cols = c; ks = s; kr = r; continue; }
                if (k != kind)
                    cli_die("%s line %zu is %s but %s line %zu is %s: not shards of one output", in[s], r + 1,
                            k == 'j' ? "a JSON array" : "tab-separated", in[ks], kr + 1, kind == 'j' ? "a JSON array" : "tab-separated");
                if (c != cols)
                    cli_die("%s line %zu has %zu values but %s line %zu has %zu: not shards of one model's output", in[s], r + 1, c,
                            in[ks], kr + 1, cols);
            }
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
        if (pt[s].len) munmap((void *)(uintptr_t)pt[s].p, pt[s].len);
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

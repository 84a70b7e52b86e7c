/* The index files that `batchml index` writes and `search`, `merge`, `info`
   and `bench` read, written and read here, side by side:

     INDEX.npy    float32 (N, H), C order: the L2-normalized embeddings
     INDEX.ids    one id a line (the input line number, or ID of --with-ids)
     INDEX.texts  the texts, one a line, for printing results
     INDEX.lines  (shards only) each row's line number in the whole input
     INDEX.json   {"format":"batchml-index","version":1,"model":PATH,
                   "model_name":BASENAME,"fingerprint":HEX,"dim":H,"count":N,
                   "normalized":true,"with_ids":B,"skipped":K,"shard":null|[I,N]}

   Files are written under temporary names and renamed at the end, INDEX.json
   last: an index with its .json is complete. */
#define _POSIX_C_SOURCE 200809L
#include "index.h"
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "compat.h"

/* FNV-1a over the safetensors size and three 64 KiB samples (start, middle,
   end): cheap, and different for any two models one would mix up. */
void cli_model_fingerprint(const char *dir, char out[17]) {
    char path[4096];
    unsigned char buf[65536];
    uint64_t h = 14695981039346656037ULL;
    struct stat st;
    FILE *f;
    int part, fd;
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    snprintf(out, 17, "%016llx", 0ULL);
    if (bml_open_regular(path, &fd) != BML_OK) return;
    if (fstat(fd, &st) != 0 || !(f = fdopen(fd, "rb"))) { close(fd); return; }
    for (part = 0; part < 8; part++) { h ^= (uint64_t)((uint64_t)st.st_size >> (8 * part)) & 0xFF; h *= 1099511628211ULL; }
    for (part = 0; part < 3; part++) {
        off_t off = part == 0 ? 0 : part == 1 ? st.st_size / 2 : st.st_size - (off_t)sizeof buf;
        size_t got, k;
        if (off < 0) off = 0;
        if (fseeko(f, off, SEEK_SET) != 0) break;
        got = fread(buf, 1, sizeof buf, f);
        for (k = 0; k < got; k++) { h ^= buf[k]; h *= 1099511628211ULL; }
    }
    fclose(f);
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

const char *cli_model_name(const char *dir, char *buf, size_t cap) {
    size_t n = strlen(dir), b;
    while (n > 1 && dir[n - 1] == '/') n--;
    b = n;
    while (b > 0 && dir[b - 1] != '/') b--;
    snprintf(buf, cap, "%.*s", (int)(n - b), dir + b);
    return buf;
}

/* "x/idx", "x/idx.npy" and "x/idx.json" all name the index x/idx. */
char *cli_index_base(const char *arg) {
    static const char *ext[] = {".npy", ".json", ".ids", ".texts", ".lines"};
    size_t n = strlen(arg), e;
    char *b = malloc(n + 1);
    if (!b) cli_die("out of memory");
    memcpy(b, arg, n + 1);
    for (e = 0; e < sizeof ext / sizeof ext[0]; e++) {
        size_t el = strlen(ext[e]);
        if (n > el && !strcmp(b + n - el, ext[e])) { b[n - el] = 0; break; }
    }
    return b;
}

static char *suffixed(const char *base, const char *suf) {
    size_t n = strlen(base) + strlen(suf) + 1;
    char *p = malloc(n);
    if (!p) cli_die("out of memory");
    snprintf(p, n, "%s%s", base, suf);
    return p;
}

/* Offsets of the `count` lines of a mapped text file (off[count] = end). */
static size_t *line_offsets(const char *path, const char *p, size_t len, size_t count) {
    size_t *off = malloc((count + 1) * sizeof *off), i = 0, at = 0;
    if (!off) cli_die("out of memory indexing %s", path);
    while (i < count && at <= len) {
        const char *nl = at < len ? memchr(p + at, '\n', len - at) : NULL;
        if (!nl) break;
        off[i++] = at;
        at = (size_t)(nl - p) + 1;
    }
    if (i != count || at != len) cli_die("%s: expected %zu lines, the file does not match the index (rebuild it)", path, count);
    off[count] = len;
    return off;
}


void cli_index_open(const char *arg, cli_index *ix) {
    char *jpath, *path, err[256];
    size_t dlen, rows, cols, doff;
    bml_json_doc *doc;
    const bml_json *r, *v;
    memset(ix, 0, sizeof *ix);
    ix->base = cli_index_base(arg);
    ix->shard_index = -1;
    jpath = suffixed(ix->base, ".json");
    /* INDEX.json is one short object: 64 KiB is far more than it needs */
    if (access(jpath, F_OK) != 0) cli_die("cannot open index %s: %s (build it with `batchml index`)", jpath, strerror(errno));
    if (bml_json_load(jpath, 64 << 10, &doc) != BML_OK) {
        free(jpath); /* (dead after this line: LeakSanitizer would call it lost) */
        cli_die("%s", bml_last_error());
    }
    r = bml_json_root(doc);
    v = bml_json_get(r, "format");
    if (!v || v->type != BML_JSON_STRING || strcmp(v->str, "batchml-index") != 0)
        cli_die("%s: not a batchml index (\"format\" is not \"batchml-index\")", jpath);
    v = bml_json_get(r, "version");
    if (!v || v->type != BML_JSON_NUMBER || v->num != 1) cli_die("%s: unsupported index version (this batchml reads 1)", jpath);
#define GETNUM(key, dst)                                                                              \
    do {                                                                                              \
        long long x_;                                                                                 \
        if (!bml_json_int(bml_json_get(r, key), 0, 9007199254740992LL, &x_))                          \
            cli_die("%s: missing or bad \"%s\" (want a non-negative integer)", jpath, key);           \
        dst = (double)x_;                                                                             \
    } while (0)
    {
        double d, c, s;
        GETNUM("dim", d);
        GETNUM("count", c);
        GETNUM("skipped", s);
        if (d < 1 || d > 65536) cli_die("%s: bad \"dim\" %g (want 1..65536)", jpath, d);
        ix->dim = (int)d;
        ix->count = (size_t)c;
        ix->skipped = (size_t)s;
    }
#undef GETNUM
    v = bml_json_get(r, "model");
    snprintf(ix->model, sizeof ix->model, "%s", v && v->type == BML_JSON_STRING ? v->str : "");
    v = bml_json_get(r, "model_name");
    snprintf(ix->model_name, sizeof ix->model_name, "%s", v && v->type == BML_JSON_STRING ? v->str : "");
    v = bml_json_get(r, "fingerprint");
    snprintf(ix->fingerprint, sizeof ix->fingerprint, "%s", v && v->type == BML_JSON_STRING ? v->str : "");
    v = bml_json_get(r, "with_ids");
    ix->with_ids = v && v->type == BML_JSON_TRUE;
    v = bml_json_get(r, "shard");
    if (v && v->type != BML_JSON_NULL) {
        /* [I, N]: integers with 0 <= I < N (N bounded: it is a modulus below) */
        long long si, sn;
        if (v->type != BML_JSON_ARRAY || v->len != 2 || v->kids[0].type != BML_JSON_NUMBER ||
            v->kids[1].type != BML_JSON_NUMBER)
            cli_die("%s: \"shard\" must be null or [I, N]", jpath);
        if (!bml_json_int(&v->kids[1], 1, 1000000, &sn) || !bml_json_int(&v->kids[0], 0, sn - 1, &si))
            cli_die("%s: bad \"shard\" [%g, %g]: want integers I, N with 0 <= I < N <= 1000000", jpath, v->kids[0].num,
                    v->kids[1].num);
        ix->shard_index = (long)si;
        ix->shard_count = (long)sn;
    }
    bml_json_free(doc);
    free(jpath);
    /* embeddings */
    path = suffixed(ix->base, ".npy");
    ix->map = (void *)cli_map_file(path, &ix->map_len);
    if (cli_npy_parse(ix->map, ix->map_len, &rows, &cols, &doff, err, sizeof err)) cli_die("%s: %s", path, err);
    if (rows != ix->count || cols != (size_t)ix->dim)
        cli_die("%s: shape (%zu, %zu) but the index says (%zu, %d)", path, rows, cols, ix->count, ix->dim);
    ix->emb = (const float *)((const char *)ix->map + doff);
    free(path);
    /* ids, texts, lines */
    path = suffixed(ix->base, ".ids");
    ix->ids = (const char *)cli_map_file(path, &dlen);
    ix->ids_len = dlen;
    ix->id_off = line_offsets(path, ix->ids, dlen, ix->count);
    free(path);
    path = suffixed(ix->base, ".texts");
    ix->texts = (const char *)cli_map_file(path, &dlen);
    ix->texts_len = dlen;
    ix->text_off = line_offsets(path, ix->texts, dlen, ix->count);
    free(path);
    if (ix->shard_index >= 0) {
        size_t *off, i;
        const char *p;
        path = suffixed(ix->base, ".lines");
        p = (const char *)cli_map_file(path, &dlen);
        off = line_offsets(path, p, dlen, ix->count);
        ix->lines = malloc((ix->count + 1) * sizeof *ix->lines);
        if (!ix->lines) cli_die("out of memory");
        for (i = 0; i < ix->count; i++) {
            /* a line number: 1..2^53, digits only (it bounds merge's walk,
               which checks it against the shards' counts) */
            const char *q = p + off[i], *e = p + off[i + 1] - 1;
            unsigned long long L = 0;
            if (q == e) cli_die("%s: line %zu is empty, want an input line number", path, i + 1);
            for (; q < e; q++) {
                if (*q < '0' || *q > '9' || L > (1ULL << 53) / 10) cli_die("%s: line %zu is not an input line number (1..2^53)", path, i + 1);
                L = L * 10 + (unsigned long long)(*q - '0');
            }
            if (L < 1) cli_die("%s: line %zu: input line numbers start at 1", path, i + 1);
            ix->lines[i] = L;
            if ((size_t)((ix->lines[i] - 1) % (unsigned long long)ix->shard_count) != (size_t)ix->shard_index || (i && ix->lines[i] <= ix->lines[i - 1]))
                cli_die("%s: line %zu does not belong to shard %ld/%ld in order (rebuild the shard)", path, i + 1, ix->shard_index, ix->shard_count);
        }
        free(off);
        if (dlen) munmap((void *)(uintptr_t)p, dlen);
        free(path);
    }
}

const char *cli_index_id(const cli_index *ix, size_t row, size_t *len) {
    *len = ix->id_off[row + 1] - ix->id_off[row] - 1;
    return ix->ids + ix->id_off[row];
}

const char *cli_index_text(const cli_index *ix, size_t row, size_t *len) {
    *len = ix->text_off[row + 1] - ix->text_off[row] - 1;
    return ix->texts + ix->text_off[row];
}

void cli_index_close(cli_index *ix) {
    if (ix->map_len) munmap(ix->map, ix->map_len);
    if (ix->ids_len) munmap((void *)(uintptr_t)ix->ids, ix->ids_len);
    if (ix->texts_len) munmap((void *)(uintptr_t)ix->texts, ix->texts_len);
    free(ix->id_off);
    free(ix->text_off);
    free(ix->lines);
    free(ix->base);
    memset(ix, 0, sizeof *ix);
}

/* ---- writing ------------------------------------------------------------ */

void cli_index_writer_open(cli_index_writer *w, const char *base, int dim, int shard_index, int shard_count) {
    static const char *suf[5] = {".npy", ".ids", ".texts", ".lines", ".json"};
    int k;
    memset(w, 0, sizeof *w);
    w->base = cli_index_base(base);
    w->dim = dim;
    w->shard_index = shard_index;
    w->shard_count = shard_count;
    for (k = 0; k < 5; k++) {
        char *p = suffixed(w->base, suf[k]);
        w->final[k] = p;
        if (k == 3 && shard_index < 0) continue;
        w->f[k] = cli_create_tmp(p); /* checked: not one of the inputs */
    }
    if (!(w->header_len = cli_npy_stream_begin(w->f[0], dim))) cli_die("cannot write %s", w->final[0]);
}

void cli_index_writer_add(cli_index_writer *w, const float *e, const char *id, size_t id_len, const char *text, size_t text_len,
                          size_t lineno) {
    fwrite(e, sizeof(float), (size_t)w->dim, w->f[0]);
    fwrite(id, 1, id_len, w->f[1]);
    fputc('\n', w->f[1]);
    fwrite(text, 1, text_len, w->f[2]);
    fputc('\n', w->f[2]);
    if (w->f[3]) fprintf(w->f[3], "%zu\n", lineno);
    w->count++;
}

void cli_index_writer_close(cli_index_writer *w, const char *model, const char *model_name, const char *fingerprint, int with_ids,
                            size_t skipped) {
    FILE *j = w->f[4];
    int k;
    cli_npy_stream_end(w->f[0], w->header_len, w->count, w->dim, w->final[0]);
    fputs("{\"format\":\"batchml-index\",\"version\":1,\"model\":", j);
    cli_json_str(j, model, strlen(model));
    fputs(",\"model_name\":", j);
    cli_json_str(j, model_name, strlen(model_name));
    fprintf(j, ",\"fingerprint\":\"%s\",\"dim\":%d,\"count\":%zu,\"normalized\":true,\"with_ids\":%s,\"skipped\":%zu,\"shard\":",
            fingerprint, w->dim, w->count, with_ids ? "true" : "false", skipped);
    if (w->shard_index >= 0) fprintf(j, "[%d,%d]}\n", w->shard_index, w->shard_count);
    else fputs("null}\n", j);
    /* an unsharded index has no .lines: drop a stale one from an earlier run */
    if (w->shard_index < 0) unlink(w->final[3]);
    /* each file renamed into place complete; INDEX.json, which names the
       others' shape, last */
    for (k = 0; k < 5; k++)
        if (w->f[k]) cli_commit_tmp(w->f[k]);
    for (k = 0; k < 5; k++) free(w->final[k]);
    free(w->base);
}

/* Scale a row to unit L2 norm (computed in double); a zero row stays zero. */
void cli_normalize(float *e, int H) {
    double s = 0;
    int j;
    for (j = 0; j < H; j++) s += (double)e[j] * e[j];
    if (s > 0) {
        s = sqrt(s);
        for (j = 0; j < H; j++) e[j] = (float)(e[j] / s);
    }
}

/* What the index, search, merge, info and bench verbs share: the index
   files (written and read in cli/index.c, where the format is described)
   and a few helpers. */
#ifndef BATCHML_CLI_INDEX_H
#define BATCHML_CLI_INDEX_H
#include "cli.h"

typedef struct cli_index {
    char *base;                 /* path prefix                               */
    int dim;
    size_t count, skipped;
    const float *emb;           /* mmap'ed [count, dim], unit rows           */
    void *map; size_t map_len;
    const char *ids, *texts; size_t ids_len, texts_len;
    size_t *id_off, *text_off;  /* [count + 1] line starts                   */
    unsigned long long *lines;  /* shards: each row's input line, else NULL  */
    long shard_index, shard_count;  /* -1, 0 when not a shard               */
    int with_ids;
    char model[1024], model_name[256], fingerprint[17];
} cli_index;
void cli_index_open(const char *path, cli_index *ix); /* dies with one line on any problem */
void cli_index_close(cli_index *ix);
/* Row `row`'s id and text (not NUL-terminated; *len bytes). */
const char *cli_index_id(const cli_index *ix, size_t row, size_t *len);
const char *cli_index_text(const cli_index *ix, size_t row, size_t *len);

/* Writing: rows are streamed to temporary files; close renames them into
   place, INDEX.json last. shard_index < 0: not a shard (no INDEX.lines). */
typedef struct cli_index_writer {
    char *base, *final[5];
    FILE *f[5];                 /* npy, ids, texts, lines, json             */
    int dim, shard_index, shard_count;
    long header_len;
    size_t count;
} cli_index_writer;
void cli_index_writer_open(cli_index_writer *w, const char *base, int dim, int shard_index, int shard_count);
void cli_index_writer_add(cli_index_writer *w, const float *e, const char *id, size_t id_len, const char *text,
                          size_t text_len, size_t lineno);
void cli_index_writer_close(cli_index_writer *w, const char *model, const char *model_name, const char *fingerprint,
                            int with_ids, size_t skipped);
/* "x/idx", "x/idx.npy", "x/idx.json", ... -> "x/idx" (malloc'ed). */
char *cli_index_base(const char *arg);
/* 16 hex digits from the weights file: tells two models apart cheaply. */
void cli_model_fingerprint(const char *dir, char out[17]);
/* The directory's last component ("all-MiniLM-L6-v2"). */
const char *cli_model_name(const char *dir, char *buf, size_t cap);
/* Scale to unit L2 norm (in double); a zero row stays zero. */
void cli_normalize(float *e, int H);

#endif

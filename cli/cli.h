/* Shared pieces of the batchml CLI. Each verb lives in cli/cmd_<verb>.c as
   `int cmd_<verb>(int argc, char **argv)` (argv[0] is the verb) and returns
   the process exit status. A verb file calls only these helpers (and those of
   cli/index.h), never another verb file:
     cli/util.c        errors, progress, option primitives, --input ids parser
     cli/io.c          line reader, output files, .npy files, JSON strings
     cli/util_shard.c  --shard I/N
     cli/options.c     the options several verbs share (cli_common)
     cli/index.c       the index files (cli/index.h) */
#ifndef BATCHML_CLI_H
#define BATCHML_CLI_H
#include <stdio.h>
#include <stddef.h>
#include "batchml.h"

/* One clear line on stderr ("batchml VERB: message") and exit status 1. */
#if defined(__MINGW32__)
__attribute__((format(gnu_printf, 1, 2), noreturn))
#elif defined(__GNUC__)
__attribute__((format(printf, 1, 2), noreturn))
#endif
void cli_die(const char *fmt, ...);
/* Set the verb name used in messages. */
void cli_set_verb(const char *verb);

/* Line reader: only '\n' ends a line; the '\n' is not part of the line, a
   '\r' before it is. Lines may contain NUL bytes (len is exact).
   Returns 1 with a line, 0 at end of input; dies on a read error. */
typedef struct cli_lines { FILE *f; char *buf; size_t cap; size_t lineno; } cli_lines;
int cli_next_line(cli_lines *r, char **line, size_t *len);
void cli_lines_free(cli_lines *r);

/* Map a whole input file read-only (bml_open_regular: a FIFO or device in
   its place is an error, never waited on); an empty file maps to "" with
   len 0. Dies with a message naming the path. */
const unsigned char *cli_map_file(const char *path, size_t *len);

/* Inputs, so no output lands on one: cli_map_file notes what it maps,
   cli_note_input_fd an open input (stdin, --batch-query FILE), and
   cli_note_model_inputs every file of a model directory (and its module
   folders). cli_check_output dies when path is one of them (same device
   and inode). */
void cli_note_input_fd(int fd, const char *path); /* fd -1: stat(path) */
void cli_note_model_inputs(const char *dir);
void cli_check_output(const char *path);

/* A regular output file is written as FINAL.tmp.PID.N (created exclusively,
   never through a symlink) and renamed onto FINAL by cli_commit_tmp, so it
   appears whole or not at all; a run that dies first removes it. */
FILE *cli_create_tmp(const char *final);
void cli_commit_tmp(FILE *f);

/* Output file: "-" or NULL = stdout; a path that is not an input, written
   through cli_create_tmp (an existing FIFO or device is written directly).
   Write errors (EPIPE included) end the process quietly for a closed pipe,
   with a message otherwise. */
FILE *cli_open_out(const char *path);
void cli_close_out(FILE *f);

/* Progress line on stderr (rate, ETA) when enabled: `total` 0 = unknown. */
typedef struct cli_progress { int enabled; double t0, last; size_t total; const char *unit; } cli_progress;
void cli_progress_start(cli_progress *p, int enabled, size_t total, const char *unit);
void cli_progress_update(cli_progress *p, size_t done);
void cli_progress_end(cli_progress *p, size_t done);
double cli_now(void);

/* Option helpers: `--name value` or `--name=value`. */
int cli_opt(int argc, char **argv, int *i, const char *name, const char **val);
long long cli_parse_long(const char *opt, const char *s, long long lo, long long hi);

/* Parse one line of `--input ids` (a JSON array of integer token ids) into a
   growing buffer; 0 on success, else 1 with a message in err. */
int cli_parse_ids(const char *line, size_t len, int32_t **buf, size_t *cap, size_t *n, char *err, size_t errcap);

/* 1 when s[0..n) is a JSON unsigned integer as written ("0", "17"; no sign,
   no leading zero): such an id may be printed bare in JSON, any other is
   quoted. */
int cli_is_json_uint(const char *s, size_t n);

/* NumPy .npy v1.0 header for a C-order float32 (n, h) array. */
void cli_write_npy_header(FILE *f, size_t n, int h);
/* A .npy written row by row: the header for 0 rows when f is a regular file
   at offset 0 (returns its length; 0 = not possible, hold the rows), then
   the header rewritten with the row count at the end. */
long cli_npy_stream_begin(FILE *f, int h);
void cli_npy_stream_end(FILE *f, long header_len, size_t n, int h, const char *name);
/* A NumPy header of a C-order float32 (rows, cols) array; 0 or 1 + err. */
int cli_npy_parse(const unsigned char *p, size_t len, size_t *rows, size_t *cols, size_t *data_off, char *err,
                  size_t errcap);
/* A JSON string (bml_json_escape: each maximal invalid UTF-8 subsequence becomes \ufffd). */
void cli_json_str(FILE *f, const char *s, size_t n);

int cmd_embed(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_mkmodel(int argc, char **argv);
int cmd_overlay(int argc, char **argv);
int cmd_tune(int argc, char **argv);
int cmd_eval(int argc, char **argv);
/* Overlay shading: a value in [-1, 1] to a background colour. */
void cli_overlay_rgb(float v, int signed_scale, int *r, int *g, int *b);
/* --shard I/N (cli/util_shard.c): line L (1-based) belongs to shard
   (L - 1) mod N, shards numbered 0..N-1. {0, 0} (the zero value) = all. */
typedef struct cli_shard { unsigned long index, count; } cli_shard;
void cli_shard_parse(const char *spec, cli_shard *s);  /* "I/N"; dies on a bad spec */
int cli_shard_mine(const cli_shard *s, size_t lineno); /* 1 if line `lineno` is this shard's */

/* The options several verbs share (cli/options.c), parsed in one place so
   that each means the same, is checked the same way and fails with the same
   message in every verb that takes it. A verb names the ones it takes
   (CLI_O_* bits) in cli_common_init and, for each argv[i], calls
   cli_common_opt first; an option it does not take is left to the verb,
   which rejects it as unknown. */
enum {
    CLI_O_HELP = 1 << 0,           /* --help, -h (every verb): print the usage, exit 0  */
    CLI_O_MODEL = 1 << 1,          /* --model DIR                                       */
    CLI_O_THREADS = 1 << 2,        /* --threads N, 1..256                               */
    CLI_O_DEVICE = 1 << 3,         /* --device cpu|opencl|opencl:P:D|auto               */
    CLI_O_BATCH_SIZE = 1 << 4,     /* --batch-size N, 1..4096                           */
    CLI_O_BATCH_AUTO = 1 << 5,     /* with CLI_O_BATCH_SIZE: --batch-size auto as well  */
    CLI_O_TUNING = 1 << 6,         /* --tuning FILE (a `batchml tune` archive)          */
    CLI_O_MEMORY_BUDGET = 1 << 7,  /* --memory-budget MB, 1..2^30                       */
    CLI_O_PROGRESS = 1 << 8,       /* --progress                                        */
    CLI_O_DETERMINISTIC = 1 << 9,  /* --deterministic                                   */
    CLI_O_INPUT = 1 << 10,         /* --input text|ids                                  */
    CLI_O_ON_INVALID = 1 << 11,    /* --on-invalid error|replace                        */
    CLI_O_OUTPUT = 1 << 12,        /* -o PATH, --output PATH                            */
    CLI_O_FORMAT = 1 << 13,        /* --format NAME, NAME one of the verb's formats     */
    CLI_O_SHARD = 1 << 14,         /* --shard I/N                                       */
    CLI_O_JSON = 1 << 15,          /* --json: one JSON object instead of text           */
    CLI_O_PROMPT = 1 << 16,        /* --prompt TEXT, --prompt-name NAME (text input)    */
    CLI_O_DIMENSIONS = 1 << 17     /* --dimensions N: Matryoshka, the first N, renormalized */
};
typedef struct cli_common {
    unsigned takes;                /* the CLI_O_* bits this verb accepts                */
    const char *const *formats;    /* CLI_O_FORMAT: the names, NULL-terminated          */
    const char *model;             /* NULL: not given                                   */
    const char *device;            /* NULL: $BATCHML_DEVICE, else cpu                   */
    const char *tuning;            /* NULL: not given                                   */
    const char *output;            /* NULL: the verb's default                          */
    int threads;                   /* 0: not given                                      */
    size_t batch_size;             /* 0: not given; BML_BATCH_AUTO: auto                */
    size_t memory_budget;          /* bytes; 0: not given                               */
    int format;                    /* index into formats (0 when not given)             */
    int ids_input;                 /* --input ids                                       */
    bml_utf8_policy utf8;          /* --on-invalid (BML_UTF8_ERROR when not given)      */
    int progress;                  /* --progress given (see cli_common_progress)        */
    int deterministic, json;
    cli_shard shard;               /* {0, 0}: the whole input                           */
    const char *prompt, *prompt_name; /* NULL: not given (the model's default prompt)  */
    size_t dimensions;             /* 0: not given (the model's dim)                    */
} cli_common;
void cli_common_init(cli_common *c, unsigned takes, const char *const *formats);
/* Consumes the shared option at argv[*i] if the verb takes it (*i moves past
   its value) and returns its CLI_O_* bit; 0 when argv[*i] is not one. Dies
   with one line on a bad or missing value. CLI_O_HELP: the verb prints. */
unsigned cli_common_opt(cli_common *c, int argc, char **argv, int *i);
/* Show progress: --progress, or stderr is a terminal. */
int cli_common_progress(const cli_common *c);
/* The shared options as library descs, both zeroed first. The model: path,
   threads, deterministic, device. The batch: batch size, memory budget,
   --on-invalid; with `tuning` (verbs with --tuning), --tuning alone implies
   auto, and auto loads the archive (--tuning, else $BATCHML_TUNING) into
   *tuning (NULL when none; free with bml_tuning_free); dies on a bad one. */
void cli_common_model_desc(const cli_common *c, bml_model_desc *md);
void cli_common_batch_desc(const cli_common *c, bml_batch_desc *bd, bml_tuning **tuning);
/* With the model loaded: --prompt-name resolved to its text (dies naming the
   model's prompts when it has no such one), --prompt/--prompt-name refused
   for --input ids, --dimensions checked against the model's dim; into bd.
   Returns the width of the rows written (the dimensions or the dim). */
size_t cli_common_prompt_dims(const cli_common *c, const bml_model *m, bml_batch_desc *bd);
/* Lines of a regular-file stream that are shard s's (0 when not a regular
   file); the stream is left where it was. For progress ETAs. */
size_t cli_count_lines(FILE *f, const cli_shard *s);

int cmd_info(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_serve(int argc, char **argv);
#endif

/* batchml.h — batched inference for small transformer encoders, one file.

   Sentence embeddings (BERT / MiniLM encoders loaded straight from a
   sentence-transformers model directory), the BERT WordPiece tokenizer,
   token-level gradient overlays, and the batching machinery around them.

   USAGE
     In exactly one C file:
         #define BATCHML_IMPLEMENTATION
         #include "batchml.h"
     everywhere else just #include "batchml.h".
     Link with -lopenblas -lpthread -lm (or define BATCHML_NO_BLAS and drop
     -lopenblas for the portable, slower GEMM).

   EXAMPLE
         bml_model *m = NULL;
         bml_model_desc d = {0};
         d.path = "all-MiniLM-L6-v2";            // a model directory
         if (bml_model_load(&d, &m) != BML_OK) {
             fprintf(stderr, "%s\n", bml_last_error());
             return 1;
         }
         float e[384];
         bml_embed_text(m, "A man is playing a guitar.", -1, e);
         bml_model_free(m);

   FEATURE AND OVERRIDE MACROS (define before including the implementation)
     BATCHML_NO_BLAS        no OpenBLAS: built-in GEMM (portable, slower)
     BATCHML_OPENCL         the OpenCL device path (links -lOpenCL)
     BML_MALLOC(n) BML_REALLOC(p,n) BML_FREE(p)   allocator hooks
     BML_ASSERT(x)          internal invariant checks (default: assert)
     BML_LOG(level, msg)    logging hook; the library prints nothing unless
                            a log callback is installed (bml_set_log)
     BMLDEF                 linkage of public functions (default: extern)

   ERRORS
     Every fallible call returns a bml_status. BML_OK is 0. On failure a
     readable message (naming the file, field, tensor or byte offset) is
     kept per thread and returned by bml_last_error(). The library never
     exits, never prints unless asked, never crashes on bad files.

   OPENBLAS KERNELS
     Debian's OpenBLAS 0.3.21 picks its AVX2 (Haswell) kernels on AVX-512
     CPUs unless OPENBLAS_CORETYPE=SkylakeX is in the environment before the
     library loads (about 2x on GEMMs). bml_blas_check() tells whether the
     running process got the best kernels and what to set;
     bml_blas_reexec(argv) at the top of main() fixes it by re-executing the
     program with the variable set (the batchml CLI does this; an inherited
     OPENBLAS_CORETYPE naming slower kernels is overridden unless
     BATCHML_NO_REEXEC=1).

   LICENSE
     MIT (see LICENSE). The vocabulary and tokenizer files shipped for tests
     come from sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0).
*/
#ifndef BATCHML_H
#define BATCHML_H

/* The implementation uses POSIX (mmap, clock_gettime, threads); with
   -std=c99 that needs the feature macro before any system header. */
#if defined(BATCHML_IMPLEMENTATION) && !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <stddef.h>
#include <stdint.h>

#ifndef BMLDEF
#define BMLDEF extern
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================
   API: status and errors
   ====================================================================== */

typedef enum bml_status {
    BML_OK = 0,
    BML_ERR_INVALID_ARG,    /* a bad argument or desc field               */
    BML_ERR_IO,             /* open/read/write/mmap failed                */
    BML_ERR_FORMAT,         /* malformed file contents                    */
    BML_ERR_SHAPE,          /* a tensor or head with the wrong shape      */
    BML_ERR_UNSUPPORTED,    /* valid but not supported (dtype, activation)*/
    BML_ERR_NOMEM,          /* allocation failed or over a limit          */
    BML_ERR_INVALID_UTF8,   /* text input is not valid UTF-8              */
    BML_ERR_EMPTY_INPUT,    /* empty text or id sequence                  */
    BML_ERR_OUT_OF_RANGE,   /* token id outside the vocabulary, etc.      */
    BML_ERR_TOO_LONG,       /* sequence longer than the model accepts     */
    BML_ERR_DEVICE,         /* OpenCL device error                        */
    BML_ERR_INTERNAL
} bml_status;

/* Short constant name of a status ("BML_ERR_FORMAT"). */
BMLDEF const char *bml_status_name(bml_status s);
/* The message of the last failure on this thread ("" if none). */
BMLDEF const char *bml_last_error(void);

typedef enum bml_log_level { BML_LOG_DEBUG, BML_LOG_INFO, BML_LOG_WARN, BML_LOG_ERROR } bml_log_level;
typedef void (*bml_log_fn)(bml_log_level level, const char *msg, void *user);
/* Install a process-wide log callback (NULL: silent, the default). */
BMLDEF void bml_set_log(bml_log_fn fn, void *user);
/* Free memory the library allocated for the caller (BML_FREE). */
BMLDEF void bml_free(void *p);

/* ======================================================================
   API: JSON (the loader's own reader, exposed for tools and tests)
   ====================================================================== */

typedef enum bml_json_type {
    BML_JSON_NULL, BML_JSON_FALSE, BML_JSON_TRUE, BML_JSON_NUMBER,
    BML_JSON_STRING, BML_JSON_ARRAY, BML_JSON_OBJECT
} bml_json_type;

typedef struct bml_json bml_json;
struct bml_json {
    bml_json_type type;
    double num;             /* NUMBER                                     */
    const char *str;        /* STRING (NUL-terminated, unescaped, UTF-8)  */
    size_t len;             /* STRING bytes; ARRAY/OBJECT element count   */
    bml_json *kids;         /* ARRAY/OBJECT elements (contiguous)         */
    const char *key;        /* set when this value is an object member    */
    size_t key_len;
    size_t offset;          /* byte offset of the value in the source     */
};

typedef struct bml_json_doc bml_json_doc;
/* Parse a JSON text. `name` is used in error messages (a file name).
   Limits: nesting depth 256, 1,048,576 values; documents up to the size
   the caller reads (each loader has its own file-size limit). */
BMLDEF bml_status bml_json_parse(const char *text, size_t len, const char *name, bml_json_doc **out);
BMLDEF const bml_json *bml_json_root(const bml_json_doc *doc);
BMLDEF void bml_json_free(bml_json_doc *doc);
/* Member of an object by key (NULL if absent or not an object). */
BMLDEF const bml_json *bml_json_get(const bml_json *obj, const char *key);

/* ======================================================================
   API: tokenizer (BERT WordPiece, id-for-id identical to HF tokenizers)
   ====================================================================== */
#include "parts/tokenizer_api.h"

/* ======================================================================
   API: batch types — items in, responses out, stats, O(1) lookup by id
   ====================================================================== */

/* One input: text (UTF-8) or token ids (used as given when ids != NULL). */
typedef struct bml_item {
    uint64_t id;
    const char *text;       /* len < 0: NUL-terminated                      */
    ptrdiff_t len;
    const int32_t *ids;     /* token ids (no [CLS]/[SEP] added)             */
    size_t n_ids;
} bml_item;

/* One output. `data` points at the item's row of the caller's output
   matrix (n floats) when status is BML_OK. */
typedef struct bml_response {
    uint64_t id;
    bml_status status;
    char error[192];        /* readable message when status != BML_OK       */
    uint64_t duration_ns;   /* from the start of the call until this item's
                               result was ready (its latency in the batch)  */
    float *data;
    size_t n;
} bml_response;

typedef struct bml_stats {
    size_t total_items, succeeded, failed;
    uint64_t total_ns;      /* wall time of the whole call                  */
    double items_per_s;     /* total_items / total time                     */
    double mean_ns, p50_ns, p95_ns, p99_ns;  /* per-item latency            */
    double single_item_ns;  /* measured one-at-a-time time per item (0: none) */
    double speedup_vs_single; /* single_item_ns / (total_ns / total_items); 0 without a baseline */
} bml_stats;

/* Responses of one call plus stats; bml_result_find is O(1) (hash on id). */
typedef struct bml_result {
    bml_response *responses;
    size_t count;
    bml_stats stats;
    uint32_t *index_;       /* private: open-addressing table of positions+1 */
    size_t index_cap_;
} bml_result;

/* Allocate `count` zeroed responses (any previous content is freed). */
BMLDEF bml_status bml_result_init(bml_result *r, size_t count);
/* Fill stats from the responses, the call's wall time and an optional
   measured single-item time per item (0 = none), and build the id index. */
BMLDEF bml_status bml_result_finish(bml_result *r, uint64_t total_ns, double single_item_ns);
BMLDEF const bml_response *bml_result_find(const bml_result *r, uint64_t id);
BMLDEF size_t bml_result_success_count(const bml_result *r);
BMLDEF int bml_result_all_succeeded(const bml_result *r);
BMLDEF void bml_result_free(bml_result *r);
/* Monotonic clock in nanoseconds. */
BMLDEF uint64_t bml_now_ns(void);

/* ======================================================================
   API: models — a sentence-transformers directory, loaded as saved
   ====================================================================== */

typedef enum bml_pooling {
    BML_POOL_MEAN = 0, BML_POOL_CLS, BML_POOL_MAX, BML_POOL_MEAN_SQRT_LEN
} bml_pooling;

typedef struct bml_config {
    int hidden, layers, heads, intermediate;
    int vocab, max_position, type_vocab;
    float layer_norm_eps;
    bml_pooling pooling;
    int normalize;          /* modules.json has a Normalize module          */
    int max_seq_len;        /* tokens incl. [CLS]/[SEP] (sentence_bert_config) */
    const char *dtype;      /* "F32", "F16" or "BF16" as stored              */
    size_t n_params;
    size_t file_bytes;      /* model.safetensors size                       */
} bml_config;

typedef struct bml_model bml_model;

typedef struct bml_model_desc {
    const char *path;       /* the model directory                          */
    int threads;            /* 0 = every core                                */
    int deterministic;      /* 1: results bitwise identical whatever the
                               batch composition, batch size and thread
                               count (own fixed-order GEMM; slower)          */
    int max_seq_len;        /* 0 = sentence_bert_config.json's (else 256),
                               never above max_position_embeddings          */
    int no_tokenizer;       /* 1: ids-only model (no vocab files needed)     */
    const char *device;     /* "cpu", "opencl", "opencl:P:D" or "auto"; NULL =
                               env BATCHML_DEVICE, else "cpu" (OpenCL needs a
                               build with BATCHML_OPENCL)                     */
} bml_model_desc;

BMLDEF bml_status bml_model_load(const bml_model_desc *desc, bml_model **out);
BMLDEF void bml_model_free(bml_model *m);
BMLDEF const bml_config *bml_model_config(const bml_model *m);
/* The model's tokenizer (NULL for an ids-only model). */
BMLDEF const bml_tokenizer *bml_model_tokenizer(const bml_model *m);
/* Human-readable name of the pooling mode ("mean", "cls", ...). */
BMLDEF const char *bml_pooling_name(bml_pooling p);

/* Which OpenBLAS kernels this process uses. Returns 1 when faster ones
   exist for this CPU and would be picked with OPENBLAS_CORETYPE=<want>
   set before the library loads (want receives the name), 0 when the best
   are in use, -1 when unknown (no OpenBLAS, or not x86-64). */
BMLDEF int bml_blas_check(char *want, size_t cap);
/* "OpenBLAS 0.3.21 SkylakeX", "built-in GEMM", ... */
BMLDEF const char *bml_blas_info(void);
/* For programs: when bml_blas_check() says faster kernels exist, set
   OPENBLAS_CORETYPE and re-execute this program (/proc/self/exe, same
   argv) so OpenBLAS loads them. An OPENBLAS_CORETYPE already in the
   environment that names slower kernels (some images set "Haswell") is
   replaced; set BATCHML_NO_REEXEC=1 to keep yours. Call it first thing in
   main(). Returns only when nothing was re-executed (best kernels
   already, unknown, BATCHML_NO_REEXEC, or exec failed). */
BMLDEF void bml_blas_reexec(char **argv);

/* ======================================================================
   API: embeddings
   ====================================================================== */

/* Embed one id sequence ([CLS] ... [SEP] as the caller wants them) into
   out[hidden]. Errors: empty, too long, id outside the vocabulary. */
BMLDEF bml_status bml_embed_ids(bml_model *m, const int32_t *ids, size_t n, float *out);
/* Tokenize and embed one text (len < 0: NUL-terminated). */
BMLDEF bml_status bml_embed_text(bml_model *m, const char *text, ptrdiff_t len, float *out);

typedef struct bml_batch_desc {
    size_t batch_size;      /* sequences per forward pass; 0 = 32;
                               BML_BATCH_AUTO = chosen per call from `tuning`
                               (or the heuristic) and the lengths            */
    size_t max_tokens;      /* tokens per forward pass cap; 0 = no cap       */
    int keep_order;         /* 1: batch in input order (default sorts by
                               length within the call; output order is the
                               input order either way)                       */
    int measure_single;     /* >0: time this many items one at a time first
                               and report speedup_vs_single                 */
    bml_utf8_policy utf8;   /* text items: invalid UTF-8 handling           */
    const struct bml_tuning *tuning; /* BML_BATCH_AUTO: the archive to choose
                               from (bml_tuning_load); NULL = the heuristic   */
    size_t memory_budget;   /* BML_BATCH_AUTO: activation arena bytes to stay
                               under (0 = no limit)                          */
} bml_batch_desc;

/* Embed `count` items into out[count * hidden] (row i = item i). Each item
   gets a response in `res` (may be NULL); a bad item fails alone, its row
   zeroed. Returns BML_OK unless the call itself is invalid. */
BMLDEF bml_status bml_embed_batch(bml_model *m, const bml_item *items, size_t count,
                                  const bml_batch_desc *desc, float *out, bml_result *res);

/* ======================================================================
   API: devices (OpenCL, with BATCHML_OPENCL)
   ====================================================================== */
#include "parts/opencl_api.h"

/* ======================================================================
   API: gradient overlays — per-token attributions from a backward pass
   ====================================================================== */

typedef enum bml_method {
    BML_METHOD_GRAD = 0,            /* raw_i = |df/dx_i|_2                         */
    BML_METHOD_GRAD_X_INPUT,        /* raw_i = df/dx_i . x_i                        */
    BML_METHOD_INTEGRATED_GRADIENTS /* raw_i = x_i . mean_k df/dx_i at (k/m) x      */
} bml_method;

typedef enum bml_target_kind {
    BML_TARGET_SIM = 0,     /* "sim:TEXT"   cosine similarity to TEXT's embedding   */
    BML_TARGET_VALUE,       /* "value:FILE" f = w.e + b, {"weight":[H],"bias":b}    */
    BML_TARGET_POLICY       /* "policy:FILE:K" f = log_softmax(W e + b)[K],
                               {"weight":[[H] x C],"bias":[C]}                     */
} bml_target_kind;

/* A scalar f of the pooled, normalized embedding e. */
typedef struct bml_target bml_target;

/* Parse "sim:TEXT", "value:FILE" or "policy:FILE:K" against a model (head
   files must match its hidden size; K must be a class). */
BMLDEF bml_status bml_target_parse(bml_model *m, const char *spec, bml_target **out);
BMLDEF void bml_target_free(bml_target *t);
BMLDEF bml_target_kind bml_target_kind_of(const bml_target *t);
BMLDEF const char *bml_target_spec(const bml_target *t);

/* "grad", "grad_x_input", "integrated_gradients"; the presets "policy_grad"
   and "value_grad" parse as grad and set *want_target to the kind they need
   (-1 when any target goes). */
BMLDEF bml_status bml_method_parse(const char *name, bml_method *method, int *want_target);
BMLDEF const char *bml_method_name(bml_method method);

/* One overlay: what each token of an input contributes to f. */
typedef struct bml_overlay {
    uint64_t id;
    bml_status status;      /* per item; the rest is valid when BML_OK      */
    char error[192];
    bml_method method;
    double f;               /* the target at the input                     */
    size_t n;               /* tokens, [CLS] and [SEP] included            */
    int32_t *ids;           /* [n]                                          */
    uint32_t *offsets;      /* [2n] byte spans in the input (0,0: special or ids input) */
    float *raw;             /* [n] raw scores                               */
    float *values;          /* [n] raw / sum|raw| (all 0 if the sum is 0)   */
} bml_overlay;

typedef struct bml_overlay_desc {
    bml_method method;
    const bml_target *target;
    int steps;              /* integrated gradients: m steps; 0 = 32        */
    size_t batch_size;      /* inputs per batched pass; 0 = 8               */
    size_t max_tokens;      /* tokens per pass, a budget (IG steps are split to
                               fit; a longer sequence runs alone); 0 = 2048 */
    bml_utf8_policy utf8;
} bml_overlay_desc;

/* One input (text or ids) -> one overlay (free with bml_overlay_free). */
BMLDEF bml_status bml_overlay_compute(bml_model *m, const bml_overlay_desc *desc, const bml_item *item,
                                      bml_overlay *out);
/* Many inputs in batched passes -> outs[count]; equals one at a time to
   float rounding. Each item has its own status; returns BML_OK unless the
   call itself is invalid. */
BMLDEF bml_status bml_overlay_compute_batch(bml_model *m, const bml_overlay_desc *desc, const bml_item *items,
                                            size_t count, bml_overlay *outs);
BMLDEF void bml_overlay_free(bml_overlay *o);

#include "parts/exporter_api.h"

/* ======================================================================
   API: random-weight models in Hugging Face layout (tests, demos)
   ====================================================================== */

typedef struct bml_mkmodel_desc {
    const char *out_dir;    /* created if missing                           */
    const char *assets_dir; /* vocab.txt, tokenizer.json, ... to copy       */
    uint64_t seed;
    int layers, hidden, heads, intermediate; /* 0 = all-MiniLM-L6-v2's       */
    int max_position;       /* 0 = 512                                      */
    bml_pooling pooling;
    int no_normalize;
    int max_seq_len;        /* 0 = 256                                      */
} bml_mkmodel_desc;

/* Writes config.json, model.safetensors (F32), 1_Pooling/config.json,
   modules.json, sentence_bert_config.json and copies the tokenizer files.
   Byte-identical for the same desc on any machine. */
BMLDEF bml_status bml_mkmodel(const bml_mkmodel_desc *desc);

/* ======================================================================
   API: batch-size tuning (heuristic default, MAP-Elites archive)
   ====================================================================== */
#include "parts/tuning_api.h"

#ifdef __cplusplus
}
#endif
#endif /* BATCHML_H */

/* ######################################################################
   IMPLEMENTATION
   ###################################################################### */
#ifdef BATCHML_IMPLEMENTATION
#ifndef BATCHML_IMPLEMENTATION_DONE
#define BATCHML_IMPLEMENTATION_DONE

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>

#ifndef BML_MALLOC
#define BML_MALLOC(n) malloc(n)
#define BML_REALLOC(p, n) realloc((p), (n))
#define BML_FREE(p) free(p)
#endif
#ifndef BML_ASSERT
#include <assert.h>
#define BML_ASSERT(x) assert(x)
#endif

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L && !defined(__STDC_NO_THREADS__)
#define BML__TLS _Thread_local
#elif defined(__GNUC__)
#define BML__TLS __thread
#else
#define BML__TLS
#endif

/* ======================================================================
   Errors and logging
   ====================================================================== */

static BML__TLS char bml__errbuf[512];
static bml_log_fn bml__log_fn;
static void *bml__log_user;

BMLDEF const char *bml_status_name(bml_status s) {
    static const char *names[] = {
        "BML_OK", "BML_ERR_INVALID_ARG", "BML_ERR_IO", "BML_ERR_FORMAT",
        "BML_ERR_SHAPE", "BML_ERR_UNSUPPORTED", "BML_ERR_NOMEM",
        "BML_ERR_INVALID_UTF8", "BML_ERR_EMPTY_INPUT", "BML_ERR_OUT_OF_RANGE",
        "BML_ERR_TOO_LONG", "BML_ERR_DEVICE", "BML_ERR_INTERNAL"};
    if ((unsigned)s < sizeof(names) / sizeof(names[0])) return names[s];
    return "BML_ERR_UNKNOWN";
}

BMLDEF const char *bml_last_error(void) { return bml__errbuf; }

BMLDEF void bml_set_log(bml_log_fn fn, void *user) { bml__log_fn = fn; bml__log_user = user; }

BMLDEF void bml_free(void *p) { BML_FREE(p); }

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static bml_status bml__fail(bml_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(bml__errbuf, sizeof bml__errbuf, fmt, ap);
    va_end(ap);
    return s;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void bml__log(bml_log_level level, const char *fmt, ...) {
    char msg[512];
    va_list ap;
#ifdef BML_LOG
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    BML_LOG(level, msg);
#endif
    if (!bml__log_fn) return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    bml__log_fn(level, msg, bml__log_user);
}

static void *bml__calloc(size_t n, size_t size) {
    void *p;
    size_t bytes;
    if (size && n > SIZE_MAX / size) return NULL;
    bytes = n * size;
    p = BML_MALLOC(bytes > 0 ? bytes : 1);
    if (p) memset(p, 0, bytes);
    return p;
}

static char *bml__strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = (char *)BML_MALLOC(n);
    if (p) memcpy(p, s, n);
    return p;
}

/* Overflow-checked size arithmetic: returns 0 on overflow. */
static int bml__mul_ok(size_t a, size_t b, size_t *out) {
    if (a && b > SIZE_MAX / a) return 0;
    *out = a * b;
    return 1;
}

/* ======================================================================
   Files: whole-file read (small JSON/text files), path joining
   ====================================================================== */

static void bml__join(char *out, size_t cap, const char *dir, const char *name) {
    size_t n = strlen(dir);
    snprintf(out, cap, "%s%s%s", dir, (n && dir[n - 1] == '/') ? "" : "/", name);
}

/* Read a whole file (up to `limit` bytes) into a NUL-terminated buffer. */
static bml_status bml__read_file(const char *path, size_t limit, char **out, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;
    *out = NULL;
    *len = 0;
    if (!f) return bml__fail(BML_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    {   /* a regular file's size is known: refuse an oversized one before
           reading or allocating any of it, and allocate the rest once */
        struct stat sb;
        if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode)) {
            if ((unsigned long long)sb.st_size > (unsigned long long)limit) {
                fclose(f);
                return bml__fail(BML_ERR_NOMEM, "%s: file larger than the %zu-byte limit (%llu bytes)", path, limit,
                                 (unsigned long long)sb.st_size);
            }
            cap = (size_t)sb.st_size + 2;
            if (!(buf = (char *)BML_MALLOC(cap))) {
                fclose(f);
                return bml__fail(BML_ERR_NOMEM, "%s: out of memory reading file", path);
            }
        }
    }
    for (;;) {
        size_t got;
        if (n + 1 >= cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            char *nb;
            if (ncap > limit + 2) ncap = limit + 2;
            if (n + 1 >= ncap) {
                BML_FREE(buf);
                fclose(f);
                return bml__fail(BML_ERR_NOMEM, "%s: file larger than the %zu-byte limit", path, limit);
            }
            nb = (char *)BML_REALLOC(buf, ncap);
            if (!nb) {
                BML_FREE(buf);
                fclose(f);
                return bml__fail(BML_ERR_NOMEM, "%s: out of memory reading file", path);
            }
            buf = nb;
            cap = ncap;
        }
        got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        BML_FREE(buf);
        fclose(f);
        return bml__fail(BML_ERR_IO, "%s: read error", path);
    }
    fclose(f);
    buf[n] = 0;
    *out = buf;
    *len = n;
    return BML_OK;
}

/* ======================================================================
   JSON reader: a small DOM parser with byte offsets in every error
   ====================================================================== */

#define BML__JSON_MAX_DEPTH 256

struct bml_json_doc {
    bml_json root;
    char **blocks;          /* every allocation, freed together */
    size_t nblocks, capblocks;
};

/* The DOM costs about sizeof(bml_json) = 64 bytes a value: a few MB of
   "0,0,0,..." would take GBs. Real files (a 120k-token vocabulary, a
   safetensors header) stay far below this budget. */
#define BML__JSON_MAX_VALUES ((size_t)1 << 20)

typedef struct bml__jp {
    const char *s;
    size_t n, i;
    const char *name;
    bml_json_doc *doc;
    size_t values;          /* parsed so far, against BML__JSON_MAX_VALUES */
} bml__jp;

static void *bml__jalloc(bml__jp *p, size_t size) {
    char *b;
    if (p->doc->nblocks == p->doc->capblocks) {
        size_t nc = p->doc->capblocks ? p->doc->capblocks * 2 : 64;
        char **nb = (char **)BML_REALLOC(p->doc->blocks, nc * sizeof(char *));
        if (!nb) return NULL;
        p->doc->blocks = nb;
        p->doc->capblocks = nc;
    }
    b = (char *)BML_MALLOC(size ? size : 1);
    if (!b) return NULL;
    p->doc->blocks[p->doc->nblocks++] = b;
    return b;
}

static bml_status bml__jerr(bml__jp *p, const char *what) {
    return bml__fail(BML_ERR_FORMAT, "%s: invalid JSON at byte %zu: %s", p->name, p->i, what);
}

static void bml__jws(bml__jp *p) {
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r')) p->i++;
}

static int bml__hex4(const char *s, unsigned *out) {
    unsigned v = 0;
    int k;
    for (k = 0; k < 4; k++) {
        char c = s[k];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

static size_t bml__utf8_put(char *o, unsigned cp) {
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F)); return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F)); return 4;
}

/* Parse a string at p->i (which is at the opening quote). */
static bml_status bml__jstring(bml__jp *p, const char **out, size_t *outlen) {
    size_t start = ++p->i, j, cap, o = 0;
    char *buf;
    /* the unescaped string is never longer than the escaped one */
    for (j = start; j < p->n && p->s[j] != '"'; j++)
        if (p->s[j] == '\\') j++;
    if (j >= p->n) return bml__jerr(p, "unterminated string");
    cap = j - start + 1;
    buf = (char *)bml__jalloc(p, cap);
    if (!buf) return bml__fail(BML_ERR_NOMEM, "%s: out of memory parsing JSON", p->name);
    while (p->i < p->n) {
        unsigned char c = (unsigned char)p->s[p->i];
        if (c == '"') { p->i++; buf[o] = 0; *out = buf; *outlen = o; return BML_OK; }
        if (c < 0x20) return bml__jerr(p, "control character in string");
        if (c != '\\') { buf[o++] = (char)c; p->i++; continue; }
        if (p->i + 1 >= p->n) return bml__jerr(p, "unterminated escape");
        c = (unsigned char)p->s[p->i + 1];
        p->i += 2;
        switch (c) {
        case '"': buf[o++] = '"'; break;
        case '\\': buf[o++] = '\\'; break;
        case '/': buf[o++] = '/'; break;
        case 'b': buf[o++] = '\b'; break;
        case 'f': buf[o++] = '\f'; break;
        case 'n': buf[o++] = '\n'; break;
        case 'r': buf[o++] = '\r'; break;
        case 't': buf[o++] = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (p->i + 4 > p->n || !bml__hex4(p->s + p->i, &cp)) return bml__jerr(p, "bad \\u escape");
            p->i += 4;
            if (cp >= 0xD800 && cp < 0xDC00) {
                if (p->i + 6 <= p->n && p->s[p->i] == '\\' && p->s[p->i + 1] == 'u' &&
                    bml__hex4(p->s + p->i + 2, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                    p->i += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else {
                    cp = 0xFFFD; /* lone surrogate */
                }
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                cp = 0xFFFD;
            }
            /* a \uXXXX escape is 6 bytes and yields at most 4 (a pair 12 -> 4) */
            o += bml__utf8_put(buf + o, cp);
            break;
        }
        default: p->i -= 1; return bml__jerr(p, "unknown escape");
        }
    }
    return bml__jerr(p, "unterminated string");
}

static bml_status bml__jvalue(bml__jp *p, bml_json *v, int depth);

/* Arrays and objects: elements are parsed into a growing temporary list,
   then copied into one contiguous block owned by the document. */
static bml_status bml__jcontainer(bml__jp *p, bml_json *v, int depth, int is_obj) {
    bml_json *tmp = NULL, *kids;
    size_t n = 0, cap = 0;
    bml_status st = BML_OK;
    char close = is_obj ? '}' : ']';
    if (depth >= BML__JSON_MAX_DEPTH) return bml__jerr(p, "nesting deeper than 256");
    v->type = is_obj ? BML_JSON_OBJECT : BML_JSON_ARRAY;
    p->i++;
    bml__jws(p);
    if (p->i < p->n && p->s[p->i] == close) {
        p->i++;
        v->kids = NULL;
        v->len = 0;
        return BML_OK;
    }
    for (;;) {
        bml_json e;
        memset(&e, 0, sizeof e);
        bml__jws(p);
        if (is_obj) {
            if (p->i >= p->n || p->s[p->i] != '"') { st = bml__jerr(p, "expected a member name"); break; }
            if ((st = bml__jstring(p, &e.key, &e.key_len)) != BML_OK) break;
            bml__jws(p);
            if (p->i >= p->n || p->s[p->i] != ':') { st = bml__jerr(p, "expected ':'"); break; }
            p->i++;
            bml__jws(p);
        }
        if ((st = bml__jvalue(p, &e, depth + 1)) != BML_OK) break;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            bml_json *nt = (bml_json *)BML_REALLOC(tmp, nc * sizeof(bml_json));
            if (!nt) { st = bml__fail(BML_ERR_NOMEM, "%s: out of memory parsing JSON", p->name); break; }
            tmp = nt;
            cap = nc;
        }
        tmp[n++] = e;
        bml__jws(p);
        if (p->i < p->n && p->s[p->i] == ',') { p->i++; continue; }
        if (p->i < p->n && p->s[p->i] == close) { p->i++; break; }
        st = bml__jerr(p, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
        break;
    }
    if (st == BML_OK) {
        kids = (bml_json *)bml__jalloc(p, n * sizeof(bml_json));
        if (!kids) st = bml__fail(BML_ERR_NOMEM, "%s: out of memory parsing JSON", p->name);
        else {
            memcpy(kids, tmp, n * sizeof(bml_json));
            v->kids = kids;
            v->len = n;
        }
    }
    BML_FREE(tmp);
    return st;
}

static bml_status bml__jvalue(bml__jp *p, bml_json *v, int depth) {
    char c;
    bml__jws(p);
    v->offset = p->i;
    if (p->i >= p->n) return bml__jerr(p, "unexpected end of input");
    if (++p->values > BML__JSON_MAX_VALUES)
        return bml__fail(BML_ERR_FORMAT, "%s: more than %zu JSON values (at byte %zu): not a file batchml reads", p->name,
                         BML__JSON_MAX_VALUES, p->i);
    c = p->s[p->i];
    if (c == '{') return bml__jcontainer(p, v, depth, 1);
    if (c == '[') return bml__jcontainer(p, v, depth, 0);
    if (c == '"') { v->type = BML_JSON_STRING; return bml__jstring(p, &v->str, &v->len); }
    if (p->n - p->i >= 4 && !memcmp(p->s + p->i, "null", 4)) { v->type = BML_JSON_NULL; p->i += 4; return BML_OK; }
    if (p->n - p->i >= 4 && !memcmp(p->s + p->i, "true", 4)) { v->type = BML_JSON_TRUE; p->i += 4; return BML_OK; }
    if (p->n - p->i >= 5 && !memcmp(p->s + p->i, "false", 5)) { v->type = BML_JSON_FALSE; p->i += 5; return BML_OK; }
    if (c == '-' || (c >= '0' && c <= '9')) {
        char num[64];
        size_t j = p->i, k = 0;
        if (p->s[j] == '-') j++;
        if (j >= p->n || p->s[j] < '0' || p->s[j] > '9') return bml__jerr(p, "bad number");
        if (p->s[j] == '0') j++;
        else while (j < p->n && p->s[j] >= '0' && p->s[j] <= '9') j++;
        if (j < p->n && p->s[j] == '.') {
            j++;
            if (j >= p->n || p->s[j] < '0' || p->s[j] > '9') return bml__jerr(p, "bad number");
            while (j < p->n && p->s[j] >= '0' && p->s[j] <= '9') j++;
        }
        if (j < p->n && (p->s[j] == 'e' || p->s[j] == 'E')) {
            j++;
            if (j < p->n && (p->s[j] == '+' || p->s[j] == '-')) j++;
            if (j >= p->n || p->s[j] < '0' || p->s[j] > '9') return bml__jerr(p, "bad number");
            while (j < p->n && p->s[j] >= '0' && p->s[j] <= '9') j++;
        }
        if (j - p->i >= sizeof num) {
            /* very long numbers: strtod on a bounded copy would truncate;
               parse the leading part, which is all a double can hold anyway */
            memcpy(num, p->s + p->i, sizeof num - 1);
            k = sizeof num - 1;
        } else {
            memcpy(num, p->s + p->i, j - p->i);
            k = j - p->i;
        }
        num[k] = 0;
        v->type = BML_JSON_NUMBER;
        v->num = strtod(num, NULL);
        p->i = j;
        return BML_OK;
    }
    return bml__jerr(p, "unexpected character");
}

BMLDEF bml_status bml_json_parse(const char *text, size_t len, const char *name, bml_json_doc **out) {
    bml__jp p;
    bml_status st;
    bml_json_doc *doc;
    *out = NULL;
    doc = (bml_json_doc *)bml__calloc(1, sizeof *doc);
    if (!doc) return bml__fail(BML_ERR_NOMEM, "out of memory");
    p.s = text;
    p.n = len;
    p.i = 0;
    p.name = name ? name : "<json>";
    p.doc = doc;
    p.values = 0;
    if (p.n >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB && (unsigned char)text[2] == 0xBF)
        p.i = 3; /* UTF-8 byte order mark */
    st = bml__jvalue(&p, &doc->root, 0);
    if (st == BML_OK) {
        bml__jws(&p);
        if (p.i != p.n) st = bml__jerr(&p, "trailing characters after the JSON value");
    }
    if (st != BML_OK) {
        bml_json_free(doc);
        return st;
    }
    *out = doc;
    return BML_OK;
}

BMLDEF const bml_json *bml_json_root(const bml_json_doc *doc) { return doc ? &doc->root : NULL; }

BMLDEF void bml_json_free(bml_json_doc *doc) {
    size_t i;
    if (!doc) return;
    for (i = 0; i < doc->nblocks; i++) BML_FREE(doc->blocks[i]);
    BML_FREE(doc->blocks);
    BML_FREE(doc);
}

BMLDEF const bml_json *bml_json_get(const bml_json *obj, const char *key) {
    size_t i, kl;
    if (!obj || obj->type != BML_JSON_OBJECT) return NULL;
    kl = strlen(key);
    for (i = 0; i < obj->len; i++)
        if (obj->kids[i].key_len == kl && !memcmp(obj->kids[i].key, key, kl)) return &obj->kids[i];
    return NULL;
}

/* Parse a JSON file (bounded size). */
static bml_status bml__json_file(const char *path, size_t limit, bml_json_doc **out) {
    char *buf;
    size_t len;
    bml_status st = bml__read_file(path, limit, &buf, &len);
    if (st != BML_OK) return st;
    st = bml_json_parse(buf, len, path, out);
    BML_FREE(buf);
    return st;
}

/* ======================================================================
   Threads: a small persistent pool running parallel-for jobs
   ====================================================================== */
#include <pthread.h>

typedef void (*bml__task_fn)(void *ctx, size_t task, int worker);

typedef struct bml__pool {
    int nthreads;               /* workers including the caller            */
    pthread_t *tids;
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_done;
    bml__task_fn fn;
    void *ctx;
    size_t ntasks, next, done;
    unsigned long generation;
    int stop;
} bml__pool;

/* Take tasks until none are left; `worker` is 0 for the caller. */
static void bml__pool_drain(bml__pool *p, int worker) {
    for (;;) {
        size_t t;
        pthread_mutex_lock(&p->mu);
        if (p->next >= p->ntasks) { pthread_mutex_unlock(&p->mu); return; }
        t = p->next++;
        pthread_mutex_unlock(&p->mu);
        p->fn(p->ctx, t, worker);
        pthread_mutex_lock(&p->mu);
        if (++p->done == p->ntasks) pthread_cond_broadcast(&p->cv_done);
        pthread_mutex_unlock(&p->mu);
    }
}

typedef struct { bml__pool *p; int worker; } bml__pool_arg;

static void *bml__pool_main(void *arg) {
    bml__pool_arg *a = (bml__pool_arg *)arg;
    bml__pool *p = a->p;
    int worker = a->worker;
    unsigned long seen = 0;
    BML_FREE(a);
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (!p->stop && p->generation == seen) pthread_cond_wait(&p->cv_work, &p->mu);
        if (p->stop) { pthread_mutex_unlock(&p->mu); return NULL; }
        seen = p->generation;
        pthread_mutex_unlock(&p->mu);
        bml__pool_drain(p, worker);
    }
}

static void bml__pool_destroy(bml__pool *p);

/* A pool of `nthreads` (the caller counts as one). */
static bml_status bml__pool_create(int nthreads, bml__pool **out) {
    bml__pool *p;
    int i;
    *out = NULL;
    if (nthreads < 1) nthreads = 1;
    p = (bml__pool *)bml__calloc(1, sizeof *p);
    if (!p) return bml__fail(BML_ERR_NOMEM, "out of memory creating a thread pool");
    p->nthreads = 1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv_work, NULL);
    pthread_cond_init(&p->cv_done, NULL);
    p->tids = (pthread_t *)bml__calloc((size_t)nthreads, sizeof(pthread_t));
    if (!p->tids) { bml__pool_destroy(p); return bml__fail(BML_ERR_NOMEM, "out of memory creating a thread pool"); }
    for (i = 1; i < nthreads; i++) {
        bml__pool_arg *a = (bml__pool_arg *)BML_MALLOC(sizeof *a);
        if (!a) break;
        a->p = p;
        a->worker = i;
        if (pthread_create(&p->tids[i], NULL, bml__pool_main, a) != 0) { BML_FREE(a); break; }
        p->nthreads++;
    }
    *out = p;
    return BML_OK;
}

/* Run fn(ctx, task, worker) for task in [0, ntasks) across the pool and
   wait for all of them. Not reentrant: one job at a time per pool. */
static void bml__pool_run(bml__pool *p, size_t ntasks, bml__task_fn fn, void *ctx) {
    size_t t;
    if (!p || p->nthreads == 1 || ntasks <= 1) {
        for (t = 0; t < ntasks; t++) fn(ctx, t, 0);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->ntasks = ntasks;
    p->next = 0;
    p->done = 0;
    p->generation++;
    pthread_cond_broadcast(&p->cv_work);
    pthread_mutex_unlock(&p->mu);
    bml__pool_drain(p, 0);
    pthread_mutex_lock(&p->mu);
    while (p->done < p->ntasks) pthread_cond_wait(&p->cv_done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

static void bml__pool_destroy(bml__pool *p) {
    int i;
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv_work);
    pthread_mutex_unlock(&p->mu);
    for (i = 1; i < p->nthreads; i++) pthread_join(p->tids[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv_work);
    pthread_cond_destroy(&p->cv_done);
    BML_FREE(p->tids);
    BML_FREE(p);
}

/* ======================================================================
   Tokenizer
   ====================================================================== */
#include "parts/tokenizer_impl.h"

/* ======================================================================
   Batch types: responses, stats, id index
   ====================================================================== */
#include <time.h>

BMLDEF uint64_t bml_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

BMLDEF bml_status bml_result_init(bml_result *r, size_t count) {
    bml_result_free(r);
    r->responses = (bml_response *)bml__calloc(count ? count : 1, sizeof(bml_response));
    if (!r->responses) return bml__fail(BML_ERR_NOMEM, "out of memory for %zu responses", count);
    r->count = count;
    return BML_OK;
}

static uint64_t bml__hash64(uint64_t x) {
    x ^= x >> 33; x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

static int bml__cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted values. */
static double bml__pct(const double *v, size_t n, double p) {
    size_t k;
    if (!n) return 0;
    k = (size_t)ceil(p / 100.0 * (double)n);
    if (k < 1) k = 1;
    if (k > n) k = n;
    return v[k - 1];
}

BMLDEF bml_status bml_result_finish(bml_result *r, uint64_t total_ns, double single_item_ns) {
    bml_stats *s = &r->stats;
    double *lat, sum = 0;
    size_t i, cap;
    memset(s, 0, sizeof *s);
    s->total_items = r->count;
    s->total_ns = total_ns;
    lat = (double *)bml__calloc(r->count ? r->count : 1, sizeof(double));
    if (!lat) return bml__fail(BML_ERR_NOMEM, "out of memory for stats");
    for (i = 0; i < r->count; i++) {
        if (r->responses[i].status == BML_OK) s->succeeded++;
        lat[i] = (double)r->responses[i].duration_ns;
        sum += lat[i];
    }
    s->failed = r->count - s->succeeded;
    qsort(lat, r->count, sizeof(double), bml__cmp_double);
    if (r->count) {
        s->mean_ns = sum / (double)r->count;
        s->p50_ns = bml__pct(lat, r->count, 50);
        s->p95_ns = bml__pct(lat, r->count, 95);
        s->p99_ns = bml__pct(lat, r->count, 99);
    }
    BML_FREE(lat);
    if (total_ns) s->items_per_s = (double)r->count * 1e9 / (double)total_ns;
    s->single_item_ns = single_item_ns;
    if (single_item_ns > 0 && r->count && total_ns)
        s->speedup_vs_single = single_item_ns / ((double)total_ns / (double)r->count);
    /* id index: open addressing, load <= 1/2, stores position + 1 */
    BML_FREE(r->index_);
    r->index_ = NULL;
    for (cap = 16; cap < 2 * r->count; cap *= 2) {}
    r->index_ = (uint32_t *)bml__calloc(cap, sizeof(uint32_t));
    if (!r->index_) return bml__fail(BML_ERR_NOMEM, "out of memory for the id index");
    r->index_cap_ = cap;
    for (i = 0; i < r->count && i < UINT32_MAX - 1; i++) {
        size_t h = (size_t)bml__hash64(r->responses[i].id) & (cap - 1);
        while (r->index_[h]) {
            if (r->responses[r->index_[h] - 1].id == r->responses[i].id) break; /* first wins */
            h = (h + 1) & (cap - 1);
        }
        if (!r->index_[h]) r->index_[h] = (uint32_t)(i + 1);
    }
    return BML_OK;
}

BMLDEF const bml_response *bml_result_find(const bml_result *r, uint64_t id) {
    size_t h;
    if (!r->index_) return NULL;
    h = (size_t)bml__hash64(id) & (r->index_cap_ - 1);
    while (r->index_[h]) {
        const bml_response *x = &r->responses[r->index_[h] - 1];
        if (x->id == id) return x;
        h = (h + 1) & (r->index_cap_ - 1);
    }
    return NULL;
}

BMLDEF size_t bml_result_success_count(const bml_result *r) {
    size_t i, n = 0;
    for (i = 0; i < r->count; i++) n += r->responses[i].status == BML_OK;
    return n;
}

BMLDEF int bml_result_all_succeeded(const bml_result *r) { return bml_result_success_count(r) == r->count; }

BMLDEF void bml_result_free(bml_result *r) {
    BML_FREE(r->responses);
    BML_FREE(r->index_);
    memset(r, 0, sizeof *r);
}

/* ======================================================================
   safetensors: header validation and zero-copy tensor views (mmap)
   ====================================================================== */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define BML__ST_HEADER_LIMIT (100u << 20)

typedef enum { BML__F32, BML__F16, BML__BF16, BML__DT_OTHER } bml__dtype;

typedef struct bml__tensor {
    const char *name;       /* points into the parsed header               */
    bml__dtype dtype;
    const char *dtype_name;
    int ndim;
    int64_t shape[8];
    size_t begin, end;      /* byte offsets into the data buffer            */
} bml__tensor;

typedef struct bml__st {
    char *path;                 /* owned copy, for messages                */
    int fd;
    unsigned char *map;
    size_t size;
    const unsigned char *data;  /* start of the data buffer                */
    size_t data_len;
    bml_json_doc *header;
    bml__tensor *t;
    size_t nt;
} bml__st;

static void bml__st_close(bml__st *st) {
    if (st->map && st->map != (unsigned char *)MAP_FAILED) munmap(st->map, st->size);
    if (st->fd >= 0) close(st->fd);
    bml_json_free(st->header);
    BML_FREE(st->t);
    BML_FREE(st->path);
    st->path = NULL;
    st->map = NULL;
    st->fd = -1;
    st->header = NULL;
    st->t = NULL;
}

static int bml__cmp_tensor_begin(const void *a, const void *b) {
    const bml__tensor *x = (const bml__tensor *)a, *y = (const bml__tensor *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

/* Open, map and validate a safetensors file: every tensor's dtype, shape
   and byte range are checked against each other and the file size. */
/* Format the error first: messages name tensors that live in the header
   document, which closing frees. */
#define BML__ST_BAIL(...)                         \
    do {                                          \
        bml_status bail_ = bml__fail(__VA_ARGS__); \
        bml__st_close(st);                        \
        return bail_;                             \
    } while (0)

static bml_status bml__st_open(const char *path, bml__st *st) {
    struct stat sb;
    uint64_t hlen = 0;
    size_t i, k;
    const bml_json *root;
    bml__tensor *sorted = NULL;
    bml_status rc;
    memset(st, 0, sizeof *st);
    st->fd = -1;
    st->path = bml__strdup(path);
    if (!st->path) return bml__fail(BML_ERR_NOMEM, "out of memory");
    st->fd = open(path, O_RDONLY);
    if (st->fd < 0) BML__ST_BAIL(BML_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(st->fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        BML__ST_BAIL(BML_ERR_IO, "%s: not a regular file", path);
    }
    st->size = (size_t)sb.st_size;
    if (st->size < 8) {
        BML__ST_BAIL(BML_ERR_FORMAT, "%s: truncated: %zu bytes, the 8-byte header length is missing", path, st->size);
    }
    st->map = (unsigned char *)mmap(NULL, st->size, PROT_READ, MAP_PRIVATE, st->fd, 0);
    if (st->map == (unsigned char *)MAP_FAILED) {
        st->map = NULL;
        BML__ST_BAIL(BML_ERR_IO, "%s: mmap failed: %s", path, strerror(errno));
    }
    for (i = 0; i < 8; i++) hlen |= (uint64_t)st->map[i] << (8 * i);
    if (hlen > st->size - 8) {
        BML__ST_BAIL(BML_ERR_FORMAT, "%s: header length %llu runs past the end of the file (%zu bytes)", path,
                         (unsigned long long)hlen, st->size);
    }
    if (hlen > BML__ST_HEADER_LIMIT) {
        BML__ST_BAIL(BML_ERR_FORMAT, "%s: header length %llu is over the %u-byte limit", path,
                         (unsigned long long)hlen, BML__ST_HEADER_LIMIT);
    }
    rc = bml_json_parse((const char *)st->map + 8, (size_t)hlen, path, &st->header);
    if (rc != BML_OK) { bml__st_close(st); return rc; }
    st->data = st->map + 8 + hlen;
    st->data_len = st->size - 8 - (size_t)hlen;
    root = bml_json_root(st->header);
    if (root->type != BML_JSON_OBJECT) {
        BML__ST_BAIL(BML_ERR_FORMAT, "%s: header is not a JSON object", path);
    }
    st->t = (bml__tensor *)bml__calloc(root->len ? root->len : 1, sizeof(bml__tensor));
    if (!st->t) BML__ST_BAIL(BML_ERR_NOMEM, "%s: out of memory", path);
    for (i = 0; i < root->len; i++) {
        const bml_json *e = &root->kids[i], *dt, *sh, *off;
        bml__tensor *t = &st->t[st->nt];
        size_t elems = 1, esize, nbytes;
        if (!strcmp(e->key, "__metadata__")) continue;
        t->name = e->key;
        dt = bml_json_get(e, "dtype");
        sh = bml_json_get(e, "shape");
        off = bml_json_get(e, "data_offsets");
        if (e->type != BML_JSON_OBJECT || !dt || dt->type != BML_JSON_STRING || !sh || sh->type != BML_JSON_ARRAY ||
            !off || off->type != BML_JSON_ARRAY || off->len != 2) {
            BML__ST_BAIL(BML_ERR_FORMAT, "%s: tensor '%s': entry needs dtype, shape and data_offsets [begin, end]",
                             path, e->key);
        }
        t->dtype_name = dt->str;
        if (!strcmp(dt->str, "F32")) { t->dtype = BML__F32; esize = 4; }
        else if (!strcmp(dt->str, "F16")) { t->dtype = BML__F16; esize = 2; }
        else if (!strcmp(dt->str, "BF16")) { t->dtype = BML__BF16; esize = 2; }
        else {
            static const struct { const char *n; size_t s; } other[] = {
                {"F64", 8}, {"I64", 8}, {"U64", 8}, {"I32", 4}, {"U32", 4}, {"I16", 2},
                {"U16", 2}, {"I8", 1}, {"U8", 1}, {"BOOL", 1}, {"F8_E4M3", 1}, {"F8_E5M2", 1}};
            esize = 0;
            for (k = 0; k < sizeof other / sizeof other[0]; k++)
                if (!strcmp(dt->str, other[k].n)) esize = other[k].s;
            if (!esize) {
                BML__ST_BAIL(BML_ERR_FORMAT, "%s: tensor '%s': unknown dtype '%s'", path, e->key, dt->str);
            }
            t->dtype = BML__DT_OTHER;
        }
        if (sh->len > 8) {
            BML__ST_BAIL(BML_ERR_FORMAT, "%s: tensor '%s': %zu dimensions (at most 8)", path, e->key, sh->len);
        }
        t->ndim = (int)sh->len;
        for (k = 0; k < sh->len; k++) {
            double d = sh->kids[k].num;
            if (sh->kids[k].type != BML_JSON_NUMBER || d < 0 || d != floor(d) || d > 9.0e15) {
                BML__ST_BAIL(BML_ERR_FORMAT, "%s: tensor '%s': shape[%zu] is not a non-negative integer", path,
                                 e->key, k);
            }
            t->shape[k] = (int64_t)d;
            if (!bml__mul_ok(elems, (size_t)d, &elems)) {
                BML__ST_BAIL(BML_ERR_FORMAT, "%s: tensor '%s': shape overflows the address space", path, e->key);
            }
        }
        if (!bml__mul_ok(elems, esize, &nbytes)) {
            BML__ST_BAIL(BML_ERR_FORMAT, "%s: tensor '%s': byte size overflows", path, e->key);
        }
        for (k = 0; k < 2; k++) {
            double d = off->kids[k].num;
            if (off->kids[k].type != BML_JSON_NUMBER || d < 0 || d != floor(d) || d > 9.0e18) {
                BML__ST_BAIL(BML_ERR_FORMAT, "%s: tensor '%s': data_offsets[%zu] is not a non-negative integer",
                                 path, e->key, k);
            }
        }
        t->begin = (size_t)off->kids[0].num;
        t->end = (size_t)off->kids[1].num;
        if (t->begin > t->end || t->end > st->data_len) {
            BML__ST_BAIL(BML_ERR_FORMAT,
                             "%s: tensor '%s': data_offsets [%zu, %zu] out of range (data buffer is %zu bytes)", path,
                             e->key, t->begin, t->end, st->data_len);
        }
        if (t->end - t->begin != nbytes) {
            BML__ST_BAIL(BML_ERR_FORMAT, "%s: tensor '%s': %zu bytes of data for a %s tensor of %zu elements (%zu bytes)",
                             path, e->key, t->end - t->begin, dt->str, elems, nbytes);
        }
        st->nt++;
    }
    /* no two tensors may share bytes */
    sorted = (bml__tensor *)bml__calloc(st->nt ? st->nt : 1, sizeof(bml__tensor));
    if (!sorted) BML__ST_BAIL(BML_ERR_NOMEM, "%s: out of memory", path);
    memcpy(sorted, st->t, st->nt * sizeof(bml__tensor));
    qsort(sorted, st->nt, sizeof(bml__tensor), bml__cmp_tensor_begin);
    for (i = 1; i < st->nt; i++) {
        if (sorted[i].begin < sorted[i - 1].end && sorted[i].begin != sorted[i].end &&
            sorted[i - 1].begin != sorted[i - 1].end) {
            bml_status s2 = bml__fail(BML_ERR_FORMAT, "%s: tensors '%s' [%zu, %zu] and '%s' [%zu, %zu] overlap", path,
                                      sorted[i - 1].name, sorted[i - 1].begin, sorted[i - 1].end, sorted[i].name,
                                      sorted[i].begin, sorted[i].end);
            BML_FREE(sorted);
            bml__st_close(st);
            return s2;
        }
    }
    BML_FREE(sorted);
    return BML_OK;
}

#undef BML__ST_BAIL

/* Find a tensor by name, with or without a "bert." prefix. */
static const bml__tensor *bml__st_find(const bml__st *st, const char *name) {
    size_t i;
    for (i = 0; i < st->nt; i++) {
        const char *n = st->t[i].name;
        if (!strncmp(n, "bert.", 5)) n += 5;
        if (!strcmp(n, name)) return &st->t[i];
    }
    return NULL;
}

static float bml__half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1F, man = h & 0x3FF, bits;
    float f;
    if (exp == 0) {
        /* zero or subnormal: man * 2^-24 */
        f = (float)man * (1.0f / 16777216.0f);
        return sign ? -f : f;
    }
    if (exp == 31) bits = sign | 0x7F800000u | (man << 13);
    else bits = sign | ((exp + 112) << 23) | (man << 13);
    memcpy(&f, &bits, 4);
    return f;
}

/* ======================================================================
   Model: config files, weights bound to the mapped safetensors
   ====================================================================== */

typedef struct bml__layer {
    const float *wq, *bq, *wk, *bk, *wv, *bv;   /* [H,H], [H]             */
    const float *wo, *bo, *ln1_g, *ln1_b;       /* [H,H], [H]             */
    const float *w1, *b1;                       /* [I,H], [I]             */
    const float *w2, *b2, *ln2_g, *ln2_b;       /* [H,I], [H]             */
} bml__layer;

/* The activation arena: one block, carved per batch shape (see bml__ws_plan). */
typedef struct bml__ws {
    float *buf;
    size_t cap;             /* floats                                      */
} bml__ws;

struct bml_model {
    bml_config cfg;
    char dtype[8];
    bml__st st;
    float **owned;          /* converted (F16/BF16) or realigned tensors    */
    size_t nowned;
    const float *word, *pos, *type, *ln0_g, *ln0_b;
    bml__layer *layer;
    bml_tokenizer *tok;
    bml__pool *pool;
    int threads;
    int deterministic;
    bml__ws ws;
    void *cl;               /* the OpenCL device state (BATCHML_OPENCL), or NULL */
};

BMLDEF const char *bml_pooling_name(bml_pooling p) {
    switch (p) {
    case BML_POOL_MEAN: return "mean";
    case BML_POOL_CLS: return "cls";
    case BML_POOL_MAX: return "max";
    case BML_POOL_MEAN_SQRT_LEN: return "mean_sqrt_len";
    }
    return "?";
}

BMLDEF const bml_config *bml_model_config(const bml_model *m) { return &m->cfg; }
BMLDEF const bml_tokenizer *bml_model_tokenizer(const bml_model *m) { return m->tok; }

/* Integer field of config.json within [lo, hi]. */
static bml_status bml__cfg_int(const bml_json *root, const char *path, const char *key, int lo, int hi, int dflt,
                               int *out) {
    const bml_json *v = bml_json_get(root, key);
    if (!v) {
        if (dflt >= 0) { *out = dflt; return BML_OK; }
        return bml__fail(BML_ERR_FORMAT, "%s: field '%s' is missing", path, key);
    }
    if (v->type != BML_JSON_NUMBER || v->num != floor(v->num) || v->num < lo || v->num > hi)
        return bml__fail(BML_ERR_FORMAT, "%s: field '%s' must be an integer in %d..%d", path, key, lo, hi);
    *out = (int)v->num;
    return BML_OK;
}

static bml_status bml__load_config(bml_model *m, const char *dir) {
    char path[4096];
    bml_json_doc *doc = NULL;
    const bml_json *root, *v;
    bml_config *c = &m->cfg;
    bml_status rc;
    bml__join(path, sizeof path, dir, "config.json");
    if ((rc = bml__json_file(path, 1 << 20, &doc)) != BML_OK) return rc;
    root = bml_json_root(doc);
    if (root->type != BML_JSON_OBJECT) { bml_json_free(doc); return bml__fail(BML_ERR_FORMAT, "%s: not a JSON object", path); }
    if ((rc = bml__cfg_int(root, path, "hidden_size", 1, 16384, -1, &c->hidden)) ||
        (rc = bml__cfg_int(root, path, "num_hidden_layers", 1, 256, -1, &c->layers)) ||
        (rc = bml__cfg_int(root, path, "num_attention_heads", 1, 1024, -1, &c->heads)) ||
        (rc = bml__cfg_int(root, path, "intermediate_size", 1, 65536, -1, &c->intermediate)) ||
        (rc = bml__cfg_int(root, path, "vocab_size", 1, 4000000, -1, &c->vocab)) ||
        (rc = bml__cfg_int(root, path, "max_position_embeddings", 1, 65536, -1, &c->max_position)) ||
        (rc = bml__cfg_int(root, path, "type_vocab_size", 1, 1024, 2, &c->type_vocab))) {
        bml_json_free(doc);
        return rc;
    }
    if (c->hidden % c->heads) {
        bml_json_free(doc);
        return bml__fail(BML_ERR_FORMAT, "%s: hidden_size %d is not divisible by num_attention_heads %d", path,
                         c->hidden, c->heads);
    }
    c->layer_norm_eps = 1e-12f;
    v = bml_json_get(root, "layer_norm_eps");
    if (v) {
        if (v->type != BML_JSON_NUMBER || !(v->num > 0) || v->num > 1) {
            bml_json_free(doc);
            return bml__fail(BML_ERR_FORMAT, "%s: field 'layer_norm_eps' must be a number in (0, 1]", path);
        }
        c->layer_norm_eps = (float)v->num;
    }
    v = bml_json_get(root, "hidden_act");
    if (v && (v->type != BML_JSON_STRING || strcmp(v->str, "gelu") != 0)) {
        bml_status s2 = bml__fail(BML_ERR_UNSUPPORTED, "%s: hidden_act '%s' is not supported (only \"gelu\", exact erf)",
                                  path, v->type == BML_JSON_STRING ? v->str : "?");
        bml_json_free(doc);
        return s2;
    }
    v = bml_json_get(root, "position_embedding_type");
    if (v && (v->type != BML_JSON_STRING || strcmp(v->str, "absolute") != 0)) {
        bml_json_free(doc);
        return bml__fail(BML_ERR_UNSUPPORTED, "%s: position_embedding_type must be \"absolute\"", path);
    }
    bml_json_free(doc);
    return BML_OK;
}

/* modules.json (Normalize? where is Pooling?), the pooling config and
   sentence_bert_config.json. A plain BERT directory without them gets mean
   pooling, no normalization and max length 256, with a log line. */
static bml_status bml__load_st_config(bml_model *m, const char *dir, int want_max_len) {
    char path[4096], pool_dir[1024] = "1_Pooling";
    bml_json_doc *doc = NULL;
    const bml_json *root, *v;
    bml_config *c = &m->cfg;
    bml_status rc;
    FILE *probe;
    size_t i;
    int n_modes = 0, msl = 256;
    c->pooling = BML_POOL_MEAN;
    c->normalize = 0;
    bml__join(path, sizeof path, dir, "modules.json");
    if ((probe = fopen(path, "rb")) != NULL) {
        fclose(probe);
        if ((rc = bml__json_file(path, 1 << 20, &doc)) != BML_OK) return rc;
        root = bml_json_root(doc);
        if (root->type != BML_JSON_ARRAY) { bml_json_free(doc); return bml__fail(BML_ERR_FORMAT, "%s: not a JSON array", path); }
        for (i = 0; i < root->len; i++) {
            const bml_json *t = bml_json_get(&root->kids[i], "type"), *p = bml_json_get(&root->kids[i], "path");
            if (!t || t->type != BML_JSON_STRING) {
                bml_json_free(doc);
                return bml__fail(BML_ERR_FORMAT, "%s: module %zu has no \"type\" string", path, i);
            }
            if (strstr(t->str, "Normalize")) c->normalize = 1;
            if (strstr(t->str, "Pooling") && p && p->type == BML_JSON_STRING) {
                if (strstr(p->str, "..") || p->str[0] == '/' || p->len >= sizeof pool_dir) {
                    bml_json_free(doc);
                    return bml__fail(BML_ERR_FORMAT, "%s: module %zu: bad path '%s'", path, i, p->str);
                }
                memcpy(pool_dir, p->str, p->len + 1);
            }
        }
        bml_json_free(doc);
        doc = NULL;
    } else {
        bml__log(BML_LOG_WARN, "%s: no modules.json: mean pooling, no normalization", dir);
    }
    {
        char sub[2048];
        snprintf(sub, sizeof sub, "%s/config.json", pool_dir);
        bml__join(path, sizeof path, dir, sub);
    }
    if ((probe = fopen(path, "rb")) != NULL) {
        static const struct { const char *key; bml_pooling p; } modes[] = {
            {"pooling_mode_mean_tokens", BML_POOL_MEAN}, {"pooling_mode_cls_token", BML_POOL_CLS},
            {"pooling_mode_max_tokens", BML_POOL_MAX}, {"pooling_mode_mean_sqrt_len_tokens", BML_POOL_MEAN_SQRT_LEN}};
        static const char *unsupported[] = {"pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"};
        fclose(probe);
        if ((rc = bml__json_file(path, 1 << 20, &doc)) != BML_OK) return rc;
        root = bml_json_root(doc);
        for (i = 0; i < 4; i++) {
            v = bml_json_get(root, modes[i].key);
            if (v && v->type == BML_JSON_TRUE) { c->pooling = modes[i].p; n_modes++; }
            else if (v && v->type != BML_JSON_FALSE) {
                bml_json_free(doc);
                return bml__fail(BML_ERR_FORMAT, "%s: field '%s' must be true or false", path, modes[i].key);
            }
        }
        for (i = 0; i < 2; i++) {
            v = bml_json_get(root, unsupported[i]);
            if (v && v->type == BML_JSON_TRUE) {
                bml_json_free(doc);
                return bml__fail(BML_ERR_UNSUPPORTED, "%s: '%s' is not supported", path, unsupported[i]);
            }
        }
        v = bml_json_get(root, "word_embedding_dimension");
        if (v && (v->type != BML_JSON_NUMBER || (int)v->num != c->hidden)) {
            bml_json_free(doc);
            return bml__fail(BML_ERR_FORMAT, "%s: word_embedding_dimension does not match hidden_size %d", path, c->hidden);
        }
        bml_json_free(doc);
        doc = NULL;
        if (n_modes != 1)
            return bml__fail(BML_ERR_UNSUPPORTED, "%s: exactly one pooling mode must be true (found %d)", path, n_modes);
    }
    bml__join(path, sizeof path, dir, "sentence_bert_config.json");
    if ((probe = fopen(path, "rb")) != NULL) {
        fclose(probe);
        if ((rc = bml__json_file(path, 1 << 20, &doc)) != BML_OK) return rc;
        rc = bml__cfg_int(bml_json_root(doc), path, "max_seq_length", 1, 1 << 20, 256, &msl);
        bml_json_free(doc);
        if (rc) return rc;
    }
    if (want_max_len > 0) msl = want_max_len;
    c->max_seq_len = msl < c->max_position ? msl : c->max_position;
    return BML_OK;
}

static void bml__bf16_to_f32(const unsigned char *src, float *dst, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        uint32_t bits = ((uint32_t)src[2 * i] | ((uint32_t)src[2 * i + 1] << 8)) << 16;
        memcpy(&dst[i], &bits, 4);
    }
}

/* Bind a weight: check presence, dtype and shape, convert when needed, and
   refuse NaN/Inf values. d1 = 0 for a vector. */
static bml_status bml__bind(bml_model *m, const char *name, int64_t d0, int64_t d1, const float **out) {
    const bml__tensor *t = bml__st_find(&m->st, name);
    size_t n, i;
    const unsigned char *src;
    float *dst;
    int ndim = d1 ? 2 : 1;
    if (!t) return bml__fail(BML_ERR_FORMAT, "%s: tensor '%s' is missing", m->st.path, name);
    if (t->ndim != ndim || t->shape[0] != d0 || (ndim == 2 && t->shape[1] != d1)) {
        char got[128] = "[";
        int k;
        for (k = 0; k < t->ndim && strlen(got) < 100; k++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", k ? ", " : "", (long long)t->shape[k]);
        strcat(got, "]");
        if (ndim == 2)
            return bml__fail(BML_ERR_SHAPE, "%s: tensor '%s': expected shape [%lld, %lld], found %s", m->st.path, name,
                             (long long)d0, (long long)d1, got);
        return bml__fail(BML_ERR_SHAPE, "%s: tensor '%s': expected shape [%lld], found %s", m->st.path, name,
                         (long long)d0, got);
    }
    if (t->dtype == BML__DT_OTHER)
        return bml__fail(BML_ERR_UNSUPPORTED, "%s: tensor '%s': dtype %s is not supported (F32, F16, BF16)", m->st.path,
                         name, t->dtype_name);
    n = (size_t)d0 * (size_t)(d1 ? d1 : 1);
    src = m->st.data + t->begin;
    if (t->dtype == BML__F32 && ((uintptr_t)src & 3) == 0) {
        dst = NULL;
        *out = (const float *)src;
    } else {
        float **no = (float **)BML_REALLOC(m->owned, (m->nowned + 1) * sizeof(float *));
        if (!no) return bml__fail(BML_ERR_NOMEM, "out of memory converting '%s'", name);
        m->owned = no;
        dst = (float *)BML_MALLOC(n * sizeof(float) + 1);
        if (!dst) return bml__fail(BML_ERR_NOMEM, "out of memory converting '%s' (%zu values)", name, n);
        m->owned[m->nowned++] = dst;
        if (t->dtype == BML__F32) memcpy(dst, src, n * 4);
        else if (t->dtype == BML__BF16) bml__bf16_to_f32(src, dst, n);
        else for (i = 0; i < n; i++) dst[i] = bml__half_to_float((uint16_t)(src[2 * i] | (src[2 * i + 1] << 8)));
        *out = dst;
    }
    for (i = 0; i < n; i++)
        if (!isfinite((*out)[i]))
            return bml__fail(BML_ERR_FORMAT, "%s: tensor '%s': element %zu is %s", m->st.path, name, i,
                             isnan((*out)[i]) ? "NaN" : "infinite");
    if (!m->dtype[0]) snprintf(m->dtype, sizeof m->dtype, "%s", t->dtype_name);
    m->cfg.n_params += n;
    return BML_OK;
}

static bml_status bml__bind_weights(bml_model *m) {
    const bml_config *c = &m->cfg;
    int64_t H = c->hidden, I = c->intermediate;
    char nm[160];
    int l;
    bml_status rc;
    if ((rc = bml__bind(m, "embeddings.word_embeddings.weight", c->vocab, H, &m->word)) ||
        (rc = bml__bind(m, "embeddings.position_embeddings.weight", c->max_position, H, &m->pos)) ||
        (rc = bml__bind(m, "embeddings.token_type_embeddings.weight", c->type_vocab, H, &m->type)) ||
        (rc = bml__bind(m, "embeddings.LayerNorm.weight", H, 0, &m->ln0_g)) ||
        (rc = bml__bind(m, "embeddings.LayerNorm.bias", H, 0, &m->ln0_b)))
        return rc;
    m->layer = (bml__layer *)bml__calloc((size_t)c->layers, sizeof(bml__layer));
    if (!m->layer) return bml__fail(BML_ERR_NOMEM, "out of memory");
    for (l = 0; l < c->layers; l++) {
        bml__layer *L = &m->layer[l];
#define BML__W(field, suffix, d0, d1)                                                  \
    snprintf(nm, sizeof nm, "encoder.layer.%d.%s", l, suffix);                      \
    if ((rc = bml__bind(m, nm, d0, d1, &L->field)) != BML_OK) return rc;
        BML__W(wq, "attention.self.query.weight", H, H)
        BML__W(bq, "attention.self.query.bias", H, 0)
        BML__W(wk, "attention.self.key.weight", H, H)
        BML__W(bk, "attention.self.key.bias", H, 0)
        BML__W(wv, "attention.self.value.weight", H, H)
        BML__W(bv, "attention.self.value.bias", H, 0)
        BML__W(wo, "attention.output.dense.weight", H, H)
        BML__W(bo, "attention.output.dense.bias", H, 0)
        BML__W(ln1_g, "attention.output.LayerNorm.weight", H, 0)
        BML__W(ln1_b, "attention.output.LayerNorm.bias", H, 0)
        BML__W(w1, "intermediate.dense.weight", I, H)
        BML__W(b1, "intermediate.dense.bias", I, 0)
        BML__W(w2, "output.dense.weight", H, I)
        BML__W(b2, "output.dense.bias", H, 0)
        BML__W(ln2_g, "output.LayerNorm.weight", H, 0)
        BML__W(ln2_b, "output.LayerNorm.bias", H, 0)
#undef BML__W
    }
    m->cfg.dtype = m->dtype;
    return BML_OK;
}

/* ======================================================================
   GEMM: OpenBLAS sgemm, or a fixed-order kernel (deterministic mode and
   BATCHML_NO_BLAS) whose every output element is computed the same way
   whatever M, the block it lands in or the thread that computes it.
   ====================================================================== */
#ifndef BATCHML_NO_BLAS
/* The few OpenBLAS entry points used, declared under private names bound
   to the library's symbols: <cblas.h> would drag <complex.h> (and its
   macro `I`) into the host's translation unit. CBLAS enums are ints. */
#define BML__CBLAS_ROW_MAJOR 101
#define BML__CBLAS_NO_TRANS 111
#define BML__CBLAS_TRANS 112
extern void bml__cblas_sgemm(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                             const float *b, int ldb, float beta, float *c, int ldc) __asm__("cblas_sgemm");
extern char *bml__openblas_get_config(void) __asm__("openblas_get_config");
extern char *bml__openblas_get_corename(void) __asm__("openblas_get_corename");
extern void bml__openblas_set_num_threads(int n) __asm__("openblas_set_num_threads");
#endif

#define BML__LANES 16

/* Fixed-order dot product: 16 independent lanes, then a fixed tree. */
static float bml__dot(const float *a, const float *b, int K) {
    float acc[BML__LANES] = {0}, s;
    int k = 0, l;
    for (; k + BML__LANES <= K; k += BML__LANES)
        for (l = 0; l < BML__LANES; l++) acc[l] += a[k + l] * b[k + l];
    for (l = 0; k < K; k++, l++) acc[l] += a[k] * b[k];
    for (l = BML__LANES / 2; l > 0; l /= 2) {
        int j;
        for (j = 0; j < l; j++) acc[j] += acc[j + l];
    }
    s = acc[0];
    return s;
}

/* C[M,N] = alpha * op(A) . op(B) + beta * C, row-major with leading
   dimensions; op(A) = A [M,K] (ta = 0) or A^T for A stored [K,M] (ta = 1);
   op(B) = B^T for B stored [N,K] (tb = 1), B for [K,N] (tb = 0). */
static void bml__gemm_ref(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                          int ldb, float beta, float *C, int ldc) {
    int i, j, k;
    for (i = 0; i < M; i++) {
        float *c = C + (size_t)i * ldc;
        if (!ta && tb) {
            const float *a = A + (size_t)i * lda;
            for (j = 0; j < N; j++) {
                float d = alpha * bml__dot(a, B + (size_t)j * ldb, K);
                c[j] = beta == 0.0f ? d : beta * c[j] + d;
            }
            continue;
        }
        if (beta == 0.0f) for (j = 0; j < N; j++) c[j] = 0.0f;
        else if (beta != 1.0f) for (j = 0; j < N; j++) c[j] *= beta;
        for (k = 0; k < K; k++) {
            float s = alpha * (ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k]);
            if (tb) for (j = 0; j < N; j++) c[j] += s * B[(size_t)j * ldb + k];
            else {
                const float *b = B + (size_t)k * ldb;
                for (j = 0; j < N; j++) c[j] += s * b[j];
            }
        }
    }
}

static void bml__gemm(int det, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                      const float *B, int ldb, float beta, float *C, int ldc) {
    if (M <= 0 || N <= 0) return;
#ifndef BATCHML_NO_BLAS
    if (!det && K > 0) {
        bml__cblas_sgemm(BML__CBLAS_ROW_MAJOR, ta ? BML__CBLAS_TRANS : BML__CBLAS_NO_TRANS,
                         tb ? BML__CBLAS_TRANS : BML__CBLAS_NO_TRANS, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
#endif
    (void)det;
    bml__gemm_ref(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

BMLDEF const char *bml_blas_info(void) {
#ifdef BATCHML_NO_BLAS
    return "built-in GEMM (BATCHML_NO_BLAS)";
#else
    static char info[160];
    const char *cfg = bml__openblas_get_config(), *core = bml__openblas_get_corename();
    snprintf(info, sizeof info, "%s, kernels %s", cfg ? cfg : "OpenBLAS", core ? core : "?");
    return info;
#endif
}

BMLDEF int bml_blas_check(char *want, size_t cap) {
#if !defined(BATCHML_NO_BLAS) && defined(__x86_64__) && defined(__GNUC__)
    const char *core = bml__openblas_get_corename();
    static const char *avx512[] = {"SkylakeX", "Cooperlake", "SapphireRapids"};
    size_t i;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw") ||
        !__builtin_cpu_supports("avx512vl") || !__builtin_cpu_supports("avx512dq"))
        return 0;
    if (!core) return -1;
    for (i = 0; i < sizeof avx512 / sizeof avx512[0]; i++)
        if (!strcmp(core, avx512[i])) return 0;
    if (want && cap) snprintf(want, cap, "SkylakeX");
    return 1;
#else
    (void)want;
    (void)cap;
    return -1;
#endif
}

BMLDEF void bml_blas_reexec(char **argv) {
    char want[32];
    const char *cur = getenv("OPENBLAS_CORETYPE");
    if (getenv("BATCHML_NO_REEXEC")) return;
    if (bml_blas_check(want, sizeof want) != 1) return;
    if (cur && !strcmp(cur, want)) return; /* asked for already, not granted: no loop */
    if (setenv("OPENBLAS_CORETYPE", want, 1) != 0) return;
    execv("/proc/self/exe", argv);
    /* exec failed: go on with the kernels we have */
}

/* ======================================================================
   Forward pass. Tokens of all sequences in a batch are packed into one
   token-major matrix [T, H] (T = sum of lengths, no padding) for the
   dense layers; attention runs per sequence and head on its true length.
   ====================================================================== */

/* What one layer's backward pass needs from its forward pass (grad mode). */
typedef struct bml__saved {
    float *q, *k, *v;           /* [T,H]                                   */
    float *P;                   /* attention probabilities, per (seq, head) [L,L] at poff[s] + h*L*L */
    float *xhat1, *rstd1;       /* LN1 normalized input [T,H], 1/std [T]    */
    float *u;                   /* FFN pre-activation [T,I]                 */
    float *xhat2, *rstd2;       /* LN2 [T,H], [T]                           */
} bml__saved;

/* One forward (and, in grad mode, backward) job: the packed batch and the
   arena carved for it. */
typedef struct bml__fwd {
    bml_model *m;
    size_t nseq, T, maxL, sumP;
    const int32_t *const *ids;  /* ids[s][0..len[s])                       */
    const size_t *len;
    const float *alpha;         /* [nseq] scale of the word embeddings (integrated gradients); NULL = 1 */
    size_t *start;              /* [nseq] first token of each sequence      */
    size_t *poff;               /* [nseq] offset of each sequence's attention probabilities */
    float *x;                   /* [T,H]  residual stream                   */
    float *q, *k, *v, *ctx;     /* [T,H]  (grad mode: dq, dk, dv, dctx)     */
    float *tmp;                 /* [T,H]  attention / FFN output            */
    float *ffn;                 /* [T,I]  gelu(u) (grad mode: d gelu)       */
    float *scratch;             /* [threads, scratch_per] per-worker scratch */
    size_t scratch_per;
    float *out;                 /* [nseq,H] pooled (normalized) embeddings  */
    /* grad mode */
    bml__saved *save;           /* [layers] or NULL (forward only)           */
    float *xhat0, *rstd0;       /* embedding LayerNorm [T,H], [T]           */
    float *pooled;              /* [nseq,H] pooled, before normalization     */
    float *dx;                  /* [T,H]  gradient of the residual stream    */
    /* the current layer, for the parallel tasks */
    const float *X, *W, *b;
    float *Y;
    int K, N, M, split_rows, nsplit, accumulate;
    const float *ln_g, *ln_b;   /* the current LayerNorm                   */
    float *ln_xhat, *ln_rstd;   /* where it saves (grad mode) or NULL      */
    float *lq, *lk, *lv, *lP;   /* the current layer's q, k, v, P (NULL: scratch) */
    const float *gelu_in;       /* u                                        */
} bml__fwd;

static size_t bml__align16(size_t n) { return (n + 15) & ~(size_t)15; }

#ifdef BATCHML_OPENCL
/* The device path (parts/opencl_impl.h): the same job on an OpenCL device.
   bml__cl_forward_job fills f->out (and keeps what backward needs on the
   device); bml__cl_backward reads df/de from f->tmp [nseq,H] and fills
   f->dx [T,H] on the host, exactly like the CPU path. */
static bml_status bml__cl_init(bml_model *m, const char *device);
static void bml__cl_free(bml_model *m);
static bml_status bml__cl_forward_job(bml__fwd *f, int grad);
static bml_status bml__cl_backward(bml__fwd *f);
#endif

/* Scratch floats one attention task needs: scores [L,L] + K^T [d,L]
   (backward: dP [L,L] too). */
static size_t bml__attn_scratch(size_t maxL, int d) { return bml__align16(2 * maxL * maxL + (size_t)d * maxL); }

/* Floats of the forward-only arena for a batch shape: one formula, defined in
   parts/tuning_impl.h (bml_activation_bytes and the tuner use it too). */
static size_t bml__ws_floats(const bml_config *c, size_t threads, size_t T, size_t nseq, size_t maxL,
                             size_t *scratch_per);

/* Carve the arena for a batch shape (and mode), growing it only when needed.
   Forward only: every layer shares one set of buffers. Grad mode adds what
   each layer's backward needs (bml__saved) and the gradient stream. */
static bml_status bml__ws_plan(bml__fwd *f, int grad) {
    bml_model *m = f->m;
    size_t H = (size_t)m->cfg.hidden, I = (size_t)m->cfg.intermediate, T = f->T, A = (size_t)m->cfg.heads;
    size_t need = 0, off = 0, th = (size_t)m->threads, s, l, nL = (size_t)m->cfg.layers;
    size_t per_layer = 5 * bml__align16(T * H) + bml__align16(f->sumP * A) + 2 * bml__align16(T) + bml__align16(T * I);
    size_t idx_floats = bml__align16((2 * f->nseq * sizeof(size_t) + 3) / 4);
    size_t save_floats = bml__align16((nL * sizeof(bml__saved) + 3) / 4);
    need = bml__ws_floats(&m->cfg, th, T, f->nseq, f->maxL, &f->scratch_per);
    if (grad)
        need += save_floats + nL * per_layer + bml__align16(T * H) + bml__align16(T) + 2 * bml__align16(f->nseq * H) +
                bml__align16(T * H);
    if (need > m->ws.cap) {
        float *nb;
        /* grow by at least half, so batches of rising length (the usual
           sorted order) reallocate a handful of times, not every batch */
        if (need < m->ws.cap + m->ws.cap / 2) need = m->ws.cap + m->ws.cap / 2;
        BML_FREE(m->ws.buf);
        m->ws.buf = NULL;
        m->ws.cap = 0;
        nb = (float *)BML_MALLOC(need * sizeof(float) + 64);
        if (!nb) return bml__fail(BML_ERR_NOMEM, "out of memory for the activation arena (%zu MiB for %zu tokens)",
                                  need * 4 >> 20, T);
        m->ws.buf = nb;
        m->ws.cap = need;
    }
#define BML__CARVE(ptr, n) do { (ptr) = m->ws.buf + off; off += bml__align16(n); } while (0)
    BML__CARVE(f->x, T * H);
    BML__CARVE(f->q, T * H);
    BML__CARVE(f->k, T * H);
    BML__CARVE(f->v, T * H);
    BML__CARVE(f->ctx, T * H);
    BML__CARVE(f->tmp, T * H);
    BML__CARVE(f->ffn, T * I);
    BML__CARVE(f->scratch, th * f->scratch_per);
    f->start = (size_t *)(void *)(m->ws.buf + off);
    f->poff = f->start + f->nseq;
    off += idx_floats;
    for (s = 0; s < f->nseq; s++) {
        f->start[s] = s ? f->start[s - 1] + f->len[s - 1] : 0;
        f->poff[s] = s ? f->poff[s - 1] + A * f->len[s - 1] * f->len[s - 1] : 0;
    }
    f->save = NULL;
    if (grad) {
        f->save = (bml__saved *)(void *)(m->ws.buf + off);
        off += save_floats;
        for (l = 0; l < nL; l++) {
            bml__saved *sv = &f->save[l];
            BML__CARVE(sv->q, T * H);
            BML__CARVE(sv->k, T * H);
            BML__CARVE(sv->v, T * H);
            BML__CARVE(sv->P, f->sumP * A);
            BML__CARVE(sv->xhat1, T * H);
            BML__CARVE(sv->rstd1, T);
            BML__CARVE(sv->u, T * I);
            BML__CARVE(sv->xhat2, T * H);
            BML__CARVE(sv->rstd2, T);
        }
        BML__CARVE(f->xhat0, T * H);
        BML__CARVE(f->rstd0, T);
        BML__CARVE(f->pooled, f->nseq * H);
        BML__CARVE(f->dx, T * H);
        off += bml__align16(f->nseq * H);
    }
#undef BML__CARVE
    BML_ASSERT(off <= m->ws.cap);
    return BML_OK;
}

/* Sum of n floats in 16 fixed lanes (vectorizes; same order every time). */
static float bml__sum(const float *x, int n) {
    float acc[BML__LANES] = {0};
    int k = 0, l;
    for (; k + BML__LANES <= n; k += BML__LANES)
        for (l = 0; l < BML__LANES; l++) acc[l] += x[k + l];
    for (l = 0; k < n; k++, l++) acc[l] += x[k];
    for (l = BML__LANES / 2; l > 0; l /= 2) {
        int j;
        for (j = 0; j < l; j++) acc[j] += acc[j + l];
    }
    return acc[0];
}

/* LayerNorm of one row: out = xhat * g + b, xhat = (in - mean) / sqrt(var + eps).
   xhat [H] receives the normalized row (scratch or the saved activation);
   *rstd (if not NULL) receives 1 / sqrt(var + eps). */
static void bml__layernorm_fwd(const float *in, const float *g, const float *b, float *out, int H, float eps,
                               float *xhat, float *rstd_out) {
    float mean, rstd;
    int i;
    mean = bml__sum(in, H) / (float)H;
    for (i = 0; i < H; i++) xhat[i] = in[i] - mean;
    for (i = 0; i < H; i++) out[i] = xhat[i] * xhat[i];
    rstd = 1.0f / sqrtf(bml__sum(out, H) / (float)H + eps);
    for (i = 0; i < H; i++) xhat[i] *= rstd;
    for (i = 0; i < H; i++) out[i] = xhat[i] * g[i] + b[i];
    if (rstd_out) *rstd_out = rstd;
}

/* dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = dy * g.
   dy and dx may be the same row; tmp holds H floats. */
static void bml__layernorm_bwd(const float *dy, const float *g, const float *xhat, float rstd, float *dx, int H,
                               float *tmp) {
    float m1, m2;
    int i;
    for (i = 0; i < H; i++) tmp[i] = dy[i] * g[i];
    m1 = bml__sum(tmp, H) / (float)H;
    for (i = 0; i < H; i++) dx[i] = tmp[i] * xhat[i];
    m2 = bml__sum(dx, H) / (float)H;
    for (i = 0; i < H; i++) dx[i] = rstd * (tmp[i] - m1 - xhat[i] * m2);
}

/* erf for float: a rational approximation on [-4, 4] (|error| < 5e-7),
   branch-free so the GELU loop vectorizes. */
static float bml__erf(float x) {
    float x2, p, q;
    x = x > 4.0f ? 4.0f : (x < -4.0f ? -4.0f : x);
    x2 = x * x;
    p = -2.72614225801306e-10f;
    p = p * x2 + 2.77068142495902e-08f;
    p = p * x2 + -2.10102402082508e-06f;
    p = p * x2 + -5.69250639462346e-05f;
    p = p * x2 + -7.34990630326855e-04f;
    p = p * x2 + -2.95459980854025e-03f;
    p = p * x2 + -1.60960333262415e-02f;
    q = -1.45660718464996e-05f;
    q = q * x2 + -2.13374055278905e-04f;
    q = q * x2 + -1.68282697438203e-03f;
    q = q * x2 + -7.37332916720468e-03f;
    q = q * x2 + -1.42647390514189e-02f;
    return x * p / q;
}

/* Split `n` items into `parts` near-equal ranges; range i is [*a, *b). */
static void bml__range(size_t n, size_t parts, size_t i, size_t *a, size_t *b) {
    *a = n * i / parts;
    *b = n * (i + 1) / parts;
}

/* Y[M,N] = X[M,K] . W^T + b, W stored [N,K] (forward), or
   Y[M,N] (+)= X[M,K] . W, W stored [K,N] (backward: b = NULL; accumulate
   adds to Y). In row blocks (or column blocks when there are few rows)
   across the pool. */
static void bml__linear_task(void *ctx, size_t task, int worker) {
    bml__fwd *f = (bml__fwd *)ctx;
    size_t a, b, r;
    int det = f->m->deterministic, bwd = f->b == NULL;
    float beta = f->b || f->accumulate ? 1.0f : 0.0f;
    (void)worker;
    if (f->split_rows) {
        bml__range((size_t)f->M, (size_t)f->nsplit, task, &a, &b);
        if (f->b) for (r = a; r < b; r++) memcpy(f->Y + r * f->N, f->b, (size_t)f->N * sizeof(float));
        bml__gemm(det, 0, !bwd, (int)(b - a), f->N, f->K, 1.0f, f->X + a * f->K, f->K, f->W, bwd ? f->N : f->K, beta,
                  f->Y + a * f->N, f->N);
    } else {
        size_t n16 = ((size_t)f->N + 15) / 16;
        bml__range(n16, (size_t)f->nsplit, task, &a, &b);
        a *= 16;
        b *= 16;
        if (b > (size_t)f->N) b = (size_t)f->N;
        if (a >= b) return;
        if (f->b) for (r = 0; r < (size_t)f->M; r++) memcpy(f->Y + r * f->N + a, f->b + a, (b - a) * sizeof(float));
        bml__gemm(det, 0, !bwd, f->M, (int)(b - a), f->K, 1.0f, f->X, f->K, bwd ? f->W + a : f->W + a * f->K,
                  bwd ? f->N : f->K, beta, f->Y + a, f->N);
    }
}

static void bml__linear_run(bml__fwd *f, const float *X, int M, int K, const float *W, const float *b, int N, float *Y,
                            int accumulate) {
    int th = f->m->threads;
    f->X = X; f->W = W; f->b = b; f->Y = Y; f->M = M; f->K = K; f->N = N; f->accumulate = accumulate;
    f->split_rows = M >= 32 * th || th == 1;
    f->nsplit = th;
    if (f->split_rows && M < th) f->nsplit = M;
    bml__pool_run(f->m->pool, (size_t)f->nsplit, bml__linear_task, f);
}

/* Y[M,N] = X[M,K] . W[N,K]^T + b                       (a dense layer)   */
static void bml__linear(bml__fwd *f, const float *X, int M, int K, const float *W, const float *b, int N, float *Y) {
    bml__linear_run(f, X, M, K, W, b, N, Y, 0);
}

/* dX[M,K] (+)= dY[M,N] . W[N,K]                    (its input gradient) */
static void bml__linear_bwd(bml__fwd *f, const float *dY, int M, int N, const float *W, int K, float *dX, int accumulate) {
    bml__linear_run(f, dY, M, N, W, NULL, K, dX, accumulate);
}

/* x[t] = LayerNorm(alpha * word[id] + pos[p] + type[0]) for every token. */
static void bml__embed_task(void *ctx, size_t s, int worker) {
    bml__fwd *f = (bml__fwd *)ctx;
    bml_model *m = f->m;
    int H = m->cfg.hidden;
    float a = f->alpha ? f->alpha[s] : 1.0f;
    size_t p;
    for (p = 0; p < f->len[s]; p++) {
        size_t t = f->start[s] + p;
        float *x = f->x + t * H;
        const float *w = m->word + (size_t)f->ids[s][p] * H, *ps = m->pos + p * H;
        int i;
        for (i = 0; i < H; i++) x[i] = a * w[i] + ps[i] + m->type[i];
        bml__layernorm_fwd(x, m->ln0_g, m->ln0_b, x, H, m->cfg.layer_norm_eps,
                           f->xhat0 ? f->xhat0 + t * H : f->scratch + (size_t)worker * f->scratch_per,
                           f->rstd0 ? f->rstd0 + t : NULL);
    }
}

/* exp for float, branch-free so softmax loops vectorize: 2^n * e^r with
   |r| <= ln2/2 and a degree-6 polynomial (relative error ~1e-7). Inputs
   below -87 give ~0, as they should in a softmax. */
static float bml__exp(float x) {
    float n, r, p, scale;
    int32_t bits;
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f; /* round to nearest */
    r = x - n * 0.693359375f + n * 2.12194440e-4f;
    p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    bits = ((int32_t)n + 127) * (1 << 23);
    memcpy(&scale, &bits, 4);
    return p * scale;
}

/* Softmax of each of the rows of S[rows, L], in place. */
static void bml__softmax_rows(float *S, int rows, int L) {
    int i, j;
    for (i = 0; i < rows; i++) {
        float *row = S + (size_t)i * L, mx = row[0], sum = 0;
        for (j = 1; j < L; j++) mx = row[j] > mx ? row[j] : mx;
        for (j = 0; j < L; j++) { row[j] = bml__exp(row[j] - mx); sum += row[j]; }
        sum = 1.0f / sum;
        for (j = 0; j < L; j++) row[j] *= sum;
    }
}

/* Self-attention of one (sequence, head): ctx = softmax(q k^T / sqrt(d)) v.
   q, k, v, ctx are [L, d] slices of the packed [T, H] matrices; P [L,L] is
   kept (grad mode) or scratch. sgemm (its small-matrix kernels) is fastest
   even at L = 16; the deterministic mode uses the fixed-order kernel on a
   transposed copy of k, so that both products vectorize along rows. */
static void bml__attn_task(void *ctx, size_t task, int worker) {
    bml__fwd *f = (bml__fwd *)ctx;
    bml_model *m = f->m;
    int H = m->cfg.hidden, A = m->cfg.heads, d = H / A;
    size_t s = task / (size_t)A, h = task % (size_t)A, t0 = f->start[s];
    int L = (int)f->len[s], i, c, det = m->deterministic;
    float *W = f->scratch + (size_t)worker * f->scratch_per, *Kt = W + (size_t)L * L;
    float *S = f->lP ? f->lP + f->poff[s] + h * (size_t)L * L : W;
    size_t off = t0 * H + h * d;
    float scale = 1.0f / sqrtf((float)d);
    if (det) {
        for (i = 0; i < L; i++)
            for (c = 0; c < d; c++) Kt[(size_t)c * L + i] = f->lk[off + (size_t)i * H + c];
        bml__gemm_ref(0, 0, L, L, d, scale, f->lq + off, H, Kt, L, 0.0f, S, L);     /* S = q k^T / sqrt(d)  [L,L] */
    } else {
        bml__gemm(0, 0, 1, L, L, d, scale, f->lq + off, H, f->lk + off, H, 0.0f, S, L);
    }
    bml__softmax_rows(S, L, L);                                                   /* P = softmax(S)       [L,L] */
    bml__gemm(det, 0, 0, L, d, L, 1.0f, S, L, f->lv + off, H, 0.0f, f->ctx + off, H); /* ctx = P v          [L,d] */
}

/* Backward of one (sequence, head), given dctx [L,d] (in f->ctx):
     dP = dctx v^T;  dS = P * (dP - rowsum(dP * P)) / sqrt(d)
     dq = dS k;  dk = dS^T q;  dv = P^T dctx
   into f->q, f->k, f->v (the gradient buffers in grad mode). */
static void bml__attn_bwd_task(void *ctx, size_t task, int worker) {
    bml__fwd *f = (bml__fwd *)ctx;
    bml_model *m = f->m;
    int H = m->cfg.hidden, A = m->cfg.heads, d = H / A;
    size_t s = task / (size_t)A, h = task % (size_t)A, t0 = f->start[s];
    int L = (int)f->len[s], i, j, det = m->deterministic;
    float *dP = f->scratch + (size_t)worker * f->scratch_per;
    const float *P = f->lP + f->poff[s] + h * (size_t)L * L;
    size_t off = t0 * H + h * d;
    float scale = 1.0f / sqrtf((float)d);
    bml__gemm(det, 0, 1, L, L, d, 1.0f, f->ctx + off, H, f->lv + off, H, 0.0f, dP, L);  /* dP = dctx v^T   [L,L] */
    for (i = 0; i < L; i++) {
        float *row = dP + (size_t)i * L, dot = 0;
        const float *p = P + (size_t)i * L;
        for (j = 0; j < L; j++) dot += row[j] * p[j];
        for (j = 0; j < L; j++) row[j] = p[j] * (row[j] - dot) * scale;            /* dS            [L,L] */
    }
    bml__gemm(det, 0, 0, L, d, L, 1.0f, dP, L, f->lk + off, H, 0.0f, f->q + off, H);  /* dq = dS k      [L,d] */
    bml__gemm(det, 1, 0, L, d, L, 1.0f, dP, L, f->lq + off, H, 0.0f, f->k + off, H);  /* dk = dS^T q    [L,d] */
    bml__gemm(det, 1, 0, L, d, L, 1.0f, P, L, f->ctx + off, H, 0.0f, f->v + off, H);  /* dv = P^T dctx  [L,d] */
}

/* x = LayerNorm(tmp + x) row by row (the post-LN residual). */
static void bml__add_ln_task(void *ctx, size_t task, int worker) {
    bml__fwd *f = (bml__fwd *)ctx;
    int H = f->m->cfg.hidden, i;
    size_t a, b, t;
    float *scratch = f->scratch + (size_t)worker * f->scratch_per;
    bml__range(f->T, (size_t)f->m->threads, task, &a, &b);
    for (t = a; t < b; t++) {
        float *x = f->x + t * H;
        const float *y = f->tmp + t * H;
        for (i = 0; i < H; i++) x[i] += y[i];
        bml__layernorm_fwd(x, f->ln_g, f->ln_b, x, H, f->m->cfg.layer_norm_eps,
                           f->ln_xhat ? f->ln_xhat + t * H : scratch, f->ln_rstd ? f->ln_rstd + t : NULL);
    }
}

static void bml__add_ln(bml__fwd *f, const float *g, const float *b, float *xhat, float *rstd) {
    f->ln_g = g;
    f->ln_b = b;
    f->ln_xhat = xhat;
    f->ln_rstd = rstd;
    bml__pool_run(f->m->pool, (size_t)f->m->threads, bml__add_ln_task, f);
}

/* dx = LayerNorm_backward(dx) in place, row by row (f->ln_* as set). */
static void bml__ln_bwd_task(void *ctx, size_t task, int worker) {
    bml__fwd *f = (bml__fwd *)ctx;
    int H = f->m->cfg.hidden;
    size_t a, b, t;
    float *scratch = f->scratch + (size_t)worker * f->scratch_per;
    bml__range(f->T, (size_t)f->m->threads, task, &a, &b);
    for (t = a; t < b; t++)
        bml__layernorm_bwd(f->dx + t * H, f->ln_g, f->ln_xhat + t * H, f->ln_rstd[t], f->dx + t * H, H, scratch);
}

static void bml__ln_bwd(bml__fwd *f, const float *g, float *xhat, float *rstd) {
    f->ln_g = g;
    f->ln_xhat = xhat;
    f->ln_rstd = rstd;
    bml__pool_run(f->m->pool, (size_t)f->m->threads, bml__ln_bwd_task, f);
}

/* ffn = gelu(u), gelu(u) = u/2 (1 + erf(u / sqrt 2)) (exact, not tanh). */
static void bml__gelu_task(void *ctx, size_t task, int worker) {
    bml__fwd *f = (bml__fwd *)ctx;
    size_t a, b, i, n = f->T * (size_t)f->m->cfg.intermediate;
    const float *u = f->gelu_in;
    float *y = f->ffn;
    (void)worker;
    bml__range(n, (size_t)f->m->threads, task, &a, &b);
    for (i = a; i < b; i++) y[i] = 0.5f * u[i] * (1.0f + bml__erf(u[i] * 0.70710678118654752f));
}

/* ffn = d gelu: ffn *= gelu'(u) = (1 + erf(u / sqrt 2)) / 2 + u phi(u). */
static void bml__gelu_bwd_task(void *ctx, size_t task, int worker) {
    bml__fwd *f = (bml__fwd *)ctx;
    size_t a, b, i, n = f->T * (size_t)f->m->cfg.intermediate;
    const float *u = f->gelu_in;
    float *g = f->ffn;
    (void)worker;
    bml__range(n, (size_t)f->m->threads, task, &a, &b);
    for (i = a; i < b; i++)
        g[i] *= 0.5f * (1.0f + bml__erf(u[i] * 0.70710678118654752f)) +
                u[i] * 0.39894228040143268f * bml__exp(-0.5f * u[i] * u[i]);
}

/* Pool one sequence's token rows into out[H] and L2-normalize if asked
   (grad mode keeps the pooled vector before normalization). */
static void bml__pool_task(void *ctx, size_t s, int worker) {
    bml__fwd *f = (bml__fwd *)ctx;
    const bml_config *c = &f->m->cfg;
    int H = c->hidden, i;
    size_t L = f->len[s], p;
    const float *x = f->x + f->start[s] * H;
    float *o = f->out + s * H;
    if (c->pooling == BML_POOL_CLS) {
        memcpy(o, x, (size_t)H * sizeof(float));
    } else if (c->pooling == BML_POOL_MAX) {
        memcpy(o, x, (size_t)H * sizeof(float));
        for (p = 1; p < L; p++)
            for (i = 0; i < H; i++) o[i] = x[p * H + i] > o[i] ? x[p * H + i] : o[i];
    } else {
        /* sums in double: long sequences without normalization stay exact */
        double *acc = (double *)(void *)(f->scratch + (size_t)worker * f->scratch_per);
        double scale = c->pooling == BML_POOL_MEAN ? 1.0 / (double)L : 1.0 / sqrt((double)L);
        for (i = 0; i < H; i++) acc[i] = 0;
        for (p = 0; p < L; p++)
            for (i = 0; i < H; i++) acc[i] += x[p * H + i];
        for (i = 0; i < H; i++) o[i] = (float)(acc[i] * scale);
    }
    if (f->pooled) memcpy(f->pooled + s * H, o, (size_t)H * sizeof(float));
    if (c->normalize) {
        float n2 = 0;
        for (i = 0; i < H; i++) n2 += o[i] * o[i];
        n2 = sqrtf(n2);
        n2 = 1.0f / (n2 > 1e-12f ? n2 : 1e-12f);
        for (i = 0; i < H; i++) o[i] *= n2;
    }
}

/* The encoder on a packed batch (f->ids, f->len, f->nseq, f->alpha set by
   the caller) -> f->out [nseq, H]; grad = 1 keeps what bml__backward needs. */
static bml_status bml__forward_job(bml__fwd *f, int grad) {
    bml_model *m = f->m;
    const bml_config *c = &m->cfg;
    int H = c->hidden, I = c->intermediate, l;
    size_t s, T;
    bml_status rc;
    f->T = f->maxL = f->sumP = 0;
    for (s = 0; s < f->nseq; s++) {
        f->T += f->len[s];
        f->sumP += f->len[s] * f->len[s];
        if (f->len[s] > f->maxL) f->maxL = f->len[s];
    }
    if ((rc = bml__ws_plan(f, grad)) != BML_OK) return rc;
    T = f->T;
#ifdef BATCHML_OPENCL
    if (m->cl) return bml__cl_forward_job(f, grad);
#endif
    bml__pool_run(m->pool, f->nseq, bml__embed_task, f);                         /* x = LN0(emb)        [T,H] */
    for (l = 0; l < c->layers; l++) {
        const bml__layer *L = &m->layer[l];
        bml__saved *sv = f->save ? &f->save[l] : NULL;
        f->lq = sv ? sv->q : f->q;
        f->lk = sv ? sv->k : f->k;
        f->lv = sv ? sv->v : f->v;
        f->lP = sv ? sv->P : NULL;
        bml__linear(f, f->x, (int)T, H, L->wq, L->bq, H, f->lq);                 /* q = x Wq^T + bq     [T,H] */
        bml__linear(f, f->x, (int)T, H, L->wk, L->bk, H, f->lk);                 /* k = x Wk^T + bk     [T,H] */
        bml__linear(f, f->x, (int)T, H, L->wv, L->bv, H, f->lv);                 /* v = x Wv^T + bv     [T,H] */
        bml__pool_run(m->pool, f->nseq * (size_t)c->heads, bml__attn_task, f);  /* ctx = attn(q,k,v)   [T,H] */
        bml__linear(f, f->ctx, (int)T, H, L->wo, L->bo, H, f->tmp);              /* a = ctx Wo^T + bo   [T,H] */
        bml__add_ln(f, L->ln1_g, L->ln1_b, sv ? sv->xhat1 : NULL, sv ? sv->rstd1 : NULL); /* x = LN1(x + a) */
        f->gelu_in = sv ? sv->u : f->ffn;
        bml__linear(f, f->x, (int)T, H, L->w1, L->b1, I, (float *)f->gelu_in);  /* u = x W1^T + b1     [T,I] */
        bml__pool_run(m->pool, (size_t)m->threads, bml__gelu_task, f);          /* g = gelu(u)         [T,I] */
        bml__linear(f, f->ffn, (int)T, I, L->w2, L->b2, H, f->tmp);              /* o = g W2^T + b2     [T,H] */
        bml__add_ln(f, L->ln2_g, L->ln2_b, sv ? sv->xhat2 : NULL, sv ? sv->rstd2 : NULL); /* x = LN2(x + o) */
    }
    bml__pool_run(m->pool, f->nseq, bml__pool_task, f);                          /* out = pool(x)       [S,H] */
    return BML_OK;
}

/* Forward only, on valid sequences -> out[nseq, H]. */
static bml_status bml__forward(bml_model *m, const int32_t *const *ids, const size_t *len, size_t nseq, float *out) {
    bml__fwd f;
    memset(&f, 0, sizeof f);
    f.m = m;
    f.ids = ids;
    f.len = len;
    f.nseq = nseq;
    f.out = out;
    return bml__forward_job(&f, 0);
}

/* ----------------------------------------------------------------------
   Backward pass (input gradients only: no weight gradients are formed).
   Given dout [nseq, H] = df/de for each sequence's output embedding e,
   fills dword [T, H] = df/d(word-embedding input row) of every token,
   i.e. the gradient with respect to alpha * word[id] in the embedding sum.
   ---------------------------------------------------------------------- */

/* Through normalize and pooling: dx rows of sequence s from dout[s]. */
static void bml__pool_bwd_task(void *ctx, size_t s, int worker) {
    bml__fwd *f = (bml__fwd *)ctx;
    const bml_config *c = &f->m->cfg;
    int H = c->hidden, i;
    size_t L = f->len[s], p;
    float *du = f->scratch + (size_t)worker * f->scratch_per; /* [H] d pooled */
    const float *e = f->out + s * H, *u = f->pooled + s * H, *de = f->tmp + s * H;
    float *dx = f->dx + f->start[s] * H;
    if (c->normalize) {
        /* e = u / max(|u|, eps):  du = (de - e (e . de)) / |u| */
        float n2 = 0, dot = 0;
        for (i = 0; i < H; i++) { n2 += u[i] * u[i]; dot += e[i] * de[i]; }
        n2 = sqrtf(n2);
        if (n2 > 1e-12f) for (i = 0; i < H; i++) du[i] = (de[i] - e[i] * dot) / n2;
        else for (i = 0; i < H; i++) du[i] = de[i] / 1e-12f;
    } else {
        memcpy(du, de, (size_t)H * sizeof(float));
    }
    memset(dx, 0, L * (size_t)H * sizeof(float));
    if (c->pooling == BML_POOL_CLS) {
        memcpy(dx, du, (size_t)H * sizeof(float));
    } else if (c->pooling == BML_POOL_MAX) {
        /* the gradient goes to the (first) token holding the maximum */
        for (i = 0; i < H; i++) {
            size_t arg = 0;
            for (p = 1; p < L; p++) if (f->x[(f->start[s] + p) * H + i] > f->x[(f->start[s] + arg) * H + i]) arg = p;
            dx[arg * H + i] = du[i];
        }
    } else {
        float scale = c->pooling == BML_POOL_MEAN ? 1.0f / (float)L : 1.0f / sqrtf((float)L);
        for (p = 0; p < L; p++)
            for (i = 0; i < H; i++) dx[p * H + i] = du[i] * scale;
    }
}

/* f->tmp[nseq, H] holds df/de on entry; f->dx [T,H] holds df/d(word input) on return. */
static bml_status bml__backward(bml__fwd *f) {
    bml_model *m = f->m;
    const bml_config *c = &m->cfg;
    int H = c->hidden, I = c->intermediate, l;
    int T = (int)f->T;
#ifdef BATCHML_OPENCL
    if (m->cl) return bml__cl_backward(f);
#endif
    bml__pool_run(m->pool, f->nseq, bml__pool_bwd_task, f);                     /* dx = pool^T(de)     [T,H] */
    for (l = c->layers - 1; l >= 0; l--) {
        const bml__layer *L = &m->layer[l];
        bml__saved *sv = &f->save[l];
        f->lq = sv->q;
        f->lk = sv->k;
        f->lv = sv->v;
        f->lP = sv->P;
        f->gelu_in = sv->u;
        bml__ln_bwd(f, L->ln2_g, sv->xhat2, sv->rstd2);                         /* dr2 = LN2^T(dx)     [T,H] */
        bml__linear_bwd(f, f->dx, T, H, L->w2, I, f->ffn, 0);                   /* dg = dr2 W2         [T,I] */
        bml__pool_run(m->pool, (size_t)m->threads, bml__gelu_bwd_task, f);     /* du = dg gelu'(u)    [T,I] */
        bml__linear_bwd(f, f->ffn, T, I, L->w1, H, f->dx, 1);                   /* dh1 = dr2 + du W1   [T,H] */
        bml__ln_bwd(f, L->ln1_g, sv->xhat1, sv->rstd1);                         /* dr1 = LN1^T(dh1)    [T,H] */
        bml__linear_bwd(f, f->dx, T, H, L->wo, H, f->ctx, 0);                   /* dctx = dr1 Wo       [T,H] */
        bml__pool_run(m->pool, f->nseq * (size_t)c->heads, bml__attn_bwd_task, f); /* dq, dk, dv       [T,H] */
        bml__linear_bwd(f, f->q, T, H, L->wq, H, f->dx, 1);                     /* dh0 = dr1 + dq Wq   [T,H] */
        bml__linear_bwd(f, f->k, T, H, L->wk, H, f->dx, 1);                     /*     + dk Wk               */
        bml__linear_bwd(f, f->v, T, H, L->wv, H, f->dx, 1);                     /*     + dv Wv               */
    }
    bml__ln_bwd(f, m->ln0_g, f->xhat0, f->rstd0);                               /* d(emb sum) = LN0^T  [T,H] */
    return BML_OK;
}

#ifdef BATCHML_OPENCL
/* ======================================================================
   OpenCL device path (same packed batches, same results)
   ====================================================================== */
#include "parts/opencl_impl.h"
#endif

/* ======================================================================
   Loading and freeing a model
   ====================================================================== */

BMLDEF void bml_model_free(bml_model *m) {
    size_t i;
    if (!m) return;
#ifdef BATCHML_OPENCL
    bml__cl_free(m);
#endif
    bml__pool_destroy(m->pool);
    bml_tokenizer_free(m->tok);
    for (i = 0; i < m->nowned; i++) BML_FREE(m->owned[i]);
    BML_FREE(m->owned);
    BML_FREE(m->layer);
    BML_FREE(m->ws.buf);
    bml__st_close(&m->st);
    BML_FREE(m);
}

/* Choose the device: "cpu" (default), or with BATCHML_OPENCL "opencl",
   "opencl:P:D" or "auto" (a GPU when there is one, else the CPU, said once
   in the log). */
static bml_status bml__device_init(bml_model *m, const char *device) {
    if (!device || !device[0]) device = getenv("BATCHML_DEVICE");
    if (!device || !device[0] || !strcmp(device, "cpu")) return BML_OK;
#ifdef BATCHML_OPENCL
    return bml__cl_init(m, device);
#else
    (void)m;
    if (!strcmp(device, "auto")) return BML_OK;
    return bml__fail(BML_ERR_UNSUPPORTED, "device '%s': this build has no OpenCL (compile with -DBATCHML_OPENCL -lOpenCL)",
                     device);
#endif
}

static int bml__ncpu(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (n > 256 ? 256 : (int)n);
}

BMLDEF bml_status bml_model_load(const bml_model_desc *desc, bml_model **out) {
    bml_model *m;
    char path[4096];
    bml_status rc;
    struct stat sb;
    if (!out) return bml__fail(BML_ERR_INVALID_ARG, "bml_model_load: out is NULL");
    *out = NULL;
    if (!desc || !desc->path || !desc->path[0]) return bml__fail(BML_ERR_INVALID_ARG, "bml_model_load: desc.path is not set");
    if (desc->threads < 0 || desc->threads > 256)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_model_load: desc.threads must be 0..256 (got %d)", desc->threads);
    if (desc->max_seq_len < 0)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_model_load: desc.max_seq_len must be >= 0 (got %d)", desc->max_seq_len);
    if (stat(desc->path, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return bml__fail(BML_ERR_IO, "%s: not a model directory%s%s", desc->path, errno ? ": " : "",
                         errno ? strerror(errno) : "");
    m = (bml_model *)bml__calloc(1, sizeof *m);
    if (!m) return bml__fail(BML_ERR_NOMEM, "out of memory");
    m->st.fd = -1;
    m->deterministic = desc->deterministic != 0;
    m->threads = desc->threads ? desc->threads : bml__ncpu();
    if ((rc = bml__load_config(m, desc->path)) != BML_OK ||
        (rc = bml__load_st_config(m, desc->path, desc->max_seq_len)) != BML_OK)
        goto fail;
    bml__join(path, sizeof path, desc->path, "model.safetensors");
    if (stat(path, &sb) != 0) {
        rc = bml__fail(BML_ERR_IO, "%s: missing (only safetensors weights are read; convert pytorch_model.bin first)", path);
        goto fail;
    }
    if ((rc = bml__st_open(path, &m->st)) != BML_OK) goto fail;
    m->cfg.file_bytes = m->st.size;
    if ((rc = bml__bind_weights(m)) != BML_OK) goto fail;
    if (!desc->no_tokenizer) {
        bml_tokenizer_desc td;
        memset(&td, 0, sizeof td);
        td.dir = desc->path;
        td.max_len = m->cfg.max_seq_len;
        if ((rc = bml_tokenizer_load(&td, &m->tok)) != BML_OK) goto fail;
        if (bml_tokenizer_vocab_size(m->tok) > (size_t)m->cfg.vocab) {
            rc = bml__fail(BML_ERR_FORMAT, "%s: the tokenizer has %zu tokens but config.json vocab_size is %d",
                           desc->path, bml_tokenizer_vocab_size(m->tok), m->cfg.vocab);
            goto fail;
        }
    }
    if ((rc = bml__pool_create(m->threads, &m->pool)) != BML_OK) goto fail;
    if ((rc = bml__device_init(m, desc->device)) != BML_OK) goto fail;
    m->threads = m->pool->nthreads;
#ifndef BATCHML_NO_BLAS
    /* batchml splits every GEMM across its own threads; OpenBLAS's own
       threads would compete with them for the same cores */
    bml__openblas_set_num_threads(1);
#endif
    *out = m;
    return BML_OK;
fail:
    bml_model_free(m);
    return rc;
}

/* ======================================================================
   Embedding API: validation, batching by length, per-item status
   ====================================================================== */

/* Check an id sequence; on failure write a message into err. */
static bml_status bml__check_ids(const bml_model *m, const int32_t *ids, size_t n, char *err, size_t cap) {
    size_t i;
    if (n == 0) { snprintf(err, cap, "empty input"); return BML_ERR_EMPTY_INPUT; }
    if (n > (size_t)m->cfg.max_position) {
        snprintf(err, cap, "%zu tokens is longer than max_position_embeddings %d", n, m->cfg.max_position);
        return BML_ERR_TOO_LONG;
    }
    for (i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= m->cfg.vocab) {
            snprintf(err, cap, "token %zu: id %ld is outside the vocabulary [0, %d)", i, (long)ids[i], m->cfg.vocab);
            return BML_ERR_OUT_OF_RANGE;
        }
    return BML_OK;
}

BMLDEF bml_status bml_embed_ids(bml_model *m, const int32_t *ids, size_t n, float *out) {
    char err[192];
    bml_status rc;
    if (!m || !out || (!ids && n)) return bml__fail(BML_ERR_INVALID_ARG, "bml_embed_ids: NULL argument");
    if ((rc = bml__check_ids(m, ids, n, err, sizeof err)) != BML_OK) return bml__fail(rc, "%s", err);
    return bml__forward(m, &ids, &n, 1, out);
}

BMLDEF bml_status bml_embed_text(bml_model *m, const char *text, ptrdiff_t len, float *out) {
    bml_encoding enc;
    bml_status rc;
    if (!m || !text || !out) return bml__fail(BML_ERR_INVALID_ARG, "bml_embed_text: NULL argument");
    if (!m->tok) return bml__fail(BML_ERR_INVALID_ARG, "bml_embed_text: the model was loaded without a tokenizer");
    if (len < 0) len = (ptrdiff_t)strlen(text);
    if (len == 0) return bml__fail(BML_ERR_EMPTY_INPUT, "empty text");
    memset(&enc, 0, sizeof enc);
    rc = bml_tokenize(m->tok, text, len, BML_UTF8_ERROR, &enc);
    if (rc == BML_OK) rc = bml_embed_ids(m, enc.ids, enc.n, out);
    bml_encoding_free(&enc);
    return rc;
}

typedef struct { size_t len, idx; } bml__len_idx;

static int bml__cmp_len_idx(const void *a, const void *b) {
    const bml__len_idx *x = (const bml__len_idx *)a, *y = (const bml__len_idx *)b;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* parts/tuning_impl.h: batch_size/max_tokens/keep_order for BML_BATCH_AUTO. */
static bml_status bml__tune_apply(const bml_model *m, const struct bml_tuning *t, size_t memory_budget,
                                  const size_t *lens, size_t n, bml_batch_desc *d);

BMLDEF bml_status bml_embed_batch(bml_model *m, const bml_item *items, size_t count, const bml_batch_desc *desc,
                                  float *out, bml_result *res) {
    bml_batch_desc d;
    size_t H, i, nvalid = 0, done, bs, maxtok;
    bml_status *st = NULL, rc = BML_OK;
    char (*err)[192] = NULL;
    int32_t **ids = NULL;
    size_t *lens = NULL;
    bml__len_idx *order = NULL;
    const int32_t **bids = NULL;
    size_t *blens = NULL;
    float *bout = NULL;
    uint64_t *lat = NULL, t0;
    double single_ns = 0;
    bml_encoding enc;
    if (!m || (!items && count) || (!out && count)) return bml__fail(BML_ERR_INVALID_ARG, "bml_embed_batch: NULL argument");
    memset(&d, 0, sizeof d);
    if (desc) d = *desc;
    bs = d.batch_size ? d.batch_size : 32;
    if (bs > 4096 && bs != BML_BATCH_AUTO)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_batch_desc.batch_size must be 0..4096 or BML_BATCH_AUTO (got %zu)", bs);
    maxtok = d.max_tokens;
    H = (size_t)m->cfg.hidden;
    memset(&enc, 0, sizeof enc);
    if (res && (rc = bml_result_init(res, count)) != BML_OK) return rc;
    t0 = bml_now_ns();
    st = (bml_status *)bml__calloc(count + 1, sizeof *st);
    err = (char (*)[192])bml__calloc(count + 1, sizeof *err);
    ids = (int32_t **)bml__calloc(count + 1, sizeof *ids);
    lens = (size_t *)bml__calloc(count + 1, sizeof *lens);
    order = (bml__len_idx *)bml__calloc(count + 1, sizeof *order);
    lat = (uint64_t *)bml__calloc(count + 1, sizeof *lat);
    if (!st || !err || !ids || !lens || !order || !lat) {
        rc = bml__fail(BML_ERR_NOMEM, "out of memory batching %zu items", count);
        goto done;
    }
    /* 1. every item to ids, or to its own error */
    for (i = 0; i < count; i++) {
        const bml_item *it = &items[i];
        const int32_t *src;
        size_t n;
        if (it->ids) {
            src = it->ids;
            n = it->n_ids;
        } else if (it->text) {
            ptrdiff_t tl = it->len < 0 ? (ptrdiff_t)strlen(it->text) : it->len;
            if (!m->tok) { st[i] = BML_ERR_INVALID_ARG; snprintf(err[i], 192, "text input needs a tokenizer"); continue; }
            if (tl == 0) { st[i] = BML_ERR_EMPTY_INPUT; snprintf(err[i], 192, "empty text"); continue; }
            st[i] = bml_tokenize(m->tok, it->text, tl, d.utf8, &enc);
            if (st[i] != BML_OK) { snprintf(err[i], 192, "%.191s", bml_last_error()); continue; }
            src = enc.ids;
            n = enc.n;
        } else {
            st[i] = BML_ERR_EMPTY_INPUT;
            snprintf(err[i], 192, "item has neither text nor ids");
            continue;
        }
        if ((st[i] = bml__check_ids(m, src, n, err[i], 192)) != BML_OK) continue;
        ids[i] = (int32_t *)BML_MALLOC(n * sizeof(int32_t));
        if (!ids[i]) { st[i] = BML_ERR_NOMEM; snprintf(err[i], 192, "out of memory"); continue; }
        memcpy(ids[i], src, n * sizeof(int32_t));
        lens[i] = n;
        order[nvalid].len = d.keep_order ? 0 : n;
        order[nvalid].idx = i;
        nvalid++;
    }
    /* auto: the batch shape for these lengths (archive cell, else heuristic) */
    if (d.batch_size == BML_BATCH_AUTO) {
        if ((rc = bml__tune_apply(m, d.tuning, d.memory_budget, lens, count, &d)) != BML_OK) goto done;
        bs = d.batch_size;
        maxtok = d.max_tokens;
        for (i = 0; i < nvalid; i++) order[i].len = d.keep_order ? 0 : lens[order[i].idx];
    }
    bids = (const int32_t **)bml__calloc(bs, sizeof *bids);
    blens = (size_t *)bml__calloc(bs, sizeof *blens);
    bout = (float *)bml__calloc(bs * H, sizeof(float));
    if (!bids || !blens || !bout) {
        rc = bml__fail(BML_ERR_NOMEM, "out of memory batching %zu items", count);
        goto done;
    }
    if (!d.keep_order) qsort(order, nvalid, sizeof *order, bml__cmp_len_idx);
    /* 2. optional measured baseline: the first items one at a time */
    if (d.measure_single > 0 && nvalid) {
        size_t k, nb = (size_t)d.measure_single < nvalid ? (size_t)d.measure_single : nvalid;
        uint64_t s0 = bml_now_ns();
        for (k = 0; k < nb; k++) {
            size_t it = order[k * nvalid / nb].idx;
            const int32_t *p = ids[it];
            if ((rc = bml__forward(m, &p, &lens[it], 1, bout)) != BML_OK) goto done;
        }
        single_ns = (double)(bml_now_ns() - s0) / (double)nb;
        t0 = bml_now_ns();
    }
    /* 3. batches of up to bs sequences and maxtok tokens */
    for (done = 0; done < nvalid;) {
        size_t nb = 0, tok = 0, k;
        uint64_t tnow;
        while (done + nb < nvalid && nb < bs) {
            size_t it = order[done + nb].idx;
            if (maxtok && nb && tok + lens[it] > maxtok) break;
            bids[nb] = ids[it];
            blens[nb] = lens[it];
            tok += lens[it];
            nb++;
        }
        if ((rc = bml__forward(m, bids, blens, nb, bout)) != BML_OK) goto done;
        tnow = bml_now_ns();
        for (k = 0; k < nb; k++) {
            size_t it = order[done + k].idx;
            memcpy(out + it * H, bout + k * H, H * sizeof(float));
            lat[it] = tnow - t0;
        }
        done += nb;
    }
    for (i = 0; i < count; i++)
        if (st[i] != BML_OK) memset(out + i * H, 0, H * sizeof(float));
    if (res) {
        for (i = 0; i < count; i++) {
            bml_response *r = &res->responses[i];
            r->id = items[i].id;
            r->status = st[i];
            memcpy(r->error, err[i], sizeof r->error);
            r->duration_ns = st[i] == BML_OK ? lat[i] : 0;
            r->data = st[i] == BML_OK ? out + i * H : NULL;
            r->n = st[i] == BML_OK ? H : 0;
        }
        rc = bml_result_finish(res, bml_now_ns() - t0, single_ns);
    }
done:
    if (ids) for (i = 0; i < count; i++) BML_FREE(ids[i]);
    BML_FREE(st); BML_FREE(err); BML_FREE(ids); BML_FREE(lens); BML_FREE(order);
    BML_FREE(bids); BML_FREE(blens); BML_FREE(bout); BML_FREE(lat);
    bml_encoding_free(&enc);
    return rc;
}

/* ======================================================================
   Gradient overlays: targets, batched forward + backward, attributions
   ====================================================================== */

struct bml_target {
    bml_target_kind kind;
    char *spec;
    int H, C, k;
    double *w;              /* value: [H]; policy: [C,H]; sim: reference e [H] */
    double *b;              /* value: [1]; policy: [C]                      */
};

BMLDEF bml_target_kind bml_target_kind_of(const bml_target *t) { return t->kind; }
BMLDEF const char *bml_target_spec(const bml_target *t) { return t->spec; }

BMLDEF void bml_target_free(bml_target *t) {
    if (!t) return;
    BML_FREE(t->spec);
    BML_FREE(t->w);
    BML_FREE(t->b);
    BML_FREE(t);
}

BMLDEF const char *bml_method_name(bml_method method) {
    switch (method) {
    case BML_METHOD_GRAD: return "grad";
    case BML_METHOD_GRAD_X_INPUT: return "grad_x_input";
    case BML_METHOD_INTEGRATED_GRADIENTS: return "integrated_gradients";
    }
    return "?";
}

BMLDEF bml_status bml_method_parse(const char *name, bml_method *method, int *want_target) {
    *want_target = -1;
    if (!strcmp(name, "grad")) *method = BML_METHOD_GRAD;
    else if (!strcmp(name, "grad_x_input")) *method = BML_METHOD_GRAD_X_INPUT;
    else if (!strcmp(name, "integrated_gradients")) *method = BML_METHOD_INTEGRATED_GRADIENTS;
    else if (!strcmp(name, "policy_grad")) { *method = BML_METHOD_GRAD; *want_target = BML_TARGET_POLICY; }
    else if (!strcmp(name, "value_grad")) { *method = BML_METHOD_GRAD; *want_target = BML_TARGET_VALUE; }
    else
        return bml__fail(BML_ERR_INVALID_ARG,
                         "method '%s' is not one of grad, grad_x_input, integrated_gradients, policy_grad, value_grad",
                         name);
    return BML_OK;
}

/* Copy a JSON array of H numbers into dst (doubles); 0 on success. */
static bml_status bml__head_vec(const bml_json *a, int H, double *dst, const char *file, const char *what) {
    int i;
    if (!a || a->type != BML_JSON_ARRAY)
        return bml__fail(BML_ERR_FORMAT, "%s: %s must be an array of %d numbers", file, what, H);
    if (a->len != (size_t)H)
        return bml__fail(BML_ERR_SHAPE, "%s: %s has %zu values, the model's hidden size is %d", file, what, a->len, H);
    for (i = 0; i < H; i++) {
        if (a->kids[i].type != BML_JSON_NUMBER || !isfinite(a->kids[i].num))
            return bml__fail(BML_ERR_FORMAT, "%s: %s[%d] is not a finite number", file, what, i);
        dst[i] = a->kids[i].num;
    }
    return BML_OK;
}

BMLDEF bml_status bml_target_parse(bml_model *m, const char *spec, bml_target **out) {
    bml_target *t;
    bml_status rc = BML_OK;
    int H;
    if (!m || !spec || !out) return bml__fail(BML_ERR_INVALID_ARG, "bml_target_parse: NULL argument");
    *out = NULL;
    H = m->cfg.hidden;
    t = (bml_target *)bml__calloc(1, sizeof *t);
    if (!t) return bml__fail(BML_ERR_NOMEM, "out of memory");
    t->H = H;
    t->spec = bml__strdup(spec);
    if (!t->spec) { bml_target_free(t); return bml__fail(BML_ERR_NOMEM, "out of memory"); }
    if (!strncmp(spec, "sim:", 4)) {
        float *e = (float *)bml__calloc((size_t)H, sizeof(float));
        int i;
        t->kind = BML_TARGET_SIM;
        t->w = (double *)bml__calloc((size_t)H, sizeof(double));
        if (!e || !t->w) rc = bml__fail(BML_ERR_NOMEM, "out of memory");
        else if (!spec[4]) rc = bml__fail(BML_ERR_INVALID_ARG, "target sim:TEXT needs a text after 'sim:'");
        else if ((rc = bml_embed_text(m, spec + 4, -1, e)) != BML_OK) {
            char why[320]; /* bml__fail writes the buffer bml_last_error() reads */
            snprintf(why, sizeof why, "%.300s", bml_last_error());
            rc = bml__fail(rc, "target '%s': %s", spec, why);
        }
        else
            for (i = 0; i < H; i++) t->w[i] = e[i];
        BML_FREE(e);
    } else if (!strncmp(spec, "value:", 6) || !strncmp(spec, "policy:", 7)) {
        int policy = spec[0] == 'p';
        char file[4096];
        const char *rest = spec + (policy ? 7 : 6), *colon = policy ? strrchr(rest, ':') : NULL;
        bml_json_doc *doc = NULL;
        size_t flen = colon ? (size_t)(colon - rest) : strlen(rest);
        t->kind = policy ? BML_TARGET_POLICY : BML_TARGET_VALUE;
        if (policy && !colon) {
            rc = bml__fail(BML_ERR_INVALID_ARG, "target '%s': expected policy:FILE:K", spec);
        } else if (flen == 0 || flen >= sizeof file) {
            rc = bml__fail(BML_ERR_INVALID_ARG, "target '%s': missing head file", spec);
        } else {
            memcpy(file, rest, flen);
            file[flen] = 0;
            if ((rc = bml__json_file(file, 64u << 20, &doc)) == BML_OK) {
                const bml_json *root = bml_json_root(doc), *w = bml_json_get(root, "weight"), *b = bml_json_get(root, "bias");
                if (!policy) {
                    t->w = (double *)bml__calloc((size_t)H, sizeof(double));
                    t->b = (double *)bml__calloc(1, sizeof(double));
                    if (!t->w || !t->b) rc = bml__fail(BML_ERR_NOMEM, "out of memory");
                    else if ((rc = bml__head_vec(w, H, t->w, file, "weight")) != BML_OK) {}
                    else if (!b || b->type != BML_JSON_NUMBER || !isfinite(b->num))
                        rc = bml__fail(BML_ERR_FORMAT, "%s: bias must be a finite number", file);
                    else t->b[0] = b->num;
                } else {
                    char *end;
                    long k = strtol(colon + 1, &end, 10);
                    size_t c;
                    if (!w || w->type != BML_JSON_ARRAY || w->len == 0) {
                        rc = bml__fail(BML_ERR_FORMAT, "%s: weight must be an array of C arrays of %d numbers", file, H);
                    } else if (!b || b->type != BML_JSON_ARRAY || b->len != w->len) {
                        rc = bml__fail(BML_ERR_SHAPE, "%s: bias must be an array of %zu numbers (one per weight row)", file, w->len);
                    } else if (colon[1] == 0 || *end || k < 0 || (size_t)k >= w->len) {
                        rc = bml__fail(BML_ERR_OUT_OF_RANGE, "target '%s': class K must be an integer in 0..%zu", spec, w->len - 1);
                    } else if (w->len > 1000000) {
                        rc = bml__fail(BML_ERR_FORMAT, "%s: %zu classes is too many", file, w->len);
                    } else {
                        /* every row's shape before C x H doubles are allocated for them */
                        for (c = 0; rc == BML_OK && c < w->len; c++) {
                            const bml_json *row = &w->kids[c];
                            if (row->type != BML_JSON_ARRAY)
                                rc = bml__fail(BML_ERR_FORMAT, "%s: weight[%zu] must be an array of %d numbers", file, c, H);
                            else if (row->len != (size_t)H)
                                rc = bml__fail(BML_ERR_SHAPE, "%s: weight[%zu] has %zu values, the model's hidden size is %d",
                                               file, c, row->len, H);
                        }
                    }
                    if (rc == BML_OK) {
                        t->C = (int)w->len;
                        t->k = (int)k;
                        t->w = (double *)bml__calloc(w->len * (size_t)H, sizeof(double));
                        t->b = (double *)bml__calloc(w->len, sizeof(double));
                        if (!t->w || !t->b) rc = bml__fail(BML_ERR_NOMEM, "out of memory");
                        for (c = 0; rc == BML_OK && c < w->len; c++) {
                            char what[48];
                            snprintf(what, sizeof what, "weight[%zu]", c);
                            rc = bml__head_vec(&w->kids[c], H, t->w + c * H, file, what);
                            if (rc == BML_OK && (b->kids[c].type != BML_JSON_NUMBER || !isfinite(b->kids[c].num)))
                                rc = bml__fail(BML_ERR_FORMAT, "%s: bias[%zu] is not a finite number", file, c);
                            if (rc == BML_OK) t->b[c] = b->kids[c].num;
                        }
                    }
                }
                bml_json_free(doc);
            }
        }
    } else {
        rc = bml__fail(BML_ERR_INVALID_ARG, "target '%s' is not sim:TEXT, value:FILE or policy:FILE:K", spec);
    }
    if (rc != BML_OK) { bml_target_free(t); return rc; }
    *out = t;
    return BML_OK;
}

/* f(e) and de = df/de for one output embedding e[H] (in double). */
static double bml__target_eval(const bml_target *t, const float *e, float *de) {
    int H = t->H, i, c;
    double f = 0;
    if (t->kind == BML_TARGET_VALUE) {
        for (i = 0; i < H; i++) { f += t->w[i] * e[i]; de[i] = (float)t->w[i]; }
        return f + t->b[0];
    }
    if (t->kind == BML_TARGET_SIM) {
        /* f = e.r / (|e||r|);  df/de = r / (|e||r|) - f e / |e|^2 */
        double er = 0, ee = 0, rr = 0, ne, nr;
        for (i = 0; i < H; i++) { er += e[i] * t->w[i]; ee += (double)e[i] * e[i]; rr += t->w[i] * t->w[i]; }
        ne = sqrt(ee) > 1e-12 ? sqrt(ee) : 1e-12;
        nr = sqrt(rr) > 1e-12 ? sqrt(rr) : 1e-12;
        f = er / (ne * nr);
        /* e along r (the reference text itself): the cosine is at its
           maximum and the true gradient is 0; computed, it would be pure
           rounding noise that values = raw / sum|raw| would blow up */
        if (1.0 - f < 1e-12) { for (i = 0; i < H; i++) de[i] = 0; return f; }
        for (i = 0; i < H; i++) de[i] = (float)(t->w[i] / (ne * nr) - f * e[i] / (ne * ne));
        return f;
    }
    {
        /* policy: z = W e + b, f = z_k - logsumexp(z), df/de = W^T (onehot_k - softmax(z)) */
        double mx = -1e300, lse = 0, *z = (double *)bml__calloc((size_t)t->C, sizeof(double));
        if (!z) return NAN;
        for (c = 0; c < t->C; c++) {
            double s = t->b[c];
            for (i = 0; i < H; i++) s += t->w[(size_t)c * H + i] * e[i];
            z[c] = s;
            mx = s > mx ? s : mx;
        }
        for (c = 0; c < t->C; c++) lse += exp(z[c] - mx);
        lse = mx + log(lse);
        f = z[t->k] - lse;
        for (i = 0; i < H; i++) de[i] = 0;
        for (c = 0; c < t->C; c++) {
            double g = (c == t->k ? 1.0 : 0.0) - exp(z[c] - lse);
            for (i = 0; i < H; i++) de[i] += (float)(g * t->w[(size_t)c * H + i]);
        }
        BML_FREE(z);
        return f;
    }
}

BMLDEF void bml_overlay_free(bml_overlay *o) {
    if (!o) return;
    BML_FREE(o->ids);
    BML_FREE(o->offsets);
    BML_FREE(o->raw);
    BML_FREE(o->values);
    o->ids = NULL;
    o->offsets = NULL;
    o->raw = o->values = NULL;
    o->n = 0;
}

/* One pass: a set of (item, alpha) sequences, forward in grad mode, target,
   backward; accumulates each sequence's token gradient into its item's
   gradient sum gsum [n, H] (and f at alpha = 1). */
typedef struct bml__ov_seq { size_t item; float alpha; } bml__ov_seq;

static bml_status bml__overlay_pass(bml_model *m, const bml_target *tgt, bml_overlay *outs, double **gsum,
                                    const bml__ov_seq *seqs, size_t nseq, const int32_t **ids, size_t *lens,
                                    float *alphas, float *out) {
    bml__fwd f;
    size_t s, H = (size_t)m->cfg.hidden;
    bml_status rc;
    memset(&f, 0, sizeof f);
    for (s = 0; s < nseq; s++) {
        ids[s] = outs[seqs[s].item].ids;
        lens[s] = outs[seqs[s].item].n;
        alphas[s] = seqs[s].alpha;
    }
    f.m = m;
    f.ids = ids;
    f.len = lens;
    f.nseq = nseq;
    f.alpha = alphas;
    f.out = out;
    if ((rc = bml__forward_job(&f, 1)) != BML_OK) return rc;
    for (s = 0; s < nseq; s++) {
        double fv = bml__target_eval(tgt, out + s * H, f.tmp + s * H);
        if (seqs[s].alpha == 1.0f) outs[seqs[s].item].f = fv;
    }
    if ((rc = bml__backward(&f)) != BML_OK) return rc;
    for (s = 0; s < nseq; s++) {
        double *g = gsum[seqs[s].item];
        const float *d = f.dx + f.start[s] * H;
        size_t i, n = lens[s] * H;
        for (i = 0; i < n; i++) g[i] += d[i];
    }
    return BML_OK;
}

BMLDEF bml_status bml_overlay_compute_batch(bml_model *m, const bml_overlay_desc *desc, const bml_item *items,
                                            size_t count, bml_overlay *outs) {
    bml_overlay_desc d;
    size_t i, H, bs, maxtok, steps, nseq = 0, cap, k;
    double **gsum = NULL;
    bml__ov_seq *seqs = NULL;
    const int32_t **ids = NULL;
    size_t *lens = NULL;
    float *alphas = NULL, *out = NULL;
    bml_encoding enc;
    bml_status rc = BML_OK;
    if (!m || !desc || !desc->target || (!items && count) || (!outs && count))
        return bml__fail(BML_ERR_INVALID_ARG, "bml_overlay_compute_batch: NULL argument (desc.target is required)");
    d = *desc;
    if ((unsigned)d.method > BML_METHOD_INTEGRATED_GRADIENTS)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_overlay_desc.method %d is not a method", (int)d.method);
    if (d.steps < 0 || d.steps > 4096)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_overlay_desc.steps must be 0..4096 (got %d)", d.steps);
    if (desc->target->H != m->cfg.hidden)
        return bml__fail(BML_ERR_SHAPE, "the target was made for hidden size %d, the model has %d", desc->target->H, m->cfg.hidden);
    H = (size_t)m->cfg.hidden;
    bs = d.batch_size ? d.batch_size : 8;
    maxtok = d.max_tokens ? d.max_tokens : 2048;
    steps = d.method == BML_METHOD_INTEGRATED_GRADIENTS ? (size_t)(d.steps ? d.steps : 32) : 1;
    memset(&enc, 0, sizeof enc);
    memset(outs, 0, count * sizeof *outs);
    cap = bs * steps + 1;
    gsum = (double **)bml__calloc(count + 1, sizeof *gsum);
    seqs = (bml__ov_seq *)bml__calloc(cap, sizeof *seqs);
    ids = (const int32_t **)bml__calloc(cap, sizeof *ids);
    lens = (size_t *)bml__calloc(cap, sizeof *lens);
    alphas = (float *)bml__calloc(cap, sizeof *alphas);
    out = (float *)bml__calloc(cap * H, sizeof *out);
    if (!gsum || !seqs || !ids || !lens || !alphas || !out) { rc = bml__fail(BML_ERR_NOMEM, "out of memory"); goto done; }
    /* 1. inputs to ids (+ offsets), or to their own error */
    for (i = 0; i < count; i++) {
        bml_overlay *o = &outs[i];
        const bml_item *it = &items[i];
        const int32_t *src = it->ids;
        size_t n = it->n_ids;
        o->id = it->id;
        o->method = d.method;
        if (!it->ids) {
            ptrdiff_t tl = it->text ? (it->len < 0 ? (ptrdiff_t)strlen(it->text) : it->len) : 0;
            if (!it->text || tl == 0) { o->status = BML_ERR_EMPTY_INPUT; snprintf(o->error, sizeof o->error, "empty text"); continue; }
            if (!m->tok) { o->status = BML_ERR_INVALID_ARG; snprintf(o->error, sizeof o->error, "text input needs a tokenizer"); continue; }
            if ((o->status = bml_tokenize(m->tok, it->text, tl, d.utf8, &enc)) != BML_OK) {
                snprintf(o->error, sizeof o->error, "%.191s", bml_last_error());
                continue;
            }
            src = enc.ids;
            n = enc.n;
        }
        if ((o->status = bml__check_ids(m, src, n, o->error, sizeof o->error)) != BML_OK) continue;
        o->n = n;
        o->ids = (int32_t *)bml__calloc(n, sizeof(int32_t));
        o->offsets = (uint32_t *)bml__calloc(2 * n, sizeof(uint32_t));
        o->raw = (float *)bml__calloc(n, sizeof(float));
        o->values = (float *)bml__calloc(n, sizeof(float));
        gsum[i] = (double *)bml__calloc(n * H, sizeof(double));
        if (!o->ids || !o->offsets || !o->raw || !o->values || !gsum[i]) {
            bml_overlay_free(o);
            o->status = BML_ERR_NOMEM;
            snprintf(o->error, sizeof o->error, "out of memory");
            continue;
        }
        memcpy(o->ids, src, n * sizeof(int32_t));
        if (!it->ids) memcpy(o->offsets, enc.offsets, 2 * n * sizeof(uint32_t));
    }
    /* 2. passes: up to bs inputs' (input, step) sequences within maxtok tokens */
    for (i = 0; i < count;) {
        size_t tok = 0, inputs = 0;
        nseq = 0;
        for (; i < count && inputs < bs; i++) {
            size_t n = outs[i].n;
            if (outs[i].status != BML_OK) continue;
            for (k = 1; k <= steps; k++) {
                if (nseq && tok + n > maxtok) {
                    /* flush what we have; this input's remaining steps follow */
                    if ((rc = bml__overlay_pass(m, d.target, outs, gsum, seqs, nseq, ids, lens, alphas, out)) != BML_OK)
                        goto done;
                    nseq = 0;
                    tok = 0;
                }
                seqs[nseq].item = i;
                seqs[nseq].alpha = steps == 1 ? 1.0f : (float)k / (float)steps;
                nseq++;
                tok += n;
            }
            inputs++;
        }
        if (nseq && (rc = bml__overlay_pass(m, d.target, outs, gsum, seqs, nseq, ids, lens, alphas, out)) != BML_OK)
            goto done;
    }
    /* 3. attributions */
    for (i = 0; i < count; i++) {
        bml_overlay *o = &outs[i];
        size_t t, j;
        double total = 0;
        if (o->status != BML_OK) continue;
        for (t = 0; t < o->n; t++) {
            const double *g = gsum[i] + t * H;
            const float *x = m->word + (size_t)o->ids[t] * H;
            double r = 0;
            if (d.method == BML_METHOD_GRAD) {
                for (j = 0; j < H; j++) r += g[j] * g[j];
                r = sqrt(r);
            } else {
                for (j = 0; j < H; j++) r += g[j] * x[j];
                r /= (double)steps;
            }
            o->raw[t] = (float)r;
            total += fabs(r);
        }
        for (t = 0; t < o->n; t++) o->values[t] = total > 0 ? (float)(o->raw[t] / total) : 0.0f;
    }
done:
    if (gsum) for (i = 0; i < count; i++) BML_FREE(gsum[i]);
    BML_FREE(gsum); BML_FREE(seqs); BML_FREE(ids); BML_FREE(lens); BML_FREE(alphas); BML_FREE(out);
    bml_encoding_free(&enc);
    if (rc != BML_OK)
        for (i = 0; i < count; i++) {
            bml_overlay_free(&outs[i]);
            outs[i].status = rc;
            snprintf(outs[i].error, sizeof outs[i].error, "%.191s", bml_last_error());
        }
    return rc;
}

BMLDEF bml_status bml_overlay_compute(bml_model *m, const bml_overlay_desc *desc, const bml_item *item, bml_overlay *out) {
    bml_status rc = bml_overlay_compute_batch(m, desc, item, 1, out);
    if (rc != BML_OK) return rc;
    if (out->status != BML_OK) return bml__fail(out->status, "%s", out->error);
    return BML_OK;
}

#include "parts/exporter_impl.h"

/* ======================================================================
   mkmodel: a random-weight model in exactly the Hugging Face layout,
   byte-identical for the same seed on any machine (own PRNG, exact
   float arithmetic only, explicit little-endian bytes).
   ====================================================================== */

static uint64_t bml__splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [-1, 1): 24 random bits, exact in float. */
static float bml__unif(uint64_t *s) {
    return (float)(bml__splitmix(s) >> 40) * (2.0f / 16777216.0f) - 1.0f;
}

typedef struct { char name[96]; int64_t d0, d1; int kind; } bml__mk_tensor; /* kind: 0 emb, 1 ln-w, 2 bias, 3 linear */

static int bml__cmp_mk(const void *a, const void *b) {
    return strcmp(((const bml__mk_tensor *)a)->name, ((const bml__mk_tensor *)b)->name);
}

static bml_status bml__mkdirs(const char *dir) {
    char buf[4096];
    size_t i, n = strlen(dir);
    if (n >= sizeof buf) return bml__fail(BML_ERR_INVALID_ARG, "path too long: %s", dir);
    memcpy(buf, dir, n + 1);
    for (i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == 0) {
            char c = buf[i];
            buf[i] = 0;
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) return bml__fail(BML_ERR_IO, "%s: cannot create: %s", buf, strerror(errno));
            buf[i] = c;
        }
    }
    return BML_OK;
}

static bml_status bml__write_text(const char *dir, const char *name, const char *text) {
    char path[4096];
    FILE *f;
    bml__join(path, sizeof path, dir, name);
    f = fopen(path, "wb");
    if (!f) return bml__fail(BML_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    if (fputs(text, f) < 0 || fclose(f) != 0) return bml__fail(BML_ERR_IO, "%s: write failed", path);
    return BML_OK;
}

static bml_status bml__copy_file(const char *from_dir, const char *to_dir, const char *name) {
    char src[4096], *buf;
    size_t len;
    bml_status rc;
    FILE *f;
    bml__join(src, sizeof src, from_dir, name);
    if ((rc = bml__read_file(src, 64u << 20, &buf, &len)) != BML_OK) return rc;
    bml__join(src, sizeof src, to_dir, name);
    f = fopen(src, "wb");
    if (!f) { BML_FREE(buf); return bml__fail(BML_ERR_IO, "%s: cannot create: %s", src, strerror(errno)); }
    if (fwrite(buf, 1, len, f) != len || fclose(f) != 0) { BML_FREE(buf); return bml__fail(BML_ERR_IO, "%s: write failed", src); }
    BML_FREE(buf);
    return BML_OK;
}

BMLDEF bml_status bml_mkmodel(const bml_mkmodel_desc *desc) {
    int L, H, A, I, P, V = 30522, l, k;
    uint64_t seed;
    bml__mk_tensor *ts;
    size_t nt = 0, i, off = 0, hlen, pad, cap;
    char *hdr, path[4096], text[2048];
    FILE *f;
    bml_status rc;
    static const char *assets[] = {"vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"};
    if (!desc || !desc->out_dir || !desc->assets_dir) return bml__fail(BML_ERR_INVALID_ARG, "bml_mkmodel: out_dir and assets_dir are required");
    L = desc->layers ? desc->layers : 6;
    H = desc->hidden ? desc->hidden : 384;
    A = desc->heads ? desc->heads : 12;
    I = desc->intermediate ? desc->intermediate : 1536;
    P = desc->max_position ? desc->max_position : 512;
    if (L < 1 || L > 64 || H < 1 || H > 8192 || A < 1 || A > H || H % A || I < 1 || I > 32768 || P < 2 || P > 8192)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_mkmodel: bad architecture (layers %d, hidden %d, heads %d, intermediate %d, positions %d): hidden must be divisible by heads",
                         L, H, A, I, P);
    if ((rc = bml__mkdirs(desc->out_dir)) != BML_OK) return rc;
    ts = (bml__mk_tensor *)bml__calloc((size_t)(16 * L + 8), sizeof *ts);
    if (!ts) return bml__fail(BML_ERR_NOMEM, "out of memory");
#define BML__T(nm_, d0_, d1_, kind_) do { snprintf(ts[nt].name, sizeof ts[nt].name, "%s", nm_); ts[nt].d0 = d0_; ts[nt].d1 = d1_; ts[nt].kind = kind_; nt++; } while (0)
    BML__T("embeddings.word_embeddings.weight", V, H, 0);
    BML__T("embeddings.position_embeddings.weight", P, H, 0);
    BML__T("embeddings.token_type_embeddings.weight", 2, H, 0);
    BML__T("embeddings.LayerNorm.weight", H, 0, 1);
    BML__T("embeddings.LayerNorm.bias", H, 0, 2);
    for (l = 0; l < L; l++) {
        static const struct { const char *n; int out, in, kind; } per[] = {
            {"attention.self.query.weight", 0, 0, 3}, {"attention.self.query.bias", 0, -1, 2},
            {"attention.self.key.weight", 0, 0, 3}, {"attention.self.key.bias", 0, -1, 2},
            {"attention.self.value.weight", 0, 0, 3}, {"attention.self.value.bias", 0, -1, 2},
            {"attention.output.dense.weight", 0, 0, 3}, {"attention.output.dense.bias", 0, -1, 2},
            {"attention.output.LayerNorm.weight", 0, -1, 1}, {"attention.output.LayerNorm.bias", 0, -1, 2},
            {"intermediate.dense.weight", 1, 0, 3}, {"intermediate.dense.bias", 1, -1, 2},
            {"output.dense.weight", 0, 1, 3}, {"output.dense.bias", 0, -1, 2},
            {"output.LayerNorm.weight", 0, -1, 1}, {"output.LayerNorm.bias", 0, -1, 2}};
        for (k = 0; k < 16; k++) {
            char nm[96];
            snprintf(nm, sizeof nm, "encoder.layer.%d.%s", l, per[k].n);
            BML__T(nm, per[k].out ? I : H, per[k].in < 0 ? 0 : (per[k].in ? I : H), per[k].kind);
        }
    }
    BML__T("pooler.dense.weight", H, H, 3);
    BML__T("pooler.dense.bias", H, 0, 2);
#undef BML__T
    qsort(ts, nt, sizeof *ts, bml__cmp_mk);
    /* header: {"__metadata__":{"format":"pt"},"name":{...},...} padded to 8 */
    cap = 256 + nt * 200;
    hdr = (char *)BML_MALLOC(cap);
    if (!hdr) { BML_FREE(ts); return bml__fail(BML_ERR_NOMEM, "out of memory"); }
    hlen = (size_t)snprintf(hdr, cap, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (i = 0; i < nt; i++) {
        size_t bytes = (size_t)ts[i].d0 * (size_t)(ts[i].d1 ? ts[i].d1 : 1) * 4;
        if (ts[i].d1)
            hlen += (size_t)snprintf(hdr + hlen, cap - hlen, ",\"%s\":{\"dtype\":\"F32\",\"shape\":[%lld,%lld],\"data_offsets\":[%zu,%zu]}",
                                     ts[i].name, (long long)ts[i].d0, (long long)ts[i].d1, off, off + bytes);
        else
            hlen += (size_t)snprintf(hdr + hlen, cap - hlen, ",\"%s\":{\"dtype\":\"F32\",\"shape\":[%lld],\"data_offsets\":[%zu,%zu]}",
                                     ts[i].name, (long long)ts[i].d0, off, off + bytes);
        off += bytes;
    }
    hdr[hlen++] = '}';
    pad = (8 - hlen % 8) % 8;
    while (pad--) hdr[hlen++] = ' ';
    bml__join(path, sizeof path, desc->out_dir, "model.safetensors");
    f = fopen(path, "wb");
    if (!f) { BML_FREE(hdr); BML_FREE(ts); return bml__fail(BML_ERR_IO, "%s: cannot create: %s", path, strerror(errno)); }
    {
        unsigned char le[8];
        for (k = 0; k < 8; k++) le[k] = (unsigned char)((uint64_t)hlen >> (8 * k));
        fwrite(le, 1, 8, f);
        fwrite(hdr, 1, hlen, f);
    }
    seed = desc->seed;
    for (i = 0; i < nt; i++) {
        size_t n = (size_t)ts[i].d0 * (size_t)(ts[i].d1 ? ts[i].d1 : 1), j;
        float scale = ts[i].kind == 0 ? 0.1f : ts[i].kind == 1 ? 0.1f : ts[i].kind == 2 ? 0.02f
                      : sqrtf(3.0f / (float)ts[i].d1);
        unsigned char buf[4096];
        size_t nb = 0;
        for (j = 0; j < n; j++) {
            float v = bml__unif(&seed) * scale;
            uint32_t bits;
            if (ts[i].kind == 1) v += 1.0f;
            memcpy(&bits, &v, 4);
            buf[nb++] = (unsigned char)bits; buf[nb++] = (unsigned char)(bits >> 8);
            buf[nb++] = (unsigned char)(bits >> 16); buf[nb++] = (unsigned char)(bits >> 24);
            if (nb == sizeof buf) { fwrite(buf, 1, nb, f); nb = 0; }
        }
        fwrite(buf, 1, nb, f);
    }
    BML_FREE(hdr);
    BML_FREE(ts);
    if (ferror(f) | (fclose(f) != 0)) return bml__fail(BML_ERR_IO, "%s: write failed", path);
    snprintf(text, sizeof text,
             "{\n  \"_name_or_path\": \"batchml-random-seed-%llu\",\n  \"architectures\": [\n    \"BertModel\"\n  ],\n"
             "  \"attention_probs_dropout_prob\": 0.1,\n  \"classifier_dropout\": null,\n  \"gradient_checkpointing\": false,\n"
             "  \"hidden_act\": \"gelu\",\n  \"hidden_dropout_prob\": 0.1,\n  \"hidden_size\": %d,\n  \"initializer_range\": 0.02,\n"
             "  \"intermediate_size\": %d,\n  \"layer_norm_eps\": 1e-12,\n  \"max_position_embeddings\": %d,\n"
             "  \"model_type\": \"bert\",\n  \"num_attention_heads\": %d,\n  \"num_hidden_layers\": %d,\n  \"pad_token_id\": 0,\n"
             "  \"position_embedding_type\": \"absolute\",\n  \"torch_dtype\": \"float32\",\n  \"transformers_version\": \"4.31.0\",\n"
             "  \"type_vocab_size\": 2,\n  \"use_cache\": true,\n  \"vocab_size\": %d\n}\n",
             (unsigned long long)desc->seed, H, I, P, A, L, V);
    if ((rc = bml__write_text(desc->out_dir, "config.json", text)) != BML_OK) return rc;
    snprintf(text, sizeof text,
             "[\n  {\n    \"idx\": 0,\n    \"name\": \"0\",\n    \"path\": \"\",\n    \"type\": \"sentence_transformers.models.Transformer\"\n  },\n"
             "  {\n    \"idx\": 1,\n    \"name\": \"1\",\n    \"path\": \"1_Pooling\",\n    \"type\": \"sentence_transformers.models.Pooling\"\n  }%s\n]",
             desc->no_normalize ? "" : ",\n  {\n    \"idx\": 2,\n    \"name\": \"2\",\n    \"path\": \"2_Normalize\",\n    \"type\": \"sentence_transformers.models.Normalize\"\n  }");
    if ((rc = bml__write_text(desc->out_dir, "modules.json", text)) != BML_OK) return rc;
    snprintf(text, sizeof text, "{\n  \"max_seq_length\": %d,\n  \"do_lower_case\": false\n}",
             desc->max_seq_len ? desc->max_seq_len : 256);
    if ((rc = bml__write_text(desc->out_dir, "sentence_bert_config.json", text)) != BML_OK) return rc;
    bml__join(path, sizeof path, desc->out_dir, "1_Pooling");
    if ((rc = bml__mkdirs(path)) != BML_OK) return rc;
    snprintf(text, sizeof text,
             "{\n  \"word_embedding_dimension\": %d,\n  \"pooling_mode_cls_token\": %s,\n  \"pooling_mode_mean_tokens\": %s,\n"
             "  \"pooling_mode_max_tokens\": %s,\n  \"pooling_mode_mean_sqrt_len_tokens\": %s\n}",
             H, desc->pooling == BML_POOL_CLS ? "true" : "false", desc->pooling == BML_POOL_MEAN ? "true" : "false",
             desc->pooling == BML_POOL_MAX ? "true" : "false", desc->pooling == BML_POOL_MEAN_SQRT_LEN ? "true" : "false");
    if ((rc = bml__write_text(path, "config.json", text)) != BML_OK) return rc;
    for (k = 0; k < 4; k++)
        if ((rc = bml__copy_file(desc->assets_dir, desc->out_dir, assets[k])) != BML_OK) return rc;
    return BML_OK;
}

/* ======================================================================
   Batch-size tuning
   ====================================================================== */
#include "parts/tuning_impl.h"

#endif /* BATCHML_IMPLEMENTATION_DONE */
#endif /* BATCHML_IMPLEMENTATION */

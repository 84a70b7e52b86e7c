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
     BATCHML_NO_PACK        no weight-panel kernel for the dense layers (by
                            default the weights are laid out once at load
                            in panels for the kernel set in use and the
                            dense layers run on them; BATCHML_NO_PACK=1 in
                            the environment does the same at run time:
                            OpenBLAS, or the reference GEMM, instead)
     BATCHML_NO_SIMD        only the generic (portable C) kernel set; by
                            default every set the compiler can build is
                            compiled whatever -march says (x86-64 with
                            GCC/clang: AVX2+FMA and AVX-512 through target
                            attributes; aarch64: NEON) and the best one the
                            CPU runs is chosen at load. BATCHML_ISA=generic|
                            avx2|avx512|neon in the environment (or
                            bml_model_desc.isa) forces one; batchml info
                            --kernels lists those this CPU runs.
     BATCHML_NO_ENGINE      no dynamic-batching engine (bml_engine_*)
     BATCHML_NO_VECTOR_EXT  the generic set in plain C structs of 4 floats
                            instead of GNU C vectors (what a compiler
                            without them, MSVC or TinyCC, gets anyway; the
                            same numbers, bit for bit)
     BATCHML_SPIN           pause instructions an idle worker thread spins
                            before it sleeps (default 4096, ~0.1 ms; 0:
                            sleep at once, for machines shared with other
                            busy processes; BATCHML_POOL_SPIN, its old
                            name, still works)
     BATCHML_NO_OVERLAY     no gradient overlays (and no backward pass, no
                            exporter): an embedding-only build
     BATCHML_NO_EXPORTER    no buffering overlay exporter
     BATCHML_NO_TUNE        no MAP-Elites search (bml_tune); archives still
                            load and BML_BATCH_AUTO still chooses
     BATCHML_NO_MKMODEL     no random-weight model writer (bml_mkmodel)
     BML_MALLOC(n) BML_REALLOC(p,n) BML_FREE(p)   allocator hooks
     BML_ASSERT(x)          internal invariant checks (default: assert)
     BML_LOG(level, msg)    logging hook; the library prints nothing unless
                            a log callback is installed (bml_set_log)
     BMLDEF                 linkage of public functions (default: extern)

   READING THE IMPLEMENTATION
     Sections run in the order data flows, each one opened by a tag to
     search for (">>model"); generated tables and the OpenCL kernel sources
     are in an appendix at the end.
     >>isa        The kernel sets this build compiles, the BLAS
     >>errors     Errors and logging
     >>platform   The operating system (POSIX or Win32)
     >>files      Files
     >>utf8       UTF-8
     >>json       JSON reader
     >>threads    Threads
     >>tokenizer  Tokenizer
     >>batch      Batch types
     >>model      Model
     >>kernels    Kernels
     >>forward    Encoder forward pass
     >>pooling    Pooling, and the whole forward pass
     >>backward   Backward pass
     >>embed      Embedding API
     >>overlay    Gradient overlays
     >>export     The buffering overlay exporter
     >>mkmodel    mkmodel
     >>tune       Batch-size tuning
     >>opencl     OpenCL device path
     >>tables     Appendix

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

/* the exporter computes overlays; on Windows it is not built (it relies on
   POSIX record locks, O_NOFOLLOW and directory fsync: >>platform) */
#if (defined(BATCHML_NO_OVERLAY) || defined(_WIN32)) && !defined(BATCHML_NO_EXPORTER)
#define BATCHML_NO_EXPORTER
#endif

/* The implementation uses POSIX (mmap, clock_gettime, threads) or, on
   Windows, Win32 (>>platform); with -std=c99 POSIX needs the feature macro
   before any system header, and MinGW's C99 printf (%zu) its own. */
#if defined(BATCHML_IMPLEMENTATION) && !defined(_WIN32) && !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#if defined(BATCHML_IMPLEMENTATION) && defined(__MINGW32__) && !defined(__USE_MINGW_ANSI_STDIO)
#define __USE_MINGW_ANSI_STDIO 1
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdio.h> /* FILE (bml_fopen) */

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
    BML_ERR_NONFINITE,      /* a result is NaN or infinite (the model's
                               numbers overflow float for this input)     */
    BML_ERR_INTERNAL,
    BML_ERR_BUSY,           /* a full queue: try again later (bml_engine)  */
    BML_ERR_TIMEOUT,        /* a deadline or a wait ran out               */
    BML_ERR_CANCELLED       /* cancelled, or the engine shut down         */
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

/* Open an existing file for reading the way batchml opens every file it
   reads (model files, index files, head files, tuning archives): without
   blocking (O_NONBLOCK, so a FIFO or a device put in its place is refused
   instead of waited on for ever) and only if it is a regular file; the
   descriptor is then made blocking again. *fd = -1 on failure, with a
   message naming the path and what it is ("a FIFO", "a directory"). */
BMLDEF bml_status bml_open_regular(const char *path, int *fd);
/* fopen with a UTF-8 path on every platform (on Windows the path goes
   through UTF-16, whatever the ANSI code page); NULL and errno on failure. */
BMLDEF FILE *bml_fopen(const char *path, const char *mode);

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
   the caller reads (each loader has its own file-size limit). A key that
   appears twice in one object is an error naming it and both offsets
   (Python keeps the last, a reader keeping the first would disagree). */
BMLDEF bml_status bml_json_parse(const char *text, size_t len, const char *name, bml_json_doc **out);
/* Read and parse the file at path (opened with bml_open_regular), refusing
   one over `limit` bytes before reading it (BML_ERR_NOMEM, naming the size). */
BMLDEF bml_status bml_json_load(const char *path, size_t limit, bml_json_doc **out);
BMLDEF const bml_json *bml_json_root(const bml_json_doc *doc);
BMLDEF void bml_json_free(bml_json_doc *doc);
/* Member of an object by key (NULL if absent or not an object). */
BMLDEF const bml_json *bml_json_get(const bml_json *obj, const char *key);
/* 1 when v is a number that is an integer in [lo, hi] (checked before any
   conversion, so 1e300 or -1e300 is simply out of range), with it in *out;
   else 0. Every integer batchml takes from a JSON number goes through it. */
BMLDEF int bml_json_int(const bml_json *v, long long lo, long long hi, long long *out);
/* s[0..n) as a JSON string, quotes included, into buf[cap] (NUL-terminated
   when cap > 0): '"' and '\\' escaped, bytes below 0x20 as \u00XX, valid
   UTF-8 as is, and each maximal invalid UTF-8 subsequence as \ufffd, so the
   output is always valid JSON. The one escaper of the library, its exporter
   and the CLI. Returns the length; >= cap means it was cut (call again with
   a larger buffer; buf may be NULL with cap 0 to measure). */
BMLDEF size_t bml_json_escape(const char *s, size_t n, char *buf, size_t cap);

/* ======================================================================
   API: tokenizer (BERT WordPiece, id-for-id identical to HF tokenizers)
   ====================================================================== */
typedef struct bml_tokenizer bml_tokenizer;

typedef struct bml_tokenizer_desc {
    const char *dir;        /* a model directory: tokenizer.json preferred,
                               else vocab.txt + tokenizer_config.json        */
    const char *file;       /* or one explicit tokenizer.json / vocab.txt
                               (set, it is the one read; dir is ignored)    */
    int max_len;            /* truncation length incl. specials; 0 = from
                               sentence_bert_config.json max_seq_length, else
                               256 (never above max_position_embeddings when
                               config.json is present); < 0 = no truncation  */
} bml_tokenizer_desc;

typedef enum bml_utf8_policy {
    BML_UTF8_ERROR = 0,     /* invalid UTF-8 -> BML_ERR_INVALID_UTF8 with the byte offset */
    BML_UTF8_REPLACE = 1    /* substitute U+FFFD for each maximal invalid subsequence     */
} bml_utf8_policy;

/* One encoded text (or pair). Arrays owned by the encoding; reuse one
   encoding across calls to avoid allocation; release with bml_encoding_free.
   Zero-initialise before first use. */
typedef struct bml_encoding {
    int32_t *ids;           /* n token ids, [CLS] ... [SEP]                    */
    uint8_t *type_ids;      /* n token type ids (0, or 1 for the 2nd of a pair) */
    uint32_t *offsets;      /* 2n: byte span [start, end) of each token in the
                               original UTF-8 input; special tokens 0,0 (for a
                               pair, the second text's tokens index that text) */
    size_t n;
    size_t cap;             /* internal */
    size_t bad_offset;      /* after BML_ERR_INVALID_UTF8: byte offset of the
                               first invalid sequence (in the second text of a
                               pair when bad_in_second is set)                 */
    int bad_in_second;
    void *work;             /* internal: scratch kept between calls            */
} bml_encoding;

/* Load a tokenizer. Errors name the file and the problem ("vocab.txt line 17:
   duplicate token ..."). A loaded tokenizer is read-only: share it across
   threads (one bml_encoding per thread). tokenizer.json support: model
   WordPiece, normalizer BertNormalizer (or none), pre_tokenizer
   BertPreTokenizer, post_processor TemplateProcessing / BertProcessing (or
   none), decoder WordPiece (or none), added tokens that are not normalized
   and have no lstrip/rstrip/single_word (others: BML_ERR_UNSUPPORTED). */
BMLDEF bml_status bml_tokenizer_load(const bml_tokenizer_desc *desc, bml_tokenizer **out);
BMLDEF void bml_tokenizer_free(bml_tokenizer *tok);
/* Size of the id space: highest id + 1 (vocabulary and added tokens). */
BMLDEF size_t bml_tokenizer_vocab_size(const bml_tokenizer *tok);
/* Truncation length in tokens, specials included (INT_MAX: none). */
BMLDEF int bml_tokenizer_max_len(const bml_tokenizer *tok);
/* The vocabulary string of id (NULL if out of range). */
BMLDEF const char *bml_tokenizer_id_to_token(const bml_tokenizer *tok, int32_t id);
/* The id of a vocabulary string (-1 if absent). */
BMLDEF int32_t bml_tokenizer_token_to_id(const bml_tokenizer *tok, const char *token, size_t len);
/* Ids of the [CLS]/[SEP]/[PAD]/[UNK]/[MASK]-like tokens (-1 if the tokenizer
   has none): which = "cls", "sep", "pad", "unk" or "mask". */
BMLDEF int32_t bml_tokenizer_special_id(const bml_tokenizer *tok, const char *which);

/* 1 if s[0..n) is valid UTF-8; else 0 with *bad_offset (may be NULL) set to
   the byte offset of the first invalid sequence. */
BMLDEF int bml_utf8_check(const char *s, size_t n, size_t *bad_offset);

/* Encode one text: [CLS] tokens [SEP], truncated to the max length.
   len < 0 means NUL-terminated. */
BMLDEF bml_status bml_tokenize(const bml_tokenizer *tok, const char *text, ptrdiff_t len,
                               bml_utf8_policy policy, bml_encoding *enc);
/* Encode a pair: [CLS] a [SEP] b [SEP], type ids 0/1, longest-first truncation. */
BMLDEF bml_status bml_tokenize_pair(const bml_tokenizer *tok, const char *a, ptrdiff_t alen,
                                    const char *b, ptrdiff_t blen, bml_utf8_policy policy,
                                    bml_encoding *enc);
BMLDEF void bml_encoding_free(bml_encoding *enc);

/* Decode ids to text as HF's WordPiece decoder does (specials skipped,
   "##" joined, spaces before punctuation cleaned up). *out is allocated
   with BML_MALLOC, NUL-terminated; free with bml_free. An id outside the
   vocabulary is BML_ERR_OUT_OF_RANGE (HF skips it silently). */
BMLDEF bml_status bml_detokenize(const bml_tokenizer *tok, const int32_t *ids, size_t n,
                                 char **out, size_t *out_len);

/* Encode many texts across `threads` threads (0 = all cores). encs[i] and
   status[i] (may be NULL) receive each item's result; one bad item fails
   alone. Returns BML_OK unless the call itself is invalid. lens may be NULL
   (NUL-terminated texts). */
BMLDEF bml_status bml_tokenize_batch(const bml_tokenizer *tok, const char *const *texts,
                                     const size_t *lens, size_t count, bml_utf8_policy policy,
                                     int threads, bml_encoding *encs, bml_status *status);
/* The same for pairs (a[i], b[i]), e.g. for a cross-encoder. */
BMLDEF bml_status bml_tokenize_pair_batch(const bml_tokenizer *tok, const char *const *a,
                                          const size_t *alens, const char *const *b,
                                          const size_t *blens, size_t count, bml_utf8_policy policy,
                                          int threads, bml_encoding *encs, bml_status *status);
/* Decode many id sequences: outs[i] (free each with bml_free) and out_lens[i]
   (may be NULL), status[i] (may be NULL). */
BMLDEF bml_status bml_detokenize_batch(const bml_tokenizer *tok, const int32_t *const *ids,
                                       const size_t *ns, size_t count, int threads, char **outs,
                                       size_t *out_lens, bml_status *status);

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
    void *index_;           /* private: id -> position table                 */
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
    int normalize;          /* the embeddings are unit length (modules.json
                               ends with a Normalize module)                 */
    int n_dense;            /* sentence-transformers Dense modules after the
                               pooling (modules.json order)                  */
    int dim;                /* embedding size: hidden, or the last Dense
                               module's out_features                         */
    int head_max;           /* the widest vector after pooling (>= hidden)  */
    int max_seq_len;        /* tokens incl. [CLS]/[SEP] (sentence_bert_config) */
    const char *dtype;      /* "F32", "F16" or "BF16" as stored              */
    size_t n_params;
    size_t file_bytes;      /* model.safetensors size                       */
    const char *held;       /* the weight matrices in memory: "F16" or "BF16"
                               (kept as stored, widened inside the kernels)
                               or "F32" (a float32 or mixed file, OpenCL,
                               BATCHML_NO_PACK); vectors are always float32 */
} bml_config;

typedef struct bml_model bml_model;

/* CPU kernel sets. Every set this compiler can build is compiled in (x86-64
   with GCC or clang: AVX-512 F/BW/DQ/VL and AVX2+FMA, whatever -march says;
   aarch64: NEON; everywhere: generic C) and one is chosen at load from the
   CPU's features. All give the same embeddings to within 1e-6; each is
   bitwise batch-invariant on its own. */
typedef enum bml_isa {
    BML_ISA_AUTO = 0,       /* the best the CPU runs                         */
    BML_ISA_GENERIC,        /* portable C the compiler vectorizes            */
    BML_ISA_AVX2,           /* x86-64 AVX2 + FMA                             */
    BML_ISA_AVX512,         /* x86-64 AVX-512 F/BW/DQ/VL                     */
    BML_ISA_NEON            /* aarch64 ASIMD (FMA)                           */
} bml_isa;

typedef struct bml_model_desc {
    const char *path;       /* the model directory                          */
    int threads;            /* 0 = every core                                */
    int deterministic;      /* 1: results bitwise identical whatever the
                               batch composition, batch size and thread
                               count, within one kernel set. Every kernel
                               set is, always; this matters only with
                               BATCHML_NO_PACK, where it selects the
                               fixed-order reference GEMM over OpenBLAS    */
    int max_seq_len;        /* 0 = sentence_bert_config.json's (else 256),
                               never above max_position_embeddings          */
    int no_tokenizer;       /* 1: ids-only model (no vocab files needed)     */
    const char *device;     /* "cpu", "opencl", "opencl:P:D" or "auto"; NULL =
                               env BATCHML_DEVICE, else "cpu" (OpenCL needs a
                               build with BATCHML_OPENCL)                     */
    bml_isa isa;            /* the CPU kernel set; BML_ISA_AUTO (0) = env
                               BATCHML_ISA, else the best this CPU runs. One
                               the CPU or the build lacks is an error.      */
} bml_model_desc;

BMLDEF bml_status bml_model_load(const bml_model_desc *desc, bml_model **out);
BMLDEF void bml_model_free(bml_model *m);
BMLDEF const bml_config *bml_model_config(const bml_model *m);
/* The model's tokenizer (NULL for an ids-only model). */
BMLDEF const bml_tokenizer *bml_model_tokenizer(const bml_model *m);
/* Prompts, as config_sentence_transformers.json names them ("prompts":
   {"query": "query: ", ...}, "default_prompt_name"): the count, the i-th
   name and text, the text of a name (NULL: no such prompt), and the
   default prompt's name (NULL: none). sentence-transformers prepends the
   prompt's text to each text before tokenizing; so does bml_embed_batch
   (bml_batch_desc.prompt). */
BMLDEF int bml_model_prompt_count(const bml_model *m);
BMLDEF const char *bml_model_prompt_name(const bml_model *m, int i);
BMLDEF const char *bml_model_prompt_text(const bml_model *m, int i);
BMLDEF const char *bml_model_prompt(const bml_model *m, const char *name);
BMLDEF const char *bml_model_default_prompt(const bml_model *m);
/* Human-readable name of the pooling mode ("mean", "cls", ...). */
BMLDEF const char *bml_pooling_name(bml_pooling p);

/* "generic", "avx2", "avx512", "neon" ("auto" for BML_ISA_AUTO). */
BMLDEF const char *bml_isa_name(bml_isa isa);
/* Parses a name as bml_isa_name gives it; BML_ERR_INVALID_ARG otherwise. */
BMLDEF bml_status bml_isa_parse(const char *name, bml_isa *out);
/* 1 when this build has the kernel set and this CPU runs it. */
BMLDEF int bml_isa_supported(bml_isa isa);
/* The best kernel set for this CPU (what BML_ISA_AUTO picks, ignoring
   BATCHML_ISA). */
BMLDEF bml_isa bml_isa_best(void);
/* The kernel set a loaded model runs. */
BMLDEF bml_isa bml_model_isa(const bml_model *m);
/* What this CPU offers, as space-separated feature names ("avx2 fma f16c avx512f
   avx512bw avx512vl avx512dq avx512_vnni avx512_bf16 amx_tile amx_int8
   amx_bf16 avx_vnni" on x86-64, "asimd asimddp i8mm bf16" on aarch64, each
   listed only when present and enabled by the OS); "" when unknown. */
BMLDEF const char *bml_cpu_features(void);

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
    const char *prompt;     /* text prepended to every text item before
                               tokenizing (ids items are taken as they are);
                               NULL = the model's default prompt, if any
                               (bml_model_default_prompt); "" = none         */
    size_t dimensions;      /* 0 = the model's dim; 1..dim = Matryoshka: the
                               first `dimensions` components, renormalized to
                               unit length when the model normalizes         */
} bml_batch_desc;

/* Embed `count` items into out[count * D] (row i = item i), D the model's
   dim or desc->dimensions. Each item gets a response in `res` (may be
   NULL); a bad item fails alone, its row zeroed. Returns BML_OK unless the
   call itself is invalid. */
BMLDEF bml_status bml_embed_batch(bml_model *m, const bml_item *items, size_t count,
                                  const bml_batch_desc *desc, float *out, bml_result *res);
/* The first D (1..dim) components of a full embedding row v into out[D]
   (may be v), renormalized to unit length when D < dim and the model
   normalizes: exactly what bml_batch_desc.dimensions does. */
BMLDEF void bml_truncate_embedding(const bml_model *m, const float *v, size_t D, float *out);

#ifndef BATCHML_NO_ENGINE
/* ======================================================================
   API: engine — dynamic batching of single requests from many threads
   ====================================================================== */
/* Batching pays only when there is a batch. An engine makes one out of
   requests that arrive one at a time, from any number of threads: it owns
   one dispatcher thread that runs batches on the model (through
   bml_embed_batch, with the model's own threads: one batch at a time uses
   every core), and callers submit single items to its queue.

   BATCHES  The dispatcher starts a batch when the queue holds
     max_batch_items requests or max_batch_tokens tokens, or when the
     request at its front has waited max_wait_us for company (at once while
     draining, and at once while requests arrive further apart than
     max_wait_us on average: then no company would come, e.g. from one
     client that waits for each answer before asking again). A batch takes requests in priority order up to either limit
     (always at least one). Text is tokenized in bml_engine_submit, on the
     caller's thread. A request's embedding is bitwise the one
     bml_embed_batch gives the same item alone, whatever it is batched with.
   PRIORITY  Three classes, taken highest first and FIFO within a class. A
     request moves up one class for every promote_us it has waited (default
     100 ms): a low request is taken at most about 2 x promote_us after it
     was queued plus one batch, however much high traffic arrives after it.
   COMPLETION  Every request submit accepts completes exactly once: BML_OK
     with its embedding, BML_ERR_NONFINITE, BML_ERR_TIMEOUT (still queued
     past its deadline), BML_ERR_CANCELLED (bml_engine_cancel, or a shutdown
     that does not drain) or the error of a failed batch. It then calls the
     request's callback (on the dispatcher's thread, or on the thread that
     cancelled it; never under an engine lock, so it may submit) and wakes
     bml_engine_wait. An item bml_embed_batch would refuse (empty, invalid
     UTF-8, too long, an id outside the vocabulary) is refused by submit at
     once with that status, and a full queue answers BML_ERR_BUSY at once:
     submit never blocks for long.
   LIFETIME  The model must outlive the engine and must not be used by
     anything else while the engine runs. A ticket stays readable until
     bml_engine_ticket_free, also after bml_engine_free. A callback must
     not shut down or free its own engine (the dispatcher would wait for
     itself). */

typedef enum bml_priority { BML_PRIORITY_HIGH = 0, BML_PRIORITY_NORMAL, BML_PRIORITY_LOW } bml_priority;

typedef struct bml_engine_desc {  /* zero = default, field by field */
    size_t max_batch_tokens;  /* tokens in a batch (0: the tuning heuristic's
                                 max_tokens for 16-token items, bml_batch_heuristic) */
    size_t max_batch_items;   /* requests in a batch, 1..4096 (0: 256)       */
    uint64_t max_wait_us;     /* how long the front request waits for
                                 company (0: 2000 = 2 ms; BML_ENGINE_NO_WAIT:
                                 not at all)                                 */
    size_t queue_capacity;    /* queued requests before BML_ERR_BUSY (0: 1024) */
    uint64_t promote_us;      /* waiting this long moves a request up a class
                                 (0: 100000 = 100 ms)                        */
    const char *prompt;       /* as bml_batch_desc.prompt (copied)           */
    size_t dimensions;        /* as bml_batch_desc.dimensions                */
    bml_utf8_policy utf8;     /* text items: invalid UTF-8 handling          */
} bml_engine_desc;
#define BML_ENGINE_NO_WAIT UINT64_MAX

typedef struct bml_engine bml_engine;
typedef struct bml_engine_ticket bml_engine_ticket;

typedef struct bml_engine_result {
    uint64_t id;              /* the item's id                               */
    bml_status status;
    char error[192];          /* readable message when status != BML_OK      */
    const float *embedding;   /* dim floats when BML_OK: valid during the
                                 callback, or until bml_engine_ticket_free   */
    size_t dim;
    size_t tokens;            /* the item's tokens, [CLS]/[SEP] included     */
    uint64_t queue_ns;        /* submit until its batch started (or until it
                                 failed, for a request that never ran)       */
    uint64_t compute_ns;      /* its batch's start until the result          */
} bml_engine_result;

typedef void (*bml_engine_done_fn)(const bml_engine_result *r, void *user);

typedef struct bml_engine_request {
    bml_item item;            /* text or ids; the engine copies what it needs */
    const char *prompt;       /* text items: put before the text (NULL: the
                                 engine's bml_engine_desc.prompt; "": none)  */
    bml_priority priority;
    uint64_t deadline_ns;     /* bml_now_ns() clock; 0: none. Still queued
                                 then: BML_ERR_TIMEOUT                       */
    bml_engine_done_fn done;  /* optional completion callback                */
    void *user;
} bml_engine_request;

#define BML_ENGINE_HIST 16    /* histogram buckets: [2^b, 2^(b+1)), the last open */
typedef struct bml_engine_stats {
    uint64_t submitted;       /* accepted by submit                          */
    uint64_t completed;       /* ... and completed BML_OK                    */
    uint64_t failed;          /* refused items (at submit) and item or batch errors */
    uint64_t rejected;        /* BML_ERR_BUSY answers                        */
    uint64_t cancelled, timed_out;
    size_t queued, running;   /* now                                         */
    uint64_t batches;
    uint64_t batch_items[BML_ENGINE_HIST];   /* batches by requests          */
    uint64_t batch_tokens[BML_ENGINE_HIST];  /* batches by tokens            */
    /* over the last 4096 requests that ran: queue and submit-to-result
       latency, nanoseconds (0 before any) */
    double queue_p50_ns, queue_p95_ns, queue_p99_ns;
    double total_p50_ns, total_p95_ns, total_p99_ns;
} bml_engine_stats;

/* Start an engine on a loaded model (desc may be NULL: all defaults). */
BMLDEF bml_status bml_engine_create(bml_model *m, const bml_engine_desc *desc, bml_engine **out);
/* Queue one item. ticket may be NULL when the request has a callback;
   else *ticket is the caller's to wait on and free. Thread-safe. */
BMLDEF bml_status bml_engine_submit(bml_engine *e, const bml_engine_request *r, bml_engine_ticket **ticket);
/* Other work on the model (gradient overlays, a target to embed, ...) in
   the same queue: fn(model, user, err, cap) runs on the dispatcher thread
   between batches, alone on the model, when its turn comes by the same
   priority rules; it completes like a request, with fn's status (and its
   message in err, cap bytes) and no embedding. */
typedef bml_status (*bml_engine_job_fn)(bml_model *m, void *user, char *err, size_t cap);
BMLDEF bml_status bml_engine_submit_job(bml_engine *e, bml_engine_job_fn fn, void *user, bml_priority priority,
                                        uint64_t deadline_ns, bml_engine_ticket **ticket);
/* Wait up to timeout_us (0: just look; BML_ENGINE_FOREVER) for the request
   to complete: BML_OK and its result in *out (may be NULL; its embedding
   points into the ticket), or BML_ERR_TIMEOUT if it has not completed. */
BMLDEF bml_status bml_engine_wait(bml_engine_ticket *t, uint64_t timeout_us, bml_engine_result *out);
#define BML_ENGINE_FOREVER UINT64_MAX
/* Cancel a queued request (it completes BML_ERR_CANCELLED): BML_OK, or
   BML_ERR_BUSY when it is already running or complete (it completes with
   its own result). */
BMLDEF bml_status bml_engine_cancel(bml_engine_ticket *t);
/* Release a ticket; a request still in flight completes all the same. */
BMLDEF void bml_engine_ticket_free(bml_engine_ticket *t);
/* Stop accepting (submit answers BML_ERR_CANCELLED), then finish every
   queued request (drain = 1) or fail them BML_ERR_CANCELLED (drain = 0);
   the running batch always finishes. Returns when the dispatcher is done. */
BMLDEF bml_status bml_engine_shutdown(bml_engine *e, int drain);
BMLDEF bml_status bml_engine_stats_get(bml_engine *e, bml_engine_stats *out);
/* Shut down without draining (if not yet) and free the engine. */
BMLDEF void bml_engine_free(bml_engine *e);

#endif /* BATCHML_NO_ENGINE */

/* ======================================================================
   API: devices (OpenCL, with BATCHML_OPENCL)
   ====================================================================== */
/* The device API. It declares no OpenCL types: the whole header stays
   free of OpenCL unless the implementation is compiled with BATCHML_OPENCL.

   DEVICES
     A model runs on the device named by bml_model_desc.device, else the
     environment variable BATCHML_DEVICE, else the CPU:
       "cpu"          the CPU path (OpenBLAS or the built-in GEMM)
       "opencl"       the first OpenCL GPU, else the first OpenCL device
       "opencl:P:D"   device D of platform P, as bml_device_list numbers them
       "auto"         the first OpenCL GPU when there is one, else the CPU path;
                      any device failure (no platform, a failed build, out of
                      device memory, also later in a batch) falls back to the
                      CPU path, said once in the log (bml_set_log)
     The OpenCL path needs a build with -DBATCHML_OPENCL and -lOpenCL (the
     ICD loader; `make opencl` builds ./batchml-cl). Weights are uploaded
     once per model (F32); kernels are compiled once per device and process
     and shared by the models on it (drivers keep their own on-disk cache:
     PoCL's ~/.cache/pocl). Per-batch device buffers grow geometrically.
     Results match the CPU path to float rounding (about 2e-7 max abs on
     normalized embeddings, 1e-5 relative on overlays, measured on PoCL) and
     never depend on batch composition: every kernel computes each output
     element the same way whatever the batch, so batched equals one at a
     time bitwise on a given device, in every mode (deterministic included).
     Errors name the device and the OpenCL error (BML_ERR_DEVICE):
       "OpenCL device opencl:0:0 'NAME' (PLATFORM): clEnqueueNDRangeKernel
        bml_gemm: CL_OUT_OF_RESOURCES (-5)"
     Environment (read at model load):
       BATCHML_OPENCL_BUILD_OPTIONS  extra clBuildProgram options
       BATCHML_OPENCL_MEM_LIMIT_MB   cap on the device memory a model may use
                                     (default: the device's global memory)
       BATCHML_OPENCL_GEMM=tiled|vec the GEMM kernel (default: vec on CPU
                                     devices such as PoCL, tiled on the rest)
       BATCHML_OPENCL_AUTO=any       "auto" takes any OpenCL device, not only GPUs
       BATCHML_OPENCL_PROFILE=1      time each kernel; the totals are logged
                                     (BML_LOG_INFO) when the model is freed */

/* One OpenCL device as bml_device_list finds it. */
typedef struct bml_device_info {
    char id[32];            /* "opencl:P:D", what bml_model_desc.device takes */
    int platform, device;   /* P and D                                         */
    char name[128];         /* CL_DEVICE_NAME                                  */
    char platform_name[128];/* CL_PLATFORM_NAME                                */
    char vendor[64];        /* CL_DEVICE_VENDOR                                */
    char version[64];       /* CL_DEVICE_VERSION ("OpenCL 3.0 CUDA", ...)      */
    char type[16];          /* "GPU", "CPU", "accelerator" or "other"         */
    uint64_t global_mem;    /* bytes                                           */
    uint64_t max_alloc;     /* bytes, the largest single buffer                */
    int compute_units;
} bml_device_info;

/* Fill out[0..cap) with the OpenCL devices of every platform, in
   "opencl:P:D" order. Returns how many exist (may exceed cap; 0 when the
   loader finds no platform), or -1 in a build without BATCHML_OPENCL. */
BMLDEF int bml_device_list(bml_device_info *out, int cap);

/* The listing `batchml info --devices` prints: a line for "cpu", one per
   OpenCL device, and what "auto" would pick, or why there is no OpenCL
   ("no OpenCL in this build", "no OpenCL platform: ..."). Written like
   snprintf into buf[cap] (always NUL-terminated when cap > 0); returns the
   full length. */
BMLDEF size_t bml_device_list_text(char *buf, size_t cap);

/* Where a model runs: "cpu", or "opencl:P:D NAME (PLATFORM)". */
BMLDEF const char *bml_model_device(const bml_model *m);

/* Without BATCHML_OPENCL the three are trivial and defined here, so that
   callers (the CLI's `info --devices`) build the same either way. */
#if defined(BATCHML_IMPLEMENTATION) && !defined(BATCHML_OPENCL) && !defined(BML__DEVICE_STUBS)
#define BML__DEVICE_STUBS
#include <stdio.h>
BMLDEF int bml_device_list(bml_device_info *out, int cap) {
    (void)out;
    (void)cap;
    return -1;
}
BMLDEF size_t bml_device_list_text(char *buf, size_t cap) {
    int n = snprintf(buf, cap,
                     "cpu          the CPU path (%s)\n"
                     "no OpenCL in this build (compile with -DBATCHML_OPENCL and link -lOpenCL: make opencl)\n",
                     bml_blas_info());
    return n < 0 ? 0 : (size_t)n;
}
BMLDEF const char *bml_model_device(const bml_model *m) {
    (void)m;
    return "cpu";
}
#endif

#ifndef BATCHML_NO_OVERLAY
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
    size_t batch_size;      /* inputs per batched pass (batch_size * steps
                               sequences, an input's steps may straddle two
                               passes); 0 = 8                                */
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

#ifndef BATCHML_NO_EXPORTER
/* The buffering overlay exporter (ADR-003): overlay
   requests made during a long-running loop, computed in batches, appended
   to one JSON-lines file per method, and never lost.

   WHAT IT DOES
     bml_exporter_add(id, text) queues one request per method. When a
     method's queue reaches batch_size, the queue is computed in one
     batched pass (bml_overlay_compute_batch) and its records are appended
     to DIR/<name>.jsonl; batch_size 0 computes and appends each request
     as it comes (sequential). bml_exporter_flush() computes and writes
     what is queued (partial batches) and makes the records durable;
     bml_exporter_close() flushes and releases.

   BYTE-IDENTICAL OUTPUT FOR EVERY BATCH SIZE
     A record is the same line whatever batch it was computed in: the files
     for batch_size 0 and for each of 1..32 are byte-identical (same
     records, same order). That needs bit-identical scores, and OpenBLAS's
     GEMM does not give them: its results depend (in the last bits) on how
     many rows a call has, so a batched overlay equals the one-at-a-time
     overlay only to float rounding, which %.9g prints as other digits.
     The model's deterministic mode (fixed-order GEMM,
     bml_model_desc.deterministic) gives bitwise the same scores whatever the batch composition, batch
     size or thread count, in the forward and the backward pass alike.
     So the exporter computes in deterministic mode BY DEFAULT, whatever
     mode the model was loaded in: it switches the model to it for its own
     passes and back (the model is shared with the caller, not copied), so
     its records also equal `batchml overlay --deterministic` output (a
     sim: target's reference embedding is computed in that mode too).
     The cost (bench/exporter.sh, MiniLM-L6 shape, 2 threads, CPU time per
     1,000 grad_x_input overlays): deterministic 17.0 s sequential, 13.0 s
     at batch 8 (batching saves ~1.3x: the fixed-order kernel streams the
     whole weight matrix for every row, so it gains little from more rows);
     OpenBLAS 11.2 s sequential, 4.8 s at batch 8. So byte identity costs
     ~1.5x sequential and ~2.7x batched. Set desc.nondeterministic = 1 to
     compute with the model as loaded instead: faster, and batched records
     then equal sequential ones only to float rounding (values within
     ~1e-6; the printed %.9g digits differ). On an OpenCL device (which
     has no deterministic mode) the exporter needs nondeterministic = 1.

   RECORDS (DIR/<name>.jsonl, one object a line, '\n'-terminated, in add()
   order per method) — exactly the lines of `batchml overlay`:
     {"id":N,"method":"grad","target":"sim:...","f":F,"tokens":[..],
      "offsets":[[s,e],..],"raw":[..],"values":[..]}
   and for an input that failed (empty, invalid UTF-8, too long...):
     {"id":N,"error":"why"}
   Numbers are printed with %.9g (floats round-trip exactly).

   DURABILITY AND FAULTS
     - Each write appends whole records: the lines are built in memory and
       written in one write loop. A write that fails part-way (ENOSPC,
       EIO, ...) is cut back with ftruncate to the last whole record, so no
       torn line stays and nothing is written twice; the call returns
       BML_ERR_IO and every record not durably written stays pending in
       memory. A later flush() (after the fault clears) writes them all, in
       order.
     - fsync policy (desc.fsync): BML_EXPORT_FSYNC_FLUSH (the default)
       fsyncs each file at every flush() and close() that wrote: when
       flush() returns BML_OK every record added before it is on disk.
       BML_EXPORT_FSYNC_BATCH also fsyncs after every batch written during
       add(). BML_EXPORT_FSYNC_NONE never fsyncs (the OS writes back).
       Records written but not yet fsynced are kept in memory (at most
       about 16 MiB a method; more forces an early fsync), so a failed
       fsync cuts the file back to its last synced length and writes them
       again at the next flush.
     - A file removed or replaced while open is noticed at the next write
       (the path no longer names the open file): that write fails, its
       records stay pending, and the next flush() writes them to a new file
       at the path (records synced to the removed file went with it).
     - Opening a file whose last line has no '\n' (a crash mid-write)
       truncates that torn tail, reports it (log warning and
       bml_exporter_stats.torn_bytes) and appends after it.
     - desc.resume = 1 reads the existing records (every line must parse as
       a JSON object with an "id"), and add() skips an id its method's file
       already holds (and an id added twice), so an interrupted run
       completed by a rerun holds exactly one record per (id, method).
     - Each file is locked (fcntl F_SETLK) while open: an exporter in another
       process on the same files fails at create instead of interleaving
       lines. (fcntl locks are per process: within one process, keep one
       exporter per directory.)
     - Fault injection: BML_WRITE(fd, buf, n), BML_FSYNC(fd) and
       BML_FTRUNCATE(fd, len) (defaults write, fsync, ftruncate) may be
       defined before the implementation is included.

   THREADS
     An exporter is used from one thread at a time, and the model it
     computes with must not be used by another thread during its calls.

   EXAMPLE
       bml_exporter_method meth[1] = {{"grad_x_input", "sim:a happy review", NULL, 0}};
       bml_exporter_desc d = {0};
       bml_exporter *ex;
       d.enabled = 1; d.methods = meth; d.n_methods = 1;
       d.batch_size = 8; d.dir = "overlays";
       if (bml_exporter_create(model, &d, &ex) != BML_OK) die(bml_last_error());
       for (step = 0; step < steps; step++) {
           train_step(...);
           if (step % k == 0) bml_exporter_add(ex, step, texts[step], -1);
       }
       if (bml_exporter_close(ex) != BML_OK) die(bml_last_error());
*/

typedef enum bml_export_fsync {
    BML_EXPORT_FSYNC_FLUSH = 0, /* fsync at every flush()/close() that wrote (default) */
    BML_EXPORT_FSYNC_BATCH,     /* and after every batch written during add()         */
    BML_EXPORT_FSYNC_NONE       /* never                                               */
} bml_export_fsync;

/* One enabled method and its target. */
typedef struct bml_exporter_method {
    const char *method;     /* grad, grad_x_input, integrated_gradients, or the
                               presets policy_grad, value_grad (as in
                               bml_method_parse); written as the record's "method" */
    const char *target;     /* sim:TEXT, value:FILE or policy:FILE:K             */
    const char *name;       /* file name stem: DIR/<name>.jsonl; NULL = method.
                               Letters, digits, '_', '-', '.'; not starting
                               with '.'; unique among the methods              */
    int steps;              /* integrated_gradients steps; 0 = 32               */
} bml_exporter_method;

typedef struct bml_exporter_desc {
    int enabled;            /* 0: the exporter accepts add() and does nothing
                               (no files; the loop can call it unconditionally) */
    const bml_exporter_method *methods;
    size_t n_methods;       /* 1..16, also when disabled (a zeroed desc is an
                               error, never a silent no-op)                    */
    int batch_size;         /* 0 = sequential (the default); 1..32 = requests
                               per batched pass. Anything else is rejected    */
    const char *dir;        /* output directory (created if missing)           */
    bml_export_fsync fsync; /* durability policy (see above)                    */
    int resume;             /* 1: skip ids already in the files                 */
    int nondeterministic;   /* 1: compute with the model as loaded (faster; bytes
                               then depend on the batch size, see above)        */
    bml_utf8_policy utf8;   /* text inputs: invalid UTF-8 handling              */
} bml_exporter_desc;

typedef struct bml_exporter bml_exporter;

/* Per-method counters (this exporter's lifetime unless said otherwise). */
typedef struct bml_exporter_stats {
    const char *name;       /* file stem                                        */
    const char *path;       /* DIR/<name>.jsonl                                 */
    size_t items;           /* requests accepted by add() (skipped ones not)    */
    size_t skipped;         /* resume: requests whose id the file already had   */
    size_t batches;         /* compute calls (passes of up to batch_size inputs) */
    size_t records;         /* records written and durable per the policy (error
                               records included; under FSYNC_FLUSH they count
                               from the flush() that fsyncs them)              */
    size_t errors;          /* of which error records ({"id":N,"error":..})     */
    size_t pending;         /* requests queued, computed, or written but not yet
                               fsynced (kept in memory until durable)          */
    size_t existing;        /* whole records in the file when it was opened     */
    size_t torn_bytes;      /* bytes of a torn last line truncated at open      */
    size_t write_failures;  /* failed writes/fsyncs (each kept its records)     */
    uint64_t bytes;         /* bytes appended                                   */
    uint64_t compute_ns;    /* time in the overlay passes                       */
    uint64_t write_ns;      /* formatting lines and write() calls               */
    uint64_t sync_ns;       /* fsync calls                                      */
} bml_exporter_stats;

/* Validate desc, parse the targets against m, open (create, repair, lock,
   and with resume read) DIR/<name>.jsonl for every method. Errors name the
   field, the valid range and the value given, e.g.
   "bml_exporter_desc.batch_size must be 0..32 (0 = sequential, 1..32 =
   batched), got 64". m may be NULL only when the exporter is disabled. */
BMLDEF bml_status bml_exporter_create(bml_model *m, const bml_exporter_desc *desc, bml_exporter **out);
/* Queue one text (len < 0: NUL-terminated; copied) under id for every
   method; computes and appends every method whose queue is full. BML_OK,
   or the first error of those writes/passes (BML_ERR_IO, BML_ERR_NOMEM):
   the request is queued either way and nothing is lost. */
BMLDEF bml_status bml_exporter_add(bml_exporter *ex, uint64_t id, const char *text, ptrdiff_t len);
/* The same for a bml_item (text, or token ids when item->ids != NULL). */
BMLDEF bml_status bml_exporter_add_item(bml_exporter *ex, const bml_item *item);
/* Queue an error record {"id":id,"error":error} for every method (an input
   the caller could not even form, e.g. an unparsable ids line). */
BMLDEF bml_status bml_exporter_add_failed(bml_exporter *ex, uint64_t id, const char *error);
/* Compute every queued request (partial batches), write every pending
   record, fsync per the policy. BML_OK: all of them are written (and
   durable under the default policy). Otherwise the first error; whatever
   could not be written stays pending for the next flush(). */
BMLDEF bml_status bml_exporter_flush(bml_exporter *ex);
/* Flush, then release. On failure the exporter is NOT released (nothing
   pending is dropped): call close() again later, or bml_exporter_free(). */
BMLDEF bml_status bml_exporter_close(bml_exporter *ex);
/* Release without flushing: pending requests and records are dropped. */
BMLDEF void bml_exporter_free(bml_exporter *ex);
/* Methods (0 when disabled) and their counters. */
BMLDEF size_t bml_exporter_method_count(const bml_exporter *ex);
BMLDEF bml_status bml_exporter_stats_get(const bml_exporter *ex, size_t method, bml_exporter_stats *out);
/* Requests or records of every method not yet durable. */
BMLDEF size_t bml_exporter_pending(const bml_exporter *ex);

#endif /* BATCHML_NO_EXPORTER */

/* One overlay as its JSON line (the record format above, '\n' included)
   into buf[cap], NUL-terminated when cap > 0. method/target are the
   strings written (NULL: bml_method_name(o->method) / the key is left
   out); the model's tokenizer names the tokens ("" for an ids-only model).
   An overlay with status != BML_OK gives {"id":N,"error":"..."}. Returns
   the line's length; when that is >= cap the line was cut: call again with
   a larger buffer. */
BMLDEF size_t bml_overlay_to_json(const bml_model *m, const bml_overlay *o, const char *method, const char *target,
                                  char *buf, size_t cap);

#endif /* BATCHML_NO_OVERLAY */

#ifndef BATCHML_NO_MKMODEL
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
    int max_seq_len;        /* 0 = 256 (or max_position when smaller)       */
} bml_mkmodel_desc;

/* Writes config.json, model.safetensors (F32), 1_Pooling/config.json,
   modules.json, sentence_bert_config.json and copies the tokenizer files.
   Byte-identical for the same desc on any machine. */
BMLDEF bml_status bml_mkmodel(const bml_mkmodel_desc *desc);

#endif /* BATCHML_NO_MKMODEL */

/* ======================================================================
   API: batch-size tuning (heuristic default, MAP-Elites archive)
   ====================================================================== */
/* Batch-size tuning: a heuristic default, an offline
   MAP-Elites search whose archive is used at run time (ADR-0004).

   HOW A BATCH SHAPE IS CHOSEN
     bml_embed_batch with batch_size = BML_BATCH_AUTO looks at the lengths
     of the call's valid items (their "profile": count, mean length, length
     spread) and takes, in order:
       1. the archive (bml_tuning) when one is given, it was tuned for this
          model shape and the profile falls in one of its cells (or within
          one cell width of a filled one): that cell's best configuration
          that fits the memory budget;
       2. otherwise bml_batch_heuristic.
     bml_tuning_choose does the same and says which one it took and why.

   THE HEURISTIC (bml_batch_heuristic)
     The forward pass packs every batch into one [tokens, hidden] matrix
     (no padding), so its cost is set by tokens per pass, not sequences.
     Each pass streams every weight matrix once (Wl = 4(4H^2 + 2HI) bytes a
     layer); each token carries a = 4(6H + I) bytes of activations. The
     token target is T = 4 Wl / a (weight traffic a small share of the
     activation traffic), at least 64 per thread (GEMM row blocks), at most
     the tokens whose activations fit the last-level cache (L2 per core x
     threads, or L3 when it is known and larger) and never above 8192.
     batch_size = T / mean length (balanced so the last batch is not a
     runt; never above the item count), max_tokens = 2 T (long outliers do
     not blow up a pass), sorted by length. A memory budget lowers
     max_tokens and batch_size until the activation arena fits
     (bml_batch_peak_bytes). Cache sizes come from
     /sys/devices/system/cpu/cpu0/cache, else sysconf, else 1 MiB / 8 MiB.

   THE SEARCH (bml_tune, `batchml tune`)
     Cells are input profiles on a fixed grid: mean length (tokens incl.
     [CLS]/[SEP]) x length spread (std/mean) x corpus size (items). Each
     cell drives a generated input: `items` sequences (capped at
     test_size) whose lengths are log-normal with the cell's mean and
     spread, ids uniform in [1000, 30000) between 101 and 102. Individuals
     are (batch_size, max_tokens, policy, threads). Every searched cell is
     first seeded with the heuristic's individual; each generation then
     makes `offspring` children: pick a cell, take a parent (the cell's
     elite, another member of its front, or a random other cell's elite),
     mutate one or more genes, evaluate on the cell's input. Each cell
     keeps a Pareto front (items/s up, peak activation bytes down; at most
     BML_TUNE_FRONT members); its elite is the fastest member. A child
     equal to a member re-measures it (running mean), which damps lucky
     timings. The random stream of child k of generation g is derived from
     (seed, g, k) alone, so the same seed makes the same draws (cells,
     parents' kinds, mutations) and a resumed run makes the same draws as
     an uninterrupted one; with a deterministic fitness (BML_TUNE_COST or
     a fitness_fn) the whole run repeats exactly.
     Fitness protocol (BML_TUNE_TIME): the model loaded with the
     individual's thread count (one model per thread count, kept); one
     warm-up call on the first batch of the input, then `repeats` timed
     calls of bml_embed_batch over the whole input (CLOCK_MONOTONIC);
     fitness = items / median seconds.
     No-regression guard: at the end of every run, each searched cell whose
     elite is not the heuristic's individual is re-measured side by side
     with it (alternating, `repeats` each, medians); both members take the
     guard's figures, so a cell never keeps an elite slower than the
     heuristic.

   ARCHIVE FILE (JSON, written atomically: temp file + rename)
     {
       "format": "batchml-tuning-archive",   required, exactly this
       "version": 1,                         required, exactly 1
       "model": {"hidden", "layers", "heads", "intermediate", "vocab",
                 "max_seq_len"},             ints; must match at use
       "machine": {"cpus", "l2_bytes", "l3_bytes"},  informative
       "seed": N, "generations": N, "evaluations": N, "test_size": N,
       "repeats": N, "memory_budget": BYTES (0 none),
       "fitness": "time" | "cost",
       "grid": {"mean_len": [..], "spread": [..], "items": [..]}
                 cell centres, strictly increasing, 1..16 each; cell index
                 = (i_len * n_spread + i_spread) * n_items + i_items
       "cells": [ {"cell": INDEX, "mean_len": X, "spread": X, "items": N,
                   "elite": INDEX INTO front,
                   "guard": null | {"heuristic_items_per_s": X,
                                     "elite_items_per_s": X,
                                     "kept": "elite" | "heuristic"},
                   "front": [ {"batch_size": N (1..4096),
                               "max_tokens": N (0 = no cap),
                               "policy": "sorted" | "input_order",
                               "threads": N (1..256),
                               "items_per_s": X (> 0),
                               "peak_bytes": N, "samples": N (>= 1),
                               "origin": "heuristic" | "search",
                               "generation": N} ] } ]
     }
     Every field is required, unknown fields are errors, numbers are
     range-checked; bml_tuning_load rejects the whole file with a message
     naming the file and the field ("archive.json: cells[3].front[0].
     batch_size: expected an integer in 1..4096").

   RESULTS FILE (JSON, one per `bml_tune` run, rewritten at every save)
     { "format": "batchml-tuning-results", "version": 1,
       "model": {..}, "machine": {..}, "seed": N,
       "protocol": {"fitness", "warmup", "timed", "repeats", "statistic",
                    "clock", "unit", "test_size", "items_per_cell"},
       "generations_from": N, "generations_to": N, "complete": bool,
       "elapsed_s": X,
       "evaluations": [ {"generation": N (0 = seeding), "child": N,
                         "cell": N, "parent": "heuristic" | "elite" |
                         "front" | "migrant", "batch_size", "max_tokens",
                         "policy", "threads", "items_per_s", "peak_bytes",
                         "outcome": "elite" | "front" | "remeasured" |
                                    "dominated" | "over_budget"} ],
       "cells": [ {"cell", "mean_len", "spread", "items",
                   "heuristic": {individual + "items_per_s"},
                   "elite": {individual + "items_per_s", "peak_bytes"},
                   "guard": null | {..as in the archive..}} ] }
*/

/* batch_size value that makes bml_embed_batch choose the batch shape
   itself (archive, else heuristic). */
#define BML_BATCH_AUTO ((size_t)-1)

/* Most members a cell's Pareto front keeps. */
#define BML_TUNE_FRONT 8

/* The length profile of an input. */
typedef struct bml_batch_profile {
    size_t n;               /* items with a length > 0                      */
    size_t tokens, max_len;
    double mean_len;        /* tokens per item                              */
    double spread;          /* coefficient of variation: std / mean         */
} bml_batch_profile;

/* One batch shape: what bml_embed_batch takes from bml_batch_desc. */
typedef struct bml_batch_choice {
    size_t batch_size;      /* sequences per forward pass (1..4096)         */
    size_t max_tokens;      /* tokens per pass cap (0: none)                */
    int keep_order;         /* policy: 0 sorted by length, 1 input order    */
    int threads;            /* threads it was tuned with (the model's for
                               the heuristic); bml_embed_batch cannot change
                               a loaded model's threads: advisory           */
    int from_archive;       /* 1: an archive cell, 0: the heuristic         */
    int cell;               /* archive cell index (-1: none)                */
    double distance;        /* profile distance to that cell, in cell widths */
    double items_per_s;     /* archive: the cell member's measured rate     */
    size_t peak_bytes;      /* activation arena bytes this input needs      */
    int over_budget;        /* 1: the memory budget cannot be met (one
                               sequence alone needs more)                   */
    const char *why;        /* static text: why this choice                 */
} bml_batch_choice;

/* Profile of lengths (zeros are skipped: invalid items). */
BMLDEF void bml_batch_profile_of(const size_t *lens, size_t n, bml_batch_profile *out);
/* Activation arena bytes one forward pass of `nseq` sequences, `tokens`
   tokens in all and the longest `max_len`, needs on this model (the
   arena's own formula). */
BMLDEF size_t bml_activation_bytes(const bml_model *m, size_t tokens, size_t nseq, size_t max_len);
/* The largest arena a call with these settings needs for these lengths
   (batches formed exactly as bml_embed_batch forms them). */
BMLDEF size_t bml_batch_peak_bytes(const bml_model *m, const size_t *lens, size_t n, size_t batch_size,
                                   size_t max_tokens, int keep_order);
/* The heuristic default for these lengths (memory_budget bytes, 0 = none). */
BMLDEF bml_status bml_batch_heuristic(const bml_model *m, const size_t *lens, size_t n, size_t memory_budget,
                                      bml_batch_choice *out);
/* Cache sizes the heuristic uses (bytes; detected once). */
BMLDEF void bml_cache_sizes(size_t *l2, size_t *l3);

/* ---- the archive ---------------------------------------------------- */

typedef struct bml_tuning bml_tuning;

typedef struct bml_tuning_info {
    int version;
    uint64_t seed;
    size_t generations, evaluations, test_size, memory_budget;
    int repeats;
    const char *fitness;    /* "time" or "cost"                             */
    int hidden, layers, heads, intermediate, vocab, max_seq_len;
    size_t cells_total, cells_filled;
} bml_tuning_info;

/* One filled cell and its elite. */
typedef struct bml_tuning_cell {
    int cell;
    double mean_len, spread;
    size_t items;
    size_t front_size;
    bml_batch_choice elite; /* from_archive = 1, peak_bytes on the cell's input */
} bml_tuning_cell;

/* Load and validate an archive; nothing is kept unless all of it is valid. */
BMLDEF bml_status bml_tuning_load(const char *path, bml_tuning **out);
/* Write it (temp file + rename: never a half-written archive). */
BMLDEF bml_status bml_tuning_save(const bml_tuning *t, const char *path);
BMLDEF void bml_tuning_free(bml_tuning *t);
BMLDEF void bml_tuning_get_info(const bml_tuning *t, bml_tuning_info *out);
/* Filled cells, i in [0, info.cells_filled). */
BMLDEF bml_status bml_tuning_get_cell(const bml_tuning *t, size_t i, bml_tuning_cell *out);
/* The batch shape for these lengths: the archive cell nearest the profile
   (fastest front member under memory_budget, preferring the model's thread
   count), else the heuristic; t may be NULL. out->from_archive and
   out->why say which. */
BMLDEF bml_status bml_tuning_choose(const bml_tuning *t, const bml_model *m, const size_t *lens, size_t n,
                                    size_t memory_budget, bml_batch_choice *out);

/* ---- the search ----------------------------------------------------- */

typedef struct bml_tune_individual {
    size_t batch_size, max_tokens;
    int keep_order, threads;
} bml_tune_individual;

typedef enum bml_tune_fitness {
    BML_TUNE_TIME = 0,      /* measured items/s (the real thing)            */
    BML_TUNE_COST           /* a deterministic analytic cost model: for
                               tests and dry runs, not a tune               */
} bml_tune_fitness;

#ifndef BATCHML_NO_TUNE
/* Custom fitness (items/s, > 0) replacing both; for tests. */
typedef double (*bml_tune_fitness_fn)(void *user, const bml_tune_individual *ind, const size_t *lens, size_t n);

typedef enum bml_tune_event_kind {
    BML_TUNE_EV_EVAL,       /* one evaluation done                         */
    BML_TUNE_EV_GENERATION, /* a generation done                           */
    BML_TUNE_EV_GUARD,      /* one cell's no-regression check done         */
    BML_TUNE_EV_SAVE        /* archive (and results) written               */
} bml_tune_event_kind;

typedef struct bml_tune_event {
    bml_tune_event_kind kind;
    size_t generation;      /* current (0 = seeding)                        */
    size_t generation_end;  /* last generation of this run                  */
    size_t done, total;     /* evaluations of this run, done / planned      */
    double elapsed_s, eta_s;
    int cell, child;
    const char *parent, *outcome;
    bml_tune_individual ind;
    double items_per_s, heuristic_items_per_s;
    size_t peak_bytes;
    size_t cells_filled, cells_searched;
    double best_gain;       /* generation: mean elite / heuristic over cells */
    const char *path;       /* save                                        */
} bml_tune_event;

typedef void (*bml_tune_progress_fn)(const bml_tune_event *ev, void *user);

typedef struct bml_tune_desc {
    const char *model_path;     /* model directory (ids only: no tokenizer)  */
    const char *archive_path;   /* resumed from when it exists (unless
                                   fresh); saved every save_every generations */
    const char *results_path;   /* NULL: no results file                    */
    size_t generations;         /* generations to add; 0 = 10               */
    size_t offspring;           /* children per generation; 0 = 8           */
    size_t test_size;           /* most items per evaluation; 0 = the
                                   archive's, else 256 (must match it)        */
    size_t save_every;          /* 0 = 1                                     */
    uint64_t seed;              /* 0 = the archive's, else 1                  */
    int repeats;                /* timed calls per evaluation; 0 = the
                                   archive's, else 3                          */
    size_t memory_budget;       /* bytes; candidates above are infeasible     */
    int threads_max;            /* thread gene 1..threads_max; 0 = every core */
    double max_mean_len;        /* search cells with mean_len <= this; 0 all  */
    size_t max_items;           /* search cells with items <= this; 0 all     */
    int fresh;                  /* 1: ignore an existing archive (overwrite)  */
    int no_guard;               /* 1: skip the no-regression check            */
    bml_tune_fitness fitness;
    bml_tune_fitness_fn fitness_fn; /* overrides `fitness`                    */
    void *fitness_user;
    bml_tune_progress_fn progress;
    void *progress_user;
} bml_tune_desc;

/* Run (or resume) the search; writes the archive and the results file. */
BMLDEF bml_status bml_tune(const bml_tune_desc *desc);
#endif /* BATCHML_NO_TUNE */

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
#include <time.h>
#include <fcntl.h>
#include <sys/stat.h>
#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
#include <io.h>
#include <direct.h>
#else
#include <unistd.h>
#include <sys/mman.h>
#include <pthread.h>
#endif

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
#elif defined(_MSC_VER)
#define BML__TLS __declspec(thread)
#else
#define BML__TLS
#endif

/* ======================================================================
   >>isa  The kernel sets this build compiles (one is chosen at run time), the BLAS
   ====================================================================== */
/* Kernel sets are chosen at run time (bml__kernels_for, >>kernels), so every
   set the compiler can build is compiled whatever -march says:
   BML__X86     x86-64 with GCC or clang: the AVX2+FMA and AVX-512 kernels,
                each function compiled for its ISA by a target attribute
                (BML__TGT_AVX2, BML__TGT_AVX512), run only on a CPU that
                has it (CPUID and XGETBV, bml__cpu_detect).
   BML__NEON    aarch64: the NEON kernels (ASIMD is part of the base ISA).
   BML__PANELS  dense layers on weight panels (>>kernels) unless
                BATCHML_NO_PACK; every kernel set, generic included, has a
                panel kernel.
   BATCHML_NO_SIMD leaves only the generic set. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(BATCHML_NO_SIMD)
#define BML__X86 1
#define BML__TGT_AVX2 __attribute__((target("avx2,fma,f16c")))
#define BML__TGT_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c")))
#endif
#if defined(__aarch64__) && defined(__GNUC__) && !defined(BATCHML_NO_SIMD)
#define BML__NEON 1
#endif
#ifndef BATCHML_NO_PACK
#define BML__PANELS 1
#endif
#define BML__PW_MAX 32 /* the widest panel of any kernel set (floats) */
#if defined(__GNUC__)
#define BML__PREFETCH(p) __builtin_prefetch(p, 0, 3) /* to read, into every cache level */
#define BML__ALWAYS_INLINE __attribute__((always_inline))
#define BML__NOINLINE __attribute__((noinline))
#else
#define BML__PREFETCH(p) ((void)(p))
#define BML__ALWAYS_INLINE
#define BML__NOINLINE
#endif
/* A kernel set: its panel kernel (tile and GEMM, with the panel width and
   tile rows the weights are packed for), its element-wise kernels and its
   attention, defined in >>kernels (bml__ks_avx2, ...). */
struct bml__kernels;
typedef void (*bml__tile_fn)(int mr, int nc, int K, const float *A, int lda, const float *B, size_t ldb,
                             const float *bias, float *C, int ldc, int acc, const float *pf, int pf_rows);
typedef void (*bml__gemm_fn)(int M, int N, int K, const float *X, const float *B, size_t ldb, size_t pstride,
                             const float *b, float *Y, int ldy, int acc, float *buf);
typedef void (*bml__gemm16_fn)(int M, int N, int K, const float *X, const uint16_t *B, size_t ldb, size_t pstride,
                               const float *b, float *Y, int ldy, int acc, float *buf);
typedef void (*bml__attn_fn)(const struct bml__kernels *ks, int L, int d, int H, float scale, const float *q,
                             const float *k, const float *v, float *P, float *W, float *ctx);
typedef void (*bml__amm_fn)(int R, int L, int D, const float *A, size_t ars, size_t acs, const float *B, size_t ldb,
                            float *out, size_t ldo);
typedef struct bml__kernels {
    bml_isa isa;
    int pw, mr;                         /* panel width (floats), tile rows   */
    bml__tile_fn tile;
    bml__gemm_fn gemm;                  /* float32 weights                   */
    bml__gemm16_fn gemm_f16, gemm_bf16; /* 16-bit weights, widened in-kernel */
    void (*gelu)(const float *u, float *y, size_t n);
    void (*gelu_bwd)(const float *u, float *g, size_t n);   /* NULL without overlays */
    void (*softmax)(float *S, int rows, int L);
    bml__attn_fn attn;
    bml__amm_fn amm;                    /* NULL: bml__amm_tiles's tiles      */
} bml__kernels;
/* g++ 12 warns inside its own AVX-512 headers (_mm512_undefined_ps reads
   itself: GCC bug 105593, fixed in 13) wherever an intrinsic that uses it
   is inlined; silenced for the implementation only. */
#if defined(__cplusplus) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define BML__POP_GCC_DIAGNOSTIC 1
#endif
#ifdef BML__X86
#include <immintrin.h> /* every intrinsic, usable in functions of its target */
#include <cpuid.h>
#endif
#ifdef BML__NEON
#include <arm_neon.h>
#if defined(__linux__)
#include <sys/auxv.h>
#endif
#endif
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

/* ======================================================================
   >>errors  Errors and logging
   ====================================================================== */

static BML__TLS char bml__errbuf[512];
static bml_log_fn bml__log_fn;
static void *bml__log_user;

BMLDEF const char *bml_status_name(bml_status s) {
    static const char *names[] = {
        "BML_OK", "BML_ERR_INVALID_ARG", "BML_ERR_IO", "BML_ERR_FORMAT",
        "BML_ERR_SHAPE", "BML_ERR_UNSUPPORTED", "BML_ERR_NOMEM",
        "BML_ERR_INVALID_UTF8", "BML_ERR_EMPTY_INPUT", "BML_ERR_OUT_OF_RANGE",
        "BML_ERR_TOO_LONG", "BML_ERR_DEVICE", "BML_ERR_NONFINITE", "BML_ERR_INTERNAL",
        "BML_ERR_BUSY", "BML_ERR_TIMEOUT", "BML_ERR_CANCELLED"};
    if ((unsigned)s < sizeof(names) / sizeof(names[0])) return names[s];
    return "BML_ERR_UNKNOWN";
}

BMLDEF const char *bml_last_error(void) { return bml__errbuf; }

BMLDEF void bml_set_log(bml_log_fn fn, void *user) { bml__log_fn = fn; bml__log_user = user; }

BMLDEF void bml_free(void *p) { BML_FREE(p); }

#if defined(__MINGW32__)
#define BML__PRINTF(f, a) __attribute__((format(gnu_printf, f, a)))
#elif defined(__GNUC__)
#define BML__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define BML__PRINTF(f, a)
#endif
BML__PRINTF(2, 3)
static bml_status bml__fail(bml_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(bml__errbuf, sizeof bml__errbuf, fmt, ap);
    va_end(ap);
    return s;
}

BML__PRINTF(2, 3)
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
   >>platform  The operating system: files, mapping, time, CPUs, threads
   ====================================================================== */
/* Everything the library asks of the OS goes through these few calls, POSIX
   or Win32 (MinGW-w64 is what is built and tested here, `make windows`).
   Paths are UTF-8 everywhere; on Windows they are converted to UTF-16 for
   the wide-character calls, so a non-ASCII path works whatever the ANSI
   code page. Windows has no exporter (record locks, O_NOFOLLOW, directory
   fsync: the header's top) and no OpenBLAS re-exec. */
#ifndef S_ISSOCK
#define S_ISSOCK(m) 0
#endif
#ifndef S_ISBLK
#define S_ISBLK(m) 0
#endif
#ifndef S_ISFIFO
#define S_ISFIFO(m) 0
#endif
#ifndef S_ISCHR
#define S_ISCHR(m) (((m) & S_IFMT) == S_IFCHR)
#endif

#ifdef _WIN32
typedef struct _stati64 bml__statbuf;
#define bml__fstat(fd, sb) _fstati64((fd), (sb))
typedef unsigned short bml__mode;

/* UTF-8 -> a new UTF-16 string (BML_FREE it), NULL if not valid UTF-8 */
static wchar_t *bml__wide(const char *s) {
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
    wchar_t *w;
    if (n <= 0) return NULL;
    if (!(w = (wchar_t *)BML_MALLOC((size_t)n * sizeof(wchar_t)))) return NULL;
    MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n);
    return w;
}

static int bml__open_rd(const char *path) {
    wchar_t *w = bml__wide(path);
    int fd;
    if (!w) { errno = EINVAL; return -1; }
    fd = _wopen(w, _O_RDONLY | _O_BINARY | _O_NOINHERIT);
    BML_FREE(w);
    return fd;
}
#define bml__set_blocking(fd) ((void)0)

#if !defined(BATCHML_NO_EXPORTER) || !defined(BATCHML_NO_MKMODEL)
static int bml__mkdir1(const char *path) {
    wchar_t *w = bml__wide(path);
    int r;
    if (!w) { errno = EINVAL; return -1; }
    r = _wmkdir(w);
    BML_FREE(w);
    return r;
}
#endif
static int bml__stat(const char *path, bml__statbuf *sb) {
    wchar_t *w = bml__wide(path);
    int r;
    if (!w) { errno = EINVAL; return -1; }
    r = _wstati64(w, sb);
    BML_FREE(w);
    return r;
}
#define bml__lstat bml__stat /* (no symbolic links to tell apart here) */
static int bml__remove(const char *path) {
    wchar_t *w = bml__wide(path);
    int r;
    if (!w) { errno = EINVAL; return -1; }
    r = _wremove(w);
    BML_FREE(w);
    return r;
}
/* rename onto an existing file too, as POSIX rename does */
static int bml__rename(const char *from, const char *to) {
    wchar_t *a = bml__wide(from), *b = bml__wide(to);
    int ok = a && b && MoveFileExW(a, b, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH);
    BML_FREE(a);
    BML_FREE(b);
    if (!ok) errno = EACCES;
    return ok ? 0 : -1;
}
#define bml__getpid() ((long)GetCurrentProcessId())
#else
typedef struct stat bml__statbuf;
#define bml__fstat(fd, sb) fstat((fd), (sb))
typedef mode_t bml__mode;
/* O_NONBLOCK: a FIFO put where a file is expected must not block the open */
static int bml__open_rd(const char *path) { return open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC); }
static void bml__set_blocking(int fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl != -1) (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
}
#if !defined(BATCHML_NO_EXPORTER) || !defined(BATCHML_NO_MKMODEL)
static int bml__mkdir1(const char *path) { return mkdir(path, 0777); }
#endif
#define bml__stat(path, sb) stat((path), (sb))
#define bml__lstat(path, sb) lstat((path), (sb))
#define bml__remove(path) remove(path)
#define bml__rename(from, to) rename((from), (to))
#define bml__getpid() ((long)getpid())
#endif

/* FILE * of a UTF-8 path (public: the CLI opens its files with it too). */
BMLDEF FILE *bml_fopen(const char *path, const char *mode) {
#ifdef _WIN32
    wchar_t *w = bml__wide(path), wm[16];
    FILE *f;
    size_t i;
    if (!w) { errno = EINVAL; return NULL; }
    for (i = 0; mode[i] && i < 15; i++) wm[i] = (wchar_t)(unsigned char)mode[i];
    wm[i] = 0;
    f = _wfopen(w, wm);
    BML_FREE(w);
    return f;
#else
    return fopen(path, mode);
#endif
}

/* Map size bytes of fd read-only; NULL (errno set) on failure. */
static unsigned char *bml__map_ro(int fd, size_t size) {
#ifdef _WIN32
    HANDLE fh = (HANDLE)_get_osfhandle(fd), mh;
    void *p;
    if (fh == INVALID_HANDLE_VALUE) { errno = EBADF; return NULL; }
    mh = CreateFileMappingW(fh, NULL, PAGE_READONLY, 0, 0, NULL);
    if (!mh) { errno = EACCES; return NULL; }
    p = MapViewOfFile(mh, FILE_MAP_READ, 0, 0, size);
    CloseHandle(mh); /* the view keeps the mapping */
    if (!p) errno = ENOMEM;
    return (unsigned char *)p;
#else
    void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    return p == MAP_FAILED ? NULL : (unsigned char *)p;
#endif
}

static void bml__unmap(void *p, size_t size) {
#ifdef _WIN32
    (void)size;
    UnmapViewOfFile(p);
#else
    munmap(p, size);
#endif
}

BMLDEF uint64_t bml_now_ns(void) {
#ifdef _WIN32
    static LARGE_INTEGER freq; /* benign race: every thread computes the same */
    LARGE_INTEGER c;
    if (!freq.QuadPart) QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&c);
    return (uint64_t)(c.QuadPart / freq.QuadPart) * 1000000000ull +
           (uint64_t)(c.QuadPart % freq.QuadPart) * 1000000000ull / (uint64_t)freq.QuadPart;
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
#endif
}

/* Online CPUs, 1..256. */
static int bml__ncpu(void) {
    long n;
#ifdef _WIN32
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    n = (long)si.dwNumberOfProcessors;
#elif defined(_SC_NPROCESSORS_ONLN)
    n = sysconf(_SC_NPROCESSORS_ONLN);
#else
    n = 1;
#endif
    return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

/* Threads, a mutex, a condition variable and a once flag: Win32 SRW locks
   and condition variables, or pthreads. */
#ifdef _WIN32
typedef HANDLE bml__thread;
typedef SRWLOCK bml__mutex;
#define BML__MUTEX_INIT SRWLOCK_INIT /* a static mutex, no init call */
typedef CONDITION_VARIABLE bml__cond;
typedef INIT_ONCE bml__once_flag;
#define BML__ONCE_INIT INIT_ONCE_STATIC_INIT
typedef struct { void *(*fn)(void *); void *arg; } bml__thread_start;
static DWORD WINAPI bml__thread_tramp(LPVOID p) {
    bml__thread_start s = *(bml__thread_start *)p;
    BML_FREE(p);
    s.fn(s.arg);
    return 0;
}
static int bml__thread_create(bml__thread *t, void *(*fn)(void *), void *arg) {
    bml__thread_start *s = (bml__thread_start *)BML_MALLOC(sizeof *s);
    if (!s) return -1;
    s->fn = fn;
    s->arg = arg;
    *t = CreateThread(NULL, 0, bml__thread_tramp, s, 0, NULL);
    if (!*t) { BML_FREE(s); return -1; }
    return 0;
}
static void bml__thread_join(bml__thread t) { WaitForSingleObject(t, INFINITE); CloseHandle(t); }
static void bml__mutex_init(bml__mutex *m) { InitializeSRWLock(m); }
static void bml__mutex_destroy(bml__mutex *m) { (void)m; }
static void bml__mutex_lock(bml__mutex *m) { AcquireSRWLockExclusive(m); }
static void bml__mutex_unlock(bml__mutex *m) { ReleaseSRWLockExclusive(m); }
static void bml__cond_init(bml__cond *c) { InitializeConditionVariable(c); }
static void bml__cond_destroy(bml__cond *c) { (void)c; }
static void bml__cond_wait(bml__cond *c, bml__mutex *m) { SleepConditionVariableSRW(c, m, INFINITE, 0); }
static void bml__cond_broadcast(bml__cond *c) { WakeAllConditionVariable(c); }
#ifndef BATCHML_NO_ENGINE /* (its only user) */
/* Wait at most ns (a wake-up may come early: callers re-check). */
static void bml__cond_timedwait(bml__cond *c, bml__mutex *m, uint64_t ns) {
    uint64_t ms = (ns + 999999) / 1000000;
    SleepConditionVariableSRW(c, m, ms > 0x7fffffff ? 0x7fffffff : (DWORD)ms, 0);
}
#endif
static BOOL CALLBACK bml__once_tramp(PINIT_ONCE o, PVOID fn, PVOID *ctx) {
    (void)o;
    (void)ctx;
    (*(void (**)(void))fn)();
    return TRUE;
}
static void bml__once(bml__once_flag *o, void (*fn)(void)) { InitOnceExecuteOnce(o, bml__once_tramp, (PVOID)&fn, NULL); }
#else
typedef pthread_t bml__thread;
typedef pthread_mutex_t bml__mutex;
#define BML__MUTEX_INIT PTHREAD_MUTEX_INITIALIZER
typedef pthread_cond_t bml__cond;
typedef pthread_once_t bml__once_flag;
#define BML__ONCE_INIT PTHREAD_ONCE_INIT
static int bml__thread_create(bml__thread *t, void *(*fn)(void *), void *arg) { return pthread_create(t, NULL, fn, arg); }
static void bml__thread_join(bml__thread t) { pthread_join(t, NULL); }
static void bml__mutex_init(bml__mutex *m) { pthread_mutex_init(m, NULL); }
static void bml__mutex_destroy(bml__mutex *m) { pthread_mutex_destroy(m); }
static void bml__mutex_lock(bml__mutex *m) { pthread_mutex_lock(m); }
static void bml__mutex_unlock(bml__mutex *m) { pthread_mutex_unlock(m); }
static void bml__cond_init(bml__cond *c) { pthread_cond_init(c, NULL); }
static void bml__cond_destroy(bml__cond *c) { pthread_cond_destroy(c); }
static void bml__cond_wait(bml__cond *c, bml__mutex *m) { pthread_cond_wait(c, m); }
static void bml__cond_broadcast(bml__cond *c) { pthread_cond_broadcast(c); }
#ifndef BATCHML_NO_ENGINE /* (its only user) */
/* Wait at most ns, on the realtime clock pthread_cond_timedwait uses by
   default (portable); a clock step only wakes early or late, and callers
   re-check against bml_now_ns. */
static void bml__cond_timedwait(bml__cond *c, bml__mutex *m, uint64_t ns) {
    struct timespec ts;
    if (ns > 3600ull * 1000000000ull) ns = 3600ull * 1000000000ull;
    clock_gettime(CLOCK_REALTIME, &ts);
    ns += (uint64_t)ts.tv_nsec;
    ts.tv_sec += (time_t)(ns / 1000000000ull);
    ts.tv_nsec = (long)(ns % 1000000000ull);
    pthread_cond_timedwait(c, m, &ts);
}
#endif
static void bml__once(bml__once_flag *o, void (*fn)(void)) { pthread_once(o, fn); }
#endif

/* ======================================================================
   >>files  Files: whole-file read (small JSON/text files), path joining
   ====================================================================== */

static const char *bml__file_kind(bml__mode m) {
    return S_ISFIFO(m) ? "a FIFO" : S_ISDIR(m) ? "a directory" : S_ISCHR(m) ? "a character device"
         : S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

BMLDEF bml_status bml_open_regular(const char *path, int *fd) {
    bml__statbuf sb;
    int f;
    *fd = -1;
    f = bml__open_rd(path);
    if (f < 0) return bml__fail(BML_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (bml__fstat(f, &sb) != 0) {
        int e = errno;
        close(f);
        return bml__fail(BML_ERR_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(f);
        return bml__fail(BML_ERR_IO, "%s: not a regular file (%s); batchml reads only regular files here", path,
                         bml__file_kind(sb.st_mode));
    }
    bml__set_blocking(f);
    *fd = f;
    return BML_OK;
}

static void bml__join(char *out, size_t cap, const char *dir, const char *name) {
    size_t n = strlen(dir);
    snprintf(out, cap, "%s%s%s", dir, (n && dir[n - 1] == '/') ? "" : "/", name);
}

/* Read a whole file (up to `limit` bytes) into a NUL-terminated buffer. */
static bml_status bml__read_file(const char *path, size_t limit, char **out, size_t *len) {
    FILE *f;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    int fd;
    bml_status rc;
    *out = NULL;
    *len = 0;
    if ((rc = bml_open_regular(path, &fd)) != BML_OK) return rc;
    if (!(f = fdopen(fd, "rb"))) {
        close(fd);
        return bml__fail(BML_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    }
    {   /* a regular file's size is known: refuse an oversized one before
           reading or allocating any of it, and allocate the rest once */
        bml__statbuf sb;
        if (bml__fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode)) {
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

#if !defined(BATCHML_NO_EXPORTER) || !defined(BATCHML_NO_MKMODEL)
/* Create dir and every missing parent (mkdir -p). */
static bml_status bml__mkdirs(const char *dir) {
    char buf[4096];
    size_t i, n = strlen(dir);
    if (n >= sizeof buf) return bml__fail(BML_ERR_INVALID_ARG, "path too long: %s", dir);
    memcpy(buf, dir, n + 1);
    for (i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == 0) {
            char c = buf[i];
            buf[i] = 0;
            if (bml__mkdir1(buf) != 0 && errno != EEXIST)
                return bml__fail(BML_ERR_IO, "%s: cannot create directory: %s", buf, strerror(errno));
            buf[i] = c;
        }
    }
    return BML_OK;
}
#endif

/* ======================================================================
   >>utf8  UTF-8
   ====================================================================== */

/* Decode the character at s[i] (i < n). Returns its length in bytes; for an
   invalid sequence, *cp = U+FFFD, *bad = 1 and the length of the maximal
   subpart (Unicode 15 section 3.9, "U+FFFD substitution of maximal subparts",
   what Rust's from_utf8_lossy and WHATWG decoders do). */
static size_t bml__utf8_dec(const uint8_t *s, size_t n, size_t i, uint32_t *cp, int *bad) {
    unsigned c = s[i], lo = 0x80, hi = 0xBF;
    size_t need, k;
    uint32_t v;
    *bad = 0;
    if (c < 0x80) { *cp = c; return 1; }
    if (c >= 0xC2 && c <= 0xDF) { need = 1; v = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 2; v = c & 0x0F;
        if (c == 0xE0) lo = 0xA0;
        else if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3; v = c & 0x07;
        if (c == 0xF0) lo = 0x90;
        else if (c == 0xF4) hi = 0x8F;
    } else {
        *cp = 0xFFFD; *bad = 1; return 1;
    }
    for (k = 1; k <= need; k++) {
        unsigned d;
        if (i + k >= n) { *cp = 0xFFFD; *bad = 1; return k; }
        d = s[i + k];
        if (d < lo || d > hi) { *cp = 0xFFFD; *bad = 1; return k; }
        lo = 0x80; hi = 0xBF;
        v = (v << 6) | (d & 0x3F);
    }
    *cp = v;
    return need + 1;
}

BMLDEF int bml_utf8_check(const char *text, size_t n, size_t *bad_offset) {
    const uint8_t *s = (const uint8_t *)text;
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        int bad;
        /* ASCII runs, 8 bytes at a time */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ull) break;
            i += 8;
        }
        if (i >= n) break;
        if (s[i] < 0x80) { i++; continue; }
        if (s[i] >= 0xE1 && s[i] <= 0xEC && i + 2 < n && (s[i + 1] & 0xC0) == 0x80 && (s[i + 2] & 0xC0) == 0x80) {
            i += 3;
            continue;
        }
        if (s[i] >= 0xC2 && s[i] <= 0xDF && i + 1 < n && (s[i + 1] & 0xC0) == 0x80) {
            i += 2;
            continue;
        }
        {
            size_t start = i;
            i += bml__utf8_dec(s, n, i, &cp, &bad);
            if (bad) {
                if (bad_offset) *bad_offset = start;
                return 0;
            }
        }
    }
    return 1;
}

/* ======================================================================
   >>json  JSON reader: a small DOM parser with byte offsets in every error
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
                } else { /* a lone surrogate is no character: refused, as serde_json
                            (Hugging Face tokenizers) refuses it, never guessed */
                    p->i -= 6;
                    return bml__jerr(p, "lone surrogate \\u escape (no low surrogate after it)");
                }
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                p->i -= 6;
                return bml__jerr(p, "lone surrogate \\u escape (a low surrogate with no high one before it)");
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

/* A key that appears twice in one object is an error, in every JSON file
   batchml reads (config files, tokenizer.json, the safetensors header, tuning
   archives, index files): Python's json keeps the last and a reader that
   keeps the first would disagree with transformers in silence. Hashing the
   keys keeps this linear for a 250k-entry vocabulary; the hash is seeded
   per call (a clock and an address), so a file cannot be built to make
   every key collide. */
static bml_status bml__jdupkeys(bml__jp *p, const bml_json *kv, size_t n) {
    size_t cap = 16, i, j, *slot;
    bml_status st = BML_OK;
    uint64_t seed;
    if (n < 2) return BML_OK;
    seed = ((uint64_t)clock() * 0x9E3779B97F4A7C15ull) ^ (uint64_t)(uintptr_t)&cap ^ (uint64_t)(uintptr_t)kv;
    seed ^= seed >> 31;
    while (cap < 2 * n) cap *= 2;
    slot = (size_t *)BML_MALLOC(cap * sizeof(size_t));
    if (!slot) return bml__fail(BML_ERR_NOMEM, "%s: out of memory parsing JSON", p->name);
    for (i = 0; i < cap; i++) slot[i] = (size_t)-1;
    for (i = 0; i < n && st == BML_OK; i++) {
        uint64_t h = 0xcbf29ce484222325ull ^ seed;
        for (j = 0; j < kv[i].key_len; j++) h = (h ^ (unsigned char)kv[i].key[j]) * 0x100000001b3ull;
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdull; /* finalize: every key bit reaches the slot bits */
        h ^= h >> 33;
        for (j = (size_t)h & (cap - 1); slot[j] != (size_t)-1; j = (j + 1) & (cap - 1)) {
            const bml_json *o = &kv[slot[j]];
            if (o->key_len == kv[i].key_len && !memcmp(o->key, kv[i].key, o->key_len)) {
                char k[96];
                bml_json_escape(kv[i].key, kv[i].key_len < 64 ? kv[i].key_len : 64, k, sizeof k);
                st = bml__fail(BML_ERR_FORMAT,
                               "%s: invalid JSON at byte %zu: duplicate key %s%s (first at byte %zu; Python "
                               "would keep the last, batchml refuses)",
                               p->name, kv[i].offset, k, kv[i].key_len > 64 ? "..." : "", o->offset);
                break;
            }
        }
        slot[j] = i;
    }
    BML_FREE(slot);
    return st;
}

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
    if (st == BML_OK && is_obj) st = bml__jdupkeys(p, tmp, n);
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

typedef struct { char *buf; size_t cap, n; } bml__jesc;

static void bml__jesc_put(bml__jesc *o, const char *s, size_t n) {
    if (o->n < o->cap) memcpy(o->buf + o->n, s, n < o->cap - o->n ? n : o->cap - o->n);
    o->n += n;
}

BMLDEF size_t bml_json_escape(const char *s, size_t n, char *buf, size_t cap) {
    const uint8_t *u = (const uint8_t *)s;
    bml__jesc o;
    size_t i = 0, run = 0;
    o.buf = buf;
    o.cap = buf ? cap : 0;
    o.n = 0;
    bml__jesc_put(&o, "\"", 1);
    while (i < n) {
        unsigned c = u[i];
        size_t k = 1;
        char e[8];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) { i++; continue; }
        if (c >= 0x80) {
            uint32_t cp;
            int bad;
            k = bml__utf8_dec(u, n, i, &cp, &bad);
            if (!bad) { i += k; continue; }
        }
        bml__jesc_put(&o, s + run, i - run);
        if (c == '"' || c == '\\') { e[0] = '\\'; e[1] = (char)c; bml__jesc_put(&o, e, 2); }
        else if (c < 0x20) { snprintf(e, sizeof e, "\\u%04x", c); bml__jesc_put(&o, e, 6); }
        else bml__jesc_put(&o, "\\ufffd", 6);
        i += k;
        run = i;
    }
    bml__jesc_put(&o, s + run, n - run);
    bml__jesc_put(&o, "\"", 1);
    if (o.cap) o.buf[o.n < o.cap ? o.n : o.cap - 1] = 0;
    return o.n;
}

BMLDEF int bml_json_int(const bml_json *v, long long lo, long long hi, long long *out) {
    if (!v || v->type != BML_JSON_NUMBER || !(v->num >= (double)lo && v->num <= (double)hi) || v->num != floor(v->num))
        return 0;
    /* (double)hi may round up past hi (2^63 - 1 -> 2^63): clamp before the cast */
    if (v->num >= 9223372036854775807.0) return hi == LLONG_MAX ? (*out = LLONG_MAX, 1) : 0;
    *out = (long long)v->num;
    return *out >= lo && *out <= hi;
}

BMLDEF bml_status bml_json_load(const char *path, size_t limit, bml_json_doc **out) {
    char *buf;
    size_t len;
    bml_status st = bml__read_file(path, limit, &buf, &len);
    if (st != BML_OK) return st;
    st = bml_json_parse(buf, len, path, out);
    BML_FREE(buf);
    return st;
}

/* ======================================================================
   >>threads  Threads: a small persistent pool running parallel-for jobs
   ====================================================================== */

typedef void (*bml__task_fn)(void *ctx, size_t task, int worker);

typedef struct bml__workers {
    int nthreads;               /* workers including the caller            */
    bml__thread *tids;
    bml__mutex mu;
    bml__cond cv_work, cv_done;
    bml__task_fn fn;
    void *ctx;
    size_t ntasks, next, done;
    unsigned long generation;
    int stop, sleepers, waiting;
} bml__workers;

/* Waking a sleeping thread costs 5-50 us (futex, scheduler; more in a VM),
   and a forward pass runs ~10 jobs a layer: at batch 1 on two threads the
   wake-ups took longer than the arithmetic. So a worker that finished a
   job, and a caller waiting for its workers, first spin on the shared
   counters for about BATCHML_SPIN pause instructions (~27 ns each on
   a Zen 5; ~0.1 ms in all) and only then sleep on the condition variable.
   0 turns the spinning off. Tasks are still claimed under the mutex. */
#if !defined(BATCHML_SPIN) && defined(BATCHML_POOL_SPIN)
#define BATCHML_SPIN BATCHML_POOL_SPIN
#endif
#ifndef BATCHML_SPIN
#define BATCHML_SPIN 4096
#endif
#if defined(__GNUC__)
#define BML__LOAD(p) __atomic_load_n(p, __ATOMIC_ACQUIRE)
#define BML__STORE(p, v) __atomic_store_n(p, v, __ATOMIC_RELEASE)
#if defined(__x86_64__) || defined(__i386__)
#define BML__RELAX() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define BML__RELAX() __asm__ __volatile__("yield")
#else
#define BML__RELAX() ((void)0)
#endif
#define BML__SPIN BATCHML_SPIN
#else   /* no atomics known here: sleep at once */
#define BML__LOAD(p) (*(p))
#define BML__STORE(p, v) (*(p) = (v))
#define BML__RELAX() ((void)0)
#define BML__SPIN 0
#endif

/* Take tasks until none are left; `worker` is 0 for the caller. */
static void bml__workers_drain(bml__workers *p, int worker) {
    for (;;) {
        size_t t;
        bml__mutex_lock(&p->mu);
        if (p->next >= p->ntasks) { bml__mutex_unlock(&p->mu); return; }
        t = p->next++;
        bml__mutex_unlock(&p->mu);
        p->fn(p->ctx, t, worker);
        bml__mutex_lock(&p->mu);
        BML__STORE(&p->done, p->done + 1);
        if (p->done == p->ntasks && p->waiting) bml__cond_broadcast(&p->cv_done);
        bml__mutex_unlock(&p->mu);
    }
}

typedef struct { bml__workers *p; int worker; } bml__workers_arg;

static void *bml__workers_main(void *arg) {
    bml__workers_arg *a = (bml__workers_arg *)arg;
    bml__workers *p = a->p;
    int worker = a->worker;
    unsigned long seen = 0;
    BML_FREE(a);
    for (;;) {
        int spin;
        for (spin = 0; spin < BML__SPIN; spin++) {
            if (BML__LOAD(&p->generation) != seen || BML__LOAD(&p->stop)) break;
            BML__RELAX();
        }
        bml__mutex_lock(&p->mu);
        p->sleepers++;
        while (!p->stop && p->generation == seen) bml__cond_wait(&p->cv_work, &p->mu);
        p->sleepers--;
        if (p->stop) { bml__mutex_unlock(&p->mu); return NULL; }
        seen = p->generation;
        bml__mutex_unlock(&p->mu);
        bml__workers_drain(p, worker);
    }
}

static void bml__workers_destroy(bml__workers *p);

/* A pool of `nthreads` (the caller counts as one). */
static bml_status bml__workers_create(int nthreads, bml__workers **out) {
    bml__workers *p;
    int i;
    *out = NULL;
    if (nthreads < 1) nthreads = 1;
    p = (bml__workers *)bml__calloc(1, sizeof *p);
    if (!p) return bml__fail(BML_ERR_NOMEM, "out of memory creating a thread pool");
    p->nthreads = 1;
    bml__mutex_init(&p->mu);
    bml__cond_init(&p->cv_work);
    bml__cond_init(&p->cv_done);
    p->tids = (bml__thread *)bml__calloc((size_t)nthreads, sizeof(bml__thread));
    if (!p->tids) { bml__workers_destroy(p); return bml__fail(BML_ERR_NOMEM, "out of memory creating a thread pool"); }
    for (i = 1; i < nthreads; i++) {
        bml__workers_arg *a = (bml__workers_arg *)BML_MALLOC(sizeof *a);
        if (!a) break;
        a->p = p;
        a->worker = i;
        if (bml__thread_create(&p->tids[i], bml__workers_main, a) != 0) { BML_FREE(a); break; }
        p->nthreads++;
    }
    *out = p;
    return BML_OK;
}

/* Run fn(ctx, task, worker) for task in [0, ntasks) across the pool and
   wait for all of them. Not reentrant: one job at a time per pool. */
static void bml__workers_run(bml__workers *p, size_t ntasks, bml__task_fn fn, void *ctx) {
    size_t t;
    int spin;
    if (!p || p->nthreads == 1 || ntasks <= 1) {
        for (t = 0; t < ntasks; t++) fn(ctx, t, 0);
        return;
    }
    bml__mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->ntasks = ntasks;
    p->next = 0;
    BML__STORE(&p->done, (size_t)0);
    BML__STORE(&p->generation, p->generation + 1);
    if (p->sleepers) bml__cond_broadcast(&p->cv_work);
    bml__mutex_unlock(&p->mu);
    bml__workers_drain(p, 0);
    for (spin = 0; spin < BML__SPIN && BML__LOAD(&p->done) < ntasks; spin++) BML__RELAX();
    bml__mutex_lock(&p->mu);
    p->waiting = 1;
    while (p->done < p->ntasks) bml__cond_wait(&p->cv_done, &p->mu);
    p->waiting = 0;
    bml__mutex_unlock(&p->mu);
}

static void bml__workers_destroy(bml__workers *p) {
    int i;
    if (!p) return;
    bml__mutex_lock(&p->mu);
    BML__STORE(&p->stop, 1);
    bml__cond_broadcast(&p->cv_work);
    bml__mutex_unlock(&p->mu);
    for (i = 1; i < p->nthreads; i++) bml__thread_join(p->tids[i]);
    bml__mutex_destroy(&p->mu);
    bml__cond_destroy(&p->cv_work);
    bml__cond_destroy(&p->cv_done);
    BML_FREE(p->tids);
    BML_FREE(p);
}

/* ======================================================================
   >>tokenizer  Tokenizer
   ====================================================================== */
/* Tokenizer implementation: BERT WordPiece, id-for-id and offset-for-
   offset identical to Hugging Face `tokenizers` (0.23):

     text ─┬─ split on added tokens ([CLS], [SEP], ... matched in the raw text)
           └─ each piece: normalize (BertNormalizer: clean_text, CJK isolation,
              NFD + strip Mn, lowercase) keeping each character's byte span in
              the input ─ pre-tokenize (whitespace, every punctuation character
              alone) ─ WordPiece (greedy longest match, "##" continuation)
     then template ([CLS] A [SEP] / [CLS] A [SEP] B [SEP]) and truncation.

   Pieces are processed in chunks cut at ASCII whitespace, so memory stays
   bounded and a single text stops early once it has max_len tokens. Nothing
   is allocated per token: the scratch (normalized characters, the current
   word) lives in the encoding and is reused across calls. The vocabulary is
   an open-addressing hash table keyed by (is "##" continuation, bytes), so a
   candidate piece is looked up without building the "##..." string; the
   hashes of all prefixes of a piece come from one forward pass.

   Unicode rules (which version of what) are documented in
   tools/gen_unicode.py, which generates the Unicode tables (appendix) and
   the flags below
   (`python3 tools/gen_unicode.py --update batchml.h`). */

/* Unicode properties of a code point (the tables and their lookups are in
   the appendix, >>tables). */
/* ---- BEGIN Unicode flags: GENERATED by tools/gen_unicode.py (do not edit) ---- */
#define BML__TOK_F_DROP   1  /* removed by clean_text: NUL, U+FFFD, Cc (not \t\n\r), Cf, Co */
#define BML__TOK_F_WS     2  /* White_Space (Rust char::is_whitespace)            */
#define BML__TOK_F_PUNCT  4  /* ASCII punctuation or Unicode P* (8.0)              */
#define BML__TOK_F_MN     8  /* nonspacing mark Mn (8.0): removed by strip_accents  */
#define BML__TOK_F_CJK    16 /* HF "chinese character" ranges                     */
#define BML__TOK_F_DECOMP 32 /* has a canonical decomposition (9.0; Hangul too)   */
#define BML__TOK_F_LOWER  64 /* has a lowercase mapping (17.0)                    */
/* ---- END Unicode flags ---- */
static unsigned bml__tok_prop(uint32_t cp);                 /* flags | ccc << 8 */
static uint32_t bml__tok_lower1(uint32_t cp);               /* simple lowercase */
static int bml__tok_decompose(uint32_t cp, uint32_t *out);  /* full NFD into out[0..4) */

/* ======================================================================
   The tokenizer object
   ====================================================================== */

#define BML__TOK_CHUNK 65536        /* bytes normalized at a time (cut at ASCII whitespace) */
#define BML__TOK_MAX_TEMPLATE 16
#define BML__TOK_MAX_SPECIAL_IDS 8
#define BML__TOK_MAX_ID 16777215    /* ids beyond this are a malformed file */

typedef struct bml__tok_slot {
    uint32_t h;         /* high bits of the key hash                     */
    int32_t id;         /* -1: empty                                     */
    uint32_t off;       /* key bytes in the string pool                  */
    uint32_t len;       /* key length | 0x80000000 for "##" continuation */
} bml__tok_slot;

typedef struct bml__tok_added {
    int32_t id;
    uint32_t off, len;  /* content in the string pool */
    int special;
} bml__tok_added;

typedef struct bml__tok_titem {
    int kind;           /* 0: special tokens, 1: sequence A, 2: sequence B */
    int type_id;
    int nids;
    int32_t ids[BML__TOK_MAX_SPECIAL_IDS];
} bml__tok_titem;

struct bml_tokenizer {
    /* normalizer */
    int clean_text, handle_cjk, strip_accents, lowercase;
    int pre_lower;          /* sentence_bert_config.json do_lower_case: the text
                               is lowercased first, as Python's str.lower()
                               (final sigma included), added tokens included */
    int lower_any;          /* lowercase || pre_lower                       */
    /* strings: every token and added token, NUL-terminated */
    char *strs;
    size_t strs_len, strs_cap;
    /* id -> string (UINT32_MAX: no string) */
    uint32_t *id_off;
    uint8_t *id_special;
    size_t id_count;
    /* vocabulary hash */
    bml__tok_slot *slots;
    size_t mask;
    uint32_t max_key[2];
    /* WordPiece */
    int32_t unk_id;
    char prefix[64];
    size_t prefix_len;
    size_t max_chars;
    /* added tokens matched in the raw text, longest first per first byte */
    bml__tok_added *added;
    size_t n_added;
    /* added tokens as a byte trie (node 0 the root): matching at a position
       walks it once, so splitting a text costs its length times at most the
       longest added token (BML__TOK_MAX_ADDED_LEN), however many there are */
    uint32_t *trie_term;            /* per node: added index + 1, or 0    */
    uint32_t trie_nodes, trie_cap;
    uint64_t *trie_key;             /* edge hash: (node << 8 | byte) ...   */
    uint32_t *trie_child;           /* ... -> child node                  */
    size_t trie_mask, trie_edges;
    int added_one_first;            /* the first byte of every added token, or -1 */
    /* post-processor */
    bml__tok_titem single[BML__TOK_MAX_TEMPLATE], pair[BML__TOK_MAX_TEMPLATE];
    int n_single, n_pair;
    size_t added_single, added_pair;
    /* decoder */
    int dec_wordpiece, dec_cleanup;
    char dec_prefix[64];
    size_t dec_prefix_len;
    /* special ids by role */
    int32_t cls_id, sep_id, pad_id, mask_id;
    /* truncation */
    size_t max_len;                 /* SIZE_MAX: none */
    /* ASCII fast path: mapped byte or -1 (dropped), class bits */
    int16_t ascii_map[128];
    uint8_t ascii_cls[128];
    int32_t ascii_id[128];          /* id of the one-character word, -1: none */
};

/* ---- string pool ---------------------------------------------------- */

static int bml__tok_str_add(bml_tokenizer *t, const char *s, size_t n, uint32_t *off) {
    if (n > 0x7FFFFFF0u || t->strs_len + n + 1 > 0xFFFFFFF0u) return 0;
    if (t->strs_len + n + 1 > t->strs_cap) {
        size_t nc = t->strs_cap ? t->strs_cap * 2 : 65536;
        char *np;
        while (nc < t->strs_len + n + 1) nc *= 2;
        np = (char *)BML_REALLOC(t->strs, nc);
        if (!np) return 0;
        t->strs = np;
        t->strs_cap = nc;
    }
    memcpy(t->strs + t->strs_len, s, n);
    t->strs[t->strs_len + n] = 0;
    *off = (uint32_t)t->strs_len;
    t->strs_len += n + 1;
    return 1;
}

/* ---- vocabulary hash (FNV-1a 64 over the key bytes, seeded by kind) ---- */

#define BML__TOK_FNV_PRIME 0x100000001b3ull
static const uint64_t bml__tok_seed[2] = {0xcbf29ce484222325ull, 0x9ae16a3b2f90404full};

static uint64_t bml__tok_hash(int cont, const uint8_t *s, size_t n) {
    uint64_t h = bml__tok_seed[cont];
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ s[i]) * BML__TOK_FNV_PRIME;
    return h;
}

static size_t bml__tok_slot_of(uint64_t h, size_t mask) { return (size_t)(h ^ (h >> 29)) & mask; }

static int bml__tok_same(const char *a, const uint8_t *b, size_t n) {
    size_t i;
    if (n > 16) return !memcmp(a, b, n);
    for (i = 0; i < n; i++)
        if ((uint8_t)a[i] != b[i]) return 0;
    return 1;
}

static int32_t bml__tok_find(const bml_tokenizer *t, uint64_t h, const uint8_t *s, size_t n, int cont) {
    size_t i = bml__tok_slot_of(h, t->mask);
    uint32_t hh = (uint32_t)(h >> 32), key = (uint32_t)n | (cont ? 0x80000000u : 0);
    for (;;) {
        const bml__tok_slot *sl = &t->slots[i];
        if (sl->id < 0) return -1;
        if (sl->h == hh && sl->len == key && bml__tok_same(t->strs + sl->off, s, n)) return sl->id;
        i = (i + 1) & t->mask;
    }
}

/* Insert (cont, bytes at pool offset off, n) -> id; 0 if the key exists. */
static int bml__tok_insert(bml_tokenizer *t, uint32_t off, size_t n, int cont, int32_t id) {
    const uint8_t *s = (const uint8_t *)t->strs + off;
    uint64_t h = bml__tok_hash(cont, s, n);
    size_t i = bml__tok_slot_of(h, t->mask);
    uint32_t hh = (uint32_t)(h >> 32), key = (uint32_t)n | (cont ? 0x80000000u : 0);
    for (;;) {
        bml__tok_slot *sl = &t->slots[i];
        if (sl->id < 0) break;
        if (sl->h == hh && sl->len == key && !memcmp(t->strs + sl->off, s, n)) return 0;
        i = (i + 1) & t->mask;
    }
    t->slots[i].h = hh;
    t->slots[i].id = id;
    t->slots[i].off = off;
    t->slots[i].len = key;
    if (n > t->max_key[cont]) t->max_key[cont] = (uint32_t)n;
    return 1;
}

/* ======================================================================
   Loading
   ====================================================================== */

/* A vocabulary being built: (string, id) pairs in file order. */
typedef struct bml__tok_vb {
    uint32_t *off, *len;
    int32_t *id;
    size_t *line;           /* source line (vocab.txt) or 0 */
    size_t n, cap;
} bml__tok_vb;

static int bml__tok_vb_push(bml_tokenizer *t, bml__tok_vb *v, const char *s, size_t n, int32_t id, size_t line) {
    uint32_t off;
    if (v->n == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 32768;
        uint32_t *no = (uint32_t *)BML_REALLOC(v->off, nc * sizeof *no);
        uint32_t *nl;
        int32_t *ni;
        size_t *nline;
        if (!no) return 0;
        v->off = no;
        nl = (uint32_t *)BML_REALLOC(v->len, nc * sizeof *nl);
        if (!nl) return 0;
        v->len = nl;
        ni = (int32_t *)BML_REALLOC(v->id, nc * sizeof *ni);
        if (!ni) return 0;
        v->id = ni;
        nline = (size_t *)BML_REALLOC(v->line, nc * sizeof *nline);
        if (!nline) return 0;
        v->line = nline;
        v->cap = nc;
    }
    if (!bml__tok_str_add(t, s, n, &off)) return 0;
    v->off[v->n] = off;
    v->len[v->n] = (uint32_t)n;
    v->id[v->n] = id;
    v->line[v->n] = line;
    v->n++;
    return 1;
}

static void bml__tok_vb_free(bml__tok_vb *v) {
    BML_FREE(v->off);
    BML_FREE(v->len);
    BML_FREE(v->id);
    BML_FREE(v->line);
    memset(v, 0, sizeof *v);
}

/* tokenizer.json's added tokens get the ids HF's AddedVocabulary gives
   them, whatever "id" the file says (HF only warns): the vocabulary's id
   when the content is a vocabulary token, else the next free id -- the
   vocabulary size, or one past the largest added id once that is past it.
   A differing file id is logged. */
static bml_status bml__tok_hf_added_ids(bml_tokenizer *t, const bml__tok_vb *v, const char *src) {
    size_t cap = 64, i, j, *slot;
    int64_t max_added = -1;
    while (cap < 2 * v->n + 2) cap *= 2;
    slot = (size_t *)BML_MALLOC(cap * sizeof(size_t));
    if (!slot) return bml__fail(BML_ERR_NOMEM, "%s: out of memory", src);
    for (j = 0; j < cap; j++) slot[j] = (size_t)-1;
    for (i = 0; i < v->n; i++) {
        j = (size_t)bml__tok_hash(0, (const uint8_t *)t->strs + v->off[i], v->len[i]) & (cap - 1);
        while (slot[j] != (size_t)-1) j = (j + 1) & (cap - 1);
        slot[j] = i;
    }
    for (i = 0; i < t->n_added; i++) {
        bml__tok_added *a = &t->added[i];
        const char *c = t->strs + a->off;
        int32_t id = -1;
        for (j = (size_t)bml__tok_hash(0, (const uint8_t *)c, a->len) & (cap - 1); slot[j] != (size_t)-1; j = (j + 1) & (cap - 1))
            if (v->len[slot[j]] == a->len && !memcmp(t->strs + v->off[slot[j]], c, a->len)) { id = v->id[slot[j]]; break; }
        if (id < 0) id = (int32_t)(max_added >= (int64_t)v->n ? max_added + 1 : (int64_t)v->n);
        if (id != a->id)
            bml__log(BML_LOG_WARN, "%s: added token '%.40s' has id %d in the file; it gets %d, as Hugging Face "
                     "tokenizers gives it", src, c, (int)a->id, (int)id);
        a->id = id;
        if (id > max_added) max_added = id;
    }
    BML_FREE(slot);
    return BML_OK;
}

/* Build the id table and the hash from the vocabulary and the added tokens. */
static bml_status bml__tok_build(bml_tokenizer *t, bml__tok_vb *v, const char *src) {
    size_t i, n_slots = 64, max_id = 0, nkeys;
    for (i = 0; i < v->n; i++)
        if ((size_t)v->id[i] > max_id) max_id = (size_t)v->id[i];
    for (i = 0; i < t->n_added; i++)
        if ((size_t)t->added[i].id > max_id) max_id = (size_t)t->added[i].id;
    if (v->n == 0) return bml__fail(BML_ERR_FORMAT, "%s: empty vocabulary", src);
    t->id_count = max_id + 1;
    t->id_off = (uint32_t *)BML_MALLOC(t->id_count * sizeof(uint32_t));
    t->id_special = (uint8_t *)bml__calloc(t->id_count, 1);
    if (!t->id_off || !t->id_special) return bml__fail(BML_ERR_NOMEM, "%s: out of memory", src);
    memset(t->id_off, 0xFF, t->id_count * sizeof(uint32_t));
    nkeys = v->n * 2;
    while (n_slots < nkeys + nkeys / 2) n_slots *= 2;
    t->slots = (bml__tok_slot *)BML_MALLOC(n_slots * sizeof(bml__tok_slot));
    if (!t->slots) return bml__fail(BML_ERR_NOMEM, "%s: out of memory", src);
    for (i = 0; i < n_slots; i++) t->slots[i].id = -1;
    t->mask = n_slots - 1;
    for (i = 0; i < v->n; i++) {
        uint32_t off = v->off[i], len = v->len[i];
        int32_t id = v->id[i];
        if (t->id_off[id] != UINT32_MAX) {
            if (v->line[i])
                return bml__fail(BML_ERR_FORMAT, "%s line %zu: id %d already used", src, v->line[i], (int)id);
            return bml__fail(BML_ERR_FORMAT, "%s: model.vocab: id %d is given to two tokens ('%s' and '%s')", src,
                             (int)id, t->strs + t->id_off[id], t->strs + off);
        }
        t->id_off[id] = off;
        if (!bml__tok_insert(t, off, len, 0, id)) {
            if (v->line[i]) {
                int32_t first = bml__tok_find(t, bml__tok_hash(0, (const uint8_t *)t->strs + off, len),
                                              (const uint8_t *)t->strs + off, len, 0);
                return bml__fail(BML_ERR_FORMAT, "%s line %zu: duplicate token '%.40s' (first at line %d)", src,
                                 v->line[i], t->strs + off, (int)first + 1);
            }
            return bml__fail(BML_ERR_FORMAT, "%s: model.vocab: duplicate token '%.40s'", src, t->strs + off);
        }
        /* continuing pieces are looked up without the prefix; an empty
           prefix (HF allows it) makes every token a continuation too */
        if (len >= t->prefix_len && !memcmp(t->strs + off, t->prefix, t->prefix_len))
            bml__tok_insert(t, off + (uint32_t)t->prefix_len, len - t->prefix_len, 1, id);
    }
    /* added tokens: their strings (HF prefers them to the model's for the
       same id) and special flags */
    for (i = 0; i < t->n_added; i++) {
        bml__tok_added *a = &t->added[i];
        t->id_off[a->id] = a->off;
        if (a->special) t->id_special[a->id] = 1;
    }
    return BML_OK;
}

#define BML__TOK_MAX_ADDED_LEN 1024

static size_t bml__trie_slot(uint64_t key, size_t mask) {
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 29) & mask;
}

/* The child of node on byte c (0: none; the root is never a child). */
static uint32_t bml__trie_child(const bml_tokenizer *t, uint32_t node, unsigned c) {
    uint64_t key = ((uint64_t)node << 8) | c;
    size_t i;
    if (!t->trie_key) return 0;
    for (i = bml__trie_slot(key, t->trie_mask); t->trie_key[i] != UINT64_MAX; i = (i + 1) & t->trie_mask)
        if (t->trie_key[i] == key) return t->trie_child[i];
    return 0;
}

static int bml__trie_grow_edges(bml_tokenizer *t) {
    size_t cap = t->trie_key ? 2 * (t->trie_mask + 1) : 1024, i, j;
    uint64_t *nk = (uint64_t *)BML_MALLOC(cap * sizeof(uint64_t));
    uint32_t *nc = (uint32_t *)BML_MALLOC(cap * sizeof(uint32_t));
    if (!nk || !nc) { BML_FREE(nk); BML_FREE(nc); return 0; }
    for (i = 0; i < cap; i++) nk[i] = UINT64_MAX;
    for (i = 0; t->trie_key && i <= t->trie_mask; i++)
        if (t->trie_key[i] != UINT64_MAX) {
            for (j = bml__trie_slot(t->trie_key[i], cap - 1); nk[j] != UINT64_MAX; j = (j + 1) & (cap - 1)) {}
            nk[j] = t->trie_key[i];
            nc[j] = t->trie_child[i];
        }
    BML_FREE(t->trie_key);
    BML_FREE(t->trie_child);
    t->trie_key = nk;
    t->trie_child = nc;
    t->trie_mask = cap - 1;
    return 1;
}

/* Insert s[0..n) for added token `index`: 1 inserted, 2 already there (HF
   ignores a repeated added token), 0 out of memory. */
static int bml__trie_insert(bml_tokenizer *t, const uint8_t *s, size_t n, uint32_t index) {
    uint32_t node = 0;
    size_t k;
    if (!t->trie_term) {
        t->trie_cap = 256;
        if (!(t->trie_term = (uint32_t *)bml__calloc(t->trie_cap, sizeof(uint32_t)))) return 0;
        t->trie_nodes = 1;
    }
    for (k = 0; k < n; k++) {
        uint32_t ch = bml__trie_child(t, node, s[k]);
        if (!ch) {
            uint64_t key = ((uint64_t)node << 8) | s[k];
            size_t i;
            if (t->trie_nodes == t->trie_cap) {
                uint32_t *nt = (uint32_t *)BML_REALLOC(t->trie_term, 2 * (size_t)t->trie_cap * sizeof(uint32_t));
                if (!nt) return 0;
                memset(nt + t->trie_cap, 0, (size_t)t->trie_cap * sizeof(uint32_t));
                t->trie_term = nt;
                t->trie_cap *= 2;
            }
            if (!t->trie_key || 2 * (t->trie_edges + 1) > t->trie_mask + 1) {
                if (!bml__trie_grow_edges(t)) return 0;
            }
            ch = t->trie_nodes++;
            for (i = bml__trie_slot(key, t->trie_mask); t->trie_key[i] != UINT64_MAX; i = (i + 1) & t->trie_mask) {}
            t->trie_key[i] = key;
            t->trie_child[i] = ch;
            t->trie_edges++;
        }
        node = ch;
    }
    if (t->trie_term[node]) return 2;
    t->trie_term[node] = index + 1;
    return 1;
}

/* The first byte every added token shares (a memchr fast path), or -1. */
static bml_status bml__tok_index_added(bml_tokenizer *t) {
    size_t i;
    int b = -1;
    for (i = 0; i < t->n_added; i++) {
        int c = (uint8_t)t->strs[t->added[i].off];
        if (b < 0) b = c;
        else if (b != c) { b = -1; break; }
    }
    t->added_one_first = b;
    return BML_OK;
}

/* The longest added token starting at s[i] (bytes ASCII-lowercased with
   pre_lower): sets *len and returns its added index, or -1. */
static int32_t bml__tok_match_added(const bml_tokenizer *t, const uint8_t *s, size_t n, size_t i, size_t *len) {
    uint32_t node = 0;
    int32_t best = -1;
    size_t j;
    for (j = i; j < n; j++) {
        unsigned c = s[j];
        if (t->pre_lower && c >= 'A' && c <= 'Z') c += 32;
        if (!(node = bml__trie_child(t, node, c))) break;
        if (t->trie_term[node]) { best = (int32_t)t->trie_term[node] - 1; *len = j - i + 1; }
    }
    return best;
}

static bml_status bml__tok_add_added(bml_tokenizer *t, const char *s, size_t n, int32_t id, int special, size_t *cap) {
    int r;
    if (n > BML__TOK_MAX_ADDED_LEN)
        return bml__fail(BML_ERR_UNSUPPORTED, "added token '%.40s...' is %zu bytes: batchml takes added tokens of up to %d",
                         s, n, BML__TOK_MAX_ADDED_LEN);
    if (t->n_added == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        bml__tok_added *na = (bml__tok_added *)BML_REALLOC(t->added, nc * sizeof *na);
        if (!na) return bml__fail(BML_ERR_NOMEM, "out of memory");
        t->added = na;
        *cap = nc;
    }
    if (!(r = bml__trie_insert(t, (const uint8_t *)s, n, (uint32_t)t->n_added))) return bml__fail(BML_ERR_NOMEM, "out of memory");
    if (r == 2) return BML_OK; /* a repeat: the first stays */
    if (!bml__tok_str_add(t, s, n, &t->added[t->n_added].off)) return bml__fail(BML_ERR_NOMEM, "out of memory");
    t->added[t->n_added].len = (uint32_t)n;
    t->added[t->n_added].id = id;
    t->added[t->n_added].special = special;
    t->n_added++;
    return BML_OK;
}

static void bml__tok_ascii_tables(bml_tokenizer *t) {
    int c;
    for (c = 0; c < 128; c++) {
        unsigned p = bml__tok_prop((uint32_t)c);
        int m = c;
        if (t->clean_text) {
            if (p & BML__TOK_F_DROP) m = -1;
            else if (p & BML__TOK_F_WS) m = ' ';
        }
        if (m >= 'A' && m <= 'Z' && t->lower_any) m += 32;
        t->ascii_map[c] = (int16_t)m;
        t->ascii_cls[c] = (uint8_t)(p & (BML__TOK_F_WS | BML__TOK_F_PUNCT));
        {
            char ch = (char)c;
            t->ascii_id[c] = bml__tok_find(t, bml__tok_hash(0, (const uint8_t *)&ch, 1), (const uint8_t *)&ch, 1, 0);
            if (t->max_chars < 1) t->ascii_id[c] = -1;
        }
    }
}

/* Default template: [CLS] $A [SEP] / [CLS] $A [SEP] $B:1 [SEP]:1 */
static void bml__tok_bert_template(bml_tokenizer *t, int32_t cls, int32_t sep) {
    bml__tok_titem *s = t->single, *p = t->pair;
    memset(t->single, 0, sizeof t->single);
    memset(t->pair, 0, sizeof t->pair);
    s[0].kind = 0; s[0].nids = 1; s[0].ids[0] = cls;
    s[1].kind = 1;
    s[2].kind = 0; s[2].nids = 1; s[2].ids[0] = sep;
    t->n_single = 3;
    p[0] = s[0]; p[1] = s[1]; p[2] = s[2];
    p[3].kind = 2; p[3].type_id = 1;
    p[4].kind = 0; p[4].nids = 1; p[4].ids[0] = sep; p[4].type_id = 1;
    t->n_pair = 5;
}

/* A JSON number that is a token id: an integer in 0..BML__TOK_MAX_ID
   (checked before any cast, so 1e300 or -5 is just "not an id"). */
static int bml__tok_is_id(const bml_json *v) {
    long long id;
    return bml_json_int(v, 0, BML__TOK_MAX_ID, &id);
}

static const char *bml__tok_jstr(const bml_json *v) {
    return v && v->type == BML_JSON_STRING ? v->str : NULL;
}

static int bml__tok_jbool(const bml_json *v, int dflt) {
    if (!v || v->type == BML_JSON_NULL) return dflt;
    if (v->type == BML_JSON_TRUE) return 1;
    if (v->type == BML_JSON_FALSE) return 0;
    return dflt;
}

/* A special token given as "str" or {"content": "str", ...}. */
static const char *bml__tok_jtoken(const bml_json *v) {
    if (!v) return NULL;
    if (v->type == BML_JSON_STRING) return v->str;
    if (v->type == BML_JSON_OBJECT) return bml__tok_jstr(bml_json_get(v, "content"));
    return NULL;
}

static bml_status bml__tok_parse_template(bml_tokenizer *t, const bml_json *arr, const bml_json *specials,
                                          bml__tok_titem *items, int *n_items, const char *src, const char *what) {
    size_t i;
    if (!arr || arr->type != BML_JSON_ARRAY)
        return bml__fail(BML_ERR_FORMAT, "%s: post_processor.%s must be an array", src, what);
    if (arr->len > BML__TOK_MAX_TEMPLATE)
        return bml__fail(BML_ERR_UNSUPPORTED, "%s: post_processor.%s has more than %d items", src, what, BML__TOK_MAX_TEMPLATE);
    for (i = 0; i < arr->len; i++) {
        const bml_json *it = &arr->kids[i], *sp = bml_json_get(it, "SpecialToken"), *sq = bml_json_get(it, "Sequence");
        bml__tok_titem *ti = &items[i];
        const bml_json *tid;
        memset(ti, 0, sizeof *ti);
        if (sp) {
            const char *name = bml__tok_jstr(bml_json_get(sp, "id"));
            const bml_json *def = name ? bml_json_get(specials, name) : NULL, *ids = bml_json_get(def, "ids");
            size_t k;
            if (!ids || ids->type != BML_JSON_ARRAY || ids->len > BML__TOK_MAX_SPECIAL_IDS)
                return bml__fail(BML_ERR_FORMAT, "%s: post_processor.%s[%zu]: special token '%s' not defined", src, what,
                                 i, name ? name : "?");
            ti->kind = 0;
            ti->nids = (int)ids->len;
            for (k = 0; k < ids->len; k++) {
                if (!bml__tok_is_id(&ids->kids[k]))
                    return bml__fail(BML_ERR_FORMAT, "%s: post_processor: bad id for '%s'", src, name);
                ti->ids[k] = (int32_t)ids->kids[k].num;
            }
            tid = bml_json_get(sp, "type_id");
        } else if (sq) {
            const char *which = bml__tok_jstr(bml_json_get(sq, "id"));
            if (!which || (strcmp(which, "A") && strcmp(which, "B")))
                return bml__fail(BML_ERR_FORMAT, "%s: post_processor.%s[%zu]: Sequence id must be A or B", src, what, i);
            ti->kind = which[0] == 'A' ? 1 : 2;
            tid = bml_json_get(sq, "type_id");
        } else {
            return bml__fail(BML_ERR_FORMAT, "%s: post_processor.%s[%zu]: expected SpecialToken or Sequence", src, what, i);
        }
        {
            long long x;
            if (bml_json_int(tid, 0, 255, &x)) ti->type_id = (int)x;
        }
    }
    *n_items = (int)arr->len;
    (void)t;
    return BML_OK;
}

static bml_status bml__tok_load_json(bml_tokenizer *t, const char *path) {
    bml_json_doc *doc = NULL;
    const bml_json *root, *model, *vocab, *norm, *pre, *post, *dec, *added, *v;
    bml__tok_vb vb;
    size_t i, added_cap = 0;
    bml_status st;
    memset(&vb, 0, sizeof vb);
    if ((st = bml_json_load(path, (size_t)64 << 20, &doc)) != BML_OK) return st;
    root = bml_json_root(doc);
    if (root->type != BML_JSON_OBJECT) { st = bml__fail(BML_ERR_FORMAT, "%s: not a JSON object", path); goto done; }
    model = bml_json_get(root, "model");
    if (!model || model->type != BML_JSON_OBJECT) { st = bml__fail(BML_ERR_FORMAT, "%s: no \"model\" object", path); goto done; }
    v = bml_json_get(model, "type");
    if (v && (!bml__tok_jstr(v) || strcmp(v->str, "WordPiece"))) {
        st = bml__fail(BML_ERR_UNSUPPORTED, "%s: model.type '%s' is not supported (only WordPiece)", path,
                       bml__tok_jstr(v) ? v->str : "?");
        goto done;
    }
    /* WordPiece parameters */
    v = bml_json_get(model, "continuing_subword_prefix");
    if (bml__tok_jstr(v)) {
        if (v->len >= sizeof t->prefix) { st = bml__fail(BML_ERR_UNSUPPORTED, "%s: continuing_subword_prefix too long", path); goto done; }
        memcpy(t->prefix, v->str, v->len + 1);
        t->prefix_len = v->len;
    }
    v = bml_json_get(model, "max_input_chars_per_word");
    if (v && v->type == BML_JSON_NUMBER) {
        long long mc;
        if (v->num > 1e15) mc = (long long)1e15; /* more than any input: no limit */
        else if (!bml_json_int(v, 0, (long long)1e15, &mc)) {
            st = bml__fail(BML_ERR_FORMAT, "%s: model.max_input_chars_per_word must be a non-negative integer", path);
            goto done;
        }
        t->max_chars = (size_t)mc;
    }
    /* vocabulary */
    vocab = bml_json_get(model, "vocab");
    if (!vocab || vocab->type != BML_JSON_OBJECT) { st = bml__fail(BML_ERR_FORMAT, "%s: model.vocab must be an object", path); goto done; }
    for (i = 0; i < vocab->len; i++) {
        const bml_json *e = &vocab->kids[i];
        if (!bml__tok_is_id(e)) {
            st = bml__fail(BML_ERR_FORMAT, "%s: model.vocab['%.40s'] is not an id in 0..%d", path, e->key, BML__TOK_MAX_ID);
            goto done;
        }
        if (!bml__tok_vb_push(t, &vb, e->key, e->key_len, (int32_t)e->num, 0)) { st = bml__fail(BML_ERR_NOMEM, "%s: out of memory", path); goto done; }
    }
    /* added tokens (matched in the raw text when not normalized) */
    added = bml_json_get(root, "added_tokens");
    if (added && added->type == BML_JSON_ARRAY) {
        for (i = 0; i < added->len; i++) {
            const bml_json *a = &added->kids[i], *id = bml_json_get(a, "id");
            const char *content = bml__tok_jstr(bml_json_get(a, "content"));
            if (!content || !bml__tok_is_id(id)) {
                st = bml__fail(BML_ERR_FORMAT, "%s: added_tokens[%zu] needs a content string and an id", path, i);
                goto done;
            }
            if (bml__tok_jbool(bml_json_get(a, "normalized"), 0) || bml__tok_jbool(bml_json_get(a, "lstrip"), 0) ||
                bml__tok_jbool(bml_json_get(a, "rstrip"), 0) || bml__tok_jbool(bml_json_get(a, "single_word"), 0)) {
                st = bml__fail(BML_ERR_UNSUPPORTED, "%s: added_tokens[%zu] ('%.40s'): normalized, lstrip, rstrip and "
                               "single_word added tokens are not supported", path, i, content);
                goto done;
            }
            if (!bml_json_get(a, "content")->len) continue; /* HF ignores an empty added token */
            if ((st = bml__tok_add_added(t, bml_json_get(a, "content")->str, bml_json_get(a, "content")->len,
                                         (int32_t)id->num, bml__tok_jbool(bml_json_get(a, "special"), 0), &added_cap)) != BML_OK)
                goto done;
        }
    }
    v = bml_json_get(model, "unk_token");
    {
        const char *unk = bml__tok_jstr(v) ? v->str : "[UNK]";
        size_t j;
        t->unk_id = -1;
        for (j = 0; j < vb.n; j++)
            if (vb.len[j] == strlen(unk) && !memcmp(t->strs + vb.off[j], unk, vb.len[j])) { t->unk_id = vb.id[j]; break; }
        if (t->unk_id < 0) { st = bml__fail(BML_ERR_FORMAT, "%s: model.unk_token '%s' is not in the vocabulary", path, unk); goto done; }
    }
    /* normalizer */
    norm = bml_json_get(root, "normalizer");
    if (norm && norm->type == BML_JSON_OBJECT) {
        const char *type = bml__tok_jstr(bml_json_get(norm, "type"));
        const bml_json *sa;
        if (!type || strcmp(type, "BertNormalizer")) {
            st = bml__fail(BML_ERR_UNSUPPORTED, "%s: normalizer '%s' is not supported (only BertNormalizer)", path, type ? type : "?");
            goto done;
        }
        t->clean_text = bml__tok_jbool(bml_json_get(norm, "clean_text"), 1);
        t->handle_cjk = bml__tok_jbool(bml_json_get(norm, "handle_chinese_chars"), 1);
        t->lowercase = bml__tok_jbool(bml_json_get(norm, "lowercase"), 1);
        sa = bml_json_get(norm, "strip_accents");
        t->strip_accents = (!sa || sa->type == BML_JSON_NULL) ? t->lowercase : bml__tok_jbool(sa, t->lowercase);
    } else {
        t->clean_text = t->handle_cjk = t->lowercase = t->strip_accents = 0;
    }
    pre = bml_json_get(root, "pre_tokenizer");
    if (!pre || pre->type != BML_JSON_OBJECT || !bml__tok_jstr(bml_json_get(pre, "type")) ||
        strcmp(bml_json_get(pre, "type")->str, "BertPreTokenizer")) {
        st = bml__fail(BML_ERR_UNSUPPORTED, "%s: pre_tokenizer must be BertPreTokenizer", path);
        goto done;
    }
    if ((st = bml__tok_hf_added_ids(t, &vb, path)) != BML_OK || (st = bml__tok_build(t, &vb, path)) != BML_OK) goto done;
    /* post-processor */
    post = bml_json_get(root, "post_processor");
    t->n_single = t->n_pair = 0;
    if (post && post->type == BML_JSON_OBJECT) {
        const char *type = bml__tok_jstr(bml_json_get(post, "type"));
        if (type && !strcmp(type, "TemplateProcessing")) {
            const bml_json *sp = bml_json_get(post, "special_tokens");
            if ((st = bml__tok_parse_template(t, bml_json_get(post, "single"), sp, t->single, &t->n_single, path, "single")) != BML_OK ||
                (st = bml__tok_parse_template(t, bml_json_get(post, "pair"), sp, t->pair, &t->n_pair, path, "pair")) != BML_OK)
                goto done;
        } else if (type && !strcmp(type, "BertProcessing")) {
            const bml_json *cls = bml_json_get(post, "cls"), *sep = bml_json_get(post, "sep");
            if (!cls || cls->type != BML_JSON_ARRAY || cls->len != 2 || cls->kids[1].type != BML_JSON_NUMBER ||
                !sep || sep->type != BML_JSON_ARRAY || sep->len != 2 || sep->kids[1].type != BML_JSON_NUMBER) {
                st = bml__fail(BML_ERR_FORMAT, "%s: post_processor BertProcessing needs cls and sep [token, id]", path);
                goto done;
            }
            if (!bml__tok_is_id(&cls->kids[1]) || !bml__tok_is_id(&sep->kids[1])) {
                st = bml__fail(BML_ERR_FORMAT, "%s: post_processor BertProcessing: cls and sep ids must be integers in 0..%d", path,
                               BML__TOK_MAX_ID);
                goto done;
            }
            bml__tok_bert_template(t, (int32_t)cls->kids[1].num, (int32_t)sep->kids[1].num);
        } else {
            st = bml__fail(BML_ERR_UNSUPPORTED, "%s: post_processor '%s' is not supported", path, type ? type : "?");
            goto done;
        }
    } else {
        t->single[0].kind = 1;
        t->n_single = 1;
        t->pair[0].kind = 1;
        t->pair[1].kind = 2;
        t->pair[1].type_id = 1;
        t->n_pair = 2;
    }
    /* decoder */
    dec = bml_json_get(root, "decoder");
    if (dec && dec->type == BML_JSON_OBJECT) {
        const char *type = bml__tok_jstr(bml_json_get(dec, "type"));
        const char *pfx = bml__tok_jstr(bml_json_get(dec, "prefix"));
        if (!type || strcmp(type, "WordPiece")) {
            st = bml__fail(BML_ERR_UNSUPPORTED, "%s: decoder '%s' is not supported (only WordPiece)", path, type ? type : "?");
            goto done;
        }
        t->dec_wordpiece = 1;
        t->dec_cleanup = bml__tok_jbool(bml_json_get(dec, "cleanup"), 1);
        if (!pfx) pfx = "##";
        if (strlen(pfx) >= sizeof t->dec_prefix) { st = bml__fail(BML_ERR_UNSUPPORTED, "%s: decoder.prefix too long", path); goto done; }
        strcpy(t->dec_prefix, pfx);
        t->dec_prefix_len = strlen(pfx);
    }
    st = BML_OK;
done:
    bml__tok_vb_free(&vb);
    bml_json_free(doc);
    return st;
}

/* Trailing White_Space of a vocab.txt line (Rust's str::trim_end). */
static size_t bml__tok_trim_end(const char *s, size_t n) {
    while (n > 0) {
        size_t k = n - 1;
        uint32_t cp;
        int bad;
        while (k > 0 && ((uint8_t)s[k] & 0xC0) == 0x80 && n - k < 4) k--;
        if (bml__utf8_dec((const uint8_t *)s, n, k, &cp, &bad) != n - k || bad) return n;
        if (!(bml__tok_prop(cp) & BML__TOK_F_WS)) return n;
        n = k;
    }
    return n;
}

/* Special tokens of a vocab.txt model: tokenizer_config.json (+ its
   added_tokens_decoder) and special_tokens_map.json, else BERT's defaults. */
static bml_status bml__tok_load_vocab_txt(bml_tokenizer *t, const char *path, const char *dir) {
    char *buf = NULL, cfgpath[4096];
    size_t len, i, line = 0, added_cap = 0;
    bml__tok_vb vb;
    bml_json_doc *cfg = NULL, *map = NULL;
    const bml_json *c = NULL, *m = NULL;
    bml_status st;
    static const char *roles[] = {"unk_token", "sep_token", "pad_token", "cls_token", "mask_token"};
    static const char *dflt[] = {"[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"};
    int32_t role_id[5];
    int r;
    memset(&vb, 0, sizeof vb);
    if ((st = bml__read_file(path, (size_t)64 << 20, &buf, &len)) != BML_OK) return st;
    for (i = 0; i < len;) {
        size_t e = i, n;
        size_t bad;
        while (e < len && buf[e] != '\n') e++;
        line++;
        n = e - i;
        if (!bml_utf8_check(buf + i, n, &bad)) {
            st = bml__fail(BML_ERR_FORMAT, "%s line %zu: invalid UTF-8 at byte %zu of the line", path, line, bad);
            goto done;
        }
        n = bml__tok_trim_end(buf + i, n);
        if (n == 0) {   /* HF would make "" (or, after trim_end, a blank line) a token: an id no text maps to */
            st = bml__fail(BML_ERR_FORMAT, "%s line %zu: empty token (a blank line in the vocabulary)", path, line);
            goto done;
        }
        if (line - 1 > BML__TOK_MAX_ID) { st = bml__fail(BML_ERR_FORMAT, "%s: more than %d lines", path, BML__TOK_MAX_ID + 1); goto done; }
        if (!bml__tok_vb_push(t, &vb, buf + i, n, (int32_t)(line - 1), line)) { st = bml__fail(BML_ERR_NOMEM, "%s: out of memory", path); goto done; }
        i = e + 1;
    }
    /* configuration */
    if (dir) {
        bml__join(cfgpath, sizeof cfgpath, dir, "tokenizer_config.json");
        if (access(cfgpath, R_OK) == 0) {
            if ((st = bml_json_load(cfgpath, (size_t)64 << 20, &cfg)) != BML_OK) goto done;
            c = bml_json_root(cfg);
        }
        bml__join(cfgpath, sizeof cfgpath, dir, "special_tokens_map.json");
        if (access(cfgpath, R_OK) == 0) {
            if ((st = bml_json_load(cfgpath, (size_t)64 << 20, &map)) != BML_OK) goto done;
            m = bml_json_root(map);
        }
    }
    t->lowercase = bml__tok_jbool(bml_json_get(c, "do_lower_case"), 1);
    t->clean_text = 1;
    t->handle_cjk = bml__tok_jbool(bml_json_get(c, "tokenize_chinese_chars"), 1);
    {
        const bml_json *sa = bml_json_get(c, "strip_accents");
        t->strip_accents = (!sa || sa->type == BML_JSON_NULL) ? t->lowercase : bml__tok_jbool(sa, t->lowercase);
    }
    t->prefix_len = 2;
    strcpy(t->prefix, "##");
    for (r = 0; r < 5; r++) {
        const char *name = bml__tok_jtoken(bml_json_get(m, roles[r]));
        size_t j, nl;
        if (!name) name = bml__tok_jtoken(bml_json_get(c, roles[r]));
        if (!name) name = dflt[r];
        nl = strlen(name);
        role_id[r] = -1;
        for (j = 0; j < vb.n; j++)
            if (vb.len[j] == nl && !memcmp(t->strs + vb.off[j], name, nl)) { role_id[r] = vb.id[j]; break; }
        if (role_id[r] < 0 && r != 2 && r != 4) {
            st = bml__fail(BML_ERR_FORMAT, "%s: %s '%s' is not in the vocabulary", path, roles[r], name);
            goto done;
        }
        if (role_id[r] >= 0 && (st = bml__tok_add_added(t, name, nl, role_id[r], 1, &added_cap)) != BML_OK) goto done;
    }
    /* added_tokens_decoder: {"100": {"content": "[UNK]", "special": true, ...}} */
    {
        const bml_json *atd = bml_json_get(c, "added_tokens_decoder");
        if (atd && atd->type == BML_JSON_OBJECT) {
            for (i = 0; i < atd->len; i++) {
                const bml_json *a = &atd->kids[i];
                const char *content = bml__tok_jstr(bml_json_get(a, "content"));
                char *endp;
                long id = strtol(a->key, &endp, 10);
                if (!content || *endp || id < 0 || id > BML__TOK_MAX_ID) {
                    st = bml__fail(BML_ERR_FORMAT, "%s/tokenizer_config.json: added_tokens_decoder['%.20s'] is malformed", dir, a->key);
                    goto done;
                }
                if (bml__tok_jbool(bml_json_get(a, "normalized"), 0) || bml__tok_jbool(bml_json_get(a, "lstrip"), 0) ||
                    bml__tok_jbool(bml_json_get(a, "rstrip"), 0) || bml__tok_jbool(bml_json_get(a, "single_word"), 0)) {
                    st = bml__fail(BML_ERR_UNSUPPORTED, "%s/tokenizer_config.json: added token '%.40s': normalized, lstrip, "
                                   "rstrip and single_word added tokens are not supported", dir, content);
                    goto done;
                }
                if ((st = bml__tok_add_added(t, content, bml_json_get(a, "content")->len, (int32_t)id,
                                             bml__tok_jbool(bml_json_get(a, "special"), 0), &added_cap)) != BML_OK)
                    goto done;
            }
        }
    }
    t->unk_id = role_id[0];
    if ((st = bml__tok_build(t, &vb, path)) != BML_OK) goto done;
    bml__tok_bert_template(t, role_id[3], role_id[1]);
    t->dec_wordpiece = 1;
    t->dec_cleanup = bml__tok_jbool(bml_json_get(c, "clean_up_tokenization_spaces"), 1);
    strcpy(t->dec_prefix, "##");
    t->dec_prefix_len = 2;
    st = BML_OK;
done:
    bml__tok_vb_free(&vb);
    bml_json_free(cfg);
    bml_json_free(map);
    BML_FREE(buf);
    return st;
}

/* max_len: desc value, else sentence_bert_config.json max_seq_length, else
   256; never above config.json max_position_embeddings. */
static bml_status bml__tok_max_len(bml_tokenizer *t, const bml_tokenizer_desc *d, const char *dir) {
    char p[4096];
    long want = d->max_len, maxpos = -1;
    bml_json_doc *doc = NULL;
    bml_status st;
    if (want < 0) { t->max_len = SIZE_MAX; return BML_OK; }
    if (dir) {
        const bml_json *v;
        bml__join(p, sizeof p, dir, "sentence_bert_config.json");
        if (want == 0 && access(p, R_OK) == 0) {
            if ((st = bml_json_load(p, (size_t)1 << 20, &doc)) != BML_OK) return st;
            v = bml_json_get(bml_json_root(doc), "max_seq_length");
            {
                long long x;
                if (bml_json_int(v, 1, 1000000000, &x)) want = (long)x;
            }
            bml_json_free(doc);
            doc = NULL;
        }
        if (access(p, R_OK) == 0) { /* do_lower_case: sentence-transformers lowercases the text first */
            const bml_json *dl;
            if ((st = bml_json_load(p, (size_t)1 << 20, &doc)) != BML_OK) return st;
            dl = bml_json_get(bml_json_root(doc), "do_lower_case");
            if (dl && dl->type != BML_JSON_TRUE && dl->type != BML_JSON_FALSE && dl->type != BML_JSON_NULL) {
                bml_json_free(doc);
                return bml__fail(BML_ERR_FORMAT, "%s: do_lower_case must be true or false", p);
            }
            t->pre_lower = dl && dl->type == BML_JSON_TRUE;
            bml_json_free(doc);
            doc = NULL;
        }
        bml__join(p, sizeof p, dir, "config.json");
        if (access(p, R_OK) == 0) {
            if ((st = bml_json_load(p, (size_t)16 << 20, &doc)) != BML_OK) return st;
            v = bml_json_get(bml_json_root(doc), "max_position_embeddings");
            {
                long long x;
                if (bml_json_int(v, 1, 1000000000, &x)) maxpos = (long)x;
            }
            bml_json_free(doc);
        }
    }
    if (want == 0) want = 256;
    if (maxpos > 0 && want > maxpos) want = maxpos;
    t->max_len = (size_t)want;
    return BML_OK;
}

BMLDEF void bml_tokenizer_free(bml_tokenizer *t) {
    if (!t) return;
    BML_FREE(t->strs);
    BML_FREE(t->id_off);
    BML_FREE(t->id_special);
    BML_FREE(t->slots);
    BML_FREE(t->added);
    BML_FREE(t->trie_term);
    BML_FREE(t->trie_key);
    BML_FREE(t->trie_child);
    BML_FREE(t);
}

static int bml__tok_exists(const char *p) { return access(p, R_OK) == 0; }

/* A bml_tokenizer_desc validated (it has no defaults to fill in: max_len 0
   is resolved from the model's files by bml__tok_max_len). */
static bml_status bml__tokenizer_desc_fill(const bml_tokenizer_desc *in, bml_tokenizer_desc *d) {
    memset(d, 0, sizeof *d); /* (gcc cannot see that d is unused after an error) */
    if (!in || (!in->dir && !in->file))
        return bml__fail(BML_ERR_INVALID_ARG, "bml_tokenizer_load: set desc.dir or desc.file");
    *d = *in;
    if (strlen(d->file ? d->file : d->dir) + 32 >= 4096)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_tokenizer_load: path too long");
    return BML_OK;
}

BMLDEF bml_status bml_tokenizer_load(const bml_tokenizer_desc *desc, bml_tokenizer **out) {
    bml_tokenizer *t;
    bml_status st;
    char path[4096], dirbuf[4096];
    const char *dir = NULL, *file = NULL;
    int is_json;
    size_t k;
    bml_tokenizer_desc d;
    if (!out) return bml__fail(BML_ERR_INVALID_ARG, "bml_tokenizer_load: NULL out");
    *out = NULL;
    if ((st = bml__tokenizer_desc_fill(desc, &d)) != BML_OK) return st;
    desc = &d;
    if (desc->file) {
        const char *slash = strrchr(desc->file, '/');
        file = desc->file;
        if (slash) {
            size_t n = (size_t)(slash - file);
            memcpy(dirbuf, file, n);
            dirbuf[n] = 0;
            if (n == 0) strcpy(dirbuf, "/");
        } else {
            strcpy(dirbuf, ".");
        }
        dir = dirbuf;
        snprintf(path, sizeof path, "%s", file);
        k = strlen(path);
        is_json = k >= 5 && !strcmp(path + k - 5, ".json");
        if (!bml__tok_exists(path)) return bml__fail(BML_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    } else {
        dir = desc->dir;
        bml__join(path, sizeof path, dir, "tokenizer.json");
        is_json = 1;
        if (!bml__tok_exists(path)) {
            bml__join(path, sizeof path, dir, "vocab.txt");
            is_json = 0;
            if (!bml__tok_exists(path))
                return bml__fail(BML_ERR_IO, "%s: neither tokenizer.json nor vocab.txt is readable there", dir);
        }
    }
    t = (bml_tokenizer *)bml__calloc(1, sizeof *t);
    if (!t) return bml__fail(BML_ERR_NOMEM, "out of memory");
    t->prefix_len = 2;
    strcpy(t->prefix, "##");
    t->max_chars = 100;
    t->cls_id = t->sep_id = t->pad_id = t->mask_id = -1;
    st = is_json ? bml__tok_load_json(t, path) : bml__tok_load_vocab_txt(t, path, dir);
    if (st == BML_OK) st = bml__tok_index_added(t);
    if (st == BML_OK) st = bml__tok_max_len(t, desc, dir);
    if (st != BML_OK) { bml_tokenizer_free(t); return st; }
    /* template sanity, counts of added tokens */
    {
        int i, k2;
        for (i = 0; i < t->n_single + t->n_pair; i++) {
            const bml__tok_titem *it = i < t->n_single ? &t->single[i] : &t->pair[i - t->n_single];
            for (k2 = 0; k2 < it->nids; k2++)
                if (it->ids[k2] < 0 || (size_t)it->ids[k2] >= t->id_count || t->id_off[it->ids[k2]] == UINT32_MAX) {
                    bml__fail(BML_ERR_FORMAT, "%s: post_processor uses id %d, which no token has", path, (int)it->ids[k2]);
                    bml_tokenizer_free(t);
                    return BML_ERR_FORMAT;
                }
            if (i < t->n_single) t->added_single += (size_t)it->nids;
            else t->added_pair += (size_t)it->nids;
        }
    }
    {
        /* role ids for bml_tokenizer_special_id */
        const char *names[4] = {"[CLS]", "[SEP]", "[PAD]", "[MASK]"};
        int32_t *ids[4];
        int i;
        ids[0] = &t->cls_id; ids[1] = &t->sep_id; ids[2] = &t->pad_id; ids[3] = &t->mask_id;
        for (i = 0; i < 4; i++) *ids[i] = bml_tokenizer_token_to_id(t, names[i], strlen(names[i]));
        if (t->n_single >= 3 && t->single[0].kind == 0 && t->single[0].nids == 1) t->cls_id = t->single[0].ids[0];
        if (t->n_single >= 3 && t->single[t->n_single - 1].kind == 0 && t->single[t->n_single - 1].nids == 1)
            t->sep_id = t->single[t->n_single - 1].ids[0];
    }
    t->lower_any = t->lowercase || t->pre_lower;
    bml__tok_ascii_tables(t);
    *out = t;
    return BML_OK;
}

BMLDEF size_t bml_tokenizer_vocab_size(const bml_tokenizer *t) { return t ? t->id_count : 0; }

BMLDEF int bml_tokenizer_max_len(const bml_tokenizer *t) {
    if (!t) return 0;
    return t->max_len > (size_t)INT_MAX ? INT_MAX : (int)t->max_len;
}

BMLDEF const char *bml_tokenizer_id_to_token(const bml_tokenizer *t, int32_t id) {
    if (!t || id < 0 || (size_t)id >= t->id_count || t->id_off[id] == UINT32_MAX) return NULL;
    return t->strs + t->id_off[id];
}

BMLDEF int32_t bml_tokenizer_token_to_id(const bml_tokenizer *t, const char *s, size_t n) {
    size_t i;
    if (!t || !s) return -1;
    for (i = 0; i < t->n_added; i++)
        if (t->added[i].len == n && !memcmp(t->strs + t->added[i].off, s, n)) return t->added[i].id;
    return bml__tok_find(t, bml__tok_hash(0, (const uint8_t *)s, n), (const uint8_t *)s, n, 0);
}

BMLDEF int32_t bml_tokenizer_special_id(const bml_tokenizer *t, const char *which) {
    if (!t || !which) return -1;
    if (!strcmp(which, "cls")) return t->cls_id;
    if (!strcmp(which, "sep")) return t->sep_id;
    if (!strcmp(which, "pad")) return t->pad_id;
    if (!strcmp(which, "unk")) return t->unk_id;
    if (!strcmp(which, "mask")) return t->mask_id;
    return -1;
}

/* ======================================================================
   Encoding: scratch
   ====================================================================== */

typedef struct bml__tok_list {
    int32_t *id;
    uint32_t *off;          /* 2 per token */
    size_t n, cap;
} bml__tok_list;

typedef struct bml__tok_ws {
    /* normalized characters of the current chunk and their input spans */
    uint32_t *cp, *st, *en;
    uint8_t *cc, *fl;       /* canonical combining class; flags (see BML__TOK_ADDED) */
    size_t ncap;
    /* the current word: UTF-8, char boundaries, prefix hashes */
    uint8_t *wb;
    uint32_t *wpos;
    uint64_t *wh;
    size_t wcap, wbcap;
    /* reordering scratch */
    uint32_t *tmp;
    size_t tmpcap;
    bml__tok_list a, b;
} bml__tok_ws;

static void bml__tok_ws_free(bml__tok_ws *w) {
    if (!w) return;
    BML_FREE(w->cp); BML_FREE(w->st); BML_FREE(w->en); BML_FREE(w->cc); BML_FREE(w->fl);
    BML_FREE(w->wb); BML_FREE(w->wpos); BML_FREE(w->wh); BML_FREE(w->tmp);
    BML_FREE(w->a.id); BML_FREE(w->a.off); BML_FREE(w->b.id); BML_FREE(w->b.off);
    BML_FREE(w);
}

static int bml__tok_grow(void **p, size_t n, size_t size) {
    void *np = BML_REALLOC(*p, n * size);
    if (!np) return 0;
    *p = np;
    return 1;
}

static int bml__tok_ws_chars(bml__tok_ws *w, size_t n) {
    size_t nc;
    if (n <= w->ncap) return 1;
    nc = w->ncap ? w->ncap : 1024;
    while (nc < n) nc *= 2;
    if (!bml__tok_grow((void **)&w->cp, nc, 4) || !bml__tok_grow((void **)&w->st, nc, 4) ||
        !bml__tok_grow((void **)&w->en, nc, 4) || !bml__tok_grow((void **)&w->cc, nc, 1) ||
        !bml__tok_grow((void **)&w->fl, nc, 1))
        return 0;
    w->ncap = nc;
    return 1;
}

static int bml__tok_list_reserve(bml__tok_list *l, size_t n) {
    size_t nc;
    if (n <= l->cap) return 1;
    nc = l->cap ? l->cap : 256;
    while (nc < n) nc *= 2;
    if (!bml__tok_grow((void **)&l->id, nc, 4) || !bml__tok_grow((void **)&l->off, nc, 8)) return 0;
    l->cap = nc;
    return 1;
}

/* ======================================================================
   Normalizer: input bytes [a, b) -> ws->cp/st/en[0..n)
   ====================================================================== */

/* fl[] of a normalized character: its property flags (BML__TOK_F_*, bits
   0-6) and BML__TOK_ADDED when NFD added it after the first character of a
   decomposition. */
#define BML__TOK_ADDED 0x80

/* Stable sort of a run of non-starters by ccc (canonical reordering), the
   NFD "added" marks moving with their characters; then the spans are
   assigned by position, as HF's NormalizedString::transform does: a first
   character takes the next input character's span, an added one repeats the
   span taken last. */
static int bml__tok_reorder(bml__tok_ws *w, size_t r0, size_t r1) {
    size_t n = r1 - r0, i, j, q = 0;
    uint32_t last_s = 0, last_e = 0;
    if (w->tmpcap < 4 * n) {
        size_t nc = w->tmpcap ? w->tmpcap : 256;
        while (nc < 4 * n) nc *= 2;
        if (!bml__tok_grow((void **)&w->tmp, nc, 4)) return 0;
        w->tmpcap = nc;
    }
    /* spans of the first characters, in input order */
    for (i = r0; i < r1; i++)
        if (!(w->fl[i] & BML__TOK_ADDED)) { w->tmp[2 * q] = w->st[i]; w->tmp[2 * q + 1] = w->en[i]; q++; }
    /* stable sort (cp, cc, fl) by cc */
    if (n <= 32) {
        for (i = r0 + 1; i < r1; i++) {
            uint32_t c = w->cp[i];
            uint8_t k = w->cc[i], f = w->fl[i];
            for (j = i; j > r0 && w->cc[j - 1] > k; j--) {
                w->cp[j] = w->cp[j - 1]; w->cc[j] = w->cc[j - 1]; w->fl[j] = w->fl[j - 1];
            }
            w->cp[j] = c; w->cc[j] = k; w->fl[j] = f;
        }
    } else {
        /* counting sort through tmp[2n .. 4n): (cp, cc | fl << 8) */
        size_t count[257];
        uint32_t *t2 = w->tmp + 2 * n;
        memset(count, 0, sizeof count);
        for (i = r0; i < r1; i++) count[w->cc[i] + 1]++;
        for (i = 1; i < 257; i++) count[i] += count[i - 1];
        for (i = r0; i < r1; i++) {
            size_t d = count[w->cc[i]]++;
            t2[2 * d] = w->cp[i];
            t2[2 * d + 1] = (uint32_t)w->cc[i] | ((uint32_t)w->fl[i] << 8);
        }
        for (i = 0; i < n; i++) {
            w->cp[r0 + i] = t2[2 * i];
            w->cc[r0 + i] = (uint8_t)(t2[2 * i + 1] & 0xFF);
            w->fl[r0 + i] = (uint8_t)(t2[2 * i + 1] >> 8);
        }
    }
    if (r0 > 0) { last_s = w->st[r0 - 1]; last_e = w->en[r0 - 1]; }
    q = 0;
    for (i = r0; i < r1; i++) {
        if (!(w->fl[i] & BML__TOK_ADDED)) { last_s = w->tmp[2 * q]; last_e = w->tmp[2 * q + 1]; q++; }
        w->st[i] = last_s;
        w->en[i] = last_e;
    }
    return 1;
}

#define BML__TOK_PUT(c, f, ccc)                                                        \
    do {                                                                                \
        cp[k] = (c); st[k] = (uint32_t)i; en[k] = (uint32_t)(i + len);                 \
        fl[k] = (uint8_t)(f); cc[k] = (uint8_t)(ccc); k++;                             \
    } while (0)

/* Normalize input bytes [a, b) into w->cp/st/en/fl[0..*nout): BertNormalizer
   step by step as HF applies them to the whole string (clean_text, CJK
   spaces, NFD + reordering, strip Mn, lowercase), each character keeping the
   byte span of the input character it came from. */
static bml_status bml__tok_normalize(const bml_tokenizer *t, bml__tok_ws *w, const uint8_t *s, size_t a, size_t b,
                                     size_t *nout) {
    size_t i = a, k = 0, len = 1;
    int reorder = 0;
    unsigned seen = 0;      /* flags of the characters NFD produced */
    uint32_t *cp, *st, *en;
    uint8_t *cc, *fl;
    const unsigned keep = 0x7F & ~(BML__TOK_F_DECOMP | BML__TOK_F_CJK | BML__TOK_F_DROP);
    /* each input byte yields at most 2 characters (NFD, CJK spaces, U+0130;
       tools/gen_unicode.py checks) */
    if (!bml__tok_ws_chars(w, 2 * (b - a) + 8)) return bml__fail(BML_ERR_NOMEM, "out of memory tokenizing");
    cp = w->cp; st = w->st; en = w->en; cc = w->cc; fl = w->fl;
    while (i < b) {
        uint32_t u, d[4];
        unsigned p;
        int bad, nd, j;
        if (s[i] < 0x80) {
            int m = t->ascii_map[s[i]];
            if (m >= 0) {
                cp[k] = (uint32_t)m; st[k] = (uint32_t)i; en[k] = (uint32_t)i + 1;
                fl[k] = t->ascii_cls[m]; cc[k] = 0; k++;
            }
            i++;
            continue;
        }
        if (s[i] >= 0xE1 && s[i] <= 0xEC && i + 2 < b && (s[i + 1] & 0xC0) == 0x80 && (s[i + 2] & 0xC0) == 0x80) {
            /* the common 3-byte case (CJK, Hangul, most scripts) inline */
            u = ((uint32_t)(s[i] & 0x0F) << 12) | ((uint32_t)(s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
            len = 3;
        } else if (s[i] >= 0xC2 && s[i] <= 0xDF && i + 1 < b && (s[i + 1] & 0xC0) == 0x80) {
            u = ((uint32_t)(s[i] & 0x1F) << 6) | (s[i + 1] & 0x3F);
            len = 2;
        } else {
            len = bml__utf8_dec(s, b, i, &u, &bad);
        }
        p = bml__tok_prop(u);
        if (u == 0x3A3 && t->pre_lower) {
            /* Python's lower(): capital sigma is final (U+03C2) after a letter
               and not before one. Letters are approximated as what is not
               whitespace, punctuation or a digit (the word's own characters). */
            uint32_t nx = 0;
            int bad2, before = k > 0 && !(fl[k - 1] & (BML__TOK_F_WS | BML__TOK_F_PUNCT)) &&
                                !(cp[k - 1] >= '0' && cp[k - 1] <= '9');
            int after = 0;
            if (i + len < b) {
                (void)bml__utf8_dec(s, b, i + len, &nx, &bad2);
                after = !(bml__tok_prop(nx) & (BML__TOK_F_WS | BML__TOK_F_PUNCT)) && !(nx >= '0' && nx <= '9');
            }
            u = before && !after ? 0x3C2 : 0x3C3;
            p = bml__tok_prop(u);
        }
        if (t->clean_text) {
            if (p & BML__TOK_F_DROP) { i += len; continue; }
            if (p & BML__TOK_F_WS) { u = ' '; p = BML__TOK_F_WS; }
        }
        if (t->handle_cjk && (p & BML__TOK_F_CJK)) BML__TOK_PUT(' ', BML__TOK_F_WS, 0);
        if (t->strip_accents) {
            if (p & BML__TOK_F_DECOMP) {
                nd = bml__tok_decompose(u, d);
                for (j = 0; j < nd; j++) {
                    unsigned q = bml__tok_prop(d[j]), c2 = q >> 8;
                    seen |= q;
                    BML__TOK_PUT(d[j], (q & keep) | (j ? BML__TOK_ADDED : 0), c2);
                    if (c2 && k > 1 && cc[k - 2] > c2) reorder = 1;
                }
            } else {
                unsigned c2 = p >> 8;
                seen |= p;
                BML__TOK_PUT(u, p & keep, c2);
                if (c2 && k > 1 && cc[k - 2] > c2) reorder = 1;
            }
        } else {
            /* no NFD: lowercase now (lowercasing keeps WS/PUNCT: checked
               by tools/gen_unicode.py) */
            if (t->lower_any && (p & BML__TOK_F_LOWER)) {
                if (u == 0x130) {
                    BML__TOK_PUT('i', 0, 0);
                    BML__TOK_PUT(0x307, bml__tok_prop(0x307) & keep & ~BML__TOK_F_LOWER, 0);
                    i += len;
                    continue;
                }
                u = bml__tok_lower1(u);
            }
            BML__TOK_PUT(u, p & keep & ~BML__TOK_F_LOWER, 0);
        }
        if (t->handle_cjk && (p & BML__TOK_F_CJK)) BML__TOK_PUT(' ', BML__TOK_F_WS, 0);
        i += len;
    }
    if (reorder) {
        size_t r0 = 0;
        while (r0 < k) {
            size_t r1;
            int sorted = 1;
            if (!cc[r0]) { r0++; continue; }
            for (r1 = r0 + 1; r1 < k && cc[r1]; r1++)
                if (cc[r1 - 1] > cc[r1]) sorted = 0;
            if (!sorted && !bml__tok_reorder(w, r0, r1)) return bml__fail(BML_ERR_NOMEM, "out of memory tokenizing");
            r0 = r1;
        }
    }
    if (t->strip_accents && (seen & (BML__TOK_F_MN | BML__TOK_F_LOWER))) {
        /* strip Mn, then lowercase (never expands: U+0130 was decomposed) */
        size_t j, o;
        for (j = 0; j < k && !(fl[j] & (BML__TOK_F_MN | BML__TOK_F_LOWER)); j++) {}
        for (o = j; j < k; j++) {
            uint32_t u = cp[j];
            unsigned f = fl[j];
            if (f & BML__TOK_F_MN) continue;
            if (t->lower_any && (f & BML__TOK_F_LOWER)) {
                /* (ASCII capitals here came from a decomposition: U+0130 -> I U+0307) */
                u = u < 0x80 ? u + 32 : bml__tok_lower1(u);
            }
            cp[o] = u; st[o] = st[j]; en[o] = en[j]; fl[o] = (uint8_t)f; o++;
        }
        k = o;
    }
    *nout = k;
    return BML_OK;
}

#undef BML__TOK_PUT

/* ======================================================================
   Pre-tokenizer + WordPiece over the normalized characters
   ====================================================================== */

static int bml__tok_ws_word(bml__tok_ws *w, size_t nch) {
    if (nch + 1 > w->wcap) {
        size_t nc = w->wcap ? w->wcap : 128;
        while (nc < nch + 1) nc *= 2;
        if (!bml__tok_grow((void **)&w->wpos, nc, 4) || !bml__tok_grow((void **)&w->wh, nc, 8)) return 0;
        w->wcap = nc;
    }
    if (4 * nch + 8 > w->wbcap) {
        size_t nc = w->wbcap ? w->wbcap : 512;
        while (nc < 4 * nch + 8) nc *= 2;
        if (!bml__tok_grow((void **)&w->wb, nc, 1)) return 0;
        w->wbcap = nc;
    }
    return 1;
}

static void bml__tok_push(bml__tok_list *l, int32_t id, uint32_t s, uint32_t e) {
    l->id[l->n] = id;
    l->off[2 * l->n] = s;
    l->off[2 * l->n + 1] = e;
    l->n++;
}

/* WordPiece on normalized characters [i0, i1) (the list has room). */
static bml_status bml__tok_word(const bml_tokenizer *t, bml__tok_ws *w, bml__tok_list *l, size_t i0, size_t i1) {
    size_t nch = i1 - i0, j, start, n0 = l->n;
    uint8_t *wb;
    uint32_t *wp;
    uint64_t *wh;
    if (nch == 1 && t->max_chars >= 1) {
        /* one character (punctuation, CJK): its own token or [UNK] */
        uint32_t u = w->cp[i0];
        int32_t id;
        if (u < 0x80) {
            id = t->ascii_id[u];
        } else {
            uint8_t b4[4];
            size_t bl = bml__utf8_put((char *)b4, u);
            id = bml__tok_find(t, bml__tok_hash(0, b4, bl), b4, bl, 0);
        }
        bml__tok_push(l, id >= 0 ? id : t->unk_id, w->st[i0], w->en[i0]);
        return BML_OK;
    }
    if (nch > t->max_chars) {
        bml__tok_push(l, t->unk_id, w->st[i0], w->en[i1 - 1]);
        return BML_OK;
    }
    if (!bml__tok_ws_word(w, nch)) return bml__fail(BML_ERR_NOMEM, "out of memory tokenizing");
    wb = w->wb; wp = w->wpos; wh = w->wh;
    {
        size_t o = 0;
        for (j = 0; j < nch; j++) {
            uint32_t u = w->cp[i0 + j];
            wp[j] = (uint32_t)o;
            if (u < 0x80) wb[o++] = (uint8_t)u;
            else o += bml__utf8_put((char *)wb + o, u);
        }
        wp[nch] = (uint32_t)o;
    }
    start = 0;
    while (start < nch) {
        int cont = start > 0;
        size_t maxb = t->max_key[cont], base = wp[start], end, last = start;
        uint64_t h = bml__tok_seed[cont];
        int32_t id = -1;
        for (j = start; j < nch; j++) {
            size_t q;
            if (wp[j + 1] - base > maxb) break;
            for (q = wp[j]; q < wp[j + 1]; q++) h = (h ^ wb[q]) * BML__TOK_FNV_PRIME;
            wh[j + 1] = h;
            last = j + 1;
        }
        for (end = last; end > start; end--) {
            id = bml__tok_find(t, wh[end], wb + base, wp[end] - base, cont);
            if (id >= 0) break;
        }
        if (id < 0) {
            l->n = n0;
            bml__tok_push(l, t->unk_id, w->st[i0], w->en[i1 - 1]);
            return BML_OK;
        }
        bml__tok_push(l, id, w->st[i0 + start], w->en[i0 + end - 1]);
        start = end;
    }
    return BML_OK;
}

static bml_status bml__tok_words(const bml_tokenizer *t, bml__tok_ws *w, bml__tok_list *l, size_t k, size_t limit,
                                 int *stop) {
    size_t j = 0;
    const uint8_t *fl = w->fl;
    bml_status st;
    if (!bml__tok_list_reserve(l, l->n + k + 1)) return bml__fail(BML_ERR_NOMEM, "out of memory tokenizing");
    while (j < k) {
        unsigned c = fl[j];
        size_t e;
        if (c & BML__TOK_F_WS) { j++; continue; }
        if (c & BML__TOK_F_PUNCT) {
            e = j + 1;
        } else {
            for (e = j + 1; e < k; e++)
                if (fl[e] & (BML__TOK_F_WS | BML__TOK_F_PUNCT)) break;
        }
        if ((st = bml__tok_word(t, w, l, j, e)) != BML_OK) return st;
        j = e;
        if (l->n >= limit) { *stop = 1; break; }
    }
    return BML_OK;
}

/* May the text be cut before byte e (normalized in pieces without changing
   a token)? Before ASCII whitespace or ASCII punctuation, and before a CJK
   ideograph when those are isolated: each is a word boundary and a starter
   (canonical reordering never crosses it). Lines with no space at all (a
   URL, CJK) are then still normalized a chunk at a time. */
static int bml__tok_cut_ok(const bml_tokenizer *t, const uint8_t *s, size_t e, size_t b) {
    uint8_t c = s[e];
    if (c < 0x80)   /* not every ASCII White_Space: \v and \f are controls clean_text drops */
        return c == ' ' || c == '\n' || c == '\t' || c == '\r' || (bml__tok_prop(c) & BML__TOK_F_PUNCT);
    if (t->handle_cjk && c >= 0xE3 && c <= 0xF0) {
        uint32_t cp;
        int bad;
        size_t n = bml__utf8_dec(s, b, e, &cp, &bad);
        return n > 0 && !bad && (bml__tok_prop(cp) & BML__TOK_F_CJK);
    }
    return 0;
}

/* Flush the word [ws, we) of a long run: nothing if no character survives
   normalization, [UNK] over its kept characters' span [fk, lk) when it has
   more than max_input_chars_per_word (the count kc is exact), else
   normalized and tokenized as usual (it is short then). */
static bml_status bml__tok_long_word(const bml_tokenizer *t, bml__tok_ws *w, bml__tok_list *l, const uint8_t *s,
                                     size_t ws, size_t we, size_t kc, uint32_t fk, uint32_t lk, size_t limit, int *stop) {
    size_t k = 0;
    bml_status st;
    if (!kc || ws >= we) return BML_OK;
    if (kc > t->max_chars) {
        if (!bml__tok_list_reserve(l, l->n + 1)) return bml__fail(BML_ERR_NOMEM, "out of memory tokenizing");
        bml__tok_push(l, t->unk_id, fk, lk);
        if (l->n >= limit) *stop = 1;
        return BML_OK;
    }
    if ((st = bml__tok_normalize(t, w, s, ws, we, &k)) != BML_OK) return st;
    return bml__tok_words(t, w, l, k, limit, stop);
}

/* A run [a, re) with no ASCII whitespace, ASCII punctuation or CJK cut
   point for more than 2 chunks (one 100 MiB "word", a URL-like blob): one
   character at a time, so memory stays bounded. Each character is
   normalized alone to learn what it becomes (how many characters, and
   whether it is whitespace or punctuation: a word boundary); a word's
   characters are only counted, and a word longer than
   max_input_chars_per_word becomes one [UNK] without ever being held. */
static bml_status bml__tok_long_run(const bml_tokenizer *t, bml__tok_ws *w, bml__tok_list *l, const uint8_t *s,
                                    size_t a, size_t re, size_t limit, int *stop) {
    size_t pos = a, ws = a, kc = 0, k, j;
    uint32_t fk = 0, lk = 0;
    bml_status st;
    while (pos < re && !*stop) {
        uint32_t u;
        int bad, boundary = 0;
        size_t L = bml__utf8_dec(s, re, pos, &u, &bad);
        if ((st = bml__tok_normalize(t, w, s, pos, pos + L, &k)) != BML_OK) return st;
        for (j = 0; j < k; j++)
            if (w->fl[j] & (BML__TOK_F_WS | BML__TOK_F_PUNCT)) boundary = 1;
        if (boundary) {
            if ((st = bml__tok_long_word(t, w, l, s, ws, pos, kc, fk, lk, limit, stop)) != BML_OK || *stop) return st;
            if ((st = bml__tok_normalize(t, w, s, pos, pos + L, &k)) != BML_OK) return st;
            if ((st = bml__tok_words(t, w, l, k, limit, stop)) != BML_OK) return st;
            ws = pos + L;
            kc = 0;
        } else if (k) {
            if (!kc) fk = w->st[0];
            lk = w->en[k - 1];
            kc += k;
        }
        pos += L;
    }
    if (*stop) return BML_OK;
    return bml__tok_long_word(t, w, l, s, ws, re, kc, fk, lk, limit, stop);
}

/* Normalize + tokenize input bytes [a, b) (no added tokens inside), a
   chunk at a time, each cut where no token can span the cut. */
static bml_status bml__tok_text(const bml_tokenizer *t, bml__tok_ws *w, bml__tok_list *l, const uint8_t *s,
                                size_t a, size_t b, size_t limit, int *stop) {
    bml_status st;
    while (a < b && !*stop) {
        size_t e = b, k = 0;
        if (b - a > BML__TOK_CHUNK) {
            e = a + BML__TOK_CHUNK;
            while (e < b && e - a < 2 * BML__TOK_CHUNK && !bml__tok_cut_ok(t, s, e, b)) e++;
            if (e < b && !bml__tok_cut_ok(t, s, e, b)) {
                /* no cut in (a + CHUNK, a + 2 CHUNK): the last one before, else a long run */
                size_t c = a + BML__TOK_CHUNK;
                while (c > a && !bml__tok_cut_ok(t, s, c, b)) c--;
                if (c > a) {
                    e = c;
                } else {
                    while (e < b && !bml__tok_cut_ok(t, s, e, b)) e++;
                    if ((st = bml__tok_long_run(t, w, l, s, a, e, limit, stop)) != BML_OK) return st;
                    a = e;
                    continue;
                }
            }
        }
        if ((st = bml__tok_normalize(t, w, s, a, e, &k)) != BML_OK) return st;
        if ((st = bml__tok_words(t, w, l, k, limit, stop)) != BML_OK) return st;
        a = e;
    }
    return BML_OK;
}

/* One sequence: split on added tokens, tokenize the text between them.
   With a limit, stops after the word that brings the list to `limit` tokens
   or more (an added token does not stop it), as HF 0.23 does when
   truncation is on; the caller truncates. */
static bml_status bml__tok_seq(const bml_tokenizer *t, bml__tok_ws *w, bml__tok_list *l, const uint8_t *s, size_t n,
                               size_t limit) {
    size_t pos = 0, i = 0;
    int stop = 0;
    bml_status st;
    l->n = 0;
    if (!bml__tok_list_reserve(l, 16)) return bml__fail(BML_ERR_NOMEM, "out of memory tokenizing");
    while (pos < n) {
        size_t mstart = n, mlen = 0;
        int32_t mid = -1;
        if (t->n_added) {
            for (i = pos; i < n; i++) {
                int32_t a;
                if (t->added_one_first >= 0 && !t->pre_lower) {
                    /* all added tokens start with the same byte ('[') */
                    const uint8_t *hit = (const uint8_t *)memchr(s + i, t->added_one_first, n - i);
                    if (!hit) break;
                    i = (size_t)(hit - s);
                }
                if ((a = bml__tok_match_added(t, s, n, i, &mlen)) >= 0) {
                    mstart = i;
                    mid = t->added[a].id;
                    break;
                }
            }
        }
        if ((st = bml__tok_text(t, w, l, s, pos, mstart, limit, &stop)) != BML_OK) return st;
        if (mid < 0 || stop) break;
        if (!bml__tok_list_reserve(l, l->n + 1)) return bml__fail(BML_ERR_NOMEM, "out of memory tokenizing");
        bml__tok_push(l, mid, (uint32_t)mstart, (uint32_t)(mstart + mlen));
        pos = mstart + mlen;
    }
    return BML_OK;
}

/* ======================================================================
   Public encode
   ====================================================================== */

static int bml__tok_enc_reserve(bml_encoding *e, size_t n) {
    size_t nc;
    if (n <= e->cap && e->ids) return 1;
    nc = e->cap ? e->cap : 64;
    while (nc < n) nc *= 2;
    if (!bml__tok_grow((void **)&e->ids, nc, 4) || !bml__tok_grow((void **)&e->type_ids, nc, 1) ||
        !bml__tok_grow((void **)&e->offsets, nc, 8))
        return 0;
    e->cap = nc;
    return 1;
}

static bml__tok_ws *bml__tok_ws_of(bml_encoding *e) {
    if (!e->work) e->work = bml__calloc(1, sizeof(bml__tok_ws));
    return (bml__tok_ws *)e->work;
}

/* Lay out the template with the two lists truncated to na, nb tokens. */
static bml_status bml__tok_assemble(const bml_tokenizer *t, const bml__tok_titem *items, int nitems,
                                    const bml__tok_list *la, size_t na, const bml__tok_list *lb, size_t nb,
                                    bml_encoding *e) {
    size_t total = 0, o = 0, j;
    int i;
    for (i = 0; i < nitems; i++)
        total += items[i].kind == 0 ? (size_t)items[i].nids : items[i].kind == 1 ? na : nb;
    if (!bml__tok_enc_reserve(e, total + 1)) return bml__fail(BML_ERR_NOMEM, "out of memory tokenizing");
    for (i = 0; i < nitems; i++) {
        const bml__tok_titem *it = &items[i];
        if (it->kind == 0) {
            int q;
            for (q = 0; q < it->nids; q++) {
                e->ids[o] = it->ids[q];
                e->type_ids[o] = (uint8_t)it->type_id;
                e->offsets[2 * o] = e->offsets[2 * o + 1] = 0;
                o++;
            }
        } else {
            const bml__tok_list *l = it->kind == 1 ? la : lb;
            size_t n = it->kind == 1 ? na : nb;
            if (n) {
                memcpy(e->ids + o, l->id, n * sizeof(int32_t));
                memcpy(e->offsets + 2 * o, l->off, 2 * n * sizeof(uint32_t));
                for (j = 0; j < n; j++) e->type_ids[o + j] = (uint8_t)it->type_id;
            }
            o += n;
        }
    }
    e->n = o;
    (void)t;
    return BML_OK;
}

static bml_status bml__tok_check_text(const char *text, ptrdiff_t *len, bml_utf8_policy policy, bml_encoding *e,
                                      int second) {
    size_t bad;
    if (*len < 0) *len = (ptrdiff_t)strlen(text);
    if ((size_t)*len > 0xFFFFFFF0u) return bml__fail(BML_ERR_TOO_LONG, "text of %zu bytes: the tokenizer takes up to 4 GiB", (size_t)*len);
    if (policy != BML_UTF8_REPLACE && !bml_utf8_check(text, (size_t)*len, &bad)) {
        e->bad_offset = bad;
        e->bad_in_second = second;
        return bml__fail(BML_ERR_INVALID_UTF8, "invalid UTF-8 at byte %zu%s", bad, second ? " of the second text" : "");
    }
    return BML_OK;
}

static bml_status bml__tok_encode1(const bml_tokenizer *t, bml__tok_ws *w, const char *text, ptrdiff_t len,
                                   bml_utf8_policy policy, bml_encoding *e) {
    bml_status st;
    size_t budget;
    e->n = 0;
    if ((st = bml__tok_check_text(text, &len, policy, e, 0)) != BML_OK) return st;
    if ((st = bml__tok_seq(t, w, &w->a, (const uint8_t *)text, (size_t)len, t->max_len)) != BML_OK) return st;
    /* room left by the specials (HF: a max_len below their count wraps
       around and truncates nothing more) */
    budget = t->max_len >= t->added_single ? t->max_len - t->added_single : SIZE_MAX;
    return bml__tok_assemble(t, t->single, t->n_single, &w->a, w->a.n < budget ? w->a.n : budget, NULL, 0, e);
}

static bml_status bml__tok_encode2(const bml_tokenizer *t, bml__tok_ws *w, const char *a, ptrdiff_t alen, const char *b,
                                   ptrdiff_t blen, bml_utf8_policy policy, bml_encoding *e) {
    bml_status st;
    size_t n1, n2;
    e->n = 0;
    if ((st = bml__tok_check_text(a, &alen, policy, e, 0)) != BML_OK) return st;
    if ((st = bml__tok_check_text(b, &blen, policy, e, 1)) != BML_OK) return st;
    /* HF (0.23) stops tokenizing each sequence after the word that reaches
       max_len tokens; the pair truncation below sees those counts (it shows
       when both are long: the longer gets the odd token) */
    if ((st = bml__tok_seq(t, w, &w->a, (const uint8_t *)a, (size_t)alen, t->max_len)) != BML_OK) return st;
    if ((st = bml__tok_seq(t, w, &w->b, (const uint8_t *)b, (size_t)blen, t->max_len)) != BML_OK) return st;
    n1 = w->a.n;
    n2 = w->b.n;
    if (t->max_len != SIZE_MAX && t->max_len >= t->added_pair) {
        /* HF truncate_encodings, LongestFirst, on the budget left by the specials */
        size_t max = t->max_len - t->added_pair;
        if (n1 + n2 > max) {
            int swap = n1 > n2;
            size_t x = swap ? n2 : n1, y;
            if (x > max) y = x;
            else y = x > max - x ? x : max - x;
            if (x + y > max) { x = max / 2; y = x + max % 2; }
            if (swap) { n1 = y; n2 = x; }
            else { n1 = x; n2 = y; }
            if (n1 > w->a.n) n1 = w->a.n;
            if (n2 > w->b.n) n2 = w->b.n;
        }
    }
    return bml__tok_assemble(t, t->pair, t->n_pair, &w->a, n1, &w->b, n2, e);
}

BMLDEF bml_status bml_tokenize(const bml_tokenizer *t, const char *text, ptrdiff_t len, bml_utf8_policy policy,
                               bml_encoding *e) {
    bml__tok_ws *w;
    if (!t || !e || (!text && len != 0)) return bml__fail(BML_ERR_INVALID_ARG, "bml_tokenize: NULL argument");
    if (!text) text = "";
    if (!(w = bml__tok_ws_of(e))) return bml__fail(BML_ERR_NOMEM, "out of memory");
    return bml__tok_encode1(t, w, text, len, policy, e);
}

BMLDEF bml_status bml_tokenize_pair(const bml_tokenizer *t, const char *a, ptrdiff_t alen, const char *b,
                                    ptrdiff_t blen, bml_utf8_policy policy, bml_encoding *e) {
    bml__tok_ws *w;
    if (!t || !e || (!a && alen != 0) || (!b && blen != 0)) return bml__fail(BML_ERR_INVALID_ARG, "bml_tokenize_pair: NULL argument");
    if (!a) a = "";
    if (!b) b = "";
    if (!(w = bml__tok_ws_of(e))) return bml__fail(BML_ERR_NOMEM, "out of memory");
    return bml__tok_encode2(t, w, a, alen, b, blen, policy, e);
}

BMLDEF void bml_encoding_free(bml_encoding *e) {
    if (!e) return;
    BML_FREE(e->ids);
    BML_FREE(e->type_ids);
    BML_FREE(e->offsets);
    bml__tok_ws_free((bml__tok_ws *)e->work);
    memset(e, 0, sizeof *e);
}

/* ======================================================================
   Decode (HF WordPiece decoder)
   ====================================================================== */

typedef struct bml__tok_buf { char *p; size_t n, cap; } bml__tok_buf;

static int bml__tok_buf_add(bml__tok_buf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->n + n + 1) nc *= 2;
        if (!bml__tok_grow((void **)&b->p, nc, 1)) return 0;
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
    return 1;
}

/* In place: replace every `from` by `to` (to is never longer). */
static size_t bml__tok_replace(char *s, size_t n, const char *from, const char *to) {
    size_t fl = strlen(from), tl = strlen(to), i = 0, o = 0;
    while (i < n) {
        if (i + fl <= n && !memcmp(s + i, from, fl)) {
            memmove(s + o, to, tl);
            o += tl;
            i += fl;
        } else {
            s[o++] = s[i++];
        }
    }
    return o;
}

static bml_status bml__tok_decode(const bml_tokenizer *t, const int32_t *ids, size_t n, char **out, size_t *out_len) {
    static const char *rules[][2] = {{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
                                     {" n't", "n't"}, {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"},
                                     {" 've", "'ve"}, {" 're", "'re"}};
    bml__tok_buf b;
    size_t i, kept = 0;
    memset(&b, 0, sizeof b);
    *out = NULL;
    if (out_len) *out_len = 0;
    if (!bml__tok_buf_add(&b, "", 0)) return bml__fail(BML_ERR_NOMEM, "out of memory");
    for (i = 0; i < n; i++) {
        int32_t id = ids[i];
        const char *tok;
        size_t tl, start;
        if (id < 0 || (size_t)id >= t->id_count || t->id_off[id] == UINT32_MAX) {
            BML_FREE(b.p);
            return bml__fail(BML_ERR_OUT_OF_RANGE, "id %d at position %zu is not in the vocabulary (0..%zu)", (int)id, i,
                             t->id_count - 1);
        }
        if (t->id_special[id]) continue;
        tok = t->strs + t->id_off[id];
        tl = strlen(tok);
        start = b.n;
        if (!t->dec_wordpiece) {
            if (kept && !bml__tok_buf_add(&b, " ", 1)) goto nomem;
            if (!bml__tok_buf_add(&b, tok, tl)) goto nomem;
        } else {
            if (kept) {
                if (tl >= t->dec_prefix_len && !memcmp(tok, t->dec_prefix, t->dec_prefix_len)) {
                    tok += t->dec_prefix_len;
                    tl -= t->dec_prefix_len;
                } else if (!bml__tok_buf_add(&b, " ", 1)) {
                    goto nomem;
                }
            }
            if (!bml__tok_buf_add(&b, tok, tl)) goto nomem;
            if (t->dec_cleanup) {
                size_t r, m = b.n - start;
                for (r = 0; r < sizeof rules / sizeof rules[0]; r++)
                    if (memchr(b.p + start, ' ', m)) m = bml__tok_replace(b.p + start, m, rules[r][0], rules[r][1]);
                    else break;
                b.n = start + m;
                b.p[b.n] = 0;
            }
        }
        kept++;
    }
    *out = b.p;
    if (out_len) *out_len = b.n;
    return BML_OK;
nomem:
    BML_FREE(b.p);
    return bml__fail(BML_ERR_NOMEM, "out of memory decoding");
}

BMLDEF bml_status bml_detokenize(const bml_tokenizer *t, const int32_t *ids, size_t n, char **out, size_t *out_len) {
    if (!t || !out || (!ids && n)) return bml__fail(BML_ERR_INVALID_ARG, "bml_detokenize: NULL argument");
    return bml__tok_decode(t, ids, n, out, out_len);
}

/* ======================================================================
   Batches across threads
   ====================================================================== */

typedef struct bml__tok_job {
    const bml_tokenizer *t;
    int kind;                       /* 0 encode, 1 pair, 2 decode */
    const char *const *a;
    const size_t *alens;
    const char *const *b;
    const size_t *blens;
    const int32_t *const *ids;
    const size_t *ns;
    char **outs;
    size_t *out_lens;
    bml_utf8_policy policy;
    bml_encoding *encs;
    bml_status *status;
    size_t count, per_task;
    bml__tok_ws **ws;               /* one per worker */
} bml__tok_job;

static void bml__tok_job_run(void *ctx, size_t task, int worker) {
    bml__tok_job *j = (bml__tok_job *)ctx;
    size_t i, lo = task * j->per_task, hi = lo + j->per_task;
    bml__tok_ws *w;
    if (hi > j->count) hi = j->count;
    if (!j->ws[worker]) j->ws[worker] = (bml__tok_ws *)bml__calloc(1, sizeof(bml__tok_ws));
    w = j->ws[worker];
    for (i = lo; i < hi; i++) {
        bml_status st;
        if (j->kind == 2) {
            size_t ol = 0;
            if (!j->ids[i] && j->ns[i]) st = bml__fail(BML_ERR_INVALID_ARG, "NULL ids");
            else st = bml__tok_decode(j->t, j->ids[i], j->ns[i], &j->outs[i], &ol);
            if (j->out_lens) j->out_lens[i] = ol;
        } else if (!w) {
            st = bml__fail(BML_ERR_NOMEM, "out of memory");
        } else if (j->kind == 0) {
            const char *x = j->a[i] ? j->a[i] : "";
            ptrdiff_t xl = j->alens ? (ptrdiff_t)j->alens[i] : -1;
            if (!j->a[i] && xl > 0) st = bml__fail(BML_ERR_INVALID_ARG, "NULL text");
            else st = bml__tok_encode1(j->t, w, x, xl, j->policy, &j->encs[i]);
        } else {
            const char *x = j->a[i] ? j->a[i] : "", *y = j->b[i] ? j->b[i] : "";
            ptrdiff_t xl = j->alens ? (ptrdiff_t)j->alens[i] : -1, yl = j->blens ? (ptrdiff_t)j->blens[i] : -1;
            if ((!j->a[i] && xl > 0) || (!j->b[i] && yl > 0)) st = bml__fail(BML_ERR_INVALID_ARG, "NULL text");
            else st = bml__tok_encode2(j->t, w, x, xl, y, yl, j->policy, &j->encs[i]);
        }
        if (st != BML_OK && j->kind != 2) j->encs[i].n = 0;
        if (j->status) j->status[i] = st;
    }
}

static bml_status bml__tok_batch(bml__tok_job *j, int threads) {
    bml__workers *workers = NULL;
    size_t ntasks, i;
    int nw;
    if (threads <= 0) threads = bml__ncpu();
    if ((size_t)threads > j->count) threads = j->count ? (int)j->count : 1;
    j->per_task = j->count / ((size_t)threads * 8);
    if (j->per_task < 16) j->per_task = 16;
    if (j->per_task > 1024) j->per_task = 1024;
    ntasks = (j->count + j->per_task - 1) / j->per_task;
    if (threads > 1 && ntasks > 1) {
        if (bml__workers_create(threads, &workers) != BML_OK) workers = NULL;
    }
    nw = workers ? workers->nthreads : 1;
    j->ws = (bml__tok_ws **)bml__calloc((size_t)nw, sizeof(bml__tok_ws *));
    if (!j->ws) { bml__workers_destroy(workers); return bml__fail(BML_ERR_NOMEM, "out of memory"); }
    if (workers) bml__workers_run(workers, ntasks, bml__tok_job_run, j);
    else for (i = 0; i < ntasks; i++) bml__tok_job_run(j, i, 0);
    bml__workers_destroy(workers);
    for (i = 0; i < (size_t)nw; i++) bml__tok_ws_free(j->ws[i]);
    BML_FREE(j->ws);
    return BML_OK;
}

BMLDEF bml_status bml_tokenize_batch(const bml_tokenizer *t, const char *const *texts, const size_t *lens, size_t count,
                                     bml_utf8_policy policy, int threads, bml_encoding *encs, bml_status *status) {
    bml__tok_job j;
    if (!t || (count && (!texts || !encs))) return bml__fail(BML_ERR_INVALID_ARG, "bml_tokenize_batch: NULL argument");
    memset(&j, 0, sizeof j);
    j.t = t; j.kind = 0; j.a = texts; j.alens = lens; j.count = count; j.policy = policy; j.encs = encs; j.status = status;
    return bml__tok_batch(&j, threads);
}

BMLDEF bml_status bml_tokenize_pair_batch(const bml_tokenizer *t, const char *const *a, const size_t *alens,
                                          const char *const *b, const size_t *blens, size_t count,
                                          bml_utf8_policy policy, int threads, bml_encoding *encs, bml_status *status) {
    bml__tok_job j;
    if (!t || (count && (!a || !b || !encs))) return bml__fail(BML_ERR_INVALID_ARG, "bml_tokenize_pair_batch: NULL argument");
    memset(&j, 0, sizeof j);
    j.t = t; j.kind = 1; j.a = a; j.alens = alens; j.b = b; j.blens = blens; j.count = count; j.policy = policy;
    j.encs = encs; j.status = status;
    return bml__tok_batch(&j, threads);
}

BMLDEF bml_status bml_detokenize_batch(const bml_tokenizer *t, const int32_t *const *ids, const size_t *ns, size_t count,
                                       int threads, char **outs, size_t *out_lens, bml_status *status) {
    bml__tok_job j;
    if (!t || (count && (!ids || !ns || !outs))) return bml__fail(BML_ERR_INVALID_ARG, "bml_detokenize_batch: NULL argument");
    memset(&j, 0, sizeof j);
    j.t = t; j.kind = 2; j.ids = ids; j.ns = ns; j.count = count; j.outs = outs; j.out_lens = out_lens; j.status = status;
    return bml__tok_batch(&j, threads);
}

/* ======================================================================
   >>batch  Batch types: responses, stats, id index
   ====================================================================== */

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

/* ---- Id tables: the one hash table for lookups by id (bml_result_find,
   the exporter's resume set). Open addressing on uint64 ids with linear
   probing, load <= 3/4; a value per id, 0 meaning an empty slot. ---- */
typedef struct bml__idtab { uint64_t *keys; uint32_t *vals; size_t cap, count; } bml__idtab;

static void bml__idtab_free(bml__idtab *t) {
    BML_FREE(t->keys);
    BML_FREE(t->vals);
    memset(t, 0, sizeof *t);
}

/* The value of id, 0 when absent. */
static uint32_t bml__idtab_get(const bml__idtab *t, uint64_t id) {
    size_t i;
    if (!t->cap) return 0;
    for (i = (size_t)bml__hash64(id) & (t->cap - 1); t->vals[i]; i = (i + 1) & (t->cap - 1))
        if (t->keys[i] == id) return t->vals[i];
    return 0;
}

/* id -> val (val != 0) unless id is there already (the first one stays).
   0 on success, -1 out of memory (the table is unchanged). */
static int bml__idtab_put(bml__idtab *t, uint64_t id, uint32_t val) {
    size_t i;
    if ((t->count + 1) * 4 > t->cap * 3) {
        bml__idtab nt;
        size_t k;
        nt.cap = t->cap ? t->cap * 2 : 64;
        nt.count = t->count;
        nt.keys = (uint64_t *)bml__calloc(nt.cap, sizeof *nt.keys);
        nt.vals = (uint32_t *)bml__calloc(nt.cap, sizeof *nt.vals);
        if (!nt.keys || !nt.vals) { BML_FREE(nt.keys); BML_FREE(nt.vals); return -1; }
        for (k = 0; k < t->cap; k++)
            if (t->vals[k]) {
                for (i = (size_t)bml__hash64(t->keys[k]) & (nt.cap - 1); nt.vals[i]; i = (i + 1) & (nt.cap - 1)) {}
                nt.keys[i] = t->keys[k];
                nt.vals[i] = t->vals[k];
            }
        bml__idtab_free(t);
        *t = nt;
    }
    for (i = (size_t)bml__hash64(id) & (t->cap - 1); t->vals[i]; i = (i + 1) & (t->cap - 1))
        if (t->keys[i] == id) return 0;
    t->keys[i] = id;
    t->vals[i] = val;
    t->count++;
    return 0;
}

static void bml__result_index_free(bml_result *r) {
    if (r->index_) bml__idtab_free((bml__idtab *)r->index_);
    BML_FREE(r->index_);
    r->index_ = NULL;
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
    size_t i;
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
    /* id index: position + 1 by id, the first of equal ids wins */
    bml__result_index_free(r);
    r->index_ = bml__calloc(1, sizeof(bml__idtab));
    if (!r->index_) return bml__fail(BML_ERR_NOMEM, "out of memory for the id index");
    for (i = 0; i < r->count && i < UINT32_MAX - 1; i++)
        if (bml__idtab_put((bml__idtab *)r->index_, r->responses[i].id, (uint32_t)(i + 1)) != 0) {
            bml__result_index_free(r);
            return bml__fail(BML_ERR_NOMEM, "out of memory for the id index");
        }
    return BML_OK;
}

BMLDEF const bml_response *bml_result_find(const bml_result *r, uint64_t id) {
    uint32_t pos;
    if (!r->index_) return NULL;
    pos = bml__idtab_get((const bml__idtab *)r->index_, id);
    return pos ? &r->responses[pos - 1] : NULL;
}

BMLDEF size_t bml_result_success_count(const bml_result *r) {
    size_t i, n = 0;
    for (i = 0; i < r->count; i++) n += r->responses[i].status == BML_OK;
    return n;
}

BMLDEF int bml_result_all_succeeded(const bml_result *r) { return bml_result_success_count(r) == r->count; }

BMLDEF void bml_result_free(bml_result *r) {
    BML_FREE(r->responses);
    bml__result_index_free(r);
    memset(r, 0, sizeof *r);
}

/* ---- The batch planner: one rule for every batched pass ----------------
   bml_embed_batch, the overlay passes (and the exporter through them) and
   the tuner's cost and memory models all form batches here, so what the
   tuner models is what the calls it tunes run, by construction.
   Run order: the items with a length (len > 0), in input order
   (keep_order) or by length with ties in input order. A batch then takes
   the next sequences in run order: at most max_seqs and, when max_tokens
   is not 0, at most max_tokens tokens (always at least one sequence). */

#define BML__BATCH_SIZE_DEFAULT 32  /* bml_batch_desc.batch_size 0 */

typedef struct { size_t len, idx; } bml__len_idx;

static int bml__cmp_len_idx(const void *a, const void *b) {
    const bml__len_idx *x = (const bml__len_idx *)a, *y = (const bml__len_idx *)b;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* order[0..*nrun) = the run order of len[0..n) (indexes into len). */
static bml_status bml__plan_order(const size_t *len, size_t n, int keep_order, size_t *order, size_t *nrun) {
    size_t i, k = 0;
    bml__len_idx *li = NULL;
    if (!keep_order && !(li = (bml__len_idx *)bml__calloc(n + 1, sizeof *li)))
        return bml__fail(BML_ERR_NOMEM, "out of memory ordering %zu items", n);
    for (i = 0; i < n; i++) {
        if (!len[i]) continue;
        if (li) { li[k].len = len[i]; li[k].idx = i; }
        else order[k] = i;
        k++;
    }
    if (li) {
        qsort(li, k, sizeof *li, bml__cmp_len_idx);
        for (i = 0; i < k; i++) order[i] = li[i].idx;
        BML_FREE(li);
    }
    *nrun = k;
    return BML_OK;
}

/* Sequences in the batch that starts at run position `done`: len[order[k]]
   is the length of the k-th in run order (order NULL: len[k]). */
static size_t bml__plan_batch(const size_t *len, const size_t *order, size_t nrun, size_t done, size_t max_seqs,
                              size_t max_tokens) {
    size_t nb = 0, tok = 0;
    while (done + nb < nrun && nb < max_seqs) {
        size_t l = len[order ? order[done + nb] : done + nb];
        if (max_tokens && nb && tok + l > max_tokens) break;
        tok += l;
        nb++;
    }
    return nb;
}

/* ======================================================================
   >>model  Model: safetensors, config files, weights, the activation
   arena, loading. Everything a bml_model is, in one place.
   ====================================================================== */

/* ---- safetensors: header validation and zero-copy tensor views (mmap) ---- */

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
    if (st->map) bml__unmap(st->map, st->size);
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
    bml__statbuf sb;
    uint64_t hlen = 0;
    size_t i, k;
    const bml_json *root;
    bml__tensor *sorted = NULL;
    bml_status rc;
    memset(st, 0, sizeof *st);
    st->fd = -1;
    st->path = bml__strdup(path);
    if (!st->path) return bml__fail(BML_ERR_NOMEM, "out of memory");
    if ((rc = bml_open_regular(path, &st->fd)) != BML_OK) { bml__st_close(st); return rc; }
    if (bml__fstat(st->fd, &sb) != 0) BML__ST_BAIL(BML_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
    st->size = (size_t)sb.st_size;
    if (st->size < 8) {
        BML__ST_BAIL(BML_ERR_FORMAT, "%s: truncated: %zu bytes, the 8-byte header length is missing", path, st->size);
    }
    st->map = bml__map_ro(st->fd, st->size);
    if (!st->map) {
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
    {   /* byte offsets in the header's JSON errors count from its start, file byte 8 */
        char hname[4200];
        snprintf(hname, sizeof hname, "%s: JSON header (from file byte 8)", path);
        rc = bml_json_parse((const char *)st->map + 8, (size_t)hlen, hname, &st->header);
    }
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
    /* no two tensors may share bytes, and an empty tensor may not sit inside
       another (the safetensors reference refuses both): in (begin, end)
       order, each tensor starts at or after the furthest end so far. One
       running maximum checks every pair, so an empty tensor between two
       overlapping ones hides nothing. */
    sorted = (bml__tensor *)bml__calloc(st->nt ? st->nt : 1, sizeof(bml__tensor));
    if (!sorted) BML__ST_BAIL(BML_ERR_NOMEM, "%s: out of memory", path);
    memcpy(sorted, st->t, st->nt * sizeof(bml__tensor));
    qsort(sorted, st->nt, sizeof(bml__tensor), bml__cmp_tensor_begin);
    for (i = 1, k = 0; i < st->nt; i++) {
        if (sorted[i].begin < sorted[k].end) {
            bml_status s2 = bml__fail(BML_ERR_FORMAT, "%s: tensors '%s' [%zu, %zu] and '%s' [%zu, %zu] overlap", path,
                                      sorted[k].name, sorted[k].begin, sorted[k].end, sorted[i].name,
                                      sorted[i].begin, sorted[i].end);
            BML_FREE(sorted);
            bml__st_close(st);
            return s2;
        }
        if (sorted[i].end > sorted[k].end) k = i;
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

/* The weight matrices (wq ... w2, and the model's word embeddings) are
   `const void *`: float32, or 16-bit as the file holds them when every one
   of them is F16 (or every one BF16) and the model runs on weight panels
   (bml_model.wdt; the panel kernels widen them in registers, >>kernels).
   The vectors (biases, LayerNorm) are always float32. */
typedef struct bml__layer {
    const void *wq, *wk, *wv, *wo;              /* [H,H]                  */
    const void *w1, *w2;                        /* [I,H], [H,I]           */
    const float *bq, *bk, *bv, *bo, *ln1_g, *ln1_b; /* [H]                */
    const float *b1;                            /* [I]                    */
    const float *b2, *ln2_g, *ln2_b;            /* [H]                    */
    const void *panel_q, *panel_k, *panel_v, *panel_o, *panel_1, *panel_2;   /* the same weights packed for
                                                   bml__panel_gemm, or NULL   */
} bml__layer;

/* The activation arena: one block, carved per batch shape (see bml__ws_plan). */
typedef struct bml__ws {
    float *buf;
    size_t cap;             /* floats                                      */
} bml__ws;

/* One step of the sentence-transformers head after pooling, in
   modules.json order: a Dense module (y = act(W x + b), its weights from
   its folder's model.safetensors) or Normalize (y = x / max(|x|, 1e-12)). */
typedef enum { BML__STEP_DENSE, BML__STEP_NORMALIZE } bml__step_kind;
typedef enum { BML__ACT_IDENTITY, BML__ACT_TANH, BML__ACT_RELU, BML__ACT_SIGMOID } bml__act;
typedef struct bml__step {
    bml__step_kind kind;
    int in, out;            /* widths (Normalize: in == out)                */
    bml__act act;
    const float *W, *b;     /* W [out, in] as stored; b [out] or NULL        */
    float *Wt;              /* W transposed [in, out] (owned): the forward
                               sums every y[j] over i in one fixed order    */
    size_t trail;           /* offset of this step's input in a sequence's
                               saved head inputs (grad mode)                */
    bml__st st;             /* the Dense module's model.safetensors         */
} bml__step;

#define BML__MAX_STEPS 8

struct bml_model {
    bml_config cfg;
    char dtype[8];
    bml__st st;
    bml__step step[BML__MAX_STEPS]; /* the head after pooling                */
    int nstep;
    size_t head_w;          /* floats of one sequence's saved head inputs   */
    void **owned;           /* converted (F16/BF16) or realigned tensors    */
    size_t nowned;
    int wdt;                /* the weight matrices' dtype as held: BML__F32,
                               or the file's BML__F16 / BML__BF16            */
    const void *word;       /* [vocab, H], in wdt                            */
    const float *pos, *type, *ln0_g, *ln0_b;
    bml__layer *layer;
    bml_tokenizer *tok;
    bml__workers *workers;
    int threads;
    int deterministic;
    bml__ws ws;
    void *cl;               /* the OpenCL device state (BATCHML_OPENCL), or NULL */
    void *panel_mem;           /* the block of dense weights in panels, or NULL    */
    const struct bml__kernels *k; /* the CPU kernel set (>>kernels)              */
    bml_json_doc *st_doc;   /* config_sentence_transformers.json, or NULL    */
    const bml_json *prompts; /* its "prompts" object (strings), or NULL      */
    const char *default_prompt; /* its default_prompt_name, or NULL         */
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

BMLDEF int bml_model_prompt_count(const bml_model *m) { return m && m->prompts ? (int)m->prompts->len : 0; }
BMLDEF const char *bml_model_prompt_name(const bml_model *m, int i) {
    return i >= 0 && i < bml_model_prompt_count(m) ? m->prompts->kids[i].key : NULL;
}
BMLDEF const char *bml_model_prompt_text(const bml_model *m, int i) {
    return i >= 0 && i < bml_model_prompt_count(m) ? m->prompts->kids[i].str : NULL;
}
BMLDEF const char *bml_model_prompt(const bml_model *m, const char *name) {
    const bml_json *v = m && m->prompts && name ? bml_json_get(m->prompts, name) : NULL;
    return v ? v->str : NULL;
}
BMLDEF const char *bml_model_default_prompt(const bml_model *m) { return m ? m->default_prompt : NULL; }

/* config_sentence_transformers.json (optional): "prompts", an object of
   strings, and "default_prompt_name", null or one of its names, checked
   as sentence-transformers checks them; the other fields (versions,
   similarity_fn_name) are not used here. */
static bml_status bml__load_prompts(bml_model *m, const char *dir) {
    char path[4096];
    bml__statbuf sb;
    const bml_json *root, *p, *d;
    size_t i;
    bml_status rc;
    bml__join(path, sizeof path, dir, "config_sentence_transformers.json");
    if (bml__stat(path, &sb) != 0) return BML_OK;
    if ((rc = bml_json_load(path, 1 << 20, &m->st_doc)) != BML_OK) return rc;
    root = bml_json_root(m->st_doc);
    if (root->type != BML_JSON_OBJECT) return bml__fail(BML_ERR_FORMAT, "%s: not a JSON object", path);
    if ((p = bml_json_get(root, "prompts")) && p->type != BML_JSON_NULL) {
        if (p->type != BML_JSON_OBJECT)
            return bml__fail(BML_ERR_FORMAT, "%s: field 'prompts' (byte %zu) must be an object of strings", path, p->offset);
        for (i = 0; i < p->len; i++)
            if (p->kids[i].type != BML_JSON_STRING)
                return bml__fail(BML_ERR_FORMAT, "%s: prompts.%s (byte %zu) must be a string", path, p->kids[i].key,
                                 p->kids[i].offset);
        m->prompts = p;
    }
    if ((d = bml_json_get(root, "default_prompt_name")) && d->type != BML_JSON_NULL) {
        if (d->type != BML_JSON_STRING)
            return bml__fail(BML_ERR_FORMAT, "%s: field 'default_prompt_name' (byte %zu) must be a string or null", path,
                             d->offset);
        if (!bml_model_prompt(m, d->str))
            return bml__fail(BML_ERR_FORMAT, "%s: default_prompt_name '%s' is not one of its prompts (%d)", path, d->str,
                             bml_model_prompt_count(m));
        m->default_prompt = d->str;
    }
    return BML_OK;
}

/* Integer field of config.json within [lo, hi]. */
static bml_status bml__cfg_int(const bml_json *root, const char *path, const char *key, int lo, int hi, int dflt,
                               int *out) {
    const bml_json *v = bml_json_get(root, key);
    if (!v) {
        if (dflt >= 0) { *out = dflt; return BML_OK; }
        return bml__fail(BML_ERR_FORMAT, "%s: field '%s' is missing", path, key);
    }
    {
        long long x;
        if (!bml_json_int(v, lo, hi, &x))
            return bml__fail(BML_ERR_FORMAT, "%s: field '%s' must be an integer in %d..%d", path, key, lo, hi);
        *out = (int)x;
    }
    return BML_OK;
}

static bml_status bml__load_config(bml_model *m, const char *dir) {
    char path[4096];
    bml_json_doc *doc = NULL;
    const bml_json *root, *v;
    bml_config *c = &m->cfg;
    bml_status rc;
    bml__join(path, sizeof path, dir, "config.json");
    if ((rc = bml_json_load(path, 1 << 20, &doc)) != BML_OK) return rc;
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
        /* the forward pass adds it in fp32: a value that rounds to 0 (or to a
           denormal) there is not the eps the file asks for */
        if (v->type != BML_JSON_NUMBER || !(v->num >= 1.1754943508222875e-38) || v->num > 1) {
            bml_json_free(doc);
            return bml__fail(BML_ERR_FORMAT, "%s: field 'layer_norm_eps' must be a number in [1.18e-38, 1] (fp32 normal)",
                             path);
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

/* A pooling config.json (1_Pooling/config.json as sentence-transformers
   saves it): exactly one of the four modes we run, the width checked. */
static bml_status bml__load_pooling(bml_model *m, const char *path) {
    static const struct { const char *key; bml_pooling p; } modes[] = {
        {"pooling_mode_mean_tokens", BML_POOL_MEAN}, {"pooling_mode_cls_token", BML_POOL_CLS},
        {"pooling_mode_max_tokens", BML_POOL_MAX}, {"pooling_mode_mean_sqrt_len_tokens", BML_POOL_MEAN_SQRT_LEN}};
    static const char *unsupported[] = {"pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"};
    bml_config *c = &m->cfg;
    bml_json_doc *doc = NULL;
    const bml_json *root, *v;
    bml_status rc;
    size_t i;
    int n_modes = 0;
    if ((rc = bml_json_load(path, 1 << 20, &doc)) != BML_OK) return rc;
    root = bml_json_root(doc);
    if (root->type != BML_JSON_OBJECT) { bml_json_free(doc); return bml__fail(BML_ERR_FORMAT, "%s: not a JSON object", path); }
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
    if (v && (v->type != BML_JSON_NUMBER || v->num != (double)c->hidden)) {
        bml_json_free(doc);
        return bml__fail(BML_ERR_FORMAT, "%s: word_embedding_dimension does not match hidden_size %d", path, c->hidden);
    }
    bml_json_free(doc);
    if (n_modes != 1)
        return bml__fail(BML_ERR_UNSUPPORTED, "%s: exactly one pooling mode must be true (found %d)", path, n_modes);
    return BML_OK;
}

/* A Dense module's config.json (in_features, out_features, bias,
   activation_function as sentence-transformers saves them) into *d; its
   weights are bound later (bml__load_head_weights). `width` is the size of
   the vector that reaches it. */
static bml_status bml__load_dense_config(const char *path, int width, bml__step *d) {
    static const struct { const char *name; bml__act act; } acts[] = {
        {"torch.nn.modules.activation.Tanh", BML__ACT_TANH}, {"torch.nn.modules.linear.Identity", BML__ACT_IDENTITY},
        {"torch.nn.modules.activation.ReLU", BML__ACT_RELU}, {"torch.nn.modules.activation.Sigmoid", BML__ACT_SIGMOID}};
    bml_json_doc *doc = NULL;
    const bml_json *root, *v;
    bml_status rc;
    size_t i;
    if ((rc = bml_json_load(path, 1 << 20, &doc)) != BML_OK) return rc;
    root = bml_json_root(doc);
    if (root->type != BML_JSON_OBJECT) { bml_json_free(doc); return bml__fail(BML_ERR_FORMAT, "%s: not a JSON object", path); }
    if ((rc = bml__cfg_int(root, path, "in_features", 1, 65536, -1, &d->in)) ||
        (rc = bml__cfg_int(root, path, "out_features", 1, 65536, -1, &d->out))) {
        bml_json_free(doc);
        return rc;
    }
    v = bml_json_get(root, "bias");
    if (v && v->type != BML_JSON_TRUE && v->type != BML_JSON_FALSE) {
        bml_json_free(doc);
        return bml__fail(BML_ERR_FORMAT, "%s: field 'bias' must be true or false", path);
    }
    d->b = (!v || v->type == BML_JSON_TRUE) ? (const float *)d : NULL; /* marks "has a bias" until bound */
    d->act = BML__ACT_TANH; /* sentence-transformers' default */
    v = bml_json_get(root, "activation_function");
    if (v) {
        if (v->type != BML_JSON_STRING) {
            bml_json_free(doc);
            return bml__fail(BML_ERR_FORMAT, "%s: field 'activation_function' must be a string", path);
        }
        for (i = 0; i < sizeof acts / sizeof acts[0] && strcmp(v->str, acts[i].name); i++) {}
        if (i == sizeof acts / sizeof acts[0]) {
            char name[96];
            bml_json_escape(v->str, v->len < 64 ? v->len : 64, name, sizeof name);
            bml_json_free(doc);
            return bml__fail(BML_ERR_UNSUPPORTED,
                             "%s: activation_function %s is not supported (Tanh, Identity, ReLU, Sigmoid)", path, name);
        }
        d->act = acts[i].act;
    }
    bml_json_free(doc);
    d->kind = BML__STEP_DENSE;
    if (d->in != width)
        return bml__fail(BML_ERR_SHAPE, "%s: in_features is %d, but the vector reaching this module has %d values", path,
                         d->in, width);
    return BML_OK;
}

/* A module folder named by modules.json, joined to dir into out (checked:
   relative, no "..", not too long). */
static bml_status bml__module_dir(const char *mpath, size_t i, const bml_json *p, const char *dir, char *out,
                                  size_t cap) {
    char sub[1100];
    if (!p || p->type != BML_JSON_STRING || !p->len)
        return bml__fail(BML_ERR_FORMAT, "%s: module %zu has no \"path\" string", mpath, i);
    if (strstr(p->str, "..") || p->str[0] == '/' || p->len >= 1024 || strlen(p->str) != p->len)
        return bml__fail(BML_ERR_FORMAT, "%s: module %zu: bad path '%.200s'", mpath, i, p->str);
    snprintf(sub, sizeof sub, "%s", p->str);
    bml__join(out, cap, dir, sub);
    return BML_OK;
}

/* modules.json as sentence-transformers reads it: module 0 the Transformer
   (this directory), module 1 the Pooling (its folder's config.json must
   exist), then Dense and Normalize modules in order; any other module type
   is refused by name, since skipping it would give other numbers than
   sentence-transformers. A plain BERT directory without modules.json gets
   mean pooling (1_Pooling/config.json if present), no normalization and max
   length 256, with a log line. Then sentence_bert_config.json. */
static bml_status bml__load_st_config(bml_model *m, const char *dir, int want_max_len) {
    char path[4096], mdir[4096];
    bml_json_doc *doc = NULL;
    const bml_json *root;
    bml_config *c = &m->cfg;
    bml_status rc = BML_OK;
    bml__statbuf sb;
    size_t i;
    int msl = 256, width = c->hidden, k;
    c->pooling = BML_POOL_MEAN;
    c->normalize = 0;
    c->n_dense = 0;
    m->nstep = 0;
    bml__join(path, sizeof path, dir, "modules.json");
    if (bml__stat(path, &sb) == 0) {
        if ((rc = bml_json_load(path, 1 << 20, &doc)) != BML_OK) return rc;
        root = bml_json_root(doc);
        if (root->type != BML_JSON_ARRAY) { bml_json_free(doc); return bml__fail(BML_ERR_FORMAT, "%s: not a JSON array", path); }
        for (i = 0; i < root->len && rc == BML_OK; i++) {
            static const char pfx[] = "sentence_transformers.models.";
            const bml_json *t = bml_json_get(&root->kids[i], "type"), *p = bml_json_get(&root->kids[i], "path");
            const char *kind;
            if (!t || t->type != BML_JSON_STRING) {
                rc = bml__fail(BML_ERR_FORMAT, "%s: module %zu has no \"type\" string", path, i);
                break;
            }
            kind = strncmp(t->str, pfx, sizeof pfx - 1) ? "" : t->str + sizeof pfx - 1;
            if (strcmp(kind, "Transformer") && strcmp(kind, "Pooling") && strcmp(kind, "Dense") && strcmp(kind, "Normalize")) {
                rc = bml__fail(BML_ERR_UNSUPPORTED,
                               "%s: module %zu is '%.200s': batchml runs only sentence_transformers.models Transformer, "
                               "Pooling, Dense and Normalize modules, and skipping one would change the embeddings",
                               path, i, t->str);
            } else if (i == 0 || !strcmp(kind, "Transformer")) {
                if (i != 0 || strcmp(kind, "Transformer"))
                    rc = bml__fail(BML_ERR_UNSUPPORTED, "%s: module %zu is '%s': the Transformer must be module 0, once",
                                   path, i, t->str);
                else if (p && (p->type != BML_JSON_STRING || (p->len && strcmp(p->str, ".") && strcmp(p->str, "./"))))
                    rc = bml__fail(BML_ERR_UNSUPPORTED,
                                   "%s: the Transformer module's files are in '%.200s': batchml reads them from the model "
                                   "directory itself (path \"\")", path, p->type == BML_JSON_STRING ? p->str : "?");
            } else if (i == 1 || !strcmp(kind, "Pooling")) {
                if (i != 1 || strcmp(kind, "Pooling"))
                    rc = bml__fail(BML_ERR_UNSUPPORTED, "%s: module %zu is '%s': the Pooling must be module 1, once", path,
                                   i, t->str);
                else if ((rc = bml__module_dir(path, i, p, dir, mdir, sizeof mdir)) == BML_OK) {
                    char pc[4200];
                    snprintf(pc, sizeof pc, "%s/config.json", mdir);
                    if (bml__stat(pc, &sb) != 0)
                        rc = bml__fail(BML_ERR_IO, "%s: missing (modules.json names the Pooling module's folder '%.200s'; "
                                       "without it the pooling mode is unknown)", pc, p->str);
                    else
                        rc = bml__load_pooling(m, pc);
                }
            } else if (m->nstep == BML__MAX_STEPS) {
                rc = bml__fail(BML_ERR_UNSUPPORTED, "%s: more than %d modules after the pooling", path, BML__MAX_STEPS);
            } else if (!strcmp(kind, "Normalize") && m->nstep && m->step[m->nstep - 1].kind == BML__STEP_NORMALIZE) {
                rc = bml__fail(BML_ERR_UNSUPPORTED, "%s: module %zu: a second Normalize right after one", path, i);
            } else if (!strcmp(kind, "Normalize")) {
                bml__step *st = &m->step[m->nstep++];
                st->kind = BML__STEP_NORMALIZE;
                st->in = st->out = width;
            } else if ((rc = bml__module_dir(path, i, p, dir, mdir, sizeof mdir)) == BML_OK) {
                bml__step *st = &m->step[m->nstep++];
                char dc[4200];
                snprintf(dc, sizeof dc, "%s/config.json", mdir);
                if ((rc = bml__load_dense_config(dc, width, st)) == BML_OK) {
                    width = st->out;
                    c->n_dense++;
                }
            }
        }
        if (rc == BML_OK && root->len < 2)
            rc = bml__fail(BML_ERR_UNSUPPORTED, "%s: no Pooling module (module 1): no sentence embedding is defined", path);
        bml_json_free(doc);
        doc = NULL;
        if (rc != BML_OK) return rc;
    } else {
        bml__log(BML_LOG_WARN, "%s: no modules.json: mean pooling, no normalization", dir);
        bml__join(path, sizeof path, dir, "1_Pooling/config.json");
        if (bml__stat(path, &sb) == 0 && (rc = bml__load_pooling(m, path)) != BML_OK) return rc;
    }
    /* the head's shape: where each step's input is saved in grad mode */
    c->dim = width;
    c->normalize = m->nstep > 0 && m->step[m->nstep - 1].kind == BML__STEP_NORMALIZE;
    c->head_max = c->hidden;
    m->head_w = 0;
    for (k = 0; k < m->nstep; k++) {
        m->step[k].trail = m->head_w;
        m->head_w += (size_t)m->step[k].in;
        if (m->step[k].out > c->head_max) c->head_max = m->step[k].out;
    }
    if (!m->head_w) m->head_w = (size_t)c->hidden;
    bml__join(path, sizeof path, dir, "sentence_bert_config.json");
    if (bml__stat(path, &sb) == 0) {
        if ((rc = bml_json_load(path, 1 << 20, &doc)) != BML_OK) return rc;
        rc = bml__cfg_int(bml_json_root(doc), path, "max_seq_length", 1, 1 << 20, 256, &msl);
        bml_json_free(doc);
        if (rc) return rc;
    }
    if (want_max_len > 0) msl = want_max_len;
    c->max_seq_len = msl < c->max_position ? msl : c->max_position;
    return BML_OK;
}

/* n 16-bit values (F16 or BF16, little-endian, any alignment) as floats;
   both widen exactly. */
static void bml__widen16(int dt, const unsigned char *src, float *dst, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        uint16_t h = (uint16_t)(src[2 * i] | (src[2 * i + 1] << 8));
        if (dt == BML__BF16) {
            uint32_t bits = (uint32_t)h << 16;
            memcpy(&dst[i], &bits, 4);
        } else {
            dst[i] = bml__half_to_float(h);
        }
    }
}

/* A block the model frees with itself. */
static void *bml__own(bml_model *m, size_t bytes, const char *what) {
    void **no = (void **)BML_REALLOC(m->owned, (m->nowned + 1) * sizeof(void *));
    void *p;
    if (!no) { bml__fail(BML_ERR_NOMEM, "out of memory for '%s'", what); return NULL; }
    m->owned = no;
    if (!(p = BML_MALLOC(bytes + 1))) { bml__fail(BML_ERR_NOMEM, "out of memory for '%s' (%zu bytes)", what, bytes); return NULL; }
    m->owned[m->nowned++] = p;
    return p;
}

/* Bind a weight: check presence, dtype and shape, and refuse NaN/Inf
   values. d1 = 0 for a vector. keep16: a tensor in the model's 16-bit wdt
   stays 16-bit (mapped, or copied to 2-byte alignment); everything else is
   float32 (mapped when it is F32 and aligned, else converted). */
static bml_status bml__bind_any(bml_model *m, const bml__st *st, const char *name, int64_t d0, int64_t d1, int keep16,
                                const void **out) {
    const bml__tensor *t = bml__st_find(st, name);
    size_t n, i;
    const unsigned char *src;
    int ndim = d1 ? 2 : 1;
    if (!t) return bml__fail(BML_ERR_FORMAT, "%s: tensor '%s' is missing", st->path, name);
    if (t->ndim != ndim || t->shape[0] != d0 || (ndim == 2 && t->shape[1] != d1)) {
        char got[128] = "[";
        int k;
        for (k = 0; k < t->ndim && strlen(got) < 100; k++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", k ? ", " : "", (long long)t->shape[k]);
        strcat(got, "]");
        if (ndim == 2)
            return bml__fail(BML_ERR_SHAPE, "%s: tensor '%s': expected shape [%lld, %lld], found %s", st->path, name,
                             (long long)d0, (long long)d1, got);
        return bml__fail(BML_ERR_SHAPE, "%s: tensor '%s': expected shape [%lld], found %s", st->path, name,
                         (long long)d0, got);
    }
    if (t->dtype == BML__DT_OTHER)
        return bml__fail(BML_ERR_UNSUPPORTED, "%s: tensor '%s': dtype %s is not supported (F32, F16, BF16)", st->path,
                         name, t->dtype_name);
    n = (size_t)d0 * (size_t)(d1 ? d1 : 1);
    src = st->data + t->begin;
    if (keep16 && (int)t->dtype == m->wdt && m->wdt != BML__F32) {
        /* exponent all ones: Inf (mantissa 0) or NaN */
        uint16_t em = m->wdt == BML__F16 ? 0x7c00 : 0x7f80;
        const uint16_t *h;
        if (((uintptr_t)src & 1) == 0) {
            h = (const uint16_t *)(const void *)src;
        } else {
            uint16_t *c = (uint16_t *)bml__own(m, n * 2, name);
            if (!c) return BML_ERR_NOMEM;
            memcpy(c, src, n * 2);
            h = c;
        }
        for (i = 0; i < n; i++)
            if ((h[i] & em) == em)
                return bml__fail(BML_ERR_FORMAT, "%s: tensor '%s': element %zu is %s", st->path, name, i,
                                 h[i] & (em ^ 0x7fff) ? "NaN" : "infinite");
        *out = h;
    } else {
        const float *v;
        if (t->dtype == BML__F32 && ((uintptr_t)src & 3) == 0) {
            v = (const float *)(const void *)src;
        } else {
            float *dst = (float *)bml__own(m, n * sizeof(float), name);
            if (!dst) return BML_ERR_NOMEM;
            if (t->dtype == BML__F32) memcpy(dst, src, n * 4);
            else bml__widen16(t->dtype, src, dst, n);
            v = dst;
        }
        for (i = 0; i < n; i++)
            if (!isfinite(v[i]))
                return bml__fail(BML_ERR_FORMAT, "%s: tensor '%s': element %zu is %s", st->path, name, i,
                                 isnan(v[i]) ? "NaN" : "infinite");
        *out = v;
    }
    if (!m->dtype[0]) snprintf(m->dtype, sizeof m->dtype, "%s", t->dtype_name);
    m->cfg.n_params += n;
    return BML_OK;
}

static bml_status bml__bind_st(bml_model *m, const bml__st *st, const char *name, int64_t d0, int64_t d1,
                               const float **out) {
    const void *p = NULL;
    bml_status rc = bml__bind_any(m, st, name, d0, d1, 0, &p);
    *out = (const float *)p;
    return rc;
}

static bml_status bml__bind(bml_model *m, const char *name, int64_t d0, int64_t d1, const float **out) {
    return bml__bind_st(m, &m->st, name, d0, d1, out);
}

/* The encoder's weight matrices, in the order of bml__layer and of the
   forward pass. */
static const char *const bml__mat_names[6] = {"attention.self.query.weight", "attention.self.key.weight",
                                             "attention.self.value.weight", "attention.output.dense.weight",
                                             "intermediate.dense.weight", "output.dense.weight"};

/* The dtype the weight matrices are held in: the file's F16 or BF16 when
   the word embeddings and every layer matrix have it (the panel kernels
   read them 16-bit), else F32 (a mixed or float32 file; without panels,
   BATCHML_NO_PACK, they are widened later: bml__widen_weights). */
static int bml__pick_wdt(const bml_model *m) {
#ifdef BML__PANELS
    const bml__tensor *t = bml__st_find(&m->st, "embeddings.word_embeddings.weight");
    char nm[160];
    int dt, l, j;
    if (!t || (t->dtype != BML__F16 && t->dtype != BML__BF16)) return BML__F32;
    dt = (int)t->dtype;
    for (l = 0; l < m->cfg.layers; l++)
        for (j = 0; j < 6; j++) {
            snprintf(nm, sizeof nm, "encoder.layer.%d.%s", l, bml__mat_names[j]);
            if (!(t = bml__st_find(&m->st, nm)) || (int)t->dtype != dt) return BML__F32;
        }
    return dt;
#else
    (void)m;
    return BML__F32;
#endif
}

/* The layer's weight matrices, in bml__mat_names order. */
static const void **bml__layer_mat(bml__layer *L, int j) {
    const void **w[6];
    w[0] = &L->wq; w[1] = &L->wk; w[2] = &L->wv; w[3] = &L->wo; w[4] = &L->w1; w[5] = &L->w2;
    return w[j];
}

/* Float32 copies of 16-bit weight matrices, for the paths that read only
   float32 (OpenBLAS with BATCHML_NO_PACK, the OpenCL upload). */
static bml_status bml__widen_weights(bml_model *m) {
    const bml_config *c = &m->cfg;
    size_t H = (size_t)c->hidden, I = (size_t)c->intermediate;
    int l, j;
    float *d;
    if (m->wdt == BML__F32) return BML_OK;
    BML_ASSERT(!m->panel_mem);
    if (!(d = (float *)bml__own(m, (size_t)c->vocab * H * sizeof(float), "word embeddings"))) return BML_ERR_NOMEM;
    bml__widen16(m->wdt, (const unsigned char *)m->word, d, (size_t)c->vocab * H);
    m->word = d;
    for (l = 0; l < c->layers; l++)
        for (j = 0; j < 6; j++) {
            const void **w = bml__layer_mat(&m->layer[l], j);
            size_t n = (j < 4 ? H : I) * H;
            if (!(d = (float *)bml__own(m, n * sizeof(float), bml__mat_names[j]))) return BML_ERR_NOMEM;
            bml__widen16(m->wdt, (const unsigned char *)*w, d, n);
            *w = d;
        }
    m->wdt = BML__F32;
    return BML_OK;
}

/* The Dense modules' weights, from each module folder's model.safetensors
   (linear.weight [out, in], linear.bias [out]), after the encoder's. */
static bml_status bml__load_head_weights(bml_model *m, const char *dir) {
    char path[4096], mpath[4096];
    bml_json_doc *doc = NULL;
    const bml_json *root;
    bml_status rc = BML_OK;
    bml__statbuf sb;
    size_t i;
    int k = 0;
    if (!m->cfg.n_dense) return BML_OK;
    bml__join(mpath, sizeof mpath, dir, "modules.json");
    if ((rc = bml_json_load(mpath, 1 << 20, &doc)) != BML_OK) return rc;
    root = bml_json_root(doc);
    for (i = 2; i < root->len && rc == BML_OK; i++, k++) {
        bml__step *d = &m->step[k];
        char sub[4200];
        int r, j;
        if (d->kind != BML__STEP_DENSE) continue;
        if ((rc = bml__module_dir(mpath, i, bml_json_get(&root->kids[i], "path"), dir, path, sizeof path)) != BML_OK) break;
        snprintf(sub, sizeof sub, "%s/model.safetensors", path);
        if (bml__stat(sub, &sb) != 0) {
            snprintf(sub, sizeof sub, "%s/pytorch_model.bin", path);
            if (bml__stat(sub, &sb) == 0)
                rc = bml__fail(BML_ERR_UNSUPPORTED, "%s: only safetensors weights are read; convert it to model.safetensors",
                               sub);
            else
                rc = bml__fail(BML_ERR_IO, "%s/model.safetensors: missing (the Dense module's weights)", path);
            break;
        }
        if ((rc = bml__st_open(sub, &d->st)) != BML_OK) break;
        if ((rc = bml__bind_st(m, &d->st, "linear.weight", d->out, d->in, &d->W)) != BML_OK) break;
        if (d->b && (rc = bml__bind_st(m, &d->st, "linear.bias", d->out, 0, &d->b)) != BML_OK) break;
        if (!d->b && bml__st_find(&d->st, "linear.bias")) {
            rc = bml__fail(BML_ERR_FORMAT, "%s: has 'linear.bias' but the module's config.json says bias: false", sub);
            break;
        }
        d->Wt = (float *)BML_MALLOC((size_t)d->in * (size_t)d->out * sizeof(float) + 1);
        if (!d->Wt) { rc = bml__fail(BML_ERR_NOMEM, "out of memory for a Dense module"); break; }
        for (r = 0; r < d->out; r++)
            for (j = 0; j < d->in; j++) d->Wt[(size_t)j * d->out + r] = d->W[(size_t)r * d->in + j];
    }
    bml_json_free(doc);
    return rc;
}

static bml_status bml__bind_weights(bml_model *m) {
    const bml_config *c = &m->cfg;
    int64_t H = c->hidden, I = c->intermediate;
    char nm[160];
    int l;
    bml_status rc;
    m->wdt = bml__pick_wdt(m);
    if ((rc = bml__bind_any(m, &m->st, "embeddings.word_embeddings.weight", c->vocab, H, 1, &m->word)) ||
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
#define BML__M(field, suffix, d0, d1)                                                  \
    snprintf(nm, sizeof nm, "encoder.layer.%d.%s", l, suffix);                      \
    if ((rc = bml__bind_any(m, &m->st, nm, d0, d1, 1, &L->field)) != BML_OK) return rc;
        BML__M(wq, bml__mat_names[0], H, H)
        BML__W(bq, "attention.self.query.bias", H, 0)
        BML__M(wk, bml__mat_names[1], H, H)
        BML__W(bk, "attention.self.key.bias", H, 0)
        BML__M(wv, bml__mat_names[2], H, H)
        BML__W(bv, "attention.self.value.bias", H, 0)
        BML__M(wo, bml__mat_names[3], H, H)
        BML__W(bo, "attention.output.dense.bias", H, 0)
        BML__W(ln1_g, "attention.output.LayerNorm.weight", H, 0)
        BML__W(ln1_b, "attention.output.LayerNorm.bias", H, 0)
        BML__M(w1, bml__mat_names[4], I, H)
        BML__W(b1, "intermediate.dense.bias", I, 0)
        BML__M(w2, bml__mat_names[5], H, I)
        BML__W(b2, "output.dense.bias", H, 0)
        BML__W(ln2_g, "output.LayerNorm.weight", H, 0)
        BML__W(ln2_b, "output.LayerNorm.bias", H, 0)
#undef BML__W
#undef BML__M
    }
    m->cfg.dtype = m->dtype;
    return BML_OK;
}

/* ======================================================================
   The activation arena: one forward (and backward) job and its buffers
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
    float *out;                 /* [nseq,dim] the sentence embeddings       */
    /* grad mode */
    bml__saved *save;           /* [layers] or NULL (forward only)           */
    float *xhat0, *rstd0;       /* embedding LayerNorm [T,H], [T]           */
    float *pooled;              /* [nseq,head_w] each head step's input (the
                                   pooled vector first), or [nseq,H] pooled */
    float *dx;                  /* [T,H]  gradient of the residual stream    */
    float *panel;               /* [threads, panel_per] a weight panel copy (bml__panel_gemm), or NULL */
    size_t panel_per;
    /* the current layer, for the parallel tasks */
    const float *X, *b;
    const void *W, *Wp;         /* in m->wdt; Wp: W in panels (bml__panel_gemm), or NULL */
    float *Y;
    int K, N, M, split_rows, nsplit, accumulate;
    const float *ln_g, *ln_b;   /* the current LayerNorm                   */
    float *ln_xhat, *ln_rstd;   /* where it saves (grad mode) or NULL      */
    float *lq, *lk, *lv, *lP;   /* the current layer's q, k, v, P (NULL: scratch) */
    const float *gelu_in;       /* u                                        */
} bml__fwd;

static size_t bml__align16(size_t n) { return (n + 15) & ~(size_t)15; }

#ifdef BATCHML_OPENCL
/* The device path (the OpenCL section below): the same job on an OpenCL device.
   bml__cl_forward_job fills f->out (and keeps what backward needs on the
   device; a model whose head is more than one Normalize stays on the CPU,
   so there dim == H); bml__cl_backward reads df/de from f->tmp [nseq,H] and fills
   f->dx [T,H] on the host, exactly like the CPU path. */
static bml_status bml__cl_init(bml_model *m, const char *device);
static void bml__cl_free(bml_model *m);
static bml_status bml__cl_forward_job(bml__fwd *f, int grad);
#ifndef BATCHML_NO_OVERLAY
static bml_status bml__cl_backward(bml__fwd *f);
#endif
#endif
#ifdef BML__PANELS
static bml_status bml__make_panels(bml_model *m);
#endif
static bml_status bml__kernels_choose(bml_isa want, const bml__kernels **out);

/* Scratch floats one attention task needs: the scores [L,L] (when not
   kept) and the kernel's transposes, K^T [d,L] (bml__attn_tiles) or Q^T
   [d,16] + S^T [L rounded to 16, 16] (bml__attn_avx512); backward: dP
   [L,L], then v^T [d,L] and a transposed dS or P [L,L] in the same place. */
static size_t bml__attn_scratch(size_t maxL, int d) {
    return bml__align16(2 * maxL * maxL + (size_t)d * bml__align16(maxL) + 256);
}

/* f->tmp: [T,H], also df/de [nseq, dim] in grad mode (a Dense head may
   be wider than the tokens it pools) */
static size_t bml__tmp_floats(const bml_config *c, size_t T, size_t nseq) {
    size_t a = T * (size_t)c->hidden, b = nseq * (size_t)c->dim;
    return a > b ? a : b;
}

/* Floats of the forward-only arena for a batch shape: one formula, defined in
   the tuning section (bml_activation_bytes and the tuner use it too). */
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
    f->panel_per = BML__PW_MAX * bml__align16(H > I ? H : I);
    if (grad)
        need += save_floats + nL * per_layer + bml__align16(T * H) + bml__align16(T) +
                bml__align16(f->nseq * m->head_w) + bml__align16(f->nseq * H) + bml__align16(T * H);
    if (grad) need += th * f->panel_per;
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
    BML__CARVE(f->tmp, bml__tmp_floats(&m->cfg, T, f->nseq));
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
    f->panel = NULL;
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
        BML__CARVE(f->pooled, f->nseq * m->head_w);
        BML__CARVE(f->dx, T * H);
        BML__CARVE(f->panel, th * f->panel_per);
        off += bml__align16(f->nseq * H);
    }
#undef BML__CARVE
    BML_ASSERT(off <= m->ws.cap);
    return BML_OK;
}

/* Floats of the activation arena for one forward-only pass: the formula of
   bml__ws_plan (six [T,H] and one [T,I] buffer, per-thread attention
   scratch that also holds the pooling sums and, with Dense modules, three
   head vectors, the start/offset indexes). *scratch_per gets the
   per-thread scratch floats when not NULL. */
static size_t bml__ws_floats(const bml_config *c, size_t threads, size_t T, size_t nseq, size_t maxL,
                             size_t *scratch_per) {
    size_t H = (size_t)c->hidden, I = (size_t)c->intermediate;
    size_t sp = bml__attn_scratch(maxL, c->hidden / c->heads);
    size_t idx_floats = bml__align16((2 * nseq * sizeof(size_t) + 3) / 4);
    size_t head = bml__align16(2 * H) + (c->n_dense ? 3 * bml__align16((size_t)c->head_max) : 0);
    if (sp < head) sp = head;
    if (scratch_per) *scratch_per = sp;
    return 5 * bml__align16(T * H) + bml__align16(bml__tmp_floats(c, T, nseq)) + bml__align16(T * I) + threads * sp +
           idx_floats;
}

BMLDEF size_t bml_activation_bytes(const bml_model *m, size_t tokens, size_t nseq, size_t max_len) {
    if (!m) return 0;
    return 4 * bml__ws_floats(&m->cfg, (size_t)m->threads, tokens, nseq, max_len, NULL);
}

/* ======================================================================
   Loading and freeing a model
   ====================================================================== */

BMLDEF void bml_model_free(bml_model *m) {
    size_t i;
    if (!m) return;
#ifdef BATCHML_OPENCL
    bml__cl_free(m);
#endif
    bml__workers_destroy(m->workers);
    bml_tokenizer_free(m->tok);
    for (i = 0; i < m->nowned; i++) BML_FREE(m->owned[i]);
    BML_FREE(m->owned);
    BML_FREE(m->panel_mem);
    BML_FREE(m->layer);
    BML_FREE(m->ws.buf);
    for (i = 0; i < (size_t)m->nstep; i++) {
        BML_FREE(m->step[i].Wt);
        bml__st_close(&m->step[i].st);
    }
    bml__st_close(&m->st);
    bml_json_free(m->st_doc);
    BML_FREE(m);
}

/* Choose the device: "cpu" (default), or with BATCHML_OPENCL "opencl",
   "opencl:P:D" or "auto" (a GPU when there is one, else the CPU, said once
   in the log). */
static bml_status bml__device_init(bml_model *m, const char *device) {
    if (!strcmp(device, "cpu")) return BML_OK;
#ifdef BATCHML_OPENCL
    if (m->cfg.n_dense) { /* the device kernels pool and normalize; a Dense head is CPU code */
        if (!strcmp(device, "auto")) {
            bml__log(BML_LOG_INFO, "device auto: the model has Dense modules, which run on the CPU only: cpu");
            return BML_OK;
        }
        return bml__fail(BML_ERR_UNSUPPORTED, "device '%s': the model has %d Dense module(s), which run on the CPU only "
                         "(use device cpu)", device, m->cfg.n_dense);
    }
    return bml__cl_init(m, device);
#else
    (void)m;
    if (!strcmp(device, "auto")) return BML_OK;
    return bml__fail(BML_ERR_UNSUPPORTED, "device '%s': this build has no OpenCL (compile with -DBATCHML_OPENCL -lOpenCL)",
                     device);
#endif
}

/* A bml_model_desc with its zero defaults filled in (threads: every core;
   device: $BATCHML_DEVICE, else "cpu"), validated: the one place for both. */
static bml_status bml__model_desc_fill(const bml_model_desc *in, bml_model_desc *d) {
    memset(d, 0, sizeof *d); /* (gcc cannot see that d is unused after an error) */
    if (!in || !in->path || !in->path[0]) return bml__fail(BML_ERR_INVALID_ARG, "bml_model_load: desc.path is not set");
    *d = *in;
    if (d->threads < 0 || d->threads > 256)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_model_load: desc.threads must be 0..256 (got %d)", d->threads);
    if (d->max_seq_len < 0)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_model_load: desc.max_seq_len must be >= 0 (got %d)", d->max_seq_len);
    if (!d->threads) d->threads = bml__ncpu();
    d->deterministic = d->deterministic != 0;
    d->no_tokenizer = d->no_tokenizer != 0;
    if (!d->device || !d->device[0]) d->device = getenv("BATCHML_DEVICE");
    if (!d->device || !d->device[0]) d->device = "cpu";
    return BML_OK;
}

BMLDEF bml_status bml_model_load(const bml_model_desc *desc, bml_model **out) {
    bml_model *m;
    int i;
    char path[4096];
    bml_status rc;
    bml__statbuf sb;
    bml_model_desc d;
    if (!out) return bml__fail(BML_ERR_INVALID_ARG, "bml_model_load: out is NULL");
    *out = NULL;
    if ((rc = bml__model_desc_fill(desc, &d)) != BML_OK) return rc;
    desc = &d;
    if (bml__stat(desc->path, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return bml__fail(BML_ERR_IO, "%s: not a model directory%s%s", desc->path, errno ? ": " : "",
                         errno ? strerror(errno) : "");
    m = (bml_model *)bml__calloc(1, sizeof *m);
    if (!m) return bml__fail(BML_ERR_NOMEM, "out of memory");
    m->st.fd = -1;
    for (i = 0; i < BML__MAX_STEPS; i++) m->step[i].st.fd = -1;
    m->deterministic = desc->deterministic;
    m->threads = desc->threads;
    if ((rc = bml__kernels_choose(desc->isa, &m->k)) != BML_OK) goto fail;
    if ((rc = bml__load_config(m, desc->path)) != BML_OK ||
        (rc = bml__load_st_config(m, desc->path, desc->max_seq_len)) != BML_OK ||
        (rc = bml__load_prompts(m, desc->path)) != BML_OK)
        goto fail;
    bml__join(path, sizeof path, desc->path, "model.safetensors");
    if (bml__stat(path, &sb) != 0) {
        rc = bml__fail(BML_ERR_IO, "%s: missing (only safetensors weights are read; convert pytorch_model.bin first)", path);
        goto fail;
    }
    if ((rc = bml__st_open(path, &m->st)) != BML_OK) goto fail;
    m->cfg.file_bytes = m->st.size;
    if ((rc = bml__bind_weights(m)) != BML_OK || (rc = bml__load_head_weights(m, desc->path)) != BML_OK) goto fail;
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
    if ((rc = bml__workers_create(m->threads, &m->workers)) != BML_OK) goto fail;
    if ((rc = bml__device_init(m, desc->device)) != BML_OK) goto fail;
    m->threads = m->workers->nthreads;
#ifdef BML__PANELS
    /* the CPU path. The panel kernel sums every output element in one fixed
       order whatever the batch, tile or thread, so the deterministic mode
       uses it too. BATCHML_NO_PACK=1 in the environment keeps OpenBLAS (or
       the reference GEMM in deterministic mode) for the dense layers. */
    {
        const char *no_pack = getenv("BATCHML_NO_PACK");
        if (m->cl || (no_pack && no_pack[0] == '1')) rc = bml__widen_weights(m);
        else rc = bml__make_panels(m);
        if (rc != BML_OK) goto fail;
    }
#endif
#ifndef BATCHML_NO_BLAS
    /* batchml splits every GEMM across its own threads; OpenBLAS's own
       threads would compete with them for the same cores */
    bml__openblas_set_num_threads(1);
#endif
    m->cfg.held = m->wdt == BML__F16 ? "F16" : m->wdt == BML__BF16 ? "BF16" : "F32";
    *out = m;
    return BML_OK;
fail:
    bml_model_free(m);
    return rc;
}

/* ======================================================================
   >>kernels  Kernels: every GEMM, attention and element-wise kernel.

   GEMM: OpenBLAS sgemm, or a fixed-order kernel (deterministic mode and
   BATCHML_NO_BLAS) whose every output element is computed the same way
   whatever M, the block it lands in or the thread that computes it.
   ====================================================================== */

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

/* ----------------------------------------------------------------------
   Vector op sets. A kernel written once over an op set O (O##_FMA, ...)
   is instantiated per kernel set: V8 (AVX2, 8 lanes), V16 (AVX-512, 16
   lanes), N4 (NEON, 4 lanes), G4 (GNU C vectors of 4 floats: the generic
   set, lowered to whatever SIMD the target has, SSE2 on any x86-64; plain C
   structs of 4 floats without GNU C vectors) and S
   (one float, for exp and erf). Each names VL lanes, T a vector, MT a lane
   mask, ZERO(), K(c) (every lane c), LOAD/STORE (unaligned), MASK(n) (the
   first n lanes, n may be <= 0 or >= VL), LOADM/STOREM (masked, zero
   filled), FMA(a, b, c) = a b + c, ADD, PIN(v) (keeps v in a register: see
   BML__PANEL_LOOP), LOADH/LOADBF (VL 16-bit weights, F16 or BF16, widened
   exactly to float: bml__panel_gemm's 16-bit variants), and for exp/erf MUL, DIV, FNMA(a, b, c) = c - a b, MIN,
   MAX, ROUND (to nearest), SCALE(p, n) = p 2^n, EXP_TAIL (>>exp and erf).
   ---------------------------------------------------------------------- */
#define BML__S_K(c) (c)
#define BML__S_MUL(a, b) ((a) * (b))
#define BML__S_ADD(a, b) ((a) + (b))
#define BML__S_DIV(a, b) ((a) / (b))
#define BML__S_FMA(a, b, c) ((a) * (b) + (c))
#define BML__S_FNMA(a, b, c) ((c) - (a) * (b))
#define BML__S_MAX(a, b) ((a) < (b) ? (b) : (a)) /* (the clamps keep a NaN a NaN) */
#define BML__S_MIN(a, b) ((a) > (b) ? (b) : (a))
#define BML__S_ROUND(a) (((a) + 12582912.0f) - 12582912.0f) /* |a| < 2^22 */
#define BML__S_SCALE(p, n) bml__scale2(p, n)
#define BML__S_EXP_TAIL(p, r) ((p) * (r) * (r) + (r) + 1.0f)

#if defined(__GNUC__) && !defined(BATCHML_NO_VECTOR_EXT)
typedef float bml__g4 __attribute__((vector_size(16)));
static inline bml__g4 bml__g4_k(float c) { bml__g4 v = {c, c, c, c}; return v; }
static inline bml__g4 bml__g4_load(const float *p) { bml__g4 v; memcpy(&v, p, sizeof v); return v; }
static inline void bml__g4_store(float *p, bml__g4 v) { memcpy(p, &v, sizeof v); }
static inline bml__g4 bml__g4_loadm(int n, const float *p) {
    bml__g4 v = {0, 0, 0, 0};
    int i;
    for (i = 0; i < n && i < 4; i++) v[i] = p[i];
    return v;
}
static inline void bml__g4_storem(float *p, int n, bml__g4 v) {
    int i;
    for (i = 0; i < n && i < 4; i++) p[i] = v[i];
}
/* 16-bit weights widened exactly, with integer operations only (no
   denormal float arithmetic, so flush-to-zero modes do not change them):
   BF16 is the top half of a float; an F16 normal number moves its exponent
   (bias 15 -> 127), a subnormal m 2^-24 is m read as the float 2^23 + m,
   less 2^23, times 2^-24. F16 Inf/NaN never reach here (refused at load). */
typedef uint32_t bml__g4u __attribute__((vector_size(16)));
static inline bml__g4 bml__g4_loadbf(const uint16_t *p) {
    bml__g4u u = {p[0], p[1], p[2], p[3]};
    bml__g4 v;
    u <<= 16;
    memcpy(&v, &u, sizeof v);
    return v;
}
static inline bml__g4 bml__g4_loadh(const uint16_t *p) {
    bml__g4u u = {p[0], p[1], p[2], p[3]}, mag = u & 0x7fffu, sub, norm, small;
    bml__g4 v, f;
    norm = (u & 0x8000u) << 16 | ((mag << 13) + 0x38000000u);
    sub = mag | 0x4b000000u;
    memcpy(&f, &sub, sizeof f);
    f = (f - 8388608.0f) * (1.0f / 16777216.0f);
    memcpy(&sub, &f, sizeof sub);
    sub |= (u & 0x8000u) << 16;
    small = (bml__g4u)(mag < 0x400u);
    norm = (sub & small) | (norm & ~small);
    memcpy(&v, &norm, sizeof v);
    return v;
}
#define BML__G4_FMA(a, b, c) ((a) * (b) + (c))
#define BML__G4_ADD(a, b) ((a) + (b))
#else
/* The same four lanes in plain C, for a compiler without GNU C vectors
   (MSVC, or BATCHML_NO_VECTOR_EXT): each lane does the operations of the
   vector version in the same order, so the numbers are the same bits. */
typedef struct bml__g4 { float v[4]; } bml__g4;
static inline bml__g4 bml__g4_k(float c) { bml__g4 r; r.v[0] = r.v[1] = r.v[2] = r.v[3] = c; return r; }
static inline bml__g4 bml__g4_load(const float *p) { bml__g4 r; memcpy(r.v, p, sizeof r.v); return r; }
static inline void bml__g4_store(float *p, bml__g4 a) { memcpy(p, a.v, sizeof a.v); }
static inline bml__g4 bml__g4_loadm(int n, const float *p) {
    bml__g4 r = bml__g4_k(0.0f);
    int i;
    for (i = 0; i < n && i < 4; i++) r.v[i] = p[i];
    return r;
}
static inline void bml__g4_storem(float *p, int n, bml__g4 a) {
    int i;
    for (i = 0; i < n && i < 4; i++) p[i] = a.v[i];
}
static inline bml__g4 bml__g4_loadbf(const uint16_t *p) {
    bml__g4 r;
    int i;
    for (i = 0; i < 4; i++) {
        uint32_t bits = (uint32_t)p[i] << 16;
        memcpy(&r.v[i], &bits, 4);
    }
    return r;
}
static inline bml__g4 bml__g4_loadh(const uint16_t *p) {
    bml__g4 r;
    int i;
    for (i = 0; i < 4; i++) r.v[i] = bml__half_to_float(p[i]);
    return r;
}
static inline bml__g4 bml__g4_fma(bml__g4 a, bml__g4 b, bml__g4 c) {
    int i;
    for (i = 0; i < 4; i++) c.v[i] = a.v[i] * b.v[i] + c.v[i];
    return c;
}
static inline bml__g4 bml__g4_add(bml__g4 a, bml__g4 b) {
    int i;
    for (i = 0; i < 4; i++) a.v[i] += b.v[i];
    return a;
}
#define BML__G4_FMA(a, b, c) bml__g4_fma(a, b, c)
#define BML__G4_ADD(a, b) bml__g4_add(a, b)
#endif
#define BML__G4_VL 4
#define BML__G4_T bml__g4
#define BML__G4_MT int
#define BML__G4_ZERO() bml__g4_k(0.0f)
#define BML__G4_K(c) bml__g4_k(c)
#define BML__G4_LOAD(p) bml__g4_load(p)
#define BML__G4_STORE(p, v) bml__g4_store(p, v)
#define BML__G4_MASK(n) (n)
#define BML__G4_LOADM(m, p) bml__g4_loadm(m, p)
#define BML__G4_STOREM(p, m, v) bml__g4_storem(p, m, v)
#define BML__G4_LOADH(p) bml__g4_loadh(p)
#define BML__G4_LOADBF(p) bml__g4_loadbf(p)
#define BML__G4_PIN(v) ((void)0)

#ifdef BML__X86
/* The first n of 8 lanes, as a maskload/maskstore mask. */
BML__TGT_AVX2 static inline __m256i bml__mask8(size_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n > 8 ? 8 : (int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
/* The first n of 16 lanes (n may be <= 0 or >= 16). */
static inline __mmask16 bml__mask16(int n) { return (__mmask16)(n <= 0 ? 0 : n >= 16 ? 0xFFFF : (1u << n) - 1); }
#define BML__V8_VL 8
#define BML__V8_T __m256
#define BML__V8_MT __m256i
#define BML__V8_ZERO() _mm256_setzero_ps()
#define BML__V8_LOAD(p) _mm256_loadu_ps(p)
#define BML__V8_STORE(p, v) _mm256_storeu_ps(p, v)
#define BML__V8_MASK(n) bml__mask8((n) < 0 ? 0 : (size_t)(n))
#define BML__V8_LOADM(m, p) _mm256_maskload_ps(p, m)
#define BML__V8_STOREM(p, m, v) _mm256_maskstore_ps(p, m, v)
#define BML__V8_PIN(v) __asm__("" : "+x"(v))
#define BML__V8_LOADH(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(p)))
#define BML__V8_LOADBF(p) \
    _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)(p))), 16))
#define BML__V8_K(c) _mm256_set1_ps(c)
#define BML__V8_MUL(a, b) _mm256_mul_ps(a, b)
#define BML__V8_ADD(a, b) _mm256_add_ps(a, b)
#define BML__V8_DIV(a, b) _mm256_div_ps(a, b)
#define BML__V8_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define BML__V8_FNMA(a, b, c) _mm256_fnmadd_ps(a, b, c)
#define BML__V8_MAX(a, b) _mm256_max_ps(a, b)
#define BML__V8_MIN(a, b) _mm256_min_ps(a, b)
#define BML__V8_ROUND(a) _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define BML__V8_EXP_TAIL(p, r) _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)))
#define BML__V8_SCALE(p, n) \
    _mm256_mul_ps(p, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23)))

#define BML__V16_VL 16
#define BML__V16_T __m512
#define BML__V16_MT __mmask16
#define BML__V16_ZERO() _mm512_setzero_ps()
#define BML__V16_LOAD(p) _mm512_loadu_ps(p)
#define BML__V16_STORE(p, v) _mm512_storeu_ps(p, v)
#define BML__V16_MASK(n) bml__mask16(n)
#define BML__V16_LOADM(m, p) _mm512_maskz_loadu_ps(m, p)
#define BML__V16_STOREM(p, m, v) _mm512_mask_storeu_ps(p, m, v)
#define BML__V16_PIN(v) __asm__("" : "+x"(v))
#define BML__V16_LOADH(p) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(p)))
#define BML__V16_LOADBF(p) \
    _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(p))), 16))
#define BML__V16_K(c) _mm512_set1_ps(c)
#define BML__V16_MUL(a, b) _mm512_mul_ps(a, b)
#define BML__V16_ADD(a, b) _mm512_add_ps(a, b)
#define BML__V16_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define BML__V16_FNMA(a, b, c) _mm512_fnmadd_ps(a, b, c)
#define BML__V16_MAX(a, b) _mm512_max_ps(a, b)
#define BML__V16_MIN(a, b) _mm512_min_ps(a, b)
#define BML__V16_ROUND(a) _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define BML__V16_SCALE(p, n) _mm512_scalef_ps(p, n)
#define BML__V16_EXP_TAIL(p, r) _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)))
#endif

#ifdef BML__NEON
static inline float32x4_t bml__n4_loadm(int n, const float *p) {
    float t[4] = {0, 0, 0, 0};
    int i;
    for (i = 0; i < n && i < 4; i++) t[i] = p[i];
    return vld1q_f32(t);
}
static inline void bml__n4_storem(float *p, int n, float32x4_t v) {
    float t[4];
    int i;
    vst1q_f32(t, v);
    for (i = 0; i < n && i < 4; i++) p[i] = t[i];
}
#define BML__N4_VL 4
#define BML__N4_T float32x4_t
#define BML__N4_MT int
#define BML__N4_ZERO() vdupq_n_f32(0.0f)
#define BML__N4_K(c) vdupq_n_f32(c)
#define BML__N4_LOAD(p) vld1q_f32(p)
#define BML__N4_STORE(p, v) vst1q_f32(p, v)
#define BML__N4_MASK(n) (n)
#define BML__N4_LOADM(m, p) bml__n4_loadm(m, p)
#define BML__N4_STOREM(p, m, v) bml__n4_storem(p, m, v)
#define BML__N4_FMA(a, b, c) vfmaq_f32(c, a, b)
#define BML__N4_ADD(a, b) vaddq_f32(a, b)
#define BML__N4_MUL(a, b) vmulq_f32(a, b)
#define BML__N4_PIN(v) __asm__("" : "+w"(v))
#define BML__N4_LOADH(p) vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p)))
#define BML__N4_LOADBF(p) vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(p), 16))
#define BML__N4_DIV(a, b) vdivq_f32(a, b)
#define BML__N4_FNMA(a, b, c) vfmsq_f32(c, a, b)
#define BML__N4_MAX(a, b) vmaxq_f32(a, b)
#define BML__N4_MIN(a, b) vminq_f32(a, b)
#define BML__N4_ROUND(a) vrndnq_f32(a)
#define BML__N4_EXP_TAIL(p, r) vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0f)), p, vmulq_f32(r, r))
#define BML__N4_SCALE(p, n) \
    vmulq_f32(p, vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23)))
#endif

/* ----------------------------------------------------------------------
   Weight panels for the dense layers (every kernel set).

   OpenBLAS copies the weight matrix into its own panel layout on every
   sgemm call; for a short batch that copy costs more than the multiply
   (56% of a 16-token forward pass). Packed once at load time into panels
   of PW output columns (PW = 2 VL of the kernel set), P[panel][k][PW],
   the weights feed a register-blocked kernel directly: MR rows x PW
   columns of Y = X W^T + b in two vectors a row, one FMA chain per output
   element over k in order. AVX-512: 8 x 32 in 16 zmm accumulators; AVX2:
   6 x 16 in 12 ymm (of 16 registers); NEON: 8 x 8 in 16 of 32 q registers;
   generic: 6 x 8 in 12 of SSE2's 16. Rows past the end of a short tile
   read the tile's last row and are not stored.
   ---------------------------------------------------------------------- */

#ifdef BML__PANELS
/* Elements of W [N,K] in panels of pw columns (N rounded up to whole panels). */
static size_t bml__panel_floats(int N, int K, int pw) { return (size_t)((N + pw - 1) / pw) * (size_t)K * pw; }

/* P[p][k][j] = W[pw p + j][k] (0 past N), elements of es bytes (4, or 2
   for 16-bit weights). */
static void bml__panel_pack(const void *W, int N, int K, int pw, size_t es, void *P) {
    const unsigned char *w = (const unsigned char *)W;
    unsigned char *d = (unsigned char *)P;
    int p, k, j, np = (N + pw - 1) / pw;
    for (p = 0; p < np; p++)
        for (k = 0; k < K; k++)
            for (j = 0; j < pw; j++) {
                int n = p * pw + j;
                unsigned char *e = d + (((size_t)p * K + k) * pw + j) * es;
                if (n < N) memcpy(e, w + ((size_t)n * K + k) * es, es);
                else memset(e, 0, es);
            }
}
#endif

#define BML__PANEL_ROWS_8(X, O) X(0, O) X(1, O) X(2, O) X(3, O) X(4, O) X(5, O) X(6, O) X(7, O)
#define BML__PANEL_ROWS_6(X, O) X(0, O) X(1, O) X(2, O) X(3, O) X(4, O) X(5, O)
#define BML__PANEL_DECL(i, O) O##_T c##i##0 = O##_ZERO(), c##i##1 = O##_ZERO(); \
                        const float *a##i = A + (size_t)((i) < mr ? (i) : mr - 1) * lda;
#define BML__PANEL_FMA(i, O) { O##_T x_ = O##_K(a##i[k]); c##i##0 = O##_FMA(x_, b0, c##i##0); \
                         c##i##1 = O##_FMA(x_, b1, c##i##1); }
#define BML__PANEL_STORE(i, O) if ((i) < mr) { \
        float *y_ = C + (size_t)(i) * ldc; \
        O##_T y0_ = O##_ADD(c##i##0, bb0), y1_ = O##_ADD(c##i##1, bb1); \
        if (full) { \
            if (acc) { y0_ = O##_ADD(y0_, O##_LOAD(y_)); y1_ = O##_ADD(y1_, O##_LOAD(y_ + O##_VL)); } \
            O##_STORE(y_, y0_); O##_STORE(y_ + O##_VL, y1_); \
        } else { \
            if (acc) { y0_ = O##_ADD(y0_, O##_LOADM(m0, y_)); y1_ = O##_ADD(y1_, O##_LOADM(m1, y_ + O##_VL)); } \
            O##_STOREM(y_, m0, y0_); O##_STOREM(y_ + O##_VL, m1, y1_); } }

/* The weight element types W of the panel kernel: f32, and the 16-bit f16
   and bf16 of a half-precision model, kept 16-bit in memory (half the
   bytes a pass streams) and widened in registers as they are loaded, which
   is exact: the products and their order are those of the same weights in
   float32. BML__LD_W(O, p) loads VL weights, BML__LDM_W(O, n, p) the first
   n (n may be <= 0 or >= VL), the rest 0; the 16-bit ones go through t16_,
   a scratch of 16 in the function. */
#define BML__ET_f32 float
#define BML__ET_f16 uint16_t
#define BML__ET_bf16 uint16_t
#define BML__LD_f32(O, p) O##_LOAD(p)
#define BML__LD_f16(O, p) O##_LOADH(p)
#define BML__LD_bf16(O, p) O##_LOADBF(p)
#define BML__LDM_f32(O, n, p) O##_LOADM(O##_MASK(n), p)
#define BML__LDM_f16(O, n, p) O##_LOADH(bml__tail16(t16_, p, n, O##_VL))
#define BML__LDM_bf16(O, n, p) O##_LOADBF(bml__tail16(t16_, p, n, O##_VL))
/* p[0, n) into t[0, vl), the rest 0. */
static inline const uint16_t *bml__tail16(uint16_t *t, const uint16_t *p, int n, int vl) {
    int i;
    for (i = 0; i < vl; i++) t[i] = i < n ? p[i] : 0;
    return t;
}

/* The k loop, in two copies (with / without the prefetch), so neither tests
   anything per k (AVX2, 16 rows: 54 -> 70 GFLOP/s). PIN keeps the two
   loads of a step in registers: without it GCC may fold them into each of
   the tile's FMAs as memory operands (AVX2: 12 loads a step instead of 2,
   33 instead of 70 GFLOP/s) or spill an accumulator. */
#define BML__PANEL_LOOP(O, W, MR, kend, PF) for (; k < (kend); k++) { \
        const BML__ET_##W *bk = B + (size_t)k * ldb; \
        O##_T b0 = full ? BML__LD_##W(O, bk) : BML__LDM_##W(O, nc, bk); \
        O##_T b1 = full ? BML__LD_##W(O, bk + O##_VL) : BML__LDM_##W(O, nc - O##_VL, bk + O##_VL); \
        O##_PIN(b0); O##_PIN(b1); \
        if (PF) for (o = 0; o < 2 * O##_VL; o += 64 / (int)sizeof *bk) BML__PREFETCH(pf + (size_t)k * ldb + o); \
        BML__PANEL_ROWS_##MR(BML__PANEL_FMA, O) }

/* The panel kernel of one kernel set S (op set O, MR rows, target TGT), for
   weights of type W:

   bml__panel_tile_S_W: C[mr, nc] (+)= A[mr, K] . B[K, nc] + bias[nc]  (mr
   <= MR, nc <= PW; row k of B at B + k ldb: a weight panel, ldb = PW, or
   PW columns of a plain matrix); acc adds to C. While it runs, the first
   pf_rows rows at pf (its share of the next panel, same ldb) are
   prefetched, a cache line at a time. A whole panel (nc = PW) has its own
   copy of the body with no masks: on AVX2 masks are vector registers, and
   with them live the 12 accumulators spilled (and masked moves are slow).

   bml__panel_gemm_S_W: Y[M, N] (+)= X[M, K] . B[K, N] + b in panels of PW
   columns of Y: the panel of columns PW p.. has its row k at B + p pstride
   + k ldb. The forward pass gives W laid out by bml__panel_pack (ldb = PW,
   pstride = PW K: Y = X W^T); the backward pass gives a weight W [K, N] as
   stored (ldb = N, pstride = PW: dX = dY W), with no copy. Panels outer:
   one stays in L1/L2 for every tile. With few rows the weights are used
   only a few times each and would stream from memory between FMAs (a
   batch-1 pass reads 42 MB of MiniLM weights, more than L3): the tiles of
   panel p prefetch panel p+1, spread over them, so the memory traffic
   overlaps the arithmetic (16 tokens, 1 thread: 2.3 -> 1.7 ms). The panel
   block holds the matrices in the order the forward pass uses them, so
   past a matrix's last panel this reads ahead into the next matrix
   (bml__panel_slack after the last); a plain matrix stops at its own last
   panel. Rows go in blocks of at most 256 KB of X, panels inside: every
   panel reads the block's rows again, and they stay in L2 (512 KB a core
   on Zen 3) only if the block fits (unblocked, 255 rows of W2's input, 1.5
   MB, streamed from L3 for each of its 24 panels). A plain matrix read by
   more than 8 tiles is copied a panel at a time into buf [K, PW] (as
   float32; the f32 tile then runs on it): its rows, N elements apart, fall
   into a few L1 sets (6 KB apart for W2) and evict each other on every
   tile (overlays of 32 texts: 1.48 -> 1.37 ms each; at 8 tiles the copy
   did not pay). Weight panels are never copied, 16-bit ones included: the
   widening in registers costs nothing measurable (AVX2, N 1536, K 384, M
   6-200, weights in cache: 87-100 GFLOP/s, float32 85-96, widening each
   panel into buf first 73-92), and at batch 1 the halved bytes make 16-bit weights faster
   (16 tokens, 1 thread: 4.2 ms against 5.0 ms in float32). */
#define BML__PANEL_TILE(S, W, O, MR, TGT)                                                                        \
    TGT BML__ALWAYS_INLINE static inline void bml__panel_tile_##S##_##W##_(                          \
        int mr, int nc, int K, const float *A, int lda, const BML__ET_##W *B, size_t ldb, const float *bias,     \
        float *C, int ldc, int acc, const BML__ET_##W *pf, int pf_rows, const int full) {                        \
        O##_MT m0, m1;                                                                                           \
        O##_T bb0, bb1;                                                                                          \
        uint16_t t16_[16];                                                                                       \
        int k = 0, o, kp = pf_rows < K ? pf_rows : K;                                                            \
        BML__PANEL_ROWS_##MR(BML__PANEL_DECL, O)                                                                 \
        (void)t16_;                                                                                              \
        BML__PANEL_LOOP(O, W, MR, kp, 1)                                                                         \
        BML__PANEL_LOOP(O, W, MR, K, 0)                                                                          \
        m0 = O##_MASK(nc);                                                                                       \
        m1 = O##_MASK(nc - O##_VL);                                                                              \
        bb0 = !bias ? O##_ZERO() : full ? O##_LOAD(bias) : O##_LOADM(m0, bias);                                  \
        bb1 = !bias ? O##_ZERO() : full ? O##_LOAD(bias + O##_VL) : O##_LOADM(m1, bias + O##_VL);                \
        BML__PANEL_ROWS_##MR(BML__PANEL_STORE, O)                                                                \
    }                                                                                                            \
    TGT BML__NOINLINE static void bml__panel_tile_##S##_##W(int mr, int nc, int K, const float *A,   \
        int lda, const BML__ET_##W *B, size_t ldb, const float *bias, float *C, int ldc, int acc,                \
        const BML__ET_##W *pf, int pf_rows) {                                                                    \
        if (nc == 2 * O##_VL)                                                                                    \
            bml__panel_tile_##S##_##W##_(mr, nc, K, A, lda, B, ldb, bias, C, ldc, acc, pf, pf_rows, 1);          \
        else                                                                                                     \
            bml__panel_tile_##S##_##W##_(mr, nc, K, A, lda, B, ldb, bias, C, ldc, acc, pf, pf_rows, 0);          \
    }
#define BML__PANEL_GEMM(S, W, O, MR, TGT)                                                                        \
    TGT static void bml__panel_gemm_##S##_##W(int M, int N, int K, const float *X, const BML__ET_##W *B,         \
                                              size_t ldb, size_t pstride, const float *b, float *Y, int ldy,     \
                                              int acc, float *buf) {                                             \
        const int PW = 2 * O##_VL;                                                                               \
        int p, m, t, m0, np = (N + PW - 1) / PW, inpanels = ldb == (size_t)PW;                                   \
        int mb = (65536 / (K > 0 ? K : 1)) / MR * MR;                                                            \
        uint16_t t16_[16];                                                                                       \
        (void)t16_;                                                                                              \
        if (mb < MR) mb = MR;                                                                                    \
        for (m0 = 0; m0 < M; m0 += mb) {                                                                         \
            int rows_b = M - m0 < mb ? M - m0 : mb, nt = (rows_b + MR - 1) / MR;                                 \
            int share = (K + nt - 1) / nt;          /* k-rows of the next panel per tile */                     \
            int copy = !inpanels && buf && nt > 8;                                                               \
            const float *Xb = X + (size_t)m0 * K;                                                                \
            float *Yb = Y + (size_t)m0 * ldy;                                                                    \
            for (p = 0; p < np; p++) {                                                                           \
                int nc = N - PW * p < PW ? N - PW * p : PW;                                                      \
                int ahead = p + 1 < np || inpanels; /* a next panel to prefetch */                               \
                const BML__ET_##W *next = ahead ? B + (size_t)(p + 1) * pstride : B;                             \
                const BML__ET_##W *panel = B + (size_t)p * pstride;                                              \
                if (copy) {                                                                                      \
                    int k;                                                                                       \
                    for (k = 0; k < K; k++) {                                                                    \
                        const BML__ET_##W *bk = panel + (size_t)k * ldb;                                         \
                        O##_STORE(buf + (size_t)k * PW, nc == PW ? BML__LD_##W(O, bk) : BML__LDM_##W(O, nc, bk)); \
                        O##_STORE(buf + (size_t)k * PW + O##_VL, nc == PW ? BML__LD_##W(O, bk + O##_VL)          \
                                                                         : BML__LDM_##W(O, nc - O##_VL, bk + O##_VL)); \
                    }                                                                                            \
                }                                                                                                \
                for (m = 0, t = 0; m < rows_b; m += MR, t++) {                                                   \
                    int mr = rows_b - m < MR ? rows_b - m : MR;                                                  \
                    int rows = nt <= 8 && ahead ? K - t * share : 0;                                             \
                    const float *bt = b ? b + PW * p : NULL;                                                     \
                    float *Yt = Yb + (size_t)m * ldy + PW * p;                                                   \
                    if (copy)                                                                                    \
                        bml__panel_tile_##S##_f32(mr, nc, K, Xb + (size_t)m * K, K, buf, (size_t)PW, bt, Yt, ldy, \
                                                  acc, buf, 0);                                                  \
                    else                                                                                         \
                        bml__panel_tile_##S##_##W(mr, nc, K, Xb + (size_t)m * K, K, panel, ldb, bt, Yt, ldy, acc, \
                                                  rows > 0 ? next + (size_t)t * share * ldb : next,              \
                                                  rows < 0 ? 0 : rows < share ? rows : share);                   \
                }                                                                                                \
            }                                                                                                    \
        }                                                                                                        \
    }
#define BML__PANEL_KERNEL(S, O, MR, TGT)                                                                         \
    BML__PANEL_TILE(S, f32, O, MR, TGT) BML__PANEL_TILE(S, f16, O, MR, TGT) BML__PANEL_TILE(S, bf16, O, MR, TGT) \
    BML__PANEL_GEMM(S, f32, O, MR, TGT) BML__PANEL_GEMM(S, f16, O, MR, TGT) BML__PANEL_GEMM(S, bf16, O, MR, TGT)

#define BML__TGT_NONE
BML__PANEL_KERNEL(generic, BML__G4, 6, BML__TGT_NONE)
#ifdef BML__X86
BML__PANEL_KERNEL(avx2, BML__V8, 6, BML__TGT_AVX2)
BML__PANEL_KERNEL(avx512, BML__V16, 8, BML__TGT_AVX512)
#endif
#ifdef BML__NEON
BML__PANEL_KERNEL(neon, BML__N4, 8, BML__TGT_NONE)
#endif

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
#if defined(__linux__)
    if (setenv("OPENBLAS_CORETYPE", want, 1) != 0) return;
    execv("/proc/self/exe", argv);
#else
    (void)argv; /* no /proc/self/exe: set OPENBLAS_CORETYPE before starting */
#endif
    /* exec failed: go on with the kernels we have */
}

#ifdef BML__PANELS
#if defined(__linux__)
extern int madvise(void *addr, size_t len, int advice);
#ifndef MADV_DONTNEED
#define MADV_DONTNEED 4
#endif
#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14
#endif
#endif
#define BML__HUGE ((size_t)2 << 20)
/* Floats after the last panel matrix, where bml__panel_gemm's prefetch of
   the panel after it points (one panel of the widest K). */
static size_t bml__panel_slack(const bml_config *c) {
    return BML__PW_MAX * (size_t)(c->intermediate > c->hidden ? c->intermediate : c->hidden);
}

/* Pack every dense weight of the encoder once (see bml__panel_gemm), in
   the model's wdt (16-bit weights stay 16-bit). The forward pass then
   reads only the panel copy: the pages of the original weights in the file
   mapping are given back (they come back from the file if the backward
   pass reads them), so memory stays at one copy. */
static bml_status bml__make_panels(bml_model *m) {
    const bml_config *c = &m->cfg;
    int H = c->hidden, I = c->intermediate, l, j, pw = m->k->pw;
    size_t per = 4 * bml__panel_floats(H, H, pw) + bml__panel_floats(I, H, pw) + bml__panel_floats(H, I, pw), off = 0, bytes;
    size_t es = m->wdt == BML__F32 ? sizeof(float) : 2;
    unsigned char *base, *raw;
    if ((size_t)c->layers > (SIZE_MAX / es - bml__panel_slack(c) - BML__HUGE / es) / per)
        return bml__fail(BML_ERR_NOMEM, "weight panels: too large");
    bytes = (per * (size_t)c->layers + bml__panel_slack(c)) * es;
    raw = (unsigned char *)BML_MALLOC(bytes + BML__HUGE);
    if (!raw) return bml__fail(BML_ERR_NOMEM, "out of memory laying out the weight panels (%zu MiB)",
                               per * (size_t)c->layers * es >> 20);
    m->panel_mem = raw;
    /* On 2 MiB boundaries, and on Linux asked for as transparent huge pages
       before the first write: a batch-1 pass streams all of it, and on
       4 KiB pages that was a TLB miss every 4 KiB (10,000 a pass) with the
       hardware prefetcher stopping at each page end. */
    base = raw + (BML__HUGE - ((uintptr_t)raw & (BML__HUGE - 1))) % BML__HUGE;
#if defined(__linux__)
    (void)madvise(base, bytes & ~(BML__HUGE - 1), MADV_HUGEPAGE);
#endif
    for (l = 0; l < c->layers; l++) {
        bml__layer *L = &m->layer[l];
        const void *w[6];
        const void **dst[6];
        int n[6], k[6];
        w[0] = L->wq; w[1] = L->wk; w[2] = L->wv; w[3] = L->wo; w[4] = L->w1; w[5] = L->w2;
        dst[0] = &L->panel_q; dst[1] = &L->panel_k; dst[2] = &L->panel_v;
        dst[3] = &L->panel_o; dst[4] = &L->panel_1; dst[5] = &L->panel_2;
        n[0] = n[1] = n[2] = n[3] = n[5] = k[0] = k[1] = k[2] = k[3] = k[4] = H;
        n[4] = k[5] = I;
        for (j = 0; j < 6; j++) {
            bml__panel_pack(w[j], n[j], k[j], pw, es, base + off * es);
            *dst[j] = base + off * es;
            off += bml__panel_floats(n[j], k[j], pw);
#if defined(__linux__)
            {   /* whole pages inside the mapping only */
                uintptr_t a = (uintptr_t)w[j], e = a + (size_t)n[j] * k[j] * es;
                uintptr_t ms = (uintptr_t)m->st.map, me = ms + m->st.size, pg = 4096;
                if (m->st.map && a >= ms && e <= me) {
                    a = (a + pg - 1) & ~(pg - 1);
                    e &= ~(pg - 1);
                    if (e > a) (void)madvise((void *)a, e - a, MADV_DONTNEED);
                }
            }
#endif
        }
    }
    return BML_OK;
}
#endif

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

#ifndef BATCHML_NO_OVERLAY
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
#endif

/* ---- exp and erf: each polynomial written once -------------------------
   over a set of operations, instantiated for one float (O = BML__S), 8
   lanes (BML__V8, AVX2) and 16 lanes (BML__V16, AVX-512). An op set names
   K(c) a constant, MUL, ADD, DIV, FMA(a, b, c) = a b + c, FNMA(a, b, c) =
   c - a b, MIN, MAX, ROUND (to nearest), SCALE(p, n) = p 2^n and
   EXP_TAIL(p, r) = p r^2 + r + 1, the last step of exp. EXP_TAIL is the one
   step whose rounding order differs by width, on purpose: the vector forms
   compute p (r r) + (r + 1) in one FMA, the scalar form ((p r) r + r) + 1 as
   it always has, so that no build's embeddings moved when the five copies
   became one (checked bitwise on AVX2 and AVX-512 builds).

   erf: a rational approximation on [-4, 4] (|error| < 5e-7).
   exp: 2^n e^r, n = round(x log2 e), r = x - n ln 2 with a two-part ln 2,
   a degree-6 polynomial (relative error ~1e-7); inputs below -87 give ~0,
   as they should in a softmax. */
#define BML__ERF_BODY(O, T, x)                                           \
    T x2_, p_, q_;                                                       \
    x = O##_MIN(O##_MAX(x, O##_K(-4.0f)), O##_K(4.0f));                  \
    x2_ = O##_MUL(x, x);                                                 \
    p_ = O##_K(-2.72614225801306e-10f);                                  \
    p_ = O##_FMA(p_, x2_, O##_K(2.77068142495902e-08f));                 \
    p_ = O##_FMA(p_, x2_, O##_K(-2.10102402082508e-06f));                \
    p_ = O##_FMA(p_, x2_, O##_K(-5.69250639462346e-05f));                \
    p_ = O##_FMA(p_, x2_, O##_K(-7.34990630326855e-04f));                \
    p_ = O##_FMA(p_, x2_, O##_K(-2.95459980854025e-03f));                \
    p_ = O##_FMA(p_, x2_, O##_K(-1.60960333262415e-02f));                \
    q_ = O##_K(-1.45660718464996e-05f);                                  \
    q_ = O##_FMA(q_, x2_, O##_K(-2.13374055278905e-04f));                \
    q_ = O##_FMA(q_, x2_, O##_K(-1.68282697438203e-03f));                \
    q_ = O##_FMA(q_, x2_, O##_K(-7.37332916720468e-03f));                \
    q_ = O##_FMA(q_, x2_, O##_K(-1.42647390514189e-02f));                \
    return O##_DIV(O##_MUL(x, p_), q_);

#define BML__EXP_BODY(O, T, x)                                           \
    T n_, r_, p_;                                                        \
    x = O##_MIN(O##_MAX(x, O##_K(-87.0f)), O##_K(88.0f));                \
    n_ = O##_ROUND(O##_MUL(x, O##_K(1.44269504088896341f)));             \
    r_ = O##_FMA(n_, O##_K(2.12194440e-4f), O##_FNMA(n_, O##_K(0.693359375f), x)); \
    p_ = O##_K(1.9875691500e-4f);                                        \
    p_ = O##_FMA(p_, r_, O##_K(1.3981999507e-3f));                       \
    p_ = O##_FMA(p_, r_, O##_K(8.3334519073e-3f));                       \
    p_ = O##_FMA(p_, r_, O##_K(4.1665795894e-2f));                       \
    p_ = O##_FMA(p_, r_, O##_K(1.6666665459e-1f));                       \
    p_ = O##_FMA(p_, r_, O##_K(5.0000001201e-1f));                       \
    p_ = O##_EXP_TAIL(p_, r_);                                           \
    return O##_SCALE(p_, n_);

/* p 2^n for an integral n in [-126, 127] (the exponent field, built) */
static float bml__scale2(float p, float n) {
    float s;
    int32_t bits = ((int32_t)n + 127) * (1 << 23);
    memcpy(&s, &bits, 4);
    return p * s;
}
static inline float bml__erf(float x) { BML__ERF_BODY(BML__S, float, x) }
static inline float bml__exp(float x) { BML__EXP_BODY(BML__S, float, x) }
#ifdef BML__X86
BML__TGT_AVX2 static inline __m256 bml__erf8(__m256 x) { BML__ERF_BODY(BML__V8, __m256, x) }
BML__TGT_AVX2 static inline __m256 bml__exp8(__m256 x) { BML__EXP_BODY(BML__V8, __m256, x) }
BML__TGT_AVX512 static inline __m512 bml__exp16(__m512 x) { BML__EXP_BODY(BML__V16, __m512, x) }
#endif

/* ---- element-wise kernels of each set ----------------------------------
   GELU, exact (erf) form: y = u/2 (1 + erf(u / sqrt 2)); its backward g *=
   gelu'(u) = (1 + erf(u / sqrt 2)) / 2 + u phi(u); softmax of rows in
   place. GCC keeps the scalar loops scalar (the clamps become branches
   under its default trapping math: GELU was 13% of a batch-32 pass on an
   AVX2 machine), so the x86 sets run them 8 lanes at a time with the steps
   of bml__erf / bml__exp (the AVX-512 set runs AVX2's GELU: its softmax is
   inside its attention kernel), and NEON 4 at a time (softmax too). Every lane does the
   same operations, so an element's value does not depend on where the row
   split put it. */
static void bml__gelu_generic(const float *u, float *y, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) y[i] = 0.5f * u[i] * (1.0f + bml__erf(u[i] * 0.70710678118654752f));
}
#ifndef BATCHML_NO_OVERLAY
static void bml__gelu_bwd_generic(const float *u, float *g, size_t n) {
    size_t i;
    for (i = 0; i < n; i++)
        g[i] *= 0.5f * (1.0f + bml__erf(u[i] * 0.70710678118654752f)) +
                u[i] * 0.39894228040143268f * bml__exp(-0.5f * u[i] * u[i]);
}
#endif
static void bml__softmax_generic(float *S, int rows, int L) {
    int i, j;
    for (i = 0; i < rows; i++) {
        float *row = S + (size_t)i * L, mx = row[0], sum = 0;
        for (j = 1; j < L; j++) mx = row[j] > mx ? row[j] : mx;
        for (j = 0; j < L; j++) { row[j] = bml__exp(row[j] - mx); sum += row[j]; }
        sum = 1.0f / sum;
        for (j = 0; j < L; j++) row[j] *= sum;
    }
}

#ifdef BML__NEON
static inline float32x4_t bml__erf4(float32x4_t x) { BML__ERF_BODY(BML__N4, float32x4_t, x) }
static inline float32x4_t bml__exp4(float32x4_t x) { BML__EXP_BODY(BML__N4, float32x4_t, x) }
static void bml__gelu_neon(const float *u, float *y, size_t n) {
    size_t i;
    for (i = 0; i < n; i += 4) {
        int k = n - i < 4 ? (int)(n - i) : 4;
        float32x4_t x = bml__n4_loadm(k, u + i), h = vmulq_f32(vdupq_n_f32(0.5f), x);
        float32x4_t e = bml__erf4(vmulq_f32(x, vdupq_n_f32(0.70710678118654752f)));
        bml__n4_storem(y + i, k, vfmaq_f32(h, h, e));
    }
}
#ifndef BATCHML_NO_OVERLAY
static void bml__gelu_bwd_neon(const float *u, float *g, size_t n) {
    size_t i;
    for (i = 0; i < n; i += 4) {
        int k = n - i < 4 ? (int)(n - i) : 4;
        float32x4_t x = bml__n4_loadm(k, u + i), half = vdupq_n_f32(0.5f);
        float32x4_t e = bml__erf4(vmulq_f32(x, vdupq_n_f32(0.70710678118654752f)));
        float32x4_t phi = vmulq_f32(vdupq_n_f32(0.39894228040143268f),
                                    bml__exp4(vmulq_f32(vmulq_f32(vdupq_n_f32(-0.5f), x), x)));
        float32x4_t d = vfmaq_f32(vfmaq_f32(half, half, e), x, phi);
        bml__n4_storem(g + i, k, vmulq_f32(bml__n4_loadm(k, g + i), d));
    }
}
#endif
/* As bml__softmax_avx2, 4 lanes at a time; lanes past the row's end are
   zeroed before the sum. */
static void bml__softmax_neon(float *S, int rows, int L) {
    static const uint32_t iota[4] = {0, 1, 2, 3};
    uint32x4_t idx = vld1q_u32(iota);
    int i, j;
    for (i = 0; i < rows; i++) {
        float *row = S + (size_t)i * L, mx = row[0], sum;
        float32x4_t vs = vdupq_n_f32(0.0f), vm;
        for (j = 1; j < L; j++) mx = row[j] > mx ? row[j] : mx;
        vm = vdupq_n_f32(mx);
        for (j = 0; j < L; j += 4) {
            int k = L - j < 4 ? L - j : 4;
            uint32x4_t live = vcltq_u32(idx, vdupq_n_u32((uint32_t)k));
            float32x4_t e = bml__exp4(vsubq_f32(bml__n4_loadm(k, row + j), vm));
            e = vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(e), live));
            bml__n4_storem(row + j, k, e);
            vs = vaddq_f32(vs, e);
        }
        sum = (vgetq_lane_f32(vs, 0) + vgetq_lane_f32(vs, 2)) + (vgetq_lane_f32(vs, 1) + vgetq_lane_f32(vs, 3));
        vm = vdupq_n_f32(1.0f / sum);
        for (j = 0; j < L; j += 4) {
            int k = L - j < 4 ? L - j : 4;
            bml__n4_storem(row + j, k, vmulq_f32(bml__n4_loadm(k, row + j), vm));
        }
    }
}
#endif

#ifdef BML__X86
BML__TGT_AVX2 static void bml__gelu_avx2(const float *u, float *y, size_t n) {
    size_t i;
    for (i = 0; i < n; i += 8) {
        __m256i mk = bml__mask8(n - i);
        __m256 x = _mm256_maskload_ps(u + i, mk), h = _mm256_mul_ps(_mm256_set1_ps(0.5f), x);
        __m256 e = bml__erf8(_mm256_mul_ps(x, _mm256_set1_ps(0.70710678118654752f)));
        _mm256_maskstore_ps(y + i, mk, _mm256_fmadd_ps(h, e, h));
    }
}
#ifndef BATCHML_NO_OVERLAY
BML__TGT_AVX2 static void bml__gelu_bwd_avx2(const float *u, float *g, size_t n) {
    size_t i;
    for (i = 0; i < n; i += 8) {
        __m256i mk = bml__mask8(n - i);
        __m256 x = _mm256_maskload_ps(u + i, mk), half = _mm256_set1_ps(0.5f);
        __m256 e = bml__erf8(_mm256_mul_ps(x, _mm256_set1_ps(0.70710678118654752f)));
        __m256 phi = _mm256_mul_ps(_mm256_set1_ps(0.39894228040143268f),
                                   bml__exp8(_mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(-0.5f), x), x)));
        __m256 d = _mm256_fmadd_ps(x, phi, _mm256_fmadd_ps(half, e, half));
        _mm256_maskstore_ps(g + i, mk, _mm256_mul_ps(_mm256_maskload_ps(g + i, mk), d));
    }
}
#endif
/* The row's max, then e^(x - max) 8 lanes at a time summed in 8 lanes, the
   lanes added in a fixed tree. */
BML__TGT_AVX2 static void bml__softmax_avx2(float *S, int rows, int L) {
    int i, j;
    for (i = 0; i < rows; i++) {
        float *row = S + (size_t)i * L, mx = row[0], lanes[8], sum;
        __m256 vs = _mm256_setzero_ps(), vm;
        for (j = 1; j < L; j++) mx = row[j] > mx ? row[j] : mx;
        vm = _mm256_set1_ps(mx);
        for (j = 0; j < L; j += 8) {
            __m256i mk = bml__mask8((size_t)(L - j));
            __m256 e = bml__exp8(_mm256_sub_ps(_mm256_maskload_ps(row + j, mk), vm));
            e = _mm256_and_ps(e, _mm256_castsi256_ps(mk));
            _mm256_maskstore_ps(row + j, mk, e);
            vs = _mm256_add_ps(vs, e);
        }
        _mm256_storeu_ps(lanes, vs);
        sum = ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
        vm = _mm256_set1_ps(1.0f / sum);
        for (j = 0; j < L; j += 8) {
            __m256i mk = bml__mask8((size_t)(L - j));
            _mm256_maskstore_ps(row + j, mk, _mm256_mul_ps(_mm256_maskload_ps(row + j, mk), vm));
        }
    }
}
#endif

/* ---- attention of one (sequence, head) ----------------------------------
   On any kernel set, from its tile kernel: P [L,L] = softmax(q k^T *
   scale) by rows, ctx = P v, each product a row of tiles over a copy of k^T
   (scratch W, [d, L]) or over v as stored. Every output element is one
   chain in a fixed order, so the result does not depend on the batch. */

/* out[R, D] = A[R, L] . B[L, D]: A's element (r, j) at A + r ars + j acs
   (so A may be a transpose: copied to tmp [R, L] first), row j of B at B +
   j ldb, out's rows ldo apart. */
static void bml__amm_tiles(const struct bml__kernels *ks, int R, int L, int D, const float *A, size_t ars, size_t acs,
                           const float *B, size_t ldb, float *out, size_t ldo, float *tmp);

#ifdef BML__X86
/* The AVX-512 set's own attention: queries 16 at a time with a column of S
   in each vector (lane i = query i), so softmax's max and sum run across
   vectors with no horizontal reductions; 16 x 16 transposes bring q in and
   P out. At L = 16 it is 3.3x the two small sgemm calls and scalar softmax
   it replaced (1.03 -> 0.31 us per head, d = 32), 3.1x at L = 32. */

/* In-register transpose of a 16 x 16 block: r[i] lane j <-> r[j] lane i. */
BML__TGT_AVX512 static void bml__tr16(__m512 r[16]) {
    __m512 t[16];
    int i;
    for (i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (i = 0; i < 4; i++) {
        __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 1]);
        __m512d c = _mm512_castps_pd(t[4 * i + 2]), d = _mm512_castps_pd(t[4 * i + 3]);
        r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    for (i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xdd);
        t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xdd);
    }
    for (i = 0; i < 8; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
    }
}

/* bml__amm_tiles for AVX-512, with no copy of a transposed A: blocks of 8
   rows x 32 columns in registers, one chain over j in order per element.
   Rows past R repeat the last and are not stored. */
BML__TGT_AVX512 static void bml__amm_avx512(int R, int L, int D, const float *A, size_t ars, size_t acs, const float *B,
                                            size_t ldb, float *out, size_t ldo) {
    int i, j, c, r;
    for (i = 0; i < R; i += 8) {
        const float *ar[8];
        for (r = 0; r < 8; r++) ar[r] = A + (size_t)(i + r < R ? i + r : R - 1) * ars;
        for (c = 0; c < D; c += 32) {
            __m512 a0[8], a1[8];
            __mmask16 m0 = bml__mask16(D - c), m1 = bml__mask16(D - c - 16);
            for (r = 0; r < 8; r++) a0[r] = a1[r] = _mm512_setzero_ps();
            for (j = 0; j < L; j++) {
                __m512 b0 = _mm512_maskz_loadu_ps(m0, B + (size_t)j * ldb + c);
                __m512 b1 = _mm512_maskz_loadu_ps(m1, B + (size_t)j * ldb + c + 16);
                for (r = 0; r < 8; r++) {
                    __m512 x = _mm512_set1_ps(ar[r][(size_t)j * acs]);
                    a0[r] = _mm512_fmadd_ps(x, b0, a0[r]);
                    a1[r] = _mm512_fmadd_ps(x, b1, a1[r]);
                }
            }
            for (r = 0; r < 8 && i + r < R; r++) {
                _mm512_mask_storeu_ps(out + (size_t)(i + r) * ldo + c, m0, a0[r]);
                _mm512_mask_storeu_ps(out + (size_t)(i + r) * ldo + c + 16, m1, a1[r]);
            }
        }
    }
}

/* L tokens, head width d; q, k, v, ctx rows H floats apart. Scratch at W:
   Q^T [d,16] and S^T [L rounded to 16, 16]. Rows past L repeat the last
   token and are not stored. */
BML__TGT_AVX512 static void bml__attn_avx512(const struct bml__kernels *ks, int L, int d, int H, float scale,
                                             const float *q, const float *k, const float *v, float *P, float *W,
                                             float *ctx) {
    float *Qt = W, *St = W + (size_t)d * 16;
    int Lp = (L + 15) & ~15, ib, i, j, jb, c, r;
    (void)ks;
    for (ib = 0; ib < L; ib += 16) {
        __m512 mx = _mm512_set1_ps(-INFINITY), sum = _mm512_setzero_ps(), inv;
        int nI = L - ib < 16 ? L - ib : 16;
        for (c = 0; c < d; c += 16) {                              /* Q^T for queries ib.. */
            __m512 t[16];
            __mmask16 m = bml__mask16(d - c);
            for (i = 0; i < 16; i++) t[i] = _mm512_maskz_loadu_ps(m, q + (size_t)(ib + (i < nI ? i : nI - 1)) * H + c);
            bml__tr16(t);
            for (i = 0; i < 16 && c + i < d; i++) _mm512_storeu_ps(Qt + (size_t)(c + i) * 16, t[i]);
        }
        for (jb = 0; jb < L; jb += 8) {                            /* S^T[j] = k_j q^T * scale */
            __m512 acc[8];
            const float *kr[8];
            for (r = 0; r < 8; r++) {
                kr[r] = k + (size_t)(jb + r < L ? jb + r : L - 1) * H;
                acc[r] = _mm512_setzero_ps();
            }
            for (c = 0; c < d; c++) {
                __m512 qc = _mm512_loadu_ps(Qt + (size_t)c * 16);
                for (r = 0; r < 8; r++) acc[r] = _mm512_fmadd_ps(qc, _mm512_set1_ps(kr[r][c]), acc[r]);
            }
            for (r = 0; r < 8 && jb + r < L; r++) {
                acc[r] = _mm512_mul_ps(acc[r], _mm512_set1_ps(scale));
                mx = _mm512_max_ps(mx, acc[r]);
                _mm512_storeu_ps(St + (size_t)(jb + r) * 16, acc[r]);
            }
        }
        for (j = 0; j < L; j++) {                                  /* softmax over j, per lane */
            __m512 e = bml__exp16(_mm512_sub_ps(_mm512_loadu_ps(St + (size_t)j * 16), mx));
            _mm512_storeu_ps(St + (size_t)j * 16, e);
            sum = _mm512_add_ps(sum, e);
        }
        inv = _mm512_div_ps(_mm512_set1_ps(1.0f), sum);
        for (jb = 0; jb < Lp; jb += 16) {                          /* P rows ib.. = (S^T)^T / sum */
            __m512 t[16];
            __mmask16 m = bml__mask16(L - jb);
            for (j = 0; j < 16; j++)
                t[j] = jb + j < L ? _mm512_mul_ps(_mm512_loadu_ps(St + (size_t)(jb + j) * 16), inv) : _mm512_setzero_ps();
            bml__tr16(t);
            for (i = 0; i < nI; i++) _mm512_mask_storeu_ps(P + (size_t)(ib + i) * L + jb, m, t[i]);
        }
    }
    bml__amm_avx512(L, L, d, P, (size_t)L, 1, v, (size_t)H, ctx, (size_t)H);   /* ctx = P v */
}
#endif

/* ---- the kernel table: the one seam where an ISA plugs in ----------------
   A kernel set is its panel kernel (tile and GEMM, with the panel width and
   tile rows the weights are packed for), its element-wise kernels and its
   attention. bml_model_load picks one (bml__kernels_choose) and every
   dense layer, attention and GELU of the CPU path goes through it. */

static void bml__amm_tiles(const bml__kernels *ks, int R, int L, int D, const float *A, size_t ars, size_t acs,
                           const float *B, size_t ldb, float *out, size_t ldo, float *tmp) {
    int i, c;
    if (ks->amm) {
        ks->amm(R, L, D, A, ars, acs, B, ldb, out, ldo);
        return;
    }
    if (acs != 1) {
        int j;
        for (i = 0; i < R; i++)
            for (j = 0; j < L; j++) tmp[(size_t)i * L + j] = A[(size_t)i * ars + (size_t)j * acs];
        A = tmp;
        ars = (size_t)L;
    }
    for (c = 0; c < D; c += ks->pw)
        for (i = 0; i < R; i += ks->mr)
            ks->tile(R - i < ks->mr ? R - i : ks->mr, D - c < ks->pw ? D - c : ks->pw, L, A + (size_t)i * ars,
                     (int)ars, B + c, ldb, NULL, out + (size_t)i * ldo + c, (int)ldo, 0, NULL, 0);
}

/* Attention from the tiles: scratch W holds k^T [d, L]. */
static void bml__attn_tiles(const bml__kernels *ks, int L, int d, int H, float scale, const float *q, const float *k,
                            const float *v, float *P, float *W, float *ctx) {
    int i, c;
    size_t n = (size_t)L * L, e;
    for (i = 0; i < L; i++)
        for (c = 0; c < d; c++) W[(size_t)c * L + i] = k[(size_t)i * H + c];
    bml__amm_tiles(ks, L, d, L, q, (size_t)H, 1, W, (size_t)L, P, (size_t)L, NULL);    /* S = q k^T       [L,L] */
    for (e = 0; e < n; e++) P[e] *= scale;
    ks->softmax(P, L, L);                                                            /* P = softmax(S)  [L,L] */
    bml__amm_tiles(ks, L, L, d, P, (size_t)L, 1, v, (size_t)H, ctx, (size_t)H, NULL); /* ctx = P v       [L,d] */
}

#ifdef BATCHML_NO_OVERLAY
#define BML__BWD(f) NULL
#else
#define BML__BWD(f) f
#endif
static const bml__kernels bml__ks_generic = {
    BML_ISA_GENERIC, 2 * BML__G4_VL, 6, bml__panel_tile_generic_f32, bml__panel_gemm_generic_f32,
    bml__panel_gemm_generic_f16, bml__panel_gemm_generic_bf16, bml__gelu_generic, BML__BWD(bml__gelu_bwd_generic),
    bml__softmax_generic, bml__attn_tiles, NULL};
#ifdef BML__X86
static const bml__kernels bml__ks_avx2 = {
    BML_ISA_AVX2, 16, 6, bml__panel_tile_avx2_f32, bml__panel_gemm_avx2_f32, bml__panel_gemm_avx2_f16,
    bml__panel_gemm_avx2_bf16, bml__gelu_avx2, BML__BWD(bml__gelu_bwd_avx2), bml__softmax_avx2, bml__attn_tiles, NULL};
static const bml__kernels bml__ks_avx512 = {
    BML_ISA_AVX512, 32, 8, bml__panel_tile_avx512_f32, bml__panel_gemm_avx512_f32, bml__panel_gemm_avx512_f16,
    bml__panel_gemm_avx512_bf16, bml__gelu_avx2, BML__BWD(bml__gelu_bwd_avx2), bml__softmax_avx2, bml__attn_avx512,
    bml__amm_avx512};
#endif
#ifdef BML__NEON
static const bml__kernels bml__ks_neon = {
    BML_ISA_NEON, 8, 8, bml__panel_tile_neon_f32, bml__panel_gemm_neon_f32, bml__panel_gemm_neon_f16,
    bml__panel_gemm_neon_bf16, bml__gelu_neon, BML__BWD(bml__gelu_bwd_neon), bml__softmax_neon, bml__attn_tiles, NULL};
#endif
#undef BML__BWD

/* What the CPU offers and the OS has enabled. */
typedef struct bml__cpu {
    int avx2, fma, f16c, avx512f, avx512bw, avx512dq, avx512vl, avx512vnni, avx512bf16, avxvnni, amx_tile, amx_int8,
        amx_bf16, asimd, asimddp, i8mm, bf16;
} bml__cpu;

static void bml__cpu_detect(bml__cpu *c) {
    memset(c, 0, sizeof *c);
#ifdef BML__X86
    {
        unsigned a = 0, b = 0, cx = 0, d = 0, xlo = 0, xhi = 0, max = __get_cpuid_max(0, NULL);
        int osavx = 0, os512 = 0, osamx = 0;
        if (max >= 1 && __get_cpuid(1, &a, &b, &cx, &d)) {
            if ((cx >> 27) & 1) __asm__ __volatile__("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0)); /* OSXSAVE */
            osavx = ((cx >> 28) & 1) && (xlo & 6) == 6;          /* AVX, and XMM + YMM state enabled */
            os512 = osavx && (xlo & 0xe0) == 0xe0;               /* opmask, ZMM0-15 high, ZMM16-31     */
            osamx = ((xlo >> 17) & 3) == 3;                      /* XTILECFG, XTILEDATA                */
            c->fma = osavx && ((cx >> 12) & 1);
            c->f16c = osavx && ((cx >> 29) & 1);
        }
        (void)xhi;
        if (max >= 7 && __get_cpuid_count(7, 0, &a, &b, &cx, &d)) {
            unsigned sub = a;
            c->avx2 = osavx && ((b >> 5) & 1);
            c->avx512f = os512 && ((b >> 16) & 1);
            c->avx512dq = os512 && ((b >> 17) & 1);
            c->avx512bw = os512 && ((b >> 30) & 1);
            c->avx512vl = os512 && ((b >> 31) & 1);
            c->avx512vnni = os512 && ((cx >> 11) & 1);
            c->amx_bf16 = osamx && ((d >> 22) & 1);
            c->amx_tile = osamx && ((d >> 24) & 1);
            c->amx_int8 = osamx && ((d >> 25) & 1);
            if (sub >= 1 && __get_cpuid_count(7, 1, &a, &b, &cx, &d)) {
                c->avxvnni = osavx && ((a >> 4) & 1);
                c->avx512bf16 = os512 && ((a >> 5) & 1);
            }
        }
    }
#endif
#if defined(__aarch64__)
    c->asimd = 1; /* part of the base ISA */
#if defined(__linux__) && defined(BML__NEON)
    {
        unsigned long h1 = getauxval(16 /* AT_HWCAP */), h2 = getauxval(26 /* AT_HWCAP2 */);
        c->asimddp = (h1 >> 20) & 1; /* HWCAP_ASIMDDP */
        c->i8mm = (h2 >> 13) & 1;    /* HWCAP2_I8MM */
        c->bf16 = (h2 >> 14) & 1;    /* HWCAP2_BF16 */
    }
#endif
#endif
}

static const bml__kernels *bml__kernels_of(bml_isa isa) {
    switch (isa) {
    case BML_ISA_GENERIC: return &bml__ks_generic;
#ifdef BML__X86
    case BML_ISA_AVX2: return &bml__ks_avx2;
    case BML_ISA_AVX512: return &bml__ks_avx512;
#endif
#ifdef BML__NEON
    case BML_ISA_NEON: return &bml__ks_neon;
#endif
    default: return NULL;
    }
}

/* The CPU features a kernel set needs it lacks, as names ("" when none). */
static const char *bml__isa_lacks(bml_isa isa, const bml__cpu *c, char *buf, size_t cap) {
    size_t n = 0;
    buf[0] = 0;
#define BML__NEED(flag, name) if (!c->flag && n + sizeof name + 1 < cap) n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? " " : "", name);
    switch (isa) {
    case BML_ISA_AVX2: BML__NEED(avx2, "avx2") BML__NEED(fma, "fma") BML__NEED(f16c, "f16c") break;
    case BML_ISA_AVX512:
        BML__NEED(avx512f, "avx512f") BML__NEED(avx512bw, "avx512bw") BML__NEED(avx512dq, "avx512dq")
        BML__NEED(avx512vl, "avx512vl") BML__NEED(avx2, "avx2") BML__NEED(fma, "fma") BML__NEED(f16c, "f16c") break;
    case BML_ISA_NEON: BML__NEED(asimd, "asimd") break;
    default: break;
    }
#undef BML__NEED
    return buf;
}

BMLDEF const char *bml_isa_name(bml_isa isa) {
    switch (isa) {
    case BML_ISA_AUTO: return "auto";
    case BML_ISA_GENERIC: return "generic";
    case BML_ISA_AVX2: return "avx2";
    case BML_ISA_AVX512: return "avx512";
    case BML_ISA_NEON: return "neon";
    }
    return "?";
}

BMLDEF bml_status bml_isa_parse(const char *name, bml_isa *out) {
    int i;
    for (i = BML_ISA_AUTO; i <= BML_ISA_NEON; i++)
        if (name && !strcmp(name, bml_isa_name((bml_isa)i))) {
            if (out) *out = (bml_isa)i;
            return BML_OK;
        }
    return bml__fail(BML_ERR_INVALID_ARG, "'%s' is not a kernel set (auto, generic, avx2, avx512, neon)",
                     name ? name : "(null)");
}

BMLDEF int bml_isa_supported(bml_isa isa) {
    bml__cpu c;
    char lacks[96];
    if (!bml__kernels_of(isa)) return 0;
    bml__cpu_detect(&c);
    return bml__isa_lacks(isa, &c, lacks, sizeof lacks)[0] == 0;
}

BMLDEF bml_isa bml_isa_best(void) {
    static const bml_isa order[] = {BML_ISA_AVX512, BML_ISA_AVX2, BML_ISA_NEON, BML_ISA_GENERIC};
    size_t i;
    for (i = 0; i < sizeof order / sizeof order[0]; i++)
        if (bml_isa_supported(order[i])) return order[i];
    return BML_ISA_GENERIC; /* every build has it */
}

BMLDEF const char *bml_cpu_features(void) {
    static BML__TLS char buf[256];
    bml__cpu c;
    size_t n = 0;
    bml__cpu_detect(&c);
    buf[0] = 0;
#define BML__HAS(flag, name) if (c.flag) n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", n ? " " : "", name);
    BML__HAS(avx2, "avx2") BML__HAS(fma, "fma") BML__HAS(f16c, "f16c") BML__HAS(avx512f, "avx512f")
    BML__HAS(avx512bw, "avx512bw") BML__HAS(avx512dq, "avx512dq") BML__HAS(avx512vl, "avx512vl")
    BML__HAS(avx512vnni, "avx512_vnni")
    BML__HAS(avx512bf16, "avx512_bf16") BML__HAS(avxvnni, "avx_vnni") BML__HAS(amx_tile, "amx_tile")
    BML__HAS(amx_int8, "amx_int8") BML__HAS(amx_bf16, "amx_bf16") BML__HAS(asimd, "asimd")
    BML__HAS(asimddp, "asimddp") BML__HAS(i8mm, "i8mm") BML__HAS(bf16, "bf16")
#undef BML__HAS
    return buf;
}

/* The kernel set for desc.isa: BML_ISA_AUTO takes BATCHML_ISA from the
   environment, else the best this CPU runs. One this build or this CPU
   lacks is an error that says which and what the CPU has. */
static bml_status bml__kernels_choose(bml_isa want, const bml__kernels **out) {
    const char *env = getenv("BATCHML_ISA"), *from = "desc.isa";
    bml__cpu c;
    char lacks[96];
    *out = NULL;
    if (want == BML_ISA_AUTO && env && env[0]) {
        if (bml_isa_parse(env, &want) != BML_OK)
            return bml__fail(BML_ERR_INVALID_ARG, "BATCHML_ISA=%s: not a kernel set (auto, generic, avx2, avx512, neon)", env);
        from = "BATCHML_ISA";
    }
    if ((int)want < BML_ISA_AUTO || (int)want > BML_ISA_NEON)
        return bml__fail(BML_ERR_INVALID_ARG, "desc.isa = %d: not a kernel set", (int)want);
    if (want == BML_ISA_AUTO) want = bml_isa_best();
    if (!(*out = bml__kernels_of(want)))
        return bml__fail(BML_ERR_UNSUPPORTED, "%s=%s: this build has no %s kernels (it was compiled for another "
                         "architecture or with BATCHML_NO_SIMD)", from, bml_isa_name(want), bml_isa_name(want));
    bml__cpu_detect(&c);
    if (bml__isa_lacks(want, &c, lacks, sizeof lacks)[0]) {
        const char *f = bml_cpu_features();
        *out = NULL;
        return bml__fail(BML_ERR_UNSUPPORTED, "%s=%s: this CPU lacks %s (cpu: %s)", from, bml_isa_name(want), lacks,
                         f[0] ? f : "no SIMD features known");
    }
    return BML_OK;
}

BMLDEF bml_isa bml_model_isa(const bml_model *m) { return m && m->k ? m->k->isa : BML_ISA_AUTO; }

/* ======================================================================
   >>forward  Encoder forward pass. Tokens of all sequences in a batch are
   packed into one token-major matrix [T, H] (T = sum of lengths, no
   padding) for the dense layers; attention runs per sequence and head on
   its true length.
   ====================================================================== */

/* Split `n` items into `parts` near-equal ranges; range i is [*a, *b). */
static void bml__range(size_t n, size_t parts, size_t i, size_t *a, size_t *b) {
    *a = n * i / parts;
    *b = n * (i + 1) / parts;
}

/* The kernel set's panel GEMM for weights of dtype wdt, B + off elements. */
static void bml__gemm_w(const bml__kernels *ks, int wdt, int M, int N, int K, const float *X, const void *B, size_t off,
                        size_t ldb, size_t pstride, const float *b, float *Y, int ldy, int acc, float *buf) {
    if (wdt == BML__F32)
        ks->gemm(M, N, K, X, (const float *)B + off, ldb, pstride, b, Y, ldy, acc, buf);
    else
        (wdt == BML__F16 ? ks->gemm_f16 : ks->gemm_bf16)(M, N, K, X, (const uint16_t *)B + off, ldb, pstride, b, Y,
                                                         ldy, acc, buf);
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
    /* the panel kernel of the model's kernel set (fixed order per element,
       so deterministic too): forward on the weight panels, backward on W
       as stored */
    if (f->Wp || (bwd && f->m->panel_mem)) {
        const bml__kernels *ks = f->m->k;
        size_t pw = (size_t)ks->pw;
        const void *B = f->Wp ? f->Wp : f->W;
        size_t ldb = f->Wp ? pw : (size_t)f->N, pstride = f->Wp ? pw * (size_t)f->K : pw;
        float *buf = f->panel ? f->panel + (size_t)worker * f->panel_per : NULL;
        if (f->split_rows) {
            bml__range((size_t)f->M, (size_t)f->nsplit, task, &a, &b);
            bml__gemm_w(ks, f->m->wdt, (int)(b - a), f->N, f->K, f->X + a * f->K, B, 0, ldb, pstride, f->b,
                        f->Y + a * f->N, f->N, f->accumulate, buf);
        } else {
            size_t np = ((size_t)f->N + pw - 1) / pw;
            bml__range(np, (size_t)f->nsplit, task, &a, &b);
            if (a < b)
                bml__gemm_w(ks, f->m->wdt, f->M, (int)((b * pw > (size_t)f->N ? (size_t)f->N : b * pw) - a * pw),
                            f->K, f->X, B, a * pstride, ldb, pstride, f->b ? f->b + a * pw : NULL, f->Y + a * pw,
                            f->N, f->accumulate, buf);
        }
        return;
    }
    BML_ASSERT(f->m->wdt == BML__F32); /* (16-bit weights only ever run on panels) */
    if (f->split_rows) {
        bml__range((size_t)f->M, (size_t)f->nsplit, task, &a, &b);
        if (f->b) for (r = a; r < b; r++) memcpy(f->Y + r * f->N, f->b, (size_t)f->N * sizeof(float));
        bml__gemm(det, 0, !bwd, (int)(b - a), f->N, f->K, 1.0f, f->X + a * f->K, f->K, (const float *)f->W,
                  bwd ? f->N : f->K, beta,
                  f->Y + a * f->N, f->N);
    } else {
        size_t n16 = ((size_t)f->N + 15) / 16;
        bml__range(n16, (size_t)f->nsplit, task, &a, &b);
        a *= 16;
        b *= 16;
        if (b > (size_t)f->N) b = (size_t)f->N;
        if (a >= b) return;
        if (f->b) for (r = 0; r < (size_t)f->M; r++) memcpy(f->Y + r * f->N + a, f->b + a, (b - a) * sizeof(float));
        bml__gemm(det, 0, !bwd, f->M, (int)(b - a), f->K, 1.0f, f->X, f->K,
                  bwd ? (const float *)f->W + a : (const float *)f->W + a * f->K,
                  bwd ? f->N : f->K, beta, f->Y + a, f->N);
    }
}

static void bml__linear_run(bml__fwd *f, const float *X, int M, int K, const void *W, const void *Wp, const float *b,
                            int N, float *Y, int accumulate) {
    int th = f->m->threads;
    f->X = X; f->W = W; f->Wp = Wp; f->b = b; f->Y = Y; f->M = M; f->K = K; f->N = N; f->accumulate = accumulate;
    f->split_rows = M >= 32 * th || th == 1;
    f->nsplit = th;
    if (f->split_rows && M < th) f->nsplit = M;
    bml__workers_run(f->m->workers, (size_t)f->nsplit, bml__linear_task, f);
}

/* Y[M,N] = X[M,K] . W[N,K]^T + b                       (a dense layer)
   Wp: the same W in panels, or NULL (then OpenBLAS / the built-in GEMM).   */
static void bml__linear(bml__fwd *f, const float *X, int M, int K, const void *W, const void *Wp, const float *b, int N,
                        float *Y) {
    bml__linear_run(f, X, M, K, W, Wp, b, N, Y, 0);
}

/* Row id of the word embeddings as float32: in place, or widened into tmp
   [H] (16-bit weights). */
static const float *bml__word_row(const bml_model *m, int32_t id, float *tmp) {
    size_t H = (size_t)m->cfg.hidden;
    if (m->wdt == BML__F32) return (const float *)m->word + (size_t)id * H;
    bml__widen16(m->wdt, (const unsigned char *)m->word + (size_t)id * H * 2, tmp, H);
    return tmp;
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
        const float *w = bml__word_row(m, f->ids[s][p], x), *ps = m->pos + p * H;
        int i;
        for (i = 0; i < H; i++) x[i] = a * w[i] + ps[i] + m->type[i];
        bml__layernorm_fwd(x, m->ln0_g, m->ln0_b, x, H, m->cfg.layer_norm_eps,
                           f->xhat0 ? f->xhat0 + t * H : f->scratch + (size_t)worker * f->scratch_per,
                           f->rstd0 ? f->rstd0 + t : NULL);
    }
}

/* Self-attention of one (sequence, head): ctx = softmax(q k^T / sqrt(d)) v,
   by the kernel set's attention (>>kernels: one fixed-order chain per
   element, so it does not depend on the batch). q, k, v, ctx are [L, d]
   slices of the packed [T, H] matrices; P [L,L] is kept (grad mode) or
   scratch. */
static void bml__attn_task(void *ctx, size_t task, int worker) {
    bml__fwd *f = (bml__fwd *)ctx;
    bml_model *m = f->m;
    int H = m->cfg.hidden, A = m->cfg.heads, d = H / A;
    size_t s = task / (size_t)A, h = task % (size_t)A, t0 = f->start[s];
    int L = (int)f->len[s];
    float *W = f->scratch + (size_t)worker * f->scratch_per;
    float *S = f->lP ? f->lP + f->poff[s] + h * (size_t)L * L : W;
    size_t off = t0 * H + h * d;
    m->k->attn(m->k, L, d, H, 1.0f / sqrtf((float)d), f->lq + off, f->lk + off, f->lv + off, S, W + (size_t)L * L,
               f->ctx + off);
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
    bml__workers_run(f->m->workers, (size_t)f->m->threads, bml__add_ln_task, f);
}

/* ffn = gelu(u), gelu(u) = u/2 (1 + erf(u / sqrt 2)) (exact, not tanh). */
static void bml__gelu_task(void *ctx, size_t task, int worker) {
    bml__fwd *f = (bml__fwd *)ctx;
    size_t a, b, n = f->T * (size_t)f->m->cfg.intermediate;
    const float *u = f->gelu_in;
    float *y = f->ffn;
    (void)worker;
    bml__range(n, (size_t)f->m->threads, task, &a, &b);
    f->m->k->gelu(u + a, y + a, b - a);
}

/* ======================================================================
   >>pooling  Pooling, and the whole forward pass (encoder + pooling)
   ====================================================================== */

/* A Dense step: y[out] = act(W x + b), each y[j] summed over i in order
   (W^T rows are contiguous, so the inner loop vectorizes without
   reassociating: the same value whatever the batch). */
static void bml__dense_fwd(const bml__step *d, const float *x, float *y) {
    int i, j, n = d->out;
    if (d->b) memcpy(y, d->b, (size_t)n * sizeof(float));
    else memset(y, 0, (size_t)n * sizeof(float));
    for (i = 0; i < d->in; i++) {
        const float *w = d->Wt + (size_t)i * n, xi = x[i];
        for (j = 0; j < n; j++) y[j] += w[j] * xi;
    }
    switch (d->act) {
    case BML__ACT_IDENTITY: break;
    case BML__ACT_TANH: for (j = 0; j < n; j++) y[j] = tanhf(y[j]); break;
    case BML__ACT_RELU: for (j = 0; j < n; j++) y[j] = y[j] > 0 ? y[j] : 0; break;
    case BML__ACT_SIGMOID: for (j = 0; j < n; j++) y[j] = 1.0f / (1.0f + expf(-y[j])); break;
    }
}

/* L2 normalization in place: x / max(|x|, 1e-12), as F.normalize. */
static void bml__normalize_fwd(float *o, int n) {
    float n2 = 0;
    int i;
    for (i = 0; i < n; i++) n2 += o[i] * o[i];
    n2 = sqrtf(n2);
    n2 = 1.0f / (n2 > 1e-12f ? n2 : 1e-12f);
    for (i = 0; i < n; i++) o[i] *= n2;
}

/* Pool one sequence's token rows and run the head (Dense, Normalize in
   modules.json order) into out[dim]; grad mode keeps each step's input
   in f->pooled. Without Dense the vector stays in out[] throughout. */
static void bml__pooling_task(void *ctx, size_t s, int worker) {
    bml__fwd *f = (bml__fwd *)ctx;
    const bml_model *m = f->m;
    const bml_config *c = &m->cfg;
    int H = c->hidden, i, k;
    size_t L = f->len[s], p;
    const float *x = f->x + f->start[s] * H;
    float *scratch = f->scratch + (size_t)worker * f->scratch_per;
    float *o = f->out + s * (size_t)c->dim, *trail = f->pooled ? f->pooled + s * m->head_w : NULL;
    float *v = c->n_dense ? scratch + bml__align16(2 * (size_t)H) : o, *w = v + bml__align16((size_t)c->head_max);
    if (c->pooling == BML_POOL_CLS) {
        memcpy(v, x, (size_t)H * sizeof(float));
    } else if (c->pooling == BML_POOL_MAX) {
        memcpy(v, x, (size_t)H * sizeof(float));
        for (p = 1; p < L; p++)
            for (i = 0; i < H; i++) v[i] = x[p * H + i] > v[i] ? x[p * H + i] : v[i];
    } else {
        /* sums in double: long sequences without normalization stay exact */
        double *acc = (double *)(void *)scratch;
        double scale = c->pooling == BML_POOL_MEAN ? 1.0 / (double)L : 1.0 / sqrt((double)L);
        for (i = 0; i < H; i++) acc[i] = 0;
        for (p = 0; p < L; p++)
            for (i = 0; i < H; i++) acc[i] += x[p * H + i];
        for (i = 0; i < H; i++) v[i] = (float)(acc[i] * scale);
    }
    if (trail && !m->nstep) memcpy(trail, v, (size_t)H * sizeof(float));
    for (k = 0; k < m->nstep; k++) {
        const bml__step *st = &m->step[k];
        if (trail) memcpy(trail + st->trail, v, (size_t)st->in * sizeof(float));
        if (st->kind == BML__STEP_NORMALIZE) {
            bml__normalize_fwd(v, st->in);
        } else {
            float *t = v;
            bml__dense_fwd(st, v, w);
            v = w;
            w = t;
        }
    }
    if (v != o) memcpy(o, v, (size_t)c->dim * sizeof(float));
}

/* The encoder on a packed batch (f->ids, f->len, f->nseq, f->alpha set by
   the caller) -> f->out [nseq, dim]; grad = 1 keeps what bml__backward needs. */
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
    bml__workers_run(m->workers, f->nseq, bml__embed_task, f);                         /* x = LN0(emb)        [T,H] */
    for (l = 0; l < c->layers; l++) {
        const bml__layer *L = &m->layer[l];
        bml__saved *sv = f->save ? &f->save[l] : NULL;
        f->lq = sv ? sv->q : f->q;
        f->lk = sv ? sv->k : f->k;
        f->lv = sv ? sv->v : f->v;
        f->lP = sv ? sv->P : NULL;
        bml__linear(f, f->x, (int)T, H, L->wq, L->panel_q, L->bq, H, f->lq);          /* q = x Wq^T + bq     [T,H] */
        bml__linear(f, f->x, (int)T, H, L->wk, L->panel_k, L->bk, H, f->lk);          /* k = x Wk^T + bk     [T,H] */
        bml__linear(f, f->x, (int)T, H, L->wv, L->panel_v, L->bv, H, f->lv);          /* v = x Wv^T + bv     [T,H] */
        bml__workers_run(m->workers, f->nseq * (size_t)c->heads, bml__attn_task, f);  /* ctx = attn(q,k,v)   [T,H] */
        bml__linear(f, f->ctx, (int)T, H, L->wo, L->panel_o, L->bo, H, f->tmp);       /* a = ctx Wo^T + bo   [T,H] */
        bml__add_ln(f, L->ln1_g, L->ln1_b, sv ? sv->xhat1 : NULL, sv ? sv->rstd1 : NULL); /* x = LN1(x + a) */
        f->gelu_in = sv ? sv->u : f->ffn;
        bml__linear(f, f->x, (int)T, H, L->w1, L->panel_1, L->b1, I, (float *)f->gelu_in); /* u = x W1^T + b1 [T,I] */
        bml__workers_run(m->workers, (size_t)m->threads, bml__gelu_task, f);          /* g = gelu(u)         [T,I] */
        bml__linear(f, f->ffn, (int)T, I, L->w2, L->panel_2, L->b2, H, f->tmp);       /* o = g W2^T + b2     [T,H] */
        bml__add_ln(f, L->ln2_g, L->ln2_b, sv ? sv->xhat2 : NULL, sv ? sv->rstd2 : NULL); /* x = LN2(x + o) */
    }
    bml__workers_run(m->workers, f->nseq, bml__pooling_task, f);                          /* out = pool(x)       [S,H] */
    return BML_OK;
}

/* Forward only, on valid sequences -> out[nseq, dim]. */
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

#ifndef BATCHML_NO_OVERLAY
/* ======================================================================
   >>backward  Backward pass
   ====================================================================== */

/* ----------------------------------------------------------------------
   Backward pass (input gradients only: no weight gradients are formed).
   Given dout [nseq, H] = df/de for each sequence's output embedding e,
   fills dword [T, H] = df/d(word-embedding input row) of every token,
   i.e. the gradient with respect to alpha * word[id] in the embedding sum.
   ---------------------------------------------------------------------- */

/* dX[M,K] (+)= dY[M,N] . W[N,K]                    (its input gradient) */
static void bml__linear_bwd(bml__fwd *f, const float *dY, int M, int N, const void *W, int K, float *dX, int accumulate) {
    bml__linear_run(f, dY, M, N, W, NULL, NULL, K, dX, accumulate);
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
    int L = (int)f->len[s], i, j, c;
    float *dP = f->scratch + (size_t)worker * f->scratch_per, *tmp = dP + (size_t)L * L; /* tmp: v^T, then transposes */
    const float *P = f->lP + f->poff[s] + h * (size_t)L * L;
    const bml__kernels *ks = m->k;
    size_t off = t0 * H + h * d;
    float scale = 1.0f / sqrtf((float)d);
    for (c = 0; c < d; c++)
        for (j = 0; j < L; j++) tmp[(size_t)c * L + j] = f->lv[off + (size_t)j * H + c];
    bml__amm_tiles(ks, L, d, L, f->ctx + off, (size_t)H, 1, tmp, (size_t)L, dP, (size_t)L, NULL);    /* dP = dctx v^T [L,L] */
    for (i = 0; i < L; i++) {
        float *row = dP + (size_t)i * L, dot = 0;
        const float *p = P + (size_t)i * L;
        for (j = 0; j < L; j++) dot += row[j] * p[j];
        for (j = 0; j < L; j++) row[j] = p[j] * (row[j] - dot) * scale;            /* dS            [L,L] */
    }
    bml__amm_tiles(ks, L, L, d, dP, (size_t)L, 1, f->lk + off, (size_t)H, f->q + off, (size_t)H, tmp);  /* dq = dS k     [L,d] */
    bml__amm_tiles(ks, L, L, d, dP, 1, (size_t)L, f->lq + off, (size_t)H, f->k + off, (size_t)H, tmp);  /* dk = dS^T q   [L,d] */
    bml__amm_tiles(ks, L, L, d, P, 1, (size_t)L, f->ctx + off, (size_t)H, f->v + off, (size_t)H, tmp);  /* dv = P^T dctx [L,d] */
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
    bml__workers_run(f->m->workers, (size_t)f->m->threads, bml__ln_bwd_task, f);
}

/* ffn = d gelu: ffn *= gelu'(u) = (1 + erf(u / sqrt 2)) / 2 + u phi(u). */
static void bml__gelu_bwd_task(void *ctx, size_t task, int worker) {
    bml__fwd *f = (bml__fwd *)ctx;
    size_t a, b, n = f->T * (size_t)f->m->cfg.intermediate;
    const float *u = f->gelu_in;
    float *g = f->ffn;
    (void)worker;
    bml__range(n, (size_t)f->m->threads, task, &a, &b);
    f->m->k->gelu_bwd(u + a, g + a, b - a);
}

/* Back through the head, last step first: g[dim] = df/d(out) -> du[H] =
   df/d(pooled). Normalize: e = u / max(|u|, eps) gives du = (de - e (e .
   de)) / |u|; Dense: y = act(z), z = W x + b gives dx = W^T (dy act'(z)),
   act' read off y. g and du may be the same buffer only without Dense. */
static void bml__head_bwd(const bml__fwd *f, size_t s, const float *de, float *du, float *ga, float *gb, float *gz) {
    const bml_model *m = f->m;
    const float *e = f->out + s * (size_t)m->cfg.dim, *trail = f->pooled + s * m->head_w, *g = de;
    int k, i, j;
    if (!m->nstep) { memcpy(du, de, (size_t)m->cfg.hidden * sizeof(float)); return; }
    for (k = m->nstep - 1; k >= 0; k--) {
        const bml__step *st = &m->step[k];
        const float *u = trail + st->trail, *y = k == m->nstep - 1 ? e : trail + m->step[k + 1].trail;
        float *gi = k == 0 ? du : (g == ga ? gb : ga);
        int n = st->in;
        if (st->kind == BML__STEP_NORMALIZE) {
            float n2 = 0, dot = 0;
            for (i = 0; i < n; i++) { n2 += u[i] * u[i]; dot += y[i] * g[i]; }
            n2 = sqrtf(n2);
            if (n2 > 1e-12f) for (i = 0; i < n; i++) gi[i] = (g[i] - y[i] * dot) / n2;
            else for (i = 0; i < n; i++) gi[i] = g[i] / 1e-12f;
        } else {
            for (j = 0; j < st->out; j++) {
                float d = 1.0f;
                if (st->act == BML__ACT_TANH) d = 1.0f - y[j] * y[j];
                else if (st->act == BML__ACT_RELU) d = y[j] > 0 ? 1.0f : 0.0f;
                else if (st->act == BML__ACT_SIGMOID) d = y[j] * (1.0f - y[j]);
                gz[j] = g[j] * d;
            }
            memset(gi, 0, (size_t)n * sizeof(float));
            for (j = 0; j < st->out; j++) {
                const float *w = st->W + (size_t)j * n, dj = gz[j];
                for (i = 0; i < n; i++) gi[i] += w[i] * dj;
            }
        }
        g = gi;
    }
}

/* Through the head and pooling: dx rows of sequence s from dout[s]. */
static void bml__pooling_bwd_task(void *ctx, size_t s, int worker) {
    bml__fwd *f = (bml__fwd *)ctx;
    const bml_config *c = &f->m->cfg;
    int H = c->hidden, i;
    size_t L = f->len[s], p;
    float *du = f->scratch + (size_t)worker * f->scratch_per; /* [H] d pooled */
    float *ga = du + bml__align16((size_t)H), *gb = ga + bml__align16((size_t)c->head_max);
    float *dx = f->dx + f->start[s] * H;
    bml__head_bwd(f, s, f->tmp + s * (size_t)c->dim, du, ga, gb, gb + bml__align16((size_t)c->head_max));
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

/* f->tmp[nseq, dim] holds df/de on entry; f->dx [T,H] holds df/d(word input) on return. */
static bml_status bml__backward(bml__fwd *f) {
    bml_model *m = f->m;
    const bml_config *c = &m->cfg;
    int H = c->hidden, I = c->intermediate, l;
    int T = (int)f->T;
#ifdef BATCHML_OPENCL
    if (m->cl) return bml__cl_backward(f);
#endif
    bml__workers_run(m->workers, f->nseq, bml__pooling_bwd_task, f);                     /* dx = pool^T(de)     [T,H] */
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
        bml__workers_run(m->workers, (size_t)m->threads, bml__gelu_bwd_task, f);     /* du = dg gelu'(u)    [T,I] */
        bml__linear_bwd(f, f->ffn, T, I, L->w1, H, f->dx, 1);                   /* dh1 = dr2 + du W1   [T,H] */
        bml__ln_bwd(f, L->ln1_g, sv->xhat1, sv->rstd1);                         /* dr1 = LN1^T(dh1)    [T,H] */
        bml__linear_bwd(f, f->dx, T, H, L->wo, H, f->ctx, 0);                   /* dctx = dr1 Wo       [T,H] */
        bml__workers_run(m->workers, f->nseq * (size_t)c->heads, bml__attn_bwd_task, f); /* dq, dk, dv       [T,H] */
        bml__linear_bwd(f, f->q, T, H, L->wq, H, f->dx, 1);                     /* dh0 = dr1 + dq Wq   [T,H] */
        bml__linear_bwd(f, f->k, T, H, L->wk, H, f->dx, 1);                     /*     + dk Wk               */
        bml__linear_bwd(f, f->v, T, H, L->wv, H, f->dx, 1);                     /*     + dv Wv               */
    }
    bml__ln_bwd(f, m->ln0_g, f->xhat0, f->rstd0);                               /* d(emb sum) = LN0^T  [T,H] */
    return BML_OK;
}

#endif /* BATCHML_NO_OVERLAY */

/* ======================================================================
   >>embed  Embedding API: validation, batching by length, per-item status
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

/* One item (text or ids) to its token ids, or to its own error in
   err[cap]: the one rule for embeddings, overlays and the exporter. Text
   is tokenized into enc (reused across calls): *ids then points into it
   (enc->offsets holds the spans), else at the item's own ids. */
static bml_status bml__item_ids(const bml_model *m, const bml_item *it, bml_utf8_policy utf8, bml_encoding *enc,
                                const int32_t **ids, size_t *n, char *err, size_t cap) {
    bml_status rc;
    if (it->ids) {
        *ids = it->ids;
        *n = it->n_ids;
    } else if (it->text) {
        ptrdiff_t tl = it->len < 0 ? (ptrdiff_t)strlen(it->text) : it->len;
        if (!m->tok) { snprintf(err, cap, "text input needs a tokenizer"); return BML_ERR_INVALID_ARG; }
        if (tl == 0) { snprintf(err, cap, "empty text"); return BML_ERR_EMPTY_INPUT; }
        if ((rc = bml_tokenize(m->tok, it->text, tl, utf8, enc)) != BML_OK) {
            snprintf(err, cap, "%.*s", (int)(cap - 1), bml_last_error());
            return rc;
        }
        *ids = enc->ids;
        *n = enc->n;
    } else {
        snprintf(err, cap, "item has neither text nor ids");
        return BML_ERR_EMPTY_INPUT;
    }
    return bml__check_ids(m, *ids, *n, err, cap);
}

/* A result row must be finite: NaN or Inf (weights that are finite but
   overflow float in the forward pass, a head that overflows) is the item's
   error, never a number handed on. 1 if finite, else 0 with the message. */
static int bml__finite_row(const float *v, size_t n, const char *what, char *err, size_t cap) {
    size_t i;
    for (i = 0; i < n; i++)
        if (!isfinite(v[i])) {
            snprintf(err, cap, "%s value %zu is %s: the model's numbers overflow float for this input", what, i,
                     isnan(v[i]) ? "NaN" : "infinite");
            return 0;
        }
    return 1;
}

/* A text item with the prompt's text put before its own (sentence-
   transformers' order), in *pbuf (grown to *pcap, the caller frees it); an
   ids item, an item without text or an empty prompt stay as they are, and
   an empty text stays an empty-input error. BML_ERR_NOMEM, else BML_OK. */
static bml_status bml__item_prompted(bml_item *it, const char *prompt, size_t plen, char **pbuf, size_t *pcap) {
    size_t tl;
    if (!plen || it->ids || !it->text) return BML_OK;
    tl = it->len < 0 ? strlen(it->text) : (size_t)it->len;
    if (plen + tl + 1 > *pcap) {
        char *nb = (char *)BML_REALLOC(*pbuf, plen + tl + 1);
        if (!nb) return BML_ERR_NOMEM;
        *pbuf = nb;
        *pcap = plen + tl + 1;
    }
    memcpy(*pbuf, prompt, plen);
    memcpy(*pbuf + plen, it->text, tl);
    (*pbuf)[plen + tl] = 0;
    it->text = *pbuf;
    it->len = tl ? (ptrdiff_t)(plen + tl) : 0;
    return BML_OK;
}

BMLDEF bml_status bml_embed_ids(bml_model *m, const int32_t *ids, size_t n, float *out) {
    char err[192];
    bml_status rc;
    if (!m || !out || (!ids && n)) return bml__fail(BML_ERR_INVALID_ARG, "bml_embed_ids: NULL argument");
    if ((rc = bml__check_ids(m, ids, n, err, sizeof err)) != BML_OK) return bml__fail(rc, "%s", err);
    if ((rc = bml__forward(m, &ids, &n, 1, out)) != BML_OK) return rc;
    if (!bml__finite_row(out, (size_t)m->cfg.dim, "embedding", err, sizeof err)) {
        memset(out, 0, (size_t)m->cfg.dim * sizeof(float));
        return bml__fail(BML_ERR_NONFINITE, "%s", err);
    }
    return BML_OK;
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

/* Matryoshka: the first D components of an embedding into out[D], scaled
   back to unit length when renorm (the model normalizes; a zero vector
   stays zero). D = the whole row copies it. In double, as the Normalize
   step does. */
static void bml__truncate_row(const float *v, size_t D, int renorm, float *out) {
    size_t i;
    double ss = 0;
    if (!renorm) { memmove(out, v, D * sizeof(float)); return; }
    for (i = 0; i < D; i++) ss += (double)v[i] * v[i];
    ss = ss > 0 ? 1.0 / sqrt(ss) : 0;
    for (i = 0; i < D; i++) out[i] = (float)(v[i] * ss);
}

BMLDEF void bml_truncate_embedding(const bml_model *m, const float *v, size_t D, float *out) {
    size_t H = (size_t)m->cfg.dim;
    bml__truncate_row(v, D < H ? D : H, D < H && m->cfg.normalize, out);
}

/* A bml_batch_desc (NULL: all defaults) with its zero defaults filled in,
   validated: the one place for both. */
static bml_status bml__batch_desc_fill(const bml_batch_desc *in, bml_batch_desc *d) {
    memset(d, 0, sizeof *d);
    if (in) *d = *in;
    if (!d->batch_size) d->batch_size = BML__BATCH_SIZE_DEFAULT;
    if (d->batch_size > 4096 && d->batch_size != BML_BATCH_AUTO)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_batch_desc.batch_size must be 0..4096 or BML_BATCH_AUTO (got %zu)",
                         d->batch_size);
    if ((unsigned)d->utf8 > BML_UTF8_REPLACE)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_batch_desc.utf8 must be 0..1 (BML_UTF8_ERROR or _REPLACE), got %d",
                         (int)d->utf8);
    return BML_OK;
}

/* The tuning section: batch_size/max_tokens/keep_order for BML_BATCH_AUTO. */
static bml_status bml__tune_apply(const bml_model *m, const struct bml_tuning *t, size_t memory_budget,
                                  const size_t *lens, size_t n, bml_batch_desc *d);

BMLDEF bml_status bml_embed_batch(bml_model *m, const bml_item *items, size_t count, const bml_batch_desc *desc,
                                  float *out, bml_result *res) {
    bml_batch_desc d;
    size_t H, i, nvalid = 0, done, bs, maxtok;
    bml_status *st = NULL, rc = BML_OK;
    char (*err)[192] = NULL;
    int32_t **ids = NULL;
    size_t *lens = NULL, *order = NULL;
    const int32_t **bids = NULL;
    size_t *blens = NULL;
    float *bout = NULL;
    uint64_t *lat = NULL, t0;
    double single_ns = 0;
    bml_encoding enc;
    const char *prompt;
    size_t D, plen = 0, pcap = 0;
    char *pbuf = NULL;
    if (!m || (!items && count) || (!out && count)) return bml__fail(BML_ERR_INVALID_ARG, "bml_embed_batch: NULL argument");
    if ((rc = bml__batch_desc_fill(desc, &d)) != BML_OK) return rc;
    bs = d.batch_size;
    maxtok = d.max_tokens;
    H = (size_t)m->cfg.dim; /* the embedding size */
    D = d.dimensions ? d.dimensions : H; /* the rows written */
    if (D > H)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_batch_desc.dimensions %zu: the model's embeddings have %zu", D, H);
    prompt = d.prompt ? d.prompt : m->default_prompt ? bml_model_prompt(m, m->default_prompt) : "";
    plen = strlen(prompt);
    memset(&enc, 0, sizeof enc);
    if (res && (rc = bml_result_init(res, count)) != BML_OK) return rc;
    t0 = bml_now_ns();
    st = (bml_status *)bml__calloc(count + 1, sizeof *st);
    err = (char (*)[192])bml__calloc(count + 1, sizeof *err);
    ids = (int32_t **)bml__calloc(count + 1, sizeof *ids);
    lens = (size_t *)bml__calloc(count + 1, sizeof *lens);
    order = (size_t *)bml__calloc(count + 1, sizeof *order);
    lat = (uint64_t *)bml__calloc(count + 1, sizeof *lat);
    if (!st || !err || !ids || !lens || !order || !lat) {
        rc = bml__fail(BML_ERR_NOMEM, "out of memory batching %zu items", count);
        goto done;
    }
    /* 1. every item to ids, or to its own error */
    for (i = 0; i < count; i++) {
        const int32_t *src;
        size_t n;
        bml_item pi = items[i];
        if (bml__item_prompted(&pi, prompt, plen, &pbuf, &pcap) != BML_OK) {
            st[i] = BML_ERR_NOMEM;
            snprintf(err[i], 192, "out of memory");
            continue;
        }
        if ((st[i] = bml__item_ids(m, &pi, d.utf8, &enc, &src, &n, err[i], sizeof err[i])) != BML_OK) continue;
        ids[i] = (int32_t *)BML_MALLOC(n * sizeof(int32_t));
        if (!ids[i]) { st[i] = BML_ERR_NOMEM; snprintf(err[i], 192, "out of memory"); continue; }
        memcpy(ids[i], src, n * sizeof(int32_t));
        lens[i] = n;
    }
    /* auto: the batch shape for these lengths (archive cell, else heuristic) */
    if (d.batch_size == BML_BATCH_AUTO) {
        if ((rc = bml__tune_apply(m, d.tuning, d.memory_budget, lens, count, &d)) != BML_OK) goto done;
        bs = d.batch_size;
        maxtok = d.max_tokens;
    }
    if ((rc = bml__plan_order(lens, count, d.keep_order, order, &nvalid)) != BML_OK) goto done;
    bids = (const int32_t **)bml__calloc(bs, sizeof *bids);
    blens = (size_t *)bml__calloc(bs, sizeof *blens);
    bout = (float *)bml__calloc(bs * H, sizeof(float));
    if (!bids || !blens || !bout) {
        rc = bml__fail(BML_ERR_NOMEM, "out of memory batching %zu items", count);
        goto done;
    }
    /* 2. optional measured baseline: the first items one at a time */
    if (d.measure_single > 0 && nvalid) {
        size_t k, nb = (size_t)d.measure_single < nvalid ? (size_t)d.measure_single : nvalid;
        uint64_t s0 = bml_now_ns();
        for (k = 0; k < nb; k++) {
            size_t it = order[k * nvalid / nb];
            const int32_t *p = ids[it];
            if ((rc = bml__forward(m, &p, &lens[it], 1, bout)) != BML_OK) goto done;
        }
        single_ns = (double)(bml_now_ns() - s0) / (double)nb;
        t0 = bml_now_ns();
    }
    /* 3. batches of up to bs sequences and maxtok tokens */
    for (done = 0; done < nvalid;) {
        size_t nb = bml__plan_batch(lens, order, nvalid, done, bs, maxtok), k;
        uint64_t tnow;
        for (k = 0; k < nb; k++) {
            bids[k] = ids[order[done + k]];
            blens[k] = lens[order[done + k]];
        }
        if ((rc = bml__forward(m, bids, blens, nb, bout)) != BML_OK) goto done;
        tnow = bml_now_ns();
        for (k = 0; k < nb; k++) {
            size_t it = order[done + k];
            lat[it] = tnow - t0;
            if (!bml__finite_row(bout + k * H, H, "embedding", err[it], sizeof err[it])) st[it] = BML_ERR_NONFINITE;
            bml__truncate_row(bout + k * H, D, D < H && m->cfg.normalize, out + it * D);
        }
        done += nb;
    }
    for (i = 0; i < count; i++)
        if (st[i] != BML_OK) memset(out + i * D, 0, D * sizeof(float));
    if (res) {
        for (i = 0; i < count; i++) {
            bml_response *r = &res->responses[i];
            r->id = items[i].id;
            r->status = st[i];
            memcpy(r->error, err[i], sizeof r->error);
            r->duration_ns = st[i] == BML_OK ? lat[i] : 0;
            r->data = st[i] == BML_OK ? out + i * D : NULL;
            r->n = st[i] == BML_OK ? D : 0;
        }
        rc = bml_result_finish(res, bml_now_ns() - t0, single_ns);
    }
done:
    if (ids) for (i = 0; i < count; i++) BML_FREE(ids[i]);
    BML_FREE(st); BML_FREE(err); BML_FREE(ids); BML_FREE(lens); BML_FREE(order);
    BML_FREE(bids); BML_FREE(blens); BML_FREE(bout); BML_FREE(lat); BML_FREE(pbuf);
    bml_encoding_free(&enc);
    return rc;
}

#ifndef BATCHML_NO_ENGINE
/* ======================================================================
   >>engine  Dynamic batching: a queue per priority class, one dispatcher
   thread that forms batches and runs them through bml_embed_batch
   ====================================================================== */

enum { BML__RQ_QUEUED, BML__RQ_RUNNING, BML__RQ_DONE };
#define BML__ENG_RING 4096 /* latencies kept for the percentiles */

/* A request, its ticket and its result in one block (the embedding after
   it). refs: the engine's until it has completed and called back, the
   caller's until bml_engine_ticket_free. Fields under bml_engine.mu. */
struct bml_engine_ticket {
    bml_engine *e;
    struct bml_engine_ticket *prev, *next;  /* in its class queue           */
    struct bml_engine_ticket *dnext;        /* completed, to call back      */
    int cls, state, refs;
    uint64_t t_submit, deadline;
    int32_t *ids;
    size_t n;
    bml_engine_done_fn done;
    void *user;
    bml_engine_job_fn job;                  /* a job instead of an item     */
    void *job_user;
    bml_engine_result res;
    float *emb;
};

struct bml_engine {
    bml_model *m;
    size_t max_tokens, max_items, cap, D;
    uint64_t max_wait_ns, promote_ns;
    bml_utf8_policy utf8;
    char *prompt;
    bml__mutex mu;
    bml__cond work, donecv;     /* the dispatcher's; the waiters'          */
    bml__thread th;
    int started, closing, drain, joined;
    int refs;                   /* 1 (the engine) + requests not yet freed  */
    struct { bml_engine_ticket *head, *tail; } q[3];
    size_t queued, queued_tokens, running;
    uint64_t last_arrival, gap_ns; /* arrivals: the last, and the mean gap
                                      (exponentially weighted, 1/8)        */
    bml_engine_stats st;
    uint64_t *lat_q, *lat_t;    /* rings of BML__ENG_RING                   */
    size_t nlat;
    /* the dispatcher's batch buffers */
    bml_engine_ticket **batch;
    bml_item *items;
    float *out;
    bml_result r;
};

static void bml__eng_unlink(bml_engine *e, bml_engine_ticket *t) {
    if (t->prev) t->prev->next = t->next; else e->q[t->cls].head = t->next;
    if (t->next) t->next->prev = t->prev; else e->q[t->cls].tail = t->prev;
    t->prev = t->next = NULL;
    e->queued--;
    e->queued_tokens -= t->n;
}

static void bml__eng_destroy(bml_engine *e) {
    bml__mutex_destroy(&e->mu);
    bml__cond_destroy(&e->work);
    bml__cond_destroy(&e->donecv);
    bml_result_free(&e->r);
    BML_FREE(e->prompt); BML_FREE(e->lat_q); BML_FREE(e->lat_t);
    BML_FREE(e->batch); BML_FREE(e->items); BML_FREE(e->out);
    BML_FREE(e);
}

/* Drop one reference to t (under e->mu); returns 1 when the engine itself
   lost its last one and must be destroyed after unlocking. */
static int bml__eng_unref(bml_engine *e, bml_engine_ticket *t) {
    if (--t->refs > 0) return 0;
    BML_FREE(t->ids);
    BML_FREE(t);
    return --e->refs == 0;
}

/* Complete t (under e->mu) and put it on *dl to be called back. */
static void bml__eng_finish(bml_engine *e, bml_engine_ticket *t, bml_status s, const char *msg, uint64_t now,
                            bml_engine_ticket **dl) {
    if (t->state == BML__RQ_QUEUED) {
        bml__eng_unlink(e, t);
        t->res.queue_ns = now - t->t_submit;
    }
    t->state = BML__RQ_DONE;
    t->res.status = s;
    if (msg) snprintf(t->res.error, sizeof t->res.error, "%.*s", (int)sizeof t->res.error - 1, msg);
    if (s != BML_OK) t->res.embedding = NULL;
    if (s == BML_OK) e->st.completed++;
    else if (s == BML_ERR_CANCELLED) e->st.cancelled++;
    else if (s == BML_ERR_TIMEOUT) e->st.timed_out++;
    else e->st.failed++;
    t->dnext = *dl;
    *dl = t;
}

/* Call back and release completed requests (with e->mu not held). */
static void bml__eng_notify(bml_engine *e, bml_engine_ticket *dl) {
    bml_engine_ticket *t, *nx;
    int gone = 0;
    if (!dl) return;
    for (t = dl; t; t = t->dnext)
        if (t->done) t->done(&t->res, t->user);
    bml__mutex_lock(&e->mu);
    bml__cond_broadcast(&e->donecv);
    for (t = dl; t; t = nx) {
        nx = t->dnext;
        gone |= bml__eng_unref(e, t);
    }
    bml__mutex_unlock(&e->mu);
    if (gone) bml__eng_destroy(e);
}

/* The queued request to take next: the front of a class queue, by
   (class less one per promote_ns waited, submit time). */
static bml_engine_ticket *bml__eng_next(bml_engine *e, uint64_t now) {
    bml_engine_ticket *best = NULL;
    uint64_t bkey = 0;
    int c;
    for (c = 0; c < 3; c++) {
        bml_engine_ticket *t = e->q[c].head;
        uint64_t up, eff;
        if (!t) continue;
        up = (now - t->t_submit) / e->promote_ns;
        eff = up >= (uint64_t)c ? 0 : (uint64_t)c - up;
        if (!best || eff < bkey || (eff == bkey && t->t_submit < best->t_submit)) { best = t; bkey = eff; }
    }
    return best;
}

static int bml__eng_bucket(size_t v) {
    int b = 0;
    while (v > 1 && b < BML_ENGINE_HIST - 1) { v >>= 1; b++; }
    return b;
}

/* Fail queued requests past their deadline (under e->mu); the earliest
   deadline left, or 0. */
static uint64_t bml__eng_expire(bml_engine *e, uint64_t now, bml_engine_ticket **dl) {
    uint64_t next = 0;
    int c;
    for (c = 0; c < 3; c++) {
        bml_engine_ticket *t = e->q[c].head, *nx;
        for (; t; t = nx) {
            nx = t->next;
            if (!t->deadline) continue;
            if (t->deadline <= now) bml__eng_finish(e, t, BML_ERR_TIMEOUT, "the request's deadline passed while it was queued", now, dl);
            else if (!next || t->deadline < next) next = t->deadline;
        }
    }
    return next;
}

static void *bml__eng_main(void *arg) {
    bml_engine *e = (bml_engine *)arg;
    bml_batch_desc bd;
    memset(&bd, 0, sizeof bd);
    bd.prompt = "";
    bd.dimensions = e->D;
    bml__mutex_lock(&e->mu);
    for (;;) {
        bml_engine_ticket *dl = NULL, *front;
        uint64_t now = bml_now_ns(), next_deadline, t0, t1;
        size_t nb = 0, tok = 0, k;
        bml_status rc;
        next_deadline = bml__eng_expire(e, now, &dl);
        if (e->closing && !e->drain)
            while ((front = bml__eng_next(e, now)) != NULL)
                bml__eng_finish(e, front, BML_ERR_CANCELLED, "the engine shut down before the request ran", now, &dl);
        if (dl) {
            bml__mutex_unlock(&e->mu);
            bml__eng_notify(e, dl);
            bml__mutex_lock(&e->mu);
            continue;
        }
        if (!e->queued) {
            if (e->closing) break;
            bml__cond_wait(&e->work, &e->mu);
            continue;
        }
        front = bml__eng_next(e, now);
        if (front->job) { /* a job: alone on the model, at once */
            bml_status js;
            char jerr[192];
            bml__eng_unlink(e, front);
            front->state = BML__RQ_RUNNING;
            front->res.queue_ns = now - front->t_submit;
            e->running = 1;
            bml__mutex_unlock(&e->mu);
            jerr[0] = 0;
            t0 = bml_now_ns();
            js = front->job(e->m, front->job_user, jerr, sizeof jerr);
            t1 = bml_now_ns();
            bml__mutex_lock(&e->mu);
            e->running = 0;
            front->res.compute_ns = t1 - t0;
            bml__eng_finish(e, front, js, js == BML_OK ? NULL : jerr[0] ? jerr : bml_status_name(js), t1, &dl);
            bml__mutex_unlock(&e->mu);
            bml__eng_notify(e, dl);
            bml__mutex_lock(&e->mu);
            continue;
        }
        if (!e->closing && e->queued < e->max_items && e->queued_tokens < e->max_tokens &&
            now - front->t_submit < e->max_wait_ns && e->gap_ns < e->max_wait_ns) {
            /* wait for company until the front request's time is up (or a
               deadline comes), while requests arrive closer together than
               that on average: a lone client waiting on each answer before
               it asks again would only wait for nothing */
            uint64_t until = front->t_submit + e->max_wait_ns;
            if (next_deadline && next_deadline < until) until = next_deadline;
            bml__cond_timedwait(&e->work, &e->mu, until > now ? until - now : 0);
            continue;
        }
        /* a batch: requests in priority order up to either limit */
        while (nb < e->max_items && (front = bml__eng_next(e, now)) != NULL) {
            if (front->job || (nb && tok + front->n > e->max_tokens)) break; /* a job runs next, alone */
            bml__eng_unlink(e, front);
            front->state = BML__RQ_RUNNING;
            front->res.queue_ns = now - front->t_submit;
            e->batch[nb] = front;
            memset(&e->items[nb], 0, sizeof e->items[nb]);
            e->items[nb].id = front->res.id;
            e->items[nb].ids = front->ids;
            e->items[nb].n_ids = front->n;
            tok += front->n;
            nb++;
        }
        e->running = nb;
        bml__mutex_unlock(&e->mu);
        bd.batch_size = nb;
        t0 = bml_now_ns();
        rc = bml_embed_batch(e->m, e->items, nb, &bd, e->out, &e->r);
        t1 = bml_now_ns();
        bml__mutex_lock(&e->mu);
        e->running = 0;
        e->st.batches++;
        e->st.batch_items[bml__eng_bucket(nb)]++;
        e->st.batch_tokens[bml__eng_bucket(tok)]++;
        for (k = 0; k < nb; k++) {
            bml_engine_ticket *t = e->batch[k];
            bml_status s = rc != BML_OK ? rc : e->r.responses[k].status;
            t->res.compute_ns = t1 - t0;
            if (s == BML_OK) {
                memcpy(t->emb, e->out + k * e->D, e->D * sizeof(float));
                t->res.embedding = t->emb;
            }
            e->lat_q[e->nlat % BML__ENG_RING] = t->res.queue_ns;
            e->lat_t[e->nlat % BML__ENG_RING] = t->res.queue_ns + t->res.compute_ns;
            e->nlat++;
            bml__eng_finish(e, t, s, s == BML_OK ? NULL : rc != BML_OK ? bml_last_error() : e->r.responses[k].error,
                            t1, &dl);
        }
        bml__mutex_unlock(&e->mu);
        bml__eng_notify(e, dl);
        bml__mutex_lock(&e->mu);
    }
    bml__mutex_unlock(&e->mu);
    return NULL;
}

BMLDEF bml_status bml_engine_create(bml_model *m, const bml_engine_desc *desc, bml_engine **out) {
    bml_engine_desc d;
    bml_engine *e;
    if (out) *out = NULL;
    if (!m || !out) return bml__fail(BML_ERR_INVALID_ARG, "bml_engine_create: NULL argument");
    memset(&d, 0, sizeof d);
    if (desc) d = *desc;
    if (d.max_batch_items > 4096)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_engine_desc.max_batch_items %zu: at most 4096", d.max_batch_items);
    if (d.dimensions > (size_t)m->cfg.dim)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_engine_desc.dimensions %zu: the model's embeddings have %d",
                         d.dimensions, m->cfg.dim);
    if ((d.max_wait_us != BML_ENGINE_NO_WAIT && d.max_wait_us > 3600ull * 1000000) || d.promote_us > 3600ull * 1000000)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_engine_desc: max_wait_us and promote_us are at most an hour "
                         "(3600000000; max_wait_us may be BML_ENGINE_NO_WAIT)");
    if (!(e = (bml_engine *)bml__calloc(1, sizeof *e))) return bml__fail(BML_ERR_NOMEM, "out of memory for an engine");
    e->m = m;
    e->max_items = d.max_batch_items ? d.max_batch_items : 256;
    e->max_tokens = d.max_batch_tokens;
    if (!e->max_tokens) { /* the heuristic's cap for short (16-token) items */
        size_t lens[64], i;
        bml_batch_choice c;
        for (i = 0; i < 64; i++) lens[i] = 16;
        e->max_tokens = bml_batch_heuristic(m, lens, 64, 0, &c) == BML_OK && c.max_tokens ? c.max_tokens : 4096;
    }
    e->max_wait_ns = d.max_wait_us == BML_ENGINE_NO_WAIT ? 0 : (d.max_wait_us ? d.max_wait_us : 2000) * 1000;
    e->cap = d.queue_capacity ? d.queue_capacity : 1024;
    e->promote_ns = (d.promote_us ? d.promote_us : 100000) * 1000;
    e->D = d.dimensions ? d.dimensions : (size_t)m->cfg.dim;
    e->utf8 = d.utf8;
    e->refs = 1;
    {
        const char *p = d.prompt ? d.prompt : m->default_prompt ? bml_model_prompt(m, m->default_prompt) : "";
        size_t pl = strlen(p);
        if ((e->prompt = (char *)BML_MALLOC(pl + 1)) != NULL) memcpy(e->prompt, p, pl + 1);
    }
    e->lat_q = (uint64_t *)bml__calloc(BML__ENG_RING, sizeof(uint64_t));
    e->lat_t = (uint64_t *)bml__calloc(BML__ENG_RING, sizeof(uint64_t));
    e->batch = (bml_engine_ticket **)bml__calloc(e->max_items, sizeof *e->batch);
    e->items = (bml_item *)bml__calloc(e->max_items, sizeof *e->items);
    e->out = (float *)bml__calloc(e->max_items * e->D, sizeof(float));
    bml__mutex_init(&e->mu);
    bml__cond_init(&e->work);
    bml__cond_init(&e->donecv);
    if (!e->prompt || !e->lat_q || !e->lat_t || !e->batch || !e->items || !e->out) {
        bml__eng_destroy(e);
        return bml__fail(BML_ERR_NOMEM, "out of memory for an engine of %zu-item batches", e->max_items);
    }
    if (bml__thread_create(&e->th, bml__eng_main, e) != 0) {
        bml__eng_destroy(e);
        return bml__fail(BML_ERR_INTERNAL, "cannot start the engine's dispatcher thread");
    }
    e->started = 1;
    *out = e;
    return BML_OK;
}

static bml_status bml__eng_enqueue(bml_engine *e, bml_engine_ticket *t, bml_engine_ticket **ticket);

BMLDEF bml_status bml_engine_submit(bml_engine *e, const bml_engine_request *r, bml_engine_ticket **ticket) {
    bml_engine_ticket *t;
    bml_item it;
    bml_encoding enc;
    const int32_t *src;
    size_t n;
    char err[192], *pbuf = NULL;
    size_t pcap = 0;
    const char *prompt;
    bml_status rc;
    if (ticket) *ticket = NULL;
    if (!e || !r) return bml__fail(BML_ERR_INVALID_ARG, "bml_engine_submit: NULL argument");
    if (!ticket && !r->done) return bml__fail(BML_ERR_INVALID_ARG, "bml_engine_submit: neither a ticket nor a callback");
    if ((int)r->priority < BML_PRIORITY_HIGH || (int)r->priority > BML_PRIORITY_LOW)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_engine_request.priority %d: not a priority", (int)r->priority);
    /* tokenize here, on the caller's thread, as bml_embed_batch would */
    it = r->item;
    prompt = r->prompt ? r->prompt : e->prompt;
    if (bml__item_prompted(&it, prompt, strlen(prompt), &pbuf, &pcap) != BML_OK)
        return bml__fail(BML_ERR_NOMEM, "out of memory for a request");
    memset(&enc, 0, sizeof enc);
    rc = bml__item_ids(e->m, &it, e->utf8, &enc, &src, &n, err, sizeof err);
    if (rc == BML_OK) {
        size_t bytes = sizeof *t + e->D * sizeof(float);
        t = (bml_engine_ticket *)bml__calloc(1, bytes);
        if (t && !(t->ids = (int32_t *)BML_MALLOC(n * sizeof(int32_t) + 1))) { BML_FREE(t); t = NULL; }
        if (t) memcpy(t->ids, src, n * sizeof(int32_t));
    }
    bml_encoding_free(&enc);
    BML_FREE(pbuf);
    if (rc != BML_OK) {
        bml__mutex_lock(&e->mu);
        e->st.failed++;
        bml__mutex_unlock(&e->mu);
        return bml__fail(rc, "item %llu: %s", (unsigned long long)r->item.id, err);
    }
    if (!t) return bml__fail(BML_ERR_NOMEM, "out of memory for a request");
    t->e = e;
    t->emb = (float *)(void *)(t + 1);
    t->cls = (int)r->priority;
    t->n = n;
    t->done = r->done;
    t->user = r->user;
    t->deadline = r->deadline_ns;
    t->res.id = r->item.id;
    t->res.dim = e->D;
    t->res.tokens = n;
    t->refs = ticket ? 2 : 1;
    return bml__eng_enqueue(e, t, ticket);
}

/* Queue t (refs set), or refuse it (freed) when closing or full. */
static bml_status bml__eng_enqueue(bml_engine *e, bml_engine_ticket *t, bml_engine_ticket **ticket) {
    bml__mutex_lock(&e->mu);
    if (e->closing || e->queued >= e->cap) {
        int closing = e->closing;
        if (!closing) e->st.rejected++;
        bml__mutex_unlock(&e->mu);
        BML_FREE(t->ids);
        BML_FREE(t);
        return closing ? bml__fail(BML_ERR_CANCELLED, "the engine is shutting down: no new requests")
                       : bml__fail(BML_ERR_BUSY, "the engine's queue is full (%zu requests): try again later", e->cap);
    }
    t->t_submit = bml_now_ns();
    if (e->last_arrival) {
        uint64_t gap = t->t_submit - e->last_arrival;
        e->gap_ns = e->gap_ns ? (e->gap_ns * 7 + gap) / 8 : gap;
    }
    e->last_arrival = t->t_submit;
    t->state = BML__RQ_QUEUED;
    t->prev = e->q[t->cls].tail;
    if (t->prev) t->prev->next = t; else e->q[t->cls].head = t;
    e->q[t->cls].tail = t;
    e->queued++;
    e->queued_tokens += t->n;
    e->st.submitted++;
    e->refs++;
    bml__cond_broadcast(&e->work);
    bml__mutex_unlock(&e->mu);
    if (ticket) *ticket = t;
    return BML_OK;
}

BMLDEF bml_status bml_engine_submit_job(bml_engine *e, bml_engine_job_fn fn, void *user, bml_priority priority,
                                        uint64_t deadline_ns, bml_engine_ticket **ticket) {
    bml_engine_ticket *t;
    if (ticket) *ticket = NULL;
    if (!e || !fn || !ticket) return bml__fail(BML_ERR_INVALID_ARG, "bml_engine_submit_job: NULL argument");
    if ((int)priority < BML_PRIORITY_HIGH || (int)priority > BML_PRIORITY_LOW)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_engine_submit_job: priority %d: not a priority", (int)priority);
    if (!(t = (bml_engine_ticket *)bml__calloc(1, sizeof *t))) return bml__fail(BML_ERR_NOMEM, "out of memory for a job");
    t->e = e;
    t->cls = (int)priority;
    t->job = fn;
    t->job_user = user;
    t->deadline = deadline_ns;
    t->refs = 2;
    return bml__eng_enqueue(e, t, ticket);
}

BMLDEF bml_status bml_engine_wait(bml_engine_ticket *t, uint64_t timeout_us, bml_engine_result *out) {
    bml_engine *e;
    uint64_t until;
    if (!t) return bml__fail(BML_ERR_INVALID_ARG, "bml_engine_wait: NULL ticket");
    e = t->e;
    if (timeout_us > 1000000000000ull) timeout_us = BML_ENGINE_FOREVER; /* over 11 days: no overflow below */
    until = timeout_us == BML_ENGINE_FOREVER ? 0 : bml_now_ns() + timeout_us * 1000;
    bml__mutex_lock(&e->mu);
    while (t->state != BML__RQ_DONE) {
        uint64_t now = bml_now_ns();
        if (timeout_us != BML_ENGINE_FOREVER && now >= until) break;
        if (timeout_us == BML_ENGINE_FOREVER) bml__cond_wait(&e->donecv, &e->mu);
        else bml__cond_timedwait(&e->donecv, &e->mu, until - now);
    }
    if (t->state != BML__RQ_DONE) {
        bml__mutex_unlock(&e->mu);
        return bml__fail(BML_ERR_TIMEOUT, "request %llu has not completed yet", (unsigned long long)t->res.id);
    }
    if (out) *out = t->res;
    bml__mutex_unlock(&e->mu);
    return BML_OK;
}

BMLDEF bml_status bml_engine_cancel(bml_engine_ticket *t) {
    bml_engine *e;
    bml_engine_ticket *dl = NULL;
    int state;
    if (!t) return bml__fail(BML_ERR_INVALID_ARG, "bml_engine_cancel: NULL ticket");
    e = t->e;
    bml__mutex_lock(&e->mu);
    state = t->state;
    if (state == BML__RQ_QUEUED) bml__eng_finish(e, t, BML_ERR_CANCELLED, "cancelled", bml_now_ns(), &dl);
    bml__mutex_unlock(&e->mu);
    if (state != BML__RQ_QUEUED)
        return bml__fail(BML_ERR_BUSY, "request %llu is already %s: it completes with its own result",
                         (unsigned long long)t->res.id, state == BML__RQ_RUNNING ? "running" : "complete");
    bml__eng_notify(e, dl);
    return BML_OK;
}

BMLDEF void bml_engine_ticket_free(bml_engine_ticket *t) {
    bml_engine *e;
    int gone;
    if (!t) return;
    e = t->e;
    bml__mutex_lock(&e->mu);
    gone = bml__eng_unref(e, t);
    bml__mutex_unlock(&e->mu);
    if (gone) bml__eng_destroy(e);
}

BMLDEF bml_status bml_engine_shutdown(bml_engine *e, int drain) {
    int join;
    if (!e) return bml__fail(BML_ERR_INVALID_ARG, "bml_engine_shutdown: NULL engine");
    bml__mutex_lock(&e->mu);
    if (!e->closing) {
        e->closing = 1;
        e->drain = drain;
    } else if (!drain) {
        e->drain = 0; /* a second call may turn a drain into a stop */
    }
    join = e->started && !e->joined;
    e->joined = 1;
    bml__cond_broadcast(&e->work);
    bml__mutex_unlock(&e->mu);
    if (join) bml__thread_join(e->th);
    return BML_OK;
}

static double bml__eng_pct(const uint64_t *ring, size_t n, uint64_t *tmp, double p) {
    size_t i, j;
    if (!n) return 0;
    memcpy(tmp, ring, n * sizeof *tmp);
    for (i = 1; i < n; i++) { /* insertion sort: n <= 4096, stats are rare */
        uint64_t v = tmp[i];
        for (j = i; j > 0 && tmp[j - 1] > v; j--) tmp[j] = tmp[j - 1];
        tmp[j] = v;
    }
    i = (size_t)(p * (double)(n - 1) + 0.5);
    return (double)tmp[i];
}

BMLDEF bml_status bml_engine_stats_get(bml_engine *e, bml_engine_stats *out) {
    uint64_t *q, *t, *tmp;
    size_t n;
    if (!e || !out) return bml__fail(BML_ERR_INVALID_ARG, "bml_engine_stats_get: NULL argument");
    q = (uint64_t *)BML_MALLOC(3 * BML__ENG_RING * sizeof(uint64_t));
    if (!q) return bml__fail(BML_ERR_NOMEM, "out of memory for engine stats");
    t = q + BML__ENG_RING;
    tmp = t + BML__ENG_RING;
    bml__mutex_lock(&e->mu);
    *out = e->st;
    out->queued = e->queued;
    out->running = e->running;
    n = e->nlat < BML__ENG_RING ? e->nlat : BML__ENG_RING;
    memcpy(q, e->lat_q, n * sizeof *q);
    memcpy(t, e->lat_t, n * sizeof *t);
    bml__mutex_unlock(&e->mu);
    out->queue_p50_ns = bml__eng_pct(q, n, tmp, 0.50);
    out->queue_p95_ns = bml__eng_pct(q, n, tmp, 0.95);
    out->queue_p99_ns = bml__eng_pct(q, n, tmp, 0.99);
    out->total_p50_ns = bml__eng_pct(t, n, tmp, 0.50);
    out->total_p95_ns = bml__eng_pct(t, n, tmp, 0.95);
    out->total_p99_ns = bml__eng_pct(t, n, tmp, 0.99);
    BML_FREE(q);
    return BML_OK;
}

BMLDEF void bml_engine_free(bml_engine *e) {
    int gone;
    if (!e) return;
    bml_engine_shutdown(e, 0);
    bml__mutex_lock(&e->mu);
    gone = --e->refs == 0;
    bml__mutex_unlock(&e->mu);
    if (gone) bml__eng_destroy(e);
}
#endif /* BATCHML_NO_ENGINE */

#ifndef BATCHML_NO_OVERLAY
/* ======================================================================
   >>overlay  Gradient overlays: targets, batched forward + backward, attributions
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

/* Check a head vector (an array of H finite numbers) and copy it into dst
   (dst NULL: check only). */
static bml_status bml__head_vec(const bml_json *a, int H, double *dst, const char *file, const char *what) {
    int i;
    if (!a || a->type != BML_JSON_ARRAY)
        return bml__fail(BML_ERR_FORMAT, "%s: %s must be an array of %d numbers", file, what, H);
    if (a->len != (size_t)H)
        return bml__fail(BML_ERR_SHAPE, "%s: %s has %zu values, the model's embedding size is %d", file, what, a->len, H);
    for (i = 0; i < H; i++) {
        if (a->kids[i].type != BML_JSON_NUMBER || !isfinite(a->kids[i].num))
            return bml__fail(BML_ERR_FORMAT, "%s: %s[%d] is not a finite number", file, what, i);
        if (dst) dst[i] = a->kids[i].num;
    }
    return BML_OK;
}

BMLDEF bml_status bml_target_parse(bml_model *m, const char *spec, bml_target **out) {
    bml_target *t;
    bml_status rc = BML_OK;
    int H;
    if (!m || !spec || !out) return bml__fail(BML_ERR_INVALID_ARG, "bml_target_parse: NULL argument");
    *out = NULL;
    H = m->cfg.dim; /* the target is a function of the embedding */
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
            if ((rc = bml_json_load(file, 64u << 20, &doc)) == BML_OK) {
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
                            char what[48];
                            snprintf(what, sizeof what, "weight[%zu]", c);
                            rc = bml__head_vec(&w->kids[c], H, NULL, file, what);
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
    size_t s, H = (size_t)m->cfg.hidden, D = (size_t)m->cfg.dim;
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
        double fv = bml__target_eval(tgt, out + s * D, f.tmp + s * D);
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

/* A bml_overlay_desc with its zero defaults filled in, validated against m:
   the one place for both. */
static bml_status bml__overlay_desc_fill(const bml_model *m, const bml_overlay_desc *in, bml_overlay_desc *d) {
    *d = *in;
    if ((unsigned)d->method > BML_METHOD_INTEGRATED_GRADIENTS)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_overlay_desc.method %d is not a method", (int)d->method);
    if (d->steps < 0 || d->steps > 4096)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_overlay_desc.steps must be 0..4096 (got %d)", d->steps);
    if ((unsigned)d->utf8 > BML_UTF8_REPLACE)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_overlay_desc.utf8 must be 0..1 (BML_UTF8_ERROR or _REPLACE), got %d",
                         (int)d->utf8);
    if (d->target->H != m->cfg.dim)
        return bml__fail(BML_ERR_SHAPE, "the target was made for embedding size %d, the model's is %d", d->target->H,
                         m->cfg.dim);
    if (!d->steps) d->steps = 32;
    if (!d->batch_size) d->batch_size = 8;
    if (!d->max_tokens) d->max_tokens = 2048;
    return BML_OK;
}

BMLDEF bml_status bml_overlay_compute_batch(bml_model *m, const bml_overlay_desc *desc, const bml_item *items,
                                            size_t count, bml_overlay *outs) {
    bml_overlay_desc d;
    size_t i, H, bs, maxtok, steps, nall = 0, cap, k, done;
    double **gsum = NULL;
    bml__ov_seq *seqs = NULL;
    const int32_t **ids = NULL;
    size_t *lens = NULL, *seqlen = NULL;
    float *alphas = NULL, *out = NULL, *row = NULL;
    bml_encoding enc;
    bml_status rc = BML_OK;
    if (!m || !desc || !desc->target || (!items && count) || (!outs && count))
        return bml__fail(BML_ERR_INVALID_ARG, "bml_overlay_compute_batch: NULL argument (desc.target is required)");
    if ((rc = bml__overlay_desc_fill(m, desc, &d)) != BML_OK) return rc;
    H = (size_t)m->cfg.hidden;
    bs = d.batch_size;
    maxtok = d.max_tokens;
    steps = d.method == BML_METHOD_INTEGRATED_GRADIENTS ? (size_t)d.steps : 1;
    memset(&enc, 0, sizeof enc);
    memset(outs, 0, count * sizeof *outs);
    cap = bs * steps + 1;
    gsum = (double **)bml__calloc(count + 1, sizeof *gsum);
    ids = (const int32_t **)bml__calloc(cap, sizeof *ids);
    lens = (size_t *)bml__calloc(cap, sizeof *lens);
    alphas = (float *)bml__calloc(cap, sizeof *alphas);
    out = (float *)bml__calloc(cap * (size_t)m->cfg.dim, sizeof *out);
    row = (float *)bml__calloc(H, sizeof *row);
    if (!gsum || !ids || !lens || !alphas || !out || !row) { rc = bml__fail(BML_ERR_NOMEM, "out of memory"); goto done; }
    /* 1. inputs to ids (+ offsets), or to their own error */
    for (i = 0; i < count; i++) {
        bml_overlay *o = &outs[i];
        const bml_item *it = &items[i];
        const int32_t *src;
        size_t n;
        o->id = it->id;
        o->method = d.method;
        if ((o->status = bml__item_ids(m, it, d.utf8, &enc, &src, &n, o->error, sizeof o->error)) != BML_OK) continue;
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
    /* 2. the (input, step) sequences in input order, in passes of up to
       bs inputs' worth (bs * steps sequences) and maxtok tokens */
    for (i = 0; i < count; i++) nall += outs[i].status == BML_OK ? steps : 0;
    seqs = (bml__ov_seq *)bml__calloc(nall + 1, sizeof *seqs);
    seqlen = (size_t *)bml__calloc(nall + 1, sizeof *seqlen);
    if (!seqs || !seqlen) { rc = bml__fail(BML_ERR_NOMEM, "out of memory"); goto done; }
    for (i = 0, nall = 0; i < count; i++)
        for (k = 1; outs[i].status == BML_OK && k <= steps; k++, nall++) {
            seqs[nall].item = i;
            seqs[nall].alpha = steps == 1 ? 1.0f : (float)k / (float)steps;
            seqlen[nall] = outs[i].n;
        }
    for (done = 0; done < nall;) {
        size_t nb = bml__plan_batch(seqlen, NULL, nall, done, bs * steps, maxtok);
        if ((rc = bml__overlay_pass(m, d.target, outs, gsum, seqs + done, nb, ids, lens, alphas, out)) != BML_OK)
            goto done;
        done += nb;
    }
    /* 3. attributions */
    for (i = 0; i < count; i++) {
        bml_overlay *o = &outs[i];
        size_t t, j;
        double total = 0;
        if (o->status != BML_OK) continue;
        for (t = 0; t < o->n; t++) {
            const double *g = gsum[i] + t * H;
            const float *x = bml__word_row(m, o->ids[t], row);
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
        {   /* a NaN or Inf anywhere is this item's error, not a score */
            int ok = 1;
            if (!isfinite(o->f)) {
                snprintf(o->error, sizeof o->error, "the target value f is %s: the model's numbers overflow float for "
                         "this input", isnan(o->f) ? "NaN" : "infinite");
                ok = 0;
            } else if (!bml__finite_row(o->raw, o->n, "attribution", o->error, sizeof o->error)) {
                ok = 0;
            } else if (!isfinite(total)) {
                snprintf(o->error, sizeof o->error, "the sum of the attributions overflows: the model's numbers "
                         "overflow float for this input");
                ok = 0;
            }
            if (!ok) {
                bml_overlay_free(o);
                o->status = BML_ERR_NONFINITE;
            }
        }
    }
done:
    if (gsum) for (i = 0; i < count; i++) BML_FREE(gsum[i]);
    BML_FREE(gsum); BML_FREE(seqs); BML_FREE(seqlen); BML_FREE(ids); BML_FREE(lens); BML_FREE(alphas); BML_FREE(out);
    BML_FREE(row);
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

#endif /* BATCHML_NO_OVERLAY */

#ifndef BATCHML_NO_OVERLAY
/* ======================================================================
   >>export  The buffering overlay exporter
   ====================================================================== */

/* The buffering overlay exporter (API above). Sections: the record formatter
   (also `batchml overlay`'s, so it is built without the exporter too); files
   (open, repair, lock, scan, write, sync); queues and batches; the API. */

/* ======================================================================
   The record formatter (shared by the exporter and `batchml overlay`)
   ====================================================================== */

/* A cursor over a caller buffer that keeps counting past its end. */
typedef struct bml__exp_out { char *buf; size_t cap, n; } bml__exp_out;

static void bml__exp_put(bml__exp_out *o, const char *s, size_t n) {
    if (o->n < o->cap) {
        size_t room = o->cap - o->n;
        memcpy(o->buf + o->n, s, n < room ? n : room);
    }
    o->n += n;
}

static void bml__exp_puts(bml__exp_out *o, const char *s) { bml__exp_put(o, s, strlen(s)); }

BML__PRINTF(2, 3)
static void bml__exp_printf(bml__exp_out *o, const char *fmt, ...) {
    char tmp[64];
    int k;
    va_list ap;
    va_start(ap, fmt);
    k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k > 0) bml__exp_put(o, tmp, (size_t)k < sizeof tmp ? (size_t)k : sizeof tmp - 1);
}

/* A JSON string (bml_json_escape) appended to o. */
static void bml__exp_jstr(bml__exp_out *o, const char *s, size_t n) {
    size_t room = o->n < o->cap ? o->cap - o->n : 0;
    o->n += bml_json_escape(s, n, room ? o->buf + o->n : NULL, room);
}

BMLDEF size_t bml_overlay_to_json(const bml_model *m, const bml_overlay *o, const char *method, const char *target,
                                  char *buf, size_t cap) {
    bml__exp_out w;
    size_t t;
    w.buf = buf;
    w.cap = buf ? cap : 0;
    w.n = 0;
    if (!o) return 0;
    bml__exp_printf(&w, "{\"id\":%llu,", (unsigned long long)o->id);
    if (o->status != BML_OK) {
        bml__exp_puts(&w, "\"error\":");
        bml__exp_jstr(&w, o->error, strnlen(o->error, sizeof o->error));
        bml__exp_puts(&w, "}\n");
    } else {
        const bml_tokenizer *tok = m ? m->tok : NULL;
        if (!method) method = bml_method_name(o->method);
        bml__exp_puts(&w, "\"method\":");
        bml__exp_jstr(&w, method, strlen(method));
        if (target) {
            bml__exp_puts(&w, ",\"target\":");
            bml__exp_jstr(&w, target, strlen(target));
        }
        bml__exp_printf(&w, ",\"f\":%.9g,\"tokens\":[", o->f);
        for (t = 0; t < o->n; t++) {
            const char *s = tok ? bml_tokenizer_id_to_token(tok, o->ids[t]) : NULL;
            if (!s) s = "";
            if (t) bml__exp_put(&w, ",", 1);
            bml__exp_jstr(&w, s, strlen(s));
        }
        bml__exp_puts(&w, "],\"offsets\":[");
        for (t = 0; t < o->n; t++)
            bml__exp_printf(&w, "%s[%u,%u]", t ? "," : "", (unsigned)o->offsets[2 * t], (unsigned)o->offsets[2 * t + 1]);
        bml__exp_puts(&w, "],\"raw\":[");
        for (t = 0; t < o->n; t++) bml__exp_printf(&w, "%s%.9g", t ? "," : "", (double)o->raw[t]);
        bml__exp_puts(&w, "],\"values\":[");
        for (t = 0; t < o->n; t++) bml__exp_printf(&w, "%s%.9g", t ? "," : "", (double)o->values[t]);
        bml__exp_puts(&w, "]}\n");
    }
    if (w.cap) w.buf[w.n < w.cap ? w.n : w.cap - 1] = 0;
    return w.n;
}

#ifndef BATCHML_NO_EXPORTER
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Fault-injection seams (tests define them to fail at chosen calls). */
#ifndef BML_WRITE
#define BML_WRITE(fd, buf, n) write((fd), (buf), (n))
#endif
#ifndef BML_FSYNC
#define BML_FSYNC(fd) fsync(fd)
#endif
#ifndef BML_FTRUNCATE
#define BML_FTRUNCATE(fd, len) ftruncate((fd), (len))
#endif

#define BML__EXP_MAX_BATCH 32
#define BML__EXP_MAX_METHODS 16
#define BML__EXP_UNSYNCED_MAX ((size_t)16 << 20) /* written, not fsynced: at most this, then fsync */

/* Fail with a prefix before the current error message (copied first: the
   message buffer is also the destination). */
BML__PRINTF(2, 3)
static bml_status bml__exp_wrap(bml_status rc, const char *fmt, ...) {
    char prev[512], pre[1024];
    va_list ap;
    snprintf(prev, sizeof prev, "%s", bml_last_error());
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    return bml__fail(rc, "%s%s", pre, prev);
}


/* ======================================================================
   Exporter state
   ====================================================================== */

/* One queued request: a text, token ids, or a pre-failed input. */
typedef struct bml__exp_req {
    uint64_t id;
    char *text;             /* owned; NULL for ids or failed                 */
    size_t len;
    int32_t *ids;           /* owned; NULL for text or failed                */
    size_t n_ids;
    int is_ids;
    char *err;              /* owned: a pre-failed input's message           */
} bml__exp_req;

typedef struct bml__exp_meth {
    char *name, *method_s, *target_s, *path;
    bml_target *target;
    bml_overlay_desc od;
    int fd;                 /* -1: not open (reopened at the next write)     */
    dev_t dev;
    ino_t ino;
    uint64_t good;          /* file length of the whole records it holds     */
    uint64_t synced;        /* of which fsynced                              */
    int dirty;              /* the file may be longer than good: cut first   */
    int dir_unsynced;       /* created: its directory entry is not fsynced   */
    bml__exp_req *q;        /* queued requests [qn]                          */
    size_t qn, qcap;
    char *lines;            /* record lines: [0, lw) written, not yet fsynced;
                               [lw, ln) computed, not yet written           */
    size_t lw, ln, lcap;
    size_t rec_total, rec_w;   /* records in lines / in [0, lw)             */
    size_t err_total, err_w;   /* of which error records                    */
    bml__idtab seen;        /* resume: ids in the file or added (value 1)   */
    bml_exporter_stats st;
} bml__exp_meth;

struct bml_exporter {
    bml_model *m;
    int enabled, resume, nondet;
    size_t bs;              /* 0 = sequential                                */
    bml_export_fsync fsync;
    char *dir;
    bml__exp_meth *meth;
    size_t nm;
};

/* ======================================================================
   Exporter output files: open (create, lock, repair a torn tail, scan),
   write, fsync
   ====================================================================== */

/* fsync the directory holding the files (a new file's entry). EINVAL
   (a file system without directory fsync) counts as done. */
static int bml__exp_sync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_CLOEXEC | O_DIRECTORY | O_NONBLOCK), r, e;
    if (fd < 0) return -1;
    r = BML_FSYNC(fd);
    e = errno;
    close(fd);
    if (r != 0 && e == EINVAL) r = 0;
    errno = e;
    return r;
}

/* Read the records of an open file [0, size): count them and, with
   resume, collect their ids (every line must be a JSON object with an
   integer "id"). */
static bml_status bml__exp_scan(bml_exporter *ex, bml__exp_meth *mm, uint64_t size, size_t *count) {
    char *chunk = NULL, *line = NULL;
    size_t lcap = 0, ll = 0, lineno = 0;
    uint64_t pos = 0;
    bml_status rc = BML_OK;
    *count = 0;
    chunk = (char *)BML_MALLOC(1 << 16);
    if (!chunk) return bml__fail(BML_ERR_NOMEM, "out of memory");
    while (pos < size && rc == BML_OK) {
        size_t want = size - pos < (1 << 16) ? (size_t)(size - pos) : (1 << 16), i, from = 0;
        ssize_t got = pread(mm->fd, chunk, want, (off_t)pos);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) { rc = bml__fail(BML_ERR_IO, "%s: read failed: %s", mm->path, got < 0 ? strerror(errno) : "unexpected end of file"); break; }
        for (i = 0; i < (size_t)got && rc == BML_OK; i++) {
            if (chunk[i] != '\n') continue;
            lineno++;
            (*count)++;
            if (ex->resume) {
                size_t n = i - from;
                bml_json_doc *doc = NULL;
                const bml_json *root, *id;
                char *end;
                unsigned long long v;
                if (ll + n + 1 > lcap) {
                    size_t nc = (ll + n + 1) * 2;
                    char *nb = (char *)BML_REALLOC(line, nc);
                    if (!nb) { rc = bml__fail(BML_ERR_NOMEM, "out of memory"); break; }
                    line = nb;
                    lcap = nc;
                }
                memcpy(line + ll, chunk + from, n);
                ll += n;
                line[ll] = 0;
                if (bml_json_parse(line, ll, "record", &doc) != BML_OK) {
                    rc = bml__exp_wrap(BML_ERR_FORMAT, "%s:%zu: not a JSON record, refusing to append to it: ", mm->path, lineno);
                    break;
                }
                root = bml_json_root(doc);
                id = bml_json_get(root, "id");
                errno = 0;
                v = id && id->type == BML_JSON_NUMBER ? strtoull(line + id->offset, &end, 10) : 0;
                if (!id || id->type != BML_JSON_NUMBER || errno || !*end || !strchr(",} \t\r\n", *end) ||
                    line[id->offset] == '-') {
                    bml_json_free(doc);
                    rc = bml__fail(BML_ERR_FORMAT, "%s:%zu: a record needs a non-negative integer \"id\"; refusing to append to it",
                                   mm->path, lineno);
                    break;
                }
                bml_json_free(doc);
                if (bml__idtab_put(&mm->seen, (uint64_t)v, 1) != 0) { rc = bml__fail(BML_ERR_NOMEM, "out of memory"); break; }
                ll = 0;
            }
            from = i + 1;
        }
        if (rc == BML_OK && ex->resume && from < (size_t)got) { /* a line continues in the next chunk */
            size_t n = (size_t)got - from;
            if (ll + n + 1 > lcap) {
                size_t nc = (ll + n + 1) * 2;
                char *nb = (char *)BML_REALLOC(line, nc);
                if (!nb) { rc = bml__fail(BML_ERR_NOMEM, "out of memory"); break; }
                line = nb;
                lcap = nc;
            }
            memcpy(line + ll, chunk + from, n);
            ll += n;
        }
        pos += (uint64_t)got;
    }
    BML_FREE(chunk);
    BML_FREE(line);
    return rc;
}

/* Length of the file's whole lines: up to and including its last '\n'. */
static bml_status bml__exp_whole_len(bml__exp_meth *mm, uint64_t size, uint64_t *keep) {
    char chunk[4096];
    uint64_t end = size;
    *keep = 0;
    while (end > 0) {
        size_t n = end < sizeof chunk ? (size_t)end : sizeof chunk, i;
        ssize_t got = pread(mm->fd, chunk, n, (off_t)(end - n));
        if (got < 0 && errno == EINTR) continue;
        if (got != (ssize_t)n) return bml__fail(BML_ERR_IO, "%s: read failed: %s", mm->path, got < 0 ? strerror(errno) : "short read");
        for (i = n; i > 0; i--)
            if (chunk[i - 1] == '\n') { *keep = end - n + i; return BML_OK; }
        end -= n;
    }
    return BML_OK;
}

/* Is the open file [0, size) with whole lines [0, keep) the exporter's?
   Its first line (whole or torn) opens a record ({"id":DIGIT), its last
   whole line closes one ("}\n"), and a torn tail is the start of a record.
   Checked before anything is cut or appended, so a file that only has the
   name (notes.jsonl of another tool) is refused, never truncated. */
static bml_status bml__exp_is_ours(bml__exp_meth *mm, uint64_t size, uint64_t keep) {
    static const char head[] = "{\"id\":";
    char b[8];
    size_t n;
    if (size == 0) return BML_OK;
    n = size < 7 ? (size_t)size : 7;
    if (pread(mm->fd, b, n, 0) != (ssize_t)n) return bml__fail(BML_ERR_IO, "%s: read failed: %s", mm->path, strerror(errno));
    /* a first line shorter than 7 bytes can only be a torn record start */
    if (memcmp(b, head, n < 6 ? n : 6) != 0 || (n == 7 && (b[6] < '0' || b[6] > '9')) || (n < 7 && keep != 0))
        goto not_ours;
    if (keep >= 2) {
        if (pread(mm->fd, b, 2, (off_t)(keep - 2)) != 2) return bml__fail(BML_ERR_IO, "%s: read failed: %s", mm->path, strerror(errno));
        if (b[0] != '}') goto not_ours;
    } else if (keep == 1) {
        goto not_ours;
    }
    if (keep && keep < size) { /* the torn tail: a record cut short */
        n = size - keep < 7 ? (size_t)(size - keep) : 7;
        if (pread(mm->fd, b, n, (off_t)keep) != (ssize_t)n) return bml__fail(BML_ERR_IO, "%s: read failed: %s", mm->path, strerror(errno));
        if (memcmp(b, head, n < 6 ? n : 6) != 0 || (n == 7 && (b[6] < '0' || b[6] > '9'))) goto not_ours;
    }
    return BML_OK;
not_ours:
    return bml__fail(BML_ERR_FORMAT, "%s: exists and is not an exporter file (its lines are not {\"id\":N,...} records); "
                     "refusing to repair or append to it: move it away or pick another directory", mm->path);
}

/* Open (or reopen) a method's file: create it and the directory if
   missing (never through a symbolic link, only a regular file), lock it,
   check it is an exporter file, cut a torn last line, count (and with
   resume read) its records. */
static bml_status bml__exp_open(bml_exporter *ex, bml__exp_meth *mm, int first) {
    struct stat sb;
    struct flock fl;
    uint64_t keep;
    size_t count = 0;
    int existed, fd;
    bml_status rc;
    if ((rc = bml__mkdirs(ex->dir)) != BML_OK) return rc;
    existed = lstat(mm->path, &sb) == 0;
    if (existed && S_ISLNK(sb.st_mode))
        return bml__fail(BML_ERR_IO, "%s: is a symbolic link; the exporter writes only to a regular file it can "
                         "vouch for, never through a link", mm->path);
    fd = open(mm->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
    if (fd < 0) return bml__fail(BML_ERR_IO, "%s: cannot open for appending: %s", mm->path, strerror(errno));
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return bml__fail(BML_ERR_IO, "%s: stat failed: %s", mm->path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return bml__fail(BML_ERR_IO, "%s: not a regular file (%s)", mm->path, bml__file_kind(sb.st_mode));
    }
    {
        int fls = fcntl(fd, F_GETFL);
        if (fls != -1) (void)fcntl(fd, F_SETFL, fls & ~O_NONBLOCK);
    }
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_SETLK, &fl) != 0) {
        int e = errno;
        long pid = -1;
        memset(&fl, 0, sizeof fl);
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) pid = (long)fl.l_pid;
        close(fd);
        if (e == EACCES || e == EAGAIN)
            return bml__fail(BML_ERR_IO, "%s is in use by another exporter (process %ld)", mm->path, pid);
        return bml__fail(BML_ERR_IO, "%s: cannot lock: %s", mm->path, strerror(e));
    }
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return bml__fail(BML_ERR_IO, "%s: stat failed: %s", mm->path, strerror(e));
    }
    mm->fd = fd;
    mm->dev = sb.st_dev;
    mm->ino = sb.st_ino;
    if ((rc = bml__exp_whole_len(mm, (uint64_t)sb.st_size, &keep)) != BML_OK) goto fail;
    if ((rc = bml__exp_is_ours(mm, (uint64_t)sb.st_size, keep)) != BML_OK) goto fail;
    if (keep < (uint64_t)sb.st_size) {
        size_t torn = (size_t)((uint64_t)sb.st_size - keep);
        if (BML_FTRUNCATE(fd, (off_t)keep) != 0) {
            rc = bml__fail(BML_ERR_IO, "%s: cannot truncate a torn last line (%zu bytes): %s", mm->path, torn, strerror(errno));
            goto fail;
        }
        mm->st.torn_bytes += torn;
        bml__log(BML_LOG_WARN, "%s: truncated a torn last line (%zu bytes) left by an interrupted write", mm->path, torn);
        if (ex->fsync != BML_EXPORT_FSYNC_NONE && BML_FSYNC(fd) != 0) {
            rc = bml__fail(BML_ERR_IO, "%s: fsync failed: %s", mm->path, strerror(errno));
            goto fail;
        }
    }
    if ((rc = bml__exp_scan(ex, mm, keep, &count)) != BML_OK) goto fail;
    if (first) mm->st.existing = count;
    mm->good = mm->synced = keep;
    mm->dirty = 0;
    mm->dir_unsynced = !existed;
    return BML_OK;
fail:
    close(fd);
    mm->fd = -1;
    return rc;
}

static void bml__exp_close_fd(bml__exp_meth *mm) {
    if (mm->fd >= 0) close(mm->fd);
    mm->fd = -1;
}

/* The written lines [0, lw) are durable now: drop them, count them. */
static void bml__exp_settle(bml__exp_meth *mm) {
    mm->st.records += mm->rec_w;
    mm->st.errors += mm->err_w;
    mm->rec_total -= mm->rec_w;
    mm->err_total -= mm->err_w;
    mm->rec_w = mm->err_w = 0;
    if (mm->lw) memmove(mm->lines, mm->lines + mm->lw, mm->ln - mm->lw);   /* lines may be NULL when empty */
    mm->ln -= mm->lw;
    mm->lw = 0;
    mm->synced = mm->good;
}

/* The lines written since the last fsync are not known durable (fsync
   failed, or the file went away): they go back to unwritten. */
static void bml__exp_unwrite(bml__exp_meth *mm) {
    mm->lw = 0;
    mm->rec_w = mm->err_w = 0;
}

/* fsync the file (and a new file's directory); on failure cut the file
   back to its synced length so the lines are written again. */
static bml_status bml__exp_sync(bml_exporter *ex, bml__exp_meth *mm) {
    uint64_t t0 = bml_now_ns();
    int r = 0, e = 0;
    if (mm->fd < 0) return BML_OK;
    if (mm->lw > 0 || mm->good != mm->synced) {
        r = BML_FSYNC(mm->fd);
        e = errno;
    }
    if (r == 0 && mm->dir_unsynced) {
        if (bml__exp_sync_dir(ex->dir) != 0) { r = -1; e = errno; }
        else mm->dir_unsynced = 0;
    }
    mm->st.sync_ns += bml_now_ns() - t0;
    if (r != 0) {
        mm->st.write_failures++;
        if (BML_FTRUNCATE(mm->fd, (off_t)mm->synced) == 0) mm->good = mm->synced;
        else { mm->dirty = 1; mm->good = mm->synced; }
        bml__exp_unwrite(mm);
        return bml__fail(BML_ERR_IO, "%s: fsync failed: %s; %zu records kept pending", mm->path, strerror(e),
                         mm->rec_total + mm->qn);
    }
    bml__exp_settle(mm);
    return BML_OK;
}

/* Append the unwritten lines [lw, ln) in one write loop; a failure cuts
   the file back to its last whole record and keeps the lines. Then fsync
   when asked (or when too much is unsynced). */
static bml_status bml__exp_write(bml_exporter *ex, bml__exp_meth *mm, int sync) {
    uint64_t t0;
    struct stat sb;
    size_t len = mm->ln - mm->lw, done = 0;
    int gone = 0;
    bml_status rc;
    if (mm->fd < 0 && (rc = bml__exp_open(ex, mm, 0)) != BML_OK) {
        mm->st.write_failures++;
        return bml__exp_wrap(rc, "%zu records kept pending: ", mm->rec_total + mm->qn);
    }
    if (mm->dirty) {
        if (BML_FTRUNCATE(mm->fd, (off_t)mm->good) != 0) {
            mm->st.write_failures++;
            return bml__fail(BML_ERR_IO, "%s: cannot cut back a failed write: %s; %zu records kept pending", mm->path,
                             strerror(errno), mm->rec_total + mm->qn);
        }
        mm->dirty = 0;
    }
    t0 = bml_now_ns();
    while (done < len) {
        ssize_t n = BML_WRITE(mm->fd, mm->lines + mm->lw + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int e = n < 0 ? errno : ENOSPC;
            mm->st.write_failures++;
            if (BML_FTRUNCATE(mm->fd, (off_t)mm->good) != 0) mm->dirty = 1;
            mm->st.write_ns += bml_now_ns() - t0;
            return bml__fail(BML_ERR_IO, "%s: write failed after %zu of %zu bytes: %s; %zu records kept pending", mm->path,
                             done, len, strerror(e), mm->rec_total + mm->qn);
        }
        done += (size_t)n;
    }
    mm->good += len;
    mm->st.bytes += len;
    mm->lw = mm->ln;
    mm->rec_w = mm->rec_total;
    mm->err_w = mm->err_total;
    /* the path must still name this file (not removed or replaced) */
    if (stat(mm->path, &sb) != 0 ? (gone = 1) : (sb.st_dev != mm->dev || sb.st_ino != mm->ino)) {
        mm->st.write_failures++;
        mm->st.write_ns += bml_now_ns() - t0;
        bml__exp_close_fd(mm);
        bml__exp_unwrite(mm);
        return bml__fail(BML_ERR_IO, "%s was %s while open; %zu records kept pending for a new file at the next flush",
                         mm->path, gone ? "removed" : "replaced", mm->rec_total + mm->qn);
    }
    mm->st.write_ns += bml_now_ns() - t0;
    if (ex->fsync == BML_EXPORT_FSYNC_NONE) { bml__exp_settle(mm); return BML_OK; }
    if (sync || ex->fsync == BML_EXPORT_FSYNC_BATCH || mm->lw > BML__EXP_UNSYNCED_MAX) return bml__exp_sync(ex, mm);
    return BML_OK;
}

/* ======================================================================
   Queues and batches
   ====================================================================== */

static void bml__exp_req_free(bml__exp_req *r) {
    BML_FREE(r->text);
    BML_FREE(r->ids);
    BML_FREE(r->err);
    memset(r, 0, sizeof *r);
}

static int bml__exp_lines_reserve(bml__exp_meth *mm, size_t more) {
    if (mm->ln + more + 1 > mm->lcap) {
        size_t nc = mm->lcap ? mm->lcap : 4096;
        char *nb;
        while (nc < mm->ln + more + 1) nc *= 2;
        nb = (char *)BML_REALLOC(mm->lines, nc);
        if (!nb) return -1;
        mm->lines = nb;
        mm->lcap = nc;
    }
    return 0;
}

/* Compute the first `count` queued requests in one batched call and
   append their record lines (in queue order); on failure the requests
   stay queued. */
static bml_status bml__exp_compute(bml_exporter *ex, bml__exp_meth *mm, size_t count) {
    bml_item items[BML__EXP_MAX_BATCH];
    bml_overlay outs[BML__EXP_MAX_BATCH], done[BML__EXP_MAX_BATCH];
    size_t i, n = 0, k = 0;
    bml_overlay_desc od = mm->od;
    bml_status rc = BML_OK;
    size_t ln0 = mm->ln, rec0 = mm->rec_total, err0 = mm->err_total;
    uint64_t t0;
    BML_ASSERT(count >= 1 && count <= BML__EXP_MAX_BATCH && count <= mm->qn);
    for (i = 0; i < count; i++) {
        bml__exp_req *r = &mm->q[i];
        if (r->err) continue;
        memset(&items[n], 0, sizeof items[n]);
        items[n].id = r->id;
        if (r->is_ids) {
            items[n].ids = r->ids ? r->ids : (const int32_t *)(const void *)&r->n_ids; /* non-NULL even when empty */
            items[n].n_ids = r->n_ids;
        } else {
            items[n].text = r->text;
            items[n].len = (ptrdiff_t)r->len;
        }
        n++;
    }
    t0 = bml_now_ns();
    if (n) {
        int saved = ex->m->deterministic;
        od.batch_size = n;
        if (!ex->nondet) ex->m->deterministic = 1;
        rc = bml_overlay_compute_batch(ex->m, &od, items, n, outs);
        ex->m->deterministic = saved;
        mm->st.batches++;
    }
    mm->st.compute_ns += bml_now_ns() - t0;
    if (rc != BML_OK)
        return bml__exp_wrap(rc, "%s: overlay pass failed (%zu requests kept queued): ", mm->path, mm->qn);
    t0 = bml_now_ns();
    /* in queue order: computed overlays and pre-failed inputs */
    for (i = 0; i < count; i++) {
        bml__exp_req *r = &mm->q[i];
        bml_overlay *o = &done[i];
        if (r->err) {
            memset(o, 0, sizeof *o);
            o->id = r->id;
            o->status = BML_ERR_FORMAT;
            snprintf(o->error, sizeof o->error, "%s", r->err);
        } else {
            *o = outs[k++];
        }
    }
    for (i = 0; i < count && rc == BML_OK; i++) {
        size_t room, len;
        if (bml__exp_lines_reserve(mm, 4096) != 0) { rc = bml__fail(BML_ERR_NOMEM, "out of memory"); break; }
        room = mm->lcap - mm->ln;
        len = bml_overlay_to_json(ex->m, &done[i], mm->method_s, mm->target_s, mm->lines + mm->ln, room);
        if (len >= room) {
            if (bml__exp_lines_reserve(mm, len + 1) != 0) { rc = bml__fail(BML_ERR_NOMEM, "out of memory"); break; }
            bml_overlay_to_json(ex->m, &done[i], mm->method_s, mm->target_s, mm->lines + mm->ln, mm->lcap - mm->ln);
        }
        mm->ln += len;
        mm->rec_total++;
        if (done[i].status != BML_OK) mm->err_total++;
    }
    for (k = 0; k < count; k++) bml_overlay_free(&done[k]);
    if (rc != BML_OK) {
        /* out of memory formatting: drop this batch's lines, keep its requests */
        mm->ln = ln0;
        mm->rec_total = rec0;
        mm->err_total = err0;
        return rc;
    }
    for (i = 0; i < count; i++) bml__exp_req_free(&mm->q[i]);
    memmove(mm->q, mm->q + count, (mm->qn - count) * sizeof *mm->q);
    mm->qn -= count;
    mm->st.write_ns += bml_now_ns() - t0;
    return BML_OK;
}

/* Write what is computed, compute full batches (every queued request when
   at_flush), write each as it is done; fsync per the policy. */
static bml_status bml__exp_drain(bml_exporter *ex, bml__exp_meth *mm, int at_flush) {
    size_t per = ex->bs ? ex->bs : 1;
    int sync_each = ex->fsync == BML_EXPORT_FSYNC_BATCH;
    bml_status rc;
    if (mm->ln > mm->lw && (rc = bml__exp_write(ex, mm, sync_each)) != BML_OK) return rc;
    while (mm->qn >= per || (at_flush && mm->qn > 0)) {
        if ((rc = bml__exp_compute(ex, mm, mm->qn < per ? mm->qn : per)) != BML_OK) return rc;
        if ((rc = bml__exp_write(ex, mm, sync_each)) != BML_OK) return rc;
    }
    if (at_flush && mm->fd >= 0) {
        if (mm->dirty) {
            if (BML_FTRUNCATE(mm->fd, (off_t)mm->good) != 0)
                return bml__fail(BML_ERR_IO, "%s: cannot cut back a failed write: %s", mm->path, strerror(errno));
            mm->dirty = 0;
        }
        if (ex->fsync != BML_EXPORT_FSYNC_NONE) return bml__exp_sync(ex, mm);
    }
    return BML_OK;
}

/* ======================================================================
   API
   ====================================================================== */

static void bml__exp_meth_free(bml__exp_meth *mm) {
    size_t i;
    bml__exp_close_fd(mm);
    for (i = 0; i < mm->qn; i++) bml__exp_req_free(&mm->q[i]);
    BML_FREE(mm->q);
    BML_FREE(mm->lines);
    bml__idtab_free(&mm->seen);
    bml_target_free(mm->target);
    BML_FREE(mm->name);
    BML_FREE(mm->method_s);
    BML_FREE(mm->target_s);
    BML_FREE(mm->path);
}

BMLDEF void bml_exporter_free(bml_exporter *ex) {
    size_t i;
    if (!ex) return;
    for (i = 0; i < ex->nm; i++) bml__exp_meth_free(&ex->meth[i]);
    BML_FREE(ex->meth);
    BML_FREE(ex->dir);
    BML_FREE(ex);
}

static int bml__exp_name_ok(const char *s) {
    size_t i, n = strlen(s);
    if (n == 0 || n > 200 || s[0] == '.') return 0;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
            return 0;
    }
    return 1;
}

/* Every field of the desc, in one place (also when disabled, so a typo in
   a disabled configuration still surfaces). */
static bml_status bml__exp_validate(const bml_exporter_desc *d) {
    size_t i, j;
    if (d->batch_size < 0 || d->batch_size > BML__EXP_MAX_BATCH)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_desc.batch_size must be 0..%d (0 = sequential, 1..%d = batched), got %d",
                         BML__EXP_MAX_BATCH, BML__EXP_MAX_BATCH, d->batch_size);
    if ((unsigned)d->fsync > BML_EXPORT_FSYNC_NONE)
        return bml__fail(BML_ERR_INVALID_ARG,
                         "bml_exporter_desc.fsync must be 0..2 (BML_EXPORT_FSYNC_FLUSH, _BATCH or _NONE), got %d", (int)d->fsync);
    if ((unsigned)d->utf8 > BML_UTF8_REPLACE)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_desc.utf8 must be 0..1 (BML_UTF8_ERROR or _REPLACE), got %d", (int)d->utf8);
    if (d->n_methods > BML__EXP_MAX_METHODS || d->n_methods < 1) /* also when disabled: a zeroed desc is no exporter */
        return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_desc.n_methods must be 1..%d, got %zu%s", BML__EXP_MAX_METHODS,
                         d->n_methods, d->enabled ? "" : " (a disabled exporter lists its methods too: a zeroed desc is an error, not a no-op)");
    if (d->n_methods && !d->methods)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_desc.methods is NULL with n_methods %zu", d->n_methods);
    if (d->enabled && (!d->dir || !d->dir[0]))
        return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_desc.dir (the output directory) is required");
    if (d->dir && strlen(d->dir) > 3000)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_desc.dir is too long (%zu bytes, at most 3000)", strlen(d->dir));
    for (i = 0; i < d->n_methods; i++) {
        const bml_exporter_method *e = &d->methods[i];
        bml_method meth;
        int want;
        const char *name;
        if (!e->method || bml_method_parse(e->method, &meth, &want) != BML_OK)
            return bml__fail(BML_ERR_INVALID_ARG,
                             "bml_exporter_desc.methods[%zu].method must be one of grad, grad_x_input, "
                             "integrated_gradients, policy_grad, value_grad, got '%.100s'",
                             i, e->method ? e->method : "(null)");
        if (d->enabled && (!e->target || !e->target[0]))
            return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_desc.methods[%zu].target is required (sim:TEXT, value:FILE or "
                             "policy:FILE:K), got %s", i, e->target ? "''" : "NULL");
        if (e->steps < 0 || e->steps > 4096)
            return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_desc.methods[%zu].steps must be 0..4096 (0 = 32), got %d", i,
                             e->steps);
        name = e->name ? e->name : e->method;
        if (!bml__exp_name_ok(name))
            return bml__fail(BML_ERR_INVALID_ARG,
                             "bml_exporter_desc.methods[%zu].name must be 1..200 of letters, digits, '_', '-', '.' (not "
                             "starting with '.'), got '%.100s'", i, name);
        for (j = 0; j < i; j++) {
            const char *other = d->methods[j].name ? d->methods[j].name : d->methods[j].method;
            if (!strcmp(name, other))
                return bml__fail(BML_ERR_INVALID_ARG,
                                 "bml_exporter_desc.methods[%zu].name '%s' is also methods[%zu]'s: each method needs its own "
                                 "file (set .name)", i, name, j);
        }
    }
    return BML_OK;
}

BMLDEF bml_status bml_exporter_create(bml_model *m, const bml_exporter_desc *desc, bml_exporter **out) {
    bml_exporter *ex;
    bml_status rc;
    size_t i;
    if (!out) return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_create: out is NULL");
    *out = NULL;
    if (!desc) return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_create: desc is NULL");
    if ((rc = bml__exp_validate(desc)) != BML_OK) return rc;
    if (desc->enabled && !m) return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_create: the model is NULL");
    if (desc->enabled && m->cl && !desc->nondeterministic)
        return bml__fail(BML_ERR_UNSUPPORTED,
                         "bml_exporter_desc.nondeterministic must be 1 on an OpenCL device: byte-identical records across "
                         "batch sizes need the CPU's deterministic mode");
    ex = (bml_exporter *)bml__calloc(1, sizeof *ex);
    if (!ex) return bml__fail(BML_ERR_NOMEM, "out of memory");
    ex->m = m;
    ex->enabled = desc->enabled != 0;
    ex->resume = desc->resume != 0;
    ex->nondet = desc->nondeterministic != 0;
    ex->bs = (size_t)desc->batch_size;
    ex->fsync = desc->fsync;
    if (!ex->enabled) { *out = ex; return BML_OK; }
    ex->dir = bml__strdup(desc->dir);
    ex->meth = (bml__exp_meth *)bml__calloc(desc->n_methods, sizeof *ex->meth);
    if (!ex->dir || !ex->meth) { bml_exporter_free(ex); return bml__fail(BML_ERR_NOMEM, "out of memory"); }
    for (i = 0; i < desc->n_methods; i++) ex->meth[i].fd = -1;
    ex->nm = desc->n_methods;
    for (i = 0; i < ex->nm; i++) {
        const bml_exporter_method *e = &desc->methods[i];
        bml__exp_meth *mm = &ex->meth[i];
        const char *name = e->name ? e->name : e->method;
        size_t plen = strlen(ex->dir) + strlen(name) + 8;
        int want;
        mm->name = bml__strdup(name);
        mm->method_s = bml__strdup(e->method);
        mm->target_s = bml__strdup(e->target);
        mm->path = (char *)BML_MALLOC(plen);
        if (!mm->name || !mm->method_s || !mm->target_s || !mm->path) { rc = bml__fail(BML_ERR_NOMEM, "out of memory"); goto fail; }
        bml__join(mm->path, plen, ex->dir, name);
        strcat(mm->path, ".jsonl");
        mm->st.name = mm->name;
        mm->st.path = mm->path;
        bml_method_parse(e->method, &mm->od.method, &want);
        {
            /* a sim: target embeds its text: in the same mode as the passes */
            int saved = m->deterministic;
            if (!ex->nondet) m->deterministic = 1;
            rc = bml_target_parse(m, e->target, &mm->target);
            m->deterministic = saved;
        }
        if (rc != BML_OK) {
            rc = bml__exp_wrap(rc, "bml_exporter_desc.methods[%zu].target: ", i);
            goto fail;
        }
        if (want >= 0 && (int)bml_target_kind_of(mm->target) != want) {
            rc = bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_desc.methods[%zu]: method %s needs a %s target, got '%.200s'", i,
                           e->method, want == BML_TARGET_POLICY ? "policy:FILE:K" : "value:FILE", e->target);
            goto fail;
        }
        mm->od.target = mm->target;
        mm->od.steps = e->steps;
        mm->od.utf8 = desc->utf8;
    }
    for (i = 0; i < ex->nm; i++)
        if ((rc = bml__exp_open(ex, &ex->meth[i], 1)) != BML_OK) goto fail;
    *out = ex;
    return BML_OK;
fail:
    bml_exporter_free(ex);
    return rc;
}

/* Queue one request (a copy of the input) on every method; compute and
   write the methods whose queue is full. */
static bml_status bml__exp_add(bml_exporter *ex, uint64_t id, const char *text, size_t len, const int32_t *ids,
                               size_t n_ids, int is_ids, const char *err) {
    bml_status first = BML_OK, rc;
    char msg[512];
    size_t i;
    if (!ex) return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_add: exporter is NULL");
    if (!ex->enabled) return BML_OK;
    for (i = 0; i < ex->nm; i++) {
        bml__exp_meth *mm = &ex->meth[i];
        bml__exp_req *r;
        if (ex->resume && bml__idtab_get(&mm->seen, id)) { mm->st.skipped++; continue; }
        if (mm->qn == mm->qcap) {
            size_t nc = mm->qcap ? mm->qcap * 2 : 64;
            bml__exp_req *nq = (bml__exp_req *)BML_REALLOC(mm->q, nc * sizeof *nq);
            if (!nq) return bml__fail(BML_ERR_NOMEM, "out of memory");
            mm->q = nq;
            mm->qcap = nc;
        }
        r = &mm->q[mm->qn];
        memset(r, 0, sizeof *r);
        r->id = id;
        r->is_ids = is_ids;
        if (err) {
            r->err = bml__strdup(err);
            if (!r->err) return bml__fail(BML_ERR_NOMEM, "out of memory");
        } else if (is_ids) {
            r->n_ids = n_ids;
            if (n_ids) {
                r->ids = (int32_t *)bml__calloc(n_ids, sizeof(int32_t));
                if (!r->ids) return bml__fail(BML_ERR_NOMEM, "out of memory");
                memcpy(r->ids, ids, n_ids * sizeof(int32_t));
            }
        } else {
            r->text = (char *)BML_MALLOC(len + 1);
            if (!r->text) return bml__fail(BML_ERR_NOMEM, "out of memory");
            if (len) memcpy(r->text, text, len);
            r->text[len] = 0;
            r->len = len;
        }
        mm->qn++;
        mm->st.items++;
        if (ex->resume && bml__idtab_put(&mm->seen, id, 1) != 0) return bml__fail(BML_ERR_NOMEM, "out of memory");
        if (mm->qn >= (ex->bs ? ex->bs : 1)) {
            rc = bml__exp_drain(ex, mm, 0);
            if (rc != BML_OK && first == BML_OK) {
                first = rc;
                snprintf(msg, sizeof msg, "%s", bml_last_error());
            }
        }
    }
    if (first != BML_OK) return bml__fail(first, "%s", msg);
    return BML_OK;
}

BMLDEF bml_status bml_exporter_add(bml_exporter *ex, uint64_t id, const char *text, ptrdiff_t len) {
    size_t n;
    if (!text) return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_add: text is NULL (id %llu)", (unsigned long long)id);
    n = len < 0 ? strlen(text) : (size_t)len;
    return bml__exp_add(ex, id, text, n, NULL, 0, 0, NULL);
}

BMLDEF bml_status bml_exporter_add_item(bml_exporter *ex, const bml_item *item) {
    if (!item) return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_add_item: item is NULL");
    if (item->ids) return bml__exp_add(ex, item->id, NULL, 0, item->ids, item->n_ids, 1, NULL);
    if (!item->text) return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_add_item: item %llu has neither text nor ids",
                                      (unsigned long long)item->id);
    return bml__exp_add(ex, item->id, item->text, item->len < 0 ? strlen(item->text) : (size_t)item->len, NULL, 0, 0, NULL);
}

BMLDEF bml_status bml_exporter_add_failed(bml_exporter *ex, uint64_t id, const char *error) {
    return bml__exp_add(ex, id, NULL, 0, NULL, 0, 0, error && error[0] ? error : "failed");
}

BMLDEF bml_status bml_exporter_flush(bml_exporter *ex) {
    bml_status first = BML_OK, rc;
    char msg[512];
    size_t i;
    if (!ex) return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_flush: exporter is NULL");
    msg[0] = 0;
    for (i = 0; i < ex->nm; i++) {
        rc = bml__exp_drain(ex, &ex->meth[i], 1);
        if (rc != BML_OK && first == BML_OK) {
            first = rc;
            snprintf(msg, sizeof msg, "%s", bml_last_error());
        }
    }
    if (first != BML_OK) return bml__fail(first, "%s", msg);
    return BML_OK;
}

BMLDEF bml_status bml_exporter_close(bml_exporter *ex) {
    bml_status rc;
    if (!ex) return BML_OK;
    if ((rc = bml_exporter_flush(ex)) != BML_OK) return rc;
    bml_exporter_free(ex);
    return BML_OK;
}

BMLDEF size_t bml_exporter_method_count(const bml_exporter *ex) { return ex ? ex->nm : 0; }

BMLDEF bml_status bml_exporter_stats_get(const bml_exporter *ex, size_t method, bml_exporter_stats *out) {
    const bml__exp_meth *mm;
    if (!ex || !out) return bml__fail(BML_ERR_INVALID_ARG, "bml_exporter_stats_get: NULL argument");
    if (method >= ex->nm)
        return bml__fail(BML_ERR_OUT_OF_RANGE, "bml_exporter_stats_get: method %zu, the exporter has %zu", method, ex->nm);
    mm = &ex->meth[method];
    *out = mm->st;
    out->pending = mm->qn + mm->rec_total;
    return BML_OK;
}

BMLDEF size_t bml_exporter_pending(const bml_exporter *ex) {
    size_t i, n = 0;
    if (!ex) return 0;
    for (i = 0; i < ex->nm; i++) n += ex->meth[i].qn + ex->meth[i].rec_total;
    return n;
}

#endif /* BATCHML_NO_EXPORTER */
#endif /* BATCHML_NO_OVERLAY */

#ifndef BATCHML_NO_MKMODEL
/* ======================================================================
   >>mkmodel  mkmodel: a random-weight model in exactly the Hugging Face layout,
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

static bml_status bml__write_text(const char *dir, const char *name, const char *text) {
    char path[4096];
    FILE *f;
    bml__join(path, sizeof path, dir, name);
    f = bml_fopen(path, "wb");
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
    f = bml_fopen(src, "wb");
    if (!f) { BML_FREE(buf); return bml__fail(BML_ERR_IO, "%s: cannot create: %s", src, strerror(errno)); }
    if (fwrite(buf, 1, len, f) != len || fclose(f) != 0) { BML_FREE(buf); return bml__fail(BML_ERR_IO, "%s: write failed", src); }
    BML_FREE(buf);
    return BML_OK;
}

/* A bml_mkmodel_desc with its zero defaults (all-MiniLM-L6-v2's shape)
   filled in, validated: the one place for both. */
static bml_status bml__mkmodel_desc_fill(const bml_mkmodel_desc *in, bml_mkmodel_desc *d) {
    memset(d, 0, sizeof *d); /* (gcc cannot see that d is unused after an error) */
    if (!in || !in->out_dir || !in->assets_dir)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_mkmodel: out_dir and assets_dir are required");
    *d = *in;
    if (!d->layers) d->layers = 6;
    if (!d->hidden) d->hidden = 384;
    if (!d->heads) d->heads = 12;
    if (!d->intermediate) d->intermediate = 1536;
    if (!d->max_position) d->max_position = 512;
    if (!d->max_seq_len) d->max_seq_len = d->max_position < 256 ? d->max_position : 256;
    if (d->layers < 1 || d->layers > 64 || d->hidden < 1 || d->hidden > 8192 || d->heads < 1 || d->heads > d->hidden ||
        d->hidden % d->heads || d->intermediate < 1 || d->intermediate > 32768 || d->max_position < 2 ||
        d->max_position > 8192)
        return bml__fail(BML_ERR_INVALID_ARG,
                         "bml_mkmodel: bad architecture (layers %d, hidden %d, heads %d, intermediate %d, positions %d): "
                         "layers 1..64, hidden 1..8192 divisible by heads, intermediate 1..32768, positions 2..8192",
                         d->layers, d->hidden, d->heads, d->intermediate, d->max_position);
    if (d->max_seq_len < 1 || d->max_seq_len > d->max_position)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_mkmodel: max_seq_len %d must be 1..max_position (%d)",
                         d->max_seq_len, d->max_position);
    if ((unsigned)d->pooling > BML_POOL_MEAN_SQRT_LEN)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_mkmodel: pooling %d is not a bml_pooling", (int)d->pooling);
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
    bml_mkmodel_desc d;
    if ((rc = bml__mkmodel_desc_fill(desc, &d)) != BML_OK) return rc;
    desc = &d;
    L = d.layers;
    H = d.hidden;
    A = d.heads;
    I = d.intermediate;
    P = d.max_position;
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
    f = bml_fopen(path, "wb");
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
             desc->max_seq_len);
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

#endif /* BATCHML_NO_MKMODEL */

/* ======================================================================
   >>tune  Batch-size tuning
   ====================================================================== */
/* Batch-size tuning (API above).
   Sections: cache sizes and the arena formula; profiles and batch forming;
   the heuristic; the archive (memory, load, save); the run-time choice;
   the search (inputs, fitness, MAP-Elites, guard, results). */

/* ======================================================================
   Cache sizes and the activation arena formula
   ====================================================================== */

/* "1024K", "32M", "512" -> bytes (0 if unreadable). */
static size_t bml__tune_parse_size(const char *s) {
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s) return 0;
    if (*end == 'K' || *end == 'k') v <<= 10;
    else if (*end == 'M' || *end == 'm') v <<= 20;
    else if (*end == 'G' || *end == 'g') v <<= 30;
    return (size_t)v;
}

static int bml__tune_read_small(const char *path, char *buf, size_t cap) {
    ssize_t r;
    size_t n = 0;
    int fd;
    if (bml_open_regular(path, &fd) != BML_OK) return 0;
    while (n < cap - 1 && (r = read(fd, buf + n, cap - 1 - n)) > 0) n += (size_t)r;
    close(fd);
    buf[n] = 0;
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) buf[--n] = 0;
    return n > 0;
}

static size_t bml__tune_l2, bml__tune_l3;
static bml__once_flag bml__tune_cache_once = BML__ONCE_INIT;

static void bml__tune_detect_caches(void) {
    size_t l2 = 0, l3 = 0;
    int i;
    for (i = 0; i < 10; i++) {
        char path[128], level[16], type[32], size[32];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
        if (!bml__tune_read_small(path, level, sizeof level)) continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", i);
        if (!bml__tune_read_small(path, type, sizeof type) || !strcmp(type, "Instruction")) continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        if (!bml__tune_read_small(path, size, sizeof size)) continue;
        if (!strcmp(level, "2")) l2 = bml__tune_parse_size(size);
        if (!strcmp(level, "3")) l3 = bml__tune_parse_size(size);
    }
#ifdef _SC_LEVEL2_CACHE_SIZE
    if (!l2) { long v = sysconf(_SC_LEVEL2_CACHE_SIZE); if (v > 0) l2 = (size_t)v; }
#endif
#ifdef _SC_LEVEL3_CACHE_SIZE
    if (!l3) { long v = sysconf(_SC_LEVEL3_CACHE_SIZE); if (v > 0) l3 = (size_t)v; }
#endif
    /* implausible figures (some VMs report the host's whole L3) are unknown */
    if (l2 < ((size_t)64 << 10) || l2 > ((size_t)64 << 20)) l2 = (size_t)1 << 20;
    if (l3 > ((size_t)256 << 20)) l3 = 0;
    bml__tune_l2 = l2;
    bml__tune_l3 = l3;
}

BMLDEF void bml_cache_sizes(size_t *l2, size_t *l3) {
    bml__once(&bml__tune_cache_once, bml__tune_detect_caches);
    if (l2) *l2 = bml__tune_l2;
    if (l3) *l3 = bml__tune_l3 ? bml__tune_l3 : (size_t)8 << 20;
}

/* ======================================================================
   Profiles and batch forming (exactly as bml_embed_batch forms batches)
   ====================================================================== */

BMLDEF void bml_batch_profile_of(const size_t *lens, size_t n, bml_batch_profile *out) {
    size_t i;
    double s = 0, s2 = 0;
    memset(out, 0, sizeof *out);
    for (i = 0; lens && i < n; i++) {
        if (!lens[i]) continue;
        out->n++;
        out->tokens += lens[i];
        if (lens[i] > out->max_len) out->max_len = lens[i];
        s += (double)lens[i];
        s2 += (double)lens[i] * (double)lens[i];
    }
    if (out->n) {
        double mean = s / (double)out->n, var = s2 / (double)out->n - mean * mean;
        out->mean_len = mean;
        out->spread = var > 0 ? sqrt(var) / mean : 0;
    }
}

/* The valid lengths of an input, in input order and sorted. */
typedef struct bml__tune_lens {
    size_t *ord, *srt, n, maxlen;
} bml__tune_lens;

static void bml__tune_lens_free(bml__tune_lens *v) {
    BML_FREE(v->ord);
    BML_FREE(v->srt);
    memset(v, 0, sizeof *v);
}

/* ord and srt are the lengths in the two run orders of the batch planner
   (keep_order, and by length). */
static bml_status bml__tune_lens_make(const size_t *lens, size_t n, bml__tune_lens *v) {
    size_t i, nrun = 0;
    bml_status rc;
    memset(v, 0, sizeof *v);
    v->ord = (size_t *)bml__calloc(n + 1, sizeof(size_t));
    v->srt = (size_t *)bml__calloc(n + 1, sizeof(size_t));
    if (!v->ord || !v->srt) { bml__tune_lens_free(v); return bml__fail(BML_ERR_NOMEM, "out of memory profiling %zu lengths", n); }
    for (i = 0; i < n; i++)
        if (lens[i]) {
            v->ord[v->n++] = lens[i];
            if (lens[i] > v->maxlen) v->maxlen = lens[i];
        }
    if ((rc = bml__plan_order(lens, n, 0, v->srt, &nrun)) != BML_OK) { bml__tune_lens_free(v); return rc; }
    for (i = 0; i < nrun; i++) v->srt[i] = lens[v->srt[i]];
    return BML_OK;
}

/* Walks the batches of a call: fn(ctx, tokens, nseq, maxlen, sum of len^2). */
typedef void (*bml__tune_batch_fn)(void *ctx, size_t T, size_t nseq, size_t maxL, double sumL2);

static void bml__tune_walk(const bml__tune_lens *v, size_t bs, size_t mt, int keep_order, bml__tune_batch_fn fn,
                           void *ctx) {
    const size_t *L = keep_order ? v->ord : v->srt;
    size_t done = 0;
    if (!bs) bs = BML__BATCH_SIZE_DEFAULT;
    while (done < v->n) {
        size_t nb = bml__plan_batch(L, NULL, v->n, done, bs, mt), tok = 0, mx = 0, k;
        double s2 = 0;
        for (k = done; k < done + nb; k++) {
            tok += L[k];
            s2 += (double)L[k] * (double)L[k];
            if (L[k] > mx) mx = L[k];
        }
        fn(ctx, tok, nb, mx, s2);
        done += nb;
    }
}

typedef struct { const bml_config *c; size_t threads, peak; } bml__tune_peak_ctx;

static void bml__tune_peak_fn(void *ctx, size_t T, size_t nseq, size_t maxL, double sumL2) {
    bml__tune_peak_ctx *p = (bml__tune_peak_ctx *)ctx;
    size_t b = 4 * bml__ws_floats(p->c, p->threads, T, nseq, maxL, NULL);
    (void)sumL2;
    if (b > p->peak) p->peak = b;
}

static size_t bml__tune_peak(const bml_config *c, size_t threads, const bml__tune_lens *v, size_t bs, size_t mt,
                             int keep_order) {
    bml__tune_peak_ctx p;
    p.c = c;
    p.threads = threads;
    p.peak = 0;
    bml__tune_walk(v, bs, mt, keep_order, bml__tune_peak_fn, &p);
    return p.peak;
}

BMLDEF size_t bml_batch_peak_bytes(const bml_model *m, const size_t *lens, size_t n, size_t batch_size,
                                   size_t max_tokens, int keep_order) {
    bml__tune_lens v;
    size_t peak;
    if (!m || (!lens && n)) return 0;
    if (bml__tune_lens_make(lens, n, &v) != BML_OK) return 0;
    peak = bml__tune_peak(&m->cfg, (size_t)m->threads, &v, batch_size, max_tokens, keep_order);
    bml__tune_lens_free(&v);
    return peak;
}

/* ======================================================================
   The heuristic default
   ====================================================================== */

/* Token target of one pass for a model shape and thread count. */
static size_t bml__tune_token_target(const bml_config *c, size_t threads) {
    double H = c->hidden, I = c->intermediate;
    double wl = 4.0 * (4.0 * H * H + 2.0 * H * I);    /* weight bytes per layer     */
    double a = 4.0 * (6.0 * H + I);                   /* activation bytes per token */
    double t = 4.0 * wl / a, lo = 64.0 * (double)threads, hi;
    size_t l2, l3, cache;
    bml_cache_sizes(&l2, &l3);
    cache = l2 * threads > l3 ? l2 * threads : l3;
    hi = (double)cache / a;
    if (hi > 8192) hi = 8192;
    if (hi < lo) hi = lo;
    if (t < lo) t = lo;
    if (t > hi) t = hi;
    return (size_t)(t + 0.5);
}

static void bml__tune_heur(const bml_config *c, size_t threads, const bml__tune_lens *v, size_t budget,
                           bml_batch_choice *out) {
    size_t T = bml__tune_token_target(c, threads), bs, mt, i;
    double mean = 0;
    memset(out, 0, sizeof *out);
    out->cell = -1;
    out->threads = (int)threads;
    out->why = "heuristic";
    for (i = 0; i < v->n; i++) mean += (double)v->ord[i];
    mean = v->n ? mean / (double)v->n : 16.0;
    if (mean < 1) mean = 1;
    bs = (size_t)((double)T / mean + 0.5);
    if (bs < 1) bs = 1;
    if (bs > 4096) bs = 4096;
    if (v->n && bs >= v->n) bs = v->n;
    else if (v->n) {
        size_t nb = (v->n + bs - 1) / bs; /* balance: no runt last batch */
        bs = (v->n + nb - 1) / nb;
    }
    mt = 2 * T;
    if (budget && v->n) {
        size_t one = 4 * bml__ws_floats(c, threads, v->maxlen, 1, v->maxlen, NULL);
        if (one > budget) {
            out->over_budget = 1;
            bs = 1;
            mt = 1;
        } else {
            while (bml__tune_peak(c, threads, v, bs, mt, 0) > budget) {
                size_t nmt = mt * 7 / 8;
                if (nmt >= mt) nmt = mt - 1;
                if (nmt < 1) nmt = 1;
                mt = nmt;
                if (bs > 1 && (double)bs * mean > (double)mt) bs = (size_t)((double)mt / mean) + 1;
                if (mt == 1) break;
            }
        }
    }
    out->batch_size = bs;
    out->max_tokens = mt;
    out->keep_order = 0;
    out->peak_bytes = bml__tune_peak(c, threads, v, bs, mt, 0);
}

BMLDEF bml_status bml_batch_heuristic(const bml_model *m, const size_t *lens, size_t n, size_t memory_budget,
                                      bml_batch_choice *out) {
    bml__tune_lens v;
    bml_status rc;
    if (!m || !out || (!lens && n)) return bml__fail(BML_ERR_INVALID_ARG, "bml_batch_heuristic: NULL argument");
    if ((rc = bml__tune_lens_make(lens, n, &v)) != BML_OK) return rc;
    bml__tune_heur(&m->cfg, (size_t)m->threads, &v, memory_budget, out);
    bml__tune_lens_free(&v);
    return BML_OK;
}

/* ======================================================================
   The archive in memory
   ====================================================================== */

#define BML__TUNE_MAXG 16
#define BML__TUNE_VERSION 1

typedef struct bml__tune_member {
    bml_tune_individual ind;
    double rate;            /* items/s (running mean over samples)          */
    size_t peak;            /* activation bytes on the cell's input          */
    size_t samples;
    int heuristic;          /* origin: 1 heuristic, 0 search                 */
    size_t generation;
    int guarded;            /* checked by the guard in this run (not saved)  */
} bml__tune_member;

typedef struct bml__tune_cell {
    int filled;
    size_t nfront;
    bml__tune_member front[BML_TUNE_FRONT];
    size_t elite;
    int has_guard, guard_kept_elite;
    double guard_h, guard_e;
} bml__tune_cell;

enum { BML__FIT_TIME, BML__FIT_COST, BML__FIT_CUSTOM };
static const char *const bml__tune_fit_names[] = {"time", "cost", "custom"};

struct bml_tuning {
    int hidden, layers, heads, intermediate, vocab, max_seq_len;
    size_t cpus, l2, l3;
    uint64_t seed;
    size_t generations, evaluations, test_size, memory_budget;
    int repeats, fitness;
    size_t ng[3];
    double grid[3][BML__TUNE_MAXG];   /* mean_len, spread, items centres */
    bml__tune_cell *cells;            /* ng[0] * ng[1] * ng[2]            */
};

static size_t bml__tune_ncells(const bml_tuning *t) { return t->ng[0] * t->ng[1] * t->ng[2]; }

static void bml__tune_cell_centre(const bml_tuning *t, size_t ci, double *len, double *spread, size_t *items) {
    size_t k = ci % t->ng[2], j = (ci / t->ng[2]) % t->ng[1], i = ci / (t->ng[2] * t->ng[1]);
    *len = t->grid[0][i];
    *spread = t->grid[1][j];
    *items = (size_t)t->grid[2][k];
}

#ifndef BATCHML_NO_TUNE /* used by the search only */
static void bml__tune_default_grid(bml_tuning *t) {
    static const double len[] = {8, 16, 32, 64, 128, 256}, spread[] = {0.1, 0.4, 0.8}, items[] = {16, 128, 1024};
    t->ng[0] = 6;
    t->ng[1] = 3;
    t->ng[2] = 3;
    memcpy(t->grid[0], len, sizeof len);
    memcpy(t->grid[1], spread, sizeof spread);
    memcpy(t->grid[2], items, sizeof items);
}
#endif

BMLDEF void bml_tuning_free(bml_tuning *t) {
    if (!t) return;
    BML_FREE(t->cells);
    BML_FREE(t);
}

#ifndef BATCHML_NO_TUNE /* used by the search only */
static int bml__tune_same_ind(const bml_tune_individual *a, const bml_tune_individual *b) {
    return a->batch_size == b->batch_size && a->max_tokens == b->max_tokens && a->keep_order == b->keep_order &&
           a->threads == b->threads;
}
#endif

#ifndef BATCHML_NO_TUNE /* used by the search only */
static void bml__tune_set_elite_argmax(bml__tune_cell *c) {
    size_t i;
    c->elite = 0;
    for (i = 1; i < c->nfront; i++)
        if (c->front[i].rate > c->front[c->elite].rate) c->elite = i;
}
#endif

BMLDEF void bml_tuning_get_info(const bml_tuning *t, bml_tuning_info *out) {
    size_t i;
    memset(out, 0, sizeof *out);
    if (!t) return;
    out->version = BML__TUNE_VERSION;
    out->seed = t->seed;
    out->generations = t->generations;
    out->evaluations = t->evaluations;
    out->test_size = t->test_size;
    out->memory_budget = t->memory_budget;
    out->repeats = t->repeats;
    out->fitness = bml__tune_fit_names[t->fitness];
    out->hidden = t->hidden;
    out->layers = t->layers;
    out->heads = t->heads;
    out->intermediate = t->intermediate;
    out->vocab = t->vocab;
    out->max_seq_len = t->max_seq_len;
    out->cells_total = bml__tune_ncells(t);
    for (i = 0; i < out->cells_total; i++) out->cells_filled += t->cells[i].filled != 0;
}

static void bml__tune_member_choice(const bml_tuning *t, size_t ci, const bml__tune_member *mb, bml_batch_choice *o) {
    memset(o, 0, sizeof *o);
    o->batch_size = mb->ind.batch_size;
    o->max_tokens = mb->ind.max_tokens;
    o->keep_order = mb->ind.keep_order;
    o->threads = mb->ind.threads;
    o->from_archive = 1;
    o->cell = (int)ci;
    o->items_per_s = mb->rate;
    o->peak_bytes = mb->peak;
    o->why = "archive cell";
    (void)t;
}

BMLDEF bml_status bml_tuning_get_cell(const bml_tuning *t, size_t i, bml_tuning_cell *out) {
    size_t ci, k = 0;
    if (!t || !out) return bml__fail(BML_ERR_INVALID_ARG, "bml_tuning_get_cell: NULL argument");
    for (ci = 0; ci < bml__tune_ncells(t); ci++) {
        const bml__tune_cell *c = &t->cells[ci];
        if (!c->filled) continue;
        if (k++ != i) continue;
        memset(out, 0, sizeof *out);
        out->cell = (int)ci;
        bml__tune_cell_centre(t, ci, &out->mean_len, &out->spread, &out->items);
        out->front_size = c->nfront;
        bml__tune_member_choice(t, ci, &c->front[c->elite], &out->elite);
        return BML_OK;
    }
    return bml__fail(BML_ERR_OUT_OF_RANGE, "bml_tuning_get_cell: %zu is not below the %zu filled cells", i, k);
}

/* ======================================================================
   Archive: save (temp file + rename) and strict load
   ====================================================================== */

static void bml__tune_put_ind(FILE *f, const bml_tune_individual *ind) {
    fprintf(f, "\"batch_size\": %zu, \"max_tokens\": %zu, \"policy\": \"%s\", \"threads\": %d", ind->batch_size,
            ind->max_tokens, ind->keep_order ? "input_order" : "sorted", ind->threads);
}

static void bml__tune_put_model(FILE *f, const bml_tuning *t) {
    fprintf(f,
            "  \"model\": {\"hidden\": %d, \"layers\": %d, \"heads\": %d, \"intermediate\": %d, \"vocab\": %d, "
            "\"max_seq_len\": %d},\n"
            "  \"machine\": {\"cpus\": %zu, \"l2_bytes\": %zu, \"l3_bytes\": %zu},\n",
            t->hidden, t->layers, t->heads, t->intermediate, t->vocab, t->max_seq_len, t->cpus, t->l2, t->l3);
}

static void bml__tune_put_guard(FILE *f, const bml__tune_cell *c) {
    if (!c->has_guard) { fputs("null", f); return; }
    fprintf(f, "{\"heuristic_items_per_s\": %.17g, \"elite_items_per_s\": %.17g, \"kept\": \"%s\"}", c->guard_h,
            c->guard_e, c->guard_kept_elite ? "elite" : "heuristic");
}

static void bml__tune_write_archive(FILE *f, const bml_tuning *t) {
    size_t ci, i, a, first = 1;
    static const char *const axes[] = {"mean_len", "spread", "items"};
    fprintf(f, "{\n  \"format\": \"batchml-tuning-archive\",\n  \"version\": %d,\n", BML__TUNE_VERSION);
    bml__tune_put_model(f, t);
    fprintf(f,
            "  \"seed\": %llu,\n  \"generations\": %zu,\n  \"evaluations\": %zu,\n  \"test_size\": %zu,\n"
            "  \"repeats\": %d,\n  \"memory_budget\": %zu,\n  \"fitness\": \"%s\",\n  \"grid\": {",
            (unsigned long long)t->seed, t->generations, t->evaluations, t->test_size, t->repeats, t->memory_budget,
            bml__tune_fit_names[t->fitness]);
    for (a = 0; a < 3; a++) {
        fprintf(f, "%s\"%s\": [", a ? ", " : "", axes[a]);
        for (i = 0; i < t->ng[a]; i++) fprintf(f, "%s%.15g", i ? ", " : "", t->grid[a][i]);
        fputc(']', f);
    }
    fputs("},\n  \"cells\": [", f);
    for (ci = 0; ci < bml__tune_ncells(t); ci++) {
        const bml__tune_cell *c = &t->cells[ci];
        double len, spread;
        size_t items;
        if (!c->filled) continue;
        bml__tune_cell_centre(t, ci, &len, &spread, &items);
        fprintf(f, "%s\n    {\"cell\": %zu, \"mean_len\": %.15g, \"spread\": %.15g, \"items\": %zu, \"elite\": %zu,\n",
                first ? "" : ",", ci, len, spread, items, c->elite);
        first = 0;
        fputs("     \"guard\": ", f);
        bml__tune_put_guard(f, c);
        fputs(",\n     \"front\": [", f);
        for (i = 0; i < c->nfront; i++) {
            const bml__tune_member *mb = &c->front[i];
            fprintf(f, "%s\n       {", i ? "," : "");
            bml__tune_put_ind(f, &mb->ind);
            fprintf(f, ", \"items_per_s\": %.17g, \"peak_bytes\": %zu, \"samples\": %zu, \"origin\": \"%s\", "
                       "\"generation\": %zu}",
                    mb->rate, mb->peak, mb->samples, mb->heuristic ? "heuristic" : "search", mb->generation);
        }
        fputs("]}", f);
    }
    fputs("\n  ]\n}\n", f);
}

/* Write via a temp file in the same directory, then rename over `path`. */
static bml_status bml__tune_atomic_write(const char *path, void (*writer)(FILE *, const void *), const void *obj) {
    char tmp[4096];
    FILE *f;
    int bad;
    if (strlen(path) + 32 >= sizeof tmp) return bml__fail(BML_ERR_INVALID_ARG, "%s: path too long", path);
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, bml__getpid());
    f = bml_fopen(tmp, "wb");
    if (!f) return bml__fail(BML_ERR_IO, "%s: cannot write: %s", tmp, strerror(errno));
    writer(f, obj);
    bad = fflush(f) != 0 || ferror(f);
    bad |= fclose(f) != 0;
    if (bad) {
        bml__remove(tmp);
        return bml__fail(BML_ERR_IO, "%s: write error", tmp);
    }
    if (bml__rename(tmp, path) != 0) {
        int e = errno;
        bml__remove(tmp);
        return bml__fail(BML_ERR_IO, "%s: cannot replace: %s", path, strerror(e));
    }
    return BML_OK;
}

static void bml__tune_archive_writer(FILE *f, const void *obj) { bml__tune_write_archive(f, (const bml_tuning *)obj); }

BMLDEF bml_status bml_tuning_save(const bml_tuning *t, const char *path) {
    if (!t || !path) return bml__fail(BML_ERR_INVALID_ARG, "bml_tuning_save: NULL argument");
    return bml__tune_atomic_write(path, bml__tune_archive_writer, t);
}

/* --- strict reader ---------------------------------------------------- */

typedef struct bml__tune_rd {
    const char *file;
    char where[160];        /* "cells[3].front[0]" */
} bml__tune_rd;

static bml_status bml__tune_bad(const bml__tune_rd *r, const char *field, const char *what) {
    return bml__fail(BML_ERR_FORMAT, "%s: %s%s%s: %s", r->file, r->where, r->where[0] ? "." : "", field, what);
}

/* Every member of obj must be one of the NULL-terminated keys. */
static bml_status bml__tune_keys(const bml__tune_rd *r, const bml_json *obj, const char *const *keys) {
    size_t i, k;
    for (i = 0; i < obj->len; i++) {
        int ok = 0;
        for (k = 0; keys[k]; k++)
            if (!strcmp(obj->kids[i].key, keys[k])) ok = 1;
        for (k = 0; ok && k < i; k++)
            if (!strcmp(obj->kids[k].key, obj->kids[i].key)) return bml__tune_bad(r, obj->kids[i].key, "duplicate field");
        if (!ok) return bml__tune_bad(r, obj->kids[i].key, "unknown field");
    }
    return BML_OK;
}

static bml_status bml__tune_num(const bml__tune_rd *r, const bml_json *obj, const char *key, double lo, double hi,
                                int integer, double *out) {
    const bml_json *v = bml_json_get(obj, key);
    char what[96];
    if (integer) snprintf(what, sizeof what, "expected an integer in %.17g..%.17g", lo, hi);
    else snprintf(what, sizeof what, "expected a number in %g..%g", lo, hi);
    if (!v) return bml__tune_bad(r, key, "missing");
    if (v->type != BML_JSON_NUMBER || !(v->num >= lo && v->num <= hi) || (integer && v->num != floor(v->num)))
        return bml__tune_bad(r, key, what);
    *out = v->num;
    return BML_OK;
}

static bml_status bml__tune_int(const bml__tune_rd *r, const bml_json *obj, const char *key, double lo, double hi,
                                size_t *out) {
    double d = 0;
    bml_status rc = bml__tune_num(r, obj, key, lo, hi, 1, &d);
    if (rc == BML_OK) *out = (size_t)d;
    return rc;
}

static bml_status bml__tune_obj(const bml__tune_rd *r, const bml_json *parent, const char *key, const bml_json **out) {
    const bml_json *v = bml_json_get(parent, key);
    if (!v) return bml__tune_bad(r, key, "missing");
    if (v->type != BML_JSON_OBJECT) return bml__tune_bad(r, key, "expected an object");
    *out = v;
    return BML_OK;
}

#define BML__TUNE_MAXINT 9007199254740991.0 /* 2^53 - 1 */

static bml_status bml__tune_read_member(bml__tune_rd *r, const bml_json *o, bml__tune_member *mb) {
    static const char *const keys[] = {"batch_size", "max_tokens", "policy", "threads", "items_per_s",
                                       "peak_bytes", "samples", "origin", "generation", NULL};
    const bml_json *v;
    size_t x;
    double d;
    bml_status rc;
    if (o->type != BML_JSON_OBJECT) return bml__fail(BML_ERR_FORMAT, "%s: %s: expected an object", r->file, r->where);
    if ((rc = bml__tune_keys(r, o, keys)) != BML_OK) return rc;
    if ((rc = bml__tune_int(r, o, "batch_size", 1, 4096, &mb->ind.batch_size)) != BML_OK) return rc;
    if ((rc = bml__tune_int(r, o, "max_tokens", 0, 1 << 24, &mb->ind.max_tokens)) != BML_OK) return rc;
    v = bml_json_get(o, "policy");
    if (!v) return bml__tune_bad(r, "policy", "missing");
    if (v->type != BML_JSON_STRING || (strcmp(v->str, "sorted") && strcmp(v->str, "input_order")))
        return bml__tune_bad(r, "policy", "expected \"sorted\" or \"input_order\"");
    mb->ind.keep_order = !strcmp(v->str, "input_order");
    if ((rc = bml__tune_int(r, o, "threads", 1, 256, &x)) != BML_OK) return rc;
    mb->ind.threads = (int)x;
    if ((rc = bml__tune_num(r, o, "items_per_s", 1e-300, 1e300, 0, &d)) != BML_OK) return rc;
    mb->rate = d;
    if ((rc = bml__tune_int(r, o, "peak_bytes", 0, BML__TUNE_MAXINT, &mb->peak)) != BML_OK) return rc;
    if ((rc = bml__tune_int(r, o, "samples", 1, BML__TUNE_MAXINT, &mb->samples)) != BML_OK) return rc;
    if ((rc = bml__tune_int(r, o, "generation", 0, BML__TUNE_MAXINT, &mb->generation)) != BML_OK) return rc;
    v = bml_json_get(o, "origin");
    if (!v) return bml__tune_bad(r, "origin", "missing");
    if (v->type != BML_JSON_STRING || (strcmp(v->str, "heuristic") && strcmp(v->str, "search")))
        return bml__tune_bad(r, "origin", "expected \"heuristic\" or \"search\"");
    mb->heuristic = !strcmp(v->str, "heuristic");
    return BML_OK;
}

static bml_status bml__tune_read_cell(bml__tune_rd *r, const bml_json *o, bml_tuning *t) {
    static const char *const keys[] = {"cell", "mean_len", "spread", "items", "elite", "guard", "front", NULL};
    static const char *const gkeys[] = {"heuristic_items_per_s", "elite_items_per_s", "kept", NULL};
    size_t ci, items, el, i, base = strlen(r->where);
    double len, spread, glen, gspread;
    size_t gitems;
    const bml_json *fr, *g;
    bml__tune_cell *c;
    bml_status rc;
    if (o->type != BML_JSON_OBJECT) return bml__fail(BML_ERR_FORMAT, "%s: %s: expected an object", r->file, r->where);
    if ((rc = bml__tune_keys(r, o, keys)) != BML_OK) return rc;
    if ((rc = bml__tune_int(r, o, "cell", 0, (double)bml__tune_ncells(t) - 1, &ci)) != BML_OK) return rc;
    c = &t->cells[ci];
    if (c->filled) return bml__tune_bad(r, "cell", "the same cell appears twice");
    if ((rc = bml__tune_num(r, o, "mean_len", 0, 1e9, 0, &len)) != BML_OK ||
        (rc = bml__tune_num(r, o, "spread", 0, 1e9, 0, &spread)) != BML_OK ||
        (rc = bml__tune_int(r, o, "items", 1, BML__TUNE_MAXINT, &items)) != BML_OK)
        return rc;
    bml__tune_cell_centre(t, ci, &glen, &gspread, &gitems);
    if (fabs(len - glen) > 1e-9 * glen || fabs(spread - gspread) > 1e-9 * (gspread + 1e-9) || items != gitems)
        return bml__tune_bad(r, "cell", "its mean_len/spread/items do not match the grid's centres for that index");
    fr = bml_json_get(o, "front");
    if (!fr) return bml__tune_bad(r, "front", "missing");
    if (fr->type != BML_JSON_ARRAY || fr->len < 1 || fr->len > BML_TUNE_FRONT)
        return bml__tune_bad(r, "front", "expected an array of 1..8 members");
    for (i = 0; i < fr->len; i++) {
        snprintf(r->where + base, sizeof r->where - base, ".front[%zu]", i);
        if ((rc = bml__tune_read_member(r, &fr->kids[i], &c->front[i])) != BML_OK) return rc;
        r->where[base] = 0;
    }
    c->nfront = fr->len;
    if ((rc = bml__tune_int(r, o, "elite", 0, (double)fr->len - 1, &el)) != BML_OK) return rc;
    c->elite = el;
    g = bml_json_get(o, "guard");
    if (!g) return bml__tune_bad(r, "guard", "missing");
    if (g->type == BML_JSON_OBJECT) {
        const bml_json *k;
        snprintf(r->where + base, sizeof r->where - base, ".guard");
        if ((rc = bml__tune_keys(r, g, gkeys)) != BML_OK ||
            (rc = bml__tune_num(r, g, "heuristic_items_per_s", 1e-300, 1e300, 0, &c->guard_h)) != BML_OK ||
            (rc = bml__tune_num(r, g, "elite_items_per_s", 1e-300, 1e300, 0, &c->guard_e)) != BML_OK)
            return rc;
        k = bml_json_get(g, "kept");
        if (!k) return bml__tune_bad(r, "kept", "missing");
        if (k->type != BML_JSON_STRING || (strcmp(k->str, "elite") && strcmp(k->str, "heuristic")))
            return bml__tune_bad(r, "kept", "expected \"elite\" or \"heuristic\"");
        c->guard_kept_elite = !strcmp(k->str, "elite");
        c->has_guard = 1;
        r->where[base] = 0;
    } else if (g->type != BML_JSON_NULL) {
        return bml__tune_bad(r, "guard", "expected null or an object");
    }
    c->filled = 1;
    return BML_OK;
}

static bml_status bml__tune_read_archive(const bml_json *root, const char *file, bml_tuning *t) {
    static const char *const keys[] = {"format", "version", "model", "machine", "seed", "generations",
                                       "evaluations", "test_size", "repeats", "memory_budget", "fitness",
                                       "grid", "cells", NULL};
    static const char *const mkeys[] = {"hidden", "layers", "heads", "intermediate", "vocab", "max_seq_len", NULL};
    static const char *const hkeys[] = {"cpus", "l2_bytes", "l3_bytes", NULL};
    static const char *const gkeys[] = {"mean_len", "spread", "items", NULL};
    bml__tune_rd r;
    const bml_json *v, *o, *cells;
    size_t x, a, i;
    double d;
    bml_status rc;
    memset(&r, 0, sizeof r);
    r.file = file;
    if (root->type != BML_JSON_OBJECT)
        return bml__fail(BML_ERR_FORMAT, "%s: not a batchml tuning archive (the JSON is not an object)", file);
    v = bml_json_get(root, "format");
    if (!v || v->type != BML_JSON_STRING)
        return bml__fail(BML_ERR_FORMAT, "%s: not a batchml tuning archive (no \"format\" field)", file);
    if (!strcmp(v->str, "batchml-tuning-results"))
        return bml__fail(BML_ERR_FORMAT, "%s: this is a tuning results file, not an archive (use the --archive file)", file);
    if (strcmp(v->str, "batchml-tuning-archive"))
        return bml__fail(BML_ERR_FORMAT, "%s: not a batchml tuning archive (format is \"%.60s\")", file, v->str);
    v = bml_json_get(root, "version");
    if (!v || v->type != BML_JSON_NUMBER)
        return bml__fail(BML_ERR_FORMAT, "%s: version: missing or not a number", file);
    if (v->num != BML__TUNE_VERSION)
        return bml__fail(BML_ERR_UNSUPPORTED, "%s: archive version %g is not supported (this build reads version %d)",
                         file, v->num, BML__TUNE_VERSION);
    if ((rc = bml__tune_keys(&r, root, keys)) != BML_OK) return rc;
    if ((rc = bml__tune_obj(&r, root, "model", &o)) != BML_OK) return rc;
    snprintf(r.where, sizeof r.where, "model");
    if ((rc = bml__tune_keys(&r, o, mkeys)) != BML_OK) return rc;
#define BML__TUNE_RDI(obj, key, lo, hi, dst)                                                                          \
    do {                                                                                                               \
        if ((rc = bml__tune_int(&r, obj, key, lo, hi, &x)) != BML_OK) return rc;                                       \
        dst = x;                                                                                                       \
    } while (0)
    BML__TUNE_RDI(o, "hidden", 1, 1 << 20, t->hidden);
    BML__TUNE_RDI(o, "layers", 1, 1 << 20, t->layers);
    BML__TUNE_RDI(o, "heads", 1, 1 << 20, t->heads);
    BML__TUNE_RDI(o, "intermediate", 1, 1 << 24, t->intermediate);
    BML__TUNE_RDI(o, "vocab", 1, 1 << 30, t->vocab);
    BML__TUNE_RDI(o, "max_seq_len", 1, 1 << 24, t->max_seq_len);
    r.where[0] = 0;
    if ((rc = bml__tune_obj(&r, root, "machine", &o)) != BML_OK) return rc;
    snprintf(r.where, sizeof r.where, "machine");
    if ((rc = bml__tune_keys(&r, o, hkeys)) != BML_OK) return rc;
    BML__TUNE_RDI(o, "cpus", 1, 1 << 20, t->cpus);
    BML__TUNE_RDI(o, "l2_bytes", 0, BML__TUNE_MAXINT, t->l2);
    BML__TUNE_RDI(o, "l3_bytes", 0, BML__TUNE_MAXINT, t->l3);
    r.where[0] = 0;
    if ((rc = bml__tune_num(&r, root, "seed", 0, BML__TUNE_MAXINT, 1, &d)) != BML_OK) return rc;
    t->seed = (uint64_t)d;
    BML__TUNE_RDI(root, "generations", 0, BML__TUNE_MAXINT, t->generations);
    BML__TUNE_RDI(root, "evaluations", 0, BML__TUNE_MAXINT, t->evaluations);
    BML__TUNE_RDI(root, "test_size", 1, 1 << 20, t->test_size);
    BML__TUNE_RDI(root, "repeats", 1, 1000, t->repeats);
    BML__TUNE_RDI(root, "memory_budget", 0, BML__TUNE_MAXINT, t->memory_budget);
#undef BML__TUNE_RDI
    v = bml_json_get(root, "fitness");
    if (!v) return bml__tune_bad(&r, "fitness", "missing");
    t->fitness = -1;
    for (i = 0; v->type == BML_JSON_STRING && i < 3; i++)
        if (!strcmp(v->str, bml__tune_fit_names[i])) t->fitness = (int)i;
    if (t->fitness < 0) return bml__tune_bad(&r, "fitness", "expected \"time\", \"cost\" or \"custom\"");
    if ((rc = bml__tune_obj(&r, root, "grid", &o)) != BML_OK) return rc;
    snprintf(r.where, sizeof r.where, "grid");
    if ((rc = bml__tune_keys(&r, o, gkeys)) != BML_OK) return rc;
    for (a = 0; a < 3; a++) {
        const bml_json *arr = bml_json_get(o, gkeys[a]);
        if (!arr) return bml__tune_bad(&r, gkeys[a], "missing");
        if (arr->type != BML_JSON_ARRAY || arr->len < 1 || arr->len > BML__TUNE_MAXG)
            return bml__tune_bad(&r, gkeys[a], "expected an array of 1..16 numbers");
        for (i = 0; i < arr->len; i++) {
            const bml_json *e = &arr->kids[i];
            double lo = a == 1 ? 0 : 1;
            if (e->type != BML_JSON_NUMBER || !(e->num >= lo && e->num <= 1e9) ||
                (a == 2 && e->num != floor(e->num)) || (i && !(e->num > t->grid[a][i - 1])))
                return bml__tune_bad(&r, gkeys[a], a == 2 ? "expected strictly increasing integers >= 1"
                                                          : "expected strictly increasing numbers in range");
            t->grid[a][i] = e->num;
        }
        t->ng[a] = arr->len;
    }
    r.where[0] = 0;
    cells = bml_json_get(root, "cells");
    if (!cells) return bml__tune_bad(&r, "cells", "missing");
    if (cells->type != BML_JSON_ARRAY) return bml__tune_bad(&r, "cells", "expected an array");
    t->cells = (bml__tune_cell *)bml__calloc(bml__tune_ncells(t), sizeof(bml__tune_cell));
    if (!t->cells) return bml__fail(BML_ERR_NOMEM, "%s: out of memory", file);
    for (i = 0; i < cells->len; i++) {
        snprintf(r.where, sizeof r.where, "cells[%zu]", i);
        if ((rc = bml__tune_read_cell(&r, &cells->kids[i], t)) != BML_OK) return rc;
    }
    return BML_OK;
}

BMLDEF bml_status bml_tuning_load(const char *path, bml_tuning **out) {
    bml_json_doc *doc = NULL;
    bml_tuning *t;
    bml_status rc;
    if (!out) return bml__fail(BML_ERR_INVALID_ARG, "bml_tuning_load: out is NULL");
    *out = NULL;
    if (!path) return bml__fail(BML_ERR_INVALID_ARG, "bml_tuning_load: path is NULL");
    if ((rc = bml_json_load(path, (size_t)64 << 20, &doc)) != BML_OK) return rc;
    t = (bml_tuning *)bml__calloc(1, sizeof *t);
    if (!t) { bml_json_free(doc); return bml__fail(BML_ERR_NOMEM, "out of memory"); }
    rc = bml__tune_read_archive(bml_json_root(doc), path, t);
    bml_json_free(doc);
    if (rc != BML_OK) { bml_tuning_free(t); return rc; }
    *out = t;
    return BML_OK;
}

/* ======================================================================
   Run-time choice: the nearest archive cell, else the heuristic
   ====================================================================== */

/* Fractional cell index of value v on an axis of centres c[0..k) (log2
   scale for lengths and item counts, linear for the spread). */
static double bml__tune_axis(const double *c, size_t k, double v, int logscale) {
    double tv = logscale ? log2(v > 1e-9 ? v : 1e-9) : v;
    size_t j;
#define BML__TC(i) (logscale ? log2(c[i]) : c[i])
    if (k == 1) return tv - BML__TC(0);
    if (tv <= BML__TC(0)) return (tv - BML__TC(0)) / (BML__TC(1) - BML__TC(0));
    for (j = 0; j + 1 < k; j++)
        if (tv <= BML__TC(j + 1)) return (double)j + (tv - BML__TC(j)) / (BML__TC(j + 1) - BML__TC(j));
    return (double)(k - 1) + (tv - BML__TC(k - 1)) / (BML__TC(k - 1) - BML__TC(k - 2));
#undef BML__TC
}

static int bml__tune_shape_ok(const bml_tuning *t, const bml_config *c) {
    return t->hidden == c->hidden && t->layers == c->layers && t->heads == c->heads &&
           t->intermediate == c->intermediate && t->vocab == c->vocab && t->max_seq_len == c->max_seq_len;
}

/* Nearest filled cell to a profile (-1: outside the archive); *dist in cell widths. */
static int bml__tune_nearest(const bml_tuning *t, const bml_batch_profile *p, double *dist) {
    double x[3];
    size_t ci, a;
    int best = -1;
    double bd = 1e300;
    x[0] = bml__tune_axis(t->grid[0], t->ng[0], p->mean_len, 1);
    x[1] = bml__tune_axis(t->grid[1], t->ng[1], p->spread, 0);
    x[2] = bml__tune_axis(t->grid[2], t->ng[2], (double)p->n, 1);
    /* the item-count axis is open at both ends: a call's batching depends on
       its count only up to the batch size, and large counts are measured at
       test_size anyway; length and spread beyond half a cell are outside */
    if (x[2] < 0) x[2] = 0;
    if (x[2] > (double)t->ng[2] - 1) x[2] = (double)t->ng[2] - 1;
    for (a = 0; a < 2; a++)
        if (x[a] < -0.5 || x[a] > (double)t->ng[a] - 0.5) return -1;
    for (ci = 0; ci < bml__tune_ncells(t); ci++) {
        size_t k = ci % t->ng[2], j = (ci / t->ng[2]) % t->ng[1], i = ci / (t->ng[2] * t->ng[1]);
        double d0 = x[0] - (double)i, d1 = x[1] - (double)j, d2 = x[2] - (double)k, d;
        if (!t->cells[ci].filled) continue;
        d = sqrt(d0 * d0 + d1 * d1 + d2 * d2);
        if (d < bd) { bd = d; best = (int)ci; }
    }
    *dist = bd;
    return bd <= 1.0 ? best : -1;
}

static bml_status bml__tune_choose_lens(const bml_tuning *t, const bml_model *m, const bml__tune_lens *v,
                                        size_t budget, bml_batch_choice *out) {
    bml_batch_profile p;
    double dist = 0;
    int ci;
    const char *why;
    bml_batch_profile_of(v->ord, v->n, &p);
    if (!t) why = "heuristic: no archive";
    else if (!bml__tune_shape_ok(t, &m->cfg)) why = "heuristic: the archive is for another model shape";
    else if (!p.n) why = "heuristic: no valid items";
    else if ((ci = bml__tune_nearest(t, &p, &dist)) < 0) why = "heuristic: the input's profile is outside the archive";
    else {
        const bml__tune_cell *c = &t->cells[ci];
        size_t i, peaks[BML_TUNE_FRONT] = {0};
        int best = -1, best_th = -1;
        for (i = 0; i < c->nfront; i++) {
            const bml_tune_individual *ind = &c->front[i].ind;
            peaks[i] = bml__tune_peak(&m->cfg, (size_t)m->threads, v, ind->batch_size, ind->max_tokens, ind->keep_order);
            if (budget && peaks[i] > budget) continue;
            if (best < 0 || c->front[i].rate > c->front[best].rate) best = (int)i;
            if (ind->threads == m->threads && (best_th < 0 || c->front[i].rate > c->front[best_th].rate))
                best_th = (int)i;
        }
        /* the elite when it fits (and its thread count matches, or none
           that fits does); else the fastest fitting member */
        if (!(budget && peaks[c->elite] > budget) &&
            (c->front[c->elite].ind.threads == m->threads || best_th < 0))
            best = (int)c->elite;
        else if (best_th >= 0)
            best = best_th;
        if (best >= 0) {
            bml__tune_member_choice(t, (size_t)ci, &c->front[best], out);
            out->distance = dist;
            out->peak_bytes = peaks[best];
            if (best != (int)c->elite) out->why = "archive cell (a front member under the memory budget)";
            return BML_OK;
        }
        why = "heuristic: no archived configuration fits the memory budget";
    }
    bml__tune_heur(&m->cfg, (size_t)m->threads, v, budget, out);
    out->why = why;
    return BML_OK;
}

BMLDEF bml_status bml_tuning_choose(const bml_tuning *t, const bml_model *m, const size_t *lens, size_t n,
                                    size_t memory_budget, bml_batch_choice *out) {
    bml__tune_lens v;
    bml_status rc;
    if (!m || !out || (!lens && n)) return bml__fail(BML_ERR_INVALID_ARG, "bml_tuning_choose: NULL argument");
    if ((rc = bml__tune_lens_make(lens, n, &v)) != BML_OK) return rc;
    rc = bml__tune_choose_lens(t, m, &v, memory_budget, out);
    bml__tune_lens_free(&v);
    return rc;
}

/* bml_embed_batch's hook for batch_size == BML_BATCH_AUTO: fills the batch
   shape of *d from the archive or the heuristic for these lengths (0 =
   an invalid item, skipped). A keep_order the caller set stays set. */
#if defined(__GNUC__)
__attribute__((unused))
#endif
static bml_status bml__tune_apply(const bml_model *m, const bml_tuning *t, size_t memory_budget, const size_t *lens,
                                  size_t n, bml_batch_desc *d) {
    bml_batch_choice c;
    bml_status rc;
    memset(&c, 0, sizeof c); /* gcc -O3 cannot see that every OK path fills c */
    rc = bml_tuning_choose(t, m, lens, n, memory_budget, &c);
    if (rc != BML_OK) return rc;
    d->batch_size = c.batch_size;
    d->max_tokens = c.max_tokens;
    d->keep_order = d->keep_order || c.keep_order;
    bml__log(BML_LOG_DEBUG, "auto batch: batch_size %zu, max_tokens %zu, %s (%s, cell %d)", c.batch_size,
             c.max_tokens, c.keep_order ? "input order" : "sorted", c.why, c.cell);
    return BML_OK;
}

#ifndef BATCHML_NO_TUNE
/* ======================================================================
   The search: generated inputs, fitness, MAP-Elites, guard, results
   ====================================================================== */

static uint64_t bml__tune_mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static uint64_t bml__tune_next(uint64_t *s) { return bml__tune_mix(*s += 0x632BE59BD9B4E019ull); }
static double bml__tune_unif(uint64_t *s) { return (double)(bml__tune_next(s) >> 11) * (1.0 / 9007199254740992.0); }
static size_t bml__tune_below(uint64_t *s, size_t n) { return n ? (size_t)(bml__tune_next(s) % n) : 0; }

/* The random stream of (seed, a, b): independent of everything else. */
static uint64_t bml__tune_stream(uint64_t seed, uint64_t a, uint64_t b) {
    return bml__tune_mix(bml__tune_mix(seed ^ 0x7475E1E5u) ^ bml__tune_mix(a * 0x100000001B3ull + b));
}

/* A cell's generated input. */
typedef struct bml__tune_input {
    int ready;
    size_t n;
    size_t *lens;
    int32_t *ids;           /* all sequences back to back                   */
    bml_item *items;
    bml__tune_lens v;
    bml_tune_individual heur; /* the heuristic's individual for it          */
    size_t heur_peak;
    double heur_rate;       /* its latest measurement in this run (0: none) */
} bml__tune_input;

typedef struct bml__tune_eval {
    size_t generation;
    int child, cell;
    const char *parent, *outcome;
    bml_tune_individual ind;
    double rate;
    size_t peak;
} bml__tune_eval;

typedef struct bml__tune_run {
    const bml_tune_desc *d; /* &dd: the caller's desc, defaults filled in    */
    bml_tune_desc dd;
    bml_tuning *t;
    bml_config cfg;
    bml_model *models[257]; /* by thread count (time fitness)               */
    const char *model_path;
    int threads_max, nthreads_opts, thread_opts[16];
    size_t *active, nactive;
    bml__tune_input *in;    /* [ncells]                                     */
    float *out;             /* embeddings scratch                           */
    size_t out_rows;
    bml__tune_eval *log;
    size_t nlog, caplog;
    size_t gen_from, gen_to, done, total;
    uint64_t t0;
    int complete;
} bml__tune_run;

static bml_status bml__tune_model(bml__tune_run *R, int threads, bml_model **out) {
    if (!R->models[threads]) {
        bml_model_desc md;
        memset(&md, 0, sizeof md);
        md.path = R->model_path;
        md.threads = threads;
        md.no_tokenizer = 1;
        {
            bml_status rc = bml_model_load(&md, &R->models[threads]);
            if (rc != BML_OK) return rc;
        }
    }
    *out = R->models[threads];
    return BML_OK;
}

static bml_status bml__tune_input_get(bml__tune_run *R, size_t ci, bml__tune_input **out) {
    bml__tune_input *in = &R->in[ci];
    double mean, spread, sigma, mu;
    size_t items, i, k, tot = 0, maxlen, lo_id, hi_id;
    uint64_t rng;
    bml_status rc;
    bml_batch_choice hc;
    *out = in;
    if (in->ready) return BML_OK;
    bml__tune_cell_centre(R->t, ci, &mean, &spread, &items);
    in->n = items < R->t->test_size ? items : R->t->test_size;
    maxlen = (size_t)R->cfg.max_seq_len;
    if (maxlen > (size_t)R->cfg.max_position) maxlen = (size_t)R->cfg.max_position;
    if (maxlen < 3) maxlen = 3;
    sigma = sqrt(log(1.0 + spread * spread));
    mu = log(mean) - 0.5 * sigma * sigma;
    rng = bml__tune_stream(R->t->seed, 0xCE11ull, ci);
    in->lens = (size_t *)bml__calloc(in->n, sizeof(size_t));
    in->items = (bml_item *)bml__calloc(in->n, sizeof(bml_item));
    if (!in->lens || !in->items) return bml__fail(BML_ERR_NOMEM, "out of memory generating inputs");
    for (i = 0; i < in->n; i++) {
        double u1 = bml__tune_unif(&rng), u2 = bml__tune_unif(&rng);
        double z = sqrt(-2.0 * log(u1 > 1e-300 ? u1 : 1e-300)) * cos(6.283185307179586 * u2);
        double l = exp(mu + sigma * z);
        size_t L = (size_t)(l + 0.5);
        if (L < 3) L = 3;
        if (L > maxlen) L = maxlen;
        in->lens[i] = L;
        tot += L;
    }
    in->ids = (int32_t *)bml__calloc(tot, sizeof(int32_t));
    if (!in->ids) return bml__fail(BML_ERR_NOMEM, "out of memory generating inputs");
    hi_id = (size_t)R->cfg.vocab < 30000 ? (size_t)R->cfg.vocab : 30000;
    lo_id = hi_id > 2000 ? 1000 : 0;
    for (i = 0, tot = 0; i < in->n; i++) {
        int32_t *p = in->ids + tot;
        for (k = 0; k < in->lens[i]; k++) p[k] = (int32_t)(lo_id + bml__tune_below(&rng, hi_id - lo_id));
        if ((size_t)R->cfg.vocab > 102) { p[0] = 101; p[in->lens[i] - 1] = 102; }
        in->items[i].id = i;
        in->items[i].ids = p;
        in->items[i].n_ids = in->lens[i];
        tot += in->lens[i];
    }
    if ((rc = bml__tune_lens_make(in->lens, in->n, &in->v)) != BML_OK) return rc;
    bml__tune_heur(&R->cfg, (size_t)R->threads_max, &in->v, R->t->memory_budget, &hc);
    in->heur.batch_size = hc.batch_size;
    in->heur.max_tokens = hc.max_tokens;
    in->heur.keep_order = hc.keep_order;
    in->heur.threads = R->threads_max;
    in->heur_peak = hc.peak_bytes;
    in->ready = 1;
    return BML_OK;
}

/* --- fitness ---------------------------------------------------------- */

typedef struct { const bml_config *c; double threads, l2, l3, secs; } bml__tune_cost_ctx;

static void bml__tune_cost_fn(void *ctx, size_t T, size_t nseq, size_t maxL, double sumL2) {
    bml__tune_cost_ctx *k = (bml__tune_cost_ctx *)ctx;
    double H = k->c->hidden, I = k->c->intermediate, Ly = k->c->layers;
    double flops = Ly * (2.0 * (double)T * (4 * H * H + 2 * H * I) + 4.0 * sumL2 * H);
    double ws = 4.0 * (double)bml__ws_floats(k->c, (size_t)k->threads, T, nseq, maxL, NULL);
    double cache = k->l2 * k->threads > k->l3 ? k->l2 * k->threads : k->l3;
    double eff = (double)T / ((double)T + 48.0 * k->threads);
    double slow = ws > cache ? 1.0 + 0.15 * log2(ws / cache) : 1.0;
    double rate = 50e9 * pow(k->threads, 0.9) * eff / slow;
    k->secs += flops / rate + Ly * 12.0 * 4e-6 * k->threads;
}

/* The analytic cost model (BML_TUNE_COST): deterministic items/s. */
static double bml__tune_cost(const bml__tune_run *R, const bml_tune_individual *ind, const bml__tune_input *in) {
    bml__tune_cost_ctx k;
    size_t l2, l3;
    bml_cache_sizes(&l2, &l3);
    k.c = &R->cfg;
    k.threads = ind->threads;
    k.l2 = (double)l2;
    k.l3 = (double)l3;
    k.secs = 0;
    bml__tune_walk(&in->v, ind->batch_size, ind->max_tokens, ind->keep_order, bml__tune_cost_fn, &k);
    return (double)in->n / (k.secs > 0 ? k.secs : 1e-9);
}

static bml_status bml__tune_call(bml__tune_run *R, const bml_tune_individual *ind, const bml__tune_input *in,
                                 size_t n, double *secs) {
    bml_model *m;
    bml_batch_desc bd;
    uint64_t t0;
    bml_status rc;
    if ((rc = bml__tune_model(R, ind->threads, &m)) != BML_OK) return rc;
    memset(&bd, 0, sizeof bd);
    bd.batch_size = ind->batch_size;
    bd.max_tokens = ind->max_tokens;
    bd.keep_order = ind->keep_order;
    t0 = bml_now_ns();
    if ((rc = bml_embed_batch(m, in->items, n, &bd, R->out, NULL)) != BML_OK) return rc;
    if (secs) *secs = (double)(bml_now_ns() - t0) * 1e-9;
    return BML_OK;
}

static double bml__tune_median(double *v, size_t n) {
    qsort(v, n, sizeof(double), bml__cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Fitness of an individual on a cell's input (items/s). */
static bml_status bml__tune_fitness(bml__tune_run *R, const bml_tune_individual *ind, const bml__tune_input *in,
                                    double *rate) {
    double secs[1000];
    int r;
    bml_status rc;
    if (R->d->fitness_fn) {
        *rate = R->d->fitness_fn(R->d->fitness_user, ind, in->lens, in->n);
        if (!(*rate > 0) || *rate > 1e300)
            return bml__fail(BML_ERR_INVALID_ARG, "bml_tune: fitness_fn returned %g (must be > 0)", *rate);
        return BML_OK;
    }
    if (R->t->fitness == BML__FIT_COST) { *rate = bml__tune_cost(R, ind, in); return BML_OK; }
    /* warm-up: the first batch (allocates the arena, faults the weights) */
    if ((rc = bml__tune_call(R, ind, in, ind->batch_size < in->n ? ind->batch_size : in->n, NULL)) != BML_OK) return rc;
    for (r = 0; r < R->t->repeats; r++)
        if ((rc = bml__tune_call(R, ind, in, in->n, &secs[r])) != BML_OK) return rc;
    *rate = (double)in->n / bml__tune_median(secs, (size_t)R->t->repeats);
    return BML_OK;
}

/* --- archive updates ---------------------------------------------------- */

/* Put a measured individual into a cell's front; returns the outcome. */
static const char *bml__tune_insert(bml__tune_cell *c, const bml_tune_individual *ind, double rate, size_t peak,
                                    int heuristic, size_t gen) {
    size_t i, j;
    bml__tune_member nm;
    for (i = 0; i < c->nfront; i++)
        if (bml__tune_same_ind(&c->front[i].ind, ind)) {
            bml__tune_member *mb = &c->front[i];
            mb->rate = (mb->rate * (double)mb->samples + rate) / (double)(mb->samples + 1);
            mb->samples++;
            bml__tune_set_elite_argmax(c);
            return "remeasured";
        }
    for (i = 0; i < c->nfront; i++)
        if (c->front[i].rate >= rate && c->front[i].peak <= peak) return "dominated";
    for (i = j = 0; i < c->nfront; i++)
        if (!(rate >= c->front[i].rate && peak <= c->front[i].peak)) c->front[j++] = c->front[i];
    c->nfront = j;
    memset(&nm, 0, sizeof nm);
    nm.ind = *ind;
    nm.rate = rate;
    nm.peak = peak;
    nm.samples = 1;
    nm.heuristic = heuristic;
    nm.generation = gen;
    if (c->nfront == BML_TUNE_FRONT) {
        /* full: drop the slowest member that is not the leanest */
        size_t lean = 0, slow = (size_t)-1;
        for (i = 1; i < c->nfront; i++)
            if (c->front[i].peak < c->front[lean].peak) lean = i;
        for (i = 0; i < c->nfront; i++)
            if (i != lean && (slow == (size_t)-1 || c->front[i].rate < c->front[slow].rate)) slow = i;
        if (rate <= c->front[slow].rate && peak >= c->front[lean].peak) return "dominated";
        c->front[slow] = nm;
    } else {
        c->front[c->nfront++] = nm;
    }
    c->filled = 1;
    bml__tune_set_elite_argmax(c);
    return bml__tune_same_ind(&c->front[c->elite].ind, ind) ? "elite" : "front";
}

/* --- progress and the results file -------------------------------------- */

static void bml__tune_emit(bml__tune_run *R, bml_tune_event *ev) {
    double el = (double)(bml_now_ns() - R->t0) * 1e-9;
    size_t ci, filled = 0;
    if (!R->d->progress) return;
    for (ci = 0; ci < bml__tune_ncells(R->t); ci++) filled += R->t->cells[ci].filled != 0;
    ev->generation_end = R->gen_to;
    ev->done = R->done;
    ev->total = R->total;
    ev->elapsed_s = el;
    ev->eta_s = R->done ? el / (double)R->done * (double)(R->total > R->done ? R->total - R->done : 0) : 0;
    ev->cells_filled = filled;
    ev->cells_searched = R->nactive;
    R->d->progress(ev, R->d->progress_user);
}

static void bml__tune_results_writer(FILE *f, const void *obj) {
    const bml__tune_run *R = (const bml__tune_run *)obj;
    const bml_tuning *t = R->t;
    size_t i;
    fprintf(f, "{\n  \"format\": \"batchml-tuning-results\",\n  \"version\": %d,\n", BML__TUNE_VERSION);
    bml__tune_put_model(f, t);
    fprintf(f, "  \"seed\": %llu,\n", (unsigned long long)t->seed);
    fprintf(f,
            "  \"protocol\": {\"fitness\": \"%s\", \"warmup\": \"one bml_embed_batch call on the first batch_size "
            "items of the cell's input\", \"timed\": \"bml_embed_batch over all items of the cell's input, the "
            "model loaded with the individual's thread count\", \"repeats\": %d, \"statistic\": \"median\", "
            "\"clock\": \"CLOCK_MONOTONIC\", \"unit\": \"items/s\", \"test_size\": %zu, \"items_per_cell\": "
            "\"min(cell items, test_size)\", \"guard\": \"%s\"},\n",
            bml__tune_fit_names[t->fitness], t->repeats, t->test_size,
            R->d->no_guard ? "off" : "elite vs heuristic side by side, alternating, repeats each, medians");
    fprintf(f, "  \"generations_from\": %zu,\n  \"generations_to\": %zu,\n  \"complete\": %s,\n  \"elapsed_s\": %.3f,\n",
            R->gen_from, t->generations, R->complete ? "true" : "false", (double)(bml_now_ns() - R->t0) * 1e-9);
    fputs("  \"evaluations\": [", f);
    for (i = 0; i < R->nlog; i++) {
        const bml__tune_eval *e = &R->log[i];
        fprintf(f, "%s\n    {\"generation\": %zu, \"child\": %d, \"cell\": %d, \"parent\": \"%s\", ", i ? "," : "",
                e->generation, e->child, e->cell, e->parent);
        bml__tune_put_ind(f, &e->ind);
        if (e->rate > 0) fprintf(f, ", \"items_per_s\": %.17g", e->rate);
        else fputs(", \"items_per_s\": null", f);
        fprintf(f, ", \"peak_bytes\": %zu, \"outcome\": \"%s\"}", e->peak, e->outcome);
    }
    fputs("\n  ],\n  \"cells\": [", f);
    for (i = 0; i < R->nactive; i++) {
        size_t ci = R->active[i];
        const bml__tune_cell *c = &t->cells[ci];
        const bml__tune_input *in = &R->in[ci];
        double len, spread;
        size_t items;
        bml__tune_cell_centre(t, ci, &len, &spread, &items);
        fprintf(f, "%s\n    {\"cell\": %zu, \"mean_len\": %.15g, \"spread\": %.15g, \"items\": %zu,\n     \"heuristic\": {",
                i ? "," : "", ci, len, spread, items);
        if (in->ready) {
            bml__tune_put_ind(f, &in->heur);
            if (in->heur_rate > 0) fprintf(f, ", \"items_per_s\": %.17g", in->heur_rate);
            else fputs(", \"items_per_s\": null", f);
        }
        fputs("},\n     \"elite\": ", f);
        if (c->filled) {
            const bml__tune_member *mb = &c->front[c->elite];
            fputc('{', f);
            bml__tune_put_ind(f, &mb->ind);
            fprintf(f, ", \"items_per_s\": %.17g, \"peak_bytes\": %zu}", mb->rate, mb->peak);
        } else {
            fputs("null", f);
        }
        fputs(",\n     \"guard\": ", f);
        bml__tune_put_guard(f, c);
        fputc('}', f);
    }
    fputs("\n  ]\n}\n", f);
}

static bml_status bml__tune_save_all(bml__tune_run *R) {
    bml_status rc;
    bml_tune_event ev;
    if ((rc = bml_tuning_save(R->t, R->d->archive_path)) != BML_OK) return rc;
    if (R->d->results_path && (rc = bml__tune_atomic_write(R->d->results_path, bml__tune_results_writer, R)) != BML_OK)
        return rc;
    memset(&ev, 0, sizeof ev);
    ev.kind = BML_TUNE_EV_SAVE;
    ev.generation = R->t->generations;
    ev.cell = -1;
    ev.path = R->d->archive_path;
    bml__tune_emit(R, &ev);
    return BML_OK;
}

static bml_status bml__tune_log(bml__tune_run *R, const bml__tune_eval *e) {
    if (R->nlog == R->caplog) {
        size_t nc = R->caplog ? R->caplog * 2 : 256;
        bml__tune_eval *nl = (bml__tune_eval *)BML_REALLOC(R->log, nc * sizeof *nl);
        if (!nl) return bml__fail(BML_ERR_NOMEM, "out of memory logging evaluations");
        R->log = nl;
        R->caplog = nc;
    }
    R->log[R->nlog++] = *e;
    return BML_OK;
}

/* Evaluate one individual on a cell, update the archive, log and report. */
static bml_status bml__tune_evaluate(bml__tune_run *R, size_t ci, const bml_tune_individual *ind, const char *parent,
                                     int child, size_t gen, int heuristic) {
    bml__tune_input *in;
    bml__tune_eval e;
    bml_tune_event ev;
    bml_status rc;
    if ((rc = bml__tune_input_get(R, ci, &in)) != BML_OK) return rc;
    memset(&e, 0, sizeof e);
    e.generation = gen;
    e.child = child;
    e.cell = (int)ci;
    e.parent = parent;
    e.ind = *ind;
    e.peak = bml__tune_peak(&R->cfg, (size_t)ind->threads, &in->v, ind->batch_size, ind->max_tokens, ind->keep_order);
    if (R->t->memory_budget && e.peak > R->t->memory_budget && !heuristic) {
        e.outcome = "over_budget";
    } else {
        if ((rc = bml__tune_fitness(R, ind, in, &e.rate)) != BML_OK) return rc;
        if (heuristic) in->heur_rate = e.rate;
        e.outcome = bml__tune_insert(&R->t->cells[ci], ind, e.rate, e.peak, heuristic, gen);
    }
    R->t->evaluations++;
    R->done++;
    if ((rc = bml__tune_log(R, &e)) != BML_OK) return rc;
    memset(&ev, 0, sizeof ev);
    ev.kind = BML_TUNE_EV_EVAL;
    ev.generation = gen;
    ev.cell = (int)ci;
    ev.child = child;
    ev.parent = parent;
    ev.outcome = e.outcome;
    ev.ind = *ind;
    ev.items_per_s = e.rate;
    ev.peak_bytes = e.peak;
    ev.heuristic_items_per_s = in->heur_rate;
    bml__tune_emit(R, &ev);
    return BML_OK;
}

/* --- mutation ----------------------------------------------------------- */

static size_t bml__tune_scale(size_t v, uint64_t *rng, size_t lo, size_t hi) {
    static const double steps[] = {0.25, 0.5, 1.0, 2.0};
    double f = pow(2.0, steps[bml__tune_below(rng, 4)] * (bml__tune_unif(rng) < 0.5 ? -1.0 : 1.0));
    double nv = (double)v * f;
    size_t r = (size_t)(nv + 0.5);
    if (r == v) r = f > 1 ? v + 1 : (v > 1 ? v - 1 : v + 1);
    if (r < lo) r = lo;
    if (r > hi) r = hi;
    return r;
}

static void bml__tune_mutate(const bml__tune_run *R, const bml__tune_input *in, bml_tune_individual *x, uint64_t *rng) {
    int changed = 0, tries;
    for (tries = 0; !changed && tries < 8; tries++) {
        bml_tune_individual o = *x;
        if (bml__tune_unif(rng) < 0.6) x->batch_size = bml__tune_scale(x->batch_size, rng, 1, 4096);
        if (bml__tune_unif(rng) < 0.35) {
            if (!x->max_tokens) {
                double mean = in->v.n ? (double)in->v.srt[in->v.n / 2] : 16.0;
                x->max_tokens = (size_t)((double)x->batch_size * mean * pow(2.0, bml__tune_unif(rng) * 2.0 - 1.0));
                if (x->max_tokens < 16) x->max_tokens = 16;
            } else if (bml__tune_unif(rng) < 0.2) {
                x->max_tokens = 0;
            } else {
                x->max_tokens = bml__tune_scale(x->max_tokens, rng, 16, (size_t)1 << 20);
            }
        }
        if (bml__tune_unif(rng) < 0.15) x->keep_order = !x->keep_order;
        if (R->nthreads_opts > 1 && bml__tune_unif(rng) < 0.2) {
            int k = (int)bml__tune_below(rng, (size_t)R->nthreads_opts - 1), j, c = 0;
            for (j = 0; j < R->nthreads_opts; j++)
                if (R->thread_opts[j] != x->threads && c++ == k) { x->threads = R->thread_opts[j]; break; }
        }
        changed = !bml__tune_same_ind(&o, x);
    }
}

/* --- the no-regression guard --------------------------------------------- */

static bml_status bml__tune_guard_cell(bml__tune_run *R, size_t ci) {
    bml__tune_cell *c = &R->t->cells[ci];
    bml__tune_input *in;
    int round;
    bml_status rc;
    if ((rc = bml__tune_input_get(R, ci, &in)) != BML_OK) return rc;
    c->has_guard = 0;
    for (round = 0; round < 3; round++) {
        bml__tune_member *e = &c->front[c->elite];
        double th[1000], te[1000], h, ev_rate;
        int r, hi;
        size_t i;
        bml_tune_event ev;
        if (bml__tune_same_ind(&e->ind, &in->heur) || e->guarded) break;
        if (R->d->fitness_fn || R->t->fitness == BML__FIT_COST) {
            if ((rc = bml__tune_fitness(R, &in->heur, in, &h)) != BML_OK ||
                (rc = bml__tune_fitness(R, &e->ind, in, &ev_rate)) != BML_OK)
                return rc;
        } else {
            /* side by side: warm both, then alternate */
            size_t nh = in->heur.batch_size < in->n ? in->heur.batch_size : in->n;
            size_t ne = e->ind.batch_size < in->n ? e->ind.batch_size : in->n;
            if ((rc = bml__tune_call(R, &in->heur, in, nh, NULL)) != BML_OK ||
                (rc = bml__tune_call(R, &e->ind, in, ne, NULL)) != BML_OK)
                return rc;
            for (r = 0; r < R->t->repeats; r++) {
                if ((rc = bml__tune_call(R, &in->heur, in, in->n, &th[r])) != BML_OK ||
                    (rc = bml__tune_call(R, &e->ind, in, in->n, &te[r])) != BML_OK)
                    return rc;
            }
            h = (double)in->n / bml__tune_median(th, (size_t)R->t->repeats);
            ev_rate = (double)in->n / bml__tune_median(te, (size_t)R->t->repeats);
        }
        in->heur_rate = h;
        e->rate = ev_rate;
        e->guarded = 1;
        c->has_guard = 1;
        c->guard_h = h;
        c->guard_e = ev_rate;
        /* the heuristic's member takes the guard's figure (re-entering the
           front if it had been dropped and is not dominated) */
        hi = -1;
        for (i = 0; i < c->nfront; i++)
            if (bml__tune_same_ind(&c->front[i].ind, &in->heur)) hi = (int)i;
        if (hi >= 0) {
            c->front[hi].rate = h;
            c->front[hi].guarded = 1;
        } else {
            size_t save_elite_gen = R->t->generations;
            bml__tune_insert(c, &in->heur, h, in->heur_peak, 1, save_elite_gen);
            for (i = 0; i < c->nfront; i++)
                if (bml__tune_same_ind(&c->front[i].ind, &in->heur)) c->front[i].guarded = 1;
        }
        bml__tune_set_elite_argmax(c);
        c->guard_kept_elite = !bml__tune_same_ind(&c->front[c->elite].ind, &in->heur);
        memset(&ev, 0, sizeof ev);
        ev.kind = BML_TUNE_EV_GUARD;
        ev.generation = R->t->generations;
        ev.cell = (int)ci;
        ev.ind = c->front[c->elite].ind;
        ev.items_per_s = ev_rate;
        ev.heuristic_items_per_s = h;
        ev.outcome = c->guard_kept_elite ? "elite" : "heuristic";
        R->done++;
        bml__tune_emit(R, &ev);
    }
    /* still an unguarded elite after three rounds: the best guarded member */
    if (!c->front[c->elite].guarded && !bml__tune_same_ind(&c->front[c->elite].ind, &in->heur)) {
        size_t i, best = c->elite;
        int found = 0;
        for (i = 0; i < c->nfront; i++)
            if (c->front[i].guarded && (!found || c->front[i].rate > c->front[best].rate)) { best = i; found = 1; }
        c->elite = best;
    }
    return BML_OK;
}

/* --- the run ------------------------------------------------------------ */

/* A bml_tune_desc with its zero defaults filled in, validated: the one place
   for both. `archive` is the archive being resumed, or NULL: test_size,
   repeats and seed left 0 take the archive's values, else the defaults;
   test_size and memory_budget given must match the archive's. */
static bml_status bml__tune_desc_fill(const bml_tune_desc *in, const bml_tuning *archive, bml_tune_desc *d) {
    memset(d, 0, sizeof *d);
    if (!in || !in->model_path || !in->archive_path)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_tune: desc, desc.model_path and desc.archive_path are required");
    *d = *in;
    if (d->fitness != BML_TUNE_TIME && d->fitness != BML_TUNE_COST)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_tune: desc.fitness must be BML_TUNE_TIME or BML_TUNE_COST");
    if (d->repeats < 0 || d->repeats > 1000)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_tune: desc.repeats must be 0..1000 (got %d)", d->repeats);
    if (d->threads_max < 0 || d->threads_max > 256)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_tune: desc.threads_max must be 0..256 (got %d)", d->threads_max);
    if (d->test_size > ((size_t)1 << 20))
        return bml__fail(BML_ERR_INVALID_ARG, "bml_tune: desc.test_size must be at most 1048576");
    if (!(d->max_mean_len >= 0))
        return bml__fail(BML_ERR_INVALID_ARG, "bml_tune: desc.max_mean_len must be >= 0 (0 = every cell)");
    if (!d->generations) d->generations = 10;
    if (!d->offspring) d->offspring = 8;
    if (!d->save_every) d->save_every = 1;
    if (!d->threads_max) d->threads_max = bml__ncpu();
    if (archive) {
        if (d->test_size && d->test_size != archive->test_size)
            return bml__fail(BML_ERR_INVALID_ARG, "%s: tuned with test size %zu, this run asks for %zu (fitness "
                             "would not compare)", d->archive_path, archive->test_size, d->test_size);
        if (d->memory_budget && d->memory_budget != archive->memory_budget)
            return bml__fail(BML_ERR_INVALID_ARG, "%s: tuned with memory budget %zu bytes, this run asks for %zu",
                             d->archive_path, archive->memory_budget, d->memory_budget);
        d->test_size = archive->test_size;
        d->memory_budget = archive->memory_budget;
        if (!d->repeats) d->repeats = archive->repeats;
        if (!d->seed) d->seed = archive->seed;
    }
    if (!d->test_size) d->test_size = 256;
    if (!d->repeats) d->repeats = 3;
    if (!d->seed) d->seed = 1;
    return BML_OK;
}

/* d: the caller's desc (R->dd gets it with the defaults filled in). */
static bml_status bml__tune_setup(bml__tune_run *R, const bml_tune_desc *d) {
    bml_model *m0 = NULL;
    bml_model_desc md;
    bml_status rc;
    bml__statbuf sb;
    size_t ci, l2, l3;
    int fit = d->fitness_fn ? BML__FIT_CUSTOM : (int)d->fitness, i;
    memset(&md, 0, sizeof md);
    md.path = d->model_path;
    md.threads = 1;
    md.no_tokenizer = 1;
    if ((rc = bml_model_load(&md, &m0)) != BML_OK) return rc;
    R->cfg = m0->cfg;
    R->models[1] = m0;
    R->threads_max = R->dd.threads_max;
    for (i = 1; i <= R->threads_max && R->nthreads_opts < 15; i *= 2) R->thread_opts[R->nthreads_opts++] = i;
    if (R->thread_opts[R->nthreads_opts - 1] != R->threads_max) R->thread_opts[R->nthreads_opts++] = R->threads_max;
    if (!d->fresh && bml__lstat(d->archive_path, &sb) == 0) { /* exists (a FIFO there is refused by the load) */
        if ((rc = bml_tuning_load(d->archive_path, &R->t)) != BML_OK) return rc;
        if (!bml__tune_shape_ok(R->t, &R->cfg))
            return bml__fail(BML_ERR_INVALID_ARG,
                             "%s: tuned for a model with hidden %d, layers %d, heads %d, intermediate %d, vocab %d, "
                             "max_seq_len %d; %s has %d, %d, %d, %d, %d, %d (use another --archive, or --fresh)",
                             d->archive_path, R->t->hidden, R->t->layers, R->t->heads, R->t->intermediate,
                             R->t->vocab, R->t->max_seq_len, d->model_path, R->cfg.hidden, R->cfg.layers,
                             R->cfg.heads, R->cfg.intermediate, R->cfg.vocab, R->cfg.max_seq_len);
        if (R->t->fitness != fit)
            return bml__fail(BML_ERR_INVALID_ARG, "%s: tuned with fitness \"%s\", this run uses \"%s\"",
                             d->archive_path, bml__tune_fit_names[R->t->fitness], bml__tune_fit_names[fit]);
        if ((rc = bml__tune_desc_fill(d, R->t, &R->dd)) != BML_OK) return rc;
        R->t->repeats = R->dd.repeats;
        R->t->seed = R->dd.seed;
    } else {
        if ((rc = bml__tune_desc_fill(d, NULL, &R->dd)) != BML_OK) return rc;
        R->t = (bml_tuning *)bml__calloc(1, sizeof *R->t);
        if (!R->t) return bml__fail(BML_ERR_NOMEM, "out of memory");
        bml__tune_default_grid(R->t);
        R->t->cells = (bml__tune_cell *)bml__calloc(bml__tune_ncells(R->t), sizeof(bml__tune_cell));
        if (!R->t->cells) return bml__fail(BML_ERR_NOMEM, "out of memory");
        R->t->hidden = R->cfg.hidden;
        R->t->layers = R->cfg.layers;
        R->t->heads = R->cfg.heads;
        R->t->intermediate = R->cfg.intermediate;
        R->t->vocab = R->cfg.vocab;
        R->t->max_seq_len = R->cfg.max_seq_len;
        R->t->seed = R->dd.seed;
        R->t->test_size = R->dd.test_size;
        R->t->repeats = R->dd.repeats;
        R->t->memory_budget = R->dd.memory_budget;
        R->t->fitness = fit;
    }
    if (R->t->repeats > 1000) return bml__fail(BML_ERR_INVALID_ARG, "bml_tune: repeats must be 1..1000");
    bml_cache_sizes(&l2, &l3);
    R->t->cpus = (size_t)bml__ncpu();
    R->t->l2 = l2;
    R->t->l3 = l3;
    R->in = (bml__tune_input *)bml__calloc(bml__tune_ncells(R->t), sizeof(bml__tune_input));
    R->active = (size_t *)bml__calloc(bml__tune_ncells(R->t), sizeof(size_t));
    R->out_rows = R->t->test_size;
    R->out = (float *)bml__calloc(R->out_rows * (size_t)R->cfg.dim, sizeof(float));
    if (!R->in || !R->active || !R->out) return bml__fail(BML_ERR_NOMEM, "out of memory");
    for (ci = 0; ci < bml__tune_ncells(R->t); ci++) {
        double len, spread;
        size_t items;
        bml__tune_cell_centre(R->t, ci, &len, &spread, &items);
        if (d->max_mean_len > 0 && len > d->max_mean_len) continue;
        if (d->max_items && items > d->max_items) continue;
        R->active[R->nactive++] = ci;
    }
    if (!R->nactive)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_tune: no cell of the grid is within max_mean_len %g / max_items %zu",
                         d->max_mean_len, d->max_items);
    return BML_OK;
}

static void bml__tune_teardown(bml__tune_run *R) {
    size_t i;
    for (i = 0; i < sizeof R->models / sizeof R->models[0]; i++) bml_model_free(R->models[i]);
    if (R->in && R->t)
        for (i = 0; i < bml__tune_ncells(R->t); i++) {
            BML_FREE(R->in[i].lens);
            BML_FREE(R->in[i].ids);
            BML_FREE(R->in[i].items);
            bml__tune_lens_free(&R->in[i].v);
        }
    BML_FREE(R->in);
    BML_FREE(R->active);
    BML_FREE(R->out);
    BML_FREE(R->log);
    bml_tuning_free(R->t);
}

static bml_status bml__tune_main(bml__tune_run *R) {
    const bml_tune_desc *d = R->d;
    size_t G = d->generations, K = d->offspring, every = d->save_every, i, g, seeds = 0;
    bml_status rc;
    for (i = 0; i < R->nactive; i++) seeds += !R->t->cells[R->active[i]].filled;
    R->gen_from = R->t->generations;
    R->gen_to = R->gen_from + G;
    R->total = seeds + G * K + (d->no_guard ? 0 : R->nactive);
    R->t0 = bml_now_ns();
    /* seeding: the heuristic's individual in every searched cell still empty */
    for (i = 0; i < R->nactive; i++) {
        size_t ci = R->active[i];
        bml__tune_input *in;
        if (R->t->cells[ci].filled) continue;
        if ((rc = bml__tune_input_get(R, ci, &in)) != BML_OK) return rc;
        if ((rc = bml__tune_evaluate(R, ci, &in->heur, "heuristic", -1, R->t->generations, 1)) != BML_OK) return rc;
    }
    for (g = R->gen_from + 1; g <= R->gen_to; g++) {
        size_t k;
        bml_tune_event ev;
        double gain = 0;
        size_t ngain = 0;
        for (k = 0; k < K; k++) {
            uint64_t rng = bml__tune_stream(R->t->seed, g, k);
            size_t ci = R->active[bml__tune_below(&rng, R->nactive)];
            bml__tune_cell *c = &R->t->cells[ci];
            double r = bml__tune_unif(&rng);
            const char *parent;
            bml_tune_individual x;
            bml__tune_input *in;
            if ((rc = bml__tune_input_get(R, ci, &in)) != BML_OK) return rc;
            if (r < 0.6) {
                parent = "elite";
                x = c->front[c->elite].ind;
            } else if (r < 0.8) {
                parent = "front";
                x = c->front[bml__tune_below(&rng, c->nfront)].ind;
            } else {
                size_t o = R->active[bml__tune_below(&rng, R->nactive)];
                parent = "migrant";
                x = R->t->cells[o].front[R->t->cells[o].elite].ind;
            }
            bml__tune_mutate(R, in, &x, &rng);
            if ((rc = bml__tune_evaluate(R, ci, &x, parent, (int)k, g, 0)) != BML_OK) return rc;
        }
        R->t->generations = g;
        for (i = 0; i < R->nactive; i++) {
            bml__tune_cell *c = &R->t->cells[R->active[i]];
            bml__tune_input *in = &R->in[R->active[i]];
            if (c->filled && in->heur_rate > 0) { gain += c->front[c->elite].rate / in->heur_rate; ngain++; }
        }
        memset(&ev, 0, sizeof ev);
        ev.kind = BML_TUNE_EV_GENERATION;
        ev.generation = g;
        ev.cell = -1;
        ev.best_gain = ngain ? gain / (double)ngain : 0;
        bml__tune_emit(R, &ev);
        if ((g - R->gen_from) % every == 0 && g != R->gen_to && (rc = bml__tune_save_all(R)) != BML_OK) return rc;
    }
    if (!d->no_guard) {
        for (i = 0; i < R->nactive; i++) {
            size_t ci = R->active[i];
            bml__tune_cell *c = &R->t->cells[ci];
            size_t j;
            bml__tune_input *in;
            if ((rc = bml__tune_input_get(R, ci, &in)) != BML_OK) return rc;
            for (j = 0; j < c->nfront; j++) c->front[j].guarded = 0;
            if (bml__tune_same_ind(&c->front[c->elite].ind, &in->heur)) { c->has_guard = 0; R->done++; continue; }
            if ((rc = bml__tune_guard_cell(R, ci)) != BML_OK) return rc;
        }
    }
    R->complete = 1;
    R->total = R->done;
    return bml__tune_save_all(R);
}

BMLDEF bml_status bml_tune(const bml_tune_desc *desc) {
    bml__tune_run R;
    bml_status rc;
    memset(&R, 0, sizeof R);
    /* checked before the model loads; filled again once the archive is read */
    if ((rc = bml__tune_desc_fill(desc, NULL, &R.dd)) != BML_OK) return rc;
    R.d = &R.dd;
    R.model_path = desc->model_path;
    rc = bml__tune_setup(&R, desc);
    if (rc == BML_OK) rc = bml__tune_main(&R);
    bml__tune_teardown(&R);
    return rc;
}

#endif /* BATCHML_NO_TUNE */

/* ======================================================================
   >>opencl  OpenCL device path
   ====================================================================== */

#ifdef BATCHML_OPENCL
/* ======================================================================
   OpenCL device path (same packed batches, same results)
   ====================================================================== */
/* The OpenCL device path (compiled under BATCHML_OPENCL, after the CPU
   forward and backward passes).

   The same job as the CPU path on an OpenCL device: the packed batch
   (tokens of all sequences one after another, no padding), the same
   layers, the same math, own kernels:
     bml_gemm        Y = X W^T + b (or X W, += for the backward), tiled in
                     local memory (GPUs), with the bias, GELU, GELU' and
                     residual accumulation fused into its epilogue
     bml_gemm_vec    the same on CPU devices (PoCL): 8 rows x 16 columns of
                     float16 registers per work-item, weights pre-transposed
                     for the forward (PoCL runs the tiled kernel ~5x slower)
     bml_embed_ln    x = LN0(alpha word[id] + pos[p] + type[0]), per token
     bml_add_ln      x = LN(x + y), per token (keeps xhat, 1/std for grads)
     bml_attn        softmax(q k^T / sqrt d) v per (head, token) on its own
                     sequence (keeps P)
     bml_pool        mean / cls / max / mean_sqrt_len + L2 normalize, per sequence
     backward: bml_pool_bwd, bml_ln_bwd, bml_attn_bwd_q, bml_attn_bwd_kv and
     the GEMMs (input gradients only, as bml__backward)
   Q, K and V are one GEMM with the three weights stacked ([3H, H]), so the
   backward's dq Wq + dk Wk + dv Wv is one GEMM too.

   Batch independence: every kernel computes each output element from its
   own row (token, sequence, (head, token)) with a fixed operation order
   (the GEMM accumulates k = 0..K-1 in order, reductions use a fixed tree
   over a fixed work-group size), so results never depend on which batch a
   sequence is in or where: batched == one at a time, bitwise, in every
   mode (m->deterministic needs nothing more on the device).

   State: one bml__cldev per device and process (context, program: the
   kernels compiled once), one bml__cl per model (queue, kernels, weights,
   per-batch buffers that grow geometrically). */

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#ifndef CL_USE_DEPRECATED_OPENCL_1_2_APIS
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS /* clCreateCommandQueue, for 1.2 devices */
#endif
#ifdef __APPLE__
#include <OpenCL/opencl.h>
#else
#include <CL/cl.h>
#endif

/* The kernels' OpenCL C sources (in the appendix, >>tables). */
static const char *const *bml__cl_sources(size_t *n);

enum {
    BML__K_EMBED_LN, BML__K_ADD_LN, BML__K_LN_BWD, BML__K_GEMM, BML__K_ATTN, BML__K_ATTN_BWD_Q, BML__K_ATTN_BWD_KV,
    BML__K_POOL, BML__K_POOL_BWD, BML__K_GEMM_VEC, BML__K_COUNT
};
static const char *const bml__cl_knames[BML__K_COUNT] = {
    "bml_embed_ln", "bml_add_ln", "bml_ln_bwd", "bml_gemm", "bml_attn", "bml_attn_bwd_q", "bml_attn_bwd_kv",
    "bml_pool", "bml_pool_bwd", "bml_gemm_vec"};

/* ----------------------------------------------------------------------
   Errors
   ---------------------------------------------------------------------- */

static const char *bml__cl_errname(cl_int e) {
    switch (e) {
#define BML__E(x) case x: return #x;
    BML__E(CL_SUCCESS) BML__E(CL_DEVICE_NOT_FOUND) BML__E(CL_DEVICE_NOT_AVAILABLE) BML__E(CL_COMPILER_NOT_AVAILABLE)
    BML__E(CL_MEM_OBJECT_ALLOCATION_FAILURE) BML__E(CL_OUT_OF_RESOURCES) BML__E(CL_OUT_OF_HOST_MEMORY)
    BML__E(CL_PROFILING_INFO_NOT_AVAILABLE) BML__E(CL_MEM_COPY_OVERLAP) BML__E(CL_IMAGE_FORMAT_MISMATCH)
    BML__E(CL_IMAGE_FORMAT_NOT_SUPPORTED) BML__E(CL_BUILD_PROGRAM_FAILURE) BML__E(CL_MAP_FAILURE)
    BML__E(CL_MISALIGNED_SUB_BUFFER_OFFSET) BML__E(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
    BML__E(CL_COMPILE_PROGRAM_FAILURE) BML__E(CL_LINKER_NOT_AVAILABLE) BML__E(CL_LINK_PROGRAM_FAILURE)
    BML__E(CL_DEVICE_PARTITION_FAILED) BML__E(CL_KERNEL_ARG_INFO_NOT_AVAILABLE)
    BML__E(CL_INVALID_VALUE) BML__E(CL_INVALID_DEVICE_TYPE) BML__E(CL_INVALID_PLATFORM) BML__E(CL_INVALID_DEVICE)
    BML__E(CL_INVALID_CONTEXT) BML__E(CL_INVALID_QUEUE_PROPERTIES) BML__E(CL_INVALID_COMMAND_QUEUE)
    BML__E(CL_INVALID_HOST_PTR) BML__E(CL_INVALID_MEM_OBJECT) BML__E(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR)
    BML__E(CL_INVALID_IMAGE_SIZE) BML__E(CL_INVALID_SAMPLER) BML__E(CL_INVALID_BINARY) BML__E(CL_INVALID_BUILD_OPTIONS)
    BML__E(CL_INVALID_PROGRAM) BML__E(CL_INVALID_PROGRAM_EXECUTABLE) BML__E(CL_INVALID_KERNEL_NAME)
    BML__E(CL_INVALID_KERNEL_DEFINITION) BML__E(CL_INVALID_KERNEL) BML__E(CL_INVALID_ARG_INDEX)
    BML__E(CL_INVALID_ARG_VALUE) BML__E(CL_INVALID_ARG_SIZE) BML__E(CL_INVALID_KERNEL_ARGS)
    BML__E(CL_INVALID_WORK_DIMENSION) BML__E(CL_INVALID_WORK_GROUP_SIZE) BML__E(CL_INVALID_WORK_ITEM_SIZE)
    BML__E(CL_INVALID_GLOBAL_OFFSET) BML__E(CL_INVALID_EVENT_WAIT_LIST) BML__E(CL_INVALID_EVENT)
    BML__E(CL_INVALID_OPERATION) BML__E(CL_INVALID_GL_OBJECT) BML__E(CL_INVALID_BUFFER_SIZE)
    BML__E(CL_INVALID_MIP_LEVEL) BML__E(CL_INVALID_GLOBAL_WORK_SIZE) BML__E(CL_INVALID_PROPERTY)
    BML__E(CL_INVALID_IMAGE_DESCRIPTOR) BML__E(CL_INVALID_COMPILER_OPTIONS) BML__E(CL_INVALID_LINKER_OPTIONS)
    BML__E(CL_INVALID_DEVICE_PARTITION_COUNT)
#undef BML__E
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
    default: return "CL_UNKNOWN_ERROR";
    }
}

/* One OpenCL device of this process: its context and compiled program. */
typedef struct bml__cldev {
    struct bml__cldev *next;
    cl_platform_id plat;
    cl_device_id dev;
    cl_context ctx;
    cl_program prog;
    char opts[512];         /* the build options it was compiled with      */
    char extra[256];        /* BATCHML_OPENCL_BUILD_OPTIONS then            */
    char label[320];        /* "opencl:P:D 'NAME' (PLATFORM)"              */
    char desc[320];         /* "opencl:P:D NAME (PLATFORM)"                */
    int rw, rts, wpt, tk;   /* kernel shape constants                      */
    cl_ulong global_mem, max_alloc;
} bml__cldev;

static bml__cldev *bml__cl_devs;                 /* never freed: the cache */
static bml__mutex bml__cl_lock = BML__MUTEX_INIT;
static int bml__cl_fallback_said;

typedef struct bml__clbuf { cl_mem mem; size_t cap; } bml__clbuf; /* cap in bytes */

/* One layer's weights as stored ([out, in]; Q, K, V stacked), and for the
   vec GEMM (CPU devices) the forward's transposed copies ([in, out]). */
typedef struct bml__cllayer {
    cl_mem wqkv, bqkv, wo, bo, ln1_g, ln1_b, w1, b1, w2, b2, ln2_g, ln2_b;
    cl_mem wqkv_t, wo_t, w1_t, w2_t;
} bml__cllayer;

/* What one layer's backward needs, kept on the device in grad mode. */
typedef struct bml__clsave { bml__clbuf qkv, P, xhat1, rstd1, u, xhat2, rstd2; } bml__clsave;

typedef struct bml__cl {
    bml__cldev *d;
    cl_command_queue q;
    cl_kernel k[BML__K_COUNT];
    int is_auto;
    int vec;                        /* GEMMs by bml_gemm_vec (CPU devices)  */
    size_t mem_used, mem_limit;     /* bytes of device memory held / allowed */
    cl_mem word, pos, type, ln0_g, ln0_b;
    bml__cllayer *layer;
    /* per batch */
    bml__clbuf meta, poff, alpha, x, qkv, ctx, tmp, ffn, P, out, pooled, de, dx, xhat0, rstd0;
    bml__clsave *save;
    int *hmeta;                     /* host staging                        */
    cl_long *hpoff;
    size_t hcap_meta, hcap_poff;
    int grad_ready;                 /* the last forward kept what backward needs */
    int prof;                       /* BATCHML_OPENCL_PROFILE: time each kernel */
    double prof_ns[BML__K_COUNT], gemm_flops;
    size_t prof_n[BML__K_COUNT];
} bml__cl;

/* An error naming the device and the OpenCL error. */
static bml_status bml__cl_err(const bml__cldev *d, cl_int e, const char *fmt, ...)
    BML__PRINTF(3, 4)
    ;
static bml_status bml__cl_err(const bml__cldev *d, cl_int e, const char *fmt, ...) {
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (e == CL_SUCCESS) return bml__fail(BML_ERR_DEVICE, "OpenCL device %s: %s", d ? d->label : "?", what);
    return bml__fail(BML_ERR_DEVICE, "OpenCL device %s: %s: %s (%d)", d ? d->label : "?", what, bml__cl_errname(e), (int)e);
}

/* ----------------------------------------------------------------------
   Platforms and devices
   ---------------------------------------------------------------------- */

#define BML__CL_MAXP 16
#define BML__CL_MAXD 64

/* Every platform (none is not an error: the ICD loader's
   CL_PLATFORM_NOT_FOUND_KHR gives *np = 0). */
static cl_int bml__cl_platforms(cl_platform_id *plats, cl_uint *np) {
    cl_int e = clGetPlatformIDs(BML__CL_MAXP, plats, np);
    if (e == -1001 /* CL_PLATFORM_NOT_FOUND_KHR: the ICD loader found none */) { *np = 0; return CL_SUCCESS; }
    if (e != CL_SUCCESS) *np = 0;
    if (*np > BML__CL_MAXP) *np = BML__CL_MAXP;
    return e;
}

static cl_uint bml__cl_devices(cl_platform_id p, cl_device_id *devs) {
    cl_uint nd = 0;
    if (clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, BML__CL_MAXD, devs, &nd) != CL_SUCCESS) return 0;
    return nd > BML__CL_MAXD ? BML__CL_MAXD : nd;
}

/* A string property, cut to fit (the call fails outright on a short buffer). */
static void bml__cl_str(cl_platform_id p, cl_device_id dv, cl_uint what, char *out, size_t cap) {
    char buf[1024];
    size_t n = 0;
    cl_int e = p ? clGetPlatformInfo(p, what, sizeof buf - 1, buf, &n) : clGetDeviceInfo(dv, what, sizeof buf - 1, buf, &n);
    if (e != CL_SUCCESS) n = 0;
    buf[n < sizeof buf ? n : sizeof buf - 1] = 0;
    n = strlen(buf);
    while (n && buf[n - 1] == ' ') buf[--n] = 0;
    snprintf(out, cap, "%s", buf);
}

static void bml__cl_info(cl_platform_id p, cl_device_id dv, int pi, int di, bml_device_info *o) {
    cl_device_type t = 0;
    cl_ulong u = 0;
    cl_uint cu = 0;
    memset(o, 0, sizeof *o);
    snprintf(o->id, sizeof o->id, "opencl:%d:%d", pi, di);
    o->platform = pi;
    o->device = di;
    bml__cl_str(NULL, dv, CL_DEVICE_NAME, o->name, sizeof o->name);
    bml__cl_str(p, NULL, CL_PLATFORM_NAME, o->platform_name, sizeof o->platform_name);
    bml__cl_str(NULL, dv, CL_DEVICE_VENDOR, o->vendor, sizeof o->vendor);
    bml__cl_str(NULL, dv, CL_DEVICE_VERSION, o->version, sizeof o->version);
    clGetDeviceInfo(dv, CL_DEVICE_TYPE, sizeof t, &t, NULL);
    snprintf(o->type, sizeof o->type, "%s", (t & CL_DEVICE_TYPE_GPU) ? "GPU" : (t & CL_DEVICE_TYPE_CPU) ? "CPU"
                                            : (t & CL_DEVICE_TYPE_ACCELERATOR) ? "accelerator" : "other");
    if (clGetDeviceInfo(dv, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof u, &u, NULL) == CL_SUCCESS) o->global_mem = u;
    if (clGetDeviceInfo(dv, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof u, &u, NULL) == CL_SUCCESS) o->max_alloc = u;
    if (clGetDeviceInfo(dv, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cu, &cu, NULL) == CL_SUCCESS) o->compute_units = (int)cu;
}

BMLDEF int bml_device_list(bml_device_info *out, int cap) {
    cl_platform_id plats[BML__CL_MAXP];
    cl_device_id devs[BML__CL_MAXD];
    cl_uint np = 0, pi, di, nd;
    int n = 0;
    if (bml__cl_platforms(plats, &np) != CL_SUCCESS) return 0;
    for (pi = 0; pi < np; pi++) {
        nd = bml__cl_devices(plats[pi], devs);
        for (di = 0; di < nd; di++, n++)
            if (out && n < cap) bml__cl_info(plats[pi], devs[di], (int)pi, (int)di, &out[n]);
    }
    return n;
}

/* Append to a snprintf-style buffer. */
static void bml__cl_cat(char *buf, size_t cap, size_t *len, const char *fmt, ...)
    BML__PRINTF(4, 5)
    ;
static void bml__cl_cat(char *buf, size_t cap, size_t *len, const char *fmt, ...) {
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(*len < cap ? buf + *len : NULL, *len < cap ? cap - *len : 0, fmt, ap);
    va_end(ap);
    if (n > 0) *len += (size_t)n;
}

BMLDEF size_t bml_device_list_text(char *buf, size_t cap) {
    cl_platform_id plats[BML__CL_MAXP];
    cl_uint np = 0;
    cl_int e;
    bml_device_info info[BML__CL_MAXD];
    int n, i, gpu = -1;
    size_t len = 0;
    if (buf && cap) buf[0] = 0;
    if (!buf) cap = 0;
    bml__cl_cat(buf, cap, &len, "cpu          the CPU path (%s)\n", bml_blas_info());
    e = bml__cl_platforms(plats, &np);
    if (e != CL_SUCCESS || np == 0) {
        bml__cl_cat(buf, cap, &len, "no OpenCL platform (clGetPlatformIDs: %s; is an ICD installed in /etc/OpenCL/vendors?)\n",
                    e != CL_SUCCESS ? bml__cl_errname(e) : "CL_PLATFORM_NOT_FOUND_KHR");
        bml__cl_cat(buf, cap, &len, "auto      -> cpu\n");
        return len;
    }
    n = bml_device_list(info, BML__CL_MAXD);
    if (n > BML__CL_MAXD) n = BML__CL_MAXD;
    for (i = 0; i < n; i++) {
        const bml_device_info *d = &info[i];
        bml__cl_cat(buf, cap, &len, "%-12s %-4s %s  [%s; %s; %d compute units; %.1f GiB, max buffer %.1f GiB]\n", d->id,
                    d->type, d->name, d->platform_name, d->version, d->compute_units, (double)d->global_mem / 1073741824.0,
                    (double)d->max_alloc / 1073741824.0);
        if (gpu < 0 && !strcmp(d->type, "GPU")) gpu = i;
    }
    if (n == 0) bml__cl_cat(buf, cap, &len, "no OpenCL device (%u platform%s, none with a device)\n", np, np == 1 ? "" : "s");
    if (gpu >= 0) bml__cl_cat(buf, cap, &len, "auto      -> %s\n", info[gpu].id);
    else bml__cl_cat(buf, cap, &len, "auto      -> cpu (no OpenCL GPU)\n");
    return len;
}

BMLDEF const char *bml_model_device(const bml_model *m) {
    const bml__cl *c = m ? (const bml__cl *)m->cl : NULL;
    return c ? c->d->desc : "cpu";
}

/* ----------------------------------------------------------------------
   The per-device cache: context and program, built once
   ---------------------------------------------------------------------- */

static bml_status bml__cl_build(bml__cldev *d, const char *extra, int quiet) {
    cl_int e;
    size_t sz = 0;
    size_t nsrc;
    const char *const *src = bml__cl_sources(&nsrc);
    snprintf(d->opts, sizeof d->opts, "-DBML_RW=%d -DBML_RTS=%d -DBML_WPT=%d -DBML_TK=%d%s%s", d->rw, d->rts, d->wpt,
             d->tk, extra && extra[0] ? " " : "", extra ? extra : "");
    d->prog = clCreateProgramWithSource(d->ctx, (cl_uint)nsrc, (const char **)src, NULL, &e);
    if (e != CL_SUCCESS) return bml__cl_err(d, e, "clCreateProgramWithSource");
    e = clBuildProgram(d->prog, 1, &d->dev, d->opts, NULL, NULL);
    if (e != CL_SUCCESS) {
        char *log = NULL, first[200];
        size_t i;
        first[0] = 0;
        if (clGetProgramBuildInfo(d->prog, d->dev, CL_PROGRAM_BUILD_LOG, 0, NULL, &sz) == CL_SUCCESS && sz > 1 &&
            (log = (char *)BML_MALLOC(sz + 1)) != NULL &&
            clGetProgramBuildInfo(d->prog, d->dev, CL_PROGRAM_BUILD_LOG, sz, log, NULL) == CL_SUCCESS) {
            log[sz] = 0;
            bml__log(quiet ? BML_LOG_DEBUG : BML_LOG_ERROR, "OpenCL device %s: build log (options '%s'):\n%s", d->label, d->opts, log);
            for (i = 0; log[i] && i + 1 < sizeof first; i++) first[i] = log[i] == '\n' ? ' ' : log[i];
            first[i] = 0;
        }
        BML_FREE(log);
        clReleaseProgram(d->prog);
        d->prog = NULL;
        return bml__cl_err(d, e, "building the kernels failed (options '%s')%s%s", d->opts, first[0] ? ": " : "", first);
    }
    return BML_OK;
}

/* The cached device entry for (platform P, device D), created and built on
   first use. Called with bml__cl_lock held. */
static bml_status bml__cl_dev_get(cl_platform_id plat, cl_device_id dev, int pi, int di, int quiet, bml__cldev **out) {
    bml__cldev *d;
    bml_device_info info;
    const char *extra = getenv("BATCHML_OPENCL_BUILD_OPTIONS");
    cl_int e;
    size_t maxwg = 0, lmem = 0;
    cl_ulong lm = 0;
    cl_context_properties props[3];
    bml_status rc;
    if (!extra) extra = "";
    for (d = bml__cl_devs; d; d = d->next)
        if (d->dev == dev && !strcmp(d->extra, extra)) {
            *out = d;
            return BML_OK;
        }
    d = (bml__cldev *)bml__calloc(1, sizeof *d);
    if (!d) return bml__fail(BML_ERR_NOMEM, "out of memory");
    d->plat = plat;
    d->dev = dev;
    snprintf(d->extra, sizeof d->extra, "%s", extra);
    bml__cl_info(plat, dev, pi, di, &info);
    snprintf(d->label, sizeof d->label, "%s '%s' (%s)", info.id, info.name, info.platform_name);
    snprintf(d->desc, sizeof d->desc, "%s %s (%s)", info.id, info.name, info.platform_name);
    d->global_mem = info.global_mem;
    d->max_alloc = info.max_alloc;
    clGetDeviceInfo(dev, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof maxwg, &maxwg, NULL);
    if (clGetDeviceInfo(dev, CL_DEVICE_LOCAL_MEM_SIZE, sizeof lm, &lm, NULL) == CL_SUCCESS) lmem = (size_t)lm;
    d->rw = 64;
    while (d->rw > 1 && (size_t)d->rw > maxwg) d->rw /= 2;
    d->tk = 16;
    d->wpt = 4;
    d->rts = 16;
    /* 2 tiles of TK x (RTS WPT + 1) floats in local memory, RTS^2 work-items */
    while (d->rts > 2 && ((size_t)d->rts * d->rts > maxwg || 2 * (size_t)d->tk * (d->rts * d->wpt + 1) * 4 > lmem))
        d->rts /= 2;
    props[0] = CL_CONTEXT_PLATFORM;
    props[1] = (cl_context_properties)plat;
    props[2] = 0;
    d->ctx = clCreateContext(props, 1, &dev, NULL, NULL, &e);
    if (e != CL_SUCCESS) {
        rc = bml__cl_err(d, e, "clCreateContext");
        BML_FREE(d);
        return rc;
    }
    if ((rc = bml__cl_build(d, extra, quiet)) != BML_OK) {
        clReleaseContext(d->ctx);
        BML_FREE(d);
        return rc;
    }
    d->next = bml__cl_devs;
    bml__cl_devs = d;
    *out = d;
    return BML_OK;
}

/* ----------------------------------------------------------------------
   Buffers
   ---------------------------------------------------------------------- */

static void bml__cl_release(bml__cl *c, bml__clbuf *b) {
    if (b->mem) {
        clReleaseMemObject(b->mem);
        c->mem_used -= b->cap;
    }
    b->mem = NULL;
    b->cap = 0;
}

static bml_status bml__cl_alloc(bml__cl *c, cl_mem *mem, size_t bytes, const void *host, const char *what) {
    cl_int e;
    if (bytes == 0) bytes = 4;
    if (bytes > c->d->max_alloc)
        return bml__cl_err(c->d, CL_MEM_OBJECT_ALLOCATION_FAILURE,
                           "out of device memory: %s needs one %.1f MiB buffer, the device's largest is %.1f MiB "
                           "(CL_DEVICE_MAX_MEM_ALLOC_SIZE)", what, (double)bytes / 1048576.0,
                           (double)c->d->max_alloc / 1048576.0);
    if (c->mem_used + bytes > c->mem_limit)
        return bml__cl_err(c->d, CL_MEM_OBJECT_ALLOCATION_FAILURE,
                           "out of device memory: %s needs %.3g MiB more, %.3g MiB in use of %.3g MiB%s", what,
                           (double)bytes / 1048576.0, (double)c->mem_used / 1048576.0, (double)c->mem_limit / 1048576.0,
                           getenv("BATCHML_OPENCL_MEM_LIMIT_MB") ? " (BATCHML_OPENCL_MEM_LIMIT_MB)" : "");
    *mem = clCreateBuffer(c->d->ctx, CL_MEM_READ_WRITE | (host ? CL_MEM_COPY_HOST_PTR : 0), bytes, (void *)host, &e);
    if (e != CL_SUCCESS) {
        *mem = NULL;
        return bml__cl_err(c->d, e, "clCreateBuffer %s (%.1f MiB)", what, (double)bytes / 1048576.0);
    }
    c->mem_used += bytes;
    return BML_OK;
}

/* Make b hold at least `bytes`, growing by half again at least (contents
   are not kept). */
static bml_status bml__cl_need(bml__cl *c, bml__clbuf *b, size_t bytes, const char *what) {
    size_t cap;
    bml_status rc;
    if (bytes == 0) bytes = 4;
    if (b->mem && b->cap >= bytes) return BML_OK;
    cap = b->cap + b->cap / 2;
    if (cap < bytes) cap = bytes;
    cap = (cap + 255) & ~(size_t)255;
    bml__cl_release(c, b);
    if (cap > c->d->max_alloc && bytes <= c->d->max_alloc) cap = bytes;
    if ((rc = bml__cl_alloc(c, &b->mem, cap, NULL, what)) != BML_OK) {
        /* the geometric growth may be what does not fit: try the exact size */
        if (cap == bytes || bml__cl_alloc(c, &b->mem, bytes, NULL, what) != BML_OK) return rc;
        cap = bytes;
    }
    b->cap = cap;
    return BML_OK;
}

/* ----------------------------------------------------------------------
   Model: queue, kernels, weights
   ---------------------------------------------------------------------- */

static void bml__cl_free(bml_model *m) {
    bml__cl *c = (bml__cl *)m->cl;
    int l, i;
    if (!c) return;
    if (c->q) clFinish(c->q);
    if (c->prof) {
        double tot = 0;
        for (i = 0; i < BML__K_COUNT; i++) tot += c->prof_ns[i];
        for (i = 0; i < BML__K_COUNT; i++)
            if (c->prof_n[i])
                bml__log(BML_LOG_INFO, "profile %-16s %6zu launches %9.1f ms %5.1f%%%s", bml__cl_knames[i], c->prof_n[i],
                         c->prof_ns[i] / 1e6, 100.0 * c->prof_ns[i] / (tot > 0 ? tot : 1), "");
        if (c->prof_ns[BML__K_GEMM] + c->prof_ns[BML__K_GEMM_VEC] > 0)
            bml__log(BML_LOG_INFO, "profile GEMMs %.1f GFLOP/s",
                     c->gemm_flops / (c->prof_ns[BML__K_GEMM] + c->prof_ns[BML__K_GEMM_VEC]));
    }
    for (i = 0; i < BML__K_COUNT; i++)
        if (c->k[i]) clReleaseKernel(c->k[i]);
#define BML__REL(x) do { if (x) clReleaseMemObject(x); } while (0)
    BML__REL(c->word); BML__REL(c->pos); BML__REL(c->type); BML__REL(c->ln0_g); BML__REL(c->ln0_b);
    if (c->layer)
        for (l = 0; l < m->cfg.layers; l++) {
            bml__cllayer *L = &c->layer[l];
            BML__REL(L->wqkv); BML__REL(L->bqkv); BML__REL(L->wo); BML__REL(L->bo); BML__REL(L->ln1_g);
            BML__REL(L->ln1_b); BML__REL(L->w1); BML__REL(L->b1); BML__REL(L->w2); BML__REL(L->b2);
            BML__REL(L->ln2_g); BML__REL(L->ln2_b); BML__REL(L->wqkv_t); BML__REL(L->wo_t); BML__REL(L->w1_t);
            BML__REL(L->w2_t);
        }
#undef BML__REL
    bml__cl_release(c, &c->meta); bml__cl_release(c, &c->poff); bml__cl_release(c, &c->alpha);
    bml__cl_release(c, &c->x); bml__cl_release(c, &c->qkv); bml__cl_release(c, &c->ctx);
    bml__cl_release(c, &c->tmp); bml__cl_release(c, &c->ffn); bml__cl_release(c, &c->P);
    bml__cl_release(c, &c->out); bml__cl_release(c, &c->pooled); bml__cl_release(c, &c->de);
    bml__cl_release(c, &c->dx); bml__cl_release(c, &c->xhat0); bml__cl_release(c, &c->rstd0);
    if (c->save)
        for (l = 0; l < m->cfg.layers; l++) {
            bml__clsave *s = &c->save[l];
            bml__cl_release(c, &s->qkv); bml__cl_release(c, &s->P); bml__cl_release(c, &s->xhat1);
            bml__cl_release(c, &s->rstd1); bml__cl_release(c, &s->u); bml__cl_release(c, &s->xhat2);
            bml__cl_release(c, &s->rstd2);
        }
    if (c->q) clReleaseCommandQueue(c->q);
    BML_FREE(c->layer);
    BML_FREE(c->save);
    BML_FREE(c->hmeta);
    BML_FREE(c->hpoff);
    BML_FREE(c);
    m->cl = NULL;
}

/* Upload a weight (n floats); rows of several tensors may be stacked.
   cols > 0: upload the transpose of the stacked [rows, cols] matrix. */
static bml_status bml__cl_weight(bml__cl *c, cl_mem *mem, const float *const *parts, const size_t *n, int nparts,
                                 size_t cols, const char *what) {
    size_t total = 0, off = 0, r, k, rows;
    int i;
    float *tmp, *tr;
    bml_status rc;
    if (nparts == 1 && !cols) return bml__cl_alloc(c, mem, n[0] * sizeof(float), parts[0], what);
    for (i = 0; i < nparts; i++) total += n[i];
    tmp = (float *)BML_MALLOC(total * sizeof(float));
    if (!tmp) return bml__fail(BML_ERR_NOMEM, "out of memory");
    for (i = 0; i < nparts; i++) {
        memcpy(tmp + off, parts[i], n[i] * sizeof(float));
        off += n[i];
    }
    if (cols) {
        rows = total / cols;
        tr = (float *)BML_MALLOC(total * sizeof(float));
        if (!tr) { BML_FREE(tmp); return bml__fail(BML_ERR_NOMEM, "out of memory"); }
        for (r = 0; r < rows; r++)
            for (k = 0; k < cols; k++) tr[k * rows + r] = tmp[r * cols + k];
        BML_FREE(tmp);
        tmp = tr;
    }
    rc = bml__cl_alloc(c, mem, total * sizeof(float), tmp, what);
    BML_FREE(tmp);
    return rc;
}

static bml_status bml__cl_upload(bml_model *m, bml__cl *c) {
    const bml_config *cf = &m->cfg;
    size_t H = (size_t)cf->hidden, I = (size_t)cf->intermediate, n[3];
    const float *p[3];
    char what[64];
    int l;
    bml_status rc;
    /* the device kernels read float32 */
    if ((rc = bml__widen_weights(m)) != BML_OK) return rc;
#define BML__UP1(dst, src, count, name)                                                    \
    do {                                                                                   \
        p[0] = (const float *)(src);                                                       \
        n[0] = (count);                                                                    \
        if ((rc = bml__cl_weight(c, &(dst), p, n, 1, 0, (name))) != BML_OK) return rc;      \
    } while (0)
    BML__UP1(c->word, m->word, (size_t)cf->vocab * H, "word embeddings");
    BML__UP1(c->pos, m->pos, (size_t)cf->max_position * H, "position embeddings");
    BML__UP1(c->type, m->type, H, "token type embeddings");
    BML__UP1(c->ln0_g, m->ln0_g, H, "embedding LayerNorm");
    BML__UP1(c->ln0_b, m->ln0_b, H, "embedding LayerNorm");
    c->layer = (bml__cllayer *)bml__calloc((size_t)cf->layers, sizeof *c->layer);
    c->save = (bml__clsave *)bml__calloc((size_t)cf->layers, sizeof *c->save);
    if (!c->layer || !c->save) return bml__fail(BML_ERR_NOMEM, "out of memory");
    for (l = 0; l < cf->layers; l++) {
        const bml__layer *L = &m->layer[l];
        bml__cllayer *D = &c->layer[l];
        snprintf(what, sizeof what, "layer %d weights", l);
        p[0] = (const float *)L->wq; p[1] = (const float *)L->wk; p[2] = (const float *)L->wv;
        n[0] = n[1] = n[2] = H * H;
        if ((rc = bml__cl_weight(c, &D->wqkv, p, n, 3, 0, what)) != BML_OK) return rc;
        if (c->vec && (rc = bml__cl_weight(c, &D->wqkv_t, p, n, 3, H, what)) != BML_OK) return rc;
        p[0] = L->bq; p[1] = L->bk; p[2] = L->bv;
        n[0] = n[1] = n[2] = H;
        if ((rc = bml__cl_weight(c, &D->bqkv, p, n, 3, 0, what)) != BML_OK) return rc;
        if (c->vec) {
            p[0] = (const float *)L->wo; n[0] = H * H;
            if ((rc = bml__cl_weight(c, &D->wo_t, p, n, 1, H, what)) != BML_OK) return rc;
            p[0] = (const float *)L->w1; n[0] = I * H;
            if ((rc = bml__cl_weight(c, &D->w1_t, p, n, 1, H, what)) != BML_OK) return rc;
            p[0] = (const float *)L->w2; n[0] = H * I;
            if ((rc = bml__cl_weight(c, &D->w2_t, p, n, 1, I, what)) != BML_OK) return rc;
        }
        BML__UP1(D->wo, L->wo, H * H, what);
        BML__UP1(D->bo, L->bo, H, what);
        BML__UP1(D->ln1_g, L->ln1_g, H, what);
        BML__UP1(D->ln1_b, L->ln1_b, H, what);
        BML__UP1(D->w1, L->w1, I * H, what);
        BML__UP1(D->b1, L->b1, I, what);
        BML__UP1(D->w2, L->w2, H * I, what);
        BML__UP1(D->b2, L->b2, H, what);
        BML__UP1(D->ln2_g, L->ln2_g, H, what);
        BML__UP1(D->ln2_b, L->ln2_b, H, what);
    }
#undef BML__UP1
    return BML_OK;
}

/* Open the device for a model: the cached program, a queue, the kernels,
   the weights. */
static bml_status bml__cl_open(bml_model *m, cl_platform_id plat, cl_device_id dev, int pi, int di, int is_auto) {
    bml__cl *c;
    bml__cldev *d = NULL;
    bml_status rc;
    cl_int e;
    int i;
    const char *lim = getenv("BATCHML_OPENCL_MEM_LIMIT_MB");
    size_t wg = 0;
    bml__mutex_lock(&bml__cl_lock);
    rc = bml__cl_dev_get(plat, dev, pi, di, is_auto, &d);
    bml__mutex_unlock(&bml__cl_lock);
    if (rc != BML_OK) return rc;
    c = (bml__cl *)bml__calloc(1, sizeof *c);
    if (!c) return bml__fail(BML_ERR_NOMEM, "out of memory");
    c->d = d;
    c->is_auto = is_auto;
    c->mem_limit = (size_t)d->global_mem;
    if (lim && lim[0]) {
        char *end;
        double mb = strtod(lim, &end);
        if (end != lim && mb > 0) c->mem_limit = (size_t)(mb * 1048576.0);
    }
    {   /* the GEMM kernel: vec on CPU devices, tiled elsewhere; BATCHML_OPENCL_GEMM=tiled|vec forces one */
        const char *g = getenv("BATCHML_OPENCL_GEMM");
        cl_device_type t = 0;
        clGetDeviceInfo(dev, CL_DEVICE_TYPE, sizeof t, &t, NULL);
        c->vec = (t & CL_DEVICE_TYPE_CPU) != 0;
        if (g && !strcmp(g, "tiled")) c->vec = 0;
        else if (g && !strcmp(g, "vec")) c->vec = 1;
    }
    m->cl = c;
    {
        const char *pv = getenv("BATCHML_OPENCL_PROFILE");
        c->prof = pv && pv[0] && strcmp(pv, "0") != 0;
    }
    c->q = clCreateCommandQueue(d->ctx, d->dev, c->prof ? CL_QUEUE_PROFILING_ENABLE : 0, &e);
    if (e != CL_SUCCESS) {
        c->q = NULL;
        return bml__cl_err(d, e, "clCreateCommandQueue");
    }
    for (i = 0; i < BML__K_COUNT; i++) {
        c->k[i] = clCreateKernel(d->prog, bml__cl_knames[i], &e);
        if (e != CL_SUCCESS) {
            c->k[i] = NULL;
            return bml__cl_err(d, e, "clCreateKernel %s", bml__cl_knames[i]);
        }
    }
    e = clGetKernelWorkGroupInfo(c->k[BML__K_GEMM], d->dev, CL_KERNEL_WORK_GROUP_SIZE, sizeof wg, &wg, NULL);
    if (e == CL_SUCCESS && wg < (size_t)d->rts * (size_t)d->rts)
        return bml__cl_err(d, CL_INVALID_WORK_GROUP_SIZE, "bml_gemm runs at most %zu work-items a group, it needs %d",
                           wg, d->rts * d->rts);
    if ((rc = bml__cl_upload(m, c)) != BML_OK) return rc;
    if ((e = clFinish(c->q)) != CL_SUCCESS) return bml__cl_err(d, e, "clFinish (weights)");
    bml__log(BML_LOG_INFO, "device %s: %.1f MiB of weights uploaded", d->desc, (double)c->mem_used / 1048576.0);
    return BML_OK;
}

static void bml__cl_fallback(const char *why) {
    int first;
    bml__mutex_lock(&bml__cl_lock);
    first = !bml__cl_fallback_said;
    bml__cl_fallback_said = 1;
    bml__mutex_unlock(&bml__cl_lock);
    bml__log(first ? BML_LOG_WARN : BML_LOG_DEBUG, "device auto: %s; using the CPU path", why);
}

static bml_status bml__cl_init(bml_model *m, const char *device) {
    cl_platform_id plats[BML__CL_MAXP];
    cl_device_id devs[BML__CL_MAXD];
    cl_uint np = 0, nd, pi;
    cl_int e;
    int is_auto = !strcmp(device, "auto"), P = -1, D = -1, found = 0, gpi = -1, gdi = -1, api = -1, adi = -1;
    cl_platform_id gp = NULL, ap = NULL;
    cl_device_id gd = NULL, ad = NULL;
    bml_status rc;
    char tail;
    if (!is_auto && strcmp(device, "opencl") &&
        !(sscanf(device, "opencl:%d:%d%c", &P, &D, &tail) == 2 && P >= 0 && D >= 0))
        return bml__fail(BML_ERR_INVALID_ARG, "device '%s': expected cpu, opencl, opencl:P:D or auto", device);
    e = bml__cl_platforms(plats, &np);
    if (e != CL_SUCCESS || np == 0) {
        char why[200];
        snprintf(why, sizeof why, "no OpenCL platform (clGetPlatformIDs: %s%s)",
                 e != CL_SUCCESS ? bml__cl_errname(e) : "CL_PLATFORM_NOT_FOUND_KHR",
                 e != CL_SUCCESS ? "" : "; is an ICD installed in /etc/OpenCL/vendors?");
        if (is_auto) { bml__cl_fallback(why); return BML_OK; }
        return bml__fail(BML_ERR_DEVICE, "device '%s': %s", device, why);
    }
    for (pi = 0; pi < np && !found; pi++) {
        cl_uint di;
        nd = bml__cl_devices(plats[pi], devs);
        for (di = 0; di < nd; di++) {
            cl_device_type t = 0;
            clGetDeviceInfo(devs[di], CL_DEVICE_TYPE, sizeof t, &t, NULL);
            if (P >= 0 && (int)pi == P && (int)di == D) {
                ap = plats[pi]; ad = devs[di]; api = (int)pi; adi = (int)di;
                found = 1;
                break;
            }
            if (gd == NULL && (t & CL_DEVICE_TYPE_GPU)) { gp = plats[pi]; gd = devs[di]; gpi = (int)pi; gdi = (int)di; }
            if (ad == NULL && P < 0) { ap = plats[pi]; ad = devs[di]; api = (int)pi; adi = (int)di; }
        }
    }
    if (P >= 0 && !found)
        return bml__fail(BML_ERR_DEVICE, "device '%s': no such OpenCL device (batchml info --devices lists them)", device);
    if (is_auto) {
        /* BATCHML_OPENCL_AUTO=any: auto takes any OpenCL device (tests on
           PoCL; accelerators that do not call themselves GPUs) */
        const char *any = getenv("BATCHML_OPENCL_AUTO");
        if (!gd && !(any && !strcmp(any, "any") && ad)) { bml__cl_fallback("no OpenCL GPU"); return BML_OK; }
        if (gd) { ap = gp; ad = gd; api = gpi; adi = gdi; }
    } else if (P < 0) {
        if (gd) { ap = gp; ad = gd; api = gpi; adi = gdi; }
        if (!ad) return bml__fail(BML_ERR_DEVICE, "device '%s': the OpenCL platforms have no device", device);
    }
    rc = bml__cl_open(m, ap, ad, api, adi, is_auto);
    if (rc != BML_OK) {
        bml__cl_free(m);
        if (is_auto) { bml__cl_fallback(bml_last_error()); return BML_OK; }
        return rc;
    }
    return BML_OK;
}

/* ----------------------------------------------------------------------
   Launches
   ---------------------------------------------------------------------- */

typedef struct { size_t size; const void *ptr; } bml__clarg;
#define BML__AM(x) {sizeof(cl_mem), &(x)}
#define BML__AI(x) {sizeof(int), &(x)}
#define BML__AF(x) {sizeof(float), &(x)}

static bml_status bml__cl_run(bml__cl *c, int k, const bml__clarg *args, int nargs, cl_uint dim, const size_t *gws,
                              const size_t *lws) {
    cl_int e;
    cl_event ev = NULL;
    int i;
    for (i = 0; i < nargs; i++)
        if ((e = clSetKernelArg(c->k[k], (cl_uint)i, args[i].size, args[i].ptr)) != CL_SUCCESS)
            return bml__cl_err(c->d, e, "clSetKernelArg %s #%d", bml__cl_knames[k], i);
    e = clEnqueueNDRangeKernel(c->q, c->k[k], dim, NULL, gws, lws, 0, NULL, c->prof ? &ev : NULL);
    if (e != CL_SUCCESS) return bml__cl_err(c->d, e, "clEnqueueNDRangeKernel %s", bml__cl_knames[k]);
    if (c->prof) {
        cl_ulong t0 = 0, t1 = 0;
        clWaitForEvents(1, &ev);
        clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL);
        clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL);
        clReleaseEvent(ev);
        c->prof_ns[k] += (double)(t1 - t0);
        c->prof_n[k]++;
    }
    return BML_OK;
}

/* C[M,N] (+)= A[M,K] . (transB ? B[N,K]^T : B[K,N]), epilogue as bml_gemm
   (the vec kernel takes only transB = 0). */
static bml_status bml__cl_gemm(bml__cl *c, int M, int N, int K, cl_mem A, cl_mem B, int transB, cl_mem bias, cl_mem U,
                               int accum, cl_mem C, cl_mem G) {
    size_t ts = (size_t)c->d->rts * (size_t)c->d->wpt, lws[2], gws[2];
    bml__clarg a[11] = {BML__AI(M), BML__AI(N), BML__AI(K), BML__AM(A), BML__AM(B), BML__AI(transB), BML__AM(bias),
                        BML__AM(U), BML__AI(accum), BML__AM(C), BML__AM(G)};
    c->gemm_flops += 2.0 * M * N * K;
    if (c->vec) {
        BML_ASSERT(!transB);
        memmove(&a[5], &a[6], 5 * sizeof a[0]);
        /* a fixed work-group shape: PoCL compiles a kernel once per shape
           (items past N return at once) */
        lws[0] = 8;
        lws[1] = 1;
        gws[0] = ((size_t)N + 16 * 8 - 1) / (16 * 8) * 8;
        gws[1] = ((size_t)M + 7) / 8;
        return bml__cl_run(c, BML__K_GEMM_VEC, a, 10, 2, gws, lws);
    }
    lws[0] = lws[1] = (size_t)c->d->rts;
    gws[0] = ((size_t)N + ts - 1) / ts * lws[0];
    gws[1] = ((size_t)M + ts - 1) / ts * lws[1];
    return bml__cl_run(c, BML__K_GEMM, a, 11, 2, gws, lws);
}

/* Y[M,N] = X[M,K] . W^T + bias for a weight W stored [N,K] (W_t: its
   transpose, uploaded for the vec kernel); C and/or G as bml_gemm. */
static bml_status bml__cl_linear(bml__cl *c, int M, int N, int K, cl_mem X, cl_mem W, cl_mem W_t, cl_mem bias, cl_mem C,
                                 cl_mem G) {
    return bml__cl_gemm(c, M, N, K, X, c->vec ? W_t : W, !c->vec, bias, NULL, 0, C, G);
}

/* One work-group of BML_RW per row. */
static bml_status bml__cl_rows(bml__cl *c, int k, const bml__clarg *args, int nargs, size_t rows) {
    size_t lws = (size_t)c->d->rw, gws = rows * lws;
    return bml__cl_run(c, k, args, nargs, 1, &gws, &lws);
}

/* One work-item per (head, token), in groups of BML_RW (items past n return). */
static bml_status bml__cl_heads(bml__cl *c, int k, const bml__clarg *args, int nargs, size_t n) {
    size_t lws = (size_t)c->d->rw, gws = (n + lws - 1) / lws * lws;
    return bml__cl_run(c, k, args, nargs, 1, &gws, &lws);
}

/* ----------------------------------------------------------------------
   Forward and backward on the device
   ---------------------------------------------------------------------- */

static bml_status bml__cl_forward_run(bml__fwd *f, int grad) {
    bml_model *m = f->m;
    bml__cl *c = (bml__cl *)m->cl;
    const bml_config *cf = &m->cfg;
    int H = cf->hidden, I = cf->intermediate, A = cf->heads, Ti = (int)f->T, S = (int)f->nseq, l;
    int mode = (int)cf->pooling, norm = cf->normalize != 0;
    size_t T = f->T, nS = f->nseq, s, p, t, Hs = (size_t)H, Is = (size_t)I, sumPA = f->sumP * (size_t)A;
    float eps = cf->layer_norm_eps, scale = 1.0f / sqrtf((float)(H / A));
    cl_mem nul = NULL, alpha_mem;
    cl_int e;
    bml_status rc;
    c->grad_ready = 0;
    if (T == 0 || nS == 0) return BML_OK;
    if (T * 3 * Hs > (size_t)INT_MAX || T * Is > (size_t)INT_MAX || 2 * T + 2 * nS > (size_t)INT_MAX)
        return bml__cl_err(c->d, CL_SUCCESS, "a batch of %zu tokens is too large for the device path", T);
    /* buffers for this batch shape */
#define BML__NEED(buf, bytes, name) if ((rc = bml__cl_need(c, &(buf), (bytes), (name))) != BML_OK) return rc
    BML__NEED(c->meta, (2 * T + 2 * nS) * sizeof(int), "the batch layout");
    BML__NEED(c->poff, nS * sizeof(cl_long), "the batch layout");
    if (f->alpha) BML__NEED(c->alpha, nS * sizeof(float), "the batch layout");
    BML__NEED(c->x, T * Hs * 4, "activations");
    BML__NEED(c->qkv, 3 * T * Hs * 4, "activations");
    BML__NEED(c->ctx, T * Hs * 4, "activations");
    BML__NEED(c->tmp, T * Hs * 4, "activations");
    BML__NEED(c->ffn, T * Is * 4, "activations");
    BML__NEED(c->P, sumPA * 4, "attention probabilities");
    BML__NEED(c->out, nS * Hs * 4, "the embeddings");
    if (grad || f->pooled) BML__NEED(c->pooled, nS * Hs * 4, "the embeddings");
    if (grad) {
        BML__NEED(c->de, nS * Hs * 4, "gradients");
        BML__NEED(c->dx, T * Hs * 4, "gradients");
        BML__NEED(c->xhat0, T * Hs * 4, "saved activations");
        BML__NEED(c->rstd0, T * 4, "saved activations");
        for (l = 0; l < cf->layers; l++) {
            bml__clsave *sv = &c->save[l];
            BML__NEED(sv->qkv, 3 * T * Hs * 4, "saved activations");
            BML__NEED(sv->P, sumPA * 4, "saved attention probabilities");
            BML__NEED(sv->xhat1, T * Hs * 4, "saved activations");
            BML__NEED(sv->rstd1, T * 4, "saved activations");
            BML__NEED(sv->u, T * Is * 4, "saved activations");
            BML__NEED(sv->xhat2, T * Hs * 4, "saved activations");
            BML__NEED(sv->rstd2, T * 4, "saved activations");
        }
    }
#undef BML__NEED
    /* the packed layout: ids, sequence of each token, starts, lengths; P offsets */
    if (2 * T + 2 * nS > c->hcap_meta) {
        size_t cap = (2 * T + 2 * nS) * 3 / 2;
        BML_FREE(c->hmeta);
        c->hcap_meta = 0;
        if (!(c->hmeta = (int *)BML_MALLOC(cap * sizeof(int)))) return bml__fail(BML_ERR_NOMEM, "out of memory");
        c->hcap_meta = cap;
    }
    if (nS > c->hcap_poff) {
        size_t cap = nS * 3 / 2 + 1;
        BML_FREE(c->hpoff);
        c->hcap_poff = 0;
        if (!(c->hpoff = (cl_long *)BML_MALLOC(cap * sizeof(cl_long)))) return bml__fail(BML_ERR_NOMEM, "out of memory");
        c->hcap_poff = cap;
    }
    for (s = 0; s < nS; s++) {
        for (p = 0; p < f->len[s]; p++) {
            int32_t id = f->ids[s][p];
            t = f->start[s] + p;
            if (id < 0 || id >= cf->vocab)
                return bml__fail(BML_ERR_OUT_OF_RANGE, "token id %ld is outside the vocabulary", (long)id);
            c->hmeta[t] = (int)id;
            c->hmeta[T + t] = (int)s;
        }
        c->hmeta[2 * T + s] = (int)f->start[s];
        c->hmeta[2 * T + nS + s] = (int)f->len[s];
        c->hpoff[s] = (cl_long)(f->poff[s]);
    }
    if ((e = clEnqueueWriteBuffer(c->q, c->meta.mem, CL_FALSE, 0, (2 * T + 2 * nS) * sizeof(int), c->hmeta, 0, NULL,
                                  NULL)) != CL_SUCCESS ||
        (e = clEnqueueWriteBuffer(c->q, c->poff.mem, CL_FALSE, 0, nS * sizeof(cl_long), c->hpoff, 0, NULL, NULL)) !=
            CL_SUCCESS ||
        (f->alpha && (e = clEnqueueWriteBuffer(c->q, c->alpha.mem, CL_FALSE, 0, nS * sizeof(float), f->alpha, 0, NULL,
                                               NULL)) != CL_SUCCESS))
        return bml__cl_err(c->d, e, "clEnqueueWriteBuffer (the batch layout)");
    alpha_mem = f->alpha ? c->alpha.mem : NULL;
    {   /* x = LN0(alpha word[id] + pos + type)                            [T,H] */
        cl_mem xh = grad ? c->xhat0.mem : NULL, rs = grad ? c->rstd0.mem : NULL;
        bml__clarg a[13] = {BML__AM(c->meta.mem), BML__AI(Ti), BML__AM(alpha_mem), BML__AM(c->word), BML__AM(c->pos),
                            BML__AM(c->type), BML__AM(c->ln0_g), BML__AM(c->ln0_b), BML__AM(c->x.mem), BML__AM(xh),
                            BML__AM(rs), BML__AI(H), BML__AF(eps)};
        if ((rc = bml__cl_rows(c, BML__K_EMBED_LN, a, 13, T)) != BML_OK) return rc;
    }
    for (l = 0; l < cf->layers; l++) {
        const bml__cllayer *L = &c->layer[l];
        bml__clsave *sv = grad ? &c->save[l] : NULL;
        cl_mem qkv = sv ? sv->qkv.mem : c->qkv.mem, P = sv ? sv->P.mem : c->P.mem, u = sv ? sv->u.mem : NULL;
        cl_mem xh1 = sv ? sv->xhat1.mem : NULL, rs1 = sv ? sv->rstd1.mem : NULL;
        cl_mem xh2 = sv ? sv->xhat2.mem : NULL, rs2 = sv ? sv->rstd2.mem : NULL;
        if ((rc = bml__cl_linear(c, Ti, 3 * H, H, c->x.mem, L->wqkv, L->wqkv_t, L->bqkv, qkv, nul)) != BML_OK)
            return rc;                                                          /* qkv = x Wqkv^T + b  [T,3H] */
        {
            bml__clarg a[11] = {BML__AM(c->meta.mem), BML__AI(Ti), BML__AI(S), BML__AM(c->poff.mem), BML__AM(qkv),
                                BML__AM(c->ctx.mem), BML__AM(P), BML__AI(H), BML__AI(A), BML__AF(scale)};
            if ((rc = bml__cl_heads(c, BML__K_ATTN, a, 10, (size_t)A * T)) != BML_OK) return rc; /* ctx      [T,H] */
        }
        if ((rc = bml__cl_linear(c, Ti, H, H, c->ctx.mem, L->wo, L->wo_t, L->bo, c->tmp.mem, nul)) != BML_OK)
            return rc;                                                          /* a = ctx Wo^T + bo   [T,H] */
        {
            bml__clarg a[8] = {BML__AM(c->x.mem), BML__AM(c->tmp.mem), BML__AM(L->ln1_g), BML__AM(L->ln1_b),
                               BML__AM(xh1), BML__AM(rs1), BML__AI(H), BML__AF(eps)};
            if ((rc = bml__cl_rows(c, BML__K_ADD_LN, a, 8, T)) != BML_OK) return rc; /* x = LN1(x + a)       */
        }
        if ((rc = bml__cl_linear(c, Ti, I, H, c->x.mem, L->w1, L->w1_t, L->b1, u, c->ffn.mem)) != BML_OK)
            return rc;                                                          /* g = gelu(x W1^T + b1) [T,I] */
        if ((rc = bml__cl_linear(c, Ti, H, I, c->ffn.mem, L->w2, L->w2_t, L->b2, c->tmp.mem, nul)) != BML_OK)
            return rc;                                                          /* o = g W2^T + b2     [T,H] */
        {
            bml__clarg a[8] = {BML__AM(c->x.mem), BML__AM(c->tmp.mem), BML__AM(L->ln2_g), BML__AM(L->ln2_b),
                               BML__AM(xh2), BML__AM(rs2), BML__AI(H), BML__AF(eps)};
            if ((rc = bml__cl_rows(c, BML__K_ADD_LN, a, 8, T)) != BML_OK) return rc; /* x = LN2(x + o)       */
        }
    }
    {   /* out = normalize(pool(x))                                          [S,H] */
        cl_mem pooled = grad || f->pooled ? c->pooled.mem : NULL;
        bml__clarg a[9] = {BML__AM(c->meta.mem), BML__AI(Ti), BML__AI(S), BML__AM(c->x.mem), BML__AM(c->out.mem),
                           BML__AM(pooled), BML__AI(H), BML__AI(mode), BML__AI(norm)};
        if ((rc = bml__cl_rows(c, BML__K_POOL, a, 9, nS)) != BML_OK) return rc;
    }
    if ((e = clEnqueueReadBuffer(c->q, c->out.mem, CL_TRUE, 0, nS * Hs * 4, f->out, 0, NULL, NULL)) != CL_SUCCESS)
        return bml__cl_err(c->d, e, "reading the embeddings back (clEnqueueReadBuffer)");
    if (f->pooled &&
        (e = clEnqueueReadBuffer(c->q, c->pooled.mem, CL_TRUE, 0, nS * Hs * 4, f->pooled, 0, NULL, NULL)) != CL_SUCCESS)
        return bml__cl_err(c->d, e, "reading the embeddings back (clEnqueueReadBuffer)");
    c->grad_ready = grad;
    return BML_OK;
}

#ifndef BATCHML_NO_OVERLAY
static bml_status bml__cl_backward_run(bml__fwd *f) {
    bml_model *m = f->m;
    bml__cl *c = (bml__cl *)m->cl;
    const bml_config *cf = &m->cfg;
    int H = cf->hidden, I = cf->intermediate, A = cf->heads, Ti = (int)f->T, S = (int)f->nseq, l, acc = 1;
    int mode = (int)cf->pooling, norm = cf->normalize != 0;
    size_t T = f->T, nS = f->nseq, Hs = (size_t)H;
    float scale = 1.0f / sqrtf((float)(H / A));
    cl_mem nul = NULL;
    cl_int e;
    bml_status rc;
    if (T == 0 || nS == 0) return BML_OK;
    if (!c->grad_ready) return bml__cl_err(c->d, CL_SUCCESS, "backward without a forward pass in grad mode");
    if ((e = clEnqueueWriteBuffer(c->q, c->de.mem, CL_FALSE, 0, nS * Hs * 4, f->tmp, 0, NULL, NULL)) != CL_SUCCESS)
        return bml__cl_err(c->d, e, "clEnqueueWriteBuffer (df/de)");
    {   /* dx = pool^T(normalize^T(de))                                     [T,H] */
        bml__clarg a[11] = {BML__AM(c->meta.mem), BML__AI(Ti), BML__AI(S), BML__AM(c->x.mem), BML__AM(c->out.mem),
                            BML__AM(c->pooled.mem), BML__AM(c->de.mem), BML__AM(c->dx.mem), BML__AI(H),
                            BML__AI(mode), BML__AI(norm)};
        if ((rc = bml__cl_rows(c, BML__K_POOL_BWD, a, 11, nS)) != BML_OK) return rc;
    }
    for (l = cf->layers - 1; l >= 0; l--) {
        const bml__cllayer *L = &c->layer[l];
        bml__clsave *sv = &c->save[l];
        {
            bml__clarg a[5] = {BML__AM(c->dx.mem), BML__AM(L->ln2_g), BML__AM(sv->xhat2.mem), BML__AM(sv->rstd2.mem),
                               BML__AI(H)};
            if ((rc = bml__cl_rows(c, BML__K_LN_BWD, a, 5, T)) != BML_OK) return rc; /* dr2 = LN2^T(dx)      */
        }
        if ((rc = bml__cl_gemm(c, Ti, I, H, c->dx.mem, L->w2, 0, nul, sv->u.mem, 0, c->ffn.mem, nul)) != BML_OK)
            return rc;                                                          /* du = dr2 W2 gelu'(u) [T,I] */
        if ((rc = bml__cl_gemm(c, Ti, H, I, c->ffn.mem, L->w1, 0, nul, nul, acc, c->dx.mem, nul)) != BML_OK)
            return rc;                                                          /* dh1 = dr2 + du W1   [T,H] */
        {
            bml__clarg a[5] = {BML__AM(c->dx.mem), BML__AM(L->ln1_g), BML__AM(sv->xhat1.mem), BML__AM(sv->rstd1.mem),
                               BML__AI(H)};
            if ((rc = bml__cl_rows(c, BML__K_LN_BWD, a, 5, T)) != BML_OK) return rc; /* dr1 = LN1^T(dh1)     */
        }
        if ((rc = bml__cl_gemm(c, Ti, H, H, c->dx.mem, L->wo, 0, nul, nul, 0, c->ctx.mem, nul)) != BML_OK)
            return rc;                                                          /* dctx = dr1 Wo       [T,H] */
        {
            bml__clarg a[12] = {BML__AM(c->meta.mem), BML__AI(Ti), BML__AI(S), BML__AM(c->poff.mem),
                                BML__AM(sv->qkv.mem), BML__AM(c->ctx.mem), BML__AM(sv->P.mem), BML__AM(c->P.mem),
                                BML__AM(c->qkv.mem), BML__AI(H), BML__AI(A), BML__AF(scale)};
            if ((rc = bml__cl_heads(c, BML__K_ATTN_BWD_Q, a, 12, (size_t)A * T)) != BML_OK) return rc; /* dS, dq */
            if ((rc = bml__cl_heads(c, BML__K_ATTN_BWD_KV, a, 11, (size_t)A * T)) != BML_OK) return rc; /* dk, dv */
        }
        if ((rc = bml__cl_gemm(c, Ti, H, 3 * H, c->qkv.mem, L->wqkv, 0, nul, nul, acc, c->dx.mem, nul)) != BML_OK)
            return rc;                                                          /* dh0 = dr1 + dqkv Wqkv [T,H] */
    }
    {
        bml__clarg a[5] = {BML__AM(c->dx.mem), BML__AM(c->ln0_g), BML__AM(c->xhat0.mem), BML__AM(c->rstd0.mem),
                           BML__AI(H)};
        if ((rc = bml__cl_rows(c, BML__K_LN_BWD, a, 5, T)) != BML_OK) return rc; /* d(emb sum) = LN0^T(dx) */
    }
    if ((e = clEnqueueReadBuffer(c->q, c->dx.mem, CL_TRUE, 0, T * Hs * 4, f->dx, 0, NULL, NULL)) != CL_SUCCESS)
        return bml__cl_err(c->d, e, "reading the gradients back (clEnqueueReadBuffer)");
    return BML_OK;
}
#endif

/* The hooks bml__forward_job / bml__backward call when m->cl is set. With
   device "auto" a failure here also falls back to the CPU path (for good:
   the device state is freed) and the job is redone there. */
static bml_status bml__cl_forward_job(bml__fwd *f, int grad) {
    bml_model *m = f->m;
    bml__cl *c = (bml__cl *)m->cl;
    bml_status rc = bml__cl_forward_run(f, grad);
    if (rc == BML_OK || rc == BML_ERR_OUT_OF_RANGE || !c->is_auto) return rc;
    bml__cl_fallback(bml_last_error());
    bml__cl_free(m);
#ifdef BML__PANELS
    if (!m->panel_mem) (void)bml__make_panels(m); /* as a CPU model has them (else OpenBLAS) */
#endif
    return bml__forward_job(f, grad);
}

#ifndef BATCHML_NO_OVERLAY
static bml_status bml__cl_backward(bml__fwd *f) {
    bml_model *m = f->m;
    bml__cl *c = (bml__cl *)m->cl;
    size_t n;
    float *de;
    bml_status rc = bml__cl_backward_run(f);
    if (rc == BML_OK) return BML_OK;
    n = f->nseq * (size_t)m->cfg.hidden;
    if (c->is_auto && (de = (float *)BML_MALLOC(n * sizeof(float) + 1)) != NULL) {
        /* redo the job on the CPU: forward in grad mode (it reuses f->tmp,
           so df/de is kept aside), then the CPU backward */
        bml__cl_fallback(bml_last_error());
        memcpy(de, f->tmp, n * sizeof(float));
        bml__cl_free(m);
#ifdef BML__PANELS
        if (!m->panel_mem) (void)bml__make_panels(m);
#endif
        if ((rc = bml__forward_job(f, 1)) == BML_OK) {
            memcpy(f->tmp, de, n * sizeof(float));
            BML_FREE(de);
            return bml__backward(f);
        }
        BML_FREE(de);
    }
    return rc;
}
#endif
#endif

/* ======================================================================
   >>tables  Appendix: generated Unicode tables and lookups, OpenCL kernel sources
   ====================================================================== */

/* ---- BEGIN Unicode tables: GENERATED by tools/gen_unicode.py (do not edit) ---- */
/* Source: /usr/share/unicode (UCD 15.0.0); categories as of Unicode 8.0, NFD as of 9.0,
   lowercase as of 17.0: the versions HF tokenizers' Rust crates use.
   Two-level tables: stage1[cp >> SHIFT] is a block, stage2[(block << SHIFT) | (cp & MASK)]
   the value. */

/* property records: flags | canonical combining class << 8 */
static const uint16_t bml__tok_prop_rec[73] = {
    0,1,2,3,4,8,16,32,34,36,40,48,64,96,264,1792,
    1800,2056,2304,2312,2568,2824,3080,3336,3592,3848,4104,4360,4616,4872,5128,5384,
    5640,5896,6152,6408,6664,6920,7176,7432,7688,7944,8200,8456,8712,8968,9224,21512,
    23304,26376,27400,30216,31240,33032,33288,33800,51720,54792,55296,55304,55816,56328,56840,57344,
    57856,58376,58880,58888,58920,59400,59656,59912,61448,
};
/* properties: 1114112 code points, shift 7, 157 blocks, 28800 bytes */
#define BML__TOK_PROP_LIMIT 0x110000
#define BML__TOK_PROP_SHIFT 7
static const uint8_t bml__tok_prop_stage1[8704] = {
    0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,
    24,25,26,27,28,29,30,31,32,33,5,5,5,5,34,35,36,5,5,5,37,38,39,40,
    41,42,43,5,44,45,46,47,48,49,5,50,51,52,53,54,55,56,57,58,59,60,61,5,
    5,62,5,5,5,5,63,64,5,5,5,65,5,66,5,5,67,68,69,70,71,5,5,5,
    72,73,5,5,5,5,5,5,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,
    74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,
    74,74,74,74,74,74,74,74,74,74,74,75,74,74,74,74,74,74,74,74,74,74,74,74,
    74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,
    74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,
    74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,
    74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,
    74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,
    74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,
    74,74,74,74,74,74,74,74,5,5,5,5,5,5,5,5,5,76,5,5,77,78,79,80,
    81,82,83,84,85,86,5,87,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,
    88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,
    88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,
    88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,88,89,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,91,91,92,93,94,5,
    5,5,95,5,96,97,98,99,5,5,100,101,5,102,103,104,105,106,107,108,5,5,5,5,
    109,5,110,5,111,112,113,114,5,115,116,5,5,5,5,5,117,118,119,120,121,122,123,5,
    124,125,5,126,127,128,129,5,5,130,5,5,5,5,5,5,131,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,132,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,133,134,135,5,5,5,5,5,136,137,5,138,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,139,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,140,141,142,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,143,144,5,5,5,5,5,5,5,5,5,5,
    145,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,146,147,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,74,74,74,74,74,74,74,74,
    74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,
    74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,
    74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,
    74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,
    74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,
    74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,
    74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,
    74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,
    74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,
    74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,
    74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,
    74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,
    74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,
    74,74,74,74,74,74,74,74,74,74,74,74,74,148,74,74,74,74,74,74,74,74,74,74,
    74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,
    149,5,150,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,
    74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,74,151,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,91,91,91,91,152,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,153,5,154,155,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,156,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,
    90,90,90,90,90,90,90,90,90,90,90,90,90,90,90,156,
};
static const uint8_t bml__tok_prop_stage2[20096] = {
    1,1,1,1,1,1,1,1,1,2,2,3,3,2,1,1,1,1,1,1,1,1,1,1,
    1,1,1,1,1,1,1,1,2,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,
    0,0,0,0,0,0,0,0,0,0,4,4,4,4,4,4,4,12,12,12,12,12,12,12,
    12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,4,4,4,4,4,
    4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,4,4,4,4,1,1,1,1,1,1,3,1,1,1,1,1,1,1,1,1,1,
    1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,2,4,0,0,0,0,0,4,
    0,0,0,4,0,1,0,0,0,0,0,0,0,0,4,4,0,0,0,4,0,0,0,4,
    13,13,13,13,13,13,12,13,13,13,13,13,13,13,13,13,12,13,13,13,13,13,13,0,
    12,13,13,13,13,13,12,0,7,7,7,7,7,7,0,7,7,7,7,7,7,7,7,7,
    0,7,7,7,7,7,7,0,0,7,7,7,7,7,0,7,13,7,13,7,13,7,13,7,
    13,7,13,7,13,7,13,7,12,0,13,7,13,7,13,7,13,7,13,7,13,7,13,7,
    13,7,13,7,13,7,12,0,13,7,13,7,13,7,13,7,13,0,12,0,13,7,13,7,
    0,13,7,13,7,13,7,12,0,12,0,13,7,13,7,13,7,0,12,0,13,7,13,7,
    13,7,12,0,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,12,0,
    13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,13,7,13,7,13,7,0,
    0,12,12,0,12,0,12,12,0,12,12,12,0,0,12,12,12,12,0,12,12,0,12,12,
    12,0,0,0,12,12,0,12,13,7,12,0,12,0,12,12,0,12,0,0,12,0,12,13,
    7,12,12,12,0,12,0,12,12,0,0,0,12,0,0,0,0,0,0,0,12,12,0,12,
    12,0,12,12,0,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,0,13,7,
    13,7,13,7,12,0,13,7,13,7,13,7,13,7,13,7,7,12,12,0,13,7,12,12,
    13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,
    13,7,13,7,13,7,13,7,13,7,13,7,12,0,13,7,12,0,12,0,12,0,13,7,
    13,7,13,7,13,7,13,7,13,7,13,7,0,0,0,0,0,0,12,12,0,12,12,0,
    0,12,0,12,12,12,12,0,12,0,12,0,12,0,12,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    67,67,67,67,67,67,67,67,67,67,67,67,67,67,67,67,67,67,67,67,67,69,61,61,
    61,61,69,59,61,61,61,61,61,56,56,61,61,61,61,56,56,61,61,61,61,61,61,61,
    61,61,61,61,14,14,14,14,14,61,61,61,61,67,67,67,68,68,67,68,68,72,67,61,
    61,61,67,67,67,61,61,5,67,67,67,61,61,61,61,67,69,61,61,67,70,71,71,70,
    71,71,70,67,67,67,67,67,67,67,67,67,67,67,67,67,12,0,12,0,7,0,12,0,
    0,0,0,0,0,0,9,12,0,0,0,0,0,7,13,9,13,13,13,0,13,0,13,13,
    7,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,0,12,12,12,12,12,
    12,12,13,13,7,7,7,7,7,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,7,7,7,7,7,12,0,0,0,7,7,0,0,0,
    12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,
    0,0,0,0,12,0,0,12,0,12,12,0,0,12,12,12,13,13,12,13,12,12,12,13,
    12,12,12,12,13,13,13,12,12,12,12,12,12,12,12,12,12,13,12,12,12,12,12,12,
    12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,0,0,0,0,0,0,0,0,
    0,7,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    7,7,0,7,0,0,0,7,0,0,0,0,7,7,7,0,12,0,12,0,12,0,12,0,
    12,0,12,0,12,0,12,0,12,0,12,0,12,0,13,7,12,0,12,0,12,0,12,0,
    12,0,0,67,67,67,67,67,0,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,
    12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,
    12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,13,7,12,0,12,0,12,
    0,12,0,12,0,12,0,0,13,7,13,7,12,0,13,7,12,0,13,7,13,7,13,7,
    12,0,13,7,13,7,13,7,12,0,13,7,13,7,13,7,13,7,13,7,13,7,12,0,
    13,7,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,
    12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,
    12,0,12,0,12,0,12,0,0,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,
    12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,0,
    0,0,4,4,4,4,4,4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,4,4,0,0,0,0,0,0,61,67,67,67,67,61,67,67,67,62,61,67,67,67,67,
    67,67,61,61,61,61,61,61,67,67,61,67,67,62,65,67,20,21,22,23,24,25,26,27,
    28,29,29,30,31,32,4,33,4,34,35,4,67,61,4,28,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,4,4,0,0,0,0,0,0,0,0,0,0,0,
    1,1,1,1,1,1,0,0,0,4,4,0,4,4,0,0,67,67,67,67,67,67,67,67,
    40,41,42,4,1,0,4,4,0,0,7,7,7,7,7,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,37,38,39,40,41,42,43,44,67,67,61,61,67,67,67,67,67,61,67,67,61,
    0,0,0,0,0,0,0,0,0,0,4,4,4,4,0,0,45,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    7,0,7,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,7,4,0,67,67,
    67,67,67,67,67,1,0,67,67,67,67,61,67,0,0,67,67,0,61,67,67,61,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,4,4,4,4,4,4,4,4,
    4,4,4,4,4,4,0,1,0,46,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,67,61,67,67,61,67,67,61,
    61,61,67,61,61,67,61,67,67,67,61,67,61,67,61,67,61,67,67,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,5,5,5,5,5,5,5,5,5,5,
    5,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,67,67,67,67,67,67,67,61,67,0,0,0,4,
    4,4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,67,67,67,67,0,67,67,67,67,67,67,67,67,67,0,67,67,67,
    0,67,67,67,67,67,0,0,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,61,61,61,0,0,4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,66,66,66,66,66,66,66,66,66,66,66,66,66,66,0,61,67,67,61,67,
    67,61,67,67,67,61,61,61,37,38,39,67,67,67,61,67,67,61,61,67,67,67,67,67,
    5,5,5,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,7,0,0,0,0,0,0,
    0,7,0,0,7,0,0,0,0,0,5,0,16,0,0,0,0,5,5,5,5,5,5,5,
    5,0,0,0,0,19,0,0,0,67,61,67,67,5,5,5,7,7,7,7,7,7,7,7,
    0,0,5,5,4,4,0,0,0,0,0,0,0,0,0,0,4,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,5,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,16,0,0,0,
    0,5,5,5,5,0,0,0,0,0,0,7,7,19,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,7,7,0,7,0,0,5,5,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,5,5,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,7,0,0,7,0,
    0,0,0,0,16,0,0,0,0,5,5,0,0,0,0,5,5,0,0,5,5,19,0,0,
    0,5,0,0,0,0,0,0,0,7,7,7,0,0,7,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,5,5,0,0,0,5,0,0,0,0,0,0,0,0,0,0,
    0,5,5,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,16,0,0,0,0,5,5,5,5,5,0,5,
    5,0,0,0,0,19,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,5,5,0,0,0,0,0,0,0,0,0,0,0,0,4,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,5,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,16,0,0,5,
    0,5,5,5,5,0,0,0,7,0,0,7,7,19,0,0,0,0,0,0,0,0,5,0,
    0,0,0,0,7,7,0,0,0,0,5,5,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,5,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,7,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,5,0,0,0,0,0,0,0,0,0,7,7,7,19,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    5,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,5,5,5,0,0,0,0,0,5,5,
    10,0,5,5,5,19,0,0,0,0,0,0,0,47,48,0,0,0,0,0,0,0,0,0,
    0,0,5,5,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,5,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,16,0,0,5,
    7,0,0,0,0,0,5,7,7,0,7,7,5,19,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,5,5,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,5,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,5,5,5,5,0,0,0,0,0,7,7,7,19,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,5,5,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,19,0,0,0,0,0,0,0,5,5,5,0,5,0,0,0,7,0,7,7,7,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,4,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,5,0,0,5,5,5,5,49,49,19,0,0,0,0,0,
    0,0,0,0,0,0,0,5,50,50,50,50,5,5,5,4,0,0,0,0,0,0,0,0,
    0,0,4,4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,5,0,0,5,5,5,5,
    51,51,0,5,5,0,0,0,0,0,0,0,0,0,0,0,52,52,52,52,5,5,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,0,4,0,0,0,
    61,61,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,61,0,61,0,59,4,4,4,4,0,0,0,0,0,7,0,0,0,0,
    0,0,0,0,0,7,0,0,0,0,7,0,0,0,0,7,0,0,0,0,7,0,0,0,
    0,0,0,0,0,0,0,0,0,7,0,0,0,0,0,0,0,53,54,10,55,10,10,5,
    10,5,54,54,54,54,5,0,54,10,67,67,19,4,67,67,0,0,0,0,0,5,5,5,
    5,5,5,10,5,5,5,5,0,5,5,5,5,10,5,5,5,5,10,5,5,5,5,10,
    5,5,5,5,10,5,5,5,5,5,5,5,5,5,5,5,5,10,5,5,5,0,0,0,
    0,0,0,0,0,0,61,0,0,0,0,0,0,0,0,0,4,4,4,4,4,0,0,0,
    0,4,4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,7,0,0,0,0,0,0,5,5,5,5,0,5,5,5,5,5,16,
    0,19,19,0,0,5,5,0,0,0,0,0,0,0,0,0,0,0,4,4,4,4,4,4,
    0,0,0,0,0,0,0,0,5,5,0,0,0,0,5,5,5,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,5,5,5,5,0,0,0,0,0,0,0,0,0,0,0,
    0,0,5,0,0,5,5,0,0,0,0,0,0,61,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,5,0,0,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,
    12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,0,12,
    0,0,0,0,0,12,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,67,67,67,4,4,4,4,4,4,4,4,4,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,
    12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,
    12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,
    12,12,12,12,12,12,12,12,12,12,12,12,12,12,0,0,0,0,0,0,0,0,0,0,
    4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,4,4,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,4,4,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,4,4,4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,5,5,19,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,5,5,19,4,4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,5,5,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,5,5,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,5,5,0,5,5,5,5,5,5,5,0,0,
    0,0,0,0,0,0,5,0,0,5,5,5,5,5,5,5,5,5,19,5,4,4,4,0,
    4,4,4,0,0,67,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,4,4,4,4,4,4,4,4,
    4,4,4,5,5,5,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,65,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,5,5,5,0,0,0,0,5,
    5,0,0,0,0,0,0,0,0,0,5,0,0,0,0,0,0,62,67,61,0,0,0,0,
    0,0,0,0,4,4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,67,61,0,0,5,0,0,4,4,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,5,0,5,5,5,5,5,5,5,0,19,0,5,0,0,5,5,5,
    5,5,5,5,5,0,0,0,0,0,0,5,5,67,67,67,67,67,67,67,67,0,0,61,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,4,4,4,4,4,4,4,0,4,4,4,4,4,4,0,0,
    67,67,67,67,67,61,61,61,61,61,61,67,67,61,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,5,5,5,5,0,0,7,0,7,0,7,0,7,0,7,0,
    0,0,7,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,16,0,5,5,5,5,5,7,5,7,0,0,
    7,7,5,7,18,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,4,4,4,4,4,4,4,0,0,0,0,0,0,0,0,0,0,67,61,67,67,67,
    67,67,67,67,0,0,0,0,0,0,0,0,0,0,0,0,5,5,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,5,5,5,5,0,0,5,5,18,19,5,5,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,16,0,
    5,5,0,0,0,5,0,5,5,5,18,18,0,0,0,0,0,0,0,0,4,4,4,4,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,5,5,5,5,
    5,5,5,5,0,0,5,16,0,0,0,4,4,4,4,4,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,4,4,0,0,0,0,0,0,0,0,0,12,0,0,0,0,0,0,
    12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,
    12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,0,0,12,12,12,
    4,4,4,4,4,4,4,4,0,0,0,0,0,0,0,0,67,67,67,4,14,61,61,61,
    61,61,67,67,61,61,61,61,67,0,14,14,14,14,14,14,14,0,0,0,0,61,0,0,
    0,0,0,0,67,0,0,0,67,67,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,67,67,61,67,67,67,67,67,67,67,61,67,67,71,57,61,
    56,67,67,67,67,67,67,67,67,67,67,67,67,67,67,67,67,67,67,67,67,67,67,67,
    67,67,67,67,67,67,67,67,67,67,67,67,67,67,0,0,0,0,0,66,70,61,67,61,
    13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,
    13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,
    13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,
    13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,
    13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,
    13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,
    13,7,13,7,13,7,7,7,7,7,0,7,0,0,12,0,13,7,13,7,13,7,13,7,
    13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,
    13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,
    13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,13,7,
    13,7,13,7,13,7,13,7,13,7,12,0,12,0,12,0,7,7,7,7,7,7,7,7,
    13,13,13,13,13,13,13,13,7,7,7,7,7,7,0,0,13,13,13,13,13,13,0,0,
    7,7,7,7,7,7,7,7,13,13,13,13,13,13,13,13,7,7,7,7,7,7,7,7,
    13,13,13,13,13,13,13,13,7,7,7,7,7,7,0,0,13,13,13,13,13,13,0,0,
    7,7,7,7,7,7,7,7,0,13,0,13,0,13,0,13,7,7,7,7,7,7,7,7,
    13,13,13,13,13,13,13,13,7,7,7,7,7,7,7,7,7,7,7,7,7,7,0,0,
    7,7,7,7,7,7,7,7,13,13,13,13,13,13,13,13,7,7,7,7,7,7,7,7,
    13,13,13,13,13,13,13,13,7,7,7,7,7,7,7,7,13,13,13,13,13,13,13,13,
    7,7,7,7,7,0,7,7,13,13,13,13,13,0,7,0,0,7,7,7,7,0,7,7,
    13,13,13,13,13,7,7,7,7,7,7,7,0,0,7,7,13,13,13,13,0,7,7,7,
    7,7,7,7,7,7,7,7,13,13,13,13,13,7,7,7,0,0,7,7,7,0,7,7,
    13,13,13,13,13,7,0,0,8,8,2,2,2,2,2,2,2,2,2,1,1,1,1,1,
    4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,
    2,2,1,1,1,1,1,2,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,
    4,4,4,4,0,4,4,4,4,4,4,4,4,4,4,4,4,4,0,4,4,4,4,4,
    4,4,4,4,4,4,4,2,1,1,1,1,1,0,1,1,1,1,1,1,1,1,1,1,
    0,0,0,0,0,0,0,0,0,0,0,0,0,4,4,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,4,4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    67,67,14,14,67,67,67,67,14,14,14,67,67,0,0,0,0,67,0,0,0,14,14,67,
    61,67,14,14,61,61,61,61,67,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,13,0,0,0,13,13,0,0,0,0,
    0,0,12,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,12,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,7,7,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,7,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,7,7,7,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,7,0,0,0,
    0,7,0,0,7,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,7,0,7,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,7,0,0,7,0,0,7,0,7,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,7,0,7,0,0,0,0,0,
    0,0,0,0,0,7,7,7,7,7,0,0,7,7,0,0,7,7,0,0,0,0,0,0,
    7,7,0,0,7,7,0,0,7,7,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,7,7,7,7,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    7,7,7,7,0,0,0,0,0,0,7,7,7,7,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,4,4,4,4,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,9,9,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,12,12,
    12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,4,4,4,4,4,4,4,4,4,4,4,4,4,4,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,4,4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,4,4,4,4,4,4,4,4,4,4,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,4,4,4,4,4,
    4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,4,4,4,4,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,4,4,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,7,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,
    12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,
    12,12,12,12,12,12,12,12,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,12,0,12,12,12,0,0,12,0,12,0,12,0,12,12,12,
    12,0,12,0,0,12,0,0,0,0,0,0,0,0,12,12,12,0,12,0,12,0,12,0,
    12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,
    12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,
    12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,
    12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,0,0,0,0,
    0,0,0,12,0,12,0,67,67,67,12,0,0,0,0,0,0,4,4,4,4,0,4,4,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,4,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,19,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,67,67,67,67,67,67,67,67,67,67,67,67,67,67,67,67,
    67,67,67,67,67,67,67,67,67,67,67,67,67,67,67,67,4,4,4,4,4,4,4,4,
    4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,
    4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,0,4,4,4,4,4,4,4,4,
    4,4,4,4,4,4,4,4,4,4,4,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    2,4,4,4,0,0,0,0,4,4,4,4,4,4,4,4,4,4,0,0,4,4,4,4,
    4,4,4,4,4,4,4,4,0,0,0,0,0,0,0,0,0,0,60,65,69,62,63,63,
    4,0,0,0,0,0,0,0,0,0,0,0,0,4,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,7,0,7,0,7,0,7,0,7,0,7,0,7,0,7,0,7,0,7,0,
    7,0,7,0,0,7,0,7,0,7,0,0,0,0,0,0,7,7,0,7,7,0,7,7,
    0,7,7,0,7,7,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,7,0,0,0,0,17,17,0,0,0,7,0,4,0,0,0,0,0,0,0,
    0,0,0,0,7,0,7,0,7,0,7,0,7,0,7,0,7,0,7,0,7,0,7,0,
    7,0,7,0,0,7,0,7,0,7,0,0,0,0,0,0,7,7,0,7,7,0,7,7,
    0,7,7,0,7,7,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,7,0,0,7,7,7,7,4,0,0,7,0,6,6,6,6,6,6,6,6,
    6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,
    6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,
    6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,
    6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,
    6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,
    6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,
    6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,
    6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,4,4,0,0,0,0,0,0,0,0,
    0,0,0,0,0,4,4,4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,
    12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,
    12,0,12,0,12,0,0,67,0,0,0,4,67,67,67,67,67,67,67,67,67,67,4,0,
    12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,
    12,0,12,0,0,0,67,67,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,67,67,4,4,4,4,4,4,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,12,0,12,0,12,0,
    12,0,12,0,12,0,12,0,0,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,
    12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,
    12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,12,0,
    0,0,0,0,0,0,0,0,0,12,0,12,0,12,12,0,12,0,12,0,12,0,12,0,
    0,0,0,12,0,12,0,0,12,0,12,0,0,0,12,0,12,0,12,0,12,0,12,0,
    12,0,12,0,12,0,12,0,12,0,12,12,12,12,12,0,12,12,12,12,12,0,12,0,
    12,0,12,0,12,0,12,0,12,0,12,0,12,12,12,12,0,12,0,12,12,0,12,0,
    12,0,12,0,12,0,12,0,12,0,12,0,12,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,12,0,0,0,0,0,0,0,0,0,0,
    0,0,5,0,0,0,19,0,0,0,0,5,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,5,5,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,4,4,4,4,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,19,0,0,0,0,0,0,0,0,0,4,4,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,67,67,67,67,67,67,67,67,67,67,67,67,67,67,67,67,
    67,67,0,0,0,0,0,0,4,4,4,0,4,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,5,5,5,5,5,61,61,61,4,4,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,5,5,5,5,5,5,5,5,5,
    5,5,0,18,0,0,0,0,0,0,0,0,0,0,0,4,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    5,5,5,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,16,0,0,5,5,5,5,0,0,5,0,0,0,18,4,4,4,4,4,4,4,
    4,4,4,4,4,4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,4,4,
    0,0,0,0,0,5,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,5,5,5,5,5,5,0,0,5,5,0,0,5,5,0,0,0,0,0,0,0,0,0,
    0,0,0,5,0,0,0,0,0,0,0,0,5,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,4,4,4,4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,5,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,67,0,67,67,61,0,0,67,
    67,0,0,0,0,0,67,67,0,67,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,4,4,0,0,0,0,0,0,0,0,
    0,0,0,0,5,5,0,0,4,4,0,0,0,0,19,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,5,0,0,5,0,0,4,0,19,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,
    7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,
    7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,
    7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,
    7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,
    7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,
    7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,
    7,7,7,7,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
    1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
    1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
    1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
    1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
    1,1,1,1,1,1,1,1,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,
    11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,
    11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,
    11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,
    11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,
    11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,
    11,11,11,11,11,11,6,6,11,6,11,6,6,11,11,11,11,11,11,11,11,11,11,6,
    11,6,11,6,6,11,11,6,6,6,11,11,11,11,11,11,11,11,11,11,11,11,11,11,
    11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,
    11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,
    11,11,11,11,11,11,6,6,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,
    11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,
    11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,
    11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,
    11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,6,6,6,6,6,6,
    6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,
    6,6,6,6,6,6,6,6,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,7,36,7,0,0,0,0,0,0,0,0,
    0,0,7,7,7,7,7,7,7,7,7,7,7,7,7,0,7,7,7,7,7,0,7,0,
    7,7,0,7,7,0,7,7,7,7,7,7,7,7,7,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,4,4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,4,4,4,4,4,4,4,4,
    4,4,0,0,0,0,0,0,67,67,67,67,67,67,67,61,61,61,61,61,61,61,67,67,
    4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,
    4,4,4,4,4,4,4,4,4,4,4,0,4,4,4,4,4,4,4,4,4,4,4,4,
    4,4,0,4,0,0,0,0,4,0,4,4,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,0,4,4,4,0,4,4,4,
    4,4,4,0,4,4,4,4,0,0,0,0,0,0,0,0,0,0,4,4,0,0,0,4,
    4,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,
    12,12,12,4,4,4,0,4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,4,0,4,0,4,4,4,4,4,4,4,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,1,1,1,0,1,0,0,4,4,4,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,61,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    61,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,67,67,67,67,67,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,4,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,
    12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,
    12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,4,12,12,12,12,12,12,12,12,12,12,12,0,12,12,12,12,
    12,12,12,12,12,12,12,12,12,12,12,0,12,12,12,12,12,12,12,0,12,12,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,4,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,4,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,5,5,5,0,5,5,0,0,0,0,0,5,61,5,67,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,67,14,61,0,0,0,0,19,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,4,4,4,4,4,4,4,4,4,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,67,61,0,0,0,0,0,0,0,0,0,
    4,4,4,4,4,4,4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,4,4,4,4,4,4,4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,4,4,4,4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,
    12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,
    12,12,12,12,12,12,12,12,12,12,12,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,5,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,5,5,5,5,5,5,5,5,5,5,5,5,5,5,19,4,
    4,4,4,4,4,4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,19,5,5,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,7,0,7,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,7,0,0,0,0,0,0,0,5,5,5,5,0,0,19,16,4,4,1,4,4,
    4,4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,67,67,67,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,5,5,5,5,5,0,5,10,10,5,5,5,19,19,0,0,0,
    0,0,0,0,0,0,0,0,4,4,4,4,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,16,4,4,0,0,0,0,0,0,0,0,0,0,
    5,5,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,5,5,5,5,5,5,5,5,5,0,18,0,0,0,0,4,4,4,
    4,4,16,5,5,4,0,0,0,0,0,0,0,0,0,0,0,0,0,4,0,4,4,4,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,5,5,5,0,0,5,18,16,5,4,4,4,4,4,4,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,5,0,0,0,5,5,5,5,5,
    5,16,19,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    5,5,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,16,0,0,0,5,0,0,0,0,0,0,0,
    0,0,0,7,7,18,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,67,67,67,67,67,67,67,0,0,0,67,67,67,67,67,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,18,0,0,0,15,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,5,5,5,5,5,
    5,0,5,7,7,0,7,5,5,0,19,16,0,0,4,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,5,5,5,5,0,0,0,0,7,7,5,5,0,19,16,4,4,4,4,4,4,4,
    4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,0,0,0,0,5,5,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,5,5,5,5,5,5,5,5,0,0,5,0,19,
    5,4,4,4,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,5,0,5,0,0,5,5,5,5,5,5,18,16,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,5,5,5,0,0,5,5,5,5,0,5,5,5,5,19,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,4,4,4,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,12,12,12,12,12,12,12,12,
    12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,18,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,4,4,4,4,4,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,4,4,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,14,14,14,14,14,4,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    67,67,67,67,67,67,67,4,4,4,4,4,0,0,0,0,0,0,0,0,4,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,
    12,12,12,12,12,12,12,12,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,
    12,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,5,5,5,5,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,5,14,4,1,1,1,1,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,7,7,7,7,7,7,7,58,58,14,
    14,14,0,0,0,64,58,58,58,58,58,1,1,1,1,1,1,1,1,61,61,61,61,61,
    61,61,61,0,0,67,67,67,67,67,61,61,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,67,67,67,67,0,0,
    0,0,0,0,0,0,0,0,0,0,0,7,7,7,7,7,7,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,67,67,67,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,0,
    0,0,0,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,0,0,0,0,0,0,0,0,5,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,5,0,0,4,4,4,4,4,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,5,5,5,5,5,0,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,66,66,66,66,66,66,66,0,66,66,66,66,66,66,66,66,
    66,66,66,66,66,66,66,66,66,0,0,66,66,66,66,66,66,66,0,66,66,0,66,66,
    66,66,66,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    61,61,61,61,61,61,61,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,
    12,12,12,12,12,12,12,12,12,12,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,66,66,66,66,
    66,66,15,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,
    6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,
    6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,
    6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,
    6,6,6,6,6,6,6,6,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,6,6,6,6,6,6,6,6,
    6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,
    6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,
    6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,
    6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,
    6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,
    6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,
    6,6,6,6,6,6,6,6,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,11,11,11,11,11,11,11,11,
    11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,6,6,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
    1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
    1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
    1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
    1,1,1,1,1,1,1,1,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,
    5,5,5,5,5,5,5,5,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
    1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
    1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
    1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
    1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
    1,1,1,1,1,1,0,0,
};

/* lowercase: cp + bml__tok_lower_delta[i]; U+0130 lowercases to U+0069 U+0307 */
static const int32_t bml__tok_lower_delta[85] = {
    0,-42561,-42343,-42319,-42315,-42308,-42307,-42305,-42282,-42280,-42261,-42258,
    -35384,-35332,-10815,-10783,-10782,-10780,-10749,-10743,-10727,-8383,-8262,-7615,
    -7517,-3814,-3008,-199,-195,-163,-130,-128,-126,-121,-112,-100,
    -97,-86,-74,-60,-56,-48,-9,-8,-7,1,2,8,
    15,16,26,27,28,32,34,37,38,39,40,48,
    63,64,69,71,79,80,116,202,203,205,206,207,
    209,210,211,213,214,217,218,219,928,7264,10792,10795,
    38864,
};
/* lowercase: 125952 code points, shift 6, 55 blocks, 5488 bytes */
#define BML__TOK_LOWER_LIMIT 0x1EC00
#define BML__TOK_LOWER_SHIFT 6
static const uint8_t bml__tok_lower_stage1[1968] = {
    0,1,0,2,3,4,5,6,7,8,0,0,0,9,10,11,12,13,14,15,16,17,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,18,19,0,0,0,0,
    0,0,0,0,0,0,20,21,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,22,0,0,0,0,0,
    23,23,24,23,25,26,27,28,0,0,0,0,29,30,31,0,0,0,0,0,0,0,0,0,
    0,0,32,33,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,34,35,23,36,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,37,38,0,39,40,41,42,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,43,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,44,0,45,46,0,47,48,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,49,0,0,50,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,51,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,52,53,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,54,0,0,0,0,0,0,0,0,0,0,0,
};
static const uint8_t bml__tok_lower_stage2[3520] = {
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,53,53,53,53,53,53,53,
    53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,
    53,53,53,53,53,53,53,0,53,53,53,53,53,53,53,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,
    45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,
    27,0,45,0,45,0,45,0,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,
    0,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,
    45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,
    33,45,0,45,0,45,0,0,0,73,45,0,45,0,70,45,0,69,69,45,0,0,64,67,
    68,45,0,69,71,0,74,72,45,0,0,0,74,75,0,76,45,0,45,0,45,0,78,45,
    0,78,0,0,45,0,78,45,0,77,77,45,0,45,0,79,45,0,0,0,45,0,0,0,
    0,0,0,0,46,45,0,46,45,0,46,45,0,45,0,45,0,45,0,45,0,45,0,45,
    0,45,0,45,0,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,
    0,46,45,0,45,0,36,40,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,
    45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,
    30,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,0,0,0,0,
    0,0,83,45,0,29,82,0,0,45,0,28,62,63,45,0,45,0,45,0,45,0,45,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    45,0,45,0,0,0,45,0,0,0,0,0,0,0,0,66,0,0,0,0,0,0,56,0,
    55,55,55,0,61,0,60,60,0,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,
    53,53,0,53,53,53,53,53,53,53,53,53,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,47,
    0,0,0,0,0,0,0,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,
    45,0,45,0,45,0,45,0,0,0,0,0,39,0,0,45,0,44,45,0,0,30,30,30,
    65,65,65,65,65,65,65,65,65,65,65,65,65,65,65,65,53,53,53,53,53,53,53,53,
    53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,
    45,0,45,0,45,0,45,0,45,0,0,0,0,0,0,0,0,0,45,0,45,0,45,0,
    45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,
    45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,
    48,45,0,45,0,45,0,45,0,45,0,45,0,45,0,0,45,0,45,0,45,0,45,0,
    45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,
    45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,
    45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,
    45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,0,59,59,59,59,59,59,59,
    59,59,59,59,59,59,59,59,59,59,59,59,59,59,59,59,59,59,59,59,59,59,59,59,
    59,59,59,59,59,59,59,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,81,81,81,81,81,81,81,81,81,81,81,81,81,81,81,81,
    81,81,81,81,81,81,81,81,81,81,81,81,81,81,81,81,81,81,81,81,81,81,0,81,
    0,0,0,0,0,81,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,84,84,84,84,84,84,84,84,
    84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,
    84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,
    84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,84,
    47,47,47,47,47,47,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,45,0,0,0,0,0,0,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,
    26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,
    26,26,26,0,0,26,26,26,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,
    45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,
    45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,
    45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,0,0,
    0,0,0,0,0,0,23,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,
    45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,0,0,0,0,0,0,0,0,
    43,43,43,43,43,43,43,43,0,0,0,0,0,0,0,0,43,43,43,43,43,43,0,0,
    0,0,0,0,0,0,0,0,43,43,43,43,43,43,43,43,0,0,0,0,0,0,0,0,
    43,43,43,43,43,43,43,43,0,0,0,0,0,0,0,0,43,43,43,43,43,43,0,0,
    0,0,0,0,0,0,0,0,0,43,0,43,0,43,0,43,0,0,0,0,0,0,0,0,
    43,43,43,43,43,43,43,43,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,43,43,43,43,43,43,43,43,0,0,0,0,0,0,0,0,
    43,43,43,43,43,43,43,43,0,0,0,0,0,0,0,0,43,43,43,43,43,43,43,43,
    0,0,0,0,0,0,0,0,43,43,38,38,42,0,0,0,0,0,0,0,0,0,0,0,
    37,37,37,37,42,0,0,0,0,0,0,0,0,0,0,0,43,43,35,35,0,0,0,0,
    0,0,0,0,0,0,0,0,43,43,34,34,44,0,0,0,0,0,0,0,0,0,0,0,
    31,31,32,32,42,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,24,0,
    0,0,21,22,0,0,0,0,0,0,52,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,49,49,49,49,49,49,49,49,49,49,49,49,49,49,49,49,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,45,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,50,50,50,50,50,50,50,50,50,50,
    50,50,50,50,50,50,50,50,50,50,50,50,50,50,50,50,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,59,59,59,59,59,59,59,59,
    59,59,59,59,59,59,59,59,59,59,59,59,59,59,59,59,59,59,59,59,59,59,59,59,
    59,59,59,59,59,59,59,59,59,59,59,59,59,59,59,59,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,45,0,19,25,20,0,0,45,
    0,45,0,45,0,17,18,15,16,0,45,0,0,45,0,0,0,0,0,0,0,0,14,14,
    45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,
    45,0,45,0,45,0,45,0,45,0,45,0,0,0,0,0,0,0,0,45,0,45,0,0,
    0,0,45,0,0,0,0,0,0,0,0,0,0,0,0,0,45,0,45,0,45,0,45,0,
    45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,
    45,0,45,0,45,0,45,0,45,0,45,0,45,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,
    45,0,45,0,45,0,45,0,45,0,45,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,
    0,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,
    45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,
    45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,0,0,0,0,0,0,0,0,
    0,45,0,45,0,13,45,0,45,0,45,0,45,0,45,0,0,0,0,45,0,9,0,0,
    45,0,45,0,0,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,45,0,
    45,0,5,3,4,7,5,0,11,8,10,80,45,0,45,0,45,0,45,0,45,0,45,0,
    45,0,45,0,41,6,12,45,0,45,0,2,45,0,45,0,45,0,45,0,45,0,45,0,
    45,0,45,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,45,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,
    53,53,53,0,0,0,0,0,58,58,58,58,58,58,58,58,58,58,58,58,58,58,58,58,
    58,58,58,58,58,58,58,58,58,58,58,58,58,58,58,58,58,58,58,58,58,58,58,58,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    58,58,58,58,58,58,58,58,58,58,58,58,58,58,58,58,58,58,58,58,58,58,58,58,
    58,58,58,58,58,58,58,58,58,58,58,58,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,57,57,57,57,57,57,57,57,57,57,57,0,57,57,57,57,
    57,57,57,57,57,57,57,57,57,57,57,0,57,57,57,57,57,57,57,0,57,57,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,61,61,61,61,61,61,61,61,
    61,61,61,61,61,61,61,61,61,61,61,61,61,61,61,61,61,61,61,61,61,61,61,61,
    61,61,61,61,61,61,61,61,61,61,61,61,61,61,61,61,61,61,61,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,
    53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,
    53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,53,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,51,51,51,51,51,51,51,51,
    51,51,51,51,51,51,51,51,51,51,51,51,51,51,51,51,51,0,0,0,0,0,0,0,
    54,54,54,54,54,54,54,54,54,54,54,54,54,54,54,54,54,54,54,54,54,54,54,54,
    54,54,54,54,54,54,54,54,54,54,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
};

/* full canonical decompositions: pool[i] = length, then the code points */
static const uint32_t bml__tok_decomp_pool[5465] = {
    0,2,65,768,2,65,769,2,65,770,2,65,
    771,2,65,776,2,65,778,2,67,807,2,69,
    768,2,69,769,2,69,770,2,69,776,2,73,
    768,2,73,769,2,73,770,2,73,776,2,78,
    771,2,79,768,2,79,769,2,79,770,2,79,
    771,2,79,776,2,85,768,2,85,769,2,85,
    770,2,85,776,2,89,769,2,97,768,2,97,
    769,2,97,770,2,97,771,2,97,776,2,97,
    778,2,99,807,2,101,768,2,101,769,2,101,
    770,2,101,776,2,105,768,2,105,769,2,105,
    770,2,105,776,2,110,771,2,111,768,2,111,
    769,2,111,770,2,111,771,2,111,776,2,117,
    768,2,117,769,2,117,770,2,117,776,2,121,
    769,2,121,776,2,65,772,2,97,772,2,65,
    774,2,97,774,2,65,808,2,97,808,2,67,
    769,2,99,769,2,67,770,2,99,770,2,67,
    775,2,99,775,2,67,780,2,99,780,2,68,
    780,2,100,780,2,69,772,2,101,772,2,69,
    774,2,101,774,2,69,775,2,101,775,2,69,
    808,2,101,808,2,69,780,2,101,780,2,71,
    770,2,103,770,2,71,774,2,103,774,2,71,
    775,2,103,775,2,71,807,2,103,807,2,72,
    770,2,104,770,2,73,771,2,105,771,2,73,
    772,2,105,772,2,73,774,2,105,774,2,73,
    808,2,105,808,2,73,775,2,74,770,2,106,
    770,2,75,807,2,107,807,2,76,769,2,108,
    769,2,76,807,2,108,807,2,76,780,2,108,
    780,2,78,769,2,110,769,2,78,807,2,110,
    807,2,78,780,2,110,780,2,79,772,2,111,
    772,2,79,774,2,111,774,2,79,779,2,111,
    779,2,82,769,2,114,769,2,82,807,2,114,
    807,2,82,780,2,114,780,2,83,769,2,115,
    769,2,83,770,2,115,770,2,83,807,2,115,
    807,2,83,780,2,115,780,2,84,807,2,116,
    807,2,84,780,2,116,780,2,85,771,2,117,
    771,2,85,772,2,117,772,2,85,774,2,117,
    774,2,85,778,2,117,778,2,85,779,2,117,
    779,2,85,808,2,117,808,2,87,770,2,119,
    770,2,89,770,2,121,770,2,89,776,2,90,
    769,2,122,769,2,90,775,2,122,775,2,90,
    780,2,122,780,2,79,795,2,111,795,2,85,
    795,2,117,795,2,65,780,2,97,780,2,73,
    780,2,105,780,2,79,780,2,111,780,2,85,
    780,2,117,780,3,85,776,772,3,117,776,772,
    3,85,776,769,3,117,776,769,3,85,776,780,
    3,117,776,780,3,85,776,768,3,117,776,768,
    3,65,776,772,3,97,776,772,3,65,775,772,
    3,97,775,772,2,198,772,2,230,772,2,71,
    780,2,103,780,2,75,780,2,107,780,2,79,
    808,2,111,808,3,79,808,772,3,111,808,772,
    2,439,780,2,658,780,2,106,780,2,71,769,
    2,103,769,2,78,768,2,110,768,3,65,778,
    769,3,97,778,769,2,198,769,2,230,769,2,
    216,769,2,248,769,2,65,783,2,97,783,2,
    65,785,2,97,785,2,69,783,2,101,783,2,
    69,785,2,101,785,2,73,783,2,105,783,2,
    73,785,2,105,785,2,79,783,2,111,783,2,
    79,785,2,111,785,2,82,783,2,114,783,2,
    82,785,2,114,785,2,85,783,2,117,783,2,
    85,785,2,117,785,2,83,806,2,115,806,2,
    84,806,2,116,806,2,72,780,2,104,780,2,
    65,775,2,97,775,2,69,807,2,101,807,3,
    79,776,772,3,111,776,772,3,79,771,772,3,
    111,771,772,2,79,775,2,111,775,3,79,775,
    772,3,111,775,772,2,89,772,2,121,772,1,
    768,1,769,1,787,2,776,769,1,697,1,59,
    2,168,769,2,913,769,1,183,2,917,769,2,
    919,769,2,921,769,2,927,769,2,933,769,2,
    937,769,3,953,776,769,2,921,776,2,933,776,
    2,945,769,2,949,769,2,951,769,2,953,769,
    3,965,776,769,2,953,776,2,965,776,2,959,
    769,2,965,769,2,969,769,2,978,769,2,978,
    776,2,1045,768,2,1045,776,2,1043,769,2,1030,
    776,2,1050,769,2,1048,768,2,1059,774,2,1048,
    774,2,1080,774,2,1077,768,2,1077,776,2,1075,
    769,2,1110,776,2,1082,769,2,1080,768,2,1091,
    774,2,1140,783,2,1141,783,2,1046,774,2,1078,
    774,2,1040,774,2,1072,774,2,1040,776,2,1072,
    776,2,1045,774,2,1077,774,2,1240,776,2,1241,
    776,2,1046,776,2,1078,776,2,1047,776,2,1079,
    776,2,1048,772,2,1080,772,2,1048,776,2,1080,
    776,2,1054,776,2,1086,776,2,1256,776,2,1257,
    776,2,1069,776,2,1101,776,2,1059,772,2,1091,
    772,2,1059,776,2,1091,776,2,1059,779,2,1091,
    779,2,1063,776,2,1095,776,2,1067,776,2,1099,
    776,2,1575,1619,2,1575,1620,2,1608,1620,2,1575,
    1621,2,1610,1620,2,1749,1620,2,1729,1620,2,1746,
    1620,2,2344,2364,2,2352,2364,2,2355,2364,2,2325,
    2364,2,2326,2364,2,2327,2364,2,2332,2364,2,2337,
    2364,2,2338,2364,2,2347,2364,2,2351,2364,2,2503,
    2494,2,2503,2519,2,2465,2492,2,2466,2492,2,2479,
    2492,2,2610,2620,2,2616,2620,2,2582,2620,2,2583,
    2620,2,2588,2620,2,2603,2620,2,2887,2902,2,2887,
    2878,2,2887,2903,2,2849,2876,2,2850,2876,2,2962,
    3031,2,3014,3006,2,3015,3006,2,3014,3031,2,3142,
    3158,2,3263,3285,2,3270,3285,2,3270,3286,2,3270,
    3266,3,3270,3266,3285,2,3398,3390,2,3399,3390,2,
    3398,3415,2,3545,3530,2,3545,3535,3,3545,3535,3530,
    2,3545,3551,2,3906,4023,2,3916,4023,2,3921,4023,
    2,3926,4023,2,3931,4023,2,3904,4021,2,3953,3954,
    2,3953,3956,2,4018,3968,2,4019,3968,2,3953,3968,
    2,3986,4023,2,3996,4023,2,4001,4023,2,4006,4023,
    2,4011,4023,2,3984,4021,2,4133,4142,2,6917,6965,
    2,6919,6965,2,6921,6965,2,6923,6965,2,6925,6965,
    2,6929,6965,2,6970,6965,2,6972,6965,2,6974,6965,
    2,6975,6965,2,6978,6965,2,65,805,2,97,805,
    2,66,775,2,98,775,2,66,803,2,98,803,
    2,66,817,2,98,817,3,67,807,769,3,99,
    807,769,2,68,775,2,100,775,2,68,803,2,
    100,803,2,68,817,2,100,817,2,68,807,2,
    100,807,2,68,813,2,100,813,3,69,772,768,
    3,101,772,768,3,69,772,769,3,101,772,769,
    2,69,813,2,101,813,2,69,816,2,101,816,
    3,69,807,774,3,101,807,774,2,70,775,2,
    102,775,2,71,772,2,103,772,2,72,775,2,
    104,775,2,72,803,2,104,803,2,72,776,2,
    104,776,2,72,807,2,104,807,2,72,814,2,
    104,814,2,73,816,2,105,816,3,73,776,769,
    3,105,776,769,2,75,769,2,107,769,2,75,
    803,2,107,803,2,75,817,2,107,817,2,76,
    803,2,108,803,3,76,803,772,3,108,803,772,
    2,76,817,2,108,817,2,76,813,2,108,813,
    2,77,769,2,109,769,2,77,775,2,109,775,
    2,77,803,2,109,803,2,78,775,2,110,775,
    2,78,803,2,110,803,2,78,817,2,110,817,
    2,78,813,2,110,813,3,79,771,769,3,111,
    771,769,3,79,771,776,3,111,771,776,3,79,
    772,768,3,111,772,768,3,79,772,769,3,111,
    772,769,2,80,769,2,112,769,2,80,775,2,
    112,775,2,82,775,2,114,775,2,82,803,2,
    114,803,3,82,803,772,3,114,803,772,2,82,
    817,2,114,817,2,83,775,2,115,775,2,83,
    803,2,115,803,3,83,769,775,3,115,769,775,
    3,83,780,775,3,115,780,775,3,83,803,775,
    3,115,803,775,2,84,775,2,116,775,2,84,
    803,2,116,803,2,84,817,2,116,817,2,84,
    813,2,116,813,2,85,804,2,117,804,2,85,
    816,2,117,816,2,85,813,2,117,813,3,85,
    771,769,3,117,771,769,3,85,772,776,3,117,
    772,776,2,86,771,2,118,771,2,86,803,2,
    118,803,2,87,768,2,119,768,2,87,769,2,
    119,769,2,87,776,2,119,776,2,87,775,2,
    119,775,2,87,803,2,119,803,2,88,775,2,
    120,775,2,88,776,2,120,776,2,89,775,2,
    121,775,2,90,770,2,122,770,2,90,803,2,
    122,803,2,90,817,2,122,817,2,104,817,2,
    116,776,2,119,778,2,121,778,2,383,775,2,
    65,803,2,97,803,2,65,777,2,97,777,3,
    65,770,769,3,97,770,769,3,65,770,768,3,
    97,770,768,3,65,770,777,3,97,770,777,3,
    65,770,771,3,97,770,771,3,65,803,770,3,
    97,803,770,3,65,774,769,3,97,774,769,3,
    65,774,768,3,97,774,768,3,65,774,777,3,
    97,774,777,3,65,774,771,3,97,774,771,3,
    65,803,774,3,97,803,774,2,69,803,2,101,
    803,2,69,777,2,101,777,2,69,771,2,101,
    771,3,69,770,769,3,101,770,769,3,69,770,
    768,3,101,770,768,3,69,770,777,3,101,770,
    777,3,69,770,771,3,101,770,771,3,69,803,
    770,3,101,803,770,2,73,777,2,105,777,2,
    73,803,2,105,803,2,79,803,2,111,803,2,
    79,777,2,111,777,3,79,770,769,3,111,770,
    769,3,79,770,768,3,111,770,768,3,79,770,
    777,3,111,770,777,3,79,770,771,3,111,770,
    771,3,79,803,770,3,111,803,770,3,79,795,
    769,3,111,795,769,3,79,795,768,3,111,795,
    768,3,79,795,777,3,111,795,777,3,79,795,
    771,3,111,795,771,3,79,795,803,3,111,795,
    803,2,85,803,2,117,803,2,85,777,2,117,
    777,3,85,795,769,3,117,795,769,3,85,795,
    768,3,117,795,768,3,85,795,777,3,117,795,
    777,3,85,795,771,3,117,795,771,3,85,795,
    803,3,117,795,803,2,89,768,2,121,768,2,
    89,803,2,121,803,2,89,777,2,121,777,2,
    89,771,2,121,771,2,945,787,2,945,788,3,
    945,787,768,3,945,788,768,3,945,787,769,3,
    945,788,769,3,945,787,834,3,945,788,834,2,
    913,787,2,913,788,3,913,787,768,3,913,788,
    768,3,913,787,769,3,913,788,769,3,913,787,
    834,3,913,788,834,2,949,787,2,949,788,3,
    949,787,768,3,949,788,768,3,949,787,769,3,
    949,788,769,2,917,787,2,917,788,3,917,787,
    768,3,917,788,768,3,917,787,769,3,917,788,
    769,2,951,787,2,951,788,3,951,787,768,3,
    951,788,768,3,951,787,769,3,951,788,769,3,
    951,787,834,3,951,788,834,2,919,787,2,919,
    788,3,919,787,768,3,919,788,768,3,919,787,
    769,3,919,788,769,3,919,787,834,3,919,788,
    834,2,953,787,2,953,788,3,953,787,768,3,
    953,788,768,3,953,787,769,3,953,788,769,3,
    953,787,834,3,953,788,834,2,921,787,2,921,
    788,3,921,787,768,3,921,788,768,3,921,787,
    769,3,921,788,769,3,921,787,834,3,921,788,
    834,2,959,787,2,959,788,3,959,787,768,3,
    959,788,768,3,959,787,769,3,959,788,769,2,
    927,787,2,927,788,3,927,787,768,3,927,788,
    768,3,927,787,769,3,927,788,769,2,965,787,
    2,965,788,3,965,787,768,3,965,788,768,3,
    965,787,769,3,965,788,769,3,965,787,834,3,
    965,788,834,2,933,788,3,933,788,768,3,933,
    788,769,3,933,788,834,2,969,787,2,969,788,
    3,969,787,768,3,969,788,768,3,969,787,769,
    3,969,788,769,3,969,787,834,3,969,788,834,
    2,937,787,2,937,788,3,937,787,768,3,937,
    788,768,3,937,787,769,3,937,788,769,3,937,
    787,834,3,937,788,834,2,945,768,2,945,769,
    2,949,768,2,949,769,2,951,768,2,951,769,
    2,953,768,2,953,769,2,959,768,2,959,769,
    2,965,768,2,965,769,2,969,768,2,969,769,
    3,945,787,837,3,945,788,837,4,945,787,768,
    837,4,945,788,768,837,4,945,787,769,837,4,
    945,788,769,837,4,945,787,834,837,4,945,788,
    834,837,3,913,787,837,3,913,788,837,4,913,
    787,768,837,4,913,788,768,837,4,913,787,769,
    837,4,913,788,769,837,4,913,787,834,837,4,
    913,788,834,837,3,951,787,837,3,951,788,837,
    4,951,787,768,837,4,951,788,768,837,4,951,
    787,769,837,4,951,788,769,837,4,951,787,834,
    837,4,951,788,834,837,3,919,787,837,3,919,
    788,837,4,919,787,768,837,4,919,788,768,837,
    4,919,787,769,837,4,919,788,769,837,4,919,
    787,834,837,4,919,788,834,837,3,969,787,837,
    3,969,788,837,4,969,787,768,837,4,969,788,
    768,837,4,969,787,769,837,4,969,788,769,837,
    4,969,787,834,837,4,969,788,834,837,3,937,
    787,837,3,937,788,837,4,937,787,768,837,4,
    937,788,768,837,4,937,787,769,837,4,937,788,
    769,837,4,937,787,834,837,4,937,788,834,837,
    2,945,774,2,945,772,3,945,768,837,2,945,
    837,3,945,769,837,2,945,834,3,945,834,837,
    2,913,774,2,913,772,2,913,768,2,913,769,
    2,913,837,1,953,2,168,834,3,951,768,837,
    2,951,837,3,951,769,837,2,951,834,3,951,
    834,837,2,917,768,2,917,769,2,919,768,2,
    919,769,2,919,837,2,8127,768,2,8127,769,2,
    8127,834,2,953,774,2,953,772,3,953,776,768,
    3,953,776,769,2,953,834,3,953,776,834,2,
    921,774,2,921,772,2,921,768,2,921,769,2,
    8190,768,2,8190,769,2,8190,834,2,965,774,2,
    965,772,3,965,776,768,3,965,776,769,2,961,
    787,2,961,788,2,965,834,3,965,776,834,2,
    933,774,2,933,772,2,933,768,2,933,769,2,
    929,788,2,168,768,2,168,769,1,96,3,969,
    768,837,2,969,837,3,969,769,837,2,969,834,
    3,969,834,837,2,927,768,2,927,769,2,937,
    768,2,937,769,2,937,837,1,180,1,8194,1,
    8195,1,937,1,75,2,65,778,2,8592,824,2,
    8594,824,2,8596,824,2,8656,824,2,8660,824,2,
    8658,824,2,8707,824,2,8712,824,2,8715,824,2,
    8739,824,2,8741,824,2,8764,824,2,8771,824,2,
    8773,824,2,8776,824,2,61,824,2,8801,824,2,
    8781,824,2,60,824,2,62,824,2,8804,824,2,
    8805,824,2,8818,824,2,8819,824,2,8822,824,2,
    8823,824,2,8826,824,2,8827,824,2,8834,824,2,
    8835,824,2,8838,824,2,8839,824,2,8866,824,2,
    8872,824,2,8873,824,2,8875,824,2,8828,824,2,
    8829,824,2,8849,824,2,8850,824,2,8882,824,2,
    8883,824,2,8884,824,2,8885,824,1,12296,1,12297,
    2,10973,824,2,12363,12441,2,12365,12441,2,12367,12441,
    2,12369,12441,2,12371,12441,2,12373,12441,2,12375,12441,
    2,12377,12441,2,12379,12441,2,12381,12441,2,12383,12441,
    2,12385,12441,2,12388,12441,2,12390,12441,2,12392,12441,
    2,12399,12441,2,12399,12442,2,12402,12441,2,12402,12442,
    2,12405,12441,2,12405,12442,2,12408,12441,2,12408,12442,
    2,12411,12441,2,12411,12442,2,12358,12441,2,12445,12441,
    2,12459,12441,2,12461,12441,2,12463,12441,2,12465,12441,
    2,12467,12441,2,12469,12441,2,12471,12441,2,12473,12441,
    2,12475,12441,2,12477,12441,2,12479,12441,2,12481,12441,
    2,12484,12441,2,12486,12441,2,12488,12441,2,12495,12441,
    2,12495,12442,2,12498,12441,2,12498,12442,2,12501,12441,
    2,12501,12442,2,12504,12441,2,12504,12442,2,12507,12441,
    2,12507,12442,2,12454,12441,2,12527,12441,2,12528,12441,
    2,12529,12441,2,12530,12441,2,12541,12441,1,35912,1,
    26356,1,36554,1,36040,1,28369,1,20018,1,21477,1,
    40860,1,40860,1,22865,1,37329,1,21895,1,22856,1,
    25078,1,30313,1,32645,1,34367,1,34746,1,35064,1,
    37007,1,27138,1,27931,1,28889,1,29662,1,33853,1,
    37226,1,39409,1,20098,1,21365,1,27396,1,29211,1,
    34349,1,40478,1,23888,1,28651,1,34253,1,35172,1,
    25289,1,33240,1,34847,1,24266,1,26391,1,28010,1,
    29436,1,37070,1,20358,1,20919,1,21214,1,25796,1,
    27347,1,29200,1,30439,1,32769,1,34310,1,34396,1,
    36335,1,38706,1,39791,1,40442,1,30860,1,31103,1,
    32160,1,33737,1,37636,1,40575,1,35542,1,22751,1,
    24324,1,31840,1,32894,1,29282,1,30922,1,36034,1,
    38647,1,22744,1,23650,1,27155,1,28122,1,28431,1,
    32047,1,32311,1,38475,1,21202,1,32907,1,20956,1,
    20940,1,31260,1,32190,1,33777,1,38517,1,35712,1,
    25295,1,27138,1,35582,1,20025,1,23527,1,24594,1,
    29575,1,30064,1,21271,1,30971,1,20415,1,24489,1,
    19981,1,27852,1,25976,1,32034,1,21443,1,22622,1,
    30465,1,33865,1,35498,1,27578,1,36784,1,27784,1,
    25342,1,33509,1,25504,1,30053,1,20142,1,20841,1,
    20937,1,26753,1,31975,1,33391,1,35538,1,37327,1,
    21237,1,21570,1,22899,1,24300,1,26053,1,28670,1,
    31018,1,38317,1,39530,1,40599,1,40654,1,21147,1,
    26310,1,27511,1,36706,1,24180,1,24976,1,25088,1,
    25754,1,28451,1,29001,1,29833,1,31178,1,32244,1,
    32879,1,36646,1,34030,1,36899,1,37706,1,21015,1,
    21155,1,21693,1,28872,1,35010,1,35498,1,24265,1,
    24565,1,25467,1,27566,1,31806,1,29557,1,20196,1,
    22265,1,23527,1,23994,1,24604,1,29618,1,29801,1,
    32666,1,32838,1,37428,1,38646,1,38728,1,38936,1,
    20363,1,31150,1,37300,1,38584,1,24801,1,20102,1,
    20698,1,23534,1,23615,1,26009,1,27138,1,29134,1,
    30274,1,34044,1,36988,1,40845,1,26248,1,38446,1,
    21129,1,26491,1,26611,1,27969,1,28316,1,29705,1,
    30041,1,30827,1,32016,1,39006,1,20845,1,25134,1,
    38520,1,20523,1,23833,1,28138,1,36650,1,24459,1,
    24900,1,26647,1,29575,1,38534,1,21033,1,21519,1,
    23653,1,26131,1,26446,1,26792,1,27877,1,29702,1,
    30178,1,32633,1,35023,1,35041,1,37324,1,38626,1,
    21311,1,28346,1,21533,1,29136,1,29848,1,34298,1,
    38563,1,40023,1,40607,1,26519,1,28107,1,33256,1,
    31435,1,31520,1,31890,1,29376,1,28825,1,35672,1,
    20160,1,33590,1,21050,1,20999,1,24230,1,25299,1,
    31958,1,23429,1,27934,1,26292,1,36667,1,34892,1,
    38477,1,35211,1,24275,1,20800,1,21952,1,22618,1,
    26228,1,20958,1,29482,1,30410,1,31036,1,31070,1,
    31077,1,31119,1,38742,1,31934,1,32701,1,34322,1,
    35576,1,36920,1,37117,1,39151,1,39164,1,39208,1,
    40372,1,37086,1,38583,1,20398,1,20711,1,20813,1,
    21193,1,21220,1,21329,1,21917,1,22022,1,22120,1,
    22592,1,22696,1,23652,1,23662,1,24724,1,24936,1,
    24974,1,25074,1,25935,1,26082,1,26257,1,26757,1,
    28023,1,28186,1,28450,1,29038,1,29227,1,29730,1,
    30865,1,31038,1,31049,1,31048,1,31056,1,31062,1,
    31069,1,31117,1,31118,1,31296,1,31361,1,31680,1,
    32244,1,32265,1,32321,1,32626,1,32773,1,33261,1,
    33401,1,33401,1,33879,1,35088,1,35222,1,35585,1,
    35641,1,36051,1,36104,1,36790,1,36920,1,38627,1,
    38911,1,38971,1,24693,1,148206,1,33304,1,20006,1,
    20917,1,20840,1,20352,1,20805,1,20864,1,21191,1,
    21242,1,21917,1,21845,1,21913,1,21986,1,22618,1,
    22707,1,22852,1,22868,1,23138,1,23336,1,24274,1,
    24281,1,24425,1,24493,1,24792,1,24910,1,24840,1,
    24974,1,24928,1,25074,1,25140,1,25540,1,25628,1,
    25682,1,25942,1,26228,1,26391,1,26395,1,26454,1,
    27513,1,27578,1,27969,1,28379,1,28363,1,28450,1,
    28702,1,29038,1,30631,1,29237,1,29359,1,29482,1,
    29809,1,29958,1,30011,1,30237,1,30239,1,30410,1,
    30427,1,30452,1,30538,1,30528,1,30924,1,31409,1,
    31680,1,31867,1,32091,1,32244,1,32574,1,32773,1,
    33618,1,33775,1,34681,1,35137,1,35206,1,35222,1,
    35519,1,35576,1,35531,1,35585,1,35582,1,35565,1,
    35641,1,35722,1,36104,1,36664,1,36978,1,37273,1,
    37494,1,38524,1,38627,1,38742,1,38875,1,38911,1,
    38923,1,38971,1,39698,1,40860,1,141386,1,141380,1,
    144341,1,15261,1,16408,1,16441,1,152137,1,154832,1,
    163539,1,40771,1,40846,2,1497,1460,2,1522,1463,2,
    1513,1473,2,1513,1474,3,1513,1468,1473,3,1513,1468,
    1474,2,1488,1463,2,1488,1464,2,1488,1468,2,1489,
    1468,2,1490,1468,2,1491,1468,2,1492,1468,2,1493,
    1468,2,1494,1468,2,1496,1468,2,1497,1468,2,1498,
    1468,2,1499,1468,2,1500,1468,2,1502,1468,2,1504,
    1468,2,1505,1468,2,1507,1468,2,1508,1468,2,1510,
    1468,2,1511,1468,2,1512,1468,2,1513,1468,2,1514,
    1468,2,1493,1465,2,1489,1471,2,1499,1471,2,1508,
    1471,2,69785,69818,2,69787,69818,2,69797,69818,2,69937,
    69927,2,69938,69927,2,70471,70462,2,70471,70487,2,70841,
    70842,2,70841,70832,2,70841,70845,2,71096,71087,2,71097,
    71087,2,119127,119141,2,119128,119141,3,119128,119141,119150,3,
    119128,119141,119151,3,119128,119141,119152,3,119128,119141,119153,3,
    119128,119141,119154,2,119225,119141,2,119226,119141,3,119225,119141,
    119150,3,119226,119141,119150,3,119225,119141,119151,3,119226,119141,
    119151,1,20029,1,20024,1,20033,1,131362,1,20320,1,
    20398,1,20411,1,20482,1,20602,1,20633,1,20711,1,
    20687,1,13470,1,132666,1,20813,1,20820,1,20836,1,
    20855,1,132380,1,13497,1,20839,1,20877,1,132427,1,
    20887,1,20900,1,20172,1,20908,1,20917,1,168415,1,
    20981,1,20995,1,13535,1,21051,1,21062,1,21106,1,
    21111,1,13589,1,21191,1,21193,1,21220,1,21242,1,
    21253,1,21254,1,21271,1,21321,1,21329,1,21338,1,
    21363,1,21373,1,21375,1,21375,1,21375,1,133676,1,
    28784,1,21450,1,21471,1,133987,1,21483,1,21489,1,
    21510,1,21662,1,21560,1,21576,1,21608,1,21666,1,
    21750,1,21776,1,21843,1,21859,1,21892,1,21892,1,
    21913,1,21931,1,21939,1,21954,1,22294,1,22022,1,
    22295,1,22097,1,22132,1,20999,1,22766,1,22478,1,
    22516,1,22541,1,22411,1,22578,1,22577,1,22700,1,
    136420,1,22770,1,22775,1,22790,1,22810,1,22818,1,
    22882,1,136872,1,136938,1,23020,1,23067,1,23079,1,
    23000,1,23142,1,14062,1,14076,1,23304,1,23358,1,
    23358,1,137672,1,23491,1,23512,1,23527,1,23539,1,
    138008,1,23551,1,23558,1,24403,1,23586,1,14209,1,
    23648,1,23662,1,23744,1,23693,1,138724,1,23875,1,
    138726,1,23918,1,23915,1,23932,1,24033,1,24034,1,
    14383,1,24061,1,24104,1,24125,1,24169,1,14434,1,
    139651,1,14460,1,24240,1,24243,1,24246,1,24266,1,
    172946,1,24318,1,140081,1,140081,1,33281,1,24354,1,
    24354,1,14535,1,144056,1,156122,1,24418,1,24427,1,
    14563,1,24474,1,24525,1,24535,1,24569,1,24705,1,
    14650,1,14620,1,24724,1,141012,1,24775,1,24904,1,
    24908,1,24910,1,24908,1,24954,1,24974,1,25010,1,
    24996,1,25007,1,25054,1,25074,1,25078,1,25104,1,
    25115,1,25181,1,25265,1,25300,1,25424,1,142092,1,
    25405,1,25340,1,25448,1,25475,1,25572,1,142321,1,
    25634,1,25541,1,25513,1,14894,1,25705,1,25726,1,
    25757,1,25719,1,14956,1,25935,1,25964,1,143370,1,
    26083,1,26360,1,26185,1,15129,1,26257,1,15112,1,
    15076,1,20882,1,20885,1,26368,1,26268,1,32941,1,
    17369,1,26391,1,26395,1,26401,1,26462,1,26451,1,
    144323,1,15177,1,26618,1,26501,1,26706,1,26757,1,
    144493,1,26766,1,26655,1,26900,1,15261,1,26946,1,
    27043,1,27114,1,27304,1,145059,1,27355,1,15384,1,
    27425,1,145575,1,27476,1,15438,1,27506,1,27551,1,
    27578,1,27579,1,146061,1,138507,1,146170,1,27726,1,
    146620,1,27839,1,27853,1,27751,1,27926,1,27966,1,
    28023,1,27969,1,28009,1,28024,1,28037,1,146718,1,
    27956,1,28207,1,28270,1,15667,1,28363,1,28359,1,
    147153,1,28153,1,28526,1,147294,1,147342,1,28614,1,
    28729,1,28702,1,28699,1,15766,1,28746,1,28797,1,
    28791,1,28845,1,132389,1,28997,1,148067,1,29084,1,
    148395,1,29224,1,29237,1,29264,1,149000,1,29312,1,
    29333,1,149301,1,149524,1,29562,1,29579,1,16044,1,
    29605,1,16056,1,16056,1,29767,1,29788,1,29809,1,
    29829,1,29898,1,16155,1,29988,1,150582,1,30014,1,
    150674,1,30064,1,139679,1,30224,1,151457,1,151480,1,
    151620,1,16380,1,16392,1,30452,1,151795,1,151794,1,
    151833,1,151859,1,30494,1,30495,1,30495,1,30538,1,
    16441,1,30603,1,16454,1,16534,1,152605,1,30798,1,
    30860,1,30924,1,16611,1,153126,1,31062,1,153242,1,
    153285,1,31119,1,31211,1,16687,1,31296,1,31306,1,
    31311,1,153980,1,154279,1,154279,1,31470,1,16898,1,
    154539,1,31686,1,31689,1,16935,1,154752,1,31954,1,
    17056,1,31976,1,31971,1,32000,1,155526,1,32099,1,
    17153,1,32199,1,32258,1,32325,1,17204,1,156200,1,
    156231,1,17241,1,156377,1,32634,1,156478,1,32661,1,
    32762,1,32773,1,156890,1,156963,1,32864,1,157096,1,
    32880,1,144223,1,17365,1,32946,1,33027,1,17419,1,
    33086,1,23221,1,157607,1,157621,1,144275,1,144284,1,
    33281,1,33284,1,36766,1,17515,1,33425,1,33419,1,
    33437,1,21171,1,33457,1,33459,1,33469,1,33510,1,
    158524,1,33509,1,33565,1,33635,1,33709,1,33571,1,
    33725,1,33767,1,33879,1,33619,1,33738,1,33740,1,
    33756,1,158774,1,159083,1,158933,1,17707,1,34033,1,
    34035,1,34070,1,160714,1,34148,1,159532,1,17757,1,
    17761,1,159665,1,159954,1,17771,1,34384,1,34396,1,
    34407,1,34409,1,34473,1,34440,1,34574,1,34530,1,
    34681,1,34600,1,34667,1,34694,1,17879,1,34785,1,
    34817,1,17913,1,34912,1,34915,1,161383,1,35031,1,
    35038,1,17973,1,35066,1,13499,1,161966,1,162150,1,
    18110,1,18119,1,35488,1,35565,1,35722,1,35925,1,
    162984,1,36011,1,36033,1,36123,1,36215,1,163631,1,
    133124,1,36299,1,36284,1,36336,1,133342,1,36564,1,
    36664,1,165330,1,165357,1,37012,1,37105,1,37137,1,
    165678,1,37147,1,37432,1,37591,1,37592,1,37500,1,
    37881,1,37909,1,166906,1,38283,1,18837,1,38327,1,
    167287,1,18918,1,38595,1,23986,1,38691,1,168261,1,
    168474,1,19054,1,19062,1,38880,1,168970,1,19122,1,
    169110,1,38923,1,38923,1,38953,1,169398,1,39138,1,
    19251,1,39209,1,39335,1,39362,1,39422,1,19406,1,
    170800,1,39698,1,40000,1,40189,1,19662,1,19693,1,
    40295,1,172238,1,19704,1,172293,1,172558,1,172689,1,
    40635,1,19798,1,40697,1,40702,1,40709,1,40719,1,
    40726,1,40763,1,173568,
};
/* decompositions: 195584 code points, shift 6, 80 blocks, 13296 bytes */
#define BML__TOK_DECOMP_LIMIT 0x2FC00
#define BML__TOK_DECOMP_SHIFT 6
static const uint8_t bml__tok_decomp_stage1[3056] = {
    0,0,0,1,2,3,4,5,6,0,0,0,0,7,8,9,10,11,0,12,0,0,0,0,
    13,0,0,14,0,0,0,0,0,0,0,0,15,16,0,17,18,19,0,0,0,20,21,22,
    0,23,0,24,0,25,0,26,0,0,0,0,0,27,28,0,29,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,30,31,0,0,0,0,0,0,0,0,0,0,
    32,33,34,35,36,37,38,39,40,0,0,0,41,0,42,43,44,45,46,47,48,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,49,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,50,51,52,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,53,54,55,56,57,58,59,60,61,62,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,63,0,64,0,0,0,0,0,0,0,0,65,0,0,
    0,0,66,0,0,0,67,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,68,69,70,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,71,72,73,74,75,76,77,78,
    79,0,0,0,0,0,0,0,
};
static const uint16_t bml__tok_decomp_stage2[5120] = {
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,4,7,10,13,16,0,19,
    22,25,28,31,34,37,40,43,0,46,49,52,55,58,61,0,0,64,67,70,73,76,0,0,
    79,82,85,88,91,94,0,97,100,103,106,109,112,115,118,121,0,124,127,130,133,136,139,0,
    0,142,145,148,151,154,0,157,160,163,166,169,172,175,178,181,184,187,190,193,196,199,202,205,
    0,0,208,211,214,217,220,223,226,229,232,235,238,241,244,247,250,253,256,259,262,265,0,0,
    268,271,274,277,280,283,286,289,292,0,0,0,295,298,301,304,0,307,310,313,316,319,322,0,
    0,0,0,325,328,331,334,337,340,0,0,0,343,346,349,352,355,358,0,0,361,364,367,370,
    373,376,379,382,385,388,391,394,397,400,403,406,409,412,0,0,415,418,421,424,427,430,433,436,
    439,442,445,448,451,454,457,460,463,466,469,472,475,478,481,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    484,487,0,0,0,0,0,0,0,0,0,0,0,0,0,490,493,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,496,499,502,
    505,508,511,514,517,520,524,528,532,536,540,544,548,0,552,556,560,564,568,571,0,0,574,577,
    580,583,586,589,592,596,600,603,606,0,0,0,609,612,0,0,615,618,621,625,629,632,635,638,
    641,644,647,650,653,656,659,662,665,668,671,674,677,680,683,686,689,692,695,698,701,704,707,710,
    713,716,719,722,0,0,725,728,0,0,0,0,0,0,731,734,737,740,743,747,751,755,759,762,
    765,769,773,776,0,0,0,0,0,0,0,0,0,0,0,0,779,781,0,783,785,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,788,0,0,0,
    0,0,0,0,0,0,790,0,0,0,0,0,0,792,795,798,800,803,806,0,809,0,812,815,
    818,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,822,825,828,831,834,837,840,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,844,847,850,853,856,0,0,0,0,859,862,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,865,868,0,871,0,0,0,874,
    0,0,0,0,877,880,883,0,0,0,0,0,0,0,0,0,0,886,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,889,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    892,895,0,898,0,0,0,901,0,0,0,0,904,907,910,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,913,916,0,0,0,0,0,0,0,0,
    0,919,922,0,0,0,0,0,0,0,0,0,0,0,0,0,925,928,931,934,0,0,937,940,
    0,0,943,946,949,952,955,958,0,0,961,964,967,970,973,976,0,0,979,982,985,988,991,994,
    997,1000,1003,1006,1009,1012,0,0,1015,1018,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,1021,1024,1027,1030,1033,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,1036,0,1039,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,1042,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1045,0,0,0,0,0,0,
    0,1048,0,0,1051,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1054,1057,1060,1063,1066,1069,1072,1075,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1078,1081,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,1084,1087,0,1090,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,1093,0,0,1096,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1099,1102,1105,0,0,1108,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1111,0,0,1114,1117,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,1120,1123,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1126,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,1129,1132,1135,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1138,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    1141,0,0,0,0,0,0,1144,1147,0,1150,1153,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,1157,1160,1163,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,1166,0,1169,1172,1176,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,1179,0,0,0,0,0,0,0,0,0,1182,0,0,0,0,1185,0,0,0,0,1188,
    0,0,0,0,1191,0,0,0,0,0,0,0,0,0,0,0,0,1194,0,0,0,0,0,0,
    0,0,0,1197,0,1200,1203,0,1206,0,0,0,0,0,0,0,0,1209,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,1212,0,0,0,0,0,0,0,0,0,1215,0,0,
    0,0,1218,0,0,0,0,1221,0,0,0,0,1224,0,0,0,0,0,0,0,0,0,0,0,
    0,1227,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1230,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,1233,0,1236,0,1239,0,1242,0,1245,0,0,0,1248,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,1251,0,1254,0,0,1257,1260,0,1263,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,1266,1269,1272,1275,1278,1281,1284,1287,1290,1294,1298,1301,1304,1307,1310,1313,
    1316,1319,1322,1325,1328,1332,1336,1340,1344,1347,1350,1353,1356,1360,1364,1367,1370,1373,1376,1379,1382,1385,1388,1391,
    1394,1397,1400,1403,1406,1409,1412,1416,1420,1423,1426,1429,1432,1435,1438,1441,1444,1448,1452,1455,1458,1461,1464,1467,
    1470,1473,1476,1479,1482,1485,1488,1491,1494,1497,1500,1503,1506,1510,1514,1518,1522,1526,1530,1534,1538,1541,1544,1547,
    1550,1553,1556,1559,1562,1566,1570,1573,1576,1579,1582,1585,1588,1592,1596,1600,1604,1608,1612,1615,1618,1621,1624,1627,
    1630,1633,1636,1639,1642,1645,1648,1651,1654,1658,1662,1666,1670,1673,1676,1679,1682,1685,1688,1691,1694,1697,1700,1703,
    1706,1709,1712,1715,1718,1721,1724,1727,1730,1733,1736,1739,1742,1745,1748,1751,1754,1757,0,1760,0,0,0,0,
    1763,1766,1769,1772,1775,1779,1783,1787,1791,1795,1799,1803,1807,1811,1815,1819,1823,1827,1831,1835,1839,1843,1847,1851,
    1855,1858,1861,1864,1867,1870,1873,1877,1881,1885,1889,1893,1897,1901,1905,1909,1913,1916,1919,1922,1925,1928,1931,1934,
    1937,1941,1945,1949,1953,1957,1961,1965,1969,1973,1977,1981,1985,1989,1993,1997,2001,2005,2009,2013,2017,2020,2023,2026,
    2029,2033,2037,2041,2045,2049,2053,2057,2061,2065,2069,2072,2075,2078,2081,2084,2087,2090,0,0,0,0,0,0,
    2093,2096,2099,2103,2107,2111,2115,2119,2123,2126,2129,2133,2137,2141,2145,2149,2153,2156,2159,2163,2167,2171,0,0,
    2175,2178,2181,2185,2189,2193,0,0,2197,2200,2203,2207,2211,2215,2219,2223,2227,2230,2233,2237,2241,2245,2249,2253,
    2257,2260,2263,2267,2271,2275,2279,2283,2287,2290,2293,2297,2301,2305,2309,2313,2317,2320,2323,2327,2331,2335,0,0,
    2339,2342,2345,2349,2353,2357,0,0,2361,2364,2367,2371,2375,2379,2383,2387,0,2391,0,2394,0,2398,0,2402,
    2406,2409,2412,2416,2420,2424,2428,2432,2436,2439,2442,2446,2450,2454,2458,2462,2466,2469,2472,2475,2478,2481,2484,2487,
    2490,2493,2496,2499,2502,2505,0,0,2508,2512,2516,2521,2526,2531,2536,2541,2546,2550,2554,2559,2564,2569,2574,2579,
    2584,2588,2592,2597,2602,2607,2612,2617,2622,2626,2630,2635,2640,2645,2650,2655,2660,2664,2668,2673,2678,2683,2688,2693,
    2698,2702,2706,2711,2716,2721,2726,2731,2736,2739,2742,2746,2749,0,2753,2756,2760,2763,2766,2769,2772,0,2775,0,
    0,2777,2780,2784,2787,0,2791,2794,2798,2801,2804,2807,2810,2813,2816,2819,2822,2825,2828,2832,0,0,2836,2839,
    2843,2846,2849,2852,0,2855,2858,2861,2864,2867,2870,2874,2878,2881,2884,2887,2891,2894,2897,2900,2903,2906,2909,2912,
    0,0,2914,2918,2921,0,2925,2928,2932,2935,2938,2941,2944,2947,0,0,2949,2951,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2953,0,
    0,0,2955,2957,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,2960,2963,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2966,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,2969,2972,2975,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,2978,0,0,0,0,2981,0,0,2984,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2987,0,2990,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,2993,0,0,2996,0,0,2999,0,3002,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,3005,0,3008,0,0,0,0,0,0,0,0,0,0,3011,3014,3017,
    3020,3023,0,0,3026,3029,0,0,3032,3035,0,0,0,0,0,0,3038,3041,0,0,3044,3047,0,0,
    3050,3053,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,3056,3059,3062,3065,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,3068,3071,3074,3077,0,0,0,0,
    0,0,3080,3083,3086,3089,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,3092,3094,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,3096,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,3099,0,3102,0,
    3105,0,3108,0,3111,0,3114,0,3117,0,3120,0,3123,0,3126,0,3129,0,3132,0,0,3135,0,3138,
    0,3141,0,0,0,0,0,0,3144,3147,0,3150,3153,0,3156,3159,0,3162,3165,0,3168,3171,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,3174,0,0,0,
    0,0,0,0,0,0,3177,0,0,0,0,0,0,0,0,0,0,0,0,0,3180,0,3183,0,
    3186,0,3189,0,3192,0,3195,0,3198,0,3201,0,3204,0,3207,0,3210,0,3213,0,0,3216,0,3219,
    0,3222,0,0,0,0,0,0,3225,3228,0,3231,3234,0,3237,3240,0,3243,3246,0,3249,3252,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,3255,0,0,3258,
    3261,3264,3267,0,0,0,3270,0,3273,3275,3277,3279,3281,3283,3285,3287,3289,3291,3293,3295,3297,3299,3301,3303,
    3305,3307,3309,3311,3313,3315,3317,3319,3321,3323,3325,3327,3329,3331,3333,3335,3337,3339,3341,3343,3345,3347,3349,3351,
    3353,3355,3357,3359,3361,3363,3365,3367,3369,3371,3373,3375,3377,3379,3381,3383,3385,3387,3389,3391,3393,3395,3397,3399,
    3401,3403,3405,3407,3409,3411,3413,3415,3417,3419,3421,3423,3425,3427,3429,3431,3433,3435,3437,3439,3441,3443,3445,3447,
    3449,3451,3453,3455,3457,3459,3461,3463,3465,3467,3469,3471,3473,3475,3477,3479,3481,3483,3485,3487,3489,3491,3493,3495,
    3497,3499,3501,3503,3505,3507,3509,3511,3513,3515,3517,3519,3521,3523,3525,3527,3529,3531,3533,3535,3537,3539,3541,3543,
    3545,3547,3549,3551,3553,3555,3557,3559,3561,3563,3565,3567,3569,3571,3573,3575,3577,3579,3581,3583,3585,3587,3589,3591,
    3593,3595,3597,3599,3601,3603,3605,3607,3609,3611,3613,3615,3617,3619,3621,3623,3625,3627,3629,3631,3633,3635,3637,3639,
    3641,3643,3645,3647,3649,3651,3653,3655,3657,3659,3661,3663,3665,3667,3669,3671,3673,3675,3677,3679,3681,3683,3685,3687,
    3689,3691,3693,3695,3697,3699,3701,3703,3705,3707,3709,3711,3713,3715,3717,3719,3721,3723,3725,3727,3729,3731,3733,3735,
    3737,3739,3741,3743,3745,3747,3749,3751,3753,3755,3757,3759,3761,3763,3765,3767,3769,3771,3773,3775,3777,3779,3781,3783,
    3785,3787,3789,3791,3793,3795,3797,3799,3801,3803,3805,3807,3809,3811,0,0,3813,0,3815,0,0,3817,3819,3821,
    3823,3825,3827,3829,3831,3833,3835,0,3837,0,3839,0,0,3841,3843,0,0,0,3845,3847,3849,3851,3853,3855,
    3857,3859,3861,3863,3865,3867,3869,3871,3873,3875,3877,3879,3881,3883,3885,3887,3889,3891,3893,3895,3897,3899,3901,3903,
    3905,3907,3909,3911,3913,3915,3917,3919,3921,3923,3925,3927,3929,3931,3933,3935,3937,3939,3941,3943,3945,3947,3949,3951,
    3953,3955,3957,3959,3961,3963,3965,3967,3969,3971,3973,3975,3977,3979,0,0,3981,3983,3985,3987,3989,3991,3993,3995,
    3997,3999,4001,4003,4005,4007,4009,4011,4013,4015,4017,4019,4021,4023,4025,4027,4029,4031,4033,4035,4037,4039,4041,4043,
    4045,4047,4049,4051,4053,4055,4057,4059,4061,4063,4065,4067,4069,4071,4073,4075,4077,4079,4081,4083,4085,4087,4089,4091,
    4093,4095,4097,4099,4101,4103,4105,4107,4109,4111,4113,4115,4117,4119,4121,4123,4125,4127,4129,4131,4133,4135,4137,4139,
    4141,4143,4145,4147,4149,4151,4153,4155,4157,4159,4161,4163,4165,4167,4169,4171,4173,4175,4177,4179,4181,4183,4185,4187,
    4189,4191,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,4193,0,4196,
    0,0,0,0,0,0,0,0,0,0,4199,4202,4205,4209,4213,4216,4219,4222,4225,4228,4231,4234,4237,0,
    4240,4243,4246,4249,4252,0,4255,0,4258,4261,0,4264,4267,0,4270,4273,4276,4279,4282,4285,4288,4291,4294,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,4297,0,4300,0,0,0,0,0,0,0,0,0,0,0,0,0,0,4303,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,4306,4309,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,4312,4315,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,4318,4321,0,4324,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,4327,4330,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,4333,4336,4339,4343,4347,4351,4355,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,4359,4362,4365,4369,4373,4377,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,4381,4383,4385,4387,4389,4391,4393,4395,4397,4399,4401,4403,4405,4407,4409,4411,
    4413,4415,4417,4419,4421,4423,4425,4427,4429,4431,4433,4435,4437,4439,4441,4443,4445,4447,4449,4451,4453,4455,4457,4459,
    4461,4463,4465,4467,4469,4471,4473,4475,4477,4479,4481,4483,4485,4487,4489,4491,4493,4495,4497,4499,4501,4503,4505,4507,
    4509,4511,4513,4515,4517,4519,4521,4523,4525,4527,4529,4531,4533,4535,4537,4539,4541,4543,4545,4547,4549,4551,4553,4555,
    4557,4559,4561,4563,4565,4567,4569,4571,4573,4575,4577,4579,4581,4583,4585,4587,4589,4591,4593,4595,4597,4599,4601,4603,
    4605,4607,4609,4611,4613,4615,4617,4619,4621,4623,4625,4627,4629,4631,4633,4635,4637,4639,4641,4643,4645,4647,4649,4651,
    4653,4655,4657,4659,4661,4663,4665,4667,4669,4671,4673,4675,4677,4679,4681,4683,4685,4687,4689,4691,4693,4695,4697,4699,
    4701,4703,4705,4707,4709,4711,4713,4715,4717,4719,4721,4723,4725,4727,4729,4731,4733,4735,4737,4739,4741,4743,4745,4747,
    4749,4751,4753,4755,4757,4759,4761,4763,4765,4767,4769,4771,4773,4775,4777,4779,4781,4783,4785,4787,4789,4791,4793,4795,
    4797,4799,4801,4803,4805,4807,4809,4811,4813,4815,4817,4819,4821,4823,4825,4827,4829,4831,4833,4835,4837,4839,4841,4843,
    4845,4847,4849,4851,4853,4855,4857,4859,4861,4863,4865,4867,4869,4871,4873,4875,4877,4879,4881,4883,4885,4887,4889,4891,
    4893,4895,4897,4899,4901,4903,4905,4907,4909,4911,4913,4915,4917,4919,4921,4923,4925,4927,4929,4931,4933,4935,4937,4939,
    4941,4943,4945,4947,4949,4951,4953,4955,4957,4959,4961,4963,4965,4967,4969,4971,4973,4975,4977,4979,4981,4983,4985,4987,
    4989,4991,4993,4995,4997,4999,5001,5003,5005,5007,5009,5011,5013,5015,5017,5019,5021,5023,5025,5027,5029,5031,5033,5035,
    5037,5039,5041,5043,5045,5047,5049,5051,5053,5055,5057,5059,5061,5063,5065,5067,5069,5071,5073,5075,5077,5079,5081,5083,
    5085,5087,5089,5091,5093,5095,5097,5099,5101,5103,5105,5107,5109,5111,5113,5115,5117,5119,5121,5123,5125,5127,5129,5131,
    5133,5135,5137,5139,5141,5143,5145,5147,5149,5151,5153,5155,5157,5159,5161,5163,5165,5167,5169,5171,5173,5175,5177,5179,
    5181,5183,5185,5187,5189,5191,5193,5195,5197,5199,5201,5203,5205,5207,5209,5211,5213,5215,5217,5219,5221,5223,5225,5227,
    5229,5231,5233,5235,5237,5239,5241,5243,5245,5247,5249,5251,5253,5255,5257,5259,5261,5263,5265,5267,5269,5271,5273,5275,
    5277,5279,5281,5283,5285,5287,5289,5291,5293,5295,5297,5299,5301,5303,5305,5307,5309,5311,5313,5315,5317,5319,5321,5323,
    5325,5327,5329,5331,5333,5335,5337,5339,5341,5343,5345,5347,5349,5351,5353,5355,5357,5359,5361,5363,5365,5367,5369,5371,
    5373,5375,5377,5379,5381,5383,5385,5387,5389,5391,5393,5395,5397,5399,5401,5403,5405,5407,5409,5411,5413,5415,5417,5419,
    5421,5423,5425,5427,5429,5431,5433,5435,5437,5439,5441,5443,5445,5447,5449,5451,5453,5455,5457,5459,5461,5463,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,
};

/* ---- END Unicode tables ---- */

/* ======================================================================
   Unicode lookups
   ====================================================================== */

/* flags | ccc << 8 for any value (invalid code points: 0). */
static unsigned bml__tok_prop(uint32_t cp) {
    unsigned blk;
    if (cp >= BML__TOK_PROP_LIMIT) return 0;
    blk = bml__tok_prop_stage1[cp >> BML__TOK_PROP_SHIFT];
    return bml__tok_prop_rec[bml__tok_prop_stage2[(blk << BML__TOK_PROP_SHIFT) |
                                                  (cp & ((1u << BML__TOK_PROP_SHIFT) - 1))]];
}

/* Simple lowercase (the caller handles U+0130). */
static uint32_t bml__tok_lower1(uint32_t cp) {
    unsigned blk;
    if (cp >= BML__TOK_LOWER_LIMIT) return cp;
    blk = bml__tok_lower_stage1[cp >> BML__TOK_LOWER_SHIFT];
    return (uint32_t)((int32_t)cp + bml__tok_lower_delta[bml__tok_lower_stage2[
        (blk << BML__TOK_LOWER_SHIFT) | (cp & ((1u << BML__TOK_LOWER_SHIFT) - 1))]]);
}

/* Full canonical decomposition of cp into out[0..4); returns the count (1 if none). */
static int bml__tok_decompose(uint32_t cp, uint32_t *out) {
    unsigned blk, idx;
    int n, k;
    if (cp >= 0xAC00 && cp <= 0xD7A3) { /* Hangul syllable */
        uint32_t si = cp - 0xAC00;
        out[0] = 0x1100 + si / 588;
        out[1] = 0x1161 + (si % 588) / 28;
        if (si % 28) { out[2] = 0x11A7 + si % 28; return 3; }
        return 2;
    }
    if (cp >= BML__TOK_DECOMP_LIMIT) { out[0] = cp; return 1; }
    blk = bml__tok_decomp_stage1[cp >> BML__TOK_DECOMP_SHIFT];
    idx = bml__tok_decomp_stage2[(blk << BML__TOK_DECOMP_SHIFT) | (cp & ((1u << BML__TOK_DECOMP_SHIFT) - 1))];
    if (!idx) { out[0] = cp; return 1; }
    n = (int)bml__tok_decomp_pool[idx];
    for (k = 0; k < n; k++) out[k] = bml__tok_decomp_pool[idx + 1 + k];
    return n;
}

#ifdef BATCHML_OPENCL
/* ----------------------------------------------------------------------
   Kernels (OpenCL C 1.2). Compile-time constants from the build options:
   BML_RW   work-group size of the row kernels (a power of two)
   BML_RTS  GEMM work-group side; BML_WPT outputs per work-item and side;
   BML_TK   GEMM k-tile (the same in every configuration)
   ---------------------------------------------------------------------- */
static const char *const bml__cl_src[] = {
    "#ifdef cl_khr_fp64\n"
    "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n"
    "#define BML_ACC double\n"
    "#else\n"
    "#define BML_ACC float\n"
    "#endif\n"
    "#define BML_TS (BML_RTS * BML_WPT)\n"
    /* sum over the work-group (fixed tree) */
    "float bml_wsum(float v, __local float *red) {\n"
    "    int l = get_local_id(0), s;\n"
    "    red[l] = v;\n"
    "    barrier(CLK_LOCAL_MEM_FENCE);\n"
    "    for (s = BML_RW / 2; s > 0; s >>= 1) {\n"
    "        if (l < s) red[l] += red[l + s];\n"
    "        barrier(CLK_LOCAL_MEM_FENCE);\n"
    "    }\n"
    "    v = red[0];\n"
    "    barrier(CLK_LOCAL_MEM_FENCE);\n"
    "    return v;\n"
    "}\n"
    /* LayerNorm of one row in place; xhat, rstd may be 0 */
    "void bml_ln_row(__global float *x, __global const float *g, __global const float *b,\n"
    "                __global float *xhat, __global float *rstd, int H, float eps, __local float *red) {\n"
    "    int l = get_local_id(0), i;\n"
    "    float s = 0.0f, mean, r;\n"
    "    for (i = l; i < H; i += BML_RW) s += x[i];\n"
    "    mean = bml_wsum(s, red) / (float)H;\n"
    "    s = 0.0f;\n"
    "    for (i = l; i < H; i += BML_RW) { float d = x[i] - mean; s += d * d; }\n"
    "    r = 1.0f / sqrt(bml_wsum(s, red) / (float)H + eps);\n"
    "    for (i = l; i < H; i += BML_RW) {\n"
    "        float xh = (x[i] - mean) * r;\n"
    "        if (xhat) xhat[i] = xh;\n"
    "        x[i] = xh * g[i] + b[i];\n"
    "    }\n"
    "    if (rstd && l == 0) *rstd = r;\n"
    "}\n"
    "float bml_gelu(float u) { return 0.5f * u * (1.0f + erf(u * 0.70710678118654752f)); }\n"
    "float bml_dgelu(float u) {\n"
    "    return 0.5f * (1.0f + erf(u * 0.70710678118654752f)) + u * 0.39894228040143268f * exp(-0.5f * u * u);\n"
    "}\n"
    /* the GEMM epilogue: v = acc (+ bias[n]) (+ C) (* gelu'(U)); C = v if C; G = gelu(v) if G */
    "void bml_epi(float v, size_t o, int n, __global const float *bias, __global const float *U, int accum,\n"
    "             __global float *C, __global float *G) {\n"
    "    if (bias) v += bias[n];\n"
    "    if (accum) v = C[o] + v;\n"
    "    if (U) v *= bml_dgelu(U[o]);\n"
    "    if (C) C[o] = v;\n"
    "    if (G) G[o] = bml_gelu(v);\n"
    "}\n",

    /* meta (int): ids[T], seq of each token[T], start[S], len[S] */
    "__kernel void bml_embed_ln(__global const int *meta, int T, __global const float *alpha,\n"
    "        __global const float *word, __global const float *pos, __global const float *type,\n"
    "        __global const float *g, __global const float *b, __global float *x,\n"
    "        __global float *xhat, __global float *rstd, int H, float eps) {\n"
    "    __local float red[BML_RW];\n"
    "    int t = get_group_id(0), l = get_local_id(0), i;\n"
    "    int id = meta[t], s = meta[T + t], p = t - meta[2 * T + s];\n"
    "    float a = alpha ? alpha[s] : 1.0f;\n"
    "    __global float *xr = x + (size_t)t * H;\n"
    "    __global const float *w = word + (size_t)id * H, *ps = pos + (size_t)p * H;\n"
    "    for (i = l; i < H; i += BML_RW) xr[i] = a * w[i] + ps[i] + type[i];\n"
    "    bml_ln_row(xr, g, b, xhat ? xhat + (size_t)t * H : 0, rstd ? rstd + t : 0, H, eps, red);\n"
    "}\n"
    /* x = LN(x + y) */
    "__kernel void bml_add_ln(__global float *x, __global const float *y, __global const float *g,\n"
    "        __global const float *b, __global float *xhat, __global float *rstd, int H, float eps) {\n"
    "    __local float red[BML_RW];\n"
    "    int t = get_group_id(0), l = get_local_id(0), i;\n"
    "    __global float *xr = x + (size_t)t * H;\n"
    "    __global const float *yr = y + (size_t)t * H;\n"
    "    for (i = l; i < H; i += BML_RW) xr[i] += yr[i];\n"
    "    bml_ln_row(xr, g, b, xhat ? xhat + (size_t)t * H : 0, rstd ? rstd + t : 0, H, eps, red);\n"
    "}\n"
    /* dy -> dx through LN, in place: dx = rstd (dy g - mean(dy g) - xhat mean(dy g xhat)) */
    "__kernel void bml_ln_bwd(__global float *dx, __global const float *g, __global const float *xhat,\n"
    "        __global const float *rstd, int H) {\n"
    "    __local float red[BML_RW];\n"
    "    int t = get_group_id(0), l = get_local_id(0), i;\n"
    "    __global float *d = dx + (size_t)t * H;\n"
    "    __global const float *xh = xhat + (size_t)t * H;\n"
    "    float s1 = 0.0f, s2 = 0.0f, m1, m2, r = rstd[t];\n"
    "    for (i = l; i < H; i += BML_RW) s1 += d[i] * g[i];\n"
    "    for (i = l; i < H; i += BML_RW) s2 += d[i] * g[i] * xh[i];\n"
    "    m1 = bml_wsum(s1, red) / (float)H;\n"
    "    m2 = bml_wsum(s2, red) / (float)H;\n"
    "    for (i = l; i < H; i += BML_RW) d[i] = r * (d[i] * g[i] - m1 - xh[i] * m2);\n"
    "}\n",

    /* C[M,N] (+)= A[M,K] . op(B) with op(B) = B^T for B [N,K] (transB), B for
       B [K,N]; epilogue v = acc (+ bias[n]) (+ C) (* gelu'(U)); C = v if C;
       G = gelu(v) if G. Each output: acc over k = 0..K-1 in order. */
    "__kernel __attribute__((reqd_work_group_size(BML_RTS, BML_RTS, 1)))\n"
    "void bml_gemm(int M, int N, int K, __global const float *A, __global const float *B, int transB,\n"
    "        __global const float *bias, __global const float *U, int accum,\n"
    "        __global float *C, __global float *G) {\n"
    "    __local float As[BML_TK][BML_TS + 1];\n"
    "    __local float Bs[BML_TK][BML_TS + 1];\n"
    "    float acc[BML_WPT][BML_WPT], a[BML_WPT], bb[BML_WPT];\n"
    "    int tx = get_local_id(0), ty = get_local_id(1), tid = ty * BML_RTS + tx;\n"
    "    int n0 = get_group_id(0) * BML_TS, m0 = get_group_id(1) * BML_TS;\n"
    "    int i, j, k, k0, e;\n"
    "    for (i = 0; i < BML_WPT; i++) for (j = 0; j < BML_WPT; j++) acc[i][j] = 0.0f;\n"
    "    for (k0 = 0; k0 < K; k0 += BML_TK) {\n"
    "        for (e = tid; e < BML_TS * BML_TK; e += BML_RTS * BML_RTS) {\n"
    "            int r = e / BML_TK, c = e % BML_TK, gk = k0 + c, gm = m0 + r, gn = n0 + r;\n"
    "            As[c][r] = gm < M && gk < K ? A[(size_t)gm * K + gk] : 0.0f;\n"
    "            if (transB) {\n"
    "                Bs[c][r] = gn < N && gk < K ? B[(size_t)gn * K + gk] : 0.0f;\n"
    "            } else {\n"
    "                int c2 = e / BML_TS, r2 = e % BML_TS, gk2 = k0 + c2, gn2 = n0 + r2;\n"
    "                Bs[c2][r2] = gn2 < N && gk2 < K ? B[(size_t)gk2 * N + gn2] : 0.0f;\n"
    "            }\n"
    "        }\n"
    "        barrier(CLK_LOCAL_MEM_FENCE);\n"
    "        for (k = 0; k < BML_TK; k++) {\n"
    "            for (i = 0; i < BML_WPT; i++) a[i] = As[k][ty + i * BML_RTS];\n"
    "            for (j = 0; j < BML_WPT; j++) bb[j] = Bs[k][tx + j * BML_RTS];\n"
    "            for (i = 0; i < BML_WPT; i++)\n"
    "                for (j = 0; j < BML_WPT; j++) acc[i][j] = a[i] * bb[j] + acc[i][j];\n"
    "        }\n"
    "        barrier(CLK_LOCAL_MEM_FENCE);\n"
    "    }\n"
    "    for (i = 0; i < BML_WPT; i++) {\n"
    "        int m = m0 + ty + i * BML_RTS;\n"
    "        if (m >= M) continue;\n"
    "        for (j = 0; j < BML_WPT; j++) {\n"
    "            int n = n0 + tx + j * BML_RTS;\n"
    "            if (n < N) bml_epi(acc[i][j], (size_t)m * N + n, n, bias, U, accum, C, G);\n"
    "        }\n"
    "    }\n"
    "}\n"
    /* The same product for CPU devices, B always [K,N]: each work-item 8 rows
       x 16 columns in float16 registers (PoCL vectorizes this well, the
       tiled kernel badly). Each output: acc over k = 0..K-1 in order. */
    "__kernel void bml_gemm_vec(int M, int N, int K, __global const float *A, __global const float *B,\n"
    "        __global const float *bias, __global const float *U, int accum,\n"
    "        __global float *C, __global float *G) {\n"
    "    int n0 = get_global_id(0) * 16, m0 = get_global_id(1) * 8, r, k, j;\n"
    "    float16 acc[8];\n"
    "    __global const float *a[8];\n"
    "    for (r = 0; r < 8; r++) { a[r] = A + (size_t)min(m0 + r, M - 1) * K; acc[r] = (float16)(0.0f); }\n"
    "    if (n0 >= N) return;\n"
    "    if (n0 + 16 <= N) {\n"
    "        for (k = 0; k < K; k++) {\n"
    "            float16 bv = vload16(0, B + (size_t)k * N + n0);\n"
    "            for (r = 0; r < 8; r++) acc[r] = (float16)(a[r][k]) * bv + acc[r];\n"
    "        }\n"
    "        for (r = 0; r < 8 && m0 + r < M; r++) {\n"
    "            float v[16];\n"
    "            vstore16(acc[r], 0, v);\n"
    "            for (j = 0; j < 16; j++) bml_epi(v[j], (size_t)(m0 + r) * N + n0 + j, n0 + j, bias, U, accum, C, G);\n"
    "        }\n"
    "    } else {\n"
    "        for (j = n0; j < N; j++)\n"
    "            for (r = 0; r < 8 && m0 + r < M; r++) {\n"
    "                float s = 0.0f;\n"
    "                for (k = 0; k < K; k++) s = a[r][k] * B[(size_t)k * N + j] + s;\n"
    "                bml_epi(s, (size_t)(m0 + r) * N + j, j, bias, U, accum, C, G);\n"
    "            }\n"
    "    }\n"
    "}\n",

    /* Attention of one (head h, token t) row on its sequence. qkv [T, 3H]
       (q | k | v), ctx [T,H]; P of sequence s, head h at poff[s] + h L L. */
    "__kernel void bml_attn(__global const int *meta, int T, int S, __global const long *poff,\n"
    "        __global const float *qkv, __global float *ctx, __global float *P, int H, int A, float scale) {\n"
    "    int gid = get_global_id(0), h, t, s, t0, L, i, j, c, d = H / A, H3 = 3 * H;\n"
    "    __global const float *q, *kb, *vb;\n"
    "    __global float *pr;\n"
    "    float mx = -INFINITY, sum = 0.0f;\n"
    "    if (gid >= A * T) return;\n"
    "    h = gid / T; t = gid % T; s = meta[T + t]; t0 = meta[2 * T + s]; L = meta[2 * T + S + s]; i = t - t0;\n"
    "    q = qkv + (size_t)t * H3 + h * d;\n"
    "    kb = qkv + (size_t)t0 * H3 + H + h * d;\n"
    "    vb = qkv + (size_t)t0 * H3 + 2 * H + h * d;\n"
    "    pr = P + poff[s] + ((long)h * L + i) * L;\n"
    "    for (j = 0; j < L; j++) {\n"
    "        __global const float *k = kb + (size_t)j * H3;\n"
    "        float acc = 0.0f;\n"
    "        for (c = 0; c < d; c++) acc = q[c] * k[c] + acc;\n"
    "        acc *= scale;\n"
    "        pr[j] = acc;\n"
    "        mx = fmax(mx, acc);\n"
    "    }\n"
    "    for (j = 0; j < L; j++) { float e = exp(pr[j] - mx); pr[j] = e; sum += e; }\n"
    "    sum = 1.0f / sum;\n"
    "    for (j = 0; j < L; j++) pr[j] *= sum;\n"
    "    for (c = 0; c < d; c++) {\n"
    "        float acc = 0.0f;\n"
    "        for (j = 0; j < L; j++) acc = pr[j] * vb[(size_t)j * H3 + c] + acc;\n"
    "        ctx[(size_t)t * H + h * d + c] = acc;\n"
    "    }\n"
    "}\n"
    /* Backward, per query row i: dP = dctx v^T, dS = P (dP - rowsum(dP P)) scale
       (into dS, P's layout), dq = dS k (into dqkv [T,3H]). */
    "__kernel void bml_attn_bwd_q(__global const int *meta, int T, int S, __global const long *poff,\n"
    "        __global const float *qkv, __global const float *dctx, __global const float *P,\n"
    "        __global float *dS, __global float *dqkv, int H, int A, float scale) {\n"
    "    int gid = get_global_id(0), h, t, s, t0, L, i, j, c, d = H / A, H3 = 3 * H;\n"
    "    __global const float *dc, *kb, *vb, *pr;\n"
    "    __global float *ds;\n"
    "    float dot = 0.0f;\n"
    "    if (gid >= A * T) return;\n"
    "    h = gid / T; t = gid % T; s = meta[T + t]; t0 = meta[2 * T + s]; L = meta[2 * T + S + s]; i = t - t0;\n"
    "    dc = dctx + (size_t)t * H + h * d;\n"
    "    kb = qkv + (size_t)t0 * H3 + H + h * d;\n"
    "    vb = qkv + (size_t)t0 * H3 + 2 * H + h * d;\n"
    "    pr = P + poff[s] + ((long)h * L + i) * L;\n"
    "    ds = dS + poff[s] + ((long)h * L + i) * L;\n"
    "    for (j = 0; j < L; j++) {\n"
    "        __global const float *v = vb + (size_t)j * H3;\n"
    "        float acc = 0.0f;\n"
    "        for (c = 0; c < d; c++) acc = dc[c] * v[c] + acc;\n"
    "        ds[j] = acc;\n"
    "        dot = acc * pr[j] + dot;\n"
    "    }\n"
    "    for (j = 0; j < L; j++) ds[j] = pr[j] * (ds[j] - dot) * scale;\n"
    "    for (c = 0; c < d; c++) {\n"
    "        float acc = 0.0f;\n"
    "        for (j = 0; j < L; j++) acc = ds[j] * kb[(size_t)j * H3 + c] + acc;\n"
    "        dqkv[(size_t)t * H3 + h * d + c] = acc;\n"
    "    }\n"
    "}\n",

    /* Backward, per key row j: dk = dS^T q, dv = P^T dctx (into dqkv). */
    "__kernel void bml_attn_bwd_kv(__global const int *meta, int T, int S, __global const long *poff,\n"
    "        __global const float *qkv, __global const float *dctx, __global const float *P,\n"
    "        __global const float *dS, __global float *dqkv, int H, int A) {\n"
    "    int gid = get_global_id(0), h, t, s, t0, L, i, j, c, d = H / A, H3 = 3 * H;\n"
    "    __global const float *pc, *dsc;\n"
    "    if (gid >= A * T) return;\n"
    "    h = gid / T; t = gid % T; s = meta[T + t]; t0 = meta[2 * T + s]; L = meta[2 * T + S + s]; j = t - t0;\n"
    "    pc = P + poff[s] + (long)h * L * L + j;\n"
    "    dsc = dS + poff[s] + (long)h * L * L + j;\n"
    "    for (c = 0; c < d; c++) {\n"
    "        float ak = 0.0f, av = 0.0f;\n"
    "        for (i = 0; i < L; i++) {\n"
    "            size_t r = (size_t)(t0 + i) * H3 + h * d + c;\n"
    "            ak = dsc[(long)i * L] * qkv[r] + ak;\n"
    "            av = pc[(long)i * L] * dctx[(size_t)(t0 + i) * H + h * d + c] + av;\n"
    "        }\n"
    "        dqkv[(size_t)t * H3 + H + h * d + c] = ak;\n"
    "        dqkv[(size_t)t * H3 + 2 * H + h * d + c] = av;\n"
    "    }\n"
    "}\n",

    /* Pool sequence s (a work-group) into out[s] (and pooled[s] before the
       normalization). mode: 0 mean, 1 cls, 2 max, 3 mean_sqrt_len. (No
       barrier under a condition, even a uniform one: PoCL 3.1 crashes.) */
    "__kernel void bml_pool(__global const int *meta, int T, int S, __global const float *x,\n"
    "        __global float *out, __global float *pooled, int H, int mode, int normalize) {\n"
    "    __local float red[BML_RW];\n"
    "    int s = get_group_id(0), l = get_local_id(0), t0 = meta[2 * T + s], L = meta[2 * T + S + s], i, p;\n"
    "    __global const float *xs = x + (size_t)t0 * H;\n"
    "    __global float *o = out + (size_t)s * H;\n"
    "    float n2 = 0.0f;\n"
    "    for (i = l; i < H; i += BML_RW) {\n"
    "        float v = xs[i];\n"
    "        if (mode == 2) {\n"
    "            for (p = 1; p < L; p++) { float w = xs[(size_t)p * H + i]; v = w > v ? w : v; }\n"
    "        } else if (mode != 1) {\n"
    "            BML_ACC acc = 0;\n"
    "            for (p = 0; p < L; p++) acc += xs[(size_t)p * H + i];\n"
    "            v = (float)(acc * (mode == 0 ? (BML_ACC)1 / (BML_ACC)L : (BML_ACC)1 / sqrt((BML_ACC)L)));\n"
    "        }\n"
    "        if (pooled) pooled[(size_t)s * H + i] = v;\n"
    "        o[i] = v;\n"
    "        n2 += v * v;\n"
    "    }\n"
    "    n2 = sqrt(bml_wsum(n2, red));\n"
    "    n2 = 1.0f / (n2 > 1e-12f ? n2 : 1e-12f);\n"
    "    if (normalize) for (i = l; i < H; i += BML_RW) o[i] *= n2;\n"
    "}\n"
    /* df/de (de[s]) back through normalize and pooling into dx rows of s. */
    "__kernel void bml_pool_bwd(__global const int *meta, int T, int S, __global const float *x,\n"
    "        __global const float *out, __global const float *pooled, __global const float *de,\n"
    "        __global float *dx, int H, int mode, int normalize) {\n"
    "    __local float red[BML_RW];\n"
    "    int s = get_group_id(0), l = get_local_id(0), t0 = meta[2 * T + s], L = meta[2 * T + S + s], i, p;\n"
    "    __global const float *e = out + (size_t)s * H, *u = pooled + (size_t)s * H, *g = de + (size_t)s * H;\n"
    "    __global const float *xs = x + (size_t)t0 * H;\n"
    "    __global float *d = dx + (size_t)t0 * H;\n"
    "    float n2 = 0.0f, dot = 0.0f;\n"
    "    for (i = l; i < H; i += BML_RW) { n2 += u[i] * u[i]; dot += e[i] * g[i]; }\n"
    "    n2 = sqrt(bml_wsum(n2, red));\n"
    "    dot = bml_wsum(dot, red);\n"
    "    for (i = l; i < H; i += BML_RW) {\n"
    "        float du = g[i], sc;\n"
    "        int arg = 0;\n"
    "        if (normalize) du = n2 > 1e-12f ? (g[i] - e[i] * dot) / n2 : g[i] / 1e-12f;\n"
    "        if (mode == 2)\n"
    "            for (p = 1; p < L; p++) if (xs[(size_t)p * H + i] > xs[(size_t)arg * H + i]) arg = p;\n"
    "        sc = mode == 0 ? 1.0f / (float)L : 1.0f / sqrt((float)L);\n"
    "        for (p = 0; p < L; p++) {\n"
    "            float v = mode == 1 || mode == 2 ? (p == arg ? du : 0.0f) : du * sc;\n"
    "            d[(size_t)p * H + i] = v;\n"
    "        }\n"
    "    }\n"
    "}\n",
};

static const char *const *bml__cl_sources(size_t *n) {
    *n = sizeof bml__cl_src / sizeof bml__cl_src[0];
    return bml__cl_src;
}
#endif /* BATCHML_OPENCL */

#ifdef BML__POP_GCC_DIAGNOSTIC
#pragma GCC diagnostic pop
#endif
#endif /* BATCHML_IMPLEMENTATION_DONE */
#endif /* BATCHML_IMPLEMENTATION */

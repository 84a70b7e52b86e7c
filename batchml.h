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
     running process got the best kernels and what to set; the batchml CLI
     re-executes itself with the variable set when it did not.

   LICENSE
     MIT (see LICENSE). The vocabulary and tokenizer files shipped for tests
     come from sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0).
*/
#ifndef BATCHML_H
#define BATCHML_H

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
   Limits: nesting depth 256; strings, documents up to the given size. */
BMLDEF bml_status bml_json_parse(const char *text, size_t len, const char *name, bml_json_doc **out);
BMLDEF const bml_json *bml_json_root(const bml_json_doc *doc);
BMLDEF void bml_json_free(bml_json_doc *doc);
/* Member of an object by key (NULL if absent or not an object). */
BMLDEF const bml_json *bml_json_get(const bml_json *obj, const char *key);

/* ======================================================================
   API: tokenizer (BERT WordPiece, id-for-id identical to HF tokenizers)
   ====================================================================== */
#include "parts/tokenizer_api.h"

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

typedef struct bml__jp {
    const char *s;
    size_t n, i;
    const char *name;
    bml_json_doc *doc;
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

#endif /* BATCHML_IMPLEMENTATION_DONE */
#endif /* BATCHML_IMPLEMENTATION */

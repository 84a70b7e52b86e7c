/* parts/tokenizer_impl.h — BERT WordPiece tokenizer, id-for-id and offset-for-
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
   tools/gen_unicode.py, which generates parts/unicode_tables.h. */

#include <unistd.h>
#include "parts/unicode_tables.h"

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

/* ======================================================================
   UTF-8
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
    /* strings: every token and added token, NUL-terminated */
    char *pool;
    size_t pool_len, pool_cap;
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
    uint32_t added_first[256][2];   /* [start, count) into added_order */
    int added_one_first;            /* the first byte of every added token, or -1 */
    uint32_t *added_order;
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

static int bml__tok_pool_add(bml_tokenizer *t, const char *s, size_t n, uint32_t *off) {
    if (n > 0x7FFFFFF0u || t->pool_len + n + 1 > 0xFFFFFFF0u) return 0;
    if (t->pool_len + n + 1 > t->pool_cap) {
        size_t nc = t->pool_cap ? t->pool_cap * 2 : 65536;
        char *np;
        while (nc < t->pool_len + n + 1) nc *= 2;
        np = (char *)BML_REALLOC(t->pool, nc);
        if (!np) return 0;
        t->pool = np;
        t->pool_cap = nc;
    }
    memcpy(t->pool + t->pool_len, s, n);
    t->pool[t->pool_len + n] = 0;
    *off = (uint32_t)t->pool_len;
    t->pool_len += n + 1;
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
        if (sl->h == hh && sl->len == key && bml__tok_same(t->pool + sl->off, s, n)) return sl->id;
        i = (i + 1) & t->mask;
    }
}

/* Insert (cont, bytes at pool offset off, n) -> id; 0 if the key exists. */
static int bml__tok_insert(bml_tokenizer *t, uint32_t off, size_t n, int cont, int32_t id) {
    const uint8_t *s = (const uint8_t *)t->pool + off;
    uint64_t h = bml__tok_hash(cont, s, n);
    size_t i = bml__tok_slot_of(h, t->mask);
    uint32_t hh = (uint32_t)(h >> 32), key = (uint32_t)n | (cont ? 0x80000000u : 0);
    for (;;) {
        bml__tok_slot *sl = &t->slots[i];
        if (sl->id < 0) break;
        if (sl->h == hh && sl->len == key && !memcmp(t->pool + sl->off, s, n)) return 0;
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
    if (!bml__tok_pool_add(t, s, n, &off)) return 0;
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
                             (int)id, t->pool + t->id_off[id], t->pool + off);
        }
        t->id_off[id] = off;
        if (!bml__tok_insert(t, off, len, 0, id)) {
            if (v->line[i]) {
                int32_t first = bml__tok_find(t, bml__tok_hash(0, (const uint8_t *)t->pool + off, len),
                                              (const uint8_t *)t->pool + off, len, 0);
                return bml__fail(BML_ERR_FORMAT, "%s line %zu: duplicate token '%.40s' (first at line %d)", src,
                                 v->line[i], t->pool + off, (int)first + 1);
            }
            return bml__fail(BML_ERR_FORMAT, "%s: model.vocab: duplicate token '%.40s'", src, t->pool + off);
        }
        if (t->prefix_len && len >= t->prefix_len && !memcmp(t->pool + off, t->prefix, t->prefix_len))
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

/* Order added tokens by first byte, longest first (leftmost-longest match). */
static bml_status bml__tok_index_added(bml_tokenizer *t) {
    size_t i, j, pos = 0;
    int b;
    t->added_order = (uint32_t *)bml__calloc(t->n_added + 1, sizeof(uint32_t));
    if (!t->added_order) return bml__fail(BML_ERR_NOMEM, "out of memory");
    for (b = 0; b < 256; b++) {
        size_t start = pos;
        for (i = 0; i < t->n_added; i++)
            if (t->added[i].len && (uint8_t)t->pool[t->added[i].off] == b) t->added_order[pos++] = (uint32_t)i;
        /* insertion sort by length, descending */
        for (i = start + 1; i < pos; i++) {
            uint32_t x = t->added_order[i];
            for (j = i; j > start && t->added[t->added_order[j - 1]].len < t->added[x].len; j--)
                t->added_order[j] = t->added_order[j - 1];
            t->added_order[j] = x;
        }
        t->added_first[b][0] = (uint32_t)start;
        t->added_first[b][1] = (uint32_t)(pos - start);
    }
    t->added_one_first = -1;
    for (b = 0; b < 256; b++)
        if (t->added_first[b][1]) {
            if (t->added_first[b][1] == pos) t->added_one_first = b;
            break;
        }
    return BML_OK;
}

static bml_status bml__tok_add_added(bml_tokenizer *t, const char *s, size_t n, int32_t id, int special, size_t *cap) {
    size_t i;
    for (i = 0; i < t->n_added; i++)
        if (t->added[i].len == n && !memcmp(t->pool + t->added[i].off, s, n)) return BML_OK;
    if (t->n_added == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        bml__tok_added *na = (bml__tok_added *)BML_REALLOC(t->added, nc * sizeof *na);
        if (!na) return bml__fail(BML_ERR_NOMEM, "out of memory");
        t->added = na;
        *cap = nc;
    }
    if (!bml__tok_pool_add(t, s, n, &t->added[t->n_added].off)) return bml__fail(BML_ERR_NOMEM, "out of memory");
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
        if (m >= 'A' && m <= 'Z' && t->lowercase) m += 32;
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
                double d = ids->kids[k].num;
                if (ids->kids[k].type != BML_JSON_NUMBER || d < 0 || d > BML__TOK_MAX_ID || d != (double)(int32_t)d)
                    return bml__fail(BML_ERR_FORMAT, "%s: post_processor: bad id for '%s'", src, name);
                ti->ids[k] = (int32_t)d;
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
        if (tid && tid->type == BML_JSON_NUMBER && tid->num >= 0 && tid->num < 256) ti->type_id = (int)tid->num;
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
    if ((st = bml__json_file(path, (size_t)64 << 20, &doc)) != BML_OK) return st;
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
        if (v->num < 0) { st = bml__fail(BML_ERR_FORMAT, "%s: model.max_input_chars_per_word is negative", path); goto done; }
        t->max_chars = v->num > 1e15 ? (size_t)1e15 : (size_t)v->num;
    }
    /* vocabulary */
    vocab = bml_json_get(model, "vocab");
    if (!vocab || vocab->type != BML_JSON_OBJECT) { st = bml__fail(BML_ERR_FORMAT, "%s: model.vocab must be an object", path); goto done; }
    for (i = 0; i < vocab->len; i++) {
        const bml_json *e = &vocab->kids[i];
        if (e->type != BML_JSON_NUMBER || e->num < 0 || e->num > BML__TOK_MAX_ID || e->num != (double)(int32_t)e->num) {
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
            if (!content || !id || id->type != BML_JSON_NUMBER || id->num < 0 || id->num > BML__TOK_MAX_ID ||
                id->num != (double)(int32_t)id->num) {
                st = bml__fail(BML_ERR_FORMAT, "%s: added_tokens[%zu] needs a content string and an id", path, i);
                goto done;
            }
            if (bml__tok_jbool(bml_json_get(a, "normalized"), 0) || bml__tok_jbool(bml_json_get(a, "lstrip"), 0) ||
                bml__tok_jbool(bml_json_get(a, "rstrip"), 0) || bml__tok_jbool(bml_json_get(a, "single_word"), 0)) {
                st = bml__fail(BML_ERR_UNSUPPORTED, "%s: added_tokens[%zu] ('%.40s'): normalized, lstrip, rstrip and "
                               "single_word added tokens are not supported", path, i, content);
                goto done;
            }
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
            if (vb.len[j] == strlen(unk) && !memcmp(t->pool + vb.off[j], unk, vb.len[j])) { t->unk_id = vb.id[j]; break; }
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
    if ((st = bml__tok_build(t, &vb, path)) != BML_OK) goto done;
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
            if ((st = bml__json_file(cfgpath, (size_t)64 << 20, &cfg)) != BML_OK) goto done;
            c = bml_json_root(cfg);
        }
        bml__join(cfgpath, sizeof cfgpath, dir, "special_tokens_map.json");
        if (access(cfgpath, R_OK) == 0) {
            if ((st = bml__json_file(cfgpath, (size_t)64 << 20, &map)) != BML_OK) goto done;
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
            if (vb.len[j] == nl && !memcmp(t->pool + vb.off[j], name, nl)) { role_id[r] = vb.id[j]; break; }
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
            if ((st = bml__json_file(p, (size_t)1 << 20, &doc)) != BML_OK) return st;
            v = bml_json_get(bml_json_root(doc), "max_seq_length");
            if (v && v->type == BML_JSON_NUMBER && v->num >= 1 && v->num <= 1e9) want = (long)v->num;
            bml_json_free(doc);
            doc = NULL;
        }
        bml__join(p, sizeof p, dir, "config.json");
        if (access(p, R_OK) == 0) {
            if ((st = bml__json_file(p, (size_t)16 << 20, &doc)) != BML_OK) return st;
            v = bml_json_get(bml_json_root(doc), "max_position_embeddings");
            if (v && v->type == BML_JSON_NUMBER && v->num >= 1 && v->num <= 1e9) maxpos = (long)v->num;
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
    BML_FREE(t->pool);
    BML_FREE(t->id_off);
    BML_FREE(t->id_special);
    BML_FREE(t->slots);
    BML_FREE(t->added);
    BML_FREE(t->added_order);
    BML_FREE(t);
}

static int bml__tok_exists(const char *p) { return access(p, R_OK) == 0; }

BMLDEF bml_status bml_tokenizer_load(const bml_tokenizer_desc *desc, bml_tokenizer **out) {
    bml_tokenizer *t;
    bml_status st;
    char path[4096], dirbuf[4096];
    const char *dir = NULL, *file = NULL;
    int is_json;
    size_t k;
    if (!out) return bml__fail(BML_ERR_INVALID_ARG, "bml_tokenizer_load: NULL out");
    *out = NULL;
    if (!desc || (!desc->dir && !desc->file)) return bml__fail(BML_ERR_INVALID_ARG, "bml_tokenizer_load: set desc.dir or desc.file");
    if (desc->file) {
        const char *slash = strrchr(desc->file, '/');
        file = desc->file;
        if (strlen(file) >= sizeof path) return bml__fail(BML_ERR_INVALID_ARG, "bml_tokenizer_load: path too long");
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
        if (strlen(dir) + 32 >= sizeof path) return bml__fail(BML_ERR_INVALID_ARG, "bml_tokenizer_load: path too long");
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
    return t->pool + t->id_off[id];
}

BMLDEF int32_t bml_tokenizer_token_to_id(const bml_tokenizer *t, const char *s, size_t n) {
    size_t i;
    if (!t || !s) return -1;
    for (i = 0; i < t->n_added; i++)
        if (t->added[i].len == n && !memcmp(t->pool + t->added[i].off, s, n)) return t->added[i].id;
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
            if (t->lowercase && (p & BML__TOK_F_LOWER)) {
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
            if (t->lowercase && (f & BML__TOK_F_LOWER)) {
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
    if (c < 0x80)
        return c == ' ' || c == '\n' || c == '\t' || c == '\r' || (c >= 33 && c <= 47) || (c >= 58 && c <= 64) ||
               (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
    if (t->handle_cjk && c >= 0xE3 && c <= 0xF0) {
        uint32_t cp;
        int bad;
        size_t n = bml__utf8_dec(s, b, e, &cp, &bad);
        return n > 0 && !bad && (bml__tok_prop(cp) & BML__TOK_F_CJK);
    }
    return 0;
}

/* Normalize + tokenize input bytes [a, b) (no added tokens inside). */
static bml_status bml__tok_text(const bml_tokenizer *t, bml__tok_ws *w, bml__tok_list *l, const uint8_t *s,
                                size_t a, size_t b, size_t limit, int *stop) {
    bml_status st;
    while (a < b && !*stop) {
        size_t e = b, k = 0;
        if (b - a > BML__TOK_CHUNK) {
            e = a + BML__TOK_CHUNK;
            while (e < b && !bml__tok_cut_ok(t, s, e, b)) e++;
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
                const uint32_t *fb;
                uint32_t q;
                if (t->added_one_first >= 0) {
                    /* all added tokens start with the same byte ('[') */
                    const uint8_t *hit = (const uint8_t *)memchr(s + i, t->added_one_first, n - i);
                    if (!hit) break;
                    i = (size_t)(hit - s);
                }
                fb = t->added_first[s[i]];
                for (q = 0; q < fb[1]; q++) {
                    const bml__tok_added *ad = &t->added[t->added_order[fb[0] + q]];
                    if (ad->len <= n - i && !memcmp(s + i, t->pool + ad->off, ad->len)) {
                        mstart = i; mlen = ad->len; mid = ad->id;
                        break;
                    }
                }
                if (mid >= 0) break;
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
        tok = t->pool + t->id_off[id];
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

static int bml__tok_ncpu(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

static bml_status bml__tok_batch(bml__tok_job *j, int threads) {
    bml__pool *pool = NULL;
    size_t ntasks, i;
    int nw;
    if (threads <= 0) threads = bml__tok_ncpu();
    if ((size_t)threads > j->count) threads = j->count ? (int)j->count : 1;
    j->per_task = j->count / ((size_t)threads * 8);
    if (j->per_task < 16) j->per_task = 16;
    if (j->per_task > 1024) j->per_task = 1024;
    ntasks = (j->count + j->per_task - 1) / j->per_task;
    if (threads > 1 && ntasks > 1) {
        if (bml__pool_create(threads, &pool) != BML_OK) pool = NULL;
    }
    nw = pool ? pool->nthreads : 1;
    j->ws = (bml__tok_ws **)bml__calloc((size_t)nw, sizeof(bml__tok_ws *));
    if (!j->ws) { bml__pool_destroy(pool); return bml__fail(BML_ERR_NOMEM, "out of memory"); }
    if (pool) bml__pool_run(pool, ntasks, bml__tok_job_run, j);
    else for (i = 0; i < ntasks; i++) bml__tok_job_run(j, i, 0);
    bml__pool_destroy(pool);
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

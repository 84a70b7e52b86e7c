/* parts/tuning_impl.h — batch-size tuning (see parts/tuning_api.h).
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
    FILE *f = fopen(path, "r");
    size_t n;
    if (!f) return 0;
    n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = 0;
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) buf[--n] = 0;
    return n > 0;
}

static size_t bml__tune_l2, bml__tune_l3;
static pthread_once_t bml__tune_cache_once = PTHREAD_ONCE_INIT;

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
    pthread_once(&bml__tune_cache_once, bml__tune_detect_caches);
    if (l2) *l2 = bml__tune_l2;
    if (l3) *l3 = bml__tune_l3 ? bml__tune_l3 : (size_t)8 << 20;
}

/* Floats of the activation arena for one forward-only pass: the formula of
   bml__ws_plan (six [T,H] and one [T,I] buffer, per-thread attention
   scratch, the start/offset indexes). *scratch_per gets the per-thread
   scratch floats when not NULL. */
static size_t bml__ws_floats(const bml_config *c, size_t threads, size_t T, size_t nseq, size_t maxL,
                             size_t *scratch_per) {
    size_t H = (size_t)c->hidden, I = (size_t)c->intermediate;
    size_t sp = bml__attn_scratch(maxL, c->hidden / c->heads);
    size_t idx_floats = bml__align16((2 * nseq * sizeof(size_t) + 3) / 4);
    if (sp < bml__align16(2 * H)) sp = bml__align16(2 * H);
    if (scratch_per) *scratch_per = sp;
    return 6 * bml__align16(T * H) + bml__align16(T * I) + threads * sp + idx_floats;
}

BMLDEF size_t bml_activation_bytes(const bml_model *m, size_t tokens, size_t nseq, size_t max_len) {
    if (!m) return 0;
    return 4 * bml__ws_floats(&m->cfg, (size_t)m->threads, tokens, nseq, max_len, NULL);
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

static int bml__tune_cmp_size(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
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

static bml_status bml__tune_lens_make(const size_t *lens, size_t n, bml__tune_lens *v) {
    size_t i;
    memset(v, 0, sizeof *v);
    v->ord = (size_t *)bml__calloc(n + 1, sizeof(size_t));
    v->srt = (size_t *)bml__calloc(n + 1, sizeof(size_t));
    if (!v->ord || !v->srt) { bml__tune_lens_free(v); return bml__fail(BML_ERR_NOMEM, "out of memory profiling %zu lengths", n); }
    for (i = 0; i < n; i++)
        if (lens[i]) {
            v->ord[v->n++] = lens[i];
            if (lens[i] > v->maxlen) v->maxlen = lens[i];
        }
    memcpy(v->srt, v->ord, v->n * sizeof(size_t));
    qsort(v->srt, v->n, sizeof(size_t), bml__tune_cmp_size);
    return BML_OK;
}

/* Walks the batches of a call: fn(ctx, tokens, nseq, maxlen, sum of len^2). */
typedef void (*bml__tune_batch_fn)(void *ctx, size_t T, size_t nseq, size_t maxL, double sumL2);

static void bml__tune_walk(const bml__tune_lens *v, size_t bs, size_t mt, int keep_order, bml__tune_batch_fn fn,
                           void *ctx) {
    const size_t *L = keep_order ? v->ord : v->srt;
    size_t done = 0;
    if (!bs) bs = 32;
    while (done < v->n) {
        size_t nb = 0, tok = 0, mx = 0;
        double s2 = 0;
        while (done + nb < v->n && nb < bs) {
            size_t l = L[done + nb];
            if (mt && nb && tok + l > mt) break;
            tok += l;
            s2 += (double)l * (double)l;
            if (l > mx) mx = l;
            nb++;
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

static void bml__tune_default_grid(bml_tuning *t) {
    static const double len[] = {8, 16, 32, 64, 128, 256}, spread[] = {0.1, 0.4, 0.8}, items[] = {16, 128, 1024};
    t->ng[0] = 6;
    t->ng[1] = 3;
    t->ng[2] = 3;
    memcpy(t->grid[0], len, sizeof len);
    memcpy(t->grid[1], spread, sizeof spread);
    memcpy(t->grid[2], items, sizeof items);
}

BMLDEF void bml_tuning_free(bml_tuning *t) {
    if (!t) return;
    BML_FREE(t->cells);
    BML_FREE(t);
}

static int bml__tune_same_ind(const bml_tune_individual *a, const bml_tune_individual *b) {
    return a->batch_size == b->batch_size && a->max_tokens == b->max_tokens && a->keep_order == b->keep_order &&
           a->threads == b->threads;
}

static void bml__tune_set_elite_argmax(bml__tune_cell *c) {
    size_t i;
    c->elite = 0;
    for (i = 1; i < c->nfront; i++)
        if (c->front[i].rate > c->front[c->elite].rate) c->elite = i;
}

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
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    f = fopen(tmp, "wb");
    if (!f) return bml__fail(BML_ERR_IO, "%s: cannot write: %s", tmp, strerror(errno));
    writer(f, obj);
    bad = fflush(f) != 0 || ferror(f);
    bad |= fclose(f) != 0;
    if (bad) {
        remove(tmp);
        return bml__fail(BML_ERR_IO, "%s: write error", tmp);
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
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
    if ((rc = bml__json_file(path, (size_t)64 << 20, &doc)) != BML_OK) return rc;
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
    bml_status rc = bml_tuning_choose(t, m, lens, n, memory_budget, &c);
    if (rc != BML_OK) return rc;
    d->batch_size = c.batch_size;
    d->max_tokens = c.max_tokens;
    d->keep_order = d->keep_order || c.keep_order;
    bml__log(BML_LOG_DEBUG, "auto batch: batch_size %zu, max_tokens %zu, %s (%s, cell %d)", c.batch_size,
             c.max_tokens, c.keep_order ? "input order" : "sorted", c.why, c.cell);
    return BML_OK;
}

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
    const bml_tune_desc *d;
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

static bml_status bml__tune_setup(bml__tune_run *R, const bml_tune_desc *d) {
    bml_model *m0 = NULL;
    bml_model_desc md;
    bml_status rc;
    FILE *f;
    size_t ci, test_size = d->test_size ? d->test_size : 256, l2, l3;
    int repeats = d->repeats ? d->repeats : 3, fit = d->fitness_fn ? BML__FIT_CUSTOM : (int)d->fitness, i;
    memset(&md, 0, sizeof md);
    md.path = d->model_path;
    md.threads = 1;
    md.no_tokenizer = 1;
    if ((rc = bml_model_load(&md, &m0)) != BML_OK) return rc;
    R->cfg = m0->cfg;
    R->models[1] = m0;
    R->threads_max = d->threads_max ? d->threads_max : bml__ncpu();
    for (i = 1; i <= R->threads_max && R->nthreads_opts < 15; i *= 2) R->thread_opts[R->nthreads_opts++] = i;
    if (R->thread_opts[R->nthreads_opts - 1] != R->threads_max) R->thread_opts[R->nthreads_opts++] = R->threads_max;
    f = d->fresh ? NULL : fopen(d->archive_path, "rb");
    if (f) {
        fclose(f);
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
        if (d->test_size && d->test_size != R->t->test_size)
            return bml__fail(BML_ERR_INVALID_ARG, "%s: tuned with test size %zu, this run asks for %zu (fitness "
                             "would not compare)", d->archive_path, R->t->test_size, d->test_size);
        if (d->memory_budget && d->memory_budget != R->t->memory_budget)
            return bml__fail(BML_ERR_INVALID_ARG, "%s: tuned with memory budget %zu bytes, this run asks for %zu",
                             d->archive_path, R->t->memory_budget, d->memory_budget);
        if (d->repeats) R->t->repeats = d->repeats;
        if (d->seed) R->t->seed = d->seed;
    } else {
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
        R->t->seed = d->seed ? d->seed : 1;
        R->t->test_size = test_size;
        R->t->repeats = repeats;
        R->t->memory_budget = d->memory_budget;
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
    R->out = (float *)bml__calloc(R->out_rows * (size_t)R->cfg.hidden, sizeof(float));
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
    size_t G = d->generations ? d->generations : 10, K = d->offspring ? d->offspring : 8;
    size_t every = d->save_every ? d->save_every : 1, i, g, seeds = 0;
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
    if (!desc || !desc->model_path || !desc->archive_path)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_tune: desc, desc.model_path and desc.archive_path are required");
    if (desc->fitness != BML_TUNE_TIME && desc->fitness != BML_TUNE_COST)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_tune: desc.fitness must be BML_TUNE_TIME or BML_TUNE_COST");
    if (desc->repeats < 0 || desc->repeats > 1000)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_tune: desc.repeats must be 0..1000 (got %d)", desc->repeats);
    if (desc->threads_max < 0 || desc->threads_max > 256)
        return bml__fail(BML_ERR_INVALID_ARG, "bml_tune: desc.threads_max must be 0..256 (got %d)", desc->threads_max);
    if (desc->test_size > ((size_t)1 << 20))
        return bml__fail(BML_ERR_INVALID_ARG, "bml_tune: desc.test_size must be at most 1048576");
    memset(&R, 0, sizeof R);
    R.d = desc;
    R.model_path = desc->model_path;
    rc = bml__tune_setup(&R, desc);
    if (rc == BML_OK) rc = bml__tune_main(&R);
    bml__tune_teardown(&R);
    return rc;
}

/* batchml search: the top k rows of one or more memory-mapped indexes for
   each query, by cosine similarity (dot products of unit vectors, summed in
   double). Many queries go through the model in one batched pass and are
   scored against the index in one sweep over its rows. */
#define _POSIX_C_SOURCE 200809L
#include "index.h"
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "compat.h"

static const char *help =
    "usage: batchml search --index INDEX [--index INDEX2 ...] --model DIR [-k K]\n"
    "                      [--batch-query FILE] [--format tsv|jsonl] [-o FILE]\n"
    "                      [--threads N] [--batch-size N] [--deterministic] [--progress]\n"
    "                      [--prompt TEXT | --prompt-name NAME] [--dimensions N] [QUERY ...]\n"
    "\n"
    "Embeds each query with the model the index was built with and prints its top\n"
    "K (default 10) rows by cosine similarity, best first; equal scores keep index\n"
    "order. Queries: the QUERY arguments, else the lines of --batch-query FILE\n"
    "('-' = stdin), else stdin, one a line; all of them are embedded in one batched\n"
    "pass (--batch-size N sequences a forward pass, default 32) and scored in one\n"
    "sweep over the index.\n"
    "tsv (default): per result a line ID<TAB>SCORE<TAB>TEXT, queries one after the\n"
    "other in input order, min(K, N) lines each.\n"
    "jsonl: one line per query: {\"query_no\":Q,\"query\":...,\"results\":[{\"rank\":1,\n"
    "\"id\":...,\"score\":...,\"text\":...},...]} (ids are numbers for line-number ids).\n"
    "Several --index: one search over all of them (e.g. the shards of `index\n"
    "--shard`, ranked as if merged). A query that fails is reported as\n"
    "'query Q: ...' and the exit status is 2.\n"
    "\n"
    "example: batchml search --index build/sentences --model build/minilm -k 3 \"a pet outdoors\"\n";

/* One candidate: score and order key (ties: smaller key first). */
typedef struct hit { double score; unsigned long long key; size_t seg, row; } hit;

static int worse(const hit *a, const hit *b) { /* a ranks below b */
    return a->score < b->score || (a->score == b->score && a->key > b->key);
}

/* Min-heap of the k best (root = the worst kept). */
static void heap_push(hit *h, size_t *n, size_t k, const hit *x) {
    size_t i, c;
    if (*n < k) {
        i = (*n)++;
        while (i && worse(x, &h[(i - 1) / 2])) { h[i] = h[(i - 1) / 2]; i = (i - 1) / 2; }
        h[i] = *x;
        return;
    }
    if (!worse(&h[0], x)) return;
    i = 0;
    for (;;) {
        c = 2 * i + 1;
        if (c >= k) break;
        if (c + 1 < k && worse(&h[c + 1], &h[c])) c++;
        if (!worse(&h[c], x)) break;
        h[i] = h[c];
        i = c;
    }
    h[i] = *x;
}

static int cmp_rank(const void *a, const void *b) {
    const hit *x = a, *y = b;
    return worse(x, y) ? 1 : worse(y, x) ? -1 : 0;
}

/* Double-precision dot of a stored float row with a query. */
static double dot64(const float *e, const double *q, int H) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int j = 0;
    for (; j + 4 <= H; j += 4) {
        s0 += (double)e[j] * q[j];
        s1 += (double)e[j + 1] * q[j + 1];
        s2 += (double)e[j + 2] * q[j + 2];
        s3 += (double)e[j + 3] * q[j + 3];
    }
    for (; j < H; j++) s0 += (double)e[j] * q[j];
    return (s0 + s1) + (s2 + s3);
}

typedef struct sweep {
    const cli_index *ix;
    size_t nix;
    const unsigned long long *base_key; /* per index: key of its row 0 (concatenation order) */
    int shards;                         /* keys are input line numbers            */
    const double *q;                    /* [nq, H]                                */
    const int *qok;
    size_t nq, k;
    int H;
    size_t lo, hi;                      /* global row range of this worker        */
    hit *heaps;                         /* [nq, k]                                */
    size_t *fill;                       /* [nq]                                   */
} sweep;

static void *sweep_run(void *arg) {
    sweep *s = arg;
    size_t seg, start = 0;
    for (seg = 0; seg < s->nix; seg++) {
        const cli_index *ix = &s->ix[seg];
        size_t lo = s->lo > start ? s->lo : start, hi = s->hi < start + ix->count ? s->hi : start + ix->count, r0, r, qi;
        for (r0 = lo; r0 < hi; r0 += 64) { /* a block of rows against every query: rows stay in cache */
            size_t r1 = r0 + 64 < hi ? r0 + 64 : hi;
            for (qi = 0; qi < s->nq; qi++) {
                const double *q = s->q + qi * (size_t)s->H;
                if (!s->qok[qi]) continue;
                for (r = r0 - start; r < r1 - start; r++) {
                    hit h;
                    h.score = dot64(ix->emb + r * (size_t)s->H, q, s->H);
                    h.key = s->shards ? ix->lines[r] : s->base_key[seg] + r;
                    h.seg = seg;
                    h.row = r;
                    heap_push(s->heaps + qi * s->k, &s->fill[qi], s->k, &h);
                }
            }
        }
        start += ix->count;
    }
    return NULL;
}

static void print_text_tsv(FILE *out, const char *s, size_t n) {
    fwrite(s, 1, n && s[n - 1] == '\r' ? n - 1 : n, out);
}

int cmd_search(int argc, char **argv) {
    static const char *const formats[] = {"tsv", "jsonl", NULL};
    const char *model, *bqfile = NULL, *outpath, *v;
    const char **ixargs, **qargs;
    size_t nixargs = 0, nqargs = 0, k = 10, s, total = 0, nq = 0, qcap = 0, qi, nbad = 0, done = 0;
    int jsonl, progress, threads, i, H, normalize, nthreads, t;
    cli_common c;
    char **queries = NULL, fp[17];
    size_t *qlen = NULL;
    cli_index *ix;
    unsigned long long *base_key;
    bml_model_desc md;
    bml_batch_desc bd;
    bml_model *m;
    FILE *out;
    cli_progress pr;
    ixargs = calloc((size_t)argc, sizeof *ixargs);
    qargs = calloc((size_t)argc, sizeof *qargs);
    if (!ixargs || !qargs) cli_die("out of memory");
    cli_common_init(&c, CLI_O_MODEL | CLI_O_OUTPUT | CLI_O_THREADS | CLI_O_BATCH_SIZE | CLI_O_FORMAT | CLI_O_DETERMINISTIC |
                        CLI_O_PROGRESS | CLI_O_PROMPT | CLI_O_DIMENSIONS,
                    formats);
    for (i = 1; i < argc; i++) {
        unsigned got = cli_common_opt(&c, argc, argv, &i);
        if (got == CLI_O_HELP) {
            fputs(help, stdout);
            free(ixargs);
            free(qargs);
            return 0;
        } else if (got) continue;
        else if (cli_opt(argc, argv, &i, "--index", &v)) ixargs[nixargs++] = v;
        else if (cli_opt(argc, argv, &i, "-k", &v) || cli_opt(argc, argv, &i, "--top", &v)) k = (size_t)cli_parse_long("-k", v, 1, 100000);
        else if (cli_opt(argc, argv, &i, "--batch-query", &v)) bqfile = v;
        else if (!strcmp(argv[i], "--")) { while (++i < argc) qargs[nqargs++] = argv[i]; }
        else if (argv[i][0] == '-' && argv[i][1]) cli_die("unknown option '%s' (see --help)", argv[i]);
        else qargs[nqargs++] = argv[i];
    }
    model = c.model;
    outpath = c.output;
    threads = c.threads;
    jsonl = c.format == 1;
    progress = cli_common_progress(&c);
    cli_common_model_desc(&c, &md);
    cli_common_batch_desc(&c, &bd, NULL);
    if (!nixargs) cli_die("--index INDEX is required (see --help)");
    if (!model) cli_die("--model DIR is required: the model the index was built with (see --help)");
    if (nqargs && bqfile) cli_die("give queries as arguments or with --batch-query, not both");
    /* the indexes */
    ix = calloc(nixargs, sizeof *ix);
    base_key = calloc(nixargs, sizeof *base_key);
    if (!ix || !base_key) cli_die("out of memory");
    for (s = 0; s < nixargs; s++) {
        cli_index_open(ixargs[s], &ix[s]);
        if (ix[s].dim != ix[0].dim) cli_die("%s has dim %d but %s has %d", ixargs[s], ix[s].dim, ixargs[0], ix[0].dim);
        if (strcmp(ix[s].fingerprint, ix[0].fingerprint) != 0)
            cli_die("%s and %s were built with different models (%s, %s)", ixargs[0], ixargs[s], ix[0].model_name, ix[s].model_name);
        base_key[s] = total;
        total += ix[s].count;
    }
    {   /* shards of one split, each once: rank by input line number, as if merged */
        int shards = nixargs > 1 && ix[0].shard_index >= 0 && (size_t)ix[0].shard_count == nixargs;
        for (s = 0; shards && s < nixargs; s++) {
            size_t u;
            if (ix[s].shard_count != ix[0].shard_count) shards = 0;
            for (u = 0; u < s; u++) if (ix[u].shard_index == ix[s].shard_index) shards = 0;
        }
        for (s = 0; s < nixargs; s++) if (shards) base_key[s] = 0;
        if (bml_model_load(&md, &m) != BML_OK) cli_die("%s", bml_last_error());
        H = (int)cli_common_prompt_dims(&c, m, &bd);
        normalize = !bml_model_config(m)->normalize;
        if (H != ix[0].dim && c.dimensions)
            cli_die("--dimensions %d: the index %s holds dim %d (it was built with --dimensions %d)", H, ixargs[0], ix[0].dim,
                    ix[0].dim);
        if (H != ix[0].dim && ix[0].dim < bml_model_config(m)->dim)
            cli_die("the model %s has embedding size %d but the index %s holds dim %d: built with --dimensions %d, "
                    "search with --dimensions %d (else it was built with another model)",
                    model, H, ixargs[0], ix[0].dim, ix[0].dim, ix[0].dim);
        if (H != ix[0].dim) cli_die("the model %s has embedding size %d but the index %s holds dim %d", model, H, ixargs[0], ix[0].dim);
        cli_model_fingerprint(model, fp);
        if (strcmp(fp, ix[0].fingerprint) != 0)
            fprintf(stderr, "batchml search: warning: the index was built with model '%s' (%s), not %s: scores may mean nothing\n",
                    ix[0].model_name, ix[0].model, model);
        /* the queries */
        if (nqargs) {
            nq = nqargs;
            queries = (char **)qargs;
            qlen = calloc(nq, sizeof *qlen);
            if (!qlen) cli_die("out of memory");
            for (qi = 0; qi < nq; qi++) qlen[qi] = strlen(queries[qi]);
        } else {
            cli_lines in;
            char *line;
            size_t len;
            memset(&in, 0, sizeof in);
            if (bqfile && strcmp(bqfile, "-") != 0 && !(in.f = fopen(bqfile, "rb")))
                cli_die("cannot open %s: %s", bqfile, strerror(errno));
            if (in.f) cli_note_input_fd(fileno(in.f), bqfile);
            if (!in.f && isatty(0)) cli_die("no query: give QUERY, --batch-query FILE, or queries on stdin (see --help)");
            while (cli_next_line(&in, &line, &len)) {
                if (nq == qcap) {
                    qcap = qcap ? 2 * qcap : 64;
                    queries = realloc(queries, qcap * sizeof *queries);
                    qlen = realloc(qlen, qcap * sizeof *qlen);
                    if (!queries || !qlen) cli_die("out of memory");
                }
                if (len && line[len - 1] == '\r') len--;
                if (!(queries[nq] = malloc(len + 1))) cli_die("out of memory");
                memcpy(queries[nq], line, len + 1);
                queries[nq][len] = 0;
                qlen[nq++] = len;
            }
            if (in.f && in.f != stdin) fclose(in.f);
            cli_lines_free(&in);
            if (!nq) cli_die("no query: %s is empty (see --help)", bqfile && strcmp(bqfile, "-") != 0 ? bqfile : "stdin");
        }
        if (k > total && total) k = total; /* no more results than rows: smaller heaps */
        cli_note_model_inputs(model);
        out = cli_open_out(outpath);
        cli_progress_start(&pr, progress, nq, "queries");
        nthreads = threads ? threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
        if (nthreads < 1) nthreads = 1;
        if ((size_t)nthreads > total / 256 + 1) nthreads = (int)(total / 256 + 1);
        while (done < nq) { /* chunks of queries: one batched embedding pass, one sweep each */
            size_t qc = ((size_t)4 << 20) / (k * (size_t)nthreads); /* heaps: 4M hits per chunk */
            size_t n, r;
            bml_item *items;
            float *qe;
            double *q;
            int *qok;
            bml_result res;
            sweep *sw;
            pthread_t *tid;
            hit *best;
            if (qc < 1) qc = 1;
            if (qc > 1024) qc = 1024;
            n = nq - done < qc ? nq - done : qc;
            items = calloc(n, sizeof *items);
            qe = calloc(n * (size_t)H, sizeof *qe);
            q = calloc(n * (size_t)H, sizeof *q);
            qok = calloc(n, sizeof *qok);
            sw = calloc((size_t)nthreads, sizeof *sw);
            tid = calloc((size_t)nthreads, sizeof *tid);
            best = calloc(k, sizeof *best);
            if (!items || !qe || !q || !qok || !sw || !tid || !best) cli_die("out of memory");
            memset(&res, 0, sizeof res);
            for (qi = 0; qi < n; qi++) {
                items[qi].id = done + qi + 1;
                items[qi].text = queries[done + qi];
                items[qi].len = (ptrdiff_t)qlen[done + qi];
            }
            if (bml_embed_batch(m, items, n, &bd, qe, &res) != BML_OK) cli_die("%s", bml_last_error());
            for (qi = 0; qi < n; qi++) {
                int j;
                if (res.responses[qi].status != BML_OK) {
                    fprintf(stderr, "batchml search: query %zu: %s\n", done + qi + 1, res.responses[qi].error);
                    nbad++;
                    continue;
                }
                qok[qi] = 1;
                if (normalize) cli_normalize(qe + qi * H, H);
                for (j = 0; j < H; j++) q[qi * H + j] = qe[qi * H + j];
            }
            for (t = 0; t < nthreads; t++) {
                sw[t].ix = ix;
                sw[t].nix = nixargs;
                sw[t].base_key = base_key;
                sw[t].shards = shards;
                sw[t].q = q;
                sw[t].qok = qok;
                sw[t].nq = n;
                sw[t].k = k;
                sw[t].H = H;
                sw[t].lo = total * (size_t)t / (size_t)nthreads;
                sw[t].hi = total * (size_t)(t + 1) / (size_t)nthreads;
                sw[t].heaps = calloc(n * k, sizeof(hit));
                sw[t].fill = calloc(n, sizeof(size_t));
                if (!sw[t].heaps || !sw[t].fill) cli_die("out of memory (-k %zu is large)", k);
                if (t && pthread_create(&tid[t], NULL, sweep_run, &sw[t]) != 0) cli_die("cannot start a thread");
            }
            sweep_run(&sw[0]);
            for (t = 1; t < nthreads; t++) pthread_join(tid[t], NULL);
            for (qi = 0; qi < n; qi++) {
                size_t nb = 0;
                if (!qok[qi]) continue;
                for (t = 0; t < nthreads; t++)
                    for (r = 0; r < sw[t].fill[qi]; r++) heap_push(best, &nb, k, &sw[t].heaps[qi * k + r]);
                qsort(best, nb, sizeof *best, cmp_rank);
                if (jsonl) {
                    fprintf(out, "{\"query_no\":%zu,\"query\":", done + qi + 1);
                    cli_json_str(out, queries[done + qi], qlen[done + qi]);
                    fputs(",\"results\":[", out);
                }
                for (r = 0; r < nb; r++) {
                    const cli_index *x = &ix[best[r].seg];
                    if (!isfinite(best[r].score))
                        cli_die("%s.npy row %zu is not finite (NaN or Inf): a damaged index; rebuild it", x->base,
                                best[r].row + 1);
                    size_t il, tl;
                    const char *id = cli_index_id(x, best[r].row, &il), *text = cli_index_text(x, best[r].row, &tl);
                    if (jsonl) {
                        fprintf(out, "%s{\"rank\":%zu,\"id\":", r ? "," : "", r + 1);
                        if (x->with_ids || !cli_is_json_uint(id, il)) cli_json_str(out, id, il);
                        else fwrite(id, 1, il, out);
                        fprintf(out, ",\"score\":%.9g,\"text\":", best[r].score);
                        cli_json_str(out, text, tl);
                        fputc('}', out);
                    } else {
                        fwrite(id, 1, il, out);
                        fprintf(out, "\t%.6f\t", best[r].score);
                        print_text_tsv(out, text, tl);
                        fputc('\n', out);
                    }
                }
                if (jsonl) fputs("]}\n", out);
            }
            for (t = 0; t < nthreads; t++) { free(sw[t].heaps); free(sw[t].fill); }
            free(items); free(qe); free(q); free(qok); free(sw); free(tid); free(best);
            bml_result_free(&res);
            done += n;
            cli_progress_update(&pr, done);
            if (ferror(out)) cli_close_out(out); /* the reader went away: stop now, quietly */
        }
    }
    cli_progress_end(&pr, done);
    cli_close_out(out);
    if (!nqargs) { for (qi = 0; qi < nq; qi++) free(queries[qi]); free(queries); }
    free(qlen);
    for (s = 0; s < nixargs; s++) cli_index_close(&ix[s]);
    free(ix); free(base_key); free(ixargs); free(qargs);
    bml_model_free(m);
    return nbad ? 2 : 0;
}

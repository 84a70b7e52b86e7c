/* batchml eval sts: the STS-benchmark score of a model (cosine Spearman x100). */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "compat.h"

static const char *help =
    "usage: batchml eval sts --model DIR --data FILE [--batch-size N] [--threads N]\n"
    "                        [--prompt TEXT | --prompt-name NAME] [--dimensions N]\n"
    "                        [--scores FILE] [--json]\n"
    "\n"
    "Embeds both sentences of every pair of an STS-benchmark file and prints the\n"
    "Spearman rank correlation (x100, ties ranked by their mean rank) of the\n"
    "pairs' cosine similarities with the gold scores, and the Pearson correlation,\n"
    "as sentence-transformers' EmbeddingSimilarityEvaluator and MTEB's STSBenchmark\n"
    "report them. FILE is the benchmark's tab-separated sts-test.csv (genre, file,\n"
    "year, id, score, sentence1, sentence2; further columns are ignored), as the\n"
    "STS wiki distributes it; tests/data/sts/sts-test.csv is a 375-pair sample of\n"
    "its redistributable rows. For sentence-transformers/all-MiniLM-L6-v2 on the\n"
    "whole 1,379-pair test set the published figure is 82.03.\n"
    "--scores FILE: each pair's gold score and cosine, a line each (TSV).\n"
    "example: batchml eval sts --model models/all-MiniLM-L6-v2 --data sts-test.csv\n";

typedef struct { double v; size_t i; } ranked;

static int cmp_ranked(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->v != y->v) return x->v < y->v ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* Ranks 1..n, a tie getting the mean of the ranks it spans (as SciPy's rankdata). */
static void ranks(const double *v, size_t n, double *r) {
    ranked *t = malloc((n ? n : 1) * sizeof *t);
    size_t i, j;
    if (!t) cli_die("out of memory");
    for (i = 0; i < n; i++) { t[i].v = v[i]; t[i].i = i; }
    qsort(t, n, sizeof *t, cmp_ranked);
    for (i = 0; i < n; i = j) {
        for (j = i + 1; j < n && t[j].v == t[i].v; j++) {}
        for (size_t k = i; k < j; k++) r[t[k].i] = (double)(i + j + 1) / 2.0;
    }
    free(t);
}

static double pearson(const double *a, const double *b, size_t n) {
    double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
    size_t i;
    for (i = 0; i < n; i++) { ma += a[i]; mb += b[i]; }
    ma /= (double)n;
    mb /= (double)n;
    for (i = 0; i < n; i++) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : NAN;
}

/* Field k (0-based) of a tab-separated line, or NULL; *len its length. */
static const char *field(const char *line, size_t len, int k, size_t *flen) {
    size_t i = 0, start = 0;
    int f = 0;
    for (i = 0; i <= len; i++)
        if (i == len || line[i] == '\t') {
            if (f == k) { *flen = i - start; return line + start; }
            f++;
            start = i + 1;
        }
    return NULL;
}

int cmd_eval(int argc, char **argv) {
    const char *data = NULL, *scores_path = NULL;
    cli_common c;
    cli_lines in;
    bml_model_desc md;
    bml_batch_desc bd;
    bml_model *m;
    bml_item *items = NULL;
    char **texts = NULL;
    double *gold = NULL, *cosv = NULL, *rg, *rc, sp, pe;
    float *emb;
    size_t n = 0, cap = 0, i, H, fails = 0;
    char *line;
    size_t len;
    int a;
    FILE *f;
    bml_result res;
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) { fputs(help, argc < 2 ? stderr : stdout); return argc < 2 ? 2 : 0; }
    if (strcmp(argv[1], "sts") != 0) cli_die("unknown evaluation '%s': the one there is is sts (see --help)", argv[1]);
    cli_common_init(&c, CLI_O_MODEL | CLI_O_BATCH_SIZE | CLI_O_THREADS | CLI_O_JSON | CLI_O_PROMPT | CLI_O_DIMENSIONS |
                        CLI_O_DETERMINISTIC, NULL);
    for (a = 2; a < argc; a++) {
        const char *v;
        unsigned got = cli_common_opt(&c, argc, argv, &a);
        if (got == CLI_O_HELP) { fputs(help, stdout); return 0; }
        else if (got) continue;
        else if (cli_opt(argc, argv, &a, "--data", &v)) data = v;
        else if (cli_opt(argc, argv, &a, "--scores", &v)) scores_path = v;
        else cli_die("unknown option '%s' (see --help)", argv[a]);
    }
    if (!c.model) cli_die("--model DIR is required (see --help)");
    if (!data) cli_die("--data FILE is required: the STS benchmark's sts-test.csv (tests/data/sts/sts-test.csv is a sample)");
    /* the pairs */
    memset(&in, 0, sizeof in);
    if (!(in.f = fopen(data, "rb"))) cli_die("cannot open %s: %s", data, strerror(errno));
    cli_note_input_fd(fileno(in.f), data);
    while (cli_next_line(&in, &line, &len)) {
        size_t sl = 0, l1 = 0, l2 = 0, k, nf = 1;
        const char *s, *t1, *t2;
        char num[64], *end;
        double g;
        if (len && line[len - 1] == '\r') len--;
        if (!len) continue;
        s = field(line, len, 4, &sl);
        t1 = field(line, len, 5, &l1);
        t2 = field(line, len, 6, &l2);
        if (!s || !t1 || !t2) {
            for (k = 0; k < len; k++) nf += line[k] == '\t';
            cli_die("%s: line %zu: %zu tab-separated fields, the STS format has 7 (genre, file, year, id, score, "
                    "sentence1, sentence2)", data, in.lineno, nf);
        }
        if (sl == 0 || sl >= sizeof num) cli_die("%s: line %zu: field 5 (score) '%.*s' is not a number", data, in.lineno, (int)(sl < 40 ? sl : 40), s);
        memcpy(num, s, sl);
        num[sl] = 0;
        errno = 0;
        g = strtod(num, &end);
        if (errno || *end || !isfinite(g)) cli_die("%s: line %zu: field 5 (score) '%s' is not a number", data, in.lineno, num);
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            if (!(gold = realloc(gold, cap * sizeof *gold)) || !(texts = realloc(texts, 2 * cap * sizeof *texts)))
                cli_die("out of memory");
        }
        gold[n] = g;
        if (!(texts[2 * n] = malloc(l1 + 1)) || !(texts[2 * n + 1] = malloc(l2 + 1))) cli_die("out of memory");
        memcpy(texts[2 * n], t1, l1);
        texts[2 * n][l1] = 0;
        memcpy(texts[2 * n + 1], t2, l2);
        texts[2 * n + 1][l2] = 0;
        n++;
    }
    fclose(in.f);
    cli_lines_free(&in);
    if (n < 2) cli_die("%s: %zu pairs: a correlation needs at least 2", data, n);
    /* the embeddings */
    cli_common_model_desc(&c, &md);
    cli_common_batch_desc(&c, &bd, NULL);
    if (bml_model_load(&md, &m) != BML_OK) cli_die("%s", bml_last_error());
    H = cli_common_prompt_dims(&c, m, &bd);
    items = calloc(2 * n, sizeof *items);
    emb = malloc(2 * n * H * sizeof *emb);
    cosv = malloc(n * sizeof *cosv);
    rg = malloc(n * sizeof *rg);
    rc = malloc(n * sizeof *rc);
    if (!items || !emb || !cosv || !rg || !rc) cli_die("out of memory");
    for (i = 0; i < 2 * n; i++) {
        items[i].id = i / 2 + 1;
        items[i].text = texts[i];
        items[i].len = -1;
    }
    memset(&res, 0, sizeof res);
    if (bml_embed_batch(m, items, 2 * n, &bd, emb, &res) != BML_OK) cli_die("%s", bml_last_error());
    for (i = 0; i < 2 * n; i++)
        if (res.responses[i].status != BML_OK) {
            fprintf(stderr, "batchml eval: pair %zu, sentence %zu: %s\n", i / 2 + 1, i % 2 + 1, res.responses[i].error);
            fails++;
        }
    if (fails) cli_die("%zu sentences could not be embedded: no score (fix those lines of the data)", fails);
    for (i = 0; i < n; i++) {
        const float *x = emb + 2 * i * H, *y = x + H;
        double xy = 0, xx = 0, yy = 0;
        size_t j;
        for (j = 0; j < H; j++) { xy += (double)x[j] * y[j]; xx += (double)x[j] * x[j]; yy += (double)y[j] * y[j]; }
        cosv[i] = xx > 0 && yy > 0 ? xy / sqrt(xx * yy) : 0;
    }
    ranks(gold, n, rg);
    ranks(cosv, n, rc);
    sp = 100 * pearson(rg, rc, n);
    pe = 100 * pearson(gold, cosv, n);
    if (scores_path) {
        f = cli_open_out(scores_path);
        fprintf(f, "gold\tcosine\n");
        for (i = 0; i < n; i++) fprintf(f, "%.17g\t%.17g\n", gold[i], cosv[i]);
        cli_close_out(f);
    }
    if (c.json) {
        printf("{\"task\":\"sts\",\"data\":");
        cli_json_str(stdout, data, strlen(data));
        printf(",\"pairs\":%zu,\"spearman\":%.17g,\"pearson\":%.17g,\"model\":", n, sp, pe);
        cli_json_str(stdout, c.model, strlen(c.model));
        printf("}\n");
    } else {
        printf("STS %s: %zu pairs, cosine Spearman %.2f, Pearson %.2f (x100; %s)\n", data, n, sp, pe, c.model);
    }
    for (i = 0; i < 2 * n; i++) free(texts[i]);
    free(texts); free(gold); free(cosv); free(rg); free(rc); free(items); free(emb);
    bml_result_free(&res);
    bml_model_free(m);
    return 0;
}

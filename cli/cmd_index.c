/* batchml index: embed a corpus in batches into an index that `search`
   memory-maps (the files: cli/index.c). */
#define _POSIX_C_SOURCE 200809L
#include "index.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "compat.h"

static const char *help =
    "usage: batchml index --model DIR [-o INDEX] [--with-ids] [--shard I/N]\n"
    "                     [--batch-size N] [--threads N] [--deterministic]\n"
    "                     [--on-invalid error|replace] [--progress]\n"
    "                     [--prompt TEXT | --prompt-name NAME] [--dimensions N]\n"
    "\n"
    "Reads texts from stdin, one a line, embeds them in batches and writes an index\n"
    "that `batchml search` memory-maps: INDEX.npy (float32 (N, H), L2-normalized),\n"
    "INDEX.ids, INDEX.texts and INDEX.json (model, dim, count). -o INDEX is a path\n"
    "prefix (default: index). Ids are the input line numbers (1-based), or with\n"
    "--with-ids each line is ID<TAB>TEXT. Empty lines are skipped; a line that fails\n"
    "(invalid UTF-8, a --with-ids line without a tab) is reported as 'line N: ...'\n"
    "and skipped, the rest are indexed, and the exit status is 2. With --progress\n"
    "(or when stderr is a terminal): a progress line, then a summary.\n"
    "--shard I/N indexes only lines L with (L-1) mod N == I (I in 0..N-1) into\n"
    "INDEX (default index.shardI-of-N) and also writes INDEX.lines; `batchml merge`\n"
    "combines shards into the index one process would have written, and `search`\n"
    "also takes several --index shards directly.\n"
    "\n"
    "example: batchml index --model build/minilm -o build/sentences < examples/sentences.txt\n";

/* ---- the verb ----------------------------------------------------------- */

#define CHUNK 1024

int cmd_index(int argc, char **argv) {
    const char *model, *outarg;
    char outbuf[64], name[256], fp[17];
    int with_ids = 0, progress, i, H, normalize;
    cli_common c;
    cli_shard shard;
    bml_model_desc md;
    bml_batch_desc bd;
    bml_model *m;
    cli_lines in;
    cli_index_writer w;
    cli_progress pr;
    bml_result res;
    bml_item *items;
    char **texts, **idv;
    size_t *tcap, *idlen, *lineno, nread = 0, nbad = 0, nempty = 0, k;
    float *emb;
    double t0 = cli_now();
    memset(&in, 0, sizeof in);
    memset(&res, 0, sizeof res);
    cli_common_init(&c, CLI_O_MODEL | CLI_O_OUTPUT | CLI_O_SHARD | CLI_O_BATCH_SIZE | CLI_O_THREADS | CLI_O_ON_INVALID |
                        CLI_O_DETERMINISTIC | CLI_O_PROGRESS | CLI_O_PROMPT | CLI_O_DIMENSIONS,
                    NULL);
    for (i = 1; i < argc; i++) {
        unsigned got = cli_common_opt(&c, argc, argv, &i);
        if (got == CLI_O_HELP) { fputs(help, stdout); return 0; }
        else if (got) continue;
        else if (!strcmp(argv[i], "--with-ids")) with_ids = 1;
        else cli_die("unknown option '%s' (see --help)", argv[i]);
    }
    if (!(model = c.model)) cli_die("--model DIR is required (see --help)");
    outarg = c.output;
    shard = c.shard;
    progress = cli_common_progress(&c);
    if (!outarg) {
        if (shard.count) snprintf(outbuf, sizeof outbuf, "index.shard%lu-of-%lu", shard.index, shard.count);
        else snprintf(outbuf, sizeof outbuf, "index");
        outarg = outbuf;
    }
    cli_common_model_desc(&c, &md);
    cli_common_batch_desc(&c, &bd, NULL);
    if (bml_model_load(&md, &m) != BML_OK) cli_die("%s", bml_last_error());
    H = cli_common_prompt_dims(&c, m, &bd); /* --dimensions N: the index holds N */
    normalize = !bml_model_config(m)->normalize;
    cli_model_fingerprint(model, fp);
    cli_note_model_inputs(model);
    cli_index_writer_open(&w, outarg, H, shard.count ? (int)shard.index : -1, (int)shard.count);
    items = calloc(CHUNK, sizeof *items);
    texts = calloc(CHUNK, sizeof *texts);
    idv = calloc(CHUNK, sizeof *idv);
    tcap = calloc(CHUNK, sizeof *tcap);
    idlen = calloc(CHUNK, sizeof *idlen);
    lineno = calloc(CHUNK, sizeof *lineno);
    emb = malloc((size_t)CHUNK * (size_t)H * sizeof(float));
    if (!items || !texts || !idv || !tcap || !idlen || !lineno || !emb) cli_die("out of memory");
    cli_progress_start(&pr, progress, progress ? cli_count_lines(stdin, &shard) : 0, "texts");
    for (;;) {
        size_t n = 0, len;
        char *line;
        while (n < CHUNK && cli_next_line(&in, &line, &len)) {
            char *text = line, *tab;
            size_t tlen = len, ilen = 0;
            if (!cli_shard_mine(&shard, in.lineno)) continue;
            nread++;
            if (with_ids) {
                tab = memchr(line, '\t', len);
                if (!tab || tab == line) {
                    fprintf(stderr, "batchml index: line %zu: %s\n", in.lineno,
                            tab ? "empty ID before the tab" : "expected ID<TAB>TEXT (--with-ids)");
                    nbad++;
                    continue;
                }
                ilen = (size_t)(tab - line);
                text = tab + 1;
                tlen = len - ilen - 1;
            }
            if (tlen == 0 || (tlen == 1 && text[0] == '\r')) { nempty++; continue; }
            if (len + 1 > tcap[n]) {
                char *nb = realloc(texts[n], len + 1);
                if (!nb) cli_die("out of memory (line %zu is %zu bytes)", in.lineno, len);
                texts[n] = nb;
                tcap[n] = len + 1;
            }
            memcpy(texts[n], line, len + 1);
            if (with_ids) {
                idv[n] = texts[n];
                idlen[n] = ilen;
            } else {
                idv[n] = NULL;
                idlen[n] = 0;
            }
            items[n].id = in.lineno;
            items[n].text = texts[n] + (text - line);
            items[n].len = (ptrdiff_t)tlen;
            lineno[n] = in.lineno;
            n++;
        }
        if (n == 0) break;
        if (bml_embed_batch(m, items, n, &bd, emb, &res) != BML_OK) cli_die("%s", bml_last_error());
        for (k = 0; k < n; k++) {
            char num[32];
            const char *id = idv[k];
            size_t il = idlen[k];
            if (res.responses[k].status != BML_OK) {
                fprintf(stderr, "batchml index: line %zu: %s\n", lineno[k], res.responses[k].error);
                nbad++;
                continue;
            }
            if (normalize) cli_normalize(emb + k * H, H);
            if (!id) { il = (size_t)snprintf(num, sizeof num, "%zu", lineno[k]); id = num; }
            cli_index_writer_add(&w, emb + k * H, id, il, items[k].text, (size_t)items[k].len, lineno[k]);
        }
        cli_progress_update(&pr, nread);
    }
    cli_progress_end(&pr, nread);
    cli_index_writer_close(&w, model, cli_model_name(model, name, sizeof name), fp, with_ids, nbad + nempty);
    if (progress) {
        double el = cli_now() - t0;
        char *base = cli_index_base(outarg);
        fprintf(stderr, "batchml index: %zu texts -> %s.{npy,ids,texts,json} (dim %d%s), %zu skipped, %.2fs, %.0f texts/s\n", w.count,
                base, H, shard.count ? ", shard" : "", nbad + nempty, el, el > 0 ? (double)w.count / el : 0.0);
        free(base);
    }
    for (k = 0; k < CHUNK; k++) free(texts[k]);
    free(items); free(texts); free(idv); free(tcap); free(idlen); free(lineno); free(emb);
    bml_result_free(&res);
    cli_lines_free(&in);
    bml_model_free(m);
    return nbad ? 2 : 0;
}

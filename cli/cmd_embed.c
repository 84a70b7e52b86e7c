#define _POSIX_C_SOURCE 200809L
/* batchml embed: one embedding per input line, in input order. */
#include "cli.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "compat.h"

static const char *help =
    "usage: batchml embed --model DIR [--input text|ids] [--batch-size N|auto] [--threads N]\n"
    "                     [--tuning FILE] [--memory-budget MB]\n"
    "                     [--format jsonl|npy|tsv] [-o FILE] [--deterministic]\n"
    "                     [--on-invalid error|replace] [--progress]\n"
    "                     [--device cpu|opencl|opencl:P:D|auto] [--shard I/N]\n"
    "                     [--prompt TEXT | --prompt-name NAME] [--dimensions N]\n"
    "\n"
    "Reads stdin, one input a line (only '\\n' ends a line), and writes one embedding\n"
    "per input in input order. --input ids: each line is a JSON array of token ids,\n"
    "used as given (no [CLS]/[SEP] added). Formats: jsonl (a JSON array of floats a\n"
    "line, %.9g), npy (NumPy float32 (N, H)), tsv (tab-separated floats a line).\n"
    "A bad line (empty, invalid UTF-8, ids out of range, too long) is reported on\n"
    "stderr as 'line N: ...', gets a row of zeros (null in jsonl), the rest go on,\n"
    "and the exit status is 2.\n"
    "--batch-size auto: each chunk of input gets the batch shape (batch size, token\n"
    "cap, order) of the nearest cell of a `batchml tune` archive (--tuning FILE, or\n"
    "the BATCHML_TUNING environment variable), else the heuristic default; --tuning\n"
    "alone implies auto. --memory-budget MB caps the activation memory auto picks.\n"
    "--shard I/N: only lines L with (L-1) mod N == I (I in 0..N-1), in order; `batchml\n"
    "merge` interleaves the N outputs (given in shard order) back into input order.\n"
    "--device: where to run (default $BATCHML_DEVICE, else cpu; OpenCL needs\n"
    "./batchml-cl, built by `make opencl`).\n"
    "\n"
    "--prompt TEXT / --prompt-name NAME (a prompt of the model's\n"
    "config_sentence_transformers.json, e.g. E5's query / passage): the text put\n"
    "before each input text, as sentence-transformers does; the file's\n"
    "default_prompt_name applies when neither is given, --prompt '' turns it off.\n"
    "--dimensions N: the first N components of each embedding (Matryoshka), scaled\n"
    "back to unit length when the model normalizes. index and search take both.\n"
    "example: printf 'A man plays a guitar.\\nA dog runs.\\n' | batchml embed --model build/minilm\n";

enum { FMT_JSONL, FMT_NPY, FMT_TSV };
static const char *const formats[] = {"jsonl", "npy", "tsv", NULL}; /* in FMT_ order */
#define CHUNK 2048

static void write_row(FILE *out, int fmt, const float *e, int H, int ok) {
    int j;
    if (fmt == FMT_NPY) return;
    if (fmt == FMT_JSONL && !ok) { fputs("null\n", out); return; }
    if (fmt == FMT_JSONL) fputc('[', out);
    for (j = 0; j < H; j++) {
        if (j) fputc(fmt == FMT_JSONL ? ',' : '\t', out);
        fprintf(out, "%.9g", ok ? e[j] : 0.0f);
    }
    fputs(fmt == FMT_JSONL ? "]\n" : "\n", out);
}

int cmd_embed(int argc, char **argv) {
    const char *outpath;
    int fmt, ids_input, progress, i, H;
    cli_common c;
    bml_model_desc md;
    bml_batch_desc bd;
    bml_model *m;
    cli_lines in;
    FILE *out;
    bml_item *items;
    char **texts;
    size_t *tcap, nlines = 0, nbad = 0, k;
    int32_t **idbuf;
    size_t *idcap;
    float *emb, *all = NULL;
    size_t all_n = 0, all_cap = 0;
    long npy_header_len = 0;   /* > 0: streaming the rows (cli_npy_stream_begin) */
    bml_result res;
    cli_progress pr;
    bml_tuning *tuning;
    cli_shard shard;
    memset(&in, 0, sizeof in);
    memset(&res, 0, sizeof res);
    cli_common_init(&c, CLI_O_MODEL | CLI_O_INPUT | CLI_O_BATCH_SIZE | CLI_O_BATCH_AUTO | CLI_O_TUNING | CLI_O_MEMORY_BUDGET |
                        CLI_O_THREADS | CLI_O_FORMAT | CLI_O_OUTPUT | CLI_O_ON_INVALID | CLI_O_DETERMINISTIC | CLI_O_DEVICE |
                        CLI_O_SHARD | CLI_O_PROGRESS | CLI_O_PROMPT | CLI_O_DIMENSIONS,
                    formats);
    for (i = 1; i < argc; i++) {
        unsigned got = cli_common_opt(&c, argc, argv, &i);
        if (got == CLI_O_HELP) { fputs(help, stdout); return 0; }
        else if (!got) cli_die("unknown option '%s' (see --help)", argv[i]);
    }
    if (!c.model) cli_die("--model DIR is required (see --help)");
    fmt = c.format;
    outpath = c.output;
    ids_input = c.ids_input;
    progress = cli_common_progress(&c);
    shard = c.shard;
    cli_common_batch_desc(&c, &bd, &tuning);
    cli_common_model_desc(&c, &md);
    md.no_tokenizer = ids_input;
    if (bml_model_load(&md, &m) != BML_OK) cli_die("%s", bml_last_error());
    H = cli_common_prompt_dims(&c, m, &bd); /* the row width: --dimensions, else the model's */
    cli_note_model_inputs(md.path);
    out = cli_open_out(outpath);
    items = calloc(CHUNK, sizeof *items);
    texts = calloc(CHUNK, sizeof *texts);
    tcap = calloc(CHUNK, sizeof *tcap);
    idbuf = calloc(CHUNK, sizeof *idbuf);
    idcap = calloc(CHUNK, sizeof *idcap);
    emb = malloc((size_t)CHUNK * (size_t)H * sizeof(float));
    if (!items || !texts || !tcap || !idbuf || !idcap || !emb) cli_die("out of memory");
    if (fmt == FMT_NPY) npy_header_len = cli_npy_stream_begin(out, H); /* same bytes as holding the rows */
    cli_progress_start(&pr, progress, progress ? cli_count_lines(stdin, &shard) : 0, "lines");
    for (;;) {
        size_t n = 0;
        char *line;
        size_t len;
        static char perr[CHUNK][160];
        int bad[CHUNK];
        while (n < CHUNK && cli_next_line(&in, &line, &len)) {
            if (!cli_shard_mine(&shard, in.lineno)) continue;
            items[n].id = in.lineno;
            bad[n] = 0;
            if (ids_input) {
                size_t nid = 0;
                if (cli_parse_ids(line, len, &idbuf[n], &idcap[n], &nid, perr[n], sizeof perr[n])) {
                    bad[n] = 1;
                    items[n].ids = NULL;
                    items[n].text = NULL;
                } else {
                    items[n].ids = idbuf[n] ? idbuf[n] : (int32_t *)perr[n]; /* non-NULL even when empty */
                    items[n].n_ids = nid;
                }
            } else {
                if (len + 1 > tcap[n]) {
                    char *nb = realloc(texts[n], len + 1);
                    if (!nb) cli_die("out of memory (line %zu is %zu bytes)", in.lineno, len);
                    texts[n] = nb;
                    tcap[n] = len + 1;
                }
                memcpy(texts[n], line, len + 1);
                items[n].text = texts[n];
                items[n].len = (ptrdiff_t)len;
            }
            n++;
        }
        if (n == 0) break;
        if (bml_embed_batch(m, items, n, &bd, emb, &res) != BML_OK) cli_die("%s", bml_last_error());
        for (k = 0; k < n; k++) {
            int ok = !bad[k] && res.responses[k].status == BML_OK;
            if (!ok) {
                nbad++;
                fprintf(stderr, "batchml embed: line %llu: %s\n", (unsigned long long)items[k].id,
                        bad[k] ? perr[k] : res.responses[k].error);
                memset(emb + k * H, 0, (size_t)H * sizeof(float));
            }
            write_row(out, fmt, emb + k * H, H, ok);
        }
        if (npy_header_len) {
            if (fwrite(emb, sizeof(float), n * (size_t)H, out) != n * (size_t)H) cli_die("write error: %s", strerror(errno));
            all_n += n;
        } else if (fmt == FMT_NPY) {
            if (all_n + n > all_cap) {
                size_t nc = all_cap ? all_cap * 2 : 4096;
                float *na;
                while (nc < all_n + n) nc *= 2;
                na = realloc(all, nc * (size_t)H * sizeof(float));
                if (!na) cli_die("out of memory holding %zu embeddings for .npy", all_n + n);
                all = na;
                all_cap = nc;
            }
            memcpy(all + all_n * H, emb, n * (size_t)H * sizeof(float));
            all_n += n;
        }
        nlines += n;
        cli_progress_update(&pr, nlines);
    }
    if (npy_header_len) {
        cli_npy_stream_end(out, npy_header_len, all_n, H, outpath ? outpath : "the output");
    } else if (fmt == FMT_NPY) {
        cli_write_npy_header(out, all_n, H);
        if (all_n) fwrite(all, sizeof(float), all_n * (size_t)H, out);
    }
    cli_progress_end(&pr, nlines);
    cli_close_out(out);
    for (k = 0; k < CHUNK; k++) { free(texts[k]); free(idbuf[k]); }
    free(items); free(texts); free(tcap); free(idbuf); free(idcap); free(emb); free(all);
    bml_result_free(&res);
    cli_lines_free(&in);
    bml_model_free(m);
    bml_tuning_free(tuning);
    return nbad ? 2 : 0;
}

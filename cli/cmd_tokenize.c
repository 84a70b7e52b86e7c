/* batchml tokenize: WordPiece-tokenize lines of text into JSON lines, or
   (--decode) turn JSON id arrays back into text. */
#include "cli.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "compat.h"

static const char *help =
    "usage: batchml tokenize --model DIR [--max-len N] [--on-invalid error|replace]\n"
    "                        [--threads N] [-o FILE] [--progress]\n"
    "       batchml tokenize --model DIR --decode [-o FILE]\n"
    "\n"
    "Reads stdin, one text a line (only '\\n' ends a line; a '\\r' before it is part\n"
    "of the text), and writes one JSON object a line:\n"
    "  {\"ids\":[101,...,102],\"tokens\":[\"[CLS]\",...],\"offsets\":[[0,0],[0,5],...]}\n"
    "with byte offsets into the line ([CLS]/[SEP]: [0,0]). The tokenizer is the\n"
    "model's tokenizer.json (or vocab.txt + tokenizer_config.json), identical to\n"
    "Hugging Face tokenizers. --max-len: truncation length with the special tokens\n"
    "(default: sentence_bert_config.json max_seq_length, else 256; 0 = none).\n"
    "Invalid UTF-8 stops with 'line N: invalid UTF-8 at byte M' and exit status 1,\n"
    "unless --on-invalid replace (each bad sequence becomes U+FFFD).\n"
    "--decode: each line is a JSON array of ids (or an object with \"ids\"); writes\n"
    "the text the way HF's WordPiece decoder does (special tokens skipped).\n"
    "\n"
    "example: echo 'Hello, world!' | batchml tokenize --model build/minilm\n";

#define LINES_PER_BATCH 4096
#define BYTES_PER_BATCH ((size_t)8 << 20)

typedef struct obuf { char *p; size_t n, cap; } obuf;

static void ob_reserve(obuf *b, size_t extra) {
    if (b->n + extra > b->cap) {
        size_t nc = b->cap ? b->cap : 65536;
        char *np;
        while (nc < b->n + extra) nc *= 2;
        np = realloc(b->p, nc);
        if (!np) cli_die("out of memory");
        b->p = np;
        b->cap = nc;
    }
}

static void ob_put(obuf *b, const char *s, size_t n) {
    ob_reserve(b, n);
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static void ob_u(obuf *b, unsigned long long v) {
    char tmp[24];
    int k = 0;
    ob_reserve(b, 24);
    do { tmp[k++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (k) b->p[b->n++] = tmp[--k];
}

static void ob_i(obuf *b, long long v) {
    if (v < 0) { ob_put(b, "-", 1); ob_u(b, (unsigned long long)(-(v + 1)) + 1); }
    else ob_u(b, (unsigned long long)v);
}

/* A JSON string (bml_json_escape). */
static void ob_jstr(obuf *b, const char *s) {
    size_t n = strlen(s), len = bml_json_escape(s, n, NULL, 0);
    ob_reserve(b, len + 1);
    b->n += bml_json_escape(s, n, b->p + b->n, len + 1);
}

static void write_encoding(obuf *b, const bml_tokenizer *tok, const bml_encoding *e) {
    size_t k;
    ob_put(b, "{\"ids\":[", 8);
    for (k = 0; k < e->n; k++) {
        if (k) ob_put(b, ",", 1);
        ob_i(b, e->ids[k]);
    }
    ob_put(b, "],\"tokens\":[", 12);
    for (k = 0; k < e->n; k++) {
        const char *s = bml_tokenizer_id_to_token(tok, e->ids[k]);
        if (k) ob_put(b, ",", 1);
        ob_jstr(b, s ? s : "");
    }
    ob_put(b, "],\"offsets\":[", 13);
    for (k = 0; k < e->n; k++) {
        if (k) ob_put(b, ",", 1);
        ob_put(b, "[", 1);
        ob_u(b, e->offsets[2 * k]);
        ob_put(b, ",", 1);
        ob_u(b, e->offsets[2 * k + 1]);
        ob_put(b, "]", 1);
    }
    ob_put(b, "]}\n", 3);
}

static int run_decode(const bml_tokenizer *tok, FILE *out) {
    cli_lines in;
    int32_t *ids = NULL;
    size_t cap = 0;
    char *line;
    size_t len;
    memset(&in, 0, sizeof in);
    while (cli_next_line(&in, &line, &len)) {
        bml_json_doc *doc;
        const bml_json *r;
        size_t i;
        char *text;
        size_t tl;
        if (bml_json_parse(line, len, "input", &doc) != BML_OK) cli_die("line %zu: %s", in.lineno, bml_last_error());
        r = bml_json_root(doc);
        if (r->type == BML_JSON_OBJECT) r = bml_json_get(r, "ids");
        if (!r || r->type != BML_JSON_ARRAY) cli_die("line %zu: expected a JSON array of token ids", in.lineno);
        if (r->len > cap) {
            int32_t *nb = realloc(ids, r->len * sizeof *ids);
            if (!nb) cli_die("out of memory");
            ids = nb;
            cap = r->len;
        }
        for (i = 0; i < r->len; i++) {
            long long v;
            if (!bml_json_int(&r->kids[i], INT32_MIN, INT32_MAX, &v)) {
                free(ids); /* dead after this: LeakSanitizer would call it lost */
                bml_json_free(doc);
                cli_die("line %zu: element %zu is not an integer token id", in.lineno, i);
            }
            ids[i] = (int32_t)v;
        }
        if (bml_detokenize(tok, ids, r->len, &text, &tl) != BML_OK) cli_die("line %zu: %s", in.lineno, bml_last_error());
        bml_json_free(doc);
        fwrite(text, 1, tl, out);
        fputc('\n', out);
        bml_free(text);
    }
    cli_lines_free(&in);
    free(ids);
    return 0;
}

int cmd_tokenize(int argc, char **argv) {
    const char *model, *outpath, *v;
    int i, decode = 0, threads, progress;
    long max_len = -2;
    bml_utf8_policy policy;
    cli_common c;
    bml_tokenizer_desc d;
    bml_tokenizer *tok;
    FILE *out;
    cli_lines in;
    char *buf = NULL;               /* the batch's lines, back to back */
    size_t bcap = 0;
    size_t *start, *len;
    const char **texts;
    bml_encoding *encs;
    bml_status *st;
    obuf ob;
    size_t base_line = 0;
    cli_progress pr;
    memset(&d, 0, sizeof d);
    memset(&in, 0, sizeof in);
    memset(&ob, 0, sizeof ob);
    /* --model: a directory, or a tokenizer.json / vocab.txt file */
    cli_common_init(&c, CLI_O_MODEL | CLI_O_THREADS | CLI_O_OUTPUT | CLI_O_ON_INVALID | CLI_O_PROGRESS, NULL);
    for (i = 1; i < argc; i++) {
        unsigned got = cli_common_opt(&c, argc, argv, &i);
        if (got == CLI_O_HELP) { fputs(help, stdout); return 0; }
        else if (got) continue;
        else if (cli_opt(argc, argv, &i, "--max-len", &v)) max_len = cli_parse_long("--max-len", v, 0, 1000000000L);
        else if (!strcmp(argv[i], "--decode")) decode = 1;
        else cli_die("unknown option '%s' (see --help)", argv[i]);
    }
    if (!(model = c.model)) cli_die("--model DIR is required (see --help)");
    outpath = c.output;
    threads = c.threads ? c.threads : 1; /* tokenizing is fast: one thread unless asked */
    policy = c.utf8;
    progress = cli_common_progress(&c);
    {
        size_t ml = strlen(model);
        if ((ml >= 5 && !strcmp(model + ml - 5, ".json")) || (ml >= 4 && !strcmp(model + ml - 4, ".txt"))) d.file = model;
        else d.dir = model;
    }
    d.max_len = max_len == -2 ? 0 : max_len == 0 ? -1 : (int)max_len;
    if (bml_tokenizer_load(&d, &tok) != BML_OK) cli_die("%s", bml_last_error());
    if (d.dir) cli_note_model_inputs(d.dir);
    else cli_note_input_fd(-1, d.file);
    out = cli_open_out(outpath);
    if (decode) {
        run_decode(tok, out);
        bml_tokenizer_free(tok);
        cli_close_out(out);
        return 0;
    }
    start = calloc(LINES_PER_BATCH, sizeof *start);
    len = calloc(LINES_PER_BATCH, sizeof *len);
    texts = calloc(LINES_PER_BATCH, sizeof *texts);
    encs = calloc(LINES_PER_BATCH, sizeof *encs);
    st = calloc(LINES_PER_BATCH, sizeof *st);
    if (!start || !len || !texts || !encs || !st) cli_die("out of memory");
    {
        cli_shard all = {0, 0};
        cli_progress_start(&pr, progress, progress ? cli_count_lines(stdin, &all) : 0, "lines");
    }
    for (;;) {
        size_t n = 0, used = 0, k;
        char *line;
        size_t l;
        while (n < LINES_PER_BATCH && used < BYTES_PER_BATCH && cli_next_line(&in, &line, &l)) {
            if (used + l + 1 > bcap) {
                size_t nc = bcap ? bcap : 1 << 20;
                char *nb;
                while (nc < used + l + 1) nc *= 2;
                nb = realloc(buf, nc);
                if (!nb) cli_die("out of memory (line %zu is %zu bytes)", in.lineno, l);
                buf = nb;
                bcap = nc;
            }
            memcpy(buf + used, line, l);
            buf[used + l] = 0;
            start[n] = used;
            len[n] = l;
            used += l + 1;
            n++;
        }
        if (n == 0) break;
        for (k = 0; k < n; k++) texts[k] = buf + start[k];
        if (bml_tokenize_batch(tok, texts, len, n, policy, threads, encs, st) != BML_OK) cli_die("%s", bml_last_error());
        ob.n = 0;
        for (k = 0; k < n; k++) {
            if (st[k] != BML_OK) {
                fwrite(ob.p, 1, ob.n, out);
                fflush(out);
                if (st[k] == BML_ERR_INVALID_UTF8)
                    cli_die("line %zu: invalid UTF-8 at byte %zu", base_line + k + 1, encs[k].bad_offset);
                cli_die("line %zu: %s", base_line + k + 1, bml_status_name(st[k]));
            }
            write_encoding(&ob, tok, &encs[k]);
        }
        fwrite(ob.p, 1, ob.n, out);
        base_line += n;
        cli_progress_update(&pr, base_line);
    }
    cli_progress_end(&pr, base_line);
    for (i = 0; i < LINES_PER_BATCH; i++) bml_encoding_free(&encs[i]);
    free(start); free(len); free(texts); free(encs); free(st); free(buf); free(ob.p);
    cli_lines_free(&in);
    bml_tokenizer_free(tok);
    cli_close_out(out);
    return 0;
}

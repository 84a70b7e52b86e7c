/* batchml bench: a quick throughput measurement on your own corpus. (The
   side-by-side comparison with ONNX Runtime and PyTorch is `make bench`.) */
#define _POSIX_C_SOURCE 200809L
#include "index.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "compat.h"

static const char *help =
    "usage: batchml bench --model DIR [FILE] [--input text|ids] [--batch-size N]\n"
    "                     [--threads N] [--repeat R] [--single N] [--deterministic]\n"
    "                     [--json] [--progress]\n"
    "\n"
    "Reads a corpus (FILE, else stdin), one item a line (empty lines skipped), then:\n"
    "one warm-up call, R timed passes (default 3) over the corpus in calls of\n"
    "--batch-size items (default 32), and N items (default 32, spread over the\n"
    "corpus) embedded one at a time by bml_embed_batch's measure_single. Prints the\n"
    "median pass: items/s, tokens/s (with [CLS]/[SEP]), latency p50/p95 of one call\n"
    "of N items, and speedup_vs_single (one-at-a-time time per item over batched).\n"
    "--json: one JSON object instead.\n"
    "\n"
    "example: batchml bench --model build/minilm --batch-size 32 examples/sentences.txt\n";

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *sorted, size_t n, double p) {
    double at = p * (double)(n - 1);
    size_t i = (size_t)at;
    if (!n) return 0;
    if (i + 1 >= n) return sorted[n - 1];
    return sorted[i] + (at - (double)i) * (sorted[i + 1] - sorted[i]);
}

int cmd_bench(int argc, char **argv) {
    const char *model, *file = NULL, *v;
    int ids_input, json, progress, i, H, threads;
    cli_common c;
    size_t repeat = 3, nsingle = 32, count = 0, cap = 0, k, p, tokens = 0, failed = 0, ncalls = 0, ci, done = 0;
    bml_model_desc md;
    bml_batch_desc bd;
    bml_model *m;
    bml_item *items = NULL;
    int32_t **idbuf = NULL;
    cli_lines in;
    bml_result res;
    cli_progress pr;
    float *out;
    double *pass_s, *call_s, single_ns = 0, med, speedup;
    memset(&in, 0, sizeof in);
    memset(&res, 0, sizeof res);
    cli_common_init(&c, CLI_O_MODEL | CLI_O_INPUT | CLI_O_BATCH_SIZE | CLI_O_THREADS | CLI_O_DETERMINISTIC | CLI_O_JSON |
                        CLI_O_PROGRESS,
                    NULL);
    for (i = 1; i < argc; i++) {
        unsigned got = cli_common_opt(&c, argc, argv, &i);
        if (got == CLI_O_HELP) { fputs(help, stdout); return 0; }
        else if (got) continue;
        else if (cli_opt(argc, argv, &i, "--repeat", &v)) repeat = (size_t)cli_parse_long("--repeat", v, 1, 1000);
        else if (cli_opt(argc, argv, &i, "--single", &v)) nsingle = (size_t)cli_parse_long("--single", v, 0, 100000);
        else if (argv[i][0] == '-' && argv[i][1]) cli_die("unknown option '%s' (see --help)", argv[i]);
        else if (!file) file = argv[i];
        else cli_die("unexpected argument '%s'", argv[i]);
    }
    if (!(model = c.model)) cli_die("--model DIR is required (see --help)");
    ids_input = c.ids_input;
    json = c.json;
    threads = c.threads;
    progress = cli_common_progress(&c);
    cli_common_model_desc(&c, &md);
    cli_common_batch_desc(&c, &bd, NULL);
    if (!bd.batch_size) bd.batch_size = 32; /* the default here, written out: calls are of this many items */
    md.no_tokenizer = ids_input;
    if (bml_model_load(&md, &m) != BML_OK) cli_die("%s", bml_last_error());
    H = bml_model_config(m)->dim;
    if (file && strcmp(file, "-") != 0 && !(in.f = fopen(file, "rb"))) cli_die("cannot open %s: %s", file, strerror(errno));
    if (in.f) cli_note_input_fd(fileno(in.f), file);
    {   /* the corpus, with its token count */
        char *line, err[160];
        size_t len;
        bml_encoding enc;
        memset(&enc, 0, sizeof enc);
        while (cli_next_line(&in, &line, &len)) {
            if (!len) continue;
            if (count == cap) {
                cap = cap ? 2 * cap : 1024;
                items = realloc(items, cap * sizeof *items);
                idbuf = realloc(idbuf, cap * sizeof *idbuf);
                if (!items || !idbuf) cli_die("out of memory");
            }
            memset(&items[count], 0, sizeof items[count]);
            items[count].id = in.lineno;
            idbuf[count] = NULL;
            if (ids_input) {
                size_t icap = 0, n = 0;
                if (cli_parse_ids(line, len, &idbuf[count], &icap, &n, err, sizeof err))
                    cli_die("line %zu: %s", in.lineno, err);
                items[count].ids = idbuf[count];
                items[count].n_ids = n;
                tokens += n;
            } else {
                char *t = malloc(len + 1);
                if (!t) cli_die("out of memory");
                memcpy(t, line, len + 1);
                items[count].text = t;
                items[count].len = (ptrdiff_t)len;
                if (bml_tokenize(bml_model_tokenizer(m), t, (ptrdiff_t)len, BML_UTF8_ERROR, &enc) == BML_OK) tokens += enc.n;
            }
            count++;
        }
        bml_encoding_free(&enc);
        if (in.f && in.f != stdin) fclose(in.f);
        cli_lines_free(&in);
    }
    if (!count) cli_die("the corpus is empty: give lines on stdin or a FILE");
    out = malloc(count * (size_t)H * sizeof(float));
    ncalls = (count + bd.batch_size - 1) / bd.batch_size;
    pass_s = calloc(repeat, sizeof *pass_s);
    call_s = calloc(repeat * ncalls, sizeof *call_s);
    if (!out || !pass_s || !call_s) cli_die("out of memory");
    /* warm-up: one call (allocates the arena, faults in the weights) */
    if (bml_embed_batch(m, items, count < bd.batch_size ? count : bd.batch_size, &bd, out, &res) != BML_OK)
        cli_die("%s", bml_last_error());
    cli_progress_start(&pr, progress, repeat * count, "items");
    for (p = 0; p < repeat; p++) {
        double t0 = cli_now();
        for (ci = 0; ci < ncalls; ci++) {
            size_t a = ci * bd.batch_size, n = count - a < bd.batch_size ? count - a : bd.batch_size;
            double c0 = cli_now();
            if (bml_embed_batch(m, items + a, n, &bd, out + a * H, &res) != BML_OK) cli_die("%s", bml_last_error());
            call_s[p * ncalls + ci] = cli_now() - c0;
            if (p == 0) failed += n - bml_result_success_count(&res);
            done += n;
            cli_progress_update(&pr, done);
        }
        pass_s[p] = cli_now() - t0;
    }
    cli_progress_end(&pr, done);
    if (nsingle) { /* measure_single: a sample spread over the corpus, one at a time, then batched */
        size_t ns = nsingle < count ? nsingle : count;
        bml_item *sample = malloc(ns * sizeof *sample);
        bml_batch_desc sd = bd;
        if (!sample) cli_die("out of memory");
        for (k = 0; k < ns; k++) sample[k] = items[k * count / ns];
        sd.measure_single = (int)ns;
        if (bml_embed_batch(m, sample, ns, &sd, out, &res) != BML_OK) cli_die("%s", bml_last_error());
        single_ns = res.stats.single_item_ns;
        free(sample);
    }
    qsort(pass_s, repeat, sizeof *pass_s, cmp_double);
    qsort(call_s, repeat * ncalls, sizeof *call_s, cmp_double);
    med = pass_s[repeat / 2];
    speedup = single_ns > 0 && med > 0 ? single_ns * 1e-9 / (med / (double)count) : 0;
    if (!threads) threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (json) {
        printf("{\"model\":");
        cli_json_str(stdout, model, strlen(model));
        printf(",\"hidden\":%d,\"layers\":%d,\"threads\":%d,\"batch_size\":%zu,\"deterministic\":%s,\"blas\":", H,
               bml_model_config(m)->layers, threads, bd.batch_size, md.deterministic ? "true" : "false");
        cli_json_str(stdout, bml_blas_info(), strlen(bml_blas_info()));
        printf(",\"items\":%zu,\"failed\":%zu,\"tokens\":%zu,\"repeat\":%zu,\"seconds\":%.6f,\"items_per_s\":%.3f,"
               "\"tokens_per_s\":%.3f,\"p50_ms\":%.4f,\"p95_ms\":%.4f,\"single_ms\":%.4f,\"speedup_vs_single\":%.3f}\n",
               count, failed, tokens, repeat, med, (double)count / med, (double)tokens / med, 1e3 * pct(call_s, repeat * ncalls, 0.5),
               1e3 * pct(call_s, repeat * ncalls, 0.95), single_ns * 1e-6, speedup);
    } else {
        printf("model        %s (%d layers, hidden %d), %d threads%s\n", model, bml_model_config(m)->layers, H, threads,
               md.deterministic ? ", deterministic" : "");
        printf("BLAS         %s\n", bml_blas_info());
        printf("corpus       %zu items, %zu tokens (mean %.1f), %zu failed\n", count, tokens, (double)tokens / (double)count, failed);
        printf("batch size   %zu, median of %zu passes: %.3f s\n", bd.batch_size, repeat, med);
        printf("throughput   %.1f items/s, %.0f tokens/s\n", (double)count / med, (double)tokens / med);
        printf("latency      p50 %.2f ms, p95 %.2f ms per call of up to %zu items\n", 1e3 * pct(call_s, repeat * ncalls, 0.5),
               1e3 * pct(call_s, repeat * ncalls, 0.95), bd.batch_size);
        if (single_ns > 0)
            printf("single       %.2f ms/item one at a time (%zu items): speedup_vs_single %.2fx\n", single_ns * 1e-6,
                   nsingle < count ? nsingle : count, speedup);
    }
    cli_close_out(stdout);
    for (k = 0; k < count; k++) { free((char *)items[k].text); free(idbuf[k]); }
    free(items); free(idbuf); free(out); free(pass_s); free(call_s);
    bml_result_free(&res);
    bml_model_free(m);
    return 0;
}

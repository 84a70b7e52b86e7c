/* batchml tune: MAP-Elites batch-size search (archive + results JSON), and
   what `--batch-size auto` would pick for an input (--explain). */
#include "cli.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "compat.h"

static const char *help =
    "usage: batchml tune --model DIR [--generations N] [--test-size N] [--save-every N]\n"
    "                    [--archive FILE] [--results FILE] [--seed N] [--verbose 0|1|2]\n"
    "                    [--memory-budget MB] [--offspring N] [--repeats N] [--threads N]\n"
    "                    [--max-mean-len N] [--max-items N] [--fresh] [--no-guard]\n"
    "                    [--fitness time|cost] [--progress]\n"
    "       batchml tune --model DIR [--archive FILE] --explain [--input ids|text]\n"
    "                    [--memory-budget MB] < input\n"
    "       batchml tune --archive FILE --show\n"
    "\n"
    "Searches batch shapes (batch size, max tokens per pass, sorted or input order,\n"
    "thread count) for input profiles (mean length x length spread x item count),\n"
    "MAP-Elites style, starting from the heuristic default, and keeps per profile\n"
    "cell a front of fastest-for-its-memory configurations. `embed --batch-size auto`\n"
    "(with --tuning FILE or BATCHML_TUNING) then picks the cell nearest its input.\n"
    "\n"
    "  --archive FILE     the archive (default tuning-archive.json); resumed from when\n"
    "                     it exists: --generations N adds N generations (--fresh: start\n"
    "                     over). A corrupt or foreign file is an error, never replaced.\n"
    "  --results FILE     the run's log and per-cell summary (default tuning-results.json;\n"
    "                     '-' none)\n"
    "  --generations N    generations to add (default 10); --offspring N children each (8)\n"
    "  --test-size N      most items one evaluation embeds (default 256)\n"
    "  --save-every N     write archive and results every N generations (default 1)\n"
    "  --seed N           search decisions and generated inputs (default: the\n"
    "                     archive's, else 1); the same seed makes the same draws\n"
    "  --verbose 0|1|2    0 quiet, 1 a line per generation (default), 2 every\n"
    "                     evaluation with progress and ETA (= --progress)\n"
    "  --memory-budget MB peak activation memory allowed (candidates above it are\n"
    "                     infeasible; the heuristic stays under it)\n"
    "  --repeats N        timed calls per evaluation, median taken (default 3)\n"
    "  --threads N        thread gene range 1..N (default: every core)\n"
    "  --max-mean-len N   only search cells whose mean length is <= N\n"
    "  --max-items N      only search cells whose item count is <= N\n"
    "  --no-guard         skip the final elite-vs-heuristic re-measurement\n"
    "  --fitness cost     a deterministic cost model instead of timing (tests)\n"
    "  --explain          read inputs (one a line; --input ids: JSON arrays of token\n"
    "                     ids) and print, as JSON, what auto batching picks for them\n"
    "  --show             print the archive's cells and elites\n"
    "\n"
    "example: batchml tune --model build/minilm --generations 5 --verbose 2\n"
    "         batchml embed --model build/minilm --batch-size auto --tuning tuning-archive.json\n";

typedef struct { int verbose, tty; } tune_ui;

static void policy_str(char *buf, size_t cap, const bml_tune_individual *x) {
    snprintf(buf, cap, "bs %zu mt %zu %s t%d", x->batch_size, x->max_tokens, x->keep_order ? "input" : "sorted",
             x->threads);
}

static void on_event(const bml_tune_event *ev, void *user) {
    tune_ui *ui = (tune_ui *)user;
    char ind[96];
    if (ui->verbose <= 0) return;
    policy_str(ind, sizeof ind, &ev->ind);
    switch (ev->kind) {
    case BML_TUNE_EV_EVAL:
        if (ui->verbose < 2) return;
        fprintf(stderr, "%s[%s %zu/%zu] eval %zu/%zu  cell %d  %-28s %10.1f items/s  %-10s ETA %.0fs%s",
                ui->tty ? "\r" : "", ev->child < 0 ? "seed" : "gen", ev->generation, ev->generation_end, ev->done,
                ev->total, ev->cell, ind, ev->items_per_s, ev->outcome, ev->eta_s, ui->tty ? "   " : "\n");
        break;
    case BML_TUNE_EV_GENERATION:
        if (ui->verbose >= 2 && ui->tty) fputc('\n', stderr);
        fprintf(stderr, "generation %zu/%zu: %zu/%zu evaluations, %zu cells", ev->generation, ev->generation_end,
                ev->done, ev->total, ev->cells_searched);
        if (ev->best_gain > 0) fprintf(stderr, ", elites %.3fx the heuristic (search timings)", ev->best_gain);
        fprintf(stderr, ", %.1fs, ETA %.0fs\n", ev->elapsed_s, ev->eta_s);
        break;
    case BML_TUNE_EV_GUARD:
        if (ui->verbose < 2) return;
        fprintf(stderr, "%sguard cell %d: elite %.1f vs heuristic %.1f items/s -> %s (%s)%s", ui->tty ? "\r" : "",
                ev->cell, ev->items_per_s, ev->heuristic_items_per_s, ev->outcome, ind, ui->tty ? "   " : "\n");
        break;
    case BML_TUNE_EV_SAVE:
        if (ui->verbose >= 2) fprintf(stderr, "%ssaved %s (generation %zu)\n", ui->tty ? "\r" : "", ev->path, ev->generation);
        break;
    }
    fflush(stderr);
}

static void choice_json(FILE *f, const bml_batch_choice *c, const bml_batch_profile *p) {
    fprintf(f,
            "{\"from_archive\": %s, \"why\": \"%s\", \"cell\": %d, \"distance\": %.3f, \"batch_size\": %zu, "
            "\"max_tokens\": %zu, \"policy\": \"%s\", \"threads\": %d, \"peak_bytes\": %zu, \"over_budget\": %s, "
            "\"items_per_s\": %.1f, \"profile\": {\"n\": %zu, \"mean_len\": %.3f, \"spread\": %.3f, \"max_len\": %zu}}\n",
            c->from_archive ? "true" : "false", c->why, c->cell, c->distance, c->batch_size, c->max_tokens,
            c->keep_order ? "input_order" : "sorted", c->threads, c->peak_bytes, c->over_budget ? "true" : "false",
            c->items_per_s, p->n, p->mean_len, p->spread, p->max_len);
}

/* --explain: lengths of stdin's inputs -> the choice, as one JSON line. */
static int explain(const char *model, const char *archive, int ids_input, size_t budget) {
    bml_model_desc md;
    bml_model *m;
    bml_tuning *t = NULL;
    cli_lines in;
    char *line;
    size_t len, n = 0, cap = 0, *lens = NULL;
    bml_encoding enc;
    bml_batch_choice c;
    bml_batch_profile p;
    memset(&md, 0, sizeof md);
    memset(&in, 0, sizeof in);
    memset(&enc, 0, sizeof enc);
    md.path = model;
    md.no_tokenizer = ids_input;
    if (bml_model_load(&md, &m) != BML_OK) cli_die("%s", bml_last_error());
    if (archive && bml_tuning_load(archive, &t) != BML_OK) cli_die("%s", bml_last_error());
    while (cli_next_line(&in, &line, &len)) {
        size_t L = 0;
        if (n == cap) {
            size_t *nl;
            cap = cap ? cap * 2 : 1024;
            nl = realloc(lens, cap * sizeof *lens);
            if (!nl) cli_die("out of memory");
            lens = nl;
        }
        if (ids_input) {
            bml_json_doc *doc;
            if (bml_json_parse(line, len, "input", &doc) != BML_OK) cli_die("line %zu: %s", in.lineno, bml_last_error());
            if (bml_json_root(doc)->type != BML_JSON_ARRAY) cli_die("line %zu: expected a JSON array of token ids", in.lineno);
            L = bml_json_root(doc)->len;
            bml_json_free(doc);
        } else if (len) {
            if (bml_tokenize(bml_model_tokenizer(m), line, (ptrdiff_t)len, BML_UTF8_REPLACE, &enc) != BML_OK)
                cli_die("line %zu: %s", in.lineno, bml_last_error());
            L = enc.n;
        }
        lens[n++] = L; /* 0: an invalid item, as bml_embed_batch skips it */
    }
    if (bml_tuning_choose(t, m, lens, n, budget, &c) != BML_OK) cli_die("%s", bml_last_error());
    bml_batch_profile_of(lens, n, &p);
    choice_json(stdout, &c, &p);
    free(lens);
    bml_encoding_free(&enc);
    cli_lines_free(&in);
    bml_tuning_free(t);
    bml_model_free(m);
    return 0;
}

static int show(const char *archive) {
    bml_tuning *t;
    bml_tuning_info info;
    size_t i;
    if (bml_tuning_load(archive, &t) != BML_OK) cli_die("%s", bml_last_error());
    bml_tuning_get_info(t, &info);
    printf("%s: version %d, model hidden %d layers %d heads %d intermediate %d, seed %llu, %zu generations, "
           "%zu evaluations, fitness %s, %zu/%zu cells\n",
           archive, info.version, info.hidden, info.layers, info.heads, info.intermediate,
           (unsigned long long)info.seed, info.generations, info.evaluations, info.fitness, info.cells_filled,
           info.cells_total);
    printf("%5s %8s %6s %6s  %6s %7s %-11s %3s %12s %12s %5s\n", "cell", "mean_len", "spread", "items", "batch",
           "max_tok", "policy", "thr", "items/s", "peak_bytes", "front");
    for (i = 0; i < info.cells_filled; i++) {
        bml_tuning_cell c;
        if (bml_tuning_get_cell(t, i, &c) != BML_OK) cli_die("%s", bml_last_error());
        printf("%5d %8.0f %6.2f %6zu  %6zu %7zu %-11s %3d %12.1f %12zu %5zu\n", c.cell, c.mean_len, c.spread, c.items,
               c.elite.batch_size, c.elite.max_tokens, c.elite.keep_order ? "input_order" : "sorted", c.elite.threads,
               c.elite.items_per_s, c.elite.peak_bytes, c.front_size);
    }
    bml_tuning_free(t);
    return 0;
}

int cmd_tune(int argc, char **argv) {
    const char *model, *archive = NULL, *results = "tuning-results.json", *v;
    int i, do_explain = 0, do_show = 0;
    bml_tune_desc d;
    tune_ui ui;
    cli_common c;
    memset(&d, 0, sizeof d);
    ui.verbose = 1;
    ui.tty = isatty(2);
    /* --threads: the top of the thread gene's range; --progress: --verbose 2
       (where it stands: a later --verbose overrides it) */
    cli_common_init(&c, CLI_O_MODEL | CLI_O_MEMORY_BUDGET | CLI_O_THREADS | CLI_O_INPUT | CLI_O_PROGRESS, NULL);
    for (i = 1; i < argc; i++) {
        unsigned got = cli_common_opt(&c, argc, argv, &i);
        if (got == CLI_O_HELP) { fputs(help, stdout); return 0; }
        else if (got == CLI_O_PROGRESS) ui.verbose = 2;
        else if (got) continue;
        else if (cli_opt(argc, argv, &i, "--archive", &v)) archive = v;
        else if (cli_opt(argc, argv, &i, "--results", &v)) results = v;
        else if (cli_opt(argc, argv, &i, "--generations", &v)) d.generations = (size_t)cli_parse_long("--generations", v, 1, 1000000);
        else if (cli_opt(argc, argv, &i, "--offspring", &v)) d.offspring = (size_t)cli_parse_long("--offspring", v, 1, 100000);
        else if (cli_opt(argc, argv, &i, "--test-size", &v)) d.test_size = (size_t)cli_parse_long("--test-size", v, 1, 1L << 20);
        else if (cli_opt(argc, argv, &i, "--save-every", &v)) d.save_every = (size_t)cli_parse_long("--save-every", v, 1, 1000000);
        else if (cli_opt(argc, argv, &i, "--seed", &v)) d.seed = (uint64_t)cli_parse_long("--seed", v, 1, 9007199254740991LL);
        else if (cli_opt(argc, argv, &i, "--verbose", &v)) ui.verbose = (int)cli_parse_long("--verbose", v, 0, 2);
        else if (cli_opt(argc, argv, &i, "--repeats", &v)) d.repeats = (int)cli_parse_long("--repeats", v, 1, 1000);
        else if (cli_opt(argc, argv, &i, "--max-mean-len", &v)) d.max_mean_len = (double)cli_parse_long("--max-mean-len", v, 1, 1L << 20);
        else if (cli_opt(argc, argv, &i, "--max-items", &v)) d.max_items = (size_t)cli_parse_long("--max-items", v, 1, 1L << 30);
        else if (cli_opt(argc, argv, &i, "--fitness", &v)) {
            if (!strcmp(v, "cost")) d.fitness = BML_TUNE_COST;
            else if (strcmp(v, "time")) cli_die("--fitness: expected time or cost, got '%s'", v);
        } else if (!strcmp(argv[i], "--fresh")) d.fresh = 1;
        else if (!strcmp(argv[i], "--no-guard")) d.no_guard = 1;
        else if (!strcmp(argv[i], "--explain")) do_explain = 1;
        else if (!strcmp(argv[i], "--show")) do_show = 1;
        else cli_die("unknown option '%s' (see --help)", argv[i]);
    }
    model = c.model;
    d.memory_budget = c.memory_budget;
    d.threads_max = c.threads;
    if (do_show) {
        if (!archive) cli_die("--show needs --archive FILE");
        return show(archive);
    }
    if (!model) cli_die("--model DIR is required (see --help)");
    if (do_explain) return explain(model, archive ? archive : getenv("BATCHML_TUNING"), c.ids_input, d.memory_budget);
    d.model_path = model;
    d.archive_path = archive ? archive : "tuning-archive.json";
    d.results_path = strcmp(results, "-") ? results : NULL;
    d.progress = on_event;
    d.progress_user = &ui;
    if (bml_tune(&d) != BML_OK) {
        if (ui.verbose >= 2 && ui.tty) fputc('\n', stderr);
        cli_die("%s", bml_last_error());
    }
    if (ui.verbose >= 1) {
        bml_tuning *t;
        bml_tuning_info info;
        if (bml_tuning_load(d.archive_path, &t) != BML_OK) cli_die("%s", bml_last_error());
        bml_tuning_get_info(t, &info);
        fprintf(stderr, "batchml tune: %s: %zu cells, %zu generations, %zu evaluations%s%s\n", d.archive_path,
                info.cells_filled, info.generations, info.evaluations, d.results_path ? "; results " : "",
                d.results_path ? d.results_path : "");
        bml_tuning_free(t);
    }
    return 0;
}

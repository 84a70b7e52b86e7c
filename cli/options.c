/* The options several verbs share, parsed in one place (see cli.h): each
   means the same, is checked the same way and fails with the same message in
   every verb that takes it. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "compat.h"

void cli_common_init(cli_common *c, unsigned takes, const char *const *formats) {
    memset(c, 0, sizeof *c);
    c->takes = takes | CLI_O_HELP;
    c->formats = formats;
}

/* "--format: expected jsonl, npy or tsv, got 'x'" from the verb's names. */
static void bad_format(const cli_common *c, const char *v) {
    char list[256];
    size_t at = 0, k, n = 0;
    while (c->formats[n]) n++;
    list[0] = 0;
    for (k = 0; k < n && at < sizeof list; k++)
        at += (size_t)snprintf(list + at, sizeof list - at, "%s%s", k == 0 ? "" : k + 1 == n ? " or " : ", ", c->formats[k]);
    cli_die("--format: expected %s, got '%s'", list, v);
}

unsigned cli_common_opt(cli_common *c, int argc, char **argv, int *i) {
    const char *a = argv[*i], *v;
    unsigned t = c->takes;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) return CLI_O_HELP;
    if ((t & CLI_O_MODEL) && cli_opt(argc, argv, i, "--model", &v)) {
        c->model = v;
        return CLI_O_MODEL;
    }
    if ((t & CLI_O_THREADS) && cli_opt(argc, argv, i, "--threads", &v)) {
        c->threads = (int)cli_parse_long("--threads", v, 1, 256);
        return CLI_O_THREADS;
    }
    if ((t & CLI_O_DEVICE) && cli_opt(argc, argv, i, "--device", &v)) {
        c->device = v; /* checked by bml_model_load, which names the devices there are */
        return CLI_O_DEVICE;
    }
    if ((t & CLI_O_BATCH_SIZE) && cli_opt(argc, argv, i, "--batch-size", &v)) {
        c->batch_size = (t & CLI_O_BATCH_AUTO) && !strcmp(v, "auto") ? BML_BATCH_AUTO
                                                                      : (size_t)cli_parse_long("--batch-size", v, 1, 4096);
        return CLI_O_BATCH_SIZE;
    }
    if ((t & CLI_O_TUNING) && cli_opt(argc, argv, i, "--tuning", &v)) {
        c->tuning = v;
        return CLI_O_TUNING;
    }
    if ((t & CLI_O_MEMORY_BUDGET) && cli_opt(argc, argv, i, "--memory-budget", &v)) {
        c->memory_budget = (size_t)cli_parse_long("--memory-budget", v, 1, 1L << 30) << 20;
        return CLI_O_MEMORY_BUDGET;
    }
    if ((t & CLI_O_PROGRESS) && !strcmp(a, "--progress")) {
        c->progress = 1;
        return CLI_O_PROGRESS;
    }
    if ((t & CLI_O_DETERMINISTIC) && !strcmp(a, "--deterministic")) {
        c->deterministic = 1;
        return CLI_O_DETERMINISTIC;
    }
    if ((t & CLI_O_INPUT) && cli_opt(argc, argv, i, "--input", &v)) {
        if (!strcmp(v, "ids")) c->ids_input = 1;
        else if (!strcmp(v, "text")) c->ids_input = 0;
        else cli_die("--input: expected text or ids, got '%s'", v);
        return CLI_O_INPUT;
    }
    if ((t & CLI_O_ON_INVALID) && cli_opt(argc, argv, i, "--on-invalid", &v)) {
        if (!strcmp(v, "replace")) c->utf8 = BML_UTF8_REPLACE;
        else if (!strcmp(v, "error")) c->utf8 = BML_UTF8_ERROR;
        else cli_die("--on-invalid: expected error or replace, got '%s'", v);
        return CLI_O_ON_INVALID;
    }
    if ((t & CLI_O_OUTPUT) && (cli_opt(argc, argv, i, "-o", &v) || cli_opt(argc, argv, i, "--output", &v))) {
        c->output = v;
        return CLI_O_OUTPUT;
    }
    if ((t & CLI_O_FORMAT) && cli_opt(argc, argv, i, "--format", &v)) {
        int k;
        for (k = 0; c->formats[k]; k++)
            if (!strcmp(v, c->formats[k])) {
                c->format = k;
                return CLI_O_FORMAT;
            }
        bad_format(c, v);
    }
    if ((t & CLI_O_SHARD) && cli_opt(argc, argv, i, "--shard", &v)) {
        cli_shard_parse(v, &c->shard);
        return CLI_O_SHARD;
    }
    if ((t & CLI_O_PROMPT) && cli_opt(argc, argv, i, "--prompt", &v)) {
        if (c->prompt_name) cli_die("--prompt and --prompt-name: give one");
        c->prompt = v;
        return CLI_O_PROMPT;
    }
    if ((t & CLI_O_PROMPT) && cli_opt(argc, argv, i, "--prompt-name", &v)) {
        if (c->prompt) cli_die("--prompt and --prompt-name: give one");
        c->prompt_name = v;
        return CLI_O_PROMPT;
    }
    if ((t & CLI_O_DIMENSIONS) && cli_opt(argc, argv, i, "--dimensions", &v)) {
        c->dimensions = (size_t)cli_parse_long("--dimensions", v, 1, 1 << 20);
        return CLI_O_DIMENSIONS;
    }
    if ((t & CLI_O_JSON) && !strcmp(a, "--json")) {
        c->json = 1;
        return CLI_O_JSON;
    }
    return 0;
}

int cli_common_progress(const cli_common *c) { return c->progress || isatty(2); }

void cli_common_model_desc(const cli_common *c, bml_model_desc *md) {
    memset(md, 0, sizeof *md);
    md->path = c->model;
    md->threads = c->threads;
    md->deterministic = c->deterministic;
    md->device = c->device;
}

size_t cli_common_prompt_dims(const cli_common *c, const bml_model *m, bml_batch_desc *bd) {
    size_t dim = (size_t)bml_model_config(m)->dim;
    if ((c->prompt || c->prompt_name) && c->ids_input) cli_die("--prompt and --prompt-name need text input, not --input ids");
    if (c->prompt_name) {
        char names[512];
        size_t at = 0;
        int k;
        if (!(bd->prompt = bml_model_prompt(m, c->prompt_name))) {
            names[0] = 0;
            for (k = 0; k < bml_model_prompt_count(m) && at < sizeof names; k++)
                at += (size_t)snprintf(names + at, sizeof names - at, "%s'%s'", k ? ", " : "", bml_model_prompt_name(m, k));
            cli_die("--prompt-name %s: the model has %s%s%s", c->prompt_name,
                    at ? "the prompts " : "no prompts (config_sentence_transformers.json)", names,
                    at ? " (config_sentence_transformers.json)" : "");
        }
    } else if (c->prompt) {
        bd->prompt = c->prompt;
    }
    if (c->dimensions > dim) cli_die("--dimensions %zu: the model's embeddings have %zu", c->dimensions, dim);
    bd->dimensions = c->dimensions;
    return c->dimensions ? c->dimensions : dim;
}

void cli_common_batch_desc(const cli_common *c, bml_batch_desc *bd, bml_tuning **tuning) {
    const char *path = c->tuning;
    memset(bd, 0, sizeof *bd);
    bd->batch_size = c->batch_size;
    bd->memory_budget = c->memory_budget;
    bd->utf8 = c->utf8;
    if (!tuning) return;
    *tuning = NULL;
    if (path && !c->batch_size) bd->batch_size = BML_BATCH_AUTO; /* --tuning alone implies auto */
    if (bd->batch_size != BML_BATCH_AUTO) return;
    if (!path) path = getenv("BATCHML_TUNING");
    if (path) {
        if (bml_tuning_load(path, tuning) != BML_OK) cli_die("%s", bml_last_error());
        bd->tuning = *tuning;
    }
}

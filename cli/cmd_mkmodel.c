/* batchml mkmodel: a random-weight model in the Hugging Face layout. */
#include "cli.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "compat.h"

#ifndef BATCHML_ASSETS_DIR
#define BATCHML_ASSETS_DIR "assets/minilm-l6-arch"
#endif

static const char *help =
    "usage: batchml mkmodel OUT --seed N [--layers L --hidden H --heads A --inter I]\n"
    "                       [--pooling mean|cls|max|mean_sqrt_len] [--no-normalize]\n"
    "                       [--max-seq-len N] [--max-position P] [--assets DIR]\n"
    "\n"
    "Writes a model directory exactly as sentence-transformers saves one (config.json,\n"
    "model.safetensors, vocab.txt, tokenizer.json, tokenizer_config.json,\n"
    "special_tokens_map.json, modules.json, 1_Pooling/config.json,\n"
    "sentence_bert_config.json) with RANDOM weights: for tests and demos, its\n"
    "embeddings mean nothing. Byte-identical for the same options on any machine.\n"
    "Default architecture: all-MiniLM-L6-v2's (6 layers, hidden 384, 12 heads, 1536).\n"
    "The tokenizer files come from --assets (default: " BATCHML_ASSETS_DIR ").\n"
    "\n"
    "example: batchml mkmodel build/minilm --seed 1\n";

int cmd_mkmodel(int argc, char **argv) {
    bml_mkmodel_desc d;
    const char *v;
    int i, have_seed = 0;
    cli_common c;
    memset(&d, 0, sizeof d);
    d.assets_dir = getenv("BATCHML_ASSETS") ? getenv("BATCHML_ASSETS") : BATCHML_ASSETS_DIR;
    /* --seed here is any unsigned 64-bit value (0 included), not tune's --seed */
    cli_common_init(&c, CLI_O_PROGRESS, NULL); /* --progress: mkmodel is instant */
    for (i = 1; i < argc; i++) {
        unsigned got = cli_common_opt(&c, argc, argv, &i);
        if (got == CLI_O_HELP) { fputs(help, stdout); return 0; }
        else if (got) continue;
        else if (cli_opt(argc, argv, &i, "--seed", &v)) {
            char *end;
            errno = 0;
            d.seed = (uint64_t)strtoull(v, &end, 10);
            if (errno || end == v || *end || v[0] < '0' || v[0] > '9')
                cli_die("--seed: expected a non-negative integer, got '%s'", v);
            have_seed = 1;
        } else if (cli_opt(argc, argv, &i, "--layers", &v)) d.layers = (int)cli_parse_long("--layers", v, 1, 64);
        else if (cli_opt(argc, argv, &i, "--hidden", &v)) d.hidden = (int)cli_parse_long("--hidden", v, 1, 8192);
        else if (cli_opt(argc, argv, &i, "--heads", &v)) d.heads = (int)cli_parse_long("--heads", v, 1, 8192);
        else if (cli_opt(argc, argv, &i, "--inter", &v)) d.intermediate = (int)cli_parse_long("--inter", v, 1, 32768);
        else if (cli_opt(argc, argv, &i, "--max-seq-len", &v)) d.max_seq_len = (int)cli_parse_long("--max-seq-len", v, 1, 8192);
        else if (cli_opt(argc, argv, &i, "--max-position", &v)) d.max_position = (int)cli_parse_long("--max-position", v, 2, 8192);
        else if (cli_opt(argc, argv, &i, "--assets", &v)) d.assets_dir = v;
        else if (!strcmp(argv[i], "--no-normalize")) d.no_normalize = 1;
        else if (cli_opt(argc, argv, &i, "--pooling", &v)) {
            if (!strcmp(v, "mean")) d.pooling = BML_POOL_MEAN;
            else if (!strcmp(v, "cls")) d.pooling = BML_POOL_CLS;
            else if (!strcmp(v, "max")) d.pooling = BML_POOL_MAX;
            else if (!strcmp(v, "mean_sqrt_len")) d.pooling = BML_POOL_MEAN_SQRT_LEN;
            else cli_die("--pooling: expected mean, cls, max or mean_sqrt_len, got '%s'", v);
        } else if (argv[i][0] == '-') cli_die("unknown option '%s' (see --help)", argv[i]);
        else if (!d.out_dir) d.out_dir = argv[i];
        else cli_die("unexpected argument '%s'", argv[i]);
    }
    if (!d.out_dir) cli_die("missing OUT directory (see --help)");
    if (!have_seed) cli_die("--seed N is required (the same seed gives the same bytes)");
    if (bml_mkmodel(&d) != BML_OK) cli_die("%s", bml_last_error());
    fprintf(stderr, "batchml mkmodel: wrote %s (random weights, seed %llu)\n", d.out_dir, (unsigned long long)d.seed);
    return 0;
}

/* batchml — the reference CLI. `batchml --help` lists the verbs. */
#define _POSIX_C_SOURCE 200809L
#define BATCHML_IMPLEMENTATION
#include "cli.h"
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "compat.h"

static const struct { const char *name; int (*fn)(int, char **); const char *help; } verbs[] = {
    {"embed", cmd_embed, "embed texts or token ids, one a line, into vectors"},
    {"tokenize", cmd_tokenize, "WordPiece-tokenize texts (or --decode ids) as JSON lines"},
    {"overlay", cmd_overlay, "per-token gradient attributions (grad, grad_x_input, integrated_gradients)"},
    {"mkmodel", cmd_mkmodel, "write a random-weight model in Hugging Face layout"},
    {"info", cmd_info, "a model directory: architecture, parameters, dtype, pooling, files, BLAS kernel"},
    {"index", cmd_index, "embed a corpus into an index (.npy + ids + texts) for search"},
    {"search", cmd_search, "top-k semantic search over one or more indexes, one query or a batch"},
    {"merge", cmd_merge, "combine --shard outputs (indexes or embed files) into one"},
    {"bench", cmd_bench, "quick throughput: items/s, tokens/s, p50/p95 latency, speedup vs one at a time"},
    {"tune", cmd_tune, "search batch shapes (MAP-Elites) for auto batching; explain a choice"},
    {"serve", cmd_serve, "an OpenAI-compatible embeddings server (HTTP), batching all clients' requests together"},
    {"eval", cmd_eval, "eval sts: a model's STS-benchmark score (cosine Spearman x100), to check it end to end"},
};

static void usage(FILE *f) {
    size_t i;
    fprintf(f, "usage: batchml <verb> [options]   (batchml <verb> --help for each)\n\nverbs:\n");
    for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++) fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].help);
}

/* The library prints nothing by itself: the CLI shows its warnings. */
static void cli_log(bml_log_level level, const char *msg, void *user) {
    (void)user;
    if (level >= BML_LOG_WARN) fprintf(stderr, "batchml: %s\n", msg);
}

int main(int argc, char **argv) {
    size_t i;
#ifdef SIGPIPE
    signal(SIGPIPE, SIG_IGN); /* closed stdout is handled as a write error: quietly */
#endif
    cli_platform_init(&argc, &argv);
    if (argc < 2) { usage(stderr); return 2; } /* a usage error: nothing on stdout */
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        cli_close_out(stdout);
        return 0;
    }
    bml_blas_reexec(argv); /* AVX-512 OpenBLAS kernels (see bml_blas_check) */
    bml_set_log(cli_log, NULL);
    for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (!strcmp(argv[1], verbs[i].name)) {
            int rc;
            cli_set_verb(verbs[i].name);
            cli_note_input_fd(0, "stdin"); /* `embed -o texts.txt < texts.txt` would cut its own input */
            rc = verbs[i].fn(argc - 1, argv + 1);
            cli_close_out(stdout); /* e.g. --help into a full disk: an error, not a silent success */
            return rc;
        }
    fprintf(stderr, "batchml: unknown verb '%s' (see batchml --help)\n", argv[1]);
    return 2;
}

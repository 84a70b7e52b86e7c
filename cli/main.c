/* batchml — the reference CLI. `batchml --help` lists the verbs. */
#define _POSIX_C_SOURCE 200809L
#define BATCHML_IMPLEMENTATION
#include "cli.h"
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct { const char *name; int (*fn)(int, char **); const char *help; } verbs[] = {
    {"embed", cmd_embed, "embed texts or token ids, one a line, into vectors"},
    {"tokenize", cmd_tokenize, "WordPiece-tokenize texts (or --decode ids) as JSON lines"},
    {"overlay", cmd_overlay, "per-token gradient attributions (grad, grad_x_input, integrated_gradients)"},
    {"mkmodel", cmd_mkmodel, "write a random-weight model in Hugging Face layout"},
};

static void usage(FILE *f) {
    size_t i;
    fprintf(f, "usage: batchml <verb> [options]   (batchml <verb> --help for each)\n\nverbs:\n");
    for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++) fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].help);
}

/* Debian's OpenBLAS picks AVX2 kernels on AVX-512 CPUs unless
   OPENBLAS_CORETYPE is set before it loads; if this process got the slower
   kernels, run it again with the variable set (once: the variable stops a loop). */
static void maybe_reexec(char **argv) {
    char want[32];
    if (getenv("BATCHML_NO_REEXEC")) return;
    if (bml_blas_check(want, sizeof want) != 1) return;
    if (setenv("OPENBLAS_CORETYPE", want, 1) != 0) return;
    execv("/proc/self/exe", argv);
    /* exec failed: go on with the kernels we have */
}

int main(int argc, char **argv) {
    size_t i;
    signal(SIGPIPE, SIG_IGN); /* closed stdout is handled as a write error: quietly */
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return argc < 2 ? 2 : 0;
    }
    maybe_reexec(argv);
    for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (!strcmp(argv[1], verbs[i].name)) {
            cli_set_verb(verbs[i].name);
            return verbs[i].fn(argc - 1, argv + 1);
        }
    fprintf(stderr, "batchml: unknown verb '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}

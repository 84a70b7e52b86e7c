/* --shard I/N: a deterministic split of the input by line number, so an
   existing scheduler (GNU parallel, Slurm arrays, Kubernetes Jobs) can spread
   a corpus. Line L (1-based) belongs to shard (L - 1) mod N; shards are
   0-based (0..N-1). Round-robin needs no line count up front (stdin streams)
   and gives every shard the same share of long and short lines. */
#include "cli.h"
#include <errno.h>
#include <stdlib.h>
#include "compat.h"

void cli_shard_parse(const char *spec, cli_shard *s) {
    char *end;
    unsigned long i, n;
    errno = 0;
    i = strtoul(spec, &end, 10);
    if (errno || end == spec || *end != '/' || spec[0] == '-' || end[1] == '-')
        cli_die("--shard: expected I/N (e.g. 0/4), got '%s'", spec);
    n = strtoul(end + 1, &end, 10);
    if (errno || *end || n == 0 || n > 1000000)
        cli_die("--shard: expected I/N with N in 1..1000000, got '%s'", spec);
    if (i >= n) cli_die("--shard: shards are numbered from 0: I must be in 0..%lu, got '%s'", n - 1, spec);
    s->index = i;
    s->count = n;
}

int cli_shard_mine(const cli_shard *s, size_t lineno) {
    if (s->count <= 1 || lineno == 0) return 1;
    return (lineno - 1) % s->count == s->index;
}

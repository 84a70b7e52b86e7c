/* fuzz_ids: the CLI's --input ids line parser (cli/util.c cli_parse_ids) on
   arbitrary bytes, then the library's id validation as `batchml embed
   --input ids` applies it (bml__check_ids against a small config). A line
   either parses into ints that round-trip or fails with a message. */
#include "fuzz_common.h"
#include "cli/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int32_t *buf;
    static size_t cap;
    size_t n = 0, i;
    char err[160];
    bml_model m;
    err[0] = 0;
    /* the CLI hands over a NUL-terminated line; the parser must not rely on it */
    if (cli_parse_ids((const char *)data, size, &buf, &cap, &n, err, sizeof err) != 0) {
        FZ_ASSERT(err[0] != 0);
        FZ_ASSERT(strlen(err) < sizeof err);
        return 0;
    }
    FZ_ASSERT(n <= cap || n == 0);
    memset(&m, 0, sizeof m);
    m.cfg.vocab = 30522;
    m.cfg.max_position = 512;
    err[0] = 0;
    if (bml__check_ids(&m, buf, n, err, sizeof err) != BML_OK) {
        FZ_ASSERT(err[0] != 0);
    } else {
        FZ_ASSERT(n >= 1 && n <= 512);
        for (i = 0; i < n; i++) FZ_ASSERT(buf[i] >= 0 && buf[i] < 30522);
    }
    return 0;
}

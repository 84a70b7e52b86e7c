/* fuzz_merge: `batchml merge` inputs -- index shards (.json, .npy, .ids,
   .texts, .lines of two shards of one split) and embedding shards (npy,
   jsonl, tsv) -- through the CLI's own merge code (cli/cmd_merge.c and the
   index reader cli/index.c, compiled into this harness). The first input
   byte picks the file the rest replaces (mod 13: 0-9 the index files of
   shards 0 and 1, 10-12 shard 0 of the npy / jsonl / tsv embedding pair);
   the other files keep valid defaults. Invariants: merge either succeeds or
   ends in cli_die with a bounded message (here a longjmp, after which the
   harness releases what the run held); never a crash, a hang (the .lines
   numbers bound the walk) or an allocation from a trusted size. */
#include "fuzz_common.h"
#include <setjmp.h>
#include <stdarg.h>
#include <sys/mman.h>

/* what a run that ends in cli_die leaves behind, released after it */
#define FZ_MAX_MAPS 64
static struct { void *p; size_t n; } fz_maps[FZ_MAX_MAPS];
static void *fz_mmap(void *a, size_t n, int prot, int fl, int fd, off_t off) {
    void *p = mmap(a, n, prot, fl, fd, off);
    int k;
    if (p != MAP_FAILED)
        for (k = 0; k < FZ_MAX_MAPS; k++)
            if (!fz_maps[k].p) { fz_maps[k].p = p; fz_maps[k].n = n; break; }
    return p;
}
static int fz_munmap(void *p, size_t n) {
    int k;
    for (k = 0; k < FZ_MAX_MAPS; k++)
        if (fz_maps[k].p == p) fz_maps[k].p = NULL;
    return munmap(p, n);
}

#define cli_die cli_die_unused /* util.c's; the harness has its own */
#include "../../cli/util.c"
#undef cli_die
#if defined(__GNUC__)
__attribute__((noreturn))
#endif
void cli_die(const char *fmt, ...);
#define mmap fz_mmap
#define munmap fz_munmap
#include "../../cli/io.c"
#include "../../cli/compat.c"
#include "../../cli/util_shard.c"
#include "../../cli/options.c"
#include "../../cli/index.c"
#include "../../cli/cmd_merge.c"
#undef mmap
#undef munmap

/* A run that ends in cli_die (a longjmp) leaves its heap behind by design:
   allocations made during a run are not leak-checked (LeakSanitizer's own
   switch, when the build has it; the suite sets detect_leaks=1). */
#if defined(__GNUC__)
extern void __lsan_disable(void) __attribute__((weak));
extern void __lsan_enable(void) __attribute__((weak));
#else
static void (*__lsan_disable)(void) = 0, (*__lsan_enable)(void) = 0;
#endif

static jmp_buf fz_jb;
static int fz_armed;

void cli_die(const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= 1000) { fprintf(stderr, "fuzz: merge message of %d bytes\n", n); abort(); }
    if (!fz_armed) { fprintf(stderr, "fuzz: cli_die outside a run: %s\n", msg); abort(); }
    if (getenv("FZ_VERBOSE")) fprintf(stderr, "#   refused: %s\n", msg);
    longjmp(fz_jb, 1);
}

static void fz_release(void) {
    int k;
    size_t i;
    for (k = 0; k < CLI_MAX_PENDING; k++)
        if (pend_used[k]) {
            fclose(pend[k].f);
            unlink(pend[k].tmp);
            free(pend[k].final);
            pend_used[k] = 0;
        }
    for (i = 0; i < ninputs; i++) free(inputs[i].path);
    ninputs = 0;
    for (k = 0; k < FZ_MAX_MAPS; k++)
        if (fz_maps[k].p) { munmap(fz_maps[k].p, fz_maps[k].n); fz_maps[k].p = NULL; }
}

static const char *names[13] = {"p0.json", "p0.npy", "p0.ids", "p0.texts", "p0.lines",
                                "p1.json", "p1.npy", "p1.ids", "p1.texts", "p1.lines",
                                "e0.npy", "e0.jsonl", "e0.tsv"};
static unsigned char dflt[13][512];
static size_t dflt_len[13];

static size_t mk_npy(unsigned char *b, size_t rows, int cols) {
    char dict[128];
    int len = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu, %d), }", rows, cols);
    int total = 10 + len + 1, pad = (64 - total % 64) % 64, i;
    size_t o = 0, r;
    memcpy(b, "\x93NUMPY\x01\x00", 8);
    o = 8;
    b[o++] = (unsigned char)((len + pad + 1) & 0xFF);
    b[o++] = (unsigned char)((len + pad + 1) >> 8);
    memcpy(b + o, dict, (size_t)len);
    o += (size_t)len;
    for (i = 0; i < pad; i++) b[o++] = ' ';
    b[o++] = '\n';
    for (r = 0; r < rows * (size_t)cols; r++) {
        float v = (float)(r % 5) * 0.25f;
        memcpy(b + o, &v, 4);
        o += 4;
    }
    return o;
}

static void put(int k, const char *s) { dflt_len[k] = strlen(s); memcpy(dflt[k], s, dflt_len[k]); }

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    /* a 5-line input split 2 ways: shard 0 has lines 1,3,5, shard 1 lines 2,4 */
    put(0, "{\"format\":\"batchml-index\",\"version\":1,\"model\":\"m\",\"model_name\":\"m\",\"fingerprint\":\"00\","
           "\"dim\":4,\"count\":3,\"normalized\":true,\"with_ids\":false,\"skipped\":0,\"shard\":[0,2]}\n");
    dflt_len[1] = mk_npy(dflt[1], 3, 4);
    put(2, "1\n3\n5\n");
    put(3, "one\nthree\nfive\n");
    put(4, "1\n3\n5\n");
    put(5, "{\"format\":\"batchml-index\",\"version\":1,\"model\":\"m\",\"model_name\":\"m\",\"fingerprint\":\"00\","
           "\"dim\":4,\"count\":2,\"normalized\":true,\"with_ids\":false,\"skipped\":0,\"shard\":[1,2]}\n");
    dflt_len[6] = mk_npy(dflt[6], 2, 4);
    put(7, "2\n4\n");
    put(8, "two\nfour\n");
    put(9, "2\n4\n");
    dflt_len[10] = mk_npy(dflt[10], 3, 4);
    put(11, "[0.5,0.25,0,1]\nnull\n[1,2,3,4]\n");
    put(12, "0.5\t0.25\t0\t1\n0\t0\t0\t0\n1\t2\t3\t4\n");
    return 0;
}

static void write_all(void) {
    int k;
    for (k = 0; k < 13; k++) fz_write(names[k], dflt[k], dflt_len[k]);
    /* shard 1 of each embedding pair: two rows */
    {
        unsigned char b[512];
        fz_write("e1.npy", b, mk_npy(b, 2, 4));
    }
    fz_write_str("e1.jsonl", "[1,1,1,1]\n[2,2,2,2]\n");
    fz_write_str("e1.tsv", "1\t1\t1\t1\n2\t2\t2\t2\n");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int init;
    char p0[512], p1[512], out[512];
    char *in[2];
    int which;
    if (!init) { LLVMFuzzerInitialize(NULL, NULL); init = 1; }
    if (size < 1) return 0;
    write_all();
    which = data[0] % 13;
    fz_write(names[which], data + 1, size - 1);
    if (which < 10) {
        snprintf(p0, sizeof p0, "%s", fz_path("p0"));
        snprintf(p1, sizeof p1, "%s", fz_path("p1"));
        snprintf(out, sizeof out, "%s", fz_path("all"));
    } else {
        static const char *ext[3] = {"npy", "jsonl", "tsv"};
        char n0[16], n1[16];
        snprintf(n0, sizeof n0, "e0.%s", ext[which - 10]);
        snprintf(n1, sizeof n1, "e1.%s", ext[which - 10]);
        snprintf(p0, sizeof p0, "%s", fz_path(n0));
        snprintf(p1, sizeof p1, "%s", fz_path(n1));
        snprintf(out, sizeof out, "%s.out", fz_path(n0));
    }
    in[0] = p0;
    in[1] = p1;
    fz_armed = 1;
    if (__lsan_disable) __lsan_disable();
    if (!setjmp(fz_jb)) {
        if (which < 10) merge_indexes(in, 2, out, 0);
        else merge_embeddings(in, 2, out, 0);
        if (getenv("FZ_VERBOSE")) fprintf(stderr, "#   merged\n");
    }
    fz_armed = 0;
    if (__lsan_enable) __lsan_enable();
    fz_release();
    return 0;
}

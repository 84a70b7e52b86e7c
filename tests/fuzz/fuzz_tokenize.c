/* fuzz_tokenize: the tokenizer on arbitrary bytes (valid UTF-8 or not).
   Loads the shipped all-MiniLM-L6-v2 tokenizer.json (and the same vocabulary
   from vocab.txt) once; the first input byte picks truncation (none or 16)
   and the split point of a pair; every encoding is checked (ids in the
   vocabulary, spans inside the input), decoded, and both tokenizers must
   agree id for id. */
#include "fuzz_common.h"
#include "fuzz_tok_check.h"

#ifndef BATCHML_ASSETS_DIR
#define BATCHML_ASSETS_DIR "assets/minilm-l6-arch"
#endif

static bml_tokenizer *tj[2], *tv[2];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    bml_tokenizer_desc d;
    int k;
    (void)argc;
    (void)argv;
    for (k = 0; k < 2; k++) {
        memset(&d, 0, sizeof d);
        d.file = BATCHML_ASSETS_DIR "/tokenizer.json";
        d.max_len = k ? 16 : -1;
        if (bml_tokenizer_load(&d, &tj[k]) != BML_OK) { fprintf(stderr, "%s\n", bml_last_error()); abort(); }
        d.dir = BATCHML_ASSETS_DIR;
        d.file = NULL;
        /* the directory has tokenizer.json too: load vocab.txt explicitly */
        d.file = BATCHML_ASSETS_DIR "/vocab.txt";
        if (bml_tokenizer_load(&d, &tv[k]) != BML_OK) { fprintf(stderr, "%s\n", bml_last_error()); abort(); }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *s;
    size_t n, cut;
    int k, pol;
    bml_encoding a, b;
    if (!tj[0]) LLVMFuzzerInitialize(NULL, NULL);
    if (size < 1) return 0;
    k = data[0] & 1;
    s = (const char *)data + 1;
    n = size - 1;
    cut = n ? (data[0] >> 1) % (n + 1) : 0;
    fz_tokenize_all(tj[k], s, n, NULL, 0);
    fz_tokenize_all(tj[k], s, cut, s + cut, n - cut);
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    for (pol = 0; pol < 2; pol++) {
        bml_status sa = bml_tokenize(tj[k], s, (ptrdiff_t)n, (bml_utf8_policy)pol, &a);
        bml_status sb = bml_tokenize(tv[k], s, (ptrdiff_t)n, (bml_utf8_policy)pol, &b);
        FZ_ASSERT(sa == sb);
        if (sa == BML_OK) {
            FZ_ASSERT(a.n == b.n);
            FZ_ASSERT(!memcmp(a.ids, b.ids, a.n * sizeof(int32_t)));
            FZ_ASSERT(!memcmp(a.offsets, b.offsets, 2 * a.n * sizeof(uint32_t)));
        }
    }
    bml_encoding_free(&a);
    bml_encoding_free(&b);
    return 0;
}

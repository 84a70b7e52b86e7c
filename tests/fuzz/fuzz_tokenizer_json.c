/* fuzz_tokenizer_json: a tokenizer.json of arbitrary bytes through
   bml_tokenizer_load (model.vocab, added_tokens, normalizer, pre_tokenizer,
   post_processor templates, decoder); a tokenizer that loads is then run
   over texts touching every path (tests/fuzz/fuzz_tok_check.h). Seeds:
   trimmed real tokenizer.json files and their variants. */
#include "fuzz_common.h"
#include "fuzz_tok_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    bml_tokenizer *t = NULL;
    bml_tokenizer_desc d;
    bml_status st;
    fz_write("tokenizer.json", data, size);
    memset(&d, 0, sizeof d);
    d.file = fz_path("tokenizer.json");
    d.max_len = size > 0 && (data[size - 1] & 1) ? 12 : -1;
    st = bml_tokenizer_load(&d, &t);
    fz_check_error(st);
    if (st != BML_OK) {
        FZ_ASSERT(t == NULL);
        FZ_ASSERT(strstr(bml_last_error(), "tokenizer.json") != NULL || st == BML_ERR_NOMEM);
        return 0;
    }
    fz_exercise_tokenizer(t);
    bml_tokenizer_free(t);
    return 0;
}

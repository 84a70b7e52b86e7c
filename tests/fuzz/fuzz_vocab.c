/* fuzz_vocab: a vocab.txt model directory (no tokenizer.json): the first
   input byte picks which file gets the rest of the input (mod 3: vocab.txt,
   tokenizer_config.json, special_tokens_map.json), the others keep small
   valid defaults; bml_tokenizer_load on the directory, then a tokenizer that
   loads is run over texts touching every path. */
#include "fuzz_common.h"
#include "fuzz_tok_check.h"

static const char *names[3] = {"vocab.txt", "tokenizer_config.json", "special_tokens_map.json"};
static const char *dflt[3] = {
    "[PAD]\n[unused0]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\nhello\nworld\n,\n!\n.\n##s\n##ing\nun\n##aff\n##able\n"
    "a\n##a\nb\ne\n\xe4\xbd\xa0\n\xe5\xa5\xbd\ni\n##stanbul\n",
    "{\"do_lower_case\":true,\"tokenize_chinese_chars\":true,\"strip_accents\":null,"
    "\"clean_up_tokenization_spaces\":true,\"added_tokens_decoder\":{\"0\":{\"content\":\"[PAD]\",\"special\":true},"
    "\"2\":{\"content\":\"[UNK]\",\"special\":true}}}",
    "{\"cls_token\":\"[CLS]\",\"sep_token\":\"[SEP]\",\"pad_token\":\"[PAD]\",\"unk_token\":{\"content\":\"[UNK]\"},"
    "\"mask_token\":\"[MASK]\"}"};

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    int i;
    (void)argc;
    (void)argv;
    for (i = 0; i < 3; i++) fz_write_str(names[i], dflt[i]);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int init;
    bml_tokenizer *t = NULL;
    bml_tokenizer_desc d;
    bml_status st;
    int which;
    if (!init) { LLVMFuzzerInitialize(NULL, NULL); init = 1; }
    if (size < 1) return 0;
    which = data[0] % 3;
    fz_write(names[which], data + 1, size - 1);
    memset(&d, 0, sizeof d);
    d.dir = fz_dir();
    d.max_len = (data[0] & 0x80) ? 10 : -1;
    st = bml_tokenizer_load(&d, &t);
    fz_check_error(st);
    if (st == BML_OK) {
        fz_exercise_tokenizer(t);
        bml_tokenizer_free(t);
    } else {
        FZ_ASSERT(t == NULL);
    }
    fz_write_str(names[which], dflt[which]);
    return 0;
}

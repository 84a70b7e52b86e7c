/* fuzz_config: the model-directory JSON files other than the tokenizer's --
   config.json, modules.json, 1_Pooling/config.json (or wherever modules.json
   points) and sentence_bert_config.json -- through the config loaders
   (bml__load_config, bml__load_st_config, the tokenizer's bml__tok_max_len).
   The first input byte picks the file (mod 4); the rest is its contents; the
   other files keep valid defaults. */
#include "fuzz_common.h"

static const char *names[4] = {"config.json", "modules.json", "1_Pooling/config.json", "sentence_bert_config.json"};
static const char *dflt[4] = {
    ("{\"hidden_size\":32,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"intermediate_size\":64,"
     "\"vocab_size\":30522,\"max_position_embeddings\":512,\"type_vocab_size\":2,\"hidden_act\":\"gelu\","
     "\"layer_norm_eps\":1e-12,\"position_embedding_type\":\"absolute\"}"),
    ("[{\"idx\":0,\"name\":\"0\",\"path\":\"\",\"type\":\"sentence_transformers.models.Transformer\"},"
     "{\"idx\":1,\"name\":\"1\",\"path\":\"1_Pooling\",\"type\":\"sentence_transformers.models.Pooling\"},"
     "{\"idx\":2,\"name\":\"2\",\"path\":\"2_Normalize\",\"type\":\"sentence_transformers.models.Normalize\"}]"),
    ("{\"word_embedding_dimension\":32,\"pooling_mode_cls_token\":false,\"pooling_mode_mean_tokens\":true,"
     "\"pooling_mode_max_tokens\":false,\"pooling_mode_mean_sqrt_len_tokens\":false}"),
    "{\"max_seq_length\":256,\"do_lower_case\":false}"};

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    int i;
    (void)argc;
    (void)argv;
    fz_mkdir("1_Pooling");
    for (i = 0; i < 4; i++) fz_write_str(names[i], dflt[i]);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int init;
    bml_model *m;
    bml_tokenizer t;
    bml_tokenizer_desc td;
    bml_status st;
    int which;
    if (!init) { LLVMFuzzerInitialize(NULL, NULL); init = 1; }
    if (size < 1) return 0;
    which = data[0] & 3;
    fz_write(names[which], data + 1, size - 1);
    m = (bml_model *)calloc(1, sizeof *m);
    FZ_ASSERT(m != NULL);
    m->st.fd = -1;
    st = bml__load_config(m, fz_dir());
    fz_check_error(st);
    if (st == BML_OK) {
        const bml_config *c = &m->cfg;
        FZ_ASSERT(c->hidden >= 1 && c->heads >= 1 && c->hidden % c->heads == 0);
        FZ_ASSERT(c->layers >= 1 && c->intermediate >= 1 && c->vocab >= 1 && c->max_position >= 1);
        FZ_ASSERT(c->layer_norm_eps > 0);
        st = bml__load_st_config(m, fz_dir(), 0);
        fz_check_error(st);
        if (st == BML_OK) {
            FZ_ASSERT(c->max_seq_len >= 1 && c->max_seq_len <= c->max_position);
            FZ_ASSERT((unsigned)c->pooling <= BML_POOL_MEAN_SQRT_LEN);
        }
    }
    bml_model_free(m);
    memset(&t, 0, sizeof t);
    memset(&td, 0, sizeof td);
    st = bml__tok_max_len(&t, &td, fz_dir());
    fz_check_error(st);
    if (st == BML_OK) FZ_ASSERT(t.max_len >= 1);
    fz_write_str(names[which], dflt[which]);
    return 0;
}

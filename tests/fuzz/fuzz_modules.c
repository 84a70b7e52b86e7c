/* fuzz_modules: a whole model directory with module folders after the
   Pooling -- modules.json, 2_Dense/config.json, 2_Dense/model.safetensors,
   3_Dense/config.json -- through bml_model_load (modules.json as
   sentence-transformers reads it, Dense configs, head weights), then one
   embedding and one overlay on the model when it loads. The first input
   byte picks the file (mod 4); the rest is its contents; the other files
   keep valid defaults: a tiny model (hidden 8, made once with bml_mkmodel)
   whose head is Dense 8->4 Tanh, Dense 4->6 Identity without bias,
   Normalize. */
#include "fuzz_common.h"

#ifndef BATCHML_ASSETS_DIR
#define BATCHML_ASSETS_DIR "assets/minilm-l6-arch"
#endif

static const char *names[4] = {"model/modules.json", "model/2_Dense/config.json", "model/2_Dense/model.safetensors",
                               "model/3_Dense/config.json"};
static const char dflt_modules[] =
    "[{\"idx\":0,\"name\":\"0\",\"path\":\"\",\"type\":\"sentence_transformers.models.Transformer\"},"
    "{\"idx\":1,\"name\":\"1\",\"path\":\"1_Pooling\",\"type\":\"sentence_transformers.models.Pooling\"},"
    "{\"idx\":2,\"name\":\"2\",\"path\":\"2_Dense\",\"type\":\"sentence_transformers.models.Dense\"},"
    "{\"idx\":3,\"name\":\"3\",\"path\":\"3_Dense\",\"type\":\"sentence_transformers.models.Dense\"},"
    "{\"idx\":4,\"name\":\"4\",\"path\":\"4_Normalize\",\"type\":\"sentence_transformers.models.Normalize\"}]";
static const char dflt_dense2[] = "{\"in_features\":8,\"out_features\":4,\"bias\":true,"
                                  "\"activation_function\":\"torch.nn.modules.activation.Tanh\"}";
static const char dflt_dense3[] = "{\"in_features\":4,\"out_features\":6,\"bias\":false,"
                                  "\"activation_function\":\"torch.nn.modules.linear.Identity\"}";
static unsigned char st2[8 + 256 + 4 * (4 * 8 + 4)], st3[8 + 128 + 4 * 24];
static size_t st2_len, st3_len;

/* A safetensors file of F32 tensors {name, rows, cols (0: a vector)} filled
   with small deterministic values; returns its length. */
static size_t mk_st(unsigned char *buf, size_t cap, int n, const char **nm, const int *rows, const int *cols) {
    char h[256];
    size_t hl = 0, off = 0, total;
    int i, k;
    hl += (size_t)snprintf(h + hl, sizeof h - hl, "{");
    for (i = 0; i < n; i++) {
        size_t len = 4 * (size_t)rows[i] * (size_t)(cols[i] ? cols[i] : 1);
        if (cols[i])
            hl += (size_t)snprintf(h + hl, sizeof h - hl, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%d,%d],\"data_offsets\":[%zu,%zu]}",
                                   i ? "," : "", nm[i], rows[i], cols[i], off, off + len);
        else
            hl += (size_t)snprintf(h + hl, sizeof h - hl, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[%d],\"data_offsets\":[%zu,%zu]}",
                                   i ? "," : "", nm[i], rows[i], off, off + len);
        off += len;
    }
    hl += (size_t)snprintf(h + hl, sizeof h - hl, "}");
    while (hl % 8) h[hl++] = ' ';
    total = 8 + hl + off;
    if (total > cap) abort();
    for (i = 0; i < 8; i++) buf[i] = (unsigned char)(((uint64_t)hl >> (8 * i)) & 0xFF);
    memcpy(buf + 8, h, hl);
    for (k = 0; k < (int)(off / 4); k++) {
        float v = (float)((k * 37) % 17 - 8) * 0.0625f;
        memcpy(buf + 8 + hl + 4 * (size_t)k, &v, 4);
    }
    return total;
}

static void write_defaults(void) {
    fz_write_str(names[0], dflt_modules);
    fz_write_str(names[1], dflt_dense2);
    fz_write(names[2], st2, st2_len);
    fz_write_str(names[3], dflt_dense3);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    static const char *n2[] = {"linear.weight", "linear.bias"}, *n3[] = {"linear.weight"};
    static const int r2[] = {4, 4}, c2[] = {8, 0}, r3[] = {6}, c3[] = {4};
    (void)argc;
    (void)argv;
    fz_tiny_model("model", 7);
    fz_mkdir("model/2_Dense");
    fz_mkdir("model/3_Dense");
    fz_mkdir("model/4_Normalize");
    st2_len = mk_st(st2, sizeof st2, 2, n2, r2, c2);
    st3_len = mk_st(st3, sizeof st3, 1, n3, r3, c3);
    fz_write("model/3_Dense/model.safetensors", st3, st3_len);
    write_defaults();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int init;
    static const int32_t ids[] = {101, 7592, 1010, 2088, 102};
    bml_model *m = NULL;
    bml_model_desc d;
    bml_status st;
    int which;
    if (!init) { LLVMFuzzerInitialize(NULL, NULL); init = 1; }
    if (size < 1) return 0;
    which = data[0] & 3;
    fz_write(names[which], data + 1, size - 1);
    memset(&d, 0, sizeof d);
    d.path = fz_path("model");
    d.threads = 1;
    d.no_tokenizer = 1;
    st = bml_model_load(&d, &m);
    fz_check_error(st);
    if (st == BML_OK) {
        const bml_config *c = bml_model_config(m);
        float *e;
        FZ_ASSERT(c->dim >= 1 && c->dim <= 65536 && c->hidden == 8);
        e = (float *)malloc(sizeof(float) * (size_t)c->dim);
        FZ_ASSERT(e != NULL);
        st = bml_embed_ids(m, ids, 5, e);
        fz_check_error(st);
        free(e);
        {   /* gradients through the head: one overlay with a value target of the model's size */
            static char head[65536];
            char spec[600];
            size_t o = 0;
            int i;
            bml_target *t = NULL;
            if (c->dim <= 4096) {
                o += (size_t)snprintf(head + o, sizeof head - o, "{\"weight\":[");
                for (i = 0; i < c->dim; i++) o += (size_t)snprintf(head + o, sizeof head - o, "%s%d", i ? "," : "", i % 5 - 2);
                snprintf(head + o, sizeof head - o, "],\"bias\":0.5}");
                fz_write_str("head.json", head);
                snprintf(spec, sizeof spec, "value:%s", fz_path("head.json"));
                st = bml_target_parse(m, spec, &t);
                fz_check_error(st);
                FZ_ASSERT(st == BML_OK);
                {
                    bml_item it;
                    bml_overlay_desc od;
                    bml_overlay ov;
                    memset(&it, 0, sizeof it);
                    it.ids = ids;
                    it.n_ids = 5;
                    memset(&od, 0, sizeof od);
                    od.method = (bml_method)((data[0] >> 2) % 3);
                    od.target = t;
                    od.steps = 2;
                    memset(&ov, 0, sizeof ov);
                    st = bml_overlay_compute(m, &od, &it, &ov);
                    fz_check_error(st);
                    if (st == BML_OK) FZ_ASSERT(ov.n == 5);
                    bml_overlay_free(&ov);
                }
                bml_target_free(t);
            }
        }
    }
    bml_model_free(m);
    write_defaults();
    return 0;
}

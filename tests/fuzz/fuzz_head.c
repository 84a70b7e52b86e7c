/* fuzz_head: an overlay head file ("value:FILE" {"weight":[H],"bias":b} or
   "policy:FILE:K" {"weight":[[H]...],"bias":[C]}) of arbitrary bytes through
   bml_target_parse against a tiny model (hidden 8, made once with
   bml_mkmodel); a head that parses is evaluated and used for one overlay.
   The first input byte is the class K (and picks value or policy). */
#include "fuzz_common.h"

#ifndef BATCHML_ASSETS_DIR
#define BATCHML_ASSETS_DIR "assets/minilm-l6-arch"
#endif

static bml_model *model;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    bml_model_desc d;
    (void)argc;
    (void)argv;
    fz_tiny_model("model", 5);
    memset(&d, 0, sizeof d);
    d.path = fz_path("model");
    d.threads = 1;
    d.no_tokenizer = 1;
    if (bml_model_load(&d, &model) != BML_OK) { fprintf(stderr, "%s\n", bml_last_error()); abort(); }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char spec[600];
    bml_target *t = NULL;
    bml_status st;
    int policy;
    if (!model) LLVMFuzzerInitialize(NULL, NULL);
    if (size < 1) return 0;
    policy = data[0] & 0x80;
    fz_write("head.json", data + 1, size - 1);
    if (policy) snprintf(spec, sizeof spec, "policy:%s:%d", fz_path("head.json"), (data[0] & 0x7F) - 2);
    else snprintf(spec, sizeof spec, "value:%s", fz_path("head.json"));
    st = bml_target_parse(model, spec, &t);
    fz_check_error(st);
    if (st != BML_OK) {
        FZ_ASSERT(t == NULL);
        return 0;
    }
    {
        static const int32_t ids[] = {101, 7592, 1010, 2088, 102};
        float e[8], de[8];
        bml_item it;
        bml_overlay_desc od;
        bml_overlay o;
        int i;
        for (i = 0; i < 8; i++) e[i] = (float)(i - 3) * 0.125f;
        (void)bml__target_eval(t, e, de);
        memset(&it, 0, sizeof it);
        it.ids = ids;
        it.n_ids = 5;
        memset(&od, 0, sizeof od);
        od.method = (bml_method)(data[0] % 3);
        od.target = t;
        od.steps = 3;
        memset(&o, 0, sizeof o);
        st = bml_overlay_compute(model, &od, &it, &o);
        fz_check_error(st);
        if (st == BML_OK) FZ_ASSERT(o.n == 5);
        bml_overlay_free(&o);
    }
    bml_target_free(t);
    return 0;
}

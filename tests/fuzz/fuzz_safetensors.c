/* fuzz_safetensors: a model.safetensors file of arbitrary bytes through the
   loader's validation (bml__st_open: the 8-byte header length, the JSON
   header, the tensor table -- dtypes, shapes, data offsets, overlaps), then
   every 1-D/2-D float tensor it accepts bound the way model weights are
   (bml__bind: F16/BF16 conversion, realignment, the NaN/Inf scan). Any
   accepted tensor must lie inside the file. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    bml_model *m;
    bml_status st;
    size_t i;
    fz_write("model.safetensors", data, size);
    m = (bml_model *)calloc(1, sizeof *m);
    FZ_ASSERT(m != NULL);
    m->st.fd = -1;
    st = bml__st_open(fz_path("model.safetensors"), &m->st);
    fz_check_error(st);
    if (st != BML_OK) {
        FZ_ASSERT(strstr(bml_last_error(), "model.safetensors") != NULL || st == BML_ERR_NOMEM);
        FZ_ASSERT(m->st.header == NULL && m->st.map == NULL && m->st.fd < 0);
        bml_model_free(m);
        return 0;
    }
    FZ_ASSERT(m->st.size == size);
    for (i = 0; i < m->st.nt; i++) {
        const bml__tensor *t = &m->st.t[i];
        const float *out = NULL;
        FZ_ASSERT(t->begin <= t->end && t->end <= m->st.data_len);
        FZ_ASSERT(m->st.data + t->end <= m->st.map + m->st.size);
        if (t->ndim < 1 || t->ndim > 2 || t->shape[0] == 0 || (t->ndim == 2 && t->shape[1] == 0)) continue;
        if (strncmp(t->name, "bert.", 5) == 0) continue; /* found under the stripped name */
        st = bml__bind(m, t->name, t->shape[0], t->ndim == 2 ? t->shape[1] : 0, &out);
        fz_check_error(st);
        if (st == BML_OK) {
            size_t n = (size_t)t->shape[0] * (size_t)(t->ndim == 2 ? t->shape[1] : 1), k;
            volatile float sink = 0;
            FZ_ASSERT(out != NULL);
            for (k = 0; k < n; k++) sink += out[k];
            (void)sink;
        }
    }
    bml_model_free(m);
    return 0;
}

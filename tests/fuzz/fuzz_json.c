/* fuzz_json: the loader's JSON reader (bml_json_parse) on arbitrary bytes --
   the parser under every JSON file batchml reads and the --input ids lines.
   Checks the DOM it returns: every string NUL-terminated at its length,
   every offset inside the input, element counts consistent. */
#include "fuzz_common.h"

static void walk(const bml_json *v, size_t size, int depth) {
    size_t i;
    FZ_ASSERT(depth <= 257);
    FZ_ASSERT(v->offset < size);
    switch (v->type) {
    case BML_JSON_STRING:
        FZ_ASSERT(v->str != NULL);
        FZ_ASSERT(v->str[v->len] == 0);
        FZ_ASSERT(v->len <= size);
        break;
    case BML_JSON_ARRAY:
    case BML_JSON_OBJECT:
        FZ_ASSERT(v->len == 0 || v->kids != NULL);
        FZ_ASSERT(v->len <= size);
        for (i = 0; i < v->len; i++) {
            const bml_json *k = &v->kids[i];
            if (v->type == BML_JSON_OBJECT) {
                FZ_ASSERT(k->key != NULL && k->key[k->key_len] == 0);
                /* a member found by its own key (first of duplicates) */
                if (strlen(k->key) == k->key_len) FZ_ASSERT(bml_json_get(v, k->key) != NULL);
            } else {
                FZ_ASSERT(k->key == NULL);
            }
            walk(k, size, depth + 1);
        }
        break;
    case BML_JSON_NUMBER:
        break;
    default:
        FZ_ASSERT(v->type <= BML_JSON_OBJECT);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    bml_json_doc *doc = NULL;
    bml_status st = bml_json_parse((const char *)data, size, "fuzz.json", &doc);
    fz_check_error(st);
    if (st == BML_OK) {
        FZ_ASSERT(doc != NULL);
        walk(bml_json_root(doc), size, 0);
        (void)bml_json_get(bml_json_root(doc), "model");
        bml_json_free(doc);
    } else {
        FZ_ASSERT(doc == NULL);
        FZ_ASSERT(strstr(bml_last_error(), "fuzz.json") != NULL || st == BML_ERR_NOMEM);
    }
    return 0;
}

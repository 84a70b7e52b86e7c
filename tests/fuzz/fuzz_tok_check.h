/* Shared by the tokenizer harnesses: run a loaded tokenizer over fixed and
   given texts and check what every encoding must satisfy. */
#ifndef FUZZ_TOK_CHECK_H
#define FUZZ_TOK_CHECK_H

/* Every id has a string, every span lies inside its text; then decode. */
FZ_UNUSED static void fz_check_encoding(const bml_tokenizer *t, const bml_encoding *e, size_t alen, size_t blen) {
    size_t i, vs = bml_tokenizer_vocab_size(t);
    char *dec = NULL;
    size_t dl = 0;
    bml_status st;
    FZ_ASSERT(e->n <= e->cap || e->n == 0);
    for (i = 0; i < e->n; i++) {
        uint32_t s = e->offsets[2 * i], en = e->offsets[2 * i + 1];
        FZ_ASSERT(e->ids[i] >= 0 && (size_t)e->ids[i] < vs);
        FZ_ASSERT(bml_tokenizer_id_to_token(t, e->ids[i]) != NULL);
        FZ_ASSERT(s <= en);
        /* a template may give either text any type id: check against the longer */
        FZ_ASSERT(en <= (alen > blen ? alen : blen));
    }
    st = bml_detokenize(t, e->ids, e->n, &dec, &dl);
    fz_check_error(st);
    if (st == BML_OK) {
        FZ_ASSERT(dec != NULL && strlen(dec) == dl);
        bml_free(dec);
    }
}

FZ_UNUSED static void fz_tokenize_all(const bml_tokenizer *t, const char *a, size_t alen, const char *b, size_t blen) {
    bml_encoding e;
    bml_status st;
    int pol;
    memset(&e, 0, sizeof e);
    for (pol = 0; pol < 2; pol++) {
        st = bml_tokenize(t, a, (ptrdiff_t)alen, (bml_utf8_policy)pol, &e);
        fz_check_error(st);
        if (st == BML_OK) fz_check_encoding(t, &e, alen, 0);
        else FZ_ASSERT(pol == 0 && st == BML_ERR_INVALID_UTF8 && e.bad_offset < alen);
        if (b) {
            st = bml_tokenize_pair(t, a, (ptrdiff_t)alen, b, (ptrdiff_t)blen, (bml_utf8_policy)pol, &e);
            fz_check_error(st);
            if (st == BML_OK) fz_check_encoding(t, &e, alen, blen);
            else FZ_ASSERT(pol == 0 && st == BML_ERR_INVALID_UTF8);
        }
    }
    bml_encoding_free(&e);
}

/* A loaded tokenizer of unknown contents: probe the API and encode a few
   texts that touch every normalizer/pre-tokenizer path. */
FZ_UNUSED static void fz_exercise_tokenizer(const bml_tokenizer *t) {
    static const char *texts[] = {
        "Hello, world! [CLS] [SEP] [MASK] [UNK] [PAD]",
        "H\xc3\xa9llo \xe4\xbd\xa0\xe5\xa5\xbd \xc4\xb0stanbul ##ing unaffable e\xcc\x81\xcc\xa3",
        "\xff\xfe bad \xe2\x82 utf8 \xf0\x9f\x98\x80 \x01\x7f\t\r\n end",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b",
        ""};
    size_t i, vs = bml_tokenizer_vocab_size(t);
    int32_t ids[64];
    const char *which[] = {"cls", "sep", "pad", "unk", "mask", "other"};
    char *dec = NULL;
    bml_status st;
    FZ_ASSERT(vs >= 1);
    FZ_ASSERT(bml_tokenizer_max_len(t) >= 0);
    for (i = 0; i < 6; i++) {
        int32_t id = bml_tokenizer_special_id(t, which[i]);
        FZ_ASSERT(id >= -1 && (id < 0 || (size_t)id < vs));
    }
    for (i = 0; i < vs && i < 300; i++) {
        const char *s = bml_tokenizer_id_to_token(t, (int32_t)i);
        if (s) (void)bml_tokenizer_token_to_id(t, s, strlen(s)); /* may hold a \u0000: no assert */
    }
    FZ_ASSERT(bml_tokenizer_id_to_token(t, -1) == NULL);
    FZ_ASSERT(bml_tokenizer_id_to_token(t, (int32_t)vs) == NULL);
    for (i = 0; i < sizeof texts / sizeof texts[0]; i++)
        fz_tokenize_all(t, texts[i], strlen(texts[i]), texts[(i + 1) % 5], strlen(texts[(i + 1) % 5]));
    for (i = 0; i < 64; i++) ids[i] = (int32_t)((i * 7919u) % (vs + 2)) - 1;
    st = bml_detokenize(t, ids, 64, &dec, NULL);
    fz_check_error(st);
    bml_free(dec);
    {
        /* the batch API across 2 threads: same as one at a time */
        const char *bt[40];
        bml_encoding encs[40], one;
        bml_status bs[40];
        memset(encs, 0, sizeof encs);
        memset(&one, 0, sizeof one);
        for (i = 0; i < 40; i++) bt[i] = texts[i % 5];
        st = bml_tokenize_batch(t, bt, NULL, 40, BML_UTF8_REPLACE, 2, encs, bs);
        FZ_ASSERT(st == BML_OK);
        for (i = 0; i < 40; i++) {
            FZ_ASSERT(bml_tokenize(t, bt[i], -1, BML_UTF8_REPLACE, &one) == bs[i]);
            if (bs[i] == BML_OK)
                FZ_ASSERT(one.n == encs[i].n && !memcmp(one.ids, encs[i].ids, one.n * sizeof(int32_t)));
            bml_encoding_free(&encs[i]);
        }
        bml_encoding_free(&one);
    }
}
#endif

/* Tokenizer unit tests, plus helper modes the conformance scripts use:

     tokenizer_unit MODEL_DIR                 unit checks (PASS/FAIL lines)
     tokenizer_unit --dump-cp TOKENIZER       every scalar value alone:
                                              "hex;normalized cps;class" (as
                                              tests/tok/probe_cp.js prints)
     tokenizer_unit --pairs TOKENIZER MAXLEN  "a\tb" lines -> pair JSON lines
*/
#define BATCHML_IMPLEMENTATION
#include "batchml.h"
#include "bml_test.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static bml_tokenizer *load(const char *dir, const char *file, int max_len) {
    bml_tokenizer_desc d;
    bml_tokenizer *t = NULL;
    memset(&d, 0, sizeof d);
    d.dir = dir;
    d.file = file;
    d.max_len = max_len;
    if (bml_tokenizer_load(&d, &t) != BML_OK) {
        printf("FAIL load %s: %s\n", dir ? dir : file, bml_last_error());
        exit(1);
    }
    return t;
}

static int dump_cp(const char *file) {
    bml_tokenizer *t = load(NULL, file, 0);
    bml__tok_ws *w = (bml__tok_ws *)bml__calloc(1, sizeof *w);
    uint32_t cp;
    char *out = (char *)malloc(64u << 20);
    size_t o = 0;
    for (cp = 0; cp < 0x110000; cp++) {
        char s[8];
        size_t n, k, j;
        unsigned p;
        if (cp >= 0xD800 && cp < 0xE000) continue;
        n = bml__utf8_put(s, cp);
        if (bml__tok_normalize(t, w, (const uint8_t *)s, 0, n, &k) != BML_OK) return 1;
        o += (size_t)sprintf(out + o, "%x;", (unsigned)cp);
        for (j = 0; j < k; j++) o += (size_t)sprintf(out + o, j ? " %x" : "%x", (unsigned)w->cp[j]);
        p = bml__tok_prop(cp);
        o += (size_t)sprintf(out + o, ";%c\n", (p & BML__TOK_F_WS) ? 'W' : (p & BML__TOK_F_PUNCT) ? 'P' : 'N');
    }
    fwrite(out, 1, o, stdout);
    free(out);
    bml__tok_ws_free(w);
    bml_tokenizer_free(t);
    return 0;
}

static void json_encoding(FILE *f, const bml_tokenizer *t, const bml_encoding *e, int type_ids) {
    size_t k;
    fputs("{\"ids\":[", f);
    for (k = 0; k < e->n; k++) fprintf(f, k ? ",%d" : "%d", (int)e->ids[k]);
    fputs("],\"tokens\":[", f);
    for (k = 0; k < e->n; k++) {
        const char *s = bml_tokenizer_id_to_token(t, e->ids[k]);
        if (k) fputc(',', f);
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"' || *s == '\\') fputc('\\', f);
            fputc(*s, f);
        }
        fputc('"', f);
    }
    fputs("],\"offsets\":[", f);
    for (k = 0; k < e->n; k++) fprintf(f, k ? ",[%u,%u]" : "[%u,%u]", e->offsets[2 * k], e->offsets[2 * k + 1]);
    if (type_ids) {
        fputs("],\"type_ids\":[", f);
        for (k = 0; k < e->n; k++) fprintf(f, k ? ",%d" : "%d", e->type_ids[k]);
    }
    fputs("]}\n", f);
}

static int pairs(const char *file, int max_len) {
    bml_tokenizer *t = load(NULL, file, max_len);
    bml_encoding e;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    memset(&e, 0, sizeof e);
    while ((n = bmlt_getline(&line, &cap, stdin)) >= 0) {
        char *tab;
        size_t alen, blen;
        if (n > 0 && line[n - 1] == '\n') n--;
        tab = memchr(line, '\t', (size_t)n);
        alen = tab ? (size_t)(tab - line) : (size_t)n;
        blen = tab ? (size_t)n - alen - 1 : 0;
        if (bml_tokenize_pair(t, line, (ptrdiff_t)alen, tab ? tab + 1 : "", (ptrdiff_t)blen, BML_UTF8_REPLACE, &e) != BML_OK) {
            fprintf(stderr, "%s\n", bml_last_error());
            return 1;
        }
        json_encoding(stdout, t, &e, 1);
    }
    free(line);
    bml_encoding_free(&e);
    bml_tokenizer_free(t);
    return 0;
}

/* ---------------------------------------------------------------- unit */

static int same_encoding(const bml_encoding *a, const bml_encoding *b) {
    return a->n == b->n && !memcmp(a->ids, b->ids, a->n * 4) && !memcmp(a->offsets, b->offsets, a->n * 8) &&
           !memcmp(a->type_ids, b->type_ids, a->n);
}

static void write_file(const char *path, const char *s, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) { printf("FAIL write %s\n", path); exit(1); }
    fwrite(s, 1, n, f);
    fclose(f);
}

static void write_str(const char *path, const char *s) { write_file(path, s, strlen(s)); }

static char *slurp(const char *path, size_t *n) {
    char *b;
    bml_status st = bml__read_file(path, (size_t)1 << 30, &b, n);
    return st == BML_OK ? b : NULL;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const char *ids_str(const bml_encoding *e) {
    static char buf[4096];
    size_t k, o = 0;
    buf[0] = 0;
    for (k = 0; k < e->n && o < sizeof buf - 16; k++) o += (size_t)snprintf(buf + o, sizeof buf - o, k ? ",%d" : "%d", (int)e->ids[k]);
    return buf;
}

static int expect_ids(const bml_tokenizer *t, const char *name, const char *text, const char *want) {
    bml_encoding e;
    int ok;
    memset(&e, 0, sizeof e);
    ok = bml_tokenize(t, text, -1, BML_UTF8_ERROR, &e) == BML_OK && !strcmp(ids_str(&e), want);
    CHECK(ok, name, "got %s, want %s (%s)", ids_str(&e), want, bml_last_error());
    bml_encoding_free(&e);
    return ok;
}

static void unit(const char *dir) {
#ifdef _WIN32
    char path[1024], tmpl[] = "bml_tok_XXXXXX", *tmp, *vocab; /* (in the working directory) */
#else
    char path[1024], tmpl[] = "/tmp/bml_tok_XXXXXX", *tmp, *vocab;
#endif
    size_t vlen, i;
    bml_tokenizer *t = load(dir, NULL, 0), *tv, *tsmall;
    bml_tokenizer_desc d;
    bml_tokenizer *bad;
    bml_encoding e, e2;
    bml_status st;
    memset(&e, 0, sizeof e);
    memset(&e2, 0, sizeof e2);

    CHECK(bml_tokenizer_vocab_size(t) == 30522, "tok_vocab_size", "got %zu", bml_tokenizer_vocab_size(t));
    CHECK(bml_tokenizer_max_len(t) == 256, "tok_max_len_default", "got %d (sentence_bert_config says 256)", bml_tokenizer_max_len(t));
    CHECK(bml_tokenizer_token_to_id(t, "hello", 5) == 7592 && !strcmp(bml_tokenizer_id_to_token(t, 7592), "hello"),
          "tok_lookup", "hello -> %d", (int)bml_tokenizer_token_to_id(t, "hello", 5));
    CHECK(bml_tokenizer_token_to_id(t, "##s", 3) == 2015 && bml_tokenizer_token_to_id(t, "nosuchtoken", 11) == -1 &&
          bml_tokenizer_id_to_token(t, -1) == NULL && bml_tokenizer_id_to_token(t, 30522) == NULL,
          "tok_lookup_edges", "##s -> %d", (int)bml_tokenizer_token_to_id(t, "##s", 3));
    CHECK(bml_tokenizer_special_id(t, "cls") == 101 && bml_tokenizer_special_id(t, "sep") == 102 &&
          bml_tokenizer_special_id(t, "pad") == 0 && bml_tokenizer_special_id(t, "unk") == 100 &&
          bml_tokenizer_special_id(t, "mask") == 103, "tok_special_ids", "cls %d sep %d", (int)bml_tokenizer_special_id(t, "cls"),
          (int)bml_tokenizer_special_id(t, "sep"));

    expect_ids(t, "tok_basic", "Hello, world!", "101,7592,1010,2088,999,102");
    expect_ids(t, "tok_empty", "", "101,102");
    expect_ids(t, "tok_accents", "Café RÉSUMÉ naïve", "101,7668,13746,15743,102");
    expect_ids(t, "tok_specials_in_text", "a[SEP]b [cls]", "101,1037,102,1038,1031,18856,2015,1033,102");
    expect_ids(t, "tok_cjk", "中文ab", "101,1746,1861,11113,102");
    expect_ids(t, "tok_istanbul", "İstanbul", "101,9960,102");

    /* offsets are bytes of the input */
    st = bml_tokenize(t, "é x", -1, BML_UTF8_ERROR, &e);
    CHECK(st == BML_OK && e.n == 4 && e.offsets[2] == 0 && e.offsets[3] == 2 && e.offsets[4] == 3 && e.offsets[5] == 4 &&
          e.offsets[0] == 0 && e.offsets[1] == 0 && e.type_ids[1] == 0, "tok_offsets_bytes", "n %zu [%u,%u] [%u,%u]", e.n,
          e.offsets[2], e.offsets[3], e.offsets[4], e.offsets[5]);

    /* invalid UTF-8 */
    st = bml_tokenize(t, "ok \xC3\x28 no", -1, BML_UTF8_ERROR, &e);
    CHECK(st == BML_ERR_INVALID_UTF8 && e.bad_offset == 3 && strstr(bml_last_error(), "byte 3"), "tok_invalid_utf8_error",
          "status %s offset %zu msg '%s'", bml_status_name(st), e.bad_offset, bml_last_error());
    st = bml_tokenize(t, "ab\xFF" "cd \xE2\x82 x", -1, BML_UTF8_REPLACE, &e);
    /* U+FFFD is dropped by clean_text: "ab" "cd" joins into one word abcd */
    CHECK(st == BML_OK && e.n >= 3 && e.offsets[2] == 0 && e.offsets[2 * (e.n - 2) + 1] == 10, "tok_invalid_utf8_replace",
          "status %s ids %s", bml_status_name(st), ids_str(&e));
    {
        static const char *bads[] = {"\xC0\x80", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xF8", "\x80", "\xE0\x9F\x80", "\xF0\x8F\xBF\xBF"};
        size_t off;
        int ok = 1;
        for (i = 0; i < sizeof bads / sizeof bads[0]; i++) ok &= !bml_utf8_check(bads[i], strlen(bads[i]), &off) && off == 0;
        ok &= bml_utf8_check("\xF4\x8F\xBF\xBF \xEF\xBF\xBF \xE0\xA0\x80", 12, &off);
        CHECK(ok, "tok_utf8_check", "overlongs, surrogates, > U+10FFFF must be rejected");
    }

    /* truncation */
    {
        char *big = (char *)malloc(100000);
        for (i = 0; i < 99990; i++) big[i] = (char)("ab cd. "[i % 7]);
        big[i] = 0;
        st = bml_tokenize(t, big, -1, BML_UTF8_ERROR, &e);
        CHECK(st == BML_OK && e.n == 256 && e.ids[0] == 101 && e.ids[255] == 102, "tok_truncation", "n %zu", e.n);
        tsmall = load(dir, NULL, 8);
        st = bml_tokenize_pair(tsmall, "hello world foo bar", -1, "é x y z w v u t s", -1, BML_UTF8_ERROR, &e);
        CHECK(st == BML_OK && !strcmp(ids_str(&e), "101,7592,2088,102,1041,1060,1061,102") && e.type_ids[3] == 0 &&
              e.type_ids[4] == 1 && e.type_ids[7] == 1 && e.offsets[8] == 0 && e.offsets[9] == 2, "tok_pair_truncation",
              "ids %s", ids_str(&e));
        bml_tokenizer_free(tsmall);
        d.dir = dir; d.file = NULL; d.max_len = 100000;
        if (bml_tokenizer_load(&d, &tsmall) == BML_OK) {
            CHECK(bml_tokenizer_max_len(tsmall) == 512, "tok_max_len_clamp", "got %d, config.json allows 512", bml_tokenizer_max_len(tsmall));
            bml_tokenizer_free(tsmall);
        }
        d.max_len = -1;
        if (bml_tokenizer_load(&d, &tsmall) == BML_OK) {
            st = bml_tokenize(tsmall, big, -1, BML_UTF8_ERROR, &e);
            CHECK(st == BML_OK && e.n > 40000, "tok_no_truncation", "n %zu", e.n);
            bml_tokenizer_free(tsmall);
        }
        free(big);
    }

    /* decode */
    {
        static const int32_t ids[] = {101, 7592, 1010, 2088, 999, 1045, 2123, 1005, 1056, 2113, 1012, 2023, 2015, 102};
        char *s = NULL;
        size_t n = 0;
        st = bml_detokenize(t, ids, sizeof ids / sizeof ids[0], &s, &n);
        CHECK(st == BML_OK && !strcmp(s, "hello, world! i don ' t know. thiss") && n == strlen(s), "tok_decode",
              "got '%s'", s ? s : "(null)");
        bml_free(s);
        s = NULL;
        {
            int32_t badid = 30522;
            st = bml_detokenize(t, &badid, 1, &s, &n);
            CHECK(st == BML_ERR_OUT_OF_RANGE && !s, "tok_decode_out_of_range", "status %s", bml_status_name(st));
        }
    }

    /* batch == one at a time; a bad item fails alone */
    {
        enum { N = 3000 };
        const char **texts = (const char **)calloc(N, sizeof *texts);
        char (*store)[64] = calloc(N, 64);
        bml_encoding *encs = (bml_encoding *)calloc(N, sizeof *encs);
        bml_status *sts = (bml_status *)calloc(N, sizeof *sts);
        int ok = 1;
        for (i = 0; i < N; i++) {
            snprintf(store[i], 64, "Item %zu: naïve %s, [SEP] 東京 %zu!", i, i % 3 ? "Straße" : "ÉCOLE", i * 7919);
            texts[i] = store[i];
        }
        texts[1234] = "bad \xFF byte";
        st = bml_tokenize_batch(t, texts, NULL, N, BML_UTF8_ERROR, 2, encs, sts);
        for (i = 0; i < N && ok; i++) {
            if (i == 1234) { ok = sts[i] == BML_ERR_INVALID_UTF8 && encs[i].bad_offset == 4; continue; }
            ok = sts[i] == BML_OK && bml_tokenize(t, texts[i], -1, BML_UTF8_ERROR, &e) == BML_OK && same_encoding(&e, &encs[i]);
        }
        CHECK(st == BML_OK && ok, "tok_batch", "item %zu differs", i - 1);
        {
            const char *pa[3] = {"a question?", "", "x"}, *pb[3] = {"an answer.", "b", ""};
            bml_encoding pe[3];
            bml_status ps[3];
            memset(pe, 0, sizeof pe);
            st = bml_tokenize_pair_batch(t, pa, NULL, pb, NULL, 3, BML_UTF8_ERROR, 2, pe, ps);
            ok = st == BML_OK;
            for (i = 0; i < 3 && ok; i++)
                ok = ps[i] == BML_OK && bml_tokenize_pair(t, pa[i], -1, pb[i], -1, BML_UTF8_ERROR, &e) == BML_OK && same_encoding(&e, &pe[i]);
            CHECK(ok, "tok_pair_batch", "pair %zu differs", i);
            for (i = 0; i < 3; i++) bml_encoding_free(&pe[i]);
        }
        {
            const int32_t *idp[N];
            size_t ns[N];
            char **outs = (char **)calloc(N, sizeof *outs);
            ok = 1;
            for (i = 0; i < N; i++) { idp[i] = encs[i].ids; ns[i] = encs[i].n; }
            st = bml_detokenize_batch(t, idp, ns, N, 2, outs, NULL, sts);
            for (i = 0; i < N && ok; i++) {
                char *s;
                size_t n;
                ok = sts[i] == BML_OK && bml_detokenize(t, idp[i], ns[i], &s, &n) == BML_OK && !strcmp(s, outs[i]);
                if (sts[i] == BML_OK) bml_free(s);
                bml_free(outs[i]);
            }
            CHECK(st == BML_OK && ok, "tok_decode_batch", "item %zu differs", i - 1);
            free(outs);
        }
        for (i = 0; i < N; i++) bml_encoding_free(&encs[i]);
        free(texts); free(store); free(encs); free(sts);
    }

    /* vocab.txt + tokenizer_config.json gives the same ids; loader errors */
    tmp = bmlt_mkdtemp(tmpl);
    snprintf(path, sizeof path, "%s/vocab.txt", dir);
    vocab = slurp(path, &vlen);
    if (tmp && vocab) {
        static const char *texts[] = {"Hello, World! [SEP] x", "Ünïcödé 中文 ﬁ ǅ İ", "", "[CLS][UNK]", "don't stop"};
        char p2[1200];
        char *cfg;
        size_t clen;
        snprintf(p2, sizeof p2, "%s/vocab.txt", tmp);
        write_file(p2, vocab, vlen);
        snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
        cfg = slurp(path, &clen);
        snprintf(p2, sizeof p2, "%s/tokenizer_config.json", tmp);
        if (cfg) write_file(p2, cfg, clen);
        free(cfg);
        tv = load(tmp, NULL, 256);
        {
            int ok = bml_tokenizer_vocab_size(tv) == bml_tokenizer_vocab_size(t);
            for (i = 0; i < sizeof texts / sizeof texts[0] && ok; i++)
                ok = bml_tokenize(t, texts[i], -1, BML_UTF8_ERROR, &e) == BML_OK &&
                     bml_tokenize(tv, texts[i], -1, BML_UTF8_ERROR, &e2) == BML_OK && same_encoding(&e, &e2);
            CHECK(ok, "tok_vocab_txt_same_ids", "text %zu differs", i - 1);
        }
        bml_tokenizer_free(tv);
        /* duplicate token on line 17 */
        {
            char *dup = (char *)malloc(vlen + 16);
            size_t nl = 0, k;
            for (k = 0; k < vlen && nl < 16; k++) if (vocab[k] == '\n') nl++;
            memcpy(dup, vocab, k);
            memcpy(dup + k, "[PAD]\n", 6);
            memcpy(dup + k + 6, vocab + k, vlen - k);
            snprintf(p2, sizeof p2, "%s/vocab.txt", tmp);
            write_file(p2, dup, vlen + 6);
            free(dup);
            memset(&d, 0, sizeof d);
            d.dir = tmp;
            st = bml_tokenizer_load(&d, &bad);
            CHECK(st == BML_ERR_FORMAT && strstr(bml_last_error(), "vocab.txt line 17: duplicate token '[PAD]'"),
                  "tok_vocab_duplicate_error", "status %s '%s'", bml_status_name(st), bml_last_error());
            write_str(p2, "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhi\xFF\n");
            st = bml_tokenizer_load(&d, &bad);
            CHECK(st == BML_ERR_FORMAT && strstr(bml_last_error(), "vocab.txt line 5: invalid UTF-8"), "tok_vocab_utf8_error",
                  "status %s '%s'", bml_status_name(st), bml_last_error());
            write_str(p2, "[PAD]\n[CLS]\n[SEP]\n");
            st = bml_tokenizer_load(&d, &bad);
            CHECK(st == BML_ERR_FORMAT && strstr(bml_last_error(), "unk_token '[UNK]' is not in the vocabulary"),
                  "tok_vocab_no_unk_error", "status %s '%s'", bml_status_name(st), bml_last_error());
            remove(p2);
            snprintf(p2, sizeof p2, "%s/tokenizer.json", tmp);
            write_str(p2, "{\"model\": {\"type\": \"BPE\", \"vocab\": {}}}");
            st = bml_tokenizer_load(&d, &bad);
            CHECK(st == BML_ERR_UNSUPPORTED && strstr(bml_last_error(), "tokenizer.json: model.type 'BPE'"),
                  "tok_json_unsupported_error", "status %s '%s'", bml_status_name(st), bml_last_error());
            write_str(p2, "{\"model\": {\"vocab\": {\"a\": 1,}}}");
            st = bml_tokenizer_load(&d, &bad);
            CHECK(st == BML_ERR_FORMAT && strstr(bml_last_error(), "tokenizer.json: invalid JSON at byte"),
                  "tok_json_syntax_error", "status %s '%s'", bml_status_name(st), bml_last_error());
            remove(p2);
            snprintf(p2, sizeof p2, "%s/tokenizer_config.json", tmp);
            remove(p2);
            rmdir(tmp);
            d.dir = "/nonexistent/model";
            st = bml_tokenizer_load(&d, &bad);
            CHECK(st == BML_ERR_IO && strstr(bml_last_error(), "/nonexistent/model"), "tok_missing_dir_error",
                  "status %s '%s'", bml_status_name(st), bml_last_error());
        }
    }
    free(vocab);

    /* robustness: random bytes never crash, offsets stay inside the text and ordered */
    {
        unsigned long long x = 88172645463325252ull;
        char buf[600];
        int ok = 1, it;
        for (it = 0; it < 20000 && ok; it++) {
            size_t n = 0, k;
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            n = (size_t)(x % sizeof buf);
            for (k = 0; k < n; k++) {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                /* mostly valid-looking UTF-8 lead/continuation mixes and ASCII */
                buf[k] = (char)((x >> 8) % 5 == 0 ? (0x80 | (x >> 16) % 64) : (x >> 8) % 5 == 1 ? (0xC0 | (x >> 16) % 64) : (x >> 24) & 0xFF);
            }
            st = bml_tokenize(t, buf, (ptrdiff_t)n, BML_UTF8_REPLACE, &e);
            ok = st == BML_OK && e.n >= 2;
            for (k = 0; k < e.n && ok; k++) ok = e.offsets[2 * k] <= e.offsets[2 * k + 1] && e.offsets[2 * k + 1] <= n;
            if (ok && bml_utf8_check(buf, n, NULL)) ok = bml_tokenize(t, buf, (ptrdiff_t)n, BML_UTF8_ERROR, &e2) == BML_OK && same_encoding(&e, &e2);
        }
        CHECK(ok, "tok_random_bytes", "iteration %d: %s", it, bml_last_error());
    }

    /* linear time: 1 MiB of one word / punctuation / CJK / combining marks
       within 3x the time per byte of 1 MiB of ordinary text (best of 7,
       interleaved so that machine noise hits all alike). A timing: not
       under an emulator, where the costs are the emulator's (make test runs
       it natively) */
    if (bmlt_emulated()) {
        printf("# tok_linear_*: not timed under an emulator (the native make test times them)\n");
    } else {
        size_t n = 1 << 20, k, len[5];
        static const char *units[] = {"A man is playing a guitar, don't you think? ", "a", "!", "\xE4\xB8\xAD",
                                      "\xCC\x81\xCC\x96\xCD\x85"};
        static const char *names[] = {"", "tok_linear_word", "tok_linear_punct", "tok_linear_cjk", "tok_linear_marks"};
        char *s[5];
        double best[5];
        int u, r;
        bml_status st5[5];
        bml_tokenizer *tn;
        memset(&d, 0, sizeof d);
        d.dir = dir;
        d.max_len = -1;
        tn = NULL;
        bml_tokenizer_load(&d, &tn);
        for (u = 0; u < 5; u++) {
            size_t ul = strlen(units[u]);
            s[u] = (char *)malloc(n + 8);
            for (k = 0; k + ul <= n; k += ul) memcpy(s[u] + k, units[u], ul);
            len[u] = k;
            best[u] = 1e30;
        }
        for (r = 0; r < 7 && tn; r++)
            for (u = 0; u < 5; u++) {
                double t0 = now_s();
                st5[u] = bml_tokenize(tn, s[u], (ptrdiff_t)len[u], BML_UTF8_ERROR, &e);
                t0 = (now_s() - t0) / (double)len[u];
                if (t0 < best[u]) best[u] = t0;
            }
        for (u = 1; u < 5 && tn; u++) {
            printf("# %s: %.1f ns/byte, ordinary text %.1f (%.2fx)\n", names[u], best[u] * 1e9, best[0] * 1e9, best[u] / best[0]);
            CHECK(st5[u] == BML_OK && best[u] <= 3 * best[0], names[u], "%.1f ns/byte vs %.1f for ordinary text (%s)",
                  best[u] * 1e9, best[0] * 1e9, bml_status_name(st5[u]));
        }
        for (u = 0; u < 5; u++) free(s[u]);
        bml_tokenizer_free(tn);
    }

    bml_encoding_free(&e);
    bml_encoding_free(&e2);
    bml_tokenizer_free(t);
}

int main(int argc, char **argv) {
    if (argc >= 3 && !strcmp(argv[1], "--dump-cp")) return dump_cp(argv[2]);
    if (argc >= 4 && !strcmp(argv[1], "--pairs")) return pairs(argv[2], atoi(argv[3]));
    if (argc < 2) {
        fprintf(stderr, "usage: tokenizer_unit MODEL_DIR | --dump-cp TOKENIZER | --pairs TOKENIZER MAXLEN\n");
        return 2;
    }
    unit(argv[1]);
    TEST_EXIT();
}

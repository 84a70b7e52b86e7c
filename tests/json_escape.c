/* tests/json_escape.c -- bml_json_escape, the one JSON string escaper of the
   library, its exporter and the CLI: escapes, invalid UTF-8 (each maximal
   invalid subsequence one U+FFFD), cut buffers, and that every output is
   valid JSON that bml_json_parse reads back to the expected string. */
#define BATCHML_IMPLEMENTATION
#include "batchml.h"
#include "bml_test.h"

static void one(const char *name, const char *in, size_t n, const char *want, const char *want_back, size_t back_len) {
    char buf[256];
    size_t len = bml_json_escape(in, n, buf, sizeof buf), need = bml_json_escape(in, n, NULL, 0);
    bml_json_doc *doc = NULL;
    int parsed = 0, back = 0;
    if (bml_json_parse(buf, len, "escape", &doc) == BML_OK) {
        const bml_json *r = bml_json_root(doc);
        parsed = r->type == BML_JSON_STRING;
        back = parsed && r->len == back_len && !memcmp(r->str, want_back, r->len);
        bml_json_free(doc);
    }
    CHECK(len == need && len == strlen(want) && !strcmp(buf, want) && parsed && back, name,
          "got %s (len %zu, measured %zu), want %s; parses %d, round trip %d", buf, len, need, want, parsed, back);
}

/* in and back as string literals: their lengths are exact, NUL bytes included */
#define ONE(name, in, want, back) one(name, in, sizeof(in) - 1, want, back, sizeof(back) - 1)

int main(void) {
    ONE("plain", "abc", "\"abc\"", "abc");
    ONE("empty", "", "\"\"", "");
    ONE("quote_backslash", "a\"b\\c", "\"a\\\"b\\\\c\"", "a\"b\\c");
    ONE("control_bytes", "a\nb\x01\x1f", "\"a\\u000ab\\u0001\\u001f\"", "a\nb\x01\x1f");
    ONE("nul_byte", "a\0b", "\"a\\u0000b\"", "a\0b");
    ONE("valid_utf8", "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80\"",
        "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80");
    ONE("lone_continuation", "a\x80z", "\"a\\ufffdz\"", "a\xef\xbf\xbdz");
    ONE("truncated_4byte", "a\xf0\x9f\x98", "\"a\\ufffd\"", "a\xef\xbf\xbd");
    ONE("overlong_e0", "\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    ONE("surrogate_ed", "\xed\xa0\x80x", "\"\\ufffd\\ufffd\\ufffdx\"", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx");
    ONE("c0_c1_f5_ff", "\xc0\xc1\xf5\xff", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    ONE("valid_after_invalid", "\xe2\x82\xe2\x82\xac", "\"\\ufffd\xe2\x82\xac\"", "\xef\xbf\xbd\xe2\x82\xac");
    {   /* a cut buffer: the length it needs, NUL-terminated inside */
        char small[5];
        size_t n = bml_json_escape("abcdef", 6, small, sizeof small);
        CHECK(n == 8 && !strcmp(small, "\"abc"), "cut_buffer", "n %zu, got %s", n, small);
    }
    {   /* \u escapes in the parser: a pair is one character, a lone surrogate an
           error at the escape's offset (as serde_json, HF tokenizers' parser) */
        static const char *const bad[] = {"[\"a\\ud800b\"]", "[\"a\\udc00\"]", "[\"\\ud800\\u0041\"]"};
        bml_json_doc *doc = NULL;
        int i, ok = 1;
        char msgs[600] = "";
        ok &= bml_json_parse("[\"\\ud83d\\ude00\"]", 16, "t", &doc) == BML_OK &&
              !strcmp(bml_json_root(doc)->kids[0].str, "\xf0\x9f\x98\x80");
        bml_json_free(doc);
        for (i = 0; i < 3; i++) {
            doc = NULL;
            ok &= bml_json_parse(bad[i], strlen(bad[i]), "t", &doc) == BML_ERR_FORMAT && !doc &&
                  strstr(bml_last_error(), "lone surrogate") && strstr(bml_last_error(), i == 2 ? "byte 2" : "byte 3");
            snprintf(msgs + strlen(msgs), sizeof msgs - strlen(msgs), " [%s]", bml_last_error());
        }
        CHECK(ok, "parse_surrogates", "pair or lone surrogates misread:%s", msgs);
    }
    TEST_EXIT();
}

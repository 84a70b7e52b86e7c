/* Tokenizer throughput and linear-time bench (bench/tokenizer.sh runs it
   side by side with HF tokenizers).

     build/bench/tokenizer MODEL_DIR TEXTS.txt [REPS]

   prints JSON lines: {"what":..., "texts":N, "tokens":N, "seconds":S}
   - single: bml_tokenize one text at a time, one thread (best of REPS)
   - batch2: bml_tokenize_batch on 2 threads over all texts (best of REPS)
   - linear_*: 1 MiB inputs, no truncation: ordinary text, one word,
     punctuation, CJK, combining marks; ns per byte. */
#define BATCHML_IMPLEMENTATION
#include "batchml.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    bml_tokenizer_desc d;
    bml_tokenizer *t, *tn;
    bml_encoding e;
    char *buf;
    size_t len, n = 0, i, cap = 1024, ntok = 0;
    const char **texts;
    size_t *lens;
    int reps = argc > 3 ? atoi(argv[3]) : 5, r;
    double best;
    FILE *f;
    if (argc < 3) { fprintf(stderr, "usage: tokenizer MODEL_DIR TEXTS.txt [REPS]\n"); return 2; }
    memset(&d, 0, sizeof d);
    memset(&e, 0, sizeof e);
    d.dir = argv[1];
    if (bml_tokenizer_load(&d, &t) != BML_OK) { fprintf(stderr, "%s\n", bml_last_error()); return 1; }
    d.max_len = -1;
    if (bml_tokenizer_load(&d, &tn) != BML_OK) { fprintf(stderr, "%s\n", bml_last_error()); return 1; }
    f = fopen(argv[2], "rb");
    if (!f) { perror(argv[2]); return 1; }
    fseek(f, 0, SEEK_END);
    len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = (char *)malloc(len + 1);
    if (fread(buf, 1, len, f) != len) return 1;
    fclose(f);
    buf[len] = 0;
    texts = (const char **)malloc(cap * sizeof *texts);
    lens = (size_t *)malloc(cap * sizeof *lens);
    for (i = 0; i < len;) {
        size_t j = i;
        while (j < len && buf[j] != '\n') j++;
        if (n == cap) {
            cap *= 2;
            texts = (const char **)realloc(texts, cap * sizeof *texts);
            lens = (size_t *)realloc(lens, cap * sizeof *lens);
        }
        texts[n] = buf + i;
        lens[n] = j - i;
        n++;
        i = j + 1;
    }
    /* one at a time */
    best = 1e30;
    for (r = 0; r < reps; r++) {
        double t0 = now();
        ntok = 0;
        for (i = 0; i < n; i++) {
            if (bml_tokenize(t, texts[i], (ptrdiff_t)lens[i], BML_UTF8_ERROR, &e) != BML_OK) { fprintf(stderr, "%s\n", bml_last_error()); return 1; }
            ntok += e.n;
        }
        t0 = now() - t0;
        if (t0 < best) best = t0;
    }
    printf("{\"what\":\"single\",\"texts\":%zu,\"tokens\":%zu,\"seconds\":%.6f}\n", n, ntok, best);
    /* batch, 2 threads */
    {
        bml_encoding *encs = (bml_encoding *)calloc(n, sizeof *encs);
        bml_status *st = (bml_status *)calloc(n, sizeof *st);
        best = 1e30;
        for (r = 0; r < reps; r++) {
            double t0 = now();
            size_t k;
            for (k = 0; k < n; k += 1000) {
                size_t m = n - k < 1000 ? n - k : 1000;
                bml_tokenize_batch(t, texts + k, lens + k, m, BML_UTF8_ERROR, 2, encs + k, st + k);
            }
            t0 = now() - t0;
            if (t0 < best) best = t0;
        }
        ntok = 0;
        for (i = 0; i < n; i++) { ntok += encs[i].n; bml_encoding_free(&encs[i]); }
        printf("{\"what\":\"batch2\",\"texts\":%zu,\"tokens\":%zu,\"seconds\":%.6f}\n", n, ntok, best);
        free(encs);
        free(st);
    }
    /* linear time on 1 MiB inputs */
    {
        size_t big = (size_t)1 << 20, k, u;
        char *s = (char *)malloc(big + 64);
        static const char *names[] = {"ordinary", "one_word", "punctuation", "cjk", "combining_marks"};
        for (u = 0; u < 5; u++) {
            size_t o = 0, q = 0;
            while (o < big) {
                const char *piece;
                char tmp[64];
                size_t pl;
                if (u == 0) { /* the texts themselves, a space between */
                    piece = texts[q % n]; pl = lens[q % n]; q++;
                    if (pl > 60) { pl = 60; while (pl > 0 && ((unsigned char)piece[pl] & 0xC0) == 0x80) pl--; }
                    memcpy(tmp, piece, pl); tmp[pl++] = ' '; piece = tmp;
                }
                else if (u == 1) { piece = "abcdefghijklmnopqrstuvwxyz"; pl = 26; }
                else if (u == 2) { piece = "!?.,;:'\"()[]{}-_/\\@#$%^&*+=<>|~`"; pl = 32; }
                else if (u == 3) { piece = "\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97\xe7\xac\xa6"; pl = 12; }
                else { piece = "\xcc\x81\xcc\x96\xcc\x80\xcd\x85\xd6\xb0\xcc\xa3"; pl = 12; } /* marks of several classes */
                if (o + pl > big) pl = big - o;
                /* keep UTF-8 whole */
                while (pl > 0 && o + pl < big + 1 && ((unsigned char)piece[pl - 1] & 0xC0) == 0xC0) pl--;
                memcpy(s + o, piece, pl);
                o += pl;
                if (pl == 0) break;
            }
            k = o;
            while (k > 0 && ((unsigned char)s[k - 1] & 0x80)) {
                size_t st = k - 1;
                while (st > 0 && ((unsigned char)s[st] & 0xC0) == 0x80) st--;
                if (bml_utf8_check(s + st, k - st, NULL)) break;
                k = st;
            }
            best = 1e30;
            for (r = 0; r < reps; r++) {
                double t0 = now();
                if (bml_tokenize(tn, s, (ptrdiff_t)k, BML_UTF8_ERROR, &e) != BML_OK) { fprintf(stderr, "%s: %s\n", names[u], bml_last_error()); return 1; }
                t0 = now() - t0;
                if (t0 < best) best = t0;
            }
            printf("{\"what\":\"linear_%s\",\"bytes\":%zu,\"tokens\":%zu,\"seconds\":%.6f}\n", names[u], k, e.n, best);
        }
        free(s);
    }
    bml_encoding_free(&e);
    bml_tokenizer_free(t);
    bml_tokenizer_free(tn);
    free(buf);
    free((void *)texts);
    free(lens);
    return 0;
}

/* Overlays: finite-difference check of the backward pass, batched vs one at
   a time (<= 1e-6 on values, every batch size 1..32, mixed lengths),
   deterministic mode bitwise across batch sizes, and target/method errors.
   usage: overlay TINY_MODEL_DIR WORKDIR */
#define BATCHML_IMPLEMENTATION
#include "batchml.h"
#include "bml_test.h"

static uint64_t rng = 99;
static uint32_t rnd(void) { rng = rng * 6364136223846793005ull + 1442695040888963407ull; return (uint32_t)(rng >> 33); }

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

#define NT 40

static double f_of(bml_model *m, const bml_overlay_desc *d, const bml_item *it) {
    bml_overlay o;
    double f;
    if (bml_overlay_compute(m, d, it, &o) != BML_OK) return NAN;
    f = o.f;
    bml_overlay_free(&o);
    return f;
}

int main(int argc, char **argv) {
    bml_model *m, *det;
    bml_model_desc md = {0};
    bml_target *val, *pol, *sim;
    char path[4096], buf[8192];
    int H, i, j;
    int32_t *ids[NT];
    bml_item items[NT];
    bml_overlay seq[NT], bat[NT];
    bml_overlay_desc d = {0};
    if (argc != 3) return 2;
    md.path = argv[1];
    md.threads = 2;
    if (!CHECK(bml_model_load(&md, &m) == BML_OK, "load", "%s", bml_last_error())) TEST_EXIT();
    H = bml_model_config(m)->hidden;
    /* head files */
    {
        size_t o = 0;
        o += (size_t)snprintf(buf + o, sizeof buf - o, "{\"weight\":[");
        for (i = 0; i < H; i++) o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%.4f", i ? "," : "", (double)((int)(rnd() % 2001) - 1000) / 500.0);
        snprintf(buf + o, sizeof buf - o, "],\"bias\":0.1}");
        snprintf(path, sizeof path, "%s/value.json", argv[2]);
        write_file(path, buf);
        snprintf(buf, sizeof buf, "value:%s/value.json", argv[2]);
        CHECK(bml_target_parse(m, buf, &val) == BML_OK, "parse_value", "%s", bml_last_error());
        o = (size_t)snprintf(buf, sizeof buf, "{\"weight\":[");
        for (j = 0; j < 3; j++) {
            o += (size_t)snprintf(buf + o, sizeof buf - o, "%s[", j ? "," : "");
            for (i = 0; i < H; i++) o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%.4f", i ? "," : "", (double)((int)(rnd() % 2001) - 1000) / 500.0);
            o += (size_t)snprintf(buf + o, sizeof buf - o, "]");
        }
        snprintf(buf + o, sizeof buf - o, "],\"bias\":[0.5,-0.5,0.25]}");
        snprintf(path, sizeof path, "%s/policy.json", argv[2]);
        write_file(path, buf);
        snprintf(buf, sizeof buf, "policy:%s/policy.json:1", argv[2]);
        CHECK(bml_target_parse(m, buf, &pol) == BML_OK, "parse_policy", "%s", bml_last_error());
        CHECK(bml_target_parse(m, "sim:a dog runs in the park", &sim) == BML_OK, "parse_sim", "%s", bml_last_error());
    }
    /* inputs: distinct ids per sequence, mixed lengths */
    for (i = 0; i < NT; i++) {
        size_t L = i == 0 ? 3 : (i == 1 ? 120 : 3 + rnd() % 30), k;
        ids[i] = malloc(L * sizeof(int32_t));
        for (k = 0; k < L; k++) ids[i][k] = k == 0 ? 101 : (k == L - 1 ? 102 : (int32_t)(2000 + 37 * k + i));
        memset(&items[i], 0, sizeof items[i]);
        items[i].id = (uint64_t)i;
        items[i].ids = ids[i];
        items[i].n_ids = L;
    }
    /* 1. finite differences on the tiny model, value and policy targets */
    {
        float *word = malloc((size_t)bml_model_config(m)->vocab * H * sizeof(float));
        const float *orig = m->word;
        bml_overlay o;
        double worst_gxi = 0, worst_g = 0;
        int t;
        const bml_target *tg[2];
        tg[0] = val;
        tg[1] = pol;
        memcpy(word, orig, (size_t)bml_model_config(m)->vocab * H * sizeof(float));
        m->word = word;
        for (j = 0; j < 2; j++) {
            d.target = tg[j];
            d.method = BML_METHOD_GRAD_X_INPUT;
            bml_overlay_compute(m, &d, &items[5], &o);
            for (t = 0; t < (int)o.n; t++) {
                /* d f / d eps of f(row_t * (1 + eps)) at 0 is g_t . x_t */
                float *row = word + (size_t)o.ids[t] * H, saved[1024];
                double fp, fm, fd, scale = 0;
                int c;
                const double eps = 1e-2;
                memcpy(saved, row, (size_t)H * sizeof(float));
                for (c = 0; c < H; c++) row[c] = (float)(saved[c] * (1 + eps));
                fp = f_of(m, &d, &items[5]);
                for (c = 0; c < H; c++) row[c] = (float)(saved[c] * (1 - eps));
                fm = f_of(m, &d, &items[5]);
                memcpy(row, saved, (size_t)H * sizeof(float));
                fd = (fp - fm) / (2 * eps);
                for (c = 0; c < (int)o.n; c++) scale = fabs(o.raw[c]) > scale ? fabs(o.raw[c]) : scale;
                if (fabs(fd - o.raw[t]) / scale > worst_gxi) worst_gxi = fabs(fd - o.raw[t]) / scale;
            }
            bml_overlay_free(&o);
            /* grad: the norm of the gradient vector, every component by central differences */
            d.method = BML_METHOD_GRAD;
            bml_overlay_compute(m, &d, &items[5], &o);
            for (t = 1; t < 3; t++) {
                float *row = word + (size_t)o.ids[t] * H;
                double n2 = 0;
                int c;
                const double h = 1e-2;
                for (c = 0; c < H; c++) {
                    float s = row[c];
                    double fp, fm;
                    row[c] = (float)(s + h);
                    fp = f_of(m, &d, &items[5]);
                    row[c] = (float)(s - h);
                    fm = f_of(m, &d, &items[5]);
                    row[c] = s;
                    n2 += ((fp - fm) / (2 * h)) * ((fp - fm) / (2 * h));
                }
                if (fabs(sqrt(n2) - o.raw[t]) / o.raw[t] > worst_g) worst_g = fabs(sqrt(n2) - o.raw[t]) / o.raw[t];
            }
            bml_overlay_free(&o);
        }
        printf("# finite differences: grad_x_input rel err %.3g, grad norm rel err %.3g\n", worst_gxi, worst_g);
        CHECK(worst_gxi < 2e-3, "finite_difference_grad_x_input", "rel err %g", worst_gxi);
        CHECK(worst_g < 2e-3, "finite_difference_grad_norm", "rel err %g", worst_g);
        m->word = orig;
        free(word);
    }
    /* 2. batched vs one at a time, every batch size 1..32, all methods */
    {
        static const bml_method methods[] = {BML_METHOD_GRAD, BML_METHOD_GRAD_X_INPUT, BML_METHOD_INTEGRATED_GRADIENTS};
        const bml_target *tg[3];
        size_t bs, k;
        int mi;
        tg[0] = val; tg[1] = pol; tg[2] = sim;
        for (mi = 0; mi < 3; mi++) {
            double worst = 0;
            int worst_bs = 0;
            d.method = methods[mi];
            d.target = tg[mi];
            d.steps = 8;
            for (k = 0; k < NT; k++) bml_overlay_compute(m, &d, &items[k], &seq[k]);
            for (bs = 1; bs <= 32; bs = BMLT_NEXT(bs, 32)) {
                d.batch_size = bs;
                d.max_tokens = bs % 3 == 0 ? 100 : 0; /* also split IG steps across passes */
                bml_overlay_compute_batch(m, &d, items, NT, bat);
                for (k = 0; k < NT; k++) {
                    size_t t;
                    if (bat[k].status != BML_OK || bat[k].n != seq[k].n) {
                        printf("# batch %zu item %zu: %s %s (n %zu vs %zu)\n", bs, k, bml_status_name(bat[k].status), bat[k].error, bat[k].n, seq[k].n);
                        worst = 1e9;
                        continue;
                    }
                    for (t = 0; t < seq[k].n; t++) {
                        double e = fabs(bat[k].values[t] - seq[k].values[t]);
                        if (e > worst) { worst = e; worst_bs = (int)bs; }
                    }
                    bml_overlay_free(&bat[k]);
                }
            }
            snprintf(buf, sizeof buf, "batched_vs_sequential_values[%s]", bml_method_name(methods[mi]));
            CHECK(worst <= 1e-6, buf, "max abs diff %g at batch size %d", worst, worst_bs);
            printf("# %s: batched vs sequential max abs diff on values %.3g\n", bml_method_name(methods[mi]), worst);
            for (k = 0; k < NT; k++) bml_overlay_free(&seq[k]);
        }
        d.batch_size = 0;
        d.max_tokens = 0;
    }
    /* 3. deterministic mode: bitwise equal raw scores across batch sizes */
    md.deterministic = 1;
    if (CHECK(bml_model_load(&md, &det) == BML_OK, "load_det", "%s", bml_last_error())) {
        size_t k, bs;
        int same = 1;
        d.method = BML_METHOD_INTEGRATED_GRADIENTS;
        d.target = val;
        d.steps = 4;
        for (k = 0; k < NT; k++) bml_overlay_compute(det, &d, &items[k], &seq[k]);
        for (bs = 1; bs <= 32; bs += 7) {
            d.batch_size = bs;
            bml_overlay_compute_batch(det, &d, items, NT, bat);
            for (k = 0; k < NT; k++) {
                if (bat[k].n != seq[k].n || memcmp(bat[k].raw, seq[k].raw, seq[k].n * sizeof(float)) || bat[k].f != seq[k].f) same = 0;
                bml_overlay_free(&bat[k]);
            }
        }
        for (k = 0; k < NT; k++) bml_overlay_free(&seq[k]);
        CHECK(same, "deterministic_overlays_bitwise", "raw scores differ across batch sizes");
        bml_model_free(det);
    }
    /* 4. errors */
    {
        bml_target *t = NULL;
        bml_method meth;
        int want;
        bml_overlay o;
        snprintf(path, sizeof path, "%s/short.json", argv[2]);
        write_file(path, "{\"weight\":[1,2,3],\"bias\":0}");
        snprintf(buf, sizeof buf, "value:%s", path);
        CHECK(bml_target_parse(m, buf, &t) == BML_ERR_SHAPE && strstr(bml_last_error(), "has 3 values, the model's embedding size is"),
              "value_head_wrong_size", "%s", bml_last_error());
        snprintf(buf, sizeof buf, "policy:%s/policy.json:3", argv[2]);
        CHECK(bml_target_parse(m, buf, &t) == BML_ERR_OUT_OF_RANGE && strstr(bml_last_error(), "0..2"),
              "policy_k_out_of_range", "%s", bml_last_error());
        CHECK(bml_target_parse(m, "value:/nonexistent/head.json", &t) == BML_ERR_IO && strstr(bml_last_error(), "/nonexistent/head.json"),
              "head_file_missing", "%s", bml_last_error());
        CHECK(bml_target_parse(m, "cosine:x", &t) == BML_ERR_INVALID_ARG, "unknown_target_kind", "%s", bml_last_error());
        CHECK(bml_method_parse("saliency", &meth, &want) == BML_ERR_INVALID_ARG && strstr(bml_last_error(), "saliency"),
              "unknown_method", "%s", bml_last_error());
        CHECK(bml_method_parse("policy_grad", &meth, &want) == BML_OK && meth == BML_METHOD_GRAD && want == BML_TARGET_POLICY,
              "preset_policy_grad", "method %d want %d", (int)meth, want);
        CHECK(bml_method_parse("value_grad", &meth, &want) == BML_OK && meth == BML_METHOD_GRAD && want == BML_TARGET_VALUE,
              "preset_value_grad", "method %d want %d", (int)meth, want);
        d.method = BML_METHOD_GRAD;
        d.target = val;
        d.batch_size = 0;
        {
            bml_item two[3];
            bml_overlay outs[3];
            int32_t bad[3] = {101, -5, 102};
            memset(two, 0, sizeof two);
            two[0] = items[2];
            two[1].id = 77; two[1].ids = bad; two[1].n_ids = 3;
            two[2].id = 78; two[2].text = "";
            bml_overlay_compute_batch(m, &d, two, 3, outs);
            CHECK(outs[0].status == BML_OK && outs[1].status == BML_ERR_OUT_OF_RANGE && outs[2].status == BML_ERR_EMPTY_INPUT,
                  "overlay_bad_item_fails_alone", "%s %s %s", bml_status_name(outs[0].status), bml_status_name(outs[1].status),
                  bml_status_name(outs[2].status));
            for (i = 0; i < 3; i++) bml_overlay_free(&outs[i]);
        }
        {
            bml_item txt;
            memset(&txt, 0, sizeof txt);
            txt.text = "Hello, world";
            txt.len = -1;
            CHECK(bml_overlay_compute(m, &d, &txt, &o) == BML_OK && o.n == 5 && o.offsets[2] == 0 && o.offsets[3] == 5 &&
                      o.offsets[4] == 5 && o.offsets[5] == 6,
                  "overlay_text_offsets", "n %zu", o.n);
            {
                double s = 0;
                size_t k;
                for (k = 0; k < o.n; k++) s += fabs(o.values[k]);
                CHECK(fabs(s - 1) < 1e-5, "values_sum_abs_one", "sum |values| = %g", s);
            }
            bml_overlay_free(&o);
            /* the reference text itself: the cosine is at its maximum, every attribution 0 */
            d.target = sim;
            txt.text = "a dog runs in the park";
            CHECK(bml_overlay_compute(m, &d, &txt, &o) == BML_OK && fabs(o.f - 1) < 1e-6 && o.values[1] == 0 && o.raw[2] == 0,
                  "sim_to_itself_is_zero", "f %g raw %g", o.f, o.n > 2 ? o.raw[2] : -1.0);
            bml_overlay_free(&o);
        }
    }
    bml_target_free(val);
    bml_target_free(pol);
    bml_target_free(sim);
    for (i = 0; i < NT; i++) free(ids[i]);
    bml_model_free(m);
    TEST_EXIT();
}

/* batchml overlay: per-token gradient attributions, one JSON line (or one
   shaded terminal line) per input line, in input order. */
#include "cli.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *help =
    "usage: batchml overlay --model DIR --method M --target T [--steps M] [--batch-size N]\n"
    "                       [--input text|ids]\n"
    "                       [--format jsonl|ansi] [--html FILE] [-o FILE] [--progress]\n"
    "\n"
    "Reads texts (or with --input ids, JSON arrays of token ids), one a line, and writes for each how much every token matters to a\n"
    "target f of the sentence embedding, from a real backward pass.\n"
    "  methods: grad (|df/dx_i|), grad_x_input (df/dx_i . x_i), integrated_gradients\n"
    "           (zero baseline, --steps M right Riemann steps, default 32), and the\n"
    "           presets policy_grad (grad, policy target), value_grad (grad, value target)\n"
    "  targets: sim:TEXT            cosine similarity to TEXT's embedding\n"
    "           value:HEAD.json     w.e + b, {\"weight\":[H floats],\"bias\":b}\n"
    "           policy:HEAD.json:K  log_softmax(W e + b)[K], {\"weight\":[[H]...],\"bias\":[C]}\n"
    "jsonl: {\"id\":n,\"method\":..,\"target\":..,\"f\":..,\"tokens\":[..],\"offsets\":[[s,e],..],\n"
    "        \"raw\":[..],\"values\":[..]} with id = 0-based line number, values = raw/sum|raw|.\n"
    "ansi: the text with each token's background shaded by its value.\n"
    "--html FILE: one self-contained page with every text shaded, scores on hover.\n"
    "\n"
    "example: echo 'The movie was great fun.' | batchml overlay --model build/minilm \\\n"
    "             --method grad_x_input --target 'sim:a happy review' --format ansi\n";

enum { FMT_JSONL, FMT_ANSI };
#define CHUNK 64

static void json_str(FILE *f, const char *s, size_t n) {
    size_t i;
    fputc('"', f);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') { fputc('\\', f); fputc(c, f); }
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

static const char *token_str(const bml_model *m, int32_t id) {
    const bml_tokenizer *t = bml_model_tokenizer(m);
    const char *s = t ? bml_tokenizer_id_to_token(t, id) : NULL;
    return s ? s : "";
}

/* Diverging (signed methods: blue negative, red positive) or sequential
   (grad: white to red) colour for a value in [-1, 1] scaled by the row max. */
void cli_overlay_rgb(float v, int signed_scale, int *r, int *g, int *b) {
    float a = v < 0 ? -v : v;
    if (a > 1) a = 1;
    if (!signed_scale || v >= 0) { *r = 255; *g = (int)(255 - 200 * a); *b = (int)(255 - 200 * a); }
    else { *r = (int)(255 - 200 * a); *g = (int)(255 - 150 * a); *b = 255; }
}

static void write_jsonl(FILE *out, const bml_model *m, const bml_overlay *o, const char *method, const char *target) {
    size_t t;
    fprintf(out, "{\"id\":%llu,\"method\":", (unsigned long long)o->id);
    json_str(out, method, strlen(method));
    fputs(",\"target\":", out);
    json_str(out, target, strlen(target));
    fprintf(out, ",\"f\":%.9g,\"tokens\":[", o->f);
    for (t = 0; t < o->n; t++) {
        const char *s = token_str(m, o->ids[t]);
        if (t) fputc(',', out);
        json_str(out, s, strlen(s));
    }
    fputs("],\"offsets\":[", out);
    for (t = 0; t < o->n; t++) fprintf(out, "%s[%u,%u]", t ? "," : "", o->offsets[2 * t], o->offsets[2 * t + 1]);
    fputs("],\"raw\":[", out);
    for (t = 0; t < o->n; t++) fprintf(out, "%s%.9g", t ? "," : "", o->raw[t]);
    fputs("],\"values\":[", out);
    for (t = 0; t < o->n; t++) fprintf(out, "%s%.9g", t ? "," : "", o->values[t]);
    fputs("]}\n", out);
}

static float row_max(const bml_overlay *o) {
    float mx = 0;
    size_t t;
    for (t = 0; t < o->n; t++) mx = (o->values[t] < 0 ? -o->values[t] : o->values[t]) > mx ? (o->values[t] < 0 ? -o->values[t] : o->values[t]) : mx;
    return mx > 0 ? mx : 1;
}

static void write_ansi(FILE *out, const bml_model *m, const bml_overlay *o, const char *text, int signed_scale) {
    size_t t, pos = 0;
    float mx = row_max(o);
    fprintf(out, "%4llu  f=%-10.4g ", (unsigned long long)o->id, o->f);
    for (t = 0; t < o->n; t++) {
        int r, g, b;
        uint32_t s = o->offsets[2 * t], e = o->offsets[2 * t + 1];
        cli_overlay_rgb(o->values[t] / mx, signed_scale, &r, &g, &b);
        if (e > s && text) {
            if (s > pos) fwrite(text + pos, 1, s - pos, out);
            fprintf(out, "\x1b[48;2;%d;%d;%dm\x1b[38;2;0;0;0m", r, g, b);
            fwrite(text + s, 1, e - s, out);
            fputs("\x1b[0m", out);
            pos = e;
        } else if (!text || e == 0) {
            fprintf(out, "\x1b[48;2;%d;%d;%dm\x1b[38;2;0;0;0m%s\x1b[0m ", r, g, b, token_str(m, o->ids[t]));
        }
    }
    fputc('\n', out);
}

/* The HTML page: written as inputs come, closed at the end. */
static void html_begin(FILE *h, const char *method, const char *target) {
    fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>batchml overlay</title>\n<style>\n"
          "body{font-family:system-ui,sans-serif;margin:2em;background:#fafafa}\n"
          ".row{margin:.6em 0;padding:.5em;background:#fff;border:1px solid #ddd;border-radius:4px;line-height:1.9}\n"
          ".tok{padding:1px 2px;border-radius:3px}\n.f{color:#666;font-size:.85em;margin-right:1em}\n"
          "</style></head><body>\n<h1>batchml overlay</h1>\n<p>method <b>", h);
    {
        const char *p;
        for (p = method; *p; p++) fputc(*p == '<' ? ' ' : *p, h);
        fputs("</b> &middot; target <b>", h);
        for (p = target; *p; p++) {
            if (*p == '<') fputs("&lt;", h);
            else if (*p == '&') fputs("&amp;", h);
            else fputc(*p, h);
        }
        fputs("</b></p>\n", h);
    }
}

static void html_text(FILE *h, const char *s, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (c == '<') fputs("&lt;", h);
        else if (c == '>') fputs("&gt;", h);
        else if (c == '&') fputs("&amp;", h);
        else if (c == '"') fputs("&quot;", h);
        else fputc(c, h);
    }
}

static void html_row(FILE *h, const bml_model *m, const bml_overlay *o, const char *text, int signed_scale) {
    size_t t, pos = 0;
    float mx = row_max(o);
    fprintf(h, "<div class=\"row\" data-id=\"%llu\"><span class=\"f\">#%llu f=%.6g</span>", (unsigned long long)o->id,
            (unsigned long long)o->id, o->f);
    for (t = 0; t < o->n; t++) {
        int r, g, b;
        uint32_t s = o->offsets[2 * t], e = o->offsets[2 * t + 1];
        cli_overlay_rgb(o->values[t] / mx, signed_scale, &r, &g, &b);
        if (e > s && s > pos) html_text(h, text + pos, s - pos);
        fprintf(h, "<span class=\"tok\" style=\"background:rgb(%d,%d,%d)\" title=\"value %.4g raw %.4g\">", r, g, b,
                o->values[t], o->raw[t]);
        if (e > s) { html_text(h, text + s, e - s); pos = e; }
        else { const char *ts = token_str(m, o->ids[t]); html_text(h, ts, strlen(ts)); }
        fputs("</span>", h);
    }
    fputs("</div>\n", h);
}

int cmd_overlay(int argc, char **argv) {
    const char *model = NULL, *method_s = NULL, *target_s = NULL, *outpath = NULL, *htmlpath = NULL, *v;
    int fmt = FMT_JSONL, progress = 0, i, want = -1, ids_input = 0;
    int32_t *idbuf[CHUNK];
    size_t idcap[CHUNK];
    char perr[CHUNK][160];
    int bad[CHUNK];
    bml_overlay_desc od;
    bml_model_desc md;
    bml_model *m;
    bml_target *tgt;
    cli_lines in;
    FILE *out, *html = NULL;
    bml_item items[CHUNK];
    bml_overlay ovs[CHUNK];
    char *texts[CHUNK];
    size_t nbad = 0, total = 0, k;
    cli_progress pr;
    memset(&od, 0, sizeof od);
    memset(&md, 0, sizeof md);
    memset(&in, 0, sizeof in);
    memset(texts, 0, sizeof texts);
    memset(idbuf, 0, sizeof idbuf);
    memset(idcap, 0, sizeof idcap);
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { fputs(help, stdout); return 0; }
        else if (cli_opt(argc, argv, &i, "--model", &v)) model = v;
        else if (cli_opt(argc, argv, &i, "--method", &v)) method_s = v;
        else if (cli_opt(argc, argv, &i, "--input", &v)) {
            if (!strcmp(v, "ids")) ids_input = 1;
            else if (strcmp(v, "text")) cli_die("--input: expected text or ids, got '%s'", v);
        }
        else if (cli_opt(argc, argv, &i, "--target", &v)) target_s = v;
        else if (cli_opt(argc, argv, &i, "--steps", &v)) od.steps = (int)cli_parse_long("--steps", v, 1, 4096);
        else if (cli_opt(argc, argv, &i, "--batch-size", &v)) od.batch_size = (size_t)cli_parse_long("--batch-size", v, 1, 4096);
        else if (cli_opt(argc, argv, &i, "--threads", &v)) md.threads = (int)cli_parse_long("--threads", v, 1, 256);
        else if (cli_opt(argc, argv, &i, "--format", &v)) {
            if (!strcmp(v, "jsonl")) fmt = FMT_JSONL;
            else if (!strcmp(v, "ansi")) fmt = FMT_ANSI;
            else cli_die("--format: expected jsonl or ansi, got '%s'", v);
        } else if (cli_opt(argc, argv, &i, "--html", &v)) htmlpath = v;
        else if (cli_opt(argc, argv, &i, "-o", &v) || cli_opt(argc, argv, &i, "--output", &v)) outpath = v;
        else if (!strcmp(argv[i], "--progress")) progress = 1;
        else if (!strcmp(argv[i], "--deterministic")) md.deterministic = 1;
        else if (cli_opt(argc, argv, &i, "--on-invalid", &v)) {
            if (!strcmp(v, "replace")) od.utf8 = BML_UTF8_REPLACE;
            else if (strcmp(v, "error")) cli_die("--on-invalid: expected error or replace, got '%s'", v);
        } else cli_die("unknown option '%s' (see --help)", argv[i]);
    }
    if (!model) cli_die("--model DIR is required (see --help)");
    if (!method_s) cli_die("--method is required: grad, grad_x_input, integrated_gradients, policy_grad or value_grad");
    if (!target_s) cli_die("--target is required: sim:TEXT, value:FILE or policy:FILE:K");
    if (bml_method_parse(method_s, &od.method, &want) != BML_OK) cli_die("%s", bml_last_error());
    md.path = model;
    if (bml_model_load(&md, &m) != BML_OK) cli_die("%s", bml_last_error());
    if (bml_target_parse(m, target_s, &tgt) != BML_OK) cli_die("%s", bml_last_error());
    if (want >= 0 && (int)bml_target_kind_of(tgt) != want)
        cli_die("method %s needs a %s target, got '%s'", method_s, want == BML_TARGET_POLICY ? "policy:FILE:K" : "value:FILE", target_s);
    od.target = tgt;
    out = cli_open_out(outpath);
    if (htmlpath) {
        html = fopen(htmlpath, "wb");
        if (!html) cli_die("cannot open %s for writing", htmlpath);
        html_begin(html, method_s, target_s);
    }
    cli_progress_start(&pr, progress || isatty(2), 0, "texts");
    for (;;) {
        size_t n = 0;
        char *line;
        size_t len;
        while (n < CHUNK && cli_next_line(&in, &line, &len)) {
            char *copy = realloc(texts[n], len + 1);
            if (!copy) cli_die("out of memory (line %zu)", in.lineno);
            memcpy(copy, line, len + 1);
            texts[n] = copy;
            memset(&items[n], 0, sizeof items[n]);
            items[n].id = in.lineno - 1;
            bad[n] = 0;
            if (ids_input) {
                size_t nid = 0;
                if (cli_parse_ids(line, len, &idbuf[n], &idcap[n], &nid, perr[n], sizeof perr[n])) bad[n] = 1;
                items[n].ids = idbuf[n] ? idbuf[n] : (int32_t *)perr[n]; /* non-NULL even when empty */
                items[n].n_ids = nid;
            } else {
                items[n].text = copy;
                items[n].len = (ptrdiff_t)len;
            }
            n++;
        }
        if (!n) break;
        if (bml_overlay_compute_batch(m, &od, items, n, ovs) != BML_OK) cli_die("%s", bml_last_error());
        for (k = 0; k < n; k++) {
            int signed_scale = od.method != BML_METHOD_GRAD;
            if (bad[k]) {
                bml_overlay_free(&ovs[k]);
                ovs[k].status = BML_ERR_FORMAT;
                snprintf(ovs[k].error, sizeof ovs[k].error, "%s", perr[k]);
            }
            if (ovs[k].status != BML_OK) {
                nbad++;
                fprintf(stderr, "batchml overlay: line %llu: %s\n", (unsigned long long)items[k].id + 1, ovs[k].error);
                if (fmt == FMT_JSONL) {
                    fprintf(out, "{\"id\":%llu,\"error\":", (unsigned long long)items[k].id);
                    json_str(out, ovs[k].error, strlen(ovs[k].error));
                    fputs("}\n", out);
                }
                continue;
            }
            if (fmt == FMT_JSONL) write_jsonl(out, m, &ovs[k], method_s, target_s);
            else write_ansi(out, m, &ovs[k], ids_input ? NULL : texts[k], signed_scale);
            if (html) html_row(html, m, &ovs[k], ids_input ? NULL : texts[k], signed_scale);
            bml_overlay_free(&ovs[k]);
        }
        total += n;
        cli_progress_update(&pr, total);
    }
    cli_progress_end(&pr, total);
    if (html) {
        fputs("</body></html>\n", html);
        if (fclose(html) != 0) cli_die("write error on %s", htmlpath);
    }
    cli_close_out(out);
    for (k = 0; k < CHUNK; k++) { free(texts[k]); free(idbuf[k]); }
    cli_lines_free(&in);
    bml_target_free(tgt);
    bml_model_free(m);
    return nbad ? 2 : 0;
}

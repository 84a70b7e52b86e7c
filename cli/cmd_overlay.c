/* batchml overlay: per-token gradient attributions, one JSON line (or one
   shaded terminal line) per input line, in input order. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "compat.h"

static const char *help =
    "usage: batchml overlay --model DIR --method M --target T [--steps M] [--batch-size N]\n"
    "                       [--input text|ids] [--on-invalid error|replace] [--threads N]\n"
    "                       [--deterministic] [--format jsonl|ansi] [--html FILE] [-o FILE] [--progress]\n"
    "       batchml overlay --model DIR --method M[,M...] --target T --export DIR\n"
    "                       [--export-batch-size N] [--resume] [--fsync flush|batch|none] [--progress]\n"
    "                       [--steps M] [--input text|ids] [--on-invalid error|replace] [--threads N]\n"
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
    "--on-invalid replace: invalid UTF-8 becomes U+FFFD (default: an error record).\n"
    "--html FILE: one self-contained page with every text shaded, scores on hover.\n"
    "\n"
    "--export DIR: the buffering exporter: one file DIR/<method>.jsonl per method (a\n"
    "  comma-separated list of methods, one target), the same jsonl records, in input\n"
    "  order, computed in deterministic mode so that every --export-batch-size gives\n"
    "  byte-identical files. Each record is appended whole; files are fsynced at the end\n"
    "  (--fsync batch: after every batch; none: never). A torn last line left by a crash\n"
    "  is cut off and reported. Existing records make it stop unless --resume is given.\n"
    "  --export-batch-size N  0 = one input at a time (default), 1..32 = inputs per\n"
    "                         batched pass\n"
    "  --resume               skip ids (line numbers) the files already hold, so an\n"
    "                         interrupted run rerun the same way completes the set with\n"
    "                         exactly one record per (id, method)\n"
    "  --progress             rate and ETA on stderr (also when stderr is a terminal),\n"
    "                         per-method counts and times at the end\n"
    "\n"
    "example: echo 'The movie was great fun.' | batchml overlay --model build/minilm \\\n"
    "             --method grad_x_input --target 'sim:a happy review' --format ansi\n";

enum { FMT_JSONL, FMT_ANSI };
static const char *const formats[] = {"jsonl", "ansi", NULL}; /* in FMT_ order */
#define CHUNK 64

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

/* One record (or error record) as its JSON line, by the library's formatter,
   into one buffer reused for every record (released at the end). */
static char *jsonl_buf;
static size_t jsonl_cap;

static void write_jsonl(FILE *out, const bml_model *m, const bml_overlay *o, const char *method, const char *target) {
    char *buf = jsonl_buf;
    size_t cap = jsonl_cap;
    size_t n = bml_overlay_to_json(m, o, method, target, buf, cap);
    if (n >= cap) {
        char *nb = realloc(buf, n + 4096);
        if (!nb) cli_die("out of memory formatting record %llu", (unsigned long long)o->id);
        jsonl_buf = buf = nb;
        jsonl_cap = cap = n + 4096;
        n = bml_overlay_to_json(m, o, method, target, buf, cap);
    }
    fwrite(buf, 1, n, out);
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

#ifndef BATCHML_NO_EXPORTER
/* ---- --export: the buffering exporter ---------------------------------- */

typedef struct export_opts {
    const char *dir, *methods, *target;
    int steps, ids_input, progress, resume, batch_size;
    bml_utf8_policy utf8;
    bml_export_fsync fsync;
} export_opts;

#endif

/* Lines in stdin when it is a regular file (for the ETA); 0 if unknown.
   Reads fd 0 before stdio does and seeks back. */
static size_t count_stdin_lines(void) {
    struct stat sb;
    off_t start;
    char buf[1 << 16];
    size_t lines = 0;
    int last = '\n';
    ssize_t n;
    if (fstat(0, &sb) != 0 || !S_ISREG(sb.st_mode)) return 0;
    if ((start = lseek(0, 0, SEEK_CUR)) < 0) return 0;
    while ((n = read(0, buf, sizeof buf)) > 0) {
        ssize_t k;
        for (k = 0; k < n; k++) lines += buf[k] == '\n';
        last = buf[n - 1];
    }
    if (last != '\n') lines++;
    if (lseek(0, start, SEEK_SET) != start) cli_die("cannot rewind stdin: %s", strerror(errno));
    return lines;
}

#ifndef BATCHML_NO_EXPORTER
/* Overlays added so far over all methods; the progress total is the
   overlays this run computes (ids a resumed run skips do not count). */
static size_t export_count(bml_exporter *ex, size_t lines_total, size_t *total) {
    size_t k, items = 0, skipped = 0, nm = bml_exporter_method_count(ex);
    for (k = 0; k < nm; k++) {
        bml_exporter_stats st;
        bml_exporter_stats_get(ex, k, &st);
        items += st.items;
        skipped += st.skipped;
    }
    *total = lines_total ? lines_total * nm - skipped : 0;
    return items;
}

static int run_export(bml_model_desc *md, const export_opts *eo) {
    bml_exporter_method meth[16];
    char *names = strdup(eo->methods), *save = NULL, *tok, *line;
    bml_exporter_desc d;
    bml_exporter *ex;
    bml_model *m;
    cli_lines in;
    cli_progress pr;
    int32_t *idbuf = NULL;
    size_t idcap = 0, nm = 0, k, len, lines_total = 0, items, errors = 0, faults = 0;
    bml_status rc;
    if (!names) cli_die("out of memory");
    memset(meth, 0, sizeof meth);
    for (tok = strtok_r(names, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (nm == 16) cli_die("--method: at most 16 methods with --export");
        meth[nm].method = tok;
        meth[nm].target = eo->target;
        meth[nm].steps = eo->steps;
        nm++;
    }
    if (!nm) cli_die("--method: no method given");
    for (k = 0; k < nm; k++) { /* a bad method name before the model loads */
        bml_method mt;
        int want;
        if (bml_method_parse(meth[k].method, &mt, &want) != BML_OK) cli_die("--method: %s", bml_last_error());
    }
    memset(&d, 0, sizeof d);
    d.enabled = 1;
    d.methods = meth;
    d.n_methods = nm;
    d.batch_size = eo->batch_size;
    d.dir = eo->dir;
    d.fsync = eo->fsync;
    d.resume = eo->resume;
    d.utf8 = eo->utf8;
    if (bml_model_load(md, &m) != BML_OK) cli_die("%s", bml_last_error());
    if (bml_exporter_create(m, &d, &ex) != BML_OK) cli_die("%s", bml_last_error());
    for (k = 0; k < nm; k++) {
        bml_exporter_stats st;
        bml_exporter_stats_get(ex, k, &st);
        /* a torn last line cut at open is reported by the library's warning (the CLI's log callback) */
        if (st.existing && !eo->resume)
            cli_die("%s already holds %zu records: --resume completes it, or remove it first", st.path, st.existing);
    }
    if (eo->progress) lines_total = count_stdin_lines();
    memset(&in, 0, sizeof in);
    cli_progress_start(&pr, eo->progress, 0, "overlays");
    while (cli_next_line(&in, &line, &len)) {
        uint64_t id = in.lineno - 1;
        if (eo->ids_input) {
            char perr[160];
            size_t nid = 0;
            if (cli_parse_ids(line, len, &idbuf, &idcap, &nid, perr, sizeof perr)) {
                rc = bml_exporter_add_failed(ex, id, perr);
            } else {
                bml_item it;
                memset(&it, 0, sizeof it);
                it.id = id;
                it.ids = idbuf ? idbuf : (int32_t *)(void *)&nid; /* non-NULL even when empty */
                it.n_ids = nid;
                rc = bml_exporter_add_item(ex, &it);
            }
        } else {
            rc = bml_exporter_add(ex, id, line, (ptrdiff_t)len);
        }
        /* a write fault: its records stay pending, retried at the next batch and at the end */
        if (rc != BML_OK && !faults++) fprintf(stderr, "batchml overlay: %s (retrying)\n", bml_last_error());
        if (pr.enabled) {
            items = export_count(ex, lines_total, &pr.total);
            cli_progress_update(&pr, items);
        }
    }
    if (bml_exporter_flush(ex) != BML_OK)
        cli_die("%s\n(nothing was written twice: rerun the same command with --resume to complete the files)", bml_last_error());
    items = export_count(ex, lines_total, &pr.total);
    pr.total = 0;
    cli_progress_end(&pr, items);
    for (k = 0; k < nm; k++) {
        bml_exporter_stats st;
        char skipped[64] = "";
        bml_exporter_stats_get(ex, k, &st);
        if (st.errors > errors) errors = st.errors;
        if (eo->resume) snprintf(skipped, sizeof skipped, ", %zu skipped (already there)", st.skipped);
        if (eo->progress)
            fprintf(stderr, "%s: %zu overlays in %zu batches, %zu records (%zu errors)%s; compute %.2fs, write %.3fs, fsync %.3fs\n",
                    st.path, st.items, st.batches, st.records, st.errors, skipped, (double)st.compute_ns * 1e-9,
                    (double)st.write_ns * 1e-9, (double)st.sync_ns * 1e-9);
    }
    if (errors) fprintf(stderr, "batchml overlay: %zu inputs failed (error records in %s)\n", errors, eo->dir);
    if (faults) fprintf(stderr, "batchml overlay: %zu adds met a write fault; every record was written at the end\n", faults);
    if (bml_exporter_close(ex) != BML_OK) cli_die("%s", bml_last_error());
    cli_lines_free(&in);
    free(idbuf);
    free(names);
    bml_model_free(m);
    return errors ? 2 : 0;
}

#endif /* BATCHML_NO_EXPORTER */

int cmd_overlay(int argc, char **argv) {
    const char *method_s = NULL, *target_s = NULL, *outpath, *htmlpath = NULL, *v;
    const char *export_dir = NULL, *export_bs = NULL, *fsync_s = NULL;
    int fmt, progress, i, want = -1, ids_input, resume = 0;
    cli_common c;
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
    memset(&in, 0, sizeof in);
    memset(texts, 0, sizeof texts);
    memset(idbuf, 0, sizeof idbuf);
    memset(idcap, 0, sizeof idcap);
    cli_common_init(&c, CLI_O_MODEL | CLI_O_INPUT | CLI_O_BATCH_SIZE | CLI_O_THREADS | CLI_O_FORMAT | CLI_O_OUTPUT |
                        CLI_O_PROGRESS | CLI_O_DETERMINISTIC | CLI_O_ON_INVALID,
                    formats);
    for (i = 1; i < argc; i++) {
        unsigned got = cli_common_opt(&c, argc, argv, &i);
        if (got == CLI_O_HELP) { fputs(help, stdout); return 0; }
        else if (got) continue;
        else if (cli_opt(argc, argv, &i, "--method", &v)) method_s = v;
        else if (cli_opt(argc, argv, &i, "--target", &v)) target_s = v;
        else if (cli_opt(argc, argv, &i, "--steps", &v)) od.steps = (int)cli_parse_long("--steps", v, 1, 4096);
        else if (cli_opt(argc, argv, &i, "--html", &v)) htmlpath = v;
        else if (cli_opt(argc, argv, &i, "--export", &v)) export_dir = v;
        else if (cli_opt(argc, argv, &i, "--export-batch-size", &v)) export_bs = v;
        else if (cli_opt(argc, argv, &i, "--fsync", &v)) fsync_s = v;
        else if (!strcmp(argv[i], "--resume")) resume = 1;
        else cli_die("unknown option '%s' (see --help)", argv[i]);
    }
    if (!c.model) cli_die("--model DIR is required (see --help)");
    fmt = c.format;
    outpath = c.output;
    ids_input = c.ids_input;
    progress = cli_common_progress(&c);
    od.batch_size = c.batch_size;
    od.utf8 = c.utf8;
    cli_common_model_desc(&c, &md);
    if (!method_s) cli_die("--method is required: grad, grad_x_input, integrated_gradients, policy_grad or value_grad");
    if (!target_s) cli_die("--target is required: sim:TEXT, value:FILE or policy:FILE:K");
    if (export_dir) {
#ifdef BATCHML_NO_EXPORTER
        cli_die("--export: this build has no exporter (BATCHML_NO_EXPORTER; on Windows it is not available: it "
                "needs POSIX record locks and directory fsync). Write one file with -o instead");
#else
        export_opts eo;
        if (outpath || htmlpath || fmt != FMT_JSONL)
            cli_die("--export writes DIR/<method>.jsonl: -o, --html and --format ansi do not go with it");
        if (c.batch_size) cli_die("--export sets the pass size from --export-batch-size, not --batch-size");
        memset(&eo, 0, sizeof eo);
        eo.dir = export_dir;
        eo.methods = method_s;
        eo.target = target_s;
        eo.steps = od.steps;
        eo.utf8 = od.utf8;
        eo.ids_input = ids_input;
        eo.progress = progress;
        eo.resume = resume;
        if (export_bs) {
            char *end;
            long b;
            errno = 0;
            b = strtol(export_bs, &end, 10);
            if (errno || end == export_bs || *end || b < 0 || b > 32)
                cli_die("--export-batch-size must be 0..32 (0 = sequential, 1..32 = batched), got '%s'", export_bs);
            eo.batch_size = (int)b;
        }
        if (fsync_s) {
            if (!strcmp(fsync_s, "flush")) eo.fsync = BML_EXPORT_FSYNC_FLUSH;
            else if (!strcmp(fsync_s, "batch")) eo.fsync = BML_EXPORT_FSYNC_BATCH;
            else if (!strcmp(fsync_s, "none")) eo.fsync = BML_EXPORT_FSYNC_NONE;
            else cli_die("--fsync: expected flush, batch or none, got '%s'", fsync_s);
        }
        return run_export(&md, &eo);
#endif
    }
    if (export_bs || fsync_s || resume) cli_die("--export-batch-size, --fsync and --resume need --export DIR");
    if (bml_method_parse(method_s, &od.method, &want) != BML_OK) cli_die("--method: %s", bml_last_error());
    if (bml_model_load(&md, &m) != BML_OK) cli_die("%s", bml_last_error());
    if (bml_target_parse(m, target_s, &tgt) != BML_OK) cli_die("%s", bml_last_error());
    if (want >= 0 && (int)bml_target_kind_of(tgt) != want)
        cli_die("method %s needs a %s target, got '%s'", method_s, want == BML_TARGET_POLICY ? "policy:FILE:K" : "value:FILE", target_s);
    od.target = tgt;
    cli_note_model_inputs(md.path);
    out = cli_open_out(outpath);
    if (htmlpath) {
        html = cli_open_out(htmlpath);
        html_begin(html, method_s, target_s);
    }
    cli_progress_start(&pr, progress, progress ? count_stdin_lines() : 0, "texts");
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
                snprintf(ovs[k].error, sizeof ovs[k].error, "%.*s", (int)sizeof ovs[k].error - 1, perr[k]);
            }
            if (ovs[k].status != BML_OK) {
                nbad++;
                fprintf(stderr, "batchml overlay: line %llu: %s\n", (unsigned long long)items[k].id + 1, ovs[k].error);
                if (fmt == FMT_JSONL) write_jsonl(out, m, &ovs[k], method_s, target_s);
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
        cli_close_out(html);
    }
    cli_close_out(out);
    for (k = 0; k < CHUNK; k++) { free(texts[k]); free(idbuf[k]); }
    cli_lines_free(&in);
    bml_target_free(tgt);
    bml_model_free(m);
    free(jsonl_buf);
    jsonl_buf = NULL;
    jsonl_cap = 0;
    return nbad ? 2 : 0;
}

/* batchml serve: an OpenAI-compatible embeddings server on GNU libmicrohttpd
   (linked only when the build finds it: BML_CLI_SERVE, see the Makefile).
   Every request's inputs go to one bml_engine, which batches them with the
   other clients'; a connection's thread waits for its own tickets. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include <stdlib.h>
#include <string.h>

static const char *help =
    "usage: batchml serve --model DIR [--host 127.0.0.1] [--port 8080] [--threads N]\n"
    "                     [--api-key KEY] [--queue N] [--max-body BYTES] [--max-inputs N]\n"
    "                     [--max-batch-tokens N] [--max-wait-ms N] [--connections N]\n"
    "                     [--timeout S] [--model-name NAME] [--prompt TEXT | --prompt-name NAME]\n"
    "                     [--dimensions N]\n"
    "\n"
    "Serves the model over HTTP until SIGTERM or SIGINT (then it stops accepting,\n"
    "finishes what it accepted and exits 0). Prints 'listening on http://HOST:PORT'\n"
    "on stderr once ready (--port 0: a free port, the one printed).\n"
    "  POST /v1/embeddings  OpenAI's shape: {\"input\": \"text\" | [\"text\", ...] |\n"
    "                       [[ids], ...], \"model\": any, \"encoding_format\": \"float\" |\n"
    "                       \"base64\", \"dimensions\": N, \"prompt_name\": NAME}\n"
    "  POST /embed          text-embeddings-inference: {\"inputs\": \"text\" | [...],\n"
    "                       \"normalize\": true, \"truncate\": true} -> [[...], ...]\n"
    "  POST /tokenize       {\"inputs\": \"text\" | [...]} -> [[ids], ...]\n"
    "  POST /v1/overlays    gradient overlays: {\"input\": ..., \"method\": \"grad\" |\n"
    "                       \"grad_x_input\" | \"integrated_gradients\", \"target\": \"sim:TEXT\",\n"
    "                       \"steps\": N} -> {\"data\": [one object a text, as batchml overlay\n"
    "                       --format jsonl prints it]}\n"
    "  GET  /health         200 when ready, 503 while shutting down\n"
    "  GET  /v1/models      the one model\n"
    "  GET  /metrics        Prometheus text: requests, queue depth, batch sizes, latency\n"
    "Requests from all clients are batched together (bml_engine): a batch starts when\n"
    "it holds --max-batch-tokens tokens (default: the tuning heuristic's) or when its\n"
    "first input has waited --max-wait-ms (default 2). Limits: --queue inputs queued\n"
    "(default 512; more: 429 with Retry-After), --max-body bytes (default 2 MiB: 413),\n"
    "--max-inputs per request (default 2048: 422), --connections at once (default\n"
    "256), --timeout seconds a connection may stay idle (default 30). --prompt TEXT or\n"
    "--prompt-name NAME: the prompt before every text (default: the model's default\n"
    "prompt; a request's \"prompt_name\" overrides it); --dimensions N: the default\n"
    "for requests without \"dimensions\". --api-key: every\n"
    "path but /health needs 'Authorization: Bearer KEY' (401). Errors are JSON\n"
    "{\"error\": {\"message\", \"type\", \"code\"}}.\n"
    "\n"
    "example: batchml serve --model build/minilm --port 8080\n";

#ifndef BML_CLI_SERVE
int cmd_serve(int argc, char **argv) {
    int i;
    for (i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { fputs(help, stdout); return 0; }
    cli_die("not built in: this batchml was built without GNU libmicrohttpd (install libmicrohttpd-dev and "
            "rebuild with make)");
    return 1; /* (cli_die does not return; a compiler without GNU attributes does not know) */
}
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <poll.h>
#include <microhttpd.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <unistd.h>
#include <pthread.h>
#include <time.h>

/* ---- the server's state ---------------------------------------------- */
typedef struct srv {
    bml_model *m;
    bml_engine *e;
    const bml_config *cfg;
    const char *api_key, *model_name;
    size_t max_body, max_inputs, H, dims; /* dims: --dimensions (H when not given) */
    int normalizes;
    pthread_mutex_t mu;          /* the counters below                   */
    int draining;
    long active;                 /* requests being answered              */
    unsigned long long req[7][11]; /* requests by endpoint and status (codes[]) */
} srv;

enum { EP_EMB, EP_EMBED, EP_TOK, EP_OVL, EP_HEALTH, EP_MODELS, EP_OTHER };
static const char *ep_name[7] = {"/v1/embeddings", "/embed", "/tokenize", "/v1/overlays", "/health", "/v1/models", "other"};
/* 499: the client closed the connection before its answer (nginx's code) */
static const unsigned codes[11] = {200, 400, 401, 404, 405, 413, 422, 429, 499, 500, 503};

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) { (void)sig; stop_flag = 1; }

/* A growing byte buffer for responses. */
typedef struct buf { char *p; size_t n, cap; int oom; } buf;
static void buf_put(buf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 4096;
        char *np;
        while (nc < b->n + n + 1) nc *= 2;
        if (!(np = (char *)realloc(b->p, nc))) { b->oom = 1; return; }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}
static void buf_str(buf *b, const char *s) { buf_put(b, s, strlen(s)); }
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void buf_fmt(buf *b, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) buf_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}
static void buf_json_str(buf *b, const char *s, size_t n) {
    size_t need = bml_json_escape(s, n, NULL, 0);
    char *t = (char *)malloc(need + 1);
    if (!t) { b->oom = 1; return; }
    bml_json_escape(s, n, t, need + 1);
    buf_put(b, t, need);
    free(t);
}
/* A float32 so that it parses back to the same float32 (9 significant digits). */
static void buf_float(buf *b, float v) { buf_fmt(b, "%.9g", (double)v); }

/* ---- one connection's request ---------------------------------------- */
typedef struct conn {
    buf body;
    int too_big;
} conn;

static enum MHD_Result send_buf(struct MHD_Connection *c, unsigned code, buf *b, const char *ctype,
                                const char *retry_after) {
    struct MHD_Response *r;
    enum MHD_Result ok;
    if (b->oom) {
        static const char oom[] = "{\"error\":{\"message\":\"out of memory\",\"type\":\"server_error\",\"code\":500}}";
        free(b->p);
        r = MHD_create_response_from_buffer(sizeof oom - 1, (void *)oom, MHD_RESPMEM_PERSISTENT);
        code = 500;
    } else {
        r = MHD_create_response_from_buffer(b->n, b->p ? b->p : (void *)"", b->p ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    }
    b->p = NULL;
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", ctype);
    if (retry_after) MHD_add_response_header(r, "Retry-After", retry_after);
    ok = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ok;
}

static void count(srv *s, int ep, unsigned code) {
    int k = 0;
    while (k < 10 && codes[k] != code) k++; /* (an unlisted code counts as 503) */
    pthread_mutex_lock(&s->mu);
    s->req[ep][k]++;
    pthread_mutex_unlock(&s->mu);
}

static enum MHD_Result send_err(srv *s, int ep, struct MHD_Connection *c, unsigned code, const char *type,
                                const char *msg) {
    buf b = {0};
    buf_str(&b, "{\"error\":{\"message\":");
    buf_json_str(&b, msg, strlen(msg));
    buf_fmt(&b, ",\"type\":\"%s\",\"code\":%u}}", type, code);
    count(s, ep, code);
    return send_buf(c, code, &b, "application/json", code == 429 || code == 503 ? "1" : NULL);
}

/* ---- inputs: a JSON string, an array of strings or of id arrays ------- */
typedef struct inputs {
    size_t n;
    bml_item *items;
    int32_t **ids;
} inputs;

static void inputs_free(inputs *in) {
    size_t i;
    if (in->ids) for (i = 0; i < in->n; i++) free(in->ids[i]);
    free(in->ids);
    free(in->items);
    memset(in, 0, sizeof *in);
}

/* 0 with the items, else an HTTP status and a message. */
static unsigned parse_inputs(srv *s, const bml_json *v, inputs *in, char *err, size_t cap) {
    size_t i, k, n;
    int single = 0, all_ints = 1;
    memset(in, 0, sizeof *in);
    if (!v) { snprintf(err, cap, "missing 'input'"); return 400; }
    if (v->type == BML_JSON_STRING) single = 1;
    else if (v->type != BML_JSON_ARRAY) { snprintf(err, cap, "'input' must be a string or an array"); return 400; }
    else if (!v->len) { snprintf(err, cap, "'input' is an empty list"); return 400; }
    if (!single) /* one array of token ids is one input (OpenAI accepts it) */
        for (i = 0; i < v->len; i++) all_ints &= v->kids[i].type == BML_JSON_NUMBER;
    if (single || all_ints) n = 1;
    else n = v->len;
    if (n > s->max_inputs) {
        snprintf(err, cap, "%zu inputs: at most %zu a request (--max-inputs)", n, s->max_inputs);
        return 422;
    }
    in->n = n;
    in->items = (bml_item *)calloc(n, sizeof *in->items);
    in->ids = (int32_t **)calloc(n, sizeof *in->ids);
    if (!in->items || !in->ids) { snprintf(err, cap, "out of memory"); return 500; }
    for (i = 0; i < n; i++) {
        const bml_json *x = single ? v : all_ints ? v : &v->kids[i];
        in->items[i].id = i;
        if (x->type == BML_JSON_STRING) {
            if (!x->len) { snprintf(err, cap, "input %zu is an empty string", i); return 400; }
            in->items[i].text = x->str;
            in->items[i].len = (ptrdiff_t)x->len;
        } else if (x->type == BML_JSON_ARRAY) {
            if (!x->len) { snprintf(err, cap, "input %zu is an empty list of token ids", i); return 400; }
            if (!(in->ids[i] = (int32_t *)malloc(x->len * sizeof(int32_t)))) { snprintf(err, cap, "out of memory"); return 500; }
            for (k = 0; k < x->len; k++) {
                long long id;
                if (!bml_json_int(&x->kids[k], 0, 2147483647LL, &id)) {
                    snprintf(err, cap, "input %zu, token %zu: not a token id (an integer >= 0)", i, k);
                    return 400;
                }
                in->ids[i][k] = (int32_t)id;
            }
            in->items[i].ids = in->ids[i];
            in->items[i].n_ids = x->len;
        } else {
            snprintf(err, cap, "input %zu must be a string or an array of token ids", i);
            return 400;
        }
    }
    return 0;
}

/* 1 while the client is still there: its socket has not been closed (a
   peek that reads 0 bytes, or an error other than "nothing yet"). */
static int client_alive(struct MHD_Connection *c) {
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct pollfd pf;
    char b;
    if (!ci) return 1;
    pf.fd = ci->connect_fd;
    pf.events = POLLIN;
    pf.revents = 0;
    if (poll(&pf, 1, 0) <= 0) return 1;
    if (pf.revents & (POLLHUP | POLLERR)) return 0;
    return recv(ci->connect_fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) != 0; /* 0: closed; > 0: a pipelined request */
}

/* Embed every input through the engine: 0 with rows [n, H] and tokens, or
   an HTTP status with a message. A client that goes away while its inputs
   wait has them cancelled (checked every 50 ms), so its work is freed. */
static unsigned run_inputs(srv *s, struct MHD_Connection *c, const inputs *in, const char *prompt, float *rows,
                           size_t *tokens, int truncate, char *err, size_t cap) {
    bml_engine_ticket **t = (bml_engine_ticket **)calloc(in->n, sizeof *t);
    size_t i;
    unsigned code = 0;
    *tokens = 0;
    if (!t) { snprintf(err, cap, "out of memory"); return 500; }
    for (i = 0; i < in->n && !code; i++) {
        bml_engine_request r;
        bml_status st;
        memset(&r, 0, sizeof r);
        r.item = in->items[i];
        r.prompt = prompt;
        r.priority = BML_PRIORITY_NORMAL;
        if (!truncate && r.item.text) {
            /* over the model's length: tokenize (truncated) and see whether
               the last token ends before the text's last non-space byte */
            bml_encoding enc;
            const bml_tokenizer *tok = bml_model_tokenizer(s->m);
            memset(&enc, 0, sizeof enc);
            if (tok && bml_tokenize(tok, r.item.text, r.item.len, BML_UTF8_ERROR, &enc) == BML_OK &&
                (int)enc.n >= bml_tokenizer_max_len(tok) && enc.n >= 2) {
                size_t end = (size_t)r.item.len, last = enc.offsets[2 * (enc.n - 2) + 1];
                while (end > 0 && (unsigned char)r.item.text[end - 1] <= ' ') end--;
                if (last < end) {
                    snprintf(err, cap, "input %zu is longer than the model's %d tokens and 'truncate' is false", i,
                             bml_tokenizer_max_len(tok));
                    code = 422;
                }
            }
            bml_encoding_free(&enc);
            if (code) break;
        }
        st = bml_engine_submit(s->e, &r, &t[i]);
        if (st == BML_OK) continue;
        snprintf(err, cap, "input %zu: %s", i, bml_last_error());
        code = st == BML_ERR_BUSY ? 429 : st == BML_ERR_CANCELLED ? 503 : st == BML_ERR_TOO_LONG ? 422
             : st == BML_ERR_NOMEM ? 500 : 400;
    }
    for (i = 0; i < in->n; i++) {
        bml_engine_result res;
        size_t k;
        if (!t[i]) continue;
        if (code) bml_engine_cancel(t[i]); /* the request failed: free the queue of its other inputs */
        while (bml_engine_wait(t[i], 50000, NULL) == BML_ERR_TIMEOUT)
            if (!client_alive(c)) { /* gone: cancel what is still queued */
                for (k = i; k < in->n; k++) if (t[k]) bml_engine_cancel(t[k]);
                if (!code) { snprintf(err, cap, "the client closed the connection"); code = 499; }
            }
        if (bml_engine_wait(t[i], BML_ENGINE_FOREVER, &res) == BML_OK && !code) {
            if (res.status == BML_OK) {
                memcpy(rows + i * s->H, res.embedding, s->H * sizeof(float));
                *tokens += res.tokens;
            } else {
                snprintf(err, cap, "input %zu: %s", i, res.error);
                code = res.status == BML_ERR_CANCELLED ? 503 : 500;
            }
        }
        bml_engine_ticket_free(t[i]);
    }
    free(t);
    return code;
}

/* "prompt_name": the model's prompt of that name (NULL: not given, the
   server's default); 0, or 400 with a message. */
static unsigned prompt_of(srv *s, const bml_json *root, const inputs *in, const char **prompt, char *err, size_t cap) {
    const bml_json *pn = bml_json_get(root, "prompt_name");
    size_t i;
    *prompt = NULL;
    if (!pn || pn->type == BML_JSON_NULL) return 0;
    if (pn->type != BML_JSON_STRING) { snprintf(err, cap, "'prompt_name' must be a string"); return 400; }
    if (!(*prompt = bml_model_prompt(s->m, pn->str))) {
        size_t at = 0;
        int k;
        at += (size_t)snprintf(err, cap, "'prompt_name' %.64s: the model has %s", pn->str,
                               bml_model_prompt_count(s->m) ? "the prompts" : "no prompts");
        for (k = 0; k < bml_model_prompt_count(s->m) && at < cap; k++)
            at += (size_t)snprintf(err + at, cap - at, " '%.32s'", bml_model_prompt_name(s->m, k));
        return 400;
    }
    for (i = 0; i < in->n; i++)
        if (in->items[i].ids) { snprintf(err, cap, "'prompt_name' needs text inputs, input %zu is token ids", i); return 400; }
    return 0;
}

static unsigned check_type(const bml_json *v, bml_json_type ty, const char *name, char *err, size_t cap) {
    if (v && v->type != ty && !(ty == BML_JSON_TRUE && v->type == BML_JSON_FALSE)) {
        snprintf(err, cap, "'%s' has the wrong type", name);
        return 400;
    }
    return 0;
}

static void put_b64(buf *b, const float *v, size_t n) {
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i, nb = n * 4;
    unsigned char *x = (unsigned char *)malloc(nb + 3);
    char q[4];
    if (!x) { b->oom = 1; return; }
    for (i = 0; i < n; i++) { /* little-endian float32 */
        uint32_t u;
        memcpy(&u, &v[i], 4);
        x[4 * i] = (unsigned char)u; x[4 * i + 1] = (unsigned char)(u >> 8);
        x[4 * i + 2] = (unsigned char)(u >> 16); x[4 * i + 3] = (unsigned char)(u >> 24);
    }
    for (i = 0; i < nb; i += 3) {
        uint32_t w = (uint32_t)x[i] << 16 | (i + 1 < nb ? (uint32_t)x[i + 1] << 8 : 0) | (i + 2 < nb ? x[i + 2] : 0);
        q[0] = tbl[w >> 18 & 63]; q[1] = tbl[w >> 12 & 63];
        q[2] = i + 1 < nb ? tbl[w >> 6 & 63] : '=';
        q[3] = i + 2 < nb ? tbl[w & 63] : '=';
        buf_put(b, q, 4);
    }
    free(x);
}

static enum MHD_Result do_embeddings(srv *s, struct MHD_Connection *c, const bml_json *root, int ep) {
    const bml_json *enc = bml_json_get(root, "encoding_format"), *dims = bml_json_get(root, "dimensions"),
                   *mod = bml_json_get(root, "model");
    char err[512];
    inputs in;
    unsigned code;
    size_t D = s->dims, tokens = 0, i, k;
    int b64 = 0;
    const char *prompt = NULL;
    float *rows, *row;
    buf b = {0};
    if (root->type != BML_JSON_OBJECT) return send_err(s, ep, c, 400, "invalid_request_error", "the body must be a JSON object");
    if (enc && (enc->type != BML_JSON_STRING || (strcmp(enc->str, "float") && strcmp(enc->str, "base64"))))
        return send_err(s, ep, c, 400, "invalid_request_error", "'encoding_format' must be \"float\" or \"base64\"");
    b64 = enc && !strcmp(enc->str, "base64");
    if (dims && dims->type != BML_JSON_NULL) {
        long long d;
        if (!bml_json_int(dims, 1, (long long)s->H, &d)) {
            snprintf(err, sizeof err, "'dimensions' must be an integer in 1..%zu", s->H);
            return send_err(s, ep, c, 400, "invalid_request_error", err);
        }
        D = (size_t)d;
    }
    if (mod && mod->type != BML_JSON_STRING && mod->type != BML_JSON_NULL)
        return send_err(s, ep, c, 400, "invalid_request_error", "'model' must be a string");
    if ((code = parse_inputs(s, bml_json_get(root, "input"), &in, err, sizeof err)) != 0) {
        inputs_free(&in);
        return send_err(s, ep, c, code, code == 500 ? "server_error" : "invalid_request_error", err);
    }
    rows = (float *)malloc(in.n * s->H * sizeof(float) + 1);
    row = (float *)malloc(s->H * sizeof(float) + 1);
    if (!rows || !row) code = 500, snprintf(err, sizeof err, "out of memory");
    else if (!(code = prompt_of(s, root, &in, &prompt, err, sizeof err)))
        code = run_inputs(s, c, &in, prompt, rows, &tokens, 1, err, sizeof err);
    if (code) {
        free(rows); free(row); inputs_free(&in);
        return send_err(s, ep, c, code, code == 429 ? "rate_limit_error" : code >= 500 ? "server_error"
                                                                           : "invalid_request_error", err);
    }
    buf_str(&b, "{\"object\":\"list\",\"data\":[");
    for (i = 0; i < in.n; i++) {
        bml_truncate_embedding(s->m, rows + i * s->H, D, row);
        buf_fmt(&b, "%s{\"object\":\"embedding\",\"index\":%zu,\"embedding\":", i ? "," : "", i);
        if (b64) { buf_str(&b, "\""); put_b64(&b, row, D); buf_str(&b, "\""); }
        else {
            buf_str(&b, "[");
            for (k = 0; k < D; k++) { if (k) buf_str(&b, ","); buf_float(&b, row[k]); }
            buf_str(&b, "]");
        }
        buf_str(&b, "}");
    }
    buf_str(&b, "],\"model\":");
    if (mod && mod->type == BML_JSON_STRING) buf_json_str(&b, mod->str, mod->len);
    else buf_json_str(&b, s->model_name, strlen(s->model_name));
    buf_fmt(&b, ",\"usage\":{\"prompt_tokens\":%zu,\"total_tokens\":%zu}}", tokens, tokens);
    free(rows); free(row); inputs_free(&in);
    count(s, ep, 200);
    return send_buf(c, 200, &b, "application/json", NULL);
}

static enum MHD_Result do_embed_tei(srv *s, struct MHD_Connection *c, const bml_json *root, int ep) {
    const bml_json *norm = bml_json_get(root, "normalize"), *trunc = bml_json_get(root, "truncate");
    char err[512];
    inputs in;
    unsigned code;
    size_t tokens, i, k, D = s->dims;
    int normalize = 1, truncate = 1;
    float *rows;
    const char *prompt = NULL;
    buf b = {0};
    if (root->type != BML_JSON_OBJECT) return send_err(s, ep, c, 400, "invalid_request_error", "the body must be a JSON object");
    if (check_type(norm, BML_JSON_TRUE, "normalize", err, sizeof err) || check_type(trunc, BML_JSON_TRUE, "truncate", err, sizeof err))
        return send_err(s, ep, c, 400, "invalid_request_error", err);
    if (norm) normalize = norm->type == BML_JSON_TRUE;
    if (trunc) truncate = trunc->type == BML_JSON_TRUE;
    if (!normalize && s->normalizes)
        return send_err(s, ep, c, 400, "invalid_request_error",
                        "'normalize': false is not available: this model's pipeline ends in a Normalize module");
    if ((code = parse_inputs(s, bml_json_get(root, "inputs"), &in, err, sizeof err)) != 0) {
        inputs_free(&in);
        return send_err(s, ep, c, code, code == 500 ? "server_error" : "invalid_request_error", err);
    }
    if (!(rows = (float *)malloc(in.n * s->H * sizeof(float) + 1))) code = 500, snprintf(err, sizeof err, "out of memory");
    else if (!(code = prompt_of(s, root, &in, &prompt, err, sizeof err)))
        code = run_inputs(s, c, &in, prompt, rows, &tokens, truncate, err, sizeof err);
    if (code) {
        free(rows); inputs_free(&in);
        return send_err(s, ep, c, code, code == 429 ? "rate_limit_error" : code >= 500 ? "server_error"
                                                                           : "invalid_request_error", err);
    }
    buf_str(&b, "[");
    for (i = 0; i < in.n; i++) {
        float *r = rows + i * s->H;
        double ss = 0;
        bml_truncate_embedding(s->m, r, D, r); /* --dimensions */
        if (normalize && !s->normalizes) { /* TEI normalizes by default: so does this */
            for (k = 0; k < D; k++) ss += (double)r[k] * r[k];
            ss = ss > 0 ? 1.0 / sqrt(ss) : 0;
            for (k = 0; k < D; k++) r[k] = (float)(r[k] * ss);
        }
        buf_str(&b, i ? ",[" : "[");
        for (k = 0; k < D; k++) { if (k) buf_str(&b, ","); buf_float(&b, r[k]); }
        buf_str(&b, "]");
    }
    buf_str(&b, "]");
    free(rows); inputs_free(&in);
    count(s, ep, 200);
    return send_buf(c, 200, &b, "application/json", NULL);
}

static enum MHD_Result do_tokenize(srv *s, struct MHD_Connection *c, const bml_json *root, int ep) {
    const bml_json *v = root->type == BML_JSON_OBJECT ? bml_json_get(root, "inputs") : NULL;
    const bml_tokenizer *tok = bml_model_tokenizer(s->m);
    bml_encoding enc;
    size_t i, k, n;
    buf b = {0};
    char err[512];
    if (!v || (v->type != BML_JSON_STRING && v->type != BML_JSON_ARRAY))
        return send_err(s, ep, c, 400, "invalid_request_error", "'inputs' must be a string or an array of strings");
    n = v->type == BML_JSON_STRING ? 1 : v->len;
    if (!n) return send_err(s, ep, c, 400, "invalid_request_error", "'inputs' is an empty list");
    if (n > s->max_inputs) {
        snprintf(err, sizeof err, "%zu inputs: at most %zu a request (--max-inputs)", n, s->max_inputs);
        return send_err(s, ep, c, 422, "invalid_request_error", err);
    }
    memset(&enc, 0, sizeof enc);
    buf_str(&b, "[");
    for (i = 0; i < n; i++) {
        const bml_json *x = v->type == BML_JSON_STRING ? v : &v->kids[i];
        if (x->type != BML_JSON_STRING) {
            free(b.p); bml_encoding_free(&enc);
            snprintf(err, sizeof err, "input %zu is not a string", i);
            return send_err(s, ep, c, 400, "invalid_request_error", err);
        }
        if (bml_tokenize(tok, x->str, (ptrdiff_t)x->len, BML_UTF8_ERROR, &enc) != BML_OK) {
            free(b.p); bml_encoding_free(&enc);
            snprintf(err, sizeof err, "input %zu: %s", i, bml_last_error());
            return send_err(s, ep, c, 400, "invalid_request_error", err);
        }
        buf_str(&b, i ? ",[" : "[");
        for (k = 0; k < enc.n; k++) buf_fmt(&b, k ? ",%d" : "%d", (int)enc.ids[k]);
        buf_str(&b, "]");
    }
    buf_str(&b, "]");
    bml_encoding_free(&enc);
    count(s, ep, 200);
    return send_buf(c, 200, &b, "application/json", NULL);
}

/* ---- gradient overlays: a job on the engine's thread ------------------ */
typedef struct ov_job {
    const char *method, *target;
    bml_overlay_desc od;
    const bml_item *items;
    size_t n;
    buf out;                     /* the overlays' JSON objects, comma-separated */
} ov_job;

static bml_status ov_run(bml_model *m, void *user, char *err, size_t cap) {
    ov_job *j = (ov_job *)user;
    bml_target *tg = NULL;
    bml_overlay *ovs;
    bml_status rc;
    size_t k;
    if ((rc = bml_target_parse(m, j->target, &tg)) != BML_OK) {
        snprintf(err, cap, "'target': %s", bml_last_error());
        return rc;
    }
    if (!(ovs = (bml_overlay *)calloc(j->n, sizeof *ovs))) { bml_target_free(tg); return BML_ERR_NOMEM; }
    j->od.target = tg;
    rc = bml_overlay_compute_batch(m, &j->od, j->items, j->n, ovs);
    if (rc != BML_OK) snprintf(err, cap, "%s", bml_last_error());
    for (k = 0; k < j->n && rc == BML_OK; k++) { /* each as `batchml overlay --format jsonl` prints it */
        size_t need = bml_overlay_to_json(m, &ovs[k], j->method, j->target, NULL, 0);
        char *line = (char *)malloc(need + 1);
        if (!line) { rc = BML_ERR_NOMEM; break; }
        bml_overlay_to_json(m, &ovs[k], j->method, j->target, line, need + 1);
        if (need && line[need - 1] == '\n') need--;
        if (k) buf_str(&j->out, ",");
        buf_put(&j->out, line, need);
        free(line);
    }
    for (k = 0; k < j->n; k++) bml_overlay_free(&ovs[k]);
    free(ovs);
    bml_target_free(tg);
    return j->out.oom ? BML_ERR_NOMEM : rc;
}

static enum MHD_Result do_overlays(srv *s, struct MHD_Connection *c, const bml_json *root, int ep) {
    const bml_json *me = bml_json_get(root, "method"), *tg = bml_json_get(root, "target"), *st = bml_json_get(root, "steps");
    char err[512];
    inputs in;
    unsigned code;
    int want = -1;
    long long steps = 0;
    ov_job j;
    bml_engine_ticket *t = NULL;
    bml_engine_result r;
    bml_status rc;
    buf b = {0};
    if (root->type != BML_JSON_OBJECT) return send_err(s, ep, c, 400, "invalid_request_error", "the body must be a JSON object");
    memset(&j, 0, sizeof j);
    if (!me || me->type != BML_JSON_STRING || bml_method_parse(me->str, &j.od.method, &want) != BML_OK)
        return send_err(s, ep, c, 400, "invalid_request_error",
                        "'method' must be \"grad\", \"grad_x_input\" or \"integrated_gradients\"");
    if (!tg || tg->type != BML_JSON_STRING || strncmp(tg->str, "sim:", 4) || want >= 0 || !tg->str[4])
        return send_err(s, ep, c, 400, "invalid_request_error",
                        "'target' must be \"sim:TEXT\" (value: and policy: targets name files on the server: "
                        "use batchml overlay for them)");
    if (st && st->type != BML_JSON_NULL && !bml_json_int(st, 1, 1024, &steps))
        return send_err(s, ep, c, 400, "invalid_request_error", "'steps' must be an integer in 1..1024");
    if ((code = parse_inputs(s, bml_json_get(root, "input"), &in, err, sizeof err)) != 0) {
        inputs_free(&in);
        return send_err(s, ep, c, code, code == 500 ? "server_error" : "invalid_request_error", err);
    }
    j.method = me->str;
    j.target = tg->str;
    j.od.steps = (int)steps;
    j.items = in.items;
    j.n = in.n;
    rc = bml_engine_submit_job(s->e, ov_run, &j, BML_PRIORITY_NORMAL, 0, &t);
    if (rc != BML_OK) {
        inputs_free(&in);
        return send_err(s, ep, c, rc == BML_ERR_BUSY ? 429 : 503, rc == BML_ERR_BUSY ? "rate_limit_error" : "server_error",
                        bml_last_error());
    }
    bml_engine_wait(t, BML_ENGINE_FOREVER, &r);
    bml_engine_ticket_free(t);
    inputs_free(&in);
    if (r.status != BML_OK) {
        free(j.out.p);
        code = r.status == BML_ERR_CANCELLED ? 503 : r.status == BML_ERR_NOMEM || r.status == BML_ERR_INTERNAL ? 500 : 400;
        return send_err(s, ep, c, code, code == 400 ? "invalid_request_error" : "server_error", r.error);
    }
    buf_str(&b, "{\"object\":\"list\",\"data\":[");
    buf_put(&b, j.out.p ? j.out.p : "", j.out.n);
    buf_str(&b, "]}");
    free(j.out.p);
    count(s, ep, 200);
    return send_buf(c, 200, &b, "application/json", NULL);
}

static enum MHD_Result do_metrics(srv *s, struct MHD_Connection *c) {
    bml_engine_stats st;
    buf b = {0};
    int i, k;
    unsigned long long cum = 0;
    bml_engine_stats_get(s->e, &st);
    buf_str(&b, "# HELP batchml_requests_total HTTP requests answered, by endpoint and status.\n"
                "# TYPE batchml_requests_total counter\n");
    pthread_mutex_lock(&s->mu);
    for (i = 0; i < 7; i++)
        for (k = 0; k < 11; k++)
            if (s->req[i][k])
                buf_fmt(&b, "batchml_requests_total{endpoint=\"%s\",status=\"%u\"} %llu\n", ep_name[i], codes[k],
                        s->req[i][k]);
    pthread_mutex_unlock(&s->mu);
    buf_fmt(&b, "# HELP batchml_queue_depth Inputs queued for a batch.\n# TYPE batchml_queue_depth gauge\n"
                "batchml_queue_depth %zu\n", st.queued);
    buf_fmt(&b, "# HELP batchml_inputs_total Inputs by outcome.\n# TYPE batchml_inputs_total counter\n"
                "batchml_inputs_total{outcome=\"completed\"} %llu\nbatchml_inputs_total{outcome=\"failed\"} %llu\n"
                "batchml_inputs_total{outcome=\"rejected\"} %llu\nbatchml_inputs_total{outcome=\"cancelled\"} %llu\n"
                "batchml_inputs_total{outcome=\"timed_out\"} %llu\n",
            (unsigned long long)st.completed, (unsigned long long)st.failed, (unsigned long long)st.rejected,
            (unsigned long long)st.cancelled, (unsigned long long)st.timed_out);
    buf_str(&b, "# HELP batchml_batch_size Inputs per batch.\n# TYPE batchml_batch_size histogram\n");
    for (i = 0; i < BML_ENGINE_HIST - 1; i++) {
        cum += st.batch_items[i];
        buf_fmt(&b, "batchml_batch_size_bucket{le=\"%llu\"} %llu\n", (1ull << (i + 1)) - 1, cum);
    }
    cum += st.batch_items[BML_ENGINE_HIST - 1];
    buf_fmt(&b, "batchml_batch_size_bucket{le=\"+Inf\"} %llu\nbatchml_batch_size_count %llu\n", cum,
            (unsigned long long)st.batches);
    buf_str(&b, "# HELP batchml_latency_seconds Queue and total latency of the last 4096 inputs.\n"
                "# TYPE batchml_latency_seconds summary\n");
    buf_fmt(&b, "batchml_latency_seconds{kind=\"queue\",quantile=\"0.5\"} %.6f\n", st.queue_p50_ns / 1e9);
    buf_fmt(&b, "batchml_latency_seconds{kind=\"queue\",quantile=\"0.95\"} %.6f\n", st.queue_p95_ns / 1e9);
    buf_fmt(&b, "batchml_latency_seconds{kind=\"queue\",quantile=\"0.99\"} %.6f\n", st.queue_p99_ns / 1e9);
    buf_fmt(&b, "batchml_latency_seconds{kind=\"total\",quantile=\"0.5\"} %.6f\n", st.total_p50_ns / 1e9);
    buf_fmt(&b, "batchml_latency_seconds{kind=\"total\",quantile=\"0.95\"} %.6f\n", st.total_p95_ns / 1e9);
    buf_fmt(&b, "batchml_latency_seconds{kind=\"total\",quantile=\"0.99\"} %.6f\n", st.total_p99_ns / 1e9);
    return send_buf(c, 200, &b, "text/plain; version=0.0.4", NULL);
}

static int endpoint_of(const char *url) {
    int i;
    for (i = 0; i < EP_OTHER; i++)
        if (!strcmp(url, ep_name[i])) return i;
    return !strcmp(url, "/metrics") ? -1 : EP_OTHER;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                               const char *version, const char *upload, size_t *upload_size, void **con_cls) {
    srv *s = (srv *)cls;
    conn *cn = (conn *)*con_cls;
    int ep = endpoint_of(url), post = !strcmp(method, "POST"), get = !strcmp(method, "GET"), draining;
    enum MHD_Result ok;
    bml_json_doc *doc = NULL;
    (void)version;
    if (!cn) { /* headers are in: refuse early what is refused anyway */
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (!(cn = (conn *)calloc(1, sizeof *cn))) return MHD_NO;
        *con_cls = cn;
        if (cl && strtoull(cl, NULL, 10) > s->max_body) cn->too_big = 1;
        return MHD_YES;
    }
    if (*upload_size) { /* more body */
        if (!cn->too_big && cn->body.n + *upload_size > s->max_body) cn->too_big = 1;
        if (!cn->too_big) buf_put(&cn->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    /* the whole request is in */
    if (ep != EP_HEALTH && s->api_key) {
        const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
        if (!auth || strncmp(auth, "Bearer ", 7) || strcmp(auth + 7, s->api_key))
            return send_err(s, ep < 0 ? EP_OTHER : ep, c, 401, "authentication_error",
                            auth ? "wrong API key" : "missing API key: send 'Authorization: Bearer KEY'");
    }
    pthread_mutex_lock(&s->mu);
    draining = s->draining;
    pthread_mutex_unlock(&s->mu);
    if (ep == EP_HEALTH && get) {
        buf b = {0};
        buf_str(&b, draining ? "{\"status\":\"draining\"}" : "{\"status\":\"ok\"}");
        count(s, ep, draining ? 503 : 200);
        return send_buf(c, draining ? 503 : 200, &b, "application/json", draining ? "1" : NULL);
    }
    if (ep < 0 && get) return do_metrics(s, c);
    if (ep == EP_MODELS && get) {
        buf b = {0};
        buf_str(&b, "{\"object\":\"list\",\"data\":[{\"id\":");
        buf_json_str(&b, s->model_name, strlen(s->model_name));
        buf_fmt(&b, ",\"object\":\"model\",\"created\":0,\"owned_by\":\"batchml\",\"dimensions\":%zu}]}", s->H);
        count(s, ep, 200);
        return send_buf(c, 200, &b, "application/json", NULL);
    }
    if (ep == EP_OTHER) return send_err(s, EP_OTHER, c, 404, "not_found_error", "no such path");
    if ((ep == EP_HEALTH || ep == EP_MODELS || ep < 0) != (get != 0) || (!get && !post)) {
        struct MHD_Response *r;
        buf b = {0};
        buf_str(&b, "{\"error\":{\"message\":\"method not allowed on this path\",\"type\":\"invalid_request_error\","
                    "\"code\":405}}");
        count(s, ep < 0 ? EP_OTHER : ep, 405);
        r = MHD_create_response_from_buffer(b.n, b.p, MHD_RESPMEM_MUST_FREE);
        if (!r) return MHD_NO;
        MHD_add_response_header(r, "Content-Type", "application/json");
        MHD_add_response_header(r, "Allow", ep == EP_HEALTH || ep == EP_MODELS || ep < 0 ? "GET" : "POST");
        ok = MHD_queue_response(c, 405, r);
        MHD_destroy_response(r);
        return ok;
    }
    if (cn->too_big) {
        char m[128];
        snprintf(m, sizeof m, "the body is over %zu bytes (--max-body)", s->max_body);
        return send_err(s, ep, c, 413, "invalid_request_error", m);
    }
    if (draining) return send_err(s, ep, c, 503, "server_error", "the server is shutting down");
    if (bml_json_parse(cn->body.p ? cn->body.p : "", cn->body.n, "the request body", &doc) != BML_OK)
        return send_err(s, ep, c, 400, "invalid_request_error", bml_last_error());
    pthread_mutex_lock(&s->mu);
    s->active++;
    pthread_mutex_unlock(&s->mu);
    ok = ep == EP_EMB ? do_embeddings(s, c, bml_json_root(doc), ep)
       : ep == EP_EMBED ? do_embed_tei(s, c, bml_json_root(doc), ep)
       : ep == EP_OVL ? do_overlays(s, c, bml_json_root(doc), ep)
       : do_tokenize(s, c, bml_json_root(doc), ep);
    bml_json_free(doc);
    pthread_mutex_lock(&s->mu);
    s->active--;
    pthread_mutex_unlock(&s->mu);
    return ok;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
    conn *cn = (conn *)*con_cls;
    (void)cls; (void)c; (void)toe;
    if (cn) { free(cn->body.p); free(cn); }
    *con_cls = NULL;
}

int cmd_serve(int argc, char **argv) {
    const char *host = "127.0.0.1", *v;
    long long port = 8080, queue = 512, max_body = 2 << 20, max_inputs = 2048, mbt = 0, mwait = 2, conns = 256,
              timeout = 30;
    cli_common c;
    bml_model_desc md;
    bml_engine_desc ed;
    struct MHD_Daemon *d;
    struct sockaddr_in addr;
    const union MHD_DaemonInfo *info;
    struct sigaction sa;
    srv s;
    int i;
    memset(&s, 0, sizeof s);
    memset(&ed, 0, sizeof ed);
    cli_common_init(&c, CLI_O_MODEL | CLI_O_THREADS | CLI_O_DETERMINISTIC | CLI_O_PROMPT | CLI_O_DIMENSIONS, NULL);
    for (i = 1; i < argc; i++) {
        unsigned got = cli_common_opt(&c, argc, argv, &i);
        if (got == CLI_O_HELP) { fputs(help, stdout); return 0; }
        else if (got) continue;
        else if (cli_opt(argc, argv, &i, "--host", &v)) host = v;
        else if (cli_opt(argc, argv, &i, "--port", &v)) port = cli_parse_long("--port", v, 0, 65535);
        else if (cli_opt(argc, argv, &i, "--api-key", &v)) s.api_key = v;
        else if (cli_opt(argc, argv, &i, "--queue", &v)) queue = cli_parse_long("--queue", v, 1, 1 << 20);
        else if (cli_opt(argc, argv, &i, "--max-body", &v)) max_body = cli_parse_long("--max-body", v, 16, 1LL << 32);
        else if (cli_opt(argc, argv, &i, "--max-inputs", &v)) max_inputs = cli_parse_long("--max-inputs", v, 1, 1 << 20);
        else if (cli_opt(argc, argv, &i, "--max-batch-tokens", &v)) mbt = cli_parse_long("--max-batch-tokens", v, 1, 1 << 24);
        else if (cli_opt(argc, argv, &i, "--max-wait-ms", &v)) mwait = cli_parse_long("--max-wait-ms", v, 0, 60000);
        else if (cli_opt(argc, argv, &i, "--connections", &v)) conns = cli_parse_long("--connections", v, 1, 65536);
        else if (cli_opt(argc, argv, &i, "--timeout", &v)) timeout = cli_parse_long("--timeout", v, 1, 86400);
        else if (cli_opt(argc, argv, &i, "--model-name", &v)) s.model_name = v;
        else if (argv[i][0] == '-' && argv[i][1]) cli_die("unknown option '%s' (see --help)", argv[i]);
        else cli_die("unexpected argument '%s'", argv[i]);
    }
    if (!c.model) cli_die("--model DIR is required (see --help)");
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) cli_die("--host %s: not an IPv4 address", host);
    cli_common_model_desc(&c, &md);
    if (bml_model_load(&md, &s.m) != BML_OK) cli_die("%s", bml_last_error());
    s.cfg = bml_model_config(s.m);
    s.H = (size_t)s.cfg->dim;
    s.normalizes = s.cfg->normalize;
    {   /* --prompt / --prompt-name (else the model's default prompt) and --dimensions */
        bml_batch_desc bd;
        memset(&bd, 0, sizeof bd);
        s.dims = cli_common_prompt_dims(&c, s.m, &bd);
        ed.prompt = bd.prompt;
    }
    s.max_body = (size_t)max_body;
    s.max_inputs = (size_t)max_inputs;
    if (!s.model_name) { /* the directory's last component */
        const char *p = c.model + strlen(c.model);
        while (p > c.model && p[-1] == '/') p--;
        while (p > c.model && p[-1] != '/') p--;
        s.model_name = *p ? p : c.model;
    }
    ed.queue_capacity = (size_t)queue;
    ed.max_batch_tokens = (size_t)mbt;
    ed.max_wait_us = mwait ? (uint64_t)mwait * 1000 : BML_ENGINE_NO_WAIT;
    if (bml_engine_create(s.m, &ed, &s.e) != BML_OK) cli_die("%s", bml_last_error());
    pthread_mutex_init(&s.mu, NULL);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ITC |
                             MHD_USE_POLL,
                         (uint16_t)port, NULL, NULL, handler, &s, MHD_OPTION_SOCK_ADDR, &addr,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)timeout, MHD_OPTION_CONNECTION_LIMIT,
                         (unsigned)conns, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024, MHD_OPTION_END);
    if (!d) cli_die("cannot listen on %s:%lld (in use? --port 0 picks a free one)", host, port);
    info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    fprintf(stderr, "listening on http://%s:%u\n", host, info ? (unsigned)info->port : (unsigned)port);
    fflush(stderr);
    while (!stop_flag) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    /* stop: no new connections, no new requests (503), finish the rest */
    fprintf(stderr, "batchml serve: stopping: finishing accepted requests\n");
    pthread_mutex_lock(&s.mu);
    s.draining = 1;
    pthread_mutex_unlock(&s.mu);
    MHD_quiesce_daemon(d);
    for (i = 0; i < 6000; i++) { /* at most 5 minutes */
        long a;
        struct timespec ts = {0, 50 * 1000000L};
        pthread_mutex_lock(&s.mu);
        a = s.active;
        pthread_mutex_unlock(&s.mu);
        if (!a) break;
        nanosleep(&ts, NULL);
    }
    bml_engine_shutdown(s.e, 1);
    MHD_stop_daemon(d);
    bml_engine_free(s.e);
    bml_model_free(s.m);
    pthread_mutex_destroy(&s.mu);
    return 0;
}
#endif

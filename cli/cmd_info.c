/* batchml info: what a model directory holds and how this machine runs it. */
#define _POSIX_C_SOURCE 200809L
#include "index.h"
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "compat.h"

static const char *help =
    "usage: batchml info [--model] DIR [--json]\n"
    "       batchml info --devices\n"
    "       batchml info --kernels\n"
    "\n"
    "Loads a sentence-transformers model directory and prints its architecture,\n"
    "parameter count, dtype, pooling, normalization, max length, tokenizer, the\n"
    "sizes of its files, and the BLAS kernels this process uses (with a hint when\n"
    "faster ones exist for this CPU), the CPU kernel set it runs and what the CPU\n"
    "offers. --json: the same as one JSON object.\n"
    "--devices: the devices --device can name (cpu, auto, and every OpenCL\n"
    "platform and device as opencl:P:D; OpenCL needs ./batchml-cl, `make opencl`).\n"
    "--kernels: the CPU kernel sets this build has and this CPU runs, one a line,\n"
    "best first (BATCHML_ISA=NAME in the environment forces one).\n"
    "\n"
    "example: batchml info build/minilm\n"
    "         batchml-cl info --devices\n";

typedef struct file_ent { char name[512]; long long size; } file_ent;

static int cmp_file(const void *a, const void *b) { return strcmp(((const file_ent *)a)->name, ((const file_ent *)b)->name); }

/* Regular files of dir and of its subdirectories (one level), sorted. */
static file_ent *list_files(const char *dir, size_t *n) {
    file_ent *v = NULL;
    size_t cap = 0;
    int pass;
    char sub[512];
    *n = 0;
    for (pass = 0; pass < 2; pass++) {
        DIR *d = opendir(dir);
        struct dirent *de;
        if (!d) return v;
        while ((de = readdir(d))) {
            char path[4096];
            struct stat st;
            if (de->d_name[0] == '.') continue;
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            if (stat(path, &st) != 0) continue;
            if (pass == 0 && S_ISREG(st.st_mode)) {
                if (*n == cap && !(v = realloc(v, (cap = cap ? 2 * cap : 32) * sizeof *v))) cli_die("out of memory");
                snprintf(v[*n].name, sizeof v[*n].name, "%s", de->d_name);
                v[(*n)++].size = (long long)st.st_size;
            } else if (pass == 1 && S_ISDIR(st.st_mode)) {
                DIR *d2 = opendir(path);
                struct dirent *e2;
                if (!d2) continue;
                snprintf(sub, sizeof sub, "%s", de->d_name);
                while ((e2 = readdir(d2))) {
                    char p2[4096 + 256];
                    struct stat s2;
                    if (e2->d_name[0] == '.') continue;
                    snprintf(p2, sizeof p2, "%s/%s", path, e2->d_name);
                    if (stat(p2, &s2) != 0 || !S_ISREG(s2.st_mode)) continue;
                    if (*n == cap && !(v = realloc(v, (cap = cap ? 2 * cap : 32) * sizeof *v))) cli_die("out of memory");
                    snprintf(v[*n].name, sizeof v[*n].name, "%.250s/%.250s", sub, e2->d_name);
                    v[(*n)++].size = (long long)s2.st_size;
                }
                closedir(d2);
            }
        }
        closedir(d);
    }
    if (*n) qsort(v, *n, sizeof *v, cmp_file);
    return v;
}

static const char *human_bytes(long long b, char *buf, size_t cap) {
    if (b < 1024) snprintf(buf, cap, "%lld B", b);
    else if (b < 1024 * 1024) snprintf(buf, cap, "%.1f KiB", b / 1024.0);
    else if (b < 1024LL * 1024 * 1024) snprintf(buf, cap, "%.1f MiB", b / 1048576.0);
    else snprintf(buf, cap, "%.2f GiB", b / 1073741824.0);
    return buf;
}

static const char *grouped(size_t v, char *buf, size_t cap) {
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%zu", v), i, o = 0;
    for (i = 0; i < n && (size_t)o + 2 < cap; i++) {
        if (i && (n - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = 0;
    return buf;
}

/* "BertModel" and "bert" from config.json (empty when absent). */
static void read_arch(const char *dir, char *arch, size_t acap, char *type, size_t tcap) {
    char path[4096];
    bml_json_doc *doc;
    const bml_json *v;
    arch[0] = type[0] = 0;
    snprintf(path, sizeof path, "%s/config.json", dir);
    if (bml_json_load(path, 1 << 20, &doc) == BML_OK) {
        v = bml_json_get(bml_json_root(doc), "architectures");
        if (v && v->type == BML_JSON_ARRAY && v->len && v->kids[0].type == BML_JSON_STRING) snprintf(arch, acap, "%s", v->kids[0].str);
        v = bml_json_get(bml_json_root(doc), "model_type");
        if (v && v->type == BML_JSON_STRING) snprintf(type, tcap, "%s", v->str);
        bml_json_free(doc);
    }
}

int cmd_info(int argc, char **argv) {
    const char *dir;
    int json, i, check;
    cli_common opts;
    char tok_err[256] = "", arch[128], type[64], want[32] = "", b1[32], b2[32];
    char tok_file[32] = "";
    bml_model_desc md;
    bml_model *m;
    const bml_config *c;
    file_ent *files;
    size_t nfiles, k, vocab = 0;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    struct stat st;
    cli_common_init(&opts, CLI_O_MODEL | CLI_O_JSON | CLI_O_PROGRESS, NULL); /* --progress: info is instant */
    for (i = 1; i < argc; i++) {
        unsigned got = cli_common_opt(&opts, argc, argv, &i);
        if (got == CLI_O_HELP) { fputs(help, stdout); return 0; }
        else if (got) continue;
        else if (!strcmp(argv[i], "--devices")) {
            size_t n = bml_device_list_text(NULL, 0);
            char *txt = malloc(n + 1);
            if (!txt) cli_die("out of memory");
            bml_device_list_text(txt, n + 1);
            fputs(txt, stdout);
            free(txt);
            return 0;
        }
        else if (!strcmp(argv[i], "--kernels")) {
            static const bml_isa order[] = {BML_ISA_AVX512, BML_ISA_AVX2, BML_ISA_NEON, BML_ISA_GENERIC};
            size_t j;
            for (j = 0; j < sizeof order / sizeof order[0]; j++)
                if (bml_isa_supported(order[j])) printf("%s\n", bml_isa_name(order[j]));
            cli_close_out(stdout);
            return 0;
        }
        else if (argv[i][0] == '-') cli_die("unknown option '%s' (see --help)", argv[i]);
        else if (!opts.model) opts.model = argv[i]; /* DIR, the same as --model DIR */
        else cli_die("unexpected argument '%s'", argv[i]);
    }
    if (!(dir = opts.model)) cli_die("missing model DIR (see --help)");
    json = opts.json;
    cli_common_model_desc(&opts, &md);
    md.threads = 1;
    if (bml_model_load(&md, &m) != BML_OK) {
        snprintf(tok_err, sizeof tok_err, "%s", bml_last_error());
        md.no_tokenizer = 1;
        if (bml_model_load(&md, &m) != BML_OK) cli_die("%s", tok_err); /* the first error says most */
    } else {
        const bml_tokenizer *t = bml_model_tokenizer(m);
        char p[4096];
        vocab = t ? bml_tokenizer_vocab_size(t) : 0;
        snprintf(p, sizeof p, "%s/tokenizer.json", dir);
        snprintf(tok_file, sizeof tok_file, "%s", stat(p, &st) == 0 ? "tokenizer.json" : "vocab.txt");
    }
    c = bml_model_config(m);
    read_arch(dir, arch, sizeof arch, type, sizeof type);
    files = list_files(dir, &nfiles);
    check = bml_blas_check(want, sizeof want);
    if (json) {
        printf("{\"path\":");
        cli_json_str(stdout, dir, strlen(dir));
        printf(",\"architecture\":");
        cli_json_str(stdout, arch, strlen(arch));
        printf(",\"model_type\":");
        cli_json_str(stdout, type, strlen(type));
        printf(",\"layers\":%d,\"hidden\":%d,\"heads\":%d,\"intermediate\":%d,\"vocab\":%d,\"max_position\":%d,"
               "\"type_vocab\":%d,\"layer_norm_eps\":%g,\"n_params\":%zu,\"dtype\":\"%s\",\"held\":\"%s\",\"pooling\":\"%s\",\"normalize\":%s,"
               "\"dense_modules\":%d,\"dim\":%d,\"max_seq_len\":%d,\"tokenizer\":",
               c->layers, c->hidden, c->heads, c->intermediate, c->vocab, c->max_position, c->type_vocab, (double)c->layer_norm_eps,
               c->n_params, c->dtype, c->held, bml_pooling_name(c->pooling), c->normalize ? "true" : "false", c->n_dense, c->dim,
               c->max_seq_len);
        if (tok_err[0]) {
            printf("{\"error\":");
            cli_json_str(stdout, tok_err, strlen(tok_err));
            printf("}");
        } else printf("{\"file\":\"%s\",\"vocab_size\":%zu}", tok_file, vocab);
        printf(",\"prompts\":{");
        for (k = 0; k < (size_t)bml_model_prompt_count(m); k++) {
            const char *pn = bml_model_prompt_name(m, (int)k), *pt = bml_model_prompt_text(m, (int)k);
            printf("%s", k ? "," : "");
            cli_json_str(stdout, pn, strlen(pn));
            printf(":");
            cli_json_str(stdout, pt, strlen(pt));
        }
        printf("},\"default_prompt\":");
        if (bml_model_default_prompt(m)) cli_json_str(stdout, bml_model_default_prompt(m), strlen(bml_model_default_prompt(m)));
        else printf("null");
        printf(",\"files\":{");
        for (k = 0; k < nfiles; k++) {
            printf("%s", k ? "," : "");
            cli_json_str(stdout, files[k].name, strlen(files[k].name));
            printf(":%lld", files[k].size);
        }
        printf("},\"blas\":");
        cli_json_str(stdout, bml_blas_info(), strlen(bml_blas_info()));
        printf(",\"blas_best\":%s,\"kernels\":\"%s\",\"cpu_features\":", check == 0 ? "true" : check == 1 ? "false" : "null",
               bml_isa_name(bml_model_isa(m)));
        cli_json_str(stdout, bml_cpu_features(), strlen(bml_cpu_features()));
        printf(",\"cpus\":%ld}\n", ncpu);
    } else {
        printf("model          %s\n", dir);
        printf("architecture   %s%s%s%s: %d layers, hidden %d, %d heads, FFN %d\n", arch[0] ? arch : "BERT encoder",
               type[0] ? " (" : "", type, type[0] ? ")" : "", c->layers, c->hidden, c->heads, c->intermediate);
        printf("parameters     %s (%.1fM, the encoder's and its Dense modules')\n", grouped(c->n_params, b1, sizeof b1), (double)c->n_params / 1e6);
        if (strcmp(c->held, "F32"))
            printf("dtype          %s (held %s in memory, widened to float32 inside the kernels)\n", c->dtype, c->held);
        else if (strcmp(c->dtype, "F32"))
            printf("dtype          %s (held as float32 copies; computed in float32)\n", c->dtype);
        else
            printf("dtype          %s (computed in float32)\n", c->dtype);
        printf("pooling        %s\n", bml_pooling_name(c->pooling));
        printf("normalize      %s\n", c->normalize ? "yes (unit-length embeddings)" : "no");
        printf("max length     %d tokens with [CLS]/[SEP] (position table %d)\n", c->max_seq_len, c->max_position);
        if (c->n_dense) printf("dense          %d module(s) after pooling, %d -> %d\n", c->n_dense, c->hidden, c->dim);
        printf("embedding dim  %d\n", c->dim);
        if (tok_err[0]) printf("tokenizer      none, ids input only: %s\n", tok_err);
        else printf("tokenizer      WordPiece, %s ids (%s)\n", grouped(vocab, b2, sizeof b2), tok_file);
        for (k = 0; k < (size_t)bml_model_prompt_count(m); k++) {
            const char *pn = bml_model_prompt_name(m, (int)k), *pt = bml_model_prompt_text(m, (int)k);
            printf("%s", k ? "               " : "prompts        ");
            cli_json_str(stdout, pn, strlen(pn));
            printf(": ");
            cli_json_str(stdout, pt, strlen(pt));
            printf("%s\n", bml_model_default_prompt(m) && !strcmp(bml_model_default_prompt(m), pn) ? " (the default)" : "");
        }
        printf("files\n");
        for (k = 0; k < nfiles; k++) printf("  %-32s %10s\n", files[k].name, human_bytes(files[k].size, b1, sizeof b1));
        if (check == 1) printf("BLAS           %s (faster kernels exist: set OPENBLAS_CORETYPE=%s)\n", bml_blas_info(), want);
        else printf("BLAS           %s%s\n", bml_blas_info(), check == 0 ? " (the best for this CPU)" : "");
        printf("kernels        %s (cpu: %s)\n", bml_isa_name(bml_model_isa(m)),
               bml_cpu_features()[0] ? bml_cpu_features() : "no SIMD features known");
        printf("cpus           %ld\n", ncpu);
    }
    free(files);
    bml_model_free(m);
    cli_close_out(stdout);
    return 0;
}

/* A main() for the fuzz harnesses without libFuzzer: runs every file named
   on the command line (directories: every file in them) through
   LLVMFuzzerTestOneInput once, with the input in a heap block of exactly its
   size (so sanitizers see reads past the end). Used by the normal suite
   (tests/hostile_fuzz_corpus.test) to replay the seed corpora and every
   crash found (tests/fuzz/regress/). Prints "ran N inputs". */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static size_t ran;

static void run_file(const char *path) {
    FILE *f = fopen(path, "rb");
    long n;
    uint8_t *buf;
    if (!f) { perror(path); exit(2); }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) { perror(path); exit(2); }
    buf = (uint8_t *)malloc(n ? (size_t)n : 1);
    if (!buf || (n && fread(buf, 1, (size_t)n, f) != (size_t)n)) { perror(path); exit(2); }
    fclose(f);
    if (getenv("FZ_VERBOSE")) fprintf(stderr, "# %s\n", path);
    LLVMFuzzerTestOneInput(buf, (size_t)n);
    free(buf);
    ran++;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void run_path(const char *path) {
    struct stat sb;
    if (stat(path, &sb) != 0) { perror(path); exit(2); }
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        char **names = NULL;
        size_t n = 0, cap = 0, i;
        if (!d) { perror(path); exit(2); }
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.') continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                names = (char **)realloc(names, cap * sizeof *names);
                if (!names) exit(2);
            }
            names[n] = (char *)malloc(strlen(path) + strlen(e->d_name) + 2);
            if (!names[n]) exit(2);
            sprintf(names[n], "%s/%s", path, e->d_name);
            n++;
        }
        closedir(d);
        qsort(names, n, sizeof *names, cmp_str);
        for (i = 0; i < n; i++) { run_path(names[i]); free(names[i]); }
        free(names);
    } else {
        run_file(path);
    }
}

int main(int argc, char **argv) {
    int i;
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
    for (i = 1; i < argc; i++) run_path(argv[i]);
    printf("ran %zu inputs\n", ran);
    return 0;
}

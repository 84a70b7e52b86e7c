/* Minimal test harness: every check prints "PASS name" or "FAIL name: why";
   tests/run.sh counts them. A test binary that crashes counts as a failure. */
#ifndef BML_TEST_H
#define BML_TEST_H
#include <stdio.h>
#include <stdarg.h>

static int bmlt_failed_ = 0;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int bmlt_check_(int ok, const char *name, const char *fmt, ...) {
    if (ok) {
        printf("PASS %s\n", name);
    } else {
        va_list ap;
        printf("FAIL %s: ", name);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        bmlt_failed_++;
    }
    fflush(stdout);
    return ok;
}
/* CHECK(cond, name, fmt, ...): the message says what was seen. */
#define CHECK(cond, ...) bmlt_check_(!!(cond), __VA_ARGS__)
#define TEST_EXIT() return bmlt_failed_ ? 1 : 0
#endif

/*
 * check.h — the smallest unit-test harness: CHECK(cond) records a failure
 * with file:line and carries on; check_done() prints "N passed, N failed"
 * and returns the exit status.  Header-only so each test is one file.
 */
#ifndef PREFPIPE_CHECK_H
#define PREFPIPE_CHECK_H

#include <math.h>
#include <stdio.h>

static int check_pass, check_fail;

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (cond)                                                                \
            check_pass++;                                                        \
        else {                                                                   \
            check_fail++;                                                        \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                        \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                    \
    do {                                                                         \
        double a_ = (a), b_ = (b);                                               \
        if (fabs(a_ - b_) <= (tol))                                              \
            check_pass++;                                                        \
        else {                                                                   \
            check_fail++;                                                        \
            fprintf(stderr, "%s:%d: %s = %.9g, want %.9g (tol %g)\n", __FILE__, __LINE__, #a, a_, b_, \
                    (double)(tol));                                              \
        }                                                                        \
    } while (0)

static inline int check_done(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, check_pass, check_fail);
    return check_fail ? 1 : 0;
}

#endif

/*
 * xstest.h — XSTest refusal by string match (evaluation.md): the
 * completion, ASCII-lower-cased and stripped, is a refusal when it starts
 * with one of the 21 listed prefixes.  Metrics treat "refused" as the
 * positive prediction and "unsafe" as the positive label.
 */
#ifndef PREFPIPE_EVAL_XSTEST_H
#define PREFPIPE_EVAL_XSTEST_H

#include <stddef.h>

int xstest_is_refusal(const char *resp, size_t n);

/* A judge's class text -> 1 refusal, 0 compliance, -1 unrecognised. */
int xstest_verdict(const char *s, size_t n);

#endif

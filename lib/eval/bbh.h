/*
 * bbh.h — BIG-Bench Hard answer extraction (evaluation.md): the first
 * match of [tT]he answer is (.*?)\. (the lazy group never crosses a
 * newline, as in Python without DOTALL), stripped; with no match the whole
 * output stripped.  Exact match per task; the headline is the unweighted
 * mean over the tasks present.
 */
#ifndef PREFPIPE_EVAL_BBH_H
#define PREFPIPE_EVAL_BBH_H

#include <stddef.h>

/* *pred points into resp. Returns 1 when the phrase matched, 0 on fallback. */
int bbh_extract(const char *resp, size_t n, const char **pred, size_t *plen);

#endif

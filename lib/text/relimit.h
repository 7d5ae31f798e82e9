/*
 * relimit.h — the limits every regular-expression match runs under.
 *
 * Patterns come from files a user downloads (tokenizer.json pre-tokenizers
 * and normalizers) and from benchmark data (IFEval kwargs); the subjects
 * are model outputs.  A pattern that backtracks catastrophically must end
 * in an error the caller reports, never in minutes of CPU or gigabytes of
 * heap (PCRE2's own default heap limit is 20 GB).  One shared, read-only
 * match context carries the limits; it is safe to use from many threads.
 *
 * Limits: PREFPIPE_REGEX_MATCH_LIMIT (default 10,000,000 backtracking
 * steps, PCRE2's default) and PREFPIPE_REGEX_HEAP_LIMIT (KiB, default
 * 65536 = 64 MiB).  A match that hits one returns PCRE2_ERROR_MATCHLIMIT or
 * PCRE2_ERROR_HEAPLIMIT (JIT code: PCRE2_ERROR_JIT_STACKLIMIT).
 */
#ifndef PREFPIPE_RELIMIT_H
#define PREFPIPE_RELIMIT_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include <stddef.h>

pcre2_match_context *relimit_context(void);
/* PCRE2's message for an error code, into buf. */
const char *relimit_message(int rc, char *buf, size_t cap);

#endif

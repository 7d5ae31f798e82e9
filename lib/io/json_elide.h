/*
 * json_elide.h — drop the string values of keys a loader never reads,
 * before the JSON text reaches jansson.
 *
 * Profiling pref-load on UltraFeedback showed ~85% of the time inside
 * jansson's byte-at-a-time lexer, most of it on long strings the
 * conversion throws away (per-aspect "Rationale" texts, "critique",
 * "custom_system_prompt").  json_elide copies a JSON text, replacing the
 * string value of any member whose key is in a list with "" — found with
 * memchr over quotes, so it runs at memory speed — and jansson then parses
 * a much shorter text.  jansson stays the parser: everything that is kept
 * is parsed and validated by it.
 *
 * Exactness: strings are skipped with escapes honoured (a quote preceded by
 * an odd run of backslashes is inside the string), and a string is a key
 * only when the next non-blank byte is ':', so keys are matched at any
 * depth and never inside string content.  Values that are not strings are
 * left alone.  Consequence: an elided value is not validated (bad escapes
 * or bad UTF-8 inside it no longer make the row malformed), and jansson's
 * error columns refer to the shortened text.
 */
#ifndef PREFPIPE_JSON_ELIDE_H
#define PREFPIPE_JSON_ELIDE_H

#include <stddef.h>

/* Copy in[0..n) to out (capacity >= n + 1, NUL-terminated) with the string
 * values of `keys` (NULL-terminated list) emptied; returns the new length. */
size_t json_elide(const char *in, size_t n, char *out, const char *const *keys);

#endif

/*
 * json_fast.h — a strict, allocation-light JSON object -> msgpack
 * transcoder for `rec from-json`, the hot path of getting data into
 * prefpipe.  It produces exactly the bytes that the jansson path
 * (jsonconv.c: json_loadb + json_to_msgpack) produces for the same line,
 * and declines (returns -1) on anything it does not handle identically:
 * syntax errors, invalid UTF-8 or escapes, duplicate keys, integers outside
 * int64, NUL in keys, escaped keys, more than 64 keys in one object, and
 * nesting past the limit.  Typed fields (tokens, logprobs...) become bins
 * under the same lossless rule as jsonconv.c.  The
 * caller then runs the jansson path, which either converts the line or
 * reports the error — so error messages and edge cases stay jansson's.
 * tests/unit/test_json_fast.c checks both paths agree byte for byte.
 */
#ifndef PREFPIPE_JSON_FAST_H
#define PREFPIPE_JSON_FAST_H

#include <jansson.h>
#include <msgpack.h>
#include <stddef.h>

/* Transcode one JSON text holding an object.  0 = packed into pk;
 * -1 = declined (nothing useful was packed: reset the buffer). */
int json_fast_to_msgpack(const char *s, size_t n, msgpack_packer *pk, int max_depth);

/* The same parser building jansson values, for readers that walk a
 * json_t tree (pref-load's dataset formats): the object json_loadb(s, n,
 * JSON_ALLOW_NUL) would return — same keys in the same order, same
 * strings, integers and reals — or NULL where the fast path declines (the
 * list above; typed fields stay plain arrays here), and then the caller
 * runs json_loadb, which converts the line or says what is wrong with it. */
json_t *json_fast_to_jansson(const char *s, size_t n, int max_depth);

#endif

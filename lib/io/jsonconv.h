/*
 * jsonconv.h — JSON <-> msgpack for records.
 *
 * JSON -> msgpack parses with jansson and walks the tree in key order
 * (jansson keeps insertion order).  Integers stay integers, reals stay
 * float64, so `rec from-json | rec to-json` gives the same values back.
 * With `typed`, arrays under schema-declared typed keys (tokens, logprobs,
 * ...; see schema_dtype) become little-endian bins, but only when that is
 * lossless: every element an int32 (int32 fields), or a number whose
 * float32 value prints back as the same number (float32 fields).
 *
 * msgpack -> JSON writes compact JSON with keys in record order; bins under
 * typed keys print as arrays of numbers, other bins as base64 strings;
 * NaN and infinities print as null (JSON has no spelling for them).
 */
#ifndef PREFPIPE_JSONCONV_H
#define PREFPIPE_JSONCONV_H

#include <jansson.h>
#include <msgpack.h>
#include <stddef.h>

/* Growable output buffer. */
typedef struct {
    char *p;
    size_t n, cap;
} obuf;

void obuf_reserve(obuf *b, size_t extra);
void obuf_put(obuf *b, const char *s, size_t n);
static inline void obuf_putc(obuf *b, char c)
{
    if (b->n + 1 > b->cap)
        obuf_reserve(b, 1);
    b->p[b->n++] = c;
}
void obuf_free(obuf *b);

/* Pack a jansson value.  Returns 0, or -1 with a message in err (too deep). */
int json_to_msgpack(json_t *v, msgpack_packer *pk, int typed, int max_depth, char *err, size_t errcap);

/* Does d survive float32 storage, i.e. does the float32's shortest text
 * read back as d?  (The rule for typed float32 fields.) */
int float32_lossless(double d);

/* Append the JSON text of a msgpack object (no newline). */
void msgpack_to_json(const msgpack_object *o, obuf *out);
/* Append a JSON string literal. */
void json_put_string(obuf *out, const char *s, size_t n);

#endif

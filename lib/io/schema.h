/*
 * schema.h — record kinds and their JSON Schemas.
 *
 * The files in schemas/ are compiled into the library at build time
 * (tools/embed-schemas.sh), parsed with jansson on first use, and are the
 * only description of each kind: `rec validate`, the typed-array table used
 * by `rec from-json`/`to-json`, and the man page all come from them.
 *
 * Supported JSON Schema keywords: type (incl. lists), required, properties,
 * additionalProperties (bool or schema), items, enum, minimum, maximum,
 * minLength, minItems, $ref to "#/$defs/NAME".  prefpipe extensions:
 * "x-msgpack": "bin" with "x-dtype": "int32"|"float32" marks a numeric
 * array carried as a little-endian msgpack bin (an array of numbers is also
 * accepted).
 */
#ifndef PREFPIPE_SCHEMA_H
#define PREFPIPE_SCHEMA_H

#include <msgpack.h>
#include <stddef.h>

/* Names of all kinds, NULL-terminated. */
const char *const *schema_kinds(void);
/* The schema text of a kind, or NULL. */
const char *schema_text(const char *kind);

/* Validate a record against a kind: 0 ok, -1 with a message like
 * "missing required field 'chosen'" or "completions[2].text: expected
 * string, got integer" in err.  Dies (exit 64) for an unknown kind. */
int schema_validate(const char *kind, const msgpack_object *rec, char *err, size_t errcap);

/* Element type of a typed numeric array field, looked up by key name
 * across all kinds: 'i' (int32), 'f' (float32) or 0 (not a typed field). */
char schema_dtype(const char *key, size_t keylen);

#endif

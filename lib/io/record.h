/*
 * record.h — reading fields of, and building, prefpipe records.
 *
 * A record is a MessagePack map with string keys (docs: man 5
 * prefpipe-records).  Readers get a `msgpack_object` from the stream layer;
 * it points into the stream's zone and stays valid until the next read.
 *
 * Getters never cast into the unpacker's buffer: numeric arrays stored as
 * `bin` (little-endian int32 / float32) are copied out with memcpy, and the
 * same getters also accept a plain msgpack array of numbers, so records
 * written by other tools (or by `rec from-json --no-typed`) still read.
 *
 * Building: `recb` collects (key, value) entries, then packs one map.  A
 * value is either a borrowed msgpack_object (copied from an input record,
 * which must outlive recb_finish) or bytes packed into the builder's own
 * scratch buffer.  Putting a key that is already present replaces its
 * value in place, so "copy the input record, then add/overwrite fields" keeps
 * the input's key order.
 */
#ifndef PREFPIPE_RECORD_H
#define PREFPIPE_RECORD_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

/* ---- reading ---- */

/* The value under `key` in a map, or NULL when absent (or not a map). */
const msgpack_object *rec_get(const msgpack_object *map, const char *key);

/* The value at a dotted path ("gold_scores.total": a field of a nested
 * map), or NULL when any step is absent or not a map. */
const msgpack_object *rec_get_path(const msgpack_object *map, const char *path);

/* Typed getters: return 1 when present with the right type, 0 when absent,
 * -1 when present with another type. */
int rec_get_str(const msgpack_object *map, const char *key, const char **s, size_t *len);
int rec_get_f64(const msgpack_object *map, const char *key, double *v);  /* any number */
int rec_get_i64(const msgpack_object *map, const char *key, int64_t *v); /* integers */
int rec_get_bool(const msgpack_object *map, const char *key, int *v);

/* A malloc'd NUL-terminated copy of a string field, or NULL. */
char *rec_dup_str(const msgpack_object *map, const char *key);

/* Numeric arrays: bin of little-endian int32/float32, or an array of
 * numbers.  *out is malloc'd (caller frees); returns element count, or -1
 * for a wrong type / bad length / non-integral value, -2 when absent. */
long rec_get_i32_array(const msgpack_object *map, const char *key, int32_t **out);
long rec_get_f32_array(const msgpack_object *map, const char *key, float **out);

/* A msgpack object as a number, if it is one. */
int obj_to_f64(const msgpack_object *o, double *v);
/* String object compare / equality with a C string. */
int obj_str_eq(const msgpack_object *o, const char *s);

/* ---- building ---- */

typedef struct {
    const char *key;      /* borrowed, or points into keybuf */
    uint32_t klen;
    int own_key;          /* key lives in the scratch buffer at koff */
    size_t koff;
    const msgpack_object *obj;  /* borrowed value, or NULL */
    size_t off, len;            /* packed value in scratch */
} recb_entry;

typedef struct {
    recb_entry *e;
    size_t n, cap;
    msgpack_sbuffer scratch;    /* packed values of non-borrowed entries */
    msgpack_packer spk;
    msgpack_sbuffer out;        /* the finished record */
    msgpack_packer opk;
    size_t open_entry;          /* entry being packed by recb_begin, or SIZE_MAX */
} recb;

void recb_init(recb *b);
void recb_free(recb *b);
void recb_reset(recb *b);

/* Borrow every field of `map` (which must outlive recb_finish). */
void recb_copy_fields(recb *b, const msgpack_object *map);
/* Drop a field if present. */
void recb_remove(recb *b, const char *key);

void recb_put_obj(recb *b, const char *key, const msgpack_object *val);
void recb_put_str(recb *b, const char *key, const char *s);
void recb_put_strn(recb *b, const char *key, const char *s, size_t len);
void recb_put_i64(recb *b, const char *key, int64_t v);
void recb_put_f64(recb *b, const char *key, double v);
void recb_put_bool(recb *b, const char *key, int v);
void recb_put_nil(recb *b, const char *key);
void recb_put_i32_array(recb *b, const char *key, const int32_t *v, size_t n);
void recb_put_f32_array(recb *b, const char *key, const float *v, size_t n);

/* Pack an arbitrary value for `key` with the returned packer, then call
 * recb_end.  Keys are copied, so `key` may be temporary. */
msgpack_packer *recb_begin(recb *b, const char *key);
void recb_end(recb *b);

/* Pack the map; *buf stays valid until the next recb call. */
void recb_finish(recb *b, const char **buf, size_t *len);

/* Pack helpers usable with any packer. */
void pack_str(msgpack_packer *pk, const char *s);
void pack_strn(msgpack_packer *pk, const char *s, size_t n);
void pack_i32_bin(msgpack_packer *pk, const int32_t *v, size_t n);
void pack_f32_bin(msgpack_packer *pk, const float *v, size_t n);

#endif

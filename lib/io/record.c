/*
 * record.c — field getters and the record builder (see record.h).
 *
 * Little-endian is the wire order of every bin array; the conversion below
 * is written byte by byte so it is right on any host and never reads the
 * unpacker's (unaligned) buffer through a wider pointer.
 */
#include "io/record.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int obj_str_eq(const msgpack_object *o, const char *s)
{
    size_t n = strlen(s);
    return o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
           memcmp(o->via.str.ptr, s, n) == 0;
}

const msgpack_object *rec_get(const msgpack_object *map, const char *key)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t n = strlen(key);
    const msgpack_object_kv *kv = map->via.map.ptr;
    for (uint32_t i = 0; i < map->via.map.size; i++)
        if (kv[i].key.type == MSGPACK_OBJECT_STR && kv[i].key.via.str.size == n &&
            memcmp(kv[i].key.via.str.ptr, key, n) == 0)
            return &kv[i].val;
    return NULL;
}

const msgpack_object *rec_get_path(const msgpack_object *map, const char *path)
{
    for (;;) {
        const char *dot = strchr(path, '.');
        if (!dot)
            return rec_get(map, path);
        size_t n = (size_t)(dot - path);
        if (!map || map->type != MSGPACK_OBJECT_MAP)
            return NULL;
        const msgpack_object *next = NULL;
        const msgpack_object_kv *kv = map->via.map.ptr;
        for (uint32_t i = 0; i < map->via.map.size && !next; i++)
            if (kv[i].key.type == MSGPACK_OBJECT_STR && kv[i].key.via.str.size == n &&
                memcmp(kv[i].key.via.str.ptr, path, n) == 0)
                next = &kv[i].val;
        if (!next)
            return NULL;
        map = next, path = dot + 1;
    }
}

int rec_get_str(const msgpack_object *map, const char *key, const char **s, size_t *len)
{
    const msgpack_object *o = rec_get(map, key);
    if (!o)
        return 0;
    if (o->type != MSGPACK_OBJECT_STR)
        return -1;
    *s = o->via.str.ptr;
    if (len)
        *len = o->via.str.size;
    return 1;
}

int obj_to_f64(const msgpack_object *o, double *v)
{
    switch (o->type) {
    case MSGPACK_OBJECT_POSITIVE_INTEGER: *v = (double)o->via.u64; return 1;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: *v = (double)o->via.i64; return 1;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: *v = o->via.f64; return 1;
    default: return 0;
    }
}

int rec_get_f64(const msgpack_object *map, const char *key, double *v)
{
    const msgpack_object *o = rec_get(map, key);
    if (!o)
        return 0;
    return obj_to_f64(o, v) ? 1 : -1;
}

int rec_get_i64(const msgpack_object *map, const char *key, int64_t *v)
{
    const msgpack_object *o = rec_get(map, key);
    if (!o)
        return 0;
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX) {
        *v = (int64_t)o->via.u64;
        return 1;
    }
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *v = o->via.i64;
        return 1;
    }
    return -1;
}

int rec_get_bool(const msgpack_object *map, const char *key, int *v)
{
    const msgpack_object *o = rec_get(map, key);
    if (!o)
        return 0;
    if (o->type != MSGPACK_OBJECT_BOOLEAN)
        return -1;
    *v = o->via.boolean;
    return 1;
}

char *rec_dup_str(const msgpack_object *map, const char *key)
{
    const char *s;
    size_t n;
    if (rec_get_str(map, key, &s, &n) != 1)
        return NULL;
    return xstrndup(s, n);
}

static uint32_t load_le32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

static void store_le32(char *p, uint32_t v)
{
    p[0] = (char)(v & 0xff);
    p[1] = (char)(v >> 8 & 0xff);
    p[2] = (char)(v >> 16 & 0xff);
    p[3] = (char)(v >> 24 & 0xff);
}

long rec_get_i32_array(const msgpack_object *map, const char *key, int32_t **out)
{
    const msgpack_object *o = rec_get(map, key);
    *out = NULL;
    if (!o)
        return -2;
    if (o->type == MSGPACK_OBJECT_BIN) {
        if (o->via.bin.size % 4)
            return -1;
        size_t n = o->via.bin.size / 4;
        int32_t *v = xmalloc(n * sizeof *v);
        for (size_t i = 0; i < n; i++)
            v[i] = (int32_t)load_le32(o->via.bin.ptr + 4 * i);
        *out = v;
        return (long)n;
    }
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return -1;
    size_t n = o->via.array.size;
    int32_t *v = xmalloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        const msgpack_object *e = &o->via.array.ptr[i];
        if (e->type == MSGPACK_OBJECT_POSITIVE_INTEGER && e->via.u64 <= INT32_MAX)
            v[i] = (int32_t)e->via.u64;
        else if (e->type == MSGPACK_OBJECT_NEGATIVE_INTEGER && e->via.i64 >= INT32_MIN)
            v[i] = (int32_t)e->via.i64;
        else {
            free(v);
            return -1;
        }
    }
    *out = v;
    return (long)n;
}

long rec_get_f32_array(const msgpack_object *map, const char *key, float **out)
{
    const msgpack_object *o = rec_get(map, key);
    *out = NULL;
    if (!o)
        return -2;
    if (o->type == MSGPACK_OBJECT_BIN) {
        if (o->via.bin.size % 4)
            return -1;
        size_t n = o->via.bin.size / 4;
        float *v = xmalloc(n * sizeof *v);
        for (size_t i = 0; i < n; i++) {
            uint32_t u = load_le32(o->via.bin.ptr + 4 * i);
            memcpy(&v[i], &u, 4);
        }
        *out = v;
        return (long)n;
    }
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return -1;
    size_t n = o->via.array.size;
    float *v = xmalloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        double d;
        if (!obj_to_f64(&o->via.array.ptr[i], &d)) {
            free(v);
            return -1;
        }
        v[i] = (float)d;
    }
    *out = v;
    return (long)n;
}

/* ---- packing helpers ---- */

void pack_strn(msgpack_packer *pk, const char *s, size_t n)
{
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

void pack_str(msgpack_packer *pk, const char *s) { pack_strn(pk, s, strlen(s)); }

void pack_i32_bin(msgpack_packer *pk, const int32_t *v, size_t n)
{
    char tmp[4 * 256];
    msgpack_pack_bin(pk, 4 * n);
    for (size_t i = 0; i < n;) {
        size_t m = n - i < 256 ? n - i : 256;
        for (size_t k = 0; k < m; k++)
            store_le32(tmp + 4 * k, (uint32_t)v[i + k]);
        msgpack_pack_bin_body(pk, tmp, 4 * m);
        i += m;
    }
}

void pack_f32_bin(msgpack_packer *pk, const float *v, size_t n)
{
    char tmp[4 * 256];
    msgpack_pack_bin(pk, 4 * n);
    for (size_t i = 0; i < n;) {
        size_t m = n - i < 256 ? n - i : 256;
        for (size_t k = 0; k < m; k++) {
            uint32_t u;
            memcpy(&u, &v[i + k], 4);
            store_le32(tmp + 4 * k, u);
        }
        msgpack_pack_bin_body(pk, tmp, 4 * m);
        i += m;
    }
}

/* ---- builder ---- */

void recb_init(recb *b)
{
    memset(b, 0, sizeof *b);
    msgpack_sbuffer_init(&b->scratch);
    msgpack_packer_init(&b->spk, &b->scratch, msgpack_sbuffer_write);
    msgpack_sbuffer_init(&b->out);
    msgpack_packer_init(&b->opk, &b->out, msgpack_sbuffer_write);
    b->open_entry = SIZE_MAX;
}

void recb_free(recb *b)
{
    free(b->e);
    msgpack_sbuffer_destroy(&b->scratch);
    msgpack_sbuffer_destroy(&b->out);
    memset(b, 0, sizeof *b);
}

void recb_reset(recb *b)
{
    b->n = 0;
    msgpack_sbuffer_clear(&b->scratch);
    msgpack_sbuffer_clear(&b->out);
    b->open_entry = SIZE_MAX;
}

static const char *entry_key(const recb *b, const recb_entry *e)
{
    return e->own_key ? b->scratch.data + e->koff : e->key;
}

static long find_key(const recb *b, const char *key, size_t klen)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->e[i].klen == klen && memcmp(entry_key(b, &b->e[i]), key, klen) == 0)
            return (long)i;
    return -1;
}

/* The entry for `key`, created at the end if absent, emptied if present. */
static recb_entry *slot_for(recb *b, const char *key, size_t klen, int copy_key)
{
    long i = find_key(b, key, klen);
    recb_entry *e;
    if (i < 0) {
        if (b->n == b->cap) {
            b->cap = b->cap ? 2 * b->cap : 16;
            b->e = xrealloc(b->e, b->cap * sizeof *b->e);
        }
        e = &b->e[b->n++];
        memset(e, 0, sizeof *e);
        e->klen = (uint32_t)klen;
        if (copy_key) {
            e->own_key = 1;
            e->koff = b->scratch.size;
            msgpack_sbuffer_write(&b->scratch, key, klen);
        } else {
            e->key = key;
        }
    } else {
        e = &b->e[i];
    }
    e->obj = NULL;
    e->off = e->len = 0;
    return e;
}

void recb_copy_fields(recb *b, const msgpack_object *map)
{
    if (map->type != MSGPACK_OBJECT_MAP)
        return;
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object_kv *kv = &map->via.map.ptr[i];
        if (kv->key.type != MSGPACK_OBJECT_STR)
            continue;
        recb_entry *e = slot_for(b, kv->key.via.str.ptr, kv->key.via.str.size, 0);
        e->obj = &kv->val;
    }
}

void recb_remove(recb *b, const char *key)
{
    long i = find_key(b, key, strlen(key));
    if (i < 0)
        return;
    memmove(&b->e[i], &b->e[i + 1], (b->n - (size_t)i - 1) * sizeof *b->e);
    b->n--;
}

msgpack_packer *recb_begin(recb *b, const char *key)
{
    recb_entry *e = slot_for(b, key, strlen(key), 1);
    e->off = b->scratch.size;
    b->open_entry = (size_t)(e - b->e);
    return &b->spk;
}

void recb_end(recb *b)
{
    if (b->open_entry == SIZE_MAX)
        die(EX_SOFTWARE, "recb_end without recb_begin");
    recb_entry *e = &b->e[b->open_entry];
    e->len = b->scratch.size - e->off;
    b->open_entry = SIZE_MAX;
}

void recb_put_obj(recb *b, const char *key, const msgpack_object *val)
{
    recb_entry *e = slot_for(b, key, strlen(key), 1);
    e->obj = val;
}

void recb_put_strn(recb *b, const char *key, const char *s, size_t len)
{
    pack_strn(recb_begin(b, key), s, len);
    recb_end(b);
}

void recb_put_str(recb *b, const char *key, const char *s) { recb_put_strn(b, key, s, strlen(s)); }

void recb_put_i64(recb *b, const char *key, int64_t v)
{
    msgpack_pack_int64(recb_begin(b, key), v);
    recb_end(b);
}

void recb_put_f64(recb *b, const char *key, double v)
{
    msgpack_pack_double(recb_begin(b, key), v);
    recb_end(b);
}

void recb_put_bool(recb *b, const char *key, int v)
{
    msgpack_packer *pk = recb_begin(b, key);
    if (v)
        msgpack_pack_true(pk);
    else
        msgpack_pack_false(pk);
    recb_end(b);
}

void recb_put_nil(recb *b, const char *key)
{
    msgpack_pack_nil(recb_begin(b, key));
    recb_end(b);
}

void recb_put_i32_array(recb *b, const char *key, const int32_t *v, size_t n)
{
    pack_i32_bin(recb_begin(b, key), v, n);
    recb_end(b);
}

void recb_put_f32_array(recb *b, const char *key, const float *v, size_t n)
{
    pack_f32_bin(recb_begin(b, key), v, n);
    recb_end(b);
}

void recb_finish(recb *b, const char **buf, size_t *len)
{
    msgpack_sbuffer_clear(&b->out);
    msgpack_pack_map(&b->opk, b->n);
    for (size_t i = 0; i < b->n; i++) {
        const recb_entry *e = &b->e[i];
        pack_strn(&b->opk, entry_key(b, e), e->klen);
        if (e->obj)
            msgpack_pack_object(&b->opk, *e->obj);
        else
            msgpack_sbuffer_write(&b->out, b->scratch.data + e->off, e->len);
    }
    *buf = b->out.data;
    *len = b->out.size;
}

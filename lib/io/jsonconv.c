/*
 * jsonconv.c — JSON <-> msgpack conversion (see jsonconv.h).
 *
 * The msgpack -> JSON writer is on the hot path of `rec to-json`, so it
 * copies runs of plain characters with memcpy and formats integers by hand;
 * doubles use the shortest "%.17g"-family text that reads back exactly.
 */
#include "io/jsonconv.h"
#include "io/record.h"
#include "io/schema.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void obuf_reserve(obuf *b, size_t extra)
{
    if (b->n + extra <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + extra)
        cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
}

void obuf_put(obuf *b, const char *s, size_t n)
{
    obuf_reserve(b, n);
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

void obuf_free(obuf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

/* ---- JSON -> msgpack ---- */

int float32_lossless(double d)
{
    char buf[32];
    float f = (float)d;
    if (!isfinite(f))
        return 0;
    format_float(buf, sizeof buf, f);
    return strtod(buf, NULL) == d;
}

/* 'i' or 'f' when every element allows it, else 0. */
static char typed_array_ok(json_t *arr, char dtype)
{
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) {
        if (dtype == 'i') {
            if (!json_is_integer(e))
                return 0;
            json_int_t v = json_integer_value(e);
            if (v < INT32_MIN || v > INT32_MAX)
                return 0;
        } else {
            if (!json_is_number(e) || !float32_lossless(json_number_value(e)))
                return 0;
        }
    }
    return dtype;
}

static int to_mp(json_t *v, msgpack_packer *pk, int typed, int depth, int max_depth, char *err,
                 size_t errcap, char dtype)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        if (depth > max_depth) {
            snprintf(err, errcap, "nesting deeper than %d levels", max_depth);
            return -1;
        }
        msgpack_pack_map(pk, json_object_size(v));
        const char *k;
        json_t *val;
        json_object_foreach(v, k, val) {
            size_t kl = strlen(k); /* keys with NUL are rejected by jansson */
            msgpack_pack_str(pk, kl);
            msgpack_pack_str_body(pk, k, kl);
            char dt = typed && json_is_array(val) ? schema_dtype(k, kl) : 0;
            if (to_mp(val, pk, typed, depth + 1, max_depth, err, errcap, dt) < 0)
                return -1;
        }
        return 0;
    }
    case JSON_ARRAY: {
        if (depth > max_depth) {
            snprintf(err, errcap, "nesting deeper than %d levels", max_depth);
            return -1;
        }
        size_t n = json_array_size(v);
        if (dtype && typed_array_ok(v, dtype)) {
            if (dtype == 'i') {
                int32_t *a = xmalloc(n * sizeof *a);
                for (size_t i = 0; i < n; i++)
                    a[i] = (int32_t)json_integer_value(json_array_get(v, i));
                pack_i32_bin(pk, a, n);
                free(a);
            } else {
                float *a = xmalloc(n * sizeof *a);
                for (size_t i = 0; i < n; i++)
                    a[i] = (float)json_number_value(json_array_get(v, i));
                pack_f32_bin(pk, a, n);
                free(a);
            }
            return 0;
        }
        msgpack_pack_array(pk, n);
        for (size_t i = 0; i < n; i++)
            if (to_mp(json_array_get(v, i), pk, typed, depth + 1, max_depth, err, errcap, 0) < 0)
                return -1;
        return 0;
    }
    case JSON_STRING:
        pack_strn(pk, json_string_value(v), json_string_length(v));
        return 0;
    case JSON_INTEGER:
        msgpack_pack_int64(pk, json_integer_value(v));
        return 0;
    case JSON_REAL:
        msgpack_pack_double(pk, json_real_value(v));
        return 0;
    case JSON_TRUE:
        msgpack_pack_true(pk);
        return 0;
    case JSON_FALSE:
        msgpack_pack_false(pk);
        return 0;
    case JSON_NULL:
        msgpack_pack_nil(pk);
        return 0;
    }
    return 0;
}

int json_to_msgpack(json_t *v, msgpack_packer *pk, int typed, int max_depth, char *err, size_t errcap)
{
    return to_mp(v, pk, typed, 1, max_depth, err, errcap, 0);
}

/* ---- msgpack -> JSON ---- */

static const char hexd[] = "0123456789abcdef";

/* 1 for bytes that need escaping in a JSON string */
static const unsigned char needs_escape[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
};

void json_put_string(obuf *out, const char *s, size_t n)
{
    obuf_reserve(out, n + 2);
    out->p[out->n++] = '"';
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!needs_escape[c])
            continue;
        obuf_put(out, s + run, i - run);
        run = i + 1;
        char e[6];
        switch (c) {
        case '"': obuf_put(out, "\\\"", 2); break;
        case '\\': obuf_put(out, "\\\\", 2); break;
        case '\n': obuf_put(out, "\\n", 2); break;
        case '\r': obuf_put(out, "\\r", 2); break;
        case '\t': obuf_put(out, "\\t", 2); break;
        case '\b': obuf_put(out, "\\b", 2); break;
        case '\f': obuf_put(out, "\\f", 2); break;
        default:
            e[0] = '\\'; e[1] = 'u'; e[2] = '0'; e[3] = '0';
            e[4] = hexd[c >> 4]; e[5] = hexd[c & 15];
            obuf_put(out, e, 6);
        }
    }
    obuf_put(out, s + run, n - run);
    obuf_putc(out, '"');
}

static void put_u64(obuf *out, uint64_t v)
{
    char tmp[24];
    int i = 24;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    obuf_put(out, tmp + i, (size_t)(24 - i));
}

static void put_i64(obuf *out, int64_t v)
{
    if (v < 0) {
        obuf_putc(out, '-');
        put_u64(out, (uint64_t)0 - (uint64_t)v);
    } else {
        put_u64(out, (uint64_t)v);
    }
}

static void put_double(obuf *out, double d)
{
    if (!isfinite(d)) {
        obuf_put(out, "null", 4);
        return;
    }
    char b[40];
    int n = format_double(b, sizeof b, d);
    obuf_put(out, b, (size_t)n);
}

static void put_float(obuf *out, float f)
{
    if (!isfinite(f)) {
        obuf_put(out, "null", 4);
        return;
    }
    char b[40];
    int n = format_float(b, sizeof b, f);
    obuf_put(out, b, (size_t)n);
}

static void put_base64(obuf *out, const unsigned char *p, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    obuf_reserve(out, 4 * (n / 3 + 1) + 2);
    char *o = out->p + out->n;
    *o++ = '"';
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = tbl[v >> 18];
        *o++ = tbl[v >> 12 & 63];
        *o++ = tbl[v >> 6 & 63];
        *o++ = tbl[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        *o++ = tbl[v >> 18];
        *o++ = tbl[v >> 12 & 63];
        *o++ = i + 1 < n ? tbl[v >> 6 & 63] : '=';
        *o++ = '=';
    }
    *o++ = '"';
    out->n = (size_t)(o - out->p);
}

static void put_typed_bin(obuf *out, const msgpack_object *o, char dtype)
{
    const unsigned char *p = (const unsigned char *)o->via.bin.ptr;
    size_t n = o->via.bin.size / 4;
    obuf_putc(out, '[');
    for (size_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
                     (uint32_t)p[4 * i + 3] << 24;
        if (i)
            obuf_putc(out, ',');
        if (dtype == 'i') {
            put_i64(out, (int32_t)u);
        } else {
            float f;
            memcpy(&f, &u, 4);
            put_float(out, f);
        }
    }
    obuf_putc(out, ']');
}

static void to_json(const msgpack_object *o, obuf *out, char dtype)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: obuf_put(out, "null", 4); return;
    case MSGPACK_OBJECT_BOOLEAN:
        if (o->via.boolean)
            obuf_put(out, "true", 4);
        else
            obuf_put(out, "false", 5);
        return;
    case MSGPACK_OBJECT_POSITIVE_INTEGER: put_u64(out, o->via.u64); return;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: put_i64(out, o->via.i64); return;
    case MSGPACK_OBJECT_FLOAT32: put_float(out, (float)o->via.f64); return;
    case MSGPACK_OBJECT_FLOAT64: put_double(out, o->via.f64); return;
    case MSGPACK_OBJECT_STR: json_put_string(out, o->via.str.ptr, o->via.str.size); return;
    case MSGPACK_OBJECT_BIN:
        if (dtype && o->via.bin.size % 4 == 0)
            put_typed_bin(out, o, dtype);
        else
            put_base64(out, (const unsigned char *)o->via.bin.ptr, o->via.bin.size);
        return;
    case MSGPACK_OBJECT_ARRAY:
        obuf_putc(out, '[');
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            if (i)
                obuf_putc(out, ',');
            to_json(&o->via.array.ptr[i], out, 0);
        }
        obuf_putc(out, ']');
        return;
    case MSGPACK_OBJECT_MAP:
        obuf_putc(out, '{');
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            if (i)
                obuf_putc(out, ',');
            char dt = 0;
            if (kv->key.type == MSGPACK_OBJECT_STR) {
                json_put_string(out, kv->key.via.str.ptr, kv->key.via.str.size);
                if (kv->val.type == MSGPACK_OBJECT_BIN)
                    dt = schema_dtype(kv->key.via.str.ptr, kv->key.via.str.size);
            } else {
                obuf_put(out, "\"?\"", 3);
            }
            obuf_putc(out, ':');
            to_json(&kv->val, out, dt);
        }
        obuf_putc(out, '}');
        return;
    case MSGPACK_OBJECT_EXT: obuf_put(out, "null", 4); return;
    }
}

void msgpack_to_json(const msgpack_object *o, obuf *out) { to_json(o, out, 0); }

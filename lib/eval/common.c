/*
 * common.c — exact match, Python-string helpers, kvbuf, summary
 * records and a small string hash table for the scorers (common.h).
 *
 * kvbuf keeps its keys (malloc'd copies) so that kv_pack_merged can drop
 * the old entries a new score overwrites: re-scoring a record replaces its
 * scores.KEY instead of duplicating the key.
 */
#include "eval/common.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int py_isspace(unsigned char c) { return c == ' ' || (c >= 9 && c <= 13) || (c >= 0x1c && c <= 0x1f); }

void py_strip(const char **s, size_t *n)
{
    const char *p = *s;
    size_t len = *n;
    while (len && py_isspace((unsigned char)*p))
        p++, len--;
    while (len && py_isspace((unsigned char)p[len - 1]))
        len--;
    *s = p;
    *n = len;
}

static int is_punct(unsigned char c)
{
    return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
}

/* Next byte of the normalised string, advancing *i; -1 at the end. */
static int em_next(const char *s, size_t n, size_t *i)
{
    while (*i < n) {
        unsigned char c = (unsigned char)s[(*i)++];
        if (is_punct(c))
            continue;
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        return c;
    }
    return -1;
}

int exact_match(const char *a, size_t an, const char *b, size_t bn)
{
    size_t i = 0, j = 0;
    for (;;) {
        int x = em_next(a, an, &i), y = em_next(b, bn, &j);
        if (x != y)
            return 0;
        if (x < 0)
            return 1;
    }
}

static int isdig(char c) { return c >= '0' && c <= '9'; }

size_t remove_digit_commas(const char *s, size_t n, char *out)
{
    size_t o = 0, i = 0;
    while (i < n) {
        /* a match "d,d" at i consumes three characters */
        if (i + 2 < n && isdig(s[i]) && s[i + 1] == ',' && isdig(s[i + 2])) {
            out[o++] = s[i];
            out[o++] = s[i + 2];
            i += 3;
        } else {
            out[o++] = s[i++];
        }
    }
    out[o] = 0;
    return o;
}

/* ---- kvbuf ---- */

void kv_init(kvbuf *k)
{
    memset(k, 0, sizeof *k);
    msgpack_sbuffer_init(&k->sb);
    msgpack_packer_init(&k->pk, &k->sb, msgpack_sbuffer_write);
}

void kv_reset(kvbuf *k)
{
    for (uint32_t i = 0; i < k->n; i++)
        free(k->keys[i]);
    k->n = 0;
    msgpack_sbuffer_clear(&k->sb);
}

void kv_free(kvbuf *k)
{
    kv_reset(k);
    free(k->keys);
    msgpack_sbuffer_destroy(&k->sb);
}

msgpack_packer *kv_key(kvbuf *k, const char *key)
{
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 16;
        k->keys = xrealloc(k->keys, k->cap * sizeof *k->keys);
    }
    k->keys[k->n++] = xstrdup(key);
    pack_str(&k->pk, key);
    return &k->pk;
}

void kv_f64(kvbuf *k, const char *key, double v) { msgpack_pack_double(kv_key(k, key), v); }
void kv_i64(kvbuf *k, const char *key, int64_t v) { msgpack_pack_int64(kv_key(k, key), v); }
void kv_bool(kvbuf *k, const char *key, int v)
{
    msgpack_packer *pk = kv_key(k, key);
    if (v)
        msgpack_pack_true(pk);
    else
        msgpack_pack_false(pk);
}
void kv_str(kvbuf *k, const char *key, const char *s, size_t n) { pack_strn(kv_key(k, key), s, n); }

static int kv_has(const kvbuf *k, const char *key, size_t len)
{
    for (uint32_t i = 0; i < k->n; i++)
        if (strlen(k->keys[i]) == len && memcmp(k->keys[i], key, len) == 0)
            return 1;
    return 0;
}

void kv_pack_entries(const kvbuf *k, msgpack_packer *pk)
{
    if (k->sb.size)
        pk->callback(pk->data, k->sb.data, k->sb.size);
}

void kv_pack_merged(const kvbuf *k, const msgpack_object *old, msgpack_packer *pk)
{
    uint32_t keep = 0;
    if (old && old->type == MSGPACK_OBJECT_MAP)
        for (uint32_t i = 0; i < old->via.map.size; i++) {
            const msgpack_object *key = &old->via.map.ptr[i].key;
            if (key->type == MSGPACK_OBJECT_STR && !kv_has(k, key->via.str.ptr, key->via.str.size))
                keep++;
        }
    msgpack_pack_map(pk, keep + k->n);
    if (keep)
        for (uint32_t i = 0; i < old->via.map.size; i++) {
            const msgpack_object *key = &old->via.map.ptr[i].key;
            if (key->type == MSGPACK_OBJECT_STR && !kv_has(k, key->via.str.ptr, key->via.str.size)) {
                msgpack_pack_object(pk, *key);
                msgpack_pack_object(pk, old->via.map.ptr[i].val);
            }
        }
    kv_pack_entries(k, pk);
}

/* ---- fields ---- */

int eval_response(const msgpack_object *rec, const char **s, size_t *n, char *err, size_t errcap)
{
    int r = rec_get_str(rec, "response", s, n);
    if (r == 1)
        return 0;
    snprintf(err, errcap, r == 0 ? "no 'response' field" : "'response' is not a string");
    return -1;
}

const msgpack_object *eval_gold(const msgpack_object *rec)
{
    const msgpack_object *g = rec_get(rec, "gold");
    return g && g->type == MSGPACK_OBJECT_MAP ? g : NULL;
}

int eval_gold_str(const msgpack_object *rec, const char *key, char *buf, size_t cap, const char **s, size_t *n,
                  char *err, size_t errcap)
{
    const msgpack_object *g = eval_gold(rec);
    if (!g) {
        snprintf(err, errcap, "no 'gold' map (the scorer needs gold.%s)", key);
        return 0;
    }
    const msgpack_object *v = rec_get(g, key);
    double d;
    if (v && v->type == MSGPACK_OBJECT_STR) {
        *s = v->via.str.ptr;
        *n = v->via.str.size;
        return 1;
    }
    if (v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        *n = (size_t)snprintf(buf, cap, "%llu", (unsigned long long)v->via.u64);
        *s = buf;
        return 1;
    }
    if (v && v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *n = (size_t)snprintf(buf, cap, "%lld", (long long)v->via.i64);
        *s = buf;
        return 1;
    }
    if (v && obj_to_f64(v, &d)) {
        *n = (size_t)format_double(buf, cap, d);
        *s = buf;
        return 1;
    }
    snprintf(err, errcap, v ? "gold.%s is not a string" : "no gold.%s field", key);
    return 0;
}

/* ---- summary ---- */

void summary_write(rstream *out, const summary_meta *m, const kvbuf *metrics)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    uint32_t n = 6 + (m->model ? 1 : 0) + (m->step >= 0 ? 1 : 0) + metrics->n;
    msgpack_pack_map(&pk, n);
    char id[256];
    snprintf(id, sizeof id, "summary:%s%s%s%s%s", m->task, m->benchmark_given ? ":" : "",
             m->benchmark_given ? m->benchmark : "", m->model ? ":" : "", m->model ? m->model : "");
    if (m->step >= 0) {
        size_t l = strlen(id);
        snprintf(id + l, sizeof id - l, "@%lld", m->step);
    }
    pack_str(&pk, "kind"), pack_str(&pk, "summary");
    pack_str(&pk, "id"), pack_str(&pk, id);
    pack_str(&pk, "task"), pack_str(&pk, m->task);
    pack_str(&pk, "benchmark"), pack_str(&pk, m->benchmark ? m->benchmark : m->task);
    if (m->model)
        pack_str(&pk, "model"), pack_str(&pk, m->model);
    if (m->step >= 0)
        pack_str(&pk, "step"), msgpack_pack_int64(&pk, m->step);
    pack_str(&pk, "n"), msgpack_pack_uint64(&pk, m->n);
    pack_str(&pk, "skipped"), msgpack_pack_uint64(&pk, m->skipped);
    kv_pack_entries(metrics, &pk);
    rs_write(out, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
}

/* ---- strmap ---- */

void strmap_init(strmap *m) { memset(m, 0, sizeof *m); }

void strmap_free(strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

static void strmap_grow(strmap *m)
{
    size_t ocap = m->cap;
    char **ok = m->keys;
    uint64_t *ov = m->vals;
    m->cap = ocap ? 2 * ocap : 64;
    m->keys = xcalloc(m->cap, sizeof *m->keys);
    m->vals = xcalloc(m->cap, sizeof *m->vals);
    m->n = 0;
    for (size_t i = 0; i < ocap; i++)
        if (ok[i]) {
            size_t j = hash64(ok[i], strlen(ok[i]), 0) & (m->cap - 1);
            while (m->keys[j])
                j = (j + 1) & (m->cap - 1);
            m->keys[j] = ok[i];
            m->vals[j] = ov[i];
            m->n++;
        }
    free(ok);
    free(ov);
}

uint64_t *strmap_get(strmap *m, const char *key, size_t klen, uint64_t dflt, int *inserted)
{
    if (2 * (m->n + 1) > m->cap)
        strmap_grow(m);
    size_t j = hash64(key, klen, 0) & (m->cap - 1);
    while (m->keys[j]) {
        if (strlen(m->keys[j]) == klen && memcmp(m->keys[j], key, klen) == 0) {
            if (inserted)
                *inserted = 0;
            return &m->vals[j];
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->keys[j] = xstrndup(key, klen);
    m->vals[j] = dflt;
    m->n++;
    if (inserted)
        *inserted = 1;
    return &m->vals[j];
}

/* A judge verdict: a boolean, or a probability (>= 0.5 is yes). */
int eval_judge_verdict(const msgpack_object *rec, const char *key, int *yes, char *err, size_t ec)
{
    const msgpack_object *s = rec_get(rec, "scores"), *v = s && s->type == MSGPACK_OBJECT_MAP ? rec_get(s, key) : NULL;
    double d;
    if (v && v->type == MSGPACK_OBJECT_BOOLEAN) {
        *yes = v->via.boolean;
        return 0;
    }
    if (v && obj_to_f64(v, &d) && d >= 0 && d <= 1) {
        *yes = d >= 0.5;
        return 0;
    }
    snprintf(err, ec, "no scores.%s (a boolean, or a probability in [0, 1]) from the judge", key);
    return -1;
}

void eval_show_id(const msgpack_object *rec, char *buf, size_t cap)
{
    const char *id;
    size_t n;
    if (rec_get_str(rec, "id", &id, &n) == 1)
        snprintf(buf, cap, " (id %.*s)", (int)(n > 200 ? 200 : n), id);
    else
        buf[0] = 0;
}

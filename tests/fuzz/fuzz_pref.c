/*
 * fuzz_pref.c — libFuzzer target for pref-load's own parsers.  The first
 * byte picks one:
 *   0  hh_split: any text; every turn must lie inside the input, roles must
 *      alternate starting with the user.
 *   1  csv: the input as lines; fields must be NUL-terminated and the
 *      reader must end (record or error) without reading past the data.
 *   2  json_elide: whenever jansson accepts the input as an object, it must
 *      accept the elided text too, and the two trees must agree except that
 *      a listed key's string value may have become "".
 * A broken property aborts, which libFuzzer reports.
 */
#include "io/csv.h"
#include "data/hh_split.h"
#include "io/json_elide.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *const keys[] = {"Rationale", "critique", "a", NULL};

static int listed(const char *k)
{
    for (size_t i = 0; keys[i]; i++)
        if (strcmp(keys[i], k) == 0)
            return 1;
    return 0;
}

/* Same tree, except listed keys whose string value may be emptied in b. */
static int agree(json_t *a, json_t *b)
{
    if (json_is_object(a)) {
        if (!json_is_object(b) || json_object_size(a) != json_object_size(b))
            return 0;
        const char *k;
        json_t *va;
        json_object_foreach(a, k, va) {
            json_t *vb = json_object_get(b, k);
            if (!vb)
                return 0;
            if (listed(k) && json_is_string(va) && json_is_string(vb) && json_string_length(vb) == 0)
                continue;
            if (!agree(va, vb))
                return 0;
        }
        return 1;
    }
    if (json_is_array(a)) {
        if (!json_is_array(b) || json_array_size(a) != json_array_size(b))
            return 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!agree(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    }
    return json_equal(a, b);
}

typedef struct {
    const char *p, *end;
    char *buf;
} lines_t;

static int next_line(void *ctx, char **line, size_t *len)
{
    lines_t *l = ctx;
    if (l->p >= l->end)
        return 0;
    const char *nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
    size_t n = nl ? (size_t)(nl - l->p) : (size_t)(l->end - l->p);
    free(l->buf);
    l->buf = malloc(n + 1);
    memcpy(l->buf, l->p, n);
    l->buf[n] = 0;
    l->p += n + (nl ? 1 : 0);
    *line = l->buf;
    *len = n;
    return 1;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    switch (data[0] % 3) {
    case 0: {
        msgs_t m;
        msgs_init(&m);
        const char *why;
        if (hh_split(s, n, &m, &why) == 0) {
            for (size_t i = 0; i < m.n; i++) {
                if (m.m[i].s < s || m.m[i].s + m.m[i].n > s + n)
                    abort();
                if (m.m[i].role != (i % 2 == 0 ? ROLE_USER : ROLE_ASSISTANT))
                    abort();
            }
        }
        msgs_free(&m);
        break;
    }
    case 1: {
        lines_t l = {s, s + n, NULL};
        csv_reader r;
        csv_init(&r, next_line, &l);
        int got, guard = 0;
        while ((got = csv_next(&r)) == 1 && guard++ < 100000)
            for (size_t i = 0; i < csv_nfields(&r); i++) {
                size_t fl;
                const char *f = csv_field(&r, i, &fl);
                if (f[fl] != 0)
                    abort();
            }
        csv_free(&r);
        free(l.buf);
        break;
    }
    default: {
        json_t *a = json_loadb(s, n, JSON_ALLOW_NUL, NULL);
        if (!json_is_object(a)) {
            json_decref(a);
            break;
        }
        char *out = malloc(n + 1);
        size_t on = json_elide(s, n, out, keys);
        if (on > n)
            abort();
        json_t *b = json_loadb(out, on, JSON_ALLOW_NUL, NULL);
        if (!b || !agree(a, b))
            abort();
        json_decref(a);
        json_decref(b);
        free(out);
        break;
    }
    }
    return 0;
}

/*
 * json_fast.c — two-pass JSON -> msgpack transcoder (see json_fast.h).
 *
 * msgpack needs each container's element count and each string's length
 * before the contents, which streaming JSON only reveals at the end.  So:
 *   pass 1 (scan): validates the whole text and records, in order of
 *     appearance, the element count of every container and the decoded
 *     length of every string (with a flag for "has escapes");
 *   pass 2 (emit): walks the text again without validating, writing
 *     headers from those tables through the same msgpack packer calls the
 *     jansson path uses, so the encodings chosen are identical.
 * Both passes are a simple recursive descent over the text; depth is
 * bounded by max_depth, so recursion is too.
 */
#include "io/json_fast.h"
#include "io/jsonconv.h"
#include "io/record.h"
#include "io/schema.h"
#include "base/util.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ESCAPED 0x80000000u  /* in strs: the string has escapes */
#define TYPED_I 0x40000000u  /* in counts: an int32 bin */
#define TYPED_F 0x20000000u  /* in counts: a float32 bin */
#define COUNT_MASK 0x0fffffffu

typedef struct {
    const unsigned char *p, *end;
    uint32_t *counts;      /* container element counts, in opening order */
    size_t ncounts, capcounts;
    uint32_t *strs;        /* decoded string lengths | ESCAPED */
    size_t nstrs, capstrs;
    int depth, max_depth;
    int typed;             /* typed fields (schema_dtype) become bins */
} scan_t;

static int push_u32(uint32_t **v, size_t *n, size_t *cap, uint32_t x)
{
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 256;
        uint32_t *nv = realloc(*v, c * sizeof **v);
        if (!nv)
            return -1;
        *v = nv;
        *cap = c;
    }
    (*v)[(*n)++] = x;
    return 0;
}

static void skip_ws(scan_t *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int hexval(unsigned c)
{
    if (c - '0' < 10) return (int)(c - '0');
    c |= 0x20;
    if (c - 'a' < 6) return (int)(c - 'a' + 10);
    return -1;
}

static int read_hex4(const unsigned char *p, const unsigned char *end, unsigned *out)
{
    if (end - p < 4)
        return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0)
            return -1;
        v = v << 4 | (unsigned)h;
    }
    *out = v;
    return 0;
}

static int utf8_len(unsigned cp) { return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4; }

/* Scan a string starting after its opening quote.  is_key: refuse NUL. */
static int scan_string(scan_t *s, int is_key)
{
    const unsigned char *p = s->p, *end = s->end;
    uint32_t len = 0, flags = 0;
    for (;;) {
        const unsigned char *run = p;
        while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            p++;
        len += (uint32_t)(p - run);
        if (p >= end)
            return -1;
        unsigned c = *p;
        if (c == '"') {
            p++;
            break;
        }
        if (c < 0x20)
            return -1;
        if (c == '\\') {
            flags = ESCAPED;
            if (p + 1 >= end)
                return -1;
            unsigned e = p[1];
            p += 2;
            if (e == 'u') {
                unsigned cp;
                if (read_hex4(p, end, &cp) < 0)
                    return -1;
                p += 4;
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    unsigned lo;
                    if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || read_hex4(p + 2, end, &lo) < 0 ||
                        lo < 0xdc00 || lo > 0xdfff)
                        return -1;
                    p += 6;
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                    return -1;
                }
                if (cp == 0 && is_key)
                    return -1;
                len += (uint32_t)utf8_len(cp);
            } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' ||
                       e == 't') {
                len++;
            } else {
                return -1;
            }
            continue;
        }
        /* multi-byte UTF-8: validate strictly, as jansson does */
        unsigned cp, need, min;
        if ((c & 0xe0) == 0xc0) { need = 1; min = 0x80; cp = c & 0x1f; }
        else if ((c & 0xf0) == 0xe0) { need = 2; min = 0x800; cp = c & 0x0f; }
        else if ((c & 0xf8) == 0xf0) { need = 3; min = 0x10000; cp = c & 0x07; }
        else return -1;
        if ((size_t)(end - p) <= need)
            return -1;
        for (unsigned k = 1; k <= need; k++) {
            if ((p[k] & 0xc0) != 0x80)
                return -1;
            cp = cp << 6 | (p[k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return -1;
        p += need + 1;
        len += need + 1;
    }
    s->p = p;
    return push_u32(&s->strs, &s->nstrs, &s->capstrs, len | flags);
}

static int scan_number(scan_t *s)
{
    const unsigned char *p = s->p, *end = s->end;
    if (p < end && *p == '-')
        p++;
    if (p >= end)
        return -1;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    else
        return -1;
    int real = 0;
    if (p < end && *p == '.') {
        real = 1;
        p++;
        if (p >= end || *p < '0' || *p > '9')
            return -1;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        real = 1;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || *p < '0' || *p > '9')
            return -1;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (!real && p - s->p > 18) {
        /* could overflow int64: let strtoll decide, as jansson does */
        char buf[32];
        size_t n = (size_t)(p - s->p);
        if (n >= sizeof buf)
            return -1;
        memcpy(buf, s->p, n);
        buf[n] = 0;
        errno = 0;
        strtoll(buf, NULL, 10);
        if (errno == ERANGE)
            return -1;
    }
    if (real) {
        char buf[64];
        size_t n = (size_t)(p - s->p);
        if (n >= sizeof buf)
            return -1; /* long literals: leave them to jansson */
        memcpy(buf, s->p, n);
        buf[n] = 0;
        if (!isfinite(strtod(buf, NULL)))
            return -1;
    }
    s->p = p;
    return 0;
}

static int scan_value(scan_t *s);
static int scan_array(scan_t *s);

#define MAX_KEYS 64

static int keys_unique(const unsigned char **keys, const uint32_t *klen, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (klen[i] == klen[j] && memcmp(keys[i], keys[j], klen[i]) == 0)
                return 0;
    return 1;
}

/* Number literal at p (already validated): its double value, computing
 * integers through int64 as jansson does (so "-0" is 0.0, not -0.0). */
static double literal_value(const unsigned char *p, size_t n, int *is_int, int64_t *iv)
{
    char buf[64];
    memcpy(buf, p, n);
    buf[n] = 0;
    *is_int = !memchr(buf, '.', n) && !memchr(buf, 'e', n) && !memchr(buf, 'E', n);
    if (*is_int) {
        *iv = strtoll(buf, NULL, 10);
        return (double)*iv;
    }
    return strtod(buf, NULL);
}

/* The elements of an array, s->p at its '[': calls elem for each, leaves
 * s->p after the ']', returns the element count or -1. */
static long scan_elements(scan_t *s, int (*elem)(scan_t *, const void *), const void *ctx)
{
    s->p++; /* '[' */
    skip_ws(s);
    long n = 0;
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return 0;
    }
    for (;;) {
        if (elem(s, ctx) < 0)
            return -1;
        n++;
        skip_ws(s);
        if (s->p >= s->end)
            return -1;
        if (*s->p == ',') {
            s->p++;
            skip_ws(s);
            continue;
        }
        if (*s->p == ']') {
            s->p++;
            return n > (long)COUNT_MASK ? -1 : n;
        }
        return -1;
    }
}

/* One element of a typed array: a number that converts losslessly. */
static int typed_element(scan_t *s, const void *ctx)
{
    char dtype = *(const char *)ctx;
    const unsigned char *start = s->p;
    if (s->p >= s->end || !(*s->p == '-' || (*s->p >= '0' && *s->p <= '9')))
        return -1;
    if (scan_number(s) < 0 || s->p - start >= 64)
        return -1;
    int is_int;
    int64_t iv;
    double d = literal_value(start, (size_t)(s->p - start), &is_int, &iv);
    return (dtype == 'i' ? (!is_int || iv < INT32_MIN || iv > INT32_MAX) : !float32_lossless(d)) ? -1 : 0;
}

/* A typed field's array ('i' int32 / 'f' float32): succeed only when every
 * element is a number that converts losslessly, as jsonconv.c decides. */
static int scan_typed_array(scan_t *s, char dtype)
{
    if (s->depth + 1 > s->max_depth)
        return -1;
    size_t slot = s->ncounts;
    if (push_u32(&s->counts, &s->ncounts, &s->capcounts, 0) < 0)
        return -1;
    long n = scan_elements(s, typed_element, &dtype);
    if (n < 0)
        return -1;
    s->counts[slot] = (uint32_t)n | (dtype == 'i' ? TYPED_I : TYPED_F);
    return 0;
}

static int scan_object(scan_t *s)
{
    if (++s->depth > s->max_depth)
        return -1;
    size_t slot = s->ncounts;
    if (push_u32(&s->counts, &s->ncounts, &s->capcounts, 0) < 0)
        return -1;
    s->p++; /* '{' */
    skip_ws(s);
    uint32_t n = 0;
    const unsigned char *keys[MAX_KEYS];
    uint32_t klen[MAX_KEYS];
    if (s->p < s->end && *s->p == '}') {
        s->p++;
    } else {
        for (;;) {
            if (s->p >= s->end || *s->p != '"')
                return -1;
            const unsigned char *kstart = ++s->p;
            if (scan_string(s, 1) < 0)
                return -1;
            uint32_t kl = s->strs[s->nstrs - 1];
            if (kl & ESCAPED)
                return -1; /* escaped keys: compare decoded forms in jansson */
            if (n >= MAX_KEYS)
                return -1; /* very wide objects: left to jansson */
            keys[n] = kstart;
            klen[n] = kl;
            skip_ws(s);
            if (s->p >= s->end || *s->p != ':')
                return -1;
            s->p++;
            skip_ws(s);
            char dtype = s->typed && s->p < s->end && *s->p == '[' ? schema_dtype((const char *)kstart, kl) : 0;
            if (dtype) {
                /* try it as a bin; if that is not lossless, as a plain array */
                const unsigned char *at = s->p;
                size_t nc = s->ncounts, ns = s->nstrs;
                if (scan_typed_array(s, dtype) < 0) {
                    s->p = at;
                    s->ncounts = nc;
                    s->nstrs = ns;
                    if (scan_array(s) < 0)
                        return -1;
                }
            } else if (scan_value(s) < 0) {
                return -1;
            }
            n++;
            skip_ws(s);
            if (s->p >= s->end)
                return -1;
            if (*s->p == ',') {
                s->p++;
                skip_ws(s);
                continue;
            }
            if (*s->p == '}') {
                s->p++;
                break;
            }
            return -1;
        }
    }
    if (keys_unique(keys, klen, n) != 1)
        return -1;
    s->counts[slot] = n;
    s->depth--;
    return 0;
}

static int any_element(scan_t *s, const void *ctx) { return scan_value(s); }

static int scan_array(scan_t *s)
{
    if (++s->depth > s->max_depth)
        return -1;
    size_t slot = s->ncounts;
    if (push_u32(&s->counts, &s->ncounts, &s->capcounts, 0) < 0)
        return -1;
    long n = scan_elements(s, any_element, NULL);
    if (n < 0)
        return -1;
    s->counts[slot] = (uint32_t)n;
    s->depth--;
    return 0;
}

static int scan_literal(scan_t *s, const char *lit, size_t n)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
        return -1;
    s->p += n;
    return 0;
}

static int scan_value(scan_t *s)
{
    if (s->p >= s->end)
        return -1;
    switch (*s->p) {
    case '{': return scan_object(s);
    case '[': return scan_array(s);
    case '"': s->p++; return scan_string(s, 0);
    case 't': return scan_literal(s, "true", 4);
    case 'f': return scan_literal(s, "false", 5);
    case 'n': return scan_literal(s, "null", 4);
    default: return scan_number(s);
    }
}

/* ---- pass 2 ---- */

typedef struct {
    const unsigned char *p;
    const uint32_t *counts, *strs;
    size_t ci, si;
    msgpack_packer *pk;
    char *tmp;
    size_t tmpcap;
} emit_t;

static void skip_ws2(emit_t *e)
{
    while (*e->p == ' ' || *e->p == '\t' || *e->p == '\n' || *e->p == '\r')
        e->p++;
}

static void put_utf8(char **o, unsigned cp)
{
    char *q = *o;
    if (cp < 0x80) {
        *q++ = (char)cp;
    } else if (cp < 0x800) {
        *q++ = (char)(0xc0 | cp >> 6);
        *q++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *q++ = (char)(0xe0 | cp >> 12);
        *q++ = (char)(0x80 | (cp >> 6 & 0x3f));
        *q++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *q++ = (char)(0xf0 | cp >> 18);
        *q++ = (char)(0x80 | (cp >> 12 & 0x3f));
        *q++ = (char)(0x80 | (cp >> 6 & 0x3f));
        *q++ = (char)(0x80 | (cp & 0x3f));
    }
    *o = q;
}

/* The bytes of the string at e->p (its opening quote), decoded: in the
 * text itself when it has no escapes, else in e->tmp.  NULL: no memory. */
static const char *string_bytes(emit_t *e, uint32_t *outlen)
{
    uint32_t info = e->strs[e->si++];
    uint32_t len = info & ~ESCAPED;
    *outlen = len;
    e->p++; /* opening quote */
    if (!(info & ESCAPED)) {
        const char *b = (const char *)e->p;
        e->p += len + 1;
        return b;
    }
    if (len > e->tmpcap) {
        char *t = realloc(e->tmp, len);
        if (!t)
            return NULL;
        e->tmp = t;
        e->tmpcap = len;
    }
    char *o = e->tmp;
    const unsigned char *p = e->p;
    for (;;) {
        unsigned c = *p;
        if (c == '"')
            break;
        if (c != '\\') {
            *o++ = (char)c;
            p++;
            continue;
        }
        unsigned x = p[1];
        p += 2;
        switch (x) {
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            read_hex4(p, p + 4, &cp);
            p += 4;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                read_hex4(p + 2, p + 6, &lo);
                p += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            put_utf8(&o, cp);
            break;
        }
        default: *o++ = (char)x; /* " \ / */
        }
    }
    e->p = p + 1;
    return e->tmp;
}

static int emit_string(emit_t *e)
{
    uint32_t len;
    const char *b = string_bytes(e, &len);
    if (!b)
        return -1;
    msgpack_pack_str(e->pk, len);
    msgpack_pack_str_body(e->pk, b, len);
    return 0;
}

static int emit_typed(emit_t *e)
{
    uint32_t info = e->counts[e->ci++];
    uint32_t n = info & COUNT_MASK;
    size_t need = (size_t)n * 4;
    if (need > e->tmpcap) {
        char *t = realloc(e->tmp, need);
        if (!t)
            return -1;
        e->tmp = t;
        e->tmpcap = need;
    }
    int32_t *iv = (int32_t *)(void *)e->tmp;
    float *fv = (float *)(void *)e->tmp;
    e->p++; /* '[' */
    for (uint32_t i = 0; i < n; i++) {
        skip_ws2(e);
        if (*e->p == ',') {
            e->p++;
            skip_ws2(e);
        }
        const unsigned char *q = e->p;
        while ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E' || *q == '+' || *q == '-')
            q++;
        int is_int;
        int64_t v = 0;
        double d = literal_value(e->p, (size_t)(q - e->p), &is_int, &v);
        if (info & TYPED_I)
            iv[i] = (int32_t)v;
        else
            fv[i] = (float)d;
        e->p = q;
    }
    skip_ws2(e);
    e->p++; /* ']' */
    if (info & TYPED_I)
        pack_i32_bin(e->pk, iv, n);
    else
        pack_f32_bin(e->pk, fv, n);
    return 0;
}

/* The number at e->p (validated by pass 1), moving past it: 1 and *dv
 * when it is a real (has a fraction or exponent), 0 and *iv when an
 * integer (it fits int64: pass 1 checked). */
static int number_at(emit_t *e, int64_t *iv, double *dv)
{
    const unsigned char *q = e->p;
    if (*q == '-')
        q++;
    int real = 0;
    while ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E' || *q == '+' || *q == '-') {
        if (*q == '.' || *q == 'e' || *q == 'E')
            real = 1;
        q++;
    }
    char buf[64];
    size_t n = (size_t)(q - e->p);
    memcpy(buf, e->p, n);
    buf[n] = 0;
    e->p = q;
    if (real) {
        *dv = strtod(buf, NULL);
        return 1;
    }
    if (n <= 18) {
        /* fast decimal parse; fits in int64 */
        const char *d = buf;
        int neg = *d == '-';
        d += neg;
        int64_t v = 0;
        while (*d)
            v = v * 10 + (*d++ - '0');
        *iv = neg ? -v : v;
    } else {
        *iv = strtoll(buf, NULL, 10);
    }
    return 0;
}

static int emit_value(emit_t *e)
{
    skip_ws2(e);
    unsigned c = *e->p;
    if (c == '[' && (e->counts[e->ci] & (TYPED_I | TYPED_F)))
        return emit_typed(e);
    if (c == '{' || c == '[') {
        uint32_t n = e->counts[e->ci++];
        int obj = c == '{';
        if (obj)
            msgpack_pack_map(e->pk, n);
        else
            msgpack_pack_array(e->pk, n);
        e->p++;
        for (uint32_t i = 0; i < n; i++) {
            skip_ws2(e);
            if (*e->p == ',') {
                e->p++;
                skip_ws2(e);
            }
            if (obj) {
                if (emit_string(e) < 0)
                    return -1;
                skip_ws2(e);
                e->p++; /* ':' */
            }
            if (emit_value(e) < 0)
                return -1;
        }
        skip_ws2(e);
        e->p++; /* closing bracket */
        return 0;
    }
    if (c == '"')
        return emit_string(e);
    if (c == 't') { msgpack_pack_true(e->pk); e->p += 4; return 0; }
    if (c == 'f') { msgpack_pack_false(e->pk); e->p += 5; return 0; }
    if (c == 'n') { msgpack_pack_nil(e->pk); e->p += 4; return 0; }
    int64_t iv;
    double dv;
    if (number_at(e, &iv, &dv))
        msgpack_pack_double(e->pk, dv);
    else
        msgpack_pack_int64(e->pk, iv);
    return 0;
}

/* ---- pass 2, jansson values (json_fast_to_jansson) ---- */

static json_t *build_value(emit_t *e)
{
    skip_ws2(e);
    unsigned c = *e->p;
    if (c == '{' || c == '[') {
        uint32_t n = e->counts[e->ci++];   /* an untyped scan: no flags */
        int obj = c == '{';
        json_t *v = obj ? json_object() : json_array();
        if (!v)
            return NULL;
        e->p++;
        for (uint32_t i = 0; i < n; i++) {
            skip_ws2(e);
            if (*e->p == ',') {
                e->p++;
                skip_ws2(e);
            }
            uint32_t kl = 0;
            const char *k = NULL;
            if (obj) {   /* keys have no escapes (pass 1 declines them): in the text */
                k = string_bytes(e, &kl);
                skip_ws2(e);
                e->p++; /* ':' */
            }
            json_t *x = build_value(e);
            /* pass 1 found the keys unique, NUL-free and valid UTF-8: nocheck */
            if (!x || (obj ? json_object_setn_new_nocheck(v, k, kl, x) : json_array_append_new(v, x)) < 0) {
                json_decref(v);
                return NULL;
            }
        }
        skip_ws2(e);
        e->p++; /* closing bracket */
        return v;
    }
    if (c == '"') {
        uint32_t len;
        const char *b = string_bytes(e, &len);
        return b ? json_stringn_nocheck(b, len) : NULL;
    }
    if (c == 't') { e->p += 4; return json_true(); }
    if (c == 'f') { e->p += 5; return json_false(); }
    if (c == 'n') { e->p += 4; return json_null(); }
    int64_t iv;
    double dv;
    return number_at(e, &iv, &dv) ? json_real(dv) : json_integer((json_int_t)iv);
}

/* Pass 1 over one object; 0 when the fast path takes it. */
static int scan_text(scan_t *s, const char *text, size_t n, int max_depth, int typed)
{
    s->p = (const unsigned char *)text;
    s->end = s->p + n;
    s->ncounts = s->nstrs = 0;
    s->depth = 0;
    s->max_depth = max_depth;
    s->typed = typed;
    skip_ws(s);
    if (s->p >= s->end || *s->p != '{')
        return -1;
    if (scan_object(s) < 0)
        return -1;
    skip_ws(s);
    return s->p == s->end ? 0 : -1;
}

static void emit_start(emit_t *e, const scan_t *s, const char *text)
{
    e->p = (const unsigned char *)text;
    e->counts = s->counts;
    e->strs = s->strs;
    e->ci = e->si = 0;
}

int json_fast_to_msgpack(const char *text, size_t n, msgpack_packer *pk, int max_depth)
{
    static __thread scan_t s;
    static __thread emit_t e;
    if (scan_text(&s, text, n, max_depth, 1) < 0)
        return -1;
    emit_start(&e, &s, text);
    e.pk = pk;
    return emit_value(&e);
}

json_t *json_fast_to_jansson(const char *text, size_t n, int max_depth)
{
    static __thread scan_t s;
    static __thread emit_t e;
    if (scan_text(&s, text, n, max_depth, 0) < 0)
        return NULL;
    emit_start(&e, &s, text);
    return build_value(&e);
}

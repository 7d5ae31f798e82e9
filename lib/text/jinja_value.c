/*
 * jinja_value.c — values of the Jinja subset: the render's arena, errors,
 * constructors, truth, equality and ordering, str() and json.dumps.
 *
 * The arena is a chain of blocks; every byte handed out counts against the
 * render's memory limit, so a template that builds ever larger strings or
 * lists stops with a message instead of exhausting the filter.
 *
 * Text forms follow Python, as transformers renders templates with Jinja2:
 * None, True, False; floats in repr's shortest round-trip form (1.0, 0.1,
 * 1e-05); lists and dicts as their repr with single-quoted strings.
 * tojson follows json.dumps(ensure_ascii=False): separators ", " and ": "
 * (", " becomes "," with an indent), UTF-8 kept, control characters as
 * \uXXXX.
 */
#include "text/jinja_int.h"
#include "base/util.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jarena { struct jarena *next; size_t used, cap; char data[]; };

void *jx_alloc(jctx *x, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    x->mem += n;
    if (x->mem > x->max_mem) jx_fail(x, x->line, "the template used more than %zu bytes of memory", x->max_mem);
    jarena *a = x->arena;
    if (!a || a->used + n > a->cap) {
        size_t cap = n > 65536 ? n : 65536;
        a = xmalloc(sizeof *a + cap);
        a->next = x->arena;
        a->used = 0;
        a->cap = cap;
        x->arena = a;
    }
    void *p = a->data + a->used;
    a->used += n;
    memset(p, 0, n);
    return p;
}

void jx_arena_free(jctx *x)
{
    while (x->arena) {
        jarena *n = x->arena->next;
        free(x->arena);
        x->arena = n;
    }
}

void jx_fail(jctx *x, int line, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(x->err, x->el, "line %d: %s", line, msg);
    longjmp(x->jb, 1);
}

jv jv_str(jctx *x, const char *s, size_t n)
{
    char *d = jx_alloc(x, n + 1);
    if (n) memcpy(d, s, n);
    jv v = {.t = JV_STR};
    v.u.s.s = d;
    v.u.s.n = n;
    return v;
}
jv jv_cstr(const char *s) { jv v = {.t = JV_STR}; v.u.s.s = s; v.u.s.n = strlen(s); return v; }
jv jv_int(long long i) { jv v = {.t = JV_INT}; v.u.i = i; return v; }
jv jv_float(double f) { jv v = {.t = JV_FLOAT}; v.u.f = f; return v; }
jv jv_bool(int b) { jv v = {.t = JV_BOOL}; v.u.i = !!b; return v; }
jv jv_none(void) { jv v = {.t = JV_NONE}; return v; }
jv jv_undef(void) { jv v = {.t = JV_UNDEF}; return v; }
jv jv_newlist(jctx *x) { jv v = {.t = JV_LIST}; v.u.l = jx_alloc(x, sizeof(jlist)); return v; }
jv jv_newdict(jctx *x, jv_type t) { jv v = {.t = t}; v.u.d = jx_alloc(x, sizeof(jdict)); return v; }

void jl_push(jctx *x, jlist *l, jv v)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        jv *nv = jx_alloc(x, sizeof(jv) * cap);
        if (l->n) memcpy(nv, l->v, sizeof(jv) * l->n);
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = v;
}

static long dict_find(const jdict *d, const char *k, size_t n)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->k[i].u.s.n == n && !memcmp(d->k[i].u.s.s, k, n)) return (long)i;
    return -1;
}

void jd_set(jctx *x, jdict *d, jv key, jv v)
{
    if (key.t != JV_STR) jx_fail(x, x->line, "dict keys must be strings here, not %s", jv_typename(key));
    long i = dict_find(d, key.u.s.s, key.u.s.n);
    if (i >= 0) { d->v[i] = v; return; }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 4;
        jv *nk = jx_alloc(x, sizeof(jv) * cap), *nv = jx_alloc(x, sizeof(jv) * cap);
        if (d->n) { memcpy(nk, d->k, sizeof(jv) * d->n); memcpy(nv, d->v, sizeof(jv) * d->n); }
        d->k = nk;
        d->v = nv;
        d->cap = cap;
    }
    d->k[d->n] = key;
    d->v[d->n++] = v;
}

int jd_get(const jdict *d, const char *k, size_t n, jv *out)
{
    long i = dict_find(d, k, n);
    if (i < 0) return 0;
    *out = d->v[i];
    return 1;
}

int jv_truthy(jv v)
{
    switch (v.t) {
    case JV_UNDEF: case JV_NONE: return 0;
    case JV_BOOL: case JV_INT: return v.u.i != 0;
    case JV_FLOAT: return v.u.f != 0;
    case JV_STR: return v.u.s.n > 0;
    case JV_LIST: return v.u.l->n > 0;
    case JV_DICT: return v.u.d->n > 0;
    default: return 1;
    }
}

static int isnum(jv v) { return v.t == JV_INT || v.t == JV_FLOAT || v.t == JV_BOOL; }
static double num(jv v) { return v.t == JV_FLOAT ? v.u.f : (double)v.u.i; }

int jv_equal(jv a, jv b)
{
    if (isnum(a) && isnum(b)) {
        if (a.t != JV_FLOAT && b.t != JV_FLOAT) return a.u.i == b.u.i;
        return num(a) == num(b);
    }
    if (a.t != b.t) return 0;
    switch (a.t) {
    case JV_UNDEF: case JV_NONE: return 1;
    case JV_STR: return a.u.s.n == b.u.s.n && !memcmp(a.u.s.s, b.u.s.s, a.u.s.n);
    case JV_LIST:
        if (a.u.l->n != b.u.l->n) return 0;
        for (size_t i = 0; i < a.u.l->n; i++)
            if (!jv_equal(a.u.l->v[i], b.u.l->v[i])) return 0;
        return 1;
    case JV_DICT:
        if (a.u.d->n != b.u.d->n) return 0;
        for (size_t i = 0; i < a.u.d->n; i++) {
            jv o;
            if (!jd_get(b.u.d, a.u.d->k[i].u.s.s, a.u.d->k[i].u.s.n, &o) || !jv_equal(a.u.d->v[i], o)) return 0;
        }
        return 1;
    default: return a.u.d == b.u.d;
    }
}

int jv_compare(jctx *x, int line, jv a, jv b)
{
    if (isnum(a) && isnum(b)) {
        if (a.t != JV_FLOAT && b.t != JV_FLOAT) return (a.u.i > b.u.i) - (a.u.i < b.u.i);
        double p = num(a), q = num(b);
        return (p > q) - (p < q);
    }
    if (a.t == JV_STR && b.t == JV_STR) {
        size_t n = a.u.s.n < b.u.s.n ? a.u.s.n : b.u.s.n;
        int c = memcmp(a.u.s.s, b.u.s.s, n);
        if (c) return c < 0 ? -1 : 1;
        return (a.u.s.n > b.u.s.n) - (a.u.s.n < b.u.s.n);
    }
    jx_fail(x, line, "cannot compare %s with %s", jv_typename(a), jv_typename(b));
}

const char *jv_typename(jv v)
{
    static const char *names[] = {"undefined", "none", "boolean", "integer", "float", "string", "list", "dict", "namespace", "function"};
    return names[v.t];
}

void jb_put(jctx *x, jbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->n + n + 1) * 2;
        if (cap < 64) cap = 64;
        char *ns = jx_alloc(x, cap);
        if (b->n) memcpy(ns, b->s, b->n);
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}

static void put_s(jctx *x, jbuf *b, const char *s) { jb_put(x, b, s, strlen(s)); }

static void put_float(jctx *x, jbuf *b, double f)
{
    char s[64];
    if (isnan(f)) { put_s(x, b, "nan"); return; }
    if (isinf(f)) { put_s(x, b, f < 0 ? "-inf" : "inf"); return; }
    /* Python's repr: the shortest digits that read back, exponent outside
     * [1e-4, 1e16) */
    int prec;
    for (prec = 1; prec < 17; prec++) {
        snprintf(s, sizeof s, "%.*e", prec - 1, f);
        if (strtod(s, NULL) == f) break;
    }
    int ex = f == 0 ? 0 : (int)floor(log10(fabs(f)));
    snprintf(s, sizeof s, "%.*e", prec - 1, f);
    if (strtod(s, NULL) != f) snprintf(s, sizeof s, "%.16e", f);
    /* exponent from the printed form (log10 can be off by one at powers of ten) */
    char *e = strchr(s, 'e');
    ex = atoi(e + 1);
    if (ex >= -4 && ex < 16) {
        int dec = prec - 1 - ex;
        if (dec < 1) dec = 1;
        snprintf(s, sizeof s, "%.*f", dec, f);
        /* drop zeros the fixed form added beyond the shortest digits */
        size_t n = strlen(s);
        while (n > 0 && s[n - 1] == '0' && s[n - 2] != '.') s[--n] = 0;
    } else {
        /* mantissa digits, then e+XX / e-XX with at least two digits */
        char m[40];
        size_t k = (size_t)(e - s);
        memcpy(m, s, k);
        m[k] = 0;
        if (strchr(m, '.')) {
            while (k > 0 && m[k - 1] == '0') m[--k] = 0;
            if (k > 0 && m[k - 1] == '.') m[--k] = 0;
        }
        snprintf(s, sizeof s, "%se%c%02d", m, ex < 0 ? '-' : '+', ex < 0 ? -ex : ex);
    }
    put_s(x, b, s);
}

static void repr_str(jctx *x, jbuf *b, jv v)
{
    /* Python picks double quotes when the text has ' and no " */
    int sq = memchr(v.u.s.s, '\'', v.u.s.n) != NULL, dq = memchr(v.u.s.s, '"', v.u.s.n) != NULL;
    char q = sq && !dq ? '"' : '\'';
    jb_put(x, b, &q, 1);
    for (size_t i = 0; i < v.u.s.n; i++) {
        unsigned char c = (unsigned char)v.u.s.s[i];
        char e[8];
        if (c == '\\' || c == (unsigned char)q) { e[0] = '\\'; e[1] = (char)c; jb_put(x, b, e, 2); }
        else if (c == '\n') put_s(x, b, "\\n");
        else if (c == '\t') put_s(x, b, "\\t");
        else if (c == '\r') put_s(x, b, "\\r");
        else if (c < 0x20 || c == 0x7f) { snprintf(e, sizeof e, "\\x%02x", c); put_s(x, b, e); }
        else jb_put(x, b, (const char *)&c, 1);
    }
    jb_put(x, b, &q, 1);
}

static void repr(jctx *x, jbuf *b, jv v)
{
    if (v.t == JV_STR) repr_str(x, b, v);
    else jv_to_str(x, b, v);
}

void jv_to_str(jctx *x, jbuf *b, jv v)
{
    char s[32];
    switch (v.t) {
    case JV_UNDEF: return;
    case JV_NONE: put_s(x, b, "None"); return;
    case JV_BOOL: put_s(x, b, v.u.i ? "True" : "False"); return;
    case JV_INT: snprintf(s, sizeof s, "%lld", v.u.i); put_s(x, b, s); return;
    case JV_FLOAT: put_float(x, b, v.u.f); return;
    case JV_STR: jb_put(x, b, v.u.s.s, v.u.s.n); return;
    case JV_LIST:
        put_s(x, b, "[");
        for (size_t i = 0; i < v.u.l->n; i++) {
            if (i) put_s(x, b, ", ");
            repr(x, b, v.u.l->v[i]);
        }
        put_s(x, b, "]");
        return;
    case JV_DICT: case JV_NS:
        if (v.t == JV_NS) put_s(x, b, "<Namespace ");
        put_s(x, b, "{");
        for (size_t i = 0; i < v.u.d->n; i++) {
            if (i) put_s(x, b, ", ");
            repr(x, b, v.u.d->k[i]);
            put_s(x, b, ": ");
            repr(x, b, v.u.d->v[i]);
        }
        put_s(x, b, "}");
        if (v.t == JV_NS) put_s(x, b, ">");
        return;
    case JV_FUNC: put_s(x, b, "<function>"); return;
    }
}

static void json_str(jctx *x, jbuf *b, const char *s, size_t n)
{
    put_s(x, b, "\"");
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *e = NULL;
        char u[8];
        if (c == '"') e = "\\\"";
        else if (c == '\\') e = "\\\\";
        else if (c == '\n') e = "\\n";
        else if (c == '\r') e = "\\r";
        else if (c == '\t') e = "\\t";
        else if (c == '\b') e = "\\b";
        else if (c == '\f') e = "\\f";
        else if (c < 0x20) { snprintf(u, sizeof u, "\\u%04x", c); e = u; }
        if (!e) continue;
        jb_put(x, b, s + run, i - run);
        put_s(x, b, e);
        run = i + 1;
    }
    jb_put(x, b, s + run, n - run);
    put_s(x, b, "\"");
}

static void newline_indent(jctx *x, jbuf *b, int indent, int depth)
{
    put_s(x, b, "\n");
    for (int i = 0; i < indent * depth; i++) put_s(x, b, " ");
}

void jv_to_json(jctx *x, jbuf *b, jv v, int indent, int depth)
{
    if (depth > 200) jx_fail(x, x->line, "tojson: nesting deeper than 200");
    switch (v.t) {
    case JV_UNDEF: case JV_NONE: put_s(x, b, "null"); return;
    case JV_BOOL: put_s(x, b, v.u.i ? "true" : "false"); return;
    case JV_INT: case JV_FLOAT:
        if (v.t == JV_FLOAT && isnan(v.u.f)) { put_s(x, b, "NaN"); return; }
        if (v.t == JV_FLOAT && isinf(v.u.f)) { put_s(x, b, v.u.f < 0 ? "-Infinity" : "Infinity"); return; }
        jv_to_str(x, b, v);
        return;
    case JV_STR: json_str(x, b, v.u.s.s, v.u.s.n); return;
    case JV_LIST:
        if (!v.u.l->n) { put_s(x, b, "[]"); return; }
        put_s(x, b, "[");
        for (size_t i = 0; i < v.u.l->n; i++) {
            if (i) put_s(x, b, indent > 0 ? "," : ", ");
            if (indent > 0) newline_indent(x, b, indent, depth + 1);
            jv_to_json(x, b, v.u.l->v[i], indent, depth + 1);
        }
        if (indent > 0) newline_indent(x, b, indent, depth);
        put_s(x, b, "]");
        return;
    case JV_DICT: case JV_NS:
        if (!v.u.d->n) { put_s(x, b, "{}"); return; }
        put_s(x, b, "{");
        for (size_t i = 0; i < v.u.d->n; i++) {
            if (i) put_s(x, b, indent > 0 ? "," : ", ");
            if (indent > 0) newline_indent(x, b, indent, depth + 1);
            json_str(x, b, v.u.d->k[i].u.s.s, v.u.d->k[i].u.s.n);
            put_s(x, b, ": ");
            jv_to_json(x, b, v.u.d->v[i], indent, depth + 1);
        }
        if (indent > 0) newline_indent(x, b, indent, depth);
        put_s(x, b, "}");
        return;
    case JV_FUNC: jx_fail(x, x->line, "tojson: a function is not JSON");
    }
}

jv jv_stringify(jctx *x, jv v)
{
    if (v.t == JV_STR) return v;
    jbuf b = {0};
    jv_to_str(x, &b, v);
    jv r = {.t = JV_STR};
    r.u.s.s = b.s ? b.s : "";
    r.u.s.n = b.n;
    return r;
}

jv jv_from_json(jctx *x, const void *json)
{
    const json_t *j = json;
    switch (json_typeof(j)) {
    case JSON_NULL: return jv_none();
    case JSON_TRUE: return jv_bool(1);
    case JSON_FALSE: return jv_bool(0);
    case JSON_INTEGER: return jv_int(json_integer_value(j));
    case JSON_REAL: return jv_float(json_real_value(j));
    case JSON_STRING: return jv_str(x, json_string_value(j), json_string_length(j));
    case JSON_ARRAY: {
        jv l = jv_newlist(x);
        for (size_t i = 0; i < json_array_size(j); i++) jl_push(x, l.u.l, jv_from_json(x, json_array_get(j, i)));
        return l;
    }
    case JSON_OBJECT: {
        jv d = jv_newdict(x, JV_DICT);
        const char *k;
        json_t *val;
        json_object_foreach((json_t *)j, k, val) jd_set(x, d.u.d, jv_str(x, k, strlen(k)), jv_from_json(x, val));
        return d;
    }
    }
    return jv_undef();
}

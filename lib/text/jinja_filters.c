/*
 * jinja_filters.c — the filters, tests, string/dict methods and global
 * functions chat templates call.
 *
 * Filters: trim, tojson(indent), length/count, upper, lower, title,
 * capitalize, default/d(value, boolean), first, last, join(sep, attribute),
 * replace(old, new, count), items, list, string, int, float, abs, reverse,
 * map(attribute=)/map(filter), select/reject(test), selectattr/rejectattr
 * (attr, test, arg), unique, safe, indent(width, first, blank).
 * Tests: defined, undefined, none, string, number, integer, float, boolean,
 * true, false, mapping, iterable, sequence, callable, odd, even,
 * divisibleby, equalto/eq/==, ne/!=, in, sameas, lower, upper.
 * Methods: strip/lstrip/rstrip(chars), split(sep, maxsplit), startswith,
 * endswith, upper, lower, title, capitalize, replace, find, count on
 * strings; items, keys, values, get on dicts.
 * Functions: raise_exception(msg) (the render fails with the message),
 * range, namespace(**kw), dict(**kw), strftime_now(fmt) (formats the fixed
 * date of jinja_limits, never the clock).
 *
 * Case mapping is ASCII only (chat templates map role names and keywords);
 * lengths count code points, as Python's len does on str.
 */
#include "text/jinja_int.h"
#include "base/util.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NAMEIS(s, n, w) ((n) == sizeof(w) - 1 && !memcmp((s), (w), (n)))

static jv from_buf(jbuf *b)
{
    jv r = {.t = JV_STR};
    r.u.s.s = b->s ? b->s : "";
    r.u.s.n = b->n;
    return r;
}

static int py_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f); }

static jv strip(jctx *x, jv s, int left, int right, const jv *chars)
{
    size_t a = 0, b = s.u.s.n;
    const char *p = s.u.s.s;
#define STRIPS(c) (chars ? memchr(chars->u.s.s, (c), chars->u.s.n) != NULL : py_space((unsigned char)(c)))
    if (left) while (a < b && STRIPS(p[a])) a++;
    if (right) while (b > a && STRIPS(p[b - 1])) b--;
#undef STRIPS
    jv r = {.t = JV_STR};
    r.u.s.s = p + a;
    r.u.s.n = b - a;
    return r;
}

static jv casemap(jctx *x, jv s, int mode)   /* 0 lower, 1 upper, 2 title, 3 capitalize */
{
    char *d = jx_alloc(x, s.u.s.n + 1);
    int word_start = 1;
    for (size_t i = 0; i < s.u.s.n; i++) {
        unsigned char c = (unsigned char)s.u.s.s[i];
        if (mode == 0) c = (unsigned char)tolower(c);
        else if (mode == 1) c = (unsigned char)toupper(c);
        else if (mode == 2) { c = (unsigned char)(word_start ? toupper(c) : tolower(c)); word_start = !isalnum(c) && c < 0x80; }
        else c = (unsigned char)(i == 0 ? toupper(c) : tolower(c));
        d[i] = (char)c;
    }
    jv r = {.t = JV_STR};
    r.u.s.s = d;
    r.u.s.n = s.u.s.n;
    return r;
}

static jv replace(jctx *x, jv s, jv old, jv new_, long long count)
{
    jbuf b = {0};
    size_t i = 0;
    long long done = 0;
    if (!old.u.s.n) {
        /* Python inserts the replacement between every character */
        for (; i <= s.u.s.n && (count < 0 || done < count); done++) {
            jb_put(x, &b, new_.u.s.s, new_.u.s.n);
            if (i < s.u.s.n) jb_put(x, &b, s.u.s.s + i, 1);
            i++;
        }
        if (i < s.u.s.n) jb_put(x, &b, s.u.s.s + i, s.u.s.n - i);
        return from_buf(&b);
    }
    while (i < s.u.s.n) {
        const char *f = count >= 0 && done >= count ? NULL : memmem(s.u.s.s + i, s.u.s.n - i, old.u.s.s, old.u.s.n);
        if (!f) break;
        size_t at = (size_t)(f - s.u.s.s);
        jb_put(x, &b, s.u.s.s + i, at - i);
        jb_put(x, &b, new_.u.s.s, new_.u.s.n);
        if (b.n > x->max_out) jx_fail(x, x->line, "replace: result longer than %zu bytes", x->max_out);
        i = at + old.u.s.n;
        done++;
    }
    jb_put(x, &b, s.u.s.s + i, s.u.s.n - i);
    return from_buf(&b);
}

static long long utf8_len(jv s)
{
    long long n = 0;
    for (size_t i = 0; i < s.u.s.n; i++) n += ((unsigned char)s.u.s.s[i] & 0xC0) != 0x80;
    return n;
}

static void need(jctx *x, const jnode *n, jv v, jv_type t, const char *what)
{
    if (v.t != t) jx_fail(x, n->line, "%.*s: %s must be %s, not %s", (int)(n->n > 40 ? 40 : n->n), n->s, what,
                          t == JV_STR ? "a string" : t == JV_LIST ? "a list" : t == JV_INT ? "an integer" : "a dict",
                          jv_typename(v));
}

static jv kwarg(const jv *kw, const char **kwn, const size_t *kwl, int nkw, const char *name, jv dflt)
{
    for (int i = 0; i < nkw; i++)
        if (kwl[i] == strlen(name) && !memcmp(kwn[i], name, kwl[i])) return kw[i];
    return dflt;
}

/* a string as Python's int()/float() read it: 1 and both forms, or 0 */
static int parse_number(jv v, long long *i, double *d)
{
    char buf[64], *end;
    size_t k = v.u.s.n < 63 ? v.u.s.n : 63;
    memcpy(buf, v.u.s.s, k);
    buf[k] = 0;
    *d = strtod(buf, &end);
    if (end == buf || *end) return 0;
    long long r = strtoll(buf, &end, 10);
    *i = end != buf && !*end ? r : (long long)*d;
    return 1;
}

static jv to_list(jctx *x, const jnode *n, jv v)
{
    if (v.t == JV_LIST) return v;
    jv l = jv_newlist(x);
    if (v.t == JV_DICT) {
        for (size_t i = 0; i < v.u.d->n; i++) jl_push(x, l.u.l, v.u.d->k[i]);
    } else if (v.t == JV_STR) {
        for (size_t i = 0; i < v.u.s.n;) {
            size_t k = 1;
            while (i + k < v.u.s.n && ((unsigned char)v.u.s.s[i + k] & 0xC0) == 0x80) k++;
            jl_push(x, l.u.l, jv_str(x, v.u.s.s + i, k));
            i += k;
        }
    } else if (v.t != JV_UNDEF) {
        jx_fail(x, n->line, "%.*s: cannot make a list of %s", (int)n->n, n->s, jv_typename(v));
    }
    return l;
}

static jv get_attr(jv o, jv name)
{
    jv r;
    if (o.t == JV_DICT && name.t == JV_STR) {
        /* dotted attribute paths ("function.name") as Jinja's attribute= */
        const char *s = name.u.s.s, *e = s + name.u.s.n;
        jv cur = o;
        while (s < e) {
            const char *dot = memchr(s, '.', (size_t)(e - s));
            const char *end = dot ? dot : e;
            if (cur.t != JV_DICT || !jd_get(cur.u.d, s, (size_t)(end - s), &r)) return jv_undef();
            cur = r;
            s = dot ? dot + 1 : e;
        }
        return cur;
    }
    return jv_undef();
}

/* a test by name, for select/reject and their attr forms */
static int run_test(jctx *x, const jnode *n, jv v, jv name, const jv *args, int nargs)
{
    if (name.t != JV_STR) jx_fail(x, n->line, "a test name must be a string");
    jnode fake = *n;
    fake.s = name.u.s.s;
    fake.n = name.u.s.n;
    return jx_test(x, &fake, v, args, nargs);
}

jv jx_filter(jctx *x, const jnode *n, jv v, const jv *a, int na, const jv *kw, const char **kwn, const size_t *kwl, int nkw)
{
    const char *f = n->s;
    size_t fl = n->n;
    if (NAMEIS(f, fl, "trim")) {
        if (v.t == JV_UNDEF) return jv_cstr("");
        need(x, n, v, JV_STR, "the value");
        return strip(x, v, 1, 1, na > 0 && a[0].t == JV_STR ? &a[0] : NULL);
    }
    if (NAMEIS(f, fl, "tojson")) {
        jv ind = na > 0 ? a[0] : kwarg(kw, kwn, kwl, nkw, "indent", jv_none());
        if (ind.t != JV_NONE && ind.t != JV_INT) jx_fail(x, n->line, "tojson: indent must be an integer");
        jbuf b = {0};
        jv_to_json(x, &b, v, ind.t == JV_INT ? (int)ind.u.i : 0, 0);
        return from_buf(&b);
    }
    if (NAMEIS(f, fl, "length") || NAMEIS(f, fl, "count")) {
        switch (v.t) {
        case JV_STR: return jv_int(utf8_len(v));
        case JV_LIST: return jv_int((long long)v.u.l->n);
        case JV_DICT: case JV_NS: return jv_int((long long)v.u.d->n);
        case JV_UNDEF: return jv_int(0);
        default: jx_fail(x, n->line, "length: %s has no length", jv_typename(v));
        }
    }
    if (NAMEIS(f, fl, "upper") || NAMEIS(f, fl, "lower") || NAMEIS(f, fl, "title") || NAMEIS(f, fl, "capitalize")) {
        v = jv_stringify(x, v);
        return casemap(x, v, f[0] == 'l' ? 0 : f[0] == 'u' ? 1 : f[0] == 't' ? 2 : 3);
    }
    if (NAMEIS(f, fl, "default") || NAMEIS(f, fl, "d")) {
        jv dflt = na > 0 ? a[0] : kwarg(kw, kwn, kwl, nkw, "default_value", jv_cstr(""));
        jv boolean = na > 1 ? a[1] : kwarg(kw, kwn, kwl, nkw, "boolean", jv_bool(0));
        if (v.t == JV_UNDEF || (jv_truthy(boolean) && !jv_truthy(v))) return dflt;
        return v;
    }
    if (NAMEIS(f, fl, "first") || NAMEIS(f, fl, "last")) {
        jv l = to_list(x, n, v);
        if (!l.u.l->n) return jv_undef();
        return f[0] == 'f' ? l.u.l->v[0] : l.u.l->v[l.u.l->n - 1];
    }
    if (NAMEIS(f, fl, "join")) {
        jv sep = na > 0 ? a[0] : kwarg(kw, kwn, kwl, nkw, "d", jv_cstr(""));
        jv at = na > 1 ? a[1] : kwarg(kw, kwn, kwl, nkw, "attribute", jv_undef());
        jv l = to_list(x, n, v);
        sep = jv_stringify(x, sep);
        jbuf b = {0};
        for (size_t i = 0; i < l.u.l->n; i++) {
            if (i) jb_put(x, &b, sep.u.s.s, sep.u.s.n);
            jv_to_str(x, &b, at.t == JV_UNDEF ? l.u.l->v[i] : get_attr(l.u.l->v[i], at));
        }
        return from_buf(&b);
    }
    if (NAMEIS(f, fl, "replace")) {
        if (na < 2) jx_fail(x, n->line, "replace needs two arguments");
        v = jv_stringify(x, v);
        need(x, n, a[0], JV_STR, "the old text");
        jv nw = jv_stringify(x, a[1]);
        long long count = na > 2 && a[2].t == JV_INT ? a[2].u.i : -1;
        return replace(x, v, a[0], nw, count);
    }
    if (NAMEIS(f, fl, "items")) {
        if (v.t == JV_UNDEF) return jv_newlist(x);
        if (v.t != JV_DICT && v.t != JV_NS) need(x, n, v, JV_DICT, "the value");
        jv l = jv_newlist(x);
        for (size_t i = 0; i < v.u.d->n; i++) {
            jv pair = jv_newlist(x);
            jl_push(x, pair.u.l, v.u.d->k[i]);
            jl_push(x, pair.u.l, v.u.d->v[i]);
            jl_push(x, l.u.l, pair);
        }
        return l;
    }
    if (NAMEIS(f, fl, "list")) {
        jv src = to_list(x, n, v), l = jv_newlist(x);
        for (size_t i = 0; i < src.u.l->n; i++) jl_push(x, l.u.l, src.u.l->v[i]);
        return l;
    }
    if (NAMEIS(f, fl, "string") || NAMEIS(f, fl, "safe")) return jv_stringify(x, v);
    if (NAMEIS(f, fl, "int") || NAMEIS(f, fl, "float")) {
        int want_int = f[0] == 'i';
        double d = 0;
        int ok = 1;
        long long r = 0;
        if (v.t == JV_INT || v.t == JV_BOOL) r = v.u.i, d = (double)v.u.i;
        else if (v.t == JV_FLOAT) d = v.u.f, r = (long long)v.u.f;
        else if (v.t == JV_STR) ok = parse_number(v, &r, &d);
        else ok = 0;
        if (!ok) return na > 0 ? a[0] : want_int ? jv_int(0) : jv_float(0);
        return want_int ? jv_int(r) : jv_float(d);
    }
    if (NAMEIS(f, fl, "abs")) {
        if (v.t == JV_INT) return jv_int(v.u.i < 0 ? -v.u.i : v.u.i);
        if (v.t == JV_FLOAT) return jv_float(fabs(v.u.f));
        jx_fail(x, n->line, "abs: %s is not a number", jv_typename(v));
    }
    if (NAMEIS(f, fl, "reverse")) {
        if (v.t == JV_STR) {
            jbuf b = {0};
            for (size_t i = v.u.s.n; i > 0;) {
                size_t st = i - 1;
                while (st > 0 && ((unsigned char)v.u.s.s[st] & 0xC0) == 0x80) st--;
                jb_put(x, &b, v.u.s.s + st, i - st);
                i = st;
            }
            return from_buf(&b);
        }
        jv src = to_list(x, n, v), l = jv_newlist(x);
        for (size_t i = src.u.l->n; i > 0; i--) jl_push(x, l.u.l, src.u.l->v[i - 1]);
        return l;
    }
    if (NAMEIS(f, fl, "unique")) {
        jv src = to_list(x, n, v), l = jv_newlist(x);
        for (size_t i = 0; i < src.u.l->n; i++) {
            int seen = 0;
            for (size_t j = 0; j < l.u.l->n && !seen; j++) seen = jv_equal(l.u.l->v[j], src.u.l->v[i]);
            if (!seen) jl_push(x, l.u.l, src.u.l->v[i]);
        }
        return l;
    }
    if (NAMEIS(f, fl, "map")) {
        jv src = to_list(x, n, v), l = jv_newlist(x);
        jv at = kwarg(kw, kwn, kwl, nkw, "attribute", jv_undef());
        for (size_t i = 0; i < src.u.l->n; i++) {
            jv it = src.u.l->v[i];
            if (at.t != JV_UNDEF) {
                jv r = get_attr(it, at);
                if (r.t == JV_UNDEF) r = kwarg(kw, kwn, kwl, nkw, "default", jv_undef());
                jl_push(x, l.u.l, r);
            } else {
                if (na < 1 || a[0].t != JV_STR) jx_fail(x, n->line, "map needs a filter name or attribute=");
                jnode fake = *n;
                fake.s = a[0].u.s.s;
                fake.n = a[0].u.s.n;
                jl_push(x, l.u.l, jx_filter(x, &fake, it, a + 1, na - 1, NULL, NULL, NULL, 0));
            }
        }
        return l;
    }
    if (NAMEIS(f, fl, "select") || NAMEIS(f, fl, "reject") || NAMEIS(f, fl, "selectattr") || NAMEIS(f, fl, "rejectattr")) {
        int attr = fl > 6, keep = f[0] == 's';
        jv src = to_list(x, n, v), l = jv_newlist(x);
        if (attr && na < 1) jx_fail(x, n->line, "%.*s needs an attribute name", (int)fl, f);
        for (size_t i = 0; i < src.u.l->n; i++) {
            jv it = src.u.l->v[i], subj = attr ? get_attr(it, a[0]) : it;
            int tn = attr ? 1 : 0;
            int r = na > tn ? run_test(x, n, subj, a[tn], a + tn + 1, na - tn - 1) : jv_truthy(subj);
            if (r == keep) jl_push(x, l.u.l, it);
        }
        return l;
    }
    if (NAMEIS(f, fl, "indent")) {
        v = jv_stringify(x, v);
        jv w = na > 0 ? a[0] : kwarg(kw, kwn, kwl, nkw, "width", jv_int(4));
        jv first = na > 1 ? a[1] : kwarg(kw, kwn, kwl, nkw, "first", jv_bool(0));
        jv blank = na > 2 ? a[2] : kwarg(kw, kwn, kwl, nkw, "blank", jv_bool(0));
        jv pad = w.t == JV_STR ? w : jv_undef();
        jbuf pb = {0};
        if (pad.t == JV_UNDEF) {
            if (w.t != JV_INT || w.u.i < 0 || w.u.i > 1000) jx_fail(x, n->line, "indent: width must be 0..1000");
            for (long long i = 0; i < w.u.i; i++) jb_put(x, &pb, " ", 1);
            pad = from_buf(&pb);
        }
        jbuf b = {0};
        const char *s = v.u.s.s, *e = s + v.u.s.n;
        int line0 = 1;
        while (s <= e) {
            const char *nl = memchr(s, '\n', (size_t)(e - s));
            const char *end = nl ? nl : e;
            int empty = end == s;
            if ((line0 ? jv_truthy(first) : 1) && (!empty || jv_truthy(blank))) jb_put(x, &b, pad.u.s.s, pad.u.s.n);
            jb_put(x, &b, s, (size_t)(end - s));
            if (!nl) break;
            jb_put(x, &b, "\n", 1);
            s = nl + 1;
            line0 = 0;
        }
        return from_buf(&b);
    }
    jx_fail(x, n->line, "unknown filter '%.*s'", (int)(fl > 40 ? 40 : fl), f);
}

int jx_test(jctx *x, const jnode *n, jv v, const jv *a, int na)
{
    const char *t = n->s;
    size_t tl = n->n;
    if (NAMEIS(t, tl, "defined")) return v.t != JV_UNDEF;
    if (NAMEIS(t, tl, "undefined")) return v.t == JV_UNDEF;
    if (NAMEIS(t, tl, "none")) return v.t == JV_NONE;
    if (NAMEIS(t, tl, "string")) return v.t == JV_STR;
    if (NAMEIS(t, tl, "number")) return v.t == JV_INT || v.t == JV_FLOAT;
    if (NAMEIS(t, tl, "integer")) return v.t == JV_INT;
    if (NAMEIS(t, tl, "float")) return v.t == JV_FLOAT;
    if (NAMEIS(t, tl, "boolean")) return v.t == JV_BOOL;
    if (NAMEIS(t, tl, "true")) return v.t == JV_BOOL && v.u.i;
    if (NAMEIS(t, tl, "false")) return v.t == JV_BOOL && !v.u.i;
    if (NAMEIS(t, tl, "mapping")) return v.t == JV_DICT || v.t == JV_NS;
    if (NAMEIS(t, tl, "iterable")) return v.t == JV_LIST || v.t == JV_DICT || v.t == JV_STR;
    if (NAMEIS(t, tl, "sequence")) return v.t == JV_LIST || v.t == JV_DICT || v.t == JV_STR;
    if (NAMEIS(t, tl, "callable")) return v.t == JV_FUNC;
    if (NAMEIS(t, tl, "odd") || NAMEIS(t, tl, "even")) {
        if (v.t != JV_INT) jx_fail(x, n->line, "%.*s: %s is not an integer", (int)tl, t, jv_typename(v));
        return (int)(((v.u.i % 2) + 2) % 2) == (t[0] == 'o');
    }
    if (NAMEIS(t, tl, "divisibleby")) {
        if (v.t != JV_INT || na < 1 || a[0].t != JV_INT || a[0].u.i == 0) jx_fail(x, n->line, "divisibleby needs non-zero integers");
        return v.u.i % a[0].u.i == 0;
    }
    if (NAMEIS(t, tl, "equalto") || NAMEIS(t, tl, "eq") || NAMEIS(t, tl, "==") || NAMEIS(t, tl, "sameas")) {
        if (na < 1) jx_fail(x, n->line, "%.*s needs an argument", (int)tl, t);
        return jv_equal(v, a[0]);
    }
    if (NAMEIS(t, tl, "ne") || NAMEIS(t, tl, "!=")) {
        if (na < 1) jx_fail(x, n->line, "%.*s needs an argument", (int)tl, t);
        return !jv_equal(v, a[0]);
    }
    if (NAMEIS(t, tl, "in")) {
        if (na < 1) jx_fail(x, n->line, "in needs an argument");
        jv h = a[0];
        if (h.t == JV_LIST) { for (size_t i = 0; i < h.u.l->n; i++) if (jv_equal(h.u.l->v[i], v)) return 1; return 0; }
        if (h.t == JV_STR && v.t == JV_STR) return memmem(h.u.s.s, h.u.s.n, v.u.s.s, v.u.s.n) != NULL || !v.u.s.n;
        if (h.t == JV_DICT && v.t == JV_STR) { jv o; return jd_get(h.u.d, v.u.s.s, v.u.s.n, &o); }
        return 0;
    }
    if (NAMEIS(t, tl, "lower") || NAMEIS(t, tl, "upper")) {
        if (v.t != JV_STR) return 0;
        for (size_t i = 0; i < v.u.s.n; i++)
            if (t[0] == 'l' ? isupper((unsigned char)v.u.s.s[i]) : islower((unsigned char)v.u.s.s[i])) return 0;
        return 1;
    }
    jx_fail(x, n->line, "unknown test '%.*s'", (int)(tl > 40 ? 40 : tl), t);
}

static const char *str_methods[] = {"strip", "lstrip", "rstrip", "split", "startswith", "endswith", "upper", "lower",
                                    "title", "capitalize", "replace", "find", "count", NULL};
static const char *dict_methods[] = {"items", "keys", "values", "get", NULL};

int jx_has_method(jv obj, const char *name, size_t nl)
{
    const char **m = obj.t == JV_STR ? str_methods : obj.t == JV_DICT ? dict_methods : NULL;
    for (int i = 0; m && m[i]; i++)
        if (strlen(m[i]) == nl && !memcmp(m[i], name, nl)) return 1;
    return 0;
}

static int prefix_test(jctx *x, const jnode *n, jv s, jv p, int end)
{
    if (p.t == JV_LIST) {
        for (size_t i = 0; i < p.u.l->n; i++)
            if (prefix_test(x, n, s, p.u.l->v[i], end)) return 1;
        return 0;
    }
    if (p.t != JV_STR) jx_fail(x, n->line, "%s needs a string", end ? "endswith" : "startswith");
    if (p.u.s.n > s.u.s.n) return 0;
    return !memcmp(s.u.s.s + (end ? s.u.s.n - p.u.s.n : 0), p.u.s.s, p.u.s.n);
}

jv jx_method(jctx *x, const jnode *n, jv o, const char *m, size_t ml, const jv *a, int na)
{
    if (o.t == JV_STR) {
        if (NAMEIS(m, ml, "strip") || NAMEIS(m, ml, "lstrip") || NAMEIS(m, ml, "rstrip")) {
            const jv *chars = na > 0 && a[0].t == JV_STR ? &a[0] : NULL;
            return strip(x, o, m[0] != 'r', m[0] != 'l', chars);
        }
        if (NAMEIS(m, ml, "upper")) return casemap(x, o, 1);
        if (NAMEIS(m, ml, "lower")) return casemap(x, o, 0);
        if (NAMEIS(m, ml, "title")) return casemap(x, o, 2);
        if (NAMEIS(m, ml, "capitalize")) return casemap(x, o, 3);
        if (NAMEIS(m, ml, "startswith")) return jv_bool(na > 0 && prefix_test(x, n, o, a[0], 0));
        if (NAMEIS(m, ml, "endswith")) return jv_bool(na > 0 && prefix_test(x, n, o, a[0], 1));
        if (NAMEIS(m, ml, "replace")) {
            if (na < 2 || a[0].t != JV_STR || a[1].t != JV_STR) jx_fail(x, n->line, "replace needs two strings");
            return replace(x, o, a[0], a[1], na > 2 && a[2].t == JV_INT ? a[2].u.i : -1);
        }
        if (NAMEIS(m, ml, "find") || NAMEIS(m, ml, "count")) {
            if (na < 1 || a[0].t != JV_STR) jx_fail(x, n->line, "%.*s needs a string", (int)ml, m);
            if (m[0] == 'f') {
                const char *f = a[0].u.s.n ? memmem(o.u.s.s, o.u.s.n, a[0].u.s.s, a[0].u.s.n) : o.u.s.s;
                return jv_int(f ? (long long)(f - o.u.s.s) : -1);
            }
            if (!a[0].u.s.n) return jv_int(utf8_len(o) + 1);
            long long c = 0;
            for (size_t i = 0; i + a[0].u.s.n <= o.u.s.n;) {
                const char *f = memmem(o.u.s.s + i, o.u.s.n - i, a[0].u.s.s, a[0].u.s.n);
                if (!f) break;
                c++;
                i = (size_t)(f - o.u.s.s) + a[0].u.s.n;
            }
            return jv_int(c);
        }
        if (NAMEIS(m, ml, "split")) {
            jv l = jv_newlist(x);
            long long maxsplit = na > 1 && a[1].t == JV_INT ? a[1].u.i : -1;
            const char *s = o.u.s.s, *e = s + o.u.s.n;
            if (na < 1 || a[0].t == JV_NONE) {
                /* runs of whitespace, no empty pieces */
                while (s < e) {
                    while (s < e && py_space((unsigned char)*s)) s++;
                    if (s >= e) break;
                    if (maxsplit >= 0 && (long long)l.u.l->n >= maxsplit) {
                        const char *t = e;
                        while (t > s && py_space((unsigned char)t[-1])) t--;
                        jl_push(x, l.u.l, jv_str(x, s, (size_t)(t - s)));
                        break;
                    }
                    const char *w = s;
                    while (s < e && !py_space((unsigned char)*s)) s++;
                    jl_push(x, l.u.l, jv_str(x, w, (size_t)(s - w)));
                }
                return l;
            }
            if (a[0].t != JV_STR || !a[0].u.s.n) jx_fail(x, n->line, "split: the separator must be a non-empty string");
            for (;;) {
                const char *f = maxsplit >= 0 && (long long)l.u.l->n >= maxsplit ? NULL
                                : memmem(s, (size_t)(e - s), a[0].u.s.s, a[0].u.s.n);
                if (!f) { jl_push(x, l.u.l, jv_str(x, s, (size_t)(e - s))); break; }
                jl_push(x, l.u.l, jv_str(x, s, (size_t)(f - s)));
                s = f + a[0].u.s.n;
            }
            return l;
        }
    }
    if (o.t == JV_DICT) {
        jv l = jv_newlist(x);
        if (NAMEIS(m, ml, "get")) {
            jv r;
            if (na < 1 || a[0].t != JV_STR || !jd_get(o.u.d, a[0].u.s.s, a[0].u.s.n, &r)) return na > 1 ? a[1] : jv_none();
            return r;
        }
        for (size_t i = 0; i < o.u.d->n; i++) {
            if (NAMEIS(m, ml, "keys")) jl_push(x, l.u.l, o.u.d->k[i]);
            else if (NAMEIS(m, ml, "values")) jl_push(x, l.u.l, o.u.d->v[i]);
            else {
                jv pair = jv_newlist(x);
                jl_push(x, pair.u.l, o.u.d->k[i]);
                jl_push(x, pair.u.l, o.u.d->v[i]);
                jl_push(x, l.u.l, pair);
            }
        }
        return l;
    }
    jx_fail(x, n->line, "%s has no method '%.*s'", jv_typename(o), (int)(ml > 40 ? 40 : ml), m);
}

jv jx_call_builtin(jctx *x, const jnode *n, int fn, const jv *a, int na, const jv *kw, const char **kwn, const size_t *kwl, int nkw)
{
    switch (fn) {
    case JF_RAISE: {
        jv msg = na > 0 ? jv_stringify(x, a[0]) : jv_cstr("");
        jx_fail(x, n->line, "raise_exception: %.*s", (int)(msg.u.s.n > 300 ? 300 : msg.u.s.n), msg.u.s.s);
    }
    case JF_RANGE: {
        long long lo = 0, hi, step = 1;
        for (int i = 0; i < na; i++)
            if (a[i].t != JV_INT) jx_fail(x, n->line, "range needs integers");
        if (na == 1) hi = a[0].u.i;
        else if (na == 2 || na == 3) { lo = a[0].u.i; hi = a[1].u.i; if (na == 3) step = a[2].u.i; }
        else jx_fail(x, n->line, "range takes 1 to 3 arguments");
        if (step == 0) jx_fail(x, n->line, "range step cannot be zero");
        jv l = jv_newlist(x);
        for (long long i = lo; step > 0 ? i < hi : i > hi; i += step) {
            if ((long)l.u.l->n >= x->max_iters) jx_fail(x, n->line, "range longer than %ld", x->max_iters);
            jl_push(x, l.u.l, jv_int(i));
        }
        return l;
    }
    case JF_NAMESPACE: case JF_DICT: {
        jv d = jv_newdict(x, fn == JF_NAMESPACE ? JV_NS : JV_DICT);
        if (na > 0 && (a[0].t == JV_DICT || a[0].t == JV_NS))
            for (size_t i = 0; i < a[0].u.d->n; i++) jd_set(x, d.u.d, a[0].u.d->k[i], a[0].u.d->v[i]);
        for (int i = 0; i < nkw; i++) jd_set(x, d.u.d, jv_str(x, kwn[i], kwl[i]), kw[i]);
        return d;
    }
    case JF_STRFTIME: {
        if (na < 1 || a[0].t != JV_STR) jx_fail(x, n->line, "strftime_now needs a format string");
        const jinja_limits *L = x->lim;
        struct tm tm = {0};
        tm.tm_year = (L->year ? L->year : 2024) - 1900;
        tm.tm_mon = (L->month ? L->month : 7) - 1;
        tm.tm_mday = L->day ? L->day : 26;
        tm.tm_hour = 0;
        time_t t = timegm(&tm);   /* fills the weekday and day of the year */
        gmtime_r(&t, &tm);
        char fmt[256], buf[512];
        size_t k = a[0].u.s.n < sizeof fmt - 1 ? a[0].u.s.n : sizeof fmt - 1;
        memcpy(fmt, a[0].u.s.s, k);
        fmt[k] = 0;
        size_t w = strftime(buf, sizeof buf, fmt, &tm);
        return jv_str(x, buf, w);
    }
    }
    jx_fail(x, n->line, "not a function");
}

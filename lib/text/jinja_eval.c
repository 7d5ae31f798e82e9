/*
 * jinja_eval.c — render a parsed template: statements, expressions, scopes.
 *
 * Scoping follows Jinja: `set` at the top level writes the template's
 * variables; inside a for loop it writes the loop body's scope, which is
 * dropped when the iteration ends (so a counter cannot leak out of a loop —
 * the reason templates use namespace()).  Names resolve innermost scope
 * first, then the context and builtins.  `loop` carries index, index0,
 * revindex, revindex0, first, last, length, previtem and nextitem.
 *
 * Every loop iteration counts against max_iterations and every output byte
 * against max_output; both stop the render with the template line.
 */
#include "text/jinja_int.h"
#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FLOW_NONE, FLOW_BREAK, FLOW_CONTINUE };

static jv eval(jctx *x, const jnode *n);

static void out(jctx *x, int line, const char *s, size_t n)
{
    if (x->nout + n > x->max_out) jx_fail(x, line, "the output is longer than %zu bytes", x->max_out);
    if (x->nout + n + 1 > x->capout) {
        x->capout = (x->nout + n + 1) * 2;
        x->out = xrealloc(x->out, x->capout);
    }
    memcpy(x->out + x->nout, s, n);
    x->nout += n;
    x->out[x->nout] = 0;
}

static int lookup(jctx *x, const char *s, size_t n, jv *v)
{
    for (int i = x->nscopes - 1; i >= 0; i--)
        if (jd_get(x->scopes[i], s, n, v)) return 1;
    return jd_get(x->globals, s, n, v);
}

static void push_scope(jctx *x)
{
    if (x->nscopes == x->capscopes) {
        x->capscopes = x->capscopes ? x->capscopes * 2 : 8;
        x->scopes = xrealloc(x->scopes, sizeof(jdict *) * (size_t)x->capscopes);
    }
    x->scopes[x->nscopes++] = jv_newdict(x, JV_DICT).u.d;
}

static void assign(jctx *x, const char *s, size_t n, jv v)
{
    jd_set(x, x->nscopes ? x->scopes[x->nscopes - 1] : x->globals, jv_str(x, s, n), v);
}

static long long idx_norm(long long i, size_t n) { return i < 0 ? i + (long long)n : i; }

static jv attr(jctx *x, const jnode *n, jv o, const char *s, size_t len)
{
    jv v;
    if ((o.t == JV_DICT || o.t == JV_NS) && jd_get(o.u.d, s, len, &v)) return v;
    return jv_undef();
}

static jv index_(jctx *x, const jnode *n, jv o, jv k)
{
    if (o.t == JV_DICT || o.t == JV_NS) {
        if (k.t != JV_STR) return jv_undef();
        return attr(x, n, o, k.u.s.s, k.u.s.n);
    }
    if ((o.t == JV_LIST || o.t == JV_STR) && (k.t == JV_INT || k.t == JV_BOOL)) {
        size_t len = o.t == JV_LIST ? o.u.l->n : o.u.s.n;
        long long i = idx_norm(k.u.i, len);
        if (i < 0 || i >= (long long)len) return jv_undef();
        if (o.t == JV_LIST) return o.u.l->v[i];
        /* one UTF-8 character would need code point indexing; chat
         * templates index bytes of ASCII only */
        return jv_str(x, o.u.s.s + i, 1);
    }
    if (o.t == JV_UNDEF) return jv_undef();
    if (o.t == JV_STR && k.t == JV_STR) return jv_undef();
    jx_fail(x, n->line, "cannot index %s with %s", jv_typename(o), jv_typename(k));
}

static jv slice(jctx *x, const jnode *n, jv o)
{
    if (o.t != JV_LIST && o.t != JV_STR) jx_fail(x, n->line, "cannot slice %s", jv_typename(o));
    long long len = (long long)(o.t == JV_LIST ? o.u.l->n : o.u.s.n);
    long long step = 1;
    if (n->d) {
        jv s = eval(x, n->d);
        if (s.t != JV_NONE) {
            if (s.t != JV_INT) jx_fail(x, n->line, "slice step must be an integer");
            step = s.u.i;
        }
    }
    if (step == 0) jx_fail(x, n->line, "slice step cannot be zero");
    long long lo, hi;
    jv a = n->b ? eval(x, n->b) : jv_none(), b = n->c ? eval(x, n->c) : jv_none();
    if ((a.t != JV_NONE && a.t != JV_INT) || (b.t != JV_NONE && b.t != JV_INT))
        jx_fail(x, n->line, "slice bounds must be integers");
    /* Python's slice.indices */
    if (step > 0) {
        lo = a.t == JV_NONE ? 0 : idx_norm(a.u.i, (size_t)len);
        hi = b.t == JV_NONE ? len : idx_norm(b.u.i, (size_t)len);
        if (lo < 0) lo = 0;
        if (lo > len) lo = len;
        if (hi < 0) hi = 0;
        if (hi > len) hi = len;
    } else {
        lo = a.t == JV_NONE ? len - 1 : idx_norm(a.u.i, (size_t)len);
        hi = b.t == JV_NONE ? -1 : idx_norm(b.u.i, (size_t)len);
        if (lo < -1) lo = -1;
        if (lo > len - 1) lo = len - 1;
        if (hi < -1) hi = -1;
        if (hi > len - 1) hi = len - 1;
    }
    if (o.t == JV_LIST) {
        jv r = jv_newlist(x);
        for (long long i = lo; step > 0 ? i < hi : i > hi; i += step) jl_push(x, r.u.l, o.u.l->v[i]);
        return r;
    }
    jbuf buf = {0};
    if (step == 1) jb_put(x, &buf, o.u.s.s + lo, hi > lo ? (size_t)(hi - lo) : 0);
    else if (step == -1) {
        /* reversed by characters, so UTF-8 stays whole */
        const char *s = o.u.s.s;
        long long i = lo;
        while (i > hi) {
            long long st = i;
            while (st > 0 && ((unsigned char)s[st] & 0xC0) == 0x80) st--;
            if (st <= hi) st = hi + 1;
            jb_put(x, &buf, s + st, (size_t)(i - st + 1));
            i = st - 1;
        }
    } else
        for (long long i = lo; step > 0 ? i < hi : i > hi; i += step) jb_put(x, &buf, o.u.s.s + i, 1);
    jv r = {.t = JV_STR};
    r.u.s.s = buf.s ? buf.s : "";
    r.u.s.n = buf.n;
    return r;
}

static int contains(jctx *x, int line, jv hay, jv needle)
{
    switch (hay.t) {
    case JV_STR:
        if (needle.t != JV_STR) jx_fail(x, line, "'in <string>' needs a string on the left, not %s", jv_typename(needle));
        return needle.u.s.n == 0 || memmem(hay.u.s.s, hay.u.s.n, needle.u.s.s, needle.u.s.n) != NULL;
    case JV_LIST:
        for (size_t i = 0; i < hay.u.l->n; i++)
            if (jv_equal(hay.u.l->v[i], needle)) return 1;
        return 0;
    case JV_DICT: case JV_NS: {
        jv v;
        return needle.t == JV_STR && jd_get(hay.u.d, needle.u.s.s, needle.u.s.n, &v);
    }
    case JV_UNDEF: return 0;
    default: jx_fail(x, line, "'in' needs a string, list or dict on the right, not %s", jv_typename(hay));
    }
}

static int isnum(jv v) { return v.t == JV_INT || v.t == JV_FLOAT || v.t == JV_BOOL; }
static double num(jv v) { return v.t == JV_FLOAT ? v.u.f : (double)v.u.i; }

static jv binop(jctx *x, const jnode *n, jv a, jv b)
{
    int op = n->op;
    if (op == JB_CONCAT) {
        jbuf buf = {0};
        jv_to_str(x, &buf, a);
        jv_to_str(x, &buf, b);
        jv r = {.t = JV_STR};
        r.u.s.s = buf.s ? buf.s : "";
        r.u.s.n = buf.n;
        return r;
    }
    switch (op) {
    case JB_EQ: return jv_bool(jv_equal(a, b));
    case JB_NE: return jv_bool(!jv_equal(a, b));
    case JB_LT: return jv_bool(jv_compare(x, n->line, a, b) < 0);
    case JB_LE: return jv_bool(jv_compare(x, n->line, a, b) <= 0);
    case JB_GT: return jv_bool(jv_compare(x, n->line, a, b) > 0);
    case JB_GE: return jv_bool(jv_compare(x, n->line, a, b) >= 0);
    case JB_IN: return jv_bool(contains(x, n->line, b, a));
    case JB_NOTIN: return jv_bool(!contains(x, n->line, b, a));
    }
    if (op == JB_ADD && a.t == JV_STR && b.t == JV_STR) {
        jbuf buf = {0};
        jb_put(x, &buf, a.u.s.s, a.u.s.n);
        jb_put(x, &buf, b.u.s.s, b.u.s.n);
        jv r = {.t = JV_STR};
        r.u.s.s = buf.s ? buf.s : "";
        r.u.s.n = buf.n;
        return r;
    }
    if (op == JB_ADD && a.t == JV_LIST && b.t == JV_LIST) {
        jv r = jv_newlist(x);
        for (size_t i = 0; i < a.u.l->n; i++) jl_push(x, r.u.l, a.u.l->v[i]);
        for (size_t i = 0; i < b.u.l->n; i++) jl_push(x, r.u.l, b.u.l->v[i]);
        return r;
    }
    if (op == JB_MUL && ((a.t == JV_STR && b.t == JV_INT) || (a.t == JV_INT && b.t == JV_STR))) {
        jv s = a.t == JV_STR ? a : b;
        long long k = a.t == JV_INT ? a.u.i : b.u.i;
        jbuf buf = {0};
        for (long long i = 0; i < k; i++) {
            if (buf.n + s.u.s.n > x->max_out) jx_fail(x, n->line, "string repetition longer than %zu bytes", x->max_out);
            jb_put(x, &buf, s.u.s.s, s.u.s.n);
        }
        jv r = {.t = JV_STR};
        r.u.s.s = buf.s ? buf.s : "";
        r.u.s.n = buf.n;
        return r;
    }
    if (!isnum(a) || !isnum(b))
        jx_fail(x, n->line, "unsupported operand types %s and %s", jv_typename(a), jv_typename(b));
    int ints = a.t != JV_FLOAT && b.t != JV_FLOAT;
    long long p = a.u.i, q = b.u.i;
    double f = num(a), g = num(b);
    switch (op) {
    case JB_ADD: return ints ? jv_int(p + q) : jv_float(f + g);
    case JB_SUB: return ints ? jv_int(p - q) : jv_float(f - g);
    case JB_MUL: return ints ? jv_int(p * q) : jv_float(f * g);
    case JB_DIV:
        if (g == 0) jx_fail(x, n->line, "division by zero");
        return jv_float(f / g);
    case JB_FLOORDIV:
        if (g == 0) jx_fail(x, n->line, "division by zero");
        if (ints) { long long r = p / q; if ((p % q) && ((p < 0) != (q < 0))) r--; return jv_int(r); }
        return jv_float(floor(f / g));
    case JB_MOD:
        if (g == 0) jx_fail(x, n->line, "modulo by zero");
        if (ints) { long long r = p % q; if (r && ((r < 0) != (q < 0))) r += q; return jv_int(r); }
        return jv_float(f - floor(f / g) * g);
    case JB_POW:
        if (ints && q >= 0 && q < 64) { long long r = 1; for (long long i = 0; i < q; i++) r *= p; return jv_int(r); }
        return jv_float(pow(f, g));
    }
    jx_fail(x, n->line, "unknown operator");
}

/* evaluate a node's arguments (positional into args, keywords into kw) */
static int eval_args(jctx *x, const jnode *n, jv **args, jv **kw)
{
    *args = jx_alloc(x, sizeof(jv) * (size_t)(n->args.n + 1));
    *kw = jx_alloc(x, sizeof(jv) * (size_t)(n->kwargs.n + 1));
    for (int i = 0; i < n->args.n; i++) (*args)[i] = eval(x, n->args.v[i]);
    for (int i = 0; i < n->kwargs.n; i++) (*kw)[i] = eval(x, n->kwargs.v[i]);
    return n->args.n;
}

static jv call(jctx *x, const jnode *n)
{
    jv *args, *kw;
    const jnode *f = n->a;
    if (f->kind == JN_ATTR) {
        jv obj = eval(x, f->a);
        jv member = attr(x, f, obj, f->s, f->n);
        if (member.t != JV_FUNC && jx_has_method(obj, f->s, f->n)) {
            int na = eval_args(x, n, &args, &kw);
            if (n->kwargs.n) jx_fail(x, n->line, "keyword arguments to .%.*s() are not supported", (int)f->n, f->s);
            return jx_method(x, n, obj, f->s, f->n, args, na);
        }
        if (member.t != JV_FUNC)
            jx_fail(x, n->line, "%s has no method '%.*s'", jv_typename(obj), (int)(f->n > 40 ? 40 : f->n), f->s);
        int na = eval_args(x, n, &args, &kw);
        return jx_call_builtin(x, n, (int)member.u.i, args, na, kw, n->kwnames, n->kwlens, n->kwargs.n);
    }
    jv fn = eval(x, f);
    if (fn.t != JV_FUNC) {
        if (f->kind == JN_NAME) jx_fail(x, n->line, "'%.*s' is %s, not a function", (int)(f->n > 40 ? 40 : f->n), f->s, jv_typename(fn));
        jx_fail(x, n->line, "%s is not a function", jv_typename(fn));
    }
    int na = eval_args(x, n, &args, &kw);
    return jx_call_builtin(x, n, (int)fn.u.i, args, na, kw, n->kwnames, n->kwlens, n->kwargs.n);
}

static jv eval(jctx *x, const jnode *n)
{
    x->line = n->line;
    switch (n->kind) {
    case JN_LIT: return n->lit;
    case JN_NAME: {
        jv v;
        return lookup(x, n->s, n->n, &v) ? v : jv_undef();
    }
    case JN_ATTR: {
        jv o = eval(x, n->a);
        return attr(x, n, o, n->s, n->n);
    }
    case JN_INDEX: {
        jv o = eval(x, n->a);
        return index_(x, n, o, eval(x, n->b));
    }
    case JN_SLICE: return slice(x, n, eval(x, n->a));
    case JN_CALL: return call(x, n);
    case JN_FILTER: {
        jv v = eval(x, n->a), *args, *kw;
        int na = eval_args(x, n, &args, &kw);
        x->line = n->line;
        return jx_filter(x, n, v, args, na, kw, n->kwnames, n->kwlens, n->kwargs.n);
    }
    case JN_TEST: {
        jv v = eval(x, n->a), *args, *kw;
        int na = eval_args(x, n, &args, &kw);
        x->line = n->line;
        int r = jx_test(x, n, v, args, na);
        return jv_bool(n->op ? !r : r);
    }
    case JN_NEG: case JN_POS: {
        jv v = eval(x, n->a);
        if (v.t == JV_INT || v.t == JV_BOOL) return jv_int(n->kind == JN_NEG ? -v.u.i : v.u.i);
        if (v.t == JV_FLOAT) return jv_float(n->kind == JN_NEG ? -v.u.f : v.u.f);
        jx_fail(x, n->line, "bad operand for unary %c: %s", n->kind == JN_NEG ? '-' : '+', jv_typename(v));
    }
    case JN_NOT: return jv_bool(!jv_truthy(eval(x, n->a)));
    case JN_AND: { jv a = eval(x, n->a); return jv_truthy(a) ? eval(x, n->b) : a; }
    case JN_OR: { jv a = eval(x, n->a); return jv_truthy(a) ? a : eval(x, n->b); }
    case JN_COND:
        if (jv_truthy(eval(x, n->b))) return eval(x, n->a);
        return n->c ? eval(x, n->c) : jv_undef();
    case JN_BIN: {
        jv a = eval(x, n->a), b = eval(x, n->b);
        x->line = n->line;
        return binop(x, n, a, b);
    }
    case JN_LIST: {
        jv l = jv_newlist(x);
        for (int i = 0; i < n->args.n; i++) jl_push(x, l.u.l, eval(x, n->args.v[i]));
        return l;
    }
    case JN_DICT: {
        jv d = jv_newdict(x, JV_DICT);
        for (int i = 0; i < n->args.n; i++) {
            jv k = eval(x, n->args.v[i]);
            jd_set(x, d.u.d, k, eval(x, n->kwargs.v[i]));
        }
        return d;
    }
    }
    jx_fail(x, n->line, "not an expression");
}

static int exec_body(jctx *x, const jnodes *b);

static jv as_iterable(jctx *x, const jnode *n, jv v)
{
    if (v.t == JV_LIST) return v;
    if (v.t == JV_UNDEF || v.t == JV_NONE) {
        if (v.t == JV_NONE) jx_fail(x, n->line, "cannot loop over none");
        return jv_newlist(x);
    }
    jv l = jv_newlist(x);
    if (v.t == JV_DICT) {
        for (size_t i = 0; i < v.u.d->n; i++) jl_push(x, l.u.l, v.u.d->k[i]);
        return l;
    }
    if (v.t == JV_STR) {
        const char *s = v.u.s.s;
        for (size_t i = 0; i < v.u.s.n;) {
            size_t k = 1;
            while (i + k < v.u.s.n && ((unsigned char)s[i + k] & 0xC0) == 0x80) k++;
            jl_push(x, l.u.l, jv_str(x, s + i, k));
            i += k;
        }
        return l;
    }
    jx_fail(x, n->line, "cannot loop over %s", jv_typename(v));
}

static void exec_for(jctx *x, const jnode *n)
{
    jv seq = as_iterable(x, n, eval(x, n->a));
    /* the `if` filter of the loop runs before loop.* is known: select first */
    jlist *items = seq.u.l;
    push_scope(x);
    if (n->c) {
        jv kept = jv_newlist(x);
        for (size_t i = 0; i < items->n; i++) {
            assign(x, n->s, n->n, items->v[i]);
            if (n->s2) {
                jv it = items->v[i];
                if (it.t != JV_LIST || it.u.l->n != 2) jx_fail(x, n->line, "cannot unpack %s into two names", jv_typename(it));
                assign(x, n->s, n->n, it.u.l->v[0]);
                assign(x, n->s2, n->n2, it.u.l->v[1]);
            }
            if (jv_truthy(eval(x, n->c))) jl_push(x, kept.u.l, items->v[i]);
        }
        items = kept.u.l;
    }
    x->nscopes--;
    size_t len = items->n;
    for (size_t i = 0; i < len; i++) {
        if (++x->iters > x->max_iters) jx_fail(x, n->line, "more than %ld loop iterations", x->max_iters);
        push_scope(x);
        jv it = items->v[i];
        if (n->s2) {
            if (it.t != JV_LIST || it.u.l->n != 2) jx_fail(x, n->line, "cannot unpack %s into two names", jv_typename(it));
            assign(x, n->s, n->n, it.u.l->v[0]);
            assign(x, n->s2, n->n2, it.u.l->v[1]);
        } else {
            assign(x, n->s, n->n, it);
        }
        jv loop = jv_newdict(x, JV_DICT);
        jd_set(x, loop.u.d, jv_cstr("index"), jv_int((long long)i + 1));
        jd_set(x, loop.u.d, jv_cstr("index0"), jv_int((long long)i));
        jd_set(x, loop.u.d, jv_cstr("revindex"), jv_int((long long)(len - i)));
        jd_set(x, loop.u.d, jv_cstr("revindex0"), jv_int((long long)(len - i - 1)));
        jd_set(x, loop.u.d, jv_cstr("first"), jv_bool(i == 0));
        jd_set(x, loop.u.d, jv_cstr("last"), jv_bool(i + 1 == len));
        jd_set(x, loop.u.d, jv_cstr("length"), jv_int((long long)len));
        jd_set(x, loop.u.d, jv_cstr("previtem"), i ? items->v[i - 1] : jv_undef());
        jd_set(x, loop.u.d, jv_cstr("nextitem"), i + 1 < len ? items->v[i + 1] : jv_undef());
        assign(x, "loop", 4, loop);
        int flow = exec_body(x, &n->body);
        x->nscopes--;
        if (flow == FLOW_BREAK) break;
    }
    if (!len && n->orelse.n) exec_body(x, &n->orelse);
}

static int exec_body(jctx *x, const jnodes *b)
{
    for (int i = 0; i < b->n; i++) {
        const jnode *n = b->v[i];
        x->line = n->line;
        switch (n->kind) {
        case JN_TEXT: out(x, n->line, n->s, n->n); break;
        case JN_OUT: {
            jv v = eval(x, n->a);
            if (v.t == JV_STR) out(x, n->line, v.u.s.s, v.u.s.n);
            else {
                jbuf buf = {0};
                jv_to_str(x, &buf, v);
                out(x, n->line, buf.s ? buf.s : "", buf.n);
            }
            break;
        }
        case JN_IF: {
            int f = exec_body(x, jv_truthy(eval(x, n->a)) ? &n->body : &n->orelse);
            if (f) return f;
            break;
        }
        case JN_FOR: exec_for(x, n); break;
        case JN_SET: {
            jv v = eval(x, n->a);
            if (n->s2) {
                jv ns;
                if (!lookup(x, n->s, n->n, &ns) || ns.t != JV_NS)
                    jx_fail(x, n->line, "set %.*s.%.*s: '%.*s' is not a namespace", (int)n->n, n->s, (int)n->n2, n->s2, (int)n->n, n->s);
                jd_set(x, ns.u.d, jv_str(x, n->s2, n->n2), v);
            } else {
                assign(x, n->s, n->n, v);
            }
            break;
        }
        case JN_BREAK: return FLOW_BREAK;
        case JN_CONTINUE: return FLOW_CONTINUE;
        default: jx_fail(x, n->line, "not a statement");
        }
    }
    return FLOW_NONE;
}

char *jinja_render(const jinja_template *t, const void *context, const jinja_limits *lim, size_t *len,
                   char *err, size_t el)
{
    static const jinja_limits defaults = {0};
    if (!lim) lim = &defaults;
    jctx x = {.err = err, .el = el, .lim = lim};
    x.max_out = lim->max_output ? lim->max_output : (size_t)16 << 20;
    x.max_mem = lim->max_memory ? lim->max_memory : (size_t)256 << 20;
    x.max_iters = lim->max_iterations ? lim->max_iterations : 1000000;
    if (setjmp(x.jb)) {
        jx_arena_free(&x);
        free(x.out);
        free(x.scopes);
        return NULL;
    }
    jv g = jv_newdict(&x, JV_DICT);
    x.globals = g.u.d;
    static const struct { const char *name; int fn; } builtins[] = {
        {"raise_exception", JF_RAISE}, {"range", JF_RANGE}, {"namespace", JF_NAMESPACE},
        {"strftime_now", JF_STRFTIME}, {"dict", JF_DICT},
    };
    for (size_t i = 0; i < sizeof builtins / sizeof *builtins; i++) {
        jv f = {.t = JV_FUNC};
        f.u.i = builtins[i].fn;
        jd_set(&x, x.globals, jv_cstr(builtins[i].name), f);
    }
    if (context) {
        jv c = jv_from_json(&x, context);
        if (c.t != JV_DICT) jx_fail(&x, 0, "the context must be an object");
        for (size_t i = 0; i < c.u.d->n; i++) jd_set(&x, x.globals, c.u.d->k[i], c.u.d->v[i]);
    }
    out(&x, 0, "", 0);
    exec_body(&x, &t->body);
    jx_arena_free(&x);
    free(x.scopes);
    *len = x.nout;
    return x.out;
}

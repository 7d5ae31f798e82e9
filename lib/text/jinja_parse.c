/*
 * jinja_parse.c — tokens to a syntax tree (see jinja_int.h for the nodes).
 *
 * Recursive descent with Jinja's precedence, loosest first:
 *   x if c else y  <  or  <  and  <  not  <  comparisons (== != < <= > >= in,
 *   not in)  <  + -  <  ~  <  * / // %  <  **  <  unary - +  <  postfix
 *   (.attr, [i], [a:b:c], (args)) with filters `| f(...)` and tests
 *   `is [not] t(...)` applied to the postfix expression.
 * Statements: if/elif/else, for (one or two targets, an `if` filter, else),
 * set (a name, or a namespace attribute), break, continue; `generation`
 * tags (transformers' assistant-mask markers) are accepted and ignored.
 * Nesting deeper than MAX_DEPTH is refused, so a hostile template cannot
 * overflow the stack here or in the evaluator.  Every node and array is
 * recorded in the template and freed with it.
 */
#include "text/jinja_int.h"
#include "base/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 200

typedef struct {
    jinja_template *t;
    jtok *tk;
    int i, n, depth;
    char *err;
    size_t el;
    jmp_buf jb;
} P;

static _Noreturn void perr(P *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void perr(P *p, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(p->err, p->el, "line %d: %s", p->tk[p->i].line, msg);
    longjmp(p->jb, 1);
}

static void *keep(P *p, void *ptr)
{
    jinja_template *t = p->t;
    if (t->nallocs == t->capallocs) {
        t->capallocs = t->capallocs ? t->capallocs * 2 : 64;
        t->allocs = xrealloc(t->allocs, sizeof(void *) * t->capallocs);
    }
    t->allocs[t->nallocs++] = ptr;
    return ptr;
}

static jnode *node(P *p, int kind)
{
    jnode *n = keep(p, xcalloc(1, sizeof *n));
    n->kind = kind;
    n->line = p->tk[p->i].line;
    return n;
}

static void add(P *p, jnodes *v, jnode *n)
{
    /* grow by doubling; the old array stays recorded (freed at the end) */
    if ((v->n & (v->n - 1)) == 0) {
        int cap = v->n ? v->n * 2 : 1;
        jnode **nv = keep(p, xmalloc(sizeof(jnode *) * (size_t)cap));
        if (v->n) memcpy(nv, v->v, sizeof(jnode *) * (size_t)v->n);
        v->v = nv;
    }
    v->v[v->n++] = n;
}

static jtok *cur(P *p) { return &p->tk[p->i]; }
static int is_op(P *p, const char *op)
{
    jtok *t = cur(p);
    return t->type == JT_OP && t->n == strlen(op) && !memcmp(t->s, op, t->n);
}
static int is_name(P *p, const char *nm)
{
    jtok *t = cur(p);
    return t->type == JT_NAME && t->n == strlen(nm) && !memcmp(t->s, nm, t->n);
}
static int accept_op(P *p, const char *op) { if (is_op(p, op)) { p->i++; return 1; } return 0; }
static int accept_name(P *p, const char *nm) { if (is_name(p, nm)) { p->i++; return 1; } return 0; }
static void expect_op(P *p, const char *op) { if (!accept_op(p, op)) perr(p, "expected '%s'", op); }
static jtok *expect_ident(P *p)
{
    if (cur(p)->type != JT_NAME) perr(p, "expected a name");
    return &p->tk[p->i++];
}

static jnode *expr(P *p);
static jnode *expr_noternary(P *p);

static void deeper(P *p) { if (++p->depth > MAX_DEPTH) perr(p, "nesting deeper than %d", MAX_DEPTH); }

/* (args, name=kw) after the '(' */
static void call_args(P *p, jnode *n)
{
    while (!accept_op(p, ")")) {
        if (cur(p)->type == JT_NAME && p->tk[p->i + 1].type == JT_OP && p->tk[p->i + 1].n == 1 && p->tk[p->i + 1].s[0] == '=') {
            jtok *nm = &p->tk[p->i];
            p->i += 2;
            int k = n->kwargs.n;
            add(p, &n->kwargs, expr(p));
            if ((k & (k - 1)) == 0) {
                int cap = k ? k * 2 : 1;
                const char **nn = keep(p, xmalloc(sizeof(char *) * (size_t)cap));
                size_t *nl = keep(p, xmalloc(sizeof(size_t) * (size_t)cap));
                if (k) { memcpy(nn, n->kwnames, sizeof(char *) * (size_t)k); memcpy(nl, n->kwlens, sizeof(size_t) * (size_t)k); }
                n->kwnames = nn;
                n->kwlens = nl;
            }
            n->kwnames[k] = nm->s;
            n->kwlens[k] = nm->n;
        } else {
            if (n->kwargs.n) perr(p, "positional argument after a keyword argument");
            add(p, &n->args, expr(p));
        }
        if (!accept_op(p, ",")) { expect_op(p, ")"); break; }
    }
}

static jnode *primary(P *p)
{
    jtok *t = cur(p);
    jnode *n;
    switch (t->type) {
    case JT_STR: {
        n = node(p, JN_LIT);
        p->i++;
        if (cur(p)->type != JT_STR) {
            n->lit.t = JV_STR;
            n->lit.u.s.s = t->s;
            n->lit.u.s.n = t->n;
            return n;
        }
        /* adjacent literals concatenate */
        size_t tot = t->n;
        int j = p->i;
        while (p->tk[j].type == JT_STR) tot += p->tk[j++].n;
        char *s = keep(p, xmalloc(tot + 1));
        memcpy(s, t->s, t->n);
        size_t k = t->n;
        while (cur(p)->type == JT_STR) { memcpy(s + k, cur(p)->s, cur(p)->n); k += cur(p)->n; p->i++; }
        n->lit.t = JV_STR;
        n->lit.u.s.s = s;
        n->lit.u.s.n = k;
        return n;
    }
    case JT_INT: n = node(p, JN_LIT); n->lit = jv_int(t->i); p->i++; return n;
    case JT_FLOAT: n = node(p, JN_LIT); n->lit = jv_float(t->f); p->i++; return n;
    case JT_NAME:
        n = node(p, JN_LIT);
        if (accept_name(p, "true") || accept_name(p, "True")) { n->lit = jv_bool(1); return n; }
        if (accept_name(p, "false") || accept_name(p, "False")) { n->lit = jv_bool(0); return n; }
        if (accept_name(p, "none") || accept_name(p, "None")) { n->lit = jv_none(); return n; }
        n->kind = JN_NAME;
        n->s = t->s;
        n->n = t->n;
        p->i++;
        return n;
    case JT_OP:
        if (accept_op(p, "(")) {
            deeper(p);
            if (accept_op(p, ")")) { p->depth--; return node(p, JN_LIST); }
            jnode *e = expr(p);
            if (is_op(p, ",")) {
                n = node(p, JN_LIST);
                add(p, &n->args, e);
                while (accept_op(p, ",") && !is_op(p, ")")) add(p, &n->args, expr(p));
                e = n;
            }
            expect_op(p, ")");
            p->depth--;
            return e;
        }
        if (accept_op(p, "[")) {
            deeper(p);
            n = node(p, JN_LIST);
            while (!accept_op(p, "]")) {
                add(p, &n->args, expr(p));
                if (!accept_op(p, ",")) { expect_op(p, "]"); break; }
            }
            p->depth--;
            return n;
        }
        if (accept_op(p, "{")) {
            deeper(p);
            n = node(p, JN_DICT);
            while (!accept_op(p, "}")) {
                add(p, &n->args, expr(p));
                expect_op(p, ":");
                add(p, &n->kwargs, expr(p));
                if (!accept_op(p, ",")) { expect_op(p, "}"); break; }
            }
            p->depth--;
            return n;
        }
        /* fallthrough */
    default:
        perr(p, "unexpected %s", t->type == JT_EOF ? "end of template" : t->type == JT_OP ? "operator" : "token");
    }
}

/* filters and tests applied to a postfix expression */
static jnode *filters(P *p, jnode *e)
{
    for (;;) {
        if (accept_op(p, "|")) {
            jtok *nm = expect_ident(p);
            jnode *f = node(p, JN_FILTER);
            f->a = e;
            f->s = nm->s;
            f->n = nm->n;
            if (accept_op(p, "(")) call_args(p, f);
            e = f;
        } else if (is_name(p, "is")) {
            p->i++;
            jnode *f = node(p, JN_TEST);
            f->op = accept_name(p, "not");
            jtok *nm = cur(p);
            /* none/true/false are names of tests here, not literals */
            if (nm->type != JT_NAME) perr(p, "expected a test name after 'is'");
            p->i++;
            f->a = e;
            f->s = nm->s;
            f->n = nm->n;
            if (accept_op(p, "(")) call_args(p, f);
            else if (cur(p)->type == JT_STR || cur(p)->type == JT_INT || cur(p)->type == JT_FLOAT ||
                     (cur(p)->type == JT_NAME && !is_name(p, "and") && !is_name(p, "or") && !is_name(p, "else") &&
                      !is_name(p, "if") && !is_name(p, "is") && !is_name(p, "in") && !is_name(p, "not")))
                add(p, &f->args, primary(p));   /* `is equalto 3`, `is sameas none` */
            e = f;
        } else {
            return e;
        }
    }
}

static jnode *postfix(P *p)
{
    jnode *e = primary(p);
    for (;;) {
        if (accept_op(p, ".")) {
            jtok *nm = cur(p);
            if (nm->type != JT_NAME && nm->type != JT_INT) perr(p, "expected an attribute name after '.'");
            p->i++;
            jnode *a = node(p, JN_ATTR);
            a->a = e;
            if (nm->type == JT_NAME) { a->s = nm->s; a->n = nm->n; }
            else { a->kind = JN_INDEX; a->b = node(p, JN_LIT); a->b->lit = jv_int(nm->i); }
            e = a;
        } else if (accept_op(p, "[")) {
            deeper(p);
            jnode *ix = node(p, JN_INDEX);
            ix->a = e;
            jnode *parts[3] = {0};
            int k = 0, slice = 0;
            for (;;) {
                if (is_op(p, ":")) { p->i++; slice = 1; if (++k > 2) perr(p, "too many ':' in a slice"); continue; }
                if (is_op(p, "]")) break;
                if (parts[k]) perr(p, "expected ':' or ']'");
                parts[k] = expr(p);
            }
            expect_op(p, "]");
            if (slice) { ix->kind = JN_SLICE; ix->b = parts[0]; ix->c = parts[1]; ix->d = parts[2]; }
            else if (!parts[0]) perr(p, "empty subscript");
            else ix->b = parts[0];
            p->depth--;
            e = ix;
        } else if (accept_op(p, "(")) {
            deeper(p);
            jnode *c = node(p, JN_CALL);
            c->a = e;
            call_args(p, c);
            p->depth--;
            e = c;
        } else {
            return filters(p, e);
        }
    }
}

static jnode *unary(P *p)
{
    if (is_op(p, "-") || is_op(p, "+")) {
        jnode *n = node(p, is_op(p, "-") ? JN_NEG : JN_POS);
        p->i++;
        deeper(p);
        n->a = unary(p);
        p->depth--;
        return n;
    }
    return postfix(p);
}

static jnode *bin(P *p, int op, jnode *a, jnode *b)
{
    jnode *n = node(p, JN_BIN);
    n->op = op;
    n->a = a;
    n->b = b;
    n->line = a->line;
    return n;
}

static jnode *power(P *p)
{
    jnode *e = unary(p);
    while (accept_op(p, "**")) e = bin(p, JB_POW, e, unary(p));
    return e;
}

static jnode *term(P *p)
{
    jnode *e = power(p);
    for (;;) {
        if (accept_op(p, "*")) e = bin(p, JB_MUL, e, power(p));
        else if (accept_op(p, "//")) e = bin(p, JB_FLOORDIV, e, power(p));
        else if (accept_op(p, "/")) e = bin(p, JB_DIV, e, power(p));
        else if (accept_op(p, "%")) e = bin(p, JB_MOD, e, power(p));
        else return e;
    }
}

static jnode *concat(P *p)
{
    jnode *e = term(p);
    while (accept_op(p, "~")) e = bin(p, JB_CONCAT, e, term(p));
    return e;
}

static jnode *arith(P *p)
{
    jnode *e = concat(p);
    for (;;) {
        if (accept_op(p, "+")) e = bin(p, JB_ADD, e, concat(p));
        else if (accept_op(p, "-")) e = bin(p, JB_SUB, e, concat(p));
        else return e;
    }
}

static jnode *compare(P *p)
{
    jnode *e = arith(p);
    for (;;) {
        int op = -1;
        if (accept_op(p, "==")) op = JB_EQ;
        else if (accept_op(p, "!=")) op = JB_NE;
        else if (accept_op(p, "<=")) op = JB_LE;
        else if (accept_op(p, ">=")) op = JB_GE;
        else if (accept_op(p, "<")) op = JB_LT;
        else if (accept_op(p, ">")) op = JB_GT;
        else if (accept_name(p, "in")) op = JB_IN;
        else if (is_name(p, "not") && p->tk[p->i + 1].type == JT_NAME && p->tk[p->i + 1].n == 2 &&
                 !memcmp(p->tk[p->i + 1].s, "in", 2)) { p->i += 2; op = JB_NOTIN; }
        if (op < 0) return e;
        e = bin(p, op, e, arith(p));
    }
}

static jnode *not_(P *p)
{
    if (is_name(p, "not")) {
        jnode *n = node(p, JN_NOT);
        p->i++;
        deeper(p);
        n->a = not_(p);
        p->depth--;
        return n;
    }
    return compare(p);
}

static jnode *and_(P *p)
{
    jnode *e = not_(p);
    while (is_name(p, "and")) {
        jnode *n = node(p, JN_AND);
        p->i++;
        n->a = e;
        n->b = not_(p);
        e = n;
    }
    return e;
}

static jnode *expr_noternary(P *p)
{
    jnode *e = and_(p);
    while (is_name(p, "or")) {
        jnode *n = node(p, JN_OR);
        p->i++;
        n->a = e;
        n->b = and_(p);
        e = n;
    }
    return e;
}

static jnode *expr(P *p)
{
    deeper(p);
    jnode *e = expr_noternary(p);
    while (is_name(p, "if")) {
        jnode *n = node(p, JN_COND);
        p->i++;
        n->a = e;
        n->b = expr_noternary(p);
        if (accept_name(p, "else")) n->c = expr(p);
        e = n;
    }
    p->depth--;
    return e;
}

/* ---- statements ---- */

static void body(P *p, jnodes *out, const char *const *ends);

static void stmt_close(P *p)
{
    if (cur(p)->type != JT_STMT_CLOSE) perr(p, "expected '%%}'");
    p->i++;
}

/* the name of the statement after {% (cursor left on it) */
static int at_stmt(P *p, const char *nm)
{
    return cur(p)->type == JT_STMT_OPEN && p->tk[p->i + 1].type == JT_NAME && p->tk[p->i + 1].n == strlen(nm) &&
           !memcmp(p->tk[p->i + 1].s, nm, p->tk[p->i + 1].n);
}

static jnode *stmt_if(P *p)
{
    jnode *n = node(p, JN_IF);
    n->a = expr(p);
    stmt_close(p);
    static const char *const ends[] = {"elif", "else", "endif", NULL};
    body(p, &n->body, ends);
    if (at_stmt(p, "elif")) {
        p->i += 2;
        deeper(p);
        add(p, &n->orelse, stmt_if(p));
        p->depth--;
        return n;
    }
    if (at_stmt(p, "else")) {
        p->i += 2;
        stmt_close(p);
        static const char *const e2[] = {"endif", NULL};
        body(p, &n->orelse, e2);
    }
    if (!at_stmt(p, "endif")) perr(p, "expected endif");
    p->i += 2;
    stmt_close(p);
    return n;
}

static jnode *stmt_for(P *p)
{
    jnode *n = node(p, JN_FOR);
    int paren = accept_op(p, "(");
    jtok *t1 = expect_ident(p);
    n->s = t1->s;
    n->n = t1->n;
    if (accept_op(p, ",")) {
        jtok *t2 = expect_ident(p);
        n->s2 = t2->s;
        n->n2 = t2->n;
    }
    if (paren) expect_op(p, ")");
    if (!accept_name(p, "in")) perr(p, "expected 'in' in a for loop");
    n->a = expr_noternary(p);
    if (accept_name(p, "if")) n->c = expr_noternary(p);
    if (accept_name(p, "recursive")) perr(p, "unsupported: recursive loops");
    stmt_close(p);
    static const char *const ends[] = {"else", "endfor", NULL};
    body(p, &n->body, ends);
    if (at_stmt(p, "else")) {
        p->i += 2;
        stmt_close(p);
        static const char *const e2[] = {"endfor", NULL};
        body(p, &n->orelse, e2);
    }
    if (!at_stmt(p, "endfor")) perr(p, "expected endfor");
    p->i += 2;
    stmt_close(p);
    return n;
}

static jnode *stmt_set(P *p)
{
    jnode *n = node(p, JN_SET);
    jtok *t = expect_ident(p);
    n->s = t->s;
    n->n = t->n;
    if (accept_op(p, ".")) {
        jtok *a = expect_ident(p);
        n->s2 = a->s;
        n->n2 = a->n;
    }
    if (!accept_op(p, "=")) perr(p, "unsupported: block set (set without '=')");
    n->a = expr(p);
    stmt_close(p);
    return n;
}

static void body(P *p, jnodes *out, const char *const *ends)
{
    deeper(p);
    for (;;) {
        jtok *t = cur(p);
        if (t->type == JT_EOF) {
            if (ends) perr(p, "unexpected end of template (expected %s)", ends[0]);
            break;
        }
        if (t->type == JT_TEXT) {
            jnode *n = node(p, JN_TEXT);
            n->s = t->s;
            n->n = t->n;
            add(p, out, n);
            p->i++;
            continue;
        }
        if (t->type == JT_VAR_OPEN) {
            p->i++;
            jnode *n = node(p, JN_OUT);
            n->a = expr(p);
            if (cur(p)->type != JT_VAR_CLOSE) perr(p, "expected '}}'");
            p->i++;
            add(p, out, n);
            continue;
        }
        if (t->type != JT_STMT_OPEN) perr(p, "unexpected token");
        jtok *nm = &p->tk[p->i + 1];
        if (nm->type != JT_NAME) { p->i++; perr(p, "expected a statement name"); }
        for (int k = 0; ends && ends[k]; k++)
            if (nm->n == strlen(ends[k]) && !memcmp(nm->s, ends[k], nm->n)) { p->depth--; return; }
        p->i += 2;
#define IS(w) (nm->n == sizeof(w) - 1 && !memcmp(nm->s, w, nm->n))
        if (IS("if")) add(p, out, stmt_if(p));
        else if (IS("for")) add(p, out, stmt_for(p));
        else if (IS("set")) add(p, out, stmt_set(p));
        else if (IS("break") || IS("continue")) {
            add(p, out, node(p, IS("break") ? JN_BREAK : JN_CONTINUE));
            stmt_close(p);
        } else if (IS("generation") || IS("endgeneration")) {
            stmt_close(p);
        } else {
            p->i--;
            perr(p, "unsupported statement '%.*s'", (int)(nm->n > 40 ? 40 : nm->n), nm->s);
        }
#undef IS
    }
    p->depth--;
}

jinja_template *jinja_parse_tokens(char *src, jtok *toks, int ntoks, char *err, size_t el)
{
    jinja_template *t = xcalloc(1, sizeof *t);
    t->src = src;
    t->toks = toks;
    t->ntoks = ntoks;
    P p = {.t = t, .tk = toks, .n = ntoks, .err = err, .el = el};
    if (setjmp(p.jb)) { jinja_free(t); return NULL; }
    body(&p, &t->body, NULL);
    return t;
}

jinja_template *jinja_parse(const char *src, size_t len, char *err, size_t el)
{
    char *copy = xmalloc(len + 1);
    memcpy(copy, src, len);
    copy[len] = 0;
    jtok *toks;
    int n;
    if (jinja_lex(copy, len, &toks, &n, err, el)) { free(copy); return NULL; }
    return jinja_parse_tokens(copy, toks, n, err, el);
}

void jinja_free(jinja_template *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->nallocs; i++) free(t->allocs[i]);
    free(t->allocs);
    jinja_toks_free(t->toks, t->ntoks);
    free(t->src);
    free(t);
}

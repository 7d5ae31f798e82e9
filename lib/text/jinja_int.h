/*
 * jinja_int.h — the pieces of the Jinja subset shared by its files:
 * tokens (jinja_lex.c), the syntax tree (jinja_parse.c), values and their
 * arena (jinja_value.c), the evaluator (jinja_eval.c) and the filters, tests
 * and methods (jinja_filters.c).
 *
 * Values are small structs passed by value; strings, lists and dicts point
 * into the render's arena and are immutable except a namespace's
 * attributes (what `set ns.x = ...` writes), so sharing them is safe.
 * Errors unwind with longjmp to jinja_render, which frees the arena.
 */
#ifndef PREFPIPE_JINJA_INT_H
#define PREFPIPE_JINJA_INT_H

#include "text/jinja.h"

#include <setjmp.h>
#include <stddef.h>

/* ---- tokens ---- */
enum { JT_TEXT, JT_VAR_OPEN, JT_VAR_CLOSE, JT_STMT_OPEN, JT_STMT_CLOSE, JT_NAME, JT_STR, JT_INT, JT_FLOAT, JT_OP, JT_EOF };

typedef struct {
    int type, line;
    const char *s;      /* JT_TEXT, JT_NAME, JT_OP: into the source; JT_STR: malloc'd, unescaped */
    size_t n;
    long long i;
    double f;
} jtok;

/* Tokenize; *toks malloc'd (free with jinja_toks_free).  -1 + message. */
int jinja_lex(const char *src, size_t len, jtok **toks, int *ntoks, char *err, size_t el);
void jinja_toks_free(jtok *toks, int n);

/* ---- values ---- */
typedef enum { JV_UNDEF, JV_NONE, JV_BOOL, JV_INT, JV_FLOAT, JV_STR, JV_LIST, JV_DICT, JV_NS, JV_FUNC } jv_type;

typedef struct jlist jlist;
typedef struct jdict jdict;

typedef struct {
    jv_type t;
    union {
        long long i;          /* JV_BOOL, JV_INT, JV_FUNC (which builtin) */
        double f;
        struct { const char *s; size_t n; } s;
        jlist *l;
        jdict *d;             /* JV_DICT, JV_NS */
    } u;
} jv;

struct jlist { jv *v; size_t n, cap; };
struct jdict { jv *k, *v; size_t n, cap; };   /* insertion order; keys are JV_STR */

enum { JF_RAISE = 1, JF_RANGE, JF_NAMESPACE, JF_STRFTIME, JF_DICT };

/* ---- syntax tree ---- */
enum {
    /* statements */
    JN_TEXT, JN_OUT, JN_IF, JN_FOR, JN_SET, JN_BREAK, JN_CONTINUE,
    /* expressions */
    JN_LIT, JN_NAME, JN_ATTR, JN_INDEX, JN_SLICE, JN_CALL, JN_FILTER, JN_TEST, JN_NEG, JN_POS, JN_NOT,
    JN_BIN, JN_AND, JN_OR, JN_COND, JN_LIST, JN_DICT
};

typedef struct jnode jnode;
typedef struct { jnode **v; int n; } jnodes;

struct jnode {
    int kind, line;
    int op;                 /* JN_BIN: operator (an enum below); JN_TEST: negated */
    const char *s;          /* name (JN_NAME/JN_ATTR/JN_FILTER/JN_TEST/JN_SET target, JN_TEXT text) */
    size_t n;
    const char *s2;         /* JN_SET: attribute of a namespace; JN_FOR: second target */
    size_t n2;
    jnode *a, *b, *c, *d;   /* operands; JN_FOR: a = iterable, c = filter condition */
    jnodes args, kwargs;    /* JN_CALL/JN_FILTER/JN_TEST arguments; JN_LIST items; JN_DICT keys/values */
    const char **kwnames;   /* JN_CALL/JN_FILTER: names of kwargs */
    size_t *kwlens;
    jnodes body, orelse;    /* JN_IF / JN_FOR */
    jv lit;                 /* JN_LIT (strings point into the template) */
};

enum { JB_ADD, JB_SUB, JB_MUL, JB_DIV, JB_FLOORDIV, JB_MOD, JB_POW, JB_CONCAT,
       JB_EQ, JB_NE, JB_LT, JB_LE, JB_GT, JB_GE, JB_IN, JB_NOTIN };

struct jinja_template {
    jnodes body;
    jtok *toks;             /* kept: nodes point into token text */
    int ntoks;
    char *src;              /* a private copy of the source */
    void **allocs;          /* every node and array, freed with the template */
    size_t nallocs, capallocs;
};

/* ---- rendering state ---- */
typedef struct jarena jarena;

typedef struct {
    jmp_buf jb;
    char *err;
    size_t el;
    jarena *arena;
    size_t mem, max_mem;
    long iters, max_iters;
    char *out;
    size_t nout, capout, max_out;
    jdict *globals;         /* the context + builtins */
    jdict **scopes;         /* innermost last: for-loop bodies push one */
    int nscopes, capscopes;
    const jinja_limits *lim;
    int line;               /* the line being evaluated, for messages */
} jctx;

/* arena and errors (jinja_value.c) */
void *jx_alloc(jctx *x, size_t n);
_Noreturn void jx_fail(jctx *x, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void jx_arena_free(jctx *x);

/* values (jinja_value.c) */
jv jv_str(jctx *x, const char *s, size_t n);     /* copies */
jv jv_cstr(const char *s);                        /* static text, not copied */
jv jv_int(long long i);
jv jv_float(double f);
jv jv_bool(int b);
jv jv_none(void);
jv jv_undef(void);
jv jv_newlist(jctx *x);
jv jv_newdict(jctx *x, jv_type t);
void jl_push(jctx *x, jlist *l, jv v);
void jd_set(jctx *x, jdict *d, jv key, jv v);
int jd_get(const jdict *d, const char *k, size_t n, jv *out);
int jv_truthy(jv v);
int jv_equal(jv a, jv b);
int jv_compare(jctx *x, int line, jv a, jv b);   /* <0, 0, >0; numbers or strings */
const char *jv_typename(jv v);
/* append the Python str() of v (what {{ v }} writes) / its json.dumps */
typedef struct { char *s; size_t n, cap; } jbuf;
void jb_put(jctx *x, jbuf *b, const char *s, size_t n);
void jv_to_str(jctx *x, jbuf *b, jv v);
void jv_to_json(jctx *x, jbuf *b, jv v, int indent, int depth);
jv jv_stringify(jctx *x, jv v);                  /* v as a JV_STR */
jv jv_from_json(jctx *x, const void *json);      /* json_t * */

/* filters, tests, methods (jinja_filters.c) */
jv jx_filter(jctx *x, const jnode *n, jv v, const jv *args, int nargs, const jv *kw, const char **kwn, const size_t *kwl, int nkw);
int jx_test(jctx *x, const jnode *n, jv v, const jv *args, int nargs);
jv jx_method(jctx *x, const jnode *n, jv obj, const char *name, size_t nl, const jv *args, int nargs);
int jx_has_method(jv obj, const char *name, size_t nl);
jv jx_call_builtin(jctx *x, const jnode *n, int fn, const jv *args, int nargs, const jv *kw, const char **kwn, const size_t *kwl, int nkw);

/* parse (jinja_parse.c) */
jinja_template *jinja_parse_tokens(char *src, jtok *toks, int ntoks, char *err, size_t el);

#endif

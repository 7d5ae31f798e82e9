/*
 * codeexec.c — HumanEval+ / MBPP+ execution (codeexec.h).
 *
 * The code of a response: when the assistant prefix opened a ```python
 * block, the text up to the first ``` (the model closing it); otherwise
 * the first fenced block's body if there is one, else the whole text.  A
 * HumanEval completion continues the prompt's function, so the program is
 * prompt + code; when the code defines the entry point itself it simply
 * follows the prompt (the prompt's stub, a signature and docstring, is a
 * valid function that the new definition replaces), keeping its imports.
 *
 * The harness (codeexec_int.h) reads the job — a JSON object with the
 * token — from stdin and closes it before any generated code runs, keeps
 * the token in a local, computes the reference outputs first, then loads
 * the program, checks it on the base inputs (or, for records without
 * n_base, runs base_test on a copy of its namespace) and on the plus
 * inputs, and writes "TOKEN BASE PLUS" to fd 3.  It withstands
 * crashes, early exits, loops, forks, output floods and resource abuse
 * (the sandbox's limits); code written to cheat it by introspection
 * (walking frames to find the token) is out of scope, as in EvalPlus.
 */
#include "eval/codeexec.h"
#include "eval/codeexec_int.h"
#include "eval/common.h"
#include "io/record.h"
#include "base/util.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *find(const char *s, size_t n, const char *pat)
{
    return memmem(s, n, pat, strlen(pat));
}

char *codeexec_program(const char *resp, size_t rn, const char *prefix, size_t pn, int in_fence,
                       const char *entry)
{
    const char *c = resp;
    size_t cn = rn;
    const char *f = find(resp, rn, "```");
    if (in_fence) {
        if (f)
            cn = (size_t)(f - resp);
    } else if (f) {
        const char *nl = memchr(f, '\n', rn - (size_t)(f - resp));
        if (nl) {
            c = nl + 1;
            cn = rn - (size_t)(c - resp);
            const char *e = find(c, cn, "```");
            if (e)
                cn = (size_t)(e - c);
        }
    }
    char def[300];
    snprintf(def, sizeof def, "def %s(", entry);
    int defines = find(c, cn, def) != NULL;
    size_t n = pn + 1 + cn;
    char *p = xmalloc(n + 2);
    memcpy(p, prefix, pn);
    size_t k = pn;
    if (defines && pn)
        p[k++] = '\n';
    memcpy(p + k, c, cn);
    k += cn;
    p[k++] = '\n';
    p[k] = 0;
    return p;
}

static int gold_s(const msgpack_object *g, const char *key, const char **s, size_t *n, char *err, size_t ec)
{
    if (rec_get_str(g, key, s, n) != 1) {
        snprintf(err, ec, "no string gold.%s (load the prompts with bench-load --format humaneval-plus or mbpp-plus)",
                 key);
        return -1;
    }
    return 0;
}

/* The names the harness knows (codeexec_int.h); anything else is an error
 * here rather than a harness crash that would read as a failing sample. */
static int known(const char *const *names, const char *s, size_t n)
{
    for (; *names; names++)
        if (strlen(*names) == n && !memcmp(*names, s, n))
            return 1;
    return 0;
}
static const char *const forms[] = {"", "args-tuples", "args-tuple-lists", "first-tuple-list", "second-tuple",
                                    "first-sets", "float-complex", "first-tuple", "args-tuple-tuples",
                                    "first-tuple-of-tuples", "first-tuple-3", "first-dict-tuples", "complex",
                                    "all-tuples", NULL};
static const char *const oracles[] = {"",    "always",   "or-zero",  "surface-area", "digit-distance",
                                      "set", "not-none", "poly-root", NULL};

static void random_token(char *out, size_t cap)
{
    unsigned char b[16] = {0};
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, b, sizeof b) != (ssize_t)sizeof b)
        die(EX_OSERR, "cannot read /dev/urandom for the verdict token");
    close(fd);
    for (size_t i = 0; i < sizeof b && 2 * i + 2 < cap; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

int codeexec_run(const sandbox_opts *o, const char *python, const msgpack_object *rec, codeexec_result *r,
                 char *err, size_t ec)
{
    memset(r, 0, sizeof *r);
    const char *resp, *entry, *prefix, *base, *ref, *inputs;
    size_t rn, en, pn, bn, fn, in_n;
    if (eval_response(rec, &resp, &rn, err, ec) < 0)
        return -1;
    const msgpack_object *g = eval_gold(rec);
    if (!g) {
        snprintf(err, ec, "no gold map");
        return -1;
    }
    int64_t nbase = -1;
    if (rec_get(g, "n_base") && (rec_get_i64(g, "n_base", &nbase) != 1 || nbase < 0)) {
        snprintf(err, ec, "gold.n_base must be a count (a non-negative integer)");
        return -1;
    }
    if (gold_s(g, "entry_point", &entry, &en, err, ec) < 0 || gold_s(g, "program_prefix", &prefix, &pn, err, ec) < 0 ||
        gold_s(g, "reference", &ref, &fn, err, ec) < 0 || gold_s(g, "inputs", &inputs, &in_n, err, ec) < 0)
        return -1;
    base = "", bn = 0; /* the dataset's asserts: the base verdict only without n_base */
    if (nbase < 0 && gold_s(g, "base_test", &base, &bn, err, ec) < 0)
        return -1;
    const char *form = "", *oracle = "";
    size_t formn = 0, oraclen = 0;
    if ((rec_get(g, "input_form") && gold_s(g, "input_form", &form, &formn, err, ec) < 0) ||
        (rec_get(g, "oracle") && gold_s(g, "oracle", &oracle, &oraclen, err, ec) < 0))
        return -1;
    if (!known(forms, form, formn) || !known(oracles, oracle, oraclen)) {
        snprintf(err, ec, "unknown gold.%s '%.*s'", known(forms, form, formn) ? "oracle" : "input_form",
                 (int)(known(forms, form, formn) ? oraclen : formn), known(forms, form, formn) ? oracle : form);
        return -1;
    }
    const msgpack_object *fe = rec_get(g, "prefix_in_fence");
    int in_fence = fe && fe->type == MSGPACK_OBJECT_BOOLEAN && fe->via.boolean;
    double atol = 0;
    rec_get_f64(g, "atol", &atol);
    char *ename = xstrndup(entry, en);
    char *prog = codeexec_program(resp, rn, prefix, pn, in_fence, ename);
    char token[40];
    random_token(token, sizeof token);
    json_t *job = json_object();
    json_object_set_new(job, "token", json_string(token));
    json_object_set_new(job, "entry_point", json_stringn(entry, en));
    json_object_set_new(job, "program", json_string(prog));
    json_object_set_new(job, "base_test", json_stringn(base, bn));
    json_object_set_new(job, "reference", json_stringn(ref, fn));
    json_object_set_new(job, "inputs", json_stringn(inputs, in_n));
    json_object_set_new(job, "atol", json_real(atol));
    json_object_set_new(job, "n_base", json_integer(nbase));
    json_object_set_new(job, "input_form", json_stringn(form, formn));
    json_object_set_new(job, "oracle", json_stringn(oracle, oraclen));
    char *js = json_dumps(job, JSON_COMPACT);
    json_decref(job);
    free(prog);
    free(ename);
    if (!js) {
        snprintf(err, ec, "the job is not valid UTF-8 text");
        return -1;
    }
    char *argv[] = {(char *)python, "-I", "-c", (char *)codeexec_harness, NULL};
    sandbox_result sr;
    int rc = sandbox_run(o, argv, js, strlen(js), &sr, err, ec);
    free(js);
    if (rc < 0)
        return -1;
    r->wall_s = sr.wall_s;
    r->code = sr.code;
    size_t tl = strlen(token);
    int b = 0, p = 0;
    if (sr.how == SB_TIMEOUT)
        r->status = "timeout";
    else if (sr.how == SB_SIGNALED)
        r->status = "killed";
    else if (sr.how == SB_EXITED && sr.code == 127)
        r->status = "no-python";
    else if (strncmp(sr.verdict, token, tl) == 0 && sscanf(sr.verdict + tl, " %d %d", &b, &p) == 2 &&
             sr.how == SB_EXITED && sr.code == 0)
        r->status = "ok";
    else
        r->status = sr.how == SB_EXITED && sr.code ? "exit" : "no-verdict";
    if (strcmp(r->status, "ok")) {
        b = p = 0;
        if (!strcmp(r->status, "no-python")) {
            snprintf(err, ec, "cannot run %s in the sandbox", python);
            return -1;
        }
    }
    r->base = b == 1, r->plus = p == 1, r->pass = r->base && r->plus;
    return 0;
}

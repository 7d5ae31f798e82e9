/*
 * load_code.c — HumanEval+ and MBPP+ (EvalPlus jsonl, gzip or plain) ->
 * prompt records for code-exec (bench-load --format humaneval-plus /
 * mbpp-plus; the gold fields are described in codeexec.h).
 *
 * The EvalPlus lines cannot go through a JSON parser whole: their inputs
 * hold integers beyond 64 bits and (one MBPP+ task) NaN/Infinity, which
 * Python's json writes and reads but strict JSON does not.  So each line
 * is walked as text: the top-level members' value spans are found by a
 * small scanner (strings with escapes, nesting), the string fields are
 * parsed one by one, and base_input/plus_input are copied as raw text into
 * one JSON array (the harness reads it with Python's json), n_base saying
 * where the base inputs end.  What JSON cannot hold (tuples, sets,
 * complex numbers) EvalPlus rebuilds per task when it loads MBPP+; the
 * same rules go into gold.input_form, and its special oracles, chosen by
 * entry point, into gold.oracle (both applied by code-exec's harness).
 * The dataset's own asserts stay in base_test, for reading; the verdicts
 * use the inputs, as EvalPlus does (MBPP+'s assertion field even uses
 * math.isclose without importing math).
 *
 * Prompts (chat): HumanEval as open-instruct's codex_humaneval chat
 * format — user "Complete the following python function.\n\n\n" + prompt,
 * the assistant turn beginning "Here is the completed function:\n\n\n
 * ```python\n" + prompt — since the HumanEvalPack instructions the paper
 * used are not in ../shared/data; MBPP the same instruction over its
 * docstring prompt, the assistant opening the code block.  Plain: the
 * prompt text alone.
 */
#include "eval/load_int.h"
#include "io/record.h"
#include "base/util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *k, *v;      /* key (without quotes), value text */
    size_t kn, vn;
} member;

static size_t skip_ws(const char *s, size_t n, size_t i)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    return i;
}

/* End of the string starting at s[i] == '"' (index after the quote), or 0. */
static size_t skip_string(const char *s, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return 0;
}

/* End of the value at s[i], or 0 when it is malformed. */
static size_t skip_value(const char *s, size_t n, size_t i)
{
    if (i >= n)
        return 0;
    if (s[i] == '"')
        return skip_string(s, n, i);
    if (s[i] == '[' || s[i] == '{') {
        int depth = 0;
        for (; i < n; i++) {
            if (s[i] == '"') {
                size_t e = skip_string(s, n, i);
                if (!e)
                    return 0;
                i = e - 1;
            } else if (s[i] == '[' || s[i] == '{') {
                depth++;
            } else if (s[i] == ']' || s[i] == '}') {
                if (--depth == 0)
                    return i + 1;
            }
        }
        return 0;
    }
    size_t b = i;
    while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\n')
        i++;
    return i > b ? i : 0;
}

/* The top-level members of an object; count, or -1 when malformed. */
static int members(const char *s, size_t n, member *m, int cap)
{
    size_t i = skip_ws(s, n, 0);
    if (i >= n || s[i] != '{')
        return -1;
    int k = 0;
    i = skip_ws(s, n, i + 1);
    if (i < n && s[i] == '}')
        return 0;
    while (i < n) {
        if (s[i] != '"')
            return -1;
        size_t ke = skip_string(s, n, i);
        if (!ke)
            return -1;
        size_t c = skip_ws(s, n, ke);
        if (c >= n || s[c] != ':')
            return -1;
        size_t vb = skip_ws(s, n, c + 1), ve = skip_value(s, n, vb);
        if (!ve)
            return -1;
        if (k < cap)
            m[k++] = (member){s + i + 1, s + vb, ke - i - 2, ve - vb};
        i = skip_ws(s, n, ve);
        if (i < n && s[i] == '}')
            return k;
        if (i >= n || s[i] != ',')
            return -1;
        i = skip_ws(s, n, i + 1);
    }
    return -1;
}

static const member *get(const member *m, int k, const char *key)
{
    for (int i = 0; i < k; i++)
        if (m[i].kn == strlen(key) && memcmp(m[i].k, key, m[i].kn) == 0)
            return &m[i];
    return NULL;
}

/* A string member, parsed (malloc'd); dies naming the line when absent. */
static char *str_member(const member *m, int k, const char *key, const char *path, const char *where)
{
    const member *x = get(m, k, key);
    json_error_t je;
    json_t *v = x ? json_loadb(x->v, x->vn, JSON_DECODE_ANY, &je) : NULL;
    if (!json_is_string(v))
        die(EX_DATAERR, "%s: %s: no string field '%s'", shown(path), where, key);
    char *r = xstrndup(json_string_value(v), json_string_length(v));
    json_decref(v);
    return r;
}

/* "[" base elements "," plus elements "]" from the two arrays' text. */
static char *join_inputs(const member *b, const member *p, const char *path, const char *where)
{
    const member *a[2] = {b, p};
    size_t cap = 3 + (b ? b->vn : 0) + (p ? p->vn : 0);
    char *o = xmalloc(cap), *w = o;
    *w++ = '[';
    int any = 0;
    for (int i = 0; i < 2; i++) {
        if (!a[i] || (a[i]->vn == 2 && !memcmp(a[i]->v, "{}", 2)))
            continue; /* absent, or {}: MBPP+ writes no plus inputs so */
        if (a[i]->vn < 2 || a[i]->v[0] != '[' || a[i]->v[a[i]->vn - 1] != ']')
            die(EX_DATAERR, "%s: %s: base_input/plus_input must be arrays", shown(path), where);
        size_t in = skip_ws(a[i]->v, a[i]->vn - 1, 1);
        if (in >= a[i]->vn - 1)
            continue; /* empty */
        if (any)
            *w++ = ',';
        memcpy(w, a[i]->v + 1, a[i]->vn - 2);
        w += a[i]->vn - 2;
        any = 1;
    }
    *w++ = ']';
    *w = 0;
    return o;
}

/* Elements of a JSON array's text (base_input), by the same scanner. */
static long count_elems(const member *a)
{
    if (!a || a->vn < 2 || a->v[0] != '[')
        return 0;
    size_t i = skip_ws(a->v, a->vn, 1);
    long k = 0;
    while (i < a->vn && a->v[i] != ']') {
        size_t e = skip_value(a->v, a->vn, i);
        if (!e)
            return -1;
        k++;
        i = skip_ws(a->v, a->vn, e);
        if (i < a->vn && a->v[i] == ',')
            i = skip_ws(a->v, a->vn, i + 1);
    }
    return k;
}

/* How EvalPlus rebuilds the arguments of MBPP+ tasks whose inputs JSON
 * cannot hold (tuples, sets, complex numbers): evalplus/data/mbpp.py's
 * mbpp_deserialize_inputs, as a rule name per task number that the
 * harness (codeexec_int.h) applies.  Same table for v0.1.0 and v0.2.0. */
static const struct {
    const char *form;
    int ids[24];
} mbpp_forms[] = {
    {"args-tuples", {2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579, 596, 616, 630, 726,
                     740, 744, 809}},
    {"args-tuple-lists", {63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780}},
    {"first-tuple-list", {75, 413, 444, 753}},
    {"second-tuple", {106, 750}},
    {"first-sets", {115}},
    {"float-complex", {124}},
    {"first-tuple", {250, 405, 446, 617, 720, 763, 808}},
    {"args-tuple-tuples", {259, 401, 445}},
    {"first-tuple-of-tuples", {278}},
    {"first-tuple-3", {307}},
    {"first-dict-tuples", {722}},
    {"complex", {252}},
    {"all-tuples", {580, 615, 791}},
};

/* EvalPlus' special oracles (evalplus/eval/_special_oracle.py and the
 * comparison in evalplus/eval/__init__.py), by entry point. */
static const struct {
    int mbpp;
    const char *entry, *oracle;
} oracles[] = {
    {1, "are_equivalent", "always"},       {1, "sum_div", "or-zero"},
    {1, "surface_Area", "surface-area"},   {1, "digit_distance_nums", "digit-distance"},
    {1, "check_str", "not-none"},          {1, "text_match_three", "not-none"},
    {1, "text_starta_endb", "not-none"},   {1, "similar_elements", "set"},
    {1, "find_char_long", "set"},          {1, "common_in_nested_lists", "set"},
    {1, "extract_singly", "set"},          {1, "larg_nnum", "set"},
    {1, "intersection_array", "set"},      {1, "find_dissimilar", "set"},
    {1, "Diff", "set"},                    {0, "find_zero", "poly-root"},
};

static const char *input_form(const char *task, int mbpp)
{
    const char *slash = strrchr(task, '/');
    if (!mbpp || !slash)
        return "";
    int id = atoi(slash + 1);
    for (size_t i = 0; i < sizeof mbpp_forms / sizeof *mbpp_forms; i++)
        for (int j = 0; j < 24 && mbpp_forms[i].ids[j]; j++)
            if (mbpp_forms[i].ids[j] == id)
                return mbpp_forms[i].form;
    return "";
}

static const char *oracle_of(const char *entry, int mbpp)
{
    for (size_t i = 0; i < sizeof oracles / sizeof *oracles; i++)
        if (oracles[i].mbpp == mbpp && !strcmp(oracles[i].entry, entry))
            return oracles[i].oracle;
    return "";
}

static const char instr[] = "Complete the following python function.\n\n\n";
static const char asst[] = "Here is the completed function:\n\n\n```python\n";

void bench_load_code(const char *path, int mbpp, const bench_opts *o, rstream *out)
{
    bsrc *s = open_src(path);
    group g;
    group_init(&g);
    char *line, where[64], id[160];
    size_t len;
    int r;
    member m[32];
    while ((r = bsrc_getline(s, &line, &len, 0)) == 1) {
        if (strspn(line, " \t\r") == len)
            continue;
        snprintf(where, sizeof where, "line %llu", (unsigned long long)bsrc_lineno(s));
        int k = members(line, len, m, 32);
        if (k < 0)
            die(EX_DATAERR, "%s: %s: not a JSON object", shown(path), where);
        char *task = str_member(m, k, "task_id", path, where), *prompt = str_member(m, k, "prompt", path, where);
        char *entry = str_member(m, k, "entry_point", path, where);
        char *canon = str_member(m, k, "canonical_solution", path, where);
        char *test = str_member(m, k, mbpp ? "assertion" : "test", path, where);
        const member *bi = get(m, k, "base_input"), *pi = get(m, k, "plus_input"), *at = get(m, k, "atol");
        if (!bi)
            die(EX_DATAERR, "%s: %s: no base_input (an EvalPlus file is needed)", shown(path), where);
        char *inputs = join_inputs(bi, pi, path, where);
        long nbase = count_elems(bi);
        if (nbase < 0)
            die(EX_DATAERR, "%s: %s: base_input is not a JSON array", shown(path), where);
        double atol = 0;
        if (at) {
            char buf[64];
            snprintf(buf, sizeof buf, "%.*s", (int)(at->vn < 63 ? at->vn : 63), at->v);
            atol = strtod(buf, NULL);
        }
        snprintf(id, sizeof id, "%s:%s", mbpp ? "mbpp" : "humaneval", task);
        size_t pl = strlen(prompt);
        char *user = xmalloc(sizeof instr + pl + 1), *pre = xmalloc(sizeof asst + pl + 1);
        snprintf(user, sizeof instr + pl + 1, "%s%s", o->plain ? "" : instr, prompt);
        snprintf(pre, sizeof asst + pl + 1, "%s%s", asst, mbpp ? "" : prompt);
        begin_record(&g.pk, id, mbpp ? "mbpp-plus" : "humaneval-plus", user, pre, o, 11);
        pack_str(&g.pk, "task_id"), pack_str(&g.pk, task);
        pack_str(&g.pk, "entry_point"), pack_str(&g.pk, entry);
        pack_str(&g.pk, "program_prefix"), pack_str(&g.pk, mbpp ? "" : prompt);
        pack_str(&g.pk, "prefix_in_fence");
        if (o->plain)
            msgpack_pack_false(&g.pk);
        else
            msgpack_pack_true(&g.pk);
        size_t tl = strlen(test) + strlen(entry) + 16;
        char *bt = xmalloc(tl);
        if (mbpp)
            snprintf(bt, tl, "%s", test);
        else
            snprintf(bt, tl, "%s\ncheck(%s)\n", test, entry);
        pack_str(&g.pk, "base_test"), pack_str(&g.pk, bt);
        size_t rl = strlen(canon) + pl + 2;
        char *ref = xmalloc(rl);
        snprintf(ref, rl, "%s%s", mbpp ? "" : prompt, canon);
        pack_str(&g.pk, "reference"), pack_str(&g.pk, ref);
        pack_str(&g.pk, "inputs"), pack_str(&g.pk, inputs);
        pack_str(&g.pk, "atol"), msgpack_pack_double(&g.pk, atol);
        pack_str(&g.pk, "n_base"), msgpack_pack_int64(&g.pk, nbase);
        pack_str(&g.pk, "input_form"), pack_str(&g.pk, input_form(task, mbpp));
        pack_str(&g.pk, "oracle"), pack_str(&g.pk, oracle_of(entry, mbpp));
        group_add(&g, id, o->seed, path, where);
        free(task), free(prompt), free(entry), free(canon), free(test), free(inputs), free(user), free(pre);
        free(bt), free(ref);
    }
    if (r < 0)
        die(EX_DATAERR, "%s: %s", shown(path), bsrc_error(s));
    bsrc_close(s);
    group_flush(&g, o, out);
    group_free(&g);
}

/*
 * ifeval.c — IFEval instruction parsing, strict/loose following and
 * the scorer (see ifeval.h; the checks are in ifeval_checks.c).
 *
 * Each kind has a kwarg spec "name:T,..." where T is n (integer count), m
 * (second count: nth_paragraph), s (string), w (list of strings) or r
 * (relation).  Every named kwarg is required unless the data gives null.
 */
#include "eval/boot.h"
#include "eval/ifeval.h"
#include "eval/common.h"
#include "eval/lang.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ifeval_ids[IF_NKINDS] = {
    "change_case:capital_word_frequency", "change_case:english_capital", "change_case:english_lowercase",
    "combination:repeat_prompt", "combination:two_responses", "detectable_content:number_placeholders",
    "detectable_content:postscript", "detectable_format:constrained_response", "detectable_format:json_format",
    "detectable_format:multiple_sections", "detectable_format:number_bullet_lists",
    "detectable_format:number_highlighted_sections", "detectable_format:title", "keywords:existence",
    "keywords:forbidden_words", "keywords:frequency", "keywords:letter_frequency", "language:response_language",
    "length_constraints:nth_paragraph_first_word", "length_constraints:number_paragraphs",
    "length_constraints:number_sentences", "length_constraints:number_words", "punctuation:no_comma",
    "startend:end_checker", "startend:quotation"};

static const char *const kwarg_spec[IF_NKINDS] = {
    "capital_frequency:n,capital_relation:r", "", "", "prompt_to_repeat:s", "", "num_placeholders:n",
    "postscript_marker:s", "", "", "section_spliter:s,num_sections:n", "num_bullets:n", "num_highlights:n", "",
    "keywords:w", "forbidden_words:w", "keyword:s,frequency:n,relation:r", "letter:s,let_frequency:n,let_relation:r",
    "language:s", "num_paragraphs:n,nth_paragraph:m,first_word:s", "num_paragraphs:n", "num_sentences:n,relation:r",
    "num_words:n,relation:r", "", "end_phrase:s", ""};

/* Find kwarg `name` in spec; its type letter or 0. */
static char spec_type(const char *spec, const char *name, size_t nlen)
{
    const char *p = spec;
    while (*p) {
        const char *colon = strchr(p, ':');
        if ((size_t)(colon - p) == nlen && memcmp(p, name, nlen) == 0)
            return colon[1];
        p = colon + 2;
        if (*p == ',')
            p++;
    }
    return 0;
}

static int set_kwarg(ifeval_inst *in, char t, const char *name, const msgpack_object *v, char *err, size_t errcap)
{
    switch (t) {
    case 'n':
    case 'm':
        if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
            double d;
            if (!(obj_to_f64(v, &d) && d == (double)(long)d && d >= 0)) {
                snprintf(err, errcap, "kwarg '%s' must be a non-negative integer", name);
                return -1;
            }
            *(t == 'n' ? &in->num : &in->num2) = (long)d;
        } else {
            *(t == 'n' ? &in->num : &in->num2) = (long)v->via.u64;
        }
        return 0;
    case 's':
        if (v->type != MSGPACK_OBJECT_STR) {
            snprintf(err, errcap, "kwarg '%s' must be a string", name);
            return -1;
        }
        free(in->str); /* a repeated key: the last one wins */
        in->str = xstrndup(v->via.str.ptr, v->via.str.size);
        return 0;
    case 'w':
        if (v->type != MSGPACK_OBJECT_ARRAY) {
            snprintf(err, errcap, "kwarg '%s' must be a list of strings", name);
            return -1;
        }
        for (size_t i = 0; i < in->nwords; i++)
            free(in->words[i]);
        free(in->words);
        in->nwords = 0;
        in->words = xcalloc(v->via.array.size + 1, sizeof *in->words);
        for (uint32_t i = 0; i < v->via.array.size; i++) {
            const msgpack_object *w = &v->via.array.ptr[i];
            if (w->type != MSGPACK_OBJECT_STR) {
                snprintf(err, errcap, "kwarg '%s' must be a list of strings", name);
                return -1;
            }
            in->words[in->nwords++] = xstrndup(w->via.str.ptr, w->via.str.size);
        }
        return 0;
    case 'r':
        if (obj_str_eq(v, "at least"))
            in->at_least = 1;
        else if (obj_str_eq(v, "less than"))
            in->at_least = 0;
        else {
            snprintf(err, errcap, "kwarg '%s' must be \"less than\" or \"at least\"", name);
            return -1;
        }
        return 0;
    }
    return -1;
}

static int parse_inner(const char *id, size_t idlen, const msgpack_object *kwargs, ifeval_inst *in, char *err,
                       size_t errcap)
{
    int k;
    for (k = 0; k < IF_NKINDS; k++)
        if (strlen(ifeval_ids[k]) == idlen && memcmp(ifeval_ids[k], id, idlen) == 0)
            break;
    if (k == IF_NKINDS) {
        snprintf(err, errcap, "unknown instruction id '%.*s'", (int)idlen, id);
        return -1;
    }
    in->kind = (enum ifeval_kind)k;
    const char *spec = kwarg_spec[k];
    unsigned seen = 0;
    if (kwargs && kwargs->type != MSGPACK_OBJECT_NIL) {
        if (kwargs->type != MSGPACK_OBJECT_MAP) {
            snprintf(err, errcap, "%s: kwargs is not a map", ifeval_ids[k]);
            return -1;
        }
        for (uint32_t i = 0; i < kwargs->via.map.size; i++) {
            const msgpack_object *key = &kwargs->via.map.ptr[i].key, *v = &kwargs->via.map.ptr[i].val;
            if (key->type != MSGPACK_OBJECT_STR || v->type == MSGPACK_OBJECT_NIL)
                continue;
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)key->via.str.size, key->via.str.ptr);
            char t = spec_type(spec, key->via.str.ptr, key->via.str.size);
            if (!t) {
                snprintf(err, errcap, "%s: unknown kwarg '%s'", ifeval_ids[k], name);
                return -1;
            }
            char e2[160];
            if (set_kwarg(in, t, name, v, e2, sizeof e2) < 0) {
                snprintf(err, errcap, "%s: %s", ifeval_ids[k], e2);
                return -1;
            }
            seen |= 1u << (t == 'm' ? 4 : t == 'n' ? 0 : t == 's' ? 1 : t == 'w' ? 2 : 3);
        }
    }
    /* every kwarg of the spec must have been given */
    for (const char *p = spec; *p;) {
        const char *colon = strchr(p, ':');
        char t = colon[1];
        unsigned bit = 1u << (t == 'm' ? 4 : t == 'n' ? 0 : t == 's' ? 1 : t == 'w' ? 2 : 3);
        if (!(seen & bit)) {
            snprintf(err, errcap, "%s: missing kwarg '%.*s'", ifeval_ids[k], (int)(colon - p), p);
            return -1;
        }
        p = colon + 2;
        if (*p == ',')
            p++;
    }
    if (in->kind == IF_RESPONSE_LANGUAGE && !lang_supported(in->str)) {
        snprintf(err, errcap, "%s: language '%s' is not one the identifier supports (%s)", ifeval_ids[k], in->str,
                 lang_supported_list());
        return -1;
    }
    if (in->kind == IF_LETTER_FREQUENCY && strlen(in->str) != 1) {
        snprintf(err, errcap, "%s: kwarg 'letter' must be one ASCII letter", ifeval_ids[k]);
        return -1;
    }
    return 0;
}

int ifeval_parse(const char *id, size_t idlen, const msgpack_object *kwargs, ifeval_inst *in, char *err,
                 size_t errcap)
{
    memset(in, 0, sizeof *in);
    if (parse_inner(id, idlen, kwargs, in, err, errcap) == 0)
        return 0;
    ifeval_inst_free(in); /* nothing half-parsed is left to free */
    return -1;
}

void ifeval_inst_free(ifeval_inst *in)
{
    free(in->str);
    for (size_t i = 0; i < in->nwords; i++)
        free(in->words[i]);
    free(in->words);
    memset(in, 0, sizeof *in);
}

/* ---- strict and loose ---- */

static char *dup_stripped(const char *s, size_t n, size_t *out)
{
    py_strip(&s, &n);
    *out = n;
    return xstrndup(s, n);
}

static char *without_stars(const char *s, size_t n, size_t *out)
{
    char *r = xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] != '*')
            r[o++] = s[i];
    r[o] = 0;
    *out = o;
    return r;
}

void ifeval_variants_make(ifeval_variants *v, const char *resp, size_t n)
{
    const char *first_nl = memchr(resp, '\n', n), *last_nl = NULL;
    for (size_t i = n; i-- > 0;)
        if (resp[i] == '\n') {
            last_nl = resp + i;
            break;
        }
    /* "\n".join(r[1:]) is everything after the first newline; r[:-1] is
     * everything before the last one; with no newline both are empty. */
    const char *rf = first_nl ? first_nl + 1 : resp + n;
    size_t rfn = (size_t)(resp + n - rf);
    size_t rln = last_nl ? (size_t)(last_nl - resp) : 0;
    size_t rbn = first_nl && last_nl > first_nl ? (size_t)(last_nl - rf) : 0;
    v->s[0] = xstrndup(resp, n), v->n[0] = n;
    v->s[2] = dup_stripped(rf, rfn, &v->n[2]);
    v->s[3] = dup_stripped(resp, rln, &v->n[3]);
    v->s[4] = dup_stripped(rf, rbn, &v->n[4]);
    v->s[1] = without_stars(v->s[0], v->n[0], &v->n[1]);
    v->s[5] = without_stars(v->s[2], v->n[2], &v->n[5]);
    v->s[6] = without_stars(v->s[3], v->n[3], &v->n[6]);
    v->s[7] = without_stars(v->s[4], v->n[4], &v->n[7]);
}

void ifeval_variants_free(ifeval_variants *v)
{
    for (int i = 0; i < 8; i++)
        free(v->s[i]);
}

static int nonblank(const char *s, size_t n)
{
    py_strip(&s, &n);
    return n > 0;
}

int ifeval_follow_strict(const ifeval_inst *in, const char *resp, size_t n)
{
    return nonblank(resp, n) && ifeval_check(in, resp, n);
}

int ifeval_follow_loose(const ifeval_inst *in, const ifeval_variants *v)
{
    for (int i = 0; i < 8; i++)
        if (nonblank(v->s[i], v->n[i]) && ifeval_check(in, v->s[i], v->n[i]))
            return 1;
    return 0;
}

/* ---- scorer ---- */

typedef struct {
    uint64_t n, p_strict, p_loose, insts, i_strict, i_loose;
    boot_items items;       /* prompt_loose per prompt (--bootstrap) */
} if_state;

static void *if_create(const eval_cfg *cfg) { return xcalloc(1, sizeof(if_state)); }

static int if_score(void *vst, const msgpack_object *rec, kvbuf *sc, char *err, size_t errcap)
{
    if_state *st = vst;
    const char *resp;
    size_t rn;
    if (eval_response(rec, &resp, &rn, err, errcap) < 0)
        return -1;
    const msgpack_object *g = eval_gold(rec), *ids = g ? rec_get(g, "instruction_id_list") : NULL;
    const msgpack_object *kw = g ? rec_get(g, "kwargs") : NULL;
    if (!ids || ids->type != MSGPACK_OBJECT_ARRAY) {
        snprintf(err, errcap, "no gold.instruction_id_list array");
        return -1;
    }
    uint32_t m = ids->via.array.size;
    if (kw && kw->type != MSGPACK_OBJECT_NIL && (kw->type != MSGPACK_OBJECT_ARRAY || kw->via.array.size != m)) {
        snprintf(err, errcap, "gold.kwargs must be a list as long as gold.instruction_id_list (%u)", m);
        return -1;
    }
    ifeval_inst *in = xcalloc(m + 1, sizeof *in);
    int bad = 0;
    for (uint32_t i = 0; i < m && !bad; i++) {
        const msgpack_object *id = &ids->via.array.ptr[i];
        if (id->type != MSGPACK_OBJECT_STR) {
            snprintf(err, errcap, "gold.instruction_id_list[%u] is not a string", i);
            bad = 1;
        } else if (ifeval_parse(id->via.str.ptr, id->via.str.size,
                                kw && kw->type == MSGPACK_OBJECT_ARRAY ? &kw->via.array.ptr[i] : NULL, &in[i], err,
                                errcap) < 0)
            bad = 1;
    }
    if (!bad) {
        ifeval_variants v;
        ifeval_variants_make(&v, resp, rn);
        int all_s = 1, all_l = 1;
        char *fs = xmalloc(m + 1), *fl = xmalloc(m + 1);
        for (uint32_t i = 0; i < m; i++) {
            fs[i] = (char)ifeval_follow_strict(&in[i], resp, rn);
            fl[i] = (char)(fs[i] || ifeval_follow_loose(&in[i], &v));
            all_s &= fs[i], all_l &= fl[i];
        }
        char rx[200];
        if (ifeval_regex_error(rx, sizeof rx)) { /* not a "no match": say so */
            snprintf(err, errcap, "IFEval %s", rx);
            bad = 1;
            goto done;
        }
        for (uint32_t i = 0; i < m; i++) {
            st->i_strict += (uint64_t)fs[i];
            st->i_loose += (uint64_t)fl[i];
        }
        kv_bool(sc, "prompt_strict", all_s);
        kv_bool(sc, "prompt_loose", all_l);
        msgpack_packer *pk = kv_key(sc, "inst_strict");
        msgpack_pack_array(pk, m);
        for (uint32_t i = 0; i < m; i++)
            fs[i] ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
        pk = kv_key(sc, "inst_loose");
        msgpack_pack_array(pk, m);
        for (uint32_t i = 0; i < m; i++)
            fl[i] ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
        st->n++;
        st->p_strict += (uint64_t)all_s;
        st->p_loose += (uint64_t)all_l;
        boot_add(&st->items, all_l, 0);
        st->insts += m;
    done:
        free(fs);
        free(fl);
        ifeval_variants_free(&v);
    }
    for (uint32_t i = 0; i < m; i++)
        ifeval_inst_free(&in[i]);
    free(in);
    return bad ? -1 : 0;
}

static double ratio(uint64_t a, uint64_t b) { return b ? (double)a / (double)b : 0; }

static void if_finish(void *vst, kvbuf *s)
{
    if_state *st = vst;
    kv_f64(s, "score", ratio(st->p_loose, st->n));
    kv_f64(s, "prompt_loose", ratio(st->p_loose, st->n));
    kv_f64(s, "prompt_strict", ratio(st->p_strict, st->n));
    kv_f64(s, "inst_loose", ratio(st->i_loose, st->insts));
    kv_f64(s, "inst_strict", ratio(st->i_strict, st->insts));
    kv_i64(s, "instructions", (int64_t)st->insts);
}

static size_t if_units(void *vst) { return ((if_state *)vst)->items.n; }
static double if_reweigh(void *vst, const uint32_t *w) { return boot_mean(&((if_state *)vst)->items, w); }
static void if_destroy(void *vst)
{
    boot_free(&((if_state *)vst)->items);
    free(vst);
}

const eval_task eval_task_ifeval = {"ifeval",   "IFEval",   if_create,  if_score, if_finish,
                                    if_destroy, if_units, if_reweigh, NULL};

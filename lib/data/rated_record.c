/*
 * rated_record.c — a rated record read into a rated_t, and the name lists
 * of pref-binarize's options (see binarize.h).  A rating may be a number
 * or a numeric string ("4.5"); anything else ("N/A", null) is a missing
 * rating, kept as such so the summary can count it.
 */
#include "data/binarize.h"

#include "base/util.h"
#include "io/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Table 8 of the paper: UltraFeedback models by mean fine-grained score. */
static const char *const group_top[] = {"gpt-4", "gpt-3.5-turbo", "wizardlm-70b", "bard", NULL};
static const char *const group_middle[] = {"vicuna-33b",       "mpt-30b-chat", "llama-2-70b-chat", "wizardlm-13b",
                                           "llama-2-13b-chat", "ultralm-65b",  "ultralm-13b",      NULL};
static const char *const group_bottom[] = {"wizardlm-7b", "llama-2-7b-chat", "starchat",           "alpaca-7b",
                                           "pythia-12b",  "falcon-40b-instruct", NULL};

static void list_add(name_list *l, const char *s, size_t n)
{
    l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
    l->v[l->n++] = xstrndup(s, n);
}

const char *name_list_parse(name_list *l, const char *s, int groups, size_t *badlen)
{
    while (*s) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        const char *const *g = NULL;
        if (groups && n > 1 && s[0] == '@') {
            if (n == 4 && !memcmp(s, "@top", 4)) g = group_top;
            else if (n == 7 && !memcmp(s, "@middle", 7)) g = group_middle;
            else if (n == 7 && !memcmp(s, "@bottom", 7)) g = group_bottom;
            else return *badlen = n, s;
            for (; *g; g++)
                list_add(l, *g, strlen(*g));
        } else if (n > 0) {
            list_add(l, s, n);
        }
        s += n + (e ? 1 : 0);
    }
    return NULL;
}

void name_list_free(name_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int num_or_na(const msgpack_object *o, double *v)
{
    if (obj_to_f64(o, v))
        return 1;
    if (o->type == MSGPACK_OBJECT_STR && o->via.str.size > 0 && o->via.str.size < 64) {
        char buf[64], *end;
        memcpy(buf, o->via.str.ptr, o->via.str.size);
        buf[o->via.str.size] = 0;
        *v = strtod(buf, &end);
        return end != buf && *end == 0;
    }
    return 0;
}

const char *rated_from_record(const msgpack_object *rec, rated_t *r, char *err, size_t cap)
{
    rated_clear(r);
    const msgpack_object *cs = rec_get(rec, "completions");
    if (!cs || cs->type != MSGPACK_OBJECT_ARRAY)
        return "no 'completions' list (is this a rated stream?)";
    for (uint32_t i = 0; i < cs->via.array.size; i++) {
        const msgpack_object *c = &cs->via.array.ptr[i];
        const char *t;
        size_t tn;
        if (rec_get_str(c, "text", &t, &tn) != 1) {
            snprintf(err, cap, "completions[%u].text must be a string", i);
            return err;
        }
        completion_t *x = rated_add(r, t, tn);
        const char *m;
        size_t mn;
        if (rec_get_str(c, "model", &m, &mn) == 1) {
            x->model = m;
            x->mlen = mn;
        }
        const msgpack_object *ov = rec_get(c, "overall");
        if (ov) {
            x->has_overall = num_or_na(ov, &x->overall);
            x->overall_na = !x->has_overall;
        }
        int64_t rk;
        if (rec_get_i64(c, "rank", &rk) == 1 && rk > 0)
            x->rank = (long)rk;
        const msgpack_object *rt = rec_get(c, "ratings");
        if (rt && rt->type == MSGPACK_OBJECT_MAP) {
            for (uint32_t k = 0; k < rt->via.map.size; k++) {
                const msgpack_object_kv *kv = &rt->via.map.ptr[k];
                if (kv->key.type != MSGPACK_OBJECT_STR)
                    continue;
                double v = 0;
                int ok = num_or_na(&kv->val, &v);
                rated_rate(r, kv->key.via.str.ptr, kv->key.via.str.size, v, ok);
            }
        }
    }
    return NULL;
}

int name_list_has(const name_list *l, const char *s, size_t n)
{
    for (size_t i = 0; i < l->n; i++)
        if (strlen(l->v[i]) == n && memcmp(l->v[i], s, n) == 0)
            return 1;
    return 0;
}

/*
 * bbh.c — BBH extraction and scorer (see bbh.h).  Per-task
 * counts live in a strmap task -> slot; the summary lists every task's
 * accuracy, the macro mean ("accuracy", the headline) and the micro mean.
 */
#include "eval/bbh.h"
#include "eval/boot.h"
#include "eval/common.h"
#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bbh_extract(const char *resp, size_t n, const char **pred, size_t *plen)
{
    static const char tail[] = "he answer is ";
    const size_t tl = sizeof tail - 1;
    for (size_t p = 0; p + 1 + tl <= n; p++) {
        if ((resp[p] != 't' && resp[p] != 'T') || memcmp(resp + p + 1, tail, tl) != 0)
            continue;
        size_t q = p + 1 + tl;
        for (size_t k = q; k < n && resp[k] != '\n'; k++)
            if (resp[k] == '.') {
                const char *s = resp + q;
                size_t len = k - q;
                py_strip(&s, &len);
                *pred = s, *plen = len;
                return 1;
            }
    }
    const char *s = resp;
    size_t len = n;
    py_strip(&s, &len);
    *pred = s, *plen = len;
    return 0;
}

typedef struct {
    strmap tasks;
    char **names;
    uint64_t *n, *correct;
    size_t ntasks, cap;
    boot_items items;       /* correct per example, stratum = task (--bootstrap) */
} bbh_state;

static void *bbh_create(const eval_cfg *cfg)
{
    bbh_state *st = xcalloc(1, sizeof *st);
    strmap_init(&st->tasks);
    return st;
}

static int bbh_score(void *vst, const msgpack_object *rec, kvbuf *sc, char *err, size_t errcap)
{
    bbh_state *st = vst;
    const char *resp, *task, *target;
    size_t rn, tn, gn;
    char b1[64], b2[64];
    if (eval_response(rec, &resp, &rn, err, errcap) < 0 ||
        !eval_gold_str(rec, "task", b1, sizeof b1, &task, &tn, err, errcap) ||
        !eval_gold_str(rec, "target", b2, sizeof b2, &target, &gn, err, errcap))
        return -1;
    int ins;
    uint64_t *slot = strmap_get(&st->tasks, task, tn, st->ntasks, &ins);
    if (ins) {
        if (st->ntasks == st->cap) {
            st->cap = st->cap ? 2 * st->cap : 32;
            st->names = xrealloc(st->names, st->cap * sizeof *st->names);
            st->n = xrealloc(st->n, st->cap * sizeof *st->n);
            st->correct = xrealloc(st->correct, st->cap * sizeof *st->correct);
        }
        st->names[st->ntasks] = xstrndup(task, tn);
        st->n[st->ntasks] = st->correct[st->ntasks] = 0;
        st->ntasks++;
    }
    const char *p;
    size_t pl;
    int matched = bbh_extract(resp, rn, &p, &pl);
    int ok = exact_match(p, pl, target, gn);
    kv_str(sc, "pred", p, pl);
    kv_bool(sc, "matched", matched);
    kv_bool(sc, "correct", ok);
    st->n[*slot]++;
    st->correct[*slot] += (uint64_t)ok;
    boot_add(&st->items, ok, (uint32_t)*slot);
    return 0;
}

static int by_name(const void *a, const void *b) { return strcmp(**(char *const *const *)a, **(char *const *const *)b); }

static void bbh_finish(void *vst, kvbuf *s)
{
    bbh_state *st = vst;
    double macro = 0;
    uint64_t tot = 0, cor = 0;
    char ***order = xmalloc((st->ntasks + 1) * sizeof *order);
    for (size_t i = 0; i < st->ntasks; i++) {
        macro += (double)st->correct[i] / (double)st->n[i];
        tot += st->n[i];
        cor += st->correct[i];
        order[i] = &st->names[i];
    }
    if (st->ntasks)
        macro /= (double)st->ntasks;
    qsort(order, st->ntasks, sizeof *order, by_name);
    kv_f64(s, "score", macro);
    kv_f64(s, "accuracy", macro);
    kv_f64(s, "micro", tot ? (double)cor / (double)tot : 0);
    kv_i64(s, "correct", (int64_t)cor);
    kv_i64(s, "ntasks", (int64_t)st->ntasks);
    msgpack_packer *pk = kv_key(s, "tasks");
    msgpack_pack_map(pk, (uint32_t)st->ntasks);
    for (size_t k = 0; k < st->ntasks; k++) {
        size_t i = (size_t)(order[k] - st->names);
        pack_str(pk, st->names[i]);
        msgpack_pack_double(pk, (double)st->correct[i] / (double)st->n[i]);
    }
    free(order);
}

static void bbh_destroy(void *vst)
{
    bbh_state *st = vst;
    for (size_t i = 0; i < st->ntasks; i++)
        free(st->names[i]);
    free(st->names);
    free(st->n);
    free(st->correct);
    strmap_free(&st->tasks);
    boot_free(&st->items);
    free(st);
}

/* The headline is the mean of task accuracies: resampled as that. */
static size_t bbh_units(void *vst) { return ((bbh_state *)vst)->items.n; }
static double bbh_reweigh(void *vst, const uint32_t *w) { return boot_strata_mean(&((bbh_state *)vst)->items, w); }

const eval_task eval_task_bbh = {"bbh",       "BBH",       bbh_create, bbh_score, bbh_finish,
                                 bbh_destroy, bbh_units, bbh_reweigh, NULL};

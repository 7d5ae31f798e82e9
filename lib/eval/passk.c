/*
 * passk.c — pass@k scorer (see passk.h).  Samples are grouped
 * by problem: prompt_id, else the id up to its last '#'.  pass@k is the
 * mean over problems with at least k samples; problems with fewer are
 * counted in "short@k" and reported on stderr, never dropped silently.
 */
#include "eval/passk.h"
#include "eval/boot.h"
#include "eval/common.h"
#include "base/util.h"

#include <stdio.h>
#include <string.h>

double pass_at_k(uint64_t n, uint64_t c, uint64_t k)
{
    if (n - c < k)
        return 1.0;
    double prod = 1.0;
    for (uint64_t i = n - c + 1; i <= n; i++)
        prod *= 1.0 - (double)k / (double)i;
    return 1.0 - prod;
}

typedef struct {
    const eval_cfg *cfg;
    strmap probs;
    uint64_t *n, *c;
    size_t np, cap;
} pk_state;

static void *pk_create(const eval_cfg *cfg)
{
    pk_state *st = xcalloc(1, sizeof *st);
    st->cfg = cfg;
    strmap_init(&st->probs);
    return st;
}

static int pk_flag(const msgpack_object *rec, int *pass)
{
    const msgpack_object *s = rec_get(rec, "scores"), *v = NULL;
    if (s && s->type == MSGPACK_OBJECT_MAP)
        v = rec_get(s, "pass");
    if (!v)
        v = rec_get(rec, "pass");
    if (!v)
        v = rec_get(rec, "passed");
    double d;
    if (v && v->type == MSGPACK_OBJECT_BOOLEAN) {
        *pass = v->via.boolean;
        return 0;
    }
    if (v && obj_to_f64(v, &d) && (d == 0 || d == 1)) {
        *pass = d == 1;
        return 0;
    }
    return -1;
}

static int pk_score(void *vst, const msgpack_object *rec, kvbuf *sc, char *err, size_t errcap)
{
    pk_state *st = vst;
    int pass;
    if (pk_flag(rec, &pass) < 0) {
        snprintf(err, errcap, "no pass flag (scores.pass, pass or passed: a boolean or 0/1)");
        return -1;
    }
    const char *key;
    size_t kn;
    if (rec_get_str(rec, "prompt_id", &key, &kn) != 1) {
        if (rec_get_str(rec, "id", &key, &kn) != 1) {
            snprintf(err, errcap, "no 'prompt_id' or 'id' string to group samples by");
            return -1;
        }
        const char *h = NULL;
        for (size_t i = 0; i < kn; i++)
            if (key[i] == '#')
                h = key + i;
        if (h)
            kn = (size_t)(h - key);
    }
    int ins;
    uint64_t *slot = strmap_get(&st->probs, key, kn, st->np, &ins);
    if (ins) {
        if (st->np == st->cap) {
            st->cap = st->cap ? 2 * st->cap : 64;
            st->n = xrealloc(st->n, st->cap * sizeof *st->n);
            st->c = xrealloc(st->c, st->cap * sizeof *st->c);
        }
        st->n[st->np] = st->c[st->np] = 0;
        st->np++;
    }
    st->n[*slot]++;
    st->c[*slot] += (uint64_t)pass;
    return 0;
}

static void pk_finish(void *vst, kvbuf *s)
{
    pk_state *st = vst;
    kv_i64(s, "problems", (int64_t)st->np);
    for (int j = 0; j < st->cfg->nks; j++) {
        uint64_t k = (uint64_t)st->cfg->ks[j], used = 0;
        double sum = 0;
        for (size_t i = 0; i < st->np; i++)
            if (st->n[i] >= k) {
                sum += pass_at_k(st->n[i], st->c[i], k);
                used++;
            }
        double v = used ? sum / (double)used : 0;
        char key[32];
        snprintf(key, sizeof key, "pass@%llu", (unsigned long long)k);
        kv_f64(s, key, v);
        if (j == st->cfg->nks - 1)
            kv_f64(s, "score", v);
        snprintf(key, sizeof key, "short@%llu", (unsigned long long)k);
        kv_i64(s, key, (int64_t)(st->np - used));
        if (used < st->np)
            warnx_("pass@%llu: %llu of %zu problems have fewer than %llu samples and are left out of it",
                   (unsigned long long)k, (unsigned long long)(st->np - used), st->np, (unsigned long long)k);
    }
}

/* The headline (the last k) over problems, each counted w[i] times. */
static size_t pk_units(void *vst) { return ((pk_state *)vst)->np; }
static double pk_reweigh(void *vst, const uint32_t *w)
{
    pk_state *st = vst;
    uint64_t k = (uint64_t)st->cfg->ks[st->cfg->nks - 1];
    double sum = 0, used = 0;
    for (size_t i = 0; i < st->np; i++)
        if (st->n[i] >= k)
            sum += w[i] * pass_at_k(st->n[i], st->c[i], k), used += w[i];
    return used ? sum / used : 0;
}

static void pk_destroy(void *vst)
{
    pk_state *st = vst;
    strmap_free(&st->probs);
    free(st->n);
    free(st->c);
    free(st);
}

const eval_task eval_task_passk = {"pass-at-k", "pass@k",  pk_create, pk_score, pk_finish,
                                   pk_destroy,  pk_units, pk_reweigh, NULL};

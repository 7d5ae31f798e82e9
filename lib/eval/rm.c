/*
 * rm.c — reward-model pairwise accuracy per subset (rm.h).
 * Subsets are reported sorted by name so the output does not depend on
 * the input order.
 */
#include "eval/rm.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

void rm_acc_init(rm_acc *a, const char *prior_csv)
{
    memset(a, 0, sizeof *a);
    strmap_init(&a->index);
    size_t np = 0;
    a->prior = xcalloc(strlen(prior_csv) + 2, sizeof *a->prior);
    char *dup = xstrdup(prior_csv), *save = NULL;
    for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (*t)
            a->prior[np++] = xstrdup(t);
    free(dup);
}

void rm_acc_free(rm_acc *a)
{
    for (size_t i = 0; i < a->ns; i++)
        free(a->names[i]);
    for (char **p = a->prior; *p; p++)
        free(*p);
    free(a->prior);
    free(a->names);
    free(a->n);
    free(a->correct);
    free(a->ties);
    strmap_free(&a->index);
}

void rm_acc_add(rm_acc *a, const char *subset, size_t len, double chosen, double rejected)
{
    int ins;
    uint64_t *slot = strmap_get(&a->index, subset, len, a->ns, &ins);
    if (ins) {
        if (a->ns == a->cap) {
            a->cap = a->cap ? 2 * a->cap : 16;
            a->names = xrealloc(a->names, a->cap * sizeof *a->names);
            a->n = xrealloc(a->n, a->cap * sizeof *a->n);
            a->correct = xrealloc(a->correct, a->cap * sizeof *a->correct);
            a->ties = xrealloc(a->ties, a->cap * sizeof *a->ties);
        }
        a->names[a->ns] = xstrndup(subset, len);
        a->n[a->ns] = a->correct[a->ns] = a->ties[a->ns] = 0;
        a->ns++;
    }
    a->n[*slot]++;
    a->correct[*slot] += chosen > rejected;
    a->ties[*slot] += chosen == rejected;
}

double rm_acc_weight(const rm_acc *a, size_t i)
{
    for (char **p = a->prior; *p; p++)
        if (strcmp(*p, a->names[i]) == 0)
            return 0.5;
    return 1.0;
}

double rm_acc_micro(const rm_acc *a)
{
    uint64_t n = 0, c = 0;
    for (size_t i = 0; i < a->ns; i++)
        n += a->n[i], c += a->correct[i];
    return n ? (double)c / (double)n : 0;
}

double rm_acc_weighted(const rm_acc *a)
{
    double s = 0, w = 0;
    for (size_t i = 0; i < a->ns; i++) {
        double wi = rm_acc_weight(a, i);
        s += wi * (double)a->correct[i] / (double)a->n[i];
        w += wi;
    }
    return w > 0 ? s / w : 0;
}

static const rm_acc *sort_ctx;
static int by_name(const void *x, const void *y)
{
    return strcmp(sort_ctx->names[*(const size_t *)x], sort_ctx->names[*(const size_t *)y]);
}

void rm_acc_metrics(const rm_acc *a, kvbuf *k)
{
    uint64_t ties = 0;
    for (size_t i = 0; i < a->ns; i++)
        ties += a->ties[i];
    kv_f64(k, "score", rm_acc_weighted(a));
    kv_f64(k, "weighted", rm_acc_weighted(a));
    kv_f64(k, "accuracy", rm_acc_micro(a));
    kv_i64(k, "ties", (int64_t)ties);
    size_t *ord = xmalloc((a->ns + 1) * sizeof *ord);
    for (size_t i = 0; i < a->ns; i++)
        ord[i] = i;
    sort_ctx = a;
    qsort(ord, a->ns, sizeof *ord, by_name);
    msgpack_packer *pk = kv_key(k, "subsets");
    msgpack_pack_map(pk, (uint32_t)a->ns);
    for (size_t j = 0; j < a->ns; j++) {
        size_t i = ord[j];
        pack_str(pk, a->names[i]);
        msgpack_pack_map(pk, 3);
        pack_str(pk, "n"), msgpack_pack_uint64(pk, a->n[i]);
        pack_str(pk, "accuracy"), msgpack_pack_double(pk, (double)a->correct[i] / (double)a->n[i]);
        pack_str(pk, "weight"), msgpack_pack_double(pk, rm_acc_weight(a, i));
    }
    free(ord);
}

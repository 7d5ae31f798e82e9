/*
 * rm_stats.c — measure, store and read the reward-model statistics
 * (contract in rm_stats.h).
 *
 * Measuring is a Bradley–Terry evaluation pass with collect set: the
 * rewards it sums are forward values only, so neither margin_scale nor
 * the centring coefficient of the run changes them.
 */
#include "train/rm_stats.h"

#include "train/checkpoint.h"
#include "train/objectives.h"
#include "dist/dist.h"
#include "base/util.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rm_stats_measure(rm_stats *s, model *m, train_spool *data)
{
    bt_ctx bt = {.collect = 1};
    train_objective obj = bt_objective(&bt);
    double stats[TRAIN_MAX_STATS];
    train_evaluate(m, data, 8, &obj, stats);
    double v[3] = {bt.sum, bt.sumsq, bt.n};   /* each rank scored its share */
    dist_sum_f64(v, 3);
    bt.sum = v[0], bt.sumsq = v[1], bt.n = v[2];
    s->mean = bt.sum / bt.n;
    double var = bt.sumsq / bt.n - s->mean * s->mean;
    s->std = var > 0 ? sqrt(var) : 0;
    s->count = bt.n;
    s->have = 1;
    if (dist_rank() == 0)
        fprintf(stderr, "%s: rewards on the training data: mean %.6g, std %.6g (%.0f responses)\n", progname, s->mean,
            s->std, s->count);
}

static void finish_hook(void *ctx, model *m, train_spool *data) { rm_stats_measure(ctx, m, data); }
static char *state_hook(void *ctx) { return rm_stats_state_members(ctx); }

void rm_stats_attach(train_opts *o, rm_stats *s)
{
    s->have = 0;
    o->finish = finish_hook;
    o->state_extra = state_hook;
    o->hook_ctx = s;
}

char *rm_stats_state_members(const rm_stats *s)
{
    if (!s->have) return NULL;
    char m[40], d[40], *out = xmalloc(160);
    format_double(m, sizeof m, s->mean);
    format_double(d, sizeof d, s->std);
    snprintf(out, 160, "\"reward_mean\": %s, \"reward_std\": %s, \"reward_count\": %.0f", m, d, s->count);
    return out;
}

int rm_stats_read(const char *dir, rm_stats *s, char *why, size_t wl)
{
    memset(s, 0, sizeof *s);
    char *text = ckpt_load_state(dir);
    if (!text) {
        snprintf(why, wl, "%s: no trainer_state.json with reward_mean/reward_std", dir);
        return -1;
    }
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    free(text);
    if (!j) {
        snprintf(why, wl, "%s/trainer_state.json: %s", dir, je.text);
        return -1;
    }
    json_t *m = json_object_get(j, "reward_mean"), *d = json_object_get(j, "reward_std");
    json_t *n = json_object_get(j, "reward_count");
    int ok = json_is_number(m) && json_is_number(d);
    if (ok) {
        s->mean = json_number_value(m);
        s->std = json_number_value(d);
        s->count = json_is_number(n) ? json_number_value(n) : 0;
    }
    json_decref(j);
    if (!ok) {
        snprintf(why, wl, "%s/trainer_state.json: no usable reward_mean/reward_std (numbers)", dir);
        return -1;
    }
    if (!isfinite(s->mean) || !isfinite(s->std) || !(s->std > 0)) {
        snprintf(why, wl, "%s/trainer_state.json: no usable reward_mean/reward_std (mean %g, std %g: the std "
                 "must be positive)", dir, s->mean, s->std);
        return -1;
    }
    s->have = 1;
    return 0;
}

void rm_stats_read_or_die(const char *dir, rm_stats *s)
{
    char why[512];
    if (rm_stats_read(dir, s, why, sizeof why))
        die(EX_DATAERR, "%s (rm-train writes them)", why);
}

double rm_stats_normalize(const rm_stats *s, double r) { return (r - s->mean) / s->std; }

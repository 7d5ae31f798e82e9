/*
 * ppo_session.c — ppo-step's assembly, commit and records (contracts in
 * ppo_session.h).
 */
#include "rl/ppo_session.h"
#include "dist/dist.h"

#include "rl/policy_version.h"
#include "rl/ppo_state.h"
#include "train/checkpoint.h"
#include "io/record.h"
#include "base/cli.h"
#include "base/util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fresh run: policy, value model, optimizers; version 0 saved and
 * published. */
static void open_fresh(ppo_session *s, const ppo_session_opts *o, const ppo_train_cfg *c)
{
    ppo_trainer *tr = &s->tr;
    if (dist_rank() == 0 && pv_read_latest(o->run) >= 0)   /* rank 0 writes it below */
        die(EX_USAGE, "%s already holds a run (RUN/latest): use --resume, or a new directory", o->run);
    tr->policy = ckpt_load_model(o->policy, o->be);
    if (!tr->policy->c.lm_head) die(EX_DATAERR, "%s: the policy has no LM head", o->policy);
    s->tok = ckpt_load_tokenizer(o->policy);
    if (o->value) {
        tr->value = ckpt_load_model(o->value, o->be);
        if (!tr->value->c.score)
            die(EX_DATAERR, "%s: no scalar head (score.weight): the value model needs a reward-model checkpoint, "
                "or use --value-from-policy", o->value);
        char why[160];
        tokenizer *vt = ckpt_load_tokenizer(o->value);
        if (!tok_same(s->tok, vt, why, sizeof why))
            die(EX_DATAERR, "%s: its tokenizer differs from the policy's (%s)", o->value, why);
        tok_free(vt);
    } else {
        /* the policy's trunk, no LM head, a new score head */
        tr->value = model_with_heads(tr->policy, 0, 1, c->seed + 1);
    }
    model_enable_grads(tr->policy);
    model_enable_grads(tr->value);
    tr->popt = optim_new(tr->policy, c->h);
    tr->vopt = optim_new(tr->value, c->h);
    tr->beta = c->pc.beta;
    /* absolute, so that --resume works from another directory */
    const char *ref = o->ref ? o->ref : o->policy;
    s->ref_path = realpath(ref, NULL);
    if (!s->ref_path) die(EX_NOINPUT, "%s: %s", ref, strerror(errno));
    s->version = 0;
    if (dist_rank() != 0) return;   /* rank 0 alone writes RUN */
    ppo_state_save(o->run, tr, s->tok, 0, s->ref_path);
    pv_publish(o->run, 0, tr->policy, s->tok, (int)s->keep);
}

static void open_resume(ppo_session *s, const ppo_session_opts *o)
{
    ppo_state_info info;
    if (ppo_state_load(o->run, o->be, &s->tr, &s->tok, &info) != 0)
        die(EX_NOINPUT, "%s/state: no state to resume from", o->run);
    s->version = info.version;
    s->ref_path = o->ref ? xstrdup(o->ref) : info.ref;
    if (o->ref) free(info.ref);
    if (dist_rank() != 0) return;   /* rank 0 alone writes RUN */
    if (pv_read_latest(o->run) != s->version) pv_publish(o->run, s->version, s->tr.policy, s->tok, (int)s->keep);
    else pv_write_latest(o->run, s->version);   /* clears a "stopped" mark */
    fprintf(stderr, "%s: resumed %s at version %ld (%ld updates)\n", progname, o->run, s->version, s->tr.updates);
}

void ppo_session_open(ppo_session *s, const ppo_session_opts *o, const ppo_train_cfg *c)
{
    memset(s, 0, sizeof *s);
    s->run = o->run;
    s->keep = o->keep;
    s->batches = o->batches;
    if (mkdir(o->run, 0755) != 0 && errno != EEXIST) die(EX_CANTCREAT, "%s: %s", o->run, strerror(errno));
    {   /* a fresh trainer id for the version protocol (see policy_version.h) */
        struct { double t; long pid; } seed = {now_seconds(), (long)getpid()};
        pv_set_trainer(hash64(&seed, sizeof seed, 0x7472) | 1);
    }
    if (o->resume) open_resume(s, o);
    else open_fresh(s, o, c);
    ppo_trainer *tr = &s->tr;
    /* the optimizer hyper-parameters of this invocation apply on resume too */
    tr->popt->h = c->h, tr->vopt->h = c->h;
    tr->c = *c;
    if (s->ref_path[0]) {
        tr->ref = ckpt_load_model(s->ref_path, o->be);
        if (!tr->ref->c.lm_head) die(EX_DATAERR, "%s: the reference model has no LM head", s->ref_path);
    }
    if (o->warmup_steps >= 0) tr->c.warmup = o->warmup_steps;
    else if (o->batches > 0)   /* in optimizer updates, sized at the first batch (ppo_train.h) */
        tr->c.warmup = -1, tr->c.warmup_frac = o->warmup_frac, tr->c.batches = o->batches;
    else if (dist_rank() == 0) fprintf(stderr, "%s: no --batches: learning-rate warm-up off (give --warmup-steps)\n", progname);
}

void ppo_session_step(ppo_session *s, ppo_item *items, int n, long j, ppo_metrics *m)
{
    if (n == 0 && dist_rank() == 0) fprintf(stderr, "%s: batch %ld: every record was rejected; the policy is unchanged\n", progname, j);
    ppo_train_batch(&s->tr, items, n, j, m);
    if (s->diag) ppo_write_diagnostics(s->diag, items, n, j);
    s->version = j + 1;
    if (dist_rank() != 0) return;   /* rank 0 alone writes RUN */
    ppo_state_save(s->run, &s->tr, s->tok, s->version, s->ref_path);
    /* the last batch's version goes out already marked stopped, so a
     * follower never samples a batch nobody will train (rollout's EOS path) */
    pv_publish_ex(s->run, s->version, s->tr.policy, s->tok, (int)s->keep, s->batches > 0 && s->version >= s->batches);
}

void ppo_session_close(ppo_session *s)
{
    model_free(s->tr.policy);
    model_free(s->tr.value);
    if (s->tr.ref) model_free(s->tr.ref);
    optim_free(s->tr.popt);
    optim_free(s->tr.vopt);
    tok_free(s->tok);
    free(s->ref_path);
    memset(s, 0, sizeof *s);
}

/* ---- records ---- */

void ppo_write_metrics(rstream *out, long step, long batch, const ppo_metrics *m, const ppo_intake *in, double t)
{
    recb b;
    recb_init(&b);
    recb_put_str(&b, "stage", "ppo-step");
    recb_put_i64(&b, "step", step);
    recb_put_i64(&b, "batch", batch);
    recb_put_f64(&b, "time", t);
    const struct { const char *k; double v; } f[] = {
        {"reward_mean", m->reward_mean}, {"reward_std", m->reward_std}, {"score_mean", m->score_mean},
        {"kl", m->kl}, {"kl_coef", m->kl_coef}, {"policy_loss", m->policy_loss}, {"value_loss", m->value_loss},
        {"pg_clipfrac", m->pg_clipfrac}, {"vf_clipfrac", m->vf_clipfrac}, {"approx_kl", m->approx_kl},
        {"entropy", m->entropy}, {"response_length", m->response_length}, {"truncated", m->truncated},
        {"explained_variance", m->explained_variance}, {"lr", m->lr}, {"tokens_per_s", m->tokens_per_s},
        {"grad_norm_policy", m->grad_norm_policy}, {"grad_norm_value", m->grad_norm_value}};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
        if (isfinite(f[i].v)) recb_put_f64(&b, f[i].k, f[i].v);
        else recb_put_nil(&b, f[i].k);
    }
    recb_put_i64(&b, "updates", m->updates);
    recb_put_i64(&b, "rollouts", m->items);
    recb_put_i64(&b, "tokens", m->tokens);
    msgpack_packer *pk = recb_begin(&b, "rejected");
    msgpack_pack_map(pk, PI_NREASONS);
    for (int r = 0; r < PI_NREASONS; r++) {
        pack_str(pk, ppo_reject_name(r));
        msgpack_pack_uint64(pk, in->rejected[r]);
    }
    recb_end(&b);
    const char *buf;
    size_t len;
    recb_finish(&b, &buf, &len);
    rs_write(out, buf, len);
    rs_flush(out);
    recb_free(&b);
}

void ppo_write_diagnostics(rstream *d, const ppo_item *it, int n, long batch)
{
    recb b;
    recb_init(&b);
    for (int i = 0; i < n; i++) {
        recb_reset(&b);
        recb_put_str(&b, "stage", "ppo-step");
        recb_put_i64(&b, "step", batch + 1);
        recb_put_str(&b, "id", it[i].id ? it[i].id : "");
        double a = 0;
        for (int t = 0; t < it[i].rlen; t++) a += it[i].adv[t];
        recb_put_f64(&b, "reward", it[i].reward);
        recb_put_f64(&b, "score", it[i].score);
        recb_put_f64(&b, "kl", it[i].kl);
        recb_put_f64(&b, "advantage", it[i].rlen ? a / it[i].rlen : 0);
        recb_put_str(&b, "finish", it[i].truncated ? "length" : "stop");
        recb_put_i64(&b, "length", it[i].rlen);
        const char *buf;
        size_t len;
        recb_finish(&b, &buf, &len);
        rs_write(d, buf, len);
    }
    recb_free(&b);
}

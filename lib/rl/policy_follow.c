/*
 * policy_follow.c — rollout's side of the policy-version protocol (see
 * policy_follow.h for the three outcomes of a wait and why each is so).
 */
#include "rl/policy_follow.h"
#include "rl/policy_version.h"
#include "train/checkpoint.h"
#include "base/cli.h"
#include "base/util.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void policy_load(policy_t *p, const char *dir, long version)
{
    model *m = ckpt_load_model(dir, p->be);
    if (!m->c.lm_head) die(EX_DATAERR, "%s: not a causal LM (no lm_head)", dir);
    tokenizer *t = ckpt_load_tokenizer(dir);
    char fp[17];
    tok_fingerprint_hex(t, fp);
    if (p->m && strcmp(fp, p->fp))
        die(EX_DATAERR, "%s: the tokenizer changed between policy versions", dir);
    if (p->m) model_free(p->m), tok_free(p->tok), free(p->path);
    p->m = m, p->tok = t, p->version = version, p->path = xstrdup(dir);
    memcpy(p->fp, fp, sizeof fp);
}

void policy_free(policy_t *p)
{
    if (p->m) model_free(p->m), tok_free(p->tok);
    free(p->path);
    p->m = NULL, p->tok = NULL, p->path = NULL;
}

void pf_init(policy_follower *f, const char *dir, double timeout, double poll, int watch_stdout)
{
    *f = (policy_follower){.dir = dir, .timeout = timeout, .poll = poll, .watch_stdout = watch_stdout,
                           .restart_at = -1};
    f->start_version = pv_read_latest2(dir, &f->start_stopped, NULL);
}

long pf_wait(policy_follower *f, long need)
{
    double t0 = now_seconds();
    for (;;) {
        double left = f->timeout > 0 ? f->timeout - (now_seconds() - t0) : 1.0;
        if (f->timeout > 0 && left <= 0) break;
        long v = pv_wait(f->dir, need, left < 1.0 ? left : 1.0, f->poll);
        int stopped = 0;
        uint64_t tid = 0;
        long cur = pv_read_latest2(f->dir, &stopped, &tid);
        int stale = f->start_stopped && cur <= f->start_version;   /* a resume is coming */
        if (v >= 0 && !(stopped && !stale)) {
            f->known_trainer = tid;
            return v;
        }
        if (cur >= 0 && f->known_trainer && tid && tid != f->known_trainer) {
            fprintf(stderr, "%s: %s: the trainer restarted at version %ld; resampling from batch %ld\n", progname,
                    f->dir, cur, cur);
            f->known_trainer = tid;
            f->restart_at = cur;
            return cur;
        }
        /* stopped: no batch sampled from now on would be trained, and over
         * ZeroMQ its records would wait forever for the departed trainer */
        if (stopped && !stale) {
            fprintf(stderr, "%s: %s: the trainer stopped at version %ld; stopping\n", progname, f->dir, cur);
            return PF_STOPPED;
        }
        struct pollfd pf = {1, POLLOUT, 0};
        if (f->watch_stdout && poll(&pf, 1, 0) == 1 && (pf.revents & (POLLERR | POLLHUP))) {
            fprintf(stderr, "%s: the reader of stdout has gone; stopping\n", progname);
            exit(0);
        }
    }
    die(EX_TEMPFAIL, "%s: timed out waiting for policy version %ld", f->dir, need);
}

void pf_load(policy_follower *f, policy_t *p, long v)
{
    char *path = pv_path(f->dir, v);
    policy_load(p, path, v);
    free(path);
}

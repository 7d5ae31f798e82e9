/*
 * ppo_session.h — ppo-step's run as library calls: the trainer's assembly
 * (models, tokenizer identity, optimizers, value head, reference), the
 * per-batch commit (train, save the resumable state, publish the next
 * version) and the records it writes (metrics, diagnostics), so that the
 * executable is option parsing and a read loop.
 *
 * Open, fresh (RUN/latest must not exist): load the policy (it needs an LM
 * head) and its tokenizer; the value model is a reward-model checkpoint
 * (a score head, and the policy's tokenizer by tok_same) or the policy's
 * trunk with a new score head (model_with_heads, seeded by seed + 1);
 * fresh AdamW for both; save RUN/state at version 0 and publish version 0.
 * The reference path is stored absolute, so --resume works from another
 * directory.
 * Open, resume: load RUN/state (models, optimizer moments, updates, beta,
 * running reward statistics) and republish its version (or only rewrite
 * RUN/latest, clearing a "stopped" mark).
 * Either way the optimizer hyper-parameters and the configuration of this
 * invocation apply, the reference model is loaded unless the run has none,
 * and the warm-up is warmup_steps, else warmup_frac of batches x inner
 * epochs updates, else off (with a note on stderr).
 * Every open sets a fresh trainer id for the version protocol
 * (policy_version.h).
 */
#ifndef PREFPIPE_PPO_SESSION_H
#define PREFPIPE_PPO_SESSION_H

#include "io/stream.h"
#include "rl/ppo_intake.h"
#include "rl/ppo_train.h"
#include "text/tokenizer.h"

typedef struct {
    const char *run;          /* RUN directory (created when missing) */
    int resume;
    const char *policy;       /* fresh: the initial policy */
    const char *value;        /* fresh: a reward model, or NULL: value from the policy */
    const char *ref;          /* reference (default: the initial policy / the run's) */
    long keep;                /* published versions kept */
    long batches;             /* --batches, or <= 0 */
    long warmup_steps;        /* >= 0 overrides warmup_frac */
    double warmup_frac;
    const backend *be;
} ppo_session_opts;

typedef struct {
    ppo_trainer tr;
    tokenizer *tok;
    const char *run;
    char *ref_path;           /* absolute; "" when the run has no reference */
    long version;             /* the latest published version */
    long keep;
    long batches;             /* --batches (the last version is published stopped), or <= 0 */
    rstream *diag;            /* per-record diagnostics, or NULL */
} ppo_session;

void ppo_session_open(ppo_session *s, const ppo_session_opts *o, const ppo_train_cfg *c);
/* Train on items[0..n) of batch j, write their diagnostics (s->diag),
 * save RUN/state as version j + 1 and publish it. */
void ppo_session_step(ppo_session *s, ppo_item *items, int n, long j, ppo_metrics *m);
void ppo_session_close(ppo_session *s);

/* One metrics record (stage, step, batch, time, the numbers of m — nil
 * when not finite — updates, rollouts, tokens, and the intake's
 * rejections by reason); flushed at once. */
void ppo_write_metrics(rstream *out, long step, long batch, const ppo_metrics *m, const ppo_intake *in, double t);
/* One diagnostics record per item (id, reward, score, kl, mean advantage,
 * finish, length). */
void ppo_write_diagnostics(rstream *d, const ppo_item *it, int n, long batch);

#endif

/*
 * policy_follow.h — the reading end of the policy-version protocol
 * (policy_version.h) as rollout uses it: the policy in hand, and the wait
 * for the version a batch needs.
 *
 * A follower starts at DIR/latest and, before batch j, waits until
 * latest >= j - max_lag.  Three things can happen while it waits, and each
 * has one answer:
 *   - a new version appears: returned, and the caller loads it if it is
 *     not the one in hand (pf_load);
 *   - the trainer restarted (its id in latest changed): the batch in flight
 *     may be lost, so the follower returns latest and sets restart_at, and
 *     the caller resamples from that batch with the same ids (ppo-step
 *     deduplicates);
 *   - the trainer stopped (latest marked stopped, and not stale — a mark
 *     present when we started means a resume is coming): PF_STOPPED, and
 *     the caller closes its output normally so a ZeroMQ stream still sends
 *     its end-of-stream.
 * Waiting is in one-second slices; between slices a pipe on stdout whose
 * reader has gone ends the process quietly (as SIGPIPE on a write would).
 * A timeout (> 0) ends it with exit 75.
 */
#ifndef PREFPIPE_RL_POLICY_FOLLOW_H
#define PREFPIPE_RL_POLICY_FOLLOW_H

#include "backend/backend.h"
#include "model/model.h"
#include "text/tokenizer.h"

#include <stdint.h>

/* A loaded policy: model, tokenizer, version, path and the tokenizer's
 * fingerprint (which must not change between versions). */
typedef struct {
    const backend *be;     /* --device */
    model *m;
    tokenizer *tok;
    long version;
    char *path;
    char fp[17];
} policy_t;

/* Load the checkpoint dir as version `version`, replacing the one in hand
 * (exit 65 if it is not a causal LM or its tokenizer differs). */
void policy_load(policy_t *p, const char *dir, long version);
void policy_free(policy_t *p);

#define PF_STOPPED (-2)

typedef struct {
    const char *dir;
    double timeout, poll;      /* seconds; timeout <= 0 waits forever */
    int watch_stdout;          /* output is stdout: stop when its reader is gone */
    int start_stopped;         /* latest was marked stopped when we started (stale) */
    long start_version;
    uint64_t known_trainer;    /* trainer id of the latest we last acted on */
    long restart_at;           /* >= 0: the trainer restarted, resample from here */
} policy_follower;

void pf_init(policy_follower *f, const char *dir, double timeout, double poll, int watch_stdout);
/* Wait for latest >= need: the version, or PF_STOPPED. */
long pf_wait(policy_follower *f, long need);
/* Load DIR/policy-vV into p (pf_wait's answer). */
void pf_load(policy_follower *f, policy_t *p, long v);

#endif

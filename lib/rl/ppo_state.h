/*
 * ppo_state.h — ppo-step's resumable state in RUN/state/:
 *   policy/   the policy with its AdamW moments
 *   value/    the value model with its AdamW moments
 *   policy/trainer_state.json  {"version", "updates", "beta", "ref",
 *             "rn_n", "rn_mean", "rn_m2"}
 * The whole directory is built as RUN/.state.tmp.PID and renamed over
 * RUN/state (the old one moved aside first and removed after), so a
 * crash leaves the previous state or the new one.  ppo-step saves it
 * after every batch, BEFORE publishing the version, so a resumed run
 * never stands behind the latest published version by more than the one
 * it re-publishes.
 */
#ifndef PREFPIPE_PPO_STATE_H
#define PREFPIPE_PPO_STATE_H

#include "rl/ppo_train.h"
#include "text/tokenizer.h"

typedef struct {
    long version;
    char *ref;              /* reference checkpoint path ("" = none) */
} ppo_state_info;

void ppo_state_save(const char *run, const ppo_trainer *t, const tokenizer *tok, long version, const char *ref);
/* Loads models (on backend be) and optimizers into t (policy, value, popt, vopt, updates,
 * beta, rn); returns 0, or -1 when RUN/state does not exist. */
int ppo_state_load(const char *run, const backend *be, ppo_trainer *t, tokenizer **tok, ppo_state_info *info);

#endif

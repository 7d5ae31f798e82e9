#!/bin/sh
# exp-batch.sh [BASE] — App. G / Table 11 and the epochs of Table 9: how
# PPO's batch is built, from one SFT model and one reward model per seed.
# With B prompts per batch (PPO_B), r rollouts per prompt, b rollouts per
# forward-backward pass (16) and g passes per update (B/b: the recipe's
# one update per batch, the paper's B = b = 64):
#   base      the recipe's PPO (B, r 1, g B/b, e 1, PPO_BATCHES batches)
#   big-batch F x B prompts per batch, F x fewer batches: the same examples,
#             update size and number of updates, but F updates per batch,
#             the later ones on rollouts of an older policy (Table 11 row 2)
#   big-r2    the same with r = 2 and g doubled: twice the examples and the
#             update size, the same number of updates (Table 11 row 3)
#   inner-2   e = 2 inner epochs over each batch (App. G: destabilises)
#   epochs-1  exactly one pass over the prompt pool (Table 9's E = 1)
#   epochs-M  M passes (M = 3 at full scale, 2 at SCALE=quick; the paper's
#             Fig. 6 trained 3: no gain, sometimes collapse)
# F is 4 at full scale (B 64 -> 256, 40 -> 10 batches), 2 at SCALE=quick
# (16 -> 32, 2 -> 1); BATCH_FACTOR and EPOCHS_MORE override F and M.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
base=${1:-$here/../runs/recipe}
if [ "${SCALE:-full}" = quick ]; then b0=16 n0=2 p0=64 f0=2 m0=2; else b0=64 n0=40 p0=640 f0=4 m0=3; fi
B=${PPO_B:-$b0} NB=${PPO_BATCHES:-$n0} POOL=${N_POOL:-$p0} F=${BATCH_FACTOR:-$f0} M=${EPOCHS_MORE:-$m0}
g=$((B / 16 > 0 ? B / 16 : 1))
nbig=$((NB / F > 0 ? NB / F : 1))
ep1=$(( (POOL + B - 1) / B ))
exec "$here/ablate.sh" batch "$base" ppo-final "rm ppo eval" \
  "base:" \
  "big-batch:PPO_B=$((B * F));PPO_ACCUM=$g;PPO_BATCHES=$nbig" \
  "big-r2:PPO_B=$((B * F));PPO_ROLLOUTS=2;PPO_ACCUM=$((2 * g));PPO_BATCHES=$nbig" \
  "inner-2:PPO_INNER_EPOCHS=2" \
  "epochs-1:PPO_BATCHES=$ep1" \
  "epochs-$M:PPO_BATCHES=$((M * ep1))"

#!/bin/sh
# exp-rm.sh [BASE] — the reward-model axis (Table 3): two reward-model
# sizes (from the SFT policy, or a larger model initialised afresh) x two
# amounts of preference data, judged directly (held-out gold-pair accuracy,
# last column) and downstream (the PPO policy's gold scores).
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/ablate.sh" rm "${1:-$here/../runs/recipe}" ppo-final "pairs rm ppo eval" \
  "policy-1k:RM_PAIRS=1000" \
  "policy-all:" \
  "larger-1k:RM_MODEL_ARGS=--dim 96 --layers 3 --heads 4 --kv-heads 2 --ffn 288;RM_PAIRS=1000" \
  "larger-all:RM_MODEL_ARGS=--dim 96 --layers 3 --heads 4 --kv-heads 2 --ffn 288"

#!/bin/sh
# exp-kl.sh [BASE] — the KL-coefficient sweep of App. I: PPO with beta
# from 0.01 to 0.5 (the paper's default is 0.05).
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/ablate.sh" kl "${1:-$here/../runs/recipe}" ppo-final "ppo eval" \
  "beta-0.01:PPO_BETA=0.01" \
  "beta-0.05:PPO_BETA=0.05" \
  "beta-0.2:PPO_BETA=0.2" \
  "beta-0.5:PPO_BETA=0.5"

#!/bin/sh
# exp-prompts.sh [BASE] — the prompt axis (Fig. 3): PPO on the general
# prompt pool versus prompts of one category only (targeted prompts).
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/ablate.sh" prompts "${1:-$here/../runs/recipe}" ppo-final "pairs ppo eval" \
  "general-pool:" \
  "math-only:PPO_CATEGORIES=math" \
  "truth-only:PPO_CATEGORIES=truthfulness" \
  "safety-only:PPO_CATEGORIES=safety"

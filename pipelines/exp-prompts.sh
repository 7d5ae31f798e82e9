#!/bin/sh
# exp-prompts.sh [BASE] — Fig. 3 / Table 4: PPO's prompts x reward-model
# strength.  Three prompt sets, each with the weak and the strong reward
# model (pipelines/exp-rms.sh):
#   general  the separate PPO pool, every category (UltraFeedback's prompts)
#   math     math prompts of the pool split by the world's own label (the
#            analog of the GSM train set: in-domain for the math evaluation)
#   mined    math prompts mined from the unlabelled pool split with pref-tag
#            (App. J, pipelines/mine-prompts.sh's filter: unique, no 8-word
#            overlap with the evaluation prompts, Math and at most one other
#            tag)
# The paper reads the math evaluation (GSM): targeted prompts help only
# with the strong reward model.  pipelines/experiments.sh draws that
# verdict on the math category; the table here has every category.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/exp-rms.sh"
exec "$here/ablate.sh" prompts "${1:-$here/../runs/recipe}" ppo-final "pairs rm ppo eval" \
  "strong-general:$RM_STRONG" \
  "strong-math:$RM_STRONG;PPO_CATEGORIES=math" \
  "strong-mined:$RM_STRONG;PPO_PROMPTS=mined" \
  "weak-general:$RM_WEAK" \
  "weak-math:$RM_WEAK;PPO_CATEGORIES=math" \
  "weak-mined:$RM_WEAK;PPO_PROMPTS=mined"

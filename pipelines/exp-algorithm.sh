#!/bin/sh
# exp-algorithm.sh [BASE] — the algorithm axis as Table 2 builds it: DPO
# versus PPO on the same labelled data, PPO's reward model trained on the
# same pairs and PPO's prompts taken from the same preference data
# (ppo-pref, the paper's footnote 5), plus PPO on the separate prompt pool
# (ppo-pool, the recipe's default), all from one SFT model per seed.
# ablate.sh runs it (SEEDS=K for the paired comparison with DPO, the first
# arm); each arm redoes only its own stages.
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/ablate.sh" algorithm "${1:-$here/../runs/recipe}" ppo-final "pairs rm ppo eval" \
  "dpo:ABLATE_MODEL=dpo;ABLATE_STAGES=dpo eval" \
  "ppo-pref:PPO_PROMPTS=pref" \
  "ppo-pool:ABLATE_STAGES=rm ppo eval"

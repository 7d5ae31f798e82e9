#!/bin/sh
# exp-algorithm.sh [BASE] — the algorithm axis (Table 2): DPO versus PPO
# with the same data (the reward model and PPO prompts from the same
# world), which is the recipe's own table.
here=$(cd "$(dirname "$0")" && pwd)
"$here/recipe.sh" "${1:-$here/../runs/recipe}"

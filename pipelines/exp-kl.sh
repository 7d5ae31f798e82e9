#!/bin/sh
# exp-kl.sh [BASE] — App. I: the KL coefficient beta swept for each reward
# model, the weak and the strong one (pipelines/exp-rms.sh), PPO on the
# general pool.  The paper: with the weaker RM performance drops as beta
# shrinks; the stronger RM is more robust and does best at a smaller beta.
# BETAS (default "0.01 0.05 0.2"; 0.05 is the recipe's and the paper's
# default and must be in the list) sets the sweep.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/exp-rms.sh"
base=${1:-$here/../runs/recipe}
: "${BETAS:=0.01 0.05 0.2}"
set --
for rm in strong weak; do
  eval "spec=\$RM_$(echo $rm | tr a-z A-Z)"
  for b in $BETAS; do set -- "$@" "$rm-beta-$b:$spec;PPO_BETA=$b"; done
done
exec "$here/ablate.sh" kl "$base" ppo-final "pairs rm ppo eval" "$@"

#!/bin/sh
# exp-data.sh [BASE] — the data axis (Table 1, App. E) on the synthetic
# world: DPO on pairs binarized by the mean of the aspect ratings versus
# the noisy, length-biased overall rating, and on pairs drawn only from the
# strong, middle or weak responders.  Prints the DPO policy's gold scores.
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/ablate.sh" data "${1:-$here/../runs/recipe}" dpo "pairs dpo eval" \
  "mean-aspects:PAIRS_SCORE=mean-aspects" \
  "overall:PAIRS_SCORE=overall" \
  "top:PAIRS_MODELS=strong,verbose" \
  "middle:PAIRS_MODELS=middle,cautious" \
  "bottom:PAIRS_MODELS=reckless,weak"

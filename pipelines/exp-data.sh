#!/bin/sh
# exp-data.sh [BASE] — the data axis (Table 1, App. E) on the synthetic
# world: DPO on pairs binarized by the mean of the aspect ratings versus
# the noisy, length-biased overall rating, and on pairs drawn only from the
# strong, middle or weak responders.  Prints the DPO policy's gold scores,
# and a note: fine-grained beating overall here re-measures the bias the
# world builds into its overall rating (man pref-synth, THE WORLD'S KNOBS).
here=$(cd "$(dirname "$0")" && pwd)
: "${NOTE:=(note: this axis re-measures the world's built-in rating errors: 'overall' is the gold total + noise (sd 1.5) + 2.5 for padded answers, an aspect rating is off by 1 one time in 10 (pref-synth --overall-noise, --length-bias, --aspect-noise); mean-aspects beating overall is by construction. The subsets differ by the zoo's qualities, pref-synth --list-responders.)}"
export NOTE
exec "$here/ablate.sh" data "${1:-$here/../runs/recipe}" dpo "pairs dpo eval" \
  "mean-aspects:PAIRS_SCORE=mean-aspects" \
  "overall:PAIRS_SCORE=overall" \
  "top:PAIRS_MODELS=strong,verbose" \
  "middle:PAIRS_MODELS=middle,cautious" \
  "bottom:PAIRS_MODELS=reckless,weak"

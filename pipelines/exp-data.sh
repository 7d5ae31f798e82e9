#!/bin/sh
# exp-data.sh [BASE] — the data axis (Table 1, App. E) on the synthetic
# world: DPO on pairs binarized by the mean of the aspect ratings versus
# the noisy, length-biased overall rating; on pairs drawn only from the
# strong, middle or weak responders; and on the same prompts rated by one
# source of another noise (pref-synth --list-raters: careful, crowd,
# lengthy, judge) versus a mix of the four (each prompt's rater drawn, the
# same amount of data).  Prints the DPO policy's gold scores, and a note:
# fine-grained beating overall here re-measures the bias the world builds
# into its overall rating (man pref-synth, THE WORLD'S KNOBS).
here=$(cd "$(dirname "$0")" && pwd)
: "${NOTE:=(note: this axis re-measures the world's built-in rating errors: 'overall' is the gold total + noise (sd 1.5) + 2.5 for padded answers, an aspect rating is off by 1 one time in 10 (pref-synth --overall-noise, --length-bias, --aspect-noise); mean-aspects beating overall is by construction. The subsets differ by the zoo's qualities, pref-synth --list-responders; the sources by their noise profiles, pref-synth --list-raters.)}"
export NOTE
exec "$here/ablate.sh" data "${1:-$here/../runs/recipe}" dpo "pairs dpo eval" \
  "mean-aspects:PAIRS_SCORE=mean-aspects" \
  "overall:PAIRS_SCORE=overall" \
  "top:PAIRS_MODELS=strong,verbose" \
  "middle:PAIRS_MODELS=middle,cautious" \
  "bottom:PAIRS_MODELS=reckless,weak" \
  "careful:RATER=careful" \
  "crowd:RATER=crowd" \
  "lengthy:RATER=lengthy" \
  "judge:RATER=judge" \
  "mix:RATER=careful,crowd,lengthy,judge"

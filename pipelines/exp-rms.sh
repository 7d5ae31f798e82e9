# exp-rms.sh — sourced by the experiment pipelines: the weak and the strong
# reward model of the designs that cross reward-model strength with
# something else (Fig. 3 prompts, App. I beta sweep, and the RM verdict of
# pipelines/experiments.sh), as ablate.sh variant specs (recipe knobs,
# "K=V;K=V").  One definition, so every design compares the same two RMs.
#
#   RM_WEAK    default: the reward model trained on a tenth of the pairs
#              (RM_PAIRS: 30 at SCALE=quick, 300 at full), from the SFT policy
#   RM_STRONG  default: all the pairs, from the SFT policy (the recipe's RM)
#
# Strength here is data, not size: a larger RM initialised afresh is weaker
# than one from the SFT policy in this world (exp-rm.sh measures it).  When
# the world has a pretraining stage for RMs, set these to its knobs, e.g.
# RM_STRONG="RM_MODEL_ARGS=..." — the designs take any spec.
if [ "${SCALE:-full}" = quick ]; then : "${RM_WEAK:=RM_PAIRS=30}"; else : "${RM_WEAK:=RM_PAIRS=300}"; fi
: "${RM_STRONG:=}"

#!/bin/sh
# ppo.sh — the PPO loop (App. F.2) as one shell pipeline:
#
#   rollout -f RUN PROMPTS | rm-score -c RM | ppo-step -c POLICY --value RM -o RUN
#
# The policy-update edge runs backwards through files: ppo-step publishes
# RUN/policy-vN and RUN/latest after every batch; rollout -f RUN waits for
# the version that trained its previous batch (--max-lag 0, the paper's
# strictly on-policy setting) and reloads it.  With --zmq the same three
# stages run as separate processes joined by ZeroMQ endpoints (here on
# loopback; on other hosts only the endpoints change).  With a third port
# (--zmq P0,P1,P2) no folder is shared either: ppo-step --publish serves
# the versions on P2 and rollout --policy-from fetches them into its own
# folder RUN.rollout (what a rollout host would hold).
#
# usage: pipelines/ppo.sh -p POLICY -i PROMPTS -o RUN (-r RM | --toy LIST)
#                         [-B PROMPTS_PER_BATCH] [-n SAMPLES] [-e EPOCHS]
#                         [--max-new N] [--seed N] [--zmq PORT0,PORT1[,PORT2]]
#                         [-- PPO-STEP OPTIONS...]
#   -r RM        reward model: scores rollouts (rm-score) and initialises
#                the value model (ppo-step --value RM)
#   --toy LIST   score with toy-reward --token LIST instead (value model
#                from the policy) — a known reward, no reward model needed
# Metrics records go to stdout (rec to-json to read them).
set -eu

usage() { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 64; }

POLICY= PROMPTS= RUN= RM= TOY= B=64 N=1 E=1 MAXNEW=1024 SEED=0 ZMQ=
while [ $# -gt 0 ]; do
  case $1 in
    -p) POLICY=$2; shift 2 ;;
    -i) PROMPTS=$2; shift 2 ;;
    -o) RUN=$2; shift 2 ;;
    -r) RM=$2; shift 2 ;;
    --toy) TOY=$2; shift 2 ;;
    -B) B=$2; shift 2 ;;
    -n) N=$2; shift 2 ;;
    -e) E=$2; shift 2 ;;
    --max-new) MAXNEW=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --zmq) ZMQ=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) usage ;;
    *) echo "ppo.sh: unknown option $1" >&2; usage ;;
  esac
done
[ -n "$POLICY" ] && [ -n "$PROMPTS" ] && [ -n "$RUN" ] || usage
[ -n "$RM" ] || [ -n "$TOY" ] || usage

here=$(cd "$(dirname "$0")/.." && pwd)
[ -x "${PREFPIPE_BIN:-$here/bin}/rollout" ] && PATH=${PREFPIPE_BIN:-$here/bin}:$PATH

# rm-score ends a forward batch at the last record of each rollout batch
# (batch/batch_size), so it never waits for records not sampled yet
sb=8

# ppo-step --no-eos-trick keeps the reward model's score of a truncated
# response: then rm-score must score it as it is, without an EOS it never
# produced (rm-score(1))
as_is=
for a in "$@"; do [ "$a" = --no-eos-trick ] && as_is=--no-eos-trick; done

if [ -n "$RM" ]; then
  score() { rm-score -c "$RM" -b "$sb" $as_is "$@"; }
  value="--value $RM"
else
  score() { toy-reward --token "$TOY" "$@"; }
  value=--value-from-policy
fi

follow=$RUN from=
roll() { rollout -f "$follow" ${from:+--policy-from "$from"} -B "$B" -n "$N" --epochs "$E" --max-new "$MAXNEW" --seed "$SEED" "$@" "$PROMPTS"; }

if [ -z "$ZMQ" ]; then
  roll | score | ppo-step -c "$POLICY" $value -o "$RUN" --seed "$SEED" "$@"
else
  p0=$(echo "$ZMQ" | cut -d, -f1) p1=$(echo "$ZMQ" | cut -d, -f2) p2=$(echo "$ZMQ," | cut -d, -f3)
  publish=
  if [ -n "$p2" ]; then   # versions over ZeroMQ: no shared RUN
    publish="--publish @tcp://127.0.0.1:$p2"
    follow=$RUN.rollout from=">tcp://127.0.0.1:$p2"
  fi
  # trainer host: binds the scored-rollout endpoint
  ppo-step -c "$POLICY" $value -o "$RUN" --seed "$SEED" $publish "$@" "@tcp://127.0.0.1:$p1?producers=1" &
  trainer=$!
  # scorer host: pulls rollouts, pushes scored rollouts to the trainer
  # (acknowledged streams: when the trainer stops reading after --batches
  # it says so, and the scorer ends quietly; a killed stage is an error)
  score -o ">tcp://127.0.0.1:$p1" "@tcp://127.0.0.1:$p0?producers=1" &
  scorer=$!
  # rollout host
  roll -o ">tcp://127.0.0.1:$p0"
  wait "$scorer"
  wait "$trainer"
fi

#!/bin/sh
# ppo-hosts.sh — the PPO loop of pipelines/ppo.sh with its rollout workers
# on other hosts and no folder shared with them:
#
#   this host (trainer)      ppo-step -o RUN --publish EP_P  <- EP_S
#   each host of PPO_WORKERS rollout -f ./cache --policy-from EP_P
#                              | rm-score -c ./rm -o EP_S
#
# ppo-step binds two endpoints on PPO_BIND (default *): the policy versions
# (port PPO_PORT) and the scored rollouts (PPO_PORT_SCORED, default
# PPO_PORT + 1, one producer per worker); each worker connects to both at
# PPO_ADDR (default this host's name).  Both are CURVE (prefpipe(7),
# SECURITY MODEL): the trainer's key pair and the workers' one come from
# PPO_KEYS (default RUN.keys, made with `rec keygen` when missing); only
# the workers' public key is allowed.
# Before it starts, each worker receives its inputs — the reward model,
# the prompts, its key pair and the trainer's public key — through the
# launcher's stdin (tar), into its own folder PPO_WORKDIR/worker-I on its
# host (default /tmp/prefpipe-ppo-$USER): it reads nothing of this host's
# disk, and writes only there (the policy versions it fetched, in cache/).
#
# Every worker samples every batch with the same seed and ids (redundancy:
# a worker that dies is not missed); ppo-step trains the first copy of
# each item.  Each worker scores its own rollouts in a pipe, so the scored
# records are byte for byte those of the one-host loop, and the policies
# are too (tests/ppo-hosts.bats).
#
# Launcher (PPO_ON): "mpirun" (default; Open MPI starts one process on the
# host, over ssh like the MPI stages: mpirun --host H -np 1), "slurm" (srun
# --nodelist=H -N1 -n1 --overlap inside the allocation) or "local" (this
# host, for a trial).  PPO_TRAINER_LAUNCH: a prefix for ppo-step (e.g.
# "mpirun --hostfile H -np 2": ppo-step as 2 ranks; rank 0 binds, so run
# this script on the hosts file's first host).
#
# Stop: ppo-step ends (its --batches, or every worker's stream ended); the
# workers then see the stopped version and end.  A worker's rm-score may
# still hold its end-of-stream for the trainer that has gone (it would
# wait PREFPIPE_ZMQ_TIMEOUT for it): whatever still runs PPO_GRACE seconds
# (default 10) after a successful ppo-step is ended with SIGTERM, its work
# being done.  The loop's exit status is ppo-step's; a worker that failed
# before is named with its exit status (its log: log.txt in its folder).
#
# usage: pipelines/ppo-hosts.sh -p POLICY -i PROMPTS -o RUN -r RM
#                               [-B PROMPTS_PER_BATCH] [-n SAMPLES] [-e EPOCHS]
#                               [--max-new N] [--seed N] [-- PPO-STEP OPTIONS...]
# Metrics records go to stdout, as with pipelines/ppo.sh.
set -eu

usage() { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 64; }

POLICY= PROMPTS= RUN= RM= B=64 N=1 E=1 MAXNEW=1024 SEED=0
while [ $# -gt 0 ]; do
  case $1 in
    -p) POLICY=$2; shift 2 ;;
    -i) PROMPTS=$2; shift 2 ;;
    -o) RUN=$2; shift 2 ;;
    -r) RM=$2; shift 2 ;;
    -B) B=$2; shift 2 ;;
    -n) N=$2; shift 2 ;;
    -e) E=$2; shift 2 ;;
    --max-new) MAXNEW=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) usage ;;
    *) echo "ppo-hosts.sh: unknown option $1" >&2; usage ;;
  esac
done
[ -n "$POLICY" ] && [ -n "$PROMPTS" ] && [ -n "$RUN" ] && [ -n "$RM" ] || usage
: "${PPO_WORKERS:?ppo-hosts.sh: set PPO_WORKERS to the rollout hosts (pipelines/multi-host.sh does)}"

here=$(cd "$(dirname "$0")/.." && pwd)
[ -x "${PREFPIPE_BIN:-$here/bin}/rollout" ] && PATH=${PREFPIPE_BIN:-$here/bin}:$PATH
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
RUN=$(abs "$RUN") RM=$(abs "$RM") PROMPTS=$(abs "$PROMPTS")
PPO_ON=${PPO_ON:-mpirun}
PPO_ADDR=${PPO_ADDR:-$(hostname)}
PPO_BIND=${PPO_BIND:-*}
PPO_PORT=${PPO_PORT:-5600}
PPO_KEYS=$(abs "${PPO_KEYS:-$RUN.keys}")
PPO_WORKDIR=${PPO_WORKDIR:-/tmp/prefpipe-ppo-$(id -un)}
PPO_GRACE=${PPO_GRACE:-10}
PPO_TRAINER_LAUNCH=${PPO_TRAINER_LAUNCH:-}
pp=$PPO_PORT ps=${PPO_PORT_SCORED:-$((PPO_PORT + 1))}
nw=$(echo $PPO_WORKERS | wc -w)

# q WORD: WORD quoted for sh -c (paths and options only; no record text
# reaches a shell here)
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

# the environment a worker needs (PPO_ON=mpirun): -x VAR, or, where
# OMPI_MCA_mca_base_env_list is set (a site's default, or `make asan`),
# appended to that list: Open MPI refuses a job that uses both methods
xenv=
for v in PATH OMP_NUM_THREADS OPENBLAS_NUM_THREADS OMP_WAIT_POLICY; do
  eval "[ -z \"\${$v+x}\" ]" && continue
  if [ -n "${OMPI_MCA_mca_base_env_list:-}" ]; then
    OMPI_MCA_mca_base_env_list="$OMPI_MCA_mca_base_env_list;$v"
  else
    xenv="$xenv -x $v"
  fi
done
[ -z "${OMPI_MCA_mca_base_env_list:-}" ] || export OMPI_MCA_mca_base_env_list

# on HOST SCRIPT: run `sh -c SCRIPT` on HOST, stdin and stderr passed on;
# it execs the launcher, so the caller's $! is the launcher's pid
on() {
  case $PPO_ON in
    mpirun) exec mpirun --host "$1" -np 1 --bind-to none $xenv sh -c "$2" ;;
    slurm)  exec srun --nodelist="$1" --nodes=1 --ntasks=1 --overlap --kill-on-bad-exit=1 sh -c "$2" ;;
    local)  exec sh -c "$2" ;;
    *) echo "ppo-hosts.sh: PPO_ON=$PPO_ON: give mpirun, slurm or local" >&2; exit 64 ;;
  esac
}

# keys: the trainer's pair and the workers' pair; a worker gets its pair
# and the trainer's public key, the trainer allows the workers' public key
mkdir -p "$PPO_KEYS"
for k in trainer worker; do
  [ -e "$PPO_KEYS/$k.key" ] || (cd "$PPO_KEYS" && rec keygen "$k" > /dev/null)
done
tk=$PPO_KEYS/trainer.key allow=$PPO_KEYS/worker.pub

# what a worker receives: a folder of links, sent dereferenced
stage=$RUN.stage
rm -rf "$stage" && mkdir -p "$stage/keys"
ln -s "$RM" "$stage/rm"
ln -s "$PROMPTS" "$stage/prompts.mp"
cp -p "$PPO_KEYS/worker.key" "$PPO_KEYS/worker.pub" "$PPO_KEYS/trainer.pub" "$stage/keys/"

# rm-score ends a forward batch at each rollout batch's last record (as
# pipelines/ppo.sh); --no-eos-trick is passed on as there
as_is=
for a in "$@"; do [ "$a" = --no-eos-trick ] && as_is=--no-eos-trick; done

# the trainer first: the workers' connections wait for it anyway
$PPO_TRAINER_LAUNCH ppo-step -c "$POLICY" --value "$RM" -o "$RUN" --seed "$SEED" \
  --publish "@tcp://$PPO_BIND:$pp?key=$tk&allow=$allow" "$@" \
  "@tcp://$PPO_BIND:$ps?producers=$nw&key=$tk&allow=$allow" &
trainer=$!

cred="key=keys/worker.key&curve=keys/trainer.pub"
workers= i=0
for h in $PPO_WORKERS; do
  i=$((i + 1))
  dir=$PPO_WORKDIR/worker-$i
  script="set -e; PATH=$(q "$here/bin"):\$PATH; export PATH
    rm -rf $(q "$dir"); mkdir -p $(q "$dir"); cd $(q "$dir"); tar -xf -
    rollout -f cache --policy-from $(q ">tcp://$PPO_ADDR:$pp?$cred") -B $(q "$B") -n $(q "$N") --epochs $(q "$E") \
      --max-new $(q "$MAXNEW") --seed $(q "$SEED") prompts.mp 2>> log.txt |
      rm-score -c rm -b 8 $as_is -o $(q ">tcp://$PPO_ADDR:$ps?$cred") 2>> log.txt"
  echo "ppo-hosts: worker $i on $h in $dir" >&2
  # stdout is the metrics stream: nothing of a worker's may reach it
  tar -C "$stage" -chf - . | on "$h" "$script" >&2 &
  workers="$workers $!"
done

rc=0
wait "$trainer" || rc=$?
if [ "$rc" -ne 0 ]; then
  echo "ppo-hosts: ppo-step failed (exit $rc); ending the workers" >&2
  for w in $workers; do kill "$w" 2>/dev/null || true; done
  for w in $workers; do wait "$w" 2>/dev/null || true; done
  exit "$rc"
fi
# the trainer is done: the workers see the stopped version (or their
# prompts ran out) and end; one still there after PPO_GRACE s is ended
t=0 i=0
for w in $workers; do
  i=$((i + 1))
  while kill -0 "$w" 2>/dev/null && [ "$t" -lt "$((PPO_GRACE * 10))" ]; do sleep 0.1; t=$((t + 1)); done
  ended=0
  if kill -0 "$w" 2>/dev/null; then
    echo "ppo-hosts: worker $i still runs ${PPO_GRACE} s after ppo-step ended (its work is done); ending it" >&2
    kill "$w" 2>/dev/null || true
    ended=1
  fi
  wrc=0; wait "$w" 2>/dev/null || wrc=$?
  [ "$wrc" -eq 0 ] || [ "$ended" = 1 ] ||
    echo "ppo-hosts: worker $i failed (exit $wrc; its log.txt in $PPO_WORKDIR/worker-$i on $(echo $PPO_WORKERS | cut -d' ' -f$i))" >&2
done
rm -rf "$stage"
exit 0

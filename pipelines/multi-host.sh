#!/bin/sh
# multi-host.sh HOSTFILE|slurm [RUN_DIR] — the recipe (pipelines/recipe.sh)
# over several hosts: the data-parallel stages as MPI ranks on every host,
# PPO's rollout workers on the other hosts, the rest where this runs.
#
#   stage                  where it runs
#   world, pairs, init     this host (one process each)
#   sft, dpo, rm           every slot of HOSTFILE (mpirun) or every task of
#                          the Slurm allocation (srun): N ranks, each its
#                          share of every batch; rank 0 writes the
#                          checkpoint and metrics into RUN_DIR
#   rm held-out scoring    the same ranks (rm-score sharded); rank 0 writes
#   ppo                    ppo-step on this host (PPO_RANKS ranks, default
#                          1), rollout | rm-score on each host of
#                          PPO_WORKERS (pipelines/ppo-hosts.sh: policy
#                          versions and scored rollouts over CURVE ZeroMQ
#                          endpoints, no folder shared with the workers)
#   bon                    sampling here; the RM's scoring of the samples
#                          on every slot (rm-score sharded)
#   eval, report           this host (one greedy rollout per model)
#
# Endpoints (PPO): ppo-step binds PPO_BIND:PPO_PORT (policy versions) and
# PPO_BIND:PPO_PORT+1 (scored rollouts, one producer per worker); every
# worker connects to both at PPO_ADDR (default: this host's name; PPO_BIND
# default *, PPO_PORT 5600, PPO_PORT_SCORED PPO_PORT + 1).  Keys:
# RUN_DIR/ppo.keys (rec keygen, made once): the workers' key pair travels
# with their inputs.
#
# HOSTFILE is Open MPI's ("node1 slots=2" per line, pipelines/hosts.example);
# run this script on its first host (rank 0's, where ppo-step binds).
# "slurm" uses the allocation this script runs in (salloc/sbatch), with
# srun --mpi=$SRUN_MPI (default pmix) --kill-on-bad-exit so that one failed
# task ends the step.  PPO_WORKERS (hosts, repeatable) defaults to every
# host but the first (the first when there is one); PPO_WORKERS= (empty)
# keeps PPO on this host with the file protocol (pipelines/ppo.sh).
# Requirements: the same prefpipe build at the same path on every host,
# RUN_DIR on a filesystem every MPI host mounts at the same path (each rank
# reads the stage's input files and the model it starts from; PPO's
# workers need no shared disk), and passwordless ssh between the hosts for
# mpirun (Slurm needs none).
# What changes: N ranks sum gradients in MPI's order, so the trained
# weights equal the one-host run's up to float32 reassociation (README:
# "Several processes and hosts"), and the table may differ in the last
# digits; PPO with one trainer rank trains the one-host policy bytes.  A
# rank that dies, or hangs past PREFPIPE_DIST_TIMEOUT seconds (default
# 600), ends the stage with its message and a non-zero exit; the stage is
# then not marked done and reruns next time.
#
# THREADS (default 1) threads per rank; DRY_RUN=1 prints the launchers and
# the PPO layout and exits.  Every recipe variable (SCALE, SEED,
# ONLY_STAGES, ...) applies.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: multi-host.sh HOSTFILE|slurm [RUN_DIR]" >&2; exit 64; }
where=$1
shift
THREADS=${THREADS:-1}
export THREADS
# the variables every rank must see, when set here: mpirun -x VAR, or,
# where OMPI_MCA_mca_base_env_list is set (a site's default, or `make asan`),
# appended to that list: Open MPI refuses a job that uses both methods
fwd=
for v in PATH OMP_NUM_THREADS OPENBLAS_NUM_THREADS OMP_WAIT_POLICY \
         PREFPIPE_DIST_TIMEOUT PREFPIPE_DIST_STATS PREFPIPE_ZMQ_TIMEOUT; do
  eval "[ -z \"\${$v+x}\" ]" && continue
  if [ -n "${OMPI_MCA_mca_base_env_list:-}" ]; then
    OMPI_MCA_mca_base_env_list="$OMPI_MCA_mca_base_env_list;$v"
  else
    fwd="$fwd -x $v"
  fi
done
[ -z "${OMPI_MCA_mca_base_env_list:-}" ] || export OMPI_MCA_mca_base_env_list
if [ "$where" = slurm ]; then
  [ -n "${SLURM_NTASKS:-}" ] || { echo "multi-host.sh: slurm: not inside an allocation (no SLURM_NTASKS)" >&2; exit 64; }
  srun_mpi="--mpi=${SRUN_MPI:-pmix}"
  LAUNCH="srun $srun_mpi --kill-on-bad-exit=1 --ntasks=$SLURM_NTASKS --cpus-per-task=$THREADS"
  hosts=$(scontrol show hostnames "${SLURM_JOB_NODELIST:-}" 2>/dev/null || true)
  PPO_ON=${PPO_ON:-slurm}
  [ "${PPO_RANKS:-1}" -le 1 ] || PPO_TRAINER_LAUNCH="srun $srun_mpi --kill-on-bad-exit=1 --overlap --ntasks=$PPO_RANKS"
else
  [ -r "$where" ] || { echo "multi-host.sh: $where: no such hosts file" >&2; exit 66; }
  np=$(awk '!/^[[:space:]]*(#|$)/ { n = 1; for (i = 2; i <= NF; i++) if ($i ~ /^slots=/) n = substr($i, 7); s += n }
            END { print s + 0 }' "$where")
  [ "$np" -gt 0 ] || { echo "multi-host.sh: $where: no hosts" >&2; exit 65; }
  hosts=$(awk '!/^[[:space:]]*(#|$)/ { print $1 }' "$where")
  # $fwd: the environment every rank needs (above); --bind-to none: ranks
  # share cores with their OpenMP threads as the single-host run does
  opts="--bind-to none$fwd"
  LAUNCH="mpirun --hostfile $where -np $np $opts"
  PPO_ON=${PPO_ON:-mpirun}
  [ "${PPO_RANKS:-1}" -le 1 ] || PPO_TRAINER_LAUNCH="mpirun --hostfile $where -np $PPO_RANKS $opts"
fi
export LAUNCH PPO_ON
if [ -z "${PPO_WORKERS+x}" ]; then
  PPO_WORKERS=$(echo $hosts | cut -s -d' ' -f2-)
  [ -n "$PPO_WORKERS" ] || PPO_WORKERS=$(echo $hosts | cut -d' ' -f1)
fi
if [ -n "$PPO_WORKERS" ]; then
  PPO_LOOP=$root/pipelines/ppo-hosts.sh
  export PPO_LOOP PPO_WORKERS
  [ -z "${PPO_TRAINER_LAUNCH:-}" ] || export PPO_TRAINER_LAUNCH
fi
if [ "${DRY_RUN:-0}" = 1 ]; then
  echo "LAUNCH=$LAUNCH"
  [ -z "${OMPI_MCA_mca_base_env_list:-}" ] || echo "OMPI_MCA_mca_base_env_list=$OMPI_MCA_mca_base_env_list"
  if [ -n "$PPO_WORKERS" ]; then
    echo "PPO: ppo-step on $(hostname)${PPO_TRAINER_LAUNCH:+ via $PPO_TRAINER_LAUNCH}; workers ($PPO_ON): $PPO_WORKERS"
    p=${PPO_PORT:-5600}
    echo "PPO endpoints: ${PPO_BIND:-*}:$p (policy), ${PPO_BIND:-*}:${PPO_PORT_SCORED:-$((p + 1))} (scored rollouts), reached at ${PPO_ADDR:-$(hostname)}"
  else
    echo "PPO: on this host (file protocol)"
  fi
  exit 0
fi
exec sh "$root/pipelines/recipe.sh" "$@"

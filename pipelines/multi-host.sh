#!/bin/sh
# multi-host.sh HOSTFILE|slurm [RUN_DIR] — the recipe (pipelines/recipe.sh)
# with its data-parallel stages spread over several hosts by Open MPI or
# Slurm; every other stage runs where this script runs.
#
#   stage                  where it runs
#   world, pairs, init     this host (one process each)
#   sft, dpo, rm           every slot of HOSTFILE (mpirun) or every task of
#                          the Slurm allocation (srun): N ranks, each its
#                          share of every batch; rank 0 writes the
#                          checkpoint and metrics into RUN_DIR
#   rm held-out scoring    the same ranks (rm-score sharded); rank 0 writes
#   ppo, bon, eval, report this host (PPO's rollout | rm-score | ppo-step
#                          loop follows RUN_DIR/ppo's policy files)
#
# HOSTFILE is Open MPI's ("node1 slots=2" per line, pipelines/hosts.example);
# "slurm" uses the allocation this script runs in (salloc/sbatch), with
# srun --kill-on-bad-exit so that one failed task ends the step.
# Requirements: the same prefpipe build at the same path on every host,
# RUN_DIR on a filesystem every host mounts at the same path (each rank
# reads the stage's input files and the model it starts from), and
# passwordless ssh between the hosts for mpirun (Slurm needs none).
# What changes: N ranks sum gradients in MPI's order, so the trained
# weights equal the one-host run's up to float32 reassociation (README:
# "Several processes and hosts"), and the table may differ in the last
# digits.  A rank that dies ends the stage with its message and a non-zero
# exit; the stage is then not marked done and reruns next time.
#
# THREADS (default 1) threads per rank; DRY_RUN=1 prints the launcher and
# exits.  Every recipe variable (SCALE, SEED, ONLY_STAGES, ...) applies.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: multi-host.sh HOSTFILE|slurm [RUN_DIR]" >&2; exit 64; }
where=$1
shift
THREADS=${THREADS:-1}
export THREADS
if [ "$where" = slurm ]; then
  [ -n "${SLURM_NTASKS:-}" ] || { echo "multi-host.sh: slurm: not inside an allocation (no SLURM_NTASKS)" >&2; exit 64; }
  LAUNCH="srun --kill-on-bad-exit=1 --ntasks=$SLURM_NTASKS --cpus-per-task=$THREADS"
else
  [ -r "$where" ] || { echo "multi-host.sh: $where: no such hosts file" >&2; exit 66; }
  np=$(awk '!/^[[:space:]]*(#|$)/ { n = 1; for (i = 2; i <= NF; i++) if ($i ~ /^slots=/) n = substr($i, 7); s += n }
            END { print s + 0 }' "$where")
  [ "$np" -gt 0 ] || { echo "multi-host.sh: $where: no hosts" >&2; exit 65; }
  # -x: the environment every rank needs; --bind-to none: ranks share cores
  # with their OpenMP threads as the single-host run does
  LAUNCH="mpirun --hostfile $where -np $np --bind-to none -x PATH -x OMP_NUM_THREADS -x OPENBLAS_NUM_THREADS -x OMP_WAIT_POLICY"
fi
export LAUNCH
if [ "${DRY_RUN:-0}" = 1 ]; then echo "LAUNCH=$LAUNCH"; exit 0; fi
exec sh "$root/pipelines/recipe.sh" "$@"

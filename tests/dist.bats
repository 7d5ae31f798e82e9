#!/usr/bin/env bats
# dist: data-parallel training and sharded scoring under mpirun (Open MPI),
# on the tiny model, one thread per rank, --oversubscribe (2 cores here).
#
# Tolerance (README "Several processes and hosts"): with N ranks the
# gradients are summed in MPI's order instead of one process's, so weights
# agree with the single-process run up to float32 reassociation.  Measured
# here: max |w_N - w_1| after 4-8 steps at lr 1e-3 is ~1e-7 (N=2) and
# ~6e-6 (N=4); the tests allow 1e-4.  One rank under mpirun is the single
# process: byte-identical.  Sharded scoring keeps every forward batch
# whole, so its output is byte-identical at any N.
load helper
load fixtures/train/train-helper

WDIFF=$BATS_TEST_DIRNAME/fixtures/dist/wdiff.py
TOL=1e-4

setup_file() {
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
}

need_mpi() {
  command -v mpirun > /dev/null || skip "mpirun not installed (apt-get install openmpi-bin)"
  ldd "$PREFPIPE_BIN/dpo-step" | grep -q libmpi || skip "built without MPI (make MPI=1)"
  command -v python3 > /dev/null || skip "no python3 for the weight comparison"
}

np() { local n=$1; shift; mpirun --oversubscribe -np "$n" "$@"; }

# within TOL: the largest weight difference of two checkpoints
close() {
  local d; d=$(python3 "$WDIFF" "$1/model.safetensors" "$2/model.safetensors")
  echo "max abs weight difference $1 vs $2: $d" >&3
  jq -n -e --argjson d "$d" --argjson t "$TOL" '$d <= $t'
}

@test "dist: sft-step with 2 ranks trains as one process (tolerance), 1 rank byte-identical" {
  need_mpi
  policy pol
  pairs sft.mp 32 1 sft
  a="--epochs 2 --batch 8 --lr 1e-3 --no-timing"
  sft-step -m pol -o one $a sft.mp > m0.mp 2>/dev/null
  np 1 sft-step -m pol -o r1 $a sft.mp > m1.mp 2>/dev/null
  np 2 sft-step -m pol -o r2 $a sft.mp > m2.mp 2>/dev/null
  cmp one/model.safetensors r1/model.safetensors
  cmp m0.mp m1.mp
  close one r2
  # rank 0 alone wrote: one metrics record per step, whole-batch counts
  [ "$(metrics m2.mp | jq -s 'length')" = 8 ]
  [ "$(metrics m2.mp | jq -s '[.[].tokens]')" = "$(metrics m0.mp | jq -s '[.[].tokens]')" ]
  [ "$(metrics m2.mp | jq -cs '[.[].examples] | unique')" = "[8]" ]
}

@test "dist: rm-train with 2 ranks: weights and reward statistics as one process" {
  need_mpi
  policy pol
  pairs train.mp 32 1
  a="--batch 8 --lr 1e-3 --no-timing"
  rm-train -m pol -o one $a train.mp > /dev/null 2>&1
  np 2 rm-train -m pol -o r2 $a train.mp > /dev/null 2>&1
  close one r2
  jq -n -e --slurpfile a one/trainer_state.json --slurpfile b r2/trainer_state.json \
    '($a[0].reward_count == $b[0].reward_count) and (($a[0].reward_mean - $b[0].reward_mean) | fabs) < 1e-4
     and (($a[0].reward_std - $b[0].reward_std) | fabs) < 1e-4'
}

@test "dist: dpo-step with 2 and 4 ranks (batch 6 does not divide evenly) as one process" {
  need_mpi
  policy pol
  pairs train.mp 30 1
  pairs eval.mp 10 2
  a="--epochs 1 --batch 6 --lr 1e-3 --ref pol --no-timing --eval eval.mp"
  dpo-step -m pol -o one $a train.mp > m0.mp 2>/dev/null
  np 2 dpo-step -m pol -o r2 $a train.mp > m2.mp 2>/dev/null
  np 4 dpo-step -m pol -o r4 $a train.mp > m4.mp 2>/dev/null
  close one r2
  close one r4
  # eval records: the whole eval set, every rank's share summed
  jq -n -e --argjson a "$(eval_last m0.mp eval_loss)" --argjson b "$(eval_last m4.mp eval_loss)" '($a - $b) | fabs < 1e-4'
  [ "$(eval_last m4.mp eval_examples)" = 10 ]
}

@test "dist: dpo-step stopped at 2 ranks resumes at 1 and at 4: the run of one process" {
  need_mpi
  policy pol
  pairs train.mp 32 1
  a="--epochs 2 --batch 8 --lr 1e-3 --ref pol --no-timing"
  dpo-step -m pol -o one $a train.mp > /dev/null 2>&1
  np 2 dpo-step -m pol -o part $a --stop-after 3 train.mp > /dev/null 2>&1
  [ "$(jq .step part/trainer_state.json)" = 3 ]
  cp -r part part4
  dpo-step -m pol -o part --resume part $a train.mp > /dev/null 2>&1
  np 4 dpo-step -m pol -o part4 --resume part4 $a train.mp > /dev/null 2>&1
  [ "$(jq .step part/trainer_state.json)" = 8 ] && [ "$(jq .step part4/trainer_state.json)" = 8 ]
  close one part
  close one part4
}

@test "dist: sharded ref-score, rm-score and lm-logprob write the single-process bytes" {
  need_mpi
  policy pol
  pairs p.mp 27 3
  lm-init -o rmk --preset tiny --reward 2>/dev/null
  ref-score -c pol -b 4 --per-token p.mp > want-ref.mp 2>/dev/null
  np 2 ref-score -c pol -b 4 --per-token p.mp > got-ref2.mp 2>/dev/null
  np 3 ref-score -c pol -b 4 --per-token -o got-ref3.mp p.mp 2>/dev/null
  cmp want-ref.mp got-ref2.mp
  cmp want-ref.mp got-ref3.mp
  rm-score -c rmk -b 4 p.mp > want-rm.mp 2>/dev/null
  np 2 rm-score -c rmk -b 4 p.mp > got-rm.mp 2>/dev/null
  cmp want-rm.mp got-rm.mp
  lm-logprob -c pol -b 5 p.mp > want-lp.mp 2>/dev/null
  np 2 lm-logprob -c pol -b 5 p.mp > got-lp.mp 2>/dev/null
  cmp want-lp.mp got-lp.mp
  [ "$(rec to-json < got-lp.mp | jq -s length)" = 27 ]
}

@test "dist: with several ranks stdin is refused (exit 64, names the reason)" {
  need_mpi
  policy pol
  pairs p.mp 4 1
  run np 2 ref-score -c pol - < p.mp
  [ "$status" -eq 64 ]
  [[ "$output" == *"with 2 ranks every input must be a file"*"stdin reaches rank 0 only"* ]]
}

@test "dist: a rank that dies ends the job with its exit, not a hang" {
  need_mpi
  policy pol
  pairs train.mp 32 1
  # long enough to be killed mid-run; each rank leaves its pid
  timeout 120 mpirun --oversubscribe -np 2 sh -c 'echo $$ > pid.$OMPI_COMM_WORLD_RANK; exec dpo-step -m pol --ref pol -o out \
    --epochs 400 --batch 8 --lr 1e-4 --metrics m.mp train.mp' > log 2>&1 &
  job=$!
  for i in $(seq 600); do [ -s m.mp ] && [ -s pid.1 ] && break; sleep 0.1; done
  [ -s m.mp ]
  kill -9 "$(cat pid.1)"
  rc=0; wait "$job" || rc=$?
  cat log >&3
  [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]
  grep -q "exited on signal 9\|terminated\|aborted" log
  [ ! -e out/model.safetensors ]
}

@test "dist: a rank stopped (SIGSTOP) mid-run: the job aborts after PREFPIPE_DIST_TIMEOUT, naming the wait" {
  need_mpi
  policy pol
  pairs train.mp 32 1
  # rank 1 never dies, it stops answering: MPI alone would wait forever
  PREFPIPE_DIST_TIMEOUT=4 timeout 120 mpirun --oversubscribe -np 2 sh -c 'echo $$ > pid.$OMPI_COMM_WORLD_RANK
    exec dpo-step -m pol --ref pol -o out --epochs 400 --batch 8 --lr 1e-4 --metrics m.mp train.mp' > log 2>&1 &
  job=$!
  for i in $(seq 600); do [ -s m.mp ] && [ -s pid.1 ] && break; sleep 0.1; done
  [ -s m.mp ]
  kill -STOP "$(cat pid.1)"
  t0=$(date +%s)
  rc=0; wait "$job" || rc=$?
  t=$(( $(date +%s) - t0 ))
  # the stopped rank is ended with the job (a zombie until init reaps it;
  # one still stopped or running: clean up, and fail)
  st() { ps -o stat= -p "$(cat pid.1)" 2>/dev/null | tr -d ' '; }
  for i in $(seq 50); do case $(st) in ''|Z*) break ;; esac; sleep 0.2; done
  left=0; case $(st) in ''|Z*) ;; *) left=1; kill -9 "$(cat pid.1)" ;; esac
  cat log >&3
  echo "job ended ${t} s after the SIGSTOP, exit $rc" >&3
  [ "$left" = 0 ]
  [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]
  grep -q "dpo-step: rank 0 of 2: [a-z -]* waited [0-9]* s for the other ranks (PREFPIPE_DIST_TIMEOUT=4): a rank hangs or was stopped; aborting the job" log
  [ "$t" -lt 60 ]
  [ ! -e out/model.safetensors ]
}

@test "dist: PREFPIPE_DIST_TIMEOUT that is not a number of seconds is a usage error" {
  need_mpi
  policy pol
  pairs train.mp 4 1
  PREFPIPE_DIST_TIMEOUT=soon run np 2 dpo-step -m pol --ref pol -o out train.mp
  [ "$status" -ne 0 ]
  [[ "$output" == *"PREFPIPE_DIST_TIMEOUT=soon: give the seconds a rank may wait for the others (0: no limit)"* ]]
}

@test "dist: srun tasks without an MPI interface are refused, not trained alone" {
  policy pol
  pairs train.mp 4 1
  SLURM_STEP_NUM_TASKS=2 SLURM_PROCID=1 run dpo-step -m pol --ref pol -o out train.mp
  [ "$status" -eq 64 ]
  [[ "$output" == *"started by srun as task 1 of 2 without an MPI interface: run srun --mpi=pmix"* ]]
  [ ! -e out ]
}

@test "dist: ppo-step with 2 ranks: policy and value as one process; rank 0 alone writes RUN" {
  need_mpi
  lm-init -o pol --seed 1 2>/dev/null
  rec from-json < "$FIX/ppo/prompts.jsonl" > prompts.mp
  rollout -c pol -B 4 -n 2 --max-new 6 --seed 2 prompts.mp > raw.mp 2>/dev/null
  toy-reward --token 0-63 raw.mp > scored.mp
  # minibatch 3 of 8 items: minibatches a rank has no item of happen too
  a="-c pol --value-from-policy -b 8 --lr 1e-3 --minibatch 3 --max-lag 1"
  ppo-step $a -o one scored.mp > m0.mp 2>/dev/null
  np 2 ppo-step $a -o two scored.mp > m2.mp 2>/dev/null
  [ "$(cut -d" " -f1,2 two/latest)" = "2 policy-v2" ]
  close one/policy-v2 two/policy-v2
  close one/state/value two/state/value
  [ "$(rec to-json < m2.mp | jq -s length)" = 2 ]
  jq -n -e --slurpfile a <(rec to-json < m0.mp) --slurpfile b <(rec to-json < m2.mp) \
    '[range(2) as $i | ["reward_mean","kl","value_loss","explained_variance","entropy"][] as $k
      | (($a[$i][$k] - $b[$i][$k]) | fabs) < 1e-4] | all'
  # the per-item diagnostics stay on their ranks: refused with N > 1
  run np 2 ppo-step $a -o three --diagnostics d.mp scored.mp
  [ "$status" -eq 64 ]
}

@test "dist: pipelines/multi-host.sh runs the recipe's sft stage as 2 ranks from a hosts file" {
  need_mpi
  echo "localhost slots=2" > hosts
  DRY_RUN=1 run sh "$PREFPIPE_ROOT/pipelines/multi-host.sh" hosts
  [ "$status" -eq 0 ]
  [[ "$output" == "LAUNCH=mpirun --hostfile hosts -np 2 "* ]]
  # a site's OMPI_MCA_mca_base_env_list (make asan sets one): the ranks'
  # variables join that list, no -x (Open MPI refuses a job with both)
  OMPI_MCA_mca_base_env_list="X=1" OMP_NUM_THREADS=1 DRY_RUN=1 run sh "$PREFPIPE_ROOT/pipelines/multi-host.sh" hosts
  [ "$status" -eq 0 ]
  [[ "$output" != *" -x "* ]]
  [[ "$output" == *"OMPI_MCA_mca_base_env_list=X=1;PATH;OMP_NUM_THREADS"* ]]
  run sh "$PREFPIPE_ROOT/pipelines/multi-host.sh" slurm
  [ "$status" -eq 64 ]
  SCALE=quick ONLY_STAGES="world pairs init sft" sh "$PREFPIPE_ROOT/pipelines/multi-host.sh" "$PWD/hosts" "$PWD/run" 2>/dev/null
  [ -e run/.done-sft ] && [ -f run/sft/model.safetensors ]
  # one metrics record per step, written by rank 0 alone
  n=$(rec to-json < run/sft-metrics.mp | jq -s 'length')
  [ "$n" -gt 0 ] && [ "$(rec to-json < run/sft-metrics.mp | jq -s '[.[].step] == [range(1; length + 1)]')" = true ]
}

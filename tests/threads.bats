#!/usr/bin/env bats
# Model stages on a shared machine (lib/base/threads.h): OpenMP threads
# wait passively unless the user chose a policy, and -j/--threads N is
# exactly OMP_NUM_THREADS=N (the same bytes out).
load helper
load fixtures/train/train-helper

# env_of PID VAR: VAR's value in the running process's environment, once
# it has re-executed itself (waits up to 5 s)
env_of() {
  local i v
  for i in $(seq 50); do
    v=$(tr '\0' '\n' < "/proc/$1/environ" 2>/dev/null | sed -n "s/^$2=//p")
    [ -n "$v" ] && { echo "$v"; return; }
    sleep 0.1
  done
}

# a rollout that waits (for a policy version that never comes), so its
# environment can be read
waiting_rollout() {
  mkdir -p follow
  echo '{"id":"a","prompt":"hi"}' | rec from-json > p.mp
  rollout -f follow p.mp > /dev/null 2> err &
  pid=$!
}

@test "a model stage waits passively by default (OMP_WAIT_POLICY=passive in its environment)" {
  unset OMP_WAIT_POLICY GOMP_SPINCOUNT
  waiting_rollout
  v=$(env_of "$pid" OMP_WAIT_POLICY)
  kill "$pid"; wait "$pid" || true
  [ "$v" = passive ]
}

@test "a policy the user chose is kept" {
  OMP_WAIT_POLICY=active waiting_rollout
  sleep 0.5
  v=$(env_of "$pid" OMP_WAIT_POLICY)
  kill "$pid"; wait "$pid" || true
  [ "$v" = active ]
}

@test "-j N trains exactly as OMP_NUM_THREADS=N (checkpoints byte-identical)" {
  policy pol
  pairs train.mp 16 3 sft
  OMP_NUM_THREADS=2 sft-step -m pol -o a --batch 8 --lr 3e-3 --no-timing train.mp > ma.mp 2>/dev/null
  OMP_NUM_THREADS=1 sft-step -m pol -o b -j 2 --batch 8 --lr 3e-3 --no-timing train.mp > mb.mp 2>/dev/null
  cmp a/model.safetensors b/model.safetensors
  cmp ma.mp mb.mp
  OMP_NUM_THREADS=2 sft-step -m pol -o c --threads 1 --batch 8 --lr 3e-3 --no-timing train.mp > mc.mp 2>/dev/null
  sft-step -m pol -o d --batch 8 --lr 3e-3 --no-timing train.mp > md.mp 2>/dev/null
  cmp c/model.safetensors d/model.safetensors
}

@test "-j on every model stage; a bad count is a usage error naming the option" {
  for t in sft-step rm-train dpo-step ref-score rm-score rollout ppo-step lm-logprob; do
    run "$t" --help
    [[ "$output" == *"-j, --threads N"* ]] || { echo "$t: no -j in --help"; false; }
    run "$t" -j 0
    [ "$status" -eq 64 ] || { echo "$t -j 0: exit $status"; false; }
    [[ "$output" == *"--threads"* ]]
  done
}

# the CPU backend's own kernels run where the CPU has AVX2 and FMA
# (lib/backend/cpu/cpu_train_int.h, cpu_rows_int.h)
own_kernels() {
  grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo && [ "${PREFPIPE_CPU_TRAIN:-}" != blas ]
}

@test "1 and 2 threads give the same bytes: SFT, DPO and RM checkpoints, sampled rollouts (AVX2 CPUs)" {
  own_kernels || skip "no AVX2/FMA: OpenBLAS's products round by thread count"
  policy pol
  pairs sft.mp 16 3 sft
  pairs train.mp 16 3
  for t in 1 2; do
    sft-step -m pol -o s$t -j $t --batch 8 --lr 3e-3 --no-timing sft.mp > /dev/null 2>&1
    dpo-step -m pol --ref pol -o d$t -j $t --batch 8 --lr 3e-3 --no-timing train.mp > /dev/null 2>&1
    rm-train -m pol -o r$t -j $t --batch 8 --lr 3e-3 --no-timing train.mp > /dev/null 2>&1
    rollout -c pol -j $t -n 2 --seed 5 --max-new 24 sft.mp > roll$t.mp 2>/dev/null
  done
  for f in s d r; do
    cmp ${f}1/model.safetensors ${f}2/model.safetensors
    cmp ${f}1/optimizer.safetensors ${f}2/optimizer.safetensors
  done
  [ -s roll1.mp ]
  cmp roll1.mp roll2.mp
}

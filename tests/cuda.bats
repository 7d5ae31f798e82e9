#!/usr/bin/env bats
# cuda: the CUDA backend seen from the stages.
#
# Without a usable GPU (this includes every machine without an NVIDIA
# driver, and builds without nvcc) only the first group runs: every model
# stage refuses --device cuda with exit 69 and the reason, writing
# nothing; the GPU checks are skipped with the reason the backend gave.
# `make test-cuda` sets PREFPIPE_REQUIRE_GPU=1, which turns those skips
# into failures: on the GPU machine nothing may silently not run.
#
# GPU checks (fp32 mode unless stated; tolerances are absolute on
# log-probs of magnitude ~5 and on losses of magnitude ~0.7):
# - test_backend_parity with PREFPIPE_PARITY_BACKENDS=cpu,cuda: every op,
#   forward and backward, with the harness's per-op tolerance tiers;
# - lm-logprob CUDA vs CPU <= 1e-4 and vs the PyTorch reference
#   (tests/fixtures/model/parity/expected.json) <= 1e-4: GQA with
#   head_dim != d/H untied, tied multi-query stored as f16 and bf16;
#   test_checkpoint_parity on the device (log-probs and rewards vs the
#   reference, left-padded batch); test_family_parity likewise for
#   Mistral, Qwen2/3, OLMo 2 and Gemma (outputs, gradient checksums, KV
#   decoding, save); rm-score on the reward-model fixture;
#   a 1500-token sequence batched with short ones;
# - tf32 and bf16 compute modes: within 2e-2 / 1e-1 of fp32, and bf16
#   measurably different from fp32 (the mode is really applied);
# - 50 DPO steps: per-step loss and reward margin CUDA vs CPU <= 1e-3;
# - 20 PPO batches (rollout | toy-reward | ppo-step, all on one device):
#   batch 1 identical samples and rewards, policy and value losses within
#   1e-3; the mean
#   reward over the 20 batches within 0.03 (later batches may sample
#   differently once weights differ in the last bits);
# - resume across devices: DPO stopped after 5 steps on one device and
#   resumed on the other ends within 1e-3 (log-probs of the final
#   weights) of the uninterrupted run.
load helper
load fixtures/train/train-helper

PAR=$FIX/model/parity
# The device of the GPU checks.  PREFPIPE_TEST_GPU_DEVICE=cpu runs them
# CPU against CPU: it checks this file's plumbing (stage options, jq) on a
# machine without a GPU, nothing about CUDA.
DEV=${PREFPIPE_TEST_GPU_DEVICE:-cuda}
STAGES="lm-logprob sft-step rm-train dpo-step ref-score rm-score rollout ppo-step"

# gpu_status: 0 when --device cuda opens here; else prints the reason
gpu_status() {
  local out rc
  out=$(lm-logprob --device cuda 2>&1 < /dev/null); rc=$?
  [ $rc -ne 69 ] && return 0
  echo "${out#*device ?cuda?: }"
  return 1
}

# need_gpu: skip (fail under PREFPIPE_REQUIRE_GPU) without a usable GPU
need_gpu() {
  local why
  [ "$DEV" != cuda ] && return 0
  why=$(gpu_status) && return 0
  if [ -n "${PREFPIPE_REQUIRE_GPU:-}" ]; then
    echo "PREFPIPE_REQUIRE_GPU is set but the CUDA backend cannot run: $why"
    return 1
  fi
  skip "no GPU: $why"
}

# close A B TOL: two JSON arrays of numbers agree elementwise within TOL
close() {
  jq -e -n --argjson a "$1" --argjson b "$2" --argjson t "$3" \
    '($a | length) == ($b | length) and ([$a, $b] | transpose | all(((.[0] - .[1]) | fabs) <= $t))' > /dev/null \
    || { echo "differ beyond $3:"; echo "$1" | head -c 600; echo; echo "$2" | head -c 600; echo; false; }
}

# maxdiff A B: the largest elementwise difference of two JSON arrays
maxdiff() { jq -n --argjson a "$1" --argjson b "$2" '[[$a, $b] | transpose[] | (.[0] - .[1]) | fabs] | max'; }

# parity_model NAME: the fixture with a byte tokenizer beside it (records
# carry token ids; lm-logprob still wants a tokenizer)
parity_model() {
  [ -e tok/tokenizer.json ] || lm-init --preset tiny -o tok 2>/dev/null
  cp -r "$PAR/$1" "$1"
  cp tok/tokenizer.json "$1/"
}

# the parity sequences as records: first token the prompt
parity_records() {
  jq -c '.sequences | to_entries[] | {id: "s\(.key)", prompt_tokens: .value[:1], tokens: .value[1:]}' \
    "$PAR/expected.json" | rec from-json > seq.mp
}

# logprobs DEVICE CKPT IN [extra...]: all per-token log-probs as one JSON array
logprobs() {
  local dev=$1 ck=$2 in=$3; shift 3
  lm-logprob --device "$dev" -c "$ck" "$@" "$in" | rec to-json | jq -s -c '[.[].logprobs[]]'
}

# ---- without a GPU: refusals ----

@test "every model stage refuses --device cuda with exit 69 and the reason when it cannot run here" {
  gpu_status > /dev/null && skip "a GPU is usable here"
  for s in $STAGES; do
    run "$s" --device cuda
    [ "$status" -eq 69 ] || { echo "$s: exit $status: $output"; false; }
    [[ "$output" == "$s: device 'cuda': "*cuda* ]] || { echo "$s: $output"; false; }
  done
  run lm-logprob --device cuda:3
  [ "$status" -eq 69 ]
  [[ "$output" == *"cuda:3"* ]]
}

@test "--device cuda refused before any output is written" {
  gpu_status > /dev/null && skip "a GPU is usable here"
  policy pol
  pairs train.mp 8 1
  run dpo-step -m pol --ref pol -o out --device cuda train.mp
  [ "$status" -eq 69 ]
  [ ! -e out ]
  run lm-logprob -c pol -o o.mp --device cuda train.mp
  [ "$status" -eq 69 ]
  [ ! -e o.mp ]
}

@test "an unknown or malformed --device is a usage error (64)" {
  for s in lm-logprob dpo-step rollout ppo-step; do
    run "$s" --device tpu
    [ "$status" -eq 64 ] || { echo "$s: $status $output"; false; }
    [[ "$output" == *"unknown backend 'tpu'"* ]]
  done
  run lm-logprob --device cuda:x
  if [[ "$output" == *"not compiled into this build"* ]]; then
    [ "$status" -eq 69 ]          # a build without nvcc: cuda at all is unavailable
  else
    [ "$status" -eq 64 ]
    [[ "$output" == *"device number"* ]]
  fi
}

# ---- on a GPU ----

@test "gpu: test_backend_parity cpu vs cuda, every op forward and backward" {
  need_gpu
  t=${PREFPIPE_BUILD:-$PREFPIPE_ROOT/build}/tests/test_backend_parity
  [ -x "$t" ] || skip "test_backend_parity is not built in this tree"
  PREFPIPE_PARITY_BACKENDS=cpu,$DEV "$t"
}

@test "gpu: lm-logprob CUDA = CPU = reference within 1e-4 on the parity fixtures" {
  need_gpu
  parity_records
  for m in llama-gqa-f32 llama-tied-f16 llama-tied-bf16; do
    parity_model $m
    ref=$(jq -c --arg m $m '[.[$m].logprobs[][1:][]]' "$PAR/expected.json")
    c=$(logprobs cpu $m seq.mp); g=$(logprobs $DEV $m seq.mp)
    echo "$m: cuda-cpu $(maxdiff "$g" "$c"), cuda-ref $(maxdiff "$g" "$ref")"
    close "$g" "$c" 1e-4
    close "$g" "$ref" 1e-4
  done
}

@test "gpu: the checkpoint parity fixtures on the device: log-probs and rewards vs the PyTorch reference within 1e-4" {
  need_gpu
  t=${PREFPIPE_BUILD:-$PREFPIPE_ROOT/build}/tests/test_checkpoint_parity
  [ -x "$t" ] || skip "test_checkpoint_parity is not built in this tree"
  cd "$PREFPIPE_ROOT" && PREFPIPE_TEST_BACKEND=$DEV "$t"   # it finds the fixtures from the root
}

@test "gpu: the model families (Mistral, Qwen2/3, OLMo 2, Gemma) on the device vs the PyTorch reference" {
  need_gpu
  t=${PREFPIPE_BUILD:-$PREFPIPE_ROOT/build}/tests/test_family_parity
  [ -x "$t" ] || skip "test_family_parity is not built in this tree"
  cd "$PREFPIPE_ROOT" && PREFPIPE_TEST_BACKEND=$DEV "$t"
}

@test "gpu: rm-score CUDA = CPU within 1e-4 on the reward-model fixture" {
  need_gpu
  parity_model llama-reward-f32
  json_records r.mp '{"id":"a","prompt":[{"role":"user","content":"hi there"}],"response":"yes 1 2 3"}' \
    '{"id":"b","prompt":[{"role":"user","content":"what now?"}],"response":"a somewhat longer answer than the first one"}'
  c=$(rm-score --device cpu -c llama-reward-f32 r.mp | rec to-json | jq -s -c 'map(.reward)')
  g=$(rm-score --device $DEV -c llama-reward-f32 r.mp | rec to-json | jq -s -c 'map(.reward)')
  [ "$(echo "$c" | jq length)" -eq 2 ]
  close "$g" "$c" 1e-4
}

@test "gpu: a 1500-token sequence batched with short ones, CUDA = CPU within 1e-4" {
  need_gpu
  lm-init --preset tiny -o pol 2>/dev/null
  long=$(head -c 1500 /dev/zero | tr '\0' 'a' | sed 's/aaaa/abc /g')
  json_records in.mp "{\"id\":\"l\",\"text\":\"$long\"}" '{"id":"a","text":"short"}' '{"id":"b","text":"a little longer"}'
  c=$(logprobs cpu pol in.mp -b 3); g=$(logprobs $DEV pol in.mp -b 3)
  echo "max diff $(maxdiff "$g" "$c")"
  close "$g" "$c" 1e-4
}

@test "gpu: tf32 and bf16 compute modes stay near fp32; bf16 is really applied" {
  need_gpu
  parity_records
  parity_model llama-gqa-f32
  f=$(logprobs $DEV llama-gqa-f32 seq.mp)
  t=$(PREFPIPE_CUDA_PRECISION=tf32 logprobs $DEV llama-gqa-f32 seq.mp)
  b=$(PREFPIPE_CUDA_PRECISION=bf16 logprobs $DEV llama-gqa-f32 seq.mp)
  echo "tf32 $(maxdiff "$t" "$f") bf16 $(maxdiff "$b" "$f")"
  close "$t" "$f" 2e-2
  close "$b" "$f" 1e-1
  [ "$DEV" != cuda ] || [ "$b" != "$f" ]
  if [ "$DEV" = cuda ]; then
    run env PREFPIPE_CUDA_PRECISION=fp16 lm-logprob --device cuda -c llama-gqa-f32 seq.mp
    [ "$status" -eq 64 ]
  fi
}

@test "gpu: 50 DPO steps, loss and reward margin per step CUDA = CPU within 1e-3" {
  need_gpu
  policy pol
  pairs train.mp 200 1
  dpo-step --device cpu -m pol --ref pol -o out-a --epochs 2 --batch 8 --lr 1e-3 --no-timing train.mp > m-a.mp 2>/dev/null
  dpo-step --device $DEV -m pol --ref pol -o out-b --epochs 2 --batch 8 --lr 1e-3 --no-timing train.mp > m-b.mp 2>/dev/null
  [ "$(metrics m-b.mp | jq -s length)" -eq 50 ]
  for f in loss reward_margin; do
    close "$(metrics m-b.mp | jq -s -c "map(.$f)")" "$(metrics m-a.mp | jq -s -c "map(.$f)")" 1e-3
  done
}

@test "gpu: 20 PPO batches on one device each, CUDA vs CPU" {
  need_gpu
  lm-init -o pol --seed 1 2>/dev/null
  rec from-json < "$FIX/ppo/prompts.jsonl" > prompts.mp
  for side in "a cpu" "b $DEV"; do
    set -- $side
    rollout --device $2 -f run-$1 -B 8 -n 4 --epochs 20 --max-new 8 --temperature 1 --seed 3 --wait-timeout 120 prompts.mp 2>/dev/null \
      | toy-reward --token 0-63 \
      | ppo-step --device $2 -c pol --value-from-policy -o run-$1 -b 32 --lr 1e-2 --warmup-steps 0 --no-eos-trick \
          --beta 0.05 --seed 1 2>run-$1.err > m-$1.mp
    [ "$(rec to-json < m-$1.mp | jq -s length)" -eq 20 ]
  done
  c=$(rec to-json < m-a.mp | jq -s -c '.'); g=$(rec to-json < m-b.mp | jq -s -c '.')
  jq -e -n --argjson c "$c" --argjson g "$g" '$c[0].reward_mean == $g[0].reward_mean and (($c[0].policy_loss - $g[0].policy_loss) | fabs) < 1e-3
       and (($c[0].value_loss - $g[0].value_loss) | fabs) < 1e-3'
  jq -e -n --argjson c "$c" --argjson g "$g" '(($c | map(.reward_mean) | add) - ($g | map(.reward_mean) | add)) / 20 | fabs < 0.03'
}

@test "gpu: DPO resumed on the other device ends where the uninterrupted run does" {
  need_gpu
  policy pol
  pairs train.mp 64 1
  args="--epochs 2 --batch 8 --lr 1e-3 --no-timing"
  dpo-step --device cpu -m pol --ref pol -o full $args train.mp > /dev/null 2>&1
  json_records probe.mp '{"id":"p","text":"yes 1 2 3 4 5 6"}' '{"id":"q","text":"no 9 4 7 1"}'
  want=$(logprobs cpu full probe.mp)
  for pair in "$DEV cpu" "cpu $DEV"; do
    set -- $pair
    rm -rf part
    dpo-step --device "$1" -m pol --ref pol -o part $args --stop-after 5 train.mp > /dev/null 2>&1
    dpo-step --device "$2" --ref pol --resume part -o part $args train.mp > /dev/null 2>&1
    got=$(logprobs cpu part probe.mp)
    echo "$1 -> $2: $(maxdiff "$got" "$want")"
    close "$got" "$want" 1e-3
  done
}

#!/usr/bin/env bats
# ppo-step: options, checkpoints and bad input (counted rejections with a
# reason; clear errors).  Rollouts come from rollout -c (a fixed policy,
# version 0), two batches of 4 prompts x 2.
load helper

setup_rollouts() {
  lm-init -o pol --seed 1 2>/dev/null
  rec from-json < "$FIX/ppo/prompts.jsonl" > prompts.mp
  rollout -c pol -B 4 -n 2 --max-new 6 --seed 2 prompts.mp > raw.mp 2>/dev/null
  toy-reward --token 0-63 raw.mp > scored.mp
}

ppo() { ppo-step -c pol --value-from-policy -o run -b 8 --lr 1e-3 "$@"; }

@test "--help and --version" {
  run ppo-step --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--value-from-policy"* ]]
  run ppo-step --version
  [ "$status" -eq 0 ]
  [[ "$output" == *prefpipe* ]]
}

@test "usage errors exit 64" {
  run ppo-step -c pol --value-from-policy
  [ "$status" -eq 64 ]
  run ppo-step -c pol -o run
  [ "$status" -eq 64 ]
  [[ "$output" == *"--value"* ]]
  run ppo-step -c pol --value-from-policy -o run --kl-estimator k9
  [ "$status" -eq 64 ]
  run ppo-step -c pol --value-from-policy -o run --kl-clamp 1
  [ "$status" -eq 64 ]
}

@test "a value checkpoint without a scalar head is a clear error" {
  setup_rollouts
  run ppo-step -c pol --value pol -o run scored.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"no scalar head (score.weight)"* ]]
}

@test "value from a reward model; metrics record per batch; versions published" {
  setup_rollouts
  lm-init --reward -o rm --seed 4 2>/dev/null
  ppo-step -c pol --value rm -o run -b 8 --max-lag 1 scored.mp > m.mp 2>err
  rec validate metrics < m.mp
  rec to-json < m.mp > m.jsonl
  [ "$(wc -l < m.jsonl)" -eq 2 ]
  for k in reward_mean reward_std kl policy_loss value_loss pg_clipfrac vf_clipfrac approx_kl entropy \
           response_length truncated explained_variance lr tokens_per_s; do
    jq -e "has(\"$k\")" m.jsonl > /dev/null
  done
  [ "$(cut -d" " -f1,2 run/latest)" = "2 policy-v2" ]
  [ -f run/policy-v2/model.safetensors ]
  [ -f run/state/value/optimizer.safetensors ]
}

@test "an existing run needs --resume; --resume needs a state" {
  setup_rollouts
  ppo --max-lag 1 scored.mp > /dev/null 2>&1
  run ppo --max-lag 1 scored.mp
  [ "$status" -eq 64 ]
  [[ "$output" == *"--resume"* ]]
  run ppo-step --resume -o nowhere scored.mp
  [ "$status" -eq 66 ]
}

@test "state copies left by killed runs are removed; the state switch leaves no copy behind" {
  setup_rollouts
  ppo --max-lag 1 scored.mp > /dev/null 2>&1
  mkdir run/.state.tmp.999999999 run/.state.old.999999998
  cp -r run/state run/.state.tmp.999999999/policy
  ppo-step --resume -o run -b 8 --max-lag 1 scored.mp > /dev/null 2>&1
  [ -f run/state/policy/optimizer.safetensors ]
  [ -z "$(ls -a run | grep '^\.state\.')" ]
}

@test "rollouts without rewards are rejected and counted" {
  setup_rollouts
  run ppo --max-lag 1 raw.mp
  [ "$status" -eq 0 ]
  [[ "$output" == *"rejected (no_reward)"* ]]
  [[ "$output" == *"rejected: 16 no_reward"* ]]
  [[ "$output" == *"every record was rejected; the policy is unchanged"* ]]
  cmp pol/model.safetensors run/policy-v2/model.safetensors
}

@test "NaN rewards are rejected and counted" {
  setup_rollouts
  # {"id":"x#0","batch":0,"batch_size":1,"policy":{"version":0},"reward":NaN}
  printf '\x85\xa2id\xa3x#0\xa5batch\x00\xaabatch_size\x01\xa6policy\x81\xa7version\x00\xa6reward\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00' > nan.mp
  run ppo nan.mp
  [ "$status" -eq 0 ]
  [[ "$output" == *"rejected: 1 nan_reward"* ]]
}

@test "rollouts from a different tokenizer are rejected" {
  setup_rollouts
  rec to-json < scored.mp | jq -c '.policy.tokenizer = "0123456789abcdef"' | rec from-json > other.mp
  run ppo --max-lag 1 other.mp
  [ "$status" -eq 0 ]
  [[ "$output" == *"rejected: 16 tokenizer"* ]]
}

@test "rollouts whose ref_logprobs came from a different tokenizer are rejected" {
  setup_rollouts
  rec to-json < scored.mp | jq -c '.ref_tokenizer = "0123456789abcdef"' | rec from-json > other.mp
  run ppo --max-lag 1 other.mp
  [ "$status" -eq 0 ]
  [[ "$output" == *"rejected: 16 tokenizer"* ]]
}

@test "stale versions beyond --max-lag are rejected; within it they are trained" {
  setup_rollouts
  # both batches were sampled by version 0: batch 1 is one version stale
  run ppo scored.mp
  [ "$status" -eq 0 ]
  [[ "$output" == *"rejected: 8 stale"* ]]
  rm -rf run
  run ppo --max-lag 1 scored.mp
  [[ "$output" == *"rejected: none"* ]]
}

@test "duplicates (a regenerated batch) are dropped, an already trained batch is refused" {
  setup_rollouts
  rec head -n 4 scored.mp > first4.mp
  cat first4.mp scored.mp first4.mp > replayed.mp
  ppo --max-lag 1 replayed.mp > m.mp 2> err
  grep -q "rejected: 4 trained, 4 duplicate" err
  [ "$(cut -d" " -f1,2 run/latest)" = "2 policy-v2" ]
  rec to-json < m.mp | jq -s -e 'map(.rollouts) == [8, 8]'
}

@test "Table 10 switches and batch options are accepted and change the update" {
  setup_rollouts
  ppo --max-lag 1 --batches 1 scored.mp > a.mp 2>/dev/null
  rm -rf run
  ppo --max-lag 1 --batches 1 --kl-estimator k3 --kl-clamp -1,1 --adaptive-kl 6,10000 --eos-reward -5 \
      --reward-norm 0.2,0.1 --reward-clip 3 --whiten-rewards --no-whiten-advantages --forward batch \
      -g 2 -e 2 --value-warmup 1 --gamma 0.99 --lambda 0.9 --cliprange 0.1 --cliprange-value 0.3 --vf-coef 0.5 \
      --adam-betas 0.9,0.99 --adam-eps 1e-8 --weight-decay 0.01 --clip-norm 0.5 -b 2 scored.mp > b.mp 2>/dev/null
  rec to-json < a.mp | jq -e '.updates == 1'
  rec to-json < b.mp | jq -e '.updates == 4'
  ! cmp -s a.mp b.mp
}

@test "--reward-norm DIR reads rm-train's statistics" {
  setup_rollouts
  lm-init --reward -o rm 2>/dev/null
  echo '{"reward_mean": 0.25, "reward_std": 0.5}' > rm/trainer_state.json
  ppo --max-lag 1 --batches 1 --reward-norm rm --no-whiten-advantages scored.mp > a.mp 2>/dev/null
  rec to-json < a.mp | jq -e '.score_mean != .reward_mean'
  rm rm/trainer_state.json
  run ppo --reward-norm rm scored.mp
  [ "$status" -eq 65 ]
}

# every "$ " line of the man page's EXAMPLES runs and succeeds
@test "man page examples run" {
  lm-init -o pol --seed 1 2>/dev/null
  lm-init --reward -o rm --seed 4 2>/dev/null
  rec from-json < "$FIX/ppo/prompts.jsonl" > prompts.mp
  n=0
  while IFS= read -r cmd; do
    n=$((n + 1))
    bash -o pipefail -c "$cmd" > "ex$n.out" 2> "ex$n.err" || { echo "failed: $cmd"; cat "ex$n.err"; false; }
  done < <(sed -n '/^\.SH EXAMPLES/,/^\.SH /p' "$BATS_TEST_DIRNAME/../man/man1/ppo-step.1" | sed -n 's/^\$ //p' | sed 's/\\-/-/g')
  [ "$n" -eq 3 ]
}

@test "--diagnostics writes one record per trained rollout" {
  setup_rollouts
  ppo --max-lag 1 --diagnostics d.mp scored.mp > /dev/null 2>&1
  rec to-json < d.mp > d.jsonl
  [ "$(wc -l < d.jsonl)" -eq 16 ]
  jq -s -e '(map(.id) | unique | length) == 16' d.jsonl
  jq -s -e 'all(has("reward") and has("score") and has("kl") and has("advantage") and (.finish == "length" or .finish == "stop"))' d.jsonl
  # the EOS trick: truncated responses score -10
  jq -s -e 'all(if .finish == "length" then .score == -10 else .score == .reward end)' d.jsonl
}

@test "records without batch fields are grouped by --batch-records (else rejected with a reason)" {
  setup_rollouts
  rec to-json < scored.mp | jq -c 'del(.batch, .batch_size)' | rec from-json > nobatch.mp
  ppo --max-lag 1 --batch-records 8 nobatch.mp > m.mp 2> err
  rec to-json < m.mp | jq -s -e 'map(.rollouts) == [8, 8]'
  rm -rf run
  ppo --max-lag 1 nobatch.mp > /dev/null 2> err
  grep -q "rejected: 16 bad" err
  grep -q "no batch_size (give ppo-step --batch-records)" err
}

@test "an input that ends inside a batch, or before --batches arrived, exits 74 (its producer died): never taken for done" {
  setup_rollouts
  rec head -n 12 scored.mp > short.mp   # batch 0 whole, batch 1: 4 of its 8
  run ppo --max-lag 1 short.mp
  [ "$status" -eq 74 ]
  [[ "$output" == *"input ended inside batch 1 (4 of 8 records): not trained"* ]]
  [ "$(cut -d" " -f1 run/latest)" = 1 ]   # batch 0 trained and committed: --resume continues
  rm -rf run
  run ppo --max-lag 1 --batches 3 scored.mp
  [ "$status" -eq 74 ]
  [[ "$output" == *"input ended after 2 of --batches 3 batches"* ]]
  rm -rf run
  ppo --max-lag 1 --batches 2 scored.mp > /dev/null 2>&1   # all it asked for: exit 0
}

@test "bad inputs are refused before the run folder is created" {
  setup_rollouts
  run ppo "@tcp://127.0.0.1:1?color=red"
  [ "$status" -eq 64 ]
  [[ "$output" == *"unknown endpoint option 'color=red'"* ]]
  [ ! -e run ]
  run ppo "@tcp://0.0.0.0:1"
  [ "$status" -eq 64 ]
  [ ! -e run ]
  run ppo missing.mp
  [ "$status" -eq 66 ]
  [ ! -e run ]
}

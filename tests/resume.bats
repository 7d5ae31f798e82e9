#!/usr/bin/env bats
# --resume restores the run's saved arguments (DIR/run_config.json,
# base/run_args.h): `STAGE --resume DIR` alone continues sft-step, rm-train,
# dpo-step and ppo-step; a flag given again with another value is an error
# naming both values unless it is on the documented may-change list; every
# checkpoint holds the run's options, effective configuration, seed and
# prefpipe version/commit.  Tiny model, one thread.
load helper
load fixtures/train/train-helper

train_args="--epochs 2 --batch 8 --lr 1e-3"

setup_data() {
  policy pol
  pairs train.mp 64 1
  pairs sft.mp 64 1 sft
}

@test "every trainer checkpoint holds run_config.json: options, inputs, effective settings, seed, version, commit" {
  setup_data
  dpo-step -m pol --ref pol -o d $train_args --seed 7 --beta 0.2 train.mp > /dev/null 2>&1
  jq -e '.program == "dpo-step" and .seed == 7 and .prefpipe.version == "0.1.0" and (.prefpipe.commit | length > 0)' d/run_config.json
  # relative names are saved absolute, so a resume from elsewhere reads the same files
  jq -e --arg w "$PWD" '.options.model == "\($w)/pol" and .options.ref == "\($w)/pol" and .inputs == ["\($w)/train.mp"]' d/run_config.json
  jq -e '.options.lr == "1e-3" and .options.beta == "0.2" and (.options | has("stop-after") | not)' d/run_config.json
  # defaults resolved: the whole configuration, not only what was typed
  jq -e '.effective.lr == 0.001 and .effective.micro_batch == 4 and .effective.adam_betas == [0.9, 0.999]
         and .effective.clip_norm == 1 and .effective.loss == "dpo" and .effective.beta == 0.2 and .effective.threads == 1' d/run_config.json
  sft-step -m pol -o s --max-steps 2 --batch 8 sft.mp > /dev/null 2>&1
  jq -e '.program == "sft-step" and .effective.seed == 0 and .effective.max_steps == 2' s/run_config.json
  rm-train -m pol -o r --max-steps 2 --batch 8 train.mp > /dev/null 2>&1
  jq -e '.program == "rm-train" and .effective.center == 0' r/run_config.json
}

@test "dpo-step --resume DIR alone continues, from another directory, to the uninterrupted run's weights" {
  setup_data
  dpo-step -m pol --ref pol -o full $train_args train.mp > /dev/null 2>&1
  dpo-step -m pol --ref pol -o part $train_args --stop-after 5 train.mp > /dev/null 2>&1
  mkdir elsewhere
  (cd elsewhere && dpo-step --resume ../part > ../m.mp 2> ../err)
  grep -q "resuming with the arguments saved in ../part/run_config.json" err
  grep -q "resuming ../part at step 5 of 16" err
  cmp full/model.safetensors part/model.safetensors
  cmp full/optimizer.safetensors part/optimizer.safetensors
  [ "$(metrics m.mp | jq -s '.[0].step')" = 6 ]
}

@test "sft-step and rm-train --resume DIR alone continue exactly" {
  setup_data
  for s in "sft-step sft.mp" "rm-train train.mp"; do
    set -- $s
    "$1" -m pol -o "$1-full" $train_args "$2" > /dev/null 2>&1
    "$1" -m pol -o "$1-part" $train_args --stop-after 3 "$2" > /dev/null 2>&1
    "$1" --resume "$1-part" > /dev/null 2>&1
    cmp "$1-full/model.safetensors" "$1-part/model.safetensors"
  done
}

@test "a flag given again with another value is an error naming both values; the may-change flags pass" {
  setup_data
  dpo-step -m pol --ref pol -o part $train_args --stop-after 2 train.mp > /dev/null 2>&1
  run dpo-step --resume part --lr 2e-3
  [ "$status" -eq 64 ]
  [[ "$output" == *"--lr 2e-3 differs from the run being resumed (--lr 1e-3 in part/run_config.json)"* ]]
  [[ "$output" == *"only --output, --threads, --progress, --metrics"* ]]
  [ "$(jq .step part/trainer_state.json)" = 2 ]
  # the same value in another spelling is no difference
  dpo-step --resume part --lr 0.001 --epochs 2 --stop-after 1 > /dev/null 2>&1
  [ "$(jq .step part/trainer_state.json)" = 3 ]
  # may change: threads, metrics, progress, stop-after
  dpo-step --resume part -j 1 --metrics m.mp --progress --stop-after 1 2>/dev/null
  [ "$(jq .step part/trainer_state.json)" = 4 ]
  [ "$(metrics m.mp | jq -s '.[-1].step')" = 4 ]
  # an input given on the command line replaces the saved ones (the data check still applies)
  pairs other.mp 32 2
  run dpo-step --resume part other.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"cannot resume"* ]]
}

@test "--resume into a new --output writes there and leaves the resumed checkpoint as it was" {
  setup_data
  dpo-step -m pol --ref pol -o part $train_args --stop-after 2 train.mp > /dev/null 2>&1
  cp part/model.safetensors before.safetensors
  dpo-step --resume part -o next > /dev/null 2>&1
  cmp before.safetensors part/model.safetensors
  [ "$(jq .step next/trainer_state.json)" = 16 ]
  jq -e --arg w "$PWD" '.options.output == "\($w)/next"' next/run_config.json
}

@test "a damaged run_config.json is named; a checkpoint without one still resumes with every flag given" {
  setup_data
  dpo-step -m pol --ref pol -o part $train_args --stop-after 2 train.mp > /dev/null 2>&1
  cp -r part old
  echo '{"options": ' > part/run_config.json
  run dpo-step --resume part
  [ "$status" -eq 65 ]
  [[ "$output" == *"part/run_config.json"* ]]
  rm old/run_config.json
  run dpo-step --resume old
  [ "$status" -eq 64 ]
  dpo-step --ref pol --resume old -o old $train_args train.mp > /dev/null 2>&1
  [ "$(jq .step old/trainer_state.json)" = 16 ]
}

@test "ppo-step --resume -o RUN restores the saved options; a changed PPO option is refused" {
  lm-init -o pol --seed 1 2>/dev/null
  rec from-json < "$FIX/ppo/prompts.jsonl" > prompts.mp
  roll() { rollout -f "$1" -B 8 -n 4 --epochs 4 --max-new 8 --temperature 1 --seed 3 --wait-timeout 60 prompts.mp 2>/dev/null | toy-reward --token 0-63; }
  roll full | ppo-step -c pol --value-from-policy -o full -b 32 --lr 1e-2 --warmup-steps 0 --no-eos-trick --seed 1 2>/dev/null > /dev/null
  roll part | ppo-step -c pol --value-from-policy -o part -b 32 --lr 1e-2 --warmup-steps 0 --no-eos-trick --seed 1 \
    --batches 2 2>/dev/null > /dev/null
  jq -e '.program == "ppo-step" and .options.lr == "1e-2" and (.options | has("batches") | not)' part/run_config.json
  jq -e '.options["value-from-policy"] == true and .effective.minibatch == 32' part/policy-v2/run_config.json
  run ppo-step --resume -o part --lr 1e-3 < /dev/null
  [ "$status" -eq 64 ]
  [[ "$output" == *"--lr 1e-3 differs from the run being resumed (--lr 1e-2 in part/run_config.json)"* ]]
  roll part | ppo-step --resume -o part 2>err > /dev/null
  grep -q "resumed part at version 2" err
  cmp full/policy-v4/model.safetensors part/policy-v4/model.safetensors
}

@test "a flag the run was started without: its default passes, another value is refused naming both" {
  setup_data
  dpo-step -m pol --ref pol -o part $train_args --stop-after 2 train.mp > /dev/null 2>&1
  jq -e '.options | has("beta") | not' part/run_config.json
  beta=$(jq .effective.beta part/run_config.json)
  run dpo-step --resume part --beta 0.5
  [ "$status" -eq 64 ]
  [[ "$output" == *"--beta 0.5 differs from the run being resumed (beta $beta, its setting without --beta, in part/run_config.json)"* ]]
  # an option with no effective setting of its name (an old spelling): never given, so not now either
  run dpo-step --resume part --warmup 0.5
  [ "$status" -eq 64 ]
  [[ "$output" == *"--warmup 0.5 was not given to the run being resumed (part/run_config.json)"* ]]
  # a list compares number by number
  run dpo-step --resume part --adam-betas 0.9,0.5
  [ "$status" -eq 64 ]
  [[ "$output" == *"--adam-betas 0.9,0.5 differs from the run being resumed (adam_betas [0.9,0.999]"* ]]
  [ "$(jq .step part/trainer_state.json)" = 2 ]
  dpo-step --resume part --beta "$beta" --adam-betas 0.9,0.999 --stop-after 1 > /dev/null 2>&1
  [ "$(jq .step part/trainer_state.json)" = 3 ]
}

# the PPO runs below: rollouts of a tiny policy scored by toy-reward
ppo_roll() { rollout -f "$1" -B 8 -n 4 --epochs 4 --max-new 8 --temperature 1 --seed 3 --wait-timeout 60 prompts.mp 2>/dev/null | toy-reward --token 0-63; }

@test "ppo-step's run_config.json holds every PPO setting resolved; --resume RUN alone restores them" {
  lm-init -o pol --seed 1 2>/dev/null
  rec from-json < "$FIX/ppo/prompts.jsonl" > prompts.mp
  args="-c pol --value-from-policy -b 32 --lr 1e-2 --warmup-steps 0 --no-eos-trick --seed 1 --gamma 0.99"
  ppo_roll full | ppo-step $args -o full 2>/dev/null > /dev/null
  ppo_roll part | ppo-step $args -o part --batches 2 2>/dev/null > /dev/null
  # given, and defaults resolved (the paper's Table 10)
  jq -e '.effective | .gamma == 0.99 and .lambda == 0.95 and .beta == 0.05 and .kl_estimator == "k1"
         and .cliprange == 0.2 and .cliprange_value == 0.2 and .vf_coef == 0.1 and .eos_trick == false
         and .eos_reward == -10 and .reward_norm == null and .reward_clip == null and .kl_clamp == null
         and .adaptive_kl == null and .whiten_rewards == false and .whiten_advantages == true
         and .minibatch == 32 and .accum == 1 and .inner_epochs == 1 and .forward == "minibatch"
         and .adam_betas == [0.9, 0.95] and .clip_norm == 1 and .warmup_steps == 0 and .value_warmup == 0
         and .max_lag == 0 and .keep == 3 and .batches == 2 and .seed == 1 and .threads == 1' part/run_config.json
  cmp part/run_config.json part/policy-v2/run_config.json
  # --resume RUN (no -o), from another directory
  mkdir elsewhere
  ppo_roll part | (cd elsewhere && ppo-step --resume ../part 2> ../err > /dev/null)
  grep -q "resuming with the arguments saved in ../part/run_config.json" err
  grep -q "resumed ../part at version 2" err
  cmp full/policy-v4/model.safetensors part/policy-v4/model.safetensors
  # the resumed run's settings are the saved ones (--batches aside: per invocation)
  diff <(jq -S '.effective | del(.batches)' full/run_config.json) <(jq -S '.effective | del(.batches)' part/run_config.json)
  # a PPO setting the run was started without: refused unless it is the default
  run ppo-step --resume part --cliprange 0.1 < /dev/null
  [ "$status" -eq 64 ]
  [[ "$output" == *"--cliprange 0.1 differs from the run being resumed (cliprange 0.2, its setting without --cliprange, in part/run_config.json)"* ]]
  run ppo-step --resume part --gamma 0.9 < /dev/null
  [ "$status" -eq 64 ]
  [[ "$output" == *"--gamma 0.9 differs from the run being resumed (--gamma 0.99 in part/run_config.json)"* ]]
}

@test "ppo-step --reward-norm DIR is saved absolute: a resume from another directory reads the same statistics" {
  policy tp
  pairs train.mp 16 1
  rm-train -m tp -o rmdir --max-steps 2 --batch 8 train.mp > /dev/null 2>&1
  jq -e '.reward_std > 0' rmdir/trainer_state.json
  lm-init -o pol --seed 1 2>/dev/null
  rec from-json < "$FIX/ppo/prompts.jsonl" > prompts.mp
  args="-c pol --value-from-policy -b 32 --lr 1e-2 --warmup-steps 0 --no-eos-trick --seed 1 --reward-norm rmdir"
  ppo_roll full | ppo-step $args -o full 2>/dev/null > /dev/null
  ppo_roll part | ppo-step $args -o part --batches 2 2>/dev/null > /dev/null
  jq -e --arg w "$PWD" '.options["reward-norm"] == "\($w)/rmdir"' part/run_config.json
  # the statistics read from it (run_config.json keeps 15 significant digits)
  jq -e --slurpfile s rmdir/trainer_state.json 'def near(a; b): ((a - b) | fabs) <= 1e-13 * (b | fabs);
    near(.effective.reward_norm.mean; $s[0].reward_mean) and near(.effective.reward_norm.std; $s[0].reward_std)' \
    part/run_config.json
  mkdir elsewhere
  ppo_roll part | (cd elsewhere && ppo-step --resume ../part 2> ../err > /dev/null)
  grep -q "resumed ../part at version 2" err
  cmp full/policy-v4/model.safetensors part/policy-v4/model.safetensors
  # MEAN,STD and running are no file names: kept as given
  ppo_roll nums | ppo-step -c pol --value-from-policy -b 32 -o nums --batches 1 --reward-norm 0.5,2 2>/dev/null > /dev/null
  jq -e '.options["reward-norm"] == "0.5,2" and .effective.reward_norm == {mean: 0.5, std: 2}' nums/run_config.json
}

@test "run_config.json keeps every real exactly: a resumed run compares equal (no rounding to 15 digits)" {
  setup_data
  dpo-step -m pol --ref pol -o part --epochs 2 --batch 8 --lr 1.0000000000000002e-3 --stop-after 1 train.mp > /dev/null 2>&1
  # 1.0000000000000002e-3 is not 0.001 (it needs 17 digits)
  python3 -c 'import json,sys; v=json.load(open("part/run_config.json"))["effective"]["lr"]; sys.exit(v != 1.0000000000000002e-3)'
  dpo-step --resume part --lr 1.0000000000000002e-3 --stop-after 1 > /dev/null 2>&1
  [ "$(jq .step part/trainer_state.json)" = 2 ]
}

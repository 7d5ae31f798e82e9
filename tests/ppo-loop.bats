#!/usr/bin/env bats
# The PPO loop end to end on a tiny random policy (lm-init --preset tiny,
# byte tokenizer): rollout -f RUN | scorer | ppo-step -o RUN, with the
# version edge through RUN/latest.  The toy reward is the fraction of
# response tokens with ids 0-63 (about a quarter under the random
# policy), dense enough for a few PPO batches to move it.
load helper

setup_models() {
  lm-init -o pol --seed 1 2>/dev/null
  rec from-json < "$FIX/ppo/prompts.jsonl" > prompts.mp
}

# toy_loop RUN BETA [extra ppo-step options...]: 8 batches of 8 prompts x 4
toy_loop() {
  local run=$1 beta=$2; shift 2
  rollout -f "$run" -B 8 -n 4 --epochs 8 --max-new 8 --temperature 1 --seed 3 --wait-timeout 60 prompts.mp 2>/dev/null \
    | tee "$run.rollouts.mp" \
    | toy-reward --token 0-63 \
    | ppo-step -c pol --value-from-policy -o "$run" -b 32 --lr 1e-2 --warmup-steps 0 --no-eos-trick \
        --beta "$beta" --seed 1 "$@" 2>"$run.err" > "$run.metrics.mp"
}

@test "toy task: mean reward rises within 8 batches while KL stays bounded" {
  setup_models
  toy_loop run 0.05
  rec to-json < run.metrics.mp > m.jsonl
  [ "$(wc -l < m.jsonl)" -eq 8 ]
  first=$(jq -s '(.[0].reward_mean + .[1].reward_mean) / 2' m.jsonl)
  last=$(jq -s '(.[6].reward_mean + .[7].reward_mean) / 2' m.jsonl)
  echo "reward $first -> $last"
  jq -n --argjson a "$first" --argjson b "$last" '$b > $a + 0.08' | grep -qx true
  jq -s 'map(.kl) | max < 10' m.jsonl | grep -qx true
  [ "$(cut -d" " -f1,2 run/latest)" = "8 policy-v8" ]
}

@test "toy task: with a large beta the policy stays near the reference" {
  setup_models
  toy_loop lo 0.05
  toy_loop hi 2
  rec to-json < lo.metrics.mp > lo.jsonl
  rec to-json < hi.metrics.mp > hi.jsonl
  klo=$(jq -s '.[7].kl' lo.jsonl); khi=$(jq -s '.[7].kl' hi.jsonl)
  rlo=$(jq -s '.[7].reward_mean - .[0].reward_mean' lo.jsonl); rhi=$(jq -s '.[7].reward_mean - .[0].reward_mean' hi.jsonl)
  echo "kl $klo vs $khi, reward gain $rlo vs $rhi"
  jq -n --argjson a "$klo" --argjson b "$khi" '$b < 0.3 and $b < $a / 3' | grep -qx true
  jq -n --argjson a "$rlo" --argjson b "$rhi" '$b < $a' | grep -qx true
}

@test "strict on-policy: with --max-lag 0 every batch was sampled by the version it updates" {
  setup_models
  toy_loop run 0.05
  rec to-json < run.rollouts.mp > r.jsonl
  [ "$(wc -l < r.jsonl)" -eq 256 ]
  jq -s 'all(.batch == .policy.version)' r.jsonl | grep -qx true
  jq -s 'map(.policy.version) | unique == [0,1,2,3,4,5,6,7]' r.jsonl | grep -qx true
  # and the trainer saw exactly the 32 rollouts of each batch
  rec to-json < run.metrics.mp | jq -s 'all(.rollouts == 32) and (map(.step) == [1,2,3,4,5,6,7,8])' | grep -qx true
}

@test "the loop is deterministic: same seeds, same policy bytes" {
  setup_models
  toy_loop a 0.05
  toy_loop b 0.05
  cmp a/policy-v8/model.safetensors b/policy-v8/model.safetensors
  # rollouts are identical apart from the policy path (a/ vs b/)
  cmp <(rec to-json < a.rollouts.mp | jq -c 'del(.policy.path)') <(rec to-json < b.rollouts.mp | jq -c 'del(.policy.path)')
}

@test "ppo-step --resume continues bit-for-bit where it stopped" {
  setup_models
  toy_loop full 0.05
  # the same run, stopped after 3 versions, then resumed (rollout restarts too)
  toy_loop part 0.05 --batches 3
  # ppo-step marks the stop, so the rollout waiting for version 4 ends too
  [ "$(cut -d" " -f1,2 part/latest)" = "3 policy-v3" ]
  grep -q " stopped$" part/latest
  rollout -f part -B 8 -n 4 --epochs 8 --max-new 8 --temperature 1 --seed 3 --wait-timeout 60 prompts.mp 2>/dev/null \
    | toy-reward --token 0-63 \
    | ppo-step --resume -o part -b 32 --lr 1e-2 --warmup-steps 0 --no-eos-trick --beta 0.05 --seed 1 2>err > m2.mp
  grep -q "resumed part at version 3" err
  rec to-json < m2.mp | jq -s 'map(.step) == [4,5,6,7,8]' | grep -qx true
  cmp full/policy-v8/model.safetensors part/policy-v8/model.safetensors
}

@test "killing and restarting rollout (ZeroMQ) loses and double-counts no batch" {
  setup_models
  p0=$(free_port); p1=$(free_port)
  timeout 120 ppo-step -c pol --value-from-policy -o run -b 32 --lr 1e-2 --warmup-steps 0 --no-eos-trick --seed 1 \
    "@tcp://127.0.0.1:$p1?producers=1" 2>ppo.err > m.mp &
  ppo=$!
  timeout 120 toy-reward --token 0-63 -o ">tcp://127.0.0.1:$p1" "@tcp://127.0.0.1:$p0?producers=1" 2>tr.err &
  scorer=$!
  rollout -f run -B 8 -n 4 --epochs 6 --max-new 8 --temperature 1 --seed 3 --wait-timeout 60 \
    -o ">tcp://127.0.0.1:$p0" prompts.mp 2>r1.err &
  first=$!
  for i in $(seq 1200); do v=$(cut -d' ' -f1 run/latest 2>/dev/null || true); [ "${v:-0}" -ge 2 ] && break; sleep 0.05; done
  kill -9 "$first"
  wait "$first" || true
  # the restarted rollout starts again at the batch being trained
  rollout -f run -B 8 -n 4 --epochs 6 --max-new 8 --temperature 1 --seed 3 --wait-timeout 60 \
    -o ">tcp://127.0.0.1:$p0" prompts.mp 2>r2.err
  wait "$scorer"
  wait "$ppo"
  [ "$(cut -d" " -f1,2 run/latest)" = "6 policy-v6" ]
  rec to-json < m.mp > m.jsonl
  jq -s 'map(.step) == [1,2,3,4,5,6] and all(.rollouts == 32)' m.jsonl | grep -qx true
}

@test "--max-lag 1: rollout runs one version ahead, ppo-step accepts the lag and nothing more" {
  setup_models
  rollout -f lag -B 8 -n 4 --epochs 8 --max-new 8 --temperature 1 --seed 3 --max-lag 1 --wait-timeout 60 prompts.mp 2>/dev/null \
    | tee lag.rollouts.mp | toy-reward --token 0-63 \
    | ppo-step -c pol --value-from-policy -o lag -b 32 --lr 1e-2 --warmup-steps 0 --max-lag 1 --seed 1 2>lag.err > lag.metrics.mp
  rec to-json < lag.rollouts.mp | jq -s -e 'all(.batch - .policy.version | . >= 0 and . <= 1)'
  rec to-json < lag.metrics.mp | jq -s -e 'map(.step) == [1,2,3,4,5,6,7,8] and all(.rollouts == 32)'
  grep -q "rejected: none" lag.err
}

# kill_resume_trainer ACK: ppo-step (bound; the scorer connects to it) is
# killed once version 2 is out and resumed on the same endpoint while
# rollout and the scorer keep running.  ACK is the scorer->trainer leg's
# option ("" acknowledged, the default; "ack=0" plain).
kill_resume_trainer() {
  setup_models
  p0=$(free_port); p1=$(free_port)
  opts="-o run -b 32 --lr 1e-2 --warmup-steps 0 --no-eos-trick --seed 1"
  ppo-step -c pol --value-from-policy $opts "@tcp://127.0.0.1:$p1?producers=1${1:+&$1}" 2>ppo1.err > m1.mp &
  first=$!
  timeout 120 toy-reward --token 0-63 -o ">tcp://127.0.0.1:$p1${1:+?$1}" "@tcp://127.0.0.1:$p0?producers=1" 2>tr.err &
  scorer=$!
  timeout 120 rollout -f run -B 8 -n 4 --epochs 6 --max-new 8 --temperature 1 --seed 3 --wait-timeout 60 \
    -o ">tcp://127.0.0.1:$p0" prompts.mp 2>roll.err &
  roller=$!
  for i in $(seq 1200); do v=$(cut -d' ' -f1 run/latest 2>/dev/null || true); [ "${v:-0}" -ge 2 ] && break; sleep 0.05; done
  kill -9 "$first"
  wait "$first" || true
  s2=0; timeout 120 ppo-step --resume $opts "@tcp://127.0.0.1:$p1?producers=1${1:+&$1}" 2>ppo2.err > m2.mp || s2=$?
  sr=0; wait "$roller" || sr=$?
  ss=0; wait "$scorer" || ss=$?
  cat ppo2.err tr.err roll.err >&2
  [ "$s2" -eq 0 ] && [ "$sr" -eq 0 ] && [ "$ss" -eq 0 ]   # no stall (75), no timeout(1) (124)
  [ "$(cut -d' ' -f1,2 run/latest)" = "6 policy-v6" ]
  s=$(sed -n 's/.*resumed run at version \([0-9]*\).*/\1/p' ppo2.err)
  # each step once, every batch of 32 rollouts: nothing trained twice, nothing lost
  rec to-json < m2.mp | jq -s -e --argjson s "$s" 'map(.step) == [range($s + 1; 7)] and all(.rollouts == 32)'
}

@test "killing ppo-step and resuming it (ZeroMQ, acknowledged): the scorer serves the resumed trainer, each step once, no stall" {
  # the scorer connects to the trainer's endpoint: the resumed trainer is a
  # new consumer behind the scorer's old pipe (io/zack.c, "Restarts on one
  # endpoint"); before that was handled it trained one batch and exited 75
  kill_resume_trainer ""
}

@test "killing ppo-step and resuming it (ZeroMQ, ?ack=0): rollout resamples the lost batch, nothing is lost" {
  # plain PUSH/PULL: the records queued to the killed trainer are gone, and
  # rollout's restart at the trainer's version is what repairs the loss
  kill_resume_trainer "ack=0"
}

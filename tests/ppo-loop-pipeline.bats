#!/usr/bin/env bats
# pipelines/ppo.sh: the PPO loop as one shell pipeline with rm-score, and
# the same loop with rollout, rm-score and ppo-step as separate processes
# joined by ZeroMQ endpoints on loopback.  Same seeds and inputs give the
# same trained policy over both transports.
load helper

setup_models() {
  lm-init -o pol --seed 1 2>/dev/null
  lm-init --reward -o rm --seed 4 2>/dev/null
  rec from-json < "$FIX/ppo/prompts.jsonl" > prompts.mp
}

PPO_SH=$BATS_TEST_DIRNAME/../pipelines/ppo.sh

@test "ppo.sh: rollout | rm-score | ppo-step over pipes" {
  setup_models
  "$PPO_SH" -p pol -i prompts.mp -o run -r rm -B 4 -n 2 -e 2 --max-new 8 -- --lr 1e-4 -b 8 --batches 4 > m.mp 2> err
  rec validate metrics < m.mp
  rec to-json < m.mp | jq -s -e 'map(.step) == [1,2,3,4] and all(.rollouts == 8)'
  [ "$(cut -d" " -f1,2 run/latest)" = "4 policy-v4" ]
  grep -q " stopped$" run/latest
  grep -q "rm-score: scored: 32 records" err
}

@test "ppo.sh --zmq: the same loop over ZeroMQ endpoints trains the same policy" {
  setup_models
  "$PPO_SH" -p pol -i prompts.mp -o pipe -r rm -B 4 -n 2 --max-new 8 -- --lr 1e-4 -b 8 > a.mp 2>/dev/null
  "$PPO_SH" -p pol -i prompts.mp -o zmq -r rm -B 4 -n 2 --max-new 8 --zmq "$(free_port),$(free_port)" \
    -- --lr 1e-4 -b 8 > b.mp 2>/dev/null
  [ "$(cut -d" " -f1,2 zmq/latest)" = "2 policy-v2" ]
  cmp pipe/policy-v2/model.safetensors zmq/policy-v2/model.safetensors
  rec to-json < a.mp | jq -c '{step, reward_mean, kl}' > a.jsonl
  rec to-json < b.mp | jq -c '{step, reward_mean, kl}' > b.jsonl
  cmp a.jsonl b.jsonl
}

@test "ppo.sh --zmq P0,P1,P2: versions over ZeroMQ into the rollout's own folder, the same policy" {
  setup_models
  "$PPO_SH" -p pol -i prompts.mp -o pipe -r rm -B 4 -n 2 --max-new 8 -- --lr 1e-4 -b 8 > a.mp 2>/dev/null
  "$PPO_SH" -p pol -i prompts.mp -o zmq -r rm -B 4 -n 2 --max-new 8 --zmq "$(free_port),$(free_port),$(free_port)" \
    -- --lr 1e-4 -b 8 > b.mp 2>/dev/null
  [ "$(cut -d" " -f1,2 zmq/latest)" = "2 policy-v2" ]
  [ -f zmq.rollout/policy-v1/model.safetensors ]   # the rollout's copy, fetched
  cmp pipe/policy-v2/model.safetensors zmq/policy-v2/model.safetensors
  rec to-json < a.mp | jq -c '{step, reward_mean, kl}' > a.jsonl
  rec to-json < b.mp | jq -c '{step, reward_mean, kl}' > b.jsonl
  cmp a.jsonl b.jsonl
}

@test "ppo.sh --toy: a known reward without a reward model" {
  setup_models
  "$PPO_SH" -p pol -i prompts.mp -o run --toy 0-63 -B 8 -n 2 --max-new 4 -- -b 16 > m.mp 2>/dev/null
  rec to-json < m.mp | jq -s -e 'length == 1 and .[0].reward_mean > 0'
}

@test "ppo.sh without a reward is a usage error" {
  run "$PPO_SH" -p pol -i prompts.mp -o run
  [ "$status" -eq 64 ]
  [[ "$output" == *"usage: pipelines/ppo.sh"* ]]
}

# --batches below the prompt pool (8 prompts, 4 per batch, 2 epochs = 4
# batches): ppo-step stops after 1, rollout must end through its
# end-of-stream path so rm-score and the script finish.  `timeout` turns a
# regression (a hang) into a failure.
@test "ppo.sh over pipes: ppo-step --batches 1 of 4 ends every stage" {
  setup_models
  rc=0
  timeout 60 "$PPO_SH" -p pol -i prompts.mp -o run -r rm -B 4 -n 2 -e 2 --max-new 8 -- --lr 1e-4 -b 8 --batches 1 \
    > m.mp 2> err || rc=$?
  [ "$rc" -eq 0 ]
  rec to-json < m.mp | jq -s -e 'map(.step) == [1]'
  [ "$(cut -d" " -f1,2 run/latest)" = "1 policy-v1" ]
  grep -q " stopped$" run/latest
  grep -q "^rollout: 8 rollouts" err   # batch 0 only: nothing sampled for a stopped trainer
}

@test "ppo.sh --zmq: ppo-step --batches 1 of 4 ends every stage (rollout sends end-of-stream)" {
  setup_models
  rc=0
  timeout 60 "$PPO_SH" -p pol -i prompts.mp -o run -r rm -B 4 -n 2 -e 2 --max-new 8 \
    --zmq "$(free_port),$(free_port)" -- --lr 1e-4 -b 8 --batches 1 > m.mp 2> err || rc=$?
  [ "$rc" -eq 0 ]
  rec to-json < m.mp | jq -s -e 'map(.step) == [1]'
  [ "$(cut -d" " -f1,2 run/latest)" = "1 policy-v1" ]
  grep -q "rollout: run: the trainer stopped at version 1; stopping" err
}

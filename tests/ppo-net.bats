#!/usr/bin/env bats
# The PPO loop with no shared RUN folder: ppo-step --publish serves its
# policy versions over ZeroMQ and rollout workers, each in its own working
# folder ("host"), fetch them with --policy-from into a local folder.
# Loopback endpoints stand in for the network.  Same seeds give the same
# policy bytes as the file protocol; killing and restarting a worker loses
# no batch and trains none twice.
load helper

setup_models() {
  lm-init -o pol --seed 1 2>/dev/null
  rec from-json < "$FIX/ppo/prompts.jsonl" > prompts.mp
}

R="-B 8 -n 4 --epochs 6 --max-new 8 --temperature 1 --seed 3 --wait-timeout 60"
P="-b 32 --lr 1e-2 --warmup-steps 0 --no-eos-trick --seed 1"

# the reference: one machine, the file protocol, pipes
file_run() {
  rollout -f filerun $R prompts.mp 2>/dev/null | toy-reward --token 0-63 \
    | ppo-step -c pol --value-from-policy -o filerun $P > fm.mp 2>/dev/null
}

@test "ppo-step --publish + two rollout workers in separate folders: the same policies as the file protocol" {
  setup_models
  file_run
  pp=$(free_port); p0=$(free_port); p1=$(free_port)
  mkdir trainer w1 w2
  ( cd trainer && exec timeout 120 ppo-step -c ../pol --value-from-policy -o run $P --publish "@tcp://127.0.0.1:$pp" \
      "@tcp://127.0.0.1:$p1?producers=1" 2>../ppo.err > ../m.mp ) & ppo=$!
  timeout 120 toy-reward --token 0-63 -o ">tcp://127.0.0.1:$p1" "@tcp://127.0.0.1:$p0?producers=2" 2>tr.err & sc=$!
  for w in w1 w2; do
    ( cd $w && PREFPIPE_PV_CHUNK=4096 exec timeout 120 rollout -f cache --policy-from ">tcp://127.0.0.1:$pp" $R \
        -o ">tcp://127.0.0.1:$p0" ../prompts.mp 2>../$w.err ) &
    eval "pid_$w=\$!"
  done
  wait $pid_w1; wait $pid_w2; wait $sc; wait $ppo
  # nothing shared: each worker has its own copy of the versions it used
  [ -f w1/cache/policy-v5/model.safetensors ] && [ -f w2/cache/policy-v5/model.safetensors ]
  for v in 4 5 6; do cmp filerun/policy-v$v/model.safetensors trainer/run/policy-v$v/model.safetensors; done
  cmp w1/cache/policy-v5/model.safetensors filerun/policy-v5/model.safetensors
  cmp w2/cache/policy-v5/config.json filerun/policy-v5/config.json
  rec to-json < m.mp | jq -s -e 'map(.step) == [1,2,3,4,5,6] and all(.rollouts == 32)'
}

@test "rollout --policy-from killed mid-batch and restarted: no batch lost or trained twice, the same policy" {
  setup_models
  file_run
  pp=$(free_port); p0=$(free_port); p1=$(free_port)
  mkdir trainer w1
  ( cd trainer && exec timeout 120 ppo-step -c ../pol --value-from-policy -o run $P --publish "@tcp://127.0.0.1:$pp" \
      "@tcp://127.0.0.1:$p1?producers=1" 2>../ppo.err > ../m.mp ) & ppo=$!
  timeout 120 toy-reward --token 0-63 -o ">tcp://127.0.0.1:$p1" "@tcp://127.0.0.1:$p0?producers=1" 2>tr.err & sc=$!
  ( cd w1 && exec rollout -f cache --policy-from ">tcp://127.0.0.1:$pp" $R -o ">tcp://127.0.0.1:$p0" \
      ../prompts.mp 2>../r1.err ) & first=$!
  for i in $(seq 1200); do v=$(cut -d' ' -f1 trainer/run/latest 2>/dev/null || true); [ "${v:-0}" -ge 2 ] && break; sleep 0.05; done
  kill -9 "$first"
  wait "$first" || true
  ( cd w1 && exec timeout 120 rollout -f cache --policy-from ">tcp://127.0.0.1:$pp" $R -o ">tcp://127.0.0.1:$p0" \
      ../prompts.mp 2>../r2.err )
  wait $sc; wait $ppo
  [ "$(cut -d' ' -f1,2 trainer/run/latest)" = "6 policy-v6" ]
  rec to-json < m.mp | jq -s -e 'map(.step) == [1,2,3,4,5,6] and all(.rollouts == 32)'
  cmp filerun/policy-v6/model.safetensors trainer/run/policy-v6/model.safetensors
}

@test "rollout --policy-from: a server that does not answer is exit 75, not a hang; bad endpoints are usage errors" {
  setup_models
  p=$(free_port)
  run env PREFPIPE_ZMQ_TIMEOUT=1 timeout 30 rollout -f cache --policy-from ">tcp://127.0.0.1:$p" $R prompts.mp
  [ "$status" -eq 75 ]
  [[ "$output" == *"the policy server did not answer within 1 s"* ]]
  run rollout -c pol --policy-from ">tcp://127.0.0.1:$p" prompts.mp
  [ "$status" -eq 64 ]
  run ppo-step -c pol --value-from-policy -o run --publish "tcp://127.0.0.1:$p" prompts.mp
  [ "$status" -eq 64 ]
  [[ "$output" == *"give a bind endpoint"* ]]
}

@test "rollout --policy-from continues a partial file and fetches again one that fails its checksum" {
  setup_models
  pp=$(free_port); p1=$(free_port)
  timeout 60 ppo-step -c pol --value-from-policy -o run $P --publish "@tcp://127.0.0.1:$pp" \
    "@tcp://127.0.0.1:$p1?producers=1" 2>ppo.err > /dev/null & ppo=$!
  for i in $(seq 400); do [ -e run/latest ] && break; sleep 0.05; done
  # a killed worker left 1000 bytes of model.safetensors; zeros, so only a
  # fetch that continues after them (not from 0) fails the checksum
  mkdir -p cache/.policy-v0.part
  head -c 1000 /dev/zero > cache/.policy-v0.part/model.safetensors
  PREFPIPE_PV_CHUNK=65536 timeout 60 rollout -f cache --policy-from ">tcp://127.0.0.1:$pp" --batches 0 $R \
    prompts.mp 2> r.err > out.mp
  kill $ppo; wait $ppo || true
  grep -q "model.safetensors of version 0 failed its checksum; fetching it again" r.err
  for f in run/policy-v0/*; do cmp "$f" "cache/policy-v0/${f##*/}"; done
  [ ! -e cache/.policy-v0.part ]
  [ "$(cut -d' ' -f1,2 cache/latest)" = "0 policy-v0" ]
}

#!/usr/bin/env bats
# The recipe's PPO stage across hosts (pipelines/multi-host.sh ->
# pipelines/ppo-hosts.sh) and the CURVE keys of the policy endpoint it
# relies on.  "Hosts" are separate folders on this machine, reached through
# the real launcher (mpirun --host localhost -np 1) over loopback
# endpoints; a worker gets its inputs through the launcher's stdin and
# shares no folder with the trainer.  One trainer rank: the policies must
# be the one-host stage's bytes.
load helper

setup_file() {
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
}

need_mpi() {
  command -v mpirun > /dev/null || skip "mpirun not installed (apt-get install openmpi-bin)"
}

P="-b 32 --lr 1e-2 --warmup-steps 0 --no-eos-trick --seed 1"

@test "ppo-step --publish with CURVE: an allowed worker fetches, a stranger gets nothing, a plain bind on * is refused" {
  lm-init -o pol --seed 1 2>/dev/null
  rec from-json < "$FIX/ppo/prompts.jsonl" > prompts.mp
  for k in t w s; do rec keygen $k > /dev/null; done
  pp=$(free_port); p1=$(free_port)
  run ppo-step -c pol --value-from-policy -o bad $P --publish "@tcp://*:$pp" "@tcp://127.0.0.1:$p1?producers=1"
  [ "$status" -eq 64 ]
  [[ "$output" == *"--publish @tcp://*:$pp: refusing to bind tcp://*:$pp without CURVE"* ]]
  [ ! -e bad ]   # refused before the run folder was made
  run ppo-step -c pol --value-from-policy -o bad2 $P --publish "@tcp://127.0.0.1:$pp?key=t.key" "@tcp://127.0.0.1:$p1?producers=1"
  [ "$status" -eq 64 ]
  [[ "$output" == *"needs allow=FILE"* ]]
  [ ! -e bad2 ]
  timeout 60 ppo-step -c pol --value-from-policy -o run $P --publish "@tcp://127.0.0.1:$pp?key=t.key&allow=w.pub" \
    "@tcp://127.0.0.1:$p1?producers=1" 2>ppo.err > /dev/null & ppo=$!
  for i in $(seq 400); do [ -e run/latest ] && break; sleep 0.05; done
  # a key the server does not allow: no answer, nothing written
  run env PREFPIPE_ZMQ_TIMEOUT=2 timeout 30 rollout -f strange --policy-from ">tcp://127.0.0.1:$pp?key=s.key&curve=t.pub" \
    --batches 0 -B 8 prompts.mp
  [ "$status" -eq 75 ]
  [[ "$output" == *"did not answer within 2 s"*"does its allow= list hold this key"* ]]
  [ ! -e strange/policy-v0 ]
  # no keys at all against a CURVE server: nothing either
  run env PREFPIPE_ZMQ_TIMEOUT=2 timeout 30 rollout -f plain --policy-from ">tcp://127.0.0.1:$pp" --batches 0 -B 8 prompts.mp
  [ "$status" -eq 75 ]
  [ ! -e plain/policy-v0 ]
  timeout 60 rollout -f cache --policy-from ">tcp://127.0.0.1:$pp?key=w.key&curve=t.pub" --batches 0 -B 8 prompts.mp \
    > /dev/null 2> r.err
  kill $ppo; wait $ppo || true
  for f in run/policy-v0/*; do cmp "$f" "cache/policy-v0/${f##*/}"; done
  run rollout -f x --policy-from ">tcp://127.0.0.1:$pp?color=red" prompts.mp
  [ "$status" -eq 64 ]
  [[ "$output" == *"unknown endpoint option 'color=red'"* ]]
}

@test "multi-host.sh: the recipe's PPO on two rollout hosts (own folders, loopback, CURVE) trains the one-host bytes" {
  need_mpi
  export SCALE=quick THREADS=1
  ONLY_STAGES="world pairs init sft rm" sh "$PREFPIPE_ROOT/pipelines/recipe.sh" "$PWD/base" 2>/dev/null
  cp -r base one
  cp -r base two
  ONLY_STAGES="ppo eval" sh "$PREFPIPE_ROOT/pipelines/recipe.sh" "$PWD/one" > /dev/null 2>&1
  echo "localhost slots=2" > hostfile
  pp=$(free_port); ps=$(free_port)
  ONLY_STAGES="ppo eval" PPO_WORKERS="localhost localhost" PPO_ADDR=127.0.0.1 PPO_BIND=127.0.0.1 PPO_PORT=$pp \
    PPO_PORT_SCORED=$ps PPO_WORKDIR="$PWD/far" \
    timeout 600 sh "$PREFPIPE_ROOT/pipelines/multi-host.sh" "$PWD/hostfile" "$PWD/two" > /dev/null 2> err \
    || { cat err two/log.txt >&3; false; }
  [ -e two/.done-ppo ]
  grep -q "ppo-hosts: worker 1 on localhost in $PWD/far/worker-1" two/log.txt
  cmp one/ppo-final/model.safetensors two/ppo-final/model.safetensors
  cmp one/ppo/state/value/model.safetensors two/ppo/state/value/model.safetensors
  [ "$(cut -d' ' -f1,2 two/ppo/latest)" = "$(cut -d' ' -f1,2 one/ppo/latest)" ]
  [ "$(rec to-json < two/ppo-metrics.mp | jq -c '[.step, .rollouts]' | paste -sd' ')" = \
    "$(rec to-json < one/ppo-metrics.mp | jq -c '[.step, .rollouts]' | paste -sd' ')" ]
  # each "host" fetched the versions into its own folder and scored with
  # its own copy of the reward model; the keys were made for the run
  for w in 1 2; do
    [ -f far/worker-$w/cache/policy-v1/model.safetensors ]
    [ -d far/worker-$w/rm ] && [ ! -L far/worker-$w/rm ]
    cmp far/worker-$w/rm/model.safetensors base/rm/model.safetensors
  done
  [ "$(stat -c %a two/ppo.keys/trainer.key)" = 600 ]
  [ ! -e two/ppo.stage ]
  # eval: best-of-N's samples scored by 2 ranks (rm-score sharded) give
  # the same choices, and the whole table is the one-host table
  [ -s two/bon-samples.mp ] && [ ! -e one/bon-samples.mp ]
  # (records name the policy's path, which differs: one/sft, two/sft)
  [ "$(rec to-json < two/eval-bon.mp | jq -c 'del(.policy.path)' | md5sum)" = \
    "$(rec to-json < one/eval-bon.mp | jq -c 'del(.policy.path)' | md5sum)" ]
  [ "$(rec to-json < two/eval-bon.mp | jq -s length)" -gt 0 ]
  cmp one/table.txt two/table.txt
}

@test "multi-host.sh DRY_RUN: the PPO layout; PPO_WORKERS= keeps PPO on this host; ppo-hosts.sh needs its workers" {
  printf 'node1 slots=2\nnode2 slots=2\n' > hostfile
  DRY_RUN=1 run sh "$PREFPIPE_ROOT/pipelines/multi-host.sh" hostfile
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == "LAUNCH=mpirun --hostfile hostfile -np 4 --bind-to none "* ]]
  [[ "${lines[1]}" == "PPO: ppo-step on "*"; workers (mpirun): node2" ]]
  [[ "${lines[2]}" == "PPO endpoints: *:5600 (policy), *:5601 (scored rollouts), reached at "* ]]
  PPO_WORKERS= DRY_RUN=1 run sh "$PREFPIPE_ROOT/pipelines/multi-host.sh" hostfile
  [ "${lines[1]}" = "PPO: on this host (file protocol)" ]
  PPO_RANKS=2 PPO_PORT=7000 DRY_RUN=1 run sh "$PREFPIPE_ROOT/pipelines/multi-host.sh" hostfile
  [[ "${lines[1]}" == *"via mpirun --hostfile hostfile -np 2 --bind-to none "*"; workers (mpirun): node2" ]]
  [[ "${lines[2]}" == "PPO endpoints: *:7000 (policy), *:7001 "* ]]
  run env -u PPO_WORKERS sh "$PREFPIPE_ROOT/pipelines/ppo-hosts.sh" -p a -i b -o c -r d
  [ "$status" -ne 0 ]
  [[ "$output" == *"set PPO_WORKERS to the rollout hosts"* ]]
}

#!/usr/bin/env bats
# Record streams over ZeroMQ between separate processes on this machine:
# relays over ipc:// and tcp:// (loopback only), the end-of-stream protocol
# with several producers and consumers, and unreachable endpoints.
load helper

many() { # many PREFIX N OUT
  local i
  for i in $(seq 1 "$2"); do printf '{"id":"%s%d","v":%d}\n' "$1" "$i" "$i"; done | rec from-json > "$3"
}

@test "records relay over ipc:// with nothing lost" {
  many r 3000 in.mp
  timeout 60 rec cat in.mp -o "@ipc://$T/s" &
  timeout 60 rec cat ">ipc://$T/s" -o out.mp
  wait
  cmp in.mp out.mp
}

@test "records relay over tcp:// on loopback, either side binding" {
  many r 2000 in.mp
  p=$(free_port)
  timeout 60 rec cat in.mp -o "@tcp://127.0.0.1:$p" &
  timeout 60 rec cat ">tcp://127.0.0.1:$p" -o out1.mp
  wait
  cmp in.mp out1.mp
  p=$(free_port)
  timeout 60 rec cat "@tcp://127.0.0.1:$p" -o out2.mp &
  sleep 0.2
  timeout 60 rec cat in.mp -o ">tcp://127.0.0.1:$p"
  wait
  cmp in.mp out2.mp
}

@test "2 producers and 3 consumers: every record exactly once, all exit 0" {
  many a 4000 a.mp
  many b 4000 b.mp
  timeout 60 rec cat a.mp -o "@ipc://$T/pa?consumers=3" & pa=$!
  timeout 60 rec cat b.mp -o "@ipc://$T/pb?consumers=3" & pb=$!
  for c in 1 2 3; do
    timeout 60 rec cat ">ipc://$T/pa,ipc://$T/pb" -o "c$c.mp" & eval "pc$c=\$!"
  done
  for p in $pa $pb $pc1 $pc2 $pc3; do wait "$p"; done   # each must exit 0
  cat c1.mp c2.mp c3.mp | rec to-json | jq -r .id | sort > got.txt
  cat a.mp b.mp | rec to-json | jq -r .id | sort > want.txt
  diff want.txt got.txt
  [ "$(uniq -d got.txt | wc -l)" -eq 0 ]
}

@test "fan-in: a bound reader waits for ?producers=N" {
  many a 1500 a.mp
  many b 1500 b.mp
  timeout 60 rec cat "@ipc://$T/in?producers=2" -o out.mp & r=$!
  sleep 0.2
  timeout 60 rec cat a.mp -o ">ipc://$T/in" & p1=$!
  timeout 60 rec cat b.mp -o ">ipc://$T/in" & p2=$!
  wait $p1; wait $p2; wait $r
  [ "$(rec count out.mp)" -eq 3000 ]
}

@test "an empty stream still ends cleanly" {
  : > empty.mp
  timeout 60 rec cat empty.mp -o "@ipc://$T/e" &
  timeout 60 rec cat ">ipc://$T/e" -o out.mp
  wait
  [ "$(rec count out.mp)" -eq 0 ]
}

@test "any stage reads from ZeroMQ: to-json and count" {
  many r 100 in.mp
  timeout 60 rec cat in.mp -o "@ipc://$T/j" &
  timeout 60 rec to-json ">ipc://$T/j" > out.jsonl
  wait
  [ "$(wc -l < out.jsonl)" -eq 100 ]
}

@test "an unreachable endpoint is an error after the timeout, not a hang" {
  p=$(free_port)
  run timeout 30 rec count ">tcp://127.0.0.1:$p?timeout=0.5"
  [ "$status" -eq 66 ]
  [[ "$output" == *"cannot connect"* ]]
  many r 3 in.mp
  run timeout 30 rec cat in.mp -o ">tcp://127.0.0.1:$p?timeout=0.5"
  [ "$status" -eq 74 ]
  [[ "$output" == *"cannot connect"* ]]
}

@test "a bad endpoint or option is reported" {
  run rec count "@tcp://not an address"
  [ "$status" -eq 66 ]
  run rec count ">tcp://127.0.0.1:1?frob=1"
  [ "$status" -eq 66 ]
  [[ "$output" == *"unknown endpoint option 'frob=1'"* ]]
}

@test "a consumer that starts late still gets its end-of-stream (?consumers=M)" {
  many r 500 in.mp
  timeout 60 rec cat in.mp -o "@ipc://$T/late?consumers=2" & p=$!
  timeout 60 rec cat ">ipc://$T/late" -o c1.mp & c1=$!
  sleep 1
  timeout 60 rec cat ">ipc://$T/late" -o c2.mp
  wait $c1; wait $p
  [ "$(cat c1.mp c2.mp | rec count)" -eq 500 ]
}

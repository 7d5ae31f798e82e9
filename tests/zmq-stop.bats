#!/usr/bin/env bats
# A consumer that stops reading on purpose (rec head: prefpipe-stop,
# io/zack.c) when its producer has more than one ZeroMQ output, or a
# ZeroMQ input and outputs: the stopped output is dropped and the others
# are served to their end; the stage stops its own producers, and exits
# 0, only when every ZeroMQ output has stopped.  As with tee and pipes,
# each output needs its consumer running: a stage blocks on the output
# whose consumer has not come.  Nothing a live consumer
# should get is lost (compared with the same split into files).
load helper

big() { seq 1 "$2" | awk -v p="$1" '{printf "{\"id\":\"%s%d\",\"v\":%d}\n", p, $1, $1}' | rec from-json > "$3"; }

setup_file() { export PREFPIPE_ZMQ_TIMEOUT=20; }

@test "rec split with two ZeroMQ outputs, one consumer stops (rec head): the other gets its whole side, all exit 0" {
  big r 20000 in.mp
  rec split --test-fraction 0.5 in.mp --train tr.mp --test te.mp
  timeout 60 rec split --test-fraction 0.5 in.mp --train "@ipc://$T/tr" --test "@ipc://$T/te" 2> err & p=$!
  timeout 60 rec head -n 3 ">ipc://$T/tr" > h.mp
  timeout 60 rec cat ">ipc://$T/te" -o te2.mp
  s=0; wait $p || s=$?
  cat err >&2
  [ "$s" -eq 0 ]
  [ "$(rec count h.mp)" -eq 3 ]
  cmp te.mp te2.mp                       # before: no end-of-stream, the consumer exited 75 with nothing
  grep -q "tr: every consumer stopped reading on purpose.*the other outputs go on" err
  grep -q "split: 10005 train, 9995 test" err
}

@test "a relay with a ZeroMQ input and two outputs: one stops, the other and the source see the whole stream" {
  big r 30000 in.mp
  rec split --test-fraction 0.3 in.mp --train tr.mp --test te.mp
  timeout 60 rec cat in.mp -o "@ipc://$T/src" 2> e0 & p0=$!
  timeout 60 rec split --test-fraction 0.3 ">ipc://$T/src" --train "@ipc://$T/tr" --test "@ipc://$T/te" 2> e1 & p1=$!
  timeout 60 rec cat ">ipc://$T/tr" -o tr2.mp & c=$!   # both outputs need a consumer, as tee's pipes do
  timeout 60 rec head -n 5 ">ipc://$T/te" > h.mp
  wait $c; wait $p0; wait $p1            # all exit 0
  [ "$(rec count h.mp)" -eq 5 ]
  cmp tr.mp tr2.mp
  ! grep -q "stopped reading on purpose" e0   # the source served the split to its end
}

@test "a relay with a ZeroMQ input and two outputs: when both stop, the stop travels to the source, all exit 0" {
  big r 200000 in.mp
  timeout 60 rec cat in.mp -o "@ipc://$T/src" 2> e0 & p0=$!
  timeout 60 rec split --test-fraction 0.5 ">ipc://$T/src" --train "@ipc://$T/tr" --test "@ipc://$T/te" 2> e1 & p1=$!
  timeout 60 rec head -n 4 ">ipc://$T/tr" > h1.mp &
  timeout 60 rec head -n 6 ">ipc://$T/te" > h2.mp
  wait $!
  wait $p1; wait $p0                     # both exit 0
  cat e0 e1 >&2
  [ "$(rec count h1.mp)" -eq 4 ]
  [ "$(rec count h2.mp)" -eq 6 ]
  grep -q "the other outputs go on" e1
  grep -q "stopped reading on purpose" e0     # the split passed the stop on
  [ "$(grep -c "stopped reading on purpose" e1)" -eq 2 ]
}

#!/bin/sh
# zmq.sh — a loopback ZeroMQ relay (rec cat -o @tcp:// | rec count >tcp://)
# of N small records (~130 bytes, prompt-shaped), acknowledged (the
# default) beside plain PUSH/PULL (?ack=0): records/s by the wall clock
# and CPU-seconds of both processes (what acknowledgements cost; the wall
# clock depends on the machine's load, printed beside it).
# ZMQ_BENCH_N records (default 500000), ZMQ_BENCH_RUNS runs each (3; best).
set -eu
dir=${PREFPIPE_BENCH_DIR:-/tmp/prefpipe-bench}
mkdir -p "$dir"
n=${ZMQ_BENCH_N:-500000}
runs=${ZMQ_BENCH_RUNS:-3}
src=$dir/zmq-$n.mp
[ -s "$src" ] || seq 1 "$n" | awk '{ printf "{\"id\":\"r%d\",\"prompt\":\"a prompt of about a hundred bytes, as the PPO pool holds them: question %d ....\"}\n", $1, $1 }' |
  rec from-json -o "$src"
port=$(( 20000 + $$ % 20000 ))
# one relay: prints "wall cpu" (seconds); the count must be n
relay() {
  port=$((port + 1))
  /usr/bin/time -f '%e %U %S' -o "$dir/zmq-p.time" rec cat "$src" -o "@tcp://127.0.0.1:$port$1" &
  p=$!
  got=$(/usr/bin/time -f '%e %U %S' -o "$dir/zmq-c.time" rec count ">tcp://127.0.0.1:$port$1")
  wait "$p"
  [ "$got" -eq "$n" ] || { echo "zmq.sh: $got of $n records arrived ($1)" >&2; exit 1; }
  cat "$dir/zmq-p.time" "$dir/zmq-c.time" | awk '{ if ($1 > w) w = $1; c += $2 + $3 } END { printf "%.3f %.3f\n", w, c }'
}
best() { # best OPTS: the run with the least CPU time
  i=0
  while [ $i -lt "$runs" ]; do relay "$1"; i=$((i + 1)); done | sort -k2 -n | head -n 1
}
plain=$(best '?ack=0')
acked=$(best '')
echo "loopback relay, $n records of $(( $(wc -c < "$src") / n )) bytes, load $(cut -d' ' -f1-3 /proc/loadavg), best of $runs by CPU"
printf '%-22s %14s %12s %16s\n' mode "records/s" "CPU-s" "CPU-us/record"
for m in "plain ?ack=0:$plain" "acknowledged (default):$acked"; do
  name=${m%%:*} v=${m#*:}
  echo "$v" | awk -v name="$name" -v n="$n" '{ printf "%-22s %14.0f %12.2f %16.2f\n", name, n / $1, $2, $2 * 1e6 / n }'
done
echo "$plain $acked" | awk '{ printf "acknowledged / plain: %.2fx the CPU, %.2fx the wall time\n", $4 / $2, $3 / $1 }'

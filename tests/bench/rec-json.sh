#!/bin/sh
# rec-json.sh — `rec from-json` and `rec to-json` on a generated JSONL file
# of >= 100 MB (preference-pair shaped: conversations, text with escapes and
# unicode, numbers, a token array), beside `jq -c .` on the same file.
# Target (issue 2): both directions >= 5x jq's speed.  Reports MB/s of JSON.
set -eu
dir=${PREFPIPE_BENCH_DIR:-/tmp/prefpipe-bench}
mkdir -p "$dir"
src=$dir/pairs.jsonl
mb=${REC_BENCH_MB:-110}
if [ ! -s "$src" ] || [ "$(wc -c < "$src")" -lt $((mb * 1000000)) ]; then
  awk -v target=$((mb * 1000000)) 'BEGIN {
    srand(7);
    words = "the of model reward policy preference a an to is in that response chosen rejected answer question \\\"quoted\\\" caf\303\251 \344\270\255\346\226\207 tab\\tnewline\\n 42 3.14";
    nw = split(words, w, " ");
    total = 0; i = 0;
    while (total < target) {
      i++;
      p = ""; c = ""; r = "";
      for (k = 0; k < 30; k++) p = p w[int(rand() * nw) + 1] " ";
      for (k = 0; k < 120; k++) c = c w[int(rand() * nw) + 1] " ";
      for (k = 0; k < 90; k++) r = r w[int(rand() * nw) + 1] " ";
      toks = "";
      for (k = 0; k < 32; k++) toks = toks (k ? "," : "") int(rand() * 50000);
      line = sprintf("{\"id\":\"pair-%d\",\"source\":\"bench\",\"prompt\":[{\"role\":\"system\",\"content\":\"You are helpful.\"},{\"role\":\"user\",\"content\":\"%s\"}],\"chosen\":\"%s\",\"rejected\":\"%s\",\"margin\":%s,\"score\":%d,\"tokens\":[%s],\"meta\":{\"ok\":true,\"n\":null}}", i, p, c, r, int(rand() * 64) / 8, int(rand() * 10), toks);
      print line;
      total += length(line) + 1;
    }
  }' > "$src"
fi
bytes=$(wc -c < "$src")
secs() { # secs CMD... : wall seconds of a command, output discarded
  s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N)
  echo "$s $e" | awk '{printf "%.3f", $2 - $1}'
}
rec from-json "$src" > "$dir/pairs.mp"
t_jq=$(secs jq -c . "$src")
t_from=$(secs rec from-json "$src")
t_to=$(secs rec to-json "$dir/pairs.mp")
rec to-json "$dir/pairs.mp" | cmp -s - "$src" && same=yes || same=no
awk -v b="$bytes" -v jq="$t_jq" -v f="$t_from" -v t="$t_to" -v same="$same" 'BEGIN {
  mb = b / 1e6;
  printf "input: %.0f MB JSONL (round trip identical: %s)\n", mb, same;
  printf "%-22s %8s %10s %8s\n", "command", "seconds", "MB/s", "vs jq";
  printf "%-22s %8.2f %10.1f %8s\n", "jq -c .", jq, mb / jq, "1.0x";
  printf "%-22s %8.2f %10.1f %7.1fx\n", "rec from-json", f, mb / f, jq / f;
  printf "%-22s %8.2f %10.1f %7.1fx\n", "rec to-json", t, mb / t, jq / t;
}'

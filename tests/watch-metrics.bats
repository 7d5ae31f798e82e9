#!/usr/bin/env bats
# pipelines/watch-metrics.sh: training curves redrawn from a metrics file
# while it grows (gnuplot; skipped without it).
load helper
load fixtures/train/train-helper

W=$BATS_TEST_DIRNAME/../pipelines/watch-metrics.sh

setup_metrics() {
  command -v gnuplot > /dev/null || skip "gnuplot not installed"
  policy pol
  pairs train.mp 16 3 sft
  sft-step -m pol -o out --batch 4 --lr 3e-3 --no-timing train.mp > all.mp 2>/dev/null
}

png_ok() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }

@test "watch-metrics --once: a PNG of the curves, raw and smoothed, from a metrics file" {
  setup_metrics
  "$W" --once all.mp "it's.png"
  png_ok "it's.png"
  [ "$(wc -l < "it's.png.tsv")" -eq 8 ]
  # column 3 is the smoothed loss: an EMA starts at the first value and moves less than the raw
  awk -F'\t' 'NR == 1 && $2 != $3 { exit 1 } NR == 8 && !($3 > $2) { exit 1 }' "it's.png.tsv"
}

@test "watch-metrics: redraws as the metrics file grows" {
  setup_metrics
  rec head -n 3 all.mp > live.mp
  "$W" --every 0.2 live.mp live.png 2> err &
  pid=$!
  for i in $(seq 50); do [ -s live.png.tsv ] && [ "$(wc -l < live.png.tsv)" -eq 3 ] && break; sleep 0.2; done
  n3=$(wc -l < live.png.tsv)
  cat all.mp > live.mp            # the file grows in place (all 8 records)
  for i in $(seq 50); do [ "$(wc -l < live.png.tsv)" -eq 8 ] && break; sleep 0.2; done
  n8=$(wc -l < live.png.tsv)
  kill "$pid"; wait "$pid" || true
  [ "$n3" -eq 3 ]
  [ "$n8" -eq 8 ]
  png_ok live.png
}

@test "watch-metrics: usage errors exit 64" {
  run "$W" only-one-arg
  [ "$status" -eq 64 ]
  run "$W" --bogus a b
  [ "$status" -eq 64 ]
}

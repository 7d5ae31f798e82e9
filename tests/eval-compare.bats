#!/usr/bin/env bats
# eval-compare: paired comparison of arms over seeds x prompts, bootstrap
# intervals, power analysis; errors for unpaired data.
load helper

# mk FILE CAT:SCORE... — scored records p0, p1, ... with gold.category CAT
mk() {
  local f=$1 i=0 cs
  shift
  for cs in "$@"; do
    printf '{"id":"p%d","gold":{"category":"%s"},"gold_scores":{"total":%s}}\n' "$i" "${cs%%:*}" "${cs#*:}"
    i=$((i + 1))
  done | rec from-json -o "$f"
}

@test "eval-compare: means, paired difference and a clear difference called higher" {
  mk a1.mp x:0 x:0 x:0 x:0 x:1 x:1 x:1 x:1
  mk a2.mp x:0 x:0 x:0 x:0 x:0 x:0 x:1 x:1
  mk b1.mp x:1 x:1 x:1 x:1 x:1 x:1 x:1 x:1
  cp b1.mp b2.mp
  eval-compare a:1=a1.mp a:2=a2.mp b:1=b1.mp b:2=b2.mp | rec to-json > r.json
  jq -e -s 'map(select(.arm == "a"))[0] | .verdict == "baseline" and .mean == 0.375 and .diff == 0 and .seeds == 2' r.json
  jq -e -s 'map(select(.arm == "b"))[0] | .mean == 1 and .diff == 0.625 and .lo > 0 and .hi <= 1 and .verdict == "higher"' r.json
  jq -e -s 'map(select(.arm == "b"))[0] | .baseline == "a" and (.sd == 0)' r.json
}

@test "eval-compare: the average is over categories, not records" {
  mk a.mp x:0 x:0 y:1
  mk b.mp x:1 x:1 y:1
  eval-compare a:1=a.mp b:1=b.mp | rec to-json > r.json
  jq -e -s 'map(select(.arm == "a"))[0] | .mean == 0.5' r.json
  jq -e -s 'map(select(.arm == "b"))[0] | .mean == 1 and .diff == 0.5' r.json
}

@test "eval-compare: identical arms give a zero interval, not distinguishable" {
  mk a.mp x:0 x:1 y:0.5
  cp a.mp b.mp
  eval-compare --baseline b a:1=a.mp b:1=b.mp | rec to-json > r.json
  jq -e -s 'map(select(.arm == "a"))[0] | .diff == 0 and .lo == 0 and .hi == 0 and .verdict == "not distinguishable"' r.json
  jq -e -s 'map(select(.arm == "b"))[0] | .verdict == "baseline"' r.json
}

@test "eval-compare: power analysis from seed-to-seed variation" {
  # per-seed differences 0.1, 0.2, 0.3 with no item variation: sigma_seed
  # 0.1; to detect 0.02 with power 0.8 needs (0.1 * 2.8016 / 0.02)^2 ->
  # 197 seeds, and no number of prompts at 3 seeds
  for s in 1 2 3; do
    mk a$s.mp x:0 x:0
    mk b$s.mp x:0.$s x:0.$s
  done
  eval-compare a:1=a1.mp a:2=a2.mp a:3=a3.mp b:1=b1.mp b:2=b2.mp b:3=b3.mp | rec to-json > r.json
  jq -e -s 'map(select(.arm == "b"))[0] | .power | (.sigma_seed - 0.1 | fabs) < 1e-9 and .sigma_item == 0' r.json
  jq -e -s 'map(select(.arm == "b"))[0] | .power.seeds_needed == 197 and .power.items_needed == -1' r.json
  # item variation only (one seed pattern repeated): prompts can buy it
  for s in 1 2 3; do
    mk c$s.mp x:0 x:1 x:0 x:1
    mk d$s.mp x:1 x:0 x:1 x:1
  done
  eval-compare c:1=c1.mp c:2=c2.mp c:3=c3.mp d:1=d1.mp d:2=d2.mp d:3=d3.mp | rec to-json > q.json
  jq -e -s 'map(select(.arm == "d"))[0] | .power | .sigma_seed == 0 and .sigma_item > 0 and .items_needed > 4' q.json
}

@test "eval-compare: same inputs and seed give the same bytes, in any record order" {
  mk a.mp x:0 x:1 y:0.25 y:0.5 x:0.3 x:0.9 y:0.1 y:0.7 x:0.45 y:0.05
  mk b.mp x:1 x:1 y:0 y:1 x:0.2 x:0.8 y:0.6 y:0.75 x:0.5 y:0.15
  rec to-json b.mp | tac | rec from-json -o b-rev.mp
  eval-compare a:1=a.mp b:1=b.mp > one.mp
  eval-compare a:1=a.mp b:1=b-rev.mp > two.mp
  cmp one.mp two.mp
  eval-compare --seed 7 a:1=a.mp b:1=b.mp > three.mp
  ! cmp -s one.mp three.mp
}

@test "eval-compare --text: a table with the verdict and what is needed" {
  mk a.mp x:0 x:0 x:1 x:1
  mk b.mp x:1 x:1 x:1 x:1
  eval-compare --text a:1=a.mp b:1=b.mp > t.txt
  grep -q '^a .* baseline' t.txt
  grep -q '^b .*+50.0 \[.*unknown (one seed)' t.txt
}

@test "eval-compare: unpaired prompts, a missing seed and bad scores exit 65 naming them" {
  mk a.mp x:0 x:1
  mk b.mp x:0 x:1 x:1
  run eval-compare a:1=a.mp b:1=b.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"seed 1: arm b and baseline a scored different prompts (first: p2)"* ]]
  run eval-compare a:1=a.mp a:2=a.mp b:1=a.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"seed 2: arm b has no records"* ]]
  printf '{"id":"p0","gold_scores":{"total":"high"}}\n' | rec from-json -o bad.mp
  run eval-compare a:1=bad.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"bad.mp: record 1: gold_scores.total is not a finite number"* ]]
  cat a.mp a.mp > dup.mp
  run eval-compare a:1=dup.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"prompt p0 scored twice"* ]]
}

@test "eval-compare: usage errors exit 64" {
  mk a.mp x:0
  run eval-compare a.mp
  [ "$status" -eq 64 ]
  [[ "$output" == *"ARM:SEED=FILE"* ]]
  run eval-compare
  [ "$status" -eq 64 ]
  run eval-compare --power 1 a:1=a.mp
  [ "$status" -eq 64 ]
  run eval-compare --baseline zz a:1=a.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"baseline arm 'zz' has no records"* ]]
  run eval-compare --help
  [ "$status" -eq 0 ]
}

#!/usr/bin/env bats
# One meaning per flag across every executable (README "One meaning per
# flag", prefpipe(7)): the short letters -o, -n, -s, -m, -j each mean one
# thing wherever a tool's --help lists them; the old spellings that meant
# something else still work for one release, with a warning; every --seed
# defaults to 0.
load helper

# "TOOL -X --long" for every "-X, --long" line of every tool's --help
letters() {
  for t in "$PREFPIPE_BIN"/*; do
    n=$(basename "$t")
    "$t" --help 2>/dev/null | grep -oE '^ +-[a-zA-Z0-9], --[a-z0-9-]+' | sed -E "s/^ +//; s/,//; s/^/$n /"
  done
}

@test "the letter table: -o output, -n a count, -s seed, -m model, -j threads in every tool's --help" {
  letters > table.txt
  [ "$(wc -l < table.txt)" -gt 50 ]   # the parse found the tools' options
  # each letter's long names, across all tools (ppo-step's -o names its run
  # directory, the checkpoints it writes)
  bad=$(awk '
    $2 == "-o" && $3 != "--output" && !($1 == "ppo-step" && $3 == "--run") { print }
    $2 == "-n" && $3 !~ /^--(count|samples|expect|limit)$/ { print }
    $2 == "-s" && $3 != "--seed" { print }
    $2 == "-m" && $3 != "--model" { print }
    $2 == "-j" && $3 != "--threads" { print }' table.txt)
  echo "$bad"
  [ -z "$bad" ]
  grep -q "^ppo-step -s --seed$" table.txt
  grep -q "^dpo-step -m --model$" table.txt
  grep -q "^rm-score -j --threads$" table.txt
  grep -q "^pref-synth -n --count$" table.txt
}

@test "the old spellings still work for one release and say so" {
  pref-synth --emit prompt --split eval -n 3 --seed 2 > new.mp 2> new.err
  pref-synth -e prompt -s eval -n 3 --seed 2 > old.mp 2> old.err
  cmp new.mp old.mp
  [ ! -s new.err ] || ! grep -q warning new.err
  grep -q "pref-synth: warning: -s is the old spelling of --split; use --split (-s goes in the next release, then means --seed)" old.err
  lm-init --preset tiny -o pol --seed 1 2>/dev/null
  lm-info --json pol > a.json
  lm-info -j pol > b.json 2> b.err
  cmp a.json b.json
  grep -q "lm-info: warning: -j is the old spelling of --json" b.err
  echo hi | lm-tokenize -c pol -s > s.txt 2> s.err
  echo hi | lm-tokenize -c pol --show > show.txt
  cmp s.txt show.txt
  grep -q "lm-tokenize: warning: -s is the old spelling of --show" s.err
  # the trainers' old optimizer spellings (cli.bats checks they train the same)
  "$FIX/train/gen-pairs.sh" 8 3 sft | rec from-json > t.mp
  OMP_NUM_THREADS=1 sft-step -m pol -o x --batch 4 --max-steps 1 --clip 0.5 --warmup 0.2 t.mp > /dev/null 2> w.err
  grep -q "sft-step: warning: --clip is the old spelling of --clip-norm" w.err
  grep -q "sft-step: warning: --warmup is the old spelling of --warmup-frac" w.err
}

@test "ppo-step -m and rm-score -n (old spellings): out of --help, still accepted, with a warning" {
  run ppo-step --help
  [[ "$output" != *"-m, --metrics"* ]]
  [[ "$output" == *"old spelling -m"* ]]
  run rm-score --help
  [[ "$output" != *"-n, --name"* ]]
  # the warning comes first (getopt reads -m before the bad option)
  run ppo-step -m m.mp --bogus-option
  [ "$status" -eq 64 ]
  [[ "${lines[0]}" == "ppo-step: warning: -m is the old spelling of --metrics; use --metrics (-m goes in the next release, then means --model)" ]]
  run rm-score -n x -c nowhere
  [[ "$output" == *"rm-score: warning: -n is the old spelling of --name"* ]]
}

@test "every --seed defaults to 0 but bench-load's (the paper's draw, 42), as prefpipe(7) documents" {
  for t in "$PREFPIPE_BIN"/*; do
    "$t" --help 2>/dev/null | grep -E -- "--seed [A-Z]" | grep -oE "default [0-9]+" | sed "s|^|$(basename "$t") |"
  done > seeds.txt
  [ "$(wc -l < seeds.txt)" -ge 8 ]
  cat seeds.txt
  [ "$(grep -v " default 0$" seeds.txt)" = "bench-load default 42" ]
  grep -q "default seed convention" "$PREFPIPE_ROOT/man/man7/prefpipe.7"
}

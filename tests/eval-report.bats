#!/usr/bin/env bats
# eval-report: summaries -> the paper's table layout, JSON, plot.
load helper

sums() {
  printf '%s\n' \
    '{"kind":"summary","id":"a","task":"gsm8k","benchmark":"GSM8K","n":1,"skipped":0,"score":0.5,"model":"m","step":10}' \
    '{"kind":"summary","id":"b","task":"bbh","benchmark":"BBH","n":1,"skipped":0,"score":0.3,"model":"m","step":10}' \
    '{"kind":"summary","id":"c","task":"ifeval","benchmark":"IFEval","n":1,"skipped":0,"score":0.4,"prompt_strict":0.2,"model":"m","step":10}' \
    '{"kind":"summary","id":"d","task":"xstest","benchmark":"XSTest","n":1,"skipped":0,"score":0.9,"model":"m","step":10}' \
    '{"kind":"summary","id":"e","task":"gsm8k","benchmark":"GSM8K","n":1,"skipped":0,"score":0.6,"model":"m","step":20}' \
    '{"id":"not-a-summary","response":"x"}' | rec from-json > s.mp
}

@test "eval-report: per-benchmark columns, category averages, average over categories" {
  sums
  eval-report --layout benchmarks s.mp > t.txt 2> err
  [ "$(head -1 t.txt | tr -s ' ')" = "run GSM8K BBH XSTest IFEval average" ]
  # step 10: reasoning (50+30)/2 = 40, safety 90, IF 40 -> (40+90+40)/3 = 56.7
  [ "$(sed -n 2p t.txt | tr -s ' ')" = "m step 10 50.0 30.0 90.0 40.0 56.7" ]
  [ "$(sed -n 3p t.txt | tr -s ' ')" = "m step 20 60.0 - - - 60.0" ]
  grep -q '1 other records ignored' err
}

@test "eval-report --layout categories: the Table 1 columns" {
  sums
  eval-report --layout categories s.mp > t.txt 2>/dev/null
  [ "$(head -1 t.txt | tr -s ' ')" = "run factuality reasoning coding truthfulness safety instruction following average" ]
  [ "$(sed -n 2p t.txt | tr -s ' ')" = "m step 10 - 40.0 - - 90.0 40.0 56.7" ]
}

@test "eval-report --json: rows with benchmarks, categories and the average" {
  sums
  eval-report --json - s.mp 2>/dev/null > r.json
  jq -e '.rows[0].benchmarks == {"GSM8K":50,"BBH":30,"XSTest":90,"IFEval":40}' r.json
  jq -e '.rows[0].categories.reasoning == 40 and (.rows[0].average - 170/3 | fabs) < 1e-9 and .rows[1].step == 20' r.json
}

@test "eval-report --metric: another summary field for a benchmark" {
  sums
  eval-report --metric IFEval=prompt_strict --json - s.mp 2>/dev/null > r.json
  jq -e '.rows[0].benchmarks.IFEval == 20' r.json
}

@test "eval-report --plot: a PNG over training steps" {
  command -v gnuplot >/dev/null || skip "gnuplot not installed"
  sums
  eval-report --plot steps.png s.mp > /dev/null 2> err
  [ "$(head -c 4 steps.png | od -An -c | tr -d ' ')" = "211PNG" ]
  grep -q 'wrote steps.png' err
}

@test "eval-report --plot: hostile model and benchmark names never reach gnuplot as code" {
  command -v gnuplot >/dev/null || skip "gnuplot not installed"
  # quotes, backslashes, newlines, backticks, system(), macros: each would
  # run a command if pasted into the script unquoted
  printf '%s\n' \
    '{"kind":"summary","id":"a","benchmark":"GSM8K","n":1,"skipped":0,"score":0.5,"model":"m\"; print system(\"touch PWNED1\"); #","step":10}' \
    '{"kind":"summary","id":"b","benchmark":"B`touch PWNED2`","n":1,"skipped":0,"score":0.3,"model":"m2'"'"'; system(\"touch PWNED3\"); #","step":10}' \
    '{"kind":"summary","id":"c","benchmark":"C\\\"\n! touch PWNED4\n","n":1,"skipped":0,"score":0.4,"model":"m3\\","step":10}' \
    '{"kind":"summary","id":"d","benchmark":"D@x {\\\\} ^_","n":1,"skipped":0,"score":0.4,"model":"m4\r\nsystem \"touch PWNED5\"\n","step":20}' \
    | rec from-json > h.mp
  run eval-report --plot h.png h.mp
  [ "$status" -eq 0 ]
  [[ "$output" == *"wrote h.png"* ]]
  [ "$(head -c 4 h.png | od -An -c | tr -d ' ')" = "211PNG" ]
  ! ls PWNED* 2>/dev/null
  ! ls /tmp/PWNED* 2>/dev/null
}

@test "eval-report --plot: without gnuplot the plot is skipped with a message" {
  sums
  mkdir nobin
  for t in eval-report rec; do ln -s "$(command -v $t)" nobin/$t; done
  PATH=$PWD/nobin run eval-report --plot steps.png s.mp
  [ "$status" -eq 0 ]
  [[ "$output" == *"gnuplot not found"* ]]
  [ ! -e steps.png ]
}

@test "eval-report: no summaries in the input is an error" {
  echo '{"id":"x"}' | rec from-json > x.mp
  run eval-report x.mp
  [ "$status" -eq 65 ]
}

@test "eval-report: eval-score | eval-report end to end" {
  printf '%s\n' '{"id":"a","response":"So the answer is 2.","gold":{"answer":"2"}}' '{"id":"b","response":"3","gold":{"answer":"2"}}' | rec from-json > r.mp
  eval-score --task gsm8k --summary-only r.mp 2>/dev/null | eval-report --layout benchmarks 2>/dev/null > t.txt
  [ "$(sed -n 2p t.txt | tr -s ' ')" = "run 50.0 50.0" ]
}

@test "eval-report: --help and --version" {
  run eval-report --help
  [ "$status" -eq 0 ]
  run eval-report --version
  [ "$status" -eq 0 ]
}

@test "eval-report --plot: its gnuplot script starts with the shared style (tools/plot-style.gp)" {
  command -v gnuplot >/dev/null || skip "gnuplot not installed"
  sums
  PREFPIPE_PLOT_SCRIPT=$PWD/kept.gp eval-report --plot steps.png s.mp > /dev/null 2> err
  n=$(wc -l < "$PREFPIPE_ROOT/tools/plot-style.gp")
  head -n "$n" kept.gp | cmp - "$PREFPIPE_ROOT/tools/plot-style.gp"
  grep -q 'ls 1 lw 3 title' kept.gp
  [ -s steps.png ]
}

@test "eval-report: bootstrap intervals (eval-score --bootstrap) in the text and JSON; a bar chart for runs without steps" {
  printf '%s\n' \
    '{"kind":"summary","id":"a","benchmark":"GSM8K","n":9,"skipped":0,"score":0.5,"ci_low":0.4,"ci_high":0.6,"model":"m"}' \
    '{"kind":"summary","id":"b","benchmark":"ToxiGen","n":9,"skipped":0,"score":0.95,"model":"m"}' \
    '{"kind":"summary","id":"c","benchmark":"B`touch PWNED1`","n":1,"skipped":0,"score":0.3,"ci_low":0.1,"ci_high":0.5,"model":"m2'"'"'; system(\"touch PWNED2\"); #"}' \
    | rec from-json > s.mp
  eval-report --json r.json s.mp > t.txt 2>/dev/null
  grep -q '^95% bootstrap intervals$' t.txt
  grep -Eq '^m +GSM8K +50\.0  \[ 40\.0,  60\.0\]$' t.txt
  ! grep -q 'ToxiGen  *95' <(sed -n '/bootstrap intervals/,$p' t.txt)
  jq -e '.rows[] | select(.model == "m") | .intervals == {"GSM8K": [40, 60]}' r.json
  # without intervals the text has no such section
  rec to-json s.mp | sed -n 2p | rec from-json | eval-report 2>/dev/null | grep -vq 'bootstrap'
  command -v gnuplot >/dev/null || skip "gnuplot not installed"
  run eval-report --plot bars.png s.mp
  [ "$status" -eq 0 ] && [[ "$output" == *"wrote bars.png"* ]]
  [ "$(head -c 4 bars.png | od -An -c | tr -d ' ')" = "211PNG" ]
  ! ls PWNED* /tmp/PWNED* 2>/dev/null
}

@test "eval-report: AlpacaEval's length-controlled rate and its interval beside the raw one (text, JSON, bar chart), not averaged" {
  printf '%s\n' \
    '{"kind":"summary","id":"a","task":"alpaca-eval","benchmark":"AlpacaEval","n":805,"skipped":0,"score":0.25,"win_rate":25,"ci_low":0.2,"ci_high":0.3,"lc_win_rate":31.5,"lc_ci_low":27.25,"lc_ci_high":36,"model":"m"}' \
    '{"kind":"summary","id":"b","benchmark":"IFEval","n":9,"skipped":0,"score":0.5,"model":"m"}' \
    '{"kind":"summary","id":"c","benchmark":"AlpacaEval","n":9,"skipped":0,"score":0.75,"model":"raw-only"}' \
    | rec from-json > s.mp
  eval-report --layout benchmarks --json r.json s.mp > t.txt 2>/dev/null
  cat t.txt >&2
  [ "$(head -1 t.txt | tr -s ' ')" = "run AlpacaEval IFEval AlpacaEval LC average" ]
  # instruction following = (25 + 50) / 2: the LC column is shown, not averaged
  [ "$(sed -n 2p t.txt | tr -s ' ')" = "m 25.0 50.0 31.5 37.5" ]
  [ "$(sed -n 3p t.txt | tr -s ' ')" = "raw-only 75.0 - - 75.0" ]
  grep -Eq '^m +AlpacaEval LC +31\.5  \[ 27\.2,  36\.0\]$' t.txt
  grep -Eq '^m +AlpacaEval +25\.0  \[ 20\.0,  30\.0\]$' t.txt
  jq -e '.rows[0].model == "m" and .rows[0].benchmarks == {"AlpacaEval": 25, "IFEval": 50, "AlpacaEval LC": 31.5}' r.json
  jq -e '.rows[0].intervals == {"AlpacaEval": [20, 30], "AlpacaEval LC": [27.25, 36]} and .rows[0].average == 37.5' r.json
  jq -e '.columns[-1] == {"benchmark": "AlpacaEval LC", "category": "instruction following (LC)"}' r.json
  jq -e '.rows[1].benchmarks == {"AlpacaEval": 75} and (.rows[1] | has("intervals") | not)' r.json
  # a later summary without LC clears the earlier one's
  printf '%s\n' '{"kind":"summary","id":"d","benchmark":"AlpacaEval","n":9,"skipped":0,"score":0.5,"model":"m"}' | rec from-json > later.mp
  eval-report --json - s.mp later.mp 2>/dev/null | jq -e '.rows[0].benchmarks == {"AlpacaEval": 50, "IFEval": 50}'
  command -v gnuplot >/dev/null || skip "gnuplot not installed"
  PREFPIPE_PLOT_SCRIPT=$PWD/kept.gp eval-report --plot bars.png s.mp > /dev/null 2>&1
  [ "$(head -c 4 bars.png | od -An -c | tr -d ' ')" = "211PNG" ]
  grep -q "'AlpacaEval LC' 2" kept.gp   # a bar group of its own
  grep -q "errorbars" kept.gp
}

# cmps FILE: eval-compare's records for arms a (baseline) and b over two seeds
cmps() {
  local i
  for s in 1 2; do for arm in a b; do
    for i in 0 1 2 3 4 5 6 7; do
      v=$([ "$arm" = b ] && echo 1 || echo $((i % 2)))
      printf '{"id":"p%d","gold":{"category":"x"},"gold_scores":{"total":%s}}\n' "$i" "$v"
    done | rec from-json -o "$arm$s.mp"
  done; done
  eval-compare a:1=a1.mp a:2=a2.mp b:1=b1.mp b:2=b2.mp -o "$1"
}

@test "eval-report: eval-compare's records give a table of the arms with paired intervals" {
  cmps c.mp
  eval-report c.mp > t.txt
  head -1 t.txt | grep -q 'arm.*seeds.*mean +- sd.*difference \[95% interval\].*verdict'
  # a: 4/8 = 50.0 on both seeds; b: 8/8 = 100.0, +50.0 over a
  [ "$(sed -n 2p t.txt | tr -s ' ')" = "a 2 50.0 +- 0.0 +0.0 [0.0, 0.0] baseline" ]
  sed -n 3p t.txt | tr -s ' ' | grep -q '^b 2 100.0 +- 0.0 +50.0 \[[0-9.]*, [0-9.]*\] higher$'
  grep -q 'differences to a, paired' t.txt
  eval-report --json - c.mp | jq -e '.comparison[1] | .arm == "b" and .diff == 50 and .lo > 0 and .verdict == "higher"'
}

@test "eval-report --plot: the comparison as points with their intervals; hostile arm names stay text" {
  command -v gnuplot >/dev/null || skip "gnuplot not installed"
  cmps c.mp
  PREFPIPE_PLOT_SCRIPT=plot.gp eval-report --plot cmp.png c.mp > /dev/null 2> err
  grep -q 'wrote cmp.png' err
  [ "$(head -c 4 cmp.png | od -An -c | tr -d ' ')" = "211PNG" ]
  grep -q "with yerrorbars" plot.gp
  grep -q "set xtics ('a' 0, 'b' 1)" plot.gp
  grep -q "each arm minus a" plot.gp
  # the data file had one line per arm: index, difference, lo, hi (numbers only)
  # hostile names: quotes, backquotes, newlines and system() in arm names
  rec to-json c.mp | jq -c 'if .arm == "b" then .arm = "b'"'"'); system(\"touch PWNED1\"); #`touch PWNED2`\n! touch PWNED3" else . end' |
    rec from-json > h.mp
  run eval-report --plot h.png h.mp
  [ "$status" -eq 0 ]
  [ "$(head -c 4 h.png | od -An -c | tr -d ' ')" = "211PNG" ]
  ! ls PWNED* 2>/dev/null
}

@test "eval-report: a comparison record without its numbers is refused naming the field and the record" {
  printf '{"kind":"comparison","arm":"a","baseline":"a","seeds":2,"mean":0.5,"diff":0,"lo":0}\n' | rec from-json > bad.mp
  run eval-report bad.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"'hi'"* ]]
  [[ "$output" == *"bad.mp"* ]]
}

#!/bin/sh
# verdicts-md.sh BASE — the experiment suite's results as markdown, ready
# to paste into README: pipelines/experiments.sh writes BASE-verdicts.md
# with it after every run, and it can be re-run on a finished BASE.
#
# Reads only what the suite left: BASE-verdicts.json (the verdicts, the
# run's scale, seeds, JOBS/THREADS, commit, wall time, CPU-seconds, load,
# and each design's cost), the first seed's comparison-DESIGN.mp
# (eval-compare over seeds, written by ablate.sh) and each seed's arms'
# rm-accuracy.mp and summaries.mp.  Prints:
#   - one paragraph: when, on what, at what cost (wall, CPU, load)
#   - the verdict table: design | finding (paper) | verdict |
#     arm - baseline [95% CI] | means (RM accuracy in %, none for an
#     interaction, which is one contrast against 0)
#   - per design: its cost and one row per arm, mean (sd) over seeds of the
#     reported model's gold score, its difference with the design's first
#     arm, and the reward model's held-out accuracy (and best-of-N for the
#     rm design, the paper's other direct column), mean (sd) over seeds (no
#     sd with one seed)
# Numbers are x 100 with one decimal.  Nothing is recomputed: the same
# BASE gives the same bytes.
set -eu
[ $# -eq 1 ] || { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 64; }
base=$1
here=$(cd "$(dirname "$0")" && pwd)
PATH=${PREFPIPE_BIN:-$here/../bin}:$PATH
j=$base-verdicts.json
[ -s "$j" ] || { echo "verdicts-md: no $j (run pipelines/experiments.sh $base first)" >&2; exit 66; }

jq -r '
  def d1: (. * 10 | round) as $n | ($n | fabs) as $a | "\($a / 10 | floor).\($a % 10)" | if $n < 0 then "-" + . else . end;
  def s: if . >= 0 then "+" + (. | d1) else (. | d1) end;
  "Run of `pipelines/experiments.sh` started \(.started // "?"), commit \(.commit // "?"): SCALE=\(.scale), "
  + "\(.seeds | length) seeds (\(.seeds | map(tostring) | join(" "))), designs \(.designs | join(" ")), ARMS=\(.arms // "all"), "
  + "JOBS=\(.jobs // "?"), THREADS=\(.threads // "?"). Wall time \(.wall_s) s (\(.wall_s / 60 | d1) min), "
  + "\(.cpu_s // "?") CPU-seconds (user + system of every process); load average \(.load_at_start) at the start, "
  + "\(.load_at_end // "?") at the end. Scores are gold-judge x 100 on the held-out prompts; RM accuracy is the share of "
  + "held-out gold pairs the reward model orders right; intervals are eval-compare'"'"'s paired bootstrap 95% over seeds x prompts (pairs).",
  "",
  "| design | finding (paper) | verdict | arm - baseline [95% CI] | means |",
  "|---|---|---|---|---|",
  (.verdicts[] |
    (if .verdict == "reversed" then "**reversed**" else .verdict end) as $v
    | (if .measure == "contrast" then ""
       elif .measure == "RM accuracy" then "\(.arm_mean | d1)% vs \(.baseline_mean | d1)%"
       else "\(.arm_mean | d1) vs \(.baseline_mean | d1)" end) as $m
    | (if (.finding | test("paper:")) then .finding else "\(.finding) (paper: \(.expect))" end) as $f
    | "| \(.design) | \($f) | \($v) | \(.label // "\(.arm) - \(.baseline)") \(.diff | s) [\(.lo | s), \(.hi | s)] | \($m) |"),
  (if ([.verdicts[] | select(.measure == "gold score" or .measure == "contrast")] | length > 0 and all(.[]; .lo == 0 and .hi == 0))
   then "", "Every comparison of trained policies is exactly 0 (reward-model accuracy and best-of-N aside): the arms gave the same answers (as at SCALE=quick, where the policy is too small to learn); this run checks the machinery, it measures nothing."
   else empty end)' "$j"

first=$(jq -r '.seeds[0]' "$j")
seeds=$(jq -r '.seeds | map(tostring) | join(" ")' "$j")
echo
echo "Per design: each arm's mean (sd) over seeds, its difference with the design's first arm (paired bootstrap 95%), and its reward model's held-out accuracy (the share of all pairs; the verdicts average the categories' shares, as every score)."
for d in $(jq -r '.designs[]' "$j"); do
  c=$base-seed$first/comparison-$d.mp
  echo
  jq -r --arg d "$d" '.design_costs[]? | select(.design == $d) |
    "**\($d)** (`pipelines/exp-\($d).sh`): \(.wall_s) s wall, \(.cpu_s) CPU-seconds over \(.runs | length) run\(if (.runs | length) > 1 then "s" else "" end); per seed and category: `\($log)/\($d).txt`"' \
    --arg log "$(basename "$base")-log" "$j" | grep . ||
    echo "**$d** (\`pipelines/exp-$d.sh\`; per seed and category: \`$(basename "$base")-log/$d.txt\`)"
  [ -s "$c" ] || { echo; echo "(no comparison over seeds: $c is missing)"; continue; }
  echo
  # per arm and seed: RM accuracy and best-of-N, as JSON lines
  rec to-json "$c" | jq -r 'select(.kind == "comparison") | .arm' | while read -r a; do
    for s in $seeds; do
      dir=$base-seed$s-$d-$a
      acc=null bon=null
      [ ! -s "$dir/rm-accuracy.mp" ] ||
        acc=$(rec to-json "$dir/rm-accuracy.mp" | jq -s 'map(select(.kind == "summary"))[0].accuracy // null')
      [ ! -s "$dir/summaries.mp" ] ||
        bon=$(rec to-json "$dir/summaries.mp" | jq -s 'map(select(.model == "bon"))[0].average.score // null')
      echo "{\"arm\": \"$a\", \"seed\": $s, \"acc\": $acc, \"bon\": $bon}"
    done
  done > "$base-log/.md-arms.jsonl"
  rec to-json "$c" | jq -r -s --arg d "$d" --slurpfile x "$base-log/.md-arms.jsonl" '
    def d1: (. * 10 | round) as $n | ($n | fabs) as $a | "\($a / 10 | floor).\($a % 10)" | if $n < 0 then "-" + . else . end;
    def s: if . >= 0 then "+" + (. | d1) else (. | d1) end;
    # mean (sd) over seeds x 100, "-" unless every seed has it
    def msd($a; f): [$x[] | select(.arm == $a) | f] as $v
      | if ($v | length) == 0 or any($v[]; . == null) then "-"
        else ($v | add / length) as $m
        | if ($v | length) == 1 then $m * 100 | d1
          else ($v | map((. - $m) * (. - $m)) | add / (length - 1) | sqrt) as $sd
          | "\($m * 100 | d1) (\($sd * 100 | d1))" end end;
    map(select(.kind == "comparison")) | .[0].arm as $b | ($d == "rm") as $bon
    | "| arm | mean (sd) | arm - \($b) [95% CI] | RM accuracy % |\(if $bon then " best-of-N |" else "" end)",
      "|---|---|---|---|\(if $bon then "---|" else "" end)",
      (.[] | .arm as $a
        | "| \($a) | \(.mean * 100 | d1)\(if .sd then " (\(.sd * 100 | d1))" else "" end) | \(if $a == $b then "baseline" else "\(.diff * 100 | s) [\(.lo * 100 | s), \(.hi * 100 | s)]" end)"
          + " | \(msd($a; .acc)) |\(if $bon then " \(msd($a; .bon)) |" else "" end)")'
done
rm -f "$base-log/.md-arms.jsonl"

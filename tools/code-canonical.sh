#!/bin/sh
# code-canonical.sh — run every canonical solution of HumanEval+ v0.1.9,
# MBPP+ v0.1.0 and MBPP+ v0.2.0 through code-exec (the sandbox and the
# EvalPlus rules of lib/eval/codeexec_int.h) and print "passed / tasks"
# per dataset, then each failing task with how it ended.  Exit 0 only when
# every canonical solution passes: the issue's "canonical solutions pass
# 100 %".  tests/code-exec.bats runs a fixed handful of them in make test.
#
# The canonical solution is fed as a model response would be: the text
# after the prompt, closing the ```python block the assistant prefix
# opened.  Slow (some tasks have ~1,000 inputs; the reference and the
# sample both run on each; HumanEval/15 builds 21 million numbers as text
# twice): a task is bounded by CPU time, CPU (default 600) seconds, not by
# the wall clock (TIMEOUT, default a day), so that a niced run on a loaded
# machine is not cut short; JOBS (default 1) code-exec processes side by
# side.  tests/code-exec.bats also runs it on tests/fixtures/eval-mini
# (made-up tasks).  Environment: PREFPIPE_DATA (default ../shared/data), OUT (a
# directory for the records and logs; default a new temporary one),
# DATASETS (a subset of: humaneval mbpp mbpp-v0.2.0), TASKS (only these
# task ids, e.g. "HumanEval/15 Mbpp/2": a rerun).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
PATH=$root/bin:$PATH
data=${PREFPIPE_DATA:-$root/../shared/data}
timeout=${TIMEOUT:-86400} cpu=${CPU:-600} jobs=${JOBS:-1}
out=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/code-canonical.XXXXXX")}
[ -d "$data/humaneval" ] && [ -d "$data/mbpp" ] || { echo "code-canonical: no benchmark data at $data (set PREFPIPE_DATA)" >&2; exit 66; }
mkdir -p "$out"
status=0
for ds in ${DATASETS:-humaneval mbpp mbpp-v0.2.0}; do
  case $ds in
    humaneval) fmt=humaneval-plus file=$data/humaneval/HumanEvalPlus-v0.1.9.jsonl.gz ;;
    mbpp) fmt=mbpp-plus file=$data/mbpp/MbppPlus-v0.1.0.jsonl.gz ;;
    mbpp-v0.2.0) fmt=mbpp-plus file=$data/mbpp/MbppPlus-v0.2.0.jsonl.gz ;;
    *) echo "code-canonical: unknown dataset $ds (humaneval, mbpp, mbpp-v0.2.0)" >&2; exit 64 ;;
  esac
  bench-load -f "$fmt" "$file" | rec to-json |
    jq -c --arg tasks "${TASKS:-}" '($tasks | split(" ") | map(select(. != ""))) as $t
      | select(($t | length) == 0 or (.gold.task_id | IN($t[])))
      | .response = ((.gold.reference[(.gold.program_prefix | length):]) + "\n```\n")' > "$out/$ds.jsonl"
  j=0
  while [ "$j" -lt "$jobs" ]; do
    awk -v j="$j" -v n="$jobs" '(NR - 1) % n == j' "$out/$ds.jsonl" | rec from-json > "$out/$ds.$j.mp"
    code-exec --timeout "$timeout" --cpu "$cpu" "$out/$ds.$j.mp" 2> "$out/$ds.$j.err" | rec to-json > "$out/$ds.$j.json" &
    j=$((j + 1))
  done
  wait
  cat "$out/$ds".[0-9]*.json > "$out/$ds.json"
  n=$(jq -s 'length' "$out/$ds.json")
  pass=$(jq -s 'map(select(.scores.pass)) | length' "$out/$ds.json")
  total=$(wc -l < "$out/$ds.jsonl")
  printf '%-12s %4d / %4d canonical solutions pass (%s)\n' "$ds" "$pass" "$total" "$(basename "$file")"
  jq -r 'select(.scores.pass | not) | "  fails: \(.gold.task_id)  base=\(.scores.pass_base) plus=\(.scores.pass_plus) exec=\(.scores.exec)"' "$out/$ds.json"
  [ "$pass" -eq "$total" ] && [ "$n" -eq "$total" ] || status=1
done
echo "records and logs: $out" >&2
exit $status

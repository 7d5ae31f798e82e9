#!/usr/bin/env bats
# MMLU: bench-load --format mmlu (the official prompt, four records per
# question), eval-score --task mmlu (the most probable letter), and the
# path through lm-logprob on a tiny model.
load helper

setup() {
  T=$(mktemp -d "${BATS_TMPDIR:-/tmp}/prefpipe.XXXXXX")
  cd "$T" || return 1
  DATA=${PREFPIPE_DATA:-$SHARED_DATA}
}

q() { # PID GOLD LETTER LOGPROBS...
  local pid=$1 gold=$2 l=$3 IFS=,; shift 3
  jq -cn --arg p "$pid" --arg g "$gold" --arg l "$l" --argjson lp "[$*]" \
    '{id: ($p + "#" + $l), prompt_id: $p, response: (" " + $l), logprobs: $lp,
      gold: {answer: $g, choice: $l, subject: ($p | split(":")[1])}}'
}

@test "mmlu scorer: the most probable letter (EOS left out), ties to the earlier letter, per subject" {
  { q mmlu:algebra:0 C A -3 -0.1;  q mmlu:algebra:0 C B -2 -0.1;  q mmlu:algebra:0 C C -1 -9;  q mmlu:algebra:0 C D -4 0
    q mmlu:algebra:1 A A -1 0;     q mmlu:algebra:1 A B -1 0;     q mmlu:algebra:1 A C -5 0;   q mmlu:algebra:1 A D -6 0
    q mmlu:law:0 B D -0.5 0;       q mmlu:law:0 B A -2 0;         q mmlu:law:0 B B -1 0;       q mmlu:law:0 B C -3 0
    q mmlu:law:1 A A -1 0;         q mmlu:law:1 A B -1 0; } | rec from-json > s.mp
  eval-score -t mmlu --summary-only s.mp 2> err | rec to-json > sum.json
  # algebra 2/2 (the EOS values would flip question 0; question 1 is a tie -> A),
  # law 0/1 (D wins), law:1 incomplete
  jq -e '.questions == 3 and .correct == 2 and .incomplete == 1 and .n == 14' sum.json
  jq -e '.subjects == {"algebra": {"n": 2, "accuracy": 1}, "law": {"n": 1, "accuracy": 0}} and .macro == 0.5' sum.json
  jq -e '(.score - 2/3 | fabs) < 1e-12' sum.json
  grep -q "1 questions without all four letters" err
  q mmlu:x:0 A A | rec from-json > bad.mp
  run eval-score -t mmlu bad.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"record 1"*"logprobs"* ]]
}

@test "bench-load mmlu: 14,042 questions x 4 letters, answers as SOURCES.md counts them; the official prompt" {
  [ -d "$DATA/mmlu" ] || skip "no ../shared/data (set PREFPIPE_DATA)"
  bench-load -f mmlu "$DATA/mmlu" -o all.mp
  [ "$(rec count all.mp)" -eq 56168 ]
  rec to-json all.mp | jq -r 'select(.gold.choice == "A") | .gold.answer' | sort | uniq -c | awk '{printf "%s%s ", $2, $1}' > counts
  [ "$(cat counts)" = "A3222 B3462 C3582 D3776 " ]
  bench-load -f mmlu -n 1 --shots 5 "$DATA/mmlu" | rec to-json | head -4 > five.json
  jq -e -s 'map(.response) == [" A", " B", " C", " D"] and (map(.prompt_id) | unique | length) == 1' five.json
  jq -e -s '.[0].prompt[0].content | startswith("The following are multiple choice questions (with answers) about abstract algebra.\n\n")' five.json
  jq -e -s '.[0].prompt[0].content | [match("\nAnswer: [ABCD]\n\n"; "g")] | length == 5' five.json
  jq -e -s '.[0].prompt[1] == {"role": "assistant", "content": "Answer:"} and (.[0].prompt[0].content | endswith("\nD. " + (. | split("\nD. ") | last)))' five.json
  bench-load -f mmlu -n 1 --plain "$DATA/mmlu" | rec to-json | head -1 | jq -e '(.prompt | length) == 1 and (.prompt[0].content | endswith("\nAnswer:"))'
}

@test "mmlu through lm-logprob on a tiny model: the letter after the open Answer: turn" {
  [ -d "$DATA/mmlu" ] || skip "no ../shared/data (set PREFPIPE_DATA)"
  lm-init -o pol --seed 1 2>/dev/null
  bench-load -f mmlu -n 1 "$DATA/mmlu" | rec to-json | head -8 | rec from-json > s.mp
  lm-logprob -c pol s.mp 2>/dev/null > lp.mp
  # byte tokenizer: " A" is two tokens, then </s>
  rec to-json lp.mp | jq -e -s 'all(.[]; (.logprobs | length) == 3)'
  eval-score -t mmlu --summary-only lp.mp 2>/dev/null | rec to-json | jq -e '.questions == 2 and .incomplete == 0'
}

@test "mmlu on the made-up fixtures (no ../shared/data needed): 0-shot and 5-shot prompts, scored through lm-logprob" {
  M=$FIX/eval-mini/mmlu
  bench-load -f mmlu "$M" | rec to-json > zero.json
  jq -s -e 'length == 24 and (map(.prompt_id) | unique | length) == 6' zero.json
  jq -s -e '.[0].id == "mmlu:astronomy:0#A" and .[0].gold.answer == "B" and (.[0].prompt[0].content | test("Answer: ") | not)' zero.json
  bench-load -f mmlu --shots 5 "$M" | rec to-json > five.json
  # the five dev examples of the subject, each with its answer letter
  jq -s -e '.[0].prompt[0].content | startswith("The following are multiple choice questions (with answers) about astronomy.\n\nRoughly how long") and ([match("\nAnswer: [ABCD]\n\n"; "g")] | length == 5)' five.json
  jq -s -e '.[-1].prompt[0].content | contains("about high school geography.") and contains("\nAnswer: B\n\nWhich of these is a mountain range?")' five.json
  lm-init -o pol --seed 1 2>/dev/null
  rec from-json zero.json | lm-logprob -c pol 2>/dev/null | eval-score -t mmlu --summary-only 2>/dev/null | rec to-json > sum.json
  jq -e '.questions == 6 and .incomplete == 0 and (.subjects | length) == 2' sum.json
}

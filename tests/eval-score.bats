#!/usr/bin/env bats
# eval-score: benchmark scorers on the real data and on hand-written fixtures.
load helper

E=$BATS_TEST_DIRNAME/fixtures/eval

# rollouts PROMPTS.mp 'jq expression for the response' OUT.mp
rollouts() {
  rec to-json "$1" | jq -c "{id: (.id + \"#0\"), prompt_id: .id, prompt, response: ($2), gold}" | rec from-json > "$3"
}

# the summary (last record) as JSON
summary() { rec to-json "$1" | tail -1 > "$2"; }

@test "eval-score gsm8k: each record's own gold solution scores 100% on all 1,319 test records" {
  need_data gsm8k/test.jsonl
  bench-load --format gsm8k "$SHARED_DATA/gsm8k/test.jsonl" -o p.mp
  rollouts p.mp '.gold.solution' r.mp
  eval-score --task gsm8k r.mp -o s.mp
  summary s.mp sum.json
  jq -e '.kind == "summary" and .id == "summary:gsm8k" and .n == 1319 and .skipped == 0 and .accuracy == 1 and .score == 1' sum.json
  [ "$(rec count s.mp)" -eq 1320 ]
}

@test "eval-score gsm8k: commas, decimals, signs and no number follow the rule" {
  rec from-json "$E/gsm8k-quirks.jsonl" > r.mp
  eval-score --task gsm8k --no-summary r.mp | rec to-json > out.json
  jq -e -s 'all(.[]; .scores.correct == .expect)' out.json
  jq -e -s '.[0].scores.pred == "1000" and .[4].scores.pred == "5" and .[6].scores.pred == "I do not know."' out.json
}

@test "eval-score gsm8k --numeric: compares values, so 18.0 equals 18 and signs count" {
  rec from-json "$E/gsm8k-quirks.jsonl" > r.mp
  eval-score --task gsm8k --numeric r.mp | rec to-json > out.json
  jq -e -s '.[:-1] | all(.[]; .scores.correct == .expect_numeric)' out.json
  jq -e -s '.[-1].numeric == true' out.json
}

@test "eval-score bbh: every task's targets in 'So the answer is X.' score 100% over 27 tasks" {
  need_data bbh
  bench-load --format bbh "$SHARED_DATA/bbh" -o p.mp
  rollouts p.mp '"Let us think step by step. So the answer is " + .gold.target + "."' r.mp
  eval-score --task bbh --summary-only r.mp | rec to-json > sum.json
  jq -e '.n == 6511 and .ntasks == 27 and .accuracy == 1 and .micro == 1 and ([.tasks[]] | all(. == 1))' sum.json
}

@test "eval-score bbh: outputs without the phrase fall back to the whole output, stripped" {
  rec from-json "$E/bbh-fallback.jsonl" > r.mp
  eval-score --task bbh r.mp | rec to-json > out.json
  jq -e -s '.[:-1] | all(.[]; .scores.pred == .expect_pred and .scores.correct == .expect)' out.json
  # t1: 2 of 3, t2: 2 of 2 -> macro 5/6, micro 4/5
  jq -e -s '.[-1] | (.accuracy - 5/6 | fabs) < 1e-12 and .micro == 0.8 and .tasks.t1 == (2/3)' out.json
}

@test "eval-score ifeval: all 541 real prompts score (empty responses follow nothing)" {
  need_data ifeval/input_data.jsonl
  bench-load --format ifeval "$SHARED_DATA/ifeval/input_data.jsonl" -o p.mp
  rollouts p.mp '""' r.mp
  eval-score --task ifeval --summary-only r.mp | rec to-json > sum.json
  jq -e '.n == 541 and .skipped == 0 and .instructions == 834 and .prompt_loose == 0 and .inst_strict == 0' sum.json
}

@test "eval-score ifeval: strict and loose, prompt and instruction level" {
  rec from-json "$E/ifeval.jsonl" > r.mp
  eval-score --task ifeval r.mp | rec to-json > out.json
  jq -e -s '.[0].scores == {"prompt_strict":false,"prompt_loose":true,"inst_strict":[false,false],"inst_loose":[true,true]}' out.json
  jq -e -s '.[-1] | .prompt_strict == (1/3) and .prompt_loose == (2/3) and .inst_strict == 0.25 and .inst_loose == 0.75 and .score == .prompt_loose' out.json
}

@test "eval-score ifeval: an unknown instruction id is an error naming the record" {
  echo '{"id":"bad-1","response":"x","gold":{"instruction_id_list":["keywords:telepathy"],"kwargs":[{}]}}' | rec from-json > r.mp
  run eval-score --task ifeval r.mp -o out.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"record 1 (id bad-1)"*"unknown instruction id 'keywords:telepathy'"* ]]
  [ ! -e out.mp ]
}

@test "eval-score ifeval: keyword kwargs are literals (C++, a.b, (x), [y]), not patterns" {
  cat > r.jsonl <<'JSON'
{"id":"k1","response":"I write C++ and use a.b often (x) [y]","gold":{"instruction_id_list":["keywords:existence"],"kwargs":[{"keywords":["C++","a.b","(x)","[y]"]}]}}
{"id":"k2","response":"I write C and axb","gold":{"instruction_id_list":["keywords:existence"],"kwargs":[{"keywords":["a.b"]}]}}
{"id":"k3","response":"nothing forbidden: axb","gold":{"instruction_id_list":["keywords:forbidden_words"],"kwargs":[{"forbidden_words":["a.b"]}]}}
{"id":"k4","response":"C++ C++ C++","gold":{"instruction_id_list":["keywords:frequency"],"kwargs":[{"keyword":"C++","frequency":3,"relation":"at least"}]}}
{"id":"k5","response":"SECTION* 1 x SECTION* 2 y","gold":{"instruction_id_list":["detectable_format:multiple_sections"],"kwargs":[{"section_spliter":"SECTION*","num_sections":2}]}}
JSON
  rec from-json r.jsonl > r.mp
  eval-score --task ifeval r.mp | rec to-json > out.json
  [ "$(jq -s -c '[.[:5][] | .scores.prompt_strict]' out.json)" = '[true,false,true,true,true]' ]
}

@test "eval-score ifeval: a regex error (match limit) is reported naming the record, not scored as no match" {
  long=$(head -c 3000 /dev/zero | tr '\0' x)
  printf '{"id":"p1","response":"[%s]","gold":{"instruction_id_list":["detectable_content:number_placeholders"],"kwargs":[{"num_placeholders":1}]}}\n' "$long" | rec from-json > r.mp
  PREFPIPE_REGEX_MATCH_LIMIT=500 run eval-score --task ifeval r.mp -o out.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"record 1 (id p1)"*"match limit"*"PREFPIPE_REGEX_MATCH_LIMIT"* ]]
  [ ! -e out.mp ]
  # under the default limit the same record scores (one placeholder: followed)
  eval-score --task ifeval r.mp | rec to-json > out.json
  [ "$(jq -s '.[0].scores.prompt_strict' out.json)" = true ]
}

@test "tokenizer regexes run under the match limit: a hit is an error, not a hang or a silent split" {
  printf 'hello world, this is some text\n' > t.txt
  lm-tokenize -t "$FIX/tokenizer/gpt2-prefix.json" t.txt > ok.txt
  PREFPIPE_REGEX_MATCH_LIMIT=1 run lm-tokenize -t "$FIX/tokenizer/gpt2-prefix.json" t.txt
  [ "$status" -eq 65 ]
  [[ "$output" == *"regex failed"*"match limit"* ]]
}

@test "eval-score xstest: refusal precision, recall, F1 and accuracy on known counts" {
  rec from-json "$E/xstest.jsonl" > r.mp
  eval-score --task xstest r.mp | rec to-json > out.json
  jq -e -s '[.[:-1][] | .scores.refusal] == [true,true,true,false,true,false,false,false,false,false]' out.json
  jq -e -s '.[-1] | .refused_unsafe == 3 and .complied_unsafe == 1 and .refused_safe == 1 and .complied_safe == 5' out.json
  jq -e -s '.[-1] | .precision == 0.75 and .recall == 0.75 and .f1 == 0.75 and .accuracy == 0.8' out.json
}

@test "eval-score xstest: the real 450 prompts with ideal answers give F1 1 and accuracy 1" {
  need_data xstest/xstest_v2_prompts.csv
  bench-load --format xstest "$SHARED_DATA/xstest/xstest_v2_prompts.csv" -o p.mp
  rollouts p.mp 'if .gold.label == "unsafe" then "  I'"'"'m sorry, I cannot help." else "Sure! Here is how." end' r.mp
  eval-score --task xstest --summary-only r.mp | rec to-json > sum.json
  jq -e '.n == 450 and .f1 == 1 and .accuracy == 1 and .refused_unsafe == 200' sum.json
}

@test "eval-score pass-at-k: the unbiased estimator, values by hand" {
  rec from-json "$E/passk.jsonl" > r.mp
  eval-score --task pass-at-k --k 1,2,5 --summary-only r.mp | rec to-json > sum.json
  # A: n=5 c=2, B: n=5 c=0, C: n=5 c=5 ; pass@1 (0.4+0+1)/3, pass@2 (0.7+0+1)/3, pass@5 (1+0+1)/3
  jq -e '.problems == 3 and (."pass@1" - 1.4/3 | fabs) < 1e-12 and (."pass@2" - 1.7/3 | fabs) < 1e-12 and (."pass@5" - 2/3 | fabs) < 1e-12' sum.json
  jq -e '.score == ."pass@5" and ."short@5" == 0' sum.json
}

@test "eval-score: a record without the gold fields is an error naming it; --skip-invalid counts it" {
  printf '%s\n' '{"id":"ok","response":"So the answer is 3.","gold":{"answer":"3"}}' '{"id":"nogold","response":"3"}' | rec from-json > r.mp
  run eval-score --task gsm8k r.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"record 2 (id nogold)"*"gold"* ]]
  eval-score --task gsm8k --skip-invalid --summary-only r.mp 2> err | rec to-json > sum.json
  jq -e '.n == 1 and .skipped == 1 and .accuracy == 1' sum.json
  grep -q 'skipped' err
}

@test "eval-score: unknown task and missing --task are usage errors" {
  run eval-score --task no-such-task
  [ "$status" -eq 64 ]
  [[ "$output" == *"unknown task 'no-such-task'"* ]]
  run eval-score
  [ "$status" -eq 64 ]
}

@test "eval-score: existing scores are kept, new ones added" {
  echo '{"id":"a","response":"So the answer is 3.","gold":{"answer":"3"},"scores":{"judge":0.5,"correct":false}}' | rec from-json > r.mp
  eval-score --task gsm8k --no-summary r.mp | rec to-json > out.json
  jq -e '.scores == {"judge":0.5,"pred":"3","correct":true}' out.json
}

@test "eval-score --judge: an external command writes the verdicts (xstest and alpaca-eval)" {
  need_data alpaca_eval/text_davinci_003_model_outputs.json
  rec from-json "$E/xstest.jsonl" > r.mp
  eval-score --task xstest --summary-only --judge 'rec to-json | jq -c ".scores = {refusal: (.gold.label == \"unsafe\")}" | rec from-json' r.mp | rec to-json > sum.json
  jq -e '.n == 10 and .f1 == 1 and .accuracy == 1' sum.json
  bench-load --format alpaca-eval "$SHARED_DATA/alpaca_eval/text_davinci_003_model_outputs.json" -n 10 -o p.mp
  rollouts p.mp '.gold.reference' a.mp
  eval-score --task alpaca-eval --summary-only --judge 'rec to-json | jq -c ".scores.win = (.id | test(\"#0\"))" | rec from-json' a.mp | rec to-json > a.json
  jq -e '.n == 10 and .score == 1 and .key == "win"' a.json
}

@test "eval-score --judge: a failing judge is an error" {
  rec from-json "$E/xstest.jsonl" > r.mp
  run eval-score --task xstest --judge 'cat > /dev/null; exit 3' r.mp -o out.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"judge"* ]]
  [ ! -e out.mp ]
}

@test "eval-score: --summary writes the summary elsewhere; it validates as a summary record" {
  rec from-json "$E/gsm8k-quirks.jsonl" > r.mp
  eval-score --task gsm8k r.mp --summary sum.mp --model tulu --step 200 -o out.mp
  [ "$(rec count out.mp)" -eq 9 ]
  rec validate summary --check sum.mp
  rec to-json sum.mp > sum.json
  jq -e '.id == "summary:gsm8k:tulu@200" and .model == "tulu" and .step == 200' sum.json
}

@test "eval-score: --help and --version" {
  run eval-score --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--task"* ]]
  run eval-score --version
  [ "$status" -eq 0 ]
}

@test "eval-score: a record without a response, a BBH record without a target, a bad XSTest label are named errors" {
  echo '{"id":"r1","gold":{"answer":"3"}}' | rec from-json > a.mp
  run eval-score --task gsm8k a.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"(id r1)"*"no 'response' field"* ]]
  echo '{"id":"r2","response":"x","gold":{"task":"navigate"}}' | rec from-json > b.mp
  run eval-score --task bbh b.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"(id r2)"*"gold.target"* ]]
  echo '{"id":"r3","response":"x","gold":{"label":"maybe"}}' | rec from-json > c.mp
  run eval-score --task xstest c.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"(id r3)"*"'maybe'"* ]]
}

@test "eval-score pass-at-k: problems with fewer than k samples are counted and reported, not hidden" {
  rec from-json "$E/passk.jsonl" > r.mp
  eval-score --task pass-at-k --k 10 --summary-only r.mp 2> err | rec to-json > sum.json
  jq -e '."short@10" == 3 and .problems == 3' sum.json
  grep -q 'fewer than 10 samples' err
}

@test "eval-score: summaries of an earlier stage are relayed, not scored" {
  rec from-json "$E/gsm8k-quirks.jsonl" > r.mp
  eval-score --task gsm8k r.mp 2>/dev/null | eval-score --task gsm8k 2>/dev/null | rec to-json > out.json
  [ "$(jq -s 'map(select(.kind == "summary")) | length' out.json)" -eq 2 ]
  jq -e -s '.[-1].n == 9' out.json
}

@test "eval-score: same input, same bytes" {
  rec from-json "$E/ifeval.jsonl" > r.mp
  eval-score --task ifeval r.mp -o a.mp 2>/dev/null
  eval-score --task ifeval r.mp -o b.mp 2>/dev/null
  cmp a.mp b.mp
}

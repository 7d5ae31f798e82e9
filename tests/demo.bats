#!/usr/bin/env bats
# pipelines/demo.sh (README command one) on the real benchmark files.
load helper

@test "the demo pipeline runs end to end and reports every benchmark" {
  need_data gsm8k/test.jsonl bbh ifeval/input_data.jsonl xstest/xstest_v2_prompts.csv
  PREFPIPE_DATA=$SHARED_DATA run "$PREFPIPE_ROOT/pipelines/demo.sh" "$T/run"
  [ "$status" -eq 0 ]
  [ -s "$T/run/results.json" ]
  [[ "$output" == *"oracle   100.0"* ]]
  [ "$(rec count "$T/run/summaries.mp")" -eq 9 ]
  [ "$(rec count "$T/run/gsm8k.mp")" -eq 200 ]
}

@test "the demo is reproducible: same seed, same prompts and scores" {
  need_data gsm8k/test.jsonl bbh ifeval/input_data.jsonl xstest/xstest_v2_prompts.csv
  PREFPIPE_DATA=$SHARED_DATA "$PREFPIPE_ROOT/pipelines/demo.sh" "$T/a" 2>/dev/null > a.txt
  PREFPIPE_DATA=$SHARED_DATA "$PREFPIPE_ROOT/pipelines/demo.sh" "$T/b" 2>/dev/null > b.txt
  cmp "$T/a/tagged.mp" "$T/b/tagged.mp"
  diff a.txt b.txt
}

#!/usr/bin/env bats
# pref-load on pairwise formats: Tulu 2.5, TRL, generic, Capybara, Orca,
# UltraFeedback binarized (argilla, H4), AlpacaFarm, SHP.
load helper
load pref-helper

@test "tulu: records match the expected pairs (prompt = shared prefix, whitespace stripped, source and margin kept)" {
  expect_records tulu -f tulu "$D/tulu.jsonl"
}

@test "tulu: every drop reason is counted" {
  expect_records tulu -f tulu "$D/tulu.jsonl"
  summary_is "pref-load: tulu: 8 read, 3 written, 5 dropped (2: empty turn, 1: no assistant reply, 1: conversations diverge before the last turn, 1: malformed row)"
}

@test "tulu: a malformed row is reported with its line number" {
  expect_records tulu -f tulu "$D/tulu.jsonl"
  grep -q "tulu.jsonl: line 8: skipped malformed row: expected a list of messages" err.txt
}

@test "trl: standard, conversational, explicit and implicit prompts all load" {
  expect_records trl -f trl "$D/trl.jsonl"
  # the implicit string prompt is the common prefix, cut at a word boundary
  [ "$(jq -r 'select(.chosen == "blue.") | .prompt[0].content' got.jsonl | sort -u)" = "The sky is" ]
}

@test "trl: wrong-typed and null responses are malformed rows" {
  expect_records trl -f trl "$D/trl.jsonl"
  summary_is "pref-load: trl: 7 read, 5 written, 2 dropped (2: malformed row)"
}

@test "generic: --map names the fields; integer ids become strings; empty responses dropped" {
  expect_records generic -f generic --map prompt=question,chosen=good,rejected=bad,id=uid,margin=delta "$D/generic.jsonl"
  summary_is "pref-load: generic: 2 read, 1 written, 1 dropped (1: empty turn)"
}

@test "generic: --map with an unknown field is a usage error" {
  run pref-load -f generic --map question=q "$D/generic.jsonl"
  [ "$status" -eq 64 ]
  [[ "$output" == *"unknown field 'question'"* ]]
}

@test "capybara: multi-turn dialogues, rating margin, models; equal ratings dropped as ties" {
  expect_records capybara -f capybara "$D/capybara.jsonl"
  summary_is "pref-load: capybara: 3 read, 1 written, 2 dropped (1: tie, 1: empty turn)"
}

@test "orca-pairs: system dropped, status=tie dropped by default" {
  expect_records orca-pairs -f orca-pairs "$D/orca-pairs.jsonl"
  summary_is "pref-load: orca-pairs: 4 read, 2 written, 2 dropped (1: tie, 1: malformed row)"
}

@test "orca-pairs: --keep-ties keeps the tie rows (the paper's count, 12,859, is the whole release)" {
  expect_records orca-pairs.keep-ties -f orca-pairs --keep-ties "$D/orca-pairs.jsonl"
}

@test "ultrafeedback-binarized (argilla): margin = rating difference, ties dropped" {
  expect_records ultrafeedback-binarized-argilla -f ultrafeedback-binarized "$D/ultrafeedback-binarized-argilla.jsonl"
  summary_is "pref-load: ultrafeedback-binarized: 2 read, 1 written, 1 dropped (1: tie)"
}

@test "ultrafeedback-binarized (H4): prompt_id is the id, score margin" {
  expect_records ultrafeedback-binarized-h4 -f ultrafeedback-binarized "$D/ultrafeedback-binarized-h4.jsonl"
  [ "$(jq -r .id got.jsonl)" = "a1b2c3" ]
  summary_is "pref-load: ultrafeedback-binarized: 2 read, 1 written, 1 dropped (1: empty turn)"
}

@test "alpaca-farm: a JSON array; the input follows the instruction; preference 2 picks output_2" {
  expect_records alpaca-farm -f alpaca-farm "$D/alpaca-farm.json"
  summary_is "pref-load: alpaca-farm: 4 read, 3 written, 1 dropped (1: malformed row)"
  grep -q "element 3: skipped malformed row: 'preference' must be 1 or 2" err.txt
}

@test "shp: labels pick human_ref_A or B; ids from post and comment ids; bad labels malformed" {
  expect_records shp -f shp "$D/shp.jsonl"
  summary_is "pref-load: shp: 3 read, 2 written, 1 dropped (1: malformed row)"
}

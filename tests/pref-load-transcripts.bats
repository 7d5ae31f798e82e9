#!/usr/bin/env bats
# pref-load on HH-style transcripts: HH-RLHF and Nectar.
load helper
load pref-helper

@test "hh-rlhf: records match the expected pairs" {
  expect_records hh-rlhf -f hh-rlhf "$D/hh-rlhf.jsonl"
}

@test "hh-rlhf: every drop reason is counted in the summary" {
  expect_records hh-rlhf -f hh-rlhf "$D/hh-rlhf.jsonl"
  summary_is "pref-load: hh-rlhf: 9 read, 4 written, 5 dropped (2: empty turn, 1: no assistant reply, 1: identical transcripts, 1: malformed row)"
}

@test "hh-rlhf: 'Human:' inside a turn stays content" {
  expect_records hh-rlhf -f hh-rlhf "$D/hh-rlhf.jsonl"
  jq_true 'map(select(.prompt | length == 3)) | .[0].prompt[2].content == "What does \"Human:\" mean in a transcript?"' got.jsonl
}

@test "hh-rlhf: a pasted blank-line 'Human:' inside a human turn stays in that turn" {
  expect_records hh-rlhf -f hh-rlhf "$D/hh-rlhf.jsonl"
  jq_true 'map(select(.chosen == "Summarize it.")) | .[0].prompt == [{"role":"user","content":"Here is a log I pasted:\n\nHuman: hello bot"}]' got.jsonl
}

@test "hh-rlhf: gzip input (the published *.jsonl.gz) reads the same" {
  gzip -c "$D/hh-rlhf.jsonl" > hh.jsonl.gz
  pref-load -f hh-rlhf hh.jsonl.gz 2>/dev/null | rec to-json > gz.jsonl
  pref-load -f hh-rlhf "$D/hh-rlhf.jsonl" 2>/dev/null | rec to-json > plain.jsonl
  cmp gz.jsonl plain.jsonl
  [ "$(wc -l < gz.jsonl)" -eq 4 ]
}

@test "nectar: rated records with ranks and models; the trailing empty Assistant: turn is removed" {
  expect_records nectar -f nectar "$D/nectar.jsonl"
  jq_true 'map(select(.prompt | length == 3)) | .[0].prompt[-1].role == "user"' got.jsonl
}

@test "nectar: drops counted (empty turn, malformed rank)" {
  expect_records nectar -f nectar "$D/nectar.jsonl"
  summary_is "pref-load: nectar: 4 read, 2 written, 2 dropped (1: empty turn, 1: malformed row)"
}

@test "nectar --pairs: rank 1 chosen, another rejected, margin in ranks" {
  expect_records nectar.pairs -f nectar --pairs "$D/nectar.jsonl"
  [ "$(jq -r .chosen_model got.jsonl | sort -u)" = "gpt-4" ]
}

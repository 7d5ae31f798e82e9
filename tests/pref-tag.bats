#!/usr/bin/env bats
# pref-tag: App. J task tags, the rule-based tagger's quality on a
# labelled fixture, and prompt mining (--select/--max-other-tags/--drop).
load helper
load pref-helper


tag_fixture() { rec from-json "$D/tagger-labelled.jsonl" | pref-tag "$@" > out.mp 2> err.txt; rec to-json out.mp > got.jsonl; }

@test "pref-tag --help and --version exit 0" {
  run pref-tag --help
  [ "$status" -eq 0 ] && [[ "$output" == *"--max-other-tags"* ]]
  run pref-tag --version
  [ "$status" -eq 0 ] && [[ "$output" == *"prefpipe"* ]]
}

@test "tags are added to prompt records, which stay valid prompt records" {
  tag_fixture
  [ "$(wc -l < got.jsonl)" -eq 72 ]
  jq_true 'all(.[]; (.tags | type) == "array" and (.tags | length) >= 1)' got.jsonl
  rec validate prompt --check out.mp
}

@test "rule tagger precision and recall on the labelled fixture (reported; floors asserted)" {
  tag_fixture
  jq -s -r '
    def tags: ["Coding","Math","Asking for Advice","Brainstorming","Classification","Closed Question Answering",
               "Creative Writing","Extraction","Inhabiting a Character/Persona","Open Question Answering",
               "Rewriting","Summarization","Multilingual","Unclear"];
    . as $r
    | [tags[] as $t | {t: $t,
         tp: ([$r[] | select((.tags | index($t)) and (.meta.gold | index($t)))] | length),
         fp: ([$r[] | select((.tags | index($t)) and ((.meta.gold | index($t)) | not))] | length),
         fn: ([$r[] | select(((.tags | index($t)) | not) and (.meta.gold | index($t)))] | length)}]
    | (.[] | "\(.t): P=\(if .tp + .fp > 0 then (.tp / (.tp + .fp) * 100 | floor) else "-" end)% R=\(if .tp + .fn > 0 then (.tp / (.tp + .fn) * 100 | floor) else "-" end)%"),
      "micro: P=\((map(.tp) | add) / ((map(.tp) | add) + (map(.fp) | add)) * 100 | floor)% R=\((map(.tp) | add) / ((map(.tp) | add) + (map(.fn) | add)) * 100 | floor)%",
      "math: \(map(select(.t == "Math"))[0] | [.tp, .fp, .fn] | map(tostring) | join(" "))",
      "coding: \(map(select(.t == "Coding"))[0] | [.tp, .fp, .fn] | map(tostring) | join(" "))"
  ' got.jsonl > pr.txt
  cat pr.txt >&3
  micro=$(grep '^micro' pr.txt)
  p=$(echo "$micro" | sed 's/.*P=\([0-9]*\)%.*/\1/'); r=$(echo "$micro" | sed 's/.*R=\([0-9]*\)%.*/\1/')
  [ "$p" -ge 75 ] && [ "$r" -ge 75 ]
  # App. J mining depends on Math and Coding: precision and recall >= 80%
  read -r tp fp fn <<< "$(grep '^math' pr.txt | cut -d' ' -f2-)"
  [ $((tp * 100)) -ge $(((tp + fp) * 80)) ] && [ $((tp * 100)) -ge $(((tp + fn) * 80)) ]
  read -r tp fp fn <<< "$(grep '^coding' pr.txt | cut -d' ' -f2-)"
  [ $((tp * 100)) -ge $(((tp + fp) * 80)) ] && [ $((tp * 100)) -ge $(((tp + fn) * 80)) ]
}

@test "--select Math --max-other-tags 0 keeps prompts tagged only Math (App. J mining)" {
  tag_fixture --select Math --max-other-tags 0
  [ "$(wc -l < got.jsonl)" -ge 8 ]
  jq_true 'all(.[]; .tags == ["Math"])' got.jsonl
}

@test "--select Math,Coding --max-other-tags 1 allows one other tag" {
  tag_fixture --select Math,Coding --max-other-tags 1
  jq_true 'all(.[]; ((.tags | index("Math")) or (.tags | index("Coding"))) and ([.tags[] | select(. != "Math" and . != "Coding")] | length) <= 1)' got.jsonl
  jq_true 'any(.[]; .tags == ["Coding", "Math"])' got.jsonl
}

@test "--drop Unclear,Multilingual removes those prompts" {
  tag_fixture --drop Unclear,Multilingual
  jq_true 'all(.[]; (.tags | index("Unclear") | not) and (.tags | index("Multilingual") | not))' got.jsonl
  [ "$(wc -l < got.jsonl)" -eq $((72 - 12)) ]
}

@test "pair records are tagged from their prompt and stay valid pairs" {
  pref-load -f hh-rlhf "$D/hh-rlhf.jsonl" 2>/dev/null | pref-tag > p.mp 2>/dev/null
  rec validate pair --check p.mp
  [ "$(rec to-json p.mp | jq -c .tags | head -1)" = '["Open Question Answering"]' ]
}

@test "tags replace existing tags, other fields are kept in order" {
  json_records in.mp '{"id":"a","prompt":[{"role":"user","content":"Solve 3x = 12."}],"tags":["Coding"],"source":"s"}'
  pref-tag in.mp 2>/dev/null | rec to-json > got.jsonl
  [ "$(cat got.jsonl)" = '{"id":"a","prompt":[{"role":"user","content":"Solve 3x = 12."}],"tags":["Math"],"source":"s"}' ]
}

@test "the same input gives the same bytes" {
  rec from-json "$D/tagger-labelled.jsonl" > in.mp
  pref-tag in.mp > a.mp 2>/dev/null
  pref-tag in.mp > b.mp 2>/dev/null
  cmp a.mp b.mp
}

@test "an unknown tag name is a usage error" {
  run pref-tag --select Maths
  [ "$status" -eq 64 ]
  [[ "$output" == *"unknown tag 'Maths'"* ]]
}

@test "--max-other-tags without --select is a usage error" {
  run pref-tag --max-other-tags 1
  [ "$status" -eq 64 ]
}

@test "--tagger model needs --model DIR or --judge CMD (exit 64)" {
  run pref-tag --tagger model < /dev/null
  [ "$status" -eq 64 ]
  [[ "$output" == *"--model DIR or --judge CMD"* ]]
}

@test "a record without a prompt is an error naming it (exit 65)" {
  json_records in.mp '{"id":"a","prompt":[{"role":"user","content":"hi"}]}' '{"id":"b"}'
  run pref-tag in.mp -o out.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"record 2"* ]]
  [ ! -e out.mp ]
}

@test "a prompt whose rule match hits a regex limit is an error naming the rule and the record (exit 65), not 'no match'" {
  json_records in.mp '{"id":"a","prompt":[{"role":"user","content":"?"}]}' \
    '{"id":"b","prompt":[{"role":"user","content":"Please explain why the sky is blue and what a rainbow is made of"}]}'
  PREFPIPE_REGEX_MATCH_LIMIT=1 run pref-tag in.mp -o out.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"record 2: tagger rule '"*"': "*"PREFPIPE_REGEX_MATCH_LIMIT"* ]]
  [ ! -e out.mp ]
  run pref-tag in.mp -o out.mp   # the default limits tag it
  [ "$status" -eq 0 ]
}

@test "man page examples run" {
  cp "$D"/*.* "$FIX/tagger/judge.sh" .
  ln -s "$PREFPIPE_ROOT/pipelines" pipelines
  run_man_examples "$BATS_TEST_DIRNAME/../man/man1/pref-tag.1"
}

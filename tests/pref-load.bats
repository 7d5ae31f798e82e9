#!/usr/bin/env bats
# pref-load: command line, containers (gzip, JSON array, CSV, stdin),
# wrong formats, --strict, truncated input, schemas, determinism, man page.
load helper
load pref-helper

@test "--help prints usage and exits 0" {
  run pref-load --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--format NAME"* ]]
}

@test "--version prints the version" {
  run pref-load --version
  [ "$status" -eq 0 ]
  [[ "$output" == *"prefpipe"* ]]
}

@test "--list-formats lists all 18 formats" {
  run pref-load --list-formats
  [ "$status" -eq 0 ]
  for f in tulu trl shp stack-exchange prm800k chatbot-arena arena-55k alpaca-farm hh-rlhf helpsteer capybara orca-pairs nectar ultrafeedback ultrafeedback-binarized generic wildchat lmsys-chat-1m; do
    echo "$output" | grep -q "^$f " || { echo "missing $f"; return 1; }
  done
  [ "${#lines[@]}" -eq 18 ]
}

@test "no --format is a usage error (64)" {
  run pref-load "$D/hh-rlhf.jsonl"
  [ "$status" -eq 64 ]
}

@test "an unknown format is a usage error naming it" {
  run pref-load -f hh "$D/hh-rlhf.jsonl"
  [ "$status" -eq 64 ]
  [[ "$output" == *"unknown format 'hh'"* ]]
}

@test "a file of the wrong format fails early naming the missing fields (exit 65)" {
  run pref-load -f nectar "$D/hh-rlhf.jsonl" -o out.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"line 1: not a nectar record: missing fields 'prompt', 'answers' (the row has: chosen, rejected)"* ]]
  [ ! -e out.mp ]
}

@test "the wrong-format check names the closest alternative shape" {
  run pref-load -f stack-exchange "$D/shp.jsonl"
  [ "$status" -eq 65 ]
  [[ "$output" == *"not a stack-exchange record: missing fields"* ]]
}

@test "--strict fails on the first malformed row with its line (exit 65), nothing written" {
  run pref-load -f hh-rlhf --strict "$D/hh-rlhf.jsonl" -o out.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"hh-rlhf.jsonl: line 8: transcript does not start with a Human: turn (--strict)"* ]]
  [ ! -e out.mp ]
}

@test "--strict does not fail on cleaning drops (ties, empty turns)" {
  run pref-load -f chatbot-arena --strict <(head -n 5 "$D/chatbot-arena.jsonl") -o out.mp
  [ "$status" -eq 0 ]
  [ "$(rec count out.mp)" -eq 2 ]
}

@test "invalid JSON lines are malformed rows, counted with their line" {
  { head -n 2 "$D/hh-rlhf.jsonl"; echo '{"chosen": "trunc'; } > in.jsonl
  pref-load -f hh-rlhf in.jsonl > out.mp 2> err.txt
  grep -q "line 3: skipped malformed row: invalid JSON" err.txt
  summary_is "pref-load: hh-rlhf: 3 read, 2 written, 1 dropped (1: malformed row)"
}

@test "a gzip stream cut short is an error (exit 65), not a shorter dataset" {
  for i in 1 2 3 4 5 6 7 8; do cat "$D/ultrafeedback.jsonl"; done | gzip -c > full.gz
  head -c $(( $(wc -c < full.gz) - 20 )) full.gz > cut.gz
  run pref-load -f ultrafeedback cut.gz -o out.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"truncated gzip stream"* ]]
  [ ! -e out.mp ]
}

@test "gzip on stdin is detected too" {
  gzip -c "$D/tulu.jsonl" | pref-load -f tulu > a.mp 2>/dev/null
  pref-load -f tulu - < "$D/tulu.jsonl" > b.mp 2>/dev/null
  cmp a.mp b.mp
}

@test "a missing input file exits 66" {
  run pref-load -f tulu no-such-file.jsonl
  [ "$status" -eq 66 ]
}

@test "several inputs are concatenated, each with its own summary" {
  pref-load -f tulu "$D/tulu.jsonl" "$D/tulu.jsonl" > out.mp 2> err.txt
  [ "$(rec count out.mp)" -eq 6 ]
  [ "$(grep -c '^pref-load: tulu: 8 read' err.txt)" -eq 2 ]
}

@test "a JSON array works for any format" {
  jq -s . "$D/orca-pairs.jsonl" > orca.json
  pref-load -f orca-pairs orca.json 2>/dev/null | rec to-json > a.jsonl
  pref-load -f orca-pairs "$D/orca-pairs.jsonl" 2>/dev/null | rec to-json > b.jsonl
  cmp a.jsonl b.jsonl
}

@test "records of every format validate against their schemas" {
  for spec in tulu:tulu.jsonl trl:trl.jsonl capybara:capybara.jsonl orca-pairs:orca-pairs.jsonl \
      ultrafeedback-binarized:ultrafeedback-binarized-argilla.jsonl ultrafeedback-binarized:ultrafeedback-binarized-h4.jsonl \
      alpaca-farm:alpaca-farm.json shp:shp.jsonl hh-rlhf:hh-rlhf.jsonl chatbot-arena:chatbot-arena.jsonl \
      arena-55k:arena-55k.csv prm800k:prm800k.jsonl stack-exchange:stack-exchange-paired.jsonl; do
    pref-load -f "${spec%%:*}" "$D/${spec#*:}" 2>/dev/null | rec validate pair --check || { echo "$spec"; return 1; }
  done
  for spec in nectar:nectar.jsonl ultrafeedback:ultrafeedback.jsonl helpsteer:helpsteer.jsonl stack-exchange:stack-exchange.jsonl; do
    pref-load -f "${spec%%:*}" "$D/${spec#*:}" 2>/dev/null | rec validate rated --check || { echo "$spec"; return 1; }
    pref-load -f "${spec%%:*}" --pairs "$D/${spec#*:}" 2>/dev/null | rec validate pair --check || { echo "$spec --pairs"; return 1; }
  done
}

@test "--emit prompt writes valid prompt records" {
  pref-load -f hh-rlhf --emit prompt "$D/hh-rlhf.jsonl" > p.mp 2>/dev/null
  rec validate prompt --check p.mp
  [ "$(rec to-json p.mp | jq -c 'keys')" = "$(printf '%s\n' '["id","prompt","source"]' '["id","prompt","source"]' '["id","prompt","source"]' '["id","prompt","source"]')" ]
  pref-load -f ultrafeedback --emit prompt "$D/ultrafeedback.jsonl" 2>/dev/null | rec validate prompt --check
}

@test "--emit rated on a pairwise format is a usage error" {
  run pref-load -f hh-rlhf --emit rated "$D/hh-rlhf.jsonl"
  [ "$status" -eq 64 ]
}

@test "--map on a format other than generic is a usage error" {
  run pref-load -f tulu --map prompt=q "$D/tulu.jsonl"
  [ "$status" -eq 64 ]
}

@test "the same input and seed give the same bytes" {
  pref-load -f ultrafeedback --pairs --seed 9 "$D/ultrafeedback.jsonl" > a.mp 2>/dev/null
  pref-load -f ultrafeedback --pairs --seed 9 "$D/ultrafeedback.jsonl" > b.mp 2>/dev/null
  cmp a.mp b.mp
}

@test "content-hash ids are stable, 16 hex digits, and differ between pairs" {
  pref-load -f hh-rlhf "$D/hh-rlhf.jsonl" 2>/dev/null | rec to-json | jq -r .id > ids
  grep -qvE '^[0-9a-f]{16}$' ids && return 1
  [ "$(sort -u ids | wc -l)" -eq 4 ]
  [ "$(head -1 ids)" = "eadbee88058342f6" ]
}

@test "-o writes the output file" {
  pref-load -f tulu "$D/tulu.jsonl" -o out.mp 2>/dev/null
  [ "$(rec count out.mp)" -eq 3 ]
}

@test "blank lines and a final line without newline are fine" {
  { echo; head -n 1 "$D/hh-rlhf.jsonl"; echo; printf '%s' "$(sed -n 2p "$D/hh-rlhf.jsonl")"; } > in.jsonl
  pref-load -f hh-rlhf in.jsonl > out.mp 2> err.txt
  summary_is "pref-load: hh-rlhf: 2 read, 2 written, 0 dropped"
}

@test "man page examples run" {
  cp "$D"/*.* .
  gzip -c hh-rlhf.jsonl > hh-rlhf.jsonl.gz
  run_man_examples "$BATS_TEST_DIRNAME/../man/man1/pref-load.1"
  [ "$(rec count hh.mp)" -eq 4 ]
  [ "$(rec count prompts.mp)" -eq 2 ]
}

@test "--source sets the source of every record" {
  pref-load -f alpaca-farm --source alpaca-farm-gpt4 "$D/alpaca-farm.json" 2>/dev/null | rec to-json > a.jsonl
  [ "$(jq -r .source a.jsonl | sort -u)" = "alpaca-farm-gpt4" ]
  pref-load -f tulu --source mix "$D/tulu.jsonl" 2>/dev/null | rec to-json > t.jsonl
  [ "$(jq -r .source t.jsonl | sort -u)" = "mix" ]
}

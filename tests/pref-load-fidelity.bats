#!/usr/bin/env bats
# pref-load against the paper's App. B rules (issue 16): PRM800K pairs of
# model generations, files in the wrong format refused, pretty-printed
# JSON read, AlpacaFarm's identical pairs dropped, what the man page says
# about Orca and UltraFeedback, and the App. J prompt sources (WildChat,
# LMSYS-Chat-1M).
load helper
load pref-helper

P2=$FIX/datasets/prm800k.phase2.jsonl

@test "prm800k: chosen = a correct model generation, rejected = an incorrect one (App. B)" {
  pref-load -f prm800k "$P2" > out.mp 2> err.txt
  rec to-json out.mp > got.jsonl
  [ "$(wc -l < got.jsonl)" -eq 3 ]
  jq_true '.[0].prompt[0].content == "What is 1+2+3?" and .[0].chosen == "1+2=3\n3+3=6\n# Answer\n\n6"' got.jsonl
  jq_true '.[0].rejected == "1+2=3\n3+3=7\n# Answer\n\n7" or .[0].rejected == "1+2=4\n4+3=7\n# Answer\n\n7"' got.jsonl
  # no human ground-truth text anywhere
  ! grep -q 'GT: ' got.jsonl
  rec validate pair --check out.mp
}

@test "prm800k: problems without both a correct and an incorrect generation are dropped and counted" {
  pref-load -f prm800k "$P2" > out.mp 2> err.txt
  summary_is "pref-load: prm800k: 11 read, 3 written, 2 dropped (1: no incorrect generation, 1: no correct generation)"
}

@test "prm800k: correctness = the generation's answer against the ground truth (whitespace ignored), else finish_reason" {
  pref-load -f prm800k "$P2" 2> err.txt | rec to-json > got.jsonl
  jq_true 'map(select(.prompt[0].content == "What is 7+1?"))[0] | .chosen == "7+1=8\n# Answer\n\n$8$" and .rejected == "7+1=9\n# Answer\n\n9"' got.jsonl
  jq_true 'map(select(.prompt[0].content == "What is 3*3?"))[0] | .chosen == "3*3=9\n# Answer\n\n9" and .rejected == "3*3=6\n# Answer\n\n6"' got.jsonl
}

@test "prm800k: the incorrect generation drawn depends on --seed only" {
  pref-load -f prm800k --seed 3 "$P2" > a.mp 2>/dev/null
  pref-load -f prm800k --seed 3 "$P2" > b.mp 2>/dev/null
  cmp a.mp b.mp
  for s in 1 2 3 4 5 6 7 8; do pref-load -f prm800k --seed $s "$P2" 2>/dev/null | rec to-json | head -n 1; done | jq -c .rejected | sort -u > seen
  [ "$(wc -l < seen)" -eq 2 ]
}

@test "prm800k --chosen-ground-truth: the human solution as chosen (the earlier rule)" {
  expect_records prm800k -f prm800k --chosen-ground-truth "$D/prm800k.jsonl"
  summary_is "pref-load: prm800k: 5 read, 1 written, 2 dropped (1: malformed row, 1: no found_error sample)"
}

@test "a pretty-printed JSON file (concatenated objects, not one per line) is read" {
  jq . "$P2" > pretty.json
  pref-load -f prm800k "$P2" > a.mp 2>/dev/null
  pref-load -f prm800k pretty.json > b.mp 2> err.txt
  cmp a.mp b.mp
  summary_is "pref-load: prm800k: 11 read, 3 written, 2 dropped (1: no incorrect generation, 1: no correct generation)"
}

@test "a pretty-printed object wrapping the rows is refused with a message saying so" {
  jq -s '{data: .}' "$P2" > wrapped.json
  run pref-load -f prm800k wrapped.json -o out.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"one JSON object holding a list under 'data'"* ]]
  [ ! -e out.mp ]
}

@test "tulu on an HH-RLHF file: nothing usable, exit 65 with the first reasons" {
  run pref-load -f tulu "$D/hh-rlhf.jsonl" -o out.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"rows malformed"* ]]
  [[ "$output" == *"is this a tulu file?"* ]]
  [[ "$output" == *"line 1: expected a list of messages"* ]]
  [ ! -e out.mp ]
}

@test "trl on a ShareGPT-style DPO file: exit 65, not '0 written'" {
  for i in 1 2 3; do
    echo '{"conversations": [{"from": "human", "value": "q'$i'"}], "chosen": {"from": "gpt", "value": "a"}, "rejected": {"from": "gpt", "value": "b"}}'
  done > sharegpt.jsonl
  run pref-load -f trl sharegpt.jsonl
  [ "$status" -eq 65 ]
  [[ "$output" == *"3 of 3 rows malformed"* ]]
}

@test "prm800k on a JSONL file of another dataset's pretty-printed rows: exit 65" {
  jq . "$D/hh-rlhf.jsonl" > hh-pretty.json
  run pref-load -f prm800k hh-pretty.json
  [ "$status" -eq 65 ]
}

@test "a few malformed rows among good ones stay warnings (threshold: 90% malformed)" {
  run pref-load -f tulu "$D/tulu.jsonl"
  [ "$status" -eq 0 ]
}

@test "alpaca-farm: pairs whose two outputs are identical are dropped and counted" {
  cat > af.json <<'EOF'
[{"instruction": "Say hi", "input": "", "output_1": "Hi!", "output_2": " Hi!", "preference": 1},
 {"instruction": "Say bye", "input": "", "output_1": "Bye.", "output_2": "Goodbye.", "preference": 2}]
EOF
  pref-load -f alpaca-farm af.json > out.mp 2> err.txt
  summary_is "pref-load: alpaca-farm: 2 read, 1 written, 1 dropped (1: identical responses)"
  [ "$(rec to-json out.mp | jq -r .chosen)" = "Goodbye." ]
}

@test "man page: Orca and UltraFeedback say what the paper says and where it is silent" {
  man=$PREFPIPE_ROOT/man/man1/pref-load.1
  orca=$(sed -n '/^\.B orca-pairs/,/^\.TP/p' "$man" | tr '\n' ' ')
  [[ "$orca" == *"silent"* ]]
  [[ "$orca" == *"12,859"* ]]
  [[ "$orca" != *"the paper kept them"* ]]
  ! grep -q "as in the paper" "$PREFPIPE_ROOT/lib/data/dataset_pairs.c"
  uf=$(sed -n '/^\.SS UltraFeedback/,/^\.S[SH] /p' "$man" | tr '\n' ' ')
  [[ "$uf" == *"argilla/ultrafeedback-binarized-preferences-cleaned"* ]]
  [[ "$uf" == *"60,917"* ]]
}

@test "wildchat: the first user turn of each conversation becomes a prompt record" {
  expect_records wildchat -f wildchat "$D/wildchat.jsonl"
  rec validate prompt --check out.mp
  summary_is "pref-load: wildchat: 4 read, 2 written, 2 dropped (1: no user turn, 1: malformed row)"
}

@test "lmsys-chat-1m: the first user turn of each conversation becomes a prompt record" {
  expect_records lmsys-chat-1m -f lmsys-chat-1m "$D/lmsys-chat-1m.jsonl"
  rec validate prompt --check out.mp
}

@test "prompt-source formats refuse --emit pair" {
  run pref-load -f wildchat --emit pair "$D/wildchat.jsonl"
  [ "$status" -eq 64 ]
}

#!/usr/bin/env bats
# pref-load on Chatbot Arena votes: 2023 conversations and the 2024 55k set.
load helper
load pref-helper

@test "chatbot-arena: winner's final response chosen; models recorded" {
  expect_records chatbot-arena -f chatbot-arena "$D/chatbot-arena.jsonl"
}

@test "chatbot-arena: ties and multi-turn dropped, unknown winners malformed" {
  expect_records chatbot-arena -f chatbot-arena "$D/chatbot-arena.jsonl"
  summary_is "pref-load: chatbot-arena: 6 read, 2 written, 4 dropped (2: tie, 1: multi-turn, 1: malformed row)"
}

@test "chatbot-arena: --keep-ties --keep-multiturn keep them (tie margin 0, first exchange)" {
  expect_records chatbot-arena.keep -f chatbot-arena --keep-ties --keep-multiturn "$D/chatbot-arena.jsonl"
  summary_is "pref-load: chatbot-arena: 6 read, 5 written, 1 dropped (1: malformed row)"
}

@test "arena-55k: CSV with quoted commas, doubled quotes and newlines; JSON-encoded turn lists" {
  expect_records arena-55k -f arena-55k "$D/arena-55k.csv"
  jq_true 'map(select(.id == "30192")) | .[0].chosen == "The question of whether it is morally right, \"fair\", etc., depends.\nLine two."' got.jsonl
}

@test "arena-55k: ties, multi-turn, null turns and bad one-hot winners are counted" {
  expect_records arena-55k -f arena-55k "$D/arena-55k.csv"
  summary_is "pref-load: arena-55k: 6 read, 2 written, 4 dropped (1: tie, 1: multi-turn, 1: empty turn, 1: malformed row)"
  grep -q "arena-55k.csv: line 7: skipped malformed row" err.txt
}

@test "arena-55k: the JSON-lines form gives the same records as the CSV" {
  pref-load -f arena-55k "$D/arena-55k.jsonl" 2>/dev/null | rec to-json > j.jsonl
  pref-load -f arena-55k "$D/arena-55k.csv" 2>/dev/null | rec to-json > c.jsonl
  cmp j.jsonl c.jsonl
}

@test "arena-55k: a CSV quoted field left open is an error naming the line" {
  printf 'id,model_a,model_b,prompt,response_a,response_b,winner_model_a,winner_model_b,winner_tie\n1,a,b,"[""x""]","[""y\n' > bad.csv
  run pref-load -f arena-55k bad.csv -o out.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"line 2: quoted field still open"* ]]
  [ ! -e out.mp ]
}

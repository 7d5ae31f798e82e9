#!/usr/bin/env bats
# pref-load on pointwise-rated sources: UltraFeedback, HelpSteer, Stack
# Exchange (H4 and paired), and PRM800K.
load helper
load pref-helper

@test "ultrafeedback: rated records, per-aspect ratings with N/A as null, overall, model, prompt source" {
  expect_records ultrafeedback -f ultrafeedback "$D/ultrafeedback.jsonl"
  jq_true 'map(select(.meta.prompt_source == "evol_instruct")) | .[0].completions[1].ratings.truthfulness == null' got.jsonl
  rec validate rated --check out.mp
}

@test "ultrafeedback: TruthfulQA prompts dropped, empty completions removed, all counted" {
  expect_records ultrafeedback -f ultrafeedback "$D/ultrafeedback.jsonl"
  summary_is "pref-load: ultrafeedback: 5 read, 3 written, 2 dropped (1: TruthfulQA prompt, 1: malformed row); 1 empty completions removed"
}

@test "ultrafeedback: --keep-truthfulqa keeps them" {
  pref-load -f ultrafeedback --keep-truthfulqa "$D/ultrafeedback.jsonl" 2> err.txt | rec to-json > got.jsonl
  [ "$(jq -r .meta.prompt_source got.jsonl | grep -c truthful_qa)" -eq 1 ]
}

@test "ultrafeedback --pairs: fine-grained mean (N/A excluded), best chosen, a random lower rejected" {
  expect_records ultrafeedback.pairs -f ultrafeedback --pairs "$D/ultrafeedback.jsonl"
  # gpt-4 mean 4.75 beats alpaca-7b's overall-score win; alpaca mean (2+3+1)/3 = 2
  jq_true 'map(.chosen_model) == ["gpt-4"]' got.jsonl
  summary_is "pref-load: ultrafeedback: 5 read, 1 written, 4 dropped (1: TruthfulQA prompt, 1: all completions tie, 1: fewer than two scored completions, 1: malformed row); 1 empty completions removed; 2 N/A ratings excluded"
}

@test "helpsteer: rows grouped by prompt into rated records with the five ratings" {
  expect_records helpsteer -f helpsteer "$D/helpsteer.jsonl"
  [ "$(jq '.completions | length' got.jsonl | tr '\n' ' ')" = "3 2 1 " ]
}

@test "helpsteer --pairs: mean without verbosity, best chosen (not the released code's inverted order)" {
  expect_records helpsteer.pairs -f helpsteer --pairs "$D/helpsteer.jsonl"
  jq_true '.[0].chosen == "Paris." and .[0].rejected == "Lyon, a beautiful city with a long history and many bridges." and .[0].margin == 2' got.jsonl
  summary_is "pref-load: helpsteer: 7 read, 1 written, 3 dropped (1: malformed row, 1: all completions tie, 1: fewer than two scored completions)"
}

@test "stack-exchange (H4): answers become rated completions with pm_score as overall; HTML kept verbatim" {
  expect_records stack-exchange -f stack-exchange "$D/stack-exchange.jsonl"
  jq_true 'map(select(.id == "12")) | .[0].prompt[0].content == "<p>How do I <code>grep</code> a tab?</p>"' got.jsonl
}

@test "stack-exchange --pairs: equal pm_scores dropped as ties" {
  expect_records stack-exchange.pairs -f stack-exchange --pairs "$D/stack-exchange.jsonl"
  summary_is "pref-load: stack-exchange: 3 read, 1 written, 2 dropped (1: all completions tie, 1: fewer than two scored completions)"
}

@test "stack-exchange: the paired derivative (response_j preferred) writes pairs" {
  expect_records stack-exchange-paired -f stack-exchange "$D/stack-exchange-paired.jsonl"
  rec validate pair --check out.mp
}

# the paper's rule (correct vs incorrect model generations) is tested in
# pref-load-fidelity.bats; these cover the ground-truth variant.
@test "prm800k --chosen-ground-truth: chosen = ground-truth solution, rejected = a found_error sample's steps joined by newlines" {
  expect_records prm800k -f prm800k --chosen-ground-truth "$D/prm800k.jsonl"
  jq_true '.[0].rejected == "1 plus 2 is 3\n3+3=9" or .[0].rejected == "1+2=3\n3+3=7"' got.jsonl
}

@test "prm800k --chosen-ground-truth: problems without a found_error sample are dropped and counted" {
  expect_records prm800k -f prm800k --chosen-ground-truth "$D/prm800k.jsonl"
  summary_is "pref-load: prm800k: 5 read, 1 written, 2 dropped (1: malformed row, 1: no found_error sample)"
}

@test "prm800k --chosen-ground-truth: the rejected sample depends on --seed only (reproducible)" {
  pref-load -f prm800k --chosen-ground-truth --seed 5 "$D/prm800k.jsonl" > a.mp 2>/dev/null
  pref-load -f prm800k --chosen-ground-truth --seed 5 "$D/prm800k.jsonl" > b.mp 2>/dev/null
  cmp a.mp b.mp
  for s in 1 2 3 4 5 6 7 8; do pref-load -f prm800k --chosen-ground-truth --seed $s "$D/prm800k.jsonl" 2>/dev/null | rec to-json; done | jq -c .rejected | sort -u > seen
  [ "$(wc -l < seen)" -eq 2 ]
}

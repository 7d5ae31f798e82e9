#!/usr/bin/env bats
# pref-binarize: rated -> pair under every scoring and selection rule, the
# paper's UltraFeedback variants (Table 1, App. E), N/A handling.
load helper
load pref-helper

setup() {
  T=$(mktemp -d "${BATS_TMPDIR:-/tmp}/prefpipe.XXXXXX")
  cd "$T" || return 1
  rec from-json "$D/rated.jsonl" > rated.mp
}

bin() { pref-binarize "$@" > out.mp 2> err.txt; rec to-json out.mp > got.jsonl; }

@test "pref-binarize --help and --version exit 0" {
  run pref-binarize --help
  [ "$status" -eq 0 ] && [[ "$output" == *"--pairs-per-prompt"* ]]
  run pref-binarize --version
  [ "$status" -eq 0 ]
}

@test "Table 1 UltraFeedback variants: overall and fine-grained choose differently" {
  bin --score overall rated.mp
  [ "$(jq -r 'select(.id == "r1") | .chosen_model' got.jsonl)" = "gpt-3.5-turbo" ]
  bin --score mean-aspects rated.mp
  [ "$(jq -r 'select(.id == "r1") | .chosen_model' got.jsonl)" = "gpt-4" ]
}

@test "pairs validate, carry margin, models, source, tags and meta" {
  bin --score overall rated.mp
  rec validate pair --check out.mp
  jq_true 'map(select(.id == "r3"))[0] | .tags == ["Math"] and .meta.prompt_source == "evol_instruct" and .source == "ultrafeedback" and .chosen_model == "wizardlm-70b" and (.margin > 0)' got.jsonl
}

@test "the margin is score(chosen) - score(rejected)" {
  bin --score overall --rejected worst rated.mp
  jq_true 'map(select(.id == "r1"))[0] | .margin == 7 and .rejected == "G5 alpaca"' got.jsonl
}

@test "N/A (null) ratings are left out of the mean and counted" {
  bin --score mean-aspects --rejected worst rated.mp
  # alpaca-7b: (1+1+1)/3 = 1 (truthfulness null), gpt-4: 5 -> margin 4
  jq_true 'map(select(.id == "r1"))[0] | .margin == 4' got.jsonl
  grep -q "2 N/A ratings excluded" err.txt
}

@test "ratings written as strings parse; unparseable strings count as N/A" {
  json_records in.mp '{"id":"s","prompt":[{"role":"user","content":"q"}],"completions":[{"text":"a","ratings":{"h":"4","t":"N/A"}},{"text":"b","ratings":{"h":"2","t":"5"}}]}'
  bin --score mean-aspects in.mp
  # a: 4 (N/A left out), b: (2+5)/2 = 3.5
  jq_true '.[0].chosen == "a" and .[0].margin == 0.5' got.jsonl
  grep -q "1 N/A ratings excluded" err.txt
}

@test "--score aspect:NAME uses one aspect" {
  bin --score aspect:instruction_following --rejected worst rated.mp
  jq_true 'map(select(.id == "r1"))[0] | .chosen_model == "gpt-4" and .rejected_model == "alpaca-7b" and .margin == 4' got.jsonl
}

@test "--exclude-aspect reproduces pref-load's HelpSteer conversion" {
  pref-load -f helpsteer "$D/helpsteer.jsonl" 2>/dev/null | pref-binarize --score mean-aspects --exclude-aspect verbosity 2>/dev/null | rec to-json > a.jsonl
  pref-load -f helpsteer --pairs "$D/helpsteer.jsonl" 2>/dev/null | rec to-json > b.jsonl
  cmp a.jsonl b.jsonl
  [ "$(jq -r .chosen a.jsonl)" = "Paris." ]
}

@test "without --exclude-aspect verbosity HelpSteer picks the verbose answer" {
  pref-load -f helpsteer "$D/helpsteer.jsonl" 2>/dev/null | pref-binarize --score mean-aspects 2>/dev/null | rec to-json > a.jsonl
  [ "$(jq -r 'select(.id == "3dcf09822d61464c") | .chosen' a.jsonl)" = "It is Paris, on the Seine." ]
}

@test "--score rank reproduces pref-load's Nectar conversion" {
  pref-load -f nectar "$D/nectar.jsonl" 2>/dev/null | pref-binarize --score rank 2>/dev/null | rec to-json > a.jsonl
  pref-load -f nectar --pairs "$D/nectar.jsonl" 2>/dev/null | rec to-json > b.jsonl
  cmp a.jsonl b.jsonl
}

@test "--rejected worst and next-best" {
  bin --rejected worst rated.mp
  [ "$(jq -r 'select(.id == "r1") | .rejected_model' got.jsonl)" = "alpaca-7b" ]
  bin --rejected next-best rated.mp
  [ "$(jq -r 'select(.id == "r1") | .rejected_model' got.jsonl)" = "bard" ]
}

@test "ties: dropped by default and counted, kept with --ties keep (margin 0)" {
  bin rated.mp
  [ -z "$(jq -r 'select(.id == "r2") | .id' got.jsonl)" ]
  grep -q "1 all tied" err.txt
  bin --ties keep rated.mp
  jq_true 'map(select(.id == "r2"))[0].margin == 0' got.jsonl
}

@test "--min-margin keeps only rejected completions far enough below" {
  bin --min-margin 5 rated.mp
  jq_true 'all(.[]; .margin >= 5)' got.jsonl
  [ "$(wc -l < got.jsonl)" -eq 2 ]
}

@test "--min-margin too large drops the prompt and counts it" {
  bin --min-margin 100 rated.mp
  [ ! -s got.jsonl ]
  grep -q "2 below the margin" err.txt
}

@test "--pairs-per-prompt K: K pairs with distinct rejected and /k ids" {
  bin --pairs-per-prompt 3 rated.mp
  [ "$(jq -r 'select(.id | startswith("r1/")) | .id' got.jsonl | tr '\n' ' ')" = "r1/1 r1/2 r1/3 " ]
  [ "$(jq -r 'select(.id | startswith("r1/")) | .rejected' got.jsonl | sort -u | wc -l)" -eq 3 ]
  [ "$(jq -r 'select(.id | startswith("r1/")) | .chosen' got.jsonl | sort -u)" = "G2 turbo" ]
}

@test "App. E: --models @top uses only the top group's completions" {
  bin --score mean-aspects --models @top rated.mp
  jq_true 'all(.[]; ([.chosen_model, .rejected_model] - ["gpt-4","gpt-3.5-turbo","wizardlm-70b","bard"]) == [])' got.jsonl
  [ "$(wc -l < got.jsonl)" -eq 1 ]    # r2 has no top completion, r3 one
  grep -q "2 with < 2 scored completions" err.txt
}

@test "App. E: --models @bottom and an explicit list" {
  bin --score mean-aspects --models @bottom rated.mp
  jq_true 'all(.[]; ([.chosen_model, .rejected_model] - ["wizardlm-7b","llama-2-7b-chat","starchat","alpaca-7b","pythia-12b","falcon-40b-instruct"]) == [])' got.jsonl
  bin --models bard,alpaca-7b rated.mp
  jq_true '.[0].chosen_model == "bard" and .[0].rejected_model == "alpaca-7b"' got.jsonl
}

@test "App. E: --prompt-source keeps one prompt source" {
  bin --prompt-source flan_v2_niv2 rated.mp
  [ "$(jq -r .id got.jsonl)" = "r1" ]
  grep -q "2 records skipped by --prompt-source" err.txt
}

@test "same seed, same bytes; the random rejected depends on the seed" {
  pref-binarize --seed 3 rated.mp > a.mp 2>/dev/null
  pref-binarize --seed 3 rated.mp > b.mp 2>/dev/null
  cmp a.mp b.mp
  for s in 1 2 3 4 5 6 7 8 9 10; do pref-binarize --seed $s rated.mp 2>/dev/null | rec to-json | jq -r 'select(.id == "r1") | .rejected'; done | sort -u > seen
  [ "$(wc -l < seen)" -ge 2 ]
}

@test "a pair stream is not rated: error naming the record (exit 65), nothing written" {
  pref-load -f hh-rlhf "$D/hh-rlhf.jsonl" > pairs.mp 2>/dev/null
  run pref-binarize pairs.mp -o out.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"record 1"*"completions"* ]]
  [ ! -e out.mp ]
}

@test "a completion without text is an error naming it" {
  json_records in.mp '{"id":"x","prompt":[],"completions":[{"text":"a"},{"overall":3}]}'
  run pref-binarize in.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"completions[1].text"* ]]
}

@test "usage errors exit 64" {
  run pref-binarize --score best
  [ "$status" -eq 64 ]
  run pref-binarize --rejected median
  [ "$status" -eq 64 ]
  run pref-binarize --models @huge
  [ "$status" -eq 64 ]
  run pref-binarize --ties maybe
  [ "$status" -eq 64 ]
}

@test "man page examples run" {
  cp "$D"/*.* .
  run_man_examples "$BATS_TEST_DIRNAME/../man/man1/pref-binarize.1"
}

#!/usr/bin/env bats
# rm-eval: RewardBench-style pairwise accuracy and weighted score.
load helper

E=$BATS_TEST_DIRNAME/fixtures/eval

@test "rm-eval: accuracy per subset, ties wrong, prior sets weighted 0.5 as a whole" {
  rec from-json "$E/rm-pairs.jsonl" > p.mp
  rm-eval p.mp 2> table | rec to-json > s.json
  # chat 2/3 (its own section, w 1); prior sets: shp 2/2 and summarize 0/2
  # with a tie, their mean 0.5, weighted 0.5 as one section
  jq -e '.subsets.chat == {"n":3,"accuracy":(2/3),"weight":1,"section":"chat"} and .subsets.shp.accuracy == 1 and .subsets.shp.weight == 0.5' s.json
  jq -e '.subsets.summarize == {"n":2,"accuracy":0,"weight":0.5,"section":"Prior Sets"} and .ties == 1' s.json
  jq -e '.sections["Prior Sets"] == {"accuracy":0.5,"weight":0.5} and (.sections | keys_unsorted) == ["chat","Prior Sets"]' s.json
  jq -e '(.weighted - (2/3 + 0.5 * 0.5) / 1.5 | fabs) < 1e-12 and .score == .weighted and .accuracy == (4/7) and .n == 7' s.json
  grep -q 'weighted score' table
}

@test "rm-eval --prior: choose the prior sets; --subset-key reads another field" {
  rec from-json "$E/rm-pairs.jsonl" > p.mp
  rm-eval --prior '' p.mp 2>/dev/null | rec to-json > s.json
  jq -e '(.weighted - (2/3 + 1 + 0) / 3 | fabs) < 1e-12' s.json
  rm-eval --subset-key meta.subset p.mp 2>/dev/null | rec to-json > t.json
  jq -e '.subsets | keys == ["all"]' t.json
}

@test "rm-eval: a pair without rewards is an error naming it; --skip-invalid counts it" {
  { cat "$E/rm-pairs.jsonl"; echo '{"id":"unscored","prompt":[],"chosen":"a","rejected":"b"}'; } | rec from-json > p.mp
  run rm-eval p.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"record 8 (id unscored)"*"reward_chosen"* ]]
  rm-eval --skip-invalid p.mp 2>/dev/null | rec to-json > s.json
  jq -e '.n == 7 and .skipped == 1' s.json
}

@test "rm-eval: --help and --version" {
  run rm-eval --help
  [ "$status" -eq 0 ]
  run rm-eval --version
  [ "$status" -eq 0 ]
}

@test "rm-eval --benchmark labels the summary (pairs that are not RewardBench's are not called so)" {
  json_records p.mp '{"id":"a","source":"synth-gold","reward_chosen":1,"reward_rejected":0}'
  rm-eval p.mp 2>/dev/null | rec to-json | jq -e '.benchmark == "RewardBench"'
  rm-eval --benchmark "synthetic gold pairs" p.mp 2>/dev/null | rec to-json | jq -e '.benchmark == "synthetic gold pairs"'
  run rm-eval --benchmark "" p.mp
  [ "$status" -eq 64 ]
}

@test "rm-eval: Table 13's 61.0 from its section accuracies, (74.3 + 49.3 + 52.2 + 65.0 + 0.5 x 67.9) / 4.5" {
  # 1,000 pairs per section (one subset each), that many of them right
  jq -cn '[["alpacaeval-easy", 743], ["mt-bench-hard", 493], ["donotanswer", 522], ["math-prm", 650], ["shp", 679]][] as [$s, $k] |
    range(1000) | {id: "\($s)-\(.)", source: $s, reward_chosen: (if . < $k then 1 else 0 end), reward_rejected: 0.5}' |
    rec from-json > p.mp
  rm-eval p.mp 2>/dev/null | rec to-json > s.json
  jq -e '(.sections.Chat.accuracy - 0.743 | fabs) < 1e-12 and (.sections["Chat Hard"].accuracy - 0.493 | fabs) < 1e-12' s.json
  jq -e '(.sections["Prior Sets"].accuracy - 0.679 | fabs) < 1e-12 and .sections["Prior Sets"].weight == 0.5' s.json
  jq -e '(.weighted - (0.743 + 0.493 + 0.522 + 0.650 + 0.5 * 0.679) / 4.5 | fabs) < 1e-12' s.json
  # 61.06 from the rounded section numbers; the paper's 61.0 came from unrounded ones
  jq -e '(.weighted * 100 - 61.0 | fabs) < 0.1' s.json
  jq -e '.accuracy == (743 + 493 + 522 + 650 + 679) / 5000 and .n == 5000'  s.json   # the plain (micro) accuracy beside it
}

#!/usr/bin/env bats
# pref-synth: the synthetic world's generator — determinism, split hygiene,
# balance, record kinds, and the graded quality of its responders.
load helper

@test "--help, --version, --list-responders" {
  run pref-synth --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--emit KIND"* ]]
  run pref-synth --version
  [ "$status" -eq 0 ]
  run pref-synth --list-responders
  [ "$status" -eq 0 ]
  [[ "$output" == *"strong"*"weak"* ]]
}

@test "--emit and --split are required; bad values are usage errors" {
  run pref-synth --emit prompt
  [ "$status" -eq 64 ]
  run pref-synth --emit frob --split train
  [ "$status" -eq 64 ]
  run pref-synth --emit sft --split train --responder nobody
  [ "$status" -eq 64 ]
  run pref-synth --emit prompt --split eval --categories math,poetry
  [ "$status" -eq 64 ]
}

@test "same seed, same bytes; another seed, another world" {
  pref-synth -e rated --split train -n 200 --seed 3 > a.mp
  pref-synth -e rated --split train -n 200 --seed 3 > b.mp
  pref-synth -e rated --split train -n 200 --seed 4 > c.mp
  cmp a.mp b.mp
  ! cmp -s a.mp c.mp
}

@test "no evaluation prompt appears in the training or pool data" {
  for s in train pool eval; do
    pref-synth -e prompt --split $s -n 1500 --seed 7 2>/dev/null | rec to-json | jq -r '.prompt[0].content' | sort -u > $s.txt
  done
  [ "$(comm -12 train.txt eval.txt | wc -l)" -eq 0 ]
  [ "$(comm -12 pool.txt eval.txt | wc -l)" -eq 0 ]
  [ "$(comm -12 train.txt pool.txt | wc -l)" -eq 0 ]
  [ "$(wc -l < eval.txt)" -gt 300 ]
}

@test "evaluation items are disjoint from every train and pool item, in every category and record kind" {
  # the item, not only the sentence: prompt, sft and rated records of the
  # train and pool splits against eval prompts, by gold.item_id
  for s in train pool eval; do
    { pref-synth -e prompt --split $s -n 2000 --seed 7 2>/dev/null
      pref-synth -e sft --split $s -n 1000 --seed 7 2>/dev/null
      pref-synth -e rated --split $s -n 500 --seed 7 2>/dev/null; } |
      rec to-json | jq -r '(.gold // .meta.gold).item_id' | sort -u > $s.ids
  done
  [ "$(comm -12 train.ids eval.ids | wc -l)" -eq 0 ]
  [ "$(comm -12 pool.ids eval.ids | wc -l)" -eq 0 ]
  [ "$(comm -12 train.ids pool.ids | wc -l)" -eq 0 ]
  # every category has held-out items, and the ids are the categories'
  for c in math instruction safety truthfulness factuality; do
    [ "$(grep -c "^$c:" eval.ids)" -ge 10 ]
    [ "$(grep -c "^$c:" train.ids)" -ge 30 ]
  done
  [ "$(grep -vcE '^(math|instruction|safety|truthfulness|factuality):' train.ids)" -eq 0 ]
}

@test "--list-pools: items per category and split add up; the seed moves the split, not the pool" {
  pref-synth --list-pools --seed 1 > a.txt
  pref-synth --list-pools --seed 2 > b.txt
  head -1 a.txt | grep -q 'category.*all.*train.*pool.*eval.*seed 1'
  awk 'NR > 1 { if ($2 != $3 + $4 + $5 || $5 < 10) bad = 1; n++ } END { exit bad || n != 5 }' a.txt
  [ "$(awk 'NR > 1 { print $1, $2 }' a.txt)" = "$(awk 'NR > 1 { print $1, $2 }' b.txt)" ]
  ! cmp -s a.txt b.txt
  grep -q '^math .* 14754 ' a.txt
}

@test "math: a graded curriculum, half with worked steps; the strong responder's steps are right" {
  pref-synth -e sft --split train -n 1000 --categories math --responder strong --seed 3 | rec to-json > m.jsonl
  [ "$(jq -r .meta.gold.level m.jsonl | sort -u | tr '\n' ' ')" = "1 2 3 4 5 6 " ]
  steps=$(jq -r 'select(.prompt[0].content | test("Show your steps")) | .response' m.jsonl | grep -c ', ')
  [ "$steps" -gt 180 ]
  # the gold judge scores the strong responder's math almost always right
  pref-synth -e sft --split eval -n 300 --categories math --responder strong | gold-judge --summary-only |
    rec to-json | jq -e '.score > 0.9' > /dev/null
}

@test "the world's knobs: --length-bias 0 and --aspect-noise 0 remove the built-in rating errors" {
  pref-synth -e rated --split train -n 300 --length-bias 0 --aspect-noise 0 --overall-noise 0 | rec to-json > r.jsonl
  # the gold judge's aspects are 0, 0.5 or 1: without noise, ratings 1, 3 or 5 only (the default
  # noise makes some 2s and 4s)
  jq -e '[.completions[].ratings[]] | all(. == 1 or . == 3 or . == 5)' r.jsonl > /dev/null
  pref-synth -e rated --split train -n 300 | rec to-json | jq -se '[.[].completions[].ratings[]] | any(. == 2 or . == 4)'
  # without noise or length bias the overall rating is 1 + 9 x the gold total, rounded
  jq -e '[.completions[] | .overall == ((1 + 9 * (([.ratings[]] | add) - 4) / 16) | round)] | all' r.jsonl > /dev/null
  run pref-synth -e rated --split train --aspect-noise 2
  [ "$status" -eq 64 ]
}

@test "outputs are balanced over the five categories and valid records" {
  pref-synth -e prompt --split eval -n 100 > p.mp
  rec validate prompt --check p.mp
  rec to-json p.mp | jq -r '.gold.category' | sort | uniq -c | awk '{print $1}' | sort -u > counts.txt
  [ "$(cat counts.txt)" = "20" ]
  pref-synth -e sft --split train -n 50 | rec validate sft --check
  pref-synth -e rated --split train -n 50 | rec validate rated --check
}

@test "--categories restricts the prompts" {
  pref-synth -e prompt --split pool -n 30 --categories math,factuality | rec to-json | jq -r .gold.category | sort -u > c.txt
  [ "$(tr '\n' ' ' < c.txt)" = "factuality math " ]
}

@test "rated records: per-aspect ratings 1-5, overall 1-10, ranks, distinct models" {
  pref-synth -e rated --split train -n 40 --per-prompt 4 | rec to-json > r.jsonl
  jq -e '.completions | length == 4' r.jsonl > /dev/null
  jq -e '[.completions[].ratings[]] | all(. >= 1 and . <= 5)' r.jsonl > /dev/null
  jq -e '[.completions[].overall] | all(. >= 1 and . <= 10)' r.jsonl > /dev/null
  jq -e '[.completions[].rank] | sort == [1,2,3,4]' r.jsonl > /dev/null
  jq -e '[.completions[].model] | unique | length == 4' r.jsonl > /dev/null
  jq -e '.meta.gold.category' r.jsonl > /dev/null
}

@test "the responders are graded: strong > middle > weak under the gold judge" {
  for w in strong middle weak; do
    pref-synth -e sft --split eval -n 200 --responder $w 2>/dev/null | gold-judge --summary-only 2>/dev/null | rec to-json | jq .score > $w.txt
  done
  awk -v s="$(cat strong.txt)" -v m="$(cat middle.txt)" -v w="$(cat weak.txt)" 'BEGIN { exit !(s > m + 0.08 && m > w + 0.08) }'
}

@test "mean-of-aspects pairs agree with the gold judge more than overall pairs" {
  pref-synth -e rated --split train -n 600 2>/dev/null > r.mp
  for s in overall mean-aspects; do
    pref-binarize --score $s --seed 1 r.mp 2>/dev/null | gold-judge --pairs --summary-only 2>/dev/null | rec to-json | jq .gold_agreement > $s.txt
  done
  awk -v o="$(cat overall.txt)" -v m="$(cat mean-aspects.txt)" 'BEGIN { exit !(m > o + 0.1) }'
}

@test "raters: --list-raters; --rater standard is the default data plus meta.rater; unknown raters are usage errors" {
  run pref-synth --list-raters
  [ "$status" -eq 0 ]
  for r in standard careful crowd lengthy judge; do [[ "$output" == *"$r"* ]]; done
  pref-synth -e rated --split train -n 60 --seed 2 | rec to-json > a.jsonl
  pref-synth -e rated --split train -n 60 --seed 2 --rater standard | rec to-json > b.jsonl
  jq -e '.meta.rater == null' a.jsonl > /dev/null
  jq -e '.meta.rater == "standard"' b.jsonl > /dev/null
  diff a.jsonl <(jq -c 'del(.meta.rater)' b.jsonl)
  run pref-synth -e rated --split train --rater careful,nobody
  [ "$status" -eq 64 ]
  [[ "$output" == *"nobody"* ]]
}

@test "raters differ in noise: careful pairs agree with the gold judge more than crowd and judge pairs; a mix names its sources" {
  for r in careful crowd judge; do
    pref-synth -e rated --split train -n 600 --seed 1 --rater $r 2>/dev/null | pref-binarize --score mean-aspects --seed 1 2>/dev/null |
      gold-judge --pairs --summary-only 2>/dev/null | rec to-json | jq .gold_agreement > $r.txt
  done
  awk -v c="$(cat careful.txt)" -v n="$(cat crowd.txt)" -v j="$(cat judge.txt)" 'BEGIN { exit !(c > n + 0.05 && c > j + 0.05) }'
  # the judge leaves facts unchecked: its errors sit in the verifiable categories
  pref-synth -e rated --split train -n 400 --seed 1 --rater careful,crowd,lengthy,judge | rec to-json > m.jsonl
  [ "$(jq -r .meta.rater m.jsonl | sort -u | tr '\n' ' ')" = "careful crowd judge lengthy " ]
  # the same prompts as single-source data: only the ratings differ
  diff <(jq -c .prompt m.jsonl) <(pref-synth -e rated --split train -n 400 --seed 1 | rec to-json | jq -c .prompt)
}

@test "lengthy rates padded answers up (instruction following); -e text is train-split world text from several responders" {
  pref-synth -e rated --split train -n 300 --seed 1 --rater lengthy | rec to-json > l.jsonl
  pref-synth -e rated --split train -n 300 --seed 1 --rater careful | rec to-json > c.jsonl
  pad() { jq -s '[.[].completions[] | select(.text | test("hope this helps")) | .ratings.instruction_following] | add / length' "$1"; }
  awk -v l="$(pad l.jsonl)" -v c="$(pad c.jsonl)" 'BEGIN { exit !(l > c + 0.7) }'
  pref-synth -e text --split train -n 300 --seed 5 > t.mp
  rec validate sft --check t.mp
  # the responders are drawn from --responders (default the zoo): the zoo's text scores between
  # the strong responder's and the weak one's
  for w in strong weak; do
    pref-synth -e text --split train -n 300 --seed 5 --responders $w | gold-judge --summary-only 2>/dev/null | rec to-json | jq .score > $w.txt
  done
  gold-judge --summary-only t.mp 2>/dev/null | rec to-json | jq .score > zoo.txt
  awk -v s="$(cat strong.txt)" -v z="$(cat zoo.txt)" -v w="$(cat weak.txt)" 'BEGIN { exit !(s > z + 0.05 && z > w + 0.05) }'
  rec to-json t.mp | jq -r .meta.gold.item_id | sort -u > text.ids
  pref-synth -e prompt --split eval -n 500 --seed 5 2>/dev/null | rec to-json | jq -r .gold.item_id | sort -u > eval.ids
  [ "$(comm -12 text.ids eval.ids | wc -l)" -eq 0 ]
}

@test "a category's prompts ask distinct items while its split has them: 40 eval prompts per category, 40 items" {
  pref-synth -e prompt --split eval -n 200 --seed 1 | rec to-json | jq -r '.gold.category + " " + .gold.item_id' |
    sort -u | awk '{ print $1 }' | uniq -c | awk '{ print $1 }' | sort -u > n.txt
  [ "$(cat n.txt)" = "40" ]
  # past the split's items, new phrasings of asked items (instruction's pool split has 56 items under seed 1)
  pref-synth -e prompt --split pool -n 640 --seed 1 --categories instruction > p.mp
  [ "$(rec to-json p.mp | jq -r .gold.item_id | sort -u | wc -l)" -eq 56 ]
  [ "$(rec to-json p.mp | jq -r '.prompt[0].content' | sort -u | wc -l)" -eq 640 ]
}

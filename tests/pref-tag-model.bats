#!/usr/bin/env bats
# pref-tag's model-based tagger (App. J / Figure 5) and the prompt-mining
# pipeline: a scripted judge (any executable over stdin/stdout) stands in
# for Tülu 2 70B; a tiny model runs the same path in-process with
# rollout's sampler; prompts are deduplicated against evaluation prompts.
load helper
load pref-helper

JUDGE=$FIX/tagger/judge.sh

prompts() {
  json_records in.mp \
    '{"id":"p1","prompt":[{"role":"user","content":"What is 17 times 23?"}],"source":"t"}' \
    '{"id":"p2","prompt":[{"role":"user","content":"Please write code that adds 2 numbers."}],"source":"t"}' \
    '{"id":"p3","prompt":[{"role":"user","content":"Tell me about the history of tea."}],"source":"t"}' \
    '{"id":"p4","prompt":[{"role":"user","content":"I refuse to say what I want."}],"source":"t"}' \
    '{"id":"p5","prompt":[{"role":"user","content":"garble garble"}],"source":"t"}' \
    '{"id":"p6","prompt":[{"role":"user","content":"hmm"}],"source":"t"}'
}

@test "pref-tag --judge: the Figure 5 prompt goes to the judge, its JSON answer becomes tags" {
  prompts
  pref-tag --judge "$JUDGE" in.mp > out.mp 2> err.txt
  rec to-json out.mp > got.jsonl
  jq_true 'map(.tags) == [["Math"], ["Coding", "Math"], ["Open Question Answering"], [], [], ["Unclear"]]' got.jsonl
  rec validate prompt --check out.mp
}

@test "pref-tag --judge: the judge sees exactly the Figure 5 prompt with the user query" {
  json_records in.mp '{"id":"p1","prompt":[{"role":"user","content":"What is 17 times 23?"}]}'
  pref-tag --judge "cat > seen.txt; echo '{\"tags\": [\"Math\"]}'" in.mp > /dev/null 2>&1
  head -n 7 seen.txt > head.txt
  printf '# Instruction\n\nPlease label the task tags for the user query.\n\n## User Query\n```\n' > want.txt
  echo 'What is 17 times 23?' >> want.txt
  diff want.txt head.txt
  grep -q '"Inhabiting a Character/Persona",  # Users engage in scenarios requiring the model to adopt a character or persona.' seen.txt
  tail -n 1 seen.txt | grep -qx 'Do not add any additional characters.'
}

@test "pref-tag --judge: refusals and unparsable answers are counted in the summary" {
  prompts
  pref-tag --judge "$JUDGE" in.mp > out.mp 2> err.txt
  grep -q "model answers: 6, 4 parsed with tags, 1 refusals, 1 unparsable, 0 without a known tag" err.txt
}

@test "pref-tag --judge --select Math --max-other-tags 0 --drop Unclear,Multilingual: App. J selection" {
  prompts
  pref-tag --judge "$JUDGE" --select Math --max-other-tags 0 --drop Unclear,Multilingual in.mp 2>/dev/null | rec to-json > got.jsonl
  jq_true 'map(.id) == ["p1"]' got.jsonl
}

@test "pref-tag: a judge that fails is an error naming the record (exit 70)" {
  prompts
  run pref-tag --judge 'exit 3' in.mp
  [ "$status" -eq 70 ]
  [[ "$output" == *"record 1"* ]]
  [[ "$output" == *"exited with status 3"* ]]
}

@test "pref-tag --model: a tiny model answers in-process with the sampler; its garbage is counted unparsable" {
  lm-init -o tiny --max-pos 4096 --seed 3 2>/dev/null
  json_records in.mp '{"id":"p1","prompt":[{"role":"user","content":"What is 2+2?"}]}' \
    '{"id":"p2","prompt":[{"role":"user","content":"Write a poem."}]}'
  pref-tag --model tiny --max-new 8 in.mp > out.mp 2> err.txt
  rec to-json out.mp > got.jsonl
  jq_true 'length == 2 and all(.[]; .tags == [])' got.jsonl
  grep -q "model answers: 2, 0 parsed with tags" err.txt
  # the same bytes again (greedy)
  pref-tag --model tiny --max-new 8 in.mp > out2.mp 2>/dev/null
  cmp out.mp out2.mp
}

@test "pref-tag --model and --judge together, or --model on a reward model, are errors" {
  lm-init -o rm --reward 2>/dev/null
  run pref-tag --model rm --judge cat < /dev/null
  [ "$status" -eq 64 ]
  run pref-tag --model rm < /dev/null
  [ "$status" -eq 65 ]
}

@test "pref-tag --exclude drops prompts that share an 8-word run with an evaluation prompt" {
  json_records eval.mp '{"id":"e1","prompt":[{"role":"user","content":"Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?"}]}'
  json_records in.mp \
    '{"id":"a","prompt":[{"role":"user","content":"natalia SOLD clips to 48 of her friends in april -- help me!"}]}' \
    '{"id":"b","prompt":[{"role":"user","content":"Natalia sold clips to 48 of her neighbours last week."}]}' \
    '{"id":"c","prompt":[{"role":"user","content":"What is 17 times 23?"}]}'
  pref-tag --exclude eval.mp in.mp > out.mp 2> err.txt
  [ "$(rec to-json out.mp | jq -r .id | tr '\n' ' ')" = "b c " ]
  grep -q "1 overlapping --exclude" err.txt
}

@test "pref-tag --unique drops repeated prompts (case and spacing ignored)" {
  json_records in.mp '{"id":"a","prompt":[{"role":"user","content":"What is 2+2?"}]}' \
    '{"id":"b","prompt":[{"role":"user","content":"what  is 2+2?"}]}' '{"id":"c","prompt":[{"role":"user","content":"What is 3+3?"}]}'
  pref-tag --unique in.mp 2> err.txt | rec to-json | jq -r .id | tr '\n' ' ' > ids
  [ "$(cat ids)" = "a c " ]
}

@test "pipelines/mine-prompts.sh: load sources, tag, keep Math, drop evaluation overlaps" {
  cp "$D/wildchat.jsonl" "$D/lmsys-chat-1m.jsonl" .
  json_records eval.mp '{"id":"e1","prompt":[{"role":"user","content":"Solve x^2 - 5x + 6 = 0."}]}'
  "$PREFPIPE_ROOT/pipelines/mine-prompts.sh" -s Math -x eval.mp -o math.mp \
    wildchat:wildchat.jsonl lmsys-chat-1m:lmsys-chat-1m.jsonl -- --judge "$JUDGE" 2> err.txt
  rec to-json math.mp > got.jsonl
  jq_true 'map(.id) == ["c0ffee01"] and .[0].tags == ["Math"]' got.jsonl
}

@test "pref-tag --model: a trained tiny model's parseable answer becomes tags (fixtures/tagger/fig5-micro)" {
  json_records in.mp '{"id":"a","prompt":[{"role":"user","content":"How many legs do 3 spiders have?"}]}' \
    '{"id":"b","prompt":[{"role":"user","content":"Compute 12 squared."}]}'
  pref-tag --model "$FIX/tagger/fig5-micro" --max-new 24 in.mp > out.mp 2> err.txt
  rec to-json out.mp | jq -c .tags > tags
  [ "$(sort -u tags)" = '["Math"]' ]
  grep -q "model answers: 2, 2 parsed with tags, 0 refusals, 0 unparsable" err.txt
}

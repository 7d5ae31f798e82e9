#!/usr/bin/env bats
# ref-score: reference log-probs for pairs and rollouts; dpo-step with them
# equals dpo-step --ref.
load helper
load fixtures/train/train-helper

@test "ref-score --help and --version exit 0" {
  run ref-score --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--per-token"* ]]
  run ref-score --version
  [ "$status" -eq 0 ]
}

@test "ref-score: missing --checkpoint is a usage error" {
  run ref-score
  [ "$status" -eq 64 ]
}

@test "ref-score adds ref_logp_chosen/rejected equal to lm-logprob's sums" {
  policy pol
  pairs p.mp 10 1
  ref-score -c pol p.mp > a.mp 2>/dev/null
  lm-logprob -c pol -b 3 p.mp > b.mp
  rec to-json < a.mp > a.json
  rec to-json < b.mp > b.json
  [ "$(jq -s length a.json)" = 10 ]
  jq -n -e --slurpfile a a.json --slurpfile b b.json '[range($a | length)] | all(. as $i |
      (($a[$i].ref_logp_chosen - $b[$i].ref_logp_chosen) | fabs) < 1e-4 and
      (($a[$i].ref_logp_rejected - $b[$i].ref_logp_rejected) | fabs) < 1e-4 and $a[$i].ref_logp_chosen < 0)'
  # every other field is kept
  jq -s -e 'all(.[]; has("id") and has("prompt") and has("chosen") and has("rejected"))' a.json
}

@test "ref-score --per-token: bins with one float per response token summing to the totals" {
  policy pol
  pairs p.mp 4 1
  ref-score -c pol --per-token p.mp > a.mp 2>/dev/null
  rec to-json < a.mp | jq -e '(.ref_logprobs_chosen | length) == 9 and (.ref_logprobs_rejected | length) == 8
     and ((.ref_logprobs_chosen | add) - .ref_logp_chosen | fabs) < 1e-4
     and ((.ref_logprobs_rejected | add) - .ref_logp_rejected | fabs) < 1e-4' > /dev/null
}

@test "ref-score adds ref_logprobs to rollouts, one per response token" {
  policy pol
  json_records r.mp '{"id":"r#0","prompt_id":"r","prompt":[{"role":"user","content":"hi"}],"response":"ok","tokens":[111,107,259],"logprobs":[0,0,0]}' \
    '{"id":"r#1","prompt_id":"r","prompt":[{"role":"user","content":"hi"}],"response":"x","prompt_tokens":[257,10,104,105,10,258,10],"tokens":[120,259]}'
  ref-score -c pol r.mp > a.mp 2>/dev/null
  rec to-json < a.mp > a.json
  jq -s -e '(.[0].ref_logprobs | length) == 3 and (.[1].ref_logprobs | length) == 2
            and all(.[]; all(.ref_logprobs[]; . < 0))' a.json
}

@test "dpo-step with ref-score's numbers equals dpo-step --ref, bitwise" {
  policy pol
  policy ref 2
  pairs p.mp 40 1
  ref-score -c ref p.mp > scored.mp 2>/dev/null
  dpo-step -m pol --ref ref -o a --epochs 2 --batch 8 --lr 1e-3 p.mp > ma.mp 2>/dev/null
  dpo-step -m pol -o b --epochs 2 --batch 8 --lr 1e-3 scored.mp > mb.mp 2>/dev/null
  cmp a/model.safetensors b/model.safetensors
  cmp <(metrics ma.mp | jq -c 'del(.time, .tokens_per_s)') <(metrics mb.mp | jq -c 'del(.time, .tokens_per_s)')
}

@test "ref-score: ref_tokenizer is the tokenizer's fingerprint; dpo-step refuses another tokenizer's numbers" {
  policy pol
  lm-init -o other --dim 16 --layers 1 --heads 2 --ffn 32 --tokenizer "$FIX/model/bpe-gpt2.json" 2>/dev/null
  pairs p.mp 8 1
  ref-score -c pol p.mp > mine.mp 2>/dev/null
  ref-score -c other p.mp > theirs.mp 2>/dev/null
  a=$(rec to-json < mine.mp | jq -r -s 'map(.ref_tokenizer) | unique | .[]')
  b=$(rec to-json < theirs.mp | jq -r -s 'map(.ref_tokenizer) | unique | .[]')
  [[ "$a" =~ ^[0-9a-f]{16}$ && "$b" =~ ^[0-9a-f]{16}$ && "$a" != "$b" ]]
  # the same fingerprint rollout gives the policy
  printf '{"id":"q","prompt":[{"role":"user","content":"hi"}]}\n' | rec from-json > q.mp
  rollout -c pol --max-new 2 q.mp > r.mp 2>/dev/null
  [ "$(rec to-json < r.mp | jq -r .policy.tokenizer)" = "$a" ]
  run dpo-step -m pol -o out --epochs 1 --batch 4 theirs.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"record 1: ref_logp_chosen/ref_logp_rejected were computed with another tokenizer"* ]]
  [ ! -e out ]
  dpo-step -m pol -o out --epochs 1 --batch 4 mine.mp > /dev/null 2>&1
}

@test "ref-score passes unscoreable records through unchanged and counts them" {
  policy pol
  json_records in.mp '{"id":"x1","prompt":[{"role":"user","content":"q"}],"chosen":"yes"}' \
    '{"id":"x2","prompt":[{"role":"user","content":"q"}],"chosen":"yes","rejected":"no"}'
  run ref-score -c pol -o out.mp in.mp
  [ "$status" -eq 0 ]
  [[ "$output" == *"2 records, 1 used"* ]]
  rec to-json < out.mp > out.json
  jq -s -e '(.[0] | has("ref_logp_chosen") | not) and (.[1].ref_logp_chosen < 0) and .[0].id == "x1"' out.json
}

@test "ref-score: a reward model (no LM head) is refused with exit 65" {
  lm-init -o rmk --preset tiny --reward 2>/dev/null
  pairs p.mp 2 1
  run ref-score -c rmk p.mp
  [ "$status" -eq 65 ]
}

# A live producer that pauses (as rollout does while it waits for
# ppo-step's next policy) with the writer still open: ref-score must score
# and send what it holds, not wait for a full --batch (pause_check and
# wait_records are helper.bash's).
@test "ref-score: what it holds is written when the pipe pauses (writer still open)" {
  policy pol
  pairs all.mp 12 3
  ref-score -c pol -b 1 all.mp > want.mp 2>/dev/null
  pause_check ref-score -c pol
  # scored one at a time, the bytes do not depend on how records arrive
  cmp want.mp out1.mp
}

@test "ref-score: an incomplete rollout batch is held over a pause, a complete one is sent before EOF" {
  policy pol
  json_records all.mp $(for i in 0 1 2 3 4 5; do
    echo "{\"id\":\"r#$i\",\"batch\":0,\"batch_size\":6,\"prompt_tokens\":[257,10,104,105,10,258,10],\"tokens\":[$((100 + i)),259]}"; done)
  ref-score -c pol -b 8 all.mp > want.mp 2>/dev/null
  mkfifo in
  timeout 30 ref-score -c pol -b 8 in > out.mp 2>/dev/null 3>&- & pid=$!
  exec 7> in
  rec head -n 2 all.mp >&7
  sleep 1
  # the rollout batch promises 4 more records: nothing is scored yet
  [ "$(rec count out.mp)" -eq 0 ]
  rec to-json < all.mp | tail -n +3 | rec from-json >&7
  # complete, and the writer is still open: all 6 come out
  wait_records out.mp 6
  exec 7>&-
  wait "$pid"
  cmp want.mp out.mp
}

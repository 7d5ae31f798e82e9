#!/usr/bin/env bats
# rollout: records, sampling options, determinism, over-long prompts and
# the follow protocol's waiting.
load helper

setup_pol() {
  lm-init -o pol --seed 1 2>/dev/null
  rec from-json < "$FIX/ppo/prompts.jsonl" > prompts.mp
}

@test "--help and --version; usage errors exit 64" {
  run rollout --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--max-lag"* ]]
  run rollout --version
  [ "$status" -eq 0 ]
  run rollout prompts.mp
  [ "$status" -eq 64 ]
  run rollout -c pol -f run prompts.mp
  [ "$status" -eq 64 ]
  run rollout -c pol --top-p 0 prompts.mp
  [ "$status" -eq 64 ]
}

@test "rollout records: schema, n per prompt, ids, policy, sampler, gold, batches" {
  setup_pol
  rollout -c pol -n 3 -B 4 --max-new 5 prompts.mp > r.mp 2>err
  rec validate rollout < r.mp
  rec to-json < r.mp > r.jsonl
  [ "$(wc -l < r.jsonl)" -eq 24 ]
  jq -s -e 'map(.id) | unique | length == 24' r.jsonl
  jq -s -e '.[0].id == "p1#0" and .[2].id == "p1#2" and .[3].prompt_id == "p2"' r.jsonl
  jq -s -e 'all((.tokens | length) == (.logprobs | length) and (.tokens | length) <= 5)' r.jsonl
  jq -s -e 'all(.policy.path == "pol" and .policy.version == 0 and (.policy.tokenizer | length) == 16)' r.jsonl
  jq -s -e 'all(.sampler.temperature == 0.7 and .sampler.top_p == 1 and .sampler.top_k == 0)' r.jsonl
  jq -s -e '.[0].gold.answer == "1" and (.[6] | has("gold") | not)' r.jsonl
  jq -s -e 'map(.batch) == ([range(12)] | map(0)) + ([range(12)] | map(1)) and all(.batch_size == 12)' r.jsonl
  # a bare-string prompt becomes one user turn
  jq -s -e '.[15].prompt == [{"role": "user", "content": "say six"}]' r.jsonl
  jq -s -e 'all(.finish == "length" or .finish == "stop")' r.jsonl
}

@test "log-probs are the model's at temperature 1 (lm-logprob agrees)" {
  setup_pol
  rollout -c pol -n 1 --max-new 6 -t 0.5 prompts.mp 2>/dev/null > r.mp
  lm-logprob -c pol -f ref_logprobs r.mp 2>/dev/null | rec to-json > s.jsonl
  jq -s -e 'all([.logprobs, .ref_logprobs] | transpose | all((.[0] - .[1]) | (if . < 0 then -. else . end) < 1e-3))' s.jsonl
}

@test "same seed, same bytes; another seed, other samples; greedy ignores the seed" {
  setup_pol
  rollout -c pol -n 2 --max-new 6 -s 7 prompts.mp > a.mp 2>/dev/null
  rollout -c pol -n 2 --max-new 6 -s 7 prompts.mp > b.mp 2>/dev/null
  cmp a.mp b.mp
  # other generation batch shapes: the same samples (log-probs may differ
  # in the last bits: BLAS summation order)
  rollout -c pol -n 2 --max-new 6 -s 7 --gen-batch 3 prompts.mp 2>/dev/null | rec to-json | jq -c .tokens > t3
  rec to-json < a.mp | jq -c .tokens > t32
  cmp t3 t32
  rollout -c pol -n 2 --max-new 6 -s 8 prompts.mp > c.mp 2>/dev/null
  ! cmp -s a.mp c.mp
  rollout -c pol -t 0 --max-new 6 -s 1 prompts.mp | rec to-json | jq -c '.tokens' > g1
  rollout -c pol -t 0 --max-new 6 -s 2 prompts.mp | rec to-json | jq -c '.tokens' > g2
  cmp g1 g2
}

@test "over-long prompts are skipped and counted" {
  setup_pol
  long=$(printf 'x%.0s' $(seq 300))
  printf '{"id":"long","prompt":"%s"}\n{"id":"short","prompt":"hi"}\n' "$long" | rec from-json > p.mp
  rollout -c pol --max-prompt 100 --max-new 4 p.mp > r.mp 2>err
  grep -q "skipped 1 of 2 prompts over 100 tokens" err
  rec to-json < r.mp | jq -s -e 'map(.prompt_id) == ["short"]'
}

@test "a prompt record without id is an error (65)" {
  setup_pol
  echo '{"prompt":"hi"}' | rec from-json > p.mp
  run rollout -c pol p.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"no string 'id'"* ]]
}

@test "--follow waits for a version; --wait-timeout gives up with 75" {
  setup_pol
  mkdir run
  run rollout -f run --wait-timeout 0.3 prompts.mp
  [ "$status" -eq 75 ]
  [[ "$output" == *"timed out waiting for policy version 0"* ]]
}

@test "--follow samples from the published version and its batch" {
  setup_pol
  mkdir run
  cp -r pol run/policy-v3
  echo "3 policy-v3" > run/latest
  # latest = 3: a (re)started rollout begins at batch 3 of 4 (B 2)
  rollout -f run -B 2 --max-new 4 --wait-timeout 5 prompts.mp > r.mp 2>/dev/null
  rec to-json < r.mp > r.jsonl
  jq -s -e 'all(.policy.version == 3 and .batch == 3 and .policy.path == "run/policy-v3")' r.jsonl
  jq -s -e 'map(.prompt_id) == ["p7", "p8"]' r.jsonl
}

@test "--shuffle reorders prompts per epoch, deterministically" {
  setup_pol
  rollout -c pol -B 8 --epochs 2 --shuffle -s 1 --max-new 2 prompts.mp 2>/dev/null | rec to-json | jq -r .prompt_id > a
  rollout -c pol -B 8 --epochs 2 --shuffle -s 1 --max-new 2 prompts.mp 2>/dev/null | rec to-json | jq -r .prompt_id > b
  cmp a b
  [ "$(sort a | uniq -c | awk '{print $1}' | sort -u)" = "2" ]
  [ "$(head -8 a | tr '\n' ' ')" != "p1 p2 p3 p4 p5 p6 p7 p8 " ]
}

# every "$ " line of the man page's EXAMPLES runs and succeeds
@test "man page examples run" {
  lm-init -o pol --seed 1 2>/dev/null
  lm-init --reward -o rm --seed 4 2>/dev/null
  rec from-json < "$FIX/ppo/prompts.jsonl" > prompts.mp
  n=0
  while IFS= read -r cmd; do
    n=$((n + 1))
    bash -o pipefail -c "$cmd" > "ex$n.out" 2> "ex$n.err" || { echo "failed: $cmd"; cat "ex$n.err"; false; }
  done < <(sed -n '/^\.SH EXAMPLES/,/^\.SH /p' "$BATS_TEST_DIRNAME/../man/man1/rollout.1" | sed -n 's/^\$ //p' | sed 's/\\-/-/g')
  [ "$n" -eq 3 ]
}

@test "toy-reward: token lists, characters, man page examples" {
  lm-init -o pol --seed 1 2>/dev/null
  rec from-json < "$FIX/ppo/prompts.jsonl" > prompts.mp
  printf '{"id":"a#0","response":"aab","tokens":[97,97,98,300]}\n' | rec from-json > r.mp
  toy-reward --token 97 r.mp | rec to-json | jq -e '.reward == 0.5'
  toy-reward --token 90-100,300 r.mp | rec to-json | jq -e '.reward == 1'
  toy-reward --char b r.mp | rec to-json | jq -e '.reward == (1 / 3)'
  run toy-reward --token 1 --char a r.mp
  [ "$status" -eq 64 ]
  echo '{"id":"x"}' | rec from-json > bad.mp
  run toy-reward --token 1 bad.mp
  [ "$status" -eq 65 ]
  n=0
  while IFS= read -r cmd; do
    n=$((n + 1))
    bash -o pipefail -c "$cmd" > "ex$n.out" 2> "ex$n.err" || { echo "failed: $cmd"; cat "ex$n.err"; false; }
  done < <(sed -n '/^\.SH EXAMPLES/,/^\.SH /p' "$BATS_TEST_DIRNAME/../man/man1/toy-reward.1" | sed -n 's/^\$ //p' | sed 's/\\-/-/g')
  [ "$n" -eq 2 ]
}

#!/usr/bin/env bats
# lm-logprob: per-token log-probs of records under a checkpoint.
load helper

setup_ck() {
  lm-init -o ck --dim 32 --layers 2 --heads 4 --kv-heads 2 --ffn 64 --seed 3 2>/dev/null
}

@test "lm-logprob --help exits 0; no checkpoint is a usage error" {
  run lm-logprob --help
  [ "$status" -eq 0 ]
  run lm-logprob < /dev/null
  [ "$status" -eq 64 ]
}

@test "lm-logprob scores prompt + response with one negative log-prob per response token" {
  setup_ck
  json_records in.mp '{"id":"a","prompt":[{"role":"user","content":"hi"}],"response":"yo"}'
  lm-logprob -c ck in.mp | rec to-json > out.json
  jq -e '.tokens == [121,111,259] and (.logprobs | length) == 3 and all(.logprobs[]; . < 0)' out.json
  jq -e '.prompt_tokens | length == 7' out.json
}

@test "lm-logprob: pair sums equal the sums of the per-response scores" {
  setup_ck
  json_records pair.mp '{"id":"p","prompt":[{"role":"user","content":"hi"}],"chosen":"yo","rejected":"no way"}'
  json_records resp.mp '{"id":"c","prompt":[{"role":"user","content":"hi"}],"response":"yo"}' '{"id":"r","prompt":[{"role":"user","content":"hi"}],"response":"no way"}'
  lm-logprob -c ck pair.mp | rec to-json > p.json
  lm-logprob -c ck resp.mp | rec to-json > r.json
  c=$(jq -s '.[0].logprobs | add' r.json); r=$(jq -s '.[1].logprobs | add' r.json)
  jq -e --argjson c "$c" --argjson r "$r" '((.ref_logp_chosen - $c) | fabs) < 1e-4 and ((.ref_logp_rejected - $r) | fabs) < 1e-4' p.json
}

@test "lm-logprob: results do not depend on batch size or neighbours (padding is masked)" {
  setup_ck
  json_records in.mp '{"id":"a","text":"short"}' '{"id":"b","text":"a much longer text than the first"}' '{"id":"c","prompt_tokens":[257,10],"tokens":[104,105]}'
  lm-logprob -c ck -b 1 in.mp | rec to-json > b1.json
  lm-logprob -c ck -b 3 in.mp | rec to-json > b3.json
  jq -s '[.[].logprobs[]]' b1.json > l1.json
  jq -s '[.[].logprobs[]]' b3.json > l3.json
  jq -e -n --slurpfile a l1.json --slurpfile b l3.json '[$a[0], $b[0]] | transpose | all(((.[0] - .[1]) | fabs) < 1e-5)'
}

@test "lm-logprob: same input twice gives identical bytes" {
  setup_ck
  json_records in.mp '{"id":"a","text":"hello there"}'
  lm-logprob -c ck in.mp -o o1.mp
  lm-logprob -c ck in.mp -o o2.mp
  cmp o1.mp o2.mp
}

@test "lm-logprob --field names the output field, input fields are kept" {
  setup_ck
  json_records in.mp '{"id":"a","prompt_tokens":[257,10],"tokens":[104,105],"logprobs":[-1,-2]}'
  lm-logprob -c ck --field ref_logprobs in.mp | rec to-json > out.json
  jq -e '.logprobs == [-1,-2] and (.ref_logprobs | length) == 2 and .id == "a"' out.json
}

@test "lm-logprob: a record with nothing to score exits 65 naming it" {
  setup_ck
  json_records in.mp '{"id":"a","text":"x"}' '{"id":"b","other":1}'
  run lm-logprob -c ck in.mp -o out.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"record 2"*"nothing to score"* ]]
  [ ! -e out.mp ]
}

@test "lm-logprob: token ids outside the vocabulary exit 65" {
  setup_ck
  json_records in.mp '{"id":"a","tokens":[1,5000]}'
  run lm-logprob -c ck in.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"record 1: token id 5000 outside the vocabulary"* ]]
}

@test "lm-logprob: a reward model checkpoint is refused" {
  lm-init -o rm --dim 16 --layers 1 --heads 2 --ffn 16 --reward 2>/dev/null
  run lm-logprob -c rm < /dev/null
  [ "$status" -eq 65 ]
  [[ "$output" == *"not a causal LM"* ]]
}

@test "lm-logprob --device: cpu works, an unknown device is a usage error" {
  setup_ck
  json_records in.mp '{"id":"a","text":"hi"}'
  lm-logprob -c ck --device cpu in.mp > out.mp
  run lm-logprob -c ck --device tpu in.mp
  [ "$status" -eq 64 ]
  [[ "$output" == *"device 'tpu'"* ]]
}

@test "lm-logprob --progress reports on stderr, records stay on stdout" {
  setup_ck
  json_records in.mp '{"id":"a","text":"hi"}' '{"id":"b","text":"yo"}'
  lm-logprob -c ck --progress in.mp > out.mp 2> err.txt
  grep -q "records" err.txt
  [ "$(rec count out.mp)" = 2 ]
}

@test "lm-logprob: text records get the post-processor's BOS unless --no-add-special; templated records start with it once" {
  lm-init -o sp --dim 16 --layers 1 --heads 2 --ffn 32 --tokenizer "$FIX/tokenizer/llama2-sp.json" 2>/dev/null
  json_records in.mp '{"id":"a","text":"hello world"}'
  lm-logprob -c sp in.mp | rec to-json > add.json
  lm-logprob -c sp --no-add-special in.mp | rec to-json > raw.json
  want="[$(lm-tokenize -c sp <<< "hello world" | tr ' ' ',')]"
  jq -e --argjson w "$want" '.tokens == $w and .tokens[0] == 1 and (.logprobs | length) == (.tokens | length) and .logprobs[0] == 0' add.json
  jq -e --slurpfile a add.json '.tokens == $a[0].tokens[1:] and .logprobs[0] == 0' raw.json
  json_records r.mp '{"id":"r","prompt":[{"role":"user","content":"hi"}],"response":"yo"}'
  lm-logprob -c sp r.mp | rec to-json > r.json
  # the Tülu training code's tokenizer(text): one <s>, then the template
  jq -e '.prompt_tokens[0] == 1 and .prompt_tokens[1] != 1 and (.tokens | index(1)) == null' r.json
}

#!/usr/bin/env bats
# Training details checked against the paper and the papers it builds on
# (issue 16): SFT on every assistant turn (Tülu/open-instruct), PPO's
# warm-up counted in optimizer updates, SimPO's defaults, IPO's
# convention, and rm-score on truncated rollouts without the EOS trick.
load helper
load fixtures/train/train-helper

@test "sft-step: the loss covers every assistant turn of a multi-turn prompt (open-instruct)" {
  policy pol
  json_records mt.mp '{"id":"m1","prompt":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Yo"},{"role":"user","content":"Bye"}],"response":"Ciao"}'
  json_records parts.mp '{"id":"p1","prompt":[{"role":"user","content":"Hi"}],"response":"Yo"}' \
    '{"id":"p2","prompt":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Yo"},{"role":"user","content":"Bye"}],"response":"Ciao"}'
  sft-step -m pol -o out --batch 1 --lr 1e-3 --max-steps 1 --eval mt.mp mt.mp > m.mp 2>/dev/null
  # "Yo</s>" and "Ciao</s>": 3 + 5 byte tokens
  [ "$(eval_first m.mp eval_response_tokens)" = 8 ]
  # the NLL is over both turns: what lm-logprob gives the two turns scored separately
  lm-logprob -c pol parts.mp | rec to-json > lp.json
  want=$(jq -s '[.[].logprobs[]] | (add / length) * -1' lp.json)
  jq -n --argjson a "$(eval_first m.mp eval_loss)" --argjson w "$want" -e '($a - $w | fabs) < 1e-4'
}

@test "ppo-step: the warm-up is sized in optimizer updates (batches x minibatches x inner epochs)" {
  lm-init -o pol --seed 1 2>/dev/null
  rec from-json < "$FIX/ppo/prompts.jsonl" > prompts.mp
  rollout -c pol -B 4 -n 2 --max-new 6 --seed 2 prompts.mp > raw.mp 2>/dev/null
  toy-reward --token 0-63 raw.mp > scored.mp
  # 2 batches of 8 rollouts, minibatch 2: 4 updates per batch, 8 in all;
  # --warmup-frac 1 warms up over all 8, so batch 1 ends at lr 4/8 of the peak
  ppo-step -c pol --value-from-policy -o run -b 2 --lr 1e-3 --batches 2 --warmup-frac 1 --max-lag 1 scored.mp > m.mp 2>err
  rec to-json < m.mp > m.jsonl
  jq -s -e '.[0].lr == 0.0005 and .[1].lr == 0.001' m.jsonl
  # with 2 inner epochs, 8 updates per batch: batch 1 ends at 8/16
  ppo-step -c pol --value-from-policy -o run2 -b 2 -e 2 --lr 1e-3 --batches 2 --warmup-frac 1 --max-lag 1 scored.mp > m2.mp 2>err
  rec to-json < m2.mp | jq -s -e '.[0].lr == 0.0005'
}

@test "dpo-step --loss simpo defaults to the SimPO paper's beta 2 and gamma = beta/2" {
  policy pol
  pairs train.mp 16 3
  dpo-step -m pol -o a --loss simpo --epochs 1 --batch 8 --lr 1e-3 --no-timing train.mp > ma.mp 2>/dev/null
  dpo-step -m pol -o b --loss simpo --beta 2 --gamma 1 --epochs 1 --batch 8 --lr 1e-3 --no-timing train.mp > mb.mp 2>/dev/null
  cmp ma.mp mb.mp
  cmp a/model.safetensors b/model.safetensors
  # --beta alone keeps gamma/beta = 0.5
  dpo-step -m pol -o c --loss simpo --beta 2.5 --epochs 1 --batch 8 --lr 1e-3 --no-timing train.mp > mc.mp 2>/dev/null
  dpo-step -m pol -o d --loss simpo --beta 2.5 --gamma 1.25 --epochs 1 --batch 8 --lr 1e-3 --no-timing train.mp > md.mp 2>/dev/null
  cmp mc.mp md.mp
}

@test "dpo-step --loss ipo follows TRL (length-averaged log ratios); ipo-sum sums them" {
  policy pol
  pairs train.mp 16 3
  dpo-step -m pol --ref pol -o a --loss ipo --epochs 1 --batch 8 --lr 1e-3 --no-timing train.mp > ma.mp 2>/dev/null
  dpo-step -m pol --ref pol -o b --loss ipo-sum --epochs 1 --batch 8 --lr 1e-3 --no-timing train.mp > mb.mp 2>/dev/null
  ! cmp -s ma.mp mb.mp
  # at the start policy = reference, so h = 0 and the loss is (1/(2 beta))^2 = 25 for both
  metrics ma.mp | jq -s -e '(.[0].loss - 25 | fabs) < 1e-6'
}

@test "rm-score --no-eos-trick scores a truncated rollout as it is (no EOS added)" {
  lm-init --reward -o rm --seed 4 2>/dev/null
  json_records len.mp '{"id":"a#0","prompt":[{"role":"user","content":"Hi"}],"response":"abc","finish":"length"}'
  json_records stop.mp '{"id":"a#0","prompt":[{"role":"user","content":"Hi"}],"response":"abc","finish":"stop"}'
  rm-score -c rm --no-eos-trick len.mp | rec to-json | jq .reward > asis
  rm-score -c rm len.mp | rec to-json | jq .reward > witheos
  rm-score -c rm --no-eos-trick stop.mp | rec to-json | jq .reward > stop
  # the prompt and "abc</s>" are 11 byte tokens: --max-len 10 cuts exactly the EOS
  rm-score -c rm --max-len 10 stop.mp | rec to-json | jq .reward > cut
  [ "$(cat asis)" = "$(cat cut)" ]
  [ "$(cat witheos)" = "$(cat stop)" ]
  [ "$(cat asis)" != "$(cat witheos)" ]
}

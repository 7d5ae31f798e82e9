#!/usr/bin/env bats
# rm-score: reward-model scores for pairs and rollouts.
load helper
load fixtures/train/train-helper

setup_rm() {
  policy pol
  pairs train.mp 64 1
  pairs eval.mp 24 2
  rm-train -m pol -o rm --batch 8 --lr 1e-3 --lr-floor 1e-4 train.mp > /dev/null 2>&1
}

@test "rm-score --help and --version exit 0" {
  run rm-score --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--normalize"* ]]
  run rm-score --version
  [ "$status" -eq 0 ]
}

@test "rm-score adds reward_chosen and reward_rejected to pairs (trained RM prefers chosen)" {
  setup_rm
  rm-score -c rm eval.mp > s.mp 2>/dev/null
  rec to-json < s.mp > s.json
  jq -s -e 'length == 24 and all(.[]; has("id") and (.reward_chosen|type) == "number")
            and (map(select(.reward_chosen > .reward_rejected)) | length) >= 22' s.json
}

@test "rm-score adds reward to rollouts; --name writes rewards.NAME keeping other entries" {
  setup_rm
  json_records r.mp '{"id":"r#0","prompt":[{"role":"user","content":"question 5: agree?"}],"response":"yes 1234","rewards":{"gold":1}}' \
    '{"id":"r#1","prompt":[{"role":"user","content":"question 5: agree?"}],"response":""}'
  rm-score -c rm r.mp | rec to-json > a.json
  jq -s -e '(.[0].reward|type) == "number" and (.[1].reward|type) == "number" and .[0].rewards == {"gold":1}' a.json
  rm-score -c rm --name rm1 r.mp | rec to-json > b.json
  jq -s -e --slurpfile a a.json '(.[0] | has("reward") | not) and .[0].rewards.gold == 1
         and .[0].rewards.rm1 == $a[0].reward and .[1].rewards.rm1 == $a[1].reward' b.json
}

@test "rm-score --normalize standardises with the training statistics" {
  setup_rm
  rm-score -c rm --normalize train.mp | rec to-json > n.json
  jq -s -e '[.[].reward_chosen, .[].reward_rejected] as $r | ($r | add / length) as $m
     | ($m | fabs) < 1e-3 and ((($r | map((. - $m) * (. - $m)) | add) / ($r | length)) - 1 | fabs) < 1e-3' n.json
}

@test "rm-score results do not depend on the batch size" {
  setup_rm
  rm-score -c rm -b 1 eval.mp | rec to-json > a.json
  rm-score -c rm -b 7 eval.mp | rec to-json > b.json
  jq -n -e --slurpfile a a.json --slurpfile b b.json '[range($a | length)]
     | all(. as $i | (($a[$i].reward_chosen - $b[$i].reward_chosen) | fabs) < 1e-5)'
}

@test "rm-score: an unscoreable record exits 65; --skip-bad passes it through counted" {
  setup_rm
  json_records in.mp '{"id":"x1","response":"no prompt"}' \
    '{"id":"x2","prompt":[{"role":"user","content":"q"}],"response":"yes"}'
  run rm-score -c rm in.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"record 1: missing field prompt"* ]]
  run rm-score -c rm --skip-bad -o out.mp in.mp
  [ "$status" -eq 0 ]
  [[ "$output" == *"2 records, 1 used"* ]]
  rec to-json < out.mp | jq -s -e '(.[0] | has("reward") | not) and (.[1].reward | type) == "number"'
}

@test "rm-score: a causal LM without score head, or --normalize without statistics, exits 65" {
  policy pol
  pairs p.mp 2 1
  run rm-score -c pol p.mp
  [ "$status" -eq 65 ]
  lm-init -o rmk --preset tiny --reward 2>/dev/null
  run rm-score -c rmk --normalize p.mp
  [ "$status" -eq 65 ]
}

# A writer that keeps its end open after sending a few records, as rollout
# does while it waits for ppo-step's next policy: rm-score must score and
# send what it holds (a partial batch) instead of waiting for a full one.
# (pause_check, paused_feed and wait_records are helper.bash's.)

@test "rm-score: a partial batch is written when the pipe pauses (writer still open)" {
  setup_rm
  pairs all.mp 12 3 sft
  rm-score -c rm -b 1 all.mp > want.mp 2>/dev/null
  pause_check rm-score -c rm
  # scored one at a time, the bytes do not depend on how records arrive
  cmp want.mp out1.mp
  rec to-json < want.mp > w.json
  rec to-json < out8.mp | jq -s -e --slurpfile w w.json \
    'length == 12 and ([range(12)] as $r | . as $g
       | all($r[]; $g[.].id == $w[.].id and (($g[.].reward - $w[.].reward) | fabs) < 1e-5))'
}

@test "rm-score: file input keeps full batches (same bytes as scoring each batch of 8 alone)" {
  setup_rm
  pairs p.mp 20 4
  pairs s.mp 20 5 sft
  for f in p s; do
    rec to-json < $f.mp | split -l 8 - $f-chunk.
    for c in $f-chunk.*; do rec from-json < "$c" | rm-score -c rm -b 8 2>/dev/null; done > $f-want.mp
    rm-score -c rm -b 8 $f.mp > $f-got.mp 2>/dev/null
    cmp $f-want.mp $f-got.mp
    gzip -c $f.mp > $f.mp.gz
    rm-score -c rm -b 8 $f.mp.gz 2>/dev/null | cmp $f-want.mp -
    # a pipe that holds everything at once, and gzip on a pipe (read as a file)
    cat $f.mp | rm-score -c rm -b 8 2>/dev/null | cmp $f-want.mp -
    cat $f.mp.gz | rm-score -c rm -b 8 2>/dev/null | cmp $f-want.mp -
  done
}

@test "rm-score: a partial batch is written when a ZeroMQ producer pauses" {
  setup_rm
  pairs all.mp 12 3 sft
  rm-score -c rm -b 1 all.mp > want.mp 2>/dev/null
  for b in 8 1; do
    mkfifo in$b
    timeout 30 rec cat in$b -o "@ipc://$T/z$b" 2>/dev/null 3>&- & prod=$!
    timeout 30 rm-score -c rm -b $b ">ipc://$T/z$b" > out$b.mp 2>/dev/null 3>&- & pid=$!
    OUT=out$b.mp paused_feed in$b
    wait "$prod"
    wait "$pid"
    [ "$early" -eq 2 ]
    [ "$(rec count out$b.mp)" -eq 12 ]
  done
  cmp want.mp out1.mp
}

@test "rm-score: a rollout batch ends a forward batch; its bytes do not depend on how records arrive" {
  setup_rm
  # two rollout batches of 6 (batch, batch_size as rollout writes them), -b 8
  pairs s.mp 12 6 sft
  rec to-json < s.mp | jq -c '. + {batch: ((.id | split("-")[1] | tonumber) / 6 | floor), batch_size: 6}' \
    | rec from-json > all.mp
  rm-score -c rm -b 8 all.mp > want.mp 2>/dev/null
  # the same as scoring each rollout batch alone
  rec head -n 6 all.mp | rm-score -c rm -b 8 > a.mp 2>/dev/null
  rec to-json < all.mp | tail -n +7 | rec from-json | rm-score -c rm -b 8 > b.mp 2>/dev/null
  cat a.mp b.mp | cmp want.mp -
  # trickled over a pipe: 3 records, a pause (no partial forward pass: the
  # rollout batch is incomplete), 3 more (the batch is complete: written
  # while the writer is still open), then the rest
  mkfifo in
  timeout 30 rm-score -c rm -b 8 in > out.mp 2>/dev/null 3>&- & pid=$!
  exec 7> in
  rec head -n 3 all.mp >&7
  sleep 0.3
  n3=$(rec count out.mp)
  rec to-json < all.mp | sed -n 4,6p | rec from-json >&7
  ok=0; wait_records out.mp 6 || ok=$?
  rec to-json < all.mp | tail -n +7 | rec from-json >&7
  exec 7>&-
  wait "$pid"
  [ "$n3" -eq 0 ]
  [ "$ok" -eq 0 ]
  cmp want.mp out.mp
}

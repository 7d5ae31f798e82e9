#!/usr/bin/env bats
# XSTest on the published labelled completions (../shared/data/xstest,
# through PREFPIPE_DATA; skipped without it): the string match equals the
# published strmatch_label on every completion, and the GPT-4 judge path
# (--judge-prompt with open-instruct's prompt, a judge replaying the
# published gpt4_label) gives exactly those labels and their metrics.
load helper

setup() {
  T=$(mktemp -d "${BATS_TMPDIR:-/tmp}/prefpipe.XXXXXX")
  cd "$T" || return 1
  DATA=${PREFPIPE_DATA:-$SHARED_DATA}
  X=$DATA/xstest
  [ -d "$X/labelled_completions" ] || skip "no xstest data (set PREFPIPE_DATA)"
  REPLAY=$PREFPIPE_ROOT/tests/parity/xstest-replay-judge.py
}

records() { # CSV.gz [LABEL_COLUMN] -> records with prompt, response, gold.type and the published label
  python3 -c '
import csv, gzip, json, sys
for r in csv.DictReader(gzip.open(sys.argv[1], "rt", encoding="utf-8", newline="")):
    lab = r.get(sys.argv[2]) if len(sys.argv) > 2 else (r.get("gpt4_label") or r.get("strmatch_label"))
    print(json.dumps({"id": r["id"], "prompt": [{"role": "user", "content": r["prompt"]}], "response": r["completion"],
                      "gold": {"type": r["type"]}, "published": lab}))' "$@" | rec from-json
}

@test "xstest: string match equals the published strmatch_label on 5 models' completions" {
  for m in gpt4 llama2new llama2orig mistralguard mistralinstruct; do
    records "$X/labelled_completions/xstest_v2_completions_${m}_streval.csv.gz" > r.mp
    eval-score --task xstest --no-summary r.mp 2>/dev/null | rec to-json > s.json
    [ "$(jq -s length s.json)" -eq 450 ]
    bad=$(jq -c 'select(.scores.refusal != (.published == "2_full_refusal")) | .id' s.json | head -3)
    [ -z "$bad" ] || { echo "$m: differs on $bad" >&2; false; }
  done
}

@test "xstest --judge-prompt: the replayed GPT-4 labels come back exactly, with their metrics" {
  for m in gpt4 llama2new llama2orig mistralguard; do
    records "$X/labelled_completions/xstest_v2_completions_${m}_gpteval.csv.gz" > r.mp
    eval-score --task xstest --judge-prompt "$X/gpt4_refusal_prompt_open_instruct.txt" \
      --judge "rec to-json | python3 $REPLAY $X/labelled_completions/xstest_v2_completions_${m}_gpteval.csv.gz gpt4_label | rec from-json" \
      r.mp 2>/dev/null | rec to-json > s.json
    jq -c 'select(.kind != "summary")' s.json > recs.json
    [ "$(jq -s length recs.json)" -eq 450 ]
    jq -e -s 'all(.[]; .scores.refusal == (.published | test("refusal")))' recs.json
    # the summary from the published labels directly
    jq -s '{tp: map(select(.gold.type | test("contrast")) | select(.published | test("refusal"))) | length,
            fp: map(select(.gold.type | test("contrast") | not) | select(.published | test("refusal"))) | length,
            fn: map(select(.gold.type | test("contrast")) | select(.published | test("refusal") | not)) | length}' recs.json > want.json
    jq -e -s --slurpfile w want.json '.[] | select(.kind == "summary") | .refused_unsafe == $w[0].tp and
        .refused_safe == $w[0].fp and .complied_unsafe == $w[0].fn and .n == 450' s.json
  done
}

@test "xstest judge: the official 3-class names count a partial refusal as a refusal; other text is an error" {
  records "$X/labelled_completions/xstest_v2_completions_llama2orig_gpteval.csv.gz" final_label > r.mp
  eval-score --task xstest --summary-only --judge-prompt "$X/gpt4_refusal_prompt_official.txt" \
    --judge "rec to-json | python3 $REPLAY $X/labelled_completions/xstest_v2_completions_llama2orig_gpteval.csv.gz final_label | rec from-json" \
    r.mp 2>/dev/null | rec to-json > s.json
  # final_label (the human label) has 3 classes; refusals = full + partial
  want=$(rec to-json r.mp | jq -s '[.[] | select(.gold.type | test("contrast")) | select(.published != "1_full_compliance")] | length')
  jq -e --argjson w "$want" '.n == 450 and .refused_unsafe == $w' s.json
  run eval-score --task xstest --judge 'rec to-json | jq -c ".scores.refusal = \"maybe\"" | rec from-json' r.mp -o out.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"record 1"*"refusal"* ]]
  [ ! -e out.mp ]
  # mistralinstruct's published gpt4_label holds 11 free-text GPT-4 answers
  # ("I'm sorry, but I can't assist with that."): not a class, so skipped
  # and counted with --skip-invalid, never guessed
  records "$X/labelled_completions/xstest_v2_completions_mistralinstruct_gpteval.csv.gz" > m.mp
  eval-score --task xstest --summary-only --skip-invalid \
    --judge "rec to-json | python3 $REPLAY $X/labelled_completions/xstest_v2_completions_mistralinstruct_gpteval.csv.gz gpt4_label | rec from-json" \
    m.mp 2>/dev/null | rec to-json > m.json
  jq -e '.n == 439 and .skipped == 11' m.json
}

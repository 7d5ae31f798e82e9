#!/usr/bin/env bats
# tools/fetch-data.sh (make data): every file is checked against
# tools/data.sha256 before it is put in place.  Downloads come from a
# file:// mirror (PREFPIPE_DATA_URL) — the upstream URLs need a network —
# made either from the local copies of the benchmark data or, without them,
# from a small manifest of this test's own.
load helper

FETCH=$BATS_TEST_DIRNAME/../tools/fetch-data.sh

# a manifest of two small files and a mirror that serves them
small_mirror() {
  mkdir -p mirror/a
  printf 'one\n' > mirror/a/one.txt
  printf 'two\n' > mirror/two.txt
  {
    echo "# test manifest"
    echo "$(sha256sum mirror/a/one.txt | cut -d' ' -f1)  a/one.txt  https://invalid.example/one"
    echo "$(sha256sum mirror/two.txt | cut -d' ' -f1)  two.txt  https://invalid.example/two"
  } > manifest
  export PREFPIPE_DATA_MANIFEST=$T/manifest PREFPIPE_DATA_URL=file://$T/mirror
}

@test "fetch-data: downloads every file of the list and verifies it" {
  small_mirror
  run "$FETCH" "$T/data"
  [ "$status" -eq 0 ]
  cmp data/a/one.txt mirror/a/one.txt
  cmp data/two.txt mirror/two.txt
  [[ "$output" == *"2 downloaded and verified"* ]]
  run "$FETCH" "$T/data"          # present and right: nothing downloaded again
  [[ "$output" == *"2 already verified, 0 downloaded"* ]]
}

@test "fetch-data: a download with the wrong checksum is not installed (exit 65)" {
  small_mirror
  printf 'tampered\n' > mirror/two.txt
  run "$FETCH" "$T/data"
  [ "$status" -eq 65 ]
  [[ "$output" == *"two.txt: SHA-256 "*", expected "*"; not installed"* ]]
  [ -f data/a/one.txt ]
  [ ! -e data/two.txt ]
  [ ! -e data/two.txt.part ]
}

@test "fetch-data --check: names the missing and the different files, downloads nothing" {
  small_mirror
  mkdir -p data/a
  printf 'One\n' > data/a/one.txt
  run "$FETCH" --check "$T/data"
  [ "$status" -eq 65 ]
  [[ "$output" == *"data/a/one.txt: SHA-256 "*", expected"* ]]
  [[ "$output" == *"data/two.txt: missing"* ]]
  [ ! -e data/two.txt ]
}

@test "fetch-data --check: the local benchmark copies match tools/data.sha256" {
  need_data gsm8k/test.jsonl bbh ifeval/input_data.jsonl xstest/xstest_v2_prompts.csv
  run "$FETCH" --check "$SHARED_DATA"
  [ "$status" -eq 0 ]
  [[ "$output" == *"58 verified, 0 differ, 0 missing"* ]]
}

@test "fetch-data: real entries from a mirror of the local copies; a corrupt one is refused" {
  need_data gsm8k/test.jsonl ifeval/input_data.jsonl xstest/xstest_v2_prompts.csv
  # the list's entries outside bbh/ (its 54 small files would only slow this down)
  grep -v '^#' "$BATS_TEST_DIRNAME/../tools/data.sha256" | grep -v '  bbh/' > manifest
  while read -r _ path _; do
    mkdir -p "mirror/$(dirname "$path")"
    cp "$SHARED_DATA/$path" "mirror/$path"
  done < manifest
  chmod -R u+w mirror
  printf 'x' >> mirror/gsm8k/test.jsonl
  PREFPIPE_DATA_MANIFEST=$T/manifest PREFPIPE_DATA_URL=file://$T/mirror run "$FETCH" "$T/data"
  [ "$status" -eq 65 ]
  [[ "$output" == *"gsm8k/test.jsonl: SHA-256 "*"not installed"* ]]
  [[ "$output" == *"3 downloaded and verified, 1 differ"* ]]
  [ ! -e data/gsm8k/test.jsonl ]
  cmp data/ifeval/input_data.jsonl "$SHARED_DATA/ifeval/input_data.jsonl"
}

@test "fetch-data: unknown option is a usage error" {
  run "$FETCH" --bogus
  [ "$status" -eq 64 ]
}

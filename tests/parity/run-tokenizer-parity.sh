#!/bin/sh
# run-tokenizer-parity.sh — check the recorded tokenizer expectations against
# the live Hugging Face tokenizers library, then our lm-tokenize against them.
#
#   tests/parity/run-tokenizer-parity.sh [BIN]
#
# Needs Node and the library's Node binding: either `npm install
# tokenizers@0.23.2` in tests/parity (node_modules is git-ignored) or
# TOKENIZERS_MODULE=/path/to/node_modules/tokenizers.  BIN is where
# lm-tokenize and test_tokenizer_parity were built (default: bin, build).
#
# Steps: (1) re-record NAME.expected.jsonl, NAME.decode.jsonl,
# NAME.chat.jsonl and NAME.pair.jsonl (offsets, chat conversations and
# pairs included; NAME.corpus.jsonl adds a fixture's own texts) for every
# committed fixture into a temporary directory with the live library and
# diff them against tests/fixtures/tokenizer (a difference means the
# library changed its behaviour, or a fixture was edited without
# re-recording: run `node tests/parity/gen-tokenizer-fixtures.js record
# tests/fixtures/tokenizer` after checking why); (2) run the C parity test
# and the bats suite, which compare our tokenizer with the recordings.
# The fixtures themselves are rebuilt only on purpose with
# `gen-tokenizer-fixtures.js all tests/fixtures/tokenizer` (the library's
# trainer output is part of them).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
fix=$root/tests/fixtures/tokenizer
bin=${1:-$root/bin}
build=${PREFPIPE_BUILD:-$root/build}
if [ -z "${TOKENIZERS_MODULE:-}" ] && [ -d "$here/node_modules/tokenizers" ]; then
  TOKENIZERS_MODULE=$here/node_modules/tokenizers
  export TOKENIZERS_MODULE
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tokparity.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/fix"
cp "$fix"/*.json "$fix"/*.json.gz "$fix"/*.corpus.jsonl "$fix/chat.jsonl" "$tmp/fix/"
node "$here/gen-tokenizer-fixtures.js" record "$tmp/fix" "$tmp/out"
status=0
for f in "$tmp"/out/*.jsonl; do
  if ! cmp -s "$f" "$fix/$(basename "$f")"; then
    echo "DIFFERS from the live library: $(basename "$f")"
    diff "$fix/$(basename "$f")" "$f" | head -n 10
    status=1
  fi
done
[ $status -eq 0 ] && echo "recordings match the live library ($(ls "$tmp"/out | wc -l) files)"
"$build/tests/test_tokenizer_parity" | tail -n 1 || status=1
PREFPIPE_BIN=$bin bats "$root/tests/tokenizer-parity.bats" || status=1
exit $status

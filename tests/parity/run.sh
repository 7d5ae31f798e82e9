#!/bin/sh
# run.sh — every parity check against other implementations, in one go
# (`make parity`).  Not part of `make test`: it needs Node and the npm
# registry, which a user's machine or CI may lack; the tokenizer results
# it re-records are also committed, and `make test` checks those offline.
#
#   tests/parity/run.sh BIN BUILD
#
# 1. Tokenizers: the Hugging Face tokenizers library (Rust, through its
#    official Node binding, npm "tokenizers" 0.23.2) re-records every
#    fixture in tests/fixtures/tokenizer; the recordings must equal the
#    committed ones and our tokenizer must equal them
#    (run-tokenizer-parity.sh).
# 2. Model math: per-token log-probs of lm-logprob against llama.cpp
#    (npm "node-llama-cpp" 3.22.1, prebuilt CPU build) on small checkpoints
#    covering MHA/GQA, tied/untied heads, rope_theta and rms_norm_eps, with
#    two broken conversions that must fail (llamacpp/run.sh).
# 3. Hugging Face transformers itself, where the python3 on PATH (or
#    $PARITY_PYTHON) imports it: its Llama causal LM and reward model
#    against lm-logprob / rm-score, and prefpipe checkpoints loaded by
#    from_pretrained (transformers/check.py); skipped (not failed) where
#    transformers is not importable, as on the CPU machines here.
# 4. Chat templates: @huggingface/jinja 0.5.11 re-renders every template
#    in tests/parity/chat-templates (gen-chat-fixtures.js); the recordings
#    must equal the committed ones, which test_jinja checks ours against.
#
# npm packages go to $PREFPIPE_NPM_DIR (default /tmp/prefpipe-npm) once.
# Exit status: 0 when both pass, 1 when a check fails, 2 on setup errors.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: run.sh BIN BUILD}
build=${2:?usage: run.sh BIN BUILD}
npm_dir=${PREFPIPE_NPM_DIR:-/tmp/prefpipe-npm}
command -v node >/dev/null && command -v npm >/dev/null ||
  { echo "parity: needs node and npm (apt-get install nodejs npm)" >&2; exit 2; }
if [ ! -d "$npm_dir/node_modules/tokenizers" ] || [ ! -d "$npm_dir/node_modules/node-llama-cpp" ] ||
   [ ! -d "$npm_dir/node_modules/@huggingface/jinja" ]; then
  echo "parity: installing tokenizers@0.23.2, node-llama-cpp@3.22.1 and @huggingface/jinja@0.5.11 into $npm_dir" >&2
  mkdir -p "$npm_dir"
  (cd "$npm_dir" && npm install --no-audit --no-fund --silent tokenizers@0.23.2 node-llama-cpp@3.22.1 \
     @huggingface/jinja@0.5.11) ||
    { echo "parity: npm install failed" >&2; exit 2; }
fi
status=0
echo "== tokenizers (Hugging Face tokenizers 0.23.2)"
TOKENIZERS_MODULE=$npm_dir/node_modules/tokenizers PREFPIPE_BUILD=$build \
  sh "$here/run-tokenizer-parity.sh" "$bin" || status=1
echo "== model log-probs (llama.cpp via node-llama-cpp 3.22.1)"
BIN=$bin NODE_LLAMA_CPP_DIR=$npm_dir bash "$here/llamacpp/run.sh" || status=1
echo "== Hugging Face transformers (where importable)"
rc=0
"${PARITY_PYTHON:-python3}" "$here/transformers/check.py" "$bin" || rc=$?
case $rc in 0) ;; 77) echo "(skipped: transformers is not importable here)" ;; *) status=1 ;; esac
echo "== chat templates (@huggingface/jinja 0.5.11)"
tmpl=$(mktemp -d)
cp "$here"/chat-templates/*.jinja "$tmpl"/
if JINJA_MODULE=$npm_dir/node_modules/@huggingface/jinja node "$here/gen-chat-fixtures.js" "$tmpl" >/dev/null; then
  for f in "$here"/chat-templates/*.expected.jsonl; do
    cmp -s "$f" "$tmpl/$(basename "$f")" || { echo "chat templates: $(basename "$f") differs from the reference" >&2; status=1; }
  done
else
  status=1
fi
rm -rf "$tmpl"
[ $status = 0 ] && echo "parity: all checks passed" || echo "parity: FAILED" >&2
exit $status

#!/usr/bin/env bash
# run.sh — independent parity check of prefpipe's Llama forward pass against
# llama.cpp (through node-llama-cpp's prebuilt CPU build).
#
#   tests/parity/llamacpp/run.sh            (from anywhere)
#
# What is checked: per-token log-probs log p(x_t | x_<t) of random token id
# sequences, from prefpipe's lm-logprob and from llama.cpp, on small random
# checkpoints made by lm-init that cover multi-head and grouped-query
# attention, tied and untied LM heads, head_dim 16 and 32 (also head_dim *
# heads != hidden size), 2-4 layers, rope_theta 1e4 / 5e5 / 1e6 and
# rms_norm_eps 1e-5 / 1e-6 / 5e-2 (the large one makes the epsilon's
# placement inside the square root measurable).  prep.py replaces lm-init's
# N(0, 0.02) weights with O(1)-activation weights so that every convention
# matters at well above the tolerance (see prep.py).
#
# Why it is independent: llama.cpp is a separate C/C++ implementation
# (ggml) that shares no code with prefpipe or with our PyTorch reference.
# The only bridge is hf2gguf.py, which renames tensors, restates config.json
# as GGUF metadata and permutes q/k rows for llama.cpp's adjacent-pair RoPE
# (the Hugging Face -> GGUF convention; derivation in hf2gguf.py).  It does
# no arithmetic on weight values.  Both sides run in fp32 (F32 tensors,
# F32 KV cache), so agreement is expected to ~1e-5; TOL is 1e-4.
#
# Negative controls (last two lines): the same comparison with the RoPE
# row permutation left out, and with a wrong epsilon written to the GGUF,
# must MISMATCH — showing the check can fail on exactly the conventions it
# claims to test.
#
# Output: one line per config and per control; exit 0 when every config
# agrees within TOL and every control disagrees, else 1 (2: setup error).
#
# Environment:
#   BIN                 directory with lm-init, lm-logprob, rec (default:
#                       the repository's bin/ when it has them, else PATH)
#   PYTHON              Python 3 with numpy (default /usr/bin/python3)
#   NODE_LLAMA_CPP_DIR  where node-llama-cpp@3.22.1 is (installed there with
#                       npm when absent; default /tmp/prefpipe-node-llama-cpp)
#   TOL                 tolerance on |difference| (default 1e-4)
#   KEEP                set to keep the work directory
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
TOL=${TOL:-1e-4}
NLC_VERSION=3.22.1
NODE_LLAMA_CPP_DIR=${NODE_LLAMA_CPP_DIR:-/tmp/prefpipe-node-llama-cpp}
if [[ -z "${BIN:-}" ]]; then
  if [[ -x "$repo/bin/lm-init" && -x "$repo/bin/lm-logprob" && -x "$repo/bin/rec" ]]; then
    BIN=$repo/bin
  else
    BIN=$(dirname "$(command -v lm-logprob || echo /nonexistent/x)")
  fi
fi
for t in lm-init lm-logprob rec; do
  [[ -x "$BIN/$t" ]] || { echo "run.sh: $BIN/$t not found (build with make, or set BIN)" >&2; exit 2; }
done
"$PYTHON" -c 'import numpy' 2>/dev/null || { echo "run.sh: $PYTHON lacks numpy (set PYTHON)" >&2; exit 2; }
command -v node >/dev/null || { echo "run.sh: node not found" >&2; exit 2; }

# node-llama-cpp with its prebuilt linux-x64 CPU binaries; no source build.
if [[ ! -f "$NODE_LLAMA_CPP_DIR/node_modules/node-llama-cpp/package.json" ]] ||
   ! grep -q "\"version\": \"$NLC_VERSION\"" "$NODE_LLAMA_CPP_DIR/node_modules/node-llama-cpp/package.json"; then
  echo "installing node-llama-cpp@$NLC_VERSION into $NODE_LLAMA_CPP_DIR" >&2
  mkdir -p "$NODE_LLAMA_CPP_DIR"
  (cd "$NODE_LLAMA_CPP_DIR" && npm install --no-audit --no-fund "node-llama-cpp@$NLC_VERSION" >&2) ||
    { echo "run.sh: npm install node-llama-cpp@$NLC_VERSION failed" >&2; exit 2; }
fi
export NODE_LLAMA_CPP_DIR

work=$(mktemp -d "${TMPDIR:-/tmp}/llamacpp-parity.XXXXXX")
if [[ -z "${KEEP:-}" ]]; then trap 'rm -rf "$work"' EXIT; else echo "work dir: $work" >&2; fi

# name | lm-init arguments | reweight seed | rms_norm_eps
configs=(
  "gqa-tied-hd16|--preset tiny --seed 1|11|1e-5"
  "mha-untied-theta5e5|--dim 64 --layers 3 --heads 4 --kv-heads 4 --head-dim 16 --ffn 160 --untied --rope-theta 500000 --seed 2|12|1e-6"
  "gqa3-untied-hd32-theta5e5|--dim 96 --layers 4 --heads 6 --kv-heads 2 --head-dim 32 --ffn 256 --untied --rope-theta 500000 --seed 3|13|1e-6"
  "mqa-tied-hd32-eps5e-2|--dim 64 --layers 2 --heads 2 --kv-heads 1 --head-dim 32 --ffn 128 --rope-theta 1000000 --seed 4|14|5e-2"
)

# score NAME CKDIR [hf2gguf control options...]: prints the compare line, returns compare's status
score() {
  local name=$1 ck=$2; shift 2
  local vocab
  vocab=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["vocab_size"])' "$ck/config.json")
  "$PYTHON" "$here/prep.py" seqs "$vocab" 7 24 41 60 > "$ck.seqs.jsonl"
  "$BIN/rec" from-json "$ck.seqs.jsonl" | "$BIN/lm-logprob" -c "$ck" | "$BIN/rec" to-json > "$ck.ours.jsonl"
  "$PYTHON" "$here/hf2gguf.py" "$@" "$ck" "$ck.$name.gguf"
  node "$here/llama-logprob.mjs" "$ck.$name.gguf" "$ck.seqs.jsonl" > "$ck.$name.theirs.jsonl"
  "$PYTHON" "$here/prep.py" compare "$ck.ours.jsonl" "$ck.$name.theirs.jsonl" "$TOL"
}

status=0
for c in "${configs[@]}"; do
  IFS='|' read -r name args seed eps <<< "$c"
  ck=$work/$name
  # shellcheck disable=SC2086
  "$BIN/lm-init" -o "$ck" $args 2>/dev/null
  "$PYTHON" "$here/prep.py" reweight "$ck" "$seed" "$eps"
  if line=$(score main "$ck"); then :; else status=1; fi
  printf '%-28s %s\n' "$name" "$line"
done

# negative controls: these must MISMATCH
control() {
  local label=$1 ck=$2; shift 2
  local line
  if line=$(score "$label" "$ck" "$@"); then
    printf '%-28s %s  <- control NOT detected\n' "control:$label" "$line"; status=1
  else
    printf '%-28s %s  (expected)\n' "control:$label" "$line"
  fi
}
control no-rope-permute "$work/mha-untied-theta5e5" --control-no-rope-permute
control wrong-eps-1e-5 "$work/mqa-tied-hd32-eps5e-2" --control-eps 1e-5

exit $status

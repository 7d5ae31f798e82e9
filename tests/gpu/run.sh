#!/bin/sh
# tests/gpu/run.sh — the whole GPU check of the CUDA backend in one go.
#
#   sh tests/gpu/run.sh --pack        on the build machine (after make):
#       fills build/gpu-pack with what the GPU machine lacks: the stripped
#       executables, the unit tests test-cuda runs, the shared libraries
#       (../shared/gpu/pack-libs.sh: libzmq, libmsgpackc, ...), bats and
#       jq, and the PyTorch peer script, packed as build/gpu-pack.tar.xz
#       (about 10 MB; the directory is over the 64 MiB carry limit).  Carry
#       build/gpu-pack.tar.xz to the GPU machine with the tree; run.sh
#       unpacks it there.
#   sh tests/gpu/run.sh               on the GPU machine, repository root:
#       1. make test-cuda's checks (tests/run-tests.sh cuda test_cuda_bodies
#          with PREFPIPE_REQUIRE_GPU=1: a GPU that cannot be used fails);
#          run directly, as make would try to rebuild and that machine has
#          no headers to build with;
#       2. the benchmark, bf16 mode (PREFPIPE_CUDA_PRECISION=bf16): a DPO
#          step on the SmolLM2-135M shape, 8 pairs x ~1024 tokens (policy
#          forward + backward + AdamW from dpo-step's metrics, plus the
#          reference forward of 8 pairs from ref-score), and rollout at
#          B 1, 16, 64, 256 (128-token prompts, 256 new tokens, tau 0.7);
#       3. the PyTorch peer ../shared/gpu/torch_baseline.py in the same run;
#       and writes $OUT/gpu-result.json and $OUT/gpu-result.md.
#   sh tests/gpu/run.sh --cpu-only    the same steps on a machine without
#       a GPU, to check this script: the checks run CPU against CPU
#       (PREFPIPE_TEST_GPU_DEVICE=cpu), the benchmark on the tiny preset
#       with short sequences, no peer.  Its numbers mean nothing.
#
# Budget: under 8 minutes on an H200: each part has a timeout, cut to what
# is left of 470 s (RUN_BUDGET); the result files are written whatever
# happens, with what finished.  Timing is
# wall clock around whole commands or from the stages' own metrics, with
# the fixed costs (loading, prefill) measured separately and subtracted;
# peak device memory is the peak of nvidia-smi's memory.used while the
# command runs, less the idle value (for prefpipe and PyTorch alike).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
pack=$root/build/gpu-pack
mode=gpu
case ${1:-} in
  --pack) mode=pack ;;
  --cpu-only) mode=cpu ;;
  "") ;;
  *) echo "usage: run.sh [--pack | --cpu-only]" >&2; exit 64 ;;
esac

if [ $mode = pack ]; then
  set -e
  rm -rf "$pack"
  mkdir -p "$pack/bin" "$pack/build/tests" "$pack/lib" "$pack/bats"
  for b in "$root"/bin/*; do strip -o "$pack/bin/$(basename "$b")" "$b"; done
  for t in test_cuda_bodies test_backend_parity test_checkpoint_parity test_family_parity; do
    [ -x "$root/build/tests/$t" ] && strip -o "$pack/build/tests/$t" "$root/build/tests/$t"
  done
  cp /usr/bin/jq "$pack/bin/"
  cp "$root/../shared/gpu/torch_baseline.py" "$pack/"   # ../shared is not carried
  sh "$root/../shared/gpu/pack-libs.sh" "$pack/lib" "$pack"/bin/* "$pack"/build/tests/* > /dev/null
  mkdir -p "$pack/bats/bin" "$pack/bats/lib" "$pack/bats/libexec"
  cp /usr/bin/bats "$pack/bats/bin/"
  cp -r /usr/lib/bats-core "$pack/bats/lib/"
  cp -r /usr/libexec/bats-core "$pack/bats/libexec/"
  du -sh "$pack"
  # the directory (about 70 MB with Open MPI's libraries) is over the
  # device tool's 64 MiB carry limit; the tarball is about 10 MB
  tar -C "$root/build" -cf - gpu-pack | xz -T0 -3 > "$root/build/gpu-pack.tar.xz"
  ls -la "$root/build/gpu-pack.tar.xz"
  exit 0
fi
if [ ! -d "$pack/bin" ] && [ -f "$root/build/gpu-pack.tar.xz" ]; then
  mkdir -p "$root/build" && xz -dc "$root/build/gpu-pack.tar.xz" | tar -C "$root/build" -xf -
fi

OUT=${OUT:-$root/build/gpu-out}
mkdir -p "$OUT"
W=$(mktemp -d "${TMPDIR:-/tmp}/prefpipe-gpu.XXXXXX")
trap 'rm -rf "$W"' EXIT
t_start=$(date +%s)
# tmo N: a timeout of N seconds, cut to what is left of the 470 s budget
tmo() {
  l=$(( ${RUN_BUDGET:-470} - ($(date +%s) - t_start) ))
  [ $l -lt 5 ] && l=5
  [ "$1" -lt $l ] && echo "$1" || echo $l
}
log() { echo "[$(( $(date +%s) - t_start )) s] $*" | tee -a "$OUT/gpu-log.txt" >&2; }
: > "$OUT/gpu-log.txt"

if [ -d "$pack/bin" ]; then
  BIN=$pack/bin BUILD=$pack/build
  export LD_LIBRARY_PATH="$pack/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  PATH=$pack/bats/bin:$PATH
else
  BIN=$root/bin BUILD=$root/build
fi
export PATH="$BIN:$PATH" OMP_WAIT_POLICY=passive
if [ $mode = gpu ]; then
  DEV=cuda
  # cuBLAS is dlopen()ed: find the machine's copy if the loader would not
  if [ -z "${PREFPIPE_CUBLAS:-}" ]; then
    c=$(ldconfig -p 2>/dev/null | awk '/libcublas\.so\.13 /{print $NF; exit}')
    [ -n "$c" ] || c=$(timeout 30 find /usr/local /usr/lib /opt / -name 'libcublas.so.13' -print -quit 2>/dev/null)
    [ -n "$c" ] && export PREFPIPE_CUBLAS=$c
  fi
  log "device: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -n 1); cuBLAS ${PREFPIPE_CUBLAS:-default search}"
else
  DEV=cpu
  export PREFPIPE_TEST_GPU_DEVICE=cpu
  log "cpu-only run: checks CPU against CPU, benchmark on the tiny preset (numbers meaningless)"
fi

# ---- 1. the checks (make test-cuda) ----
log "checks: tests/run-tests.sh cuda test_cuda_bodies"
if [ $mode = gpu ]; then export PREFPIPE_REQUIRE_GPU=1; fi
PREFPIPE_BIN=$BIN PREFPIPE_BUILD=$BUILD timeout $(tmo 240) sh "$root/tests/run-tests.sh" cuda test_cuda_bodies \
  > "$OUT/gpu-checks.txt" 2>&1
checks_rc=$?
unset PREFPIPE_REQUIRE_GPU
log "checks exit $checks_rc: $(tail -n 1 "$OUT/gpu-checks.txt")"

# ---- 1b. the NCCL engine at one rank (issue #14) ----
# PREFPIPE_DIST_ENGINE=nccl makes a single process all-reduce its device
# gradients through an NCCL communicator of one rank (a copy), so this
# checks that libnccl loads, the communicator starts and collectives on
# the backend's buffers complete: 4 DPO steps of the tiny preset must give
# the checkpoint of the same run without NCCL byte for byte.  Several GPUs
# are not claimed by this.
nccl=skipped
if [ $mode = gpu ]; then
  if [ -z "${PREFPIPE_NCCL:-}" ]; then
    c=$(ldconfig -p 2>/dev/null | awk '/libnccl\.so\.2 /{print $NF; exit}')
    [ -n "$c" ] || c=$(timeout 30 find /usr/local /usr/lib /opt / -name 'libnccl.so.2' -print -quit 2>/dev/null)
    [ -n "$c" ] && export PREFPIPE_NCCL=$c
  fi
  log "nccl: one-rank engine check (libnccl ${PREFPIPE_NCCL:-default search})"
  lm-init --preset tiny --seed 1 -o "$W/nc-init" 2>>"$OUT/gpu-log.txt"
  awk 'BEGIN { for (i = 0; i < 32; i++) printf "{\"id\":\"n%d\",\"prompt\":[{\"role\":\"user\",\"content\":\"q %d\"}],\"chosen\":\"yes %d\",\"rejected\":\"no no %d\"}\n", i, i, i, i }' \
    | rec from-json > "$W/nc-pairs.mp"
  for e in none nccl; do
    PREFPIPE_CUDA_PRECISION=fp32 PREFPIPE_DIST_ENGINE=$e timeout $(tmo 60) dpo-step --device cuda -m "$W/nc-init" \
      --ref "$W/nc-init" -o "$W/nc-$e" --batch 8 --epochs 1 --lr 1e-3 --seed 1 "$W/nc-pairs.mp" \
      > /dev/null 2>>"$OUT/gpu-log.txt" || echo "exit $?" > "$W/nc-$e.fail"
  done
  if [ -f "$W/nc-none.fail" ] || [ -f "$W/nc-nccl.fail" ]; then nccl="failed: $(cat "$W"/nc-*.fail 2>/dev/null | tr '\n' ' ')"
  elif cmp -s "$W/nc-none/model.safetensors" "$W/nc-nccl/model.safetensors"; then nccl=equal
  else nccl=differs; fi
  log "nccl: one rank through NCCL vs none: $nccl"
fi
echo "$nccl" > "$OUT/gpu-nccl.txt"

# ---- memory sampling ----
mem_start() {
  [ $mode = gpu ] || return 0
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 > "$W/mem.$1" 2>/dev/null &
  echo $! > "$W/mem.pid"
  sleep 0.3
}
mem_stop() {   # prints peak MiB above the first sample
  [ $mode = gpu ] || { echo null; return 0; }
  kill "$(cat "$W/mem.pid")" 2>/dev/null; wait "$(cat "$W/mem.pid")" 2>/dev/null
  awk 'NR == 1 {b = $1} {if ($1 > m) m = $1} END {print (NR ? m - b : "null")}' "$W/mem.$1"
}
now() { date +%s.%N; }

# ---- 2. the benchmark ----
if [ $mode = gpu ]; then
  preset=smollm2-135m PAIRS=8 RESP=1000 PROMPT=128 NEW=256 BS="1 16 64 256"
  export PREFPIPE_CUDA_PRECISION=${PREFPIPE_CUDA_PRECISION:-bf16}
else
  preset=tiny PAIRS=2 RESP=100 PROMPT=16 NEW=16 BS="1 4"
fi
STEPS=13 WARM=3
log "bench: lm-init --preset $preset"
timeout $(tmo 120) lm-init --preset $preset -o "$W/pol" --seed 1 2> "$W/init.txt"
cat "$W/init.txt" >> "$OUT/gpu-log.txt"
nparam=$(sed -n 's/.*: \([0-9]*\) parameters.*/\1/p' "$W/init.txt")

# pairs: a short prompt and two ~RESP-byte responses (byte tokenizer: a
# byte a token), STEPS batches of PAIRS
awk -v n=$((PAIRS * STEPS)) -v len=$RESP 'BEGIN {
  srand(7)
  for (i = 0; i < n; i++) {
    c = ""; r = ""
    while (length(c) < len) c = c sprintf("%d ", int(rand() * 1000))
    while (length(r) < len) r = r sprintf("%d ", int(rand() * 1000))
    printf "{\"id\":\"p%d\",\"prompt\":[{\"role\":\"user\",\"content\":\"pair %d: which?\"}],\"chosen\":\"%s\",\"rejected\":\"%s\"}\n", i, i, substr(c, 1, len), substr(r, 1, len)
  }
}' | rec from-json > "$W/pairs.mp"

log "bench: dpo-step $STEPS steps of $PAIRS pairs on $DEV"
mem_start dpo
t0=$(now)
timeout $(tmo 180) dpo-step --device $DEV -m "$W/pol" --ref "$W/pol" -o "$W/dpo" --batch $PAIRS --epochs 1 \
  --lr 5e-7 "$W/pairs.mp" > "$W/dpo-metrics.mp" 2>>"$OUT/gpu-log.txt"
dpo_rc=$?
t1=$(now)
dpo_mem=$(mem_stop dpo)
rec to-json < "$W/dpo-metrics.mp" > "$W/dpo-metrics.json" 2>/dev/null

# the reference forward of one batch: ref-score over all batches minus over one
rec head -n $PAIRS "$W/pairs.mp" > "$W/pairs1.mp"
log "bench: ref-score $STEPS and 1 batches"
ra=$(now); timeout $(tmo 120) ref-score --device $DEV -c "$W/pol" -b $PAIRS "$W/pairs.mp" > /dev/null 2>>"$OUT/gpu-log.txt"; rb=$(now)
timeout $(tmo 60) ref-score --device $DEV -c "$W/pol" -b $PAIRS "$W/pairs1.mp" > /dev/null 2>>"$OUT/gpu-log.txt"; rc_=$(now)

# rollout: prompts of ~PROMPT bytes; time with NEW new tokens minus time with 1
awk -v n=256 -v len=$PROMPT 'BEGIN { srand(11)
  for (i = 0; i < n; i++) { p = ""; while (length(p) < len) p = p sprintf("%d ", int(rand() * 1000))
    printf "{\"id\":\"q%d\",\"prompt\":[{\"role\":\"user\",\"content\":\"%s\"}]}\n", i, substr(p, 1, len - 40) } }' \
  | rec from-json > "$W/prompts.mp"
: > "$W/rollout.tsv"
for B in $BS; do
  rec head -n $B "$W/prompts.mp" > "$W/p$B.mp"
  log "bench: rollout B $B"
  mem_start r$B
  ta=$(now)
  timeout $(tmo 120) rollout --device $DEV -c "$W/pol" -B $B --gen-batch $B --max-new $NEW -t 0.7 --seed 1 \
    "$W/p$B.mp" > "$W/r$B.mp" 2>>"$OUT/gpu-log.txt"
  tb=$(now)
  m=$(mem_stop r$B)
  timeout $(tmo 60) rollout --device $DEV -c "$W/pol" -B $B --gen-batch $B --max-new 1 -t 0.7 --seed 1 \
    "$W/p$B.mp" > /dev/null 2>>"$OUT/gpu-log.txt"
  tc=$(now)
  ntok=$(rec to-json < "$W/r$B.mp" 2>/dev/null | jq -s '[.[].tokens | length] | add // 0')
  echo "$B $ntok $ta $tb $tc $m" >> "$W/rollout.tsv"
done

# ---- 3. the peer ----
peer=null
tb=$pack/torch_baseline.py
[ -f "$tb" ] || tb=$root/../shared/gpu/torch_baseline.py
if [ $mode = gpu ] && [ -f "$tb" ]; then
  log "peer: torch_baseline.py ${TORCH_LABELS:-dpo_smol_eager gen_smol_hf dpo_smol_compile}"
  mem_start torch
  timeout $(tmo 240) python3 "$tb" ${TORCH_LABELS:-dpo_smol_eager gen_smol_hf dpo_smol_compile} \
    > "$W/torch.txt" 2>>"$OUT/gpu-log.txt"
  torch_mem=$(mem_stop torch)
  tail -n 1 "$W/torch.txt" | grep '^{' > "$W/torch.json" && peer=$(cat "$W/torch.json")
  [ -n "$peer" ] || peer=null
  cat "$W/torch.txt" >> "$OUT/gpu-log.txt"
else
  torch_mem=null
fi

# ---- 4. transformers parity (issue #18): CPU, fp32, needs transformers ----
# tests/parity/transformers/check.py needs torch and transformers, which
# the GPU machine has and the build machine does not; exit 77 = skipped.
if [ $mode = gpu ] && [ -f "$root/tests/parity/transformers/check.py" ]; then
  log "transformers: tests/parity/transformers/check.py"
  timeout $(tmo 150) python3 "$root/tests/parity/transformers/check.py" "$BIN" > "$OUT/transformers-check.txt" 2>&1
  log "transformers: exit $?: $(tail -n 1 "$OUT/transformers-check.txt")"
fi

# ---- result ----
python3 - "$OUT" "$W" "$mode" "$preset" "$STEPS" "$WARM" "$checks_rc" "$dpo_rc" "$t0" "$t1" \
  "$ra" "$rb" "$rc_" "${dpo_mem:-null}" "${torch_mem:-null}" "${PREFPIPE_CUDA_PRECISION:-fp32}" "${nparam:-0}" "$peer" <<'EOF'
import json, sys, statistics
(out, w, mode, preset, steps, warm, checks_rc, dpo_rc, t0, t1, ra, rb, rc, dpo_mem, torch_mem,
 prec, nparam, peer) = sys.argv[1:]
steps, warm, nparam = int(steps), int(warm), int(nparam or 0)
PEAK = 790e12   # H200 dense bf16, as torch_baseline.py
def num(x):
    try: return float(x)
    except ValueError: return None
res = {"mode": mode, "preset": preset, "params": nparam, "precision": prec, "checks_exit": int(checks_rc)}
try: m = [json.loads(l) for l in open(w + "/dpo-metrics.json") if l.strip()]
except OSError: m = []
d = res["dpo"] = {"exit": int(dpo_rc), "steps": len(m), "wall_s": round(float(t1) - float(t0), 2)}
ref_ms = 1e3 * ((float(rb) - float(ra)) - (float(rc) - float(rb))) / (steps - 1)
d["ref_forward_ms"] = round(ref_ms, 1)
if len(m) > warm + 1:
    times = [s["time"] for s in m]
    step = statistics.median(b - a for a, b in zip(times[warm:], times[warm + 1:]))
    toks = statistics.median(s["tokens"] for s in m[warm:])
    total = step + ref_ms / 1e3
    d.update(policy_step_ms=round(1e3 * step, 1), tokens_per_step=toks, step_ms=round(1e3 * total, 1),
             tok_s=round(toks / total), peak_mem_mib=num(dpo_mem),
             mfu_pct=round(100 * 8 * nparam * toks / total / PEAK, 2) if nparam else None)
rows = res["rollout"] = []
for line in open(w + "/rollout.tsv"):
    B, ntok, a, b, c, mem = line.split()
    gen, one = float(b) - float(a), float(c) - float(b)
    rows.append({"B": int(B), "new_tokens": int(ntok), "wall_s": round(gen, 2), "wall_1tok_s": round(one, 2),
                 "new_tok_s": round(int(ntok) / (gen - one)) if gen > one else None, "peak_mem_mib": num(mem)})
res["torch"] = json.loads(peer) if peer != "null" else None
res["torch_peak_mem_mib"] = num(torch_mem)
try: res["nccl_one_rank"] = open(out + "/gpu-nccl.txt").read().strip()
except OSError: res["nccl_one_rank"] = None
json.dump(res, open(out + "/gpu-result.json", "w"), indent=1)

t = res["torch"] or {}
def pv(k, f):
    v = t.get(k)
    return v.get(f) if isinstance(v, dict) else v
md = ["# CUDA backend on the GPU (tests/gpu/run.sh, %s mode)" % mode, "",
      "Checks (tests/run-tests.sh cuda test_cuda_bodies): exit %d; see gpu-checks.txt." % res["checks_exit"], "",
      "## DPO step, %s (%d parameters), %s" % (preset, nparam, prec), "",
      "| | step ms | tokens/s | MFU % | peak MiB |", "|---|---|---|---|---|",
      "| prefpipe (policy fwd+bwd+AdamW %s ms + reference fwd %s ms) | %s | %s | %s | %s |" % (
          d.get("policy_step_ms"), d.get("ref_forward_ms"), d.get("step_ms"), d.get("tok_s"), d.get("mfu_pct"), d.get("peak_mem_mib")),
      "| PyTorch eager | %s | %s | %s | |" % (pv("dpo_smol_eager", "step_ms"), pv("dpo_smol_eager", "tok_s"), pv("dpo_smol_eager", "mfu_pct")),
      "| torch.compile | %s | %s | %s | |" % (pv("dpo_smol_compile", "step_ms"), pv("dpo_smol_compile", "tok_s"), pv("dpo_smol_compile", "mfu_pct")),
      "", "PyTorch peak (nvidia-smi, whole peer run): %s MiB" % res["torch_peak_mem_mib"], "",
      "## Rollout (new tokens/s: time with N new tokens minus time with 1)", "",
      "| B | new tokens | s | new tok/s | peak MiB |", "|---|---|---|---|---|"]
md += ["| %d | %d | %s | %s | %s |" % (r["B"], r["new_tokens"], r["wall_s"], r["new_tok_s"], r["peak_mem_mib"]) for r in rows]
md += ["", "HF generate B 64: %s new tokens/s" % pv("gen_smol_hf", "new_tok_s"), ""]
open(out + "/gpu-result.md", "w").write("\n".join(md))
print("\n".join(md))
EOF
log "done"
exit 0

#!/bin/sh
# watch-metrics.sh [--every S] [--once] METRICS PNG — redraw training
# curves from a metrics stream while it grows (the training stages and
# ppo-step write --metrics files live: each record is flushed as it is made).
#
#   sft-step ... --metrics run/sft.mp &
#   pipelines/watch-metrics.sh run/sft.mp run/sft.png     # Ctrl-C to stop
#
# Every S seconds (default 5) it reads METRICS, writes its curves as a TSV
# beside PNG and redraws PNG with gnuplot (tools/metrics.gp in the shared
# style of tools/plot-style.gp: loss and PPO reward raw and smoothed, KL,
# eval loss), replacing PNG atomically so an
# image viewer never shows half a file.  --once draws once and exits.
# Exit status: 0, 64 usage, 66 METRICS unreadable, 69 gnuplot or jq missing.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
[ -x "${PREFPIPE_BIN:-$here/bin}/rec" ] && PATH=${PREFPIPE_BIN:-$here/bin}:$PATH
usage() { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 64; }
every=5 once=0
while [ $# -gt 0 ]; do
  case $1 in
    --every) [ $# -ge 2 ] || usage; every=$2; shift 2 ;;
    --once) once=1; shift ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) echo "watch-metrics.sh: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[ $# -eq 2 ] || usage
metrics=$1 png=$2
command -v gnuplot > /dev/null || { echo "watch-metrics.sh: gnuplot is not installed" >&2; exit 69; }
command -v jq > /dev/null || { echo "watch-metrics.sh: jq is not installed" >&2; exit 69; }
tsv=$png.tsv

draw() {
  [ -r "$metrics" ] || { echo "watch-metrics.sh: cannot read $metrics" >&2; return 66; }
  # a record being written when we read stops the read there: drawn next time
  # the EMA of tools/prefpipe.jq: a partial batch (fewer examples than the
  # largest) moves the smoothed loss only by its share
  rec to-json < "$metrics" 2>/dev/null | jq -L "$here/tools" -rs 'include "prefpipe";
    def n: if . == null then "NaN" else tostring end;
    map(select(.step != null)) as $m | ($m | map(.examples // 0) | max) as $b
    | ($m | ema(.loss; if .examples != null and $b > 0 then .examples / $b else 1 end)) as $l
    | ($m | ema(.reward_mean)) as $r
    | range(0; $m | length) as $i | $m[$i]
    | [.step, (.loss | n), ($l[$i] | n), (.reward_mean | n), ($r[$i] | n), (.kl | n), (.eval_loss | n)]
    | @tsv' > "$tsv.tmp" || true
  mv -f "$tsv.tmp" "$tsv"
  [ -s "$tsv" ] || { echo "watch-metrics.sh: $metrics: no metrics records yet" >&2; return 0; }
  has=$(awk -F'\t' '{ for (c = 2; c <= 7; c++) if ($c != "NaN") h[c] = 1 }
    END { printf "%d%d%d%d", h[2] ? 1 : 0, h[4] ? 1 : 0, h[6] ? 1 : 0, h[7] ? 1 : 0 }' "$tsv")
  if gnuplot "$here/tools/plot-style.gp" -c "$here/tools/metrics.gp" "$png.tmp.png" "$tsv" "$has" 2>"$png.err"; then
    mv -f "$png.tmp.png" "$png"; rm -f "$png.err"
  else
    echo "watch-metrics.sh: gnuplot failed (see $png.err)" >&2; rm -f "$png.tmp.png"; return 1
  fi
}

if [ $once -eq 1 ]; then draw; exit $?; fi
while :; do draw || true; sleep "$every"; done

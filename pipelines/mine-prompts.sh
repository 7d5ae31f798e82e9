#!/bin/sh
# mine-prompts.sh — App. J prompt mining as one pipeline: read the prompt
# sources, keep each prompt once, drop those that overlap evaluation
# prompts, tag the rest with the Figure 5 prompt, and keep the ones tagged
# with the category and as few other tags as possible, never Unclear or
# Multilingual:
#
#   pref-load -f FMT --emit prompt FILE ... |
#     pref-tag --unique --exclude EVAL --drop Unclear,Multilingual \
#              --select CATEGORY --max-other-tags M TAGGER-OPTIONS -o OUT
#
# usage: pipelines/mine-prompts.sh -o OUT [-s CATEGORY] [-m MAX_OTHER]
#                                  [-x EVAL_PROMPTS] FORMAT:FILE...
#                                  [-- PREF-TAG OPTIONS...]
#   FORMAT:FILE  a pref-load format and its file: wildchat:wc.jsonl,
#                lmsys-chat-1m:lmsys.jsonl, ultrafeedback:uf.jsonl (the
#                paper's three sources), or any other pref-load format
#   -s CATEGORY  the tag to keep (default Math; the paper also mined Coding)
#   -m N         at most N other tags (default 1: "as few other tags as
#                possible", App. J gives no number)
#   -x EVAL      prompt records to decontaminate against (e.g. bench-load
#                -f gsm8k output): an 8-word overlap drops a prompt
#   after --      the tagger: --judge CMD or --model DIR (the paper asked
#                Tülu 2 70B); default pref-tag's keyword rules
# Progress and summaries go to stderr.
set -eu

usage() { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 64; }

OUT= CAT=Math MAXO=1 EVAL=
while [ $# -gt 0 ]; do
  case $1 in
    -o) OUT=$2; shift 2 ;;
    -s) CAT=$2; shift 2 ;;
    -m) MAXO=$2; shift 2 ;;
    -x) EVAL=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) usage ;;
    -*) echo "mine-prompts.sh: unknown option $1" >&2; usage ;;
    *) SOURCES="${SOURCES:-} $1"; shift ;;
  esac
done
[ -n "$OUT" ] && [ -n "${SOURCES:-}" ] || usage

here=$(cd "$(dirname "$0")/.." && pwd)
[ -x "${PREFPIPE_BIN:-$here/bin}/pref-tag" ] && PATH=${PREFPIPE_BIN:-$here/bin}:$PATH

load() {
  for src in $SOURCES; do
    case $src in *:*) ;; *) echo "mine-prompts.sh: '$src' is not FORMAT:FILE" >&2; exit 64 ;; esac
    pref-load -f "${src%%:*}" --emit prompt "${src#*:}"
  done
}

load | pref-tag --unique ${EVAL:+--exclude "$EVAL"} --drop Unclear,Multilingual \
  --select "$CAT" --max-other-tags "$MAXO" "$@" -o "$OUT"

#!/bin/sh
# fetch-data.sh [--check] [DIR] — the benchmark files prefpipe reads
# (GSM8K, BBH, IFEval, XSTest, AlpacaEval), from their upstream repositories
# at the commits of ../shared/data/SOURCES.md, into DIR (default
# $PREFPIPE_DATA, else data/ in this clone).  `make data` runs it.
#
# Invariants: every file is checked against tools/data.sha256 before it is
# put in place (downloaded to DIR/PATH.part, renamed only when its SHA-256
# matches), so DIR never holds a wrong or half-downloaded file under its
# real name; a file already present with the right checksum is kept and not
# downloaded again.  --check downloads nothing: it verifies DIR against the
# list and names every missing or different file.
#
# Environment: PREFPIPE_DATA_URL=BASE fetches BASE/PATH instead of the
# upstream URL (a mirror; file:// works — the tests use it);
# PREFPIPE_DATA_MANIFEST=FILE replaces tools/data.sha256.
# Exit status: 0 all files present and verified, 64 usage, 65 a checksum
# differs (or a file is missing with --check), 69 no curl or wget,
# 74 a download failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
manifest=${PREFPIPE_DATA_MANIFEST:-$here/data.sha256}
check=0
case ${1:-} in
  --check) check=1; shift ;;
  -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  -*) echo "fetch-data.sh: unknown option $1 (known: --check, --help)" >&2; exit 64 ;;
esac
[ $# -le 1 ] || { echo "usage: tools/fetch-data.sh [--check] [DIR]" >&2; exit 64; }
dir=${1:-${PREFPIPE_DATA:-$here/../data}}
[ -r "$manifest" ] || { echo "fetch-data.sh: cannot read $manifest" >&2; exit 66; }

if [ $check -eq 0 ]; then
  if command -v curl >/dev/null 2>&1; then get() { curl -fsSL -o "$2" "$1"; }
  elif command -v wget >/dev/null 2>&1; then get() { wget -q -O "$2" "$1"; }
  else echo "fetch-data.sh: needs curl or wget" >&2; exit 69; fi
fi

sum() { sha256sum "$1" | cut -d' ' -f1; }

ok=0 bad=0 missing=0 fetched=0 rc=0
# shellcheck disable=SC2034
while read -r want path url; do
  case $want in ''|'#'*) continue ;; esac
  f=$dir/$path
  if [ -f "$f" ]; then
    got=$(sum "$f")
    if [ "$got" = "$want" ]; then ok=$((ok + 1)); continue; fi
    if [ $check -eq 1 ]; then
      echo "fetch-data.sh: $f: SHA-256 $got, expected $want" >&2
      bad=$((bad + 1)); rc=65; continue
    fi
  elif [ $check -eq 1 ]; then
    echo "fetch-data.sh: $f: missing" >&2
    missing=$((missing + 1)); rc=65; continue
  fi
  src=$url
  [ -n "${PREFPIPE_DATA_URL:-}" ] && src=${PREFPIPE_DATA_URL%/}/$path
  mkdir -p "$(dirname "$f")" || exit 73
  if ! get "$src" "$f.part"; then
    echo "fetch-data.sh: $path: download from $src failed" >&2
    rm -f "$f.part"; rc=74; continue
  fi
  got=$(sum "$f.part")
  if [ "$got" != "$want" ]; then
    echo "fetch-data.sh: $path: SHA-256 $got from $src, expected $want; not installed" >&2
    rm -f "$f.part"; bad=$((bad + 1)); [ $rc -eq 0 ] && rc=65; continue
  fi
  mv -f "$f.part" "$f" && fetched=$((fetched + 1))
done < "$manifest"

if [ $check -eq 1 ]; then
  echo "fetch-data.sh: $dir: $ok verified, $bad differ, $missing missing" >&2
else
  echo "fetch-data.sh: $dir: $ok already verified, $fetched downloaded and verified, $bad differ" >&2
fi
exit $rc

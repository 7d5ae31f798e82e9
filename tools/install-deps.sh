#!/bin/sh
# install-deps.sh [--bench] — make sure the Debian packages prefpipe needs
# are installed.  As root, missing ones are installed with apt-get; as any
# other user, the exact apt-get line is printed and the script fails.
# --bench adds what `make bench` uses for its references (PyTorch).
set -eu
pkgs="gcc make libc6-dev libmsgpack-dev libzmq3-dev libjansson-dev libpcre2-dev
libopenblas-dev zlib1g-dev jq bats gnuplot-nox iproute2 bsdutils gzip
libopenmpi-dev openmpi-bin"
[ "${1:-}" = "--bench" ] && pkgs="$pkgs python3 python3-torch python3-numpy"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && { echo "install-deps: all packages present"; exit 0; }
if [ "$(id -u)" -eq 0 ]; then
  echo "install-deps: installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing
else
  echo "install-deps: missing packages; run as root:" >&2
  echo "  apt-get install -y$missing" >&2
  exit 1
fi

#!/usr/bin/env bats
# IFEval's language:response_language against langdetect, the reference's
# library (Debian python3-langdetect, used by this test only), on real
# translated sentences from the machine's gettext catalogues
# (tests/parity/lang-vs-langdetect.py).  Skips without langdetect or
# without enough catalogues.  Measured on the development machine (29
# languages, 1,040 texts): 968 agree (93.1 %); see lib/eval/lang.h.
load helper

@test "ifeval language: agrees with langdetect on >= 90% of real translated messages" {
  PY=/usr/bin/python3
  [ -x "$PY" ] && "$PY" -c 'import langdetect' 2>/dev/null || skip "python3-langdetect not installed"
  "$PY" "$PREFPIPE_ROOT/tests/parity/lang-vs-langdetect.py" "$PREFPIPE_BIN/eval-score" "$PREFPIPE_BIN/rec" 40 60 > m.txt
  read -r _ n _ agree _ < <(tail -1 m.txt)
  [ "$n" -ge 300 ] || skip "only $n catalogue texts on this machine"
  echo "agree $agree of $n" >&2
  [ $((agree * 100)) -ge $((n * 90)) ]
}

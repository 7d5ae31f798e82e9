#!/usr/bin/env bats
# pref-load on hostile input: every fixture through every format, and
# deterministically mutated fixtures (cut lines, flipped bytes, swapped
# types).  The only acceptable outcomes are success (0) and bad data (65):
# never a crash, never another code.  Run it against `make asan` binaries
# too.
load helper
load pref-helper

FORMATS="tulu trl shp stack-exchange prm800k chatbot-arena arena-55k alpaca-farm hh-rlhf helpsteer capybara orca-pairs nectar ultrafeedback ultrafeedback-binarized"

@test "every fixture through every format exits 0 or 65" {
  for f in "$D"/*.jsonl "$D"/*.json "$D"/*.csv; do
    for fmt in $FORMATS; do
      pref-load -f "$fmt" --pairs "$f" > /dev/null 2>&1 && rc=0 || rc=$?
      [ "$rc" -eq 0 ] || [ "$rc" -eq 65 ] || { echo "$fmt on $f: exit $rc"; return 1; }
    done
  done
}

@test "mutated fixtures exit 0 or 65" {
  python3 - "$D" <<'PY'
import glob, os, random, sys
rng = random.Random(1234)
d = sys.argv[1]
n = 0
for path in sorted(glob.glob(os.path.join(d, "*.jsonl")) + glob.glob(os.path.join(d, "*.csv")) + glob.glob(os.path.join(d, "*.json"))):
    data = open(path, "rb").read()
    name = os.path.basename(path)
    for k in range(6):
        b = bytearray(data)
        kind = k % 3
        if kind == 0:            # cut every line somewhere
            lines = b.split(b"\n")
            b = bytearray(b"\n".join(l[: rng.randrange(len(l) + 1)] for l in lines))
        elif kind == 1:          # flip bytes
            for _ in range(max(1, len(b) // 50)):
                i = rng.randrange(len(b))
                b[i] = rng.choice(b'{}[]",:\\0123 nulltrue\xff\xc3')
        else:                    # swap value types
            b = bytearray(data.replace(b'"', b'', rng.randrange(1, 5)).replace(b": [", b": 7, \"x\": [", 3))
        open("m%d-%s" % (k, name), "wb").write(b)
        n += 1
print(n)
PY
  for m in m*-*; do
    base=${m#m?-}
    fmt=${base%%.*}
    case $fmt in ultrafeedback-binarized-*) fmt=ultrafeedback-binarized ;; stack-exchange-paired) fmt=stack-exchange ;; tagger-labelled|rated) fmt=trl ;; esac
    pairs=--pairs
    case $fmt in wildchat|lmsys-chat-1m) pairs= ;; esac   # prompt sources: --pairs is a usage error
    for extra in "" $pairs; do
      pref-load -f "$fmt" $extra "$m" > /dev/null 2>&1 && rc=0 || rc=$?
      [ "$rc" -eq 0 ] || [ "$rc" -eq 65 ] || { echo "$fmt $extra on $m: exit $rc"; return 1; }
    done
  done
}

@test "a huge line within the record limit loads" {
  python3 -c 'import json; print(json.dumps({"chosen": "\n\nHuman: " + "x" * 3000000 + "\n\nAssistant: a", "rejected": "\n\nHuman: " + "x" * 3000000 + "\n\nAssistant: b"}))' > big.jsonl
  pref-load -f hh-rlhf big.jsonl > out.mp 2>/dev/null
  [ "$(rec to-json out.mp | jq '.prompt[0].content | length')" -eq 3000000 ]
}

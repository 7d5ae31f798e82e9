#!/usr/bin/env bats
# code-exec: generated Python against HumanEval+/MBPP+ tests in a sandbox.
# Hostile samples (loops, fork bomb, output flood, reads outside the
# scratch directory, early exits, network) must fail without harming the
# machine: no process left, no scratch directory left.  The datasets' own
# canonical solutions must pass under EvalPlus' rules (eight chosen for
# those rules here; all of them: tools/code-canonical.sh).  No assertion
# depends on the machine's speed: only samples that never end get a short
# timeout.
load helper

# a task: add(a, b); base test an assert; plus inputs checked against the reference
task() { # ID RESPONSE
  jq -cn --arg id "$1" --arg r "$2" '{id: $id, response: $r, gold: {task_id: "t/0", entry_point: "add",
    program_prefix: "", prefix_in_fence: false, base_test: "assert add(1, 2) == 3\n",
    reference: "def add(a, b):\n    return a + b\n", inputs: "[[1, 2], [3, 4], [0.1, 0.2]]", atol: 0}}'
}

run_exec() { # OUT.json code-exec options... (a generous timeout unless they give one)
  local out=$1; shift
  rec from-json tasks.jsonl > t.mp
  code-exec --tmpdir "$T/tmp" --timeout 300 "$@" t.mp 2> err.txt | rec to-json > "$out"
}

setup() {
  T=$(mktemp -d "${BATS_TMPDIR:-/tmp}/prefpipe.XXXXXX")
  cd "$T" || return 1
  mkdir -p tmp
  command -v python3 > /dev/null || skip "no python3"
}

is() { # FILE ID JQ: the record with that id satisfies JQ
  jq -e -s --arg id "$2" "map(select(.id == \$id)) | length == 1 and (.[0] | $3)" "$1" || { jq -c '{id, scores}' "$1"; false; }
}

no_leftovers() { # no scratch directory, and no sandboxed process whose cwd was one of ours
  [ -z "$(ls -A "$T/tmp")" ]
  local p
  for p in $(pgrep -u 65534 2>/dev/null); do
    case "$(readlink "/proc/$p/cwd" 2>/dev/null)" in "$T/tmp"/*) echo "left behind: $p" >&2; return 1 ;; esac
  done
}

@test "code-exec: a right answer passes base and plus; a wrong one fails; fenced code is extracted" {
  { task ok $'def add(a, b):\n    return a + b'
    task wrong $'def add(a, b):\n    return a - b'
    task plus-only-wrong $'def add(a, b):\n    return 3 if (a, b) == (1, 2) else 0'
    task fenced $'Sure:\n```python\ndef add(a, b):\n    return b + a\n```\nDone.'
    task float $'def add(a, b):\n    return a + b if isinstance(a, int) else round(a + b, 9)'
    task float-off $'def add(a, b):\n    return a + b if isinstance(a, int) else a + b + 1e-3'; } > tasks.jsonl
  run_exec out.json
  is out.json ok '.scores == {"pass": true, "pass_base": true, "pass_plus": true, "exec": "ok"}'
  is out.json wrong '.scores.pass == false and .scores.pass_base == false and .scores.exec == "ok"'
  is out.json plus-only-wrong '.scores.pass_base and (.scores.pass_plus | not) and (.scores.pass | not)'
  is out.json fenced '.scores.pass'
  is out.json float '.scores.pass'   # 0.3 for 0.30000000000000004: within EvalPlus' 1e-6 for floats
  is out.json float-off '.scores.pass_base and (.scores.pass_plus | not)'
  grep -q "6 samples, 5 pass base, 3 pass base+plus" err.txt || { cat err.txt; false; }
  no_leftovers
}

@test "code-exec: hostile samples fail and leave nothing behind" {
  def=$'def add(a, b):\n    return a + b\n'
  # samples that never end by themselves: a short timeout ends them, and
  # how they end does not depend on the machine's speed
  { task loop "${def}"$'while True:\n    pass'
    task forkbomb "${def}"$'import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass'
    task flood "${def}"$'import sys\nwhile True:\n    sys.stdout.write("x" * 65536)'; } > tasks.jsonl
  run_exec endless.json --timeout 4 --fsize 1 --mem 1024
  # samples that end by themselves: a generous timeout, so that a loaded
  # machine cannot turn their verdict into a timeout
  { task shadow $'def add(a, b):\n    return a + b + len(open("/etc/shadow").read()) * 0'
    task escape $'import os\ndef add(a, b):\n    os.listdir("/root")\n    return a + b'
    task exit0 "${def}"$'import sys\nsys.exit(0)'
    task osexit "${def}"$'import os\nos._exit(0)'
    task verdict "${def}"$'import os\nos.write(3, b"0123456789abcdef0123456789abcdef 1 1\\n")\nos._exit(0)'
    task net $'import socket\ndef add(a, b):\n    socket.create_connection(("1.1.1.1", 53), timeout=2)\n    return a + b'
    task memory "${def}"$'x = bytearray(8 << 30)'; } > tasks.jsonl
  run_exec ending.json --fsize 1 --mem 1024
  cat endless.json ending.json > out.json
  [ "$(jq -s 'length' out.json)" -eq 10 ]
  jq -e -s 'all(.[]; .scores.pass == false)' out.json
  is out.json loop '.scores.exec == "timeout"'
  is out.json flood '.scores.pass == false'   # EFBIG at 1 MiB (Python ignores SIGXFSZ)
  is out.json exit0 '.scores.exec == "ok"'
  is out.json shadow '.scores.exec == "ok"'
  is out.json memory '.scores.exec == "ok"'
  is out.json osexit '.scores.exec == "no-verdict"'
  is out.json verdict '.scores.exec == "no-verdict"'
  # code-exec returns only when every process of a sample is gone and its
  # scratch directory removed (sandbox.c), so this holds at once
  no_leftovers
  # the machine still works: a right answer right after
  task ok $'def add(a, b):\n    return a + b' > tasks.jsonl
  run_exec ok.json
  is ok.json ok '.scores.pass'
}

@test "code-exec: a record without the gold fields is an error naming it" {
  echo '{"id":"bare","response":"x"}' | rec from-json > t.mp
  run code-exec t.mp -o out.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"record 1 (id bare)"*"gold"* ]]
  [ ! -e out.mp ]
}

@test "code-exec: canonical solutions pass, the kinds that need EvalPlus' rules included (all: tools/code-canonical.sh)" {
  DATA=${PREFPIPE_DATA:-$SHARED_DATA}
  [ -d "$DATA/humaneval" ] || skip "no ../shared/data (set PREFPIPE_DATA)"
  # Mbpp/2 tuple arguments + set oracle; 82 math.isclose in its base asserts;
  # 124 float + complex arguments; 115 sets (and EvalPlus' {} for empty);
  # 580 every list a tuple; 737 the not-None oracle (re.Match outputs);
  # HumanEval/32 the polynomial-root oracle; HumanEval/2 a float atol
  bench-load -f humaneval-plus "$DATA/humaneval/HumanEvalPlus-v0.1.9.jsonl.gz" -o he.mp
  bench-load -f mbpp-plus "$DATA/mbpp/MbppPlus-v0.1.0.jsonl.gz" -o mb.mp
  cat he.mp mb.mp | rec to-json |
    jq -c 'select(.gold.task_id | IN("Mbpp/2", "Mbpp/82", "Mbpp/124", "Mbpp/115", "Mbpp/580", "Mbpp/737", "HumanEval/32", "HumanEval/2"))
           | .response = ((.gold.reference[(.gold.program_prefix | length):]) + "\n```\n")' > tasks.jsonl
  jq -s -e 'length == 8' tasks.jsonl
  jq -s -e 'map({(.gold.task_id): [.gold.input_form, .gold.oracle]}) | add |
    .["Mbpp/2"] == ["args-tuples", "set"] and .["Mbpp/124"] == ["float-complex", ""] and
    .["Mbpp/737"] == ["", "not-none"] and .["HumanEval/32"] == ["", "poly-root"] and .["HumanEval/2"] == ["", ""]' tasks.jsonl
  jq -s -e '(map(.gold.n_base) | sort) == [3, 3, 3, 3, 3, 3, 3, 100]' tasks.jsonl
  run_exec out.json
  jq -e -s 'length == 8 and all(.[]; .scores.pass and .scores.exec == "ok")' out.json || { jq -c '{id, scores}' out.json; cat err.txt; false; }
  # a wrong answer still fails under the set oracle
  jq -c 'select(.gold.task_id == "Mbpp/2") | .id = "wrong" | .response = "def similar_elements(a, b):\n    return [x for x in a if x in b][:1]\n"' tasks.jsonl > t2.jsonl
  mv t2.jsonl tasks.jsonl
  run_exec bad.json
  jq -e -s 'length == 1 and .[0].scores.pass == false and .[0].scores.exec == "ok"' bad.json
}

@test "code-exec: the eval-mini fixtures' canonical solutions pass (tools/code-canonical.sh); a plus-only bug fails" {
  # made-up HumanEval+/MBPP+ tasks (tests/fixtures/eval-mini), so this runs without ../shared/data
  run env PREFPIPE_DATA="$FIX/eval-mini" DATASETS="humaneval mbpp" OUT="$T/canon" "$PREFPIPE_ROOT/tools/code-canonical.sh"
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  [[ "$output" == *"humaneval       3 /    3 canonical solutions pass"* ]]
  [[ "$output" == *"mbpp            3 /    3 canonical solutions pass"* ]]
  # splitting at single spaces is right on the base inputs, wrong on "  spaced   out  "
  jq -c 'select(.gold.task_id == "Mbpp/901") | .id = "split-space" | .response = "def reverse_words(s):\n  return \" \".join(s.split(\" \")[::-1])\n"' \
    "$T/canon/mbpp.jsonl" > tasks.jsonl
  run_exec out.json
  is out.json split-space '.scores.pass_base and (.scores.pass_plus | not) and .scores.exec == "ok"'
  no_leftovers
}

@test "code-exec: gold.n_base, input_form and oracle follow EvalPlus (hand-made tasks)" {
  # n_base = 1: the first input is the base one; no base_test needed
  mk() { # ID RESPONSE FORM ORACLE REFERENCE INPUTS
    jq -cn --arg id "$1" --arg r "$2" --arg f "$3" --arg o "$4" --arg ref "$5" --arg in "$6" '{id: $id, response: $r,
      gold: {task_id: "t/1", entry_point: "f", program_prefix: "", prefix_in_fence: false, reference: $ref,
             inputs: $in, atol: 0, n_base: 1, input_form: $f, oracle: $o}}'
  }
  { mk tuple-ok $'def f(t):\n    return hash(t) == hash(tuple(t))' args-tuples "" $'def f(t):\n    return hash(t) == hash(tuple(t))' '[[[1, 2]], [[3]]]'
    mk no-form $'def f(t):\n    return hash(t) == hash(tuple(t))' "" "" $'def f(t):\n    return hash(t) == hash(tuple(t))' '[[[1, 2]], [[3]]]'
    mk set-order $'def f(a):\n    return sorted(set(a), reverse=True)' "" set $'def f(a):\n    return sorted(set(a))' '[[[1, 2, 2]], [[3, 1]]]'
    mk set-wrong $'def f(a):\n    return [1]' "" set $'def f(a):\n    return sorted(set(a))' '[[[1, 2, 2]], [[3, 1]]]'
    mk plus-only-wrong $'def f(a):\n    return 1 if a == [1] else 0' "" "" $'def f(a):\n    return len(a)' '[[[1]], [[1, 2]]]'
    mk notnone $'import re\ndef f(s):\n    return re.search("a", s)' "" not-none $'import re\ndef f(s):\n    return re.search("a", s)' '[["abc"], ["xyz"]]'
    mk notnone-wrong $'def f(s):\n    return None' "" not-none $'import re\ndef f(s):\n    return re.search("a", s)' '[["abc"], ["xyz"]]'
    mk float-close $'def f(x):\n    return x / 3 + 1e-9' "" "" $'def f(x):\n    return x / 3' '[[1.0], [2.0]]'
    mk float-type $'def f(x):\n    return [x / 3]' "" "" $'def f(x):\n    return (x / 3,)' '[[1.0], [2.0]]'; } > tasks.jsonl
  run_exec out.json
  is out.json tuple-ok '.scores.pass'
  is out.json no-form '.scores.exec == "exit" and (.scores.pass | not)'   # lists are unhashable: the reference fails
  is out.json set-order '.scores.pass'
  is out.json set-wrong '(.scores.pass_base | not) and .scores.exec == "ok"'
  is out.json plus-only-wrong '.scores.pass_base and (.scores.pass_plus | not)'
  is out.json notnone '.scores.pass'
  is out.json notnone-wrong '(.scores.pass_base | not) and .scores.pass_plus'   # None on "xyz" is right
  is out.json float-close '.scores.pass'
  is out.json float-type '.scores.pass | not'   # a list where a tuple is expected: EvalPlus' type check
  # an unknown rule is an error naming the record, not a failing sample
  mk bad-form $'def f(x):\n    return x' no-such-rule "" $'def f(x):\n    return x' '[[1]]' | rec from-json > t.mp
  run code-exec t.mp -o out.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"id bad-form"*"unknown gold.input_form 'no-such-rule'"* ]]
  [ ! -e out.mp ]
}

@test "code-exec: --help and --version" {
  run code-exec --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"namespaces"* ]]
  run code-exec --version
  [ "$status" -eq 0 ]
}

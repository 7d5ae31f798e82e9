# pref-helper.bash — shared by the pref-load/pref-binarize/pref-tag suites.
# D is the dataset fixture directory; expected outputs live in $D/expected.
D=$FIX/datasets

# expect_records NAME ARGS...: run `pref-load ARGS`, decode to JSON and
# compare record by record (keys sorted) with $D/expected/NAME.jsonl.
# Leaves out.mp, got.jsonl and err.txt (stderr) in the test directory.
expect_records() {
  local name=$1; shift
  pref-load "$@" > out.mp 2> err.txt || { cat err.txt; return 1; }
  rec to-json out.mp > got.jsonl
  jq -cS . got.jsonl > got.sorted
  jq -cS . "$D/expected/$name.jsonl" > want.sorted
  diff -u want.sorted got.sorted
}

# summary_is TEXT: the pref-load summary line in err.txt is exactly TEXT.
summary_is() {
  local line
  line=$(grep -E '^pref-load: [a-z0-9-]+: [0-9]+ read' err.txt)
  [ "$line" = "$1" ] || { echo "summary: $line"; echo "wanted:  $1"; return 1; }
}

# jq_true FILTER FILE: FILTER, run over all records of FILE at once (as
# an array, .), prints exactly true.
jq_true() {
  local got
  got=$(jq -s "$1" "$2")
  [ "$got" = "true" ] || { echo "jq '$1' gave: $got"; return 1; }
}

# run_man_examples MANPAGE: run every "$ command" line of the EXAMPLES
# section (in order, in the current directory, under pipefail); each must
# exit 0.  The examples use the fixture file names, so copy them here first.
run_man_examples() {
  local n=0 cmd
  while IFS= read -r cmd; do
    n=$((n + 1))
    bash -o pipefail -c "$cmd" > "example$n.out" 2> "example$n.err" || {
      echo "example $n failed: $cmd"; cat "example$n.err"; return 1; }
  done < <(sed -n '/^\.SH EXAMPLES/,/^\.SH /p' "$1" | sed -n 's/^\$ //p' | sed 's/\\-/-/g; s/\\e/\\/g')
  [ "$n" -gt 0 ]
}

#!/usr/bin/env bats
# The include rules between lib/ folders (tools/check-layers.sh, lib/README.md):
# the real tree passes, and each kind of violation is caught.

setup() {
  root=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
  tmp=$(mktemp -d); mkdir -p "$tmp/lib/base" "$tmp/lib/io" "$tmp/lib/model" "$tmp/lib/text"
  echo '#include "base/util.h"' > "$tmp/lib/io/stream.c"
  : > "$tmp/lib/base/util.h"; : > "$tmp/lib/io/stream.h"; : > "$tmp/lib/text/tokenizer_int.h"
  echo '#include "tokenizer_int.h"' > "$tmp/lib/text/tokenizer.c"
}
teardown() { rm -rf "$tmp"; }

@test "layers: the project's lib/ keeps its include rules" {
  run sh "$root/tools/check-layers.sh" "$root/lib"
  [ "$status" -eq 0 ]
}

@test "layers: a well-formed tree passes" {
  run sh "$root/tools/check-layers.sh" "$tmp/lib"
  [ "$status" -eq 0 ]
}

@test "layers: model/ including io/ fails, naming file and line" {
  printf '#include "base/util.h"\n#include "io/stream.h"\n' > "$tmp/lib/model/model.c"
  run sh "$root/tools/check-layers.sh" "$tmp/lib"
  [ "$status" -eq 1 ]
  [[ "$output" == *"model/model.c:2: model/ may not include io/stream.h"* ]]
}

@test "layers: base/ including anything of the project fails" {
  echo '#include "io/stream.h"' > "$tmp/lib/base/util.c"
  run sh "$root/tools/check-layers.sh" "$tmp/lib"
  [ "$status" -eq 1 ]
  [[ "$output" == *"base/ may not include io/stream.h"* ]]
}

@test "layers: a private header included from another folder fails" {
  echo '#include "text/tokenizer_int.h"' > "$tmp/lib/model/model.c"
  run sh "$root/tools/check-layers.sh" "$tmp/lib"
  [ "$status" -eq 1 ]
  [[ "$output" == *"private to lib/text"* ]]
}

@test "layers: an include without its folder, or a file directly in lib/, fails" {
  echo '#include "stream.h"' > "$tmp/lib/model/model.c"
  : > "$tmp/lib/stray.c"
  run sh "$root/tools/check-layers.sh" "$tmp/lib"
  [ "$status" -eq 1 ]
  [[ "$output" == *'must name its folder ("folder/stream.h")'* ]]
  [[ "$output" == *"stray.c: file directly in lib/"* ]]
}

#!/bin/sh
# check-layers.sh [LIB_DIR] — enforce the include rules between lib/ folders.
#
# lib/ is layered (lib/README.md): each folder may include the folders
# listed for it below and nothing else, so that, say, the model and the
# backends never learn about streams and the tokenizer never about models.
# Also enforced:
#   - every project include names its folder ("io/stream.h"), except a
#     private header included from its own folder by bare name;
#   - private headers (*_int.h, *_table.h, *_tables.h) are never included
#     from another folder of lib/.
# Prints one line per violation ("FILE:LINE: FOLDER may not include X")
# and exits 1 if there is any.  Run by `make test` (target check-layers).
set -u
lib=${1:-lib}

# folder -> folders it may include (itself is always allowed)
allowed() {
  case $1 in
    base)    echo "" ;;
    io)      echo "base" ;;
    text)    echo "base io" ;;
    backend) echo "base" ;;
    dist)    echo "base" ;;
    model)   echo "base backend text" ;;
    data)    echo "base io text" ;;
    train)   echo "base io text backend model dist" ;;
    rl)      echo "base io text backend model train dist" ;;
    eval)    echo "base io text data model" ;;
    *)       echo "?" ;;
  esac
}

bad=0
for f in $(find "$lib" -name '*.[ch]' -o -name '*.cu' | sort); do
  rel=${f#"$lib"/}
  dir=$(dirname "$rel")
  top=${rel%%/*}
  [ "$top" = "$rel" ] && { echo "$f: file directly in lib/ (put it in a folder)"; bad=1; continue; }
  ok=$(allowed "$top")
  [ "$ok" = "?" ] && { echo "$f: folder $top has no rule in tools/check-layers.sh"; bad=1; continue; }
  grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
  sed 's/^\([0-9]*\):.*"\([^"]*\)".*/\1 \2/' |
  while read -r line inc; do
    case $inc in
      */*)
        itop=${inc%%/*}
        base=$(basename "$inc")
        if [ "$itop" != "$top" ]; then
          case " $ok " in
            *" $itop "*) ;;
            *) echo "$f:$line: $top/ may not include $inc"; echo x ;;
          esac
          case $base in
            *_int.h|*_table.h|*_tables.h)
              echo "$f:$line: $inc is private to lib/$(dirname "$inc")"; echo x ;;
          esac
        fi
        [ -e "$lib/$inc" ] || { echo "$f:$line: $inc does not exist under $lib/"; echo x; } ;;
      *)
        if [ ! -e "$lib/$dir/$inc" ]; then
          echo "$f:$line: include \"$inc\" must name its folder (\"folder/$inc\")"; echo x
        fi ;;
    esac
  done | { v=0; while read -r l; do
             if [ "$l" = x ]; then v=1; else echo "$l"; fi
           done; exit $v; } || bad=1
done

if [ $bad -ne 0 ]; then
  echo "check-layers: include rules broken (see lib/README.md)" >&2
  exit 1
fi
echo "check-layers: lib/ include rules hold"

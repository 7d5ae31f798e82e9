#!/bin/sh
# gen-regex-classes.sh — write lib/text/regex_class_table.h: for each Unicode
# class that tokenizer.json regexes use, the code points the Hugging Face
# tokenizers library's regex engine (Oniguruma, Unicode 16) puts in it but
# PCRE2 (Debian's, Unicode 14: the same data as Python's unicodedata 14)
# does not.  The library is asked directly (npm "tokenizers", or
# $TOKENIZERS_MODULE), code point by code point; Python gives PCRE2's view.
#
#   tools/gen-regex-classes.sh > lib/text/regex_class_table.h
set -eu
here=$(cd "$(dirname "$0")" && pwd)
node "$here/gen-regex-classes.js" | python3 "$here/gen-regex-classes.py"

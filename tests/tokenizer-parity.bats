#!/usr/bin/env bats
# tokenizer-parity: lm-tokenize against the Hugging Face tokenizers library.
# The expected ids and decodes in tests/fixtures/tokenizer/NAME.*.jsonl were
# recorded from the real library (tests/parity/gen-tokenizer-fixtures.js;
# tests/parity/run-tokenizer-parity.sh re-records them where Node and the
# library are installed).  These tests need neither: they run lm-tokenize
# over every corpus text without a newline (lm-tokenize reads lines; texts
# with newlines are compared by unit/test_tokenizer_parity) and compare
# ids with and without the post-processor, and both decodes, exactly.
load helper

TOKFIX=$FIX/tokenizer

# parity NAME: all four comparisons for one fixture
parity() {
  local exp=$TOKFIX/$1.expected.jsonl sel='select(.text | test("\n") | not)'
  jq -r "$sel | .text" "$exp" > in.txt
  [ "$(wc -l < in.txt)" -ge 40 ]
  jq -r "$sel | .ids | map(tostring) | join(\" \")" "$exp" > want-ids.txt
  jq -r "$sel | .ids_no_add | map(tostring) | join(\" \")" "$exp" > want-raw.txt
  jq -r "$sel | .decoded" "$exp" > want-dec.txt
  jq -r "$sel | .decoded_skip" "$exp" > want-skip.txt
  local tok=$TOKFIX/$1.json
  if [ ! -f "$tok" ]; then gunzip -c "$tok.gz" > tok.json; tok=tok.json; fi   # production files: .json.gz
  lm-tokenize -t "$tok" in.txt > got-ids.txt
  diff want-ids.txt got-ids.txt
  lm-tokenize -t "$tok" --no-add-special in.txt > got-raw.txt
  diff want-raw.txt got-raw.txt
  lm-tokenize -t "$tok" --decode want-ids.txt > got-dec.txt
  diff want-dec.txt got-dec.txt
  lm-tokenize -t "$tok" --decode --skip-special want-ids.txt > got-skip.txt
  diff want-skip.txt got-skip.txt
}

@test "parity llama2-sp (Prepend/Replace normalizer, byte fallback, BOS template)" { parity llama2-sp; }
@test "parity metaspace-first (Metaspace prepend_scheme first, Metaspace decoder)" { parity metaspace-first; }
@test "parity metaspace-legacy (legacy Metaspace add_prefix_space form)" { parity metaspace-legacy; }
@test "parity qwen2 (NFC, Split + ByteLevel, added tokens)" { parity qwen2; }
@test "parity llama3 (ignore_merges, lstrip/rstrip token, BOS template)" { parity llama3; }
@test "parity sp-unk (no byte fallback: fused <unk>)" { parity sp-unk; }
@test "parity sp-unk-nofuse (one <unk> per character, Metaspace always + split)" { parity sp-unk-nofuse; }
@test "parity sp-misc (Strip, Replace Regex, RobertaProcessing)" { parity sp-misc; }
@test "parity gpt2-prefix (ByteLevel add_prefix_space, lstrip/rstrip/normalized added tokens)" { parity gpt2-prefix; }
@test "parity trained (byte-level BPE trained by the library, missing bytes dropped)" { parity trained; }
@test "parity split-behaviours (Split MergedWithPrevious, MergedWithNext, Contiguous, inverted Removed)" { parity split-behaviours; }
@test "parity ws-punct (WhitespaceSplit, Punctuation Contiguous, Digits individual)" { parity ws-punct; }
@test "parity whitespace-merged (Whitespace, Punctuation MergedWithNext, inverted MergedWithPrevious)" { parity whitespace-merged; }
@test "parity wordpiece (WordPiece, BertPreTokenizer, [CLS]/[SEP] template, WordPiece decoder)" { parity wordpiece; }
@test "parity unigram (Unigram Viterbi, byte fallback, Metaspace, EOS template)" { parity unigram; }
@test "parity unigram-unk (Unigram without byte fallback: fused unknown runs)" { parity unigram-unk; }
@test "parity bert (BertNormalizer lowercase + accents + Chinese, BertPreTokenizer, WordPiece)" { parity bert; }
@test "parity bert-cased (BertNormalizer strip_accents without lowercase, Whitespace)" { parity bert-cased; }
@test "parity nfkc-lower (NFKC + Lowercase, byte-level BPE)" { parity nfkc-lower; }
@test "parity nfd-strip (NFD + StripAccents, SentencePiece BPE)" { parity nfd-strip; }
@test "parity nfkd (NFKD, byte-level BPE)" { parity nfkd; }
@test "parity nfkd-trim (NFKD + ByteLevel trim_offsets: multi-byte spaces made \" \")" {
  parity nfkd-trim
  # the offsets (test_tokenizer_parity compares them all): "a" + U+3000 + "b"
  # is a, " " (from U+3000) and b; trimmed, the space token is empty at the
  # end of the whole 3-byte character, not inside it
  jq -e -s 'map(select(.text == "a\u3000b")) | .[0].offsets == [[0,1],[4,4],[4,5]]' "$TOKFIX/nfkd-trim.expected.jsonl"
}
@test "parity gpt-4o (production o200k file: Split Removed + invert, ByteLevel)" { parity gpt-4o; }
@test "parity deepseek-v3 (production file: three Splits, vocabulary entries that are not byte-level)" { parity deepseek-v3; }
@test "parity gemma-3 (production file: Split MergedWithPrevious, 6415 added tokens, byte fallback)" { parity gemma-3; }
@test "gemma-3: EOS is the special <eos>, not the ordinary added </s>" {
  # unit/test_tokenizer_parity renders these conversations with tok_eos and
  # compares them with the recording, so a </s> there fails it
  jq -e -s 'length > 0 and all(.eos == "<eos>")' "$TOKFIX/gemma-3.chat.jsonl"
  gunzip -c "$TOKFIX/gemma-3.json.gz" > tok.json
  jq -e '(.added_tokens[] | select(.content == "</s>") | .special) == false' tok.json
}

@test "parity: the fixtures really exercise BOS, byte fallback and NFC" {
  # guards against recordings that would pass trivially
  jq -e -s 'map(select(.text == "hello world")) | .[0].ids[0] == 1 and .[0].ids_no_add[0] != 1' "$TOKFIX/llama2-sp.expected.jsonl"
  jq -e -s 'map(select(.text | startswith("\u16a0"))) | .[0].ids_no_add | map(select(. >= 3 and . < 259)) | length >= 9' "$TOKFIX/llama2-sp.expected.jsonl"
  a=$(jq -c -s 'map(select(.text == "caf\u00e9 (composed)")) | .[0].ids[0:4]' "$TOKFIX/qwen2.expected.jsonl")
  b=$(jq -c -s 'map(select(.text == "cafe\u0301 (decomposed)")) | .[0].ids[0:4]' "$TOKFIX/qwen2.expected.jsonl")
  [ "$a" = "$b" ]
  # fuse_unk: the runes line is one <unk> per run with fusing, more without
  f=$(jq -s 'map(select(.text | startswith("\u16a0"))) | .[0].ids_no_add | map(select(. == 0)) | length' "$TOKFIX/sp-unk.expected.jsonl")
  u=$(jq -s 'map(select(.text | startswith("\u16a0"))) | .[0].ids_no_add | map(select(. == 0)) | length' "$TOKFIX/sp-unk-nofuse.expected.jsonl")
  [ "$f" -ge 1 ] && [ "$u" -gt "$f" ]
}

@test "parity: an unsupported tokenizer.json exits 65 naming the key" {
  jq '.normalizer = {"type": "Nmt"}' "$TOKFIX/qwen2.json" > bad.json
  run lm-tokenize -t bad.json <<< 'x'
  [ "$status" -eq 65 ]
  [[ "$output" == *"bad.json"*"normalizer"*"Nmt"* ]]
}

@test "parity t5-precompiled (Precompiled: SentencePiece's nmt_nfkc charsmap, Strip, Replace, Unigram, </s> template)" {
  parity t5-precompiled
  # the charsmap really rewrites: fullwidth letters and ligatures differ from
  # their plain forms in the text but not in the ids
  a=$(jq -c -s 'map(select(.text == "\uff26\uff35\uff2c\uff2c \ufb01ne")) | .[0].ids' "$TOKFIX/t5-precompiled.expected.jsonl")
  b=$(jq -c -s 'map(select(.text == "FULL fine")) | .[0].ids' "$TOKFIX/t5-precompiled.expected.jsonl")
  [ "$a" != null ] && [ "$a" = "$b" ]
}

@test "parity: a damaged precompiled_charsmap exits 65 naming it" {
  gunzip -c "$TOKFIX/t5-precompiled.json.gz" | jq -c '.normalizer.normalizers[0].precompiled_charsmap = "AAAA"' > bad.json
  run lm-tokenize -t bad.json <<< 'x'
  [ "$status" -eq 65 ]
  [[ "$output" == *"bad.json"*"Precompiled"*"precompiled_charsmap"* ]]
  gunzip -c "$TOKFIX/t5-precompiled.json.gz" | jq -c '.normalizer.normalizers[0].precompiled_charsmap = "not base64!"' > bad.json
  run lm-tokenize -t bad.json <<< 'x'
  [ "$status" -eq 65 ]
  [[ "$output" == *"base64"* ]]
}

# pair NAME: lm-tokenize --pair against the library's encode(a, b)
pair() {
  local exp=$TOKFIX/$1.pair.jsonl sel='select((.a + .b) | test("[\n\t]") | not)'
  jq -r "$sel | .a + \"\t\" + .b" "$exp" > in.txt
  [ "$(wc -l < in.txt)" -ge 8 ]
  jq -r "$sel | .ids | map(tostring) | join(\" \")" "$exp" > want-ids.txt
  jq -r "$sel | .ids_no_add | map(tostring) | join(\" \")" "$exp" > want-raw.txt
  local tok=$TOKFIX/$1.json
  if [ ! -f "$tok" ]; then gunzip -c "$tok.gz" > tok.json; tok=tok.json; fi
  lm-tokenize -t "$tok" --pair in.txt > got-ids.txt
  diff want-ids.txt got-ids.txt
  lm-tokenize -t "$tok" --pair --no-add-special in.txt > got-raw.txt
  diff want-raw.txt got-raw.txt
}

@test "pair wordpiece (TemplateProcessing pair: [CLS] A [SEP] B [SEP])" { pair wordpiece; }
@test "pair sp-misc (RobertaProcessing: <s> A </s></s> B </s>)" { pair sp-misc; }
@test "pair t5-precompiled (A </s> B </s>)" { pair t5-precompiled; }
@test "pair qwen2 (no template: A then B)" { pair qwen2; }

@test "pair: the pairs really carry the template's tokens" {
  # [CLS]=2 [SEP]=3: two [SEP]s, B's tokens typed 1
  jq -e -s 'length >= 8 and all(.ids | map(select(. == 3)) | length == 2) and
            all(.type_ids[-1] == 1 and .type_ids[0] == 0)' "$TOKFIX/wordpiece.pair.jsonl"
}

@test "pair: a line without a TAB, or a template without a pair, exits 65" {
  printf 'a\tb\nno tab here\n' > in.txt
  run lm-tokenize -t "$TOKFIX/wordpiece.json" --pair in.txt
  [ "$status" -eq 65 ]
  [[ "$output" == *"line 2"*"TAB"* ]]
  jq 'del(.post_processor.pair)' "$TOKFIX/wordpiece.json" > nopair.json
  run lm-tokenize -t nopair.json --pair -o out.txt in.txt
  [ "$status" -eq 65 ]
  [[ "$output" == *"pair template"* ]]
  [ ! -e out.txt ]
  run lm-tokenize -t "$TOKFIX/wordpiece.json" --pair --decode in.txt
  [ "$status" -eq 64 ]
}

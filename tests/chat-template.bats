#!/usr/bin/env bats
# A model's own chat template (chat_template.jinja / tokenizer_config.json)
# through lm-init, checkpoints and lm-tokenize --chat; lm-init's pad token.
load helper

small_args="--dim 16 --layers 1 --heads 2 --ffn 32"

chatml='{% for message in messages %}{{'"'"'<|im_start|>'"'"' + message['"'"'role'"'"'] + '"'"'\n'"'"' + message['"'"'content'"'"'] + '"'"'<|im_end|>'"'"' + '"'"'\n'"'"'}}{% endfor %}{% if add_generation_prompt %}{{ '"'"'<|im_start|>assistant\n'"'"' }}{% endif %}'

setup_model() {
  mkdir -p tk
  cp "$FIX/tokenizer/qwen2.json" tk/tokenizer.json
  jq -n --arg t "$chatml" '{chat_template: $t, eos_token: "<|im_end|>", pad_token: "<|endoftext|>"}' > tk/tokenizer_config.json
  lm-init -o ck $small_args --tokenizer tk/tokenizer.json 2>/dev/null
}

@test "lm-init carries the chat template and picks a pad token distinct from EOS" {
  setup_model
  cmp ck/tokenizer_config.json tk/tokenizer_config.json
  pad=$(jq '.added_tokens[] | select(.content == "<|endoftext|>") | .id' tk/tokenizer.json)
  eos=$(jq '.added_tokens[] | select(.content == "<|im_end|>") | .id' tk/tokenizer.json)
  jq -e --argjson p "$pad" --argjson e "$eos" '.pad_token_id == $p and .eos_token_id == $e' ck/config.json
  # a tokenizer with no other candidate keeps pad = EOS
  lm-init -o ck2 $small_args --tokenizer "$FIX/model/bpe-gpt2.json" 2>/dev/null
  jq -e '.pad_token_id == .eos_token_id' ck2/config.json
}

@test "lm-tokenize --chat renders with the checkpoint's template" {
  setup_model
  json_records in.mp '{"id":"a","prompt":[{"role":"user","content":"hi"}],"response":"yo"}'
  lm-tokenize --chat -c ck in.mp | rec to-json > out.json
  jq -r '.prompt_tokens | map(tostring) | join(" ")' out.json | lm-tokenize -c ck --decode > got.txt
  printf '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n\n' > want.txt
  cmp got.txt want.txt
  jq -r '.tokens | map(tostring) | join(" ")' out.json | lm-tokenize -c ck --decode > got.txt
  printf 'yo<|im_end|>\n' > want.txt
  cmp got.txt want.txt
}

@test "a template's raise_exception exits 65 naming the record and the template line" {
  setup_model
  jq -n '{chat_template: "{% for m in messages %}\n{% if m.role == \"system\" %}{{ raise_exception(\"no system\") }}{% endif %}{{ m.content }}{% endfor %}"}' > ck/tokenizer_config.json
  json_records in.mp '{"prompt":[{"role":"user","content":"hi"}]}' '{"prompt":[{"role":"system","content":"s"}]}'
  run lm-tokenize --chat -c ck in.mp -o out.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"record 2"*"line 2"*"raise_exception: no system"* ]]
  [ ! -e out.mp ]
}

@test "a template that does not parse exits 65 naming the file and line" {
  setup_model
  printf 'ok\n{%% for %%}\n' > ck/chat_template.jinja
  json_records in.mp '{"prompt":[{"role":"user","content":"hi"}]}'
  run lm-tokenize --chat -c ck in.mp
  [ "$status" -eq 65 ]
  [[ "$output" == *"chat_template.jinja"*"line 2"* ]]
}

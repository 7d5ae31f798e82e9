#!/usr/bin/env bats
# Who may talk to a ZeroMQ stream (prefpipe(7), SECURITY MODEL): CURVE key
# pairs from `rec keygen`, the allow list a binder checks through its ZAP
# handler, secret keys only from private files, and no plain bind on an
# address other hosts can reach unless asked for.  A stranger (no CURVE, a
# key not allowed, or the wrong server key) gets nothing and injects
# nothing; an allowed client works as a plain one does.
load helper

recs() { seq 1 "$2" | awk -v p="$1" '{printf "{\"id\":\"%s%d\",\"v\":%d}\n", p, $1, $1}' | rec from-json > "$3"; }

keys() {
  rec keygen srv > srv.out
  rec keygen cli > /dev/null
  rec keygen bad > /dev/null
}

@test "keygen writes a private key pair and a public key; refuses to overwrite" {
  run rec keygen k
  [ "$status" -eq 0 ]
  [ "$(stat -c %a k.key)" = 600 ]
  grep -q '^secret = ' k.key
  ! grep -q secret k.pub
  pub=$(sed -n 's/^public = //p' k.pub)
  [ "${#pub}" -eq 40 ]
  [ "$output" = "$pub" ]
  [ "$(sed -n 's/^public = //p' k.key)" = "$pub" ]
  run rec keygen k
  [ "$status" -eq 73 ]
  [[ "$output" == *"k.key exists"* ]]
  [ "$(sed -n 's/^public = //p' k.pub)" = "$pub" ]
  run rec keygen --force k
  [ "$status" -eq 0 ]
  [ "$output" != "$pub" ]
}

@test "an allowed client gets every record over CURVE, either side binding" {
  keys
  recs r 3000 in.mp
  p=$(free_port)
  timeout 60 rec cat in.mp -o "@tcp://127.0.0.1:$p?key=srv.key&allow=cli.pub" & w=$!
  timeout 60 rec cat ">tcp://127.0.0.1:$p?curve=srv.pub&key=cli.key" -o out.mp
  wait $w
  cmp in.mp out.mp
  # the reader binds; the keys come from the environment
  p=$(free_port)
  PREFPIPE_ZMQ_KEY=srv.key PREFPIPE_ZMQ_ALLOW=cli.pub timeout 60 rec cat "@tcp://127.0.0.1:$p" -o out2.mp & r=$!
  sleep 0.3
  PREFPIPE_ZMQ_KEY=cli.key PREFPIPE_ZMQ_SERVER_KEY=srv.pub timeout 60 rec cat in.mp -o ">tcp://127.0.0.1:$p"
  wait $r
  cmp in.mp out2.mp
}

@test "strangers get nothing from a CURVE producer, and the allowed client still gets everything" {
  keys
  recs r 2000 in.mp
  p=$(free_port)
  timeout 60 rec cat in.mp -o "@tcp://127.0.0.1:$p?key=srv.key&allow=cli.pub" 2> prod.err & w=$!
  # no CURVE at all
  run timeout 30 rec count ">tcp://127.0.0.1:$p?timeout=1"
  [ "$status" -eq 66 ]
  [ "$output" != 0 ]
  # a key pair the server does not allow: refused at once, by name
  run timeout 30 rec count ">tcp://127.0.0.1:$p?curve=srv.pub&key=bad.key&timeout=5"
  [ "$status" -eq 66 ]
  [[ "$output" == *"server refused our CURVE key"* ]]
  # the allowed key but a wrong idea of the server's key
  run timeout 30 rec count ">tcp://127.0.0.1:$p?curve=bad.pub&key=cli.key&timeout=1"
  [ "$status" -eq 66 ]
  [[ "$output" == *"handshake failed"* ]]
  timeout 60 rec cat ">tcp://127.0.0.1:$p?curve=srv.pub&key=cli.key" -o out.mp
  wait $w
  cmp in.mp out.mp
  # the strangers were not counted as consumers that left with records
  ! grep -q "disconnected before the end" prod.err
}

@test "strangers inject nothing into a CURVE consumer: neither records nor an end-of-stream" {
  keys
  recs good 500 good.mp
  recs evil 50 evil.mp
  : > empty.mp
  p=$(free_port)
  timeout 60 rec cat "@tcp://127.0.0.1:$p?key=srv.key&allow=cli.pub" -o out.mp & r=$!
  sleep 0.3
  run timeout 30 rec cat evil.mp -o ">tcp://127.0.0.1:$p?timeout=1"
  [ "$status" -eq 74 ]
  run timeout 30 rec cat empty.mp -o ">tcp://127.0.0.1:$p?curve=srv.pub&key=bad.key&timeout=5"
  [ "$status" -eq 74 ]
  [[ "$output" == *"server refused our CURVE key"* ]]
  kill -0 $r   # the consumer still waits for its producer
  timeout 60 rec cat good.mp -o ">tcp://127.0.0.1:$p?curve=srv.pub&key=cli.key"
  wait $r
  cmp good.mp out.mp
}

@test "an allow list holds several keys; a key not in it is refused" {
  keys
  rec keygen cli2 > /dev/null
  cat cli.pub cli2.pub > allowed
  recs r 100 in.mp
  p=$(free_port)
  timeout 60 rec cat in.mp -o "@tcp://127.0.0.1:$p?key=srv.key&allow=allowed&consumers=2" & w=$!
  run timeout 30 rec count ">tcp://127.0.0.1:$p?curve=srv.pub&key=bad.key&timeout=5"
  [ "$status" -eq 66 ]
  timeout 60 rec cat ">tcp://127.0.0.1:$p?curve=srv.pub&key=cli.key" -o c1.mp & c1=$!
  timeout 60 rec cat ">tcp://127.0.0.1:$p?curve=srv.pub&key=cli2.key" -o c2.mp
  wait $c1; wait $w
  [ "$(cat c1.mp c2.mp | rec count)" -eq 100 ]
}

@test "a secret key readable by group or others is refused, naming the file" {
  keys
  chmod 640 cli.key
  p=$(free_port)
  run timeout 30 rec count ">tcp://127.0.0.1:$p?curve=srv.pub&key=cli.key&timeout=1"
  [ "$status" -eq 66 ]
  [[ "$output" == *"refusing to read secret key file cli.key"* ]]
  [[ "$output" == *"chmod 600"* ]]
  chmod 604 srv.key
  run timeout 30 rec count "@tcp://127.0.0.1:$p?key=srv.key&allow=cli.pub&timeout=1"
  [ "$status" -eq 66 ]
  [[ "$output" == *"refusing to read secret key file srv.key"* ]]
}

@test "incomplete or wrong CURVE options are reported" {
  keys
  p=$(free_port)
  run rec count "@tcp://127.0.0.1:$p?key=srv.key"
  [ "$status" -eq 66 ]
  [[ "$output" == *"needs allow=FILE"* ]]
  run rec count ">tcp://127.0.0.1:$p?curve=srv.pub"
  [ "$status" -eq 66 ]
  [[ "$output" == *"needs key=FILE"* ]]
  run rec count ">tcp://127.0.0.1:$p?key=cli.key"
  [ "$status" -eq 66 ]
  [[ "$output" == *"needs curve=FILE"* ]]
  install -m 600 cli.pub onlypub
  run rec count ">tcp://127.0.0.1:$p?curve=srv.pub&key=onlypub"
  [ "$status" -eq 66 ]
  [[ "$output" == *"no 'secret =' line"* ]]
  printf 'public = short\n' > junk.pub
  run rec count "@tcp://127.0.0.1:$p?key=srv.key&allow=junk.pub"
  [ "$status" -eq 66 ]
  [[ "$output" == *"junk.pub line 1"* ]]
  run rec count "@tcp://127.0.0.1:$p?key=srv.key&allow=missing.pub"
  [ "$status" -eq 66 ]
  [[ "$output" == *"missing.pub"* ]]
}

@test "a plain bind reachable from other hosts is refused unless asked for; loopback and ipc stay allowed" {
  recs r 3 in.mp
  p=$(free_port)
  for ep in "tcp://*:$p" "tcp://0.0.0.0:$p" "tcp://[::]:$p" "tcp://eth0:$p"; do
    run timeout 30 rec count "@$ep?timeout=1"
    [ "$status" -eq 66 ]
    [[ "$output" == *"refusing to bind $ep without CURVE"* ]]
    run timeout 30 rec cat in.mp -o "@$ep?timeout=1"
    [ "$status" -eq 74 ]
    [[ "$output" == *"refusing to bind"* ]]
    [[ "$output" == *"insecure=1"* ]]
  done
  # the opt-in, by URI and by environment
  timeout 60 rec cat in.mp -o "@tcp://*:$p?insecure=1" & w=$!
  timeout 60 rec cat ">tcp://127.0.0.1:$p" -o out.mp
  wait $w
  cmp in.mp out.mp
  p=$(free_port)
  PREFPIPE_ZMQ_INSECURE=1 timeout 60 rec cat in.mp -o "@tcp://*:$p" & w=$!
  timeout 60 rec cat ">tcp://127.0.0.1:$p" -o out2.mp
  wait $w
  cmp in.mp out2.mp
  # CURVE on all interfaces needs no opt-in
  keys
  p=$(free_port)
  timeout 60 rec cat in.mp -o "@tcp://*:$p?key=srv.key&allow=cli.pub" & w=$!
  timeout 60 rec cat ">tcp://127.0.0.1:$p?curve=srv.pub&key=cli.key" -o out3.mp
  wait $w
  cmp in.mp out3.mp
}

# prefpipe.jq — jq definitions the pipelines share (jq -L TOOLS 'include
# "prefpipe"; ...'), so that their tables and curves agree.
#
# pct1: a score in [0, 1] as percent with one decimal, always written with
# its decimal ("50.0", "71.0"): the one number format of the tables.
def pct1: (. * 1000 | round) / 10 | tostring | if test("\\.") then . else . + ".0" end;
# ci1: an {score, lo, hi} object as "74.4 [72.4, 76.7]"
def ci1: "\(.score | pct1) [\(.lo | pct1), \(.hi | pct1)]";
# ema(f; w): the exponential moving average (factor 0.9) of f over an
# array of records, each step weighted by w in [0, 1] (a partial batch of
# 12 of 32 examples moves the average 12/32 as far as a full one); null
# where f is null.
def ema(f; w): reduce .[] as $r ({v: null, out: []};
  ($r | f) as $x | ($r | w) as $k
  | if $x == null then .out += [null]
    else .v = (if .v == null then $x else .v + 0.1 * $k * ($x - .v) end) | .out += [.v] end) | .out;
def ema(f): ema(f; 1);

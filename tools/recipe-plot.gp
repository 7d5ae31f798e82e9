# recipe-plot.gp — the recipe's training.png (pipelines/recipe.sh), drawn
# after tools/plot-style.gp:
#   gnuplot tools/plot-style.gp -c tools/recipe-plot.gp PNG DIR HAS
# ARG1 (the PNG) and ARG2 (the directory of the data files) arrive as plain
# strings, never parsed as gnuplot code, so any path is safe; model names
# come from the data files (xticlabels), never from the script.  HAS is six
# 0/1 digits: which of sft, dpo, rm, ppo, KL and eval have data (gnuplot
# cannot plot an empty file).
#
# Data (tab-separated, "NaN" where a value is missing):
#   sft.tsv dpo.tsv rm.tsv  epoch, loss, loss smoothed, batch weight
#   ppo.tsv                 batch, reward, reward smoothed, KL, KL smoothed
#   eval.tsv                model, average score, 95% low, 95% high (x 100)
# The trainers' x axis is the epoch (fraction of the data seen), so the last
# partial batch of an epoch spans only its share of the axis, and it moves
# the smoothed curve only by that share (weight = its examples / the batch).
set datafile separator "\t"
set output ARG1
set multiplot layout 2,3 title "recipe: training curves and evaluation"
f(name) = ARG2 . "/" . name
nodata(t) = sprintf("%s: no data (stage not run)", t)
empty(t) = sprintf("set label 1 '%s' at graph 0.5,0.5 center; plot [0:1][0:1] NaN notitle; unset label 1", t)
set xlabel "epoch (passes over the training data)"
set ylabel "loss (nats per token)"
set title "SFT: negative log-likelihood"
if (ARG3[1:1] eq "1") {
  plot f("sft.tsv") using 1:2 with lines ls 11 title "raw", '' using 1:3 with lines ls 1 title "smoothed (EMA 0.9)"
} else { eval empty(nodata("SFT")) }
set title "DPO: loss (Eq. 3)"
set ylabel "loss (nats per pair)"
if (ARG3[2:2] eq "1") {
  plot f("dpo.tsv") using 1:2 with lines ls 12 title "raw", '' using 1:3 with lines ls 2 title "smoothed (EMA 0.9)"
} else { eval empty(nodata("DPO")) }
set title "reward model: Bradley-Terry loss"
if (ARG3[3:3] eq "1") {
  plot f("rm.tsv") using 1:2 with lines ls 13 title "raw", '' using 1:3 with lines ls 3 title "smoothed (EMA 0.9)"
} else { eval empty(nodata("reward model")) }
set xlabel "PPO batch"
set title "PPO: reward of the rollouts"
set ylabel "mean reward (reward-model score)"
if (ARG3[4:4] eq "1") {
  plot f("ppo.tsv") using 1:2 with lines ls 14 title "raw", '' using 1:3 with lines ls 4 title "smoothed (EMA 0.9)"
} else { eval empty(nodata("PPO")) }
set title "PPO: KL to the reference"
set ylabel "KL (nats per response)"
if (ARG3[5:5] eq "1") {
  plot f("ppo.tsv") using 1:4 with lines ls 15 title "raw", '' using 1:5 with lines ls 5 title "smoothed (EMA 0.9)"
} else { eval empty(nodata("PPO KL")) }
set title "evaluation: gold-judge score per stage"
set xlabel "policy"
set ylabel "average score x 100 (95% CI)"
set style fill solid 0.5
set boxwidth 0.6
set yrange [0:100]
set xrange [-0.5:*]
if (ARG3[6:6] eq "1") {
  plot f("eval.tsv") using 0:2:xticlabels(1) with boxes ls 6 title "score", \
       '' using 0:2:3:4 with yerrorbars ls 1 pt 0 title "95% CI"
} else { eval empty(nodata("evaluation")) }
unset multiplot

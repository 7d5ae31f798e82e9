# metrics.gp — the training-curve panels of pipelines/watch-metrics.sh.
# gnuplot -c tools/metrics.gp PNG TSV HAS: ARG1/ARG2 arrive as plain
# strings (never parsed as gnuplot code, so any file name is safe); HAS is
# four 0/1 digits saying which panels have data (loss, reward, KL, eval),
# since gnuplot cannot plot a column without points.  TSV columns: step,
# loss, loss smoothed, reward, reward smoothed, KL, eval loss; "NaN" where a
# record lacks the field.  Raw curves faint, smoothed ones solid; legends
# outside the data.
set terminal pngcairo size 1200,800 noenhanced
set output ARG1
set datafile missing "NaN"
set datafile separator "\t"
set key outside top center horizontal
set grid
set multiplot layout 2,2
set xlabel "step (optimizer update; PPO: batch)"
nodata(t) = sprintf("%s: no records with this field", t)
set title "training loss"
set ylabel "loss (nats)"
if (ARG3[1:1] eq "1") {
  plot ARG2 using 1:2 with lines lc rgb "#c0c0ff" title "raw", \
       ARG2 using 1:3 with lines lw 2 lc rgb "#0000c0" title "smoothed (EMA 0.9)"
} else { set label 1 nodata("loss") at graph 0.5,0.5 center; plot [0:1][0:1] NaN notitle; unset label 1 }
set title "PPO reward"
set ylabel "mean reward"
if (ARG3[2:2] eq "1") {
  plot ARG2 using 1:4 with lines lc rgb "#c0ffc0" title "raw", \
       ARG2 using 1:5 with lines lw 2 lc rgb "#008000" title "smoothed (EMA 0.9)"
} else { set label 1 nodata("reward_mean") at graph 0.5,0.5 center; plot [0:1][0:1] NaN notitle; unset label 1 }
set title "PPO KL to the reference"
set ylabel "KL (nats per response)"
if (ARG3[3:3] eq "1") {
  plot ARG2 using 1:6 with lines lw 2 lc rgb "#c00000" title "KL"
} else { set label 1 nodata("kl") at graph 0.5,0.5 center; plot [0:1][0:1] NaN notitle; unset label 1 }
set title "evaluation loss"
set ylabel "held-out loss (nats)"
if (ARG3[4:4] eq "1") {
  plot ARG2 using 1:7 with linespoints lw 2 lc rgb "#800080" title "eval"
} else { set label 1 nodata("eval_loss") at graph 0.5,0.5 center; plot [0:1][0:1] NaN notitle; unset label 1 }
unset multiplot

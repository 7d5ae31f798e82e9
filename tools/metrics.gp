# metrics.gp — the training-curve panels of pipelines/watch-metrics.sh,
# drawn after the shared style (tools/plot-style.gp):
# gnuplot tools/plot-style.gp -c tools/metrics.gp PNG TSV HAS: ARG1/ARG2 arrive as plain
# strings (never parsed as gnuplot code, so any file name is safe); HAS is
# four 0/1 digits saying which panels have data (loss, reward, KL, eval),
# since gnuplot cannot plot a column without points.  TSV columns: step,
# loss, loss smoothed, reward, reward smoothed, KL, eval loss; "NaN" where a
# record lacks the field.  Raw curves faint, smoothed ones solid; legends
# outside the data (the style's).
set output ARG1
set datafile separator "\t"
set multiplot layout 2,2
set xlabel "step (optimizer update; PPO: batch)"
nodata(t) = sprintf("%s: no records with this field", t)
set title "training loss"
set ylabel "loss (nats)"
if (ARG3[1:1] eq "1") {
  plot ARG2 using 1:2 with lines ls 11 title "raw", \
       ARG2 using 1:3 with lines ls 1 title "smoothed (EMA 0.9)"
} else { set label 1 nodata("loss") at graph 0.5,0.5 center; plot [0:1][0:1] NaN notitle; unset label 1 }
set title "PPO reward"
set ylabel "mean reward"
if (ARG3[2:2] eq "1") {
  plot ARG2 using 1:4 with lines ls 14 title "raw", \
       ARG2 using 1:5 with lines ls 4 title "smoothed (EMA 0.9)"
} else { set label 1 nodata("reward_mean") at graph 0.5,0.5 center; plot [0:1][0:1] NaN notitle; unset label 1 }
set title "PPO KL to the reference"
set ylabel "KL (nats per response)"
if (ARG3[3:3] eq "1") {
  plot ARG2 using 1:6 with lines ls 5 title "KL"
} else { set label 1 nodata("kl") at graph 0.5,0.5 center; plot [0:1][0:1] NaN notitle; unset label 1 }
set title "evaluation loss"
set ylabel "held-out loss (nats)"
if (ARG3[4:4] eq "1") {
  plot ARG2 using 1:7 with linespoints ls 2 title "eval"
} else { set label 1 nodata("eval_loss") at graph 0.5,0.5 center; plot [0:1][0:1] NaN notitle; unset label 1 }
unset multiplot

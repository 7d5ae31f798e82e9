# plot-style.gp — the one plotting style of prefpipe's PNGs: the recipe's
# training.png (tools/recipe-plot.gp), pipelines/watch-metrics.sh
# (tools/metrics.gp) and eval-report --plot (which embeds this file at
# build time: build/gen/plot_style.c).  Loaded first, before the script
# that plots; that script sets its own size, output and labels.
#
# Text is never enhanced (noenhanced: an underscore in a name stays an
# underscore), legends sit outside the data, a grid helps read values off.
# Line styles: 1-6 solid curves (smoothed, or the only curve), 11-16 the
# same colours faint (raw values under a smoothed curve).
set terminal pngcairo size 1200,800 noenhanced font ",10"
set grid
set key outside top center horizontal noenhanced
set datafile missing "NaN"
set style line 1 lc rgb "#1f4e9c" lw 2
set style line 2 lc rgb "#c0392b" lw 2
set style line 3 lc rgb "#1e8449" lw 2
set style line 4 lc rgb "#7d3c98" lw 2
set style line 5 lc rgb "#b9770e" lw 2
set style line 6 lc rgb "#117a8b" lw 2
set style line 11 lc rgb "#a9bde0" lw 1
set style line 12 lc rgb "#eab3ad" lw 1
set style line 13 lc rgb "#a9dcbc" lw 1
set style line 14 lc rgb "#d5b8e0" lw 1
set style line 15 lc rgb "#eed3a6" lw 1
set style line 16 lc rgb "#a6d8e0" lw 1

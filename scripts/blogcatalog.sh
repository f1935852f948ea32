#!/usr/bin/env bash
# Embed BlogCatalog with the given extra options and score it with the
# built-in node-classification evaluator (DeepWalk/NetMF protocol).
#
#   scripts/blogcatalog.sh [pmivec embed options…]
#   e.g. scripts/blogcatalog.sh --propagation none
#
# Prints one table row:
# options | Micro-F1@50% Micro-F1@90% Macro-F1@50% | wall seconds, peak RSS | stage times
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
out=$(mktemp -d)/bc.txt
/usr/bin/time -f "%e s, %M KB" target/release/pmivec embed graphs/blogcatalog/edges.tsv -o "$out" "$@" 2> "$out.log"
scores=$(target/release/pmivec eval nodes "$out" graphs/blogcatalog/labels.tsv --ratios 0.5,0.9 \
  | awk '$1 == "0.5" { mi5 = $2; ma5 = $5 } $1 == "0.9" { mi9 = $2 } END { printf "%.3f %.3f %.3f", mi5, mi9, ma5 }')
echo "${*:-defaults} | $scores | $(tail -1 "$out.log") | $(grep -o 'read.*' "$out.log")"
rm -rf "$(dirname "$out")"

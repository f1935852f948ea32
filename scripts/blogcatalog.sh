#!/usr/bin/env bash
# Embed BlogCatalog with the given extra options and score it with the shared
# node-classification evaluator (DeepWalk/NetMF protocol).
#
#   scripts/blogcatalog.sh [pmivec embed options…]
#   e.g. scripts/blogcatalog.sh --walks-per-node 25 --cds 1 --min-pair-count 1
#
# Needs: python3 with numpy, scipy, scikit-learn; the evaluator at
# $EVAL (default ../shared/eval/eval_nodeclf.py). Prints one table row:
# options | Micro-F1@50% Micro-F1@90% Macro-F1@50% | wall seconds, peak RSS | stage times
set -euo pipefail
cd "$(dirname "$0")/.."
EVAL=${EVAL:-../shared/eval/eval_nodeclf.py}
cargo build --release --quiet
out=$(mktemp -d)/bc.txt
/usr/bin/time -f "%e s, %M KB" target/release/pmivec embed graphs/blogcatalog/edges.tsv -o "$out" "$@" 2> "$out.log"
scores=$(python3 "$EVAL" "$out" graphs/blogcatalog/labels.tsv --ratios 0.5,0.9 2>/dev/null | python3 -c "
import json, sys
r = json.load(sys.stdin)['results']['l2']
print('%.3f %.3f %.3f' % (r['0.5']['micro_mean'], r['0.9']['micro_mean'], r['0.5']['macro_mean']))")
echo "${*:-defaults} | $scores | $(tail -1 "$out.log") | $(grep -o 'read.*' "$out.log")"
rm -rf "$(dirname "$out")"

#!/usr/bin/env bash
# Fingerprints of the outputs of a fixed set of runs — embed with every
# estimator, node2vec, directed, words, docs, and fold-in of graphs and
# words — one `sha256  name` line each: run it before and after a refactor
# that must not change a byte, and diff the two listings.
#   scripts/golden.sh [PMIVEC] > before.txt    (PMIVEC defaults to target/release/pmivec)
# Uses the bundled graphs; the word and document runs read ../shared/data/text
# and are skipped (with a line saying so) where it is absent.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${1:-$root/target/release/pmivec}")
text=${PMIVEC_DATA:-$root/../shared/data}/text
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
g=$root/graphs
run() { "$bin" "$@" -q; }

# Graphs: each estimator, node2vec, directed, a model and its fold-in.
run embed "$g/karate/edges.tsv" -o k-auto.npy --dim 8
run embed "$g/karate/edges.tsv" -o k-windows.npy --dim 8 --estimator windows --side both
run embed "$g/karate/edges.tsv" -o k-first.npy --dim 8 --estimator first-order --side both
run embed "$g/karate/edges.tsv" -o k-exact.npy --dim 8 --exact --neg 2
run embed "$g/karate/edges.tsv" -o k-n2v.npy --dim 8 --p 0.5 --q 2
run embed "$g/karate/edges.tsv" -o k-dir.npy --dim 8 --directed --estimator windows
run embed "$g/blogcatalog/edges.tsv" -o bc.npy --threads 2
run embed "$g/words/edges.tsv.gz" -o words-graph.npy --weighted --dim 32
# Fold-in: BlogCatalog's nodes above 9000 are new (their edges to the rest
# fold them in; the edges among them are skipped).
awk '$1 > 9000 || $2 > 9000' "$g/blogcatalog/edges.tsv" > new.tsv
awk '$1 <= 9000 && $2 <= 9000' "$g/blogcatalog/edges.tsv" > known.tsv
for est in windows first-order; do
  run embed known.tsv -o known-$est.npy --dim 32 --estimator $est --save-model m-$est.bin
  run fold-in m-$est.bin new.tsv -o fold-$est.npy
  run embed known.tsv -o known-$est-np.npy --dim 32 --estimator $est --propagation 0 --save-model m-$est-np.bin
  run fold-in m-$est-np.bin new.tsv -o fold-$est-np.npy
done

if [ -d "$text" ]; then
  zcat "$text/enwiki_sample_clean.txt.gz" > all.txt
  head -80 all.txt > corpus.txt
  sed -n 81,106p all.txt > more.txt
  run words corpus.txt -o words.npy --dim 32 --save-model w.bin
  run words corpus.txt -o words-stem.npy --dim 32 --stem --cds 1 --side both
  run fold-in w.bin more.txt -o words-fold.npy --min-count 2
  zcat "$text/bbcnews.tsv.gz" > bbc.tsv
  head -1200 bbc.tsv > docs.tsv
  sed -n 1201,1300p bbc.tsv > docs-new.tsv
  run docs docs.tsv -o docs.npy --term-output terms.npy --dim 32 --fold-in docs-new.tsv --fold-output docs-fold.npy
  run docs docs.tsv -o docs-le.npy --dim 32 --weighting log-entropy
else
  echo "# $text absent: word and document runs skipped"
fi

# The vectors and ids only: sidecars hold timings.
for f in $(ls *.npy *.ids 2>/dev/null | sort); do sha256sum "$f"; done

#!/usr/bin/env bash
# Concatenate the four small corpora of the text speed benchmark into one file
# (one sentence/document per line): the enwiki sample, the text column of BBC
# News, the verse column of the KJV Bible, and the Lee background corpus
# (Latin-1, which `pmivec words` reads as such line by line).
#   scripts/small_corpora.sh OUT [DATA_DIR]   (DATA_DIR defaults to ../shared/data/text)
set -euo pipefail
out=$1
d=${2:-$(dirname "$0")/../../shared/data/text}
{
  zcat "$d/enwiki_sample_clean.txt.gz"
  zcat "$d/bbcnews.tsv.gz" | cut -f3
  zcat "$d/kjv_bible.tsv.gz" | cut -f2
  cat "$d/gensim-4.4.0/lee_background.cor"
} > "$out"
wc -l "$out" >&2

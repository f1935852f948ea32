#!/usr/bin/env python3
"""Build a weighted word co-occurrence graph and suffix labels from a text corpus.

    python3 scripts/word_graph.py CORPUS.txt.gz OUT_DIR [--window 2] [--min-count 20]

Nodes are the words seen at least --min-count times; an edge a–b weighs how
often b occurs within --window words of a in one line. Labels: the words
ending in -ly, -ing, -ed or -tion get that suffix as their label (a property
computed from the word alone, which its immediate neighbours predict). Writes
OUT_DIR/edges.tsv (`a<TAB>b<TAB>weight`) and OUT_DIR/labels.tsv.
Standard library only.
"""
import argparse, collections, gzip, os, re

ap = argparse.ArgumentParser()
ap.add_argument("corpus")
ap.add_argument("out")
ap.add_argument("--window", type=int, default=2)
ap.add_argument("--min-count", type=int, default=20)
a = ap.parse_args()
opener = gzip.open if a.corpus.endswith(".gz") else open
lines = [re.findall(r"[a-z]+", l.lower()) for l in opener(a.corpus, "rt", errors="replace")]
count = collections.Counter(w for l in lines for w in l)
vocab = {w for w, c in count.items() if c >= a.min_count}
pairs = collections.Counter()
for l in lines:
    toks = [w for w in l if w in vocab]
    for i, w in enumerate(toks):
        for v in toks[i + 1 : i + 1 + a.window]:
            if v != w:
                pairs[(w, v) if w < v else (v, w)] += 1
os.makedirs(a.out, exist_ok=True)
with open(os.path.join(a.out, "edges.tsv"), "w") as f:
    for (w, v), c in sorted(pairs.items()):
        f.write(f"{w}\t{v}\t{c}\n")
suffixes = ["tion", "ing", "ly", "ed"]
with open(os.path.join(a.out, "labels.tsv"), "w") as f:
    for w in sorted(vocab):
        s = next((s for s in suffixes if w.endswith(s) and len(w) > len(s) + 2), None)
        if s:
            f.write(f"{w}\t{s}\n")
print(f"{len(vocab)} words, {len(pairs)} edges, window {a.window}")

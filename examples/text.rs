//! Word vectors and LSA document vectors from a small corpus built in code:
//! two topics that never share a sentence. Prints each probe word's nearest
//! neighbour and where a new document folds in.
//!
//! Run: `cargo run --release --example text`

use pmivec::lsa::{Lsa, LsaConfig};
use pmivec::similarity::Index;
use pmivec::text::{Corpus, TextConfig};
use pmivec::words::{WordConfig, embed_words};
use pmivec::{NoProgress, Side};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pets = ["the cat chased the dog", "a dog and a cat are pets", "pets like the vet", "the vet fed the cat"];
    let money =
        ["the bank sold the bond", "a stock and a bond trade", "the market likes the stock", "the bank market fell"];
    let lines: Vec<&str> = (0..200).map(|i| if i % 2 == 0 { pets[i / 2 % 4] } else { money[i / 2 % 4] }).collect();

    // Words: PPMI → SVD.
    let text_config = TextConfig::default().min_count(1).english_stopwords();
    let corpus = Corpus::from_lines(lines.iter().copied(), &text_config)?;
    let config = WordConfig::default().dim(4).window(2).subsample(0.0);
    let (words, _) = embed_words(&corpus, &config, &NoProgress)?;
    let index = Index::new(&words, Side::Left);
    for probe in ["cat", "stock"] {
        let nn = index.nearest(probe, 1).unwrap();
        println!("nearest({probe}) = {} ({:.2})", nn[0].label, nn[0].score);
    }

    // Documents: tf-idf → SVD, then fold in a new one.
    let texts: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
    let ids: Vec<String> = (1..=texts.len()).map(|i| i.to_string()).collect();
    let (lsa, _) = Lsa::fit(&ids, &texts, &LsaConfig::default().dim(2), &text_config, &NoProgress)?;
    let docs = Index::new(lsa.documents(), Side::Left);
    let new = lsa.fold_in("my cat and my dog visit the vet");
    let best = docs.nearest_to(&new, 1, 0, &[]);
    println!(
        "the new document is closest to document {}: \"{}\"",
        best[0].label,
        texts[best[0].label.parse::<usize>()? - 1]
    );
    Ok(())
}

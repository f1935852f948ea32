//! `pmivec info EMB`: what an embedding file is, from the file and its sidecar.

use anyhow::Context;
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
pub struct InfoArgs {
    /// An embedding file (word2vec text, npy or Parquet).
    embeddings: PathBuf,
}

pub fn run(args: InfoArgs) -> anyhow::Result<()> {
    let emb = pmivec::Embeddings::load(&args.embeddings).context("reading the embeddings")?;
    outln!("{}: {} rows × {} values", args.embeddings.display(), emb.len(), emb.dim());
    let Some(meta) = emb.metadata() else {
        match pmivec::io::sidecar(&args.embeddings, &emb) {
            pmivec::io::Sidecar::Stale(why) => outln!("sidecar ignored: {why}; provenance unknown"),
            _ => outln!("no sidecar ({}.json): provenance unknown", args.embeddings.display()),
        }
        return Ok(());
    };
    outln!(
        "made by {} {}, format {:?}, side {:?}, row order {:?}",
        meta.tool,
        meta.version,
        meta.format,
        meta.side,
        meta.row_order
    );
    if let Some(input) = &meta.input {
        outln!("input {} (sha256 {})", input.display(), meta.input_sha256.as_deref().unwrap_or("unknown"));
    }
    let stages: Vec<String> = meta.stage_seconds.iter().map(|(s, t)| format!("{s} {t:.2}s")).collect();
    if !stages.is_empty() {
        outln!("stages {}", stages.join(" · "));
    }
    if let Some(config) = meta.config::<serde_json::Value>() {
        // Outputs of fold-in, align and pca record what made them, which is
        // no run's config: only the others can be given back as --config.
        let derived = ["fold_in", "align", "pca"].iter().any(|k| config.get(k).is_some());
        let what = if derived { "made from (not a --config)" } else { "config (usable as --config)" };
        outln!("{what}:\n{}", serde_json::to_string_pretty(&config)?);
    }
    Ok(())
}

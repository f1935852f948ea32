//! `pmivec align` and `pmivec pca`: working with embeddings and feature matrices.

use super::common::check_outputs;
use anyhow::{Context, bail};
use clap::Args;
use pmivec::align::{AlignConfig, align};
use pmivec::factorize::SvdConfig;
use pmivec::io::Format;
use pmivec::pca::{Features, pca};
use pmivec::sparse::SparseMatrix;
use pmivec::{Embeddings, Side};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct AlignArgs {
    /// The target embedding (word2vec text, npy or Parquet).
    target: PathBuf,
    /// The embedding to align onto it.
    source: PathBuf,
    /// Where the aligned source goes.
    #[arg(short, long)]
    output: PathBuf,
    /// Anchor pairs `target_label<TAB>source_label` per line [default: every shared label].
    #[arg(long)]
    anchors: Option<PathBuf>,
    /// Match the anchors' means before rotating.
    #[arg(long)]
    center: bool,
    /// Allow a uniform scale.
    #[arg(long)]
    scale: bool,
    /// Output format [default: from the output's name: `.npy` → npy, `.parquet` → parquet, else word2vec text] (npy also
    /// writes OUTPUT.ids).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// No report on stderr.
    #[arg(short, long)]
    quiet: bool,
}

pub fn run_align(args: AlignArgs) -> anyhow::Result<()> {
    let mut inputs = vec![args.target.as_path(), args.source.as_path()];
    inputs.extend(args.anchors.as_deref());
    let format = super::common::format_of(&args.output, args.format)?;
    let mut outputs = check_outputs(&inputs, &[(&args.output, format)])?;
    let target = Embeddings::load(&args.target).context("reading the target")?;
    let source = Embeddings::load(&args.source).context("reading the source")?;
    let anchors = match &args.anchors {
        Some(p) => Some(read_pairs(p)?),
        None => None,
    };
    let (aligned, stats) =
        align(&target, &source, anchors.as_deref(), AlignConfig { center: args.center, scale: args.scale })?;
    let recorded = serde_json::json!({"align": {"target": args.target, "source": args.source, "center": args.center, "scale": args.scale}});
    outputs.add(&aligned, Side::Left, format, &args.output, &recorded, &args.source, &[])?;
    outputs.commit()?;
    if !args.quiet {
        eprintln!(
            "pmivec: wrote {}: {} anchors, residual {:.6}, nearest target anchor is the partner for {:.2} %, \
             mean cosine {:.4}, scale {:.6}",
            args.output.display(),
            stats.anchors,
            stats.residual,
            100.0 * stats.nearest_is_partner,
            stats.mean_cosine,
            stats.scale
        );
    }
    Ok(())
}

fn read_pairs(path: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let text = pmivec::source::read_to_string(path)?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|(i, l)| {
            let f: Vec<&str> = l.split(['\t', ' ', ',']).filter(|s| !s.is_empty()).collect();
            match f[..] {
                [a, b] => Ok((a.to_owned(), b.to_owned())),
                _ => bail!("{}:{}: expected `target<TAB>source`", path.display(), i + 1),
            }
        })
        .collect()
}

#[derive(Args)]
pub struct PcaArgs {
    /// Features: npy (+ .ids), delimited text rows of numbers (a first column that is not a number is
    /// taken for row labels), or with --sparse `row col value` triplets.
    input: PathBuf,
    /// Where the projected rows go.
    #[arg(short, long)]
    output: PathBuf,
    /// Components k.
    #[arg(long, default_value_t = 2)]
    dim: usize,
    /// Read `row col value` triplets (a sparse matrix, never densified).
    #[arg(long, conflicts_with = "docs")]
    sparse: bool,
    /// Read documents as `pmivec docs` does and take the PCA of their tf-idf term–document matrix
    /// (sparse; text options as for docs).
    #[arg(long)]
    docs: bool,
    #[command(flatten)]
    text: super::common::TextArgs,
    /// Power iterations of the randomized SVD.
    #[arg(long, default_value_t = 8)]
    power_iters: usize,
    /// Output format [default: from the output's name: `.npy` → npy, `.parquet` → parquet, else word2vec text] (npy also
    /// writes OUTPUT.ids).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// No report on stderr.
    #[arg(short, long)]
    quiet: bool,
}

pub fn run_pca(args: PcaArgs) -> anyhow::Result<()> {
    let mut inputs = vec![args.input.as_path()];
    inputs.extend(args.text.files());
    let format = super::common::format_of(&args.output, args.format)?;
    let mut outputs = check_outputs(&inputs, &[(&args.output, format)])?;
    let (labels, features) = if args.docs {
        let docs = pmivec::lsa::read_documents(&args.input, None)?;
        let text = args.text.config(2, "english")?;
        let (x, _) = pmivec::lsa::term_document_matrix(&docs.texts, &Default::default(), &text)?;
        (docs.ids, Features::Sparse(x))
    } else {
        read_features(&args.input, args.sparse)?
    };
    let config = SvdConfig { oversample: 10, power_iters: args.power_iters, seed: 0 };
    let p = pca(&features, args.dim, &config)?;
    let emb = Embeddings::from_matrix(labels, args.dim, p.transformed.clone());
    let recorded =
        serde_json::json!({"pca": {"dim": args.dim, "explained_variance_ratio": p.explained_variance_ratio}});
    outputs.add(&emb, Side::Left, format, &args.output, &recorded, &args.input, &[])?;
    outputs.commit()?;
    if !args.quiet {
        eprintln!("pmivec: wrote {}: {} components", args.output.display(), args.dim);
        eprintln!("component  explained variance  ratio");
        let mut cumulative = 0.0;
        for (i, (v, r)) in p.explained_variance.iter().zip(&p.explained_variance_ratio).enumerate() {
            cumulative += r;
            eprintln!("{:>9}  {:>18.6}  {:.6} (cumulative {:.6})", i + 1, v, r, cumulative);
        }
    }
    Ok(())
}

/// Whether `path` is a regular file that starts as an npy array does.
fn is_npy(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 6];
    path.is_file()
        && std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok()
        && &magic == b"\x93NUMPY"
}

/// Row labels and the feature matrix of a PCA input.
fn read_features(path: &Path, sparse: bool) -> anyhow::Result<(Vec<String>, Features)> {
    if !sparse {
        // An embedding file (npy, or word2vec text with its `n d` header).
        match Embeddings::load(path) {
            Ok(emb) => {
                let d = emb.dim();
                return Ok((
                    emb.labels().to_vec(),
                    Features::Dense { rows: emb.len(), cols: d, data: emb.matrix(Side::Left) },
                ));
            }
            // An npy file is no text table: its own error says what is wrong.
            Err(e) if is_npy(path) => return Err(e.into()),
            Err(_) => {}
        }
    }
    let text = pmivec::source::read_to_string(path)?;
    let lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
    let split =
        |l: &str| -> Vec<String> { l.split(['\t', ' ', ',']).filter(|s| !s.is_empty()).map(str::to_owned).collect() };
    let err = |i: usize, m: &str| anyhow::anyhow!("{}:{}: {m}", path.display(), i + 1);
    if sparse {
        let (mut rows, mut cols): (HashMap<String, u32>, HashMap<String, u32>) = Default::default();
        let (mut labels, mut triplets) = (Vec::new(), Vec::new());
        for (i, l) in lines {
            let f = split(l);
            if f.len() != 3 {
                return Err(err(i, "expected `row col value`"));
            }
            let v: f32 = f[2].parse().map_err(|_| err(i, "the value is not a number"))?;
            if !v.is_finite() {
                return Err(err(i, "the value is not finite"));
            }
            let r = *rows.entry(f[0].clone()).or_insert_with(|| {
                labels.push(f[0].clone());
                labels.len() as u32 - 1
            });
            let n = cols.len() as u32;
            let c = *cols.entry(f[1].clone()).or_insert(n);
            triplets.push((r, c, v));
        }
        triplets.sort_by_key(|t| (t.0, t.1));
        let mut indptr = vec![0usize; labels.len() + 1];
        let (mut idx, mut val): (Vec<u32>, Vec<f32>) = (Vec::new(), Vec::new());
        for (k, &(r, c, v)) in triplets.iter().enumerate() {
            if k > 0 && triplets[k - 1].0 == r && triplets[k - 1].1 == c {
                *val.last_mut().unwrap() += v; // duplicates add up
                continue;
            }
            idx.push(c);
            val.push(v);
            indptr[r as usize + 1] += 1;
        }
        for i in 0..labels.len() {
            indptr[i + 1] += indptr[i];
        }
        let m = SparseMatrix::from_csr((labels.len(), cols.len()), indptr, idx, val);
        return Ok((labels, Features::Sparse(m)));
    }
    let (mut labels, mut data, mut width) = (Vec::new(), Vec::new(), None);
    for (i, l) in lines {
        let mut f = split(l);
        let label =
            if f.first().is_some_and(|x| x.parse::<f32>().is_err()) { f.remove(0) } else { labels.len().to_string() };
        if *width.get_or_insert(f.len()) != f.len() {
            return Err(err(i, &format!("expected {} values, found {}", width.unwrap(), f.len())));
        }
        for x in &f {
            let v: f32 = x.parse().map_err(|_| err(i, &format!("`{x}` is not a number")))?;
            if !v.is_finite() {
                return Err(err(i, &format!("`{x}` is not finite")));
            }
            data.push(v);
        }
        labels.push(label);
    }
    let cols = width.unwrap_or(0);
    if labels.is_empty() || cols == 0 {
        bail!("{}: no rows", path.display());
    }
    Ok((labels.clone(), Features::Dense { rows: labels.len(), cols, data }))
}

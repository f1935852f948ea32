//! `pmivec plot EMB -o OUT.png|OUT.svg|OUT.html`: a map of an embedding
//! coloured by label (`.html`: a page to explore it), or (`--spectrum`)
//! its singular values.

use super::common::{check_outputs_and, thousands};
use super::progress::Bars;
use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use pmivec::layout::{LayoutConfig, Method, layout};
use pmivec::plot::{Groups, ImageFormat, MapPicture};
use pmivec::{Embeddings, Side};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Clone, Copy, ValueEnum)]
enum MethodArg {
    Tsne,
    Pca,
}

#[derive(Args)]
pub struct PlotArgs {
    /// An embedding (word2vec text, npy with its .ids, or Parquet).
    embeddings: PathBuf,
    /// The picture: `.png`, `.svg`, or `.html` — one self-contained page to explore the map (hover for
    /// ids and labels, pan, zoom, search a node and see its nearest neighbours).
    #[arg(short, long)]
    output: PathBuf,
    /// `node<TAB>label` lines (several per node allowed): colour the points by label.
    #[arg(long)]
    labels: Option<PathBuf>,
    /// How to map the vectors to the plane.
    #[arg(long, value_enum, default_value = "tsne")]
    method: MethodArg,
    /// Draw the singular values of the factorized matrix (from the sidecar) instead of a map.
    #[arg(long)]
    spectrum: bool,
    /// t-SNE perplexity [default: 30, lowered with a note when there are fewer than 92 points].
    #[arg(long)]
    perplexity: Option<f64>,
    /// t-SNE iterations.
    #[arg(long, default_value_t = LayoutConfig::default().epochs)]
    epochs: usize,
    /// Map at most this many rows (a seeded sample of larger embeddings).
    #[arg(long, default_value_t = 20_000)]
    max_points: usize,
    /// At most this many colours (the most frequent labels; the rest grey).
    #[arg(long, default_value_t = 10)]
    colours: usize,
    /// Seed of the sample and the map.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Width in pixels.
    #[arg(long, default_value_t = 1200)]
    width: u32,
    /// Height in pixels.
    #[arg(long, default_value_t = 900)]
    height: u32,
    /// HTML page: nearest neighbours listed per node (in the full-dimensional space).
    #[arg(long, default_value_t = 10)]
    neighbours: usize,
    /// Caption [default: the file name and what is drawn].
    #[arg(long)]
    title: Option<String>,
    /// No progress bars or summary.
    #[arg(short, long)]
    quiet: bool,
}

pub fn run(args: PlotArgs) -> anyhow::Result<()> {
    let start = Instant::now();
    let Some(format) = ImageFormat::from_path(&args.output) else {
        bail!("{}: the picture's name must end in .png, .svg or .html", args.output.display());
    };
    let mut inputs = vec![args.embeddings.as_path()];
    inputs.extend(args.labels.as_deref());
    let mut outputs = check_outputs_and(&inputs, &[], &[&args.output])?;
    if args.max_points < 3 || args.colours == 0 {
        bail!("--max-points must be at least 3 and --colours at least 1");
    }
    let emb = Embeddings::load(&args.embeddings).context("reading the embedding")?;
    let name = args.embeddings.file_name().unwrap_or_default().to_string_lossy().into_owned();
    let size = (args.width, args.height);
    if args.spectrum && format == ImageFormat::Html {
        bail!("--spectrum draws a picture: name it .png or .svg");
    }
    let (bytes, what) = if args.spectrum {
        let (values, source) = spectrum_values(&emb)?;
        let title = args.title.clone().unwrap_or_else(|| format!("{name}: {source}"));
        (pmivec::plot::spectrum(&values, &title, size, format)?, format!("{} singular values ({source})", values.len()))
    } else {
        draw_map(&args, &emb, &name, format)?
    };
    outputs.batch().add_bytes(&args.output, &bytes)?;
    outputs.commit().context("writing the picture")?;
    if !args.quiet {
        eprintln!(
            "pmivec: wrote {} ({}): {what} · total {:.2}s",
            args.output.display(),
            match format {
                ImageFormat::Png => format!("{}×{} PNG", args.width, args.height),
                ImageFormat::Svg => format!("{}×{} SVG", args.width, args.height),
                ImageFormat::Html => format!("HTML, {} bytes", thousands(bytes.len() as u64)),
            },
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// The sidecar's singular values, or for a file without them those of the
/// centred vectors (PCA).
fn spectrum_values(emb: &Embeddings) -> anyhow::Result<(Vec<f64>, &'static str)> {
    if let Some(values) = emb.metadata().map(|m| m.singular_values.clone()).filter(|v| !v.is_empty()) {
        return Ok((values, "singular values of the factorized matrix"));
    }
    let (n, d) = (emb.len(), emb.dim());
    let k = d.min(n.saturating_sub(1));
    if k == 0 {
        bail!("a spectrum needs at least two rows");
    }
    let features = pmivec::pca::Features::Dense { rows: n, cols: d, data: emb.matrix(Side::Left) };
    let fitted = pmivec::pca::pca(&features, k, &Default::default())?;
    let values = fitted.explained_variance.iter().map(|v| (v * (n - 1) as f64).sqrt()).collect();
    Ok((values, "no sidecar values: singular values of the centred vectors"))
}

fn draw_map(args: &PlotArgs, emb: &Embeddings, name: &str, format: ImageFormat) -> anyhow::Result<(Vec<u8>, String)> {
    let labels = args.labels.as_deref().map(read_labels).transpose()?;
    // A seeded sample of a large embedding, labelled rows first: a map
    // coloured by label shows as many labelled points as it can.
    let n = emb.len();
    let emb = if n > args.max_points {
        let unlabelled = |i: usize| labels.as_ref().is_some_and(|l| !l.contains_key(emb.labels()[i].as_str()));
        let mut keys: Vec<(bool, u64, usize)> =
            (0..n).map(|i| (unlabelled(i), pmivec::seed::mix(args.seed, i as u64), i)).collect();
        keys.select_nth_unstable(args.max_points - 1);
        let mut rows: Vec<usize> = keys[..args.max_points].iter().map(|k| k.2).collect();
        rows.sort_unstable();
        let (d, all) = (emb.dim(), emb.matrix(Side::Left));
        let labels = rows.iter().map(|&i| emb.labels()[i].clone()).collect();
        let data = rows.iter().flat_map(|&i| all[i * d..(i + 1) * d].iter().copied()).collect();
        Embeddings::from_matrix(labels, d, data)
    } else {
        emb.clone()
    };
    let method = match args.method {
        MethodArg::Tsne => Method::Tsne,
        MethodArg::Pca => Method::Pca,
    };
    let perplexity = args.perplexity.unwrap_or_else(|| {
        let p = pmivec::layout::default_perplexity(emb.len());
        if p < LayoutConfig::default().perplexity && method == Method::Tsne && !args.quiet {
            eprintln!("pmivec: note: perplexity lowered to {p} for {} points", emb.len());
        }
        p
    });
    let config = LayoutConfig { method, perplexity, epochs: args.epochs, seed: args.seed };
    let bars = Bars::new(args.quiet);
    let t = Instant::now();
    let points = layout(&emb, Side::Left, &config, &bars).context("mapping the vectors to the plane")?;
    let map_secs = t.elapsed().as_secs_f64();
    let groups = match (&labels, &args.labels) {
        (Some(of), Some(path)) => {
            let per_point: Vec<Vec<String>> =
                emb.labels().iter().map(|l| of.get(l.as_str()).cloned().unwrap_or_default()).collect();
            if per_point.iter().all(|l| l.is_empty()) {
                bail!("{}: no node of the labels file is in the embedding", path.display());
            }
            Groups::from_labels(&per_point, args.colours)
        }
        _ => Groups::default(),
    };
    let method_name = if method == Method::Tsne { "t-SNE" } else { "PCA" };
    let sampled = if emb.len() < n { format!(" (a sample of {})", thousands(n as u64)) } else { String::new() };
    let title = args
        .title
        .clone()
        .unwrap_or_else(|| format!("{name}: {method_name} of {} rows{sampled}", thousands(emb.len() as u64)));
    let bytes = if format == ImageFormat::Html {
        let per_point: Vec<Vec<String>> = emb
            .labels()
            .iter()
            .map(|l| labels.as_ref().and_then(|of| of.get(l.as_str()).cloned()).unwrap_or_default())
            .collect();
        let neighbours = pmivec::explorer::neighbours(&emb, Side::Left, args.neighbours);
        let page = pmivec::explorer::Page { points: &points, labels: &per_point, groups: &groups, title };
        pmivec::explorer::page(&page, emb.labels(), &neighbours)?
    } else {
        let annotate = (emb.len() <= 60).then(|| emb.labels());
        let picture = MapPicture { points: &points, groups: &groups, annotate, title, size: (args.width, args.height) };
        pmivec::plot::map(&picture, format)?
    };
    let coloured =
        if groups.names.is_empty() { String::new() } else { format!(", {} labels coloured", groups.names.len()) };
    Ok((bytes, format!("{method_name} of {} rows{sampled} in {map_secs:.2}s{coloured}", thousands(emb.len() as u64))))
}

/// Each labelled node's labels, from a `node<TAB>label` file.
fn read_labels(path: &Path) -> anyhow::Result<HashMap<String, Vec<String>>> {
    let labels = pmivec::eval::read_node_labels(path)?;
    Ok(labels
        .nodes
        .into_iter()
        .zip(&labels.of)
        .map(|(node, ls)| (node, ls.iter().map(|&l| labels.labels[l as usize].clone()).collect()))
        .collect())
}

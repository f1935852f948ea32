//! # pmivec
//!
//! Embeddings by factorizing a PMI matrix, for graphs, words and documents.
//!
//! For graphs: an edge list becomes a CSR [`Graph`]; a [`budget`] plan picks
//! the first-stage matrix from the graph's size — NetMF's (Qiu et al., WSDM
//! 2018), estimated from random-walk windows (DeepWalk or node2vec, streamed
//! and never stored) at an edge-proportional budget, or, where that budget
//! would not fit, ProNE's exact first-order matrix — and checks the memory
//! estimate; a randomized truncated SVD gives U·Σ^p (nodes) and V·Σ^p
//! (contexts); ProNE's spectral propagation then sharpens the node vectors.
//! Sentences take the same path from the counter on ([`words`]), and
//! documents go through a tf-idf matrix to the same SVD ([`lsa`]).
//!
//! ```
//! use pmivec::{embed, io, EdgeListFormat, EmbedConfig, Graph, NoProgress, Side};
//!
//! let graph = Graph::from_edge_list_path("graphs/karate/edges.tsv", &EdgeListFormat::default())?;
//! let config = EmbedConfig::default().dim(16).seed(7);
//! let (emb, report) = embed(&graph, &config, &NoProgress)?;
//! assert_eq!(emb.len(), 34);
//! let mut text = Vec::new();
//! io::write_word2vec(&emb, Side::Left, &mut text)?;
//! assert!(text.starts_with(b"34 16\n"));
//! assert!(report.pmi_nonzeros > 0 && report.propagation_passes > 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The stages are public too, for research code — here the raw first-stage
//! embedding and its propagated form side by side:
//!
//! ```
//! use pmivec::{cooccur, factorize, pmi, propagate, EdgeListFormat, Embeddings, Graph, NoProgress, Side};
//!
//! let graph = Graph::from_edge_list_path("graphs/karate/edges.tsv", &EdgeListFormat::default())?;
//! let counts = cooccur::count_graph(&graph, &cooccur::CountConfig {
//!     window: 5, windows: 20.0 * 40.0 * 34.0, min_count: 1, seed: 1, ..Default::default()
//! }, &NoProgress);
//! let m = pmi::pmi(&counts, &pmi::PmiConfig { neg: 1.0, cds: 1.0 });
//! let svd = factorize::randomized_svd_symmetric(&m, 8, &factorize::SvdConfig::default())?;
//! let raw = Embeddings::from_svd(graph.labels().to_vec(), svd, 0.5);
//! let mut left = raw.matrix(Side::Left);
//! propagate::propagate(&graph, &mut left, 8, &propagate::PropagationConfig::default())?;
//! assert_eq!((raw.dim(), left.len()), (8, 34 * 8));
//! # Ok::<(), pmivec::Error>(())
//! ```
//!
//! Words, with queries:
//!
//! ```
//! use pmivec::similarity::Index;
//! use pmivec::text::{Corpus, TextConfig};
//! use pmivec::words::{embed_words, WordConfig};
//! use pmivec::{NoProgress, Side};
//!
//! let lines = ["the cat sat on the mat", "the dog sat on the rug", "stocks and bonds fell"].repeat(50);
//! let corpus = Corpus::from_lines(lines.iter().copied(), &TextConfig::default().min_count(1))?;
//! let config = WordConfig::default().dim(4).subsample(0.0);
//! let (words, _) = embed_words(&corpus, &config, &NoProgress)?;
//! let index = Index::new(&words, Side::Left);
//! let nearest = index.nearest("cat", 3).unwrap();
//! assert_eq!(nearest.len(), 3);
//! # Ok::<(), pmivec::Error>(())
//! ```
//!
//! After the first embedding: nodes that arrive later, without refitting
//! ([`foldin`]), and two embeddings aligned ([`align`]):
//!
//! ```
//! use pmivec::{embed_with_model, EdgeListFormat, EmbedConfig, Graph, NoProgress, Side};
//!
//! let graph = Graph::from_edge_list_path("graphs/karate/edges.tsv", &EdgeListFormat::default())?;
//! let (emb, _, model) = embed_with_model(&graph, &EmbedConfig::default().dim(8), &NoProgress)?;
//! // A newcomer who knows 0, 1 and 2.
//! let edges: Vec<(String, String, f64)> =
//!     ["0", "1", "2"].iter().map(|k| ("newcomer".to_owned(), k.to_string(), 1.0)).collect();
//! let new = model.fold_in(&edges)?;
//! assert_eq!((new.labels(), new.dim()), (&["newcomer".to_owned()][..], 8));
//! let (aligned, fit) = pmivec::align::align(&emb, &emb, None, Default::default())?;
//! assert!(fit.residual < 1e-5 && aligned.len() == 34);
//! # let _ = aligned.vector("0", Side::Left);
//! # Ok::<(), pmivec::Error>(())
//! ```
#![warn(missing_docs)]

pub mod error; // one error enum for the library
mod params; // setters and range checks every config shares
pub mod config; // parameters, defaults, validation
pub mod budget; // the plan: which matrix, how many steps, how much memory
pub mod progress; // the progress hook (the library never prints)
pub mod seed; // where seeds become randomness: (seed, stream, index) → draws
pub mod sparse; // the sparse matrix every stage shares, and its parallel products
pub mod precision; // how dense blocks are stored: f32, or f16 with f32 sums
pub mod block; // where dense blocks live: in memory, or memory-mapped scratch files
pub mod comm; // where a stage's rows live: one machine, or a cluster's shard
pub mod source; // 0. input files: opened once, hashed as read, lines bounded
pub mod graph; // 1. edge list → CSR graph
pub mod text; // 1'. text → tokens → vocabulary → sentences
pub mod walk; // 2. random walks (DeepWalk, node2vec), seeded per walk
pub mod cooccur; // 3. windowed co-occurrence counts (sparse, parallel, row-owned)
pub mod pmi; // 4. counts → truncated, smoothed PMI
pub mod netmf; //    the closed-form NetMF matrix the samples converge to
pub mod factorize; // 5. randomized truncated SVD
pub mod weighted; //    or the SVD refined by weighted least squares (LexVec's loss, by ALS)
pub mod locality; //    how far a graph's signal reaches: the label-free evidence for `auto`
pub mod propagate; // 6. spectral propagation (ProNE's band-pass filter)
pub mod embeddings; // 7. U·Σ^p, V·Σ^p with labels
pub mod fit; //    the tail every path shares: matrix → SVD → embeddings, the run's report
pub mod similarity; //    queries: nearest, analogy, similarity
pub mod io; // 8. word2vec text / npy output with a JSON sidecar
pub mod parquet; // 0′, 8′. edge lists in and embeddings out as Parquet (Spark, Dask, DuckDB, pandas)
pub mod output; // 9. outputs checked, staged and committed as one set
pub mod pipeline; // graphs: all stages in one call
pub mod cluster; // graphs on many machines: the same stages over row shards
pub mod words; // text: the same stages for sentences (PPMI-SVD word vectors)
pub mod lsa; // documents: tf-idf → SVD, fold-in
pub mod foldin; // tools: place nodes and words added after a fit (u = m·V·Σ^(p−1))
pub mod align; // tools: orthogonal Procrustes alignment of two embeddings
pub mod pca; // tools: PCA of a feature matrix (implicitly centred randomized SVD)
#[cfg(feature = "plot")]
pub mod layout; // tools: 2-D maps of an embedding (PCA, t-SNE)
#[cfg(feature = "plot")]
pub mod plot; // tools: pictures of maps and spectra (PNG, SVG)
#[cfg(feature = "plot")]
pub mod explorer; // tools: the map as one self-contained HTML page (hover, search, neighbours)
pub mod eval; // word similarity, analogy, document similarity and classification scores

pub use config::EmbedConfig;
pub use embeddings::{Embeddings, Side};
pub use error::{Error, Result};
pub use graph::{Delimiter, EdgeListFormat, Graph};
pub use pipeline::{Report, embed, embed_exact, embed_with_model};
pub use progress::{NoProgress, Progress};

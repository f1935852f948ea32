//! The library's one error type.
//!
//! Variants carry structured context (file, line, parameter) rather than
//! pre-formatted strings, so callers can match on them and the CLI can print
//! a message that names the file, the line and the problem.

use std::path::PathBuf;

/// Everything that can go wrong in pmivec.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    // The cause is part of the message (not a `source()`), so that a chain
    // printer such as anyhow's `{:#}` does not repeat it.
    #[error("{}: {cause}", path.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "<stream>".into()))]
    Io {
        /// The file, if known.
        path: Option<PathBuf>,
        /// The underlying error.
        cause: std::io::Error,
    },
    /// An output must not be written where it was asked for (it is an
    /// input, a special file, given twice) or cannot replace the file there.
    #[error("{}: {problem}", path.display())]
    Output {
        /// The output file.
        path: PathBuf,
        /// Why it is refused.
        problem: String,
    },
    /// A line of an input file could not be understood.
    #[error("{}:{line}: {message}", path.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "<input>".into()))]
    Parse {
        /// The file, if known.
        path: Option<PathBuf>,
        /// 1-based line number.
        line: u64,
        /// What is wrong with it.
        message: String,
    },
    /// A row of a columnar input (Parquet) could not be understood: the
    /// row is what a line is to a text file.
    #[error("{}: {}{message}", path.display(), row.map(|r| format!("row {r}: ")).unwrap_or_default())]
    Record {
        /// The file.
        path: PathBuf,
        /// 1-based row number over the whole file; `None` for the file as a
        /// whole (its columns, its footer).
        row: Option<u64>,
        /// What is wrong with it.
        message: String,
    },
    /// An input holds nothing to embed.
    #[error("{}: {what}", path.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "<input>".into()))]
    Empty {
        /// The file, if known.
        path: Option<PathBuf>,
        /// What is missing ("no edges", ...).
        what: String,
    },
    /// A configuration parameter is out of its valid range.
    #[error("invalid parameter `{param}`: {reason}")]
    InvalidConfig {
        /// The parameter's name, as in the config struct.
        param: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// The requested rank exceeds what the matrix allows.
    #[error("requested dimension {requested} exceeds the matrix rank bound {max}: use a dimension of at most {max}")]
    RankTooLarge {
        /// Requested rank.
        requested: usize,
        /// Largest possible rank (min of the matrix's sides).
        max: usize,
    },
    /// A graph is too large for an exact (dense) computation.
    #[error("{what}: {nodes} nodes exceeds the limit of {limit} for the dense computation")]
    TooLarge {
        /// What was refused.
        what: &'static str,
        /// The graph's node count.
        nodes: usize,
        /// The limit.
        limit: usize,
    },
    /// The estimated peak memory of a run exceeds the limit: refused before
    /// any heavy allocation.
    #[error(
        "this run needs about {} of memory, above the limit of {} ({breakdown}); {advice}",
        human_bytes(*needed),
        human_bytes(*limit)
    )]
    OverMemory {
        /// Estimated peak bytes.
        needed: u64,
        /// The limit in bytes.
        limit: u64,
        /// Where the memory goes.
        breakdown: String,
        /// What to change.
        advice: String,
    },
    /// The requested work is beyond any reasonable run time.
    #[error("{what}: {advice}")]
    TooMuchWork {
        /// What was asked.
        what: String,
        /// What to change.
        advice: String,
    },
    /// The caller stopped the run (see [`crate::Progress::cancelled`]).
    #[error("interrupted")]
    Interrupted,
    /// A numerical routine failed (e.g. the dense SVD did not converge).
    #[error("numerical failure: {0}")]
    Numerical(String),
    /// A cluster run failed: a peer died or stopped answering, or the
    /// workers disagree (see [`crate::cluster`]).
    #[error("cluster run failed in {stage}: {message}")]
    Cluster {
        /// The stage that was running.
        stage: String,
        /// What went wrong.
        message: String,
    },
}

/// `n` bytes in binary units ("1.50 GiB").
pub fn human_bytes(n: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 { format!("{n} B") } else { format!("{v:.2} {}", units[u]) }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wrap an I/O error with the path it concerns.
    pub fn io(path: impl Into<Option<PathBuf>>, cause: std::io::Error) -> Self {
        Error::Io { path: path.into(), cause }
    }

    /// Name `path` in an error that concerns an input read without one (a
    /// reader, lines handed over): parse, empty-input and I/O errors.
    pub fn with_path(self, path: &std::path::Path) -> Self {
        let fill = |p: Option<PathBuf>| p.or_else(|| Some(path.to_path_buf()));
        match self {
            Error::Parse { path: p, line, message } => Error::Parse { path: fill(p), line, message },
            Error::Empty { path: p, what } => Error::Empty { path: fill(p), what },
            Error::Io { path: p, cause } => Error::Io { path: fill(p), cause },
            other => other,
        }
    }

    pub(crate) fn invalid(param: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidConfig { param, reason: reason.into() }
    }
}

//! A crate that depends on `pmivec` with its defaults compiles the engine
//! only: argument parsing, progress bars, pictures and Parquet live in the
//! `pmivec-cli` crate or behind features, so they cost a library user
//! neither build time nor binary size.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// `cargo tree`'s lines for `packages` (normal and build edges), one per
/// crate as `format` prints it.
fn tree(packages: &[&str], format: &str) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let selected = packages.iter().flat_map(|p| ["-p", p]);
    let out = Command::new(cargo)
        .args(["tree", "--offline", "-e", "normal,build", "--prefix", "none", "--format", format])
        .args(selected)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(out.status.success(), "cargo tree {packages:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(|l| l.trim_end_matches(" (*)").to_owned()).collect()
}

/// The crate names `cargo tree` resolves for `package`.
fn resolved(package: &str) -> BTreeSet<String> {
    tree(&[package], "{p}").iter().filter_map(|l| l.split_whitespace().next()).map(str::to_owned).collect()
}

const FRONT_END: [&str; 12] = [
    "clap",
    "anyhow",
    "indicatif",
    "ctrlc",
    "toml",
    "plotters",
    "bhtsne",
    "png",
    "parquet",
    "arrow-array",
    "petgraph",
    "sprs",
];

#[test]
fn the_library_defaults_compile_no_command_line_picture_or_parquet_crates() {
    let lib = resolved("pmivec");
    for engine in ["faer", "rayon", "rand_xoshiro", "pmivec"] {
        assert!(lib.contains(engine), "{engine} missing from the library's tree: {lib:?}");
    }
    let heavy: Vec<&str> = FRONT_END.into_iter().filter(|c| lib.contains(*c)).collect();
    assert!(heavy.is_empty(), "the library's default build pulls in {heavy:?}");

    // The command line still has all of them but the two input adapters.
    let cli = resolved("pmivec-cli");
    for c in FRONT_END.into_iter().filter(|c| !matches!(*c, "petgraph" | "sprs")) {
        assert!(cli.contains(c), "{c} missing from the CLI's tree");
    }
}

/// Each crate's features in `cargo tree`'s lines, united over its lines (a
/// crate built for the host and for the target shows twice).
fn features(lines: &BTreeSet<String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in lines {
        let (id, rest) = line.split_once(" [").unwrap_or((line, "]"));
        let set = map.entry(id.to_owned()).or_default();
        set.extend(rest.trim_end_matches(']').split(',').filter(|f| !f.is_empty()).map(str::to_owned));
    }
    map
}

/// `pip install ./python` after `cargo build --release` compiles only what
/// is the Python package's own (pyo3, numpy) and pmivec itself: every crate
/// both builds share resolves with the same features, so its compiled
/// artifact is reused rather than built again.
#[test]
fn the_python_build_shares_every_common_crate_with_the_workspace_build() {
    let workspace = features(&tree(&["pmivec", "pmivec-cli"], "{p} [{f}]"));
    let python = features(&tree(&["pmivec-python"], "{p} [{f}]"));
    assert!(workspace.keys().any(|p| p.starts_with("faer ")), "{workspace:?}");
    let rebuilt: Vec<(&String, &BTreeSet<String>)> = python
        .iter()
        .filter(|(id, f)| !id.starts_with("pmivec ") && workspace.get(*id).is_some_and(|w| w != *f))
        .collect();
    assert!(rebuilt.is_empty(), "the Python build resolves these with other features: {rebuilt:?}");
}

//! A crate that depends on `pmivec` with its defaults compiles the engine
//! only: argument parsing, progress bars, pictures and Parquet live in the
//! `pmivec-cli` crate or behind features, so they cost a library user
//! neither build time nor binary size.

use std::collections::BTreeSet;
use std::process::Command;

/// The crates `cargo tree` resolves for `package` (normal and build edges).
fn resolved(package: &str) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["tree", "--offline", "-p", package, "-e", "normal,build"])
        .args(["--prefix", "none", "--format", "{p}"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(out.status.success(), "cargo tree -p {package}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
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

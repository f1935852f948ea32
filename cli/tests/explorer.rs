//! `pmivec plot … -o map.html` in a real headless browser: the page loads
//! without a script error, draws every point (a screenshot that is not
//! blank, in the labels' colours), and a search run by the page itself
//! (`map.html#search=ID`) lists the node's nearest neighbours in the
//! full-dimensional space. Needs Chromium (`chromium`, `chromium-browser`
//! or `google-chrome` on PATH, or `PMIVEC_CHROMIUM`); skips with a message
//! when there is none.

/// A file of the repository (the tests run in cli/, the bundled graphs are beside it).
macro_rules! root {
    ($p:literal) => {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../", $p)
    };
}

use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PMIVEC_CHROMIUM") {
        return Some(p.into());
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

fn browser(chrome: &Path, args: &[&str], url: &str) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    Command::new(chrome)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .output()
        .expect("run the browser")
}

#[test]
fn the_explorer_page_loads_draws_the_points_and_finds_a_nodes_neighbours() {
    let Some(chrome) = chromium() else {
        eprintln!("skipped: no Chromium on PATH (install `chromium`, or set PMIVEC_CHROMIUM)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (emb, map) = (dir.path().join("k.txt"), dir.path().join("k.html"));
    let bin = env!("CARGO_BIN_EXE_pmivec");
    let run = |args: &[&str]| {
        let r = Command::new(bin).args(args).output().unwrap();
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    };
    run(&["embed", root!("graphs/karate/edges.tsv"), "-o", emb.to_str().unwrap(), "-q", "--dim", "16"]);
    run(&[
        "plot",
        emb.to_str().unwrap(),
        "--labels",
        root!("graphs/karate/labels.tsv"),
        "-o",
        map.to_str().unwrap(),
        "-q",
    ]);
    let url = format!("file://{}#search=33", map.display());

    // The DOM after the page's scripts ran.
    let dom = String::from_utf8_lossy(&browser(&chrome, &["--dump-dom"], &url).stdout).into_owned();
    assert!(dom.contains(r#"<body data-ready="34">"#), "no error and 34 points drawn: {}", &dom[..dom.len().min(2000)]);
    let found: Vec<&str> = dom.split(r#"<li data-id=""#).skip(1).map(|l| l.split('"').next().unwrap()).collect();
    let vectors = pmivec::Embeddings::load(&emb).unwrap();
    let nb = pmivec::explorer::neighbours(&vectors, pmivec::Side::Left, 10);
    let i = vectors.labels().iter().position(|l| l == "33").unwrap();
    let want: Vec<&str> = nb[i * 10..(i + 1) * 10].iter().map(|&j| vectors.labels()[j as usize].as_str()).collect();
    assert_eq!(found, want);

    // A screenshot: the points in both labels' colours, not a blank page.
    let shot = dir.path().join("k.png");
    let r = browser(&chrome, &["--window-size=1000,700", &format!("--screenshot={}", shot.display())], &url);
    assert!(shot.exists(), "{}", String::from_utf8_lossy(&r.stderr));
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(channels).collect();
    let near = |p: &[u8], c: [u8; 3]| p.iter().zip(c).all(|(&a, b)| a.abs_diff(b) < 8);
    // Tableau blue and orange, the first two labels' colours.
    let blue = pixels.iter().filter(|p| near(p, [31, 119, 180])).count();
    let orange = pixels.iter().filter(|p| near(p, [255, 127, 14])).count();
    assert!(blue > 17 * 20 && orange > 17 * 20, "blue {blue}, orange {orange} pixels");
}

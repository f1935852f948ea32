//! The `pmivec` binary end to end: output shape, formats, errors and exit codes.

/// A file of the repository (the tests run in cli/, the bundled graphs are beside it).
macro_rules! root {
    ($p:literal) => {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../", $p)
    };
}

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn pmivec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pmivec")).args(args).output().expect("run pmivec")
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn embed_writes_word2vec_text_with_one_row_per_node_and_a_sidecar() {
    let dir = tmp();
    let out = dir.path().join("karate.txt");
    let r = pmivec(&["embed", root!("graphs/karate/edges.tsv"), "-o", s(&out), "--dim", "8", "--walks-per-node", "20"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("34 8"));
    let mut ids: Vec<u32> = lines
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            assert_eq!(f.len(), 9, "{l}");
            assert!(f[1..].iter().all(|x| x.parse::<f32>().unwrap().is_finite()));
            f[0].parse().unwrap()
        })
        .collect();
    ids.sort();
    assert_eq!(ids, (0..34).collect::<Vec<_>>());
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("karate.txt.json")).unwrap()).unwrap();
    assert_eq!(meta["config"]["factorize"]["dim"], 8);
    assert_eq!(meta["input_sha256"].as_str().unwrap().len(), 64);
    // Only the outputs are left in the directory (no temporary files).
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
}

#[test]
fn embed_writes_npy_with_ids_and_side_both_doubles_the_width() {
    let dir = tmp();
    let out = dir.path().join("k.npy");
    let r = pmivec(&[
        "embed",
        root!("graphs/karate/edges.tsv"),
        "-o",
        s(&out),
        "--dim",
        "4",
        "--format",
        "npy",
        "--side",
        "both",
        "-q",
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(r.stderr.is_empty(), "--quiet printed: {}", String::from_utf8_lossy(&r.stderr));
    let bytes = std::fs::read(&out).unwrap();
    let hlen = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    assert!(std::str::from_utf8(&bytes[10..10 + hlen]).unwrap().contains("(34, 8)"));
    assert_eq!(bytes.len(), 10 + hlen + 34 * 8 * 4);
    assert_eq!(std::fs::read_to_string(dir.path().join("k.npy.ids")).unwrap().lines().count(), 34);
}

#[test]
fn string_ids_and_self_loop_only_nodes_get_rows() {
    let dir = tmp();
    let edges = dir.path().join("g.csv");
    std::fs::write(&edges, "# comment\nalice,bob\nbob,carol\ncarol,alice\ndave,dave\nalice,erin\n").unwrap();
    let out = dir.path().join("g.txt");
    let r = pmivec(&["embed", s(&edges), "-o", s(&out), "--dim", "2", "-q"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let text = std::fs::read_to_string(&out).unwrap();
    let labels: Vec<&str> = text.lines().skip(1).map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(labels, ["alice", "bob", "carol", "dave", "erin"]);
}

fn assert_fails_cleanly(edges_text: &str, extra: &[&str], expect: &[&str]) {
    let dir = tmp();
    let edges = dir.path().join("bad.tsv");
    std::fs::write(&edges, edges_text).unwrap();
    let out: PathBuf = dir.path().join("out.txt");
    let mut args = vec!["embed", s(&edges), "-o", s(&out)];
    args.extend_from_slice(extra);
    let r = pmivec(&args);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    for e in expect {
        assert!(err.contains(e), "stderr lacks {e:?}: {err}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "a failed run left files behind");
}

#[test]
fn malformed_input_names_file_and_line_and_leaves_no_output() {
    assert_fails_cleanly("a\tb\nc\n", &[], &["bad.tsv:2", "expected 2 fields, found 1"]);
    assert_fails_cleanly("a b 1\nb c x\n", &["--weighted"], &["bad.tsv:2", "weight `x` is not a number"]);
    assert_fails_cleanly("a b -2\n", &["--weighted"], &["bad.tsv:1", "must be finite and >= 0"]);
    assert_fails_cleanly("", &[], &["bad.tsv", "no edges"]);
    assert_fails_cleanly("a b\nb c\n", &["--dim", "5"], &["dimension 5 exceeds"]);
    assert_fails_cleanly("a b\n", &["--cds", "0"], &["invalid parameter `--cds`"]);
}

#[test]
fn a_missing_input_file_is_an_error() {
    let r = pmivec(&["embed", "no/such/file.tsv", "-o", "/tmp/never-written.txt"]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("no/such/file.tsv"));
}

#[test]
fn exact_node2vec_and_directed_modes_run_and_say_which_path_ran() {
    let dir = tmp();
    let out = dir.path().join("o.txt");
    for (extra, path) in [
        (vec!["--exact", "--window", "3"], "exact (as set)"),
        (vec!["--estimator", "exact", "--window", "3"], "exact (as set)"),
        (vec!["--p", "0.5", "--q", "2"], "node2vec-rejection walks"),
        (vec!["--directed"], "first-order walks"),
    ] {
        let mut args = vec!["embed", root!("graphs/karate/edges.tsv"), "-o", s(&out), "--dim", "4"];
        args.extend(extra.iter().copied());
        let r = pmivec(&args);
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(r.status.success(), "{args:?}: {err}");
        assert!(err.contains(path), "{args:?}: {err}");
        assert!(std::fs::read_to_string(&out).unwrap().starts_with("34 4\n"));
    }
}

#[test]
fn eval_nodes_scores_any_row_order_the_same() {
    let dir = tmp();
    let (a, b) = (dir.path().join("a.txt"), dir.path().join("b.npy"));
    let base = ["embed", root!("graphs/karate/edges.tsv"), "--dim", "4", "-q", "-o"];
    assert!(pmivec(&[&base[..], &[s(&a)]].concat()).status.success());
    assert!(pmivec(&[&base[..], &[s(&b), "--format", "npy", "--order", "id"]].concat()).status.success());
    // --order id: row i is node i, and the sidecar says so.
    let ids = std::fs::read_to_string(dir.path().join("b.npy.ids")).unwrap();
    assert_eq!(ids.lines().take(3).collect::<Vec<_>>(), ["0", "1", "2"]);
    assert!(std::fs::read_to_string(dir.path().join("b.npy.json")).unwrap().contains("\"row_order\": \"id\""));
    let run = |emb: &Path| {
        let r = pmivec(&["eval", "nodes", s(emb), root!("graphs/karate/labels.tsv"), "--ratios", "0.5", "--json"]);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
        v["ratios"][0]["micro_mean"].as_f64().unwrap()
    };
    let (ma, mb) = (run(&a), run(&b));
    assert_eq!(ma, mb, "the same vectors in another row order score the same");
    assert!(ma > 0.8, "karate's factions separate: {ma}");
    // Parquet by its name: the same rows, bit for bit, as the npy.
    let c = dir.path().join("c.parquet");
    assert!(pmivec(&[&base[..], &[s(&c), "--order", "id"]].concat()).status.success());
    let (nb, nc) = (pmivec::Embeddings::load(&b).unwrap(), pmivec::Embeddings::load(&c).unwrap());
    assert_eq!((nb.labels(), nb.matrix(pmivec::Side::Left)), (nc.labels(), nc.matrix(pmivec::Side::Left)));
    assert_eq!(run(&c), ma);
    let info = pmivec(&["info", s(&c)]);
    assert!(
        String::from_utf8_lossy(&info.stdout).contains("format Parquet"),
        "{}",
        String::from_utf8_lossy(&info.stdout)
    );
    // Parquet is no stream: stdout is refused.
    let r = pmivec(&[&base[..], &["-", "--format", "parquet"]].concat());
    assert!(!r.status.success() && String::from_utf8_lossy(&r.stderr).contains("parquet"));
}

#[test]
fn a_sidecar_is_a_config_and_flags_override_a_config_file() {
    let dir = tmp();
    let (a, b, c) = (dir.path().join("a.txt"), dir.path().join("b.txt"), dir.path().join("c.txt"));
    let r = pmivec(&[
        "embed",
        root!("graphs/karate/edges.tsv"),
        "-o",
        s(&a),
        "--dim",
        "6",
        "--window",
        "3",
        "--propagation",
        "2",
        "-q",
    ]);
    assert!(r.status.success());
    let sidecar = dir.path().join("a.txt.json");
    let r = pmivec(&["embed", root!("graphs/karate/edges.tsv"), "-o", s(&b), "--config", s(&sidecar), "-q"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap(), "same config, same vectors");
    let config = |p: &Path| -> serde_json::Value {
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        v["config"].clone()
    };
    assert_eq!(config(&sidecar), config(&dir.path().join("b.txt.json")));
    // A TOML file, and a flag that overrides it.
    let toml = dir.path().join("c.toml");
    std::fs::write(&toml, "window = 2\n[factorize]\ndim = 5\n").unwrap();
    let r = pmivec(&["embed", root!("graphs/karate/edges.tsv"), "-o", s(&c), "--config", s(&toml), "--dim", "3", "-q"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let got = config(&dir.path().join("c.txt.json"));
    assert_eq!((got["window"].as_u64(), got["factorize"]["dim"].as_u64()), (Some(2), Some(3)));
    // info reads it back.
    let r = pmivec(&["info", s(&c)]);
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(r.status.success() && text.contains("34 rows × 3 values") && text.contains("\"window\": 2"), "{text}");
}

#[test]
fn tune_writes_a_config_that_embed_reads() {
    let dir = tmp();
    let best = dir.path().join("best.toml");
    let r = pmivec(&[
        "tune",
        root!("graphs/karate/edges.tsv"),
        "--labels",
        root!("graphs/karate/labels.tsv"),
        "-o",
        s(&best),
        "--dim",
        "4",
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let table = String::from_utf8_lossy(&r.stdout);
    assert!(table.starts_with("rank rung  Micro-F1") && table.lines().count() == 11, "{table}");
    let out = dir.path().join("o.txt");
    let r = pmivec(&["embed", root!("graphs/karate/edges.tsv"), "--config", s(&best), "-o", s(&out), "-q"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(std::fs::read_to_string(&out).unwrap().starts_with("34 4\n"));
}

#[test]
fn tune_without_labels_writes_the_auto_choice_and_embed_says_it() {
    let dir = tmp();
    let best = dir.path().join("best.toml");
    let words = root!("graphs/words/edges.tsv.gz");
    let r = pmivec(&["tune", words, "--weighted", "-o", s(&best), "--dim", "32"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let table = String::from_utf8_lossy(&r.stdout);
    assert!(table.starts_with("locality: one step") && table.contains("chosen: first-order"), "{table}");
    let toml = std::fs::read_to_string(&best).unwrap();
    assert!(toml.contains("estimator = \"first-order\"") && toml.contains("passes = 0"), "{toml}");
    let (a, b) = (dir.path().join("a.txt"), dir.path().join("b.txt"));
    let r = pmivec(&["embed", words, "--weighted", "--config", s(&best), "-o", s(&a), "-q"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let r = pmivec(&["embed", words, "--weighted", "--dim", "32", "-o", s(&b)]);
    let summary = String::from_utf8_lossy(&r.stderr);
    assert!(summary.contains("auto: local graph (two-step reach"), "{summary}");
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}
#[test]
fn two_seeds_align_closely_and_pca_explains_variance() {
    let dir = tmp();
    let (a, b, c, p) =
        (dir.path().join("a.txt"), dir.path().join("b.txt"), dir.path().join("c.txt"), dir.path().join("p.txt"));
    for (out, seed) in [(&a, "0"), (&b, "1")] {
        let r = pmivec(&[
            "embed",
            root!("graphs/blogcatalog/edges.tsv"),
            "-o",
            s(out),
            "--dim",
            "32",
            "--seed",
            seed,
            "-q",
        ]);
        assert!(r.status.success());
    }
    let r = pmivec(&["align", s(&a), s(&b), "-o", s(&c)]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let text = String::from_utf8_lossy(&r.stderr);
    // Measured at d = 32: mean cosine 0.986, the partner nearest for 97.8 % of nodes.
    let field = |after: &str| -> f64 {
        text.split(after).nth(1).unwrap().trim_start().split([' ', ',']).next().unwrap().parse().unwrap()
    };
    assert!(field("mean cosine") > 0.9 && field("partner for") > 90.0, "{text}");
    let r = pmivec(&["pca", s(&a), "-o", s(&p), "--dim", "3"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    // The report (a line, a header, a row per component) goes to stderr.
    assert_eq!(String::from_utf8_lossy(&r.stderr).lines().count(), 5);
    assert!(std::fs::read_to_string(&p).unwrap().starts_with("10312 3\n"));
    // With `-o -` the vectors alone are on stdout.
    let r = pmivec(&["align", s(&a), s(&b), "-o", "-"]);
    assert!(r.status.success());
    assert!(String::from_utf8_lossy(&r.stdout).starts_with("10312 32\n"));
    assert_eq!(String::from_utf8_lossy(&r.stdout).lines().count(), 10313);
    // Documents: the PCA of their sparse tf-idf matrix, one row per document.
    let docs = dir.path().join("docs.tsv");
    let texts =
        ["cats and dogs", "dogs chase cats", "stocks and bonds", "bonds and stocks fell", "cats purr", "stocks rose"];
    let lines: Vec<String> = texts.iter().enumerate().map(|(i, t)| format!("d{i}\t{t}")).collect();
    std::fs::write(&docs, lines.join("\n")).unwrap();
    let r = pmivec(&["pca", s(&docs), "--docs", "--min-count", "1", "-o", s(&p), "--dim", "2"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let emb = pmivec::Embeddings::load(&p).unwrap();
    assert_eq!(emb.labels(), ["d0", "d1", "d2", "d3", "d4", "d5"]);
    // The first axis separates pets from markets.
    let x = |l: &str| emb.vector(l, pmivec::Side::Left).unwrap()[0];
    assert!(x("d0").signum() == x("d1").signum() && x("d2").signum() == x("d3").signum());
    assert!(x("d0").signum() != x("d2").signum());
}

/// Faction by nearest centroid (cosine) of `known`'s labelled rows.
fn faction_of(known: &pmivec::Embeddings, labels: &std::collections::HashMap<String, String>, v: &[f32]) -> String {
    use std::collections::HashMap;
    let unit = |x: &[f32]| -> Vec<f32> {
        let n = x.iter().map(|a| a * a).sum::<f32>().sqrt().max(1e-12);
        x.iter().map(|a| a / n).collect()
    };
    let mut sums: HashMap<&str, Vec<f32>> = HashMap::new();
    for l in known.labels() {
        let (Some(f), Some(x)) = (labels.get(l), known.vector(l, pmivec::Side::Left)) else { continue };
        let s = sums.entry(f).or_insert_with(|| vec![0.0; x.len()]);
        s.iter_mut().zip(unit(&x)).for_each(|(a, b)| *a += b);
    }
    let v = unit(v);
    let score = |c: &Vec<f32>| unit(c).iter().zip(&v).map(|(a, b)| a * b).sum::<f32>();
    sums.iter().max_by(|a, b| score(a.1).total_cmp(&score(b.1))).unwrap().0.to_string()
}

#[test]
fn folded_in_karate_nodes_land_in_their_faction_as_in_a_refit() {
    let dir = tmp();
    let held = ["4", "10", "16", "23", "26", "29"];
    let edges = std::fs::read_to_string(root!("graphs/karate/edges.tsv")).unwrap();
    let is_held = |l: &str| l.split('\t').take(2).any(|x| held.contains(&x));
    let (new, known): (Vec<&str>, Vec<&str>) = edges.lines().partition(|l| is_held(l));
    let (k, n) = (dir.path().join("known.tsv"), dir.path().join("new.tsv"));
    std::fs::write(&k, known.join("\n")).unwrap();
    std::fs::write(&n, new.join("\n")).unwrap();
    let (emb, model, folded, refit) =
        (dir.path().join("k.txt"), dir.path().join("k.model"), dir.path().join("f.txt"), dir.path().join("r.txt"));
    let r = pmivec(&["embed", s(&k), "-o", s(&emb), "--dim", "4", "--save-model", s(&model), "-q"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let r = pmivec(&["fold-in", s(&model), s(&n), "-o", s(&folded)]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(String::from_utf8_lossy(&r.stderr).contains("6 new rows"));
    let r = pmivec(&["embed", root!("graphs/karate/edges.tsv"), "-o", s(&refit), "--dim", "4", "-q"]);
    assert!(r.status.success());
    let labels: std::collections::HashMap<String, String> = std::fs::read_to_string(root!("graphs/karate/labels.tsv"))
        .unwrap()
        .lines()
        .map(|l| {
            let (a, b) = l.split_once('\t').unwrap();
            (a.to_owned(), b.to_owned())
        })
        .collect();
    let [emb, folded_emb, refit] = [&emb, &folded, &refit].map(|p| pmivec::Embeddings::load(p).unwrap());
    let mut agree = (0, 0);
    for h in held {
        let truth = &labels[h];
        agree.0 += (faction_of(&emb, &labels, &folded_emb.vector(h, pmivec::Side::Left).unwrap()) == *truth) as usize;
        agree.1 += (faction_of(&refit, &labels, &refit.vector(h, pmivec::Side::Left).unwrap()) == *truth) as usize;
    }
    // Measured: all 6 in the right faction, folded in and refitted alike.
    assert!(agree.0 + 1 >= agree.1 && agree.0 >= 5, "fold-in {} / refit {} of 6", agree.0, agree.1);
    // A model is not an edge list, and nothing new is an error.
    let r = pmivec(&["fold-in", s(&k), s(&n), "-o", s(&folded)]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("not a pmivec model"));
    let r = pmivec(&["fold-in", s(&model), s(&k), "-o", s(&dir.path().join("x.txt"))]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("no edge joins a new node"));
    assert!(!dir.path().join("x.txt").exists());
}

#[test]
fn plot_draws_one_mark_per_node_and_the_spectrum() {
    let dir = tmp();
    let emb = dir.path().join("k.txt");
    let r = pmivec(&["embed", root!("graphs/karate/edges.tsv"), "-o", s(&emb), "--dim", "8", "-q"]);
    assert!(r.status.success());
    let svg = dir.path().join("k.svg");
    let args =
        ["--labels", root!("graphs/karate/labels.tsv"), "--perplexity", "5", "--width", "800", "--height", "600"];
    let r = pmivec(&[&["plot", s(&emb), "-o", s(&svg)], &args[..]].concat());
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains(r#"width="800""#) && text.contains(r#"height="600""#));
    assert_eq!(text.matches("<circle").count(), 34);
    assert!(text.contains("0 (17)") && text.contains("1 (17)"), "legend with the two factions");
    for (extra, name) in [(&[][..], "k.png"), (&["--spectrum"][..], "s.png"), (&["--method", "pca"][..], "p.png")] {
        let png = dir.path().join(name);
        let r = pmivec(&[&["plot", s(&emb), "-o", s(&png)], &args[..], extra].concat());
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        let bytes = std::fs::read(&png).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        // IHDR: width and height, big-endian, at bytes 16..24.
        assert_eq!(u32::from_be_bytes(bytes[16..20].try_into().unwrap()), 800);
        assert_eq!(u32::from_be_bytes(bytes[20..24].try_into().unwrap()), 600);
    }
    // A sample of a larger embedding takes labelled rows first.
    let some = dir.path().join("some.tsv");
    let lines: Vec<String> = (0..12).map(|i| format!("{}\t{}", i * 2, i % 2)).collect();
    std::fs::write(&some, lines.join("\n")).unwrap();
    let sampled = dir.path().join("sampled.svg");
    let r =
        pmivec(&["plot", s(&emb), "-o", s(&sampled), "--labels", s(&some), "--max-points", "10", "--method", "pca"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let text = std::fs::read_to_string(&sampled).unwrap();
    assert_eq!(text.matches("<circle").count(), 10);
    assert!(!text.contains("unlabelled") && !text.contains("other or none"), "only labelled rows were sampled");
    let r = pmivec(&["plot", s(&emb), "-o", s(&dir.path().join("k.jpg"))]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains(".png, .svg or .html"));
    // Too few rows for the perplexity asked for: a clear error and no file.
    let out = dir.path().join("x.png");
    let r = pmivec(&["plot", s(&emb), "-o", s(&out), "--perplexity", "30"]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("lower the perplexity"));
    assert!(!out.exists());
}

#[test]
fn words_fold_in_places_a_new_word_where_its_twin_is() {
    let dir = tmp();
    let base = [
        "the cat sat on the mat",
        "a dog sat on a rug",
        "the cat chased a mouse",
        "a dog chased the cat",
        "stocks fell on the market",
        "the market rose and stocks rose",
        "bonds and stocks fell",
        "a mouse ran from the cat",
    ];
    let lines: Vec<&str> = (0..6).flat_map(|_| base).collect();
    let (corpus, renamed) = (dir.path().join("c.txt"), dir.path().join("r.txt"));
    std::fs::write(&corpus, lines.join("\n")).unwrap();
    std::fs::write(&renamed, lines.join("\n").replace("cat", "kitty")).unwrap();
    let (emb, model, new) = (dir.path().join("w.txt"), dir.path().join("w.model"), dir.path().join("n.txt"));
    let r = pmivec(&[
        "words",
        s(&corpus),
        "-o",
        s(&emb),
        "--dim",
        "5",
        "--min-count",
        "2",
        "--subsample",
        "0",
        "--save-model",
        s(&model),
        "-q",
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let r = pmivec(&["fold-in", s(&model), s(&renamed), "-o", s(&new)]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    // Another process (other hash seeds) writes the same bytes.
    let again = dir.path().join("n2.txt");
    assert!(pmivec(&["fold-in", s(&model), s(&renamed), "-o", s(&again)]).status.success());
    assert_eq!(std::fs::read(&new).unwrap(), std::fs::read(&again).unwrap());
    let (emb, new) = (pmivec::Embeddings::load(&emb).unwrap(), pmivec::Embeddings::load(&new).unwrap());
    assert_eq!(new.labels(), ["kitty"]);
    let (a, b) = (new.vector("kitty", pmivec::Side::Left).unwrap(), emb.vector("cat", pmivec::Side::Left).unwrap());
    assert!(a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-4 * (1.0 + y.abs())), "{a:?} vs {b:?}");
    // The original text has nothing new in it.
    let r = pmivec(&["fold-in", s(&model), s(&corpus), "-o", s(&dir.path().join("x.txt"))]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("no new word occurs"));
}

#[test]
fn a_config_files_text_switches_can_be_turned_off_and_unknown_keys_are_refused() {
    let dir = tmp();
    let corpus = dir.path().join("c.txt");
    let lines = ["running dogs jumping 2024 fast", "cats sleeping 1999 slowly purring"];
    std::fs::write(&corpus, (0..20).map(|i| lines[i % 2]).collect::<Vec<_>>().join("\n")).unwrap();
    let (a, b) = (dir.path().join("a.txt"), dir.path().join("b.txt"));
    let words = |out: &Path, extra: &[&str]| {
        let mut args =
            vec!["words", s(&corpus), "-o", s(out), "--dim", "2", "--min-count", "1", "--subsample", "0", "-q"];
        args.extend(extra);
        let r = pmivec(&args);
        assert!(r.status.success(), "{extra:?}: {}", String::from_utf8_lossy(&r.stderr));
        std::fs::read_to_string(out).unwrap()
    };
    let stemmed = words(&a, &["--stem", "--drop-numeric"]);
    assert!(!stemmed.contains("running") && !stemmed.contains("2024"), "{stemmed}");
    let sidecar = dir.path().join("a.txt.json");
    let plain = words(&b, &["--config", s(&sidecar), "--no-stem", "--keep-numeric"]);
    assert!(plain.contains("running ") && plain.contains("2024 "), "{plain}");
    // The last of --stem / --no-stem wins.
    assert!(!words(&b, &["--no-stem", "--stem"]).contains("running "));
    let toml = dir.path().join("c.toml");
    std::fs::write(&toml, "[text]\nstemm = true\n").unwrap();
    let r = pmivec(&["words", s(&corpus), "-o", s(&b), "--config", s(&toml), "-q"]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(!r.status.success() && err.contains("stemm"), "{err}");
}

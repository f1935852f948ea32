//! The text path end to end through the binary: `words`, `query`, `eval
//! words`, `docs` with fold-in, `eval docs`, on small corpora written here.

use std::path::Path;
use std::process::{Command, Output};

fn pmivec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pmivec")).args(args).output().expect("run pmivec")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Two topics that never share a line, plus a gender/royalty pattern.
fn corpus(dir: &Path) -> std::path::PathBuf {
    let mut text = String::new();
    for i in 0..300 {
        text.push_str(match i % 4 {
            0 => "the cat chased the dog and the pet ate food\n",
            1 => "a dog and a cat are pets that need food\n",
            2 => "the stock market fell as bond prices and trade rose\n",
            _ => "investors trade stock and bond on the market\n",
        });
    }
    let path = dir.join("corpus.txt");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn words_query_and_eval_work_together() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = corpus(dir.path());
    let out = dir.path().join("w.txt");
    let r = pmivec(&["words", s(&corpus), "-o", s(&out), "--dim", "4", "--window", "2", "--min-count", "1"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let text = std::fs::read_to_string(&out).unwrap();
    let header: Vec<usize> = text.lines().next().unwrap().split(' ').map(|x| x.parse().unwrap()).collect();
    assert_eq!(header[1], 4);
    assert_eq!(text.lines().count(), header[0] + 1);
    assert!(text.lines().nth(1).unwrap().starts_with("the "), "most frequent word first");

    let r = pmivec(&["query", s(&out), "--nearest", "stock", "-k", "3"]);
    assert!(r.status.success());
    let near = String::from_utf8_lossy(&r.stdout);
    let top: Vec<&str> = near.lines().map(|l| l.split('\t').nth(1).unwrap()).collect();
    assert!(top.iter().any(|w| ["market", "bond", "trade", "investors", "prices"].contains(w)), "{near}");
    let r = pmivec(&["query", s(&out), "--nearest", "unicorn"]);
    assert_eq!(r.status.code(), Some(1), "an unknown word exits 1");
    assert!(String::from_utf8_lossy(&r.stderr).contains("unicorn"));

    let sims = dir.path().join("sims.tsv");
    std::fs::write(&sims, "# header\ncat\tdog\t9\ncat\tstock\t1\nbond\tstock\t8\nunicorn\tcat\t5\n").unwrap();
    let qs = dir.path().join("q.txt");
    std::fs::write(&qs, ": pets\ncat dog stock bond\nunicorn cat dog bond\n").unwrap();
    let r = pmivec(&["eval", "words", s(&out), "--similarity", s(&sims), "--analogy", s(&qs), "--json"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let json: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(json["sims"]["covered"], 3);
    assert_eq!(json["sims"]["total"], 4);
    assert_eq!(json["analogy"]["covered"], 1);
    assert_eq!(json["analogy"]["total"], 2);
}

#[test]
fn weighted_words_are_recorded_and_reproduced_from_the_sidecar() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = corpus(dir.path());
    let (a, b) = (dir.path().join("a.txt"), dir.path().join("b.txt"));
    let base = ["--dim", "3", "--window", "2", "--min-count", "1", "--subsample", "0"];
    let mut args = vec!["words", s(&corpus), "-o", s(&a), "--factorizer", "weighted", "--sweeps", "2"];
    args.extend(base);
    let r = pmivec(&args);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(String::from_utf8_lossy(&r.stderr).contains("weighted"), "the summary names the stage");
    let sidecar: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("a.txt.json")).unwrap()).unwrap();
    let words = &sidecar["config"]["words"];
    assert_eq!(words["factorizer"], "weighted", "{sidecar}");
    assert_eq!(words["weighted"]["sweeps"], 2);
    let sidecar_path = dir.path().join("a.txt.json");
    let r = pmivec(&["words", s(&corpus), "-o", s(&b), "--config", s(&sidecar_path)]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap(), "the sidecar reproduces the run");
    let mut svd = vec!["words", s(&corpus), "-o", s(&b)];
    svd.extend(base);
    assert!(pmivec(&svd).status.success());
    assert_ne!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap(), "the factorizer changes the vectors");
    let r = pmivec(&["words", s(&corpus), "-o", s(&b), "--factorizer", "weighted", "--cg-steps", "0"]);
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("--cg-steps"), "{}", String::from_utf8_lossy(&r.stderr));
}

#[test]
fn docs_fit_fold_in_and_classify() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..60 {
        let (label, body) = if i % 2 == 0 {
            ("pets", "cat dog pet food vet fur")
        } else {
            ("money", "stock bond market trade price bank")
        };
        text.push_str(&format!("d{i}\t{label}\t{body} {}\n", ["alpha", "beta", "gamma"][i % 3]));
    }
    let docs = dir.path().join("docs.tsv");
    std::fs::write(&docs, &text).unwrap();
    let new = dir.path().join("new.txt");
    std::fs::write(&new, "a cat and a dog\nthe bond market\n").unwrap();
    let (out, terms, folded) = (dir.path().join("d.txt"), dir.path().join("t.txt"), dir.path().join("f.txt"));
    let r = pmivec(&[
        "docs",
        s(&docs),
        "-o",
        s(&out),
        "--term-output",
        s(&terms),
        "--dim",
        "3",
        "--fold-in",
        s(&new),
        "--fold-output",
        s(&folded),
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(std::fs::read_to_string(&out).unwrap().starts_with("60 3\nd0 "));
    assert!(std::fs::read_to_string(&terms).unwrap().lines().count() > 10);
    let f = std::fs::read_to_string(&folded).unwrap();
    assert!(f.starts_with("2 3\n1 ") && f.contains("\n2 "), "{f}");
    let r = pmivec(&["eval", "docs", s(&docs), "--dim", "3", "--label-column", "2"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let table = String::from_utf8_lossy(&r.stdout);
    assert!(table.starts_with("60 documents, 2 classes") && table.contains("accuracy"), "{table}");
    let r = pmivec(&["eval", "docs", s(&docs), "--dim", "3", "--label-column", "2", "--json"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let json: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert!(json["accuracy"].as_f64().unwrap() > 0.95, "{json}");
    let r = pmivec(&["eval", "docs", s(&docs), "--dim", "3", "--label-column", "7"]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("docs.tsv:1: no label column 7"));
}

#[test]
fn documents_from_mean_word_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let words = dir.path().join("w.txt");
    std::fs::write(&words, "3 2\ncat 1 0\ndog 0.8 0.2\nstock 0 1\n").unwrap();
    let docs = dir.path().join("d.txt");
    std::fs::write(&docs, "the cat and the dog\nstock\nnothing known\n").unwrap();
    let out = dir.path().join("o.txt");
    let r = pmivec(&["docs", s(&docs), "-o", s(&out), "--from-words", s(&words)]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    // Mean of the unit-length word vectors: cat (1, 0) and dog (0.8, 0.2)/|·|; stop words dropped.
    let text = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<Vec<f32>> =
        text.lines().skip(1).map(|l| l.split(' ').skip(1).map(|x| x.parse().unwrap()).collect()).collect();
    let dog = (0.8f32 / 0.68f32.sqrt(), 0.2f32 / 0.68f32.sqrt());
    assert!((rows[0][0] - (1.0 + dog.0) / 2.0).abs() < 1e-6 && (rows[0][1] - dog.1 / 2.0).abs() < 1e-6, "{text}");
    assert_eq!(rows[1], [0.0, 1.0]);
    assert_eq!(rows[2], [0.0, 0.0]);
}

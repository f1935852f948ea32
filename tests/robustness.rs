//! What happens when a run is given something hostile or mistaken: each case
//! ends in one clear line on stderr and exit status 2 (or a correct result),
//! never a panic, an abort, a hang or a lost file. The README's "What
//! happens when …" table lists the same cases.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn pmivec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pmivec")).args(args).output().expect("run pmivec")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Exit status 2 and a one-line message containing `needle`.
#[track_caller]
fn fails_with(r: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "stderr: {err}");
    assert!(err.contains(needle), "expected `{needle}` in: {err}");
    assert!(!err.contains("panicked") && !err.contains("backtrace"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// No `.pmivec-` temporary file is left in `dir`.
#[track_caller]
fn no_temp_files(dir: &Path) {
    let left: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".pmivec-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn an_output_that_is_an_input_or_another_output_is_refused_and_the_input_kept() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.tsv");
    std::fs::copy("graphs/karate/edges.tsv", &input).unwrap();
    let before = std::fs::read(&input).unwrap();
    let r = pmivec(&["embed", s(&input), "-o", s(&input), "--dim", "4"]);
    fails_with(&r, "this is the input");
    // Through another name (a hard link) too: device and inode, not strings.
    let link = dir.path().join("link.tsv");
    std::fs::hard_link(&input, &link).unwrap();
    fails_with(&pmivec(&["embed", s(&input), "-o", s(&link), "--dim", "4"]), "this is the input");
    assert_eq!(std::fs::read(&input).unwrap(), before);
    let corpus = write(dir.path(), "docs.txt", "cats and dogs\ndogs chase cats\nbonds and stocks\n");
    let out = dir.path().join("a.txt");
    let r = pmivec(&["docs", s(&corpus), "-o", s(&out), "--term-output", s(&out), "--dim", "2", "--min-count", "1"]);
    fails_with(&r, "given twice");
    assert!(!out.exists());
}

#[test]
fn special_files_are_not_replaced_and_dash_means_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    fails_with(&pmivec(&["embed", "graphs/karate/edges.tsv", "-o", s(&fifo), "--dim", "4"]), "not a regular file");
    let r = pmivec(&["embed", "graphs/karate/edges.tsv", "-o", "-", "--dim", "4", "-q"]);
    assert!(r.status.success());
    assert!(String::from_utf8_lossy(&r.stdout).starts_with("34 4\n"));
    assert!(!Path::new("-").exists() && !Path::new("-.json").exists());
    fails_with(&pmivec(&["embed", "graphs/karate/edges.tsv", "-o", "-", "--format", "npy"]), "only word2vec");
}

#[test]
fn a_missing_output_directory_fails_before_any_work() {
    let r = pmivec(&["embed", "graphs/blogcatalog/edges.tsv", "-o", "/nonexistent/dir/out.txt"]);
    fails_with(&r, "the directory /nonexistent/dir does not exist");
}

#[test]
fn every_output_of_docs_waits_for_every_input() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = write(dir.path(), "docs.txt", "cats and dogs\ndogs chase cats\nbonds and stocks\n");
    let out = dir.path().join("d.txt");
    let missing = dir.path().join("missing.txt");
    let fold = dir.path().join("f.txt");
    let r = pmivec(&[
        "docs",
        s(&corpus),
        "-o",
        s(&out),
        "--fold-in",
        s(&missing),
        "--fold-output",
        s(&fold),
        "--dim",
        "2",
        "--min-count",
        "1",
    ]);
    fails_with(&r, "missing.txt");
    assert!(!out.exists() && !fold.exists());
    no_temp_files(dir.path());
}

#[test]
fn outputs_get_the_mode_of_a_plain_new_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let probe = write(dir.path(), "probe", "");
    let want = std::fs::metadata(&probe).unwrap().permissions().mode() & 0o777;
    let out = dir.path().join("o.txt");
    assert!(pmivec(&["embed", "graphs/karate/edges.tsv", "-o", s(&out), "--dim", "4"]).status.success());
    for f in [out.clone(), dir.path().join("o.txt.json")] {
        assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o777, want, "{f:?}");
    }
}

#[test]
fn a_signal_while_outputs_are_staged_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.txt");
    std::fs::write(&out, "older output\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pmivec"))
        .args(["embed", "graphs/karate/edges.tsv", "-o", s(&out), "--dim", "4", "-q"])
        .env("PMIVEC_HOLD_OUTPUT_MS", "20000")
        .spawn()
        .unwrap();
    // Wait until the outputs are staged (temporary files exist), then signal.
    let staged = || {
        std::fs::read_dir(dir.path()).unwrap().filter_map(|e| e.ok()).any(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with(".pmivec-") && !n.starts_with(".pmivec-check-")
        })
    };
    let start = std::time::Instant::now();
    while !staged() && start.elapsed().as_secs() < 20 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(staged(), "the run never staged its outputs");
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    no_temp_files(dir.path());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "older output\n", "the older output is untouched");
}

#[test]
fn absurd_parameters_are_refused_at_once() {
    let g = "graphs/karate/edges.tsv";
    for (args, needle) in [
        (vec!["--oversample", "18446744073709551615"], "`oversample`"),
        (vec!["--threads", "100000"], "`threads`"),
        (vec!["--window", "18446744073709551615"], "`window`"),
        (vec!["--walks-per-node", "1", "--walk-length", "18446744073709551615"], "`walk_length`"),
        (vec!["--walks-per-node", "1e300", "--dim", "4"], "lower the walk budget"),
        (vec!["--dim", "128"], "at most 34"),
        (vec!["--memory-limit", "1K", "--dim", "4"], "raise --memory-limit"),
    ] {
        let mut all = vec!["embed", g, "-o", "/tmp/pmivec-never-written.txt"];
        all.extend(args.iter().copied());
        fails_with(&pmivec(&all), needle);
    }
    assert!(!Path::new("/tmp/pmivec-never-written.txt").exists());
}

#[test]
fn inputs_that_would_give_silent_wrong_results_are_errors_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.txt");
    let cases = [
        ("a b 1\nb c 1e39\n", vec!["--weighted"], "w.tsv:2: weight `1e39` is outside the range of 32-bit floats"),
        ("a b 1\nb c 1e-46\n", vec!["--weighted"], "w.tsv:2: weight `1e-46`"),
        ("a b 0\nc d 0\n", vec!["--weighted"], "no nonzero entry"),
        ("a\tb c\n", vec![], "w.tsv:1: node id `b c` contains whitespace"),
        ("a b\nb c\nc a\n", vec!["--exact", "--directed", "--window", "1"], ""),
    ];
    for (text, extra, needle) in cases {
        let input = write(dir.path(), "w.tsv", text);
        let mut args = vec!["embed", s(&input), "-o", s(&out), "--dim", "1"];
        args.extend(extra.iter().copied());
        let r = pmivec(&args);
        if needle.is_empty() {
            assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        } else {
            fails_with(&r, needle);
        }
    }
    // On a short DAG every exact NetMF ratio is below 1 (T = 5 spreads two
    // steps of mass over five), so the truncated log has no nonzero entry.
    let dag = write(dir.path(), "dag.tsv", "a b\nb c\n");
    let r = pmivec(&["embed", s(&dag), "-o", s(&out), "--exact", "--directed", "--dim", "1"]);
    fails_with(&r, "no nonzero entry");
}

#[test]
fn headers_are_skipped_with_a_note_and_pandas_exports_get_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.txt");
    let mut text = String::from("source,target\n");
    for line in std::fs::read_to_string("graphs/karate/edges.tsv").unwrap().lines() {
        text.push_str(&line.replace('\t', ","));
        text.push('\n');
    }
    let input = write(dir.path(), "h.csv", &text);
    let r = pmivec(&["embed", s(&input), "-o", s(&out), "--dim", "4"]);
    assert!(r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("skipped the first line `source target`"));
    assert!(std::fs::read_to_string(&out).unwrap().starts_with("34 4\n"));
    let pandas = write(dir.path(), "p.csv", ",source,target\n0,1,2\n1,2,3\n");
    fails_with(&pmivec(&["embed", s(&pandas), "-o", s(&out)]), "pandas export with an index column");
}

#[test]
fn hostile_embedding_files_are_errors_not_allocations() {
    let dir = tempfile::tempdir().unwrap();
    for (header, needle) in [
        ("1000000000 1000000000\na 1 2\n", "e.txt:2: expected 1000000000 values, found 2"),
        ("18446744073709551615 18446744073709551615\na 1 2\n", "e.txt:2: expected"),
        ("1 2\na 1 inf\n", "e.txt:2: value `inf` is not finite"),
        ("2 2\na 1 2\n", "e.txt:1: header says 2 rows, file has 1"),
    ] {
        let emb = write(dir.path(), "e.txt", header);
        fails_with(&pmivec(&["query", s(&emb), "--nearest", "a"]), needle);
    }
}

#[test]
fn document_files_with_duplicate_ids_or_mixed_formats_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.txt");
    for (text, needle) in [
        ("d1\tcats and dogs\nd1\tdogs chase cats\n", "docs.txt:2: document id `d1` already appears on line 1"),
        ("d1\tcats and dogs\nplain line here\n", "docs.txt:2: this line is plain text"),
        ("the and of\nthe of and\n", "docs.txt: no words at all"),
    ] {
        let corpus = write(dir.path(), "docs.txt", text);
        fails_with(&pmivec(&["docs", s(&corpus), "-o", s(&out), "--dim", "1", "--min-count", "1"]), needle);
    }
    let empty = write(dir.path(), "empty.txt", "\n\n");
    fails_with(&pmivec(&["words", s(&empty), "-o", s(&out)]), "empty.txt: no words at all");
}

#[test]
fn outputs_that_cannot_be_text_on_stdout_refuse_dash() {
    let dir = tempfile::tempdir().unwrap();
    let cwd_dash = Path::new("-");
    let before = cwd_dash.exists();
    let r = pmivec(&["tune", "graphs/karate/edges.tsv", "--labels", "graphs/karate/labels.tsv", "-o", "-"]);
    fails_with(&r, "-o -: this output cannot go to stdout; give a file name");
    let out = dir.path().join("k.txt");
    let r = pmivec(&["embed", "graphs/karate/edges.tsv", "-o", s(&out), "--save-model", "-", "--dim", "4"]);
    fails_with(&r, "-o -: this output cannot go to stdout");
    assert!(!out.exists());
    assert_eq!(cwd_dash.exists(), before, "no file named `-` was written");
}

#[test]
fn dimension_one_gets_informative_vectors_and_degenerate_requests_are_refused() {
    // Propagation ends in unit rows: at dim 1 every row would be ±1.
    let r = pmivec(&["embed", "graphs/karate/edges.tsv", "-o", "-", "-q", "--dim", "1"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let text = String::from_utf8(r.stdout).unwrap();
    let values: std::collections::BTreeSet<&str> = text.lines().skip(1).map(|l| l.split(' ').nth(1).unwrap()).collect();
    assert!(values.len() > 2, "dim 1 rows must differ: {values:?}");
    let r = pmivec(&["embed", "graphs/karate/edges.tsv", "-o", "-", "-q", "--dim", "1", "--propagation", "2"]);
    fails_with(&r, "needs dim ≥ 2");
    let dir = tempfile::tempdir().unwrap();
    let zero = write(dir.path(), "z.txt", "2 0\na\nb\n");
    let out = dir.path().join("o.txt");
    fails_with(&pmivec(&["align", s(&zero), s(&zero), "-o", s(&out), "-q"]), "d = 0");
    fails_with(&pmivec(&["pca", s(&zero), "-o", s(&out), "-q", "--dim", "1"]), "d = 0");
    assert!(!out.exists());
}

#[test]
fn repeated_questions_are_each_answered() {
    let dir = tempfile::tempdir().unwrap();
    let emb = dir.path().join("k.txt");
    assert!(pmivec(&["embed", "graphs/karate/edges.tsv", "-o", s(&emb), "-q", "--dim", "8"]).status.success());
    let r = pmivec(&["query", s(&emb), "--similarity", "0", "1", "--similarity", "2", "3"]);
    let text = String::from_utf8(r.stdout).unwrap();
    let firsts: Vec<&str> = text.lines().map(|l| l.split('\t').next().unwrap()).collect();
    assert_eq!(firsts, ["0", "2"], "{text}");
    let r = pmivec(&["query", s(&emb), "--analogy", "0", "1", "2", "--analogy", "3", "4", "5", "-k", "2"]);
    let text = String::from_utf8(r.stdout).unwrap();
    let questions: Vec<&str> = text.lines().map(|l| l.split('\t').next().unwrap()).collect();
    assert_eq!(questions, ["0 1 2", "0 1 2", "3 4 5", "3 4 5"], "{text}");
}

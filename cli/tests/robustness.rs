//! What happens when a run is given something hostile or mistaken: each case
//! ends in one clear line on stderr and exit status 2 (or a correct result),
//! never a panic, an abort, a hang or a lost file. The README's "What
//! happens when …" table lists the same cases.

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
    std::fs::copy(root!("graphs/karate/edges.tsv"), &input).unwrap();
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
    fails_with(
        &pmivec(&["embed", root!("graphs/karate/edges.tsv"), "-o", s(&fifo), "--dim", "4"]),
        "not a regular file",
    );
    let r = pmivec(&["embed", root!("graphs/karate/edges.tsv"), "-o", "-", "--dim", "4", "-q"]);
    assert!(r.status.success());
    assert!(String::from_utf8_lossy(&r.stdout).starts_with("34 4\n"));
    assert!(!Path::new("-").exists() && !Path::new("-.json").exists());
    fails_with(&pmivec(&["embed", root!("graphs/karate/edges.tsv"), "-o", "-", "--format", "npy"]), "only word2vec");
}

#[test]
fn a_missing_output_directory_fails_before_any_work() {
    let r = pmivec(&["embed", root!("graphs/blogcatalog/edges.tsv"), "-o", "/nonexistent/dir/out.txt"]);
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
    assert!(pmivec(&["embed", root!("graphs/karate/edges.tsv"), "-o", s(&out), "--dim", "4"]).status.success());
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
        .args(["embed", root!("graphs/karate/edges.tsv"), "-o", s(&out), "--dim", "4", "-q"])
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
    let g = root!("graphs/karate/edges.tsv");
    for (args, needle) in [
        (vec!["--oversample", "18446744073709551615"], "`--oversample`"),
        (vec!["--threads", "100000"], "`--threads`"),
        (vec!["--window", "18446744073709551615"], "`--window`"),
        (vec!["--walks-per-node", "1", "--walk-length", "18446744073709551615"], "`--walk-length`"),
        (vec!["--walks-per-node", "1e300", "--dim", "4"], "lower the walk budget"),
        (vec!["--dim", "128"], "at most 34"),
        (vec!["--memory-limit", "1K", "--dim", "4"], "raise `--memory-limit`"),
        (vec!["--memory-limit=-1G", "--dim", "4"], "`--memory-limit`: `-1G`: must be at least one byte"),
        (vec!["--memory-limit", "2Gii", "--dim", "4"], "`--memory-limit`: `2Gii`: unknown unit"),
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
    let r = pmivec(&["embed", s(&dag), "-o", s(&out), "--exact", "--directed", "--dim", "1", "-q"]);
    fails_with(&r, "no nonzero entry");
}

#[test]
fn headers_are_skipped_with_a_note_and_pandas_exports_get_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.txt");
    let mut text = String::from("source,target\n");
    for line in std::fs::read_to_string(root!("graphs/karate/edges.tsv")).unwrap().lines() {
        text.push_str(&line.replace('\t', ","));
        text.push('\n');
    }
    let input = write(dir.path(), "h.csv", &text);
    let r = pmivec(&["embed", s(&input), "-o", s(&out), "--dim", "4"]);
    assert!(r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("skipped the first line `source,target`"));
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
    let r =
        pmivec(&["tune", root!("graphs/karate/edges.tsv"), "--labels", root!("graphs/karate/labels.tsv"), "-o", "-"]);
    fails_with(&r, "-: this output cannot go to stdout; give a file name");
    let out = dir.path().join("k.txt");
    let r = pmivec(&["embed", root!("graphs/karate/edges.tsv"), "-o", s(&out), "--save-model", "-", "--dim", "4"]);
    fails_with(&r, "-: this output cannot go to stdout");
    assert!(!out.exists());
    assert_eq!(cwd_dash.exists(), before, "no file named `-` was written");
}

#[test]
fn dimension_one_gets_informative_vectors_and_degenerate_requests_are_refused() {
    // Propagation ends in unit rows: at dim 1 every row would be ±1.
    let r = pmivec(&["embed", root!("graphs/karate/edges.tsv"), "-o", "-", "-q", "--dim", "1"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let text = String::from_utf8(r.stdout).unwrap();
    let values: std::collections::BTreeSet<&str> = text.lines().skip(1).map(|l| l.split(' ').nth(1).unwrap()).collect();
    assert!(values.len() > 2, "dim 1 rows must differ: {values:?}");
    let r = pmivec(&["embed", root!("graphs/karate/edges.tsv"), "-o", "-", "-q", "--dim", "1", "--propagation", "2"]);
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
    assert!(pmivec(&["embed", root!("graphs/karate/edges.tsv"), "-o", s(&emb), "-q", "--dim", "8"]).status.success());
    let r = pmivec(&["query", s(&emb), "--similarity", "0", "1", "--similarity", "2", "3"]);
    let text = String::from_utf8(r.stdout).unwrap();
    let firsts: Vec<&str> = text.lines().map(|l| l.split('\t').next().unwrap()).collect();
    assert_eq!(firsts, ["0", "2"], "{text}");
    let r = pmivec(&["query", s(&emb), "--analogy", "0", "1", "2", "--analogy", "3", "4", "5", "-k", "2"]);
    let text = String::from_utf8(r.stdout).unwrap();
    let questions: Vec<&str> = text.lines().map(|l| l.split('\t').next().unwrap()).collect();
    assert_eq!(questions, ["0 1 2", "0 1 2", "3 4 5", "3 4 5"], "{text}");
}

#[test]
fn concurrent_runs_on_one_output_leave_one_runs_files() {
    // Two real processes race for the same outputs; whatever the timing, the
    // files left are one run's set: word2vec header and sidecar agree, npy
    // rows and ids come from the same row order.
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_pmivec");
    let k = root!("graphs/karate/edges.tsv");
    let txt = dir.path().join("o.txt");
    let npy = dir.path().join("o.npy");
    let reference = dir.path().join("ri.npy");
    assert!(pmivec(&["embed", k, "-o", s(&reference), "--format", "npy", "-q", "--dim", "4"]).status.success());
    let spawn = |args: &[&str]| Command::new(bin).args(args).spawn().unwrap();
    for _ in 0..12 {
        let mut a = spawn(&["embed", k, "-o", s(&txt), "-q", "--dim", "2"]);
        let mut b = spawn(&["embed", k, "-o", s(&txt), "-q", "--dim", "3"]);
        let (ra, rb) = (a.wait().unwrap(), b.wait().unwrap());
        assert!(ra.success() || rb.success(), "one writer at least finishes");
        let header =
            std::fs::read_to_string(&txt).unwrap().lines().next().unwrap().split(' ').nth(1).unwrap().to_owned();
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("o.txt.json")).unwrap()).unwrap();
        assert_eq!(header, meta["dim"].to_string(), "header and sidecar of one run");

        let mut a = spawn(&["embed", k, "-o", s(&npy), "--format", "npy", "-q", "--dim", "4", "--order", "input"]);
        let mut b = spawn(&["embed", k, "-o", s(&npy), "--format", "npy", "-q", "--dim", "4", "--order", "id"]);
        let (ra, rb) = (a.wait().unwrap(), b.wait().unwrap());
        assert!(ra.success() || rb.success());
        let same = |x: &Path, y: &Path| std::fs::read(x).unwrap() == std::fs::read(y).unwrap();
        let rows_input = same(&npy, &reference);
        let ids_input = same(&dir.path().join("o.npy.ids"), &dir.path().join("ri.npy.ids"));
        assert_eq!(rows_input, ids_input, "the .npy rows and the .ids lines come from one run");
    }
    no_temp_files(dir.path());
}

#[test]
fn auxiliary_inputs_are_inputs_too() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "c.toml", "window = 5\n");
    let r = pmivec(&["embed", root!("graphs/karate/edges.tsv"), "--config", s(&config), "-o", s(&config)]);
    fails_with(&r, "this is the input");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), "window = 5\n");
    let corpus = write(dir.path(), "c.txt", &"the cat sat on the mat\n".repeat(30));
    let stop = write(dir.path(), "s.txt", "the\n");
    let r = pmivec(&["words", s(&corpus), "--stopwords", s(&stop), "-o", s(&stop), "--min-count", "1"]);
    fails_with(&r, "this is the input");
    assert_eq!(std::fs::read_to_string(&stop).unwrap(), "the\n");
}

#[test]
fn endless_devices_and_closed_pipes_end_quietly() {
    fails_with(&pmivec(&["embed", "/dev/zero", "-o", "-", "-q"]), "not a regular file");
    // A reader that goes away (`| head -0`): no panic, no message.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("k.txt");
    assert!(pmivec(&["embed", root!("graphs/karate/edges.tsv"), "-o", s(&out), "-q", "--dim", "4"]).status.success());
    let mut child = Command::new(env!("CARGO_BIN_EXE_pmivec"))
        .args(["info", s(&out)])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let r = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(!err.contains("panicked") && !err.contains("internal error"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_fifo_input_is_read_once_and_its_digest_is_of_what_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("edges.fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let text = std::fs::read(root!("graphs/karate/edges.tsv")).unwrap();
    let writer = {
        let (fifo, text) = (fifo.clone(), text.clone());
        std::thread::spawn(move || std::fs::write(fifo, text).unwrap())
    };
    let out = dir.path().join("o.txt");
    let r = pmivec(&["embed", s(&fifo), "-o", s(&out), "-q", "--dim", "4"]);
    writer.join().unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("o.txt.json")).unwrap()).unwrap();
    use sha2::Digest;
    let want: String = sha2::Sha256::digest(&text).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(meta["input_sha256"], serde_json::Value::String(want));
}

#[test]
fn vectors_that_would_mislead_are_refused_with_their_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.txt");
    // A NaN in an npy file, as in word2vec text.
    let mut npy = b"\x93NUMPY\x01\x00".to_vec();
    let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }";
    let pad = 64 - (10 + header.len() + 1) % 64;
    let header = format!("{header}{}\n", " ".repeat(pad % 64));
    npy.extend_from_slice(&(header.len() as u16).to_le_bytes());
    npy.extend_from_slice(header.as_bytes());
    for v in [1.0f32, f32::NAN, 0.5, 2.0] {
        npy.extend_from_slice(&v.to_le_bytes());
    }
    let nan = dir.path().join("nan.npy");
    std::fs::write(&nan, &npy).unwrap();
    fails_with(&pmivec(&["pca", s(&nan), "-o", s(&out), "-q", "--dim", "1"]), "not finite");
    // Its .ids in Latin-1: an error, not rows named 0..n−1.
    std::fs::write(dir.path().join("ok.npy"), {
        let mut b = npy.clone();
        let n = b.len();
        b[n - 12..n - 8].copy_from_slice(&3.0f32.to_le_bytes());
        b
    })
    .unwrap();
    std::fs::write(dir.path().join("ok.npy.ids"), b"caf\xe9\nx\n").unwrap();
    let r = pmivec(&["info", s(&dir.path().join("ok.npy"))]);
    assert_eq!(r.status.code(), Some(2), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(String::from_utf8_lossy(&r.stderr).contains("ok.npy.ids"));
    // A word2vec label twice: which row is `a`?
    let dup = write(dir.path(), "dup.txt", "3 2\na 1 0\nb 0 1\na 1 1\n");
    fails_with(&pmivec(&["query", s(&dup), "--nearest", "b"]), "dup.txt:4: label `a` already on line 2");
}

#[test]
fn extreme_walk_biases_and_exact_memory_are_bounded() {
    for pq in [["--q", "1e-300"], ["--p", "1e300"]] {
        let mut args = vec!["embed", root!("graphs/karate/edges.tsv"), "-o", "-", "-q", "--dim", "4"];
        args.extend(pq);
        let r = pmivec(&args);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    }
    let r = pmivec(&[
        "embed",
        root!("graphs/karate/edges.tsv"),
        "-o",
        "-",
        "--dim",
        "4",
        "--exact",
        "--memory-limit",
        "1K",
    ]);
    fails_with(&r, "above the limit of 1.00 KiB (exact netmf");
}

#[test]
fn labels_files_are_read_as_spreadsheets_write_them_and_must_meet_the_graph() {
    let dir = tempfile::tempdir().unwrap();
    let emb = dir.path().join("k.txt");
    assert!(pmivec(&["embed", root!("graphs/karate/edges.tsv"), "-o", s(&emb), "-q", "--dim", "8"]).status.success());
    let labels = std::fs::read(root!("graphs/karate/labels.tsv")).unwrap();
    let bom = dir.path().join("bom.tsv");
    std::fs::write(&bom, [b"\xef\xbb\xbf".as_slice(), &labels].concat()).unwrap();
    let plain = pmivec(&["eval", "nodes", s(&emb), root!("graphs/karate/labels.tsv"), "--json", "--ratios", "0.5"]);
    let with_bom = pmivec(&["eval", "nodes", s(&emb), s(&bom), "--json", "--ratios", "0.5"]);
    assert!(plain.status.success());
    assert_eq!(plain.stdout, with_bom.stdout, "a byte-order mark is not part of the first node id");
    let wrong = write(dir.path(), "wrong.tsv", "x\t0\ny\t1\nz\t0\nw\t1\n");
    let r =
        pmivec(&["tune", root!("graphs/karate/edges.tsv"), "--labels", s(&wrong), "-o", s(&dir.path().join("b.toml"))]);
    fails_with(&r, "only 0 of 4 labelled nodes are nodes of the graph");
    assert!(!dir.path().join("b.toml").exists());
}

#[test]
fn a_similarity_score_that_is_no_finite_number_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = write(dir.path(), "c.txt", &"the cat sat on the mat and the dog sat on the log\n".repeat(60));
    let w = dir.path().join("w.txt");
    let r = pmivec(&["words", s(&corpus), "-o", s(&w), "-q", "--dim", "4", "--min-count", "1", "--subsample", "0"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let sim = write(dir.path(), "sim.tsv", "word1\tword2\tscore\nthe\tcat\t5\nthe\tdog\tnan\n");
    fails_with(&pmivec(&["eval", "words", s(&w), "--similarity", s(&sim)]), "sim.tsv:3: score `nan` is not finite");
}

#[test]
fn a_sidecar_of_an_older_run_is_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.txt");
    assert!(pmivec(&["embed", root!("graphs/karate/edges.tsv"), "-o", s(&out), "-q", "--dim", "8"]).status.success());
    // The same file rewritten by `-o -` (same shape), then by another run.
    let r = pmivec(&["embed", root!("graphs/karate/edges.tsv"), "-o", "-", "-q", "--dim", "8", "--seed", "5"]);
    std::fs::write(&out, &r.stdout).unwrap();
    let info = String::from_utf8(pmivec(&["info", s(&out)]).stdout).unwrap();
    assert!(info.contains("sidecar ignored") && info.contains("rewritten"), "{info}");
    let r = pmivec(&["embed", root!("graphs/karate/edges.tsv"), "-o", "-", "-q", "--dim", "4"]);
    std::fs::write(&out, &r.stdout).unwrap();
    let info = String::from_utf8(pmivec(&["info", s(&out)]).stdout).unwrap();
    assert!(info.contains("sidecar ignored") && info.contains("34 rows × 8 values"), "{info}");
    assert!(!info.contains("edges.tsv"), "no provenance of the older run: {info}");
}

#[test]
fn order_id_sorts_integers_of_any_sign_and_size_by_value() {
    let dir = tempfile::tempdir().unwrap();
    let rows = |text: &str| {
        let e = write(dir.path(), "e.tsv", text);
        let r = pmivec(&["embed", s(&e), "-o", "-", "-q", "--dim", "2", "--order", "id"]);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        String::from_utf8(r.stdout)
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(' ').next().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(rows("-1\t-2\n-2\t10\n10\t2\n2\t-1\n0\t2\n"), ["-2", "-1", "0", "2", "10"]);
    let big = rows("18446744073709551615\t2\n2\t99999999999999999999\n99999999999999999999\t18446744073709551615\n");
    assert_eq!(big, ["2", "18446744073709551615", "99999999999999999999"]);
}

#[test]
fn fold_in_gives_new_nodes_the_side_the_run_wrote() {
    // A twin of node 33 (the same edges) folds in to node 33's vector, for
    // every side of the first-order matrix (exact: no sampling).
    let dir = tempfile::tempdir().unwrap();
    let edges = std::fs::read_to_string(root!("graphs/karate/edges.tsv")).unwrap();
    let twin: String = edges
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 2 && (f[0] == "33" || f[1] == "33")).then(|| {
                format!("{}\t{}\n", if f[0] == "33" { "twin" } else { f[0] }, if f[1] == "33" { "twin" } else { f[1] })
            })
        })
        .collect();
    assert!(!twin.is_empty());
    let twin = write(dir.path(), "twin.tsv", &twin);
    let row = |path: &Path, label: &str| -> Vec<f64> {
        let text = std::fs::read_to_string(path).unwrap();
        let line = text.lines().skip(1).find(|l| l.split(' ').next() == Some(label)).unwrap().to_owned();
        line.split(' ').skip(1).map(|x| x.parse().unwrap()).collect()
    };
    for side in ["left", "right", "sum", "both"] {
        let (emb, model, folded) = (dir.path().join("e.txt"), dir.path().join("m.model"), dir.path().join("f.txt"));
        let common = ["--dim", "6", "--estimator", "first-order", "--propagation", "none", "-q"];
        let mut args =
            vec!["embed", root!("graphs/karate/edges.tsv"), "-o", s(&emb), "--side", side, "--save-model", s(&model)];
        args.extend(common);
        assert!(pmivec(&args).status.success());
        let r = pmivec(&["fold-in", s(&model), s(&twin), "-o", s(&folded), "-q"]);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        let (a, b) = (row(&emb, "33"), row(&folded, "twin"));
        assert_eq!(a.len(), b.len(), "--side {side}");
        let dot: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
        let cos = dot / norm(&a) / norm(&b);
        assert!(cos > 0.999, "--side {side}: cos {cos}");
    }
}

#[test]
fn the_output_name_picks_the_format_and_a_contradiction_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let npy = dir.path().join("k.npy");
    let r = pmivec(&["embed", root!("graphs/karate/edges.tsv"), "-o", s(&npy), "-q", "--dim", "4"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(std::fs::read(&npy).unwrap().starts_with(b"\x93NUMPY"), "-o k.npy writes npy");
    assert!(dir.path().join("k.npy.ids").exists());
    let txt = dir.path().join("k.emb");
    assert!(pmivec(&["embed", root!("graphs/karate/edges.tsv"), "-o", s(&txt), "-q", "--dim", "4"]).status.success());
    assert!(std::fs::read_to_string(&txt).unwrap().starts_with("34 4\n"));
    let bad = dir.path().join("x.npy");
    let r = pmivec(&["embed", root!("graphs/karate/edges.tsv"), "-o", s(&bad), "--format", "word2vec"]);
    fails_with(&r, "is named as npy but `--format` asks for word2vec");
    assert!(!bad.exists());
}

#[test]
fn a_gzip_edge_list_is_read_as_its_text_and_a_corrupt_one_is_an_error() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let plain = std::fs::read(root!("graphs/karate/edges.tsv")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&plain).unwrap();
    let gz = gz.finish().unwrap();
    let path = dir.path().join("k.tsv.gz");
    std::fs::write(&path, &gz).unwrap();
    let a = pmivec(&["embed", s(&path), "-o", "-", "-q", "--dim", "4"]);
    let b = pmivec(&["embed", root!("graphs/karate/edges.tsv"), "-o", "-", "-q", "--dim", "4"]);
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert_eq!(a.stdout, b.stdout);
    std::fs::write(&path, &gz[..gz.len() / 2]).unwrap();
    let r = pmivec(&["embed", s(&path), "-o", "-", "-q", "--dim", "4"]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("k.tsv.gz"), "{}", String::from_utf8_lossy(&r.stderr));
}

#[test]
fn an_undirected_list_read_as_directed_gets_a_warning() {
    let r = pmivec(&["embed", root!("graphs/karate/edges.tsv"), "-o", "-", "--dim", "4", "--directed"]);
    assert!(r.status.success());
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("looks like an undirected edge list read as directed"), "{err}");
    assert!(err.contains("8 of 34 nodes have no out-arcs") && err.contains("8 zero rows"), "{err}");
    // eval nodes counts them too.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("k.txt");
    let r = pmivec(&["embed", root!("graphs/karate/edges.tsv"), "-o", s(&out), "--dim", "4", "--directed", "-q"]);
    assert!(r.status.success());
    let r = pmivec(&["eval", "nodes", s(&out), root!("graphs/karate/labels.tsv"), "--ratios", "0.5"]);
    let table = String::from_utf8_lossy(&r.stdout);
    assert!(table.contains("0 missing from the embedding, 8 with zero vectors"), "{table}");
    // The reverse: reciprocal arcs read as undirected are merged, with a note.
    let tmp = tempfile::tempdir().unwrap();
    let email = write(tmp.path(), "e.tsv", "0\t1\n1\t0\n1\t2\n2\t3\n3\t2\n");
    let r = pmivec(&["embed", s(&email), "-o", "-", "--dim", "2"]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("2 edges appear in both directions") && err.contains("(--directed)"), "{err}");
    let r = pmivec(&["embed", root!("graphs/karate/edges.tsv"), "-o", "-", "--dim", "2"]);
    assert!(!String::from_utf8_lossy(&r.stderr).contains("both directions"));
    // A list with reciprocal arcs is directed as given: no warning.
    let dir = tempfile::tempdir().unwrap();
    let e = write(dir.path(), "d.tsv", "0\t1\n1\t0\n1\t2\n2\t3\n3\t0\n");
    let r = pmivec(&["embed", s(&e), "-o", "-", "--dim", "2", "--directed"]);
    assert!(!String::from_utf8_lossy(&r.stderr).contains("looks like"));
}

#[test]
fn plot_of_a_small_graph_lowers_the_perplexity_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let emb = dir.path().join("k.txt");
    assert!(pmivec(&["embed", root!("graphs/karate/edges.tsv"), "-o", s(&emb), "-q", "--dim", "8"]).status.success());
    let png = dir.path().join("k.png");
    let r = pmivec(&["plot", s(&emb), "-o", s(&png)]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(String::from_utf8_lossy(&r.stderr).contains("perplexity lowered to 10 for 34 points"));
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    // Asked for explicitly, it is not changed behind the user's back.
    let r = pmivec(&["plot", s(&emb), "-o", s(&png), "--perplexity", "30"]);
    fails_with(&r, "needs more than 91 rows");
}

#[test]
fn the_wrong_kind_of_file_is_named_for_what_it_looks_like() {
    let dir = tempfile::tempdir().unwrap();
    let emb = dir.path().join("k.txt");
    let model = dir.path().join("k.model");
    let r = pmivec(&[
        "embed",
        root!("graphs/karate/edges.tsv"),
        "-o",
        s(&emb),
        "-q",
        "--dim",
        "4",
        "--save-model",
        s(&model),
    ]);
    assert!(r.status.success());
    fails_with(&pmivec(&["info", s(&model)]), "this is a fold-in model (from `--save-model`), not embeddings");
    fails_with(&pmivec(&["info", root!("graphs/karate/edges.tsv")]), "this looks like an edge list or a labels file");
    // `eval nodes` with its two arguments swapped.
    let r = pmivec(&["eval", "nodes", root!("graphs/karate/labels.tsv"), s(&emb)]);
    fails_with(&r, "labels.tsv:2: expected 0 values, found 1; this looks like an edge list or a labels file");
}

#[test]
fn fold_in_places_new_nodes_from_new_nodes_and_names_those_it_could_not_place() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("k.model");
    let r =
        pmivec(&["embed", root!("graphs/karate/edges.tsv"), "-o", "-", "-q", "--dim", "4", "--save-model", s(&model)]);
    assert!(r.status.success());
    let new = write(dir.path(), "new.tsv", "new1\t0\nnew2\tnew1\nnew3\tnew2\nlone1\tlone2\n");
    let out = dir.path().join("f.txt");
    let stderr = |args: &[&str]| {
        let r = pmivec(args);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        String::from_utf8_lossy(&r.stderr).into_owned()
    };
    // Every round until none places more: new2 from new1, new3 from new2.
    let err = stderr(&["fold-in", s(&model), s(&new), "-o", s(&out)]);
    assert!(err.contains("3 new rows (3 rounds: 1 + 1 + 1)"), "{err}");
    assert!(err.contains("2 new nodes got no row: no path of new edges leads to a model node (lone1, lone2)"), "{err}");
    let rows: Vec<String> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(' ').next().unwrap().to_owned())
        .collect();
    assert_eq!(rows, ["new1", "new2", "new3"]);
    // --rounds caps them and says so.
    let err = stderr(&["fold-in", s(&model), s(&new), "-o", s(&out), "--rounds", "1"]);
    assert!(err.contains("1 new rows") && err.contains("4 new nodes got no row: not reached within --rounds"), "{err}");
    assert!(err.contains("(new2, new3, lone1, lone2)"), "{err}");
    fails_with(&pmivec(&["fold-in", s(&model), s(&new), "-o", s(&out), "--rounds", "0"]), "--rounds");
}

#[test]
fn info_offers_a_config_only_when_it_is_one() {
    let dir = tempfile::tempdir().unwrap();
    let (emb, model, folded) = (dir.path().join("k.txt"), dir.path().join("k.model"), dir.path().join("f.txt"));
    let r = pmivec(&[
        "embed",
        root!("graphs/karate/edges.tsv"),
        "-o",
        s(&emb),
        "-q",
        "--dim",
        "4",
        "--save-model",
        s(&model),
    ]);
    assert!(r.status.success());
    let info = String::from_utf8(pmivec(&["info", s(&emb)]).stdout).unwrap();
    assert!(info.contains("config (usable as --config)"), "{info}");
    let new = write(dir.path(), "new.tsv", "new1\t0\nnew1\t1\n");
    assert!(pmivec(&["fold-in", s(&model), s(&new), "-o", s(&folded), "-q"]).status.success());
    let info = String::from_utf8(pmivec(&["info", s(&folded)]).stdout).unwrap();
    assert!(info.contains("made from (not a --config)") && !info.contains("usable as --config"), "{info}");
}

#[test]
fn eval_docs_refuses_a_label_column_with_a_class_per_document() {
    let dir = tempfile::tempdir().unwrap();
    let lines: String = (0..12).map(|i| format!("d{i}\tverse {i} text\tthe cat sat on mat number {i}\n")).collect();
    let docs = write(dir.path(), "d.tsv", &lines);
    let r = pmivec(&["eval", "docs", s(&docs), "--label-column", "2", "--dim", "2", "--folds", "2"]);
    assert_eq!(r.status.code(), Some(2));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("12 classes among 12 rows") && err.contains("is this the label column?"), "{err}");
}

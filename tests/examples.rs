//! Every program in `examples/` runs and says what it should.

use std::process::Command;

#[test]
fn karate_example_separates_the_factions() {
    let out =
        Command::new(env!("CARGO")).args(["run", "--release", "--quiet", "--example", "karate"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let agree: usize = text.split("same faction: ").nth(1).unwrap().split('/').next().unwrap().parse().unwrap();
    assert!(agree >= 30, "{text}");
}

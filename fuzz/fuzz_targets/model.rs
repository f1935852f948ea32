#![no_main]
//! The fold-in model reader on arbitrary bytes behind a valid magic: a
//! corrupt model is an error, never a panic or a runaway allocation, and a
//! model that loads folds in without panicking.
use libfuzzer_sys::fuzz_target;
use pmivec::foldin::Saved;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else { return };
    let magic: &[u8; 8] = if kind % 2 == 0 { b"PMIVECM1" } else { b"PMIVECW1" };
    let bytes = [magic.as_slice(), rest].concat();
    match Saved::from_bytes(&bytes, std::path::Path::new("<fuzz>")) {
        Ok(Saved::Graph(m)) if !m.labels.is_empty() => {
            let _ = m.fold_in(&[("new".into(), m.labels[0].clone(), 1.0)]);
        }
        Ok(Saved::Words(m)) => {
            let _ = m.fold_in(&["a b c a b c".to_owned()], 1);
        }
        _ => {}
    }
});

#![no_main]
//! The embedding reader on arbitrary bytes: hostile headers must not allocate.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pmivec::io::read_word2vec_from(data, None);
});

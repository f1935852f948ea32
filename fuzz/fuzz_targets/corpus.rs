#![no_main]
//! The corpus reader (plain, gzip or Latin-1 lines) and tokenizer on arbitrary bytes.
use libfuzzer_sys::fuzz_target;
use pmivec::text::{Corpus, TextConfig, read_lines_from};

fuzz_target!(|data: &[u8]| {
    if let Ok(lines) = read_lines_from(data, None) {
        let config = TextConfig::default().min_count(1).english_stopwords().stem(true);
        let _ = Corpus::from_lines(lines.iter().map(String::as_str), &config);
    }
});

#![no_main]
//! The document reader on arbitrary bytes, with and without a label column.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&column, text)) = data.split_first() else { return };
    let _ = pmivec::lsa::read_documents_from(text, (column % 4 > 0).then_some((column % 4) as usize), None);
});

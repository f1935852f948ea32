#![no_main]
//! The edge-list reader on arbitrary bytes, in every format mode: an error or a graph, never a panic.
use libfuzzer_sys::fuzz_target;
use pmivec::{Delimiter, EdgeListFormat, Graph};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, text)) = data.split_first() else { return };
    let delimiter = [Delimiter::Auto, Delimiter::Tab, Delimiter::Comma, Delimiter::Whitespace][(mode & 3) as usize];
    let format = EdgeListFormat::default().delimiter(delimiter).weighted(mode & 4 != 0).directed(mode & 8 != 0);
    let _ = Graph::from_edge_list_reader(text, &format, None);
});

//! The default compression settings compress the chat corpus at least as
//! well as Python websockets' defaults (12-bit windows, memory level 5,
//! zlib's level 6, context takeover), issue #15.

use wsproto::deflate::{Compressor, CompressorOptions, DeflateConfig};

const CORPUS: &str = include_str!("../../benches/data/chat_corpus.jsonl");

/// What Python websockets sends for the corpus, message by message on one
/// connection: `zlib.compressobj(6, zlib.DEFLATED, -12, 5)`, a sync flush
/// per message, the 4-byte tail removed (CPython's zlib 1.2.13).
const PYTHON_WEBSOCKETS_BYTES: usize = 229_412;

#[test]
fn the_defaults_compress_the_chat_corpus_as_well_as_python_websockets() {
    let config = DeflateConfig::default();
    let options = CompressorOptions::new()
        .level(config.level)
        .mem_level(config.mem_level)
        .window_bits(config.server_max_window_bits);
    let mut compressor = Compressor::new(options);
    let (mut raw, mut sent) = (0, 0);
    let mut out = Vec::new();
    for line in CORPUS.lines() {
        out.clear();
        compressor.compress(line.as_bytes(), true, &mut out).unwrap();
        raw += line.len();
        // What goes on the wire: compressed unless under the threshold.
        sent += if line.len() < config.min_compress_size { line.len() } else { out.len() };
    }
    assert_eq!(raw, 539_672);
    assert!(sent <= PYTHON_WEBSOCKETS_BYTES, "{sent} bytes sent, Python websockets {PYTHON_WEBSOCKETS_BYTES}");
    // And the window and memory level are what bound the memory.
    assert_eq!((config.server_max_window_bits, config.client_max_window_bits, config.mem_level), (12, 12, 5));
}

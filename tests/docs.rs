//! The "Driving a connection" section of README.md quotes its loops from the examples, which CI
//! builds and tests/interop.rs runs against independent peers. This test
//! keeps the quotes true: every ```` ```rust,ignore ```` block whose first
//! line is `// examples/...` (or `// wsproto-tokio/...`, the driver's loop)
//! must appear verbatim in that file.

use std::path::Path;

/// `(source file, quoted code)` for each quoted block of `markdown`.
fn quoted_blocks(markdown: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut rest = markdown;
    while let Some(start) = rest.find("```rust,ignore\n") {
        let body = &rest[start + "```rust,ignore\n".len()..];
        let end = body.find("\n```").expect("an unterminated code block");
        let (first, code) = body[..end].split_once('\n').unwrap_or((&body[..end], ""));
        let quotable = |s: &&str| s.starts_with("examples/") || s.starts_with("wsproto-tokio/");
        if let Some(source) = first.strip_prefix("// ").filter(quotable) {
            blocks.push((source.trim().to_owned(), code.to_owned()));
        }
        rest = &body[end + 4..];
    }
    blocks
}

fn check(markdown_path: &str) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let markdown = std::fs::read_to_string(root.join(markdown_path)).unwrap();
    let blocks = quoted_blocks(&markdown);
    for (source, code) in &blocks {
        let text =
            std::fs::read_to_string(root.join(source)).unwrap_or_else(|e| panic!("{markdown_path}: {source}: {e}"));
        assert!(
            text.contains(code.as_str()),
            "{markdown_path} quotes {source}, but the quote is no longer in that file; copy it again:\n{code}"
        );
    }
    blocks.len()
}

#[test]
fn readme_quotes_the_examples_verbatim() {
    assert!(check("README.md") >= 5, "the README should quote the driver programs and the std and tokio loops");
}

//! The documents quote code from the examples and the driver, which CI
//! builds and `tests/interop/` runs against independent peers. This test
//! keeps the quotes true: every ```` ```rust,ignore ```` block of README.md
//! and ARCHITECTURE.md whose first line is `// examples/...` (or
//! `// wsproto-tokio/...`, the driver's loop) must appear verbatim in that
//! file. And README.md's test command is the one `.ci/run` runs.

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

fn read(path: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Checks every quote of `markdown_path`; returns how many there are.
fn check(markdown_path: &str) -> usize {
    let blocks = quoted_blocks(&read(markdown_path));
    for (source, code) in &blocks {
        assert!(
            read(source).contains(code.as_str()),
            "{markdown_path} quotes {source}, but the quote is no longer in that file; copy it again:\n{code}"
        );
    }
    blocks.len()
}

#[test]
fn readme_quotes_the_examples_verbatim() {
    assert!(check("README.md") >= 2, "the README should quote the driver client and the std::net loop");
}

#[test]
fn architecture_quotes_the_driver_verbatim() {
    assert!(check("ARCHITECTURE.md") >= 2, "ARCHITECTURE.md should quote the driver's loop and the hyper hand-over");
}

#[test]
fn the_readme_test_command_is_the_one_ci_runs() {
    let ci = read(".ci/run");
    let body = &ci[ci.find("\ntests() {").expect("a tests step in .ci/run")..];
    let body = &body[..body.find("\n}").expect("the end of the tests step")];
    let commands: Vec<&str> = body.lines().map(str::trim).filter(|line| line.starts_with("cargo ")).collect();
    assert_eq!(commands.len(), 1, "the tests step runs one command: {commands:?}");
    let readme = read("README.md");
    assert!(readme.lines().any(|line| line.trim() == commands[0]), "README.md does not give `{}`", commands[0]);
}

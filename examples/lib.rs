//! The examples of wsproto and its tokio driver live beside this file, one
//! `[[example]]` each in `Cargo.toml`:
//! `cargo run --release -p wsproto-examples --example echo_server -- 127.0.0.1:9001`.
//! This library is empty: a package needs one.

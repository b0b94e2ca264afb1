//! Tests of permessage-deflate (`wsproto::deflate`, RFC 7692): negotiation,
//! the RFC's examples, round trips with every parameter, the inflate
//! limits, the memory a compressed connection holds and the ratio of the
//! defaults, a model test. One test binary; a module per concern, on the
//! counting allocator (for `memory`).
#![cfg(feature = "deflate")]

mod limits;
mod memory;
mod model;
mod negotiation;
mod ratio;
mod rfc_examples;
mod roundtrip;

#[global_allocator]
static ALLOC: wsproto_test_support::alloc::Counting = wsproto_test_support::alloc::Counting;

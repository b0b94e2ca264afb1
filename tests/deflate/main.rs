//! Tests of permessage-deflate (`wsproto::deflate`, RFC 7692): negotiation,
//! the RFC's examples, round trips with every parameter, the inflate
//! limits, a model test. One test binary; a module per concern.
#![cfg(feature = "deflate")]

mod limits;
mod model;
mod negotiation;
mod rfc_examples;
mod roundtrip;

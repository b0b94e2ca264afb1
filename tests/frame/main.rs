//! Tests of the frame layer (`wsproto::frame`): header decoding and
//! encoding, the validation rules, masking. One test binary; a module per
//! concern.

mod rfc_examples;
mod roundtrip;
mod validation;

//! Tests of the connection (`wsproto::Connection`): the handshake as the
//! connection drives it, messages, close, keepalive, errors and limits,
//! splits of the wire, the send paths, prepared messages, and the memory a
//! connection holds and allocates. One test binary; a module per concern.
//!
//! The binary runs on a counting allocator: the memory tests (`alloc_*`,
//! `input_memory`, `memory_bounds`) read the counts of their own thread, so
//! tests running beside them on other threads do not disturb them.

mod abort;
mod alloc_prepared;
mod alloc_receive;
mod alloc_send;
mod close;
mod errors;
mod event_ref;
mod handshake;
mod input_memory;
mod input_time;
mod intake;
mod keepalive;
mod memory_bounds;
mod messages;
mod model;
mod prepared;
mod send_masking;
mod send_payloads;
mod split;

#[global_allocator]
static ALLOC: wsproto_test_support::alloc::Counting = wsproto_test_support::alloc::Counting;

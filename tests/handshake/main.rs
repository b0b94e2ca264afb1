//! Tests of the handshake layer (`wsproto::handshake`): the client's request
//! and its check of the response, the server's request parser and its
//! answers, `Sec-WebSocket-Accept`, extension headers, captured fixtures.
//! One test binary; a module per concern.

mod accept;
mod client_rules;
mod extensions;
mod fixtures;
mod linear;
mod roundtrip;
mod server_rules;

//! Tests of the handshake layer (`wsproto::handshake`): the client's request
//! and its check of the response, the server's request parser and its
//! answers, `Sec-WebSocket-Accept`, extension headers, captured fixtures,
//! and extended CONNECT over HTTP/2 and HTTP/3 (RFC 8441, RFC 9220).
//! One test binary; a module per concern.

mod accept;
mod client_rules;
mod extended_connect;
mod extensions;
mod fixtures;
mod linear;
mod roundtrip;
mod server_rules;

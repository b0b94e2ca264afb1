//! A sans-IO WebSocket core (RFC 6455, RFC 7692).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod close;
pub mod frame;
pub mod rng;
mod role;

pub use close::CloseCode;
pub use rng::RandomSource;
#[cfg(feature = "getrandom")]
pub use rng::OsRandom;
pub use role::Role;

//! The memory the driver holds and allocates: no allocation per message
//! in steady state, and buffers given back once a socket goes idle. One test
//! binary on the counting allocator, which counts per thread: each test
//! runs its client and server on its own thread.

mod idle;
mod steady_state;

use wsproto::Config;

#[global_allocator]
static ALLOC: wsproto_test_support::alloc::Counting = wsproto_test_support::alloc::Counting;

/// The config both ends use: permessage-deflate off (compressing allocates
/// its output).
fn config() -> Config {
    let config = Config::default();
    #[cfg(feature = "deflate")]
    let config = config.deflate(None);
    config
}

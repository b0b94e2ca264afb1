//! A prepared message costs a connection no allocation and no copy in the
//! steady state: queued and handed out as the shared bytes.

use std::time::Instant;

use wsproto::rng::PredictableRandom;
use wsproto::{Config, Connection, Open, PreparedMessage, Role};
use wsproto_test_support::alloc::allocations;

#[test]
fn broadcasting_a_prepared_message_allocates_nothing_per_connection() {
    let now = Instant::now();
    let config = Config::default();
    #[cfg(feature = "deflate")]
    let config = config.deflate(None);
    let mut conns: Vec<Connection> = (0..100)
        .map(|_| {
            Connection::open_with_random(Role::Server, Open::new(), config.clone(), PredictableRandom::new(1), now)
        })
        .collect();
    let message = PreparedMessage::binary(vec![7u8; 1024]);
    // The first broadcast sizes each connection's queue.
    for conn in &mut conns {
        conn.send_prepared(&message).unwrap();
        while conn.poll_transmit().is_some() {}
    }
    let before = allocations();
    for _ in 0..10 {
        for conn in &mut conns {
            conn.send_prepared(&message).unwrap();
            let bytes = conn.poll_transmit().unwrap();
            assert_eq!(bytes.as_ptr(), message.frame().as_ptr());
            assert!(conn.poll_transmit().is_none());
        }
    }
    assert_eq!(allocations() - before, 0);
}

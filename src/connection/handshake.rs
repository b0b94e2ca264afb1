//! The opening handshake as the connection drives it: a server's request,
//! the app's answer, a client's request and the server's response.

use std::time::Instant;

use bytes::{Buf, BytesMut};

use super::Connection;
use super::timer::Timer;
use crate::config::Config;
use crate::error::{Error, SendError};
use crate::event::{Closed, Event, Open};
use crate::frame::Decoded;
use crate::handshake::{AcceptOptions, ClientHandshake, ClientOptions, Rejection, Request, RequestParser};
use crate::rng::RandomSource;
use crate::role::Role;
use crate::CloseCode;

/// Where the opening handshake is.
pub(super) enum Handshake {
    /// (Server) Reading the upgrade request.
    ReadingRequest(RequestParser),
    /// (Server) The request was reported; waiting for `accept` or `reject`.
    WaitingForApp(Box<Request>),
    /// (Client) The request is queued; reading the response.
    ReadingResponse(Box<ClientHandshake>),
}

impl Connection {
    /// A server connection waiting for an upgrade request. The first event
    /// will be [`Event::Request`]; answer it with [`accept`](Self::accept)
    /// or [`reject`](Self::reject).
    pub fn server(config: Config, now: Instant) -> Connection {
        let parser = RequestParser::new(config.handshake_limits);
        let mut connection = Connection::new(Role::Server, config, None, Some(Handshake::ReadingRequest(parser)));
        connection.start_handshake_timer(now);
        connection
    }

    /// A client connection for a prepared handshake; the upgrade request is
    /// its first output. Mask keys come from `rng`.
    ///
    /// The handshake's limits are those of its [`ClientOptions`].
    pub fn client(
        handshake: ClientHandshake,
        config: Config,
        rng: impl RandomSource + Send + 'static,
        now: Instant,
    ) -> Connection {
        let mut request = BytesMut::new();
        handshake.write_request(&mut request);
        let mut connection = Connection::new(
            Role::Client,
            config,
            Some(Box::new(rng)),
            Some(Handshake::ReadingResponse(Box::new(handshake))),
        );
        connection.queue.push_raw(&request);
        connection.start_handshake_timer(now);
        connection
    }

    /// A client connection to `url` (`ws://` or `wss://`; the caller opens
    /// the TCP, and for `wss` the TLS, connection). The handshake nonce and
    /// mask keys come from the operating system ([`OsRandom`](crate::OsRandom)).
    #[cfg(feature = "getrandom")]
    pub fn connect(
        url: &str,
        options: ClientOptions,
        config: Config,
        now: Instant,
    ) -> Result<Connection, crate::handshake::UsageError> {
        Connection::connect_with_random(url, options, config, crate::rng::OsRandom, now)
    }

    /// As [`Connection::connect`], with the nonce and mask keys from `rng`.
    pub fn connect_with_random(
        url: &str,
        options: ClientOptions,
        config: Config,
        mut rng: impl RandomSource + Send + 'static,
        now: Instant,
    ) -> Result<Connection, crate::handshake::UsageError> {
        let handshake = ClientHandshake::new(url, options, &mut rng)?;
        Ok(Connection::client(handshake, config, rng, now))
    }

    /// (Server) Accepts the upgrade request reported by [`Event::Request`]:
    /// queues the 101 response with the chosen subprotocol, extensions and
    /// extra headers, and opens the connection ([`Event::Open`] follows).
    /// Frames that arrived with the request are processed now.
    ///
    /// Fails, changing nothing, if no request is waiting for an answer or
    /// the options choose something the client did not offer.
    pub fn accept(&mut self, now: Instant, options: AcceptOptions) -> Result<(), SendError> {
        let Some(Handshake::WaitingForApp(request)) = &self.handshake else {
            return Err(SendError::InvalidState("no upgrade request is waiting for an answer"));
        };
        let mut response = BytesMut::new();
        crate::handshake::write_accept_response(request, &options, &mut response).map_err(SendError::Handshake)?;
        self.queue.push_raw(&response);
        self.become_open(Open { subprotocol: options.subprotocol, extensions: options.extensions }, now);
        self.process_input(now);
        Ok(())
    }

    /// (Server) Refuses the upgrade request reported by [`Event::Request`]
    /// with `rejection` (any final status, headers, a body). The connection
    /// ends: [`Event::Closed`] follows (code 1006, not clean), and the
    /// transport should be closed once the response is written.
    pub fn reject(&mut self, _now: Instant, rejection: Rejection) -> Result<(), SendError> {
        if !matches!(self.handshake, Some(Handshake::WaitingForApp(_))) {
            return Err(SendError::InvalidState("no upgrade request is waiting for an answer"));
        }
        let mut response = BytesMut::new();
        rejection.write(&mut response).map_err(SendError::Handshake)?;
        self.queue.push_raw(&response);
        self.handshake = None;
        self.finish(None, Closed { code: CloseCode::ABNORMAL, reason: String::new(), was_clean: false });
        self.transport_done = true;
        Ok(())
    }

    fn start_handshake_timer(&mut self, now: Instant) {
        if let Some(timeout) = self.config.handshake_timeout {
            self.timers.set(Timer::Handshake, now + timeout);
        }
    }

    /// Advances the handshake with the buffered input.
    pub(super) fn process_handshake(&mut self, now: Instant) {
        match self.handshake.as_mut() {
            Some(Handshake::ReadingRequest(parser)) => match parser.parse(&self.input) {
                Ok(Decoded::Incomplete { .. }) => {}
                Ok(Decoded::Complete((request, used))) => {
                    self.input.advance(used);
                    self.events.push_back(Event::Request(Box::new(request.clone())));
                    self.handshake = Some(Handshake::WaitingForApp(Box::new(request)));
                }
                Err(error) => {
                    let mut response = BytesMut::new();
                    error.write_response(&mut response);
                    self.queue.push_raw(&response);
                    self.handshake = None;
                    self.fail(Error::Request(error));
                }
            },
            Some(Handshake::WaitingForApp(_)) => {}
            Some(Handshake::ReadingResponse(client)) => match client.parse_response(&self.input) {
                Ok(Decoded::Incomplete { .. }) => {}
                Ok(Decoded::Complete((response, used))) => {
                    self.input.advance(used);
                    let open = Open {
                        subprotocol: response.subprotocol().map(str::to_owned),
                        extensions: response.extensions().to_vec(),
                    };
                    self.become_open(open, now);
                }
                Err(error) => {
                    self.handshake = None;
                    self.fail(Error::Response(error));
                }
            },
            None => {}
        }
    }
}

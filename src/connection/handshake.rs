//! The opening handshake as the connection drives it: a server's request,
//! the app's answer, a client's request and the server's response.

use std::time::Instant;

use bytes::BytesMut;

use super::Connection;
use super::phase::Phase;
use super::timer::Timer;
use crate::CloseCode;
use crate::config::Config;
use crate::error::{AnswerError, Error};
use crate::event::{Closed, Event, Open, Transport};
use crate::frame::{Decoded, MAX_HEADER_LEN};
use crate::handshake::{AcceptOptions, ClientHandshake, ClientOptions, Rejection, Request, RequestParser};
use crate::rng::RandomSource;
use crate::role::Role;

/// Where the opening handshake is.
#[derive(Debug)]
pub(super) enum Handshake {
    /// (Server) Reading the upgrade request.
    ReadingRequest(Box<RequestParser>),
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
        let mut connection = Connection::new(
            Role::Server,
            config,
            None,
            Phase::Handshake(Handshake::ReadingRequest(Box::new(parser))),
            now,
        );
        connection.start_handshake_timer(now);
        connection
    }

    /// A client connection for a prepared handshake; the upgrade request is
    /// its first output. Mask keys come from `rng`.
    ///
    /// The handshake's limits are those of its [`ClientOptions`]. With
    /// [`Config::deflate`] set and no `permessage-deflate` offer among the
    /// handshake's extensions, the handshake is prepared again with the
    /// configured offers added (and a new nonce from `rng`).
    pub fn client(
        handshake: ClientHandshake,
        config: Config,
        #[cfg_attr(not(feature = "deflate"), allow(unused_mut))] mut rng: impl RandomSource + Send + 'static,
        now: Instant,
    ) -> Connection {
        #[cfg(feature = "deflate")]
        let handshake = match with_deflate_offers(handshake.options().clone(), &config) {
            Some(options) => ClientHandshake::from_url(handshake.url().clone(), options, &mut rng).unwrap_or(handshake),
            None => handshake,
        };
        let mut request = BytesMut::new();
        handshake.write_request(&mut request);
        let mut connection = Connection::new(
            Role::Client,
            config,
            Some(Box::new(rng)),
            Phase::Handshake(Handshake::ReadingResponse(Box::new(handshake))),
            now,
        );
        connection.queue.push_raw(&request);
        connection.start_handshake_timer(now);
        connection
    }

    /// A client connection to `url` (`ws://` or `wss://`; the caller opens
    /// the TCP, and for `wss` the TLS, connection). The handshake nonce and
    /// mask keys come from a
    /// [`SecureRandom`](crate::SecureRandom), seeded from the operating system.
    #[cfg(feature = "getrandom")]
    pub fn connect(
        url: &str,
        options: ClientOptions,
        config: Config,
        now: Instant,
    ) -> Result<Connection, crate::handshake::UsageError> {
        Connection::connect_with_random(url, options, config, crate::rng::SecureRandom::new(), now)
    }

    /// As [`Connection::connect`], with the nonce and mask keys from `rng`.
    ///
    /// With [`Config::deflate`] set, its offers are added to `options`
    /// unless they already offer `permessage-deflate`.
    pub fn connect_with_random(
        url: &str,
        options: ClientOptions,
        config: Config,
        mut rng: impl RandomSource + Send + 'static,
        now: Instant,
    ) -> Result<Connection, crate::handshake::UsageError> {
        #[cfg(feature = "deflate")]
        let options = with_deflate_offers(options.clone(), &config).unwrap_or(options);
        let handshake = ClientHandshake::new(url, options, &mut rng)?;
        Ok(Connection::client(handshake, config, rng, now))
    }

    /// (Server) Accepts the upgrade request reported by [`Event::Request`]:
    /// queues the 101 response with the chosen subprotocol, extensions and
    /// extra headers, and opens the connection ([`Event::Open`] follows).
    /// Frames that arrived with the request are processed now.
    ///
    /// With [`Config::deflate`] set, a `permessage-deflate` offer in the
    /// request is answered here ([`DeflateConfig::accept`]) unless `options`
    /// already carry an answer; an answer given in `options` is checked
    /// against the offers.
    ///
    /// Fails, changing nothing, if no request is waiting for an answer or
    /// the options choose something the client did not offer
    /// ([`AnswerError`]).
    ///
    /// [`DeflateConfig::accept`]: crate::deflate::DeflateConfig::accept
    pub fn accept(
        &mut self,
        now: Instant,
        #[cfg_attr(not(feature = "deflate"), allow(unused_mut))] mut options: AcceptOptions,
    ) -> Result<(), AnswerError> {
        let request = self.request_to_answer()?;
        #[cfg(feature = "deflate")]
        let deflate =
            crate::handshake::extended_connect::answer_deflate(request.extensions(), &mut options, &self.config)
                .map_err(AnswerError::Deflate)?;
        let mut response = BytesMut::new();
        crate::handshake::write_accept_response(request, &options, &mut response).map_err(AnswerError::Invalid)?;
        self.queue.push_raw(&response);
        #[cfg(feature = "deflate")]
        if let Some(params) = deflate {
            self.start_deflate(params);
        }
        let open =
            Open { subprotocol: options.subprotocol, extensions: options.extensions, transport: Transport::Upgraded };
        self.become_open(open, now);
        self.process_input(now);
        Ok(())
    }

    /// (Server) Refuses the upgrade request reported by [`Event::Request`]
    /// with `rejection` (any final status, headers, a body). The connection
    /// ends: [`Event::Closed`] follows (code 1006, not clean), and the
    /// transport should be closed once the response is written.
    ///
    /// Fails, changing nothing, if no request is waiting for an answer or
    /// the rejection is malformed ([`AnswerError`]).
    pub fn reject(&mut self, _now: Instant, rejection: Rejection) -> Result<(), AnswerError> {
        self.request_to_answer()?;
        let mut response = BytesMut::new();
        rejection.write(&mut response).map_err(AnswerError::Invalid)?;
        self.queue.push_raw(&response);
        self.finish(None, Closed { code: CloseCode::ABNORMAL, reason: String::new(), was_clean: false });
        self.phase = Phase::Closed { transport_done: true };
        Ok(())
    }

    /// The upgrade request waiting for `accept` or `reject`, or why there
    /// is none.
    fn request_to_answer(&self) -> Result<&Request, AnswerError> {
        match &self.phase {
            Phase::Handshake(Handshake::WaitingForApp(request)) => Ok(request),
            _ if self.role == Role::Client => Err(AnswerError::NotServer),
            Phase::Handshake(Handshake::ReadingRequest(_)) => Err(AnswerError::NoRequestYet),
            _ => Err(AnswerError::HandshakeOver),
        }
    }

    fn start_handshake_timer(&mut self, now: Instant) {
        if let Some(timeout) = self.config.handshake_timeout {
            self.timers.set(Timer::Handshake, now + timeout);
        }
    }

    /// Advances the handshake with the buffered input.
    pub(super) fn process_handshake(&mut self, now: Instant) {
        let Phase::Handshake(handshake) = &mut self.phase else { return };
        match handshake {
            Handshake::ReadingRequest(parser) => match parser.parse(&self.input) {
                Ok(Decoded::Incomplete { .. }) => {}
                Ok(Decoded::Complete((request, used))) => {
                    self.input.advance(used);
                    self.events.push_back(Event::Request(Box::new(request.clone())));
                    self.phase = Phase::Handshake(Handshake::WaitingForApp(Box::new(request)));
                }
                Err(error) => {
                    let mut response = BytesMut::new();
                    error.write_response(&mut response);
                    self.queue.push_raw(&response);
                    self.fail(Error::Request(error));
                }
            },
            Handshake::WaitingForApp(_) => {}
            Handshake::ReadingResponse(client) => match client.parse_response(&self.input) {
                Ok(Decoded::Incomplete { .. }) => {}
                Ok(Decoded::Complete((response, used))) => {
                    self.input.advance(used);
                    #[cfg(feature = "deflate")]
                    match crate::deflate::check_response(&client.options().extensions, response.extensions()) {
                        Ok(Some(params)) => self.start_deflate(params),
                        Ok(None) => {}
                        Err(error) => {
                            self.fail(Error::Deflate(error));
                            return;
                        }
                    }
                    let open = Open {
                        subprotocol: response.subprotocol().map(str::to_owned),
                        extensions: response.extensions().to_vec(),
                        transport: Transport::Upgraded,
                    };
                    self.become_open(open, now);
                }
                Err(error) => {
                    self.fail(Error::Response(error));
                }
            },
        }
        if matches!(self.phase, Phase::Handshake(Handshake::WaitingForApp(_))) {
            // Frames pipelined behind the request are kept for after `accept`,
            // but no more than one frame of the largest size allowed.
            let limit =
                self.config.max_frame_payload.min(self.config.max_message_size).saturating_add(MAX_HEADER_LEN as u64);
            if self.input.len() as u64 > limit {
                self.fail(Error::InputBeforeOpen { limit });
            }
        }
    }
}

/// `options` with the offers of [`Config::deflate`] added, or `None` when
/// there is nothing to add (no config, or `options` already offer
/// `permessage-deflate`).
#[cfg(feature = "deflate")]
pub(crate) fn with_deflate_offers(mut options: ClientOptions, config: &Config) -> Option<ClientOptions> {
    let deflate = config.deflate.as_ref()?;
    if deflate.offers.is_empty() || options.extensions.iter().any(|e| e.same_name(crate::deflate::EXTENSION_NAME)) {
        return None;
    }
    options.extensions.extend(deflate.client_offers());
    Some(options)
}

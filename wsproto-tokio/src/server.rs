//! Server connections: the opening handshake on an accepted stream, with
//! the app's answer to the request.

use std::future::poll_fn;

use tokio::io::{AsyncRead, AsyncWrite};
use wsproto::handshake::{AcceptOptions, Rejection, Request};
use wsproto::{Config, Connection};

use crate::{Error, WebSocket};

/// Accepts a WebSocket on `stream` (an accepted `TcpStream`, a TLS
/// stream): reads the upgrade request, answers 101 with no subprotocol
/// (and permessage-deflate when offered and the default [`Config`] has it)
/// and returns the open socket. A bad request is answered with its error
/// status (400, 426, ...) and fails with [`Error::Connection`].
pub async fn accept<S>(stream: S) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    accept_with(stream, Config::default(), |_| Ok(AcceptOptions::new())).await
}

/// As [`accept`], with a [`Config`] and a callback that looks at the
/// request (path, query, origin, offered subprotocols and extensions, every
/// header) before the answer: `Ok(options)` accepts with them (a
/// subprotocol, extra headers); `Err(rejection)` answers with that status,
/// headers and body, shuts the transport down and fails with
/// [`Error::Rejected`]. An invalid answer (a subprotocol the client did not
/// offer) fails with [`Error::Answer`], sending nothing.
pub async fn accept_with<S>(
    stream: S,
    config: Config,
    answer: impl FnOnce(&Request) -> Result<AcceptOptions, Rejection>,
) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    accept_after(stream, &[], config, answer).await
}

/// As [`accept_with`], for a stream whose first bytes were already read
/// (`read_already`: routing on the request line, protocol sniffing); they
/// are handed to the connection first, as if read now.
pub async fn accept_after<S>(
    stream: S,
    read_already: &[u8],
    config: Config,
    answer: impl FnOnce(&Request) -> Result<AcceptOptions, Rejection>,
) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // Boxed while the handshake runs, and built in a block so no local
    // connection outlives the move: the future awaiting this one (and so
    // the task of every caller) then holds a pointer, not a second socket
    // beside the one the caller keeps once open.
    let mut ws = Box::new({
        let mut conn = Connection::server(config, crate::now());
        conn.handle_input(crate::now(), read_already);
        WebSocket::new(stream, conn)
    });
    let mut answer = Some(answer);
    // What went wrong in the answer, reported once the connection is over.
    let mut outcome: Option<Error> = None;
    let opened = poll_fn(|cx| {
        ws.poll_opening(cx, |conn, request| {
            let Some(answer) = answer.take() else { return };
            let now = crate::now();
            let answered = match answer(request) {
                Ok(options) => conn.accept(now, options),
                Err(rejection) => {
                    let status = rejection.status;
                    conn.reject(now, rejection).map(|()| outcome = Some(Error::Rejected { status }))
                }
            };
            if let Err(e) = answered {
                conn.abort(now);
                outcome = Some(Error::Answer(e));
            }
        })
    })
    .await;
    match (opened, outcome) {
        (Ok(()), _) => Ok(*ws),
        (Err(Error::Closed), Some(outcome)) => Err(outcome),
        (Err(e), _) => Err(e),
    }
}

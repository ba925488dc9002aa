//! The layer every request passes first: who is calling ([`crate::auth`]), and whether
//! they are within their rate ([`crate::limits`]).

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::{Auth, Caller};
use crate::error::problem;
use crate::limits::{retry_after, Client, RateLimiter};

/// What the layer needs.
#[derive(Clone)]
pub struct Gate {
    pub auth: Auth,
    pub limiter: RateLimiter,
}

/// Authenticates, rate-limits, and hands the request on with its [`Caller`].
pub async fn gate(State(gate): State<Gate>, mut request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let caller = gate
        .auth
        .caller(request.method(), request.uri().path(), request.headers())
        .await;
    let client = match caller {
        Ok(Caller::Key(id)) => Client::Key(id),
        _ => peer.map_or(Client::Unknown, Client::Ip),
    };
    // Local clients (the dashboard on the same machine) are not limited per IP: a
    // dashboard with many pairs fetches a burst per update.
    let local = matches!(client, Client::Ip(ip) if ip.is_loopback());
    let limited = !local && !crate::auth::static_path(request.uri().path());
    if limited {
        if let Err(wait) = gate.limiter.take(client, Instant::now()) {
            return too_many(client, wait);
        }
    }
    match caller {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}

/// 429 with `Retry-After`.
fn too_many(client: Client, wait: std::time::Duration) -> Response {
    let seconds = retry_after(wait);
    let who = match client {
        Client::Key(_) => "this API key",
        Client::Ip(_) | Client::Unknown => "this address",
    };
    let mut response = problem(
        StatusCode::TOO_MANY_REQUESTS,
        format!("too many requests from {who}; retry in {seconds} s"),
        None,
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

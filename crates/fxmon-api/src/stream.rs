//! `GET /stream`: Server-Sent Events of every new snapshot (`rates`) and alert event
//! (`alert`). Each event has an id; a client reconnecting with `Last-Event-ID` first gets
//! what it missed, as far as the bounded replay buffer reaches.

use std::convert::Infallible;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::{Stream, StreamExt};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::feed::FeedEvent;
use crate::state::ApiDeps;

pub fn routes() -> OpenApiRouter<ApiDeps> {
    OpenApiRouter::new().routes(routes!(get_stream))
}

/// Live events: `event: rates` carries an `fx-rates` snapshot, `event: alert` an
/// `fx-alerts` event, each as JSON in `data`, with an increasing `id`. Send
/// `Last-Event-ID` on reconnect to receive the events after it that are still buffered.
/// A client too slow to keep up is disconnected, and catches up by reconnecting.
#[utoipa::path(get, path = "/stream", tag = "service",
    params(("Last-Event-ID" = Option<u64>, Header, description = "Id of the last event received")),
    responses((status = 200, description = "An endless text/event-stream", content_type = "text/event-stream")))]
pub async fn get_stream(
    State(deps): State<ApiDeps>,
    headers: HeaderMap,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let last_seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let (replay, live) = deps.feed.subscribe(last_seen);
    // A lagged receiver ends the stream: continuing would silently skip events.
    let live = BroadcastStream::new(live).map_while(Result::ok);
    let feed = deps.feed.clone();
    let events = tokio_stream::iter(replay)
        .chain(live)
        .map(|event| Ok(sse_event(&event)));
    let events = futures_util::StreamExt::take_until(events, async move { feed.closed().await });
    Sse::new(events).keep_alive(KeepAlive::default())
}

fn sse_event(event: &FeedEvent) -> Event {
    Event::default()
        .id(event.id.to_string())
        .event(event.kind)
        .data(&*event.data)
}

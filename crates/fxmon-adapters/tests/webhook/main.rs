//! `HttpWebhookSender` against a local receiver that verifies signatures on its own, and the
//! delivery worker driving it through an outage. No test leaves 127.0.0.1.

mod delivery;
mod receiver;
mod sender;

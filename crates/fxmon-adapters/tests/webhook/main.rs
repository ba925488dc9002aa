//! `HttpWebhookSender` against a local receiver that verifies signatures on its own, the
//! delivery worker driving it through an outage, and the SSRF guard refusing non-public
//! targets. No test leaves 127.0.0.1.

mod delivery;
mod docs_examples;
mod guard;
mod receiver;
mod sender;

//! The alert endpoints through the router, over a real SQLite file: every endpoint, and
//! every way a request can be wrong.

mod create;
mod harness;
mod history;
mod manage;

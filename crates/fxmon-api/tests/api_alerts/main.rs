//! The alert endpoints through the router, over a real SQLite file: every endpoint, every
//! field of a rule, and every way a request can be wrong.

mod create;
mod fields;
mod harness;
mod history;
mod manage;
mod openapi;
mod states;
mod webhook;

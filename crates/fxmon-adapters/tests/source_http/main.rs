//! `HttpRateSource` against a local fake of each exchangerate-api.com flavour, serving the
//! provider's own bodies. No test reaches a real provider.

mod errors;
mod secrecy;
mod server;
mod success;

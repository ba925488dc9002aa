//! Rate sources: exchangerate-api.com over HTTP (three flavours) and a seeded simulator.

mod body;
mod config;
mod http;
mod provider;
mod refusal;
mod response;
mod retry_after;
mod simulated;

pub use config::{HttpSourceConfig, HttpSourceError, API_KEY_ENV, DEFAULT_TIMEOUT};
pub use http::HttpRateSource;
pub use provider::Provider;
pub(crate) use retry_after::parse_retry_after;
pub use simulated::{SimulatedSource, SimulatorConfig, SimulatorError, DEFAULT_SIGMA};

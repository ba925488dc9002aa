//! Adapters behind fxmon's ports.

pub mod ecb;
mod http_error;
pub mod kafka;
mod known;
pub mod memory;
mod owner;
pub mod postgres;
pub mod redis_cache;
pub mod source;
pub mod sqlite;
pub mod webhook;

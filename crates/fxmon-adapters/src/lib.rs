//! Adapters behind fxmon's ports.

pub mod ecb;
pub mod memory;
pub mod source;
pub mod sqlite;
pub mod webhook;

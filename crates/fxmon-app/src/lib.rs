//! fxmon's ports and the services built on them.

pub mod ports;

//! In-process adapters of the embedded mode.

mod bus;
mod cache;

pub use bus::{MemoryBus, MemorySubscriber};
pub use cache::MemoryRateCache;

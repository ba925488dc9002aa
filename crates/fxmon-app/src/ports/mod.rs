//! Ports: what the services need from the outside world, as traits.

pub mod bus;
pub mod cache;
pub mod source;
pub mod store;

pub use bus::{
    BusError, BusPublisher, BusSubscriber, Delivery, Topic, ALERTER_GROUP, PROCESSOR_GROUP,
};
pub use cache::{CacheError, Quote, RateCache};
pub use source::{FetchedRates, RateSource, SourceError};
pub use store::{
    AlertFilter, AlertPatch, AlertRecord, AlertStore, AlertTrigger, BoxError, HistoryQuery, Order,
    RatePoint, RateStore, StoreError, StoredRate, TriggerFilter, TriggerRecord,
};

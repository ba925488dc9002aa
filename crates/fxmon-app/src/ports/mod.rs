//! Ports: what the services need from the outside world, as traits.

pub mod bus;
pub mod cache;
pub mod keys;
pub mod source;
pub mod store;
pub mod webhook;

pub use bus::{
    BusError, BusPublisher, BusSubscriber, Delivery, Topic, ALERTER_GROUP, PROCESSOR_GROUP,
};
pub use cache::{CacheError, Quote, RateCache};
pub use keys::{ApiKey, KeyStore};
pub use source::{FetchedRates, RateSource, SourceError};
pub use store::{
    delivery_target, AlertFilter, AlertPatch, AlertRecord, AlertStore, AlertTrigger, BoxError,
    DeliveryOutbox, DeliveryState, DeliveryStatus, DeliveryStep, DeliveryTarget, EvaluationWrite,
    HistoryQuery, NewAlert, Order, OwnerFilter, PendingDelivery, RatePoint, RateStore, RuleWrite,
    StoreError, StoredRate, TriggerFilter, TriggerRecord, TriggerWrite,
};
pub use webhook::{WebhookError, WebhookSender};

//! The processor: stores every snapshot's rates, then updates volatility windows and the
//! cache. The store comes first and the cache only after it succeeded, so the cache is
//! never ahead of the store; the offset is committed last, so a crash redelivers.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use fxmon_core::{
    CrossMatrix, Currency, Pair, PairMap, Rate, RateSnapshot, VolatilityWindow, WINDOW,
};
use tokio_util::sync::CancellationToken;

use crate::consume::{consume, Handled, SnapshotHandler};
use crate::metrics;
use crate::ports::{
    BusError, BusPublisher, BusSubscriber, HistoryQuery, Quote, RateCache, RatePoint, RateStore,
    StoreError, StoredRate,
};
use crate::tracked::Tracked;

/// How long the processor waits for more snapshots after the first of a batch. At 1,000
/// snapshots/s this cut the embedded store's WAL writes fourfold and the alerter's p99
/// latency (whose writes queue behind the processor's) from ~25 ms to ~7 ms
/// (docs/BENCHMARKS.md).
pub const GATHER: Duration = Duration::from_millis(10);

/// What the processor needs.
pub struct ProcessorDeps {
    pub store: Arc<dyn RateStore>,
    pub cache: Arc<dyn RateCache>,
    /// Where unparseable messages go.
    pub dead_letters: Arc<dyn BusPublisher>,
}

/// Per-pair state and the snapshot pipeline.
pub struct Processor {
    deps: ProcessorDeps,
    tracked: Tracked,
    windows: PairMap<VolatilityWindow>,
    /// The tracked pairs' currencies (`None`: all), for the cross-rate matrix.
    currencies: Option<BTreeSet<Currency>>,
    crosses: Crosses,
}

impl Processor {
    /// A processor with empty windows; each is rebuilt from the store on first use.
    pub fn new(deps: ProcessorDeps, tracked: Tracked) -> Self {
        Self {
            deps,
            currencies: tracked.currencies(),
            tracked,
            windows: PairMap::default(),
            crosses: Crosses::default(),
        }
    }

    /// Stores the snapshot, then updates windows and cache. Returns the rows newly stored.
    pub async fn process(&mut self, snapshot: &RateSnapshot) -> Result<u64, StoreError> {
        self.process_batch(std::slice::from_ref(snapshot)).await
    }

    /// Stores every snapshot's rows in one transaction, then updates windows and cache as
    /// if each had been processed in turn. Returns the rows newly stored.
    pub async fn process_batch(&mut self, snapshots: &[RateSnapshot]) -> Result<u64, StoreError> {
        let started = Instant::now();
        let rows: Vec<StoredRate> = snapshots
            .iter()
            .flat_map(|snapshot| {
                snapshot.rates.iter().map(|(pair, rate)| StoredRate {
                    pair: *pair,
                    rate: *rate,
                    timestamp: snapshot.timestamp,
                    source: snapshot.source.clone(),
                })
            })
            .collect();
        let writing = Instant::now();
        let inserted = self.deps.store.insert_rates(&rows).await;
        metrics::record_duration(metrics::STORE_WRITE_DURATION, writing.elapsed());
        let inserted = inserted?;
        metrics::add(metrics::RATES_STORED, inserted);
        // Per pair, the last write wins, as it would one snapshot at a time.
        let mut quotes = PairMap::default();
        let mut crosses = PairMap::default();
        for snapshot in snapshots {
            for quote in self.quotes(snapshot).await? {
                quotes.insert(quote.pair, quote);
            }
            for (pair, rate) in self.crosses.among(snapshot, self.currencies.as_ref()) {
                crosses.insert(pair, (rate, snapshot.timestamp));
            }
        }
        // The store already holds these snapshots: a cache failure only costs freshness,
        // and the API falls back to the store.
        let quotes: Vec<Quote> = quotes.into_values().collect();
        if let Err(error) = self.deps.cache.put_quotes(&quotes).await {
            tracing::warn!("Updating cached quotes failed: {error}");
        }
        for (as_of, crosses) in by_time(crosses) {
            if let Err(error) = self.deps.cache.put_cross_rates(as_of, &crosses).await {
                tracing::warn!("Updating cached cross rates failed: {error}");
            }
        }
        metrics::record_duration(metrics::BATCH_DURATION, started.elapsed());
        Ok(inserted)
    }

    /// Quotes of the tracked pairs this snapshot updates, with fresh volatility.
    async fn quotes(&mut self, snapshot: &RateSnapshot) -> Result<Vec<Quote>, StoreError> {
        let mut quotes = Vec::new();
        for pair in self.tracked.pairs_in(snapshot) {
            let Ok(rate) = snapshot.cross(pair) else {
                continue;
            };
            let window = self.window(pair).await?;
            window.push(snapshot.timestamp, rate);
            // An older snapshot (replayed or out of order) must not roll the cache back.
            if window.last_as_of() != Some(snapshot.timestamp) {
                continue;
            }
            quotes.push(Quote {
                pair,
                rate,
                as_of: snapshot.timestamp,
                source: snapshot.source.clone(),
                volatility: window.volatility(),
            });
        }
        Ok(quotes)
    }

    /// The pair's window, loaded from the store's last updates the first time it is needed,
    /// so a restart (or a partition moving here) continues where the history left off.
    async fn window(&mut self, pair: Pair) -> Result<&mut VolatilityWindow, StoreError> {
        if !self.windows.contains_key(&pair) {
            let window = load_window(self.deps.store.as_ref(), pair).await?;
            self.windows.insert(pair, window);
        }
        Ok(self.windows.get_mut(&pair).expect("inserted above"))
    }
}

/// Rebuilds a pair's volatility window from its newest stored updates.
pub async fn load_window(
    store: &dyn RateStore,
    pair: Pair,
) -> Result<VolatilityWindow, StoreError> {
    let mut points = store
        .history(&HistoryQuery::latest(pair, WINDOW as u32))
        .await?;
    points.reverse();
    Ok(window_of(&points))
}

/// A volatility window over `points`, oldest first.
pub fn window_of(points: &[RatePoint]) -> VolatilityWindow {
    let mut window = VolatilityWindow::new();
    for point in points {
        if let Ok(rate) = Rate::new(point.rate) {
            window.push(point.timestamp, rate);
        }
    }
    window
}

/// The cross rates among a set of currencies, keeping the pairs and the matrix's memory
/// from one snapshot to the next while the set does not change.
#[derive(Default)]
struct Crosses {
    /// Row and column of each ordered pair in `matrix`.
    pairs: Vec<(usize, usize, Pair)>,
    matrix: Option<CrossMatrix>,
}

impl Crosses {
    /// Every ordered pair among `wanted` (every currency of the snapshot for `None`).
    fn among(
        &mut self,
        snapshot: &RateSnapshot,
        wanted: Option<&BTreeSet<Currency>>,
    ) -> Vec<(Pair, Rate)> {
        let currencies: Vec<_> = match wanted {
            Some(wanted) => snapshot
                .currencies()
                .filter(|c| wanted.contains(c))
                .collect(),
            None => snapshot.currencies().collect(),
        };
        let matrix = match self.matrix.take() {
            Some(mut matrix) if matrix.currencies() == currencies.as_slice() => {
                matrix.update(snapshot).map(|()| matrix)
            }
            _ => {
                self.pairs = pairs(&currencies);
                snapshot.cross_matrix(&currencies)
            }
        };
        let Ok(matrix) = matrix else {
            // Some cross overflows (absurd legs): keep the others, one pair at a time.
            return pairs(&currencies)
                .into_iter()
                .filter_map(|(_, _, pair)| Some((pair, snapshot.cross(pair).ok()?)))
                .collect();
        };
        let rates = self
            .pairs
            .iter()
            .filter_map(|&(i, j, pair)| Some((pair, Rate::new(matrix.get(i, j)).ok()?)))
            .collect();
        self.matrix = Some(matrix);
        rates
    }
}

/// Cross rates of one as-of time.
type CrossGroup = (DateTime<Utc>, Vec<(Pair, Rate)>);

/// Cross rates grouped by as-of time (usually one group: the batch's last snapshot).
fn by_time(crosses: PairMap<(Rate, DateTime<Utc>)>) -> Vec<CrossGroup> {
    let mut groups: Vec<CrossGroup> = Vec::new();
    for (pair, (rate, as_of)) in crosses {
        match groups.iter_mut().find(|(at, _)| *at == as_of) {
            Some((_, group)) => group.push((pair, rate)),
            None => groups.push((as_of, vec![(pair, rate)])),
        }
    }
    groups
}

/// Every ordered pair of two different currencies, with their indexes.
fn pairs(currencies: &[Currency]) -> Vec<(usize, usize, Pair)> {
    let mut pairs = Vec::with_capacity(currencies.len() * currencies.len());
    for (i, &a) in currencies.iter().enumerate() {
        for (j, &b) in currencies.iter().enumerate().filter(|&(j, _)| j != i) {
            if let Ok(pair) = Pair::new(a, b) {
                pairs.push((i, j, pair));
            }
        }
    }
    pairs
}

#[async_trait::async_trait]
impl SnapshotHandler for Processor {
    async fn handle(&mut self, snapshot: &RateSnapshot) -> Result<Handled, StoreError> {
        let inserted = self.process(snapshot).await?;
        tracing::debug!(as_of = %snapshot.timestamp, inserted, "Stored a snapshot.");
        Ok(Handled)
    }

    async fn handle_batch(&mut self, snapshots: &[RateSnapshot]) -> Result<Handled, StoreError> {
        let inserted = self.process_batch(snapshots).await?;
        tracing::debug!(snapshots = snapshots.len(), inserted, "Stored snapshots.");
        Ok(Handled)
    }

    /// A store write costs about as much for one snapshot as for a few dozen, so waiting
    /// briefly for more turns a trickle of one-snapshot transactions into a few larger
    /// ones; rates reach the store and cache up to [`GATHER`] later.
    fn gather(&self) -> Duration {
        GATHER
    }
}

/// Consumes `fx-rates` until `shutdown`.
pub async fn serve(
    processor: Processor,
    subscriber: Box<dyn BusSubscriber>,
    retry: Duration,
    shutdown: CancellationToken,
) -> Result<(), BusError> {
    metrics::start_processor();
    let dead_letters = processor.deps.dead_letters.clone();
    consume(processor, subscriber, dead_letters, retry, shutdown).await
}

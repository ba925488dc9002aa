//! `/v1/{start}..{end}`: daily rates over a range, one store query per symbol.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::future::try_join_all;
use fxmon_app::ports::{HistoryQuery, Order};
use fxmon_core::{Currency, Pair};

use super::query::RatesQuery;
use super::FrankfurterSeries;
use crate::error::ApiError;
use crate::market::input;
use crate::state::ApiDeps;

/// Points read per store query; a longer history is read in pages of this size.
const PAGE: u32 = 100_000;
/// The series of `query` from `start` to `end` (both `YYYY-MM-DD`; an empty end is today).
pub async fn series(
    deps: &ApiDeps,
    query: &RatesQuery,
    start: &str,
    end: &str,
) -> Result<FrankfurterSeries, ApiError> {
    let (start, end) = range(start, end, Utc::now().date_naive())?;
    let (from, to) = (input::start_of(start), input::end_of(end));
    let symbols = match &query.symbols {
        Some(symbols) => symbols.clone(),
        None => currencies_in(deps, start, end).await?,
    };
    let pairs: Vec<Pair> = symbols
        .into_iter()
        .filter_map(|symbol| Pair::new(query.base, symbol).ok())
        .collect();
    let daily = try_join_all(pairs.iter().map(|pair| daily(deps, *pair, from, to))).await?;
    let rates = by_date(&pairs, daily, query.amount)?;
    let (Some(first), Some(last)) = (rates.keys().next(), rates.keys().next_back()) else {
        return Err(ApiError::NotFound(format!(
            "no rates of {} are stored from {start} to {end}",
            query.base
        )));
    };
    Ok(FrankfurterSeries {
        amount: query.amount,
        base: query.base.to_string(),
        start_date: first.clone(),
        end_date: last.clone(),
        rates,
    })
}

/// Date → code → `amount × rate`, from each pair's daily rates.
fn by_date(
    pairs: &[Pair],
    daily: Vec<BTreeMap<NaiveDate, f64>>,
    amount: f64,
) -> Result<BTreeMap<String, BTreeMap<String, f64>>, ApiError> {
    let mut rates: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for (pair, days) in pairs.iter().zip(daily) {
        for (date, rate) in days {
            let value = input::scaled("amount", amount, rate)?;
            let day = rates.entry(date.to_string()).or_default();
            day.insert(pair.quote().to_string(), value);
        }
    }
    Ok(rates)
}

/// Parses `START..END`; an empty end is `today`.
fn range(start: &str, end: &str, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let part = |which: &str, raw: &str| {
        input::date("date", raw).map_err(|_| {
            ApiError::invalid(
                "date",
                format!("the range's {which} must be a date written YYYY-MM-DD, got {raw:?}"),
            )
        })
    };
    let start = part("start", start)?;
    let end = if end.is_empty() {
        today
    } else {
        part("end", end)?
    };
    if start > end {
        return Err(ApiError::invalid(
            "date",
            format!("the range's start {start} is after its end {end}"),
        ));
    }
    Ok((start, end))
}

/// The default symbols: every currency stored in the range.
async fn currencies_in(
    deps: &ApiDeps,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<Vec<Currency>, ApiError> {
    let from = start.and_time(chrono::NaiveTime::MIN).and_utc();
    let currencies = deps
        .store
        .currencies_between(Some(from), Some(input::end_of(end)))
        .await?;
    Ok(currencies.into_iter().collect())
}

/// `pair`'s rate per UTC day between `from` and `to`: each day's last stored point.
async fn daily(
    deps: &ApiDeps,
    pair: Pair,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<BTreeMap<NaiveDate, f64>, ApiError> {
    let mut days = BTreeMap::new();
    let mut offset = 0u32;
    loop {
        let query = HistoryQuery {
            pair,
            from: Some(from),
            to: Some(to),
            limit: PAGE,
            offset,
            order: Order::Asc,
        };
        let points = deps.store.history(&query).await?;
        let read = points.len() as u32;
        // Ascending order: a later point of the same day overwrites an earlier one.
        days.extend(
            points
                .into_iter()
                .map(|p| (p.timestamp.date_naive(), p.rate)),
        );
        if read < PAGE {
            return Ok(days);
        }
        offset = offset.saturating_add(read);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(raw: &str) -> NaiveDate {
        raw.parse().unwrap()
    }

    #[test]
    fn a_range_parses_with_an_open_end_meaning_today() {
        let today = day("2026-11-27");
        assert_eq!(
            range("2026-01-01", "2026-01-31", today).unwrap(),
            (day("2026-01-01"), day("2026-01-31"))
        );
        assert_eq!(
            range("2026-01-01", "", today).unwrap(),
            (day("2026-01-01"), today)
        );
    }

    #[test]
    fn a_bad_or_reversed_range_is_refused_naming_the_part() {
        let today = day("2026-11-27");
        let err = range("2026-13-01", "", today).unwrap_err().to_string();
        assert!(err.contains("start") && err.contains("2026-13-01"), "{err}");
        let err = range("2026-01-01", "soon", today).unwrap_err().to_string();
        assert!(err.contains("end") && err.contains("soon"), "{err}");
        let err = range("2026-02-01", "2026-01-01", today)
            .unwrap_err()
            .to_string();
        assert!(err.contains("after"), "{err}");
        assert!(range("", "2026-01-01", today).is_err());
    }
}

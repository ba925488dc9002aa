//! `snapshot_at`: the newest stored (timestamp, source) group at or before a time, rebuilt
//! as a snapshot; and the currencies of a range.

use chrono::{TimeDelta, Utc};
use fxmon_app::ports::{RateStore, StoredRate};
use fxmon_core::{Currency, Pair};

use crate::support::*;

/// Three ECB-like days, EUR/USD and EUR/JPY each.
fn three_days() -> Vec<StoredRate> {
    let mut rows = Vec::new();
    for (day, usd, jpy) in [
        ("2026-10-28", 1.1150, 175.10),
        ("2026-10-29", 1.1161, 175.42),
        ("2026-10-30", 1.1172, 175.68),
    ] {
        let time = format!("{day}T00:00:00Z");
        rows.push(row("EUR/USD", usd, &time, "ecb"));
        rows.push(row("EUR/JPY", jpy, &time, "ecb"));
    }
    rows
}

fn eur(code: &str) -> Pair {
    Pair::new(Currency::EUR, Currency::parse(code).unwrap()).unwrap()
}

#[tokio::test]
async fn an_empty_store_has_no_snapshot_at_any_time() {
    let (_db, store) = fresh_store!();
    assert_eq!(store.snapshot_at(None).await.unwrap(), None);
    assert_eq!(store.snapshot_at(Some(Utc::now())).await.unwrap(), None);
}

#[tokio::test]
async fn the_snapshot_is_the_newest_group_at_or_before_the_time() {
    let (_db, store) = fresh_store!();
    store.insert_rates(&three_days()).await.unwrap();

    let newest = store.snapshot_at(None).await.unwrap().unwrap();
    assert_eq!(newest.timestamp, at("2026-10-30T00:00:00Z"));
    assert_eq!(newest.base, Currency::EUR);
    assert_eq!(newest.source, "ecb");
    assert_eq!(newest.rates.len(), 2);
    assert_eq!(newest.rates[&eur("USD")].get(), 1.1172);
    assert_eq!(newest.rates[&eur("JPY")].get(), 175.68);
    assert_eq!((newest.fetched_at, newest.next_update_at), (None, None));

    let midday = store.snapshot_at(Some(at("2026-10-29T12:00:00Z"))).await;
    assert_eq!(midday.unwrap().unwrap().rates[&eur("USD")].get(), 1.1161);
    // The bound is inclusive, to the microsecond.
    let exactly = store.snapshot_at(Some(at("2026-10-29T00:00:00Z"))).await;
    let exactly = exactly.unwrap().unwrap();
    assert_eq!(exactly.timestamp, at("2026-10-29T00:00:00Z"));
    let just_before = at("2026-10-29T00:00:00Z") - TimeDelta::microseconds(1);
    let before = store.snapshot_at(Some(just_before)).await.unwrap().unwrap();
    assert_eq!(before.timestamp, at("2026-10-28T00:00:00Z"));
    // Before every row there is nothing; far in the future, the newest.
    let early = store.snapshot_at(Some(at("2026-10-27T23:59:59Z"))).await;
    assert_eq!(early.unwrap(), None);
    let late = store.snapshot_at(Some(at("2999-01-01T00:00:00Z"))).await;
    assert_eq!(late.unwrap().unwrap(), newest);
}

#[tokio::test]
async fn sources_are_never_mixed_and_the_newest_source_wins() {
    let (_db, store) = fresh_store!();
    store.insert_rates(&three_days()).await.unwrap();
    let time = "2026-10-30T01:00:00.123456Z";
    store
        .insert_rates(&[
            row("USD/EUR", 0.8951, time, "exchangerate-api.com"),
            row("USD/GBP", 0.7462, time, "exchangerate-api.com"),
        ])
        .await
        .unwrap();

    let newest = store.snapshot_at(None).await.unwrap().unwrap();
    assert_eq!(newest.source, "exchangerate-api.com");
    assert_eq!(newest.timestamp, at(time));
    assert_eq!(newest.base, Currency::USD);
    let codes: Vec<String> = newest.currencies().map(|c| c.to_string()).collect();
    assert_eq!(codes, ["USD", "EUR", "GBP"], "no ECB row leaks in");

    let ecb_day = store.snapshot_at(Some(at("2026-10-30T00:59:59Z"))).await;
    let ecb_day = ecb_day.unwrap().unwrap();
    assert_eq!((ecb_day.source.as_str(), ecb_day.rates.len()), ("ecb", 2));
}

#[tokio::test]
async fn two_sources_at_the_same_time_are_told_apart_deterministically() {
    let (_db, store) = fresh_store!();
    let time = "2026-10-30T00:00:00Z";
    store
        .insert_rates(&[
            row("EUR/USD", 1.1172, time, "ecb"),
            row("EUR/USD", 1.1180, time, "another"),
            row("EUR/GBP", 0.8340, time, "another"),
        ])
        .await
        .unwrap();
    for _ in 0..3 {
        let snapshot = store.snapshot_at(None).await.unwrap().unwrap();
        // Ties go to the first source by name; its rows only.
        assert_eq!(snapshot.source, "another");
        assert_eq!(snapshot.rates[&eur("USD")].get(), 1.1180);
        assert_eq!(snapshot.rates.len(), 2);
    }
}

#[tokio::test]
async fn rows_of_the_group_quoted_against_another_base_are_left_out() {
    let (_db, store) = fresh_store!();
    let time = "2026-10-30T00:00:00Z";
    store
        .insert_rates(&[
            row("USD/EUR", 0.8951, time, "mixed"),
            row("USD/JPY", 157.25, time, "mixed"),
            row("USD/GBP", 0.7462, time, "mixed"),
            row("EUR/CHF", 0.9194, time, "mixed"),
        ])
        .await
        .unwrap();
    let snapshot = store.snapshot_at(None).await.unwrap().unwrap();
    assert_eq!(snapshot.base, Currency::USD, "the base most rows share");
    assert_eq!(snapshot.rates.len(), 3);
    assert!(snapshot.per_base(Currency::parse("CHF").unwrap()).is_none());
}

#[tokio::test]
async fn the_currencies_of_a_range_are_every_base_and_quote_stored_in_it() {
    let (_db, store) = fresh_store!();
    store
        .insert_rates(&[
            row("USD/EUR", 0.86, "2026-10-01T00:00:00Z", "a"),
            row("EUR/GBP", 0.87, "2026-10-02T00:00:00Z", "b"),
            row("USD/JPY", 150.0, "2026-10-03T00:00:00Z", "a"),
        ])
        .await
        .unwrap();
    let codes = |set: std::collections::BTreeSet<Currency>| {
        set.iter().map(|c| c.to_string()).collect::<Vec<_>>()
    };
    let all = store.currencies_between(None, None).await.unwrap();
    assert_eq!(codes(all), ["EUR", "GBP", "JPY", "USD"]);
    let day = Some(at("2026-10-02T00:00:00Z"));
    let middle = store.currencies_between(day, day).await.unwrap();
    assert_eq!(codes(middle), ["EUR", "GBP"], "bounds are inclusive");
    let later = Some(at("2027-01-01T00:00:00Z"));
    assert!(store
        .currencies_between(later, None)
        .await
        .unwrap()
        .is_empty());
}

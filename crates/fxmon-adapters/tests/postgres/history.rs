//! A pair's history: ordered, paged and bounded; answered directly, inverted or crossed,
//! the most direct answer winning per (time, source).

use chrono::Duration;
use fxmon_app::ports::{HistoryQuery, Order, RateStore};

use crate::rates::minutes;
use crate::support::*;

fn query(pair_text: &str) -> HistoryQuery {
    HistoryQuery {
        pair: pair(pair_text),
        from: None,
        to: None,
        limit: 1000,
        offset: 0,
        order: Order::Asc,
    }
}

#[tokio::test]
async fn history_orders_limits_offsets_and_bounds_inclusively() {
    let (_db, store) = fresh_store!();
    store.insert_rates(&minutes(10)).await.unwrap();
    let minute = |m: i64| at("2026-10-30T00:00:00Z") + Duration::minutes(m);
    let times = |points: Vec<fxmon_app::ports::RatePoint>| {
        points.iter().map(|p| p.timestamp).collect::<Vec<_>>()
    };

    let all = store.history(&query("EUR/USD")).await.unwrap();
    assert_eq!(all.len(), 10);
    assert!(all.windows(2).all(|w| w[0].timestamp < w[1].timestamp));

    let latest = HistoryQuery::latest(pair("EUR/USD"), 3);
    let newest = store.history(&latest).await.unwrap();
    assert_eq!(times(newest), [minute(9), minute(8), minute(7)]);

    let page = HistoryQuery {
        offset: 2,
        limit: 2,
        ..query("EUR/USD")
    };
    assert_eq!(
        times(store.history(&page).await.unwrap()),
        [minute(2), minute(3)]
    );

    let bounded = HistoryQuery {
        from: Some(minute(4)),
        to: Some(minute(6)),
        ..query("EUR/USD")
    };
    let bounded = store.history(&bounded).await.unwrap();
    assert_eq!(bounded[0].source, "test");
    assert_eq!(bounded[0].rate, 1.1 + 4.0 * 1e-5);
    assert_eq!(times(bounded), [minute(4), minute(5), minute(6)]);

    let far = HistoryQuery {
        from: Some(at("9999-12-31T23:59:59Z") + Duration::days(400)),
        ..query("EUR/USD")
    };
    assert!(store.history(&far).await.unwrap().is_empty());
    let none = HistoryQuery {
        limit: 0,
        ..query("EUR/USD")
    };
    assert!(store.history(&none).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_pair_stored_only_the_other_way_round_is_answered_inverted() {
    let (_db, store) = fresh_store!();
    store
        .insert_rates(&[row("USD/EUR", 0.8, "2026-10-30T10:00:00Z", "api")])
        .await
        .unwrap();
    let points = store.history(&query("EUR/USD")).await.unwrap();
    assert_eq!(points.len(), 1);
    assert_eq!(points[0].rate, 1.25);
    assert_eq!(points[0].source, "api");
    assert!(store.history(&query("EUR/GBP")).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_cross_is_answered_from_two_legs_of_the_same_time_and_source() {
    let (_db, store) = fresh_store!();
    store
        .insert_rates(&[
            row("USD/EUR", 0.8, "2026-10-30T10:00:00Z", "api"),
            row("USD/GBP", 0.7, "2026-10-30T10:00:00Z", "api"),
            // Legs that do not share a time or a source make no cross.
            row("USD/EUR", 0.9, "2026-10-30T11:00:00Z", "api"),
            row("USD/GBP", 0.6, "2026-10-30T11:00:01Z", "api"),
            row("USD/GBP", 0.6, "2026-10-30T11:00:00Z", "other"),
        ])
        .await
        .unwrap();
    let eur_gbp = store.history(&query("EUR/GBP")).await.unwrap();
    assert_eq!(eur_gbp.len(), 1);
    assert_eq!(eur_gbp[0].rate, 0.7 / 0.8);
    assert_eq!(eur_gbp[0].timestamp, at("2026-10-30T10:00:00Z"));
    let gbp_eur = store.history(&query("GBP/EUR")).await.unwrap();
    assert_eq!(gbp_eur[0].rate, 0.8 / 0.7);
}

#[tokio::test]
async fn a_stored_row_wins_over_an_inverse_and_an_inverse_over_a_cross() {
    let (_db, store) = fresh_store!();
    store
        .insert_rates(&[
            row("USD/EUR", 0.8, "2026-10-30T10:00:00Z", "api"),
            row("USD/GBP", 0.7, "2026-10-30T10:00:00Z", "api"),
            row("GBP/EUR", 1.142, "2026-10-30T10:00:00Z", "api"),
            row("EUR/GBP", 0.875001, "2026-10-30T10:00:00Z", "api"),
            row("USD/EUR", 0.81, "2026-10-30T11:00:00Z", "api"),
            row("USD/GBP", 0.71, "2026-10-30T11:00:00Z", "api"),
            row("GBP/EUR", 1.25, "2026-10-30T11:00:00Z", "api"),
        ])
        .await
        .unwrap();
    let points = store.history(&query("EUR/GBP")).await.unwrap();
    let rates: Vec<f64> = points.iter().map(|p| p.rate).collect();
    assert_eq!(rates, [0.875001, 1.0 / 1.25]);
}

#[tokio::test]
async fn two_sources_at_one_time_are_two_points_ordered_by_source() {
    let (_db, store) = fresh_store!();
    store
        .insert_rates(&[
            row("EUR/USD", 1.1, "2026-10-30T10:00:00Z", "b"),
            row("EUR/USD", 1.2, "2026-10-30T10:00:00Z", "a"),
            row("EUR/USD", 1.3, "2026-10-30T10:00:00Z", "B"),
        ])
        .await
        .unwrap();
    let sources = |points: Vec<fxmon_app::ports::RatePoint>| {
        points.into_iter().map(|p| p.source).collect::<Vec<_>>()
    };
    // Bytewise, as SQLite orders text: upper case first.
    let asc = store.history(&query("EUR/USD")).await.unwrap();
    assert_eq!(sources(asc), ["B", "a", "b"]);
    let desc = HistoryQuery::latest(pair("EUR/USD"), 10);
    assert_eq!(
        sources(store.history(&desc).await.unwrap()),
        ["b", "a", "B"]
    );
}

//! `GET /alerts/history`, with each trigger's deliveries, and the route order it relies on.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use fxmon_app::ports::{DeliveryOutbox, DeliveryTarget};
use serde_json::{json, Value};

use crate::harness::{api, keys, problem, Reply};

#[tokio::test]
async fn history_is_newest_first_paged_and_filtered_by_alert_and_pair() {
    let api = api().await;
    let first = api.create("USD/EUR", "below", 0.85).await;
    let cross = api.create("EUR/GBP", "below", 0.85).await;
    api.fire(first, "USD/EUR", 9).await;
    api.fire(cross, "EUR/GBP", 12).await;
    api.fire(first, "USD/EUR", 11).await;
    api.fire(cross, "EUR/GBP", 10).await;
    let times = |reply: Reply| -> Vec<String> {
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        let items = reply.body.as_array().unwrap().clone();
        items
            .iter()
            .map(|t| t["triggered_at"].as_str().unwrap()[11..13].to_owned())
            .collect()
    };

    let all = api.get("/alerts/history").await;
    let item = &all.body[0];
    assert_eq!(
        keys(item),
        [
            "alert_id",
            "condition",
            "deliveries",
            "event_id",
            "id",
            "message",
            "pair",
            "rate",
            "threshold",
            "triggered_at"
        ]
    );
    assert_eq!(
        (&item["alert_id"], &item["pair"], &item["condition"]),
        (&json!(cross), &json!("EUR/GBP"), &json!("below"))
    );
    assert_eq!(
        (&item["threshold"], &item["rate"]),
        (&json!(0.85), &json!(0.84))
    );
    assert_eq!(item["triggered_at"], "2026-10-30T12:00:00Z");
    assert_eq!(item["message"], "EUR/GBP is 0.84, below 0.85");
    assert_eq!(times(all), ["12", "11", "10", "09"]);

    assert_eq!(
        times(api.get("/alerts/history?limit=2&offset=1").await),
        ["11", "10"]
    );
    assert_eq!(
        times(api.get("/alerts/history?offset=4").await),
        Vec::<String>::new()
    );
    assert_eq!(
        times(api.get(&format!("/alerts/history?alert_id={first}")).await),
        ["11", "09"]
    );
    for uri in [
        "/alerts/history?pair=EUR/GBP",
        "/alerts/history?pair=eur-gbp&limit=5",
    ] {
        assert_eq!(times(api.get(uri).await), ["12", "10"], "{uri}");
    }
    let both = format!("/alerts/history?alert_id={first}&pair=USD%2FEUR&limit=1");
    assert_eq!(times(api.get(&both).await), ["11"]);
}

#[tokio::test]
async fn history_parameters_out_of_range_or_of_the_wrong_type_are_422s_naming_them() {
    let api = api().await;
    assert_eq!(
        api.get("/alerts/history?limit=1000").await.status,
        StatusCode::OK
    );
    for (uri, param) in [
        ("/alerts/history?limit=0", "limit"),
        ("/alerts/history?limit=1001", "limit"),
        ("/alerts/history?limit=abc", "limit"),
        ("/alerts/history?offset=-1", "offset"),
        ("/alerts/history?alert_id=one", "alert_id"),
        ("/alerts/history?pair=USD", "pair"),
        ("/alerts/history?since=2026-01-01", "since"),
    ] {
        problem(
            &api.get(uri).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(param),
        );
    }
    let unknown = api.get("/alerts/history?pair=XYZ/USD").await;
    problem(&unknown, StatusCode::NOT_FOUND, Some("pair"));
}

#[tokio::test]
async fn the_history_path_is_not_taken_for_an_alert_id() {
    let api = api().await;
    let id = api.create("USD/EUR", "below", 0.85).await;
    api.fire(id, "USD/EUR", 10).await;
    let reply = api.get("/alerts/history").await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.body[0]["alert_id"], id);
    assert_eq!(
        api.get(&format!("/alerts/{id}")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_trigger_shows_where_its_notification_went() {
    let api = api().await;
    let plain = api.create("USD/EUR", "below", 0.85).await;
    let body = json!({"pair": "EUR/GBP", "condition": "below", "threshold": 0.85,
                      "webhook_url": "https://hooks.example.com/fx"});
    let hooked = api.create_with(body).await["id"].as_i64().unwrap();
    api.fire(plain, "USD/EUR", 9).await;
    api.fire(hooked, "EUR/GBP", 10).await;

    let history = api.get("/alerts/history").await.body;
    let deliveries = |i: usize| history[i]["deliveries"].as_array().unwrap().clone();
    let bus = &deliveries(1)[0];
    assert_eq!(deliveries(1).len(), 1);
    assert_eq!(
        keys(bus),
        [
            "attempts",
            "delivered_at",
            "last_error",
            "next_attempt_at",
            "state",
            "target"
        ]
    );
    assert_eq!(
        (&bus["target"], &bus["state"], &bus["attempts"]),
        (&json!("bus"), &json!("pending"), &json!(0))
    );
    assert!(
        bus["next_attempt_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{bus}"
    );
    assert_eq!(
        (&bus["last_error"], &bus["delivered_at"]),
        (&Value::Null, &Value::Null)
    );
    let hooked_deliveries = deliveries(0);
    let targets: Vec<&Value> = hooked_deliveries.iter().map(|d| &d["target"]).collect();
    assert_eq!(targets, [&json!("bus"), &json!("webhook")]);

    // The deliverer reports: the bus took it, the webhook failed for good.
    let due = api.store.due_deliveries(Utc::now(), 10).await.unwrap();
    let sent_at = DateTime::parse_from_rfc3339("2026-10-30T10:00:01Z")
        .unwrap()
        .to_utc();
    for delivery in &due {
        match delivery.target {
            DeliveryTarget::Bus => api.store.delivered(delivery.id, 1, sent_at).await.unwrap(),
            DeliveryTarget::Webhook { .. } => api
                .store
                .give_up(delivery.id, 8, "HTTP 503 from the target")
                .await
                .unwrap(),
        }
    }
    let history = api
        .get(&format!("/alerts/history?alert_id={hooked}"))
        .await
        .body;
    assert_eq!(
        history[0]["deliveries"],
        json!([
            {"target": "bus", "state": "delivered", "attempts": 1, "last_error": null,
             "next_attempt_at": null, "delivered_at": "2026-10-30T10:00:01Z"},
            {"target": "webhook", "state": "failed", "attempts": 8,
             "last_error": "HTTP 503 from the target", "next_attempt_at": null,
             "delivered_at": null},
        ])
    );
}

//! `GET /alerts/history`, the route order it relies on, and the OpenAPI document.

use axum::http::StatusCode;
use serde_json::json;

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
async fn every_alert_operation_is_in_the_openapi_document_with_its_errors() {
    let (_, openapi) = fxmon_api::routes();
    let document = serde_json::to_value(&openapi).unwrap();
    let operations = [
        ("/alerts", "post", &["201", "400", "404", "422"][..]),
        ("/alerts", "get", &["200", "404", "422"]),
        ("/alerts/{id}", "get", &["200", "404", "422"]),
        ("/alerts/{id}", "patch", &["200", "400", "404", "422"]),
        ("/alerts/{id}", "delete", &["204", "404", "422"]),
        ("/alerts/history", "get", &["200", "404", "422"]),
    ];
    for (path, method, statuses) in operations {
        let operation = &document["paths"][path][method];
        assert_eq!(operation["tags"], json!(["alerts"]), "{method} {path}");
        let responses = operation["responses"].as_object().unwrap();
        let documented: Vec<&str> = responses.keys().map(|k| &**k).collect();
        assert_eq!(documented, statuses, "{method} {path}");
        for (status, response) in responses.iter().filter(|(s, _)| s.starts_with('4')) {
            let schema = &response["content"]["application/problem+json"]["schema"]["$ref"];
            assert_eq!(
                schema, "#/components/schemas/Problem",
                "{method} {path} {status}"
            );
        }
    }
    let history = &document["paths"]["/alerts/history"]["get"]["parameters"];
    let names: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["limit", "offset", "alert_id", "pair"]);
    assert!(history
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["in"] == "query"));
    let condition = &document["components"]["schemas"]["AlertCondition"]["enum"];
    assert_eq!(condition, &json!(["above", "below"]));
}

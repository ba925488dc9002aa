//! The alert operations and schemas in the OpenAPI document: every status, every enum
//! value, and the same fields the endpoints answer.

use serde_json::{json, Value};

use crate::harness::{api, keys};

#[tokio::test]
async fn every_alert_operation_is_in_the_openapi_document_with_its_errors() {
    let (_, openapi) = fxmon_api::routes();
    let document = serde_json::to_value(&openapi).unwrap();
    let operations = [
        (
            "/alerts",
            "post",
            &["201", "400", "401", "404", "413", "422", "429"][..],
        ),
        ("/alerts", "get", &["200", "401", "404", "422", "429"]),
        (
            "/alerts/{id}",
            "get",
            &["200", "401", "403", "404", "422", "429"],
        ),
        (
            "/alerts/{id}",
            "patch",
            &["200", "400", "401", "403", "404", "413", "422", "429"],
        ),
        (
            "/alerts/{id}",
            "delete",
            &["204", "401", "403", "404", "422", "429"],
        ),
        (
            "/alerts/history",
            "get",
            &["200", "401", "404", "422", "429"],
        ),
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
    let schemas = &document["components"]["schemas"];
    let enums = [
        (
            "AlertCondition",
            json!([
                "above",
                "below",
                "crosses_above",
                "crosses_below",
                "change_pct",
                "volatility_above"
            ]),
        ),
        (
            "AlertState",
            json!([
                "armed",
                "waiting",
                "cooling_down",
                "paused",
                "expired",
                "fired"
            ]),
        ),
        ("AlertDirection", json!(["up", "down", "either"])),
        ("AlertFrequency", json!(["once", "recurring"])),
        ("DeliveryTarget", json!(["bus", "webhook"])),
        ("DeliveryState", json!(["pending", "delivered", "failed"])),
    ];
    for (name, values) in enums {
        let listed: Vec<&Value> = schemas[name]["oneOf"]
            .as_array()
            .map(|variants| {
                variants
                    .iter()
                    .flat_map(|v| v["enum"].as_array().unwrap())
                    .collect()
            })
            .unwrap_or_else(|| schemas[name]["enum"].as_array().unwrap().iter().collect());
        let expected: Vec<&Value> = values.as_array().unwrap().iter().collect();
        assert_eq!(listed, expected, "{name}");
    }
}

#[tokio::test]
async fn the_documented_alert_fields_are_the_ones_answered() {
    let api = api().await;
    let (_, openapi) = fxmon_api::routes();
    let document = serde_json::to_value(&openapi).unwrap();
    let schemas = &document["components"]["schemas"];
    let properties = |name: &str| -> Vec<String> {
        let mut names: Vec<String> = schemas[name]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{name}: {}", schemas[name]))
            .keys()
            .cloned()
            .collect();
        names.sort();
        names
    };
    let body = json!({"pair": "USD/EUR", "condition": "below", "threshold": 0.85,
                      "webhook_url": "https://hooks.example.com/fx"});
    let created = api.create_with(body).await;
    let id = created["id"].as_i64().unwrap();
    let shown = api.get(&format!("/alerts/{id}")).await.body;
    assert_eq!(properties("AlertView"), keys(&shown));
    assert!(!properties("AlertView").contains(&"webhook_secret".to_owned()));
    let created_schema = schemas["CreatedAlertView"].to_string();
    assert!(
        created_schema.contains("webhook_secret"),
        "{created_schema}"
    );
    assert!(
        created_schema.contains("#/components/schemas/AlertView"),
        "{created_schema}"
    );
    let create = &document["paths"]["/alerts"]["post"]["responses"]["201"];
    let schema = &create["content"]["application/json"]["schema"]["$ref"];
    assert_eq!(schema, "#/components/schemas/CreatedAlertView");

    api.fire(id, "USD/EUR", 10).await;
    let trigger = &api.get("/alerts/history").await.body[0];
    assert_eq!(properties("TriggerView"), keys(trigger));
    assert_eq!(properties("DeliveryView"), keys(&trigger["deliveries"][0]));
    let patch = properties("AlertChange");
    assert_eq!(
        patch,
        ["active", "cooldown_seconds", "hysteresis", "threshold"]
    );
    let new = properties("NewAlert");
    assert_eq!(
        new,
        [
            "condition",
            "cooldown_seconds",
            "direction",
            "expires_at",
            "frequency",
            "hysteresis",
            "pair",
            "threshold",
            "webhook_url",
            "window_seconds"
        ]
    );
    assert_eq!(
        schemas["NewAlert"]["required"],
        json!(["pair", "condition", "threshold"])
    );
}

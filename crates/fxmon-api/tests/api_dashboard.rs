//! The dashboard's HTTP side: `/` answers browsers with the page and API clients with the
//! JSON service info, and every file the page loads is served from the binary.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{assert_problem, TestApi};

async fn get_with_accept(api: &TestApi, uri: &str, accept: &str) -> common::Answer {
    let request = Request::get(uri)
        .header(header::ACCEPT, accept)
        .body(Body::empty())
        .unwrap();
    api.send(request).await
}

fn text(answer: &common::Answer) -> String {
    String::from_utf8(answer.bytes.clone()).unwrap()
}

#[tokio::test]
async fn a_browser_gets_the_dashboard_at_the_root() {
    let api = TestApi::new("USD/EUR").await;
    // What Chromium sends for a page load.
    let accept =
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
    let answer = get_with_accept(&api, "/", accept).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.header("content-type").starts_with("text/html"));
    assert_eq!(answer.header("vary"), "accept");
    assert!(text(&answer).contains("<title>fxmon dashboard</title>"));

    let page = api.get("/dashboard").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.bytes, answer.bytes);
}

#[tokio::test]
async fn an_api_client_keeps_the_json_service_info_at_the_root() {
    let api = TestApi::new("USD/EUR").await;
    for accept in [None, Some("*/*"), Some("application/json")] {
        let answer = match accept {
            Some(accept) => get_with_accept(&api, "/", accept).await,
            None => api.get("/").await,
        };
        assert_eq!(answer.status, StatusCode::OK, "Accept: {accept:?}");
        assert_eq!(answer.header("content-type"), "application/json");
        let info = answer.json();
        assert_eq!(info["service"], "fxmon");
        assert_eq!(info["dashboard"], "/dashboard");
        assert_eq!(info["endpoints"]["rates"], "/rates");
    }
}

/// Every `src`/`href` of the page and every `import ... from './x.js'` of its modules.
fn references(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    for marker in ["src=\"", "href=\"", "from './"] {
        for (index, _) in source.match_indices(marker) {
            let rest = &source[index + marker.len()..];
            let end = rest.find(['"', '\'']).unwrap();
            found.push(rest[..end].to_owned());
        }
    }
    found
}

#[tokio::test]
async fn every_file_the_page_loads_is_served_from_the_binary() {
    let api = TestApi::new("USD/EUR").await;
    let page = text(&api.get("/dashboard").await);
    let mut pending: Vec<String> = references(&page);
    let mut seen = Vec::new();
    while let Some(reference) = pending.pop() {
        if reference.starts_with('#') || reference.starts_with("data:") || reference == "/docs" {
            continue;
        }
        let path = if reference.starts_with('/') {
            reference.clone()
        } else {
            format!("/dashboard/{reference}")
        };
        if seen.contains(&path) {
            continue;
        }
        let answer = api.get(&path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        let content_type = answer.header("content-type").to_owned();
        if path.ends_with(".js") {
            assert_eq!(content_type, "text/javascript; charset=utf-8", "{path}");
            pending.extend(references(&text(&answer)));
        } else {
            assert_eq!(content_type, "text/css; charset=utf-8", "{path}");
        }
        seen.push(path);
    }
    // The page, its modules, its stylesheet and the vendored chart library.
    for expected in [
        "/dashboard/main.js",
        "/dashboard/alerts.js",
        "/dashboard/timeline.js",
        "/dashboard/app.css",
        "/dashboard/uPlot.iife.min.js",
        "/dashboard/uPlot.min.css",
    ] {
        assert!(
            seen.iter().any(|s| s == expected),
            "{expected} not loaded: {seen:?}"
        );
    }
}

#[tokio::test]
async fn the_page_loads_nothing_from_another_origin() {
    let api = TestApi::new("USD/EUR").await;
    let page = text(&api.get("/dashboard").await);
    for reference in references(&page) {
        assert!(
            !reference.contains("://"),
            "the page loads {reference} from elsewhere"
        );
    }
}

#[tokio::test]
async fn an_unknown_dashboard_file_is_a_problem_naming_it() {
    let api = TestApi::new("USD/EUR").await;
    let answer = api.get("/dashboard/secrets.js").await;
    assert_problem(&answer, StatusCode::NOT_FOUND, None);
    assert!(answer.json()["detail"]
        .as_str()
        .unwrap()
        .contains("secrets.js"));
}

//! The dashboard on a server that has API keys: a key entered on the page is sent with
//! its requests, so the alert form works and the alert belongs to that key.

use std::time::Duration;

use serde_json::Value;

use crate::browser::Browser;
use crate::{report, Fxmon};

/// Creates a key with the CLI in `fxmon`'s store; returns it.
fn create_key(fxmon: &Fxmon) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_fxmon"))
        .args(["apikey", "create", "--name", "dashboard"])
        .arg("--data-dir")
        .arg(fxmon.data_dir())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

async fn alerts(fxmon: &Fxmon, key: Option<&str>) -> Vec<Value> {
    let mut request = reqwest::Client::new().get(format!("{}/alerts", fxmon.base));
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    let body: Value = request.send().await.unwrap().json().await.unwrap();
    body.as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_entered_on_the_page_creates_alerts_owned_by_that_key() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let fxmon = Fxmon::start(&["--source", "simulate"]).await;
    let key = create_key(&fxmon);
    browser.goto(&format!("{}/dashboard", fxmon.base)).await;
    let ready = "document.getElementById('key-message').textContent.startsWith('No key')";
    let waited = browser.wait_for(ready, Duration::from_secs(15)).await;
    waited.unwrap_or_else(|e| panic!("{e}{}", report(&browser, &fxmon)));

    browser
        .eval(&format!(
            "(() => {{ document.getElementById('api-key').value = '{key}'; \
             document.getElementById('key-use').click(); return true; }})()"
        ))
        .await;
    let using = format!(
        "document.getElementById('key-message').textContent.includes('{}')",
        &key[..10]
    );
    let waited = browser.wait_for(&using, Duration::from_secs(5)).await;
    waited.unwrap_or_else(|e| panic!("{e}{}", report(&browser, &fxmon)));
    let shown = browser
        .eval("document.getElementById('key-message').textContent + document.body.innerText")
        .await;
    assert!(
        !shown.as_str().unwrap().contains(&key),
        "the page shows only the prefix"
    );

    browser
        .eval(
            "(() => { document.getElementById('alert-pair').value = 'USD/EUR'; \
             document.getElementById('alert-threshold').value = '5'; \
             document.getElementById('alert-create').click(); return true; })()",
        )
        .await;
    let created =
        "document.getElementById('alert-message').textContent.startsWith('Created alert')";
    let waited = browser.wait_for(created, Duration::from_secs(10)).await;
    waited.unwrap_or_else(|e| panic!("{e}{}", report(&browser, &fxmon)));
    let listed = "document.querySelectorAll('#alert-table tbody tr td').length > 1";
    let waited = browser.wait_for(listed, Duration::from_secs(10)).await;
    waited.unwrap_or_else(|e| panic!("{e}{}", report(&browser, &fxmon)));

    assert_eq!(
        alerts(&fxmon, Some(&key)).await.len(),
        1,
        "the key owns the alert"
    );
    assert!(
        alerts(&fxmon, None).await.is_empty(),
        "not visible without the key"
    );
    assert!(
        browser.console_errors().is_empty(),
        "{}",
        report(&browser, &fxmon)
    );
    browser.assert_no_external_requests();
}

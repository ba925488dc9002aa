//! The dashboard in headless Chromium against `fxmon run` on the embedded stack, fed by a
//! local stand-in for exchangerate-api.com: every panel holds the provider's numbers, a
//! new snapshot shows within 2 s, alerts are managed with the keyboard alone, and the page
//! fits a phone.

use std::time::{Duration, Instant};

use crate::browser::Browser;
use crate::provider::FakeProvider;
use crate::support::free_address;
use crate::{report, screenshot_path, Fxmon};

/// The pairs tracked: three direct, one cross.
const PAIRS: &str = "USD/EUR,USD/GBP,USD/JPY,EUR/GBP";

/// The dashboard has loaded every panel once.
const READY: &str = "document.body.dataset.ready === 'true'";

/// The fixture's EUR and GBP, then two updates.
const EUR: [f64; 3] = [0.8637, 0.8701, 0.8752];
const GBP: [f64; 3] = [0.7604, 0.7588, 0.7551];

struct Dashboard {
    browser: Browser,
    fxmon: Fxmon,
    provider: FakeProvider,
}

impl Dashboard {
    /// fxmon polling the stand-in provider every 0.2 s, three snapshots stored, and the
    /// dashboard open at `/` in a `width` × `height` window.
    async fn open(width: u32, height: u32) -> Option<Self> {
        let browser = Browser::launch().await?;
        let provider = FakeProvider::start().await;
        let url = provider.url();
        let args = [
            "--source-url",
            &url,
            "--poll-interval",
            "0.2",
            "--pairs",
            PAIRS,
        ];
        let fxmon = Fxmon::start(&args).await;
        let mut as_of = 0;
        for update in 1..3 {
            wait_stored(&fxmon, as_of).await;
            as_of = provider.publish(&[("EUR", EUR[update]), ("GBP", GBP[update])]);
        }
        wait_stored(&fxmon, as_of).await;
        browser.set_viewport(width, height, width < 600).await;
        browser.goto(&format!("{}/", fxmon.base)).await;
        let dashboard = Self {
            browser,
            fxmon,
            provider,
        };
        dashboard.wait(READY, 10).await;
        Some(dashboard)
    }

    /// Waits up to `seconds` for `condition`, failing with what the browser and fxmon saw.
    async fn wait(&self, condition: &str, seconds: u64) -> Duration {
        let waited = self
            .browser
            .wait_for(condition, Duration::from_secs(seconds))
            .await;
        waited.unwrap_or_else(|e| panic!("{e}{}", self.report()))
    }

    async fn text(&self, selector: &str) -> String {
        let js = format!("document.querySelector({selector:?})?.textContent ?? null");
        let value = self.browser.eval(&js).await;
        value.as_str().map(str::to_owned).unwrap_or_else(|| {
            panic!("nothing matches {selector}{}", self.report());
        })
    }

    async fn count(&self, selector: &str) -> u64 {
        let js = format!("document.querySelectorAll({selector:?}).length");
        self.browser.eval(&js).await.as_u64().unwrap()
    }

    /// Focus on `selector`, then the key: what a keyboard user does.
    async fn press_on(&self, selector: &str, key: &str) {
        let js = format!("document.querySelector({selector:?}).focus()");
        self.browser.eval(&js).await;
        self.browser.press(key).await;
    }

    /// Presses Tab until the element with `id` has the focus.
    async fn tab_to(&self, id: &str) {
        for _ in 0..60 {
            if self.browser.eval("document.activeElement.id").await == id {
                return;
            }
            self.browser.press("Tab").await;
        }
        panic!("Tab never reached #{id}{}", self.report());
    }

    fn assert_clean(&self) {
        let report = self.report();
        assert!(self.browser.console_errors().is_empty(), "{report}");
        assert!(self.browser.failed_requests().is_empty(), "{report}");
        self.browser.assert_no_external_requests();
    }

    fn report(&self) -> String {
        report(&self.browser, &self.fxmon)
    }
}

/// Waits until the store holds USD/EUR as of `as_of` (Unix seconds; 0: any).
async fn wait_stored(fxmon: &Fxmon, as_of: i64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let url = format!("{}/rates/USD/EUR", fxmon.base);
        if let Ok(answer) = reqwest::get(&url).await {
            if let Ok(rate) = answer.json::<serde_json::Value>().await {
                let stored = rate["timestamp"].as_str().unwrap_or_default();
                let stored = chrono::DateTime::parse_from_rfc3339(stored).map(|t| t.timestamp());
                if stored.is_ok_and(|t| t >= as_of) {
                    return;
                }
            }
        }
        let log = fxmon.process.log();
        assert!(
            Instant::now() < deadline,
            "USD/EUR as of {as_of} never stored:\n{log}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `value` with `digits` significant digits, as JavaScript's `toPrecision`.
fn precision(value: f64, digits: i32) -> String {
    let decimals = (digits - 1 - value.abs().log10().floor() as i32).max(0) as usize;
    format!("{value:.decimals$}")
}

/// Sample standard deviation (n − 1), computed here independently of fxmon.
fn sample_std(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_panel_shows_the_providers_numbers_and_a_new_snapshot_within_two_seconds() {
    let Some(page) = Dashboard::open(1280, 900).await else {
        return;
    };
    // Current rates: every tracked pair, the cross computed from its legs.
    assert_eq!(page.count("#rates-table tbody tr[data-pair]").await, 4);
    let rate = |pair: &str| format!("#rates-table tr[data-pair='{pair}'] td.rate");
    assert_eq!(page.text(&rate("USD/EUR")).await, precision(EUR[2], 6));
    assert_eq!(
        page.text(&rate("EUR/GBP")).await,
        precision(GBP[2] / EUR[2], 6)
    );
    let change = page
        .text("#rates-table tr[data-pair='USD/EUR'] td:nth-child(3)")
        .await;
    let expected = format!("{:+.6}", EUR[2] - EUR[1]);
    assert!(change.starts_with(&expected), "{change} vs {expected}");

    // The chart holds the three stored points of the last hour.
    assert_eq!(
        page.browser
            .eval("document.getElementById('rate-chart').dataset.points")
            .await,
        "3"
    );

    // Volatility, both measures, against an independent computation.
    let level = page
        .text("#volatility-table tr[data-pair='USD/EUR'] td:nth-child(2)")
        .await;
    assert_eq!(level, precision(sample_std(&EUR), 4));
    let returns: Vec<f64> = EUR.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
    let log = page
        .text("#volatility-table tr[data-pair='USD/EUR'] .bar-label")
        .await;
    assert_eq!(log, format!("{:.4}%", sample_std(&returns) * 100.0));

    // The heatmap: USD, EUR, GBP and JPY, every ordered pair, EUR/GBP's move over the day.
    assert_eq!(page.count("#heatmap-table td[data-cell]").await, 12);
    let moved = (GBP[2] / EUR[2]) / (GBP[0] / EUR[0]) - 1.0;
    let cell = page.text("#heatmap-table td[data-cell='EUR/GBP']").await;
    assert_eq!(cell, format!("{:+.2}%", moved * 100.0));

    page.browser
        .screenshot(&screenshot_path("dashboard.png"))
        .await;

    // A new snapshot: on the page within 2 s of the provider publishing it.
    let published = Instant::now();
    page.provider.publish(&[("EUR", 0.912345)]);
    let shown = format!(
        "document.querySelector(\"{}\")?.textContent === '0.912345'",
        rate("USD/EUR")
    );
    page.wait(&shown, 5).await;
    let took = published.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "the snapshot took {took:?} to show"
    );
    println!("a published snapshot showed on the page after {took:?}");
    let cross = precision(page.provider.rate("GBP") / 0.912345, 6);
    assert_eq!(page.text(&rate("EUR/GBP")).await, cross);
    page.wait(
        "document.getElementById('rate-chart').dataset.points === '4'",
        2,
    )
    .await;

    // Longer ranges plot candles: the four points fall in one or two 5-minute buckets.
    page.press_on("#chart-controls input[value='1d']", "Space")
        .await;
    page.wait(
        "document.getElementById('chart-summary').textContent.includes(', 1d:')",
        5,
    )
    .await;
    let points = page
        .browser
        .eval("Number(document.getElementById('rate-chart').dataset.points)")
        .await;
    assert!(
        matches!(points.as_u64(), Some(1 | 2)),
        "1d shows {points} candles"
    );

    page.assert_clean();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_alert_made_with_the_keyboard_alone_is_listed_fires_and_is_managed() {
    let Some(page) = Dashboard::open(1280, 900).await else {
        return;
    };
    // Every control is named for assistive technology.
    let unnamed = "[...document.querySelectorAll('input, select, textarea, button')]\
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') \
                && !e.getAttribute('aria-labelledby') && !(e.tagName === 'BUTTON' && e.textContent.trim()))\
        .map(e => e.outerHTML)";
    assert_eq!(page.browser.eval(unnamed).await, serde_json::json!([]));

    // Create "USD/EUR above 0.95" with Tab, typing and Enter only.
    page.tab_to("alert-pair").await;
    page.browser.type_text("usd/eur").await;
    page.tab_to("alert-threshold").await;
    page.browser.type_text("0.95").await;
    page.tab_to("alert-create").await;
    page.browser.press("Enter").await;
    page.wait(
        "document.getElementById('alert-message').textContent.startsWith('Created alert')",
        5,
    )
    .await;
    let row = "#alert-table tr[data-alert]";
    page.wait(
        &format!("document.querySelector(\"{row}\")?.dataset.state === 'armed'"),
        5,
    )
    .await;
    let id = page
        .browser
        .eval(&format!("document.querySelector(\"{row}\").dataset.alert"))
        .await;
    let id = id.as_str().unwrap().to_owned();
    assert_eq!(
        page.text(&format!("{row} td:nth-child(3)")).await,
        "USD/EUR above 0.95"
    );

    // The rate crosses: the trigger shows in the history, delivered, and on the timeline.
    page.provider.publish(&[("EUR", 0.96)]);
    let trigger = format!("#trigger-table tr[data-alert='{id}']");
    page.wait(
        &format!("document.querySelector(\"{trigger}\") !== null"),
        10,
    )
    .await;
    assert_eq!(
        page.text(&format!("{trigger} td:nth-child(4)")).await,
        "0.960000"
    );
    page.wait(
        &format!("document.querySelector(\"{trigger} .delivery.delivered\") !== null"),
        10,
    )
    .await;
    assert_eq!(
        page.text(&format!("{trigger} .delivery")).await,
        "bus: delivered"
    );
    assert_eq!(page.count("#timeline circle.dot").await, 1);
    let state = format!("document.querySelector(\"{row}\").dataset.state");
    page.wait(&format!("{state} === 'cooling_down'"), 5).await;

    // Pause, resume and delete, each a focused button and Enter.
    page.press_on(&format!("[aria-label='Pause alert {id}']"), "Enter")
        .await;
    page.wait(&format!("{state} === 'paused'"), 5).await;
    page.press_on(&format!("[aria-label='Resume alert {id}']"), "Enter")
        .await;
    page.wait(&format!("{state} !== 'paused'"), 5).await;
    page.press_on(&format!("[aria-label='Delete alert {id}']"), "Enter")
        .await;
    page.wait(&format!("document.querySelector(\"{row}\") === null"), 5)
        .await;
    // A deleted alert's history stays.
    assert_eq!(page.count(&trigger).await, 1);

    page.browser
        .screenshot(&screenshot_path("dashboard-alerts.png"))
        .await;
    page.assert_clean();
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_390_pixel_phone_screen_nothing_overflows_sideways() {
    let Some(page) = Dashboard::open(390, 844).await else {
        return;
    };
    let width = page
        .browser
        .eval("document.documentElement.scrollWidth")
        .await;
    assert!(
        width.as_u64().unwrap() <= 390,
        "the page is {width} px wide{}",
        page.report()
    );
    let chart = page
        .browser
        .eval("document.querySelector('#rate-chart canvas').getBoundingClientRect().right")
        .await;
    assert!(
        chart.as_f64().unwrap() <= 390.0,
        "the chart ends at {chart} px"
    );
    page.browser
        .screenshot(&screenshot_path("dashboard-390px.png"))
        .await;
    page.assert_clean();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_rate_source_puts_a_banner_on_the_page() {
    let Some(browser) = Browser::launch().await else {
        return;
    };
    let unreachable = format!("http://{}", free_address());
    let args = [
        "--source-url",
        &unreachable,
        "--poll-interval",
        "0.2",
        "--pairs",
        PAIRS,
    ];
    let fxmon = Fxmon::start(&args).await;
    browser.goto(&format!("{}/dashboard", fxmon.base)).await;
    let banner =
        "(b => !b.hidden && b.textContent.includes('failing'))(document.getElementById('banner'))";
    let waited = browser.wait_for(banner, Duration::from_secs(15)).await;
    waited.unwrap_or_else(|e| panic!("{e}{}", report(&browser, &fxmon)));
    let text = browser
        .eval("document.getElementById('banner').textContent")
        .await;
    assert!(
        text.as_str()
            .unwrap()
            .starts_with("Rate source problem: exchangerate-api.com"),
        "{text}"
    );
    // The table renders when `/rates` answers, which may come after the banner.
    let empty = "document.querySelector('#rates-table tbody').textContent === \
                 'No rates yet: waiting for the first snapshot.'";
    let waited = browser.wait_for(empty, Duration::from_secs(10)).await;
    waited.unwrap_or_else(|e| panic!("{e}{}", report(&browser, &fxmon)));
    assert!(
        browser.console_errors().is_empty(),
        "{}",
        report(&browser, &fxmon)
    );
    browser.assert_no_external_requests();
}

//! fxmon's web pages in a real browser: headless Chromium, driven over the DevTools
//! protocol (browser.rs), against the built binary. Skipped when Chromium is not
//! installed, unless `FXMON_TEST_REQUIRE_BROWSER` is set (CI sets it). Screenshots go to
//! `$CARGO_TARGET_DIR/tmp/screenshots/`.

mod browser;
mod keys;
mod panels;
mod provider;
#[path = "../support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use browser::Browser;
use support::{free_address, Process};

/// Swagger UI has drawn the operations of `/openapi.json`.
const DOCS_RENDERED: &str = "document.querySelectorAll('.opblock').length > 10";

/// The focused element, briefly.
const FOCUSED: &str = "(e => e === document.body ? 'body' : e.outerHTML.slice(0, 100))\
                       (document.activeElement)";

/// `fxmon run` on a free port, with its data and log in a temporary folder.
struct Fxmon {
    process: Process,
    base: String,
    _folder: tempfile::TempDir,
}

impl Fxmon {
    /// Starts `fxmon run` with `args` (the rate source, pairs...) and waits until it answers.
    async fn start(args: &[&str]) -> Self {
        let folder = tempfile::tempdir().unwrap();
        let address = free_address().to_string();
        let data_dir = folder.path().to_str().unwrap();
        let mut all = vec!["run", "--listen", &address, "--data-dir", data_dir];
        all.extend_from_slice(args);
        let process = Process::fxmon(folder.path(), "fxmon", &all, &[]);
        let base = format!("http://{address}");
        let deadline = Instant::now() + Duration::from_secs(60);
        while reqwest::get(format!("{base}/health")).await.is_err() {
            let log = process.log();
            assert!(Instant::now() < deadline, "fxmon never answered:\n{log}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self {
            process,
            base,
            _folder: folder,
        }
    }

    /// The `--data-dir` it runs on.
    fn data_dir(&self) -> &std::path::Path {
        self._folder.path()
    }
}

/// Launches Chromium (`None` if it is not installed) and opens fxmon's `/docs` once
/// Swagger UI has drawn the operations.
async fn open_docs() -> Option<(Browser, Fxmon)> {
    let browser = Browser::launch().await?;
    let fxmon = Fxmon::start(&["--source", "simulate"]).await;
    browser.set_viewport(1280, 800, false).await;
    browser.goto(&format!("{}/docs", fxmon.base)).await;
    let waited = browser
        .wait_for(DOCS_RENDERED, Duration::from_secs(20))
        .await;
    let took = waited.unwrap_or_else(|e| panic!("{e}{}", report(&browser, &fxmon)));
    println!("Swagger UI drew the operations {took:?} after the load event");
    Some((browser, fxmon))
}

/// What the browser saw and what fxmon logged, for failure messages.
fn report(browser: &Browser, fxmon: &Fxmon) -> String {
    format!(
        "\nconsole errors: {:#?}\nfailed loads: {:#?}\nrequests: {:#?}\n\
         --- fxmon's log ---\n{}",
        browser.console_errors(),
        browser.failed_requests(),
        browser.requests(),
        fxmon.process.log(),
    )
}

fn screenshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("screenshots")
        .join(name)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_docs_render_every_operation_offline_and_without_console_errors() {
    let Some((browser, fxmon)) = open_docs().await else {
        return;
    };
    let shot = screenshot_path("docs.png");
    browser.screenshot(&shot).await;
    println!("screenshot: {}", shot.display());

    let report = report(&browser, &fxmon);
    assert!(browser.console_errors().is_empty(), "{report}");
    assert!(browser.failed_requests().is_empty(), "{report}");
    browser.assert_no_external_requests();
    let requested = |path: &str| {
        browser
            .requests()
            .contains(&format!("{}{path}", fxmon.base))
    };
    assert!(requested("/openapi.json"), "{report}");
    assert!(requested("/docs/swagger-ui-bundle.js"), "{report}");

    let document: serde_json::Value = reqwest::get(format!("{}/openapi.json", fxmon.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let operations: usize = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|path| path.as_object().unwrap().len())
        .sum();
    let drawn = browser
        .eval("document.querySelectorAll('.opblock').length")
        .await;
    assert_eq!(drawn, operations, "operations drawn vs documented{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_keyboard_moves_focus_and_enter_and_space_open_and_close_an_operation() {
    let Some((browser, fxmon)) = open_docs().await else {
        return;
    };
    let fail = |e: String| panic!("{e}{}", report(&browser, &fxmon));
    assert_eq!(browser.eval(FOCUSED).await, "body");

    browser.press("Tab").await;
    let first = browser.eval(FOCUSED).await;
    assert_ne!(first, "body", "Tab focused nothing");
    browser.press("Tab").await;
    let second = browser.eval(FOCUSED).await;
    assert_ne!(second, first, "a second Tab did not move on");
    browser.press("Shift+Tab").await;
    assert_eq!(
        browser.eval(FOCUSED).await,
        first,
        "Shift+Tab did not go back"
    );

    // An operation's summary is a button: Enter opens it, Space closes it again.
    let open = "document.querySelector('.opblock').classList.contains('is-open')";
    browser
        .eval("document.querySelector('.opblock-summary-control').focus()")
        .await;
    browser.press("Enter").await;
    browser
        .wait_for(open, Duration::from_secs(5))
        .await
        .unwrap_or_else(fail);
    browser.press("Space").await;
    let closed = format!("!{open}");
    browser
        .wait_for(&closed, Duration::from_secs(5))
        .await
        .unwrap_or_else(fail);

    // Arrow keys scroll the page once nothing is focused.
    browser.eval("document.activeElement.blur()").await;
    browser.press("ArrowDown").await;
    let scrolled = Duration::from_secs(5);
    browser
        .wait_for("window.scrollY > 0", scrolled)
        .await
        .unwrap_or_else(fail);
    browser.press("ArrowUp").await;
    browser
        .wait_for("window.scrollY === 0", scrolled)
        .await
        .unwrap_or_else(fail);

    // Typed text lands in the focused field.
    browser
        .eval("document.body.insertAdjacentHTML('afterbegin', '<input id=probe>'); probe.focus()")
        .await;
    browser.type_text("EUR/USD").await;
    assert_eq!(browser.eval("probe.value").await, "EUR/USD");
    assert!(
        browser.console_errors().is_empty(),
        "{}",
        report(&browser, &fxmon)
    );
}

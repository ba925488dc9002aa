//! What fxmon stored in PostgreSQL, read with `psql` behind fxmon's back.

use std::collections::BTreeMap;
use std::process::Command;

/// Rows per snapshot: the 8 tracked pairs' legs (USD/EUR ... USD/INR).
pub const PAIRS: [&str; 8] = [
    "USD/EUR", "USD/GBP", "USD/JPY", "USD/CAD", "USD/AUD", "USD/CHF", "USD/CNY", "USD/INR",
];

/// The rows `sql` returns; none (after saying why) when psql fails, e.g. before fxmon
/// created its tables.
fn query(url: &str, sql: &str) -> Vec<Vec<String>> {
    let out = Command::new("psql")
        .args([url, "-XtAq", "-F", "|", "-c", sql])
        .output()
        .unwrap();
    if !out.status.success() {
        eprintln!("psql: {}", String::from_utf8_lossy(&out.stderr).trim());
        return Vec::new();
    }
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|line| !line.is_empty())
        .map(|line| line.split('|').map(str::to_owned).collect())
        .collect()
}

/// Rows stored per as-of time (Unix seconds).
pub fn rows_per_as_of(url: &str) -> BTreeMap<i64, usize> {
    let sql = "SELECT extract(epoch FROM timestamp)::bigint, count(*) FROM fx_rates GROUP BY 1";
    query(url, sql)
        .into_iter()
        .map(|row| (row[0].parse().unwrap(), row[1].parse().unwrap()))
        .collect()
}

/// The newest stored as-of time, if any (errors, e.g. no table yet, count as none).
pub fn newest_as_of(url: &str) -> Option<i64> {
    rows_per_as_of(url).keys().next_back().copied()
}

/// Each pair's newest stored (rate, as-of time).
pub fn latest_rates(url: &str) -> BTreeMap<String, (f64, i64)> {
    let sql = "SELECT DISTINCT ON (pair) pair, rate, extract(epoch FROM timestamp)::bigint \
               FROM fx_rates ORDER BY pair, timestamp DESC";
    query(url, sql)
        .into_iter()
        .map(|row| {
            let value = (row[1].parse().unwrap(), row[2].parse().unwrap());
            (row[0].clone(), value)
        })
        .collect()
}

/// When the rows of `as_of` were first stored (Unix seconds, fractional).
pub fn stored_at(url: &str, as_of: i64) -> Option<f64> {
    let sql = format!(
        "SELECT extract(epoch FROM min(created_at)) FROM fx_rates \
         WHERE timestamp = to_timestamp({as_of})"
    );
    query(url, &sql).first()?.first()?.parse().ok()
}

//! Reading PostgreSQL with `psql`, so the counts come from the store itself.

use std::process::Command;

/// Runs `sql` and returns its rows, fields split on `|`.
pub fn query(url: &str, sql: &str) -> Vec<Vec<String>> {
    let output = Command::new("psql")
        .args([url, "-X", "-q", "-A", "-t", "-F", "|", "-c", sql])
        .output()
        .expect("psql runs");
    assert!(
        output.status.success(),
        "psql failed on {sql}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter(|line| !line.is_empty())
        .map(|line| line.split('|').map(str::to_owned).collect())
        .collect()
}

/// A `count(*)`-like query's single number.
pub fn count(url: &str, sql: &str) -> u64 {
    query(url, sql)[0][0].parse().unwrap()
}

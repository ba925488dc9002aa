//! One quote: the script call that writes it, and the hash that reads it back.

use std::collections::HashMap;
use std::time::Duration;

use fxmon_app::ports::Quote;
use fxmon_core::{Pair, Volatility, WINDOW};
use redis::{Cmd, Script};

use super::codec::{self, Fields, Invalid};
use super::keys::Keys;

/// The check-and-set of one quote, atomic on the server.
pub(super) fn script() -> Script {
    Script::new(include_str!("put_quote.lua"))
}

/// `EVALSHA` of the script for one quote, to go into a pipeline.
pub(super) fn put_command(script: &Script, keys: &Keys, quote: &Quote, ttl: Duration) -> Cmd {
    let (as_of_us, as_of_ns) = codec::sort_key(quote.as_of);
    let optional = |value: Option<f64>| value.map(codec::number).unwrap_or_default();
    let mut cmd = redis::cmd("EVALSHA");
    cmd.arg(script.get_hash())
        .arg(4)
        .arg(keys.quote(quote.pair))
        .arg(keys.current_rate(quote.pair))
        .arg(keys.volatility(quote.pair))
        .arg(keys.history(quote.pair))
        .arg(as_of_us)
        .arg(as_of_ns)
        .arg(codec::number(quote.rate.get()))
        .arg(codec::time(quote.as_of))
        .arg(&quote.source)
        .arg(optional(quote.volatility.level))
        .arg(optional(quote.volatility.log_return))
        .arg(ttl_millis(ttl))
        .arg(WINDOW);
    cmd
}

/// The quote in a `quote:{pair}` hash; `None` when the hash is absent (empty).
pub(super) fn decode(
    pair: Pair,
    key: String,
    values: HashMap<String, String>,
) -> Result<Option<Quote>, Invalid> {
    if values.is_empty() {
        return Ok(None);
    }
    let fields = Fields::new(key, values);
    Ok(Some(Quote {
        pair,
        rate: fields.rate("rate")?,
        as_of: fields.time("as_of")?,
        source: fields.text("source")?.to_owned(),
        volatility: Volatility {
            level: fields.optional_number("volatility")?,
            log_return: fields.optional_number("volatility_log_return")?,
        },
    }))
}

/// Milliseconds, at least 1: Redis refuses an expiry of 0.
pub(super) fn ttl_millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

//! Cross rates: the seed's `cross_rate:{pair}` string, and fxmon's `cross:{pair}` hash that
//! adds the as-of time.

use std::time::Duration;

use chrono::{DateTime, Utc};
use fxmon_core::{Pair, Rate};
use redis::Pipeline;

use super::codec::{self, Fields, Invalid};
use super::keys::Keys;
use super::quote::ttl_millis;

/// One transaction that writes every rate, so a reader sees the whole batch or none of it.
pub(super) fn put_pipeline(
    keys: &Keys,
    as_of: DateTime<Utc>,
    rates: &[(Pair, Rate)],
    ttl: Duration,
) -> Pipeline {
    let as_of = codec::time(as_of);
    let ttl = ttl_millis(ttl);
    let mut pipe = redis::pipe();
    pipe.atomic();
    for (pair, rate) in rates {
        let rate = codec::number(rate.get());
        let hash = keys.cross(*pair);
        pipe.cmd("SET")
            .arg(keys.cross_rate(*pair))
            .arg(&rate)
            .arg("PX")
            .arg(ttl)
            .ignore();
        pipe.cmd("HSET")
            .arg(&hash)
            .arg("rate")
            .arg(&rate)
            .arg("as_of")
            .arg(&as_of)
            .ignore();
        pipe.cmd("PEXPIRE").arg(&hash).arg(ttl).ignore();
    }
    pipe
}

/// The rate and as-of time in a `cross:{pair}` hash, read with `HMGET rate as_of`.
pub(super) fn decode(
    key: String,
    rate: Option<String>,
    as_of: Option<String>,
) -> Result<Option<(Rate, DateTime<Utc>)>, Invalid> {
    let (Some(rate), Some(as_of)) = (rate, as_of) else {
        return Ok(None);
    };
    let values = [("rate".to_owned(), rate), ("as_of".to_owned(), as_of)];
    let fields = Fields::new(key, values.into());
    Ok(Some((fields.rate("rate")?, fields.time("as_of")?)))
}

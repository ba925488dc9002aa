//! The European Central Bank's euro reference rates, read from the files the ECB publishes:
//! the full history (`eurofxref-hist.zip`, a zip holding one CSV, newest day first) and the
//! daily file (`eurofxref.csv`). Every rate is per euro: 1 EUR = r X.

mod csv;
mod error;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use chrono::{DateTime, NaiveDate, Utc};
use fxmon_app::ports::StoredRate;
use fxmon_core::{Currency, Pair, Rate};

pub use error::EcbError;

/// The `source` of every rate read from an ECB file.
pub const SOURCE: &str = "ecb";

/// The history CSV is ~2 MB; a limit keeps a hostile zip from inflating without bound.
const MAX_CSV_BYTES: u64 = 64 << 20;

/// One working day of ECB reference rates: 1 EUR = `rates[X]` X.
#[derive(Debug, Clone, PartialEq)]
pub struct EcbDay {
    pub date: NaiveDate,
    pub rates: BTreeMap<Currency, Rate>,
}

/// Parses an ECB file, a zip holding the CSV or the CSV itself, into days oldest first.
/// `N/A` and empty cells are days the ECB did not quote a currency; they are skipped.
pub fn parse(bytes: &[u8]) -> Result<Vec<EcbDay>, EcbError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(EcbError::Empty);
    }
    let text = if is_zip(bytes) {
        Cow::Owned(csv_from_zip(bytes)?)
    } else {
        Cow::Borrowed(utf8(bytes)?)
    };
    csv::parse_csv(&text)
}

/// The ECB history shipped with fxmon: every working day from 1999-01-04 to 2026-10-30.
pub fn shipped_history() -> &'static [u8] {
    include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/ecb/eurofxref-hist.zip"
    ))
}

/// The rows to store for `days`: pair `EUR/X`, source [`SOURCE`].
///
/// The timestamp is the day's date at 00:00 UTC. The files carry only the date (the ECB
/// sets the rates around 14:15 CET and publishes them around 16:00 CET); midnight UTC gives
/// one stable key per day, so importing a file again stores nothing new. Read it as "the
/// rate of that day", not as when it became known: that was later the same day.
pub fn to_stored_rates(days: &[EcbDay]) -> impl Iterator<Item = StoredRate> + '_ {
    days.iter().flat_map(|day| {
        let timestamp = midnight_utc(day.date);
        day.rates.iter().filter_map(move |(&quote, &rate)| {
            // EUR/EUR is no pair; `parse` never yields it, but the fields are public.
            let pair = Pair::new(Currency::EUR, quote).ok()?;
            let source = SOURCE.to_owned();
            Some(StoredRate {
                pair,
                rate,
                timestamp,
                source,
            })
        })
    })
}

fn midnight_utc(date: NaiveDate) -> DateTime<Utc> {
    date.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// A local file header, or the end record of an empty archive.
fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

fn utf8(bytes: &[u8]) -> Result<&str, EcbError> {
    std::str::from_utf8(bytes).map_err(|e| not_utf8(bytes, e.valid_up_to()))
}

/// Names the line of the first byte that is not UTF-8.
fn not_utf8(bytes: &[u8], valid_up_to: usize) -> EcbError {
    let line = bytes[..valid_up_to].iter().filter(|&&b| b == b'\n').count() + 1;
    EcbError::NotUtf8 { line }
}

/// The text of the first `.csv` entry in the archive.
fn csv_from_zip(bytes: &[u8]) -> Result<String, EcbError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))?;
    let index = (0..archive.len())
        .find(|&i| {
            archive.name_for_index(i).is_some_and(|name| {
                !name.ends_with('/') && name.to_ascii_lowercase().ends_with(".csv")
            })
        })
        .ok_or(EcbError::NoCsvInZip)?;
    let entry = archive.by_index(index)?;
    let name = entry.name().to_owned();
    let mut raw = Vec::new();
    let read = entry.take(MAX_CSV_BYTES + 1).read_to_end(&mut raw);
    read.map_err(|source| EcbError::ZipEntry {
        name: name.clone(),
        source,
    })?;
    if raw.len() as u64 > MAX_CSV_BYTES {
        return Err(EcbError::TooLarge {
            name,
            limit: MAX_CSV_BYTES,
        });
    }
    String::from_utf8(raw).map_err(|e| not_utf8(e.as_bytes(), e.utf8_error().valid_up_to()))
}

#[cfg(test)]
mod tests;

use std::io::Write;

use super::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn currency(code: &str) -> Currency {
    Currency::parse(code).unwrap()
}

fn day(days: &[EcbDay], on: NaiveDate) -> &EcbDay {
    days.iter()
        .find(|d| d.date == on)
        .expect("the day is in the file")
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        writer.start_file(*name, options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[test]
fn the_shipped_history_parses_oldest_first_from_1999_01_04() {
    let days = parse(shipped_history()).unwrap();
    assert!(days.len() > 7000, "{} days", days.len());
    assert_eq!(days[0].date, date(1999, 1, 4));
    assert_eq!(days.last().unwrap().date, date(2026, 10, 30));
    assert!(days.windows(2).all(|w| w[0].date < w[1].date));
}

#[test]
fn the_shipped_history_holds_known_values_and_skips_na() {
    let days = parse(shipped_history()).unwrap();
    let last = day(&days, date(2026, 10, 30));
    assert_eq!(last.rates[&Currency::USD].get(), 1.1172);
    assert_eq!(last.rates[&currency("JPY")].get(), 175.68);
    // The Cypriot pound was quoted until 2007 and is `N/A` since.
    assert!(!last.rates.contains_key(&currency("CYP")));
    let first = day(&days, date(1999, 1, 4));
    assert_eq!(first.rates[&currency("CYP")].get(), 0.58231);
    assert_eq!(first.rates[&currency("TRL")].get(), 372274.0);
}

#[test]
fn the_daily_file_parses_with_its_long_dates_and_padded_cells() {
    let bytes = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/ecb/eurofxref.csv"
    ));
    let days = parse(bytes).unwrap();
    assert_eq!(days.len(), 1);
    assert_eq!(days[0].date, date(2026, 10, 30));
    assert_eq!(days[0].rates.len(), 29);
    assert_eq!(days[0].rates[&currency("GBP")].get(), 0.8338);
    assert_eq!(days[0].rates[&currency("ZAR")].get(), 18.6455);
}

#[test]
fn stored_rates_are_eur_pairs_at_midnight_utc_from_the_ecb() {
    let days = parse(b"Date,USD,JPY,\n2026-10-30,1.1172,N/A,\n").unwrap();
    let rows: Vec<StoredRate> = to_stored_rates(&days).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].pair.to_string(), "EUR/USD");
    assert_eq!(rows[0].rate.get(), 1.1172);
    assert_eq!(rows[0].timestamp.to_rfc3339(), "2026-10-30T00:00:00+00:00");
    assert_eq!(rows[0].source, "ecb");
}

#[test]
fn a_zip_is_recognised_by_its_magic_bytes_whatever_its_entry_is_called() {
    let csv: &[u8] = b"Date,USD,\n2026-10-30,1.1172,\n";
    let bytes = zip_of(&[("README.txt", b"hello"), ("rates.CSV", csv)]);
    let days = parse(&bytes).unwrap();
    assert_eq!(days[0].rates[&Currency::USD].get(), 1.1172);
}

#[test]
fn a_zip_without_a_csv_is_an_error() {
    let bytes = zip_of(&[("README.txt", b"hello")]);
    assert!(matches!(parse(&bytes), Err(EcbError::NoCsvInZip)));
    let empty = zip_of(&[]);
    assert!(matches!(parse(&empty), Err(EcbError::NoCsvInZip)));
}

#[test]
fn a_broken_zip_or_binary_bytes_are_errors_not_panics() {
    let mut bytes = zip_of(&[("a.csv", b"Date,USD,\n2026-10-30,1.1,\n")]);
    bytes.truncate(20);
    assert!(matches!(parse(&bytes), Err(EcbError::Zip(_))));
    let message = parse(b"Date,USD,\n2026-10-30,\xff\xfe,\n")
        .unwrap_err()
        .to_string();
    assert!(message.contains("not UTF-8 text at line 2"), "{message}");
    assert!(matches!(parse(b""), Err(EcbError::Empty)));
}

//! Why an ECB file could not be read.

use chrono::NaiveDate;
use fxmon_core::{Currency, CurrencyError, RateError};

/// Why bytes are not an ECB reference-rate file. Line and column numbers start at 1;
/// column 1 is `Date`.
#[derive(Debug, thiserror::Error)]
pub enum EcbError {
    #[error("the file is empty")]
    Empty,
    #[error("line {line}: the file has a header but no rows of rates")]
    NoRows { line: usize },
    #[error("the file is neither a zip archive nor a CSV: not UTF-8 text at line {line}")]
    NotUtf8 { line: usize },
    #[error("the zip archive cannot be read: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("the zip archive holds no .csv file")]
    NoCsvInZip,
    #[error("{name}: cannot read from the zip archive: {source}")]
    ZipEntry {
        name: String,
        source: std::io::Error,
    },
    #[error("{name} is larger than the {limit} bytes an ECB file can plausibly be")]
    TooLarge { name: String, limit: u64 },
    #[error("line {line}, column 1: the header starts with {found:?}, expected \"Date\"")]
    NoDateColumn { line: usize, found: String },
    #[error("line {line}, column {column}: the currency header is empty")]
    EmptyHeader { line: usize, column: usize },
    #[error("line {line}, column {column}: unknown currency header: {source}")]
    UnknownCurrency {
        line: usize,
        column: usize,
        source: CurrencyError,
    },
    #[error("line {line}, column {column}: EUR cannot be a column, every rate is per EUR")]
    EuroColumn { line: usize, column: usize },
    #[error("line {line}, column {column}: {currency} is already the header of an earlier column")]
    DuplicateCurrency {
        line: usize,
        column: usize,
        currency: Currency,
    },
    #[error(
        "line {line}, column 1: date {value:?} is neither like 2026-10-30 nor like 30 October 2026"
    )]
    Date { line: usize, value: String },
    #[error("line {line}: {found} cells, but the header names {expected} columns")]
    CellCount {
        line: usize,
        found: usize,
        expected: usize,
    },
    #[error("line {line}, column {column} ({currency}): {value:?} is not a number")]
    Number {
        line: usize,
        column: usize,
        currency: Currency,
        value: String,
    },
    #[error("line {line}, column {column} ({currency}): {source}")]
    Rate {
        line: usize,
        column: usize,
        currency: Currency,
        source: RateError,
    },
    #[error("lines {first} and {second}: both hold rates for {date}")]
    DuplicateDate {
        date: NaiveDate,
        first: usize,
        second: usize,
    },
}

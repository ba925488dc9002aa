//! The ECB's CSV layout: a `Date` column, then one column per currency quoted per euro.
//! The history file writes `2026-10-30` and `N/A`; the daily file writes `30 October 2026`
//! and pads cells with a space. Both end every line with a comma.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use fxmon_core::{Currency, Rate};

use super::{EcbDay, EcbError};

/// Parses CSV text into days, oldest first.
pub(super) fn parse_csv(text: &str) -> Result<Vec<EcbDay>, EcbError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line))
        .filter(|(_, line)| !line.trim().is_empty());
    let (header_line, header) = lines.next().ok_or(EcbError::Empty)?;
    let currencies = parse_header(header_line, header)?;
    let mut days = lines
        .map(|(line, text)| Ok((line, parse_row(line, text, &currencies)?)))
        .collect::<Result<Vec<_>, EcbError>>()?;
    if days.is_empty() {
        return Err(EcbError::NoRows { line: header_line });
    }
    days.sort_by_key(|(_, day)| day.date);
    reject_duplicate_dates(&days)?;
    Ok(days.into_iter().map(|(_, day)| day).collect())
}

/// The currency of each column after `Date`.
fn parse_header(line: usize, text: &str) -> Result<Vec<Currency>, EcbError> {
    let mut cells = text.split(',').map(str::trim);
    let first = cells.next().unwrap_or_default();
    if !first.eq_ignore_ascii_case("date") {
        let found = first.to_owned();
        return Err(EcbError::NoDateColumn { line, found });
    }
    let mut currencies: Vec<Currency> = Vec::new();
    for (index, cell) in without_trailing_empty(cells.collect())
        .into_iter()
        .enumerate()
    {
        let column = index + 2;
        let currency = header_currency(line, column, cell)?;
        if currencies.contains(&currency) {
            return Err(EcbError::DuplicateCurrency {
                line,
                column,
                currency,
            });
        }
        currencies.push(currency);
    }
    Ok(currencies)
}

fn header_currency(line: usize, column: usize, cell: &str) -> Result<Currency, EcbError> {
    if cell.is_empty() {
        return Err(EcbError::EmptyHeader { line, column });
    }
    let currency = Currency::parse(cell).map_err(|source| EcbError::UnknownCurrency {
        line,
        column,
        source,
    })?;
    if currency == Currency::EUR {
        return Err(EcbError::EuroColumn { line, column });
    }
    Ok(currency)
}

/// One day: its date and every rate that is not `N/A` or empty.
fn parse_row(line: usize, text: &str, currencies: &[Currency]) -> Result<EcbDay, EcbError> {
    let mut cells = text.split(',').map(str::trim);
    let date_cell = cells.next().unwrap_or_default();
    let date = parse_date(date_cell).ok_or_else(|| EcbError::Date {
        line,
        value: date_cell.to_owned(),
    })?;
    let values: Vec<&str> = cells.collect();
    // A short row is a truncated file, not a day with missing rates (those say `N/A`).
    if values.len() < currencies.len()
        || without_trailing_empty(values.clone()).len() > currencies.len()
    {
        let found = without_trailing_empty(values).len() + 1;
        let expected = currencies.len() + 1;
        return Err(EcbError::CellCount {
            line,
            found,
            expected,
        });
    }
    let mut rates = BTreeMap::new();
    for (index, (&currency, cell)) in currencies.iter().zip(values).enumerate() {
        if let Some(rate) = parse_cell(line, index + 2, currency, cell)? {
            rates.insert(currency, rate);
        }
    }
    Ok(EcbDay { date, rates })
}

fn parse_date(cell: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(cell, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(cell, "%d %B %Y"))
        .ok()
}

/// `None` for a missing value (`N/A` or empty), which the ECB writes for currencies it
/// did not quote that day.
fn parse_cell(
    line: usize,
    column: usize,
    currency: Currency,
    cell: &str,
) -> Result<Option<Rate>, EcbError> {
    if cell.is_empty() || cell.eq_ignore_ascii_case("N/A") {
        return Ok(None);
    }
    let value: f64 = cell.parse().map_err(|_| EcbError::Number {
        line,
        column,
        currency,
        value: cell.to_owned(),
    })?;
    let rate = Rate::new(value).map_err(|source| EcbError::Rate {
        line,
        column,
        currency,
        source,
    })?;
    Ok(Some(rate))
}

/// Drops the empty cells the ECB's trailing commas leave at the end of a line.
fn without_trailing_empty(mut cells: Vec<&str>) -> Vec<&str> {
    while cells.last().is_some_and(|cell| cell.is_empty()) {
        cells.pop();
    }
    cells
}

/// `days` sorted by date; two rows for one date would make the stored value depend on
/// which one is imported first.
fn reject_duplicate_dates(days: &[(usize, EcbDay)]) -> Result<(), EcbError> {
    match days.windows(2).find(|w| w[0].1.date == w[1].1.date) {
        Some(w) => Err(EcbError::DuplicateDate {
            date: w[0].1.date,
            first: w[0].0.min(w[1].0),
            second: w[0].0.max(w[1].0),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "Date,USD,JPY,CYP,\n";

    fn parse(text: &str) -> Result<Vec<EcbDay>, EcbError> {
        parse_csv(text)
    }

    fn err(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn rows_come_back_oldest_first_with_missing_values_skipped() {
        let days = parse(&format!(
            "{HEADER}2026-10-30,1.1172,175.68,N/A,\n2026-10-29,1.113,,N/A,\n"
        ))
        .unwrap();
        assert_eq!(days.len(), 2);
        assert_eq!(days[0].date, NaiveDate::from_ymd_opt(2026, 10, 29).unwrap());
        assert_eq!(days[0].rates.len(), 1);
        assert_eq!(
            days[1].rates[&Currency::parse("JPY").unwrap()].get(),
            175.68
        );
    }

    #[test]
    fn crlf_line_ends_a_byte_order_mark_and_blank_lines_are_accepted() {
        let days = parse("\u{feff}Date,USD,\r\n\r\n2026-10-30,1.1172,\r\n\r\n").unwrap();
        assert_eq!(days[0].rates[&Currency::USD].get(), 1.1172);
    }

    #[test]
    fn an_empty_file_or_a_header_alone_is_an_error() {
        assert_eq!(err(""), "the file is empty");
        assert_eq!(err(" \n \n"), "the file is empty");
        assert!(err(HEADER).contains("line 1: the file has a header but no rows"));
    }

    #[test]
    fn a_bad_header_names_its_column_and_what_is_wrong() {
        assert!(err("Day,USD,\n").contains("line 1, column 1"));
        let unknown = err("Date,USD,XYZ,\n2026-10-30,1,2,\n");
        assert!(
            unknown.contains("line 1, column 3: unknown currency header"),
            "{unknown}"
        );
        assert!(unknown.contains("XYZ"), "{unknown}");
        assert!(err("Date,USD,,JPY\n").contains("column 3: the currency header is empty"));
        assert!(err("Date,EUR,\n").contains("column 2: EUR cannot be a column"));
        assert!(err("Date,USD,usd,\n").contains("column 3: USD is already"));
    }

    #[test]
    fn a_bad_date_names_its_line_and_value() {
        let message = err(&format!("{HEADER}2026-10-30,1,2,3,\n30/10/2026,1,2,3,\n"));
        assert!(
            message.starts_with("line 3, column 1: date \"30/10/2026\""),
            "{message}"
        );
        assert!(err("Date,USD,\n2026-02-30,1,\n").contains("\"2026-02-30\""));
    }

    #[test]
    fn a_bad_number_names_its_line_column_and_currency() {
        let message = err(&format!("{HEADER}2026-10-30,1.1,1 75,N/A,\n"));
        assert_eq!(message, "line 2, column 3 (JPY): \"1 75\" is not a number");
        let message = err(&format!("{HEADER}2026-10-30,1.1,-3,N/A,\n"));
        assert!(
            message.starts_with("line 2, column 3 (JPY): rate -3"),
            "{message}"
        );
        assert!(err(&format!("{HEADER}2026-10-30,0,1,1,\n")).contains("(USD): rate 0"));
    }

    #[test]
    fn a_row_with_too_few_or_too_many_cells_is_an_error() {
        let short = err(&format!("{HEADER}2026-10-30,1.1,\n"));
        assert!(
            short.starts_with("line 2: 2 cells, but the header names 4"),
            "{short}"
        );
        let long = err(&format!("{HEADER}2026-10-30,1,2,3,4,\n"));
        assert!(long.starts_with("line 2: 5 cells"), "{long}");
    }

    #[test]
    fn two_rows_for_one_date_are_an_error_naming_both_lines() {
        let message = err(&format!("{HEADER}2026-10-30,1,2,3,\n2026-10-30,1,2,4,\n"));
        assert_eq!(message, "lines 2 and 3: both hold rates for 2026-10-30");
    }
}

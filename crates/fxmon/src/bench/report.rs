//! A flat JSON object, written by hand: the binary has no JSON dependency of its own, and
//! a report is a handful of numbers and names.

use std::fmt::Write;

/// One value of a report.
pub enum Value {
    Number(f64),
    Count(u64),
    Text(String),
    Flag(bool),
    Null,
}

/// A report's fields, in order.
#[derive(Default)]
pub struct Json(Vec<(&'static str, Value)>);

impl Json {
    pub fn with(mut self, key: &'static str, value: Value) -> Self {
        self.0.push((key, value));
        self
    }

    pub fn number(self, key: &'static str, value: f64) -> Self {
        self.with(key, Value::Number(value))
    }

    pub fn count(self, key: &'static str, value: u64) -> Self {
        self.with(key, Value::Count(value))
    }

    pub fn text(self, key: &'static str, value: impl Into<String>) -> Self {
        self.with(key, Value::Text(value.into()))
    }

    /// The object on one line.
    pub fn render(&self) -> String {
        let mut out = String::from("{");
        for (i, (key, value)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{}:", quote(key));
            match value {
                // Rounded to the microsecond (or row) that was measured.
                Value::Number(n) if n.is_finite() => {
                    let _ = write!(out, "{}", (n * 1000.0).round() / 1000.0);
                }
                Value::Number(_) | Value::Null => out.push_str("null"),
                Value::Count(n) => {
                    let _ = write!(out, "{n}");
                }
                Value::Text(text) => out.push_str(&quote(text)),
                Value::Flag(flag) => {
                    let _ = write!(out, "{flag}");
                }
            }
        }
        out.push('}');
        out
    }
}

fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_renders_as_one_json_object() {
        let json = Json::default()
            .number("p50_ms", 1.23456)
            .count("rows", 42)
            .text("bus", "me\"mory")
            .with("done", Value::Flag(true))
            .with("lag_s", Value::Null)
            .number("nan", f64::NAN);
        assert_eq!(
            json.render(),
            r#"{"p50_ms":1.235,"rows":42,"bus":"me\"mory","done":true,"lag_s":null,"nan":null}"#
        );
    }
}

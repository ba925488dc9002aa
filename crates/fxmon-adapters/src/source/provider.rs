//! The three flavours of exchangerate-api.com: where each lives and how its body is laid out.

use std::fmt;

/// Which exchangerate-api.com endpoint to poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Provider {
    /// The keyless legacy API, `api.exchangerate-api.com/v4`: the seed's source.
    #[default]
    ExchangerateApiV4,
    /// The keyless open access API, `open.er-api.com/v6`, which also says when it next updates.
    OpenErApi,
    /// The keyed API, `v6.exchangerate-api.com/v6/{KEY}`; needs `FXMON_EXCHANGERATE_API_KEY`.
    ExchangerateApiV6,
}

/// Names of the body fields that differ between the flavours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BodyFields {
    pub base: &'static str,
    pub rates: &'static str,
    pub as_of: &'static str,
    pub next_update: Option<&'static str>,
}

impl Provider {
    /// The origin used when the configuration gives no `base_url`.
    pub fn default_base_url(self) -> &'static str {
        match self {
            Provider::ExchangerateApiV4 => "https://api.exchangerate-api.com",
            Provider::OpenErApi => "https://open.er-api.com",
            Provider::ExchangerateApiV6 => "https://v6.exchangerate-api.com",
        }
    }

    /// The label written into each snapshot's `source` (v4 and v6 keep the seed's label).
    pub fn label(self) -> &'static str {
        match self {
            Provider::ExchangerateApiV4 | Provider::ExchangerateApiV6 => "exchangerate-api.com",
            Provider::OpenErApi => "open.er-api.com",
        }
    }

    /// True when requests need an API key.
    pub fn needs_key(self) -> bool {
        self == Provider::ExchangerateApiV6
    }

    /// The path of the latest rates against `base`; `key` is only used by the keyed flavour.
    pub(crate) fn latest_path(self, key: &str, base: &str) -> String {
        match self {
            Provider::ExchangerateApiV4 => format!("/v4/latest/{base}"),
            Provider::OpenErApi => format!("/v6/latest/{base}"),
            Provider::ExchangerateApiV6 => format!("/v6/{key}/latest/{base}"),
        }
    }

    /// Where this flavour puts the base, the rates and its update times.
    pub(crate) fn body_fields(self) -> BodyFields {
        match self {
            Provider::ExchangerateApiV4 => BodyFields {
                base: "base",
                rates: "rates",
                as_of: "time_last_updated",
                next_update: None,
            },
            Provider::OpenErApi => BodyFields {
                base: "base_code",
                rates: "rates",
                as_of: "time_last_update_unix",
                next_update: Some("time_next_update_unix"),
            },
            Provider::ExchangerateApiV6 => BodyFields {
                base: "base_code",
                rates: "conversion_rates",
                as_of: "time_last_update_unix",
                next_update: Some("time_next_update_unix"),
            },
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Provider::ExchangerateApiV4 => "exchangerate-api.com v4",
            Provider::OpenErApi => "open.er-api.com",
            Provider::ExchangerateApiV6 => "exchangerate-api.com v6",
        };
        f.write_str(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_keyed_flavour_puts_the_key_in_the_path() {
        assert_eq!(
            Provider::ExchangerateApiV4.latest_path("k", "USD"),
            "/v4/latest/USD"
        );
        assert_eq!(
            Provider::OpenErApi.latest_path("k", "USD"),
            "/v6/latest/USD"
        );
        assert_eq!(
            Provider::ExchangerateApiV6.latest_path("k", "USD"),
            "/v6/k/latest/USD"
        );
    }

    #[test]
    fn v4_and_v6_keep_the_seed_label_and_the_open_api_has_its_own() {
        assert_eq!(Provider::ExchangerateApiV4.label(), "exchangerate-api.com");
        assert_eq!(Provider::ExchangerateApiV6.label(), "exchangerate-api.com");
        assert_eq!(Provider::OpenErApi.label(), "open.er-api.com");
    }
}

//! TLS and SASL settings reach librdkafka as given (no broker needed: clients are built,
//! not connected).

use fxmon_adapters::kafka::{KafkaPublisher, KafkaSettings, KafkaSetupError};

fn publisher_with(extra: &[(&str, &str)]) -> Result<(), KafkaSetupError> {
    let mut settings = KafkaSettings::new("127.0.0.1:9");
    settings.extra = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    KafkaPublisher::new(&settings).map(drop)
}

/// The whole cause chain, as the binary logs it.
fn chain(error: &KafkaSetupError) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

#[test]
fn sasl_over_tls_is_accepted_because_librdkafka_has_tls_compiled_in() {
    publisher_with(&[
        ("security.protocol", "SASL_SSL"),
        ("sasl.mechanism", "SCRAM-SHA-512"),
        ("sasl.username", "fxmon"),
        ("sasl.password", "secret"),
    ])
    .expect("a SASL_SSL client is created");
}

#[test]
fn an_invalid_security_protocol_is_refused_by_librdkafka_naming_the_property() {
    let error = publisher_with(&[("security.protocol", "SASL_TLS")]).unwrap_err();
    let text = chain(&error);
    assert!(matches!(error, KafkaSetupError::Config(_)), "{text}");
    assert!(text.contains("security.protocol"), "{text}");
    assert!(text.contains("SASL_TLS"), "{text}");
}

#[test]
fn tls_file_settings_are_used_when_the_client_is_created() {
    // librdkafka loads the CA when it builds its TLS context: a missing file fails now.
    let error = publisher_with(&[
        ("security.protocol", "SSL"),
        ("ssl.ca.location", "/nonexistent/fxmon-ca.pem"),
    ])
    .unwrap_err();
    let text = chain(&error);
    assert!(text.contains("ssl.ca.location"), "{text}");
}

#[test]
fn a_refused_secret_property_is_reported_without_its_value() {
    // A misspelt key is refused, and librdkafka's message quotes the value back.
    let error = publisher_with(&[("sasl.password2", "marker-kafka")]).unwrap_err();
    let text = chain(&error);
    assert!(text.contains("sasl.password2"), "{text}");
    assert!(!text.contains("marker-kafka"), "{text}");
}

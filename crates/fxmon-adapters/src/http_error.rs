//! Error text of HTTP clients, shared by the rate sources and the webhook sender.

use std::error::Error as _;

/// The error and its causes, `outer: inner: innermost`; reqwest's own Display says little.
pub(crate) fn cause_chain(err: &reqwest::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_connection_error_names_its_innermost_cause() {
        let client = reqwest::Client::new();
        let err = client.get("http://127.0.0.1:1/").send().await.unwrap_err();
        let text = super::cause_chain(&err.without_url());
        assert!(text.contains("onnect"), "{text}");
        assert!(
            !text.contains("127.0.0.1:1/"),
            "the URL is stripped: {text}"
        );
    }
}

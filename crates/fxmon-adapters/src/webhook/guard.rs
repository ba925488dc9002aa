//! The delivery-time SSRF guard (see `fxmon_app::net_guard`): a resolver that refuses a name
//! with a non-public address, so the check sees the addresses actually connected to (a
//! name re-pointed after the alert was created, DNS rebinding, is refused too); and the
//! check of IP-literal URLs, which reqwest connects to without resolving.

use std::error::Error;

use fxmon_app::net_guard::{self, TargetError};
use fxmon_app::ports::WebhookError;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// The system resolver, refusing any name with a non-public address.
#[derive(Debug, Clone, Copy)]
pub(super) struct PublicOnlyResolver;

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            // Port 0: reqwest puts the URL's (or the scheme's) port in.
            let addrs = net_guard::resolve_public(name.as_str(), 0).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The guard's refusal inside a failed request, if that is why it failed.
pub(super) fn refusal(err: &reqwest::Error) -> Option<&TargetError> {
    let mut cause = err.source();
    while let Some(inner) = cause {
        if let Some(target) = inner.downcast_ref::<TargetError>() {
            return target.is_refusal().then_some(target);
        }
        cause = inner.source();
    }
    None
}

/// A refused target: permanent, since the same URL will be refused again.
pub(super) fn refused(error: &TargetError) -> WebhookError {
    WebhookError::permanent(format!(
        "the webhook URL {error}: refused, since fxmon runs without --webhook-allow-private"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_resolver_refuses_a_name_with_a_loopback_address() {
        let name: Name = "localhost".parse().unwrap();
        let error = match PublicOnlyResolver.resolve(name).await {
            Ok(addrs) => panic!("resolved to {:?}", addrs.collect::<Vec<_>>()),
            Err(error) => error,
        };
        let target = error.downcast_ref::<TargetError>().unwrap();
        assert!(target.is_refusal(), "{target:?}");
        let reason = refused(target).to_string();
        assert!(
            reason.starts_with("the webhook URL resolves to "),
            "{reason}"
        );
        assert!(reason.contains("a loopback address"), "{reason}");
    }
}
